package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenReadOnly: a missing store is not created, an existing one is
// read, and nothing is written beside it.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "plink.db")
	if _, err := OpenReadOnly(ctx, path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenReadOnly of a missing store: %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenReadOnly made the directory: %v", err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadDir(filepath.Dir(path))
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Read(ctx, func(tx *Tx) error { _, err := tx.VPCs("", "", nil); return err }); err != nil {
		t.Fatalf("reading: %v", err)
	}
	if !errors.Is(ro.ReadOnly(), ErrReadOnly) {
		t.Errorf("ReadOnly() = %v, want a read-only error", ro.ReadOnly())
	}
	ro.Close()
	after, _ := os.ReadDir(filepath.Dir(path))
	if len(after) != len(before) {
		t.Errorf("files beside the store changed: %v -> %v", entryNames(before), entryNames(after))
	}
}

func entryNames(es []os.DirEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
