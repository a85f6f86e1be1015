package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/plink-dev/plink/internal/pathkind"
)

// ReadyFile is a file that tells scripts what a plink process bound. It
// writes only a regular file it created itself and removes only that:
//
//   - at claim, the path must hold nothing, an empty regular file (as
//     mktemp makes), or a stale ready file: a regular file holding a JSON
//     object whose "pid" names a process that no longer runs (left by a
//     plink killed with SIGKILL). Anything else
//     (a directory, a device, a symlink, a socket, any other regular file,
//     the ready file of a live process) is refused with an error naming
//     the path;
//   - every write goes to a new temporary file in the same directory,
//     renamed over the path only while the path still holds what plink
//     wrote last (or the stale file it claimed), so readers never see half
//     a file and nothing plink did not write is replaced;
//   - Remove deletes the path only if it is still the file plink wrote
//     (a path claimed but never written, as when serve fails at start,
//     is left as it was).
type ReadyFile struct {
	path string

	mu    sync.Mutex
	owned os.FileInfo // what may be replaced: the last file written, or the stale one claimed
	wrote bool        // owned is a file Write wrote
}

// ClaimReadyFile checks that path may be used as a ready file (see
// ReadyFile) and returns it; nothing is written yet.
func ClaimReadyFile(path string) (*ReadyFile, error) {
	if path == "" {
		return nil, errors.New("ready file: empty path")
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("ready file %s: directory %s: %w", path, dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("ready file %s: %s is not a directory", path, dir)
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &ReadyFile{path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ready file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("ready file %s: the path exists and is %s; plink writes only a file it creates: "+
			"give a path where nothing exists", path, pathkind.Describe(fi.Mode()))
	}
	if fi.Size() == 0 {
		// An empty file, as `mktemp` makes for a script: nothing to lose.
		return &ReadyFile{path: path, owned: fi}, nil
	}
	pid, ok := readyPID(path)
	switch {
	case !ok:
		return nil, fmt.Errorf("ready file %s: a file exists there and is not a ready file of plink; "+
			"plink does not overwrite it: remove it or give another path", path)
	case processAlive(pid):
		return nil, fmt.Errorf("ready file %s: it names process %d, which is still running (another plink using it?); "+
			"give another path or stop that process", path, pid)
	}
	return &ReadyFile{path: path, owned: fi}, nil
}

// Write writes v as indented JSON through a temporary file and a rename.
func (r *ReadyFile) Write(v any) error {
	var b []byte
	if info, ok := v.(ReadyInfo); ok {
		b = appendReady(make([]byte, 0, 64+160*len(info.Listeners)), info)
	} else {
		compact, err := json.Marshal(v)
		if err != nil {
			return err
		}
		// As json.MarshalIndent(v, "", "  "), faster (indent.go).
		b = indentJSON(make([]byte, 0, 2*len(compact)), compact, "  ")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	tmp, err := os.CreateTemp(filepath.Dir(r.path), "."+filepath.Base(r.path)+".*")
	if err != nil {
		return fmt.Errorf("ready file %s: %w", r.path, err)
	}
	_, err = tmp.Write(append(b, '\n'))
	fi, serr := tmp.Stat()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = serr
	}
	if err == nil {
		err = r.checkOwnedLocked()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), r.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("ready file %s: %w", r.path, err)
	}
	r.owned, r.wrote = fi, true
	return nil
}

// checkOwnedLocked says whether the path holds nothing or what plink may
// replace.
func (r *ReadyFile) checkOwnedLocked() error {
	fi, err := os.Lstat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.owned != nil && sameFile(fi, r.owned) {
		return nil
	}
	return fmt.Errorf("the path now holds %s that plink did not write; not replacing it", pathkind.Describe(fi.Mode()))
}

// Remove deletes the ready file if the path still holds the file plink
// wrote; it leaves anything else alone.
func (r *ReadyFile) Remove() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	owned := r.owned
	r.owned = nil
	if owned == nil || !r.wrote {
		return nil
	}
	fi, err := os.Lstat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ready file %s: %w", r.path, err)
	}
	if !sameFile(fi, owned) {
		return fmt.Errorf("ready file %s: the path now holds %s that plink did not write; leaving it", r.path, pathkind.Describe(fi.Mode()))
	}
	if err := os.Remove(r.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ready file %s: %w", r.path, err)
	}
	return nil
}

// sameFile reports whether a and b describe the same file in the same
// state: same inode (which a file system may reuse for a new file once
// plink's is deleted), size and modification time.
func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// readyPID reads the "pid" of a ready file; ok is false when path does
// not hold a JSON object with a positive pid (at most 1 MiB is read).
func readyPID(path string) (pid int, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return 0, false
	}
	var v struct {
		PID *int `json:"pid"`
	}
	if json.Unmarshal(b, &v) != nil || v.PID == nil || *v.PID <= 0 {
		return 0, false
	}
	return *v.PID, true
}

// processAlive reports whether another process with this PID exists. Our
// own PID in a file we have not written yet is a previous process's (in a
// container, serve may well get the same PID on every start).
func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
