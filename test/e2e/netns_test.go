package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/plink-dev/plink/test/testenv"
)

// inNetns makes the calling test run inside a network namespace of its
// own (`unshare -n`, then `ip link set lo up`), where `plink serve` as root
// may put IPv6 addresses on lo without touching the host.
//
// In the parent it re-executes the test binary for this test only, inside
// the namespace, reports the child's output and returns true: the caller
// returns at once. In the child it brings lo up and returns false: the
// caller runs its body. When namespaces are impossible (not root, no
// unshare or ip, unshare refused) it skips the test if required, else
// returns false and the test runs on the host.
func inNetns(t *testing.T, required bool) bool {
	t.Helper()
	if os.Getenv(netnsEnv) != "" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set lo up: %v: %s", err, out)
		}
		return false
	}
	why := netnsUnavailable()
	if why != "" {
		if required {
			t.Skipf("needs a network namespace of its own: %s", why)
		}
		t.Logf("running on the host: %s", why)
		return false
	}
	name := strings.SplitN(t.Name(), "/", 2)[0]
	cmd := exec.Command("unshare", "-n", os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("inside unshare -n:\n%s", out)
	switch {
	case err != nil:
		t.Fatalf("%s in a network namespace: %v", name, err)
	case strings.Contains(string(out), "--- SKIP: "+name):
		t.Fatalf("%s skipped inside the network namespace", name)
	case !strings.Contains(string(out), "--- PASS: "+name):
		t.Fatalf("%s did not pass inside the network namespace", name)
	}
	return true
}

// netnsUnavailable says why a network namespace cannot be made, "" if it
// can.
func netnsUnavailable() string {
	if os.Geteuid() != 0 {
		return "not root"
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not installed"
		}
	}
	if out, err := exec.Command("unshare", "-n", "true").CombinedOutput(); err != nil {
		return fmt.Sprintf("unshare -n refused: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return ""
}

// dualstack is a provider VPC and a consumer VPC with IPv6 blocks and two
// dualstack subnets each (zones a and b), outside the default VPCs.
type dualstack struct {
	ProviderVPC, ConsumerVPC         string
	ProviderSubnets, ConsumerSubnets []string
}

// newDualstack creates the VPCs 127.40.0.0/16 (provider) and
// 127.41.0.0/16 (consumer) with Amazon-provided (ULA) IPv6 /56 blocks and
// /64 subnets taken from them.
func (e *env) newDualstack() *dualstack {
	e.t.Helper()
	d := &dualstack{}
	d.ProviderVPC, d.ProviderSubnets = e.dualstackVPC(provider, 40)
	d.ConsumerVPC, d.ConsumerSubnets = e.dualstackVPC(consumer, 41)
	return d
}

func (e *env) dualstackVPC(account string, second byte) (string, []string) {
	e.t.Helper()
	var out struct {
		Vpc struct {
			VpcID                       string `json:"VpcId"`
			Ipv6CidrBlockAssociationSet []struct{ Ipv6CidrBlock string }
		}
	}
	e.json(account, &out, "create-vpc", "--cidr-block", fmt.Sprintf("127.%d.0.0/16", second),
		"--amazon-provided-ipv6-cidr-block")
	if len(out.Vpc.Ipv6CidrBlockAssociationSet) != 1 {
		e.t.Fatalf("create-vpc --amazon-provided-ipv6-cidr-block: IPv6 blocks %+v", out.Vpc.Ipv6CidrBlockAssociationSet)
	}
	block := netip.MustParsePrefix(out.Vpc.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock)
	if block.Bits() != 56 || !block.Addr().IsPrivate() {
		e.t.Fatalf("VPC IPv6 block %v, want a ULA /56", block)
	}
	var subnets []string
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		b := block.Addr().As16()
		b[7] = byte(i)
		v6 := netip.PrefixFrom(netip.AddrFrom16(b), 64)
		id := e.text(account, "Subnet.SubnetId", "create-subnet", "--vpc-id", out.Vpc.VpcID,
			"--cidr-block", fmt.Sprintf("127.%d.%d.0/20", second, 16*i), "--ipv6-cidr-block", v6.String(),
			"--availability-zone", zone)
		subnets = append(subnets, id)
	}
	return out.Vpc.VpcID, subnets
}

// dualstackService publishes a dualstack NLB of the provider VPC with IPv4
// and IPv6 support and no acceptance.
func (e *env) dualstackService(d *dualstack, targets []string, ppv2 bool) *service {
	e.t.Helper()
	return e.newService(serviceSpec{Targets: targets, PPv2: ppv2, VPC: d.ProviderVPC, Subnets: d.ProviderSubnets,
		LBArgs:  []string{"--ip-address-type", "dualstack"},
		SvcArgs: []string{"--supported-ip-address-types", "ipv4", "ipv6"}})
}

// TestIPv6DataPlane serves a dualstack endpoint inside a network namespace
// and connects to its IPv6 addresses (serve, as root, puts them on lo); the
// IPv4 target gets a PROXY v2 header with the IPv6 client and destination.
func TestIPv6DataPlane(t *testing.T) {
	if inNetns(t, true) {
		return
	}
	e := newEnv(t)
	b := startBackend(t, "v4-target", "127.0.0.1:0", true)
	d := e.newDualstack()
	svc := e.dualstackService(d, []string{b.target()}, true)
	ep := e.createEndpoint(svc, "--vpc-id", d.ConsumerVPC, "--subnet-ids", d.ConsumerSubnets[0], d.ConsumerSubnets[1],
		"--ip-address-type", "dualstack", "--dns-options", "DnsRecordIpType=dualstack")
	if len(ep.IPv6) != 2 {
		t.Fatalf("dualstack endpoint IPv6 addresses %v, want one per subnet", ep.IPv6)
	}
	srv := e.serve()
	if errs := srv.mustInfo().Errors; len(errs) > 0 {
		t.Errorf("serve could not bind everything as root in a namespace: %v", errs)
	}
	for zone, a := range ep.IPv6 {
		t.Run(zone, func(t *testing.T) {
			dst := net.JoinHostPort(a.String(), strconv.Itoa(svc.Port))
			var local netip.AddrPort
			testenv.Eventually(t, liveWait, func() error {
				c, err := dialFrom(netip.Addr{}, dst)
				if err != nil {
					return err
				}
				defer c.Close()
				if _, _, err := c.greeting(); err != nil {
					return fmt.Errorf("%w; the target recorded %+v", err, b.snapshot())
				}
				local = c.LocalAddr().(*net.TCPAddr).AddrPort()
				return c.echo("over IPv6")
			})
			var found bool
			for _, r := range b.snapshot() {
				if r.header == nil {
					continue
				}
				s, dd, ok := r.header.TCPAddrs()
				if !ok || s.Port != int(local.Port()) {
					continue
				}
				found = true
				if s.AddrPort().Addr() != local.Addr() || dd.String() != dst {
					t.Errorf("PROXY header %v -> %v, want %v -> %s", s, dd, local, dst)
				}
				if id, _ := vpceID(r.header); id != ep.ID {
					t.Errorf("AWS TLV endpoint ID %q, want %s", id, ep.ID)
				}
			}
			if !found {
				t.Errorf("the target saw no PROXY header from the IPv6 client %v", local)
			}
		})
	}
}
