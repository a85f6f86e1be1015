package netstack

import (
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/snapshot"
)

// TestIPv6InNamespace runs TestIPv6 inside a fresh network namespace
// (unshare -n), where it may add fd00:: addresses on lo.
func TestIPv6InNamespace(t *testing.T) {
	if os.Getenv("PLINK_NETNS_CHILD") != "" {
		t.Skip("already inside the namespace")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare(1) not installed")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip(8) not installed")
	}
	if out, err := exec.Command(unshare, "-n", "true").CombinedOutput(); err != nil {
		t.Skipf("network namespaces unavailable: %v: %s", err, out)
	}
	args := []string{"-n", os.Args[0], "-test.run=^TestIPv6$", "-test.count=1"}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(os.Environ(), "PLINK_NETNS_CHILD=1")
	out, err := cmd.CombinedOutput()
	t.Logf("namespace run:\n%s", out)
	if err != nil || !strings.Contains(string(out), "PASS") || strings.Contains(string(out), "SKIP") {
		t.Fatalf("TestIPv6 in namespace: %v", err)
	}
}

// TestIPv6 binds fd00:: endpoint and node addresses added on lo, forwards
// an IPv6 client through PROXY v2 and removes the addresses on close.
func TestIPv6(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		if os.Getenv("PLINK_NETNS_CHILD") == "" {
			t.Skip("runs inside the namespace TestIPv6InNamespace creates")
		}
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set lo up: %v: %s", err, out)
		}
		la := NewLocalAddrs(nil)
		eni, node, cli := netip.MustParseAddr("fd00:16::10"), netip.MustParseAddr("fd00:16::5"), netip.MustParseAddr("fd00:16::20")
		if err := la.Add(cli); err != nil {
			t.Fatal(err)
		}
		tp := newTopo(t)
		tp.tg.ProxyProtocolV2 = true
		tp.lb.Nodes = []snapshot.Node{{Zone: "za", IPv6: node}}
		tp.ep.ENIs = []snapshot.ENI{{Zone: "za", IPv6: eni}}
		tp.sg.Rules = append(tp.sg.Rules, snapshot.Rule{Protocol: "tcp", FromPort: 0, ToPort: 65535,
			Prefix: netip.MustParsePrefix("fd00:16::/64")})
		b := startBackend(t, "v6", netip.MustParseAddrPort("[::1]:0"), true)
		tp.addTarget(b, "za")
		f := New(Options{AddAddresses: la.AddAll, Engine: engine})
		res := f.Apply(tp.snap())
		for _, e := range res.Errors {
			t.Fatalf("apply: %v", e)
		}
		c, err := clientFrom(t, cli, netip.AddrPortFrom(eni, tp.port).String())
		if err != nil {
			t.Fatal(err)
		}
		if g, err := c.greeting(); err != nil || g != "v6" {
			t.Fatalf("greeting %q %v", g, err)
		}
		c.Close()
		h := b.lastProxyHeader()
		s, d, _ := h.TCPAddrs()
		if !h.TransportProtocol.IsIPv6() || s.AddrPort().Addr() != cli || d.AddrPort().Addr() != eni {
			t.Errorf("PROXY header %v %v -> %v", h.TransportProtocol, s, d)
		}
		if p := b.lastPeer(); p.Addr() != node {
			t.Errorf("target saw source %v, want node %v", p, node)
		}
		f.Close()
		if err := la.Close(); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command("ip", "-6", "addr", "show", "dev", "lo").CombinedOutput()
		for _, a := range []netip.Addr{eni, node, cli} {
			if strings.Contains(string(out), a.String()+"/128") {
				t.Errorf("%v still on lo after Close:\n%s", a, out)
			}
		}
	})
}
