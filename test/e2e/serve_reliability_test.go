package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/plink-dev/plink/test/testenv"
)

// exited is how a plink run that should fail at once ended.
type exited struct {
	code   int // -1: killed by a signal
	output string
	// stillRunning says the run had not ended within its bound and was
	// stopped (SIGTERM, then SIGKILL).
	stillRunning bool
}

// runBounded runs plink (prefix, if any, in front: prlimit ...) and waits
// up to d for it to exit; a run still going is stopped with SIGTERM and
// reported as stillRunning.
func (e *env) runBounded(d time.Duration, prefix []string, args ...string) exited {
	e.t.Helper()
	argv := append(append(append([]string(nil), prefix...), plinkBin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = e.environ()
	out := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting %v: %v", argv, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var res exited
	var err error
	select {
	case err = <-done:
	case <-time.After(d):
		res.stillRunning = true
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err = <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			err = <-done
		}
	}
	res.output = out.String()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	}
	return res
}

// TestReadyFileNotClobbered gives serve ready file paths that hold
// something plink did not write: serve refuses at start, naming the path,
// and leaves the thing as it was. As root it once replaced /dev/full and
// deleted it on exit, and deleted a directory at the path.
func TestReadyFileNotClobbered(t *testing.T) {
	e := newEnv(t)
	precious := filepath.Join(e.dir, "precious")
	if err := os.WriteFile(precious, []byte("user data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type thing struct {
		name  string
		make  func(path string) error
		check func(path string) error
	}
	isDir := func(p string) error {
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			return fmt.Errorf("the directory is gone or changed (%v)", err)
		}
		return nil
	}
	things := []thing{
		{"directory", func(p string) error { return os.Mkdir(p, 0o755) }, isDir},
		{"regular file", func(p string) error { return os.WriteFile(p, []byte("user data\n"), 0o644) }, func(p string) error {
			if b, err := os.ReadFile(p); err != nil || string(b) != "user data\n" {
				return fmt.Errorf("the file is now %q (%v)", b, err)
			}
			return nil
		}},
		{"symlink", func(p string) error { return os.Symlink(precious, p) }, func(p string) error {
			if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				return fmt.Errorf("the symlink is gone (%v)", err)
			}
			return nil
		}},
	}
	if os.Geteuid() == 0 {
		// A copy of /dev/full's kind: a character device node.
		things = append(things, thing{"character device", func(p string) error {
			return syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|7)
		}, func(p string) error {
			if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
				return fmt.Errorf("the device node is gone or replaced (%v)", err)
			}
			return nil
		}})
	}
	for _, th := range things {
		t.Run(th.name, func(t *testing.T) {
			path := filepath.Join(e.dir, "ready-"+strings.ReplaceAll(th.name, " ", "-"))
			if err := th.make(path); err != nil {
				t.Skipf("cannot make a %s: %v", th.name, err)
			}
			res := e.runBounded(10*time.Second, nil, "serve", "--ready-file", path, "--dns-port", "0", "--dns-addr", "127.0.0.1:0")
			if res.stillRunning || res.code == 0 {
				t.Errorf("serve with a %s at --ready-file: still running %v, exit %d; want a refusal at start\n%s",
					th.name, res.stillRunning, res.code, res.output)
			} else if !strings.Contains(res.output, path) {
				t.Errorf("the refusal does not name %s:\n%s", path, res.output)
			}
			if err := th.check(path); err != nil {
				t.Errorf("after serve: %v", err)
			}
		})
	}
	if b, _ := os.ReadFile(precious); string(b) != "user data\n" {
		t.Errorf("the symlink's target is now %q", b)
	}

	t.Run("replaced while serving", func(t *testing.T) {
		srv := e.serve()
		// Someone else puts their own file at the path.
		mine := srv.ready + ".mine"
		os.WriteFile(mine, []byte("not plink's\n"), 0o644)
		if err := os.Rename(mine, srv.ready); err != nil {
			t.Fatal(err)
		}
		srv.signal(syscall.SIGTERM)
		if _, ok := srv.wait(15 * time.Second); !ok {
			t.Fatal("serve did not exit after SIGTERM")
		}
		if b, err := os.ReadFile(srv.ready); err != nil || string(b) != "not plink's\n" {
			t.Errorf("a file plink did not write was removed or changed at exit: %q %v", b, err)
		}
	})

	t.Run("stale ready file of a killed serve", func(t *testing.T) {
		srv := e.serve()
		srv.cmd.Process.Kill()
		<-srv.done
		if _, err := srv.info(); err != nil {
			t.Fatalf("kill -9 should leave the ready file: %v", err)
		}
		// A new serve may take the stale file over.
		res := e.runBounded(3*time.Second, nil, "serve", "--ready-file", srv.ready, "--dns-port", "0", "--dns-addr", "127.0.0.1:0")
		if !res.stillRunning || res.code != 0 {
			t.Fatalf("serve over a stale ready file: exit %d, want it to run and exit 0 on SIGTERM\n%s", res.code, res.output)
		}
		if _, err := os.Lstat(srv.ready); !os.IsNotExist(err) {
			t.Errorf("its own ready file is still there after exit: %v", err)
		}
	})
}

// TestServeFlagsRangeChecked: a port out of range is a usage error (exit
// 2) at once; --dns-port 70000 used to listen on 4464.
func TestServeFlagsRangeChecked(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"serve", "--dns-port", "70000"},
		{"serve", "--dns-port", "0", "--dns-addr", "127.0.0.1:70000"},
		{"serve", "--dns-port", "0", "--dns-upstream", "127.0.0.1:0"},
		{"serve", "--dns-port", "0", "--metrics-addr", "127.0.0.1:65536"},
		{"backend", "--listen", "127.0.0.1:70000"},
		{"demo", "--port", "70000"},
		{"demo", "--dns-port", "70000"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			res := e.runBounded(5*time.Second, nil, args...)
			if res.stillRunning || res.code != 252 || !strings.Contains(res.output, "65535") {
				t.Errorf("still running %v, exit %d; want exit 252 naming the range\n%s", res.stillRunning, res.code, res.output)
			}
		})
	}
}

// TestOneServePerStore starts a second serve on a store already served:
// it exits 1 naming the first one's PID (it used to stay up with 0
// listeners). After kill -9 of the first, the lock is gone and a new
// serve starts.
func TestOneServePerStore(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "lock", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	first := e.serve()
	res := e.runBounded(10*time.Second, nil, "serve", "--dns-port", "0", "--dns-addr", "127.0.0.1:0")
	pid := strconv.Itoa(first.cmd.Process.Pid)
	if res.stillRunning || res.code != 255 || !strings.Contains(res.output, "process "+pid) {
		t.Errorf("second serve on the store: still running %v, exit %d; want exit 255 naming process %s\n%s",
			res.stillRunning, res.code, pid, res.output)
	}
	if _, _, err := roundTrip(lo, ep.addr(t, "a", svc.Port)); err != nil {
		t.Errorf("the first serve after the second one's attempt: %v", err)
	}
	first.cmd.Process.Kill()
	<-first.done
	e.serve() // a lock left by kill -9 does not block
	testenv.Eventually(t, liveWait, func() error {
		_, _, err := roundTrip(lo, ep.addr(t, "a", svc.Port))
		return err
	})
}

// TestOneServePerFreshStore: the first serve on a store whose directory
// does not exist yet (the default store on a fresh machine) holds the lock
// too, and so does a serve on a store whose path contains "://" (any path
// is a file). Serve used to try the lock before opening the store made the
// directory, and took a path with "://" for a database server's; either
// way it ran without the lock, so a second serve on the store started too.
func TestOneServePerFreshStore(t *testing.T) {
	for _, name := range []string{"fresh/plink.db", "odd://name/plink.db"} {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			e := newEnv(t)
			db := e.dir + "/" + name // not Join: it would clean "://"
			first := e.serve("--db", db)
			if strings.Contains(first.logs.String(), "cannot take the serve lock") {
				t.Errorf("the first serve runs without the lock:\n%s", first.logs.String())
			}
			res := e.runBounded(10*time.Second, nil, "--db", db, "serve", "--dns-port", "0", "--dns-addr", "127.0.0.1:0")
			pid := strconv.Itoa(first.cmd.Process.Pid)
			if res.stillRunning || res.code != 255 || !strings.Contains(res.output, "process "+pid) {
				t.Errorf("second serve on the store: still running %v, exit %d; want exit 255 naming process %s\n%s",
					res.stillRunning, res.code, pid, res.output)
			}
		})
	}
}

// TestSecondSignalStopsAtOnce: SIGTERM starts a 60 s drain with a
// connection open; a second SIGTERM ends it at once (it used to be
// ignored), with exit 255 and "second signal: exiting now".
func TestSecondSignalStopsAtOnce(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "drain", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	srv := e.serve("--grace", "60s")
	dst := ep.addr(t, "a", svc.Port)
	c := greeted(t, dst)
	defer c.Close()
	srv.signal(syscall.SIGTERM)
	testenv.Eventually(t, liveWait, func() error {
		if !strings.Contains(srv.logs.String(), "shutting down: draining connections") {
			return errors.New("no drain started")
		}
		return nil
	})
	if err, gone := srv.wait(0); gone {
		t.Fatalf("serve exited (%v) before the drain was over", err)
	}
	// A SIGTERM within a second of the first is the same stop delivered
	// twice (timeout(1) signals the process and its group; serve drains):
	// a second request to stop comes later, as an operator's would.
	time.Sleep(1200 * time.Millisecond)
	if err, gone := srv.wait(0); gone {
		t.Fatalf("serve exited (%v) before the drain was over", err)
	}
	srv.signal(syscall.SIGTERM)
	err, gone := srv.wait(5 * time.Second)
	if !gone {
		t.Fatal("serve still draining 5 s after a second SIGTERM")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 255 {
		t.Errorf("exit after a second signal: %v, want exit status 255", err)
	}
	if !strings.Contains(srv.logs.String(), "second signal: exiting now") {
		t.Errorf("no \"second signal: exiting now\" in the log:\n%s", srv.logs.String())
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.r.ReadString('\n'); err == nil || isTimeout(err) {
		t.Errorf("the open connection after exit: read %v, want it closed", err)
	}
}

// TestRepeatedSIGTERMDrains sends serve the same SIGTERM twice at once,
// as timeout(1) does (to the process, then to its group): it is one stop,
// so serve drains for --grace and exits 0, not 255 as after a second
// request to stop.
func TestRepeatedSIGTERMDrains(t *testing.T) {
	e := newEnv(t)
	b := startBackend(t, "twice", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	ep := e.createEndpoint(svc)
	srv := e.serve("--grace", "2s")
	dst := ep.addr(t, "a", svc.Port)
	c := greeted(t, dst)
	defer c.Close()
	srv.signal(syscall.SIGTERM)
	srv.signal(syscall.SIGTERM)
	err, gone := srv.wait(30 * time.Second)
	if !gone {
		t.Fatal("serve still running 30 s after SIGTERM with --grace 2s")
	}
	if err != nil {
		t.Errorf("exit after one SIGTERM delivered twice: %v, want 0 (a drain)\n%s", err, srv.logs.String())
	}
	if !strings.Contains(srv.logs.String(), "grace period over") {
		t.Errorf("serve did not drain for --grace:\n%s", srv.logs.String())
	}
}

// TestFDLimit runs serve under a low open file limit (prlimit) with more
// endpoint listeners than the limit holds. It used to keep running with
// accept loops spinning, no DNS and no ready file. Now: started with
// them, it exits 1 at once naming the limit and the remedy; when they
// come after start, DNS still answers, what fits is served, and the
// ready file, the log and the plink_serve_healthy metric say what is not.
func TestFDLimit(t *testing.T) {
	prlimit := needTool(t, "prlimit", "util-linux")
	const limit = 320
	e := newEnv(t)
	b := startBackend(t, "fd", "127.0.0.1:0", false)
	svc := e.newService(serviceSpec{Targets: []string{b.target()}})
	first := e.createEndpoint(svc)

	// Serve the one endpoint under the limit, then add 110 more: 333
	// listeners with the 3 load balancer nodes, more than the limit.
	pre := []string{prlimit, fmt.Sprintf("--nofile=%d:%d", limit, limit)}
	// Per-address listening: a descriptor per listener (sk-lookup needs
	// one per port: TestFDLimitSKLookup).
	srv := e.serveWith(pre, "--metrics-addr", "127.0.0.1:0", "--listen-mode", "per-address")
	e.createEndpoints(svc, 110)
	var info readyInfo
	testenv.Eventually(t, 30*time.Second, func() error {
		var err error
		if info, err = srv.info(); err != nil {
			return err
		}
		if len(info.Listeners) < 3+3*2 {
			return fmt.Errorf("%d listeners in the ready file", len(info.Listeners))
		}
		for _, msg := range info.Errors {
			if strings.Contains(msg, "out of file descriptors") && strings.Contains(msg, fmt.Sprintf("soft %d, hard %d", limit, limit)) &&
				strings.Contains(msg, "ulimit -n") {
				return nil
			}
		}
		return fmt.Errorf("no error naming the limit and the remedy in the ready file: %q", info.Errors)
	})
	if len(info.Listeners) >= 3+3*111 || len(info.Listeners) > limit {
		t.Errorf("%d listeners bound under a limit of %d", len(info.Listeners), limit)
	}
	select {
	case <-srv.done:
		t.Fatalf("serve exited: %v", srv.err)
	default:
	}
	if _, _, err := roundTrip(lo, first.addr(t, "a", svc.Port)); err != nil {
		t.Errorf("the endpoint served before the limit was reached: %v", err)
	}
	r := query(t, srv.dnsAddr(), first.DNS[0], dns.TypeA)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 3 {
		t.Errorf("DNS for %s under the limit: rcode %d, %d answers, want 3", first.DNS[0], r.Rcode, len(r.Answer))
	}
	if !strings.Contains(srv.logs.String(), "level=ERROR") || !strings.Contains(srv.logs.String(), "ulimit -n") {
		t.Errorf("no ERROR log naming the remedy")
	}
	if m := srv.metric(t, "plink_serve_healthy"); m != "0" {
		t.Errorf("plink_serve_healthy = %q, want 0", m)
	}
	srv.stop()

	// Started with all of them: exit 255 at once, naming limit and remedy.
	res := e.runBounded(20*time.Second, pre, "serve", "--dns-port", "0", "--dns-addr", "127.0.0.1:0", "--listen-mode", "per-address")
	if res.stillRunning || res.code != 255 {
		t.Errorf("serve started under a limit too low for its listeners: still running %v, exit %d; want exit 255\n%s",
			res.stillRunning, res.code, tail(res.output, 2000))
	}
	for _, want := range []string{"out of file descriptors", fmt.Sprintf("soft %d, hard %d", limit, limit), "ulimit -n", "fewer endpoints"} {
		if !strings.Contains(res.output, want) {
			t.Errorf("the error does not say %q:\n%s", want, tail(res.output, 2000))
		}
	}

	// serve --check says the same and exits 1.
	res = e.runBounded(20*time.Second, pre, "serve", "--check", "--dns-port", "0", "--dns-addr", "127.0.0.1:0", "--listen-mode", "per-address")
	if res.stillRunning || res.code != 255 || !strings.Contains(res.output, "out of file descriptors") {
		t.Errorf("serve --check under the limit: exit %d, want 255 and an error naming the limit\n%s", res.code, tail(res.output, 2000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// serveWith starts serve as e.serve does, with prefix (such as prlimit)
// in front of the binary.
func (e *env) serveWith(prefix []string, args ...string) *server {
	e.t.Helper()
	ready := filepath.Join(e.dir, fmt.Sprintf("ready-%d.json", time.Now().UnixNano()))
	all := append(append(append([]string(nil), prefix...), plinkBin, "serve", "--ready-file", ready, "--dns-port", "0",
		"--dns-addr", "127.0.0.1:0", "--grace", "5s"), args...)
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
			e.t.Logf("plink serve output:\n%s", tail(s.logs.String(), 4000))
		}
	})
	testenv.Eventually(e.t, 10*time.Second, func() error {
		select {
		case <-s.done:
			return fmt.Errorf("plink serve exited: %v\n%s", s.err, s.logs.String())
		default:
		}
		_, err := s.info()
		return err
	})
	return s
}

// createEndpoints creates n endpoints to svc in the consumer's default
// VPC, four at a time.
func (e *env) createEndpoints(svc *service, n int) {
	e.t.Helper()
	vpc := e.text(consumer, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	subnets := e.subnets(consumer, vpc)
	args := append([]string{"create-endpoint", "--service-name", svc.Name, "--vpc-id", vpc, "--subnet-ids"}, subnets...)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	sem := make(chan struct{}, 4)
	for range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if out, errOut, err := e.run(consumer, args...); err != nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("%v: %s %s", err, out, errOut))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		e.t.Fatalf("%d of %d create-endpoint failed; first: %s", len(failures), n, failures[0])
	}
}

// metric reads one unlabelled metric from serve's /metrics.
func (s *server) metric(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(s.ready)
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ Metrics string }
	json.Unmarshal(b, &info)
	if info.Metrics == "" {
		t.Fatal("no metrics address in the ready file")
	}
	resp, err := http.Get("http://" + info.Metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "(absent)"
}

// TestStaleLoAddressesRemoved runs, as root in a network namespace, a
// serve that puts an endpoint's IPv6 addresses on lo, kills it with
// SIGKILL (the addresses stay), deletes the endpoint and starts serve
// again: the new serve removes the addresses the killed one left (they
// used to stay forever), and a clean exit removes what it added.
func TestStaleLoAddressesRemoved(t *testing.T) {
	if inNetns(t, true) {
		return
	}
	e := newEnv(t)
	b := startBackend(t, "v4", "127.0.0.1:0", false)
	d := e.newDualstack()
	svc := e.dualstackService(d, []string{b.target()}, false)
	ep := e.createEndpoint(svc, "--vpc-id", d.ConsumerVPC, "--subnet-ids", d.ConsumerSubnets[0], d.ConsumerSubnets[1],
		"--ip-address-type", "dualstack")
	if len(ep.IPv6) != 2 {
		t.Fatalf("endpoint IPv6 addresses %v, want two", ep.IPv6)
	}
	onLo := func() string {
		out, err := exec.Command("ip", "-6", "addr", "show", "dev", "lo").CombinedOutput()
		if err != nil {
			t.Fatalf("ip -6 addr show dev lo: %v: %s", err, out)
		}
		return string(out)
	}
	srv := e.serve()
	for _, a := range ep.IPv6 {
		if !strings.Contains(onLo(), a.String()+"/128") {
			t.Fatalf("serve did not put %s on lo:\n%s", a, onLo())
		}
	}
	srv.cmd.Process.Kill()
	<-srv.done
	for _, a := range ep.IPv6 {
		if !strings.Contains(onLo(), a.String()+"/128") {
			t.Fatalf("%s gone from lo after kill -9; the test needs it left behind", a)
		}
	}
	e.plink(consumer, "delete-endpoints", "--vpc-endpoint-ids", ep.ID)

	srv = e.serve()
	testenv.Eventually(t, liveWait, func() error {
		for _, a := range ep.IPv6 {
			if strings.Contains(onLo(), a.String()+"/128") {
				return fmt.Errorf("%s, left by the killed serve and no longer wanted, is still on lo", a)
			}
		}
		return nil
	})

	// A clean run removes what it added itself.
	ep2 := e.createEndpoint(svc, "--vpc-id", d.ConsumerVPC, "--subnet-ids", d.ConsumerSubnets[0],
		"--ip-address-type", "dualstack")
	var a2 string
	for _, a := range ep2.IPv6 {
		a2 = a.String()
	}
	testenv.Eventually(t, liveWait, func() error {
		if !strings.Contains(onLo(), a2+"/128") {
			return fmt.Errorf("%s not on lo", a2)
		}
		return nil
	})
	srv.stop()
	if strings.Contains(onLo(), a2+"/128") {
		t.Errorf("%s still on lo after a clean exit", a2)
	}
}

// TestBackendSecondSignal: plink backend drains for up to 5 s on SIGTERM;
// a second SIGTERM stops it at once, with exit 255.
func TestBackendSecondSignal(t *testing.T) {
	e := newEnv(t)
	ready := filepath.Join(e.dir, "backend.json")
	cmd := exec.Command(plinkBin, "backend", "--listen", "127.0.0.1:0", "--ready-file", ready)
	cmd.Env = e.environ()
	logs := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-done
	}()
	var info struct{ Address string }
	testenv.Eventually(t, 10*time.Second, func() error {
		b, err := os.ReadFile(ready)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &info)
	})
	// A request in progress keeps the drain going.
	c, err := dialFrom(lo, info.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\n")
	// Only a connection the backend has accepted keeps its drain going: one
	// still in the listener's queue is reset when the listener closes (seen
	// under load: the backend then exits 0 at once).
	testenv.Eventually(t, 5*time.Second, func() error { return acceptQueueEmpty(info.Address) })
	cmd.Process.Signal(syscall.SIGTERM)
	testenv.Eventually(t, 5*time.Second, func() error { // the drain has begun: no new connections
		nc, err := net.DialTimeout("tcp", info.Address, time.Second)
		if err == nil {
			nc.Close()
			return errors.New("still accepting after SIGTERM")
		}
		return nil
	})
	select {
	case err := <-done:
		done <- err // for the deferred wait
		t.Fatalf("backend exited (%v) with a request in progress, before its drain ended\n%s", err, logs.String())
	default:
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		done <- err
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 255 {
			t.Errorf("exit after a second signal: %v, want exit status 255", err)
		}
		if !strings.Contains(logs.String(), "second signal: exiting now") {
			t.Errorf("no \"second signal: exiting now\" in the log:\n%s", logs.String())
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("backend still running 2 s after a second SIGTERM\n%s", logs.String())
	}
}

// acceptQueueEmpty says whether the listener at addr (IPv4 host:port) has
// accepted every connection made to it: for a listening socket,
// /proc/net/tcp's rx_queue is the length of its accept queue.
func acceptQueueEmpty(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return fmt.Errorf("not an IPv4 host:port: %q", addr)
	}
	b := ap.Addr().As4()
	local := fmt.Sprintf("%02X%02X%02X%02X:%04X", b[3], b[2], b[1], b[0], ap.Port())
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 5 || f[1] != local || f[3] != "0A" { // 0A: LISTEN
			continue
		}
		if _, rx, _ := strings.Cut(f[4], ":"); strings.Trim(rx, "0") != "" {
			return fmt.Errorf("%s has connections waiting to be accepted (queue %s)", addr, rx)
		}
		return nil
	}
	return fmt.Errorf("no listener at %s in /proc/net/tcp", addr)
}
