package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/plink-dev/plink/internal/store"
)

// StoreLock is the exclusive lock one `plink serve` holds on its store:
// an flock(2) on "<store>.serve.lock", which holds the holder's PID. The
// kernel releases it when the process ends, however it ends (kill -9
// included), so a stale lock never blocks. The file itself stays.
type StoreLock struct {
	f    *os.File
	path string
}

// LockPath is the lock file of the store at storePath.
func LockPath(storePath string) string { return storePath + ".serve.lock" }

// AddrStatePath is where serve records the addresses it put on lo for the
// store at storePath.
func AddrStatePath(storePath string) string { return storePath + ".serve.addrs" }

// LockStore takes the serve lock of the store at storePath, or fails with
// an error naming the process that holds it.
func LockStore(storePath string) (*StoreLock, error) {
	path := LockPath(storePath)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking store %s: %w", storePath, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("locking store %s: %s is not a regular file", storePath, path)
	}
	if err := flock(f); err != nil {
		holder := "another process"
		if b, rerr := io.ReadAll(io.LimitReader(f, 64)); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
				holder = fmt.Sprintf("process %d", pid)
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockHeldError{Store: storePath, Lock: path, Holder: holder}
		}
		return nil, fmt.Errorf("locking store %s: %w", storePath, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &StoreLock{f: f, path: path}, nil
}

// LockHeldError is LockStore's answer when another process serves the
// store. Other LockStore errors mean the lock could not be taken at all
// (a read-only directory, for one).
type LockHeldError struct {
	Store, Lock string
	Holder      string // "process 1234", or "another process"
}

func (e *LockHeldError) Error() string {
	return fmt.Sprintf("store %s is already served by plink serve (%s holds %s): "+
		"stop that one first, or give this one another store (--db)", e.Store, e.Holder, e.Lock)
}

// Close releases the lock.
func (l *StoreLock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close() // releases the flock
	l.f = nil
	return err
}

func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// LockHolder tells, without taking it, whether a plink serve holds the
// lock of the store at storePath, and who ("process 1234", or "another
// process" when the lock file names none). It creates nothing: a missing
// lock file means no serve.
func LockHolder(storePath string) (holder string, held bool, err error) {
	f, err := os.OpenFile(LockPath(storePath), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	// A shared lock is refused while serve holds its exclusive one.
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return "", false, nil
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		return "", false, err
	}
	holder = "another process"
	if b, rerr := io.ReadAll(io.LimitReader(f, 64)); rerr == nil {
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
			holder = fmt.Sprintf("process %d", pid)
		}
	}
	return holder, true, nil
}

// LocalStorePath is the path serve's lock and address files go beside:
// the store's own file, or for a PostgreSQL store a name in stateDir (the
// directory of plink's default store) that stands for its database (a
// digest of the URL without the password), so that one serve per host and
// database holds the lock.
func LocalStorePath(db, stateDir string) string {
	if !store.IsPostgres(db) {
		return db
	}
	sum := sha256.Sum256([]byte(store.DisplayName(db)))
	return filepath.Join(stateDir, "postgres-"+hex.EncodeToString(sum[:8]))
}
