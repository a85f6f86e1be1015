package serve

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestChangeFeedDrivesReloads: with a change feed and a poll that never
// comes within the test, a revision from the feed reloads at once and
// target health still reaches the store (it is written when queued, not
// on a poll).
func TestChangeFeedDrivesReloads(t *testing.T) {
	target := startBackend(t, "web")
	port := freePort(t)
	src := &fakeSource{}
	src.set(world(3, port, target, 1))
	feed := make(chan int64, 1)
	ready := filepath.Join(t.TempDir(), "ready.json")
	srv := New(Options{Source: src, ReadyFile: ready, Grace: time.Second, DNS: DNSOptions{Disabled: true},
		PollInterval: time.Hour, Changes: feedOf(feed)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, make(chan os.Signal)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	readReady(t, ready, func(i ReadyInfo) bool { return len(i.Listeners) == 2 })

	src.set(world(3, port, target, 2))
	rev, _ := src.Revision(ctx)
	feed <- rev
	readReady(t, ready, func(i ReadyInfo) bool { return i.Revision == rev && len(i.Listeners) == 3 })

	deadline := time.Now().Add(10 * time.Second)
	for src.health(target.String()) != "healthy" {
		if time.Now().After(deadline) {
			t.Fatal("target health never reached the store without a poll")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// feedOf is a change feed (Options.Changes) that passes on what the test
// sends on feed until serve's context ends.
func feedOf(feed <-chan int64) func(context.Context) <-chan int64 {
	return func(ctx context.Context) <-chan int64 {
		out := make(chan int64)
		go func() {
			defer close(out)
			for {
				select {
				case <-ctx.Done():
					return
				case r := <-feed:
					out <- r
				}
			}
		}()
		return out
	}
}
