package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL backend. It shares the SQLite backend's database/sql code
// (through pgx's stdlib driver) and its SQL: queries are written once with
// ? placeholders and rebound to $n here, and the migrations are SQLite DDL
// translated by pgDDL. What differs is isolated in this file:
//
//   - the schema version is a row in schema_version, not PRAGMA user_version;
//   - a write's first statement locks the revision row (an UPDATE that
//     leaves it as it was), so writers take turns as under SQLite's BEGIN
//     IMMEDIATE and a check-then-insert in the control layer cannot race.
//     Since the writers are serialised by that lock, the transaction is
//     READ COMMITTED: each statement after the lock sees every earlier
//     writer's commit, and a writer that waited simply goes on. (Under
//     SERIALIZABLE every writer that waited would fail with 40001 and
//     start again: 60 contended writes took 8.2 s instead of 0.6 s.) A
//     serialization failure or deadlock (40001, 40P01), which a database
//     that runs everything SERIALIZABLE may still return, retries the
//     transaction with backoff and never reaches the caller;
//   - a write that wrote anything sends NOTIFY plink_revision in the same
//     transaction, for the change feed (when the server has pg_notify:
//     PostgreSQL-compatible distributed databases may lack it, and then the
//     feed polls the revision).
//
// Nothing here needs advisory locks, LISTEN or any feature beyond plain
// transactions, row locks and identity columns, so the store also runs on
// PostgreSQL-compatible databases such as CockroachDB or YugabyteDB.

// IsPostgres reports whether the store name db selects PostgreSQL: it begins
// with postgres:// or postgresql:// (pgx's URL form). Anything else is a
// file path, however much it looks like a URL: "file:x", "http://h/x" and
// "./postgres://h/x" are files, as they always were.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// IsPostgres reports whether the store is a PostgreSQL database.
func (s *Store) IsPostgres() bool { return s.pg != nil }

// pgState is what a PostgreSQL store keeps beside its *sql.DB.
type pgState struct {
	config *pgx.ConnConfig // for the change feed's own LISTEN connection
	notify bool            // the server has pg_notify
}

// pgConnectTimeout bounds connecting when the URL sets no connect_timeout:
// an unreachable server fails a command in seconds, not minutes.
const pgConnectTimeout = 5 * time.Second

// newPostgres is a Store on the database at rawURL, not yet connected to,
// with at most maxConns connections.
func newPostgres(rawURL string, maxConns int) (*Store, error) {
	name := redactURL(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", name, err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetConnMaxIdleTime(time.Minute)
	return &Store{db: db, path: name, pg: &pgState{config: cfg}}, nil
}

// openPostgres opens the PostgreSQL database at rawURL, brings its schema
// up to date and refuses one a later plink migrated.
func openPostgres(ctx context.Context, rawURL string) (*Store, error) {
	s, err := newPostgres(rawURL, 4)
	if err != nil {
		return nil, err
	}
	db, name := s.db, s.path
	if err := s.pgMigrate(ctx); err != nil {
		db.Close()
		var tooNew *SchemaTooNewError
		if errors.As(err, &tooNew) {
			return nil, err
		}
		return nil, fmt.Errorf("opening store %s: %w", name, pgConnectHint(err))
	}
	s.pg.notify = s.pgHasNotify(ctx)
	return s, nil
}

// openPostgresReadOnly opens the database at rawURL for reading only: its
// schema must be this binary's, and nothing is migrated.
func openPostgresReadOnly(ctx context.Context, rawURL string) (*Store, error) {
	s, err := newPostgres(rawURL, 1)
	if err != nil {
		return nil, err
	}
	db, name := s.db, s.path
	s.readOnly = &ReadOnlyError{Path: name, Reason: errOpenedReadOnly}
	ms, err := loadMigrations()
	if err != nil {
		db.Close()
		return nil, err
	}
	v, err := s.pgSchemaVersion(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening store %s: %w", name, pgConnectHint(err))
	}
	if latest := ms[len(ms)-1].n; v != latest {
		db.Close()
		return nil, fmt.Errorf("opening store %s read-only: schema version %d, this plink's is %d", name, v, latest)
	}
	return s, nil
}

// DisplayName is the store name db as logs and errors may show it: a file
// path as it is, a PostgreSQL URL without its password.
func DisplayName(db string) string {
	if IsPostgres(db) {
		return redactURL(db)
	}
	return db
}

// pgConnectHint adds the remedy to an error of connecting to the server;
// other errors are returned as they are.
func pgConnectHint(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("cannot reach the PostgreSQL server (is it running, and is the URL right?): %w", err)
	}
	return err
}

// redactURL is rawURL as errors and Path show it: without a password, in
// the user part or a password= parameter.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Keep only the scheme: the rest may hold a password.
		return rawURL[:strings.Index(rawURL, "://")+3] + "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if q := u.Query(); q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// schemaVersionDDL creates the schema version row PRAGMA user_version is
// on SQLite. Two processes opening a new database at once may both create
// it: the loser's error (a duplicate key, type or table) is retried.
const schemaVersionDDL = `CREATE TABLE IF NOT EXISTS schema_version (
	id      INT PRIMARY KEY CHECK (id = 1),
	version BIGINT NOT NULL
);
INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING`

func (s *Store) pgSchemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "SELECT version FROM schema_version WHERE id = 1").Scan(&v)
	if pgCode(err) == "42P01" { // undefined_table: a new, empty database
		return 0, nil
	}
	return v, err
}

// pgMigrate applies the migrations the database lacks, each in its own
// transaction holding the schema_version row, so two processes migrating
// at once take turns and the second skips what the first applied.
func (s *Store) pgMigrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].n
	cur, err := s.pgSchemaVersion(ctx, s.db)
	if err != nil {
		return err
	}
	if cur > latest {
		return &SchemaTooNewError{Path: s.path, Version: cur, Known: latest}
	}
	if cur == latest {
		return nil
	}
	if err := pgRetry(ctx, func() error {
		_, err := s.db.ExecContext(ctx, schemaVersionDDL)
		return err
	}, "23505", "42P07", "42710"); err != nil {
		return fmt.Errorf("creating schema_version: %w", err)
	}
	for _, m := range ms {
		if m.n <= cur {
			continue
		}
		err := s.pgTx(ctx, "UPDATE schema_version SET version = version WHERE id = 1 RETURNING version", func(tx *sql.Tx, locked int64) error {
			if locked >= int64(m.n) {
				return nil
			}
			if _, err := tx.ExecContext(ctx, pgDDL(m.body)); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, "UPDATE schema_version SET version = $1 WHERE id = 1", m.n)
			return err
		})
		if err != nil {
			return err
		}
	}
	if cur, err = s.pgSchemaVersion(ctx, s.db); err != nil {
		return err
	}
	if cur > latest {
		return &SchemaTooNewError{Path: s.path, Version: cur, Known: latest}
	}
	return nil
}

// pgHasNotify reports whether the server has pg_notify, which the
// revision bump calls; without it the change feed polls.
func (s *Store) pgHasNotify(ctx context.Context) bool {
	var ok bool
	err := s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE proname = 'pg_notify')").Scan(&ok)
	return err == nil && ok
}

// pgRun is Read and Write on PostgreSQL: fn runs in one transaction,
// retried whole on a serialization failure or deadlock. A read is a
// REPEATABLE READ READ ONLY transaction (one consistent snapshot, never
// blocking a writer); a write is pgTx holding the revision row.
func (s *Store) pgRun(ctx context.Context, write bool, fn func(*Tx) error) error {
	if !write {
		return s.pgErr(pgRetry(ctx, func() error {
			tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
			if err != nil {
				return fmt.Errorf("beginning read: %w", err)
			}
			defer tx.Rollback()
			return fn(&Tx{tx: tx, ctx: ctx, pg: true})
		}))
	}
	if s.readOnly != nil {
		return s.readOnly
	}
	return s.pgErr(s.pgTx(ctx, "UPDATE revision SET rev = rev WHERE id = 1 RETURNING rev", func(sqlTx *sql.Tx, _ int64) error {
		tx := &Tx{tx: sqlTx, ctx: ctx, pg: true, write: true}
		if err := fn(tx); err != nil {
			return err
		}
		if !tx.changed && !tx.quiet {
			return nil
		}
		var rev int64
		q := "SELECT rev FROM revision WHERE id = 1"
		if tx.changed {
			q = "UPDATE revision SET rev = rev + 1 WHERE id = 1 RETURNING rev"
		}
		if err := sqlTx.QueryRowContext(ctx, q).Scan(&rev); err != nil {
			return err
		}
		if tx.changed {
			if err := tx.logChange(ctx, sqlTx, rev); err != nil {
				return err
			}
		}
		if s.pg.notify {
			// Delivered to listeners at commit, and only if it commits.
			// A quiet write (health, the outbox) notifies too: the change
			// feed reports every commit, as on SQLite.
			if _, err := sqlTx.ExecContext(ctx, "SELECT pg_notify($1, $2)", pgChannel, strconv.FormatInt(rev, 10)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// pgChannel is the NOTIFY channel a committed change is announced on; the
// payload is the new revision.
const pgChannel = "plink_revision"

// pgTx runs fn in a READ COMMITTED transaction whose first statement is
// lock, an UPDATE of one row that leaves it as it was and returns one
// integer (passed to fn), and commits it when fn returns nil. Writing the
// row first makes the writers take turns: fn runs alone, after every
// writer before it committed, and on PostgreSQL once. (Writing rather than
// SELECT ... FOR UPDATE: a database that runs the transaction SERIALIZABLE
// anyway then fails a writer that waited at this statement, before fn,
// rather than later; a distributed one may still fail it later, and then
// fn runs again.)
func (s *Store) pgTx(ctx context.Context, lock string, fn func(*sql.Tx, int64) error) error {
	return pgRetry(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		if err != nil {
			return fmt.Errorf("beginning transaction: %w", err)
		}
		defer tx.Rollback()
		var locked int64
		if err := tx.QueryRowContext(ctx, lock).Scan(&locked); err != nil {
			return err
		}
		if err := fn(tx, locked); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("committing: %w", err)
		}
		return nil
	})
}

// pgRetry runs fn again while it fails with a serialization failure or a
// deadlock (or one of the extra SQLSTATE codes), with jittered backoff, for
// up to busyWait. An error that sent nothing to the server (a pooled
// connection the server closed, as when it restarted) is retried at most
// staleRetries times: a new connection either works or says why not.
func pgRetry(ctx context.Context, fn func() error, extra ...string) error {
	deadline := time.Now().Add(busyWait)
	backoff := time.Millisecond
	stale := 0
	for {
		err := fn()
		code := pgCode(err)
		retry := code == "40001" || code == "40P01"
		for _, c := range extra {
			retry = retry || code == c
		}
		if !retry && code == "" && err != nil && pgconn.SafeToRetry(err) && stale < staleRetries {
			retry = true
			stale++
		}
		if !retry || time.Now().After(deadline) {
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

// staleRetries bounds pgRetry's retries of errors that sent nothing.
const staleRetries = 2

// pgCode is the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgErr turns a refused write on a read-only server (a standby, or
// default_transaction_read_only) into a *ReadOnlyError, as writeErr does
// for a read-only SQLite file.
//
// An error of connecting (the server went away after Open) is named with
// the database, as Open's are: a command's error says which store failed.
func (s *Store) pgErr(err error) error {
	if pgCode(err) == "25006" {
		return &ReadOnlyError{Path: s.path, Reason: err}
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("store %s: %w", s.path, pgConnectHint(err))
	}
	return err
}

func (s *Store) pgRevision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.db.QueryRowContext(ctx, "SELECT rev FROM revision WHERE id = 1").Scan(&rev)
	return rev, err
}
