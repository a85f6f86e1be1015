package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/store"
	"github.com/plink-dev/plink/internal/store/storetest"
)

// TestIsPostgres: only a postgres:// or postgresql:// URL selects
// PostgreSQL; any other name, however URL-like, stays a file path.
func TestIsPostgres(t *testing.T) {
	for db, want := range map[string]bool{
		"postgres://u@h/db":         true,
		"postgresql://h/db?x=y":     true,
		"postgres:db":               false,
		"./postgres://h/db":         false,
		"Postgres://h/db":           false,
		"file:x.db":                 false,
		"http://h/x":                false,
		"/var/lib/plink/plink.db":   false,
		"postgres.db":               false,
		" postgres://leading-space": false,
	} {
		if got := store.IsPostgres(db); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", db, got, want)
		}
	}
}

// TestPostgresUnreachable: a database that cannot be reached fails Open
// with an error naming it, without its password.
func TestPostgresUnreachable(t *testing.T) {
	// Port 1 on loopback: nothing listens, the connection is refused.
	_, err := store.Open(context.Background(), "postgres://plink:s3cret@127.0.0.1:1/plink?connect_timeout=5")
	if err == nil {
		t.Fatal("Open succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, "s3cret") {
		t.Errorf("error shows the password: %s", msg)
	}
	if !strings.Contains(msg, "postgres://plink@127.0.0.1:1/plink") {
		t.Errorf("error does not name the database: %s", msg)
	}
	// A URL pgx cannot parse is not shown with its password either.
	for _, bad := range []string{"postgres://plink:s3cret@127.0.0.1:notaport/plink", "postgres://plink:s3cret@h/db?sslmode=bogus"} {
		_, err := store.Open(context.Background(), bad)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q): %v", bad, err)
		}
	}
}

// TestPostgresSchemaTooNew: a database a later plink migrated is refused.
func TestPostgresSchemaTooNew(t *testing.T) {
	db := storetest.DB(t, storetest.Postgres)
	first, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.DB().Exec("UPDATE schema_version SET version = 999"); err != nil {
		t.Fatal(err)
	}
	first.Close()
	_, err = store.Open(context.Background(), db)
	var tooNew *store.SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Version != 999 {
		t.Fatalf("Open: %v, want a SchemaTooNewError", err)
	}
}

// TestPostgresReadOnlyServer: a database the server refuses writes to (a
// standby, or default_transaction_read_only) reads, and its writes fail
// with a *ReadOnlyError.
func TestPostgresReadOnlyServer(t *testing.T) {
	db := storetest.DB(t, storetest.Postgres)
	st, err := store.Open(context.Background(), db+"&options=-c%20default_transaction_read_only%3Don")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Revision(context.Background()); err != nil {
		t.Fatal(err)
	}
	err = st.Write(context.Background(), func(tx *store.Tx) error {
		return tx.InsertEvent(store.Event{Time: "t", Account: "a", Type: "Test"})
	})
	if !errors.Is(err, store.ErrReadOnly) {
		t.Fatalf("write: %v, want a ReadOnlyError", err)
	}
}

// ownCluster starts a PostgreSQL cluster of the test's own (one it may
// stop and start), removed when the test ends, and an empty database in
// it; it skips the test where PostgreSQL is not installed.
func ownCluster(t *testing.T) (*storetest.Cluster, string) {
	t.Helper()
	if _, err := storetest.PGBin(); err != nil {
		t.Skipf("no PostgreSQL: %v", err)
	}
	c, err := storetest.StartCluster(storetest.Fast)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Remove() })
	db, err := c.EmptyDB()
	if err != nil {
		t.Fatal(err)
	}
	return c, db
}

// TestPostgresFeedSurvivesRestart: the change feed of a store whose server
// stops and starts again reports a commit made after the restart (it
// listens again; meanwhile it polls).
func TestPostgresFeedSurvivesRestart(t *testing.T) {
	c, db := ownCluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ch := st.Changes(ctx, time.Hour)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Revision(ctx); err == nil {
		t.Fatal("Revision works with the server stopped")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	writer, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if err := cpInsertEvents(ctx, writer, "a", 1); err != nil {
		t.Fatal(err)
	}
	want, _ := writer.Revision(ctx)
	for {
		if rev := nextRevision(t, ch); rev >= want {
			break
		}
	}
}

// TestPostgresFeedWithoutNotify: on a server without pg_notify (as some
// PostgreSQL-compatible databases), writes commit as ever and the change
// feed polls the revision.
func TestPostgresFeedWithoutNotify(t *testing.T) {
	db := storetest.DB(t, storetest.Postgres)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store.DisableNotify(st)
	ch := st.Changes(ctx, time.Hour)
	if err := cpInsertEvents(ctx, st, "a", 1); err != nil {
		t.Fatal(err)
	}
	if rev := nextRevision(t, ch); rev != 1 {
		t.Errorf("feed sent %d, want revision 1", rev)
	}
}

// TestPostgresServerGone: a store whose server went away after Open fails
// its reads and writes with an error naming the database and the remedy,
// and works again once the server is back.
func TestPostgresServerGone(t *testing.T) {
	c, db := ownCluster(t)
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, write := range []bool{false, true} {
		fn := func(tx *store.Tx) error { _, err := tx.LastEventSeq(); return err }
		err := st.Read(ctx, fn)
		if write {
			err = st.Write(ctx, fn)
		}
		if err == nil || !strings.Contains(err.Error(), "store "+db+": cannot reach the PostgreSQL server") {
			t.Errorf("write=%v with the server stopped: %v", write, err)
		}
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cpInsertEvents(ctx, st, "a", 1); err != nil {
		t.Errorf("after the server came back: %v", err)
	}
}

// TestPostgresOpenReadOnly: shell completion's read-only open of a
// PostgreSQL store reads and refuses writes; a database without plink's
// schema is an error, and is left without one.
func TestPostgresOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenReadOnly(ctx, storetest.DB(t, storetest.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Revision(ctx); err != nil {
		t.Error(err)
	}
	if err := cpInsertEvents(ctx, st, "a", 1); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("write: %v, want a ReadOnlyError", err)
	}
	empty := storetest.EmptyDB(t, storetest.DB(t, storetest.Postgres))
	if st, err := store.OpenReadOnly(ctx, empty); err == nil {
		st.Close()
		t.Fatal("OpenReadOnly of an empty database succeeded")
	}
	// Nothing was created: a second look still finds no schema.
	if st, err := store.OpenReadOnly(ctx, empty); err == nil || !strings.Contains(err.Error(), "schema version 0") {
		if st != nil {
			st.Close()
		}
		t.Errorf("second OpenReadOnly: %v, want schema version 0", err)
	}
}
