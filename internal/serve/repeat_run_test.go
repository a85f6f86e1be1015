package serve

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/snapshot"
)

// fullDiskSource is a store on a full disk: health reports and revision
// reads fail on every poll.
type fullDiskSource struct {
	fakeSource
	mu    sync.Mutex
	calls int
	many  chan struct{} // closed after 40 failed calls
}

var errFull = errors.New("database or disk is full (13)")

func (f *fullDiskSource) failed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls++; f.calls == 40 {
		close(f.many)
	}
}

func (f *fullDiskSource) Revision(context.Context) (int64, error) {
	f.failed()
	return 0, errFull
}

func (f *fullDiskSource) ReportHealth(context.Context, []snapshot.HealthReport) error {
	f.failed()
	return errFull
}

// TestRunRateLimitsRepeatedErrors runs serve over a store whose every
// poll fails the same way: it logs each error once, not on every 50 ms
// poll (it used to fill the log).
func TestRunRateLimitsRepeatedErrors(t *testing.T) {
	target := startBackend(t, "web")
	src := &fullDiskSource{many: make(chan struct{})}
	src.set(world(3, freePort(t), target, 1))
	var buf syncBuf
	log := slog.New(slog.NewTextHandler(&buf, nil))
	srv := New(Options{Source: src, Logger: log, PollInterval: time.Millisecond, RepeatInterval: time.Hour,
		DNS: DNSOptions{Disabled: true}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, make(chan os.Signal)) }()
	select {
	case <-src.many:
	case <-time.After(30 * time.Second):
		t.Fatal("the store was not polled 40 times")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, msg := range []string{"reading the store revision", "writing target health to the store"} {
		if n := strings.Count(out, msg); n > 1 {
			t.Errorf("%q logged %d times over 40 failed polls, want once", msg, n)
		}
	}
	if !strings.Contains(out, "reading the store revision") {
		t.Errorf("the failure was not logged at all:\n%s", out)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
