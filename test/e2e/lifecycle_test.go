package e2e

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/plink-dev/plink/test/testenv"
)

// TestHalfClose checks that a client's FIN reaches the target and the
// target's answer and FIN come back.
func TestHalfClose(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "half", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	e.serve()
	dst := ep.addr(t, "a", svc.Port)
	c := greeted(t, dst)
	defer c.Close()
	if _, err := io.WriteString(c, "one\ntwo\n"); err != nil {
		t.Fatal(err)
	}
	if err := c.Conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	rest, err := io.ReadAll(c.r)
	if err != nil {
		t.Fatalf("after the client's FIN: %v (got %q); the target's answer and FIN must come back", err, rest)
	}
	if string(rest) != "one\ntwo\n" {
		t.Errorf("after the client's FIN the target answered %q, want the echo", rest)
	}
}

// TestBindErrorsInReadyFile holds one endpoint address:port with another
// socket: serve --keep-going reports it in the ready file and serves the
// other zones (without it serve exits 255 at start: cmd/plink/testdata/script/serve_loud.txtar).
func TestBindErrorsInReadyFile(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "busy", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	busy := ep.addr(t, "a", svc.Port)
	squatter, err := net.Listen("tcp", busy)
	if err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()
	srv := e.serve("--keep-going")
	testenv.Eventually(t, liveWait, func() error {
		info := srv.mustInfo()
		for _, msg := range info.Errors {
			if strings.Contains(msg, busy) {
				return nil
			}
		}
		return fmt.Errorf("ready file errors %q do not name %s", info.Errors, busy)
	})
	if srv.mustInfo().hasListener(busy) {
		t.Errorf("ready file lists %s as bound while another socket holds it", busy)
	}
	for _, z := range []string{"b", "c"} {
		if _, _, err := roundTrip(lo, ep.addr(t, z, svc.Port)); err != nil {
			t.Errorf("zone %s with zone a's address taken: %v", z, err)
		}
	}
	// Once the address is free, serve binds it on a later apply (SIGHUP
	// forces one).
	squatter.Close()
	testenv.Eventually(t, liveWait, func() error {
		srv.signal(sighup)
		_, _, err := roundTrip(lo, busy)
		return err
	})
}

// TestLiveChanges changes a running topology: the listener moves to another
// port, a subnet leaves the endpoint, a target is deregistered.
func TestLiveChanges(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	e := newEnv(t)
	ba := startBackend(t, "A", "127.0.0.1:0", false)
	bb := startBackend(t, "B", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{ba.target(), bb.target()}, TGArgs: fastHealth})
	ep := e.createEndpoint(svc)
	srv := e.serve()
	e.waitHealth(svc.TG, map[string]string{ba.addr.String(): "healthy", bb.addr.String(): "healthy"})

	t.Run("deregister drains", func(t *testing.T) {
		e.plink(provider, "deregister-targets", "--target-group-arn", svc.TG, "--targets", ba.target())
		testenv.Eventually(t, liveWait, func() error {
			got := count(t, ep.addr(t, "a", svc.Port), 30)
			if got["B"] != 30 {
				return fmt.Errorf("after deregistering A, 30 connections went to %v, want all to B", got)
			}
			return nil
		})
		for _, h := range e.targetHealth(svc.TG) {
			if h.Target.ID == ba.addr.Addr().String() && h.Target.Port == int(ba.addr.Port()) && h.TargetHealth.State != "draining" {
				t.Errorf("deregistered target is %q, want draining", h.TargetHealth.State)
			}
		}
	})

	t.Run("listener port change", func(t *testing.T) {
		listener := e.text(provider, "Listeners[0].ListenerArn", "describe-listeners", "--load-balancer-arn", svc.NLB)
		newPort := testenv.FreePort(t)
		e.plink(provider, "modify-listener", "--listener-arn", listener, "--port", strconv.Itoa(newPort))
		testenv.Eventually(t, liveWait, func() error {
			if _, _, err := roundTrip(lo, ep.addr(t, "b", newPort)); err != nil {
				return fmt.Errorf("new port: %w", err)
			}
			return refused(lo, ep.addr(t, "b", svc.Port))
		})
		svc.Port = newPort
	})

	t.Run("subnet removed", func(t *testing.T) {
		var subnets struct {
			VpcEndpoints []struct{ SubnetIds []string }
		}
		e.json(consumer, &subnets, "describe-endpoints", "--vpc-endpoint-ids", ep.ID)
		cSubnets := e.subnets(consumer, ep.VPC)
		zoneC := cSubnets[2]
		if !slices.Contains(subnets.VpcEndpoints[0].SubnetIds, zoneC) {
			t.Fatalf("endpoint subnets %v lack zone c's %s", subnets.VpcEndpoints[0].SubnetIds, zoneC)
		}
		goneAddr := ep.addr(t, "c", svc.Port)
		e.plink(consumer, "modify-endpoint", "--vpc-endpoint-id", ep.ID, "--remove-subnet-ids", zoneC)
		testenv.Eventually(t, liveWait, func() error { return refused(lo, goneAddr) })
		want := []netip.Addr{ep.IPv4["us-east-1a"], ep.IPv4["us-east-1b"]}
		slices.SortFunc(want, netip.Addr.Compare)
		testenv.Eventually(t, liveWait, func() error {
			r := dig(t, srv.dnsAddr(), ep.DNS[0], "A")
			if got := addrs(r.Answer); !slices.Equal(got, want) {
				return fmt.Errorf("regional name after removing zone c: %v, want %v", got, want)
			}
			return nil
		})
		if _, _, err := roundTrip(lo, ep.addr(t, "a", svc.Port)); err != nil {
			t.Errorf("zone a after removing zone c: %v", err)
		}
	})
}

const sighup = syscall.SIGHUP

// TestHTTPHealthChecks runs HTTP health checks (with PROXY v2 LOCAL
// headers first) against `plink backend`, which answers 200, and against
// a target that does not speak HTTP; then a matcher the answer misses.
func TestHTTPHealthChecks(t *testing.T) {
	e := newEnv(t)
	web := e.plinkBackend("web")
	raw := startBackend(t, "raw", "127.0.0.1:0", true)
	webTarget := fmt.Sprintf("Id=%s,Port=%d", web.Addr(), web.Port())
	svc := e.newService(serviceSpec{Targets: []string{webTarget, raw.target()}, PPv2: true,
		TGArgs: append([]string{"--health-check-protocol", "HTTP", "--health-check-path", "/healthz",
			"--matcher", "HttpCode=200"}, fastHealth...)})
	ep := e.createEndpoint(svc)
	e.serve()
	e.waitHealth(svc.TG, map[string]string{web.String(): "healthy", raw.addr.String(): "unhealthy"})
	reason := func(ap netip.AddrPort) string {
		for _, h := range e.targetHealth(svc.TG) {
			if h.Target.ID == ap.Addr().String() && h.Target.Port == int(ap.Port()) {
				return h.TargetHealth.Reason
			}
		}
		return "(not listed)"
	}
	if r := reason(raw.addr); r != "Target.FailedHealthChecks" {
		t.Errorf("a target that does not answer HTTP: reason %q, want Target.FailedHealthChecks", r)
	}
	for _, rec := range raw.snapshot() {
		if rec.header == nil || rec.header.Command != proxyproto.LOCAL {
			t.Errorf("HTTP health check to a PROXY v2 target without a LOCAL header: %v", rec)
		}
	}
	// Only the healthy target gets traffic.
	for range 10 {
		c, err := dialFrom(lo, ep.addr(t, "a", svc.Port))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		body, err := io.ReadAll(c.r)
		c.Close()
		if err != nil || !strings.Contains(string(body), `"backend": "web"`) && !strings.Contains(string(body), `"backend":"web"`) {
			t.Fatalf("GET through the endpoint: %v\n%s", err, body)
		}
	}

	e.plink(provider, "modify-target-group", "--target-group-arn", svc.TG, "--matcher", "HttpCode=201")
	e.waitHealth(svc.TG, map[string]string{web.String(): "unhealthy"})
	if r := reason(web); r != "Target.ResponseCodeMismatch" {
		t.Errorf("200 against matcher 201: reason %q, want Target.ResponseCodeMismatch", r)
	}
}
