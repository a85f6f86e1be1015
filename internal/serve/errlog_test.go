package serve

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRepeatLog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	r := newRepeatLog(log, 10*time.Second)
	now := time.Unix(1000, 0)
	r.now = func() time.Time { return now }
	lines := func() []string {
		s := strings.TrimSpace(buf.String())
		buf.Reset()
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}

	// A store on a full disk fails every 50 ms poll: 200 polls = 10 s.
	for range 199 {
		r.Warn("writing target health to the store", "err", "disk full")
		now = now.Add(50 * time.Millisecond)
	}
	got := lines()
	if len(got) != 1 || strings.Contains(got[0], "suppressed_repeats") {
		t.Fatalf("199 identical errors within the interval logged %d lines, want the first only:\n%s", len(got), strings.Join(got, "\n"))
	}
	r.Warn("writing target health to the store", "err", "another error")
	if got := lines(); len(got) != 1 {
		t.Fatalf("a different error was not logged at once: %q", got)
	}
	now = now.Add(time.Second) // the interval has passed
	r.Warn("writing target health to the store", "err", "disk full")
	if got := lines(); len(got) != 1 || !strings.Contains(got[0], "suppressed_repeats=198") {
		t.Fatalf("after the interval: %q, want one line with suppressed_repeats=198", got)
	}
	r.Warn("writing target health to the store", "err", "disk full")
	if got := lines(); len(got) != 0 {
		t.Fatalf("a repeat right after being logged: %q", got)
	}
	now = now.Add(10 * time.Second)
	r.Error("writing target health to the store", "err", "disk full")
	if got := lines(); len(got) != 1 || !strings.Contains(got[0], "level=ERROR") || strings.Contains(got[0], "suppressed") {
		t.Fatalf("same text at another level: %q", got)
	}
}

func TestRepeatLogBounded(t *testing.T) {
	var buf bytes.Buffer
	r := newRepeatLog(slog.New(slog.NewTextHandler(&buf, nil)), time.Minute)
	for i := range 3 * maxRepeatKeys {
		r.Error("distinct", "i", i)
	}
	if len(r.seen) > maxRepeatKeys {
		t.Errorf("%d keys remembered, bound %d", len(r.seen), maxRepeatKeys)
	}
}
