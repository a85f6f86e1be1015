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
)

// Options configures a Server.
type Options struct {
	Port     int          // port on every VPC resolver address (VPC.Resolver); 0 = do not listen there
	Addr     string       // an extra host:port listener (UDP+TCP), "" = none
	Upstream string       // host:port to forward names plink is not authoritative for; "" = off
	Logger   *slog.Logger // nil = discard
}

const (
	tcpIdleTimeout  = 10 * time.Second
	upstreamTimeout = 2 * time.Second
	maxForwards     = 256 // concurrent upstream exchanges; more are answered SERVFAIL
	maxTCPConns     = 512 // concurrent TCP connections per server; more are closed
)

// Server is plink's DNS server. Its zone data is swapped whole by Apply;
// queries read it without locks. The zero value is not usable: call
// NewServer.
type Server struct {
	opts   Options
	log    *slog.Logger
	zone   atomic.Pointer[zone]
	ctx    context.Context // canceled by Close; bounds upstream exchanges
	cancel context.CancelFunc
	fwd    chan struct{} // semaphore of upstream exchanges
	tcp    chan struct{} // semaphore of TCP connections

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
		tcp:       make(chan struct{}, maxTCPConns),
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
	s.zone.Store(buildZone(snap, s.log))

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
		return &listener{udp: udp, udps: udps, tcp: t.(*net.TCPListener), local: local.Unmap(), conns: map[net.Conn]struct{}{}}, nil
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
		hint = "ports below 1024 need root or CAP_NET_BIND_SERVICE: use another port (plink serve --dns-port 5300) " +
			"or grant the capability (sudo setcap cap_net_bind_service=+ep $(which plink))"
	case errors.Is(err, syscall.EADDRINUSE):
		hint = "another process (a DNS server such as systemd-resolved or dnsmasq, or another plink serve) holds it: " +
			"stop it or use another port (plink serve --dns-port 5300)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		hint = "the address is not local: outside 127.0.0.0/8 it needs a local route (run plink serve as root, which adds it)"
	default:
		return fmt.Errorf("dns: cannot listen on %s %s: %w", network, addr, err)
	}
	return fmt.Errorf("dns: cannot listen on %s %s: %w; %s", network, addr, err, hint)
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
	l.mu.Lock()
	l.stopped = true
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// serveUDP reads queries and writes replies until the socket closes.
func (s *Server) serveUDP(l *listener, udp *net.UDPConn) {
	buf := make([]byte, dns.MaxMsgSize)
	out := make([]byte, 0, 4096)
	upstream := s.opts.Upstream != ""
	for {
		n, src, err := udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("dns: udp read", "err", err)
			continue
		}
		q := query{raw: buf[:n], local: l.local, src: src.Addr()}
		reply, fwd := handle(s.zone.Load(), q, upstream, out)
		if fwd != nil {
			s.forwardUDP(udp, fwd, src)
			continue
		}
		if reply != nil {
			if _, err := udp.WriteToUDPAddrPort(reply, src); err != nil {
				s.log.Debug("dns: udp write", "to", src, "err", err)
			}
		}
	}
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

// acceptTCP accepts connections until the listener closes.
func (s *Server) acceptTCP(l *listener) {
	for {
		c, err := l.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("dns: tcp accept", "err", err)
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors
			continue
		}
		select {
		case s.tcp <- struct{}{}:
		default:
			c.Close()
			continue
		}
		l.mu.Lock()
		if l.stopped {
			l.mu.Unlock()
			c.Close()
			<-s.tcp
			return
		}
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		l.wg.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer l.wg.Done()
			defer func() { <-s.tcp }()
			s.serveTCP(l, c)
			l.mu.Lock()
			delete(l.conns, c)
			l.mu.Unlock()
			c.Close()
		}()
	}
}

// serveTCP answers length-prefixed queries on one connection, in order,
// until the client closes, idles for tcpIdleTimeout or sends garbage.
func (s *Server) serveTCP(l *listener, c net.Conn) {
	src := netip.Addr{}
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		src = ta.AddrPort().Addr()
	}
	buf := make([]byte, dns.MaxMsgSize)
	out := make([]byte, 0, 4096)
	upstream := s.opts.Upstream != ""
	for {
		c.SetReadDeadline(time.Now().Add(tcpIdleTimeout))
		if _, err := io.ReadFull(c, buf[:2]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(buf))
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
		c.SetWriteDeadline(time.Now().Add(tcpIdleTimeout))
		if _, err := (&net.Buffers{length[:], reply}).WriteTo(c); err != nil {
			return
		}
	}
}
