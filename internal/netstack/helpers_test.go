package netstack

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/plink-dev/plink/internal/snapshot"
)

// Every test gets its own 127.<n>.<m>.0/24 so tests never share an
// address: 127.240.0.0/12 is far from the 127.16/16+ default VPCs.
var subnetSeq atomic.Int32

func testNet(t *testing.T) func(host byte) netip.Addr {
	t.Helper()
	n := subnetSeq.Add(1)
	return func(host byte) netip.Addr {
		return netip.AddrFrom4([4]byte{127, byte(240 + n/256), byte(n % 256), host})
	}
}

// freePort returns a port that was free on 127.0.0.1 a moment ago; the
// test addresses are private to each test, so it is free on them too.
func freePort(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// backend is a test target: it optionally reads a PROXY header, greets
// with its name and a newline, echoes until EOF, then writes "bye" and
// closes.
type backend struct {
	name string
	ln   net.Listener
	addr netip.AddrPort
	ppv2 bool

	mu      sync.Mutex
	headers []*proxyproto.Header // one per connection that carried one
	peers   []netip.AddrPort
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
}

func startBackend(t *testing.T, name string, addr netip.AddrPort, ppv2 bool) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: name, ln: ln, addr: addrPort(ln.Addr()), ppv2: ppv2, conns: map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.serve()
	t.Cleanup(b.close)
	return b
}

func (b *backend) serve() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // out of descriptors (TestOutOfFileDescriptors)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		b.mu.Lock()
		b.conns[c] = true
		b.mu.Unlock()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer func() { b.mu.Lock(); delete(b.conns, c); b.mu.Unlock(); c.Close() }()
			r := bufio.NewReader(c)
			var hdr *proxyproto.Header
			if b.ppv2 {
				h, err := proxyproto.Read(r)
				if err != nil {
					return
				}
				hdr = h
			}
			b.mu.Lock()
			if hdr != nil {
				b.headers = append(b.headers, hdr)
			}
			b.peers = append(b.peers, addrPort(c.RemoteAddr()))
			b.mu.Unlock()
			if hdr != nil && hdr.Command.IsLocal() {
				return // a health check
			}
			if _, err := io.WriteString(c, b.name+"\n"); err != nil {
				return
			}
			if _, err := io.Copy(c, r); err != nil {
				return
			}
			io.WriteString(c, "bye")
		}()
	}
}

// kill stops the backend and resets its connections.
func (b *backend) kill() {
	b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
}

func (b *backend) close() { b.kill(); b.wg.Wait() }

func (b *backend) snapshotHeaders() []*proxyproto.Header {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*proxyproto.Header(nil), b.headers...)
}

// lastProxyHeader is the last PROXY (not LOCAL) header received.
func (b *backend) lastProxyHeader() *proxyproto.Header {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.headers) - 1; i >= 0; i-- {
		if b.headers[i].Command.IsProxy() {
			return b.headers[i]
		}
	}
	return &proxyproto.Header{}
}

func (b *backend) lastPeer() netip.AddrPort {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.peers) == 0 {
		return netip.AddrPort{}
	}
	return b.peers[len(b.peers)-1]
}

// topo is a small world: one VPC, one NLB with nodes in zones a and b, a
// target group, a service and one endpoint with ENIs in both zones.
type topo struct {
	ip             func(byte) netip.Addr
	port           uint16
	nodeA, nodeB   netip.Addr
	eniA, eniB     netip.Addr
	lb             snapshot.LoadBalancer
	tg             *snapshot.TargetGroup
	sg             *snapshot.SecurityGroup
	ep             snapshot.Endpoint
	svc            *snapshot.Service
	extraEndpoints []snapshot.Endpoint
}

func newTopo(t *testing.T) *topo {
	ip := testNet(t)
	tp := &topo{ip: ip, port: freePort(t), nodeA: ip(5), nodeB: ip(6), eniA: ip(10), eniB: ip(11)}
	tp.tg = &snapshot.TargetGroup{
		ARN: "arn:tg/test", Name: "test", Protocol: "TCP", CrossZone: "use_load_balancer_configuration",
		DeregistrationDelay: 300 * time.Second,
		HealthCheck: snapshot.HealthCheck{Enabled: true, Protocol: "TCP", Port: "traffic-port",
			Interval: 20 * time.Millisecond, Timeout: 500 * time.Millisecond, HealthyThreshold: 2, UnhealthyThreshold: 2},
	}
	tp.lb = snapshot.LoadBalancer{
		ARN: "arn:lb/test", Name: "test-nlb",
		Nodes: []snapshot.Node{{Zone: "za", IPv4: tp.nodeA}, {Zone: "zb", IPv4: tp.nodeB}},
		Listeners: []snapshot.Listener{{ARN: "arn:listener/1", Protocol: "TCP", Port: tp.port,
			TargetGroupARN: tp.tg.ARN}},
	}
	tp.sg = &snapshot.SecurityGroup{ID: "sg-1", Rules: []snapshot.Rule{{Protocol: "-1",
		Prefix: netip.MustParsePrefix("127.0.0.0/8")}}}
	tp.svc = &snapshot.Service{ID: "vpce-svc-1", State: "Available", LoadBalancerARNs: []string{tp.lb.ARN}}
	tp.ep = snapshot.Endpoint{ID: "vpce-0123456789abcdef0", ServiceID: tp.svc.ID, State: "available",
		SecurityGroupIDs: []string{"sg-1"},
		ENIs:             []snapshot.ENI{{ID: "eni-a", Zone: "za", IPv4: tp.eniA}, {ID: "eni-b", Zone: "zb", IPv4: tp.eniB}}}
	return tp
}

func (tp *topo) addTarget(b *backend, zone string) {
	tp.tg.Targets = append(tp.tg.Targets, snapshot.Target{IP: b.addr.Addr(), Port: b.addr.Port(), Zone: zone})
}

// snap builds an immutable snapshot; the topo's pointers are copied so a
// later change to the topo does not alter a snapshot already applied.
func (tp *topo) snap() *snapshot.Snapshot {
	tg := *tp.tg
	tg.Targets = append([]snapshot.Target(nil), tp.tg.Targets...)
	sg := *tp.sg
	svc := *tp.svc
	return &snapshot.Snapshot{
		LoadBalancers:  []snapshot.LoadBalancer{tp.lb},
		TargetGroups:   map[string]*snapshot.TargetGroup{tg.ARN: &tg},
		Services:       map[string]*snapshot.Service{svc.ID: &svc},
		Endpoints:      append([]snapshot.Endpoint{tp.ep}, tp.extraEndpoints...),
		SecurityGroups: map[string]*snapshot.SecurityGroup{sg.ID: &sg},
	}
}

func (tp *topo) eni(a netip.Addr) string { return netip.AddrPortFrom(a, tp.port).String() }

// healthLog collects OnHealth reports.
type healthLog struct {
	mu   sync.Mutex
	last map[string]snapshot.HealthReport // by ip:port
}

func (h *healthLog) record(rs []snapshot.HealthReport) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		h.last = map[string]snapshot.HealthReport{}
	}
	for _, r := range rs {
		h.last[netip.AddrPortFrom(r.IP, r.Port).String()] = r
	}
}

func (h *healthLog) get(ap netip.AddrPort) snapshot.HealthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last[ap.String()]
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testEngines are the engines this platform has: the behaviour tests run
// on each (the goroutine engine is the default off Linux).
func testEngines() []string {
	if defaultEngine == EngineEpoll {
		return []string{EngineEpoll, EngineGoroutines}
	}
	return []string{EngineGoroutines}
}

// forEachEngine runs fn as a subtest per engine, named after it. Each
// subtest gets its engine as an argument: no package state changes, so
// tests may run in parallel.
func forEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, e := range testEngines() {
		t.Run(e, func(t *testing.T) { fn(t, e) })
	}
}

// newForwarder starts a forwarder on engine, closed when the test ends.
func newForwarder(t *testing.T, engine string, hl *healthLog) *Forwarder {
	t.Helper()
	opts := Options{DialTimeout: 2 * time.Second, Engine: engine}
	if hl != nil {
		opts.OnHealth = hl.record
	}
	if testing.Verbose() {
		opts.Logger = testLogger(t)
	}
	f := New(opts)
	t.Cleanup(func() { f.Close() })
	if engine == EngineEpoll && f.loops == nil {
		t.Fatal("the epoll engine did not start")
	}
	return f
}

func mustApply(t *testing.T, f *Forwarder, s *snapshot.Snapshot) Result {
	t.Helper()
	res := f.Apply(s)
	for _, e := range res.Errors {
		t.Errorf("apply: %v", e)
	}
	return res
}

// client is one connection through the forwarder.
type client struct {
	*net.TCPConn
	r *bufio.Reader
}

func clientFrom(t *testing.T, src netip.Addr, dst string) (*client, error) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if src.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))
	}
	c, err := d.DialContext(context.Background(), "tcp", dst)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{TCPConn: c.(*net.TCPConn), r: bufio.NewReader(c)}, nil
}

func dial(t *testing.T, dst string) *client {
	t.Helper()
	c, err := clientFrom(t, netip.Addr{}, dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// greeting reads the backend's name line.
func (c *client) greeting() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return line[:len(line)-1], nil
}

// which connects, reads the greeting and closes: the backend chosen.
func which(t *testing.T, src netip.Addr, dst string) (string, error) {
	t.Helper()
	c, err := clientFrom(t, src, dst)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.greeting()
}

// closedOnUs reports whether err says the peer closed or reset the
// connection (and not that our own read deadline passed).
func closedOnUs(err error) bool { return err != nil && !isTimeout(err) }

// testLogger sends slog lines to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
