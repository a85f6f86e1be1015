package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/miekg/dns"

	"github.com/plink-dev/plink/test/testenv"
)

// digResult is what dig printed.
type digResult struct {
	Status    string   // NOERROR, NXDOMAIN, REFUSED...
	Flags     []string // qr aa rd ...
	Answer    []dns.RR
	Authority []dns.RR
	Raw       string
}

var (
	digStatus = regexp.MustCompile(`status: ([A-Z]+)`)
	digFlags  = regexp.MustCompile(`;; flags: ([a-z ]+);`)
)

// needTool skips the test when a peer program is not installed.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (Debian package %s; CI installs it)", name, pkg)
	}
	return p
}

// dig asks server (host:port) for name and type with dig, extra options
// such as +tcp appended.
func dig(t *testing.T, server, name, qtype string, opts ...string) digResult {
	t.Helper()
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"@" + host, "-p", port, "+norecurse", "+time=2", "+tries=1", name, qtype}, opts...)
	out, err := exec.Command("dig", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dig %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	r := digResult{Raw: string(out)}
	if m := digStatus.FindStringSubmatch(r.Raw); m != nil {
		r.Status = m[1]
	}
	if m := digFlags.FindStringSubmatch(r.Raw); m != nil {
		r.Flags = strings.Fields(m[1])
	}
	var section *[]dns.RR
	for _, line := range strings.Split(r.Raw, "\n") {
		switch {
		case strings.HasPrefix(line, ";; ANSWER SECTION:"):
			section = &r.Answer
		case strings.HasPrefix(line, ";; AUTHORITY SECTION:"):
			section = &r.Authority
		case strings.HasPrefix(line, ";; ADDITIONAL SECTION:"), strings.TrimSpace(line) == "":
			section = nil
		case section != nil && !strings.HasPrefix(line, ";"):
			rr, err := dns.NewRR(line)
			if err != nil {
				t.Fatalf("dig printed an unparsable record %q: %v", line, err)
			}
			*section = append(*section, rr)
		}
	}
	return r
}

// addrs returns the A/AAAA addresses of rrs, sorted.
func addrs(rrs []dns.RR) []netip.Addr {
	var out []netip.Addr
	for _, rr := range rrs {
		switch v := rr.(type) {
		case *dns.A:
			a, _ := netip.AddrFromSlice(v.A.To4())
			out = append(out, a)
		case *dns.AAAA:
			a, _ := netip.AddrFromSlice(v.AAAA)
			out = append(out, a)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

func hasSOA(rrs []dns.RR) bool {
	for _, rr := range rrs {
		if _, ok := rr.(*dns.SOA); ok {
			return true
		}
	}
	return false
}

// values returns the addresses of m, sorted.
func values(m map[string]netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// TestDNSWithDig asks plink's DNS server with dig: regional and zonal
// endpoint names answer the ENI addresses, an unknown endpoint name and a
// pendingAcceptance endpoint are NXDOMAIN with the SOA, and TCP works.
func TestDNSWithDig(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	e := newEnv(t)
	b := startBackend(t, "dns", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}, Acceptance: true})
	ep := e.createEndpoint(svc)
	pending := e.createEndpoint(svc)
	e.plink(provider, "accept-endpoint-connections", "--service-id", svc.ID, "--vpc-endpoint-ids", ep.ID)
	srv := e.serve()
	server := srv.dnsAddr()
	if len(ep.DNS) != 4 {
		t.Fatalf("DnsEntries %v, want a regional and three zonal names", ep.DNS)
	}
	regional := ep.DNS[0]
	unknown := strings.Replace(regional, ep.ID, "vpce-0123456789abcdef0", 1)
	nlbName := e.text(provider, "LoadBalancers[0].DNSName", "describe-load-balancers", "--load-balancer-arns", svc.NLB)
	_, svcParent, _ := strings.Cut(regional, ".") // vpce-svc-....us-east-1.vpce.amazonaws.com: no records of its own

	tests := []struct {
		name   string
		qname  string
		opts   []string
		status string
		want   []netip.Addr // nil: no answer, SOA in authority
	}{
		{"regional", regional, nil, "NOERROR", values(ep.IPv4)},
		{"regional over TCP", regional, []string{"+tcp"}, "NOERROR", values(ep.IPv4)},
		{"regional in upper case", strings.ToUpper(regional), nil, "NOERROR", values(ep.IPv4)},
		{"regional without EDNS", regional, []string{"+noedns"}, "NOERROR", values(ep.IPv4)},
		{"zonal a", zonal(t, ep, "a"), nil, "NOERROR", []netip.Addr{ep.IPv4["us-east-1a"]}},
		{"zonal c", zonal(t, ep, "c"), nil, "NOERROR", []netip.Addr{ep.IPv4["us-east-1c"]}},
		{"zonal c over TCP", zonal(t, ep, "c"), []string{"+tcp"}, "NOERROR", []netip.Addr{ep.IPv4["us-east-1c"]}},
		{"unknown endpoint", unknown, nil, "NXDOMAIN", nil},
		{"service name (empty non-terminal)", svcParent, nil, "NOERROR", nil},
		{"load balancer name", nlbName, nil, "NOERROR", values(e.nodes(svc.NLB))},
		{"pendingAcceptance endpoint", pending.DNS[0], nil, "NXDOMAIN", nil},
		{"pendingAcceptance endpoint zonal", pending.DNS[1], nil, "NXDOMAIN", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := dig(t, server, tc.qname, "A", tc.opts...)
			if r.Status != tc.status {
				t.Fatalf("status %s, want %s\n%s", r.Status, tc.status, r.Raw)
			}
			if !slices.Contains(r.Flags, "aa") {
				t.Errorf("answer not authoritative (flags %v)", r.Flags)
			}
			if got := addrs(r.Answer); !slices.Equal(got, tc.want) {
				t.Errorf("answer %v, want %v\n%s", got, tc.want, r.Raw)
			}
			if tc.want == nil && !hasSOA(r.Authority) {
				t.Errorf("negative answer without SOA in the authority section\n%s", r.Raw)
			}
		})
	}

	t.Run("accepting makes the pending endpoint resolve", func(t *testing.T) {
		e.plink(provider, "accept-endpoint-connections", "--service-id", svc.ID, "--vpc-endpoint-ids", pending.ID)
		testenv.Eventually(t, liveWait, func() error {
			r := dig(t, server, pending.DNS[0], "A")
			if got := addrs(r.Answer); !slices.Equal(got, values(pending.IPv4)) {
				return fmt.Errorf("%s: %s %v, want %v", pending.DNS[0], r.Status, got, values(pending.IPv4))
			}
			return nil
		})
	})
}

// zonal is the endpoint's DNS name of zone (a, b, c).
func zonal(t *testing.T, ep *endpoint, zone string) string {
	t.Helper()
	for _, n := range ep.DNS {
		if strings.Contains(n, "-us-east-1"+zone+".") {
			return n
		}
	}
	t.Fatalf("endpoint %s has no DNS name for zone %s: %v", ep.ID, zone, ep.DNS)
	return ""
}

// query asks server with miekg/dns and fails on transport errors.
func query(t *testing.T, server, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = false
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return r
}

// TestDNSRecordIPTypes checks A, AAAA and NODATA for endpoints whose
// DnsRecordIpType is ipv4, dualstack and ipv6, with a Go DNS client.
func TestDNSRecordIPTypes(t *testing.T) {
	// serve as root puts the ULA addresses on lo: keep them off the host.
	if inNetns(t, false) {
		return
	}
	e := newEnv(t)
	d := e.newDualstack()
	svc := e.dualstackService(d, nil, false)
	types := []string{"ipv4", "dualstack", "ipv6"}
	eps := map[string]*endpoint{}
	for _, typ := range types {
		eps[typ] = e.createEndpoint(svc, "--vpc-id", d.ConsumerVPC, "--subnet-ids", d.ConsumerSubnets[0], d.ConsumerSubnets[1],
			"--ip-address-type", "dualstack", "--dns-options", "DnsRecordIpType="+typ)
		if len(eps[typ].IPv4) != 2 || len(eps[typ].IPv6) != 2 {
			t.Fatalf("dualstack endpoint addresses %v %v, want two of each", eps[typ].IPv4, eps[typ].IPv6)
		}
	}
	srv := e.serve()
	server := srv.dnsAddr()
	for _, typ := range types {
		ep := eps[typ]
		wantA, wantAAAA := values(ep.IPv4), values(ep.IPv6)
		if typ == "ipv6" {
			wantA = nil
		}
		if typ == "ipv4" {
			wantAAAA = nil
		}
		for _, name := range []string{ep.DNS[0], zonal(t, ep, "a")} {
			if name != ep.DNS[0] {
				wantA, wantAAAA = filterZone(wantA, ep, "a"), filterZone(wantAAAA, ep, "a")
			}
			for _, q := range []struct {
				qtype uint16
				want  []netip.Addr
			}{{dns.TypeA, wantA}, {dns.TypeAAAA, wantAAAA}} {
				label := fmt.Sprintf("%s/%s/%s", typ, map[bool]string{true: "regional", false: "zonal"}[name == ep.DNS[0]],
					dns.TypeToString[q.qtype])
				t.Run(label, func(t *testing.T) {
					r := query(t, server, name, q.qtype)
					if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
						t.Fatalf("rcode %s aa=%v, want NOERROR authoritative\n%v", dns.RcodeToString[r.Rcode], r.Authoritative, r)
					}
					if got := addrs(r.Answer); !slices.Equal(got, q.want) {
						t.Errorf("answer %v, want %v", got, q.want)
					}
					for _, rr := range r.Answer {
						if rr.Header().Rrtype != q.qtype {
							t.Errorf("answer holds %s records for a %s question", dns.TypeToString[rr.Header().Rrtype], dns.TypeToString[q.qtype])
						}
					}
					if q.want == nil && !hasSOA(r.Ns) {
						t.Errorf("NODATA without SOA in the authority section\n%v", r)
					}
				})
			}
		}
	}
}

// filterZone keeps the addresses of want that belong to the ENI of zone.
func filterZone(want []netip.Addr, ep *endpoint, zone string) []netip.Addr {
	var out []netip.Addr
	for _, a := range want {
		if a == ep.IPv4["us-east-1"+zone] || a == ep.IPv6["us-east-1"+zone] {
			out = append(out, a)
		}
	}
	return out
}

// knot is a knotd serving testdata/example.com.zone.tmpl.
type knot struct {
	addr string
	cmd  *exec.Cmd
	done chan error
	logs *testenv.SyncBuffer
}

// startKnot runs knotd on a free loopback port with example.com holding
// the TXT record txtName (relative to example.com) = txtValue.
func startKnot(t *testing.T, txtName, txtValue string) *knot {
	t.Helper()
	knotd := needTool(t, "knotd", "knot")
	dir := t.TempDir()
	port := testenv.FreePort(t)
	data := map[string]any{"Dir": dir, "Port": port, "TXTName": txtName, "TXTValue": txtValue}
	for _, f := range []struct{ tmpl, out string }{
		{"testdata/knot.conf.tmpl", "knot.conf"},
		{"testdata/example.com.zone.tmpl", "example.com.zone"},
	} {
		tmpl := template.Must(template.ParseFiles(f.tmpl))
		w, err := os.Create(filepath.Join(dir, f.out))
		if err != nil {
			t.Fatal(err)
		}
		if err := tmpl.Execute(w, data); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	k := &knot{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done: make(chan error, 1), logs: &testenv.SyncBuffer{}}
	k.cmd = exec.Command(knotd, "-c", filepath.Join(dir, "knot.conf"))
	k.cmd.Stdout, k.cmd.Stderr = k.logs, k.logs
	if err := k.cmd.Start(); err != nil {
		t.Fatalf("knotd: %v", err)
	}
	go func() { k.done <- k.cmd.Wait() }()
	t.Cleanup(k.stop)
	testenv.Eventually(t, 10*time.Second, func() error {
		select {
		case err := <-k.done:
			k.done <- err
			return fmt.Errorf("knotd exited: %v\n%s", err, k.logs.String())
		default:
		}
		m := new(dns.Msg)
		m.SetQuestion("example.com.", dns.TypeSOA)
		r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, k.addr)
		if err == nil && r.Rcode != dns.RcodeSuccess {
			err = fmt.Errorf("knotd answers %s", dns.RcodeToString[r.Rcode])
		}
		return err
	})
	return k
}

func (k *knot) stop() {
	select {
	case err := <-k.done:
		k.done <- err
		return
	default:
	}
	k.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-k.done:
		k.done <- err
	case <-time.After(10 * time.Second):
		k.cmd.Process.Kill()
	}
}

// pdnsConfig is a service's PrivateDnsNameConfiguration.
type pdnsConfig struct {
	State, Type, Name, Value string
}

func (e *env) pdns(svcID string) pdnsConfig {
	e.t.Helper()
	var out struct {
		ServiceConfigurations []struct{ PrivateDnsNameConfiguration pdnsConfig }
	}
	e.json(provider, &out, "describe-endpoint-service-configurations", "--service-ids", svcID)
	return out.ServiceConfigurations[0].PrivateDnsNameConfiguration
}

// resolverOf is a VPC's resolver address (base + 2) from its CIDR.
func (e *env) resolverOf(account, vpc string) netip.Addr {
	e.t.Helper()
	cidr := e.text(account, "Vpcs[0].CidrBlock", "describe-vpcs", "--vpc-ids", vpc)
	a := netip.MustParsePrefix(cidr).Addr().As4()
	a[3] += 2
	return netip.AddrFrom4(a)
}

// plinkBackend runs `plink backend` on a free loopback port.
func (e *env) plinkBackend(name string) netip.AddrPort {
	e.t.Helper()
	ready := filepath.Join(e.dir, "backend-"+name+".json")
	cmd := exec.Command(plinkBin, "backend", "--listen", "127.0.0.1:0", "--name", name, "--ready-file", ready)
	cmd.Env = e.environ()
	logs := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	e.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	var info struct{ Address string }
	testenv.Eventually(e.t, 10*time.Second, func() error {
		b, err := os.ReadFile(ready)
		if err != nil {
			return fmt.Errorf("%w\n%s", err, logs.String())
		}
		return json.Unmarshal(b, &info)
	})
	return netip.MustParseAddrPort(info.Address)
}

// TestPrivateDNS verifies a private DNS name against a real knotd, then
// resolves it only inside the consumer VPC and reaches the provider's
// backend through it with an HTTP client.
func TestPrivateDNS(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	needTool(t, "knotd", "knot")
	e := newEnv(t)
	backend := e.plinkBackend("provider-api")
	svc := e.newService(serviceSpec{Targets: []string{fmt.Sprintf("Id=%s,Port=%d", backend.Addr(), backend.Port())},
		SvcArgs: []string{"--private-dns-name", "api.example.com"}})
	cfg := e.pdns(svc.ID)
	if cfg.State != "pendingVerification" || cfg.Type != "TXT" || !strings.HasPrefix(cfg.Name, "_") || !strings.HasPrefix(cfg.Value, "vpce:") {
		t.Fatalf("PrivateDnsNameConfiguration %+v, want pendingVerification TXT _name vpce:value", cfg)
	}
	// The record lives at <Name>.<private DNS name>, inside example.com.
	txtName := cfg.Name + ".api"

	t.Run("wrong value fails", func(t *testing.T) {
		k := startKnot(t, txtName, "vpce:not-the-value")
		e.plink(provider, "--resolver", k.addr, "start-endpoint-service-private-dns-verification", "--service-id", svc.ID)
		if got := e.pdns(svc.ID).State; got != "failed" {
			t.Errorf("state %q after verification against a wrong TXT value, want failed", got)
		}
		k.stop()
	})
	t.Run("right value verifies", func(t *testing.T) {
		k := startKnot(t, txtName, cfg.Value)
		e.plink(provider, "--resolver", k.addr, "start-endpoint-service-private-dns-verification", "--service-id", svc.ID)
		if got := e.pdns(svc.ID).State; got != "verified" {
			t.Fatalf("state %q after verification against the right TXT value, want verified", got)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	ep := e.createEndpoint(svc, "--private-dns-enabled")
	dnsPort := testenv.FreePort(t)
	srv := e.serve("--dns-port", strconv.Itoa(dnsPort))
	provVPC := e.text(provider, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	inside := netip.AddrPortFrom(e.resolverOf(consumer, ep.VPC), uint16(dnsPort)).String()
	outside := netip.AddrPortFrom(e.resolverOf(provider, provVPC), uint16(dnsPort)).String()

	t.Run("dig inside the consumer VPC", func(t *testing.T) {
		testenv.Eventually(t, liveWait, func() error {
			r := dig(t, inside, "api.example.com", "A")
			if got := addrs(r.Answer); r.Status != "NOERROR" || !slices.Equal(got, values(ep.IPv4)) {
				return fmt.Errorf("@%s api.example.com: %s %v, want NOERROR %v\n%s", inside, r.Status, got, values(ep.IPv4), r.Raw)
			}
			return nil
		})
	})
	t.Run("dig in another VPC", func(t *testing.T) {
		r := dig(t, outside, "api.example.com", "A")
		if r.Status != "REFUSED" && r.Status != "NXDOMAIN" {
			t.Errorf("@%s (the provider VPC's resolver) api.example.com: %s, want REFUSED or NXDOMAIN\n%s", outside, r.Status, r.Raw)
		}
		if len(r.Answer) > 0 {
			t.Errorf("the private name answers outside the consumer VPC: %v", r.Answer)
		}
	})
	t.Run("Go resolver and HTTP through the endpoint", func(t *testing.T) {
		res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, inside)
		}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		got, err := res.LookupNetIP(ctx, "ip4", "api.example.com")
		if err != nil {
			t.Fatalf("lookup api.example.com via %s: %v", inside, err)
		}
		slices.SortFunc(got, netip.Addr.Compare)
		if !slices.Equal(got, values(ep.IPv4)) {
			t.Errorf("lookup api.example.com: %v, want %v", got, values(ep.IPv4))
		}
		tr := &http.Transport{DialContext: (&net.Dialer{Resolver: res, Timeout: 2 * time.Second}).DialContext}
		defer tr.CloseIdleConnections() // else serve drains the idle connection on exit
		client := &http.Client{Timeout: 5 * time.Second, Transport: tr}
		resp, err := client.Get(fmt.Sprintf("http://api.example.com:%d/hello", svc.Port))
		if err != nil {
			t.Fatalf("GET through the private DNS name: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var seen struct {
			Backend string `json:"backend"`
			Peer    string `json:"peer"`
			Path    string `json:"path"`
			Host    string `json:"host"`
		}
		if err := json.Unmarshal(body, &seen); err != nil {
			t.Fatalf("backend answer %q: %v", body, err)
		}
		if resp.StatusCode != http.StatusOK || seen.Backend != "provider-api" || seen.Path != "/hello" ||
			seen.Host != fmt.Sprintf("api.example.com:%d", svc.Port) {
			t.Errorf("GET answered %d %+v, want 200 from provider-api for /hello with Host api.example.com", resp.StatusCode, seen)
		}
		nodes := e.nodes(svc.NLB)
		if p, err := netip.ParseAddrPort(seen.Peer); err != nil || !slices.Contains(values(nodes), p.Addr()) {
			t.Errorf("backend peer %q, want one of the load balancer nodes %v", seen.Peer, values(nodes))
		}
	})
	t.Run("source address inside the consumer VPC", func(t *testing.T) {
		// On a listener that is no VPC's resolver the view comes from the
		// query's source address.
		src := e.resolverOf(consumer, ep.VPC).Next().Next().Next() // base + 5, inside the VPC's CIDR
		r := dig(t, srv.dnsAddr(), "api.example.com", "A", "-b", src.String())
		if got := addrs(r.Answer); r.Status != "NOERROR" || !slices.Equal(got, values(ep.IPv4)) {
			t.Errorf("from %s: %s %v, want NOERROR %v\n%s", src, r.Status, got, values(ep.IPv4), r.Raw)
		}
		r = dig(t, srv.dnsAddr(), "api.example.com", "A", "-b", "127.0.0.1")
		if len(r.Answer) > 0 || (r.Status != "REFUSED" && r.Status != "NXDOMAIN") {
			t.Errorf("from 127.0.0.1 (no VPC): %s %v, want REFUSED or NXDOMAIN", r.Status, addrs(r.Answer))
		}
	})
	t.Run("disabling private DNS removes the name", func(t *testing.T) {
		e.plink(consumer, "modify-endpoint", "--vpc-endpoint-id", ep.ID, "--no-private-dns-enabled")
		testenv.Eventually(t, liveWait, func() error {
			r := dig(t, inside, "api.example.com", "A")
			if len(r.Answer) > 0 {
				return fmt.Errorf("@%s api.example.com still answers %v", inside, addrs(r.Answer))
			}
			return nil
		})
		// The endpoint's own names stay.
		if r := dig(t, inside, ep.DNS[0], "A"); !slices.Equal(addrs(r.Answer), values(ep.IPv4)) {
			t.Errorf("regional name after disabling private DNS: %s %v", r.Status, addrs(r.Answer))
		}
	})
}

// TestPrivateDNSWildcard verifies *.example.com (TXT record under
// example.com) and checks the names it covers in the consumer VPC.
func TestPrivateDNSWildcard(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	needTool(t, "knotd", "knot")
	e := newEnv(t)
	b := startBackend(t, "wild", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}, SvcArgs: []string{"--private-dns-name", "*.example.com"}})
	cfg := e.pdns(svc.ID)
	k := startKnot(t, cfg.Name, cfg.Value)
	e.plink(provider, "--resolver", k.addr, "start-endpoint-service-private-dns-verification", "--service-id", svc.ID)
	if got := e.pdns(svc.ID).State; got != "verified" {
		t.Fatalf("*.example.com with TXT %s.example.com: state %q, want verified", cfg.Name, got)
	}
	ep := e.createEndpoint(svc, "--private-dns-enabled")
	dnsPort := testenv.FreePort(t)
	e.serve("--dns-port", strconv.Itoa(dnsPort))
	inside := netip.AddrPortFrom(e.resolverOf(consumer, ep.VPC), uint16(dnsPort)).String()
	testenv.Eventually(t, liveWait, func() error {
		if r := dig(t, inside, "a.example.com", "A"); len(r.Answer) == 0 {
			return fmt.Errorf("a.example.com: %s", r.Status)
		}
		return nil
	})
	tests := []struct {
		name, qtype, status string
		want                []netip.Addr
	}{
		{"a.example.com", "A", "NOERROR", values(ep.IPv4)},
		{"a.b.example.com", "A", "NOERROR", values(ep.IPv4)},
		{"A.Example.COM", "A", "NOERROR", values(ep.IPv4)},
		{"a.example.com", "AAAA", "NOERROR", nil},
		{"example.com", "A", "NOERROR", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name+"/"+tc.qtype, func(t *testing.T) {
			r := dig(t, inside, tc.name, tc.qtype)
			if r.Status != tc.status || !slices.Equal(addrs(r.Answer), tc.want) {
				t.Errorf("%s %s: %s %v, want %s %v\n%s", tc.name, tc.qtype, r.Status, addrs(r.Answer), tc.status, tc.want, r.Raw)
			}
			if tc.want == nil && !hasSOA(r.Authority) {
				t.Errorf("NODATA without SOA\n%s", r.Raw)
			}
		})
	}
	t.Run("through the wildcard name", func(t *testing.T) {
		r := dig(t, inside, "svc.example.com", "A")
		ips := addrs(r.Answer)
		if len(ips) == 0 {
			t.Fatalf("svc.example.com: %s", r.Status)
		}
		if name, _, err := roundTrip(lo, net.JoinHostPort(ips[0].String(), strconv.Itoa(svc.Port))); err != nil || name != "wild" {
			t.Errorf("connection to svc.example.com (%v): %q %v", ips[0], name, err)
		}
	})
}

// TestDNSUpstream forwards names outside plink's authority to knotd: the
// rest of example.com keeps resolving in the consumer VPC while the
// private name answers the endpoint, and outside the VPC the private name
// is what the public DNS says.
func TestDNSUpstream(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	needTool(t, "knotd", "knot")
	e := newEnv(t)
	b := startBackend(t, "up", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}, SvcArgs: []string{"--private-dns-name", "api.example.com"}})
	cfg := e.pdns(svc.ID)
	k := startKnot(t, cfg.Name+".api", cfg.Value)
	e.plink(provider, "--resolver", k.addr, "start-endpoint-service-private-dns-verification", "--service-id", svc.ID)
	if got := e.pdns(svc.ID).State; got != "verified" {
		t.Fatalf("state %q, want verified", got)
	}
	ep := e.createEndpoint(svc, "--private-dns-enabled")
	dnsPort := testenv.FreePort(t)
	e.serve("--dns-port", strconv.Itoa(dnsPort), "--dns-upstream", k.addr)
	provVPC := e.text(provider, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	inside := netip.AddrPortFrom(e.resolverOf(consumer, ep.VPC), uint16(dnsPort)).String()
	outside := netip.AddrPortFrom(e.resolverOf(provider, provVPC), uint16(dnsPort)).String()
	testenv.Eventually(t, liveWait, func() error {
		if r := dig(t, inside, "api.example.com", "A"); !slices.Equal(addrs(r.Answer), values(ep.IPv4)) {
			return fmt.Errorf("api.example.com inside: %s %v", r.Status, addrs(r.Answer))
		}
		return nil
	})
	tests := []struct {
		name, server, qname string
		want                []netip.Addr
	}{
		{"private name inside", inside, "api.example.com", values(ep.IPv4)},
		{"public name inside goes upstream", inside, "www.example.com", []netip.Addr{lo}},
		{"private name outside goes upstream", outside, "api.example.com", nil},
		{"public name outside goes upstream", outside, "www.example.com", []netip.Addr{lo}},
		{"endpoint name stays plink's", outside, ep.DNS[0], values(ep.IPv4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := dig(t, tc.server, tc.qname, "A")
			if r.Status != "NOERROR" || !slices.Equal(addrs(r.Answer), tc.want) {
				t.Errorf("@%s %s: %s %v, want NOERROR %v\n%s", tc.server, tc.qname, r.Status, addrs(r.Answer), tc.want, r.Raw)
			}
		})
	}
}
