//go:build linux

package netstack

import (
	"bytes"
	"crypto/rand"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/plink-dev/plink/internal/snapshot"
)

// The epoll engine's pump, driven by hand over socket pairs with small
// buffers: writes to the target come up short, the rest waits in the
// connection (pend) while the client is not read, and nothing is lost or
// reordered; the client's EOF goes on as a half-close.
func TestPumpHoldsWhatTheTargetCannotTake(t *testing.T) {
	f := New(Options{Engine: EngineGoroutines})
	defer f.Close()
	lp, err := newLoop(f)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lp.epfd)
	defer unix.Close(lp.wakefd)

	client, cfd := socketPair(t)
	target, ufd := socketPair(t)
	unix.SetNonblock(target, true)
	unix.SetsockoptInt(ufd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
	unix.SetsockoptInt(target, unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)

	c := &conn{route: &route{tg: &snapshot.TargetGroup{}}, idle: time.Minute,
		cm: &connMetrics{in: prometheus.NewCounter(prometheus.CounterOpts{Name: "in"}),
			out:    prometheus.NewCounter(prometheus.CounterOpts{Name: "out"}),
			active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "active"})}}
	lc := &lconn{conn: c, lp: lp, cfd: cfd, ufd: ufd, state: stOpen}
	lc.flows[0] = flow{src: cfd, dst: ufd, total: &c.up, counter: c.cm.in}
	lc.flows[1] = flow{src: ufd, dst: cfd, total: &c.down, counter: c.cm.out}
	c.ender = lc
	lp.conns[lc] = struct{}{}
	f.connWG.Add(1)
	// Registered as open registers them: for reading only, EPOLLOUT added
	// when a write comes up short (blocked).
	for side, fd := range []int{cfd, ufd} {
		if err := lp.register(fd, fdRef{c: lc, side: side}, readEvents); err != nil {
			t.Fatal(err)
		}
	}
	up := &lc.flows[0]

	msg := make([]byte, 200_000)
	rand.Read(msg)
	var got []byte
	held := false
	buf := make([]byte, 64<<10)
	for off := 0; off < len(msg); off += 1000 {
		if _, err := unix.Write(client, msg[off:off+1000]); err != nil {
			t.Fatal(err)
		}
		up.canRead, up.canWrite = true, true
		lc.pump(up)
		if lc.state != stOpen {
			t.Fatalf("connection closed after %d bytes: %v", off, c.reason.Load())
		}
		if len(up.pend) > 0 {
			held = true
		}
		if off%8000 == 7000 { // the target reads now and then, everything
			for {
				n, _ := unix.Read(target, buf)
				if n <= 0 {
					break
				}
				got = append(got, buf[:n]...)
			}
			up.canWrite = true
			lc.pump(up)
		}
		if up.pipe != nil {
			t.Fatal("1000-byte writes turned the connection to splice")
		}
	}
	if !held {
		t.Error("no write to the target came up short: the test did not exercise pend")
	}
	if !lc.outOn[sideTarget] || lc.outOn[sideClient] {
		t.Errorf("EPOLLOUT registered by side %v; want the target's only, once a write to it came up short", lc.outOn)
	}
	unix.Close(client) // EOF: plink flushes, then half-closes the target
	for up.canRead, up.canWrite = true, true; !up.done; up.canWrite = true {
		lc.pump(up)
		n, _ := unix.Read(target, buf)
		got = append(got, buf[:max(n, 0)]...)
		if lc.state != stOpen {
			t.Fatalf("connection closed: %v", *c.reason.Load())
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		n, err := unix.Read(target, buf)
		if n == 0 && err == nil {
			break // the half-close arrived after the last byte
		}
		got = append(got, buf[:max(n, 0)]...)
		if time.Now().After(deadline) {
			t.Fatalf("no EOF at the target after %d bytes", len(got))
		}
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("target got %d bytes, want %d (same bytes: %v)", len(got), len(msg), bytes.Equal(got, msg[:min(len(got), len(msg))]))
	}
	if c.up.Load() != int64(len(msg)) {
		t.Errorf("bytes_up = %d, want %d", c.up.Load(), len(msg))
	}
	lc.close(false)
}

// socketPair returns a connected stream pair: the peer's end (blocking)
// and the loop's (non-blocking, as the loop has its sockets).
func socketPair(t *testing.T) (peer, loop int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.SetNonblock(fds[1], true)
	t.Cleanup(func() { unix.Close(fds[0]) })
	return fds[0], fds[1]
}

// A listener that rested (out of descriptors) and that the kernel then
// refuses to watch again must stay in the loop's paused list to be tried
// again: dropped from both the epoll set and the list, it would stay
// bound and never accept again. And a listener that still rests after a
// scan wakes the loop at its own deadline, not a scan period later.
func TestScanKeepsListenersItCannotWatchYet(t *testing.T) {
	f := New(Options{Engine: EngineGoroutines})
	defer f.Close()
	lp, err := newLoop(f)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lp.epfd)
	defer unix.Close(lp.wakefd)

	// epoll refuses a regular file (EPERM), as it refuses a listener
	// when fs.epoll.max_user_watches is reached.
	file, err := os.CreateTemp(t.TempDir(), "not-pollable")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	unwatchable := &listener{fd: int(file.Fd())}
	_, sock := socketPair(t)
	defer unix.Close(sock)
	later := &listener{fd: sock}

	lp.now = mono()
	lp.nextScan = lp.now
	soon := lp.now + int64(10*time.Millisecond)
	lp.paused = []pausedListener{{unwatchable, lp.now - 1}, {later, soon}}
	lp.scan()

	var got []*listener
	for _, p := range lp.paused {
		got = append(got, p.l)
	}
	if len(got) != 2 || !slices.Contains(got, unwatchable) || !slices.Contains(got, later) {
		t.Errorf("paused after the scan: %v; want the listener epoll refused (to retry) and the one still resting", got)
	}
	if lp.nextScan <= lp.now || lp.nextScan > soon {
		t.Errorf("next scan in %v; want by the resting listener's deadline (%v)",
			time.Duration(lp.nextScan-lp.now), time.Duration(soon-lp.now))
	}
}
