package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log a test reads while serve writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitMetric waits (bounded) until the metrics at addr have line.
func waitMetric(t *testing.T, addr, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			for _, l := range strings.Split(last, "\n") {
				if l == line {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("metrics never had %q", line)
}

// TestStoreDownKeepsServing: while the store cannot be read serve keeps
// forwarding from its last snapshot, logs it once and shows
// plink_serve_store_up 0; when it can be read again serve says so and
// applies what changed meanwhile, without a restart.
func TestStoreDownKeepsServing(t *testing.T) {
	target := startBackend(t, "web")
	port := freePort(t)
	src := &fakeSource{}
	src.set(world(20, port, target, 1))
	ready := filepath.Join(t.TempDir(), "ready.json")
	var log syncBuffer
	srv := New(Options{Source: src, ReadyFile: ready, MetricsAddr: "127.0.0.1:0", DNS: DNSOptions{Disabled: true},
		Logger: slog.New(slog.NewTextHandler(&log, nil)), PollInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, make(chan os.Signal)) }()
	defer func() { cancel(); <-done }()
	info := readReady(t, ready, func(ReadyInfo) bool { return true })
	waitMetric(t, info.Metrics, "plink_serve_store_up 1")
	ep := fmt.Sprintf("127.250.20.10:%d", port)

	src.setDown(errors.New("connection refused"))
	waitMetric(t, info.Metrics, "plink_serve_store_up 0")
	if r := get(t, ep); r.Backend != "web" {
		t.Fatalf("with the store down: reply %+v", r)
	}
	if n := strings.Count(log.String(), "the store cannot be read: serving the last snapshot until it can"); n != 1 {
		t.Errorf("%d store-down lines, want 1:\n%s", n, log.String())
	}

	src.set(world(20, port, target, 2)) // a change made meanwhile
	src.setDown(nil)
	waitMetric(t, info.Metrics, "plink_serve_store_up 1")
	readReady(t, ready, func(i ReadyInfo) bool { return len(i.Listeners) == 3 })
	if !strings.Contains(log.String(), "the store can be read again") {
		t.Errorf("no recovery line:\n%s", log.String())
	}
}

// TestChangesFeedReloads: a revision from the Changes feed reloads at
// once, whatever the poll interval.
func TestChangesFeedReloads(t *testing.T) {
	target := startBackend(t, "web")
	port := freePort(t)
	src := &fakeSource{}
	src.set(world(21, port, target, 1))
	ready := filepath.Join(t.TempDir(), "ready.json")
	feed := make(chan int64, 1)
	srv := New(Options{Source: src, ReadyFile: ready, DNS: DNSOptions{Disabled: true}, PollInterval: time.Hour, Changes: feedOf(feed)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, make(chan os.Signal)) }()
	defer func() { cancel(); <-done }()
	readReady(t, ready, func(ReadyInfo) bool { return true })
	src.set(world(21, port, target, 2))
	rev, _ := src.Revision(ctx)
	feed <- rev
	readReady(t, ready, func(i ReadyInfo) bool { return i.Revision == rev && len(i.Listeners) == 3 })
}
