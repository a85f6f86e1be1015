package netstack

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultRefuseLogInterval is how often a refusal of the same kind on the
// same endpoint is logged again (Options.RefuseLogInterval).
const DefaultRefuseLogInterval = 10 * time.Second

// refuseLog rate-limits the lines that say why a connection was refused
// (or sent to an unhealthy target): a client retrying in a loop must not
// flood the log, but the first refusal of each kind on each endpoint is
// always seen at the default level. A line written after a quiet period
// says how many like it were suppressed meanwhile.
type refuseLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	last map[refuseKey]*refuseEntry
}

type refuseKey struct{ endpoint, reason string }

type refuseEntry struct {
	at         time.Time // when the last line was written
	suppressed int       // refusals since, not logged
}

// maxRefuseKeys bounds the map: endpoints come and go.
const maxRefuseKeys = 4096

func newRefuseLog(log *slog.Logger, every time.Duration) *refuseLog {
	if every <= 0 {
		every = DefaultRefuseLogInterval
	}
	return &refuseLog{log: log, every: every, now: time.Now, last: map[refuseKey]*refuseEntry{}}
}

// logf writes msg at level unless a line for the same endpoint and reason
// was written less than every ago; args are slog attributes.
func (r *refuseLog) logf(level slog.Level, endpoint, reason, msg string, args ...any) {
	now := r.now()
	k := refuseKey{endpoint, reason}
	r.mu.Lock()
	e := r.last[k]
	if e != nil && now.Sub(e.at) < r.every {
		e.suppressed++
		r.mu.Unlock()
		return
	}
	suppressed := 0
	if e == nil {
		if len(r.last) >= maxRefuseKeys {
			r.pruneLocked(now)
		}
		e = &refuseEntry{}
		r.last[k] = e
	} else {
		suppressed = e.suppressed
	}
	e.at, e.suppressed = now, 0
	r.mu.Unlock()
	args = append(args, "reason", reason)
	if suppressed > 0 {
		args = append(args, "suppressed_since_last", suppressed)
	}
	r.log.Log(context.Background(), level, msg, args...)
}

// pruneLocked drops the entries with nothing suppressed that are older
// than the interval (they would log at once anyway); if that frees
// nothing, it starts over.
func (r *refuseLog) pruneLocked(now time.Time) {
	for k, e := range r.last {
		if e.suppressed == 0 && now.Sub(e.at) >= r.every {
			delete(r.last, k)
		}
	}
	if len(r.last) >= maxRefuseKeys {
		clear(r.last)
	}
}
