// Package dataplane is the reliability suite of `plink serve` under
// stress: endpoint churn under load, target faults (killed, blackholed,
// hung and resetting targets, all targets down), and limits (thousands of
// endpoints, descriptor exhaustion, a full disk). It builds the real
// binary and drives it exactly as a user does, with loopback addresses
// only (and a private mount namespace for the full disk).
//
// Every test prints its figures on one line that starts with
// "RELIABILITY " (name, then key=value pairs), which scripts/reliability
// collects into RELIABILITY.md. By default the tests run in a bounded form
// for CI; -reliability.full runs the figures RELIABILITY.md reports.
//
// The tests run serially: every store hands out the same default VPC
// blocks, so two stores served at once would share addresses.
package dataplane

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/test/testenv"
)

var full = flag.Bool("reliability.full", false, "run the full-size reliability figures (slow) instead of the bounded CI form")

// size picks the CI or the full figure.
func size(ci, fullSize int) int {
	if *full {
		return fullSize
	}
	return ci
}

const (
	provider = "111111111111"
	consumer = "222222222222"

	// binEnv carries the built binary to re-executed children.
	binEnv = "PLINK_RELIABILITY_BIN"
)

// plinkBin is the binary built once by TestMain.
var plinkBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	// The fault cases run in parallel to keep the suite short; they wait
	// on health checks, not on the CPU, so run them all at once unless
	// -test.parallel says otherwise.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "8")
	}
	dir, err := os.MkdirTemp("", "plink-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	templateRoot = dir
	if b := os.Getenv(binEnv); b != "" {
		plinkBin = b
		return m.Run()
	}
	plinkBin, err = testenv.BuildPlink(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv(binEnv, plinkBin)
	return m.Run()
}

// report prints a test's figures on one line: "RELIABILITY name k=v ...".
// kv alternates keys and values.
func report(t *testing.T, name string, kv ...any) {
	t.Helper()
	var b strings.Builder
	b.WriteString("RELIABILITY " + name)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	if *full {
		b.WriteString(" form=full")
	} else {
		b.WriteString(" form=ci")
	}
	fmt.Println(b.String())
}

// ms formats a duration in whole milliseconds.
func ms(d time.Duration) int64 { return d.Milliseconds() }

// percentile is the p-th percentile (0..100) of ds, 0 when empty.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}

// env is one test's store and working directory.
type env struct {
	t   *testing.T
	dir string
	db  string

	once         sync.Once
	vpc, cvpc    string
	psubs, csubs []string
	sg           string // the default security group of the consumer VPC
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	return &env{t: t, dir: dir, db: filepath.Join(dir, "plink.db")}
}

// environ is the environment of every plink run: the test's store, no
// config file, no inherited PLINK_* settings.
func (e *env) environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PLINK_") && !strings.HasPrefix(kv, binEnv+"=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PLINK_DB="+e.db, "HOME="+e.dir,
		"XDG_CONFIG_HOME="+filepath.Join(e.dir, ".config"), "XDG_STATE_HOME="+filepath.Join(e.dir, ".state"))
}

// run runs plink as account and returns stdout, stderr and the error.
func (e *env) run(account string, args ...string) (string, string, error) {
	cmd := exec.Command(plinkBin, append([]string{"--account", account}, args...)...)
	cmd.Env = e.environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// plink runs plink as account and fails the test unless it exits 0.
func (e *env) plink(account string, args ...string) string {
	e.t.Helper()
	out, errOut, err := e.run(account, args...)
	if err != nil {
		e.t.Fatalf("plink --account %s %s: %v\nstdout: %s\nstderr: %s", account, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// text runs plink with --query q -o text and returns the trimmed output.
func (e *env) text(account, q string, args ...string) string {
	e.t.Helper()
	return strings.TrimSpace(e.plink(account, append(args, "--query", q, "-o", "text")...))
}

// json runs plink and decodes its JSON output into v.
func (e *env) json(account string, v any, args ...string) {
	e.t.Helper()
	out := e.plink(account, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("plink %s: output is not JSON: %v", strings.Join(args, " "), err)
	}
}

// defaults looks up the default VPCs and subnets (zone order) of both
// accounts once.
func (e *env) defaults() {
	e.t.Helper()
	e.once.Do(func() {
		e.vpc = e.text(provider, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
		e.psubs = strings.Fields(e.text(provider, "sort_by(Subnets[?VpcId=='"+e.vpc+"'], &AvailabilityZone)[].SubnetId", "describe-subnets"))
		e.cvpc = e.text(consumer, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
		e.csubs = strings.Fields(e.text(consumer, "sort_by(Subnets[?VpcId=='"+e.cvpc+"'], &AvailabilityZone)[].SubnetId", "describe-subnets"))
		e.sg = e.text(consumer, "SecurityGroups[?GroupName=='default' && VpcId=='"+e.cvpc+"'].GroupId | [0]", "describe-security-groups")
	})
	if len(e.psubs) == 0 || len(e.csubs) == 0 {
		e.t.Fatalf("default subnets: provider %v, consumer %v", e.psubs, e.csubs)
	}
}

// service is a provider's published NLB with one TCP listener on Port.
type service struct {
	TG, NLB, ID, Name string
	Port              int
}

// newService publishes targets (register-targets arguments) behind a new
// NLB in the provider's default VPC, allowed to the consumer.
func (e *env) newService(targets []string, acceptance bool, tgArgs ...string) *service {
	e.t.Helper()
	e.defaults()
	s := &service{Port: testenv.FreePort(e.t)}
	name := strconv.Itoa(s.Port)
	s.TG = e.text(provider, "TargetGroups[0].TargetGroupArn", append([]string{"create-target-group", "--name", "tg-" + name,
		"--protocol", "TCP", "--port", "9", "--vpc-id", e.vpc, "--target-type", "ip"}, tgArgs...)...)
	if len(targets) > 0 {
		e.plink(provider, append([]string{"register-targets", "--target-group-arn", s.TG, "--targets"}, targets...)...)
	}
	s.NLB = e.text(provider, "LoadBalancers[0].LoadBalancerArn", append([]string{"create-load-balancer", "--name", "nlb-" + name,
		"--type", "network", "--scheme", "internal", "--subnets"}, e.psubs...)...)
	e.plink(provider, "create-listener", "--load-balancer-arn", s.NLB, "--protocol", "TCP", "--port", name,
		"--default-actions", "Type=forward,TargetGroupArn="+s.TG)
	acc := "--no-acceptance-required"
	if acceptance {
		acc = "--acceptance-required"
	}
	s.ID = e.text(provider, "ServiceConfiguration.ServiceId", "create-endpoint-service", "--network-load-balancer-arns", s.NLB, acc)
	s.Name = e.text(provider, "ServiceConfigurations[0].ServiceName", "describe-endpoint-service-configurations", "--service-ids", s.ID)
	e.plink(provider, "modify-endpoint-service-permissions", "--service-id", s.ID,
		"--add-allowed-principals", "arn:aws:iam::"+consumer+":root")
	return s
}

// endpoint is a consumer endpoint with one network interface.
type endpoint struct {
	ID, ENI, Addr string // Addr is ip:port of the service's listener
}

// createEndpoint creates a consumer endpoint to svc in the i-th consumer
// subnet (modulo the zones), with extra create-endpoint flags.
func (e *env) createEndpoint(svc *service, i int, extra ...string) endpoint {
	e.t.Helper()
	ep, err := e.tryCreateEndpoint(svc, i, extra...)
	if err != nil {
		e.t.Fatal(err)
	}
	return ep
}

// tryCreateEndpoint is createEndpoint returning its error (for use
// outside the test goroutine).
func (e *env) tryCreateEndpoint(svc *service, i int, extra ...string) (endpoint, error) {
	e.defaults()
	args := append([]string{"create-endpoint", "--vpc-id", e.cvpc, "--service-name", svc.Name,
		"--subnet-ids", e.csubs[i%len(e.csubs)]}, extra...)
	args = append(args, "--query", "[VpcEndpoint.VpcEndpointId, VpcEndpoint.NetworkInterfaceIds[0]]", "-o", "text")
	out, errOut, err := e.run(consumer, args...)
	f := strings.Fields(out)
	if err != nil || len(f) != 2 {
		return endpoint{}, fmt.Errorf("create-endpoint: %v: %s%s", err, out, errOut)
	}
	ep := endpoint{ID: f[0], ENI: f[1]}
	out, errOut, err = e.run(consumer, "describe-network-interfaces", "--network-interface-ids", ep.ENI,
		"--query", "NetworkInterfaces[0].PrivateIpAddress", "-o", "text")
	ip := strings.TrimSpace(out)
	if err != nil || net.ParseIP(ip) == nil {
		return endpoint{}, fmt.Errorf("describe-network-interfaces %s: %v: %s%s", ep.ENI, err, out, errOut)
	}
	ep.Addr = net.JoinHostPort(ip, strconv.Itoa(svc.Port))
	return ep, nil
}

// targetStates maps "ip:port" to the health state describe-target-health
// shows.
func (e *env) targetStates(tg string) map[string]string {
	e.t.Helper()
	var out struct {
		TargetHealthDescriptions []struct {
			Target struct {
				Id   string
				Port int
			}
			TargetHealth struct{ State string }
		}
	}
	e.json(provider, &out, "describe-target-health", "--target-group-arn", tg)
	m := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		m[net.JoinHostPort(d.Target.Id, strconv.Itoa(d.Target.Port))] = d.TargetHealth.State
	}
	return m
}

// waitHealth waits until every target in want has its state.
func (e *env) waitHealth(tg string, d time.Duration, want map[string]string) {
	e.t.Helper()
	testenv.Eventually(e.t, d, func() error {
		got := e.targetStates(tg)
		for k, w := range want {
			if got[k] != w {
				return fmt.Errorf("target health %v, want %v", got, want)
			}
		}
		return nil
	})
}

// readyInfo is the ready file of `plink serve`.
type readyInfo struct {
	PID       int `json:"pid"`
	Listeners []struct {
		Address  string `json:"address"`
		Endpoint string `json:"endpoint"`
		Kind     string `json:"kind"`
	} `json:"listeners"`
	DNS    []string `json:"dns"`
	Errors []string `json:"errors"`
}

// server is a running `plink serve`.
type server struct {
	t     *testing.T
	cmd   *exec.Cmd
	ready string
	logs  *testenv.SyncBuffer
	done  chan struct{}
	err   error // valid after done
}

// startServe starts `plink serve` (behind the wrapper command, e.g.
// prlimit, when given) with a ready file, DNS only on 127.0.0.1:0 and info
// logs; it does not wait for the ready file. It is stopped when the test
// ends.
func (e *env) startServe(wrapper []string, args ...string) *server {
	e.t.Helper()
	ready := filepath.Join(e.dir, fmt.Sprintf("ready-%d.json", time.Now().UnixNano()))
	all := append([]string{plinkBin, "serve", "--ready-file", ready, "--dns-port", "0", "--dns-addr", "127.0.0.1:0",
		"--grace", "2s"}, args...)
	all = append(append([]string(nil), wrapper...), all...)
	cmd := exec.Command(all[0], all[1:]...)
	cmd.Env = e.environ()
	s := &server{t: e.t, cmd: cmd, ready: ready, logs: &testenv.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting plink serve: %v", err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	e.t.Cleanup(func() {
		s.stop()
		if e.t.Failed() {
			logs := s.logs.String()
			if len(logs) > 8000 {
				logs = "...\n" + logs[len(logs)-8000:]
			}
			e.t.Logf("plink serve output (tail):\n%s", logs)
		}
	})
	return s
}

// serve starts `plink serve` and waits up to d for its ready file.
func (e *env) serve(d time.Duration, args ...string) *server {
	e.t.Helper()
	s := e.startServe(nil, args...)
	s.waitReady(d)
	return s
}

// waitReady waits up to d for the ready file.
func (s *server) waitReady(d time.Duration) {
	s.t.Helper()
	testenv.Eventually(s.t, d, func() error {
		select {
		case <-s.done:
			return fmt.Errorf("plink serve exited: %v", s.err)
		default:
		}
		_, err := s.info()
		return err
	})
}

// info reads the ready file.
func (s *server) info() (readyInfo, error) {
	var r readyInfo
	b, err := os.ReadFile(s.ready)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("ready file: %w", err)
	}
	return r, nil
}

// dnsAddr is the DNS listener on 127.0.0.1 (udp) from the ready file.
func (s *server) dnsAddr() (string, error) {
	r, err := s.info()
	if err != nil {
		return "", err
	}
	for _, a := range r.DNS {
		if hp, ok := strings.CutPrefix(a, "udp 127.0.0.1:"); ok {
			return "127.0.0.1:" + hp, nil
		}
	}
	return "", fmt.Errorf("no DNS listener on 127.0.0.1 in the ready file: %v", r.DNS)
}

// exited says whether serve has exited.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop ends serve: SIGTERM, then SIGKILL after 15 s.
func (s *server) stop() {
	if s.exited() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.t.Errorf("plink serve did not exit 15 s after SIGTERM; killing it")
		s.cmd.Process.Kill()
		<-s.done
	}
}

// cpuTicks is utime+stime of a process in clock ticks (1/100 s).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name in parentheses: state is field 3,
	// utime 14 and stime 15.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("malformed /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed /proc stat")
	}
	return u + st, nil
}

// cpuShare measures the CPU a process uses over d, in cores (1.0 = one
// core busy all the time).
func cpuShare(pid int, d time.Duration) (float64, error) {
	a, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	time.Sleep(d) // measuring a rate over a window, not synchronising
	b, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	return float64(b-a) / 100 / time.Since(start).Seconds(), nil
}

// rssKB is the resident set size of a process in kB.
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}
