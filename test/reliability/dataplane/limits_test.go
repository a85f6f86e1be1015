package dataplane

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// storeTemplate is a store with one service and n available endpoints to
// it, built once per size and copied into each test that wants it.
type storeTemplate struct {
	dir     string
	svc     *service
	ids     []string
	created time.Duration // wall time of the bulk create-endpoint runs
	workers int
}

var (
	templateMu sync.Mutex
	templates  = map[int]*storeTemplate{}
	// templateRoot holds the templates; removed when the package ends.
	templateRoot string
)

// endpointsTemplate returns the template with n endpoints, building it
// with parallel CLI processes the first time.
func endpointsTemplate(t *testing.T, n int) *storeTemplate {
	t.Helper()
	templateMu.Lock()
	defer templateMu.Unlock()
	if tm, ok := templates[n]; ok {
		return tm
	}
	dir, err := os.MkdirTemp(templateRoot, fmt.Sprintf("store-%d-", n))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, db: filepath.Join(dir, "plink.db")}
	svc := e.newService(nil, false)
	tm := &storeTemplate{dir: dir, svc: svc, workers: 4}
	ids, took, err := bulkEndpoints(e, svc, n, tm.workers)
	if err != nil {
		t.Fatal(err)
	}
	tm.ids, tm.created = ids, took
	templates[n] = tm
	return tm
}

// bulkEndpoints creates n endpoints to svc, one subnet each, round robin
// over the consumer's zones, with workers CLI processes at a time.
func bulkEndpoints(e *env, svc *service, n, workers int) ([]string, time.Duration, error) {
	e.defaults()
	ids := make([]string, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for firstErr.Load() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				out, errOut, err := e.run(consumer, "create-endpoint", "--vpc-id", e.cvpc, "--service-name", svc.Name,
					"--subnet-ids", e.csubs[i%len(e.csubs)], "--query", "VpcEndpoint.VpcEndpointId", "-o", "text")
				if err != nil {
					firstErr.CompareAndSwap(nil, fmt.Errorf("create-endpoint %d of %d: %v: %s", i+1, n, err, errOut))
					return
				}
				ids[i] = strings.TrimSpace(out)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, 0, err
	}
	return ids, time.Since(start), nil
}

// fromTemplate is a new test store copied from tm.
func fromTemplate(t *testing.T, tm *storeTemplate) *env {
	t.Helper()
	e := newEnv(t)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		src, err := os.Open(filepath.Join(tm.dir, "plink.db"+suffix))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.OpenFile(e.db+suffix, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err == nil {
			_, err = io.Copy(dst, src)
			if cerr := dst.Close(); err == nil {
				err = cerr
			}
		}
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// dnsNames returns the regional DNS name of each endpoint in ids.
func (e *env) dnsNames(ids []string) map[string]string {
	e.t.Helper()
	out := e.text(consumer, "VpcEndpoints[].[VpcEndpointId, DnsEntries[0].DnsName]",
		append([]string{"describe-endpoints", "--vpc-endpoint-ids"}, ids...)...)
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	return m
}

// lookupA asks the DNS server at server for the A records of name.
func lookupA(server, name string) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	c := dns.Client{Net: "udp", Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("%s: rcode %s", name, dns.RcodeToString[r.Rcode])
	}
	var ips []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			ips = append(ips, a.A.String())
		}
	}
	return ips, nil
}

// sample picks k of ids at random (all when fewer).
func sample(ids []string, k int) []string {
	s := append([]string(nil), ids...)
	rand.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s[:min(k, len(s))]
}

// endpointAddrs maps endpoint IDs to their listener addresses in the
// ready file.
func endpointAddrs(r readyInfo) map[string]string {
	m := map[string]string{}
	for _, l := range r.Listeners {
		if l.Endpoint != "" {
			m[l.Endpoint] = l.Address
		}
	}
	return m
}

// TestManyEndpoints creates 10,000 endpoints (1,000 in CI) through the
// CLI, several processes at a time, then serves them: every listener is
// bound, DNS answers a sample with the right address, a sample carries
// traffic. It reports the times and serve's resident memory.
func TestManyEndpoints(t *testing.T) {
	n := size(1000, 10000)
	tm := endpointsTemplate(t, n)
	e := fromTemplate(t, tm)
	tgt := startTarget(t, "many")
	e.plink(provider, "register-targets", "--target-group-arn", tm.svc.TG, "--targets", tgt.arg())

	start := time.Now()
	srv := e.serve(120 * time.Second)
	readyIn := time.Since(start)
	info, err := srv.info()
	if err != nil {
		t.Fatal(err)
	}
	addrs := endpointAddrs(info)
	if len(addrs) != n || len(info.Errors) > 0 {
		t.Errorf("ready file: %d endpoint listeners of %d, errors %v", len(addrs), n, info.Errors)
	}
	rss := rssKB(srv.cmd.Process.Pid)
	idle, _ := cpuShare(srv.cmd.Process.Pid, 2*time.Second)

	dnsAddr, err := srv.dnsAddr()
	if err != nil {
		t.Fatal(err)
	}
	picked := sample(tm.ids, 50)
	names := e.dnsNames(picked)
	dnsOK, connOK := 0, 0
	for i, id := range picked {
		want, _, _ := net.SplitHostPort(addrs[id])
		ips, err := lookupA(dnsAddr, names[id])
		if err != nil || len(ips) != 1 || ips[0] != want {
			t.Errorf("DNS %s (%s): %v %v, want [%s]", names[id], id, ips, err, want)
		} else {
			dnsOK++
		}
		if i < 20 {
			if _, err := oneShot(addrs[id], "hello-"+id); err != nil {
				t.Errorf("through %s (%s): %v", id, addrs[id], err)
			} else {
				connOK++
			}
		}
	}
	report(t, "limits-endpoints", "endpoints", n, "create_s", fmt.Sprintf("%.1f", tm.created.Seconds()),
		"create_per_s", fmt.Sprintf("%.0f", float64(n)/tm.created.Seconds()), "create_procs", tm.workers,
		"serve_ready_ms", ms(readyIn), "listeners", len(addrs), "bind_errors", len(info.Errors),
		"rss_mb", rss/1024, "idle_cpu_cores", fmt.Sprintf("%.2f", idle),
		"dns_sample_ok", fmt.Sprintf("%d/%d", dnsOK, len(picked)), "conn_sample_ok", fmt.Sprintf("%d/20", connOK))
}

// TestFDExhaustion serves 1,000 endpoints under a descriptor limit of 512
// (soft and hard, so raising the soft limit cannot help). serve must either
// fail loudly (non-zero exit naming the limit) or keep DNS and the ready
// file, report the listeners it could not bind and log an ERROR naming
// the limit; and it must never spin: its CPU over a few seconds stays well
// below a core. Both data plane engines.
func TestFDExhaustion(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit is not installed")
	}
	for _, engine := range []string{"epoll", "goroutines"} {
		t.Run(engine, func(t *testing.T) { fdExhaustion(t, engine) })
	}
}

func fdExhaustion(t *testing.T, engine string) {
	const n, limit = 1000, 512
	tm := endpointsTemplate(t, n)
	e := fromTemplate(t, tm)
	tgt := startTarget(t, "fd")
	e.plink(provider, "register-targets", "--target-group-arn", tm.svc.TG, "--targets", tgt.arg())

	// Per-address listening: a descriptor per endpoint address is what
	// runs out here. With sk_lookup (the default as root) the 1,000
	// endpoints take one socket per port and fit (test/e2e's
	// TestFDLimitSKLookup serves them under such a limit).
	srv := e.startServe([]string{"prlimit", fmt.Sprintf("--nofile=%d:%d", limit, limit), "--"}, "--engine", engine,
		"--listen-mode", "per-address")
	var outcome string
	deadline := time.Now().Add(20 * time.Second)
	for outcome == "" {
		_, err := srv.info()
		switch {
		case srv.exited():
			outcome = "exited"
		case err == nil:
			outcome = "serving"
		case time.Now().After(deadline):
			outcome = "stuck"
		default:
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Clients knocking on the listeners that are bound: with no
	// descriptor left, each accept fails, and must not be retried in a
	// tight loop.
	var knocks []net.Conn
	addrs := e.endpointAddrsCLI(tm.svc.Port)
	for _, addr := range addrs[:min(200, len(addrs))] {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			knocks = append(knocks, c)
			if len(knocks) == 20 {
				break
			}
		}
	}
	defer func() {
		for _, c := range knocks {
			c.Close()
		}
	}()
	cpu := -1.0
	if !srv.exited() {
		cpu, _ = cpuShare(srv.cmd.Process.Pid, 3*time.Second)
	}
	logs := srv.logs.String()
	namesLimit := strings.Contains(logs, "open files") || strings.Contains(logs, "nofile") ||
		strings.Contains(strings.ToLower(logs), "descriptor")
	var listeners, errs int
	dnsOK := false
	if info, err := srv.info(); err == nil {
		listeners, errs = len(endpointAddrs(info)), len(info.Errors)
		if addr, err := srv.dnsAddr(); err == nil {
			id := tm.ids[0]
			if _, err := lookupA(addr, e.dnsNames([]string{id})[id]); err == nil {
				dnsOK = true
			}
		}
	}
	report(t, "limits-fd", "engine", engine, "endpoints", n, "knocking_clients", len(knocks), "nofile", limit, "outcome", outcome, "exit", fmt.Sprint(srv.err),
		"cpu_cores", fmt.Sprintf("%.2f", cpu), "listeners", listeners, "ready_errors", errs, "dns_ok", dnsOK,
		"log_names_limit", namesLimit)

	if cpu > 0.5 {
		t.Errorf("serve out of descriptors uses %.2f cores: it spins", cpu)
	}
	switch outcome {
	case "stuck":
		t.Errorf("serve out of descriptors is still running after 20 s without a ready file")
	case "exited":
		if srv.err == nil {
			t.Errorf("serve out of descriptors exited 0")
		}
		if !namesLimit {
			t.Errorf("serve exited without naming the descriptor limit:\n%s", tail(logs, 2000))
		}
	case "serving":
		if !dnsOK {
			t.Errorf("serve out of descriptors does not answer DNS")
		}
		if errs == 0 {
			t.Errorf("the ready file reports no error although %d endpoints cannot all be bound under %d descriptors", n, limit)
		}
		if !namesLimit || !strings.Contains(logs, "level=ERROR") {
			t.Errorf("serve logs no ERROR naming the descriptor limit:\n%s", tail(logs, 2000))
		}
	}
}

// endpointAddrsCLI lists the consumer's endpoint addresses with port,
// from describe-network-interfaces.
func (e *env) endpointAddrsCLI(port int) []string {
	e.t.Helper()
	e.defaults()
	var out []string
	for _, ip := range strings.Fields(e.text(consumer, "NetworkInterfaces[].PrivateIpAddress", "describe-network-interfaces",
		"--filters", "Name=vpc-id,Values="+e.cvpc)) {
		out = append(out, net.JoinHostPort(ip, fmt.Sprint(port)))
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
