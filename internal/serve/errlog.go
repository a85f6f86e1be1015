package serve

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultRepeatInterval is how often serve logs an error that keeps
// recurring (a full disk, a store that cannot be read) after its first
// occurrence.
const DefaultRepeatInterval = 30 * time.Second

// repeatLog logs errors that recur (every poll of a store on a full disk
// fails the same way): the first occurrence of a message at once, then the
// same message at most once per interval, with "suppressed_repeats" = how many were
// suppressed since it was last logged. Messages are the same when level,
// text and attributes are.
type repeatLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	seen map[string]*repeat
}

type repeat struct {
	logged     time.Time // when it was last written
	suppressed int       // occurrences since then
}

// maxRepeatKeys bounds the memory of a repeatLog: beyond it, messages not
// logged for an interval are forgotten.
const maxRepeatKeys = 4096

func newRepeatLog(log *slog.Logger, every time.Duration) *repeatLog {
	if every <= 0 {
		every = DefaultRepeatInterval
	}
	return &repeatLog{log: log, every: every, now: time.Now, seen: map[string]*repeat{}}
}

// Error logs at error level, rate-limited.
func (r *repeatLog) Error(msg string, args ...any) { r.logAt(slog.LevelError, msg, args...) }

// Warn logs at warning level, rate-limited.
func (r *repeatLog) Warn(msg string, args ...any) { r.logAt(slog.LevelWarn, msg, args...) }

func (r *repeatLog) logAt(level slog.Level, msg string, args ...any) {
	key := fmt.Sprint(level, msg, args)
	now := r.now()
	r.mu.Lock()
	e := r.seen[key]
	if e != nil && now.Sub(e.logged) < r.every {
		e.suppressed++
		r.mu.Unlock()
		return
	}
	suppressed := 0
	if e == nil {
		if len(r.seen) >= maxRepeatKeys {
			r.forgetLocked(now)
		}
		e = &repeat{}
		r.seen[key] = e
	} else {
		suppressed = e.suppressed
	}
	e.logged, e.suppressed = now, 0
	r.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed_repeats", suppressed)
	}
	r.log.Log(context.Background(), level, msg, args...)
}

func (r *repeatLog) forgetLocked(now time.Time) {
	for k, e := range r.seen {
		if now.Sub(e.logged) >= r.every {
			delete(r.seen, k)
		}
	}
	if len(r.seen) >= maxRepeatKeys {
		clear(r.seen)
	}
}
