// Package multihost tests plink across hosts: three network namespaces
// joined by veth pairs and a bridge stand for two zone hosts (a and b) and
// a client host; one `plink serve --zones` per zone host shares one store;
// a provider's target runs on host a and a consumer's client on the client
// host reaches it through an endpoint by its regional DNS name, with the
// PROXY v2 header checked at the target. Then zone b's serve is killed: its
// zone fails alone, and rejoins when it returns.
//
// It runs on both store backends: an SQLite file in the test's directory
// (the namespaces share the file system), and a database on the throwaway
// PostgreSQL cluster of internal/store/storetest (its Unix socket is in a
// temp dir every namespace sees). PLINK_MULTIHOST_DB runs it on that
// store alone instead (a postgres:// URL every namespace reaches).
//
// PLINK_MULTIHOST_LOGS=1 shows the processes' logs even when it passes.
// It needs root and ip(8), and skips without them. Every address outside
// 127/8 lives inside the namespaces the test creates.
package multihost

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"

	"github.com/plink-dev/plink/internal/store/storetest"
	"github.com/plink-dev/plink/test/testenv"
)

const (
	provider = "111111111111"
	consumer = "222222222222"
	// zoneTimeout is the serves' --zone-timeout: short, so the test is.
	zoneTimeout = 2 * time.Second
	// wait bounds every wait of the test.
	wait = 20 * time.Second
	// the hosts' own network (the bridge), and each host's address on it.
	hostA, hostB, hostC = "10.200.0.1", "10.200.0.2", "10.200.0.3"
	// targetIP is the provider's target, on host a, in the provider
	// VPC's zone-a subnet.
	targetIP   = "10.1.0.50"
	targetPort = 8080
)

var plinkBin string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

// eachStore runs f once per store backend (see the package comment).
func eachStore(t *testing.T, f func(t *testing.T, db string)) {
	if db := os.Getenv("PLINK_MULTIHOST_DB"); db != "" {
		f(t, db)
		return
	}
	storetest.EachDB(t, f)
}

func runMain(m *testing.M) int {
	return testenv.WithPlink("plink-multihost-", "", &plinkBin, func() int { return storetest.Main(m) })
}

// unavailable says why the test cannot make namespaces, "" if it can.
func unavailable() string {
	if os.Geteuid() != 0 {
		return "not root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "ip(8) is not installed"
	}
	name := fmt.Sprintf("plmh-probe-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Sprintf("ip netns add refused: %v: %s", err, strings.TrimSpace(string(out)))
	}
	exec.Command("ip", "netns", "del", name).Run()
	return ""
}

var clusterSeq atomic.Int64

// cluster is the three namespaces, the store and the serves.
type cluster struct {
	t   *testing.T
	dir string
	db  string
	ns  map[string]string // host (a, b, c) -> namespace name
}

// ip runs ip(8) with args and fails the test on error.
func (c *cluster) ip(args ...string) {
	c.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		c.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// newCluster makes the namespaces: hosts a and b each have eth0, the end
// of a veth pair whose other end is on the bridge br0 in the client host
// c, which has an address on the bridge too.
func newCluster(t *testing.T, db string) *cluster {
	c := &cluster{t: t, dir: t.TempDir(), db: db, ns: map[string]string{}}
	for _, h := range []string{"a", "b", "c"} {
		name := fmt.Sprintf("plmh-%d-%d-%s", os.Getpid(), clusterSeq.Add(1), h)
		c.ip("netns", "add", name)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
		c.ns[h] = name
		c.ip("-n", name, "link", "set", "lo", "up")
	}
	c.ip("-n", c.ns["c"], "link", "add", "br0", "type", "bridge")
	c.ip("-n", c.ns["c"], "addr", "add", hostC+"/24", "dev", "br0")
	c.ip("-n", c.ns["c"], "link", "set", "br0", "up")
	for h, addr := range map[string]string{"a": hostA, "b": hostB} {
		peer := "v" + h
		c.ip("-n", c.ns[h], "link", "add", "eth0", "type", "veth", "peer", "name", peer, "netns", c.ns["c"])
		c.ip("-n", c.ns[h], "addr", "add", addr+"/24", "dev", "eth0")
		c.ip("-n", c.ns[h], "link", "set", "eth0", "up")
		c.ip("-n", c.ns["c"], "link", "set", peer, "master", "br0")
		c.ip("-n", c.ns["c"], "link", "set", peer, "up")
	}
	return c
}

func (c *cluster) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLINK_") {
			env = append(env, kv)
		}
	}
	return append(env, "PLINK_DB="+c.db, "HOME="+c.dir,
		"XDG_CONFIG_HOME="+filepath.Join(c.dir, ".config"), "XDG_STATE_HOME="+filepath.Join(c.dir, ".state"))
}

// plink runs a plink command as account (on the test's own host: the
// store is all it needs) and returns its standard output.
func (c *cluster) plink(account string, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(plinkBin, append([]string{"--account", account}, args...)...)
	cmd.Env = c.environ()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("plink --account %s %s: %v\n%s%s", account, strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// text runs plink with --query q -o text.
func (c *cluster) text(account, q string, args ...string) string {
	c.t.Helper()
	return strings.TrimSpace(c.plink(account, append(args, "--query", q, "-o", "text")...))
}

// proc is a plink process running on one host.
type proc struct {
	cmd   *exec.Cmd
	log   *bytes.Buffer
	ready string
	done  chan struct{}
}

// start runs plink args on host h (in its namespace) with a ready file.
func (c *cluster) start(h, name string, args ...string) *proc {
	c.t.Helper()
	p := &proc{log: &bytes.Buffer{}, ready: filepath.Join(c.dir, name+".ready"), done: make(chan struct{})}
	os.Remove(p.ready)
	all := append([]string{"netns", "exec", c.ns[h], plinkBin}, args...)
	all = append(all, "--ready-file", p.ready)
	p.cmd = exec.Command("ip", all...) // ip netns exec execs plink: same PID
	p.cmd.Env = c.environ()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		c.t.Fatalf("starting %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	c.t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(wait):
			p.cmd.Process.Kill()
			<-p.done
		}
		if c.t.Failed() || os.Getenv("PLINK_MULTIHOST_LOGS") != "" {
			c.t.Logf("%s log:\n%s", name, p.log.String())
		}
	})
	c.eventually("ready file of "+name, func() error {
		select {
		case <-p.done:
			return fmt.Errorf("exited: %v\n%s", p.cmd.ProcessState, p.log.String())
		default:
		}
		if fi, err := os.Stat(p.ready); err != nil || fi.Size() == 0 {
			return fmt.Errorf("no ready file %s yet", p.ready)
		}
		return nil
	})
	return p
}

// serveZone starts plink serve for one zone on host h.
func (c *cluster) serveZone(h string) *proc {
	c.t.Helper()
	addr := map[string]string{"a": hostA, "b": hostB}[h]
	return c.start(h, "serve-"+h, "serve", "--zones", "us-east-1"+h, "--host-name", "host-"+h,
		"--interface", "eth0", "--zone-timeout", zoneTimeout.String(), "--grace", "1s",
		"--dns-addr", net.JoinHostPort(addr, "5300"))
}

// kill ends p at once, as a crashed host (no clean stop).
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %d: %v", p.cmd.Process.Pid, err)
	}
	<-p.done
}

// eventually calls f until it returns nil, failing the test after wait.
func (c *cluster) eventually(what string, f func() error) {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: not within %v: %v", what, wait, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inHost runs fn on an OS thread inside host h's network namespace: the
// sockets fn makes belong to it. The thread is never given back (it ends
// with the goroutine), so no other goroutine runs in that namespace.
func (c *cluster) inHost(h string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/var/run/netns/" + c.ns[h])
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", c.ns[h], err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// lookup asks the DNS server at server (from host h) for name's A records.
func (c *cluster) lookup(h, server, name string) ([]netip.Addr, error) {
	var out []netip.Addr
	err := c.inHost(h, func() error {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), dns.TypeA)
		cl := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
		r, _, err := cl.Exchange(m, server)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess {
			return fmt.Errorf("%s from %s: %s", name, server, dns.RcodeToString[r.Rcode])
		}
		for _, rr := range r.Answer {
			if a, ok := rr.(*dns.A); ok {
				addr, _ := netip.AddrFromSlice(a.A.To4())
				out = append(out, addr)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out, err
}

// answer is what plink backend answers.
type answer struct {
	Backend string `json:"backend"`
	Peer    string `json:"peer"`
	Proxy   *struct {
		Version     int    `json:"version"`
		Source      string `json:"source"`
		Destination string `json:"destination"`
		VpceID      string `json:"vpce_id"`
	} `json:"proxy"`
}

// get sends an HTTP request from host h to addr and decodes the answer.
func (c *cluster) get(h string, addr netip.AddrPort) (answer, error) {
	var a answer
	var conn net.Conn
	err := c.inHost(h, func() error {
		var err error
		conn, err = net.DialTimeout("tcp", addr.String(), 2*time.Second)
		return err
	})
	if err != nil {
		return a, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: multihost\r\n\r\n")
	r := bufio.NewReader(conn)
	body, err := io.ReadAll(r)
	if err != nil {
		return a, err
	}
	_, js, ok := strings.Cut(string(body), "\r\n\r\n")
	if !ok {
		return a, fmt.Errorf("not an HTTP answer: %q", body)
	}
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		return a, fmt.Errorf("answer %q: %w", js, err)
	}
	return a, nil
}

// topology is what the test built in the store.
type topology struct {
	endpoint string
	regional string
	zonal    map[string]string     // zone -> zonal DNS name
	enis     map[string]netip.Addr // zone -> ENI address
	port     int
}

// subnet creates a subnet and returns its ID.
func (c *cluster) subnet(account, vpc, cidr, zone string) string {
	return c.text(account, "Subnet.SubnetId", "create-subnet", "--vpc-id", vpc, "--cidr-block", cidr, "--availability-zone", zone)
}

// build makes a provider VPC 10.1.0.0/16 and a consumer VPC 10.2.0.0/16
// with a subnet in zones a and b each; an NLB (cross-zone) in the
// provider's with the target on host a and PROXY v2; an endpoint service;
// and the consumer's endpoint in both zones, its security group open to
// the hosts' network.
func (c *cluster) build() topology {
	c.t.Helper()
	pvpc := c.text(provider, "Vpc.VpcId", "create-vpc", "--cidr-block", "10.1.0.0/16")
	psub := []string{c.subnet(provider, pvpc, "10.1.0.0/20", "us-east-1a"), c.subnet(provider, pvpc, "10.1.16.0/20", "us-east-1b")}
	cvpc := c.text(consumer, "Vpc.VpcId", "create-vpc", "--cidr-block", "10.2.0.0/16")
	csub := []string{c.subnet(consumer, cvpc, "10.2.0.0/20", "us-east-1a"), c.subnet(consumer, cvpc, "10.2.16.0/20", "us-east-1b")}

	const port = 80
	tg := c.text(provider, "TargetGroups[0].TargetGroupArn", "create-target-group", "--name", "mh-tg",
		"--protocol", "TCP", "--port", strconv.Itoa(targetPort), "--vpc-id", pvpc, "--target-type", "ip")
	c.plink(provider, "register-targets", "--target-group-arn", tg, "--targets", fmt.Sprintf("Id=%s,Port=%d", targetIP, targetPort))
	c.plink(provider, "modify-target-group-attributes", "--target-group-arn", tg,
		"--attributes", "Key=proxy_protocol_v2.enabled,Value=true")
	nlb := c.text(provider, "LoadBalancers[0].LoadBalancerArn", append([]string{"create-load-balancer", "--name", "mh-nlb",
		"--type", "network", "--scheme", "internal", "--subnets"}, psub...)...)
	c.plink(provider, "modify-load-balancer-attributes", "--load-balancer-arn", nlb,
		"--attributes", "Key=load_balancing.cross_zone.enabled,Value=true")
	c.plink(provider, "create-listener", "--load-balancer-arn", nlb, "--protocol", "TCP", "--port", strconv.Itoa(port),
		"--default-actions", "Type=forward,TargetGroupArn="+tg)
	svc := c.text(provider, "ServiceConfiguration.ServiceId", "create-endpoint-service",
		"--network-load-balancer-arns", nlb, "--no-acceptance-required")
	svcName := c.text(provider, "ServiceConfigurations[0].ServiceName", "describe-endpoint-service-configurations", "--service-ids", svc)
	c.plink(provider, "modify-endpoint-service-permissions", "--service-id", svc,
		"--add-allowed-principals", "arn:aws:iam::"+consumer+":root")

	sg := c.text(consumer, "GroupId", "create-security-group", "--group-name", "mh-clients", "--description", "the hosts", "--vpc-id", cvpc)
	c.plink(consumer, "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
		"--port", strconv.Itoa(port), "--cidr", "10.200.0.0/24")
	ep := c.text(consumer, "VpcEndpoint.VpcEndpointId", append([]string{"create-endpoint", "--vpc-id", cvpc,
		"--service-name", svcName, "--security-group-ids", sg, "--subnet-ids"}, csub...)...)

	topo := topology{endpoint: ep, port: port, zonal: map[string]string{}, enis: map[string]netip.Addr{}}
	var eps struct {
		VpcEndpoints []struct {
			NetworkInterfaceIds []string
			DNSEntries          []struct{ DnsName string }
		}
	}
	if err := json.Unmarshal([]byte(c.plink(consumer, "describe-endpoints", "--vpc-endpoint-ids", ep)), &eps); err != nil {
		c.t.Fatal(err)
	}
	v := eps.VpcEndpoints[0]
	topo.regional = v.DNSEntries[0].DnsName
	for _, d := range v.DNSEntries[1:] {
		for _, z := range []string{"us-east-1a", "us-east-1b"} {
			if strings.Contains(d.DnsName, "-"+z+".") {
				topo.zonal[z] = d.DnsName
			}
		}
	}
	var enis struct {
		NetworkInterfaces []struct {
			NetworkInterfaceId string
			AvailabilityZone   string
			PrivateIpAddress   string
		}
	}
	if err := json.Unmarshal([]byte(c.plink(consumer, "describe-network-interfaces")), &enis); err != nil {
		c.t.Fatal(err)
	}
	for _, n := range enis.NetworkInterfaces {
		if slices.Contains(v.NetworkInterfaceIds, n.NetworkInterfaceId) {
			topo.enis[n.AvailabilityZone] = netip.MustParseAddr(n.PrivateIpAddress)
		}
	}
	if len(topo.enis) != 2 || len(topo.zonal) != 2 {
		c.t.Fatalf("endpoint %s: ENIs %v, zonal names %v; want one of each per zone", ep, topo.enis, topo.zonal)
	}
	return topo
}

// TestZoneFailsAlone is the multi-host story: a consumer on the client
// host reaches a provider's target on host a through the endpoint's
// regional DNS name, through both zones; zone b's serve is killed and
// regional DNS drops b within the timeout while connections keep working
// through a; b's serve returns and rejoins.
func TestZoneFailsAlone(t *testing.T) {
	if why := unavailable(); why != "" {
		t.Skipf("needs root and ip(8) to make network namespaces: %s", why)
	}
	eachStore(t, testZoneFailsAlone)
}

func testZoneFailsAlone(t *testing.T, db string) {
	c := newCluster(t, db)
	topo := c.build()

	// The provider's target on host a, in its zone-a subnet.
	c.ip("-n", c.ns["a"], "addr", "add", targetIP+"/32", "dev", "lo")
	c.start("a", "backend", "backend", "--listen", fmt.Sprintf("%s:%d", targetIP, targetPort), "--name", "target-a")

	c.serveZone("a")
	b := c.serveZone("b")

	// The client host routes to the zones through their hosts, as
	// --print-routes says (run anywhere: it reads the store).
	var routes []string
	c.eventually("routes to both zones", func() error {
		out := c.plink(provider, "serve", "--print-routes")
		routes = nil
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			cmd, _, _ := strings.Cut(line, "  #")
			routes = append(routes, strings.TrimSpace(cmd))
		}
		for _, want := range []string{"ip route replace 10.2.0.0/20 via " + hostA, "ip route replace 10.2.16.0/20 via " + hostB} {
			if !slices.Contains(routes, want) {
				return fmt.Errorf("--print-routes:\n%s\nlacks %q", out, want)
			}
		}
		return nil
	})
	for _, r := range routes {
		c.ip(append([]string{"-n", c.ns["c"]}, strings.Fields(strings.TrimPrefix(r, "ip "))...)...)
	}

	// The consumer VPC's resolver (10.2.0.2, in zone a's subnet) is served
	// by host a.
	resolver := netip.MustParseAddrPort("10.2.0.2:53")
	both := []netip.Addr{topo.enis["us-east-1a"], topo.enis["us-east-1b"]}
	slices.SortFunc(both, func(a, b netip.Addr) int { return a.Compare(b) })
	c.eventually("regional name answers both zones", func() error {
		got, err := c.lookup("c", resolver.String(), topo.regional)
		if err != nil {
			return err
		}
		if !slices.Equal(got, both) {
			return fmt.Errorf("%s: %v, want %v", topo.regional, got, both)
		}
		return nil
	})

	// Through each zone's ENI, the target sees the client in PROXY v2.
	check := func(zone string) func() error {
		return func() error {
			a, err := c.get("c", netip.AddrPortFrom(topo.enis[zone], uint16(topo.port)))
			if err != nil {
				return fmt.Errorf("through %s's ENI %s: %w", zone, topo.enis[zone], err)
			}
			if a.Backend != "target-a" || a.Proxy == nil || a.Proxy.Version != 2 || a.Proxy.VpceID != topo.endpoint ||
				!strings.HasPrefix(a.Proxy.Source, hostC+":") ||
				a.Proxy.Destination != netip.AddrPortFrom(topo.enis[zone], uint16(topo.port)).String() {
				return fmt.Errorf("through %s: the target got %+v (proxy %+v), want PROXY v2 from %s to the ENI with %s",
					zone, a, a.Proxy, hostC, topo.endpoint)
			}
			return nil
		}
	}
	c.eventually("a connection through zone a", check("us-east-1a"))
	c.eventually("a connection through zone b (to the target on host a)", check("us-east-1b"))

	// Zone b's host fails.
	b.kill(t)
	killed := time.Now()
	c.eventually("regional name drops zone b", func() error {
		got, err := c.lookup("c", resolver.String(), topo.regional)
		if err != nil {
			return err
		}
		if !slices.Equal(got, []netip.Addr{topo.enis["us-east-1a"]}) {
			return fmt.Errorf("%s: %v, want only zone a's %v", topo.regional, got, topo.enis["us-east-1a"])
		}
		return nil
	})
	took := time.Since(killed)
	t.Logf("regional DNS dropped zone b %v after its serve was killed (timeout %v)", took.Round(time.Millisecond), zoneTimeout)
	// Within the timeout plus a heartbeat and a margin for a loaded machine.
	if took > zoneTimeout+3*time.Second {
		t.Errorf("regional DNS dropped zone b only after %v (timeout %v)", took, zoneTimeout)
	}
	if got, err := c.lookup("c", resolver.String(), topo.zonal["us-east-1a"]); err != nil || len(got) != 1 || got[0] != topo.enis["us-east-1a"] {
		t.Errorf("zone a's zonal name: %v, %v", got, err)
	}
	if got := c.text(consumer, "AvailabilityZones[?ZoneName=='us-east-1b'].State | [0]", "describe-availability-zones"); got != "impaired" {
		t.Errorf("zone b's state: %q, want impaired", got)
	}
	// New connections by the regional name keep working: through a.
	addrs, err := c.lookup("c", resolver.String(), topo.regional)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		a, err := c.get("c", netip.AddrPortFrom(addrs[0], uint16(topo.port)))
		if err != nil || a.Proxy == nil || a.Proxy.VpceID != topo.endpoint {
			t.Fatalf("through the regional name with zone b down: %+v, %v", a, err)
		}
	}

	// Zone b's host returns: it rejoins without any other step.
	c.serveZone("b")
	c.eventually("regional name answers zone b again", func() error {
		got, err := c.lookup("c", resolver.String(), topo.regional)
		if err != nil {
			return err
		}
		if !slices.Equal(got, both) {
			return fmt.Errorf("%s: %v, want %v", topo.regional, got, both)
		}
		return nil
	})
	c.eventually("a connection through zone b again", check("us-east-1b"))
	if got := c.text(consumer, "AvailabilityZones[?ZoneName=='us-east-1b'].State | [0]", "describe-availability-zones"); got != "available" {
		t.Errorf("zone b's state after it returned: %q, want available", got)
	}
}
