// Package storetest gives tests fresh stores on both of the store's
// backends: an SQLite file in the test's temp dir, and a PostgreSQL
// database of its own on a throwaway cluster that the test binary starts
// once (initdb and pg_ctl in a temp dir, listening only on a Unix socket
// there, as nobody when the tests run as root: PostgreSQL refuses root).
// No shared or pre-existing database is ever used.
//
// A package whose tests use PostgreSQL stops the cluster when its tests
// end by calling Main from TestMain.
package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/plink-dev/plink/internal/store"
)

// The backends, as PLINK_TEST_DB names them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Backends are the backends every contract test runs on.
var Backends = []string{SQLite, Postgres}

// EnvBackend is the environment variable that picks the backend of Open:
// PLINK_TEST_DB=postgres runs a package's tests on PostgreSQL.
const EnvBackend = "PLINK_TEST_DB"

// Default is the backend PLINK_TEST_DB names, SQLite when it is unset.
func Default() string {
	if os.Getenv(EnvBackend) == Postgres {
		return Postgres
	}
	return SQLite
}

// Open opens a fresh store on the Default backend, closed when t ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	return OpenOn(t, Default())
}

// OpenOn opens a fresh store on backend, closed when t ends.
func OpenOn(t testing.TB, backend string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), DB(t, backend))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Each runs f as a subtest per backend, each with a fresh store.
func Each(t *testing.T, f func(t *testing.T, st *store.Store)) {
	t.Helper()
	EachDB(t, func(t *testing.T, db string) {
		f(t, OpenOn(t, backendOf(db)))
	})
}

// EachDB runs f as a subtest per backend, each with the name of a fresh
// store (a file path, or a PostgreSQL URL) for tests that open it
// themselves, more than once or in another process.
func EachDB(t *testing.T, f func(t *testing.T, db string)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(b, func(t *testing.T) { f(t, DB(t, b)) })
	}
}

func backendOf(db string) string {
	if store.IsPostgres(db) {
		return Postgres
	}
	return SQLite
}

// DB returns the name of a fresh, empty store on backend for store.Open:
// a file in t's temp dir, or the URL of a new database on the shared
// cluster, already migrated and dropped when t ends. It skips t when the
// PostgreSQL binaries are missing, unless PLINK_TEST_DB asks for them.
func DB(t testing.TB, backend string) string {
	t.Helper()
	if backend != Postgres {
		return filepath.Join(t.TempDir(), "plink.db")
	}
	c := Shared(t)
	url, err := c.freshDB()
	if err != nil {
		t.Fatalf("creating a PostgreSQL database: %v", err)
	}
	t.Cleanup(func() { c.dropDB(url) })
	return url
}

// EmptyDB is a store name like db (on the same backend) for a store not
// yet created: a new file path, or a new database with no schema at all,
// for tests of what opening a new store does.
func EmptyDB(t testing.TB, db string) string {
	t.Helper()
	if backendOf(db) != Postgres {
		return filepath.Join(t.TempDir(), "new.db")
	}
	c := Shared(t)
	url, err := c.EmptyDB()
	if err != nil {
		t.Fatalf("creating a PostgreSQL database: %v", err)
	}
	t.Cleanup(func() { c.dropDB(url) })
	return url
}

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
)

// Shared is the cluster this test binary shares, started on first use.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if _, err := PGBin(); err != nil {
		if Default() == Postgres {
			t.Fatalf("%s=postgres: %v", EnvBackend, err)
		}
		t.Skipf("no PostgreSQL: %v", err)
	}
	sharedOnce.Do(func() { shared, sharedErr = StartCluster(Fast) })
	if sharedErr != nil {
		t.Fatalf("starting a PostgreSQL cluster: %v", sharedErr)
	}
	return shared
}

// Main runs the tests and then stops the shared cluster if one was
// started: call it from TestMain as os.Exit(storetest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.Remove(); err != nil {
			fmt.Fprintln(os.Stderr, "storetest:", err)
		}
	}
	return code
}

var dbSeq atomic.Int64

// nextName is a database name unique in this process.
func nextName() string { return fmt.Sprintf("t%d", dbSeq.Add(1)) }
