//go:build !linux

package store_test

import "testing"

func mountReadOnly(t *testing.T, dir string) {
	t.Skip("read-only bind mounts are Linux's")
}
