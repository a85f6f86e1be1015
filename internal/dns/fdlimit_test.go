//go:build linux

package dns

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// Out of file descriptors, the TCP accept loop rests (5 ms doubling to
// 1 s) instead of spinning, logs one ERROR naming the limit and the
// remedy, reports binds that fail as EMFILE with the limit, and serves
// the client that waited once descriptors free up.
// The test lowers this process's RLIMIT_NOFILE and fills the descriptor
// table, and restores both.
func TestTCPAcceptOutOfFileDescriptors(t *testing.T) {
	var logs syncBuf
	s := NewServer(Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	defer s.Close()
	if errs := s.Apply(testSnapshot()); len(errs) != 0 {
		t.Fatal(errs)
	}
	addr := netip.MustParseAddrPort("127.0.0.1:" + addrOf(t, s, "tcp 127.0.0.1:"))
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	fds := exhaustFDs(t)
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}); err != nil {
		fds.release()
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.acceptErrs.Load() == 0 {
		if time.Now().After(deadline) {
			fds.release()
			t.Fatal("accept never failed")
		}
		fds.refill()
		time.Sleep(time.Millisecond)
	}
	// A window long enough for a spinning loop to show; not a timing goal.
	const window = 500 * time.Millisecond
	before := s.acceptErrs.Load()
	time.Sleep(window)
	failed := s.acceptErrs.Load() - before
	// A listener bound now fails, recognisably.
	s2 := NewServer(Options{Addr: "127.0.0.1:0"})
	fds.refill()
	errs := s2.Apply(testSnapshot())
	s2.Close()
	fds.release()
	if len(errs) != 1 || !errors.Is(errs[0], syscall.EMFILE) || !strings.Contains(errs[0].Error(), "RLIMIT_NOFILE") {
		t.Errorf("binding out of descriptors: %v; want one EMFILE error naming the limit", errs)
	}
	if failed > 20 {
		t.Errorf("%d failed accepts in %v out of descriptors: the accept loop spins", failed, window)
	}
	if n := strings.Count(logs.String(), "out of file descriptors"); n != 1 || !strings.Contains(logs.String(), "RLIMIT_NOFILE") ||
		!strings.Contains(logs.String(), "remedy=") {
		t.Errorf("want one ERROR naming the limit and the remedy, got %d:\n%s", n, logs.String())
	}

	c, err := net.FileConn(os.NewFile(uintptr(fd), "client"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	co := &dns.Conn{Conn: c}
	m := new(dns.Msg)
	m.SetQuestion(e1Name, dns.TypeA)
	if err := co.WriteMsg(m); err != nil {
		t.Fatal(err)
	}
	if r, err := co.ReadMsg(); err != nil || len(r.Answer) != 2 {
		t.Fatalf("the client that waited: %v, %v", r, err)
	}
}

// fdFiller holds the descriptors that fill this process's table.
type fdFiller struct {
	t       *testing.T
	orig    syscall.Rlimit
	fillers []int
	done    bool
}

// exhaustFDs lowers RLIMIT_NOFILE to a little above the descriptors in
// use and opens /dev/null until the table is full (for the whole
// process: a test that calls it must not use t.Parallel); release (also run at
// cleanup) closes them and restores the limit.
func exhaustFDs(t *testing.T) *fdFiller {
	t.Helper()
	x := &fdFiller{t: t}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &x.orig); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	highest := 0
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			highest = max(highest, n)
		}
	}
	lim := x.orig
	lim.Cur = uint64(highest + 32)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.release)
	x.refill()
	return x
}

// refill takes every descriptor that got free.
func (x *fdFiller) refill() {
	for range 1 << 16 {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EMFILE {
			return
		}
		if err != nil {
			x.release()
			x.t.Fatal(err)
		}
		x.fillers = append(x.fillers, fd)
	}
	x.release()
	x.t.Fatal("the descriptor table did not fill")
}

// release closes the fillers and restores the limit.
func (x *fdFiller) release() {
	if x.done {
		return
	}
	x.done = true
	for _, fd := range x.fillers {
		syscall.Close(fd)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &x.orig); err != nil {
		x.t.Errorf("restoring RLIMIT_NOFILE: %v", err)
	}
}

// syncBuf is a strings.Builder for a logger written from several
// goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
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
