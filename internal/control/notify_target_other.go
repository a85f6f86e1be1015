//go:build !linux

package control

// kernelFS names the pseudo file system dir is on: Linux only.
func kernelFS(dir string) string { return "" }

// writable is checked on Linux only; elsewhere delivery reports it.
func writable(path string) error { return nil }
