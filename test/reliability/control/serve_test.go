package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/plink-dev/plink/test/testenv"
)

// readyInfo is the ready file of `plink serve`.
type readyInfo struct {
	PID       int `json:"pid"`
	Listeners []struct {
		Address  string `json:"address"`
		Endpoint string `json:"endpoint"`
	} `json:"listeners"`
	DNS []string `json:"dns"`
}

// server is a running `plink serve`.
type server struct {
	cmd   *exec.Cmd
	ready string
	logs  *testenv.SyncBuffer
	done  chan struct{}
}

// serve starts `plink serve` with the ready file at ready and waits until
// the file names this process.
func (e *env) serve(ready string, dnsPort int) *server {
	e.t.Helper()
	cmd := exec.Command(plinkBin, "--account", provider, "serve", "--ready-file", ready, "--dns-port", strconv.Itoa(dnsPort),
		"--dns-addr", "127.0.0.1:0", "--grace", "2s")
	cmd.Env = e.environ()
	s := &server{cmd: cmd, ready: ready, logs: &testenv.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting plink serve: %v", err)
	}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	e.t.Cleanup(func() {
		s.stop()
		if e.t.Failed() {
			e.t.Logf("plink serve (pid %d) output:\n%s", cmd.Process.Pid, clip(s.logs.String()))
		}
	})
	testenv.Eventually(e.t, 15*time.Second, func() error {
		select {
		case <-s.done:
			return fmt.Errorf("plink serve exited: %s", s.logs.String())
		default:
		}
		r, err := s.info()
		if err != nil {
			return err
		}
		if r.PID != cmd.Process.Pid {
			return fmt.Errorf("ready file of pid %d, want %d", r.PID, cmd.Process.Pid)
		}
		return nil
	})
	return s
}

func (s *server) info() (readyInfo, error) {
	var r readyInfo
	b, err := os.ReadFile(s.ready)
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(b, &r)
}

// dnsAddr is the extra DNS listener on 127.0.0.1.
func (s *server) dnsAddr(t *testing.T) string {
	t.Helper()
	r, err := s.info()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r.DNS {
		if hp, ok := strings.CutPrefix(a, "udp 127.0.0.1:"); ok {
			return "127.0.0.1:" + hp
		}
	}
	t.Fatalf("no DNS listener on 127.0.0.1 in the ready file: %v", r.DNS)
	return ""
}

func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// greeter is a test target: it greets every connection with "hello\n".
func greeter(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello\n"))
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// greeted connects to addr and says whether the target's greeting came.
func greeted(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no greeting: %w", err)
	}
	if line != "hello\n" {
		return fmt.Errorf("greeting %q", line)
	}
	return nil
}

// plane is a served topology: one service, endpoints in every state.
type plane struct {
	port                                  int
	svcName, private                      string
	avail, pending, rejected, deleted, sg string // endpoint IDs
	addr                                  map[string]string
	dnsName                               string // the available endpoint's regional name
	consumerResolver                      string // base + 2 of the consumer VPC
	providerResolver                      string // base + 2 of the provider VPC
	svc, group                            string // the service, the closed security group
}

// newPlane builds a provider service with a private DNS name verified
// through an in-test TXT server and endpoints available, pending,
// rejected, deleted and available-but-blocked by its security group.
func newPlane(e *env) *plane {
	e.t.Helper()
	t := e.t
	p := &plane{port: testenv.FreePort(t), addr: map[string]string{}, private: "api.example.com"}
	target := greeter(t)
	host, port, _ := net.SplitHostPort(target)
	pvpc := e.text(provider, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	psa := subnetsByZone(e, provider, pvpc)["us-east-1a"]
	tg := e.text(provider, "TargetGroups[0].TargetGroupArn", "create-target-group", "--name", "tg", "--protocol", "TCP",
		"--port", port, "--vpc-id", pvpc)
	e.plink(provider, "register-targets", "--target-group-arn", tg, "--targets", "Id="+host+",Port="+port+",AvailabilityZone=all")
	nlb := e.text(provider, "LoadBalancers[0].LoadBalancerArn", "create-load-balancer", "--name", "nlb", "--scheme", "internal",
		"--subnets", psa)
	e.plink(provider, "create-listener", "--load-balancer-arn", nlb, "--protocol", "TCP", "--port", strconv.Itoa(p.port),
		"--default-actions", "Type=forward,TargetGroupArn="+tg)
	svc := e.text(provider, "ServiceConfiguration.ServiceId", "create-endpoint-service", "--network-load-balancer-arns", nlb,
		"--acceptance-required", "--private-dns-name", p.private)
	var cfg struct {
		ServiceConfigurations []struct {
			ServiceName                 string
			PrivateDnsNameConfiguration struct{ Name, Value string }
		}
	}
	e.json(provider, &cfg, "describe-endpoint-service-configurations", "--service-ids", svc)
	p.svcName = cfg.ServiceConfigurations[0].ServiceName
	txt := txtServer(t, cfg.ServiceConfigurations[0].PrivateDnsNameConfiguration.Name+"."+p.private,
		cfg.ServiceConfigurations[0].PrivateDnsNameConfiguration.Value)
	e.plink(provider, "--resolver", txt, "start-endpoint-service-private-dns-verification", "--service-id", svc)
	e.plink(provider, "modify-endpoint-service-permissions", "--service-id", svc, "--add-allowed-principals", "arn:aws:iam::"+consumer+":root")

	cvpc := e.text(consumer, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	csa := subnetsByZone(e, consumer, cvpc)["us-east-1a"]
	cidr := cidrBase(e, consumer, cvpc)
	p.consumerResolver = strings.TrimSuffix(cidr, "0.0/16") + "0.2"
	p.providerResolver = strings.TrimSuffix(cidrBase(e, provider, pvpc), "0.0/16") + "0.2"
	p.svc = svc
	sg := e.text(consumer, "GroupId", "create-security-group", "--group-name", "closed", "--description", "admits nothing", "--vpc-id", cvpc)
	create := func(extra ...string) string {
		return e.text(consumer, "VpcEndpoint.VpcEndpointId", append([]string{"create-endpoint", "--vpc-id", cvpc,
			"--service-name", p.svcName, "--subnet-ids", csa}, extra...)...)
	}
	p.avail = create("--private-dns-enabled")
	p.pending = create("--no-private-dns-enabled")
	p.rejected = create("--no-private-dns-enabled")
	p.deleted = create("--no-private-dns-enabled")
	p.sg = create("--no-private-dns-enabled", "--security-group-ids", sg)
	p.group = sg
	e.plink(provider, "accept-endpoint-connections", "--service-id", svc, "--vpc-endpoint-ids", p.avail, p.deleted, p.sg)
	e.plink(provider, "reject-endpoint-connections", "--service-id", svc, "--vpc-endpoint-ids", p.rejected)
	for _, id := range []string{p.avail, p.pending, p.rejected, p.deleted, p.sg} {
		var out struct {
			VpcEndpoints []struct {
				NetworkInterfaceIds []string
				DnsEntries          []struct{ DnsName string }
			}
		}
		e.json(consumer, &out, "describe-endpoints", "--vpc-endpoint-ids", id)
		eni := out.VpcEndpoints[0].NetworkInterfaceIds[0]
		ip := e.text(consumer, "NetworkInterfaces[0].PrivateIpAddress", "describe-network-interfaces", "--network-interface-ids", eni)
		p.addr[id] = net.JoinHostPort(ip, strconv.Itoa(p.port))
		if id == p.avail {
			p.dnsName = out.VpcEndpoints[0].DnsEntries[0].DnsName
		}
	}
	e.plink(consumer, "delete-endpoints", "--vpc-endpoint-ids", p.deleted)
	return p
}

// txtServer answers NAME TXT VALUE on a loopback UDP port until the test
// ends and returns its address.
func txtServer(t *testing.T, name, value string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	name = dns.Fqdn(name)
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if len(q.Question) == 1 && strings.EqualFold(q.Question[0].Name, name) && q.Question[0].Qtype == dns.TypeTXT {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeTXT,
				Class: dns.ClassINET, Ttl: 60}, Txt: []string{value}})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	done := make(chan struct{})
	go func() { srv.ActivateAndServe(); close(done) }()
	t.Cleanup(func() { srv.Shutdown(); <-done })
	return pc.LocalAddr().String()
}

// query asks server for name/qtype over UDP with recursion desired.
func query(server, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, server)
	return r, err
}

// notServed says whether a connection to addr gets no greeting.
func notServed(addr string) error {
	if err := greeted(addr); err == nil {
		return fmt.Errorf("%s carries traffic", addr)
	}
	return nil
}

// TestSecurityDataPlane serves endpoints in every state: only the
// available one carries traffic (pending, rejected and deleted do not, a
// security group that admits nothing blocks), private DNS answers only
// inside the consumer VPC, the DNS server is no open resolver, and serve
// binds no wildcard address.
func TestSecurityDataPlane(t *testing.T) {
	e := newEnv(t)
	p := newPlane(e)
	dnsPort := testenv.FreePort(t)
	s := e.serve(filepath.Join(e.dir, "ready.json"), dnsPort)
	testenv.Eventually(t, 10*time.Second, func() error { return greeted(p.addr[p.avail]) })
	checks, failed := 0, 0
	check := func(what string, err error) {
		checks++
		if err != nil {
			failed++
			t.Errorf("%s: %v", what, err)
		}
	}
	check("pending endpoint", notServed(p.addr[p.pending]))
	check("rejected endpoint", notServed(p.addr[p.rejected]))
	check("deleted endpoint", notServed(p.addr[p.deleted]))
	check("endpoint behind a closed security group", notServed(p.addr[p.sg]))

	dnsAddr := s.dnsAddr(t)
	inside := net.JoinHostPort(p.consumerResolver, strconv.Itoa(dnsPort))
	check("private DNS inside the consumer VPC", func() error {
		r, err := query(inside, p.private, dns.TypeA)
		if err != nil {
			return err
		}
		if len(r.Answer) == 0 {
			return fmt.Errorf("@%s %s: no answer (%s)", inside, p.private, dns.RcodeToString[r.Rcode])
		}
		return nil
	}())
	check("private DNS outside the VPC", func() error {
		r, err := query(dnsAddr, p.private, dns.TypeA)
		if err != nil {
			return err
		}
		if len(r.Answer) != 0 {
			return fmt.Errorf("@%s (outside every VPC) %s answered: %v", dnsAddr, p.private, r.Answer)
		}
		return nil
	}())
	provResolver := net.JoinHostPort(p.providerResolver, strconv.Itoa(dnsPort))
	check("private DNS in the provider VPC", func() error {
		r, err := query(provResolver, p.private, dns.TypeA)
		if err != nil {
			return err
		}
		if len(r.Answer) != 0 {
			return fmt.Errorf("@%s (the provider VPC's resolver) %s answered: %v", provResolver, p.private, r.Answer)
		}
		return nil
	}())
	check("endpoint name answers", func() error {
		r, err := query(dnsAddr, p.dnsName, dns.TypeA)
		if err != nil {
			return err
		}
		if len(r.Answer) == 0 {
			return fmt.Errorf("%s: no answer", p.dnsName)
		}
		return nil
	}())
	for _, server := range []string{dnsAddr, inside} {
		for _, name := range []string{"example.com", "www.google.com", "amazonaws.com"} {
			check("no open resolver", func() error {
				r, err := query(server, name, dns.TypeA)
				if err != nil {
					return err
				}
				if len(r.Answer) != 0 || r.RecursionAvailable {
					return fmt.Errorf("@%s %s: answers %v, recursion available %v", server, name, r.Answer, r.RecursionAvailable)
				}
				return nil
			}())
		}
	}
	check("no wildcard binds", wildcardBinds(s.cmd.Process.Pid))

	// The refusals above are not vacuous: the same addresses carry
	// traffic once the group admits the client and the pending endpoint
	// is accepted, and stop again when the rule is revoked.
	rule := []string{"--group-id", p.group, "--protocol", "tcp", "--port", strconv.Itoa(p.port), "--cidr", "127.0.0.1/32"}
	e.plink(consumer, append([]string{"authorize-security-group-ingress"}, rule...)...)
	e.plink(provider, "accept-endpoint-connections", "--service-id", p.svc, "--vpc-endpoint-ids", p.pending)
	check("group opened", testenv.Poll(10*time.Second, func() error { return greeted(p.addr[p.sg]) }))
	check("pending endpoint accepted", testenv.Poll(10*time.Second, func() error { return greeted(p.addr[p.pending]) }))
	e.plink(consumer, append([]string{"revoke-security-group-ingress"}, rule...)...)
	check("group closed again", testenv.Poll(10*time.Second, func() error { return notServed(p.addr[p.sg]) }))
	figures(t, "security-data-plane", "checks", checks, "failed", failed)
}

// wildcardBinds lists the sockets of pid bound to 0.0.0.0 or ::.
func wildcardBinds(pid int) error {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var bad []string
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
		if err != nil {
			continue
		}
		bad = append(bad, wildcards(proto, string(b), inodes)...)
	}
	if len(inodes) == 0 {
		return errors.New("serve has no sockets")
	}
	if len(bad) > 0 {
		return fmt.Errorf("wildcard listeners: %v", bad)
	}
	return nil
}

// TestCrashServe kills `plink serve` with SIGKILL while clients connect
// through an endpoint, restarts it on the same store and ready file, and
// checks it serves the same state (traffic through the endpoint, the
// endpoint's DNS name), rewrote the stale ready file, and removes its
// ready file on a clean exit.
func TestCrashServe(t *testing.T) {
	rounds := scale(2, 5)
	e := newEnv(t)
	p := newPlane(e)
	dnsPort := testenv.FreePort(t)
	ready := filepath.Join(e.dir, "ready.json")
	var ok, failed atomic.Int64
	for round := range rounds {
		s := e.serve(ready, dnsPort)
		testenv.Eventually(t, 10*time.Second, func() error { return greeted(p.addr[p.avail]) })
		if round > 0 {
			// The same state as before the kill.
			r, err := query(s.dnsAddr(t), p.dnsName, dns.TypeA)
			if err != nil || len(r.Answer) == 0 {
				t.Errorf("after restart %d: %s does not answer: %v %v", round, p.dnsName, r, err)
			}
			if err := notServed(p.addr[p.pending]); err != nil {
				t.Errorf("after restart %d: %v", round, err)
			}
		}
		// Load, then kill -9 in the middle of it.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if greeted(p.addr[p.avail]) == nil {
						ok.Add(1)
					} else {
						failed.Add(1)
					}
				}
			}()
		}
		time.Sleep(300 * time.Millisecond) // let load build: not a synchronisation
		s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
		close(stop)
		wg.Wait()
		if _, err := os.Stat(ready); err != nil {
			t.Logf("round %d: the ready file is gone after kill -9 (%v)", round, err)
		}
	}
	// A clean run after the kills removes what it wrote.
	s := e.serve(ready, dnsPort)
	if err := greeted(p.addr[p.avail]); err != nil {
		t.Errorf("after %d kills: %v", rounds, err)
	}
	// A second serve on the same store is refused at once, naming the
	// first (the store's lock survived none of the kills above, and holds
	// now).
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	second := e.runCtx(ctx, "--account", provider, "serve", "--ready-file", filepath.Join(e.dir, "second.json"),
		"--dns-port", "0", "--no-dns")
	cancel()
	if second.code == 0 || second.timedOut || !strings.Contains(second.stderr, strconv.Itoa(s.cmd.Process.Pid)) {
		t.Errorf("a second serve on the same store was not refused naming pid %d [defect #10]: %s", s.cmd.Process.Pid, second)
	}
	s.stop()
	if _, err := os.Stat(ready); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the ready file is still there after a clean exit: %v", err)
	}
	if s, err := integrity(e.db); err != nil || s != "ok" {
		t.Errorf("integrity_check: %q, %v", s, err)
	}
	figures(t, "crash-serve", "kills", rounds, "restarts", rounds, "conns_ok", ok.Load(), "conns_cut_by_kill", failed.Load())
}

// wildcards lists the sockets of a /proc/net/{tcp,udp}[6] table whose
// inode is in inodes and whose local address is 0.0.0.0 or ::.
func wildcards(proto, table string, inodes map[string]bool) []string {
	var bad []string
	for _, line := range strings.Split(table, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || !inodes[f[9]] {
			continue
		}
		host, _, _ := strings.Cut(f[1], ":")
		if strings.Trim(host, "0") == "" {
			bad = append(bad, proto+" "+f[1])
		}
	}
	return bad
}

// TestWildcards proves the wildcard check can fail: a table with a socket
// of the process on 0.0.0.0 and on :: is flagged, one on 127.0.0.1 is not.
func TestWildcards(t *testing.T) {
	const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	v4 := header +
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n" +
		"   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0 100 0 0 10 0\n" +
		"   2: 00000000:0051 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0 100 0 0 10 0\n"
	v6 := header +
		"   0: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0 100 0 0 10 0\n"
	inodes := map[string]bool{"111": true, "222": true, "333": true}
	got := append(wildcards("tcp", v4, inodes), wildcards("tcp6", v6, inodes)...)
	want := "[tcp 00000000:0050 tcp6 00000000000000000000000000000000:0035]"
	if fmt.Sprint(got) != want {
		t.Errorf("wildcards = %v, want %s", got, want)
	}
}
