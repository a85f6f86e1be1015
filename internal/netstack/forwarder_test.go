package netstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto/tlvparse"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plink-dev/plink/internal/snapshot"
)

func TestRoundTripAndHalfClose(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		f := newForwarder(t, engine, nil)
		res := mustApply(t, f, tp.snap())
		// 2 ENIs + 2 nodes, one port each.
		if len(res.Listeners) != 4 {
			t.Fatalf("listeners = %+v, want 4", res.Listeners)
		}

		for _, dst := range []string{tp.eni(tp.eniA), tp.eni(tp.nodeA)} {
			t.Run(dst, func(t *testing.T) {
				c := dial(t, dst)
				payload := strings.Repeat("0123456789", 100_000) // 1 MB
				go func() {
					io.WriteString(c, payload)
					c.CloseWrite() // half-close: the backend sees EOF and answers "bye"
				}()
				got, err := io.ReadAll(c.r)
				if err != nil {
					t.Fatal(err)
				}
				want := "b1\n" + payload + "bye"
				if string(got) != want {
					t.Fatalf("got %d bytes, want %d", len(got), len(want))
				}
				// The target sees the node of zone a as the source.
				if p := b.lastPeer(); p.Addr() != tp.nodeA {
					t.Errorf("target saw source %v, want node address %v", p, tp.nodeA)
				}
			})
		}
	})
}

func TestProxyProtocolV2(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		tp.tg.ProxyProtocolV2 = true
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), true)
		tp.addTarget(b, "za")
		f := newForwarder(t, engine, nil)
		mustApply(t, f, tp.snap())

		// Health checks send a LOCAL header.
		waitFor(t, "a LOCAL header from a health check", func() bool {
			for _, h := range b.snapshotHeaders() {
				if h.Command.IsLocal() {
					return true
				}
			}
			return false
		})

		tests := []struct {
			name    string
			dst     string
			wantTLV string
		}{
			{"endpoint", tp.eni(tp.eniA), tp.ep.ID},
			{"load balancer node", tp.eni(tp.nodeA), ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				src := tp.ip(50)
				c, err := clientFrom(t, src, tc.dst)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if g, err := c.greeting(); err != nil || g != "b1" {
					t.Fatalf("greeting %q, %v", g, err)
				}
				h := b.lastProxyHeader()
				if !h.Command.IsProxy() || !h.TransportProtocol.IsIPv4() {
					t.Fatalf("header command %v protocol %v", h.Command, h.TransportProtocol)
				}
				s, d, _ := h.TCPAddrs()
				if s.String() != c.LocalAddr().String() {
					t.Errorf("source = %v, want the client %v", s, c.LocalAddr())
				}
				if d.String() != tc.dst {
					t.Errorf("destination = %v, want %v", d, tc.dst)
				}
				tlvs, err := h.TLVs()
				if err != nil {
					t.Fatal(err)
				}
				if got := tlvparse.FindAWSVPCEndpointID(tlvs); got != tc.wantTLV {
					t.Errorf("VPC endpoint TLV = %q, want %q", got, tc.wantTLV)
				}
			})
		}

		// A client that speaks first: its bytes may reach the forwarder
		// before the target's connect completes (the epoll engine then
		// sends the header and them in one write); the target must read
		// the header, then exactly those bytes.
		t.Run("client first", func(t *testing.T) {
			for i := range 20 {
				c, err := clientFrom(t, tp.ip(50), tp.eni(tp.eniA))
				if err != nil {
					t.Fatal(err)
				}
				msg := fmt.Sprintf("hello %d\n", i)
				if _, err := c.Write([]byte(msg)); err != nil {
					t.Fatal(err)
				}
				c.CloseWrite()
				got, err := io.ReadAll(c.r)
				c.Close()
				if err != nil || string(got) != "b1\n"+msg+"bye" {
					t.Fatalf("reply %q, %v; want %q", got, err, "b1\n"+msg+"bye")
				}
				h := b.lastProxyHeader()
				if s, _, _ := h.TCPAddrs(); s.String() != c.LocalAddr().String() {
					t.Fatalf("header source %v, want the client %v", s, c.LocalAddr())
				}
			}
		})
	})
}

func TestZoneSelection(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tests := []struct {
			name            string
			lbCrossZone     bool
			tgCrossZone     string
			zoneB           string // zone of the second backend
			wantFromA       []string
			wantAllReachedA bool
		}{
			{name: "zone local", zoneB: "zb", wantFromA: []string{"a"}},
			{name: "cross-zone on the load balancer", lbCrossZone: true, zoneB: "zb", wantFromA: []string{"a", "b"}},
			{name: "target group overrides to off", lbCrossZone: true, tgCrossZone: "false", zoneB: "zb", wantFromA: []string{"a"}},
			{name: "target group overrides to on", tgCrossZone: "true", zoneB: "zb", wantFromA: []string{"a", "b"}},
			{name: "zone all serves every zone", zoneB: "all", wantFromA: []string{"a", "b"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tp := newTopo(t)
				tp.lb.CrossZone = tc.lbCrossZone
				if tc.tgCrossZone != "" {
					tp.tg.CrossZone = tc.tgCrossZone
				}
				ba := startBackend(t, "a", netip.AddrPortFrom(tp.ip(100), 0), false)
				bb := startBackend(t, "b", netip.AddrPortFrom(tp.ip(101), 0), false)
				tp.addTarget(ba, "za")
				tp.addTarget(bb, tc.zoneB)
				hl := &healthLog{}
				f := newForwarder(t, engine, hl)
				mustApply(t, f, tp.snap())
				waitFor(t, "both targets healthy", func() bool {
					return hl.get(ba.addr).State == "healthy" && hl.get(bb.addr).State == "healthy"
				})
				seen := map[string]bool{}
				for i := 0; i < 64; i++ { // each connection has a new source port, so a new flow hash
					name, err := which(t, netip.Addr{}, tp.eni(tp.eniA))
					if err != nil {
						t.Fatal(err)
					}
					seen[name] = true
				}
				for _, w := range tc.wantFromA {
					if !seen[w] {
						t.Errorf("backend %s never chosen from zone a (seen %v)", w, seen)
					}
				}
				if len(seen) != len(tc.wantFromA) {
					t.Errorf("seen %v, want only %v", seen, tc.wantFromA)
				}
			})
		}
	})
}

func TestFailoverAndFailOpen(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		ba := startBackend(t, "a1", netip.AddrPortFrom(tp.ip(100), 0), false)
		bb := startBackend(t, "a2", netip.AddrPortFrom(tp.ip(101), 0), false)
		tp.addTarget(ba, "za")
		tp.addTarget(bb, "za")
		hl := &healthLog{}
		f := newForwarder(t, engine, hl)
		mustApply(t, f, tp.snap())
		waitFor(t, "both targets healthy", func() bool {
			return hl.get(ba.addr).State == "healthy" && hl.get(bb.addr).State == "healthy"
		})

		ba.kill()
		waitFor(t, "a1 unhealthy", func() bool { return hl.get(ba.addr).State == "unhealthy" })
		if r := hl.get(ba.addr); r.Reason != "Target.FailedHealthChecks" {
			t.Errorf("reason = %q", r.Reason)
		}
		for i := 0; i < 32; i++ {
			name, err := which(t, netip.Addr{}, tp.eni(tp.eniA))
			if err != nil || name != "a2" {
				t.Fatalf("connection %d went to %q (%v), want a2", i, name, err)
			}
		}

		// Fail open: both targets fail their health checks (on a dead port) but
		// still accept traffic on the traffic port: every connection gets through.
		tp.tg.HealthCheck.Port = "1"
		tp.tg.Targets = tp.tg.Targets[1:]
		tp.addTarget(startBackend(t, "a3", netip.AddrPortFrom(tp.ip(102), 0), false), "za")
		mustApply(t, f, tp.snap())
		waitFor(t, "a2 unhealthy", func() bool { return hl.get(bb.addr).State == "unhealthy" })
		seen := map[string]bool{}
		for i := 0; i < 32; i++ {
			name, err := which(t, netip.Addr{}, tp.eni(tp.eniA))
			if err != nil {
				t.Fatalf("fail-open connection %d: %v", i, err)
			}
			seen[name] = true
		}
		if !seen["a2"] || !seen["a3"] {
			t.Errorf("fail-open reached %v, want a2 and a3", seen)
		}
	})
}

func TestSecurityGroups(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		allowed, denied := tp.ip(50), tp.ip(51)
		tp.sg.Rules = []snapshot.Rule{{Protocol: "tcp", FromPort: int(tp.port), ToPort: int(tp.port),
			Prefix: netip.PrefixFrom(allowed, 32)}}
		reg := prometheus.NewRegistry()
		var logs syncBuf
		f := New(Options{Registerer: reg, Engine: engine, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		defer f.Close()
		mustApply(t, f, tp.snap())

		tests := []struct {
			name  string
			src   netip.Addr
			dst   string
			allow bool
		}{
			{"allowed source", allowed, tp.eni(tp.eniA), true},
			{"denied source", denied, tp.eni(tp.eniA), false},
			{"node address is not checked", denied, tp.eni(tp.nodeA), true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				name, err := which(t, tc.src, tc.dst)
				if tc.allow && (err != nil || name != "b1") {
					t.Fatalf("got %q, %v; want b1", name, err)
				}
				if !tc.allow && !closedOnUs(err) {
					t.Fatalf("got %q, %v; want the connection reset", name, err)
				}
			})
		}
		if n := metricValue(t, reg, "plink_forwarder_rejects_total", "reason", rejectSecurityGroup); n != 1 {
			t.Errorf("security group rejects = %v, want 1", n)
		}
		// The refusal is logged at info, naming the endpoint, the client
		// and the reason; a second one within the interval is counted,
		// not logged.
		if _, err := which(t, denied, tp.eni(tp.eniA)); !closedOnUs(err) {
			t.Fatalf("second denied connection: %v", err)
		}
		var lines []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "refused by the endpoint's security groups") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 {
			t.Fatalf("%d refusal lines, want 1 (rate-limited); logs:\n%s", len(lines), logs.String())
		}
		for _, want := range []string{"level=INFO", "endpoint=" + tp.ep.ID, "client=" + denied.String() + ":", "reason=security-group", "security_groups=[sg-1]"} {
			if !strings.Contains(lines[0], want) {
				t.Errorf("refusal line lacks %q: %s", want, lines[0])
			}
		}
	})
}

func TestDraining(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		ba := startBackend(t, "a1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(ba, "za")
		hl := &healthLog{}
		f := newForwarder(t, engine, hl)
		mustApply(t, f, tp.snap())
		old := dial(t, tp.eni(tp.eniA))
		if g, _ := old.greeting(); g != "a1" {
			t.Fatalf("greeting %q", g)
		}

		// a1 is deregistered with a short delay; a2 takes new connections.
		bb := startBackend(t, "a2", netip.AddrPortFrom(tp.ip(101), 0), false)
		tp.tg.DeregistrationDelay = time.Second
		tp.tg.Targets[0].DeregisteredAt = time.Now()
		tp.addTarget(bb, "za")
		mustApply(t, f, tp.snap())
		waitFor(t, "a1 draining", func() bool { return hl.get(ba.addr).State == "draining" })
		if r := hl.get(ba.addr); r.Reason != "Target.DeregistrationInProgress" {
			t.Errorf("reason = %q", r.Reason)
		}
		for i := 0; i < 16; i++ {
			if name, err := which(t, netip.Addr{}, tp.eni(tp.eniA)); err != nil || name != "a2" {
				t.Fatalf("new connection went to %q (%v), want a2", name, err)
			}
		}
		// The old connection works until the delay ends, then is closed.
		if _, err := io.WriteString(old, "x"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1)
		if _, err := io.ReadFull(old.r, buf); err != nil || buf[0] != 'x' {
			t.Fatalf("draining connection: %q %v", buf, err)
		}
		_, err := old.r.ReadByte()
		if !closedOnUs(err) {
			t.Fatalf("after the delay: %v, want the connection closed", err)
		}

		// A target removed entirely loses its connections at once.
		conn2 := dial(t, tp.eni(tp.eniA))
		conn2.greeting()
		tp.tg.Targets = tp.tg.Targets[:1]
		mustApply(t, f, tp.snap())
		if _, err := conn2.r.ReadByte(); !closedOnUs(err) {
			t.Fatalf("connection to removed target: %v, want closed", err)
		}
	})
}

func TestTerminateOnUnhealthy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		ba := startBackend(t, "a1", netip.AddrPortFrom(tp.ip(100), 0), false)
		bb := startBackend(t, "a2", netip.AddrPortFrom(tp.ip(101), 0), false)
		tp.addTarget(ba, "za")
		tp.addTarget(bb, "za")
		hl := &healthLog{}
		f := newForwarder(t, engine, hl)
		mustApply(t, f, tp.snap())
		waitFor(t, "both healthy", func() bool {
			return hl.get(ba.addr).State == "healthy" && hl.get(bb.addr).State == "healthy"
		})
		// Find a connection that landed on a1.
		var onA *client
		for i := 0; i < 64 && onA == nil; i++ {
			c := dial(t, tp.eni(tp.eniA))
			if g, _ := c.greeting(); g == "a1" {
				onA = c
			}
		}
		if onA == nil {
			t.Fatal("no connection reached a1")
		}
		// a1 stops accepting but keeps its established connection: the
		// forwarder must reset it once a1 is unhealthy, since a2 is healthy.
		ba.ln.Close()
		waitFor(t, "a1 unhealthy", func() bool { return hl.get(ba.addr).State == "unhealthy" })
		if _, err := onA.r.ReadByte(); !closedOnUs(err) {
			t.Fatalf("connection to unhealthy target: %v, want reset", err)
		}
	})
}

func TestReconcileKeepsOtherListeners(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		f := newForwarder(t, engine, nil)
		mustApply(t, f, tp.snap())
		c := dial(t, tp.eni(tp.eniA))
		c.greeting()

		second := tp.ep
		second.ID = "vpce-0000000000000second"
		second.ENIs = []snapshot.ENI{{ID: "eni-c", Zone: "za", IPv4: tp.ip(20)}}
		steps := []struct {
			name  string
			extra []snapshot.Endpoint
			up    bool
		}{
			{"add an endpoint", []snapshot.Endpoint{second}, true},
			{"remove it", nil, false},
			{"add it back", []snapshot.Endpoint{second}, true},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				tp.extraEndpoints = st.extra
				mustApply(t, f, tp.snap())
				_, err := which(t, netip.Addr{}, tp.eni(tp.ip(20)))
				if st.up != (err == nil) {
					t.Fatalf("second endpoint reachable = %v (%v), want %v", err == nil, err, st.up)
				}
				// The first connection is untouched.
				if _, err := io.WriteString(c, "ping"); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 4)
				if _, err := io.ReadFull(c.r, buf); err != nil || string(buf) != "ping" {
					t.Fatalf("old connection: %q %v", buf, err)
				}
			})
		}
		// A listener whose endpoint goes away loses its connections.
		tp.ep.State = "deleting"
		mustApply(t, f, tp.snap())
		if _, err := c.r.ReadByte(); !closedOnUs(err) {
			t.Fatalf("connection on removed listener: %v, want closed", err)
		}
	})
}

// The connection metrics of an endpoint go with its last listener; those
// of an endpoint still served stay.
func TestRemovedEndpointMetricsDeleted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		reg := prometheus.NewRegistry()
		f := New(Options{Registerer: reg, Engine: engine, DialTimeout: 2 * time.Second})
		t.Cleanup(func() { f.Close() })
		second := tp.ep
		second.ID = "vpce-0000000000000second"
		second.ENIs = []snapshot.ENI{{ID: "eni-c", Zone: "za", IPv4: tp.ip(20)}}
		tp.extraEndpoints = []snapshot.Endpoint{second}
		mustApply(t, f, tp.snap())
		for _, dst := range []string{tp.eni(tp.eniA), tp.eni(tp.ip(20))} {
			if _, err := which(t, netip.Addr{}, dst); err != nil {
				t.Fatalf("%s: %v", dst, err)
			}
		}
		series := func(id string) int {
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, mf := range mfs {
				for _, m := range mf.GetMetric() {
					for _, lp := range m.GetLabel() {
						if lp.GetName() == "endpoint" && lp.GetValue() == id {
							n++
						}
					}
				}
			}
			return n
		}
		if series(second.ID) == 0 || series(tp.ep.ID) == 0 {
			t.Fatalf("no series before the removal: %d for %s, %d for %s", series(second.ID), second.ID, series(tp.ep.ID), tp.ep.ID)
		}
		tp.extraEndpoints = nil
		mustApply(t, f, tp.snap())
		if n := series(second.ID); n != 0 {
			t.Errorf("%d metric series of the removed endpoint %s remain", n, second.ID)
		}
		if series(tp.ep.ID) == 0 {
			t.Errorf("the series of %s, still served, went too", tp.ep.ID)
		}
	})
}

func TestIdleTimeout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		tp.lb.Listeners[0].IdleTimeout = 300 * time.Millisecond
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		f := newForwarder(t, engine, nil)
		mustApply(t, f, tp.snap())

		busy := dial(t, tp.eni(tp.eniA))
		busy.greeting()
		idle := dial(t, tp.eni(tp.eniA))
		idle.greeting()
		// Keep one connection busy for 3 idle timeouts; the other goes quiet.
		buf := make([]byte, 1)
		for end := time.Now().Add(900 * time.Millisecond); time.Now().Before(end); {
			io.WriteString(busy, "x")
			if _, err := io.ReadFull(busy.r, buf); err != nil {
				t.Fatalf("busy connection closed: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := idle.r.ReadByte(); !closedOnUs(err) {
			t.Fatalf("idle connection: %v, want closed", err)
		}
	})
}

func TestShutdown(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("drains open connections", func(t *testing.T) {
			tp := newTopo(t)
			b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
			tp.addTarget(b, "za")
			f := New(Options{Engine: engine})
			mustApply(t, f, tp.snap())
			c := dial(t, tp.eni(tp.eniA))
			c.greeting()
			done := make(chan error, 1)
			go func() { done <- f.Shutdown(contextWithTimeout(t, 10*time.Second)) }()
			waitFor(t, "listeners closed", func() bool {
				probe, err := net.DialTimeout("tcp", tp.eni(tp.eniA), time.Second)
				if err == nil {
					probe.Close()
				}
				return err != nil
			})
			io.WriteString(c, "still")
			c.CloseWrite()
			got, err := io.ReadAll(c.r)
			if err != nil || string(got) != "stillbye" {
				t.Fatalf("draining connection: %q %v", got, err)
			}
			if err := <-done; err != nil {
				t.Fatalf("Shutdown = %v", err)
			}
		})
		t.Run("cuts connections after the grace", func(t *testing.T) {
			tp := newTopo(t)
			b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
			tp.addTarget(b, "za")
			f := New(Options{Engine: engine})
			mustApply(t, f, tp.snap())
			c := dial(t, tp.eni(tp.eniA))
			c.greeting()
			if err := f.Shutdown(contextWithTimeout(t, 100*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Shutdown = %v, want deadline exceeded", err)
			}
			if _, err := c.r.ReadByte(); !closedOnUs(err) {
				t.Fatalf("connection after grace: %v, want closed", err)
			}
		})
	})
}

func TestBindErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		// Someone else holds the zone b ENI's port.
		squat, err := net.Listen("tcp", tp.eni(tp.eniB))
		if err != nil {
			t.Fatal(err)
		}
		defer squat.Close()
		tp.ep.ENIs = append(tp.ep.ENIs, snapshot.ENI{ID: "eni-v6", Zone: "za", IPv6: netip.MustParseAddr("fd00:dead:beef::10")})
		f := newForwarder(t, engine, nil)
		res := f.Apply(tp.snap())
		remedies := map[string]string{}
		for _, e := range res.Errors {
			remedies[e.Address] = e.Remedy
			if e.Endpoint != tp.ep.ID {
				t.Errorf("error %v names endpoint %q", e, e.Endpoint)
			}
		}
		if r := remedies[tp.eni(tp.eniB)]; !strings.HasPrefix(r, "port ") || !strings.Contains(r, "in use, held by pid "+strconv.Itoa(os.Getpid())) {
			t.Errorf("remedy for a port in use = %q", r)
		}
		v6 := netip.AddrPortFrom(netip.MustParseAddr("fd00:dead:beef::10"), tp.port).String()
		if r, ok := remedies[v6]; ok && r != "address not local: run as root so plink adds it on lo" {
			t.Errorf("remedy for a non-local address = %q", r)
		}
		// The rest serve.
		if name, err := which(t, netip.Addr{}, tp.eni(tp.eniA)); err != nil || name != "b1" {
			t.Fatalf("healthy listener: %q %v", name, err)
		}
		chk := Check(tp.snap(), nil)
		if len(chk.Errors) == 0 {
			t.Error("Check found no error with the port in use")
		}
	})
}

func contextWithTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// metricValue reads one counter or gauge with a given label from reg.
func metricValue(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue() + m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}

// A target group whose targets are the forwarder's own listeners (its
// load balancer's node, an endpoint ENI) must not make connections dial
// the forwarder again and again: such targets are never picked, the
// connection is refused, and the other targets still serve.
func TestSelfTargetsAreNeverDialled(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		tp.tg.Targets = []snapshot.Target{
			{IP: tp.nodeA, Port: tp.port, Zone: "za"}, // the load balancer itself
			{IP: tp.eniB, Port: tp.port, Zone: "za"},  // an endpoint of it
		}
		reg := prometheus.NewRegistry()
		hl := &healthLog{}
		var logs syncBuf
		f := New(Options{Registerer: reg, Engine: engine, DialTimeout: 2 * time.Second, OnHealth: hl.record,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		t.Cleanup(func() { f.Close() })
		mustApply(t, f, tp.snap())
		if !strings.Contains(logs.String(), "own listeners") {
			t.Errorf("no log line names the self targets; logs:\n%s", logs.String())
		}
		accepted := func() float64 {
			return metricValue(t, reg, "plink_forwarder_connections_total", "endpoint", tp.ep.ID) +
				metricValue(t, reg, "plink_forwarder_connections_total", "endpoint", tp.lb.Name)
		}

		for _, dst := range []string{tp.eni(tp.eniA), tp.eni(tp.nodeA)} {
			name, err := which(t, netip.Addr{}, dst)
			if !closedOnUs(err) {
				t.Fatalf("%s: got %q, %v; want the connection refused", dst, name, err)
			}
		}
		// Each client connection was accepted once: none dialled the
		// forwarder itself.
		if n := accepted(); n != 2 {
			t.Errorf("%v connections accepted for 2 clients: the forwarder connected to itself", n)
		}
		if n := metricSum(t, reg, "plink_forwarder_rejects_total", "reason", rejectSelfTarget); n != 2 {
			t.Errorf("self-target rejects = %v, want 2", n)
		}
		for _, ap := range []netip.AddrPort{netip.AddrPortFrom(tp.nodeA, tp.port), netip.AddrPortFrom(tp.eniB, tp.port)} {
			if r := hl.get(ap); r.State != "unused" || r.Reason != "Target.IpUnusable" {
				t.Errorf("health of self target %s = %+v, want unused Target.IpUnusable", ap, r)
			}
		}

		// A real target next to them gets every connection.
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		mustApply(t, f, tp.snap())
		for i := range 16 {
			if name, err := which(t, netip.Addr{}, tp.eni(tp.eniA)); err != nil || name != "b1" {
				t.Fatalf("connection %d: got %q, %v; want b1", i, name, err)
			}
		}
		if n := accepted(); n != 2+16 {
			t.Errorf("%v connections accepted for 18 clients", n)
		}
	})
}

// metricSum adds up every series of a counter or gauge with a given label.
func metricSum(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
				}
			}
		}
	}
	return sum
}
