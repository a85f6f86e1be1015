package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/plink-dev/plink/test/testenv"
)

// liveWait bounds how long a committed change may take to reach serve.
// The design goal is 250 ms; the tests only poll.
const liveWait = 5 * time.Second

// TestThroughEndpoint follows an endpoint's life through `plink serve`:
// pendingAcceptance has no listener, accept opens one in every zone,
// reject closes them; a second endpoint opens and delete closes it.
// TestThroughEndpoint runs with both data plane engines (serve --engine).
func TestThroughEndpoint(t *testing.T) {
	for _, engine := range []string{"epoll", "goroutines"} {
		t.Run(engine, func(t *testing.T) { throughEndpoint(t, engine) })
	}
}

func throughEndpoint(t *testing.T, engine string) {
	e := newEnv(t)
	b := startBackend(t, "web", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}, Acceptance: true})
	ep := e.createEndpoint(svc)
	if ep.State != "pendingAcceptance" {
		t.Fatalf("endpoint state %q, want pendingAcceptance", ep.State)
	}
	srv := e.serve("--engine", engine)
	zones := []string{"a", "b", "c"}

	// The ready file is written after the first apply: pendingAcceptance
	// has been seen and has no listener.
	info := srv.mustInfo()
	for _, z := range zones {
		addr := ep.addr(t, z, svc.Port)
		if info.hasListener(addr) {
			t.Errorf("ready file lists %s of a pendingAcceptance endpoint", addr)
		}
		if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			c.Close()
			t.Errorf("dial %s of a pendingAcceptance endpoint: connected, want refused", addr)
		} else if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dial %s of a pendingAcceptance endpoint: %v, want connection refused", addr, err)
		}
	}
	// The load balancer nodes serve the provider from the start.
	for zone, node := range e.nodes(svc.NLB) {
		addr := net.JoinHostPort(node.String(), strconv.Itoa(svc.Port))
		testenv.Eventually(t, liveWait, func() error {
			if _, _, err := roundTrip(lo, addr); err != nil {
				return fmt.Errorf("load balancer node %s (%s): %w", addr, zone, err)
			}
			return nil
		})
	}

	e.plink(provider, "accept-endpoint-connections", "--service-id", svc.ID, "--vpc-endpoint-ids", ep.ID)
	for _, z := range zones {
		addr := ep.addr(t, z, svc.Port)
		testenv.Eventually(t, liveWait, func() error {
			name, _, err := roundTrip(lo, addr)
			if err == nil && name != "web" {
				err = fmt.Errorf("answered by %q, want web", name)
			}
			return err
		})
	}
	if st := e.text(consumer, "VpcEndpoints[0].State", "describe-endpoints", "--vpc-endpoint-ids", ep.ID); st != "available" {
		t.Errorf("after accept the endpoint is %q, want available", st)
	}
	testenv.Eventually(t, liveWait, func() error {
		if a := ep.addr(t, "a", svc.Port); !srv.mustInfo().hasListener(a) {
			return fmt.Errorf("ready file does not list %s", a)
		}
		return nil
	})

	e.plink(provider, "reject-endpoint-connections", "--service-id", svc.ID, "--vpc-endpoint-ids", ep.ID)
	for _, z := range zones {
		addr := ep.addr(t, z, svc.Port)
		testenv.Eventually(t, liveWait, func() error { return refused(lo, addr) })
	}

	ep2 := e.createEndpoint(svc)
	e.plink(provider, "accept-endpoint-connections", "--service-id", svc.ID, "--vpc-endpoint-ids", ep2.ID)
	addr2 := ep2.addr(t, "b", svc.Port)
	testenv.Eventually(t, liveWait, func() error { _, _, err := roundTrip(lo, addr2); return err })
	e.plink(consumer, "delete-endpoints", "--vpc-endpoint-ids", ep2.ID)
	for _, z := range zones {
		addr := ep2.addr(t, z, svc.Port)
		testenv.Eventually(t, liveWait, func() error { return refused(lo, addr) })
	}
}

// TestProxyProtocolV2 checks the header a target receives: the client's
// address as source, the endpoint address as destination, the endpoint
// ID in the AWS TLV; and LOCAL headers on health checks.
func TestProxyProtocolV2(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "pp", "127.0.0.1:0", true)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}, PPv2: true})
	ep := e.createEndpoint(svc)
	e.serve()

	tests := []struct {
		name string
		src  netip.Addr
		zone string
	}{
		{"from 127.0.0.1 to zone a", lo, "a"},
		{"from 127.0.0.77 to zone b", netip.MustParseAddr("127.0.0.77"), "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := ep.addr(t, tc.zone, svc.Port)
			var local netip.AddrPort
			testenv.Eventually(t, liveWait, func() error {
				c, err := dialFrom(tc.src, dst)
				if err != nil {
					return err
				}
				defer c.Close()
				if _, _, err := c.greeting(); err != nil {
					return err
				}
				local = c.LocalAddr().(*net.TCPAddr).AddrPort()
				return c.echo("hello")
			})
			var h *proxyproto.Header
			for _, r := range b.snapshot() {
				if r.header == nil || r.header.Command != proxyproto.PROXY {
					continue
				}
				if s, _, ok := r.header.TCPAddrs(); ok && s.Port == int(local.Port()) {
					h = r.header
				}
			}
			if h == nil {
				t.Fatalf("no PROXY header with source port %d among %d connections", local.Port(), len(b.snapshot()))
			}
			src, dstAddr, ok := h.TCPAddrs()
			if !ok || h.Version != 2 || h.TransportProtocol != proxyproto.TCPv4 {
				t.Errorf("header version %d protocol %v, want 2 TCPv4", h.Version, h.TransportProtocol)
			}
			if got := src.AddrPort(); got.Addr().Unmap() != local.Addr() || got.Port() != local.Port() {
				t.Errorf("header source %v, want the client %v", got, local)
			}
			if got, want := dstAddr.String(), dst; got != want {
				t.Errorf("header destination %s, want the endpoint address %s", got, want)
			}
			id, err := vpceID(h)
			if err != nil || id != ep.ID {
				t.Errorf("AWS TLV endpoint ID %q (%v), want %s", id, err, ep.ID)
			}
		})
	}

	t.Run("health checks carry LOCAL", func(t *testing.T) {
		testenv.Eventually(t, liveWait, func() error {
			for _, r := range b.snapshot() {
				if r.header != nil && r.header.Command == proxyproto.LOCAL {
					return nil
				}
			}
			return fmt.Errorf("no LOCAL header among %d connections: %+v", len(b.snapshot()), b.snapshot())
		})
	})
}

// TestSourceIsNode checks that without PROXY protocol the target sees the
// load balancer node of the endpoint's zone as the peer.
func TestSourceIsNode(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "plain", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	nodes := e.nodes(svc.NLB)
	e.serve()
	for _, z := range []string{"a", "b", "c"} {
		t.Run("zone "+z, func(t *testing.T) {
			node, ok := nodes["us-east-1"+z]
			if !ok {
				t.Fatalf("describe-load-balancers shows no node in us-east-1%s: %v", z, nodes)
			}
			var peer string
			testenv.Eventually(t, liveWait, func() error {
				var err error
				_, peer, err = roundTrip(lo, ep.addr(t, z, svc.Port))
				return err
			})
			ap, err := netip.ParseAddrPort(peer)
			if err != nil {
				t.Fatalf("backend peer %q: %v", peer, err)
			}
			if ap.Addr() != node {
				t.Errorf("target saw the connection from %v, want the node %v of us-east-1%s", ap.Addr(), node, z)
			}
		})
	}
}

// subnetHost is the host-th address of the subnet of zone in vpc.
func (e *env) subnetHost(vpc, zone string, host byte) netip.Addr {
	e.t.Helper()
	var out struct {
		Subnets []struct {
			VpcID            string `json:"VpcId"`
			AvailabilityZone string
			CidrBlock        string
		}
	}
	e.json(provider, &out, "describe-subnets")
	for _, s := range out.Subnets {
		if s.VpcID == vpc && s.AvailabilityZone == zone {
			p := netip.MustParsePrefix(s.CidrBlock)
			a := p.Addr().As4()
			a[3] += host
			return netip.AddrFrom4(a)
		}
	}
	e.t.Fatalf("no subnet of %s in %s", vpc, zone)
	return netip.Addr{}
}

// count makes n connections from 127.0.0.1 (each from a new source port)
// and counts the answering backends.
func count(t *testing.T, dst string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		name, _, err := roundTrip(lo, dst)
		if err != nil {
			t.Fatalf("connection to %s: %v", dst, err)
		}
		got[name]++
	}
	return got
}

// TestZones checks zone-local routing to targets in the provider's
// subnets, and cross-zone load balancing once turned on.
func TestZones(t *testing.T) {
	e := newEnv(t)
	vpc := e.text(provider, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	ba := startBackend(t, "a", netip.AddrPortFrom(e.subnetHost(vpc, "us-east-1a", 100), 0).String(), false)
	bb := startBackend(t, "b", netip.AddrPortFrom(e.subnetHost(vpc, "us-east-1b", 100), 0).String(), false)
	svc := e.newService(serviceSpec{Targets: []string{ba.target(), bb.target()}, TGArgs: fastHealth})
	for _, h := range e.targetHealth(svc.TG) {
		want := map[string]string{ba.addr.Addr().String(): "us-east-1a", bb.addr.Addr().String(): "us-east-1b"}[h.Target.ID]
		if h.Target.AvailabilityZone != want {
			t.Errorf("target %s registered in zone %q, want %q from its subnet", h.Target.ID, h.Target.AvailabilityZone, want)
		}
	}
	ep := e.createEndpoint(svc)
	e.serve()
	e.waitHealth(svc.TG, map[string]string{ba.addr.String(): "healthy", bb.addr.String(): "healthy"})

	const n = 50
	for _, z := range []string{"a", "b"} {
		t.Run("zone-local "+z, func(t *testing.T) {
			got := count(t, ep.addr(t, z, svc.Port), n)
			if got[z] != n {
				t.Errorf("connections to the zone-%s endpoint address went to %v, want all %d to %s", z, got, n, z)
			}
		})
	}

	e.plink(provider, "modify-load-balancer-attributes", "--load-balancer-arn", svc.NLB,
		"--attributes", "Key=load_balancing.cross_zone.enabled,Value=true")
	t.Run("cross-zone", func(t *testing.T) {
		testenv.Eventually(t, liveWait, func() error {
			got := count(t, ep.addr(t, "a", svc.Port), n)
			if got["a"] == 0 || got["b"] == 0 {
				return fmt.Errorf("with cross-zone on, %d connections to zone a went to %v, want both targets", n, got)
			}
			return nil
		})
	})
}

// TestFailoverAndFailOpen kills one target (traffic moves to the other and
// describe-target-health says why), then makes every target unhealthy
// (fail-open: traffic still goes to the targets), then kills the last one
// (clients are closed, not left hanging).
func TestFailoverAndFailOpen(t *testing.T) {
	e := newEnv(t)
	ba := startBackend(t, "A", "127.0.0.1:0", false)
	bb := startBackend(t, "B", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{ba.target(), bb.target()}, TGArgs: fastHealth})
	ep := e.createEndpoint(svc)
	e.serve()
	dst := ep.addr(t, "a", svc.Port)
	e.waitHealth(svc.TG, map[string]string{ba.addr.String(): "healthy", bb.addr.String(): "healthy"})
	if got := count(t, dst, 50); got["A"] == 0 || got["B"] == 0 {
		t.Fatalf("with two healthy targets, 50 connections went to %v, want both", got)
	}

	ba.kill()
	e.waitHealth(svc.TG, map[string]string{ba.addr.String(): "unhealthy", bb.addr.String(): "healthy"})
	for _, h := range e.targetHealth(svc.TG) {
		if h.Target.ID == ba.addr.Addr().String() && h.Target.Port == int(ba.addr.Port()) &&
			h.TargetHealth.Reason != "Target.FailedHealthChecks" {
			t.Errorf("dead target reason %q, want Target.FailedHealthChecks", h.TargetHealth.Reason)
		}
	}
	t.Run("failover", func(t *testing.T) {
		if got := count(t, dst, 30); got["B"] != 30 {
			t.Errorf("after A died, 30 connections went to %v, want all to B", got)
		}
	})

	// Health checks on a port nobody listens on: both targets unhealthy.
	dead := testenv.FreePort(t)
	e.plink(provider, "modify-target-group", "--target-group-arn", svc.TG, "--health-check-port", strconv.Itoa(dead))
	e.waitHealth(svc.TG, map[string]string{ba.addr.String(): "unhealthy", bb.addr.String(): "unhealthy"})
	t.Run("fail-open", func(t *testing.T) {
		outcomes := map[string]int{}
		for range 30 {
			outcomes[connectOutcome(dst, "B")]++
		}
		if outcomes["hang"] > 0 || outcomes["refused"] > 0 || outcomes["other"] > 0 {
			t.Errorf("fail-open: outcomes %v, want only reached-B or reset/closed (the dead A)", outcomes)
		}
		if outcomes["reached"] == 0 {
			t.Errorf("fail-open: no connection of 30 reached the live (but unhealthy) target B: %v", outcomes)
		}
	})

	bb.kill()
	t.Run("all dead", func(t *testing.T) {
		// Defined behaviour: the endpoint still accepts, tries the
		// targets, and closes the client (EOF or reset) instead of
		// refusing it or leaving it hanging.
		outcomes := map[string]int{}
		for range 10 {
			outcomes[connectOutcome(dst, "B")]++
		}
		if outcomes["closed"] != 10 {
			t.Errorf("all targets dead: outcomes %v, want all 10 closed (EOF or reset)", outcomes)
		}
	})
}

// connectOutcome connects to dst and classifies what happens: "reached"
// (greeted by want), "closed" (accepted, then EOF or reset, the reset
// possibly already seen by connect), "refused", "hang", or "other".
func connectOutcome(dst, want string) string {
	c, err := dialFrom(lo, dst)
	if err != nil {
		if errors.Is(err, syscall.ECONNRESET) {
			return "closed"
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return "refused"
		}
		return "other"
	}
	defer c.Close()
	name, _, err := c.greeting()
	switch {
	case err == nil && name == want:
		return "reached"
	case err == nil:
		return "other"
	case isTimeout(err):
		return "hang"
	default:
		return "closed"
	}
}

// TestSecurityGroup attaches a group that admits only 127.0.0.1/32 on the
// listener port instead of the default group.
func TestSecurityGroup(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "sg", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	e.serve()
	dst := ep.addr(t, "a", svc.Port)
	other := netip.MustParseAddr("127.0.0.2")
	testenv.Eventually(t, liveWait, func() error { _, _, err := roundTrip(other, dst); return err })

	sg := e.text(consumer, "GroupId", "create-security-group", "--group-name", "only-lo",
		"--description", "127.0.0.1 only", "--vpc-id", ep.VPC)
	e.plink(consumer, "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
		"--port", strconv.Itoa(svc.Port), "--cidr", "127.0.0.1/32")
	def := e.text(consumer, "SecurityGroups[?GroupName=='default' && VpcId=='"+ep.VPC+"'].GroupId | [0]", "describe-security-groups")
	e.plink(consumer, "modify-endpoint", "--vpc-endpoint-id", ep.ID, "--add-security-group-ids", sg,
		"--remove-security-group-ids", def)

	t.Run("127.0.0.2 is reset", func(t *testing.T) {
		testenv.Eventually(t, liveWait, func() error {
			c, err := dialFrom(other, dst)
			if err != nil {
				return fmt.Errorf("dial: %v (want accepted then reset)", err)
			}
			defer c.Close()
			_, _, err = c.greeting()
			if err == nil {
				return errors.New("127.0.0.2 still reaches the target")
			}
			if !errors.Is(err, syscall.ECONNRESET) {
				return fmt.Errorf("127.0.0.2: %v, want connection reset", err)
			}
			return nil
		})
	})
	t.Run("127.0.0.1 passes", func(t *testing.T) {
		if _, _, err := roundTrip(lo, dst); err != nil {
			t.Errorf("127.0.0.1: %v", err)
		}
	})
}

// TestGracefulDrain checks that SIGTERM stops accepting, lets an open
// connection finish and exits 0 once it has.
func TestGracefulDrain(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "drain", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	srv := e.serve("--grace", "60s")
	dst := ep.addr(t, "a", svc.Port)
	c := greeted(t, dst)
	defer c.Close()

	srv.signal(syscall.SIGTERM)
	testenv.Eventually(t, liveWait, func() error {
		nc, err := net.DialTimeout("tcp", dst, time.Second)
		if err == nil {
			nc.Close()
			return errors.New("still accepting after SIGTERM")
		}
		return nil
	})
	if err, exited := srv.wait(0); exited {
		t.Fatalf("serve exited (%v) with a connection open, before the grace period", err)
	}
	for i := range 3 {
		if err := c.echo(fmt.Sprintf("after SIGTERM %d", i)); err != nil {
			t.Fatalf("open connection after SIGTERM: %v", err)
		}
	}
	c.Close()
	// Far less than the 60 s grace: serve ends when the drain is done.
	err, exited := srv.wait(10 * time.Second)
	if !exited {
		t.Fatal("serve still running 10 s after its last connection closed")
	}
	if err != nil {
		t.Errorf("serve exit: %v, want 0", err)
	}
	if _, err := srv.info(); err == nil {
		t.Errorf("ready file %s still there after exit", srv.ready)
	}
}

// TestGraceOver leaves a connection open past --grace: serve closes it
// and still exits 0.
func TestGraceOver(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "stuck", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	srv := e.serve("--grace", "1s")
	dst := ep.addr(t, "a", svc.Port)
	c := greeted(t, dst)
	defer c.Close()
	srv.signal(syscall.SIGTERM)
	err, exited := srv.wait(10 * time.Second)
	if !exited {
		t.Fatal("serve still running 10 s after SIGTERM with --grace 1s")
	}
	if err != nil {
		t.Errorf("serve exit after the grace period: %v, want 0", err)
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.r.ReadString('\n'); err == nil || isTimeout(err) {
		t.Errorf("the connection left open past the grace period: read %v, want it closed", err)
	}
}

// TestFlowHashSpread connects the way most clients do, without binding a
// source (Linux then hands out consecutive ephemeral ports to one
// destination), to one endpoint address with two healthy targets, and
// checks that the flow hash spreads the flows: a fair hash puts a run of
// 20 consecutive flows on one target with probability about 1e-4.
func TestFlowHashSpread(t *testing.T) {
	e := newEnv(t)
	ba := startBackend(t, "A", "127.0.0.1:0", false)
	bb := startBackend(t, "B", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{ba.target(), bb.target()}, TGArgs: fastHealth})
	ep := e.createEndpoint(svc)
	e.serve()
	e.waitHealth(svc.TG, map[string]string{ba.addr.String(): "healthy", bb.addr.String(): "healthy"})
	dst := ep.addr(t, "a", svc.Port)
	var seq []string
	var ports []int
	for range 96 {
		c, err := dialFrom(netip.Addr{}, dst)
		if err != nil {
			t.Fatal(err)
		}
		name, _, err := c.greeting()
		ports = append(ports, c.LocalAddr().(*net.TCPAddr).Port)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		seq = append(seq, name)
	}
	longest, run := 1, 1
	for i := 1; i < len(seq); i++ {
		if seq[i] == seq[i-1] {
			run++
		} else {
			run = 1
		}
		longest = max(longest, run)
	}
	if longest >= 20 {
		t.Errorf("%d consecutive flows (of 96) went to the same target: %v\nclient ports %v", longest, seq, ports)
	}
}
