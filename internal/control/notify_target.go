package control

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// A connection notification's target (ConnectionNotificationArn) is, as on
// AWS, an SNS topic ARN, or one of plink's own: an http(s):// URL that gets
// a POST per event, or a file:///absolute/path that gets a JSON line per
// event. It is checked when the notification is created or modified, as
// far as can be known then: a malformed value, a file target that cannot be
// written (a directory, a device, a FIFO, a kernel file system such as
// /proc or /sys, a missing directory) are refused with
// InvalidParameterValue. AWS documents no code of its own for a bad
// ConnectionNotificationArn; InvalidParameterValue is EC2's code for "a
// value specified in a parameter is not valid, is unsupported, or cannot
// be used". File targets are checked again before every delivery, since
// the file system changes.

// snsARN is an SNS topic ARN: partition, region, account, and a topic name
// of 1-256 letters, digits, hyphens and underscores (FIFO topics end in
// .fifo).
var snsARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:sns:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// checkNotificationTarget refuses a target that cannot work.
func checkNotificationTarget(t string) error {
	bad := func(why string, args ...any) error {
		return invalidValue("Invalid ConnectionNotificationArn '%s': %s", t, fmt.Sprintf(why, args...))
	}
	if strings.IndexFunc(t, unicode.IsControl) >= 0 {
		return bad("it contains control characters.")
	}
	if !strings.HasPrefix(t, "file://") && strings.IndexFunc(t, unicode.IsSpace) >= 0 {
		return bad("it contains spaces.")
	}
	switch {
	case strings.HasPrefix(t, "arn:"):
		if !snsARN.MatchString(t) {
			return bad("an SNS topic ARN is arn:aws:sns:<region>:<12-digit account>:<topic> (a topic name is 1 to 256 letters, digits, hyphens or underscores).")
		}
	case strings.HasPrefix(t, "http://"), strings.HasPrefix(t, "https://"):
		u, err := url.Parse(t)
		if err != nil {
			return bad("%v.", errors.Unwrap(err))
		}
		if u.Hostname() == "" {
			return bad("the URL has no host.")
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return bad("the port must be 1 to 65535.")
			}
		}
	case strings.HasPrefix(t, "file://"):
		if err := checkFileTarget(strings.TrimPrefix(t, "file://")); err != nil {
			return bad("%v.", err)
		}
	default:
		return bad("use an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>), an http:// or https:// URL, or file:///absolute/path.")
	}
	return nil
}

// kernelDirs hold kernel and device file systems: writing there is never
// a notification.
var kernelDirs = []string{"/proc", "/sys", "/dev"}

// checkFileTarget says why path cannot take notification lines, or nil:
// it must be absolute, in a directory that exists, outside the kernel's
// file systems, and either absent (it is then created, mode 0600) or a
// regular file (through symbolic links) plink may write.
func checkFileTarget(path string) error {
	if !strings.HasPrefix(path, "/") {
		return errors.New("the path must be absolute (file:///absolute/path)")
	}
	// The directory is the path up to its last element, resolved as the
	// kernel resolves it: filepath.Dir would clean "link/.." away
	// lexically, and check another directory than the one written to.
	i := strings.LastIndexByte(path, '/')
	dir, base := path[:i+1], path[i+1:]
	if base == "" || base == "." || base == ".." {
		return fmt.Errorf("%s is a directory", path)
	}
	shown := path[:max(i, 1)] // the directory as messages name it: no trailing '/'
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("directory %s does not exist", shown)
		}
		return fmt.Errorf("directory %s: %v", shown, unwrapPath(err))
	}
	if fi, err := os.Stat(realDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", shown)
	}
	real := filepath.Join(realDir, base)
	fi, err := os.Lstat(real)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := checkFS(real, realDir); err != nil {
			return err
		}
		if err := writable(realDir); err != nil {
			return fmt.Errorf("cannot create files in %s: %v", shown, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if real, err = filepath.EvalSymlinks(real); err != nil {
			return fmt.Errorf("%s is a symbolic link to nothing", path)
		}
		if fi, err = os.Stat(real); err != nil {
			return fmt.Errorf("%s: %v", path, unwrapPath(err))
		}
	}
	if err := checkFS(real, filepath.Dir(real)); err != nil {
		return err
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return fmt.Errorf("%s is a directory", path)
	case m&fs.ModeDevice != 0:
		return fmt.Errorf("%s is a device", path)
	case !m.IsRegular():
		return fmt.Errorf("%s is not a regular file (%v)", path, m.Type())
	}
	if err := writable(real); err != nil {
		return fmt.Errorf("%s is not writable: %v", path, err)
	}
	return nil
}

// checkFS refuses paths on the kernel's file systems, by name and (where
// the system says) by file system type.
func checkFS(path, dir string) error {
	for _, k := range kernelDirs {
		if path == k || strings.HasPrefix(path, k+"/") {
			return fmt.Errorf("%s is in %s, a kernel file system", path, k)
		}
	}
	if name := kernelFS(dir); name != "" {
		return fmt.Errorf("%s is on a %s file system", path, name)
	}
	return nil
}

// unwrapPath drops the *PathError wrapping (the message names the path).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
