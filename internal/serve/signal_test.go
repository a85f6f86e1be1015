package serve

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// timeout(1) sends SIGTERM to serve and to its process group: the two are
// one stop. Anything else after the first signal is a second.
func TestSameStop(t *testing.T) {
	for _, tc := range []struct {
		first, sig os.Signal
		since      time.Duration
		want       bool
	}{
		{syscall.SIGTERM, syscall.SIGTERM, time.Millisecond, true},
		{syscall.SIGTERM, syscall.SIGTERM, 2 * time.Second, false},
		{os.Interrupt, os.Interrupt, time.Millisecond, false},
		{syscall.SIGTERM, os.Interrupt, time.Millisecond, false},
		{os.Interrupt, syscall.SIGTERM, time.Millisecond, false},
	} {
		if got := sameStop(tc.first, tc.sig, tc.since); got != tc.want {
			t.Errorf("sameStop(%v, %v, %v) = %v, want %v", tc.first, tc.sig, tc.since, got, tc.want)
		}
	}
}
