package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// OpenReadOnly opens the store at path for reading only, for callers that
// must never change it, not even by creating it or bringing its schema up
// to date (shell completion runs on every Tab): a missing file is an error
// (errors.Is fs.ErrNotExist), and so is a schema other than this binary's.
// Nothing is created: no file, directory, -wal or lock; a store with no
// -wal file is read as it is (immutable), as Open reads a store it cannot
// write.
//
// A PostgreSQL store (IsPostgres) is connected to, and only read.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if IsPostgres(path) {
		return openPostgresReadOnly(ctx, path)
	}
	abs, err := absPath(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", fileURI(abs, dsnParams+"&"+readOnlyParams(abs)))
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", abs, err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: abs, readOnly: &ReadOnlyError{Path: abs, Reason: errOpenedReadOnly}}
	ms, err := loadMigrations()
	if err != nil {
		db.Close()
		return nil, err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening store %s: %w", abs, err)
	}
	if latest := ms[len(ms)-1].n; v != latest {
		db.Close()
		return nil, fmt.Errorf("opening store %s read-only: schema version %d, this plink's is %d", abs, v, latest)
	}
	return s, nil
}

// errOpenedReadOnly is why a store from OpenReadOnly cannot be written.
var errOpenedReadOnly = fmt.Errorf("opened read-only")
