package netstack

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRefuseLogRateLimits(t *testing.T) {
	var logs syncBuf
	r := newRefuseLog(slog.New(slog.NewTextHandler(&logs, nil)), 10*time.Second)
	now := time.Unix(1000, 0)
	r.now = func() time.Time { return now }
	lines := func() []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	r.logf(slog.LevelInfo, "vpce-1", "security-group", "refused", "client", "127.0.0.1:1")
	r.logf(slog.LevelInfo, "vpce-1", "security-group", "refused", "client", "127.0.0.1:2")
	r.logf(slog.LevelInfo, "vpce-1", "security-group", "refused", "client", "127.0.0.1:3")
	r.logf(slog.LevelInfo, "vpce-2", "security-group", "refused", "client", "127.0.0.1:4") // another endpoint
	r.logf(slog.LevelInfo, "vpce-1", "no-target", "refused", "client", "127.0.0.1:5")      // another reason
	if got := lines(); len(got) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(got), logs.String())
	}
	now = now.Add(10 * time.Second)
	r.logf(slog.LevelInfo, "vpce-1", "security-group", "refused", "client", "127.0.0.1:6")
	got := lines()
	if len(got) != 4 || !strings.Contains(got[3], "client=127.0.0.1:6") || !strings.Contains(got[3], "suppressed_since_last=2") {
		t.Fatalf("after the interval: %q", got)
	}
}
