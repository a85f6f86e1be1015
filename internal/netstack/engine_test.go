package netstack

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plink-dev/plink/internal/snapshot"
)

// Slow readers on both sides: the forwarder must hold what the other side
// cannot take yet (a short write, a full pipe) and lose nothing.
func TestBackPressure(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		target := startSink(t, netip.AddrPortFrom(tp.ip(101), 0))
		tp.addTarget(target.backendRef(), "za")
		f := newForwarder(t, engine, nil)
		mustApply(t, f, tp.snap())

		// Bulk: 24 MB each way, more than the socket buffers loopback grows
		// to; the client does not read for a while, so the target's echo
		// backs up into plink (splice with a full pipe).
		t.Run("bulk", func(t *testing.T) {
			up := make([]byte, 24<<20)
			rand.Read(up)
			roundTrip(t, tp.eni(tp.eniA), up, len(up))
		})
		// Small writes: each read by plink is short, so the bytes go through
		// its buffer; the target not reading yet makes plink's writes short
		// and the rest wait in the connection (the pend path).
		t.Run("small writes", func(t *testing.T) {
			up := make([]byte, 3<<20)
			rand.Read(up)
			roundTrip(t, tp.eni(tp.eniA), up, 1000)
		})
	})
}

// One direction at a time, so that no bytes coming back wake the
// forwarder: a write to a full socket must make it wait for room (EPOLLOUT
// in the epoll engine) and carry on when room comes, or the transfer
// stalls. Upload: the target waits, then drains 16 MB and answers with
// their digest. Download: the target sends 16 MB to a client that waits
// before it reads.
func TestOneWayBackPressure(t *testing.T) {
	const size = 16 << 20
	data := make([]byte, size)
	rand.Read(data)
	sum := sha256.Sum256(data)
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		target := serveSmall(t, netip.AddrPortFrom(tp.ip(101), 0), func(c net.Conn) {
			var cmd [1]byte
			if _, err := io.ReadFull(c, cmd[:]); err != nil {
				return
			}
			switch cmd[0] {
			case 'U':
				time.Sleep(sinkPause) // the upload backs up first
				h := sha256.New()
				io.Copy(h, c)
				c.Write(h.Sum(nil))
			case 'D':
				c.Write(data)
			}
		})
		tp.addTarget(target.backendRef(), "za")
		f := newForwarder(t, engine, nil)
		mustApply(t, f, tp.snap())

		t.Run("upload", func(t *testing.T) {
			c := dial(t, tp.eni(tp.eniA))
			c.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := c.Write(append([]byte{'U'}, data...)); err != nil {
				t.Fatal(err)
			}
			c.CloseWrite()
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, sum[:]) {
				t.Fatalf("target's digest of the upload %x, want %x", got, sum)
			}
		})
		t.Run("download", func(t *testing.T) {
			c := dial(t, tp.eni(tp.eniA))
			c.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := c.Write([]byte{'D'}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(sinkPause) // the download backs up first
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != size || sha256.Sum256(got) != sum {
				t.Fatalf("downloaded %d bytes (sha256 %x), want %d (%x)", len(got), sha256.Sum256(got), size, sum)
			}
		})
	})
}

// roundTrip sends up in writes of chunk bytes (pausing between them when
// small), half-closes, reads the echo after a pause and compares.
func roundTrip(t *testing.T, dst string, up []byte, chunk int) {
	t.Helper()
	c := dial(t, dst)
	c.SetDeadline(time.Now().Add(60 * time.Second))
	go func() {
		for off := 0; off < len(up); off += chunk {
			c.Write(up[off:min(off+chunk, len(up))])
			if chunk < len(up) {
				time.Sleep(50 * time.Microsecond) // plink reads each write alone
			}
		}
		c.CloseWrite()
	}()
	time.Sleep(sinkPause)
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, up) {
		t.Fatalf("got %d bytes back (sha256 %x), want %d (%x)", len(got), sha256.Sum256(got), len(up), sha256.Sum256(up))
	}
}

// sinkPause is how long a sink connection waits before it reads.
const sinkPause = time.Second

// sink is a target with a small receive buffer (8 KiB, no autotuning)
// that waits sinkPause before reading, then echoes every byte and passes
// the half-close back.
type sink struct {
	ln   net.Listener
	addr netip.AddrPort
}

func startSink(t *testing.T, addr netip.AddrPort) *sink {
	t.Helper()
	return serveSmall(t, addr, func(c net.Conn) {
		time.Sleep(sinkPause) // the upload backs up first
		io.Copy(c, c)
		c.(*net.TCPConn).CloseWrite()
	})
}

// serveSmall listens on addr with an 8 KiB receive buffer (not autotuned,
// so that what a client sends backs up in plink) and runs handle on each
// connection, with a 60 s deadline, closing it after.
func serveSmall(t *testing.T, addr netip.AddrPort, handle func(net.Conn)) *sink {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		// Accepted sockets inherit the listener's receive buffer.
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<10) })
	}}
	ln, err := lc.Listen(context.Background(), "tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{ln: ln, addr: addrPort(ln.Addr())}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(60 * time.Second))
				handle(c)
			}()
		}
	}()
	return s
}

func (s *sink) backendRef() *backend { return &backend{addr: s.addr} }

// Connections keep flowing on one endpoint while another endpoint's
// listener comes and goes and the first one's target group changes, 40
// reconciles in a row: nothing on the first endpoint fails, connections
// on the removed listener end, and no connection is left behind.
func TestReconcileUnderLoad(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		f := newForwarder(t, engine, nil)
		mustApply(t, f, tp.snap())
		second := tp.ep
		second.ID = "vpce-0000000000000second"
		second.ENIs = []snapshot.ENI{{ID: "eni-c", Zone: "za", IPv4: tp.ip(20)}}

		stop := make(chan struct{})
		var wg sync.WaitGroup
		var done atomic.Int64
		errs := make(chan error, 8)
		client := func(dst string, mustWork bool) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", dst, 2*time.Second)
				if err != nil {
					if mustWork {
						errs <- err
						return
					}
					continue
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, "x")
				c.(*net.TCPConn).CloseWrite()
				got, err := io.ReadAll(c)
				c.Close()
				if mustWork && (err != nil || string(got) != "b1\nxbye") {
					errs <- fmt.Errorf("got %q, %v", got, err)
					return
				}
				if mustWork {
					done.Add(1)
				}
			}
		}
		for range 3 {
			wg.Add(1)
			go client(tp.eni(tp.eniA), true)
		}
		wg.Add(1)
		go client(tp.eni(tp.ip(20)), false)

		for i := range 40 {
			if i%2 == 0 {
				tp.extraEndpoints = []snapshot.Endpoint{second}
			} else {
				tp.extraEndpoints = nil
			}
			tp.tg.DeregistrationDelay = time.Duration(i) * time.Second // a changed route
			mustApply(t, f, tp.snap())
			time.Sleep(5 * time.Millisecond)
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if done.Load() == 0 {
			t.Fatal("no connection went through during the reconciles")
		}
		waitFor(t, "no connection left", func() bool {
			f.connMu.Lock()
			defer f.connMu.Unlock()
			return len(f.conns) == 0
		})
	})
}

// A target that never answers the handshake: after the dial timeout the
// client's connection is reset, the refusal is counted and logged with
// the timeout.
func TestDialTimeout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		if runtime.GOOS != "linux" {
			t.Skip("needs Linux's accept-queue overflow to drop SYNs")
		}
		tp := newTopo(t)
		hole := blackhole(t, netip.AddrPortFrom(tp.ip(102), 0))
		tp.addTarget(&backend{addr: hole}, "za")
		reg := prometheus.NewRegistry()
		var logs syncBuf
		f := New(Options{Registerer: reg, Engine: engine, DialTimeout: 300 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		defer f.Close()
		mustApply(t, f, tp.snap())

		start := time.Now()
		c := dial(t, tp.eni(tp.eniA))
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.r.ReadByte(); !closedOnUs(err) {
			t.Fatalf("read: %v, want the connection reset after the dial timeout", err)
		}
		if took := time.Since(start); took < 300*time.Millisecond {
			t.Errorf("reset after %v, before the 300ms dial timeout", took)
		}
		if n := metricValue(t, reg, "plink_forwarder_rejects_total", "reason", rejectDial); n != 1 {
			t.Errorf("dial rejects = %v, want 1", n)
		}
		line := logs.String()
		if !strings.Contains(line, "cannot connect to target") || !strings.Contains(line, "timeout=300ms") ||
			!strings.Contains(line, hole.String()) || !strings.Contains(line, "remedy=\"start a server on "+hole.String()) {
			t.Errorf("log has no clear dial-timeout line:\n%s", line)
		}
		// A second failure right after is counted, not logged again.
		c2 := dial(t, tp.eni(tp.eniA))
		c2.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c2.r.ReadByte(); !closedOnUs(err) {
			t.Fatalf("second read: %v, want the connection reset after the dial timeout", err)
		}
		if n := metricValue(t, reg, "plink_forwarder_rejects_total", "reason", rejectDial); n != 2 {
			t.Errorf("dial rejects = %v, want 2", n)
		}
		if n := strings.Count(logs.String(), "cannot connect to target"); n != 1 {
			t.Errorf("%d dial-failure lines, want 1 (rate-limited):\n%s", n, logs.String())
		}
	})
}

// A client that speaks first to a target whose handshake is late: its
// bytes wait in plink (the epoll engine writes them in the accept's
// wake-up and finds the connect in progress), and reach the target once
// it answers, after the PROXY v2 header and in order.
func TestFirstBytesWaitForALateConnect(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		if runtime.GOOS != "linux" {
			t.Skip("needs Linux's accept-queue overflow to drop SYNs")
		}
		tp := newTopo(t)
		tp.tg.ProxyProtocolV2 = true
		hole, fd := blackholeFD(t, netip.AddrPortFrom(tp.ip(102), 0))
		tp.addTarget(&backend{addr: hole}, "za")
		f := New(Options{Registerer: prometheus.NewRegistry(), Engine: engine, DialTimeout: 10 * time.Second})
		defer f.Close()
		mustApply(t, f, tp.snap())

		c := dial(t, tp.eni(tp.eniA))
		if _, err := c.Write([]byte("ping\n")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // the SYN is dropped; the bytes wait

		// Free the accept queue: the SYN's retransmission, a second after
		// the first, now gets through. Health checks knock too (a LOCAL
		// header); the client's connection is the one with PROXY.
		// A copy of the descriptor: blackholeFD's cleanup closes fd, and
		// two closes of one number can close another test's socket.
		dup, err := syscall.Dup(fd)
		if err != nil {
			t.Fatal(err)
		}
		file := os.NewFile(uintptr(dup), "hole")
		ln, err := net.FileListener(file)
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(8 * time.Second))
		filler, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		filler.Close()
		for {
			conn, err := ln.Accept()
			if err != nil {
				t.Fatalf("no forwarded connection: %v", err)
			}
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(conn)
			h, err := proxyproto.Read(r)
			if err != nil {
				conn.Close()
				t.Fatalf("PROXY v2 header: %v", err)
			}
			if h.Command.IsLocal() {
				conn.Close()
				continue
			}
			line, err := r.ReadString('\n')
			conn.Close()
			if err != nil || line != "ping\n" {
				t.Fatalf("after the header: %q, %v; want the client's ping", line, err)
			}
			return
		}
	})
}

// blackhole returns an address where connects hang: a listener with a
// backlog of 0 whose queue the test fills, so the kernel drops new SYNs.
func blackhole(t *testing.T, addr netip.AddrPort) netip.AddrPort {
	t.Helper()
	hole, _ := blackholeFD(t, addr)
	return hole
}

// blackholeFD is blackhole with the listening socket, which the test may
// accept on to open the hole.
func blackholeFD(t *testing.T, addr netip.AddrPort) (netip.AddrPort, int) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0) // no SOCK_CLOEXEC: darwin lacks it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: addr.Addr().As4()}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	hole := netip.AddrPortFrom(addr.Addr(), uint16(sa.(*syscall.SockaddrInet4).Port))
	filler, err := net.DialTimeout("tcp", hole.String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	if probe, err := net.DialTimeout("tcp", hole.String(), 200*time.Millisecond); err == nil {
		probe.Close()
		t.Skip("this kernel completes handshakes past a full accept queue")
	}
	return hole, fd
}

// syncBuf is a bytes.Buffer for a logger written from several goroutines.
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
