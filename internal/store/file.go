package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/plink-dev/plink/internal/pathkind"
)

// The store file is private to its owner, and so is a directory plink
// creates for it. SQLite gives the -wal and -shm files the database file's
// own mode, so they are private too. The modes are set with chmod after
// creation: they do not depend on the umask.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// absPath checks that path can name a file (not "dir/", "dir/." or
// "dir/..") and makes it absolute, naming the file the kernel would open. A ".." after a symbolic link leaves the
// link's target, not the link's directory, so a path with ".." has its
// directory resolved (it must exist) rather than cleaned lexically, which
// would name another file.
func absPath(path string) (string, error) {
	if path == "" {
		return "", errors.New("the store path is empty")
	}
	if strings.IndexByte(path, 0) >= 0 {
		return "", fmt.Errorf("store path %q contains a NUL byte", path)
	}
	if !filepath.IsAbs(path) {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("store path %s: %w", path, err)
		}
		path = wd + "/" + path
	}
	i := strings.LastIndexByte(path, '/')
	dir, base := path[:i+1], path[i+1:]
	if base == "" || base == "." || base == ".." {
		return "", fmt.Errorf("store path %s names a directory, not a file", path)
	}
	if !slices.Contains(strings.Split(dir, "/"), "..") {
		return filepath.Clean(path), nil
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("store path %s: %w", path, err)
	}
	return filepath.Join(realDir, base), nil
}

// prepareFile makes sure a regular file is at path (an absolute path),
// creating it and its missing directories when there is none, and says
// whether it can be written: an existing file this process may not write
// (a read-only file or file system, or a directory where SQLite cannot
// make the -wal file) is opened read-only. Anything else at
// path (a directory, a device, a socket) is refused. A non-nil roReason
// (why the file cannot be written) means the store is to be read-only.
func prepareFile(path string) (roReason error, err error) {
	for attempt := 0; ; attempt++ {
		fi, err := os.Stat(path)
		switch {
		case err == nil:
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("store path %s is %s, not a regular file", path, pathkind.Describe(fi.Mode()))
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				if isReadOnly(err) {
					return unwrapPathError(err), nil
				}
				return nil, err
			}
			if err := f.Close(); err != nil {
				return nil, err
			}
			// A write makes the -wal file beside the store: where it is
			// missing and cannot be made, the store is read-only too.
			if _, err := os.Lstat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
				dir := filepath.Dir(path)
				if err := unix.Access(dir, unix.W_OK); err != nil && isReadOnly(err) {
					return fmt.Errorf("directory %s: %w", dir, err), nil
				}
			}
			return nil, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
		if err := mkdirs(filepath.Dir(path)); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
		if errors.Is(err, fs.ErrExist) {
			if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
				return nil, fmt.Errorf("store path %s is a symbolic link to a missing file", path)
			}
			if attempt == 0 {
				continue // another process created it first: use theirs
			}
		}
		if err != nil {
			return nil, err
		}
		if err := f.Chmod(fileMode); err != nil {
			f.Close()
			return nil, err
		}
		return nil, f.Close()
	}
}

// mkdirs creates dir and its missing parents with mode 0700 (whatever the
// umask); directories that exist are left as they are.
func mkdirs(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := os.Mkdir(d, dirMode); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue // created meanwhile by someone else: theirs
			}
			return err
		}
		if err := os.Chmod(d, dirMode); err != nil {
			return err
		}
	}
	return nil
}

// isReadOnly reports whether err refuses a write for want of permission or
// because the file system is read-only.
func isReadOnly(err error) bool {
	return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EROFS)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileURI is the SQLite URI of the file at path (an absolute path) with the
// given query. Every byte of the path but the unreserved characters of RFC
// 3986 and '/' is percent-encoded, so no '?', '#' or '%' in a file name can
// end the path or start a query (SQLite's URI rules,
// https://sqlite.org/uri.html: the path runs to the first '?' or '#', and
// %HH escapes in it are decoded). The result always reads "file://" (an
// empty authority) followed by the path.
func fileURI(path, query string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len("file://") + 3*len(path) + 1 + len(query))
	b.WriteString("file://")
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '/' || c == '-' || c == '.' || c == '_' || c == '~' ||
			'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String()
}
