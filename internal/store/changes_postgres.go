package store

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// The change feed of a PostgreSQL store: LISTEN plink_revision on a
// connection of its own, which every write that moves the revision
// notifies in its transaction (pgRun), so another process's or host's
// commit arrives as soon as it commits. The revision is also read every
// poll as a safety net, and every pgFallbackPoll while the feed cannot
// listen: a server without pg_notify (some PostgreSQL-compatible
// databases), or the LISTEN connection lost (the server restarting), which
// is tried again every pgRelisten.
const (
	pgFallbackPoll = 100 * time.Millisecond
	pgRelisten     = time.Second
)

// pgChanges is Changes on PostgreSQL. Every commit that wrote notifies,
// also one that moves no revision (serve's health reports); the feed's
// token is the revision with the count of notifications heard in its low
// bits, so that either moving is a change.
func (s *Store) pgChanges(ctx context.Context, poll time.Duration) <-chan int64 {
	var heard atomic.Int64
	token := func(ctx context.Context) (int64, error) {
		rev, err := s.Revision(ctx)
		return rev<<20 | heard.Load()&(1<<20-1), err
	}
	// Listen before feed reads the first token: a commit that moves no
	// revision is seen only as a notification, and one made after Changes
	// returned must not be missed.
	hints := make(chan struct{}, 1)
	lost := s.pgListen(ctx, hints, &heard)
	watch := func(ctx context.Context, poll time.Duration, check func()) {
		s.pgWatch(ctx, poll, hints, lost, &heard, check)
	}
	return feed(ctx, s, token, poll, watch, func() {})
}

// pgWatch calls check on each notification (counted in heard) and every
// poll (every pgFallbackPoll while not listening) until ctx ends.
// lost is the first listener's (nil: it could not listen).
func (s *Store) pgWatch(ctx context.Context, poll time.Duration, hints chan struct{}, lost <-chan struct{},
	heard *atomic.Int64, check func()) {
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			lost = s.pgListen(ctx, hints, heard)
		}
		if lost != nil {
			check() // a commit made before the LISTEN took effect
			s.pgWait(ctx, hints, lost, nil, poll, check)
			<-lost // the listener has ended: a new one may start
			continue
		}
		var relisten <-chan time.Time // never, without pg_notify
		if s.pg.notify {
			t := time.NewTimer(pgRelisten)
			relisten = t.C
			s.pgWait(ctx, hints, nil, relisten, min(poll, pgFallbackPoll), check)
			t.Stop()
			continue
		}
		s.pgWait(ctx, hints, nil, relisten, min(poll, pgFallbackPoll), check)
	}
}

// pgWait calls check on each hint and every period, until ctx ends, the
// listener is lost or it is time to listen again.
func (s *Store) pgWait(ctx context.Context, hints <-chan struct{}, lost <-chan struct{}, relisten <-chan time.Time,
	period time.Duration, check func()) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hints:
			check()
		case <-lost:
			check()
			return
		case <-relisten:
			return
		case <-tick.C:
			check()
		}
	}
}

// pgListen opens a connection that listens on pgChannel and starts its
// reader, which sends a hint per notification and closes the returned
// channel when the connection ends (ctx ended, or it failed). It returns
// nil when it cannot listen.
func (s *Store) pgListen(ctx context.Context, hints chan<- struct{}, heard *atomic.Int64) <-chan struct{} {
	if !s.pg.notify {
		return nil
	}
	conn, err := pgx.ConnectConfig(ctx, s.pg.config.Copy())
	if err != nil {
		return nil
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil
	}
	lost := make(chan struct{})
	go func() {
		defer close(lost)
		defer conn.Close(context.WithoutCancel(ctx))
		for {
			if err := conn.PgConn().WaitForNotification(ctx); err != nil {
				return
			}
			heard.Add(1)
			select { // one pending hint is enough: check reads the latest
			case hints <- struct{}{}:
			default:
			}
		}
	}()
	return lost
}
