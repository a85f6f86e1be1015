//go:build linux

package netstack

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/fdtest"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/plink-dev/plink/internal/snapshot"
)

// Out of file descriptors, the forwarder must not spin on accept: it
// rests (counting and logging, rate-limited, the limit and the remedy),
// listeners it cannot bind are reported as ErrFDLimit, and once
// descriptors free up the clients that waited are served.
//
// The test lowers this process's RLIMIT_NOFILE and fills the descriptor
// table, and restores both when it ends.
func TestOutOfFileDescriptors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		// Health checks open and close sockets, which would free
		// descriptors behind the test's back: they have a test of their
		// own below.
		tp.tg.HealthCheck.Enabled = false
		reg := prometheus.NewRegistry()
		hl := &healthLog{}
		var logs syncBuf
		f := New(Options{Registerer: reg, Engine: engine, DialTimeout: 2 * time.Second, OnHealth: hl.record,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		t.Cleanup(func() { f.Close() })
		mustApply(t, f, tp.snap())
		waitFor(t, "b1 healthy", func() bool { return hl.get(b.addr).State == "healthy" })
		if name, err := which(t, netip.Addr{}, tp.eni(tp.eniA)); err != nil || name != "b1" {
			t.Fatalf("before: got %q, %v", name, err)
		}
		waitFor(t, "the connection closed everywhere", func() bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			return len(b.conns) == 0 && metricValue(t, reg, "plink_forwarder_active_connections", "endpoint", tp.ep.ID) == 0
		})

		// Client sockets made now: connecting them later needs no
		// descriptor.
		var clients []int
		for range 3 {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, fd)
		}

		fds := fdtest.Exhaust(t)
		for _, fd := range clients {
			fds.Refill()
			if err := unix.Connect(fd, sockaddr(netip.AddrPortFrom(tp.eniA, tp.port))); err != nil {
				fds.Release()
				t.Fatalf("connect: %v", err)
			}
		}
		failedAccepts := func() float64 {
			return metricValue(t, reg, "plink_forwarder_fd_exhausted_total", "op", fdOpAccept)
		}
		waitFor(t, "an accept failing with EMFILE", func() bool { fds.Refill(); return failedAccepts() > 0 })

		// A listener bound now fails, recognisably.
		extra := tp.ep
		extra.ID = "vpce-0fd0000000000000e"
		extra.ENIs = []snapshot.ENI{{ID: "eni-x", Zone: "za", IPv4: tp.ip(20)}}
		tp.extraEndpoints = []snapshot.Endpoint{extra}
		fds.Refill()
		res := f.Apply(tp.snap())
		var bindErr error
		for _, e := range res.Errors {
			bindErr = e
		}
		if !errors.Is(bindErr, ErrFDLimit) || !errors.Is(bindErr, syscall.EMFILE) ||
			!strings.Contains(bindErr.Error(), "RLIMIT_NOFILE") {
			t.Errorf("bind while out of descriptors: %v; want an ErrFDLimit and EMFILE error naming the limit", bindErr)
		}

		// Watch the forwarder for a while with no descriptor to spare.
		// (Not a timing goal: the window only has to be long enough for a
		// spinning loop to show.)
		const window = 500 * time.Millisecond
		fds.Refill()
		accepts0, wakeups0 := failedAccepts(), loopWakeups(f)
		time.Sleep(window)
		accepts, wakeups := failedAccepts()-accepts0, loopWakeups(f)-wakeups0
		fds.Release()

		// Resting from 5 ms, doubling up to 1 s, shared by all listeners:
		// about log2(500/5) + 1 failed accepts per loop in the window. A
		// spinning loop makes thousands.
		if accepts > 40 {
			t.Errorf("%v failed accepts in %v out of descriptors: the accept loop spins", accepts, window)
		}
		if wakeups > 200 {
			t.Errorf("%v event loop wake-ups in %v out of descriptors: the loop spins", wakeups, window)
		}
		t.Logf("in %v out of descriptors: %v failed accepts, %v loop wake-ups", window, accepts, wakeups)
		if n := strings.Count(logs.String(), "out of file descriptors"); n != 1 ||
			!strings.Contains(logs.String(), "RLIMIT_NOFILE soft") || !strings.Contains(logs.String(), "remedy=") {
			t.Errorf("want one rate-limited ERROR naming the limit and the remedy, got %d lines:\n%s", n, logs.String())
		}

		// Descriptors are back: the clients that waited are served. One
		// that a loop accepted inside the window (a descriptor freed for a
		// moment, e.g. by a health check closing) found none left to dial
		// its target and was reset: that is the right answer then, and
		// the dial failure was counted.
		dialFailures := int(metricValue(t, reg, "plink_forwarder_fd_exhausted_total", "op", fdOpDial))
		for i, fd := range clients {
			c, err := net.FileConn(os.NewFile(uintptr(fd), "client"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			buf := make([]byte, 3)
			if _, err := c.Read(buf); err != nil || string(buf) != "b1\n" {
				if errors.Is(err, syscall.ECONNRESET) && dialFailures > 0 {
					dialFailures--
					t.Logf("client %d was accepted while out of descriptors and reset (its dial failed)", i)
					continue
				}
				t.Errorf("client %d that waited: got %q, %v; want served by b1 (dial failures left to explain a reset: %d)", i, buf, err, dialFailures)
			}
		}
		if name, err := which(t, netip.Addr{}, tp.eni(tp.eniA)); err != nil || name != "b1" {
			t.Errorf("after: got %q, %v", name, err)
		}
		for _, e := range mustApply(t, f, tp.snap()).Errors {
			t.Errorf("bind after recovery: %v", e)
		}
	})
}

// Health checks that cannot get a socket say nothing about the target:
// it stays healthy, and the forwarder counts them.
func TestHealthChecksOutOfFileDescriptors(t *testing.T) {
	tp := newTopo(t)
	b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
	tp.addTarget(b, "za")
	reg := prometheus.NewRegistry()
	hl := &healthLog{}
	f := New(Options{Registerer: reg, OnHealth: hl.record})
	t.Cleanup(func() { f.Close() })
	mustApply(t, f, tp.snap())
	waitFor(t, "b1 healthy", func() bool { return hl.get(b.addr).State == "healthy" })

	fds := fdtest.Exhaust(t)
	// UnhealthyThreshold is 2: 5 checks in a row that could not run
	// would have failed the target.
	waitFor(t, "5 health checks out of descriptors", func() bool {
		fds.Refill()
		return metricValue(t, reg, "plink_forwarder_fd_exhausted_total", "op", fdOpHealth) >= 5
	})
	state := hl.get(b.addr).State
	fds.Release()
	if state != "healthy" {
		t.Errorf("target health while out of descriptors = %q: checks that cannot run must not fail the target", state)
	}
}

// loopWakeups adds up the epoll loops' wake-ups (0 for the goroutine
// engine).
func loopWakeups(f *Forwarder) int64 {
	if f.loops == nil {
		return 0
	}
	var n int64
	for _, lp := range f.loops.all {
		n += lp.wakeups.Load()
	}
	return n
}
