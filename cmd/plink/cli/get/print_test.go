package get

import (
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{
		{0, "0s"}, {45 * time.Second, "45s"}, {119 * time.Second, "119s"},
		{5*time.Minute + 30*time.Second, "5m30s"}, {5 * time.Minute, "5m"}, {90 * time.Minute, "90m"},
		{3*time.Hour + 20*time.Minute, "3h20m"}, {5 * time.Hour, "5h"}, {30 * time.Hour, "30h"},
		{3*24*time.Hour + 4*time.Hour, "3d4h"}, {2 * 24 * time.Hour, "2d"}, {40 * 24 * time.Hour, "40d"},
		{-time.Minute, "0s"}, // a clock behind the store's
	} {
		at := now.Add(-tc.ago).Format("2006-01-02T15:04:05.000Z")
		if got := Age(at, now); got != tc.want {
			t.Errorf("Age(%v ago) = %q, want %q", tc.ago, got, tc.want)
		}
	}
	if got := Age("", now); got != "<unknown>" {
		t.Errorf("Age(\"\") = %q", got)
	}
}
