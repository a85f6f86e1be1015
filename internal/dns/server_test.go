package dns

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/plink-dev/plink/internal/snapshot"
)

// exchange asks addr over network ("udp" or "tcp").
func exchange(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Net: network}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, addr, name, err)
	}
	return r
}

// freePort returns a port free in UDP and TCP on ip at the time of the call.
func freePort(t *testing.T, ip string) int {
	t.Helper()
	for range 20 {
		u, err := net.ListenPacket("udp", ip+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", ip, port))
		u.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func addrOf(t *testing.T, s *Server, prefix string) string {
	t.Helper()
	for _, a := range s.Addrs() {
		if rest, ok := strings.CutPrefix(a, prefix); ok {
			return rest
		}
	}
	t.Fatalf("no listener %q in %v", prefix, s.Addrs())
	return ""
}

func TestServerUDPAndTCP(t *testing.T) {
	port := freePort(t, "127.16.0.2")
	s := NewServer(Options{Port: port, Addr: "127.0.0.1:0"})
	defer s.Close()
	if errs := s.Apply(testSnapshot()); len(errs) != 0 {
		t.Fatal(errs)
	}
	extra := addrOf(t, s, "udp 127.0.0.1:")
	resolverA := fmt.Sprintf("127.16.0.2:%d", port)
	want := []string{
		"tcp 127.0.0.1:" + extra, fmt.Sprintf("tcp 127.16.0.2:%d", port), fmt.Sprintf("tcp 127.17.0.2:%d", port),
		"udp 127.0.0.1:" + extra, fmt.Sprintf("udp 127.16.0.2:%d", port), fmt.Sprintf("udp 127.17.0.2:%d", port),
	}
	if got := s.Addrs(); !slices.Equal(got, want) {
		t.Fatalf("Addrs = %v, want %v", got, want)
	}
	extraAddr := "127.0.0.1:" + extra

	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			r := exchange(t, network, extraAddr, e1Name, dns.TypeA)
			if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 2 {
				t.Errorf("regional name: %v", r)
			}
			r = exchange(t, network, extraAddr, "api.example.com.", dns.TypeA)
			if r.Rcode != dns.RcodeRefused {
				t.Errorf("private name from the host: %v", r)
			}
			// The VPC's resolver address puts the query in the VPC's view.
			r = exchange(t, network, resolverA, "api.example.com.", dns.TypeA)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 {
				t.Errorf("private name on the VPC resolver: %v", r)
			}
			r = exchange(t, network, extraAddr, bigLB, dns.TypeA)
			if truncated := network == "udp"; r.Truncated != truncated || (!truncated && len(r.Answer) != 40) {
				t.Errorf("big answer: TC %v, %d answers", r.Truncated, len(r.Answer))
			}
		})
	}

	t.Run("source address in the VPC", func(t *testing.T) {
		c := &dns.Client{Net: "udp", Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("127.16.9.9")}}}
		m := new(dns.Msg)
		m.SetQuestion("api.example.com.", dns.TypeA)
		r, _, err := c.Exchange(m, extraAddr)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 {
			t.Errorf("private name from 127.16.9.9: %v %v", r, err)
		}
	})

	t.Run("a VPC goes away", func(t *testing.T) {
		snap := testSnapshot()
		snap.VPCs = snap.VPCs[1:]
		if errs := s.Apply(snap); len(errs) != 0 {
			t.Fatal(errs)
		}
		if got := s.Addrs(); slices.Contains(got, "udp "+resolverA) || !slices.Contains(got, "udp "+extraAddr) {
			t.Errorf("Addrs after removing vpc-a: %v", got)
		}
		if _, err := net.Dial("tcp", resolverA); err == nil {
			t.Errorf("%s still accepts connections", resolverA)
		}
		if r := exchange(t, "udp", extraAddr, e1Name, dns.TypeA); len(r.Answer) != 2 {
			t.Errorf("extra listener after Apply: %v", r)
		}
	})
}

func TestServerForwardsToUpstream(t *testing.T) {
	upstream := &dns.Server{Addr: "127.0.0.1:0", Net: "udp", Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5},
			A: net.ParseIP("127.99.0.1")})
		w.WriteMsg(m)
	})}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upstream.PacketConn = pc
	go upstream.ActivateAndServe()
	defer upstream.Shutdown()

	s := NewServer(Options{Addr: "127.0.0.1:0", Upstream: pc.LocalAddr().String()})
	defer s.Close()
	if errs := s.Apply(testSnapshot()); len(errs) != 0 {
		t.Fatal(errs)
	}
	for _, network := range []string{"udp", "tcp"} {
		addr := addrOf(t, s, network+" ")
		r := exchange(t, network, addr, "www.example.org.", dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Authoritative || !r.RecursionAvailable {
			t.Errorf("%s forwarded: %v", network, r)
		}
		r = exchange(t, network, addr, "nope.vpce.amazonaws.com.", dns.TypeA)
		if r.Rcode != dns.RcodeNameError {
			t.Errorf("%s authoritative name was forwarded: %v", network, r)
		}
	}
}

func TestServerUpstreamDown(t *testing.T) {
	dead := freePort(t, "127.0.0.1")
	s := NewServer(Options{Addr: "127.0.0.1:0", Upstream: fmt.Sprintf("127.0.0.1:%d", dead)})
	defer s.Close()
	s.Apply(testSnapshot())
	r := exchange(t, "udp", addrOf(t, s, "udp "), "www.example.org.", dns.TypeA)
	if r.Rcode != dns.RcodeServerFailure {
		t.Errorf("upstream down: %v", r)
	}
}

func TestBindErrors(t *testing.T) {
	s := NewServer(Options{Addr: "127.0.0.1:0"})
	defer s.Close()
	s.Apply(&snapshot.Snapshot{})
	taken := addrOf(t, s, "udp ")
	s2 := NewServer(Options{Addr: taken})
	defer s2.Close()
	errs := s2.Apply(&snapshot.Snapshot{})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), taken) || !strings.Contains(errs[0].Error(), "--dns-port") {
		t.Errorf("address in use: %v", errs)
	}

	// Root can bind port 53, so check the message for EACCES directly.
	err := bindError("udp", "127.16.0.2:53", &net.OpError{Op: "listen", Net: "udp",
		Err: os.NewSyscallError("bind", syscall.EACCES)})
	for _, want := range []string{"127.16.0.2:53", "--dns-port 5300", "setcap cap_net_bind_service=+ep $(which plink)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("EACCES error %q lacks %q", err, want)
		}
	}
	if !errors.Is(err, syscall.EACCES) {
		t.Errorf("error does not wrap EACCES: %v", err)
	}
}

func TestCloseStopsListening(t *testing.T) {
	s := NewServer(Options{Addr: "127.0.0.1:0"})
	s.Apply(testSnapshot())
	addr := addrOf(t, s, "tcp ")
	c, err := net.Dial("tcp", addr) // an idle connection must not hold Close
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("still listening after Close")
	}
	if errs := s.Apply(testSnapshot()); len(errs) == 0 {
		t.Error("Apply after Close succeeded")
	}
}

// More idle TCP connections than the cap must not keep a new client out:
// the connection idle longest makes room, and the new query is answered.
func TestTCPIdleConnectionsDoNotBlockNewClients(t *testing.T) {
	s := NewServer(Options{Addr: "127.0.0.1:0"})
	defer s.Close()
	if errs := s.Apply(testSnapshot()); len(errs) != 0 {
		t.Fatal(errs)
	}
	addr := "127.0.0.1:" + addrOf(t, s, "tcp 127.0.0.1:")
	const idle = maxTCPConns + 88
	for i := range idle {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		defer c.Close()
	}
	// Generous: the answer must come, however slow the machine.
	c := &dns.Client{Net: "tcp", Timeout: 30 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(e1Name, dns.TypeA)
	r, _, err := c.Exchange(m, addr)
	if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 {
		t.Fatalf("TCP query with %d idle connections open: %v, %v", idle, r, err)
	}
	if n := s.evicted.Load(); n < idle-maxTCPConns {
		t.Errorf("%d idle connections closed to make room, want at least %d", n, idle-maxTCPConns)
	}
}

// When every TCP connection is busy with a query, a new one is refused at
// once (not queued); idle ones, including those that already asked,
// make room.
func TestTCPConnectionCap(t *testing.T) {
	s := NewServer(Options{Addr: "127.0.0.1:0"})
	s.maxTCP = 3
	// B, C and D hold half-sent queries for the whole test: on a loaded
	// machine it can outlast the 5 s a query's rest is given.
	s.tcpIO = 5 * time.Minute
	defer s.Close()
	if errs := s.Apply(testSnapshot()); len(errs) != 0 {
		t.Fatal(errs)
	}
	addr := "127.0.0.1:" + addrOf(t, s, "tcp 127.0.0.1:")
	query := func(c net.Conn) error {
		m := new(dns.Msg)
		m.SetQuestion(e1Name, dns.TypeA)
		co := &dns.Conn{Conn: c}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if err := co.WriteMsg(m); err != nil {
			return err
		}
		r, err := co.ReadMsg()
		if err == nil && len(r.Answer) != 2 {
			err = fmt.Errorf("answer %v", r)
		}
		return err
	}
	dialTCP := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// A asked and was answered: idle. B and C are busy: each sent the
	// length of a query and nothing more.
	a := dialTCP()
	if err := query(a); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := dialTCP().Write([]byte{0, 100}); err != nil {
			t.Fatal(err)
		}
	}
	waitTCP := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	busy := func() int {
		s.tcpMu.Lock()
		defer s.tcpMu.Unlock()
		n := 0
		for c := range s.tcpConns {
			if c.idleSince.Load() == 0 {
				n++
			}
		}
		return n
	}
	// All three in, A idle and B and C busy, told apart by address: A
	// counts busy for a moment after its answer arrived, and C idle until
	// its first bytes are read, so "two busy of three" alone can be A and
	// B, and D would then push C out.
	aAddr := a.LocalAddr().String()
	waitTCP("B and C busy and A idle", func() bool {
		s.tcpMu.Lock()
		defer s.tcpMu.Unlock()
		aIdle, others := false, 0
		for c := range s.tcpConns {
			switch idle := c.idleSince.Load() != 0; {
			case c.c.RemoteAddr().String() == aAddr:
				aIdle = idle
			case !idle:
				others++
			}
		}
		return aIdle && others == 2 && len(s.tcpConns) == 3
	})
	// D takes A's place.
	d := dialTCP()
	if err := query(d); err != nil {
		t.Fatalf("a new connection with the cap reached and one idle: %v", err)
	}
	a.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := a.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("the idle connection was not closed: %v", err)
	}
	// D turns busy: E finds no room.
	if _, err := d.Write([]byte{0, 100}); err != nil {
		t.Fatal(err)
	}
	waitTCP("3 busy connections", func() bool { return busy() == 3 })
	if err := query(dialTCP()); err == nil {
		t.Fatal("a connection was served while all others were busy")
	}
	if n := s.refused.Load(); n != 1 {
		t.Errorf("refused = %d, want 1", n)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// A TCP connection that never sends a query is closed after
// tcpFirstQueryTimeout, not held.
func TestTCPFirstQueryTimeout(t *testing.T) {
	s := NewServer(Options{Addr: "127.0.0.1:0"})
	defer s.Close()
	if errs := s.Apply(testSnapshot()); len(errs) != 0 {
		t.Fatal(errs)
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+addrOf(t, s, "tcp 127.0.0.1:"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(tcpFirstQueryTimeout + 30*time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("silent connection: read %v; want it closed by the server", err)
	}
}
