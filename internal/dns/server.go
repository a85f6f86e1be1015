package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"

	"github.com/plink-dev/plink/internal/snapshot"
	"github.com/plink-dev/plink/internal/sockholder"
)

// Options configures a Server.
type Options struct {
	Port     int          // port on every VPC resolver address (VPC.Resolver); 0 = do not listen there
	Addr     string       // an extra host:port listener (UDP+TCP), "" = none
	Upstream string       // host:port to forward names plink is not authoritative for; "" = off
	Logger   *slog.Logger // nil = discard
}

const (
	// tcpFirstQueryTimeout bounds how long a new TCP connection may take
	// to send its first query, and tcpIdleTimeout how long it may wait
	// between queries (RFC 7766 section 6.2.3: idle timeouts of a few
	// seconds). tcpIOTimeout bounds reading the rest of a query once its
	// length arrived, and writing a reply.
	tcpFirstQueryTimeout = 2 * time.Second
	tcpIdleTimeout       = 5 * time.Second
	tcpIOTimeout         = 5 * time.Second
	upstreamTimeout      = 2 * time.Second
	maxForwards          = 256 // concurrent upstream exchanges; more are answered SERVFAIL
	// maxTCPConns caps the server's TCP connections. When full, a new
	// connection closes the one idle longest; when none is idle it is
	// refused at once.
	maxTCPConns = 512
)

// Server is plink's DNS server. Its zone data is swapped whole by Apply;
// queries read it without locks. The zero value is not usable: call
// NewServer.
type Server struct {
	opts Options
	log  *slog.Logger
	zone atomic.Pointer[zone]
	// applyMu orders zone changes; snap is the snapshot of the zone
	// (nil for NewServer's empty one), the base of the next update.
	applyMu sync.Mutex
	snap    *snapshot.Snapshot
	ctx     context.Context // canceled by Close; bounds upstream exchanges
	cancel  context.CancelFunc
	fwd     chan struct{} // semaphore of upstream exchanges

	tcpMu      sync.Mutex
	tcpConns   map[*tcpConn]struct{} // every open TCP connection, at most maxTCPConns
	maxTCP     int                   // maxTCPConns; smaller in tests
	tcpIO      time.Duration         // tcpIOTimeout; longer in tests that hold a query half sent
	evicted    atomic.Int64          // idle TCP connections closed to make room
	refused    atomic.Int64          // TCP connections refused: all others busy
	accept     retryLog              // TCP accept failures (out of descriptors)
	acceptErrs atomic.Int64          // TCP accept failures, for tests
	udpErrs    retryLog              // UDP read failures

	mu        sync.Mutex
	closed    bool
	listeners map[string]*listener // by configured host:port
	wg        sync.WaitGroup       // every goroutine the server started
}

// listener is one UDP socket and one TCP socket on the same address.
type listener struct {
	udp *net.UDPConn
	// udps are the UDP sockets the workers read, udp first: one per
	// worker, bound to the same address with SO_REUSEPORT, so the kernel
	// spreads queries over them and no worker waits on another's socket.
	udps  []*net.UDPConn
	tcp   *net.TCPListener
	local netip.Addr

	done    chan struct{} // closed by stop
	mu      sync.Mutex
	stopped bool
	conns   map[net.Conn]struct{} // open TCP connections, closed on stop
	wg      sync.WaitGroup
}

// NewServer returns a Server with empty zones that listens nowhere until
// Apply.
func NewServer(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts: opts, log: log, ctx: ctx, cancel: cancel,
		fwd:       make(chan struct{}, maxForwards),
		tcpConns:  map[*tcpConn]struct{}{},
		maxTCP:    maxTCPConns,
		tcpIO:     tcpIOTimeout,
		listeners: map[string]*listener{},
	}
	s.zone.Store(buildZone(&snapshot.Snapshot{}, log))
	return s
}

// Apply swaps in the zone data of snap atomically (queries in flight finish
// on the old data), then starts listeners on the resolver address of every
// VPC that has none and stops those of VPCs that are gone. It returns one
// error per address it could not bind, naming the address and a remedy;
// addresses that failed are tried again on the next Apply.
func (s *Server) Apply(snap *snapshot.Snapshot) []error {
	s.applyZone(snap)

	want := map[string]bool{}
	if s.opts.Addr != "" {
		want[s.opts.Addr] = true
	}
	if s.opts.Port > 0 {
		for _, v := range snap.VPCs {
			if v.Resolver.IsValid() {
				want[netip.AddrPortFrom(v.Resolver, uint16(s.opts.Port)).String()] = true
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return []error{errors.New("dns: server is closed")}
	}
	var errs []error
	keys := make([]string, 0, len(want))
	for addr := range want {
		keys = append(keys, addr)
	}
	sort.Strings(keys)
	for _, addr := range keys {
		if s.listeners[addr] != nil {
			continue
		}
		l, err := listen(addr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.listeners[addr] = l
		s.start(l)
		s.log.Info("dns: listening", "addr", l.udp.LocalAddr().String())
	}
	for addr, l := range s.listeners {
		if !want[addr] {
			delete(s.listeners, addr)
			l.stop()
			s.log.Info("dns: stopped listening", "addr", addr)
		}
	}
	return errs
}

// applyZone swaps in the zone of snap: the current zone updated where
// only some endpoints and load balancers changed (see updateZone), else
// built whole.
func (s *Server) applyZone(snap *snapshot.Snapshot) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	z := updateZone(s.zone.Load(), s.snap, snap, s.log)
	if z == nil {
		z = buildZone(snap, s.log)
	}
	s.zone.Store(z)
	s.snap = snap
}

// Addrs lists the bound listeners, sorted, such as "udp 127.16.0.2:53"
// and "tcp 127.16.0.2:53".
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.listeners {
		out = append(out, "udp "+l.udp.LocalAddr().String(), "tcp "+l.tcp.Addr().String())
	}
	sort.Strings(out)
	return out
}

// Close stops every listener and waits for the goroutines serving them.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for addr, l := range s.listeners {
		delete(s.listeners, addr)
		l.stop()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// listen binds UDP and TCP on addr (port 0: the same free port for both).
func listen(addr string) (*listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dns: listen on %q: %w (want host:port)", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("dns: listen on %q: bad port", addr)
	}
	lc := net.ListenConfig{Control: reusePort}
	for attempt := 0; ; attempt++ {
		u, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			return nil, bindError("udp", addr, err)
		}
		udp := u.(*net.UDPConn)
		bound := net.JoinHostPort(host, strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port))
		t, err := net.Listen("tcp", bound)
		if err != nil {
			udp.Close()
			if port == 0 && attempt < 10 && errors.Is(err, syscall.EADDRINUSE) {
				continue // the free UDP port is taken in TCP: pick another
			}
			return nil, bindError("tcp", bound, err)
		}
		udps := []*net.UDPConn{udp}
		for len(udps) < runtime.GOMAXPROCS(0) {
			more, err := lc.ListenPacket(context.Background(), "udp", bound)
			if err != nil {
				break // one socket still serves; more only spread the load
			}
			udps = append(udps, more.(*net.UDPConn))
		}
		local, _ := netip.AddrFromSlice(udp.LocalAddr().(*net.UDPAddr).IP)
		return &listener{udp: udp, udps: udps, tcp: t.(*net.TCPListener), local: local.Unmap(),
			conns: map[net.Conn]struct{}{}, done: make(chan struct{})}, nil
	}
}

// reusePort sets SO_REUSEPORT on a UDP socket before it binds. The TCP
// socket does not get it, so a second server on the same address still
// fails with "address in use" there.
func reusePort(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// bindError explains a failed bind with a remedy.
func bindError(network, addr string, err error) error {
	var hint string
	switch {
	case errors.Is(err, syscall.EACCES):
		hint = "ports below 1024 need root or CAP_NET_BIND_SERVICE: use another port (--dns-port 5300 on plink serve or plink demo) " +
			"or grant the capability (sudo setcap cap_net_bind_service=+ep $(which plink))"
	case errors.Is(err, syscall.EADDRINUSE):
		who := "held by another process (a DNS server such as systemd-resolved or dnsmasq, or another plink serve)"
		if ap, perr := netip.ParseAddrPort(addr); perr == nil {
			if h, ok := new(sockholder.Finder).Find(network, ap); ok {
				who = "held by " + h.String()
			}
		}
		port := portOf(addr)
		other := 5300
		if port == other {
			other = 5301
		}
		hint = fmt.Sprintf("port %d in use, %s: stop it or give DNS another port (--dns-port %d on plink serve or plink demo)", port, who, other)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		hint = "the address is not local: outside 127.0.0.0/8 it needs a local route (run plink serve or plink demo as root, which adds it)"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		var rl syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
		hint = fmt.Sprintf("out of file descriptors (RLIMIT_NOFILE soft %d, hard %d): "+
			"raise the open files limit (ulimit -n, systemd LimitNOFILE=) or serve fewer endpoints", rl.Cur, rl.Max)
	default:
		return fmt.Errorf("dns: cannot listen on %s %s: %w", network, addr, cause{err})
	}
	return fmt.Errorf("dns: cannot listen on %s %s: %w; %s", network, addr, cause{err}, hint)
}

// cause is a listen error that prints without net's "listen tcp ADDR: "
// (the message names the network and address already) and unwraps to the
// whole error, so errors.Is still finds EADDRINUSE.
type cause struct{ err error }

func (c cause) Error() string {
	var op *net.OpError
	if errors.As(c.err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return c.err.Error()
}

func (c cause) Unwrap() error { return c.err }

// portOf is the port of host:port, 0 when there is none.
func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// start runs the listener's UDP workers and TCP accept loop.
func (s *Server) start(l *listener) {
	l.wg.Add(len(l.udps) + 1)
	s.wg.Add(len(l.udps) + 1)
	for _, u := range l.udps {
		go func() {
			defer s.wg.Done()
			defer l.wg.Done()
			s.serveUDP(l, u)
		}()
	}
	go func() {
		defer s.wg.Done()
		defer l.wg.Done()
		s.acceptTCP(l)
	}()
}

// stop closes the listener's sockets and connections and waits for its
// goroutines.
func (l *listener) stop() {
	for _, u := range l.udps {
		u.Close()
	}
	l.tcp.Close()
	close(l.done)
	l.mu.Lock()
	l.stopped = true
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// forwardUDP answers a forwarded UDP query from its own goroutine, so a
// slow upstream does not hold a worker.
func (s *Server) forwardUDP(udp *net.UDPConn, req *dns.Msg, dst netip.AddrPort) {
	select {
	case s.fwd <- struct{}{}:
	default:
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeServerFailure)
		if b, err := m.Pack(); err == nil {
			udp.WriteToUDPAddrPort(b, dst)
		}
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.fwd }()
		if b := s.forward(req, false); b != nil {
			udp.WriteToUDPAddrPort(b, dst)
		}
	}()
}

// forward asks the upstream resolver and returns its answer packed for the
// client, or SERVFAIL.
func (s *Server) forward(req *dns.Msg, tcp bool) []byte {
	opt, _ := requestOPT(req)
	limit := sizeLimit(opt, tcp)
	up := req.Copy()
	up.Id = dns.Id()
	c := &dns.Client{Net: "udp", Timeout: upstreamTimeout}
	resp, _, err := c.ExchangeContext(s.ctx, up, s.opts.Upstream)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(s.ctx, up, s.opts.Upstream)
	}
	if err != nil {
		s.log.Debug("dns: upstream", "upstream", s.opts.Upstream, "name", req.Question[0].Name, "err", err)
		resp = new(dns.Msg)
		resp.SetRcode(req, dns.RcodeServerFailure)
	}
	resp.Id = req.Id
	extra := resp.Extra[:0]
	for _, rr := range resp.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	resp.Extra = extra
	if opt != nil {
		resp.Extra = append(resp.Extra, replyOPT(opt.Do()))
	}
	return packReply(resp, limit, nil)
}

// tcpConn is one open TCP connection and since when it waits for a
// query.
type tcpConn struct {
	c net.Conn
	// idleSince is when the connection last began to wait for a query
	// (unix nanoseconds), 0 while a query is read or answered.
	idleSince atomic.Int64
}

// admitTCP makes room for c among the server's TCP connections: under the
// cap it is added; at the cap the connection idle longest is closed to
// make room (its goroutine ends on the closed socket); when every one is
// busy with a query, c is refused (false).
func (s *Server) admitTCP(c *tcpConn) bool {
	s.tcpMu.Lock()
	defer s.tcpMu.Unlock()
	if len(s.tcpConns) >= s.maxTCP {
		var oldest *tcpConn
		for o := range s.tcpConns {
			if since := o.idleSince.Load(); since != 0 && (oldest == nil || since < oldest.idleSince.Load()) {
				oldest = o
			}
		}
		if oldest == nil {
			s.refused.Add(1)
			return false
		}
		delete(s.tcpConns, oldest)
		oldest.c.Close()
		s.evicted.Add(1)
	}
	s.tcpConns[c] = struct{}{}
	return true
}

func (s *Server) dropTCP(c *tcpConn) {
	s.tcpMu.Lock()
	delete(s.tcpConns, c)
	s.tcpMu.Unlock()
}

// acceptTCP accepts connections until the listener closes. Accept
// failures (out of file descriptors above all) back off from 5 ms to 1 s
// and are logged at most every few seconds: never a busy loop.
func (s *Server) acceptTCP(l *listener) {
	var wait time.Duration
	for {
		c, err := l.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.acceptErrs.Add(1)
			wait = min(max(2*wait, 5*time.Millisecond), time.Second)
			s.accept.failed(s.log, "dns: tcp accept failed; retrying", err, wait)
			if !l.rest(wait) {
				return
			}
			continue
		}
		wait = 0
		tc := &tcpConn{c: c}
		tc.idleSince.Store(time.Now().UnixNano())
		if !s.admitTCP(tc) {
			c.Close()
			continue
		}
		l.mu.Lock()
		if l.stopped {
			l.mu.Unlock()
			c.Close()
			s.dropTCP(tc)
			return
		}
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		l.wg.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer l.wg.Done()
			s.serveTCP(l, tc)
			s.dropTCP(tc)
			l.mu.Lock()
			delete(l.conns, c)
			l.mu.Unlock()
			c.Close()
		}()
	}
}

// rest waits d, or until the listener stops (false).
func (l *listener) rest(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.done:
		return false
	}
}

// serveTCP answers length-prefixed queries on one connection, in order,
// until the client closes, sends garbage, takes longer than
// tcpFirstQueryTimeout to send its first query or idles for
// tcpIdleTimeout between queries.
func (s *Server) serveTCP(l *listener, tc *tcpConn) {
	c := tc.c
	src := netip.Addr{}
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		src = ta.AddrPort().Addr()
	}
	buf := make([]byte, dns.MaxMsgSize)
	out := make([]byte, 0, 4096)
	upstream := s.opts.Upstream != ""
	idle := tcpFirstQueryTimeout
	for {
		now := time.Now()
		tc.idleSince.Store(now.UnixNano())
		c.SetReadDeadline(now.Add(idle))
		if _, err := io.ReadFull(c, buf[:2]); err != nil {
			return
		}
		tc.idleSince.Store(0)
		idle = tcpIdleTimeout
		n := int(binary.BigEndian.Uint16(buf))
		c.SetReadDeadline(time.Now().Add(s.tcpIO))
		if _, err := io.ReadFull(c, buf[:n]); err != nil {
			return
		}
		q := query{raw: buf[:n], local: l.local, src: src, tcp: true}
		reply, fwd := handle(s.zone.Load(), q, upstream, out)
		if fwd != nil {
			reply = s.forward(fwd, true)
		}
		if reply == nil {
			return
		}
		length := [2]byte{byte(len(reply) >> 8), byte(len(reply))}
		c.SetWriteDeadline(time.Now().Add(s.tcpIO))
		if _, err := (&net.Buffers{length[:], reply}).WriteTo(c); err != nil {
			return
		}
	}
}

// retryLog logs a failure that repeats (a socket error in a loop) at
// most once per retryLogEvery, with the count since the last line, at
// ERROR and with the remedy when it is for want of file descriptors.
type retryLog struct {
	mu    sync.Mutex
	last  time.Time
	count int
}

const retryLogEvery = 5 * time.Second

func (r *retryLog) failed(log *slog.Logger, msg string, err error, retryIn time.Duration) {
	r.mu.Lock()
	r.count++
	if time.Since(r.last) < retryLogEvery {
		r.mu.Unlock()
		return
	}
	n := r.count
	r.count, r.last = 0, time.Now()
	r.mu.Unlock()
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		var rl syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
		log.Error(msg+": out of file descriptors", "err", err, "failures", n, "retry_in", retryIn,
			"limit", fmt.Sprintf("RLIMIT_NOFILE soft %d, hard %d", rl.Cur, rl.Max),
			"remedy", "raise the open files limit (ulimit -n, systemd LimitNOFILE=) or serve fewer endpoints")
		return
	}
	log.Warn(msg, "err", err, "failures", n, "retry_in", retryIn)
}
