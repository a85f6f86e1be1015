package store_test

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/store"
)

// tree lists every file and directory under root (relative, with '/'),
// with its permission bits.
func tree(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	got := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		got[filepath.ToSlash(rel)] = fi.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// storePathNames are file names that are URI syntax, or look like it.
var storePathNames = []string{
	"proj#1/plink.db",
	"c%20d",
	"m?mode=memory&x=",
	"x&mode=memory",
	"a?b#c%",
	"with space/plink db",
	"ünïcødé/日本.db",
	"%",
	"?",
	"#",
	"%zz",
	"%00x",
	"file:x",
	":memory:",
	"..%2F..%2Fescape",
	"q?vfs=unix-none",
	"semi;colon=eq+plus,comma",
	"tab\tand\nnewline",
	"back\\slash",
	"'quote\"",
}

// TestOpenExactPath opens, writes and reopens stores whose paths hold URI
// syntax: exactly the named file must be created, with the data in it, and
// nothing else.
func TestOpenExactPath(t *testing.T) {
	ctx := context.Background()
	// Each store has a directory of its own under one whose name holds no
	// URI syntax (a subtest's t.TempDir would take the '#' of its name), so
	// that a path cut short at '#' or '?' still lands where tree sees it.
	top := t.TempDir()
	for i, name := range storePathNames {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(top, strconv.Itoa(i))
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name)
			st, err := store.Open(ctx, path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if st.Path() != path {
				t.Errorf("Path() = %q, want %q", st.Path(), path)
			}
			if err := cpInsertEvents(ctx, st, "a", 1); err != nil {
				t.Fatal(err)
			}
			st.Close()

			want := map[string]fs.FileMode{filepath.ToSlash(name): 0o600}
			for d := filepath.Dir(name); d != "."; d = filepath.Dir(d) {
				want[filepath.ToSlash(d)] = fs.ModeDir | 0o700
			}
			got := tree(t, dir)
			if len(got) != len(want) {
				t.Errorf("files after Open+write+Close:\n got %v\nwant %v", got, want)
			}
			for p, m := range want {
				if got[p] != m {
					t.Errorf("%q: mode %v, want %v (all: %v)", p, got[p], m, got)
				}
			}

			st = cpOpen(t, path)
			if n := cpCountEvents(t, st); n != 1 {
				t.Errorf("reopened store has %d events, want 1", n)
			}
		})
	}
}

// TestOpenRelativePath makes the path absolute.
func TestOpenRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	st := cpOpen(t, "rel#1.db")
	if want := filepath.Join(dir, "rel#1.db"); st.Path() != want {
		t.Errorf("Path() = %q, want %q", st.Path(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "rel#1.db")); err != nil {
		t.Error(err)
	}
}

// TestOpenDotDotAfterSymlink: "link/../plink.db" is, to the kernel (and
// SQLite), the file beside the link's target, not beside the link: the
// store must be that file, not the one a lexical Clean of the path names.
func TestOpenDotDotAfterSymlink(t *testing.T) {
	top := t.TempDir()
	for _, d := range []string{"real/sub", "other"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(top, "real/sub"), filepath.Join(top, "other/link")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		top + "/other/link/../plink.db", // not filepath.Join: it would clean the ..
		"link/../plink.db",              // relative, from other/
	} {
		t.Run(path, func(t *testing.T) {
			t.Chdir(filepath.Join(top, "other"))
			realTop, err := filepath.EvalSymlinks(top)
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(realTop, "real/plink.db")
			os.Remove(want)
			st := cpOpen(t, path)
			if st.Path() != want {
				t.Errorf("Path() = %q, want %q", st.Path(), want)
			}
			if err := cpInsertEvents(context.Background(), st, "a", 1); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(want); err != nil {
				t.Errorf("the store is not the file the path names: %v", err)
			}
			if _, err := os.Stat(filepath.Join(top, "other/plink.db")); err == nil {
				t.Errorf("Open wrote %s, a file the path does not name", filepath.Join(top, "other/plink.db"))
			}
		})
	}
	// A missing directory after ".." cannot be resolved: refused, nothing made.
	if st, err := store.Open(context.Background(), top+"/other/link/../missing/plink.db"); err == nil {
		st.Close()
		t.Error("a missing directory after a symbolic link and .. was accepted")
	}
	if _, err := os.Stat(filepath.Join(top, "other/missing")); err == nil {
		t.Error("Open made a directory the path does not name")
	}
}

// TestOpenDirectorySyntax: a path that can only name a directory ("x/",
// "x/.", "x/..") is refused, and no file is made where the directory would
// be.
func TestOpenDirectorySyntax(t *testing.T) {
	top := t.TempDir()
	for _, path := range []string{top + "/x/", top + "/y/.", top + "/z/..", top + "/w//"} {
		if st, err := store.Open(context.Background(), path); err == nil {
			st.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
	if got := tree(t, top); len(got) != 0 {
		t.Errorf("files made: %v", got)
	}
}

// TestOpenModes: the file is 0600, the directories plink creates 0700, the
// -wal and -shm files are not readable by others, whatever the umask; an
// existing directory keeps its mode.
func TestOpenModes(t *testing.T) {
	for _, umask := range []int{0, 0o022, 0o277} {
		t.Run(strconv.FormatInt(int64(umask), 8), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			st := cpOpen(t, filepath.Join(dir, "a", "b", "plink.db"))
			if err := cpInsertEvents(context.Background(), st, "a", 1); err != nil {
				t.Fatal(err)
			}
			got := tree(t, dir) // while open: the -wal and -shm files exist
			want := map[string]fs.FileMode{
				"a":                fs.ModeDir | 0o700,
				"a/b":              fs.ModeDir | 0o700,
				"a/b/plink.db":     0o600,
				"a/b/plink.db-wal": 0o600,
				"a/b/plink.db-shm": 0o600,
			}
			for p, m := range want {
				if got[p] != m {
					t.Errorf("%s: mode %v, want %v", p, got[p], m)
				}
			}
			if len(got) != len(want) {
				t.Errorf("files: %v", got)
			}
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("existing directory's mode changed: %v %v", fi.Mode(), err)
			}
		})
	}
}

// TestOpenRefusesNonFiles: a directory, a device, a pipe or an empty path
// cannot hold a store; the error names the path and what is there.
func TestOpenRefusesNonFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "missing", "x.db"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{dir, dir + " is a directory"},
		{"/dev/null", "/dev/null is a character device"},
		{fifo, fifo + " is a named pipe"},
		{dangling, dangling + " is a symbolic link to a missing file"},
		{"", "empty"},
		{dir + "/nul\x00byte", "NUL"},
		{"/dev/null/plink.db", "not a directory"},
	} {
		st, err := store.Open(context.Background(), c.path)
		if err == nil {
			st.Close()
			t.Errorf("Open(%q) succeeded", c.path)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q): %v, want it to say %q", c.path, err, c.want)
		}
	}
	if got := tree(t, dir); len(got) != 2 {
		t.Errorf("files left behind: %v", got)
	}
}

// TestSchemaTooNew: a store a later plink migrated is refused, naming both
// versions, and left as it was.
func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "plink.db")
	st := cpOpen(t, path)
	known, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before, _ := os.ReadFile(path)

	st, err = store.Open(ctx, path)
	if err == nil {
		st.Close()
		t.Fatal("Open of a store with schema version 99 succeeded")
	}
	var tooNew *store.SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Version != 99 || tooNew.Known != known {
		t.Errorf("error %#v, want a SchemaTooNewError 99 > %d", err, known)
	}
	want := "store " + path + " has schema version 99, this plink knows up to " + strconv.Itoa(known) + ": upgrade plink"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if after, _ := os.ReadFile(path); !slices.Equal(before, after) {
		t.Errorf("the refused store was modified")
	}
}

// roChildEnv names the store a TestReadOnlyChild runs against.
const roChildEnv = "STORE_RO_CHILD"

// TestReadOnlyFile: a store that a user who is not root may not write (a
// file of mode 0400, or a directory where SQLite cannot make the -wal
// file) serves that user's reads and refuses their writes.
func TestReadOnlyFile(t *testing.T) {
	if os.Getenv(roChildEnv) != "" {
		t.Skip("child")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the child as another user")
	}
	const nobody = 65534
	ctx := context.Background()
	for _, c := range []struct {
		name        string
		mode        fs.FileMode
		dirWritable bool
	}{
		{"file 0400", 0o400, true},
		{"file 0400, directory not writable", 0o400, false},
		{"file 0600, directory not writable", 0o600, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			top := t.TempDir()
			dir := filepath.Join(top, "d")
			path := filepath.Join(dir, "ro.db")
			st := cpOpen(t, path)
			if err := cpInsertEvents(ctx, st, "a", 3); err != nil {
				t.Fatal(err)
			}
			st.Close()
			// The test binary and the store must be reachable by nobody.
			bin := filepath.Join(top, "store.test")
			copyFile(t, os.Args[0], bin, 0o755)
			for _, d := range []string{filepath.Dir(top), top} {
				if err := os.Chmod(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chown(path, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, c.mode); err != nil {
				t.Fatal(err)
			}
			if c.dirWritable {
				if err := os.Chown(dir, nobody, nobody); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			before := tree(t, dir)
			attr := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
			runROChildBin(t, bin, path, 3, attr, "")
			// Reading made no file (a -wal or -shm of mode 0400 would later
			// refuse the owner's writes).
			if after := tree(t, dir); !maps.Equal(before, after) {
				t.Errorf("reading a read-only store changed its directory:\n%v\nwas %v", after, before)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string, mode fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

func runROChild(t *testing.T, path string, want int, attr *syscall.SysProcAttr, mode string) {
	t.Helper()
	runROChildBin(t, os.Args[0], path, want, attr, mode)
}

// runROChildBin runs TestReadOnlyChild in bin against the store at path.
func runROChildBin(t *testing.T, bin, path string, want int, attr *syscall.SysProcAttr, mode string) {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^TestReadOnlyChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), roChildEnv+"="+path, "STORE_RO_WANT="+strconv.Itoa(want), "STORE_RO_MODE="+mode)
	cmd.SysProcAttr = attr
	out, err := cmd.CombinedOutput()
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
			t.Skipf("cannot start the child (%v): no namespaces here", err)
		}
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestReadOnlyChild") {
		t.Fatalf("child did not run:\n%s", out)
	}
}

// TestReadOnlyChild is the child of TestReadOnlyFileSystem and
// TestReadOnlyFile: it reads the store and tries to write it.
func TestReadOnlyChild(t *testing.T) {
	path := os.Getenv(roChildEnv)
	if path == "" {
		t.Skip("run by TestReadOnlyFileSystem and TestReadOnlyFile")
	}
	dir := filepath.Dir(path)
	if os.Getenv("STORE_RO_MODE") == "mount" {
		mountReadOnly(t, dir)
	}
	want, _ := strconv.Atoi(os.Getenv("STORE_RO_WANT"))
	ctx := context.Background()
	for round := 0; round < 2; round++ { // and again, after a first clean close
		st, err := store.Open(ctx, path)
		if err != nil {
			t.Fatalf("Open read-only store: %v", err)
		}
		if st.ReadOnly() == nil {
			t.Errorf("ReadOnly() = nil")
		}
		var n int
		if err := st.Read(ctx, func(tx *store.Tx) error {
			return st.DB().QueryRowContext(ctx, "SELECT count(*) FROM events WHERE type = 'Test'").Scan(&n)
		}); err != nil {
			t.Fatalf("read: %v", err)
		}
		if n != want {
			t.Errorf("round %d: %d events, want %d", round, n, want)
		}
		err = cpInsertEvents(ctx, st, "w", 1)
		if !errors.Is(err, store.ErrReadOnly) || !strings.Contains(err.Error(), "store "+path+" is read-only") {
			t.Errorf("write to a read-only store: %v, want %q", err, "store "+path+" is read-only")
		}
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

// TestOpenTakesNoWriteLock: opening a store whose schema is current only
// reads, so it does not wait for a writer (nor need the right to write).
func TestOpenTakesNoWriteLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plink.db")
	writer := cpOpen(t, path)
	ctx := context.Background()
	conn, err := writer.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")

	// The bound only keeps a broken Open from waiting out the busy timeout.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open while another connection holds the write lock: %v", err)
	}
	st.Close()
}
