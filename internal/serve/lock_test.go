package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockStore(t *testing.T) {
	store := filepath.Join(t.TempDir(), "plink.db")
	l, err := LockStore(store)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to an open file: a second open conflicts even
	// in the same process.
	_, err = LockStore(store)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) ||
		!strings.Contains(err.Error(), "already served") {
		t.Fatalf("second LockStore = %v, want an error naming process %d", err, os.Getpid())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockStore(store)
	if err != nil {
		t.Fatalf("LockStore after Close: %v", err)
	}
	l2.Close()
}

func TestLockStoreRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "plink.db")
	target := filepath.Join(dir, "victim")
	os.WriteFile(target, []byte("keep\n"), 0o644)
	os.Symlink(target, LockPath(store))
	if l, err := LockStore(store); err == nil {
		l.Close()
		t.Fatal("LockStore followed a symlink")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Errorf("symlink target now %q", b)
	}
}

func TestLockHolder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "plink.db")
	if _, held, err := LockHolder(db); held || err != nil {
		t.Fatalf("no lock file: held %v, %v", held, err)
	}
	if _, err := os.Stat(LockPath(db)); !os.IsNotExist(err) {
		t.Fatalf("LockHolder created the lock file: %v", err)
	}
	l, err := LockStore(db)
	if err != nil {
		t.Fatal(err)
	}
	holder, held, err := LockHolder(db)
	// flock locks belong to the open file description: another open of
	// the file in this process conflicts as another process's would.
	if !held || err != nil || holder != fmt.Sprintf("process %d", os.Getpid()) {
		t.Fatalf("LockHolder = %q, %v, %v", holder, held, err)
	}
	l.Close()
	if _, held, _ := LockHolder(db); held {
		t.Fatal("held after Close")
	}
}
