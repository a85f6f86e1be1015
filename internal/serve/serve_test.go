package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/snapshot"
	"github.com/plink-dev/plink/internal/store"
)

// fakeSource is an in-memory Source.
type fakeSource struct {
	mu      sync.Mutex
	snap    *snapshot.Snapshot
	reports map[string]snapshot.HealthReport
	down    error // what Revision and Snapshot fail with (a database down)
}

func (f *fakeSource) setDown(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = err
}

func (f *fakeSource) set(s *snapshot.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.snap != nil {
		s.Revision = f.snap.Revision + 1
	}
	f.snap = s
}

func (f *fakeSource) Revision(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap.Revision, f.down
}

func (f *fakeSource) Snapshot(context.Context) (*snapshot.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return nil, f.down
	}
	return f.snap, nil
}

func (f *fakeSource) ReportHealth(_ context.Context, rs []snapshot.HealthReport) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reports == nil {
		f.reports = map[string]snapshot.HealthReport{}
	}
	for _, r := range rs {
		f.reports[netip.AddrPortFrom(r.IP, r.Port).String()] = r
	}
	return nil
}

func (f *fakeSource) health(ap string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reports[ap].State
}

// world builds a one-endpoint snapshot on 127.250.<n>.0/24 whose only
// target is addr.
func world(n byte, port uint16, target netip.AddrPort, endpoints int) *snapshot.Snapshot {
	ip := func(h byte) netip.Addr { return netip.AddrFrom4([4]byte{127, 250, n, h}) }
	tg := &snapshot.TargetGroup{ARN: "tg", ProxyProtocolV2: true, DeregistrationDelay: time.Second,
		HealthCheck: snapshot.HealthCheck{Enabled: true, Protocol: "HTTP", Path: "/ping", Interval: 20 * time.Millisecond,
			Timeout: time.Second, HealthyThreshold: 2, UnhealthyThreshold: 2},
		Targets: []snapshot.Target{{IP: target.Addr(), Port: target.Port(), Zone: "all"}}}
	s := &snapshot.Snapshot{
		Revision: 1,
		LoadBalancers: []snapshot.LoadBalancer{{ARN: "lb", Name: "nlb",
			Nodes:     []snapshot.Node{{Zone: "za", IPv4: ip(5)}},
			Listeners: []snapshot.Listener{{Port: port, TargetGroupARN: "tg"}}}},
		TargetGroups:   map[string]*snapshot.TargetGroup{"tg": tg},
		Services:       map[string]*snapshot.Service{"svc": {ID: "svc", LoadBalancerARNs: []string{"lb"}}},
		SecurityGroups: map[string]*snapshot.SecurityGroup{"sg": {ID: "sg", Rules: []snapshot.Rule{{Protocol: "-1", Prefix: netip.MustParsePrefix("127.0.0.0/8")}}}},
	}
	for i := 0; i < endpoints; i++ {
		s.Endpoints = append(s.Endpoints, snapshot.Endpoint{ID: fmt.Sprintf("vpce-%017x", i), ServiceID: "svc", State: "available",
			SecurityGroupIDs: []string{"sg"}, ENIs: []snapshot.ENI{{Zone: "za", IPv4: ip(byte(10 + i))}}})
	}
	return s
}

func startBackend(t *testing.T, name string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := NewBackend(name, nil)
	go b.Serve(ln)
	t.Cleanup(func() { b.Close() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

func freePort(t *testing.T) uint16 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

func readReady(t *testing.T, path string, cond func(ReadyInfo) bool) ReadyInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var info ReadyInfo
		b, err := os.ReadFile(path)
		if err == nil && json.Unmarshal(b, &info) == nil && cond(info) {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("ready file %s never matched: %s", path, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func get(t *testing.T, addr string) BackendReply {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r BackendReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunLifecycle(t *testing.T) {
	target := startBackend(t, "web")
	port := freePort(t)
	src := &fakeSource{}
	src.set(world(1, port, target, 1))
	ready := filepath.Join(t.TempDir(), "ready.json")
	srv := New(Options{Source: src, ReadyFile: ready, MetricsAddr: "127.0.0.1:0", Grace: 5 * time.Second,
		DNS: DNSOptions{Addr: "127.0.0.1:0"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reload := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, reload) }()

	info := readReady(t, ready, func(ReadyInfo) bool { return true })
	t.Logf("ready: %+v", info)
	if info.PID != os.Getpid() || len(info.Listeners) != 2 || info.Metrics == "" || len(info.DNS) == 0 {
		t.Fatalf("ready file = %+v", info)
	}
	ep := "127.250.1.10:" + fmt.Sprint(port)

	t.Run("forwards with PROXY v2", func(t *testing.T) {
		r := get(t, ep)
		if r.Backend != "web" || r.Proxy == nil || r.Proxy.Command != "PROXY" || r.Proxy.Destination != ep ||
			r.Proxy.VPCEID != "vpce-00000000000000000" || !strings.HasPrefix(r.Peer, "127.250.1.5:") {
			t.Fatalf("reply = %+v proxy %+v", r, r.Proxy)
		}
	})
	t.Run("health reaches the store", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for src.health(target.String()) != "healthy" {
			if time.Now().After(deadline) {
				t.Fatal("target never reported healthy")
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	t.Run("a store change adds a listener", func(t *testing.T) {
		src.set(world(1, port, target, 2))
		readReady(t, ready, func(i ReadyInfo) bool { return len(i.Listeners) == 3 })
		if r := get(t, "127.250.1.11:"+fmt.Sprint(port)); r.Backend != "web" {
			t.Fatalf("reply = %+v", r)
		}
	})
	t.Run("SIGHUP reloads", func(t *testing.T) {
		src.mu.Lock()
		src.snap = world(1, port, target, 1) // same revision: only a reload sees it
		src.snap.Revision = 2
		src.mu.Unlock()
		reload <- syscall.SIGHUP
		readReady(t, ready, func(i ReadyInfo) bool { return len(i.Listeners) == 2 })
	})
	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get("http://" + info.Metrics + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "plink_forwarder_connections_total") {
			t.Fatalf("metrics lack the forwarder counters")
		}
	})
	t.Run("cancel drains and exits nil", func(t *testing.T) {
		c, err := net.Dial("tcp", ep)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		// The open connection still works during the grace period.
		fmt.Fprintf(c, "GET /late HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		b, err := io.ReadAll(c)
		c.Close()
		if err != nil || !strings.Contains(string(b), `"/late"`) {
			t.Fatalf("draining connection: %q %v", b, err)
		}
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		if _, err := os.Stat(ready); !os.IsNotExist(err) {
			t.Errorf("ready file left behind: %v", err)
		}
	})
}

func TestReconcileThousandEndpoints(t *testing.T) {
	target := startBackend(t, "web")
	port := freePort(t)
	snap := world(2, port, target, 1)
	ep := snap.Endpoints[0]
	snap.Endpoints = nil
	for i := 0; i < 1000; i++ {
		e := ep
		e.ID = fmt.Sprintf("vpce-%017x", i)
		e.ENIs = []snapshot.ENI{{Zone: "za", IPv4: netip.AddrFrom4([4]byte{127, 251, byte(i / 250), byte(1 + i%250)})}}
		snap.Endpoints = append(snap.Endpoints, e)
	}
	src := &fakeSource{}
	src.set(snap)
	ready := filepath.Join(t.TempDir(), "ready.json")
	srv := New(Options{Source: src, ReadyFile: ready, DNS: DNSOptions{Disabled: true}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- srv.Run(ctx, nil) }()
	info := readReady(t, ready, func(ReadyInfo) bool { return true })
	t.Logf("1,000 endpoints bound in %v", time.Since(start)) // the goal (< 1 s) is checked by eye, not asserted
	if len(info.Listeners) != 1001 || len(info.Errors) != 0 {
		t.Fatalf("listeners %d errors %v", len(info.Listeners), info.Errors)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCheck(t *testing.T) {
	target := startBackend(t, "web")
	port := freePort(t)
	src := &fakeSource{}
	src.set(world(3, port, target, 1))
	rep, err := Check(context.Background(), Options{Source: src, DNS: DNSOptions{Disabled: true}})
	if err != nil || !rep.OK || len(rep.Listeners) != 2 {
		t.Fatalf("Check = %+v, %v", rep, err)
	}
	squat, err := net.Listen("tcp", fmt.Sprintf("127.250.3.10:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer squat.Close()
	rep, err = Check(context.Background(), Options{Source: src, DNS: DNSOptions{Disabled: true}})
	if err != nil || rep.OK || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "in use, held by pid ") {
		t.Fatalf("Check = %+v, %v", rep, err)
	}
}

func TestBackendAnswersWithoutProxyHeader(t *testing.T) {
	addr := startBackend(t, "plain")
	r := get(t, addr.String())
	if r.Backend != "plain" || r.Proxy != nil || r.Path != "/hello" || r.Method != "GET" {
		t.Fatalf("reply = %+v", r)
	}
	// A bare TCP connect and close (a TCP health check) is fine too.
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if r := get(t, addr.String()); r.Backend != "plain" {
		t.Fatalf("reply after a bare connection = %+v", r)
	}
}

// A signal during start (the context ends before the first snapshot is
// loaded) stops serve as a signal after start does: no error, nothing
// logged at ERROR, and the ready file never written. It used to fail
// with "loading a snapshot of the store: context canceled" (exit 1).
func TestRunStoppedDuringStart(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "plink.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs bytes.Buffer
	ready := filepath.Join(dir, "ready.json")
	s := New(Options{Source: st, ReadyFile: ready, DNS: DNSOptions{Disabled: true},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx, nil); err != nil {
		t.Errorf("Run with its context ended before the first apply = %v, want nil (stopped)", err)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged for a stop during start:\n%s", logs.String())
	}
	if _, err := os.Lstat(ready); !os.IsNotExist(err) {
		t.Errorf("ready file after a stop during start: %v", err)
	}
}

// A listener that cannot be bound at start stops serve (a *StartError
// naming the address and the process holding it), and nothing is written
// to the ready file; with KeepGoing the rest is served.
func TestStartFailsLoudly(t *testing.T) {
	target := startBackend(t, "web")
	port := freePort(t)
	src := &fakeSource{}
	src.set(world(4, port, target, 1))
	squat, err := net.Listen("tcp", fmt.Sprintf("127.250.4.10:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer squat.Close()
	var logs bytes.Buffer
	ready := filepath.Join(t.TempDir(), "ready.json")
	err = New(Options{Source: src, ReadyFile: ready, DNS: DNSOptions{Disabled: true},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}).Run(context.Background(), nil)
	var se *StartError
	if !errors.As(err, &se) || len(se.Errors) != 1 {
		t.Fatalf("Run = %v, want a StartError with one listener", err)
	}
	want := fmt.Sprintf("port %d in use, held by pid %d", port, os.Getpid())
	if !strings.Contains(se.Errors[0], "127.250.4.10") || !strings.Contains(se.Errors[0], want) ||
		!strings.Contains(err.Error(), "--keep-going") {
		t.Errorf("error does not name the address, the holder (%s) and --keep-going:\n%v", want, err)
	}
	if _, err := os.Stat(ready); !os.IsNotExist(err) {
		t.Errorf("ready file written by a serve that did not start: %v", err)
	}
	if strings.Contains(logs.String(), "msg=listening") {
		t.Errorf("a serve that did not start logged listeners:\n%s", logs.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- New(Options{Source: src, ReadyFile: ready, DNS: DNSOptions{Disabled: true}, KeepGoing: true}).Run(ctx, nil)
	}()
	info := readReady(t, ready, func(ReadyInfo) bool { return true })
	if len(info.Listeners) != 1 || len(info.Errors) != 1 || !strings.Contains(info.Errors[0], want) {
		t.Errorf("with KeepGoing: ready file %+v, want the node listener served and the endpoint's error", info)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run with KeepGoing = %v", err)
	}
}

// Endpoints that are not served are logged when their state changes, at
// most maxStateLines of them one by one per reload.
func TestLogEndpointStates(t *testing.T) {
	var logs bytes.Buffer
	s := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	snap := &snapshot.Snapshot{}
	for i := range maxStateLines + 5 {
		snap.Endpoints = append(snap.Endpoints, snapshot.Endpoint{ID: fmt.Sprintf("vpce-%d", i), ServiceID: "vpce-svc-1", State: "pendingAcceptance"})
	}
	snap.Endpoints = append(snap.Endpoints, snapshot.Endpoint{ID: "vpce-ok", State: "available"})
	s.logEndpointStates(snap)
	out := logs.String()
	if n := strings.Count(out, `msg="endpoint not served`); n != maxStateLines {
		t.Errorf("%d endpoint lines, want %d:\n%s", n, maxStateLines, out)
	}
	if !strings.Contains(out, "pendingAcceptance=5") || !strings.Contains(out, "accept-endpoint-connections --service-id vpce-svc-1 --vpc-endpoint-ids vpce-0") {
		t.Errorf("no summary of the rest, or no remedy:\n%s", out)
	}
	if strings.Contains(out, "vpce-ok") {
		t.Errorf("an available endpoint was logged:\n%s", out)
	}
	// Nothing changed: nothing logged.
	logs.Reset()
	s.logEndpointStates(snap)
	if logs.Len() != 0 {
		t.Errorf("unchanged states logged again:\n%s", logs.String())
	}
	// A change of state is logged, once.
	snap.Endpoints[0].State = "rejected"
	s.logEndpointStates(snap)
	s.logEndpointStates(snap)
	if n := strings.Count(logs.String(), "vpce-0 "); n != 1 {
		t.Errorf("vpce-0 rejected: %d lines, want 1:\n%s", n, logs.String())
	}
	// Endpoints created and deleted for a long time: the states kept stay
	// bounded, and an available endpoint that was never logged stays quiet.
	for i := range 1000 {
		snap.Endpoints[len(snap.Endpoints)-1] = snapshot.Endpoint{ID: fmt.Sprintf("vpce-new-%d", i), State: "available"}
		s.logEndpointStates(snap)
	}
	if n, max := len(s.epStates), len(snap.Endpoints)*5/4+64; n > max {
		t.Errorf("%d endpoint states kept for %d endpoints, want at most %d", n, len(snap.Endpoints), max)
	}
	if strings.Contains(logs.String(), "vpce-new-") {
		t.Errorf("an available endpoint was logged:\n%s", logs.String())
	}
}

// incSource is a fakeSource that loads incrementally too, and records
// which way each load went: "full", or "since N" (the base's revision).
type incSource struct {
	fakeSource
	loadsMu  sync.Mutex
	loads    []string
	sinceErr error // what the next SnapshotSince fails with, once
}

func (s *incSource) Snapshot(ctx context.Context) (*snapshot.Snapshot, error) {
	s.record("full")
	return s.fakeSource.Snapshot(ctx)
}

func (s *incSource) SnapshotSince(ctx context.Context, prev *snapshot.Snapshot) (*snapshot.Snapshot, error) {
	s.record(fmt.Sprintf("since %d", prev.Revision))
	s.loadsMu.Lock()
	err := s.sinceErr
	s.sinceErr = nil
	s.loadsMu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.fakeSource.Snapshot(ctx)
}

func (s *incSource) record(l string) {
	s.loadsMu.Lock()
	defer s.loadsMu.Unlock()
	s.loads = append(s.loads, l)
}

func (s *incSource) loaded() []string {
	s.loadsMu.Lock()
	defer s.loadsMu.Unlock()
	return append([]string(nil), s.loads...)
}

// Serve loads in full at start and on SIGHUP, incrementally from the last
// snapshot on a change, and in full again after an incremental load
// failed.
func TestIncrementalReload(t *testing.T) {
	target := startBackend(t, "web")
	port := freePort(t)
	src := &incSource{}
	src.set(world(1, port, target, 1))
	ready := filepath.Join(t.TempDir(), "ready.json")
	srv := New(Options{Source: src, ReadyFile: ready, DNS: DNSOptions{Disabled: true}, Grace: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	reload := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, reload) }()
	defer func() { cancel(); <-done }()
	readReady(t, ready, func(i ReadyInfo) bool { return len(i.Listeners) == 2 })
	want := []string{"full"}
	check := func(step string) {
		t.Helper()
		if got := src.loaded(); !slices.Equal(got, want) {
			t.Fatalf("%s: loads %q, want %q", step, got, want)
		}
	}
	check("start")

	src.set(world(1, port, target, 2)) // revision 2
	readReady(t, ready, func(i ReadyInfo) bool { return len(i.Listeners) == 3 })
	want = append(want, "since 1")
	check("a change")

	src.loadsMu.Lock()
	src.sinceErr = errors.New("store down")
	src.loadsMu.Unlock()
	src.set(world(1, port, target, 1)) // revision 3: the load fails
	if !within(5*time.Second, func() bool { return len(src.loaded()) == 3 }) {
		t.Fatalf("no load after revision 3: %q", src.loaded())
	}
	want = append(want, "since 2", "full") // the next poll loads in full
	readReady(t, ready, func(i ReadyInfo) bool { return i.Revision == 3 && len(i.Listeners) == 2 })
	check("after a failed incremental load")

	reload <- syscall.SIGHUP
	want = append(want, "full")
	if !within(5*time.Second, func() bool { return len(src.loaded()) == 5 }) {
		t.Fatalf("no load on SIGHUP: %q", src.loaded())
	}
	check("SIGHUP")
}
