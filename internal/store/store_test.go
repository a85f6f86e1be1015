package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/plink-dev/plink/internal/store"
	"github.com/plink-dev/plink/internal/store/storetest"
)

func cpOpen(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// cpInsertEvents writes n events, one transaction each.
func cpInsertEvents(ctx context.Context, st *store.Store, who string, n int) error {
	for i := 0; i < n; i++ {
		err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.InsertEvent(store.Event{Time: "2026-01-01T00:00:00.000Z", Account: who, Type: "Test", ResourceID: fmt.Sprintf("%s-%d", who, i)})
		})
		if err != nil {
			return fmt.Errorf("%s write %d: %w", who, i, err)
		}
	}
	return nil
}

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func cpCountEvents(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow("SELECT count(*) FROM events WHERE type = 'Test'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "plink.db")
	cpOpen(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("store file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestOpenSchema(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db string) {
		testOpenSchema(t, storetest.EmptyDB(t, db))
	})
}

// testOpenSchema opens a new store at path twice: the first open migrates
// it, the second finds it current.
func testOpenSchema(t *testing.T, path string) {
	ctx := context.Background()
	st := cpOpen(t, path)
	migs, err := fs.Glob(os.DirFS("migrations"), "*.sql")
	if err != nil || len(migs) == 0 {
		t.Fatalf("migrations: %v %v", migs, err)
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != len(migs) {
		t.Errorf("schema version %d, want %d (number of migrations)", v, len(migs))
	}
	// Opening again does not re-run migrations.
	st.Close()
	st2 := cpOpen(t, path)
	if v2, _ := st2.SchemaVersion(ctx); v2 != v {
		t.Errorf("schema version after reopen %d", v2)
	}
}

func TestPragmas(t *testing.T) {
	st := cpOpen(t, filepath.Join(t.TempDir(), "plink.db"))
	ctx := context.Background()
	// Check several pooled connections, not only the first.
	var conns []interface{ Close() error }
	for i := 0; i < 3; i++ {
		c, err := st.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var fk int
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("conn %d: foreign_keys = %d, %v", i, fk, err)
		}
		var mode string
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("conn %d: journal_mode = %q, %v", i, mode, err)
		}
		var busy int
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil || busy < 1000 {
			t.Errorf("conn %d: busy_timeout = %d, %v", i, busy, err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

// TestForeignKeys: a subnet of a VPC that does not exist is refused.
func TestForeignKeys(t *testing.T) {
	storetest.Each(t, testForeignKeys)
}

func testForeignKeys(t *testing.T, st *store.Store) {
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		return tx.InsertSubnet(store.Subnet{ID: "subnet-0123456789abcdef0", VPCID: "vpc-0123456789abcdef0", Account: "1", Region: "r", Zone: "ra",
			CIDR: netip.MustParsePrefix("127.200.0.0/20"), CreatedAt: "x"})
	})
	if err == nil {
		t.Errorf("inserting a subnet of a missing VPC succeeded: foreign keys off")
	}
}

func TestRevision(t *testing.T) { storetest.Each(t, testRevision) }

func testRevision(t *testing.T, st *store.Store) {
	ctx := context.Background()
	r0, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := cpInsertEvents(ctx, st, "a", 1); err != nil {
		t.Fatal(err)
	}
	r1, _ := st.Revision(ctx)
	if r1 <= r0 {
		t.Errorf("revision did not move on a write: %d -> %d", r0, r1)
	}
	// A write that changes nothing, a read, and a rolled-back write do not move it.
	if err := st.Write(ctx, func(tx *store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := st.Read(ctx, func(tx *store.Tx) error { _, err := tx.LastEventSeq(); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertEvent(store.Event{Time: "t", Account: "a", Type: "Test"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	r2, _ := st.Revision(ctx)
	if r2 != r1 {
		t.Errorf("revision moved without a committed change: %d -> %d", r1, r2)
	}
	if n := cpCountEvents(t, st); n != 1 {
		t.Errorf("rolled-back insert is visible: %d events", n)
	}
	// A write inside a read is refused.
	if err := st.Read(ctx, func(tx *store.Tx) error { return tx.InsertEvent(store.Event{Time: "t", Account: "a", Type: "Test"}) }); err == nil {
		t.Errorf("write in a read transaction succeeded")
	}
}

func TestConcurrentGoroutines(t *testing.T) { storetest.Each(t, testConcurrentGoroutines) }

func testConcurrentGoroutines(t *testing.T, st *store.Store) {
	ctx := context.Background()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- cpInsertEvents(ctx, st, "g"+strconv.Itoa(w), each)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := cpCountEvents(t, st); n != workers*each {
		t.Errorf("%d events, want %d", n, workers*each)
	}
	if r, _ := st.Revision(ctx); r < workers*each {
		t.Errorf("revision %d after %d writes", r, workers*each)
	}
}

// TestConcurrentProcesses runs this test binary several times at once, each
// child writing into one new store (and the first of them creating it, or
// on PostgreSQL all of them racing to migrate the empty database).
func TestConcurrentProcesses(t *testing.T) {
	if os.Getenv("CP_STORE_CHILD") != "" {
		t.Skip("child")
	}
	storetest.EachDB(t, func(t *testing.T, db string) {
		testConcurrentProcesses(t, storetest.EmptyDB(t, db))
	})
}

func testConcurrentProcesses(t *testing.T, path string) {
	const procs, each = 4, 25
	var wg sync.WaitGroup
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestStoreChildWriter$", "-test.count=1")
			cmd.Env = append(os.Environ(), "CP_STORE_CHILD="+path, "CP_STORE_N="+strconv.Itoa(each), "CP_STORE_WHO=p"+strconv.Itoa(p))
			outs[p], errs[p] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for p := range errs {
		if errs[p] != nil {
			t.Errorf("child %d: %v\n%s", p, errs[p], outs[p])
		}
	}
	st := cpOpen(t, path)
	if n := cpCountEvents(t, st); n != procs*each {
		t.Errorf("%d events, want %d", n, procs*each)
	}
}

// TestStoreChildWriter is the child of TestConcurrentProcesses.
func TestStoreChildWriter(t *testing.T) {
	path := os.Getenv("CP_STORE_CHILD")
	if path == "" {
		t.Skip("run by TestConcurrentProcesses")
	}
	n, _ := strconv.Atoi(os.Getenv("CP_STORE_N"))
	st := cpOpen(t, path)
	if err := cpInsertEvents(context.Background(), st, os.Getenv("CP_STORE_WHO"), n); err != nil {
		t.Fatal(err)
	}
}

// TestWritersTakeTurns: concurrent read-modify-write transactions lose no
// update, none fails (PostgreSQL's serialization failures are retried
// inside Write), and each fn runs once.
func TestWritersTakeTurns(t *testing.T) { storetest.Each(t, testWritersTakeTurns) }

func testWritersTakeTurns(t *testing.T, st *store.Store) {
	ctx := context.Background()
	const workers, each = 6, 10
	var runs atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				errs <- st.Write(ctx, func(tx *store.Tx) error {
					runs.Add(1)
					n, err := tx.LastEventSeq()
					if err != nil {
						return err
					}
					// The next event names the count it saw: a lost update
					// would repeat a name.
					return tx.InsertEvent(store.Event{Time: "t", Account: "a", Type: "Test", ResourceID: strconv.FormatInt(n+1, 10)})
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := runs.Load(); n != workers*each {
		t.Errorf("fn ran %d times for %d writes", n, workers*each)
	}
	var distinct int
	if err := st.DB().QueryRow("SELECT count(DISTINCT resource_id) FROM events WHERE type = 'Test'").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if distinct != workers*each {
		t.Errorf("%d distinct names in %d writes: an update was lost", distinct, workers*each)
	}
}
