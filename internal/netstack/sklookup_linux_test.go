package netstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/snapshot"
)

// TestSKLookupSteers: a connection to an address in the map reaches the
// one socket of its port; an address not in the map is refused.
func TestSKLookupSteers(t *testing.T) {
	s, err := newSKLookup()
	if err != nil {
		if os.Geteuid() != 0 {
			t.Skip("sk_lookup unavailable:", err)
		}
		t.Fatal(err)
	}
	defer s.close()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // an MPTCP socket cannot go into a SOCKMAP
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := freePort(t)
	in := netip.AddrPortFrom(netip.MustParseAddr("127.9.8.7"), port)
	out := netip.AddrPortFrom(netip.MustParseAddr("127.9.8.6"), port)
	raw, _ := ln.(*net.TCPListener).SyscallConn()
	var serr error
	raw.Control(func(fd uintptr) { serr = s.setSocket(skSlot(in), int(fd)) })
	if serr != nil {
		t.Fatal(serr)
	}
	if err := s.addAddr(in); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(c.LocalAddr().String()))
			c.Close()
		}
	}()
	c, err := net.DialTimeout("tcp", in.String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := c.Read(b)
	c.Close()
	if string(b[:n]) != in.String() {
		t.Fatalf("local address %q, want %q", b[:n], in)
	}
	if _, err := net.DialTimeout("tcp", out.String(), 2*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("address not in the map: %v, want connection refused", err)
	}
}

// skForwarder starts a forwarder in sk_lookup mode, skipping the test
// where sk_lookup is unavailable to a non-root user.
func skForwarder(t *testing.T, engine string) *Forwarder {
	t.Helper()
	opts := Options{DialTimeout: 2 * time.Second, Engine: engine, ListenMode: ListenSKLookup}
	if testing.Verbose() {
		opts.Logger = testLogger(t)
	}
	f := New(opts)
	t.Cleanup(func() { f.Close() })
	if mode, err := f.ListenMode(); err != nil || mode != ListenSKLookup {
		if os.Geteuid() != 0 {
			t.Skip("sk_lookup unavailable:", err)
		}
		t.Fatalf("listen mode %s, %v", mode, err)
	}
	return f
}

// In sk_lookup mode, hundreds of endpoint addresses cost one socket; each
// address reaches its own route (the PROXY v2 header names it), addresses
// not served are refused, and removing an endpoint refuses its address and
// ends its connections while the others serve on.
func TestSKLookupMode(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), true)
		tp.addTarget(b, "za")
		tp.tg.ProxyProtocolV2 = true
		f := skForwarder(t, engine)
		var many []snapshot.ENI
		for h := 20; h < 250; h++ {
			if h == 100 {
				continue
			}
			many = append(many, snapshot.ENI{ID: fmt.Sprintf("eni-%d", h), Zone: "za", IPv4: tp.ip(byte(h))})
		}
		second := tp.ep
		second.ID = "vpce-0000000000000second"
		second.ENIs = many
		tp.extraEndpoints = []snapshot.Endpoint{second}
		before := openFDs(t)
		res := mustApply(t, f, tp.snap())
		if got := openFDs(t) - before; got > 8 {
			t.Errorf("%d descriptors more for %d listeners, want about 1", got, len(res.Listeners))
		}
		if len(res.Listeners) != 4+len(many) || f.ListenSockets() != 1 {
			t.Fatalf("%d listeners on %d sockets, want %d on 1", len(res.Listeners), f.ListenSockets(), 4+len(many))
		}
		for _, a := range []netip.Addr{tp.eniA, tp.nodeB, many[0].IPv4, many[len(many)-1].IPv4} {
			c := dial(t, netip.AddrPortFrom(a, tp.port).String())
			if g, err := c.greeting(); err != nil || g != "b1" {
				t.Fatalf("through %s: %q %v", a, g, err)
			}
			c.Close()
			if got := b.lastProxyHeader().DestinationAddr.String(); got != netip.AddrPortFrom(a, tp.port).String() {
				t.Errorf("PROXY v2 destination %s, want %s", got, netip.AddrPortFrom(a, tp.port))
			}
		}
		if _, err := clientFrom(t, netip.Addr{}, tp.eni(tp.ip(19))); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("address not served: %v, want connection refused", err)
		}

		// The second endpoint goes: its addresses refuse, its
		// connections end; the first endpoint's stay.
		kept := dial(t, tp.eni(tp.eniA))
		kept.greeting()
		gone := dial(t, tp.eni(many[5].IPv4))
		gone.greeting()
		tp.extraEndpoints = nil
		mustApply(t, f, tp.snap())
		if _, err := clientFrom(t, netip.Addr{}, tp.eni(many[5].IPv4)); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("removed endpoint: %v, want connection refused", err)
		}
		if _, err := gone.r.ReadByte(); !closedOnUs(err) {
			t.Fatalf("connection to the removed endpoint: %v, want closed", err)
		}
		if _, err := io.WriteString(kept, "ping"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(kept.r, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("kept connection: %q %v", buf, err)
		}

		// Closed, the forwarder detaches its program: another listener
		// on an address it served gets the connections.
		f.Close()
		startBackend(t, "mine", netip.MustParseAddrPort(tp.eni(tp.eniA)), false)
		if g, err := which(t, netip.Addr{}, tp.eni(tp.eniA)); err != nil || g != "mine" {
			t.Fatalf("after close: %q %v, want the new listener", g, err)
		}
	})
}

// Two forwarders in one network namespace, each with its own program and
// maps, serve their own addresses on the same port without disturbing
// each other; closing one leaves the other serving.
func TestSKLookupTwoForwarders(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp1, tp2 := newTopo(t), newTopo(t)
		tp2.port = tp1.port
		tp2.lb.Listeners[0].Port = tp1.port
		b1 := startBackend(t, "b1", netip.AddrPortFrom(tp1.ip(100), 0), false)
		b2 := startBackend(t, "b2", netip.AddrPortFrom(tp2.ip(100), 0), false)
		tp1.addTarget(b1, "za")
		tp2.addTarget(b2, "za")
		f1, f2 := skForwarder(t, engine), skForwarder(t, engine)
		mustApply(t, f1, tp1.snap())
		mustApply(t, f2, tp2.snap())
		for _, c := range []struct {
			tp   *topo
			want string
		}{{tp1, "b1"}, {tp2, "b2"}} {
			if g, err := which(t, netip.Addr{}, c.tp.eni(c.tp.eniA)); err != nil || g != c.want {
				t.Fatalf("%s: %q %v, want %s", c.tp.eni(c.tp.eniA), g, err, c.want)
			}
		}
		f1.Close()
		if _, err := clientFrom(t, netip.Addr{}, tp1.eni(tp1.eniA)); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("closed forwarder's address: %v, want connection refused", err)
		}
		if g, err := which(t, netip.Addr{}, tp2.eni(tp2.eniA)); err != nil || g != "b2" {
			t.Fatalf("the other forwarder after the first closed: %q %v", g, err)
		}
	})
}

// A second forwarder given the addresses another one steers finds them in
// use, naming the holder, where a bind alone would succeed and get
// nothing; so does Check (serve --check, doctor) and CheckSteered (plink
// backend and api). The first forwarder keeps serving.
func TestSKLookupClashNamesHolder(t *testing.T) {
	tp := newTopo(t)
	b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
	tp.addTarget(b, "za")
	f1, f2 := skForwarder(t, EngineEpoll), skForwarder(t, EngineEpoll)
	mustApply(t, f1, tp.snap())
	eni := netip.MustParseAddrPort(tp.eni(tp.eniA))

	for name, errs := range map[string][]BindError{"Apply": f2.Apply(tp.snap()).Errors, "Check": Check(tp.snap(), nil).Errors} {
		var found bool
		for _, e := range errs {
			if e.Address != eni.String() {
				continue
			}
			found = true
			h, ok := SteeredHolder(e.Err)
			if !errors.Is(e.Err, syscall.EADDRINUSE) || !ok || h.PID != os.Getpid() {
				t.Errorf("%s: %s: %v (holder %v %v), want in use, held by this process", name, eni, e.Err, h, ok)
			}
			if !strings.Contains(e.Error(), fmt.Sprintf("held by pid %d", os.Getpid())) {
				t.Errorf("%s: %q does not name the holder", name, e.Error())
			}
		}
		if !found {
			t.Errorf("%s: no bind error for %s, steered by the first forwarder: %v", name, eni, errs)
		}
	}
	if err := CheckSteered(eni); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("CheckSteered(%s) = %v, want in use", eni, err)
	}
	if err := CheckSteered(netip.AddrPortFrom(tp.ip(201), tp.port)); err != nil {
		t.Errorf("CheckSteered of an address no one steers = %v", err)
	}
	if g, err := which(t, netip.Addr{}, eni.String()); err != nil || g != "b1" {
		t.Fatalf("the first forwarder after the clash: %q %v", g, err)
	}
}

// Per-address mode, asked for, listens per address even where sk_lookup
// is available.
func TestListenModePerAddress(t *testing.T) {
	tp := newTopo(t)
	b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
	tp.addTarget(b, "za")
	f := New(Options{ListenMode: ListenPerAddress})
	defer f.Close()
	mustApply(t, f, tp.snap())
	if mode, err := f.ListenMode(); mode != ListenPerAddress || err != nil || f.SteersAddresses() || f.ListenSockets() != 4 {
		t.Fatalf("mode %s %v, %d sockets, want per-address and 4", mode, err, f.ListenSockets())
	}
	if g, err := which(t, netip.Addr{}, tp.eni(tp.eniA)); err != nil || g != "b1" {
		t.Fatalf("%q %v", g, err)
	}
}

// In sk_lookup mode an address whose port some other socket listens on,
// even on the wildcard address, is refused as per-address listening
// refuses it (the probe skipped for ports nobody listens on must not
// skip this one); other addresses serve.
func TestSKLookupWildcardConflict(t *testing.T) {
	tp := newTopo(t)
	b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
	tp.addTarget(b, "za")
	squat, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", tp.port))
	if err != nil {
		t.Fatal(err)
	}
	f := skForwarder(t, EngineEpoll)
	res := f.Apply(tp.snap())
	if len(res.Errors) != 4 || !errors.Is(res.Errors[0], syscall.EADDRINUSE) {
		t.Fatalf("errors %v, want address in use for all 4 addresses", res.Errors)
	}
	squat.Close()
	mustApply(t, f, tp.snap())
	if g, err := which(t, netip.Addr{}, tp.eni(tp.eniA)); err != nil || g != "b1" {
		t.Fatalf("once the port is free: %q %v", g, err)
	}
}

// listeningPorts finds a listener's port, both ways (sock_diag and the
// /proc scan), and not a port that only a connection uses. (That a closed
// listener goes is not checked: another test may listen on the same port
// on another address.)
func TestListeningPorts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	var ports6 []uint16
	if ln6, err := net.Listen("tcp", "[::1]:0"); err == nil {
		defer ln6.Close()
		ports6 = append(ports6, uint16(ln6.Addr().(*net.TCPAddr).Port))
	}
	// A connection from a port nothing listens on: its local port is in
	// /proc/net/tcp, not in a LISTEN row.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	connPort := uint16(c.LocalAddr().(*net.TCPAddr).Port)
	for name, fn := range map[string]func() (map[uint16]bool, error){
		"sock_diag": listeningPortsDiag, "proc": listeningPortsProc, "listeningPorts": listeningPorts} {
		ports, err := fn()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range append([]uint16{port}, ports6...) {
			if !ports[p] {
				t.Errorf("%s: %d ports; listener's port %d missing", name, len(ports), p)
			}
		}
		if ports[connPort] {
			t.Errorf("%s: port %d of a connection (no listener) reported as listening", name, connPort)
		}
	}
}

// The two ways of listing listening ports; run after a load test (many
// TIME_WAIT sockets) to see why sock_diag comes first.
func BenchmarkListeningPorts(b *testing.B) {
	for name, fn := range map[string]func() (map[uint16]bool, error){"sock_diag": listeningPortsDiag, "proc": listeningPortsProc} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
