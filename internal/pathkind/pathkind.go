// Package pathkind names what stands at a file system path, for the errors
// of the places where plink writes a file a user named (the store, serve's
// ready file): each refuses anything but a regular file or nothing, and
// says what it found instead.
package pathkind

import "io/fs"

// Describe names the kind of file m is the mode of: "a directory", "a
// character device", ... ("a symbolic link" only for the mode of an
// os.Lstat).
func Describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file (" + m.String() + ")"
}
