package netstack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plink-dev/plink/internal/snapshot"
)

// healthState is a target's health as describe-target-health shows it.
type healthState struct {
	State       string // initial | healthy | unhealthy | draining | unused
	Reason      string
	Description string
}

var stateInitial = healthState{State: "initial", Reason: "Elb.InitialHealthChecking",
	Description: "Initial health checks in progress"}

// healthChecker runs one goroutine per checked target. A target starts
// "initial" and gets no traffic while a healthy target exists (fail-open
// covers the rest). Deliberate difference from AWS, for responsiveness: the
// first successful check of an initial target marks it healthy at once;
// after that the thresholds apply exactly (UnhealthyThreshold consecutive
// failures to turn unhealthy, HealthyThreshold successes to recover). An
// initial target turns unhealthy after UnhealthyThreshold failures.
type healthChecker struct {
	log         *slog.Logger
	dialer      *sourceDialer
	m           *metrics
	onReport    func([]snapshot.HealthReport)
	onUnhealthy func(targetKey)
	// onFDLimit hears of checks that could not run for want of file
	// descriptors: the forwarder's problem, not the target's, so they
	// do not count against it.
	onFDLimit func(error)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	checks map[targetKey]*check
	states map[targetKey]healthState
	view   atomic.Pointer[healthView] // replaced whole under mu, read lock-free
}

// check is one target's running health check.
type check struct {
	spec   *checkSpec // guarded by healthChecker.mu
	cancel context.CancelFunc
	oks    int // consecutive, guarded by healthChecker.mu
	fails  int
	gone   bool
}

func newHealthChecker(log *slog.Logger, d *sourceDialer, m *metrics,
	onReport func([]snapshot.HealthReport), onUnhealthy func(targetKey)) *healthChecker {
	ctx, cancel := context.WithCancel(context.Background())
	h := &healthChecker{
		log: log, dialer: d, m: m, onReport: onReport, onUnhealthy: onUnhealthy,
		ctx: ctx, cancel: cancel,
		checks: map[targetKey]*check{}, states: map[targetKey]healthState{},
	}
	h.view.Store(&healthView{})
	return h
}

// current returns the live set of healthy targets.
func (h *healthChecker) current() healthView { return *h.view.Load() }

// apply starts, updates and stops checks to match a plan.
func (h *healthChecker) apply(p *plan) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var reports []snapshot.HealthReport
	for key, c := range h.checks {
		if _, ok := p.checks[key]; !ok {
			c.cancel()
			c.gone = true
			delete(h.checks, key)
		}
	}
	for key, spec := range p.checks {
		if c, ok := h.checks[key]; ok {
			c.spec = spec
			continue
		}
		ctx, cancel := context.WithCancel(h.ctx)
		c := &check{spec: spec, cancel: cancel}
		h.checks[key] = c
		if r, changed := h.setLocked(key, stateInitial); changed {
			reports = append(reports, r)
		}
		h.wg.Add(1)
		go h.run(ctx, key, c)
	}
	for key, st := range p.static {
		if r, changed := h.setLocked(key, st); changed {
			reports = append(reports, r)
		}
	}
	for key := range h.states {
		_, checked := p.checks[key]
		_, static := p.static[key]
		if !checked && !static {
			delete(h.states, key)
			h.m.health.DeleteLabelValues(key.tg, key.String())
		}
	}
	h.rebuildLocked()
	if len(reports) > 0 && h.onReport != nil {
		h.onReport(reports)
	}
}

// setLocked records a state and says whether it changed.
func (h *healthChecker) setLocked(key targetKey, st healthState) (snapshot.HealthReport, bool) {
	old, ok := h.states[key]
	if ok && old == st {
		return snapshot.HealthReport{}, false
	}
	h.states[key] = st
	v := 0.0
	if st.State == "healthy" {
		v = 1
	}
	h.m.health.WithLabelValues(key.tg, key.String()).Set(v)
	return snapshot.HealthReport{
		TargetGroupARN: key.tg, IP: key.ap.Addr(), Port: key.ap.Port(),
		State: st.State, Reason: st.Reason, Description: st.Description,
	}, true
}

func (h *healthChecker) rebuildLocked() {
	v := make(healthView, len(h.states))
	for key, st := range h.states {
		if st.State == "healthy" {
			v[key] = true
		}
	}
	h.view.Store(&v)
}

// close stops every check and waits for them.
func (h *healthChecker) close() {
	h.cancel()
	h.wg.Wait()
}

func (h *healthChecker) run(ctx context.Context, key targetKey, c *check) {
	defer h.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		h.mu.Lock()
		spec := c.spec
		h.mu.Unlock()
		res := probe(ctx, h.dialer, spec)
		if ctx.Err() != nil {
			return
		}
		if res.fdLimit != nil {
			if h.onFDLimit != nil {
				h.onFDLimit(res.fdLimit)
			}
			timer.Reset(spec.hc.Interval)
			continue
		}
		h.record(key, c, spec, res)
		timer.Reset(spec.hc.Interval)
	}
}

// record applies one check result to the target's state machine.
func (h *healthChecker) record(key targetKey, c *check, spec *checkSpec, res probeResult) {
	h.mu.Lock()
	if c.gone {
		h.mu.Unlock()
		return
	}
	if res.ok {
		c.oks, c.fails = c.oks+1, 0
	} else {
		c.oks, c.fails = 0, c.fails+1
	}
	cur := h.states[key]
	next := cur
	healthy := healthState{State: "healthy"}
	unhealthy := healthState{State: "unhealthy", Reason: res.reason, Description: res.desc}
	switch cur.State {
	case "initial":
		if res.ok {
			next = healthy
		} else if c.fails >= spec.hc.UnhealthyThreshold {
			next = unhealthy
		}
	case "healthy":
		if !res.ok && c.fails >= spec.hc.UnhealthyThreshold {
			next = unhealthy
		}
	case "unhealthy":
		if res.ok && c.oks >= spec.hc.HealthyThreshold {
			next = healthy
		} else if !res.ok {
			next = unhealthy // the reason may change
		}
	}
	r, changed := h.setLocked(key, next)
	if changed {
		h.rebuildLocked()
		h.log.Info("target health changed", "target_group", key.tg, "target", key.String(),
			"from", cur.State, "to", next.State, "reason", next.Reason)
		if h.onReport != nil {
			h.onReport([]snapshot.HealthReport{r})
		}
	}
	h.mu.Unlock()
	if changed && next.State == "unhealthy" && cur.State != "unhealthy" && h.onUnhealthy != nil {
		h.onUnhealthy(key)
	}
}

// probeResult is one health check's outcome.
type probeResult struct {
	ok     bool
	reason string
	desc   string
	// fdLimit is set when the check could not run for want of file
	// descriptors here: no result about the target.
	fdLimit error
}

// probe runs one TCP or HTTP health check from the node address.
func probe(ctx context.Context, d *sourceDialer, spec *checkSpec) probeResult {
	hc := spec.hc
	dst := netip.AddrPortFrom(spec.key.ap.Addr(), checkPort(hc, spec.key.ap.Port()))
	ctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	defer cancel()
	conn, err := d.dial(ctx, spec.src, dst, hc.Timeout)
	if err != nil {
		return failure(err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if spec.ppv2 {
		if _, err := conn.Write(localHeader()); err != nil {
			return failure(err)
		}
	}
	if !strings.EqualFold(hc.Protocol, "HTTP") {
		return probeResult{ok: true}
	}
	host := spec.host
	path := hc.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUser-Agent: ELB-HealthChecker/2.0\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return failure(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return failure(err)
	}
	resp.Body.Close()
	if !matchCode(hc.Matcher, resp.StatusCode) {
		return probeResult{reason: "Target.ResponseCodeMismatch",
			desc: fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode)}
	}
	return probeResult{ok: true}
}

func failure(err error) probeResult {
	if IsFDLimit(err) {
		return probeResult{fdLimit: err}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return probeResult{reason: "Target.Timeout", desc: "Request timed out"}
	}
	return probeResult{reason: "Target.FailedHealthChecks", desc: "Health checks failed"}
}

// matchCode reports whether an HTTP status matches an NLB matcher such as
// "200-399", "200" or "200,202".
func matchCode(matcher string, code int) bool {
	if strings.TrimSpace(matcher) == "" {
		matcher = "200-399"
	}
	for _, part := range strings.Split(matcher, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				continue
			}
		}
		if code >= a && code <= b {
			return true
		}
	}
	return false
}
