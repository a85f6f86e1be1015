// Package store keeps plink's state in one SQLite file (modernc.org/sqlite,
// pure Go): WAL, a busy timeout, BEGIN IMMEDIATE for writes and foreign keys
// on every pooled connection, embedded numbered migrations, typed queries,
// a change counter for `plink serve`, and the snapshot serve runs from.
// Any path names exactly its file (see fileURI); a store this process may
// not write is opened read-only, and one a later plink migrated is refused.
//
// A name that begins with postgres:// or postgresql:// is a PostgreSQL
// database instead (postgres.go): the same SQL and migrations, the dialect
// differences kept there. Queries use ? placeholders (or ?N) and portable
// SQL (ON CONFLICT, RETURNING, no SQLite functions); migrations are
// written for SQLite with the types INTEGER, TEXT and BLOB and INTEGER
// PRIMARY KEY AUTOINCREMENT, which pgDDL translates. A new migration is a
// new numbered file, run on both backends by TestOpenSchema.
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

	"modernc.org/sqlite" // the "sqlite" driver, and its *Error
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an open plink database.
type Store struct {
	db       *sql.DB
	path     string   // the file, or the PostgreSQL URL without its password
	pg       *pgState // nil for SQLite
	readOnly error    // why the store cannot be written; nil when it can
}

// ErrReadOnly matches (errors.Is) the error of a write to a read-only store.
var ErrReadOnly = errors.New("store is read-only")

// ReadOnlyError is the error of a write to a store that cannot be written
// (a read-only file or file system): reads work, writes fail with it.
type ReadOnlyError struct {
	Path   string
	Reason error // why, e.g. permission denied
}

func (e *ReadOnlyError) Error() string {
	if e.Reason == nil {
		return fmt.Sprintf("store %s is read-only", e.Path)
	}
	return fmt.Sprintf("store %s is read-only: %v", e.Path, e.Reason)
}

// Is makes errors.Is(err, ErrReadOnly) true.
func (e *ReadOnlyError) Is(target error) bool { return target == ErrReadOnly }

// SchemaTooNewError is the error of opening a store that a later plink has
// migrated past the last migration this binary knows.
type SchemaTooNewError struct {
	Path           string
	Version, Known int
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("store %s has schema version %d, this plink knows up to %d: upgrade plink", e.Path, e.Version, e.Known)
}

// dsnParams are the query parameters of every connection: the modernc
// driver runs the _pragma list on each new pooled connection.
const dsnParams = "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// Open opens the store in the file at path, exactly that file whatever
// characters its name holds. A missing file is created with mode 0600, and
// its missing directories with 0700. Open brings the schema up to date, and
// refuses a store whose schema is newer than this binary's. A store that
// cannot be written (a read-only file or file system) is opened read-only
// when its schema is current: reads work and writes fail with a
// *ReadOnlyError.
//
// A path that begins with postgres:// or postgresql:// is not a file: it
// names a PostgreSQL database (see IsPostgres and openPostgres).
func Open(ctx context.Context, path string) (*Store, error) {
	if IsPostgres(path) {
		return openPostgres(ctx, path)
	}
	abs, err := absPath(path)
	if err != nil {
		return nil, err
	}
	roReason, err := prepareFile(abs)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", abs, err)
	}
	params := dsnParams
	if roReason != nil {
		params += "&" + readOnlyParams(abs)
	}
	db, err := sql.Open("sqlite", fileURI(abs, params))
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", abs, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, path: abs}
	if roReason != nil {
		s.readOnly = &ReadOnlyError{Path: abs, Reason: roReason}
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		var tooNew *SchemaTooNewError
		if errors.As(err, &tooNew) {
			return nil, err
		}
		return nil, fmt.Errorf("opening store %s: %w", abs, err)
	}
	return s, nil
}

// readOnlyParams are the URI parameters that open the store at path when
// it cannot be written.
//
// SQLite reads a WAL database through its -wal and -shm files, and makes
// them when they are missing; a read-only file system (or a directory this
// user may not write) cannot have them made, and files made beside a file
// of mode 0400 would be read-only too and later refuse the owner's writes.
// So when there is no -wal file, as after the last connection closed
// cleanly, every committed transaction is in the database file itself, and
// it is opened immutable=1: read as it is, with no lock and no other file.
// (Nothing can write the file through this path; a writer that could by
// another way, through a writable mount or after a chmod, must not while a
// reader is open, as SQLite then no longer sees its changes.) When
// a -wal file is there (a writer is running, or one was killed) the store
// is opened mode=ro, and SQLite reads the WAL through the -shm file, which
// must exist or be creatable.
func readOnlyParams(path string) string {
	if _, err := os.Lstat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		return "immutable=1"
	}
	return "mode=ro"
}

// Path is the absolute path of the file the store lives in, or the URL of
// its PostgreSQL database without the password.
func (s *Store) Path() string { return s.path }

// ReadOnly returns a *ReadOnlyError when the store cannot be written, and
// nil when it can.
func (s *Store) ReadOnly() error { return s.readOnly }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the handle for tests and benchmarks.
func (s *Store) DB() *sql.DB { return s.db }

// SchemaVersion is the number of the last migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	if s.pg != nil {
		return s.pgSchemaVersion(ctx, s.db)
	}
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// currentVersion reads the schema version for migrate. A new file being
// switched to WAL by another process answers SQLITE_BUSY at once rather
// than after the busy timeout, so the read is retried as a write would be.
func (s *Store) currentVersion(ctx context.Context) (int, error) {
	var v int
	err := retryBusy(ctx, func() error {
		var err error
		v, err = s.SchemaVersion(ctx)
		return err
	})
	return v, err
}

type migration struct {
	n    int
	name string
	body string
}

// loadMigrations returns the embedded migrations in order.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []migration
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{n: n, name: name, body: string(body)})
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return ms, nil
}

// migrate applies the migrations the store lacks. A store already current
// is only read: opening it takes no write lock, so a read-only store opens.
func (s *Store) migrate(ctx context.Context) error {
	if s.pg != nil {
		return s.pgMigrate(ctx)
	}
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].n
	cur, err := s.currentVersion(ctx)
	if err != nil {
		return err
	}
	if cur > latest {
		return &SchemaTooNewError{Path: s.path, Version: cur, Known: latest}
	}
	if cur == latest {
		return nil
	}
	if s.readOnly != nil {
		return fmt.Errorf("schema version %d needs upgrading to %d, and %w", cur, latest, s.readOnly)
	}
	for _, m := range ms {
		if m.n <= cur {
			continue
		}
		// Each migration runs in its own BEGIN IMMEDIATE transaction, which
		// also serialises two processes migrating a new file at once.
		err = s.Write(ctx, func(tx *Tx) error {
			var cur int
			if err := tx.tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
				return err
			}
			if cur >= m.n {
				return nil
			}
			if _, err := tx.tx.ExecContext(ctx, m.body); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.n))
			return err
		})
		if err != nil {
			return err
		}
	}
	// A newer plink may have migrated the store meanwhile.
	if cur, err = s.currentVersion(ctx); err != nil {
		return err
	}
	if cur > latest {
		return &SchemaTooNewError{Path: s.path, Version: cur, Known: latest}
	}
	return nil
}

// Tx is one transaction; the typed queries hang off it. Queries are
// written with SQLite's ? placeholders; on PostgreSQL they are rebound.
type Tx struct {
	tx      querier
	ctx     context.Context
	pg      bool
	write   bool
	changed bool // a statement moved the revision
	quiet   bool // a statement changed what moves no revision (execQuiet)

	// What the statements changed, for the change log (changelog.go).
	sections     section
	allEndpoints bool
	epKey        string          // the endpoint the statements now run for
	epKeys       map[string]bool // the endpoints changed, unless allEndpoints
}

// Write runs fn in one BEGIN IMMEDIATE transaction and commits it when fn
// returns nil; any error rolls everything back, so a refused command leaves
// the store unchanged. A write that changed anything bumps the change
// counter serve watches.
//
// On PostgreSQL fn runs alone, after the writers before it committed, and
// once; only a distributed PostgreSQL-compatible database may make it run
// again after a serialization failure, so fn should not keep state across
// runs.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, true, fn)
}

// Read runs fn in a read transaction (one consistent view).
func (s *Store) Read(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, false, fn)
}

func (s *Store) run(ctx context.Context, write bool, fn func(*Tx) error) error {
	if s.pg != nil {
		return s.pgRun(ctx, write, fn)
	}
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
	if s.readOnly != nil {
		return s.readOnly
	}
	sqlTx, err := s.beginWrite(ctx)
	if err != nil {
		return s.writeErr(fmt.Errorf("beginning transaction: %w", err))
	}
	tx := &Tx{tx: sqlTx, ctx: ctx, write: true}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return s.writeErr(err)
	}
	if tx.changed {
		var rev int64
		if err := sqlTx.QueryRowContext(ctx, "UPDATE revision SET rev = rev + 1 WHERE id = 1 RETURNING rev").Scan(&rev); err != nil {
			sqlTx.Rollback()
			return s.writeErr(err)
		}
		if err := tx.logChange(ctx, sqlTx, rev); err != nil {
			sqlTx.Rollback()
			return s.writeErr(err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return s.writeErr(fmt.Errorf("committing: %w", err))
	}
	return nil
}

// writeErr turns SQLite's refusal to write (the file or its directory
// became read-only after Open) into a *ReadOnlyError.
func (s *Store) writeErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_READONLY {
		return &ReadOnlyError{Path: s.path, Reason: err}
	}
	return err
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

// retryBusy runs fn again while it fails with a passing lock (isBusy), up
// to busyWait.
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

// isBusy says whether err is a lock another connection holds for now:
// SQLITE_BUSY, or SQLITE_PROTOCOL, which SQLite answers when a WAL lock
// race (another process opening or recovering the WAL at that moment)
// outlasted its own few retries. Both pass; neither is the caller's fault.
func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "SQLITE_PROTOCOL") || strings.Contains(msg, "locking protocol")
}

// Revision is the change counter: it moves whenever a committed write
// changed anything serve cares about. It is one indexed row, cheap to poll.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	if s.pg != nil {
		return s.pgRevision(ctx)
	}
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
	t.noteChange(query)
	return t.tx.ExecContext(t.ctx, t.sql(query), args...)
}

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, t.sql(query), args...)
}

func (t *Tx) queryRow(query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, t.sql(query), args...)
}

// sql is query in the dialect of t's database.
func (t *Tx) sql(query string) string {
	if t.pg {
		return rebind(query)
	}
	return query
}

// SQL is query, written with SQLite's ? placeholders, in the dialect of
// the store's database: for tests and benchmarks that query DB directly.
func (s *Store) SQL(query string) string {
	if s.pg != nil {
		return rebind(query)
	}
	return query
}

// Tables lists the store's tables by name (sqlite_master on SQLite, the
// current schema's tables on PostgreSQL), for tests that compare contents.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
	if s.pg != nil {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
			AND table_type = 'BASE TABLE' ORDER BY table_name COLLATE "C"`
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
