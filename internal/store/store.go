// Package store keeps plink's state in one SQLite file (modernc.org/sqlite,
// pure Go): WAL, a busy timeout, BEGIN IMMEDIATE for writes and foreign keys
// on every pooled connection, embedded numbered migrations, typed queries,
// a change counter for `plink serve`, and the snapshot serve runs from.
// The SQL is plain and portable so another backend can follow.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an open plink database.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens (creating if needed, mode 0600) the store at path and brings
// its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("opening store %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	f.Close()
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	return s, nil
}

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the handle for tests and benchmarks.
func (s *Store) DB() *sql.DB { return s.db }

// SchemaVersion is the number of the last migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		// Each migration runs in its own BEGIN IMMEDIATE transaction, which
		// also serialises two processes migrating a new file at once.
		err = s.Write(ctx, func(tx *Tx) error {
			var cur int
			if err := tx.tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
				return err
			}
			if cur >= n {
				return nil
			}
			if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			_, err := tx.tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Tx is one transaction; the typed queries hang off it.
type Tx struct {
	tx      querier
	ctx     context.Context
	write   bool
	changed bool
}

// Write runs fn in one BEGIN IMMEDIATE transaction and commits it when fn
// returns nil; any error rolls everything back, so a refused command leaves
// the store unchanged. A write that changed anything bumps the change
// counter serve watches.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, true, fn)
}

// Read runs fn in a read transaction (one consistent view).
func (s *Store) Read(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, false, fn)
}

func (s *Store) run(ctx context.Context, write bool, fn func(*Tx) error) error {
	if !write {
		// Reads take no write lock: a deferred transaction on one pooled
		// connection (the DSN's _txlock=immediate applies to BeginTx only).
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("beginning read: %w", err)
		}
		defer conn.Close()
		if err := retryBusy(ctx, func() error {
			_, err := conn.ExecContext(ctx, "BEGIN DEFERRED")
			return err
		}); err != nil {
			return fmt.Errorf("beginning read: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fn(&Tx{tx: conn, ctx: ctx})
	}
	sqlTx, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	tx := &Tx{tx: sqlTx, ctx: ctx, write: true}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if tx.changed {
		if _, err := sqlTx.ExecContext(ctx, "UPDATE revision SET rev = rev + 1 WHERE id = 1"); err != nil {
			sqlTx.Rollback()
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// busyWait bounds how long a transaction waits for the database. SQLite's
// busy timeout covers most waits, but some it answers with SQLITE_BUSY at
// once (a new file switching to WAL while another process opens it, a WAL
// being recovered): those are retried here, with jittered backoff.
const busyWait = 15 * time.Second

// beginWrite starts a BEGIN IMMEDIATE transaction (the DSN's _txlock).
func (s *Store) beginWrite(ctx context.Context) (*sql.Tx, error) {
	var tx *sql.Tx
	err := retryBusy(ctx, func() error {
		var err error
		tx, err = s.db.BeginTx(ctx, nil)
		return err
	})
	return tx, err
}

// retryBusy runs fn again while it fails with SQLITE_BUSY, up to busyWait.
func retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(busyWait)
	backoff := time.Millisecond
	for {
		err := fn()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff + time.Duration(rand.Int64N(int64(backoff)))):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// Revision is the change counter: it moves whenever a committed write
// changed anything serve cares about. It is one indexed row, cheap to poll.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.db.QueryRowContext(ctx, "SELECT rev FROM revision WHERE id = 1").Scan(&rev)
	return rev, err
}

// querier is what *sql.Tx and *sql.Conn share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// exec runs a statement that changes state.
func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	if !t.write {
		return nil, errors.New("store: write in a read transaction")
	}
	t.changed = true
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, query, args...)
}

func (t *Tx) queryRow(query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, query, args...)
}
