package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// TestReadOnlyFileSystem: a store on a read-only file system (a read-only
// bind mount in a mount namespace of its own) serves reads, and refuses
// writes with a *ReadOnlyError. Both a store closed cleanly (no -wal or
// -shm file) and one left with its WAL (a crash) are read in full.
func TestReadOnlyFileSystem(t *testing.T) {
	if os.Getenv(roChildEnv) != "" {
		t.Skip("child")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for a mount namespace")
	}
	ctx := context.Background()
	for _, crashed := range []bool{false, true} {
		t.Run("crashed="+strconv.FormatBool(crashed), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ro#1.db")
			st := cpOpen(t, path)
			if err := cpInsertEvents(ctx, st, "a", 3); err != nil {
				t.Fatal(err)
			}
			if crashed {
				// Keep the last writes in the WAL and copy the files as a
				// killed process would leave them.
				if _, err := st.DB().Exec("PRAGMA wal_autocheckpoint = 0"); err != nil {
					t.Fatal(err)
				}
				if err := cpInsertEvents(ctx, st, "b", 2); err != nil {
					t.Fatal(err)
				}
				crash := t.TempDir()
				for _, suffix := range []string{"", "-wal", "-shm"} {
					b, err := os.ReadFile(path + suffix)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(crash, "ro#1.db"+suffix), b, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				st.Close()
				dir, path = crash, filepath.Join(crash, "ro#1.db")
			} else {
				st.Close()
			}
			want := 3
			if crashed {
				want = 5
			}
			runROChild(t, path, want, &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}, "mount")
		})
	}
}

// mountReadOnly binds dir read-only onto itself (in the child's own mount
// namespace).
func mountReadOnly(t *testing.T, dir string) {
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o600); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("the bind mount is not read-only: %v", err)
	}
}
