package serve

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return cmd.Process.Pid
}

func TestClaimReadyFileRefuses(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	os.WriteFile(other, []byte("keep me\n"), 0o644)
	tests := []struct {
		name  string
		setup func(path string)
		want  string
	}{
		{"directory", func(p string) { os.Mkdir(p, 0o755) }, "is a directory"},
		{"symlink", func(p string) { os.Symlink(other, p) }, "is a symbolic link"},
		{"named pipe", func(p string) { syscall.Mkfifo(p, 0o644) }, "is a named pipe"},
		{"regular file", func(p string) { os.WriteFile(p, []byte("precious\n"), 0o644) }, "not a ready file of plink"},
		{"JSON without pid", func(p string) { os.WriteFile(p, []byte(`{"listeners":[]}`), 0o644) }, "not a ready file of plink"},
		{"live ready file", func(p string) {
			b, _ := json.Marshal(map[string]any{"pid": os.Getppid()})
			os.WriteFile(p, b, 0o644)
		}, "still running"},
		{"missing directory", func(string) {}, "no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if tc.name == "missing directory" {
				path = filepath.Join(dir, "nope", "ready.json")
			}
			tc.setup(path)
			before, _ := os.Lstat(path)
			_, err := ClaimReadyFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("ClaimReadyFile = %v, want an error naming %s and saying %q", err, path, tc.want)
			}
			if after, _ := os.Lstat(path); before != nil && (after == nil || !os.SameFile(before, after)) {
				t.Errorf("the refused path was changed")
			}
		})
	}
	if b, _ := os.ReadFile(other); string(b) != "keep me\n" {
		t.Errorf("symlink target changed: %q", b)
	}
}

func TestClaimReadyFileCharDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mknod needs root")
	}
	path := filepath.Join(t.TempDir(), "null")
	if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("mknod: %v", err)
	}
	if _, err := ClaimReadyFile(path); err == nil || !strings.Contains(err.Error(), "character device") {
		t.Fatalf("ClaimReadyFile(char device) = %v", err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("the device node is gone or changed: %v %v", fi, err)
	}
}

func TestReadyFileLifecycle(t *testing.T) {
	dir := t.TempDir()
	t.Run("new path: write, rewrite, remove", func(t *testing.T) {
		path := filepath.Join(dir, "new.json")
		r, err := ClaimReadyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := r.Write(map[string]int{"pid": os.Getpid(), "n": i}); err != nil {
				t.Fatal(err)
			}
		}
		if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"n": 1`) {
			t.Errorf("ready file %q", b)
		}
		if err := r.Remove(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("ready file still there: %v", err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("left behind: %v", ents)
		}
	})
	t.Run("stale ready file of a dead process is replaced", func(t *testing.T) {
		path := filepath.Join(dir, "stale.json")
		b, _ := json.Marshal(map[string]any{"pid": deadPID(t), "listeners": []string{}})
		os.WriteFile(path, b, 0o644)
		r, err := ClaimReadyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Write(map[string]int{"pid": os.Getpid()}); err != nil {
			t.Fatal(err)
		}
		if err := r.Remove(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("our own PID in a file we did not write is stale", func(t *testing.T) {
		// A container restarted after kill -9 runs serve under the same PID.
		path := filepath.Join(dir, "same-pid.json")
		b, _ := json.Marshal(map[string]any{"pid": os.Getpid()})
		os.WriteFile(path, b, 0o644)
		r, err := ClaimReadyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r.Remove()
	})
	t.Run("empty file from mktemp is taken", func(t *testing.T) {
		f, err := os.CreateTemp(dir, "mktemp.*")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		r, err := ClaimReadyFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Write(map[string]int{"pid": os.Getpid()}); err != nil {
			t.Fatal(err)
		}
		if err := r.Remove(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("claimed, never written: left as it was", func(t *testing.T) {
		// serve failed at start: the script's mktemp file is not plink's
		// to remove.
		f, err := os.CreateTemp(dir, "mktemp.*")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		r, err := ClaimReadyFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Remove(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(f.Name()); err != nil {
			t.Errorf("the empty file plink claimed but never wrote was removed: %v", err)
		}
		os.Remove(f.Name())
	})
	t.Run("replaced while running: not overwritten, not removed", func(t *testing.T) {
		path := filepath.Join(dir, "replaced.json")
		r, err := ClaimReadyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Write(map[string]int{"pid": os.Getpid()}); err != nil {
			t.Fatal(err)
		}
		os.Remove(path)
		os.WriteFile(path, []byte("user data\n"), 0o644)
		if err := r.Write(map[string]int{"pid": os.Getpid()}); err == nil {
			t.Errorf("Write over a file plink did not write succeeded")
		}
		if err := r.Remove(); err == nil {
			t.Errorf("Remove of a file plink did not write succeeded")
		}
		if b, _ := os.ReadFile(path); string(b) != "user data\n" {
			t.Errorf("user file now %q", b)
		}
		os.Remove(path)
		os.Mkdir(path, 0o755)
		if err := r.Remove(); err != nil {
			t.Errorf("second Remove: %v", err)
		}
		if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
			t.Errorf("directory put at the path is gone: %v", err)
		}
	})
}
