package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/test/testenv"
)

// TestListenModeSKLookup: serve forced into sk-lookup mode says so, serves
// an endpoint through its one socket per port, and, killed with SIGKILL,
// leaves no program behind: the endpoint's address is refused, and a
// listener bound to it afterwards gets its connections.
func TestListenModeSKLookup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("sk_lookup needs root (CAP_BPF, CAP_NET_ADMIN)")
	}
	e := newEnv(t)
	b := startBackend(t, "sk", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	srv := e.serve("--listen-mode", "sk-lookup")
	if !strings.Contains(srv.logs.String(), "listen mode: sk-lookup") {
		t.Fatalf("no \"listen mode: sk-lookup\" line in the log:\n%s", srv.logs.String())
	}
	dst := ep.addr(t, "a", svc.Port)
	c := greeted(t, dst)
	c.Close()

	srv.cmd.Process.Kill()
	<-srv.done
	if _, err := net.DialTimeout("tcp", dst, 2*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after kill -9: %v, want connection refused (no program left steering)", err)
	}
	startBackend(t, "mine", dst, false)
	c2, err := dialFrom(netip.Addr{}, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if name, _, err := c2.greeting(); err != nil || name != "mine" {
		t.Fatalf("a listener bound after kill -9: %q %v, want its own greeting", name, err)
	}
}

// TestListenModePerAddressForced: --listen-mode per-address says so and
// serves; an unknown mode is a usage error (exit 252).
func TestListenModePerAddressForced(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "pa", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	srv := e.serve("--listen-mode", "per-address")
	if !strings.Contains(srv.logs.String(), "listen mode: per-address") {
		t.Fatalf("no \"listen mode: per-address\" line in the log:\n%s", srv.logs.String())
	}
	greeted(t, ep.addr(t, "a", svc.Port)).Close()
	_, stderr, err := e.run("000000000000", "serve", "--listen-mode", "sideways")
	var ee interface{ ExitCode() int }
	if !errors.As(err, &ee) || ee.ExitCode() != 252 || !strings.Contains(stderr, "--listen-mode") {
		t.Fatalf("--listen-mode sideways: %v %q, want exit 252 (usage) naming the flag", err, stderr)
	}
}

// TestFDLimitSKLookup: under the open file limit TestFDLimit uses (320),
// sk-lookup serves all of 111 endpoints (333 endpoint listeners and 3
// load balancer nodes, which per-address listening cannot), on a
// socket per port, and serve --check agrees.
func TestFDLimitSKLookup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("sk_lookup needs root (CAP_BPF, CAP_NET_ADMIN)")
	}
	prlimit := needTool(t, "prlimit", "util-linux")
	const limit = 320
	e := newEnv(t)
	b := startBackend(t, "fd", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	first := e.createEndpoint(svc)
	e.createEndpoints(svc, 110)
	pre := []string{prlimit, fmt.Sprintf("--nofile=%d:%d", limit, limit)}
	res := e.runBounded(20*time.Second, pre, "serve", "--check", "--dns-port", "0", "--dns-addr", "127.0.0.1:0", "--listen-mode", "sk-lookup")
	if res.stillRunning || res.code != 0 {
		t.Errorf("serve --check in sk-lookup mode under a limit of %d: exit %d, want 0\n%s", limit, res.code, tail(res.output, 2000))
	}
	srv := e.serveWith(pre, "--listen-mode", "sk-lookup")
	var info readyInfo
	testenv.Eventually(t, 30*time.Second, func() error {
		var err error
		if info, err = srv.info(); err != nil {
			return err
		}
		if len(info.Listeners) != 3+3*111 || len(info.Errors) > 0 {
			return fmt.Errorf("%d listeners, errors %q; want %d and none", len(info.Listeners), info.Errors, 3+3*111)
		}
		return nil
	})
	for _, z := range []string{"a", "b", "c"} {
		if _, _, err := roundTrip(lo, first.addr(t, z, svc.Port)); err != nil {
			t.Errorf("zone %s: %v", z, err)
		}
	}
	last := info.Listeners[len(info.Listeners)-1].Address
	if _, _, err := roundTrip(lo, last); err != nil {
		t.Errorf("%s: %v", last, err)
	}
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", srv.cmd.Process.Pid)); err == nil && len(fds) > 100 {
		t.Errorf("serve holds %d descriptors for %d listeners, want a few", len(fds), len(info.Listeners))
	}
}
