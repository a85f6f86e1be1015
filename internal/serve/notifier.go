package serve

import (
	"context"
	"log/slog"
	"time"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// Outbox is where connection notifications wait to be delivered;
// *control.Outbox implements it. The command that changes an endpoint
// tries its notifications at once; serve retries what that could not
// deliver (see internal/control/notify_deliver.go).
type Outbox interface {
	// NextDue is when the next delivery is due (zero: none pending).
	NextDue(ctx context.Context) (time.Time, error)
	// DeliverDue tries the deliveries that are due; more says that more
	// were due than one call takes.
	DeliverDue(ctx context.Context) (more bool, err error)
}

// notifyPoll is how often the notifier looks for due deliveries. Looking
// is one read; only a due delivery takes the store's write lock.
const notifyPoll = 250 * time.Millisecond

// notifyErrorEvery rate-limits the notifier's repeated store errors.
const notifyErrorEvery = time.Minute

// startNotifier runs the notifier until ctx ends or the returned stop is
// called; stop waits for it. Without Options.Notifier, a Source that is a
// store gets a control.Outbox with the default policy; other sources
// (tests) get none.
func (s *Server) startNotifier(ctx context.Context) (stop func()) {
	ob := s.opts.Notifier
	if ob == nil {
		st, ok := s.opts.Source.(*store.Store)
		if !ok {
			return func() {}
		}
		ob = control.NewOutbox(st, s.log, control.DeliveryPolicy{})
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runNotifier(ctx, ob, s.log)
	}()
	return func() {
		cancel()
		<-done
	}
}

// runNotifier delivers due notifications until ctx ends.
func runNotifier(ctx context.Context, ob Outbox, log *slog.Logger) {
	var lastErr string
	var lastLogged time.Time
	report := func(err error) {
		if err == nil || ctx.Err() != nil {
			return
		}
		// The same error (a full disk, a locked store) once a minute.
		if msg := err.Error(); msg != lastErr || time.Since(lastLogged) >= notifyErrorEvery {
			log.Warn("delivering connection notifications", "err", err)
			lastErr, lastLogged = msg, time.Now()
		}
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next, err := ob.NextDue(ctx)
		report(err)
		more := false
		if err == nil && !next.IsZero() && !next.After(time.Now()) {
			more, err = ob.DeliverDue(ctx)
			report(err)
		}
		if more {
			t.Reset(0)
		} else {
			t.Reset(notifyPoll)
		}
	}
}
