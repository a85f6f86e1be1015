package netstack

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/snapshot"
)

func TestMatchCode(t *testing.T) {
	tests := []struct {
		matcher string
		code    int
		want    bool
	}{
		{"200-399", 200, true}, {"200-399", 399, true}, {"200-399", 404, false},
		{"200", 200, true}, {"200", 201, false},
		{"200,202", 202, true}, {"200,202", 201, false},
		{"", 302, true}, {"200, 300-301", 301, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.matcher, tc.code), func(t *testing.T) {
			if got := matchCode(tc.matcher, tc.code); got != tc.want {
				t.Errorf("matchCode = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPick(t *testing.T) {
	tg := &snapshot.TargetGroup{ARN: "tg"}
	ta := snapshot.Target{IP: netip.MustParseAddr("127.0.0.1"), Port: 1, Zone: "za"}
	tb := snapshot.Target{IP: netip.MustParseAddr("127.0.0.2"), Port: 1, Zone: "zb"}
	key := func(t snapshot.Target) targetKey { return targetKey{"tg", netip.AddrPortFrom(t.IP, t.Port)} }
	tests := []struct {
		name    string
		cands   []snapshot.Target
		all     []snapshot.Target
		healthy []snapshot.Target
		want    []snapshot.Target // the set picks must come from
	}{
		{"healthy preferred", []snapshot.Target{ta, tb}, []snapshot.Target{ta, tb}, []snapshot.Target{tb}, []snapshot.Target{tb}},
		{"fail open to candidates", []snapshot.Target{ta}, []snapshot.Target{ta, tb}, nil, []snapshot.Target{ta}},
		{"empty zone uses healthy of all", nil, []snapshot.Target{ta, tb}, []snapshot.Target{tb}, []snapshot.Target{tb}},
		{"empty zone, none healthy: all", nil, []snapshot.Target{ta, tb}, nil, []snapshot.Target{ta, tb}},
		{"nothing registered", nil, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &route{tg: tg, cands: tc.cands, all: tc.all}
			h := healthView{}
			for _, t := range tc.healthy {
				h[key(t)] = true
			}
			seen := map[targetKey]bool{}
			for flow := uint64(0); flow < 16; flow++ {
				got, ok := r.pick(h, flow)
				if !ok {
					if tc.want != nil {
						t.Fatal("no target picked")
					}
					return
				}
				seen[key(got)] = true
			}
			if len(seen) != len(tc.want) {
				t.Fatalf("picked %v, want %v", seen, tc.want)
			}
			for _, w := range tc.want {
				if !seen[key(w)] {
					t.Fatalf("never picked %v", w.IP)
				}
			}
		})
	}
}

func TestBuildPlan(t *testing.T) {
	tp := newTopo(t)
	tp.tg.Targets = []snapshot.Target{{IP: tp.ip(100), Port: 80, Zone: "za"},
		{IP: tp.ip(101), Port: 80, Zone: "za", DeregisteredAt: time.Now()}}
	tp.ep.ENIs[0].IPv6 = netip.MustParseAddr("fd00:16::10")
	pending := tp.ep
	pending.ID, pending.State = "vpce-pending", "pendingAcceptance"
	pending.ENIs = []snapshot.ENI{{Zone: "za", IPv4: tp.ip(30)}}
	tp.extraEndpoints = []snapshot.Endpoint{pending}
	s := tp.snap()
	unused := &snapshot.TargetGroup{ARN: "tg-unused", Targets: []snapshot.Target{{IP: tp.ip(102), Port: 80}}}
	s.TargetGroups[unused.ARN] = unused

	p := buildPlan(s, nil)
	want := map[string]string{
		tp.eni(tp.eniA): KindEndpoint, tp.eni(tp.eniB): KindEndpoint,
		netip.AddrPortFrom(netip.MustParseAddr("fd00:16::10"), tp.port).String(): KindEndpoint,
		tp.eni(tp.nodeA): KindLoadBalancer, tp.eni(tp.nodeB): KindLoadBalancer,
	}
	if len(p.routes) != len(want) {
		t.Errorf("routes = %d, want %d", len(p.routes), len(want))
	}
	for addr, kind := range want {
		r := p.routes[netip.MustParseAddrPort(addr)]
		if r == nil || r.kind != kind {
			t.Errorf("route %s = %+v, want kind %s", addr, r, kind)
		}
	}
	if r := p.routes[netip.MustParseAddrPort(tp.eni(tp.eniB))]; r.srcV4 != tp.nodeB {
		t.Errorf("zone b source = %v, want node b", r.srcV4)
	}
	states := map[string]string{}
	for k := range p.checks {
		states[k.ap.Addr().String()] = "checked"
	}
	for k, st := range p.static {
		states[k.ap.Addr().String()] = st.State
	}
	wantStates := map[string]string{tp.ip(100).String(): "checked", tp.ip(101).String(): "draining", tp.ip(102).String(): "unused"}
	for ip, st := range wantStates {
		if states[ip] != st {
			t.Errorf("target %s: %q, want %q", ip, states[ip], st)
		}
	}
}

// The flow hash is a pure function of the 4-tuple (the same connection
// always goes to the same target, whoever computes it), depends on the
// direction, and spreads consecutive client ports evenly over targets.
func TestFlowHash(t *testing.T) {
	tuples := [][2]string{
		{"127.0.0.1:40000", "127.16.0.10:80"},
		{"127.0.0.1:40001", "127.16.0.10:80"},
		{"[::1]:40000", "[fd00:16::10]:443"},
	}
	seen := map[uint64]string{}
	for _, tu := range tuples {
		// Values built twice from text: nothing may depend on identity,
		// time or a per-process seed.
		h1 := flowHash(netip.MustParseAddrPort(tu[0]), netip.MustParseAddrPort(tu[1]))
		h2 := flowHash(netip.MustParseAddrPort(tu[0]), netip.MustParseAddrPort(tu[1]))
		if h1 != h2 {
			t.Errorf("flowHash(%s, %s) = %#x, then %#x: not deterministic", tu[0], tu[1], h1, h2)
		}
		if back := flowHash(netip.MustParseAddrPort(tu[1]), netip.MustParseAddrPort(tu[0])); back == h1 {
			t.Errorf("flowHash(%s, %s) equals the reverse direction", tu[0], tu[1])
		}
		if other, dup := seen[h1]; dup {
			t.Errorf("flowHash(%s, %s) collides with %s", tu[0], tu[1], other)
		}
		seen[h1] = tu[0] + " " + tu[1]
	}

	// 6,000 consecutive client ports over n targets: every target gets
	// its share within 10 %.
	dst := netip.MustParseAddrPort("127.16.0.10:80")
	const flows = 6000
	for _, n := range []int{2, 3, 4, 5} {
		counts := make([]int, n)
		for p := range flows {
			src := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(30000+p))
			counts[flowHash(src, dst)%uint64(n)]++
		}
		want := flows / n
		for i, c := range counts {
			if c < want*9/10 || c > want*11/10 {
				t.Errorf("%d targets: target %d got %d of %d flows, want %d +- 10%% (%v)", n, i, c, flows, want, counts)
			}
		}
	}
}

func TestHTTPHealthCheck(t *testing.T) {
	tp := newTopo(t)
	b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
	tp.addTarget(b, "za")
	// An HTTP health endpoint on its own port of the target's address.
	var status atomic.Int32
	status.Store(200)
	var gotHost atomic.Value
	hln, err := net.Listen("tcp", netip.AddrPortFrom(tp.ip(100), 0).String())
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost.Store(r.Host)
		w.WriteHeader(int(status.Load()))
	})}
	go srv.Serve(hln)
	defer srv.Close()
	tp.tg.HealthCheck.Protocol = "HTTP"
	tp.tg.HealthCheck.Path = "/health"
	tp.tg.HealthCheck.Matcher = "200,202"
	tp.tg.HealthCheck.Port = fmt.Sprint(addrPort(hln.Addr()).Port())
	hl := &healthLog{}
	f := newForwarder(t, defaultEngine, hl) // health checks do not depend on the engine
	mustApply(t, f, tp.snap())
	waitFor(t, "healthy", func() bool { return hl.get(b.addr).State == "healthy" })
	if h, _ := gotHost.Load().(string); h != tp.eni(tp.nodeA) {
		t.Errorf("Host header = %q, want node address and listener port %s", h, tp.eni(tp.nodeA))
	}
	status.Store(503)
	waitFor(t, "unhealthy", func() bool { return hl.get(b.addr).State == "unhealthy" })
	if r := hl.get(b.addr); r.Reason != "Target.ResponseCodeMismatch" || r.Description != "Health checks failed with these codes: [503]" {
		t.Errorf("report = %+v", r)
	}
	// Recovery needs HealthyThreshold (2) successes in a row.
	status.Store(202)
	waitFor(t, "healthy again", func() bool { return hl.get(b.addr).State == "healthy" })

	// A group no listener uses is reported unused.
	tp.lb.Listeners = nil
	f.Apply(tp.snap())
	if r := hl.get(b.addr); r.State != "unused" || r.Reason != "Target.NotInUse" {
		t.Errorf("report = %+v, want unused", r)
	}
}

// TestNoLeaks runs 10,000 short connections through one listener and
// checks goroutines and file descriptors come back to the baseline.
func TestNoLeaks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		if testing.Short() {
			t.Skip("10,000 connections")
		}
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		f := newForwarder(t, engine, nil)
		mustApply(t, f, tp.snap())
		// Warm up once so lazily started runtime goroutines are in the baseline.
		if _, err := which(t, netip.Addr{}, tp.eni(tp.eniA)); err != nil {
			t.Fatal(err)
		}
		baseG, baseFD := runtime.NumGoroutine(), openFDs(t)

		const total, workers = 10_000, 8
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= total {
					c, err := net.DialTimeout("tcp", tp.eni(tp.eniA), 5*time.Second)
					if err != nil {
						errs <- err
						return
					}
					c.SetDeadline(time.Now().Add(5 * time.Second))
					io.WriteString(c, "x")
					c.(*net.TCPConn).CloseWrite()
					got, err := io.ReadAll(c)
					c.Close()
					if err != nil || string(got) != "b1\nxbye" {
						errs <- fmt.Errorf("got %q, %v", got, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		waitFor(t, "goroutines and fds back to the baseline", func() bool {
			return runtime.NumGoroutine() <= baseG+5 && openFDs(t) <= baseFD+5
		})
	})
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// The health checker stops with the forwarder.
func TestCloseStopsHealthChecks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		tp := newTopo(t)
		b := startBackend(t, "b1", netip.AddrPortFrom(tp.ip(100), 0), false)
		tp.addTarget(b, "za")
		base := runtime.NumGoroutine()
		f := New(Options{Engine: engine})
		mustApply(t, f, tp.snap())
		if err := f.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "goroutines gone", func() bool { return runtime.NumGoroutine() <= base })
	})
}

// sortOrder with the plan before gives the order a full sort gives, over
// random additions and removals.
func TestSortOrderMergesPrev(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	addr := func() netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, byte(rnd.IntN(3)), byte(rnd.IntN(40)), byte(rnd.IntN(250))}),
			uint16(rnd.IntN(3)*1000+80))
	}
	plan := func(addrs []netip.AddrPort) *plan {
		p := &plan{routes: map[netip.AddrPort]*route{}}
		for _, a := range addrs {
			if _, ok := p.routes[a]; !ok {
				p.routes[a] = &route{addr: a, addrText: a.String()}
				p.order = append(p.order, a)
			}
		}
		return p
	}
	var cur []netip.AddrPort
	for range 300 {
		cur = append(cur, addr())
	}
	prev := plan(cur)
	prev.sortOrder(nil)
	for i := range 200 {
		next := slices.Clone(prev.order)
		rnd.Shuffle(len(next), func(a, b int) { next[a], next[b] = next[b], next[a] })
		next = next[:len(next)-rnd.IntN(min(len(next), 20))]
		for range rnd.IntN(20) {
			next = append(next, addr())
		}
		got, want := plan(next), plan(next)
		got.sortOrder(prev)
		want.sortOrder(nil)
		if !slices.Equal(got.order, want.order) {
			t.Fatalf("change %d: merged order differs from the full sort:\n got %v\nwant %v", i, got.order, want.order)
		}
		prev = got
	}
}
