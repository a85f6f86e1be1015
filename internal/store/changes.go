package store

import (
	"context"
	"time"
)

// ChangeFeed is how a process waits for the next committed change of a
// store without polling it in a loop: `plink get -w`, `plink wait` and
// `plink events --watch` block on it. SQLite backs it with inotify on the
// database file and its WAL (changes_linux.go) plus a slow poll of the
// revision counter as a safety net; a server backend can back it with its
// own notifications (PostgreSQL's LISTEN/NOTIFY) and the same interface.
type ChangeFeed interface {
	// Revision is the change counter now.
	Revision(ctx context.Context) (int64, error)
	// Changes sends the revision after each committed change, until
	// ctx ends (then it is closed). Bursts are coalesced: a reader that
	// falls behind gets the latest revision once, never a queue. poll is
	// the period of the fallback poll (<= 0: DefaultChangePoll).
	Changes(ctx context.Context, poll time.Duration) <-chan int64
}

// DefaultChangePoll is the fallback poll period of Changes: the latency of
// a change where no file notification arrives (a file system without
// inotify, such as some network mounts).
const DefaultChangePoll = time.Second

var _ ChangeFeed = (*Store)(nil)

// Changes implements ChangeFeed. Any commit counts, also one that moves
// no revision (serve's target health reports, which serve's own snapshot
// does not depend on): it watches SQLite's data_version on a connection of
// its own, which moves with every commit of any other connection, and
// sends the revision at that moment. The first value is sent only after a
// change, never for the state at the call.
//
// On PostgreSQL it listens for the notification a write sends (see
// changes_postgres.go).
func (s *Store) Changes(ctx context.Context, poll time.Duration) <-chan int64 {
	if s.pg != nil {
		return s.pgChanges(ctx, poll)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return feed(ctx, s, s.Revision, poll, s.watchFiles, func() {})
	}
	version := func(ctx context.Context) (int64, error) {
		var v int64
		err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
		return v, err
	}
	return feed(ctx, s, version, poll, s.watchFiles, func() { conn.Close() })
}

// Reviser is what has a change counter.
type Reviser interface {
	Revision(ctx context.Context) (int64, error)
}

// PollChanges is a change feed of r by polling its revision alone, every
// poll: the fallback of a backend with no notifications of its own.
func PollChanges(ctx context.Context, r Reviser, poll time.Duration) <-chan int64 {
	return feed(ctx, r, r.Revision, poll, func(ctx context.Context, poll time.Duration, check func()) {
		pollLoop(ctx, poll, check)
	}, func() {})
}

// feed runs watch, which calls check on each hint of a change; check reads
// token, and when it moved sends r's revision. done runs when ctx ends.
func feed(ctx context.Context, r Reviser, token func(context.Context) (int64, error), poll time.Duration,
	watch func(context.Context, time.Duration, func()), done func()) <-chan int64 {
	if poll <= 0 {
		poll = DefaultChangePoll
	}
	out := make(chan int64, 1)
	last, _ := token(ctx) // a failed read counts as "unknown": the next read reports
	check := func() {
		t, err := token(ctx)
		if err != nil || t == last {
			return
		}
		last = t
		rev, err := r.Revision(ctx)
		if err != nil {
			rev = t
		}
		select { // coalesce: replace a value the reader has not taken
		case <-out:
		default:
		}
		out <- rev
	}
	go func() {
		defer close(out)
		defer done()
		watch(ctx, poll, check)
	}()
	return out
}

// pollLoop calls check every period until ctx ends.
func pollLoop(ctx context.Context, period time.Duration, check func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			check()
		}
	}
}
