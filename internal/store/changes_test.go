package store_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/snapshot"
	"github.com/plink-dev/plink/internal/store"
	"github.com/plink-dev/plink/internal/store/storetest"
)

// bound is how long a test waits for a change it caused before failing:
// a bound on a broken feed, not a latency goal.
const bound = 30 * time.Second

// nextRevision waits (bounded) for the feed's next value.
func nextRevision(t *testing.T, ch <-chan int64) int64 {
	t.Helper()
	select {
	case rev, ok := <-ch:
		if !ok {
			t.Fatal("change feed closed")
		}
		return rev
	case <-time.After(bound):
		t.Fatalf("no change reported within %v", bound)
	}
	return 0
}

func TestChangesReportsCommits(t *testing.T) { storetest.Each(t, testChangesReportsCommits) }

func testChangesReportsCommits(t *testing.T, st *store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// An hour's fallback poll: on Linux the file notification must do it
	// (on PostgreSQL, the NOTIFY).
	ch := st.Changes(ctx, time.Hour)
	if err := cpInsertEvents(ctx, st, "111111111111", 1); err != nil {
		t.Fatal(err)
	}
	rev := nextRevision(t, ch)
	want, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rev != want {
		t.Errorf("feed sent revision %d, the store is at %d", rev, want)
	}
}

// A write from another Store (another process's view of the same file) is
// seen too: the feed watches the file, not this process's writes.
func TestChangesSeesOtherWriters(t *testing.T) { storetest.EachDB(t, testChangesSeesOtherWriters) }

func testChangesSeesOtherWriters(t *testing.T, path string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reader, writer := cpOpen(t, path), cpOpen(t, path)
	ch := reader.Changes(ctx, time.Hour)
	for i := 0; i < 3; i++ {
		if err := cpInsertEvents(ctx, writer, "111111111111", 1); err != nil {
			t.Fatal(err)
		}
	}
	want, err := writer.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Coalesced: the values come in order and end at the last revision.
	last := int64(0)
	for last != want {
		rev := nextRevision(t, ch)
		if rev <= last {
			t.Fatalf("revision %d after %d: not increasing", rev, last)
		}
		last = rev
	}
}

func TestChangesClosesWhenDone(t *testing.T) { storetest.Each(t, testChangesClosesWhenDone) }

func testChangesClosesWhenDone(t *testing.T, st *store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := st.Changes(ctx, time.Hour)
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("a value with no change")
		}
	case <-time.After(bound):
		t.Fatal("feed not closed after its context ended")
	}
}

// The fallback poll alone (no notification, as on other platforms or file
// systems) reports a change too.
func TestChangesPollFallback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := cpOpen(t, filepath.Join(t.TempDir(), "plink.db"))
	ch := store.PollChanges(ctx, st, 10*time.Millisecond)
	if err := cpInsertEvents(ctx, st, "111111111111", 1); err != nil {
		t.Fatal(err)
	}
	if rev := nextRevision(t, ch); rev < 1 {
		t.Errorf("revision %d", rev)
	}
}

// A commit that moves no revision (serve's health reports) is a change too:
// plink wait target-healthy waits for one.
func TestChangesSeesHealthReports(t *testing.T) { storetest.Each(t, testChangesSeesHealthReports) }

func testChangesSeesHealthReports(t *testing.T, st *store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := st.Changes(ctx, time.Hour)
	err := st.ReportHealth(ctx, []snapshot.HealthReport{{TargetGroupARN: "arn:tg", IP: netip.MustParseAddr("127.16.0.100"), Port: 80, State: "healthy"}})
	if err != nil {
		t.Fatal(err)
	}
	nextRevision(t, ch)
}
