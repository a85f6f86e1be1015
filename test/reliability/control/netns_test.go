package control

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/test/testenv"
)

// inNetns makes the calling test run inside a network namespace of its
// own (`unshare -n`, then `ip link set lo up`), where `plink serve` as root
// may put addresses on lo without touching the host. In the parent it
// re-executes the test binary for this test only inside the namespace and
// returns true (the caller returns at once); in the child it returns
// false. It skips the test when namespaces are impossible.
func inNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) != "" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set lo up: %v: %s", err, out)
		}
		return false
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	if out, err := exec.Command("unshare", "-n", "true").CombinedOutput(); err != nil {
		t.Skipf("unshare -n refused: %v: %s", err, out)
	}
	name := strings.SplitN(t.Name(), "/", 2)[0]
	args := []string{"-n", os.Args[0], "-test.run=^" + name + "$", "-test.count=1", "-test.v"}
	if *full {
		args = append(args, "-reliability.full")
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("inside unshare -n:\n%s", out)
	// The child's figures line, once more on this process's stdout.
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "RELIABILITY ") {
			fmt.Println(line)
		}
	}
	switch {
	case err != nil:
		t.Fatalf("%s in a network namespace: %v", name, err)
	case !strings.Contains(string(out), "--- PASS: "+name):
		t.Fatalf("%s did not pass inside the network namespace", name)
	}
	return true
}

// loAddrs lists lo's addresses outside 127/8 and ::1.
func loAddrs(t *testing.T) []string {
	t.Helper()
	ifc, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil || p.Addr().IsLoopback() {
			continue
		}
		out = append(out, p.String())
	}
	return out
}

// TestCrashServeNetns serves a dualstack endpoint as root in a network
// namespace (serve puts its IPv6 addresses on lo), kills serve with
// SIGKILL, restarts it and stops it cleanly: traffic flows after the
// restart, and after the clean exit nothing serve added stays on lo
// (the addresses the killed run left are cleaned up by the next run).
func TestCrashServeNetns(t *testing.T) {
	if inNetns(t) {
		return
	}
	e := newEnv(t)
	target := greeter(t)
	host, tport, _ := net.SplitHostPort(target)
	before := loAddrs(t)

	// Dualstack VPCs (127.40/16, 127.41/16 with ULA /56 blocks).
	vpc := func(account string, second int) (string, []string) {
		id := e.text(account, "Vpc.VpcId", "create-vpc", "--cidr-block", fmt.Sprintf("127.%d.0.0/16", second),
			"--amazon-provided-ipv6-cidr-block")
		block := netip.MustParsePrefix(e.text(account, "Vpcs[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock", "describe-vpcs", "--vpc-ids", id))
		var subnets []string
		for i, zone := range []string{"us-east-1a", "us-east-1b"} {
			b := block.Addr().As16()
			b[7] = byte(i)
			subnets = append(subnets, e.text(account, "Subnet.SubnetId", "create-subnet", "--vpc-id", id,
				"--cidr-block", fmt.Sprintf("127.%d.%d.0/20", second, 16*i),
				"--ipv6-cidr-block", netip.PrefixFrom(netip.AddrFrom16(b), 64).String(), "--availability-zone", zone))
		}
		return id, subnets
	}
	pvpc, psubs := vpc(provider, 40)
	cvpc, csubs := vpc(consumer, 41)
	port := testenv.FreePort(t)
	tg := e.text(provider, "TargetGroups[0].TargetGroupArn", "create-target-group", "--name", "tg", "--protocol", "TCP",
		"--port", tport, "--vpc-id", pvpc)
	e.plink(provider, "register-targets", "--target-group-arn", tg, "--targets", "Id="+host+",Port="+tport+",AvailabilityZone=all")
	nlb := e.text(provider, "LoadBalancers[0].LoadBalancerArn", append([]string{"create-load-balancer", "--name", "nlb",
		"--scheme", "internal", "--ip-address-type", "dualstack", "--subnets"}, psubs...)...)
	e.plink(provider, "create-listener", "--load-balancer-arn", nlb, "--protocol", "TCP", "--port", strconv.Itoa(port),
		"--default-actions", "Type=forward,TargetGroupArn="+tg)
	svc := e.text(provider, "ServiceConfiguration.ServiceId", "create-endpoint-service", "--network-load-balancer-arns", nlb,
		"--no-acceptance-required", "--supported-ip-address-types", "ipv4", "ipv6")
	e.plink(provider, "modify-endpoint-service-permissions", "--service-id", svc, "--add-allowed-principals", "arn:aws:iam::"+consumer+":root")
	svcName := e.text(provider, "ServiceConfigurations[0].ServiceName", "describe-endpoint-service-configurations", "--service-ids", svc)
	ep := e.text(consumer, "VpcEndpoint.VpcEndpointId", append([]string{"create-endpoint", "--vpc-id", cvpc, "--service-name", svcName,
		"--ip-address-type", "dualstack", "--subnet-ids"}, csubs...)...)
	eni := e.text(consumer, "VpcEndpoints[0].NetworkInterfaceIds[0]", "describe-endpoints", "--vpc-endpoint-ids", ep)
	v6 := e.text(consumer, "NetworkInterfaces[0].Ipv6Addresses[0].Ipv6Address", "describe-network-interfaces", "--network-interface-ids", eni)
	addr := net.JoinHostPort(v6, strconv.Itoa(port))

	ready := filepath.Join(e.dir, "ready.json")
	rounds := scale(2, 5)
	for round := range rounds {
		s := e.serve(ready, 0)
		testenv.Eventually(t, 10*time.Second, func() error { return greeted(addr) })
		if round == 0 && len(loAddrs(t)) == len(before) {
			t.Fatalf("serve put no address on lo (lo: %v)", loAddrs(t))
		}
		s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
	}
	left := loAddrs(t)
	s := e.serve(ready, 0)
	if err := greeted(addr); err != nil {
		t.Errorf("after %d kills: %v", rounds, err)
	}
	s.stop()
	after := loAddrs(t)
	if strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("lo after a clean run following %d kills: %v, want %v as before serve ever ran [defect #10]", rounds, after, before)
	}
	if _, err := os.Stat(ready); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the ready file is still there after a clean exit: %v", err)
	}
	figures(t, "crash-serve-netns", "kills", rounds, "lo_left_by_kills", len(left)-len(before), "lo_left_after_clean_run", len(after)-len(before))
}
