package control

import (
	"os"
	"syscall"
)

// kernelFSTypes are Linux's pseudo file systems (statfs f_type), where a
// "file" is a kernel interface.
var kernelFSTypes = map[int64]string{
	0x9fa0:     "proc",
	0x62656572: "sysfs",
	0x1cd1:     "devpts",
	0x64626720: "debugfs",
	0x74726163: "tracefs",
	0x27e0eb:   "cgroup",
	0x63677270: "cgroup2",
	0x73636673: "securityfs",
	0xcafe4a11: "bpf",
	0x62656570: "configfs",
	0x6165676c: "pstore",
	0xde5e81e4: "efivarfs",
	0xf97cff8c: "selinuxfs",
	0x65735543: "fusectl",
}

// kernelFS names the pseudo file system dir is on, or "".
func kernelFS(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return ""
	}
	return kernelFSTypes[int64(st.Type)]
}

// writable says whether this process may write path (a file, or a
// directory to create a file in); it also catches read-only file systems.
func writable(path string) error {
	const wOK, xOK = 2, 1
	mode := uint32(wOK)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		mode |= xOK
	}
	return syscall.Access(path, mode)
}
