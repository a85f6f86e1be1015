package dataplane

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// mode is how a target treats a new connection.
type mode int32

const (
	modeOK    mode = iota // answer
	modeHang              // accept, read, never answer
	modeReset             // accept, then reset (RST)
	modeSick              // answer traffic, fail HTTP health checks (503)
)

// target is a test target the client speaks to first: a line "GET ..."
// is an HTTP health check (200, or 503 when sick); any other line is
// echoed back as "<name> <line>", line after line, until EOF.
type target struct {
	t    *testing.T
	name string
	addr netip.AddrPort
	mode atomic.Int32

	mu     sync.Mutex
	ln     net.Listener // nil while killed or blackholed
	holeFD int          // the blackhole socket, -1 when none
	hole   []net.Conn   // connections filling the blackhole's queue
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

// startTarget listens on 127.0.0.1 (any port) until the test ends.
func startTarget(t *testing.T, name string) *target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{t: t, name: name, addr: ln.Addr().(*net.TCPAddr).AddrPort(), holeFD: -1, conns: map[net.Conn]bool{}}
	tg.serve(ln)
	t.Cleanup(tg.kill)
	return tg
}

// arg is the target as a register-targets argument.
func (tg *target) arg() string {
	return fmt.Sprintf("Id=%s,Port=%d", tg.addr.Addr(), tg.addr.Port())
}

func (tg *target) key() string { return tg.addr.String() }

func (tg *target) serve(ln net.Listener) {
	tg.mu.Lock()
	tg.ln = ln
	tg.mu.Unlock()
	tg.wg.Add(1)
	go func() {
		defer tg.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tg.mu.Lock()
			if tg.ln != ln {
				tg.mu.Unlock()
				c.Close()
				return
			}
			tg.conns[c] = true
			tg.wg.Add(1)
			tg.mu.Unlock()
			go tg.handle(c)
		}
	}()
}

func (tg *target) handle(c net.Conn) {
	defer tg.wg.Done()
	defer func() {
		tg.mu.Lock()
		delete(tg.conns, c)
		tg.mu.Unlock()
		c.Close()
	}()
	m := mode(tg.mode.Load())
	switch m {
	case modeReset:
		c.(*net.TCPConn).SetLinger(0)
		return
	case modeHang:
		io.Copy(io.Discard, c)
		return
	}
	r := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(30 * time.Second)) // idle limit
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if strings.HasPrefix(line, "GET ") || strings.HasPrefix(line, "HEAD ") {
			for {
				h, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimSpace(h) == "" {
					break
				}
			}
			status := "200 OK"
			if mode(tg.mode.Load()) == modeSick {
				status = "503 Service Unavailable"
			}
			fmt.Fprintf(c, "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status)
			return
		}
		if _, err := fmt.Fprintf(c, "%s %s", tg.name, line); err != nil {
			return
		}
	}
}

// set changes how new connections are treated.
func (tg *target) set(m mode) { tg.mode.Store(int32(m)) }

// kill closes the listener and every open connection: new connections
// are refused.
func (tg *target) kill() {
	tg.mu.Lock()
	if tg.ln != nil {
		tg.ln.Close()
		tg.ln = nil
	}
	if tg.holeFD >= 0 {
		syscall.Close(tg.holeFD)
		tg.holeFD = -1
	}
	for _, c := range tg.hole {
		c.Close()
	}
	tg.hole = nil
	for c := range tg.conns {
		c.Close()
	}
	tg.mu.Unlock()
	tg.wg.Wait()
}

// restart listens again on the same address, answering normally.
func (tg *target) restart() error {
	tg.kill()
	tg.set(modeOK)
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", tg.addr.String()); err == nil {
			tg.serve(ln)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// blackhole replaces the target with a socket whose accept queue is full
// (backlog 0, one queued connection never accepted): Linux drops further
// SYNs, so connections and health checks time out, as to a host that has
// vanished from the network. Loopback only, no firewall needed.
func (tg *target) blackhole() error {
	tg.kill()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	sa := &syscall.SockaddrInet4{Port: int(tg.addr.Port()), Addr: tg.addr.Addr().As4()}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return fmt.Errorf("bind %s: %w", tg.addr, err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		return err
	}
	tg.mu.Lock()
	tg.holeFD = fd
	tg.mu.Unlock()
	// Fill the queue until a SYN goes unanswered.
	for range 8 {
		c, err := net.DialTimeout("tcp", tg.addr.String(), 300*time.Millisecond)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil
			}
			return fmt.Errorf("filling the blackhole: %w", err)
		}
		tg.mu.Lock()
		tg.hole = append(tg.hole, c)
		tg.mu.Unlock()
	}
	return errors.New("the blackhole still completes handshakes after 8 queued connections")
}

// attempt is one client connection through plink.
type attempt struct {
	start time.Time
	end   time.Time
	name  string // the target that answered
	err   error
}

// load runs workers that each make short connections to dst, one after
// the other with a pause between them, until stop.
type load struct {
	mu       sync.Mutex
	attempts []attempt
	stopc    chan struct{}
	wg       sync.WaitGroup
}

// startLoad starts workers connecting to dst.
func startLoad(dst string, workers int, pause time.Duration) *load {
	l := &load{stopc: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stopc:
					return
				default:
				}
				start := time.Now()
				name, err := oneShot(dst, fmt.Sprintf("w%d-%d", w, i))
				l.mu.Lock()
				l.attempts = append(l.attempts, attempt{start, time.Now(), name, err})
				l.mu.Unlock()
				select {
				case <-l.stopc:
					return
				case <-time.After(pause):
				}
			}
		}()
	}
	return l
}

// stop stops the workers and returns every attempt.
func (l *load) stop() []attempt {
	close(l.stopc)
	l.wg.Wait()
	return l.snapshot()
}

func (l *load) snapshot() []attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]attempt(nil), l.attempts...)
}

// oneShot connects to dst, sends msg and expects "<name> msg" back within
// 3 s; it returns the name.
func oneShot(dst, msg string) (string, error) {
	c, err := net.DialTimeout("tcp", dst, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", msg); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("reading the answer (from %s): %w", c.LocalAddr(), err)
	}
	name, got, _ := strings.Cut(strings.TrimSpace(line), " ")
	if got != msg {
		return "", fmt.Errorf("answer %q to %q", line, msg)
	}
	return name, nil
}

// stream is one long-lived connection that sends a line every tick and
// expects each back; a failure is counted and the stream reconnects.
type stream struct {
	lines, failures atomic.Int64
	lastErr         atomic.Value
	stopc           chan struct{}
	done            chan struct{}
}

func startStream(dst string, tick time.Duration) *stream {
	s := &stream{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		var c net.Conn
		var r *bufio.Reader
		defer func() {
			if c != nil {
				c.Close()
			}
		}()
		for i := 0; ; i++ {
			select {
			case <-s.stopc:
				return
			case <-time.After(tick):
			}
			if c == nil {
				var err error
				if c, err = net.DialTimeout("tcp", dst, 2*time.Second); err != nil {
					s.fail(err)
					c = nil
					continue
				}
				r = bufio.NewReader(c)
			}
			msg := fmt.Sprintf("stream-%d", i)
			c.SetDeadline(time.Now().Add(3 * time.Second))
			_, err := fmt.Fprintf(c, "%s\n", msg)
			var line string
			if err == nil {
				line, err = r.ReadString('\n')
			}
			if err == nil && !strings.HasSuffix(strings.TrimSpace(line), " "+msg) {
				err = fmt.Errorf("answer %q to %q", line, msg)
			}
			if err != nil {
				s.fail(err)
				c.Close()
				c = nil
				continue
			}
			s.lines.Add(1)
		}
	}()
	return s
}

func (s *stream) fail(err error) {
	s.failures.Add(1)
	s.lastErr.Store(err.Error())
}

func (s *stream) stop() {
	close(s.stopc)
	<-s.done
}
