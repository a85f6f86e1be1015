package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// These tests run the built plink binary: the CLI that changes endpoints
// and `plink serve`, whose notifier retries what the CLI could not deliver.

// buildPlink builds ./cmd/plink into dir.
func buildPlink(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	bin := filepath.Join(dir, "plink")
	build := exec.Command("go", "build", "-o", bin, "./cmd/plink")
	build.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/plink: %v\n%s", err, out)
	}
	return bin
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// plinkCLI runs one store's plink commands.
type plinkCLI struct {
	t   *testing.T
	bin string
	dir string
}

func (p *plinkCLI) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLINK_") {
			env = append(env, kv)
		}
	}
	return append(env, "PLINK_DB="+filepath.Join(p.dir, "plink.db"), "HOME="+p.dir,
		"XDG_CONFIG_HOME="+filepath.Join(p.dir, ".config"), "XDG_STATE_HOME="+filepath.Join(p.dir, ".state"))
}

// run runs plink as account and returns its trimmed stdout.
func (p *plinkCLI) run(account string, args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.bin, append([]string{"--account", account}, args...)...)
	cmd.Env = p.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		p.t.Fatalf("plink --account %s %s: %v\n%s%s", account, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// events returns account's events of type typ.
func (p *plinkCLI) events(account, typ string) []control.EventRecord {
	p.t.Helper()
	var out []control.EventRecord
	for _, line := range strings.Split(p.run(account, "events"), "\n") {
		var ev control.EventRecord
		if line == "" {
			continue
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			p.t.Fatalf("events: %q: %v", line, err)
		}
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// pending reads the outbox of the store.
func (p *plinkCLI) pending() []store.Delivery {
	p.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(p.dir, "plink.db"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer st.Close()
	var ds []store.Delivery
	if err := st.Read(context.Background(), func(tx *store.Tx) error {
		ds, err = tx.Deliveries()
		return err
	}); err != nil {
		p.t.Fatal(err)
	}
	return ds
}

// within polls cond every 20 ms for up to d.
func within(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

const (
	provider = "111111111111"
	consumer = "222222222222"
)

// TestNotificationsThroughTheBinary: a provider's service with acceptance
// required, watched by hooks, and a consumer's endpoints, all through the
// built binary.
func TestNotificationsThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	p := &plinkCLI{t: t, bin: buildPlink(t, dir), dir: dir}
	subnet := p.run(provider, "describe-subnets", "--filters", "Name=availability-zone,Values=us-east-1a", "--query", "Subnets[0].SubnetId", "-o", "text")
	nlb := p.run(provider, "create-load-balancer", "--name", "n", "--scheme", "internal", "--subnets", subnet,
		"--query", "LoadBalancers[0].LoadBalancerArn", "-o", "text")
	svc := p.run(provider, "create-endpoint-service", "--network-load-balancer-arns", nlb, "--acceptance-required",
		"--query", "ServiceConfiguration.ServiceId", "-o", "text")
	svcName := p.run(provider, "describe-endpoint-service-configurations", "--query", "ServiceConfigurations[0].ServiceName", "-o", "text")
	p.run(provider, "modify-endpoint-service-permissions", "--service-id", svc, "--add-allowed-principals", "arn:aws:iam::"+consumer+":root")
	vpc := p.run(consumer, "describe-vpcs", "--query", "Vpcs[0].VpcId", "-o", "text")
	csubnet := p.run(consumer, "describe-subnets", "--filters", "Name=availability-zone,Values=us-east-1a", "--query", "Subnets[0].SubnetId", "-o", "text")
	createEndpoint := func() string {
		return p.run(consumer, "create-endpoint", "--vpc-id", vpc, "--service-name", svcName, "--subnet-ids", csubnet,
			"--query", "VpcEndpoint.VpcEndpointId", "-o", "text")
	}
	watch := func(target string) string {
		return p.run(provider, "create-endpoint-connection-notification", "--service-id", svc, "--connection-notification-arn", target,
			"--connection-events", "Connect", "Accept", "Reject", "--query", "ConnectionNotification.ConnectionNotificationId", "-o", "text")
	}

	t.Run("ten hanging hooks cost one budget", func(t *testing.T) {
		var mu sync.Mutex
		requests := 0
		release := make(chan struct{})
		hook := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			requests++
			mu.Unlock()
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go hook.Serve(ln)
		defer func() { close(release); hook.Close() }()
		var ids []string
		for i := 0; i < 10; i++ {
			ids = append(ids, watch("http://"+ln.Addr().String()+"/hook"+string(rune('a'+i))))
		}
		start := time.Now()
		createEndpoint()
		took := time.Since(start)
		// Generous: one budget in all (a process start and a few
		// transactions on top); one timeout per hook was 10 x 2 s.
		if bound := 3 * control.DefaultDeliveryBudget; took > bound {
			t.Errorf("create-endpoint took %v with 10 hanging hooks, want < %v", took, bound)
		}
		mu.Lock()
		if requests != 10 {
			t.Errorf("%d hook requests, want 10", requests)
		}
		mu.Unlock()
		if evs := p.events(provider, "Notification.Retrying"); len(evs) != 10 {
			t.Errorf("%d Notification.Retrying events, want 10", len(evs))
		}
		p.run(provider, append([]string{"delete-endpoint-connection-notifications", "--connection-notification-ids"}, ids...)...)
		if ds := p.pending(); len(ds) != 0 {
			t.Errorf("deliveries of deleted notifications: %+v", ds)
		}
	})

	t.Run("serve retries a hook that was down, once", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // the hook is down: connections are refused
		watch("http://" + addr + "/hook")

		ready := filepath.Join(dir, "ready.json")
		serve := exec.Command(p.bin, "serve", "--no-dns", "--ready-file", ready, "--grace", "1s")
		serve.Env = p.env()
		var serveLog lockedBuffer
		serve.Stdout, serve.Stderr = io.Discard, &serveLog
		if err := serve.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		var exitErr error
		go func() { exitErr = serve.Wait(); close(exited) }()
		stop := func() error {
			serve.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
				return exitErr
			case <-time.After(10 * time.Second):
				serve.Process.Kill()
				<-exited
				return errors.New("serve did not stop on SIGTERM")
			}
		}
		defer stop()
		if !within(10*time.Second, func() bool { _, err := os.Stat(ready); return err == nil }) {
			t.Fatalf("serve never wrote its ready file:\n%s", serveLog.String())
		}

		ep := createEndpoint() // Connect: the CLI's attempt is refused
		// serve's notifier tries again (1 s later) and fails too.
		if !within(10*time.Second, func() bool { ds := p.pending(); return len(ds) == 1 && ds[0].Attempts >= 2 }) {
			t.Fatalf("serve did not retry: outbox %+v\nserve log:\n%s", p.pending(), serveLog.String())
		}
		// The line is logged once the attempt's transaction committed,
		// just after the outbox shows it.
		if !within(5*time.Second, func() bool {
			return strings.Contains(serveLog.String(), "connection notification not delivered; will retry")
		}) {
			t.Errorf("serve logged no failed attempt:\n%s", serveLog.String())
		}

		// The hook comes up; an Accept written now waits behind the
		// pending Connect.
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the hook cannot come back on %s: %v", addr, err)
		}
		var mu sync.Mutex
		var got []string
		hook := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m struct{ Event, VpcEndpointId string }
			json.NewDecoder(r.Body).Decode(&m)
			mu.Lock()
			got = append(got, m.Event)
			mu.Unlock()
		})}
		go hook.Serve(ln)
		defer hook.Close()
		messages := func() string {
			mu.Lock()
			defer mu.Unlock()
			return strings.Join(got, ",")
		}
		p.run(provider, "accept-endpoint-connections", "--service-id", svc, "--vpc-endpoint-ids", ep)
		if !within(15*time.Second, func() bool { return messages() == "Connect,Accept" && len(p.pending()) == 0 }) {
			t.Fatalf("hook got %q, outbox %+v, want Connect,Accept delivered\nserve log:\n%s", messages(), p.pending(), serveLog.String())
		}
		// With nothing pending, the CLI delivers itself, at once.
		p.run(provider, "reject-endpoint-connections", "--service-id", svc, "--vpc-endpoint-ids", ep)
		if m := messages(); m != "Connect,Accept,Reject" {
			t.Errorf("hook got %q right after reject, want Connect,Accept,Reject", m)
		}
		if ds := p.pending(); len(ds) != 0 {
			t.Errorf("outbox after a delivered change: %+v", ds)
		}

		if err := stop(); err != nil {
			t.Errorf("serve: %v\n%s", err, serveLog.String())
		}
		if m := messages(); m != "Connect,Accept,Reject" {
			t.Errorf("hook got %q in the end: a message was delivered twice", m)
		}
	})
}
