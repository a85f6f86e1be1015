package dataplane

import (
	"fmt"
	"testing"
	"time"
)

// Health checks of the fault tests: HTTP on the traffic port, the fastest
// AWS allows: every 5 s, 2 s timeout, 2 failures to turn unhealthy, 2
// successes to recover.
const (
	hcInterval  = 5 * time.Second
	hcTimeout   = 2 * time.Second
	hcUnhealthy = 2
	hcHealthy   = 2
)

var hcArgs = []string{"--health-check-protocol", "HTTP", "--health-check-path", "/",
	"--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
	"--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2"}

// slack is what the failure window may exceed the health check window by:
// scheduling on a loaded machine.
const slack = 2 * time.Second

// fault is one way a target goes wrong.
type fault struct {
	name   string
	inject func(*target) error
	// timesOut: health checks of the faulty target time out rather than
	// fail at once, so the window grows by the check timeouts.
	timesOut bool
}

var faults = []fault{
	{"kill", func(tg *target) error { tg.kill(); return nil }, false},
	{"reset", func(tg *target) error { tg.set(modeReset); return nil }, false},
	{"hang", func(tg *target) error { tg.set(modeHang); return nil }, true},
	{"blackhole", (*target).blackhole, true},
}

// TestTargetFaults breaks one of three targets behind an endpoint under
// load, in each way of faults (in parallel, one service each): killed
// (refuses), resetting (accepts, then RST), hung (accepts, never answers)
// and blackholed (SYNs dropped). Connections may fail only inside the
// health check window (interval × unhealthy threshold; (interval +
// timeout) × threshold when checks time out; plus slack for scheduling), never before
// the fault nor after it; once the target is restarted it takes traffic
// again. TestTargetFaults also runs the fail-open case: all targets fail
// their health checks yet serve, then all die, then all come back.
func TestTargetFaults(t *testing.T) {
	e := newEnv(t)
	type setup struct {
		f       fault
		svc     *service
		ep      endpoint
		targets []*target
	}
	var setups []setup
	for i, f := range faults {
		ts := []*target{startTarget(t, "A"), startTarget(t, "B"), startTarget(t, "C")}
		svc := e.newService([]string{ts[0].arg(), ts[1].arg(), ts[2].arg()}, false, hcArgs...)
		setups = append(setups, setup{f, svc, e.createEndpoint(svc, i), ts})
	}
	open := []*target{startTarget(t, "A"), startTarget(t, "B"), startTarget(t, "C")}
	openSvc := e.newService([]string{open[0].arg(), open[1].arg(), open[2].arg()}, false, hcArgs...)
	openEP := e.createEndpoint(openSvc, 0)
	e.serve(10 * time.Second)

	t.Run("group", func(t *testing.T) {
		for _, s := range setups {
			t.Run(s.f.name, func(t *testing.T) {
				t.Parallel()
				targetFault(t, e, s.f, s.svc, s.ep, s.targets)
			})
		}
		t.Run("fail-open", func(t *testing.T) {
			t.Parallel()
			failOpen(t, e, openSvc, openEP, open)
		})
	})
}

func allHealthy(ts []*target) map[string]string {
	m := map[string]string{}
	for _, tg := range ts {
		m[tg.key()] = "healthy"
	}
	return m
}

// loadWorkers and loadPause size the load of each fault case.
func loadShape() (int, time.Duration) {
	if *full {
		return 2, 10 * time.Millisecond
	}
	return 1, 20 * time.Millisecond
}

// waitState polls describe-target-health every 200 ms until key has
// state, up to d, and returns when it was first seen.
func (e *env) waitState(tg, key, state string, d time.Duration) (time.Time, error) {
	deadline := time.Now().Add(d)
	for {
		if e.targetStates(tg)[key] == state {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("target %s not %s within %v: %v", key, state, d, e.targetStates(tg))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func targetFault(t *testing.T, e *env, f fault, svc *service, ep endpoint, ts []*target) {
	e.waitHealth(svc.TG, 30*time.Second, allHealthy(ts))
	workers, pause := loadShape()
	ld := startLoad(ep.Addr, workers, pause)
	time.Sleep(time.Second) // a baseline of healthy load, measured below

	// A check that times out delays the next one by the timeout (the
	// interval runs from the end of a check).
	window := hcInterval * hcUnhealthy
	if f.timesOut {
		window = (hcInterval + hcTimeout) * hcUnhealthy
	}
	a := ts[0]
	t0 := time.Now()
	if err := f.inject(a); err != nil {
		ld.stop()
		t.Skipf("cannot inject %s: %v", f.name, err)
	}
	detected, err := e.waitState(svc.TG, a.key(), "unhealthy", window+slack+5*time.Second)
	if err != nil {
		ld.stop()
		t.Fatal(err)
	}
	// Quiet time after the window: no failure may happen there.
	if rest := time.Until(t0.Add(window + slack + 3*time.Second)); rest > 0 {
		time.Sleep(rest) // a measured window
	}
	t1 := time.Now()
	if err := a.restart(); err != nil {
		ld.stop()
		t.Fatalf("restarting %s: %v", a.key(), err)
	}
	var recovered time.Time
	for deadline := t1.Add(hcInterval*(hcHealthy+1) + slack + 5*time.Second); recovered.IsZero() && time.Now().Before(deadline); {
		for _, at := range ld.snapshot() {
			if at.err == nil && at.name == "A" && at.start.After(t1) {
				recovered = at.start
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // healthy load after recovery, measured below
	attempts := ld.stop()

	var inWindow, before, after int
	var first, last time.Duration = -1, -1
	var firstErr, outsideErr error
	reachedA := 0
	for _, at := range attempts {
		if at.err == nil {
			if at.name == "A" && at.start.Before(t0) {
				reachedA++
			}
			continue
		}
		off := at.start.Sub(t0)
		switch {
		case at.end.Before(t0):
			before++
			outsideErr = fmt.Errorf("%v before the fault: %v", off, at.err)
		case off <= window+slack:
			inWindow++
			off = max(off, 0) // begun before the fault, failed by it
			if first < 0 {
				first, firstErr = off, at.err
			}
			last = off
		default:
			after++
			outsideErr = fmt.Errorf("%v after the fault: %v", off, at.err)
		}
	}
	recovery := time.Duration(-1)
	if !recovered.IsZero() {
		recovery = recovered.Sub(t1)
	}
	report(t, "faults-"+f.name, "conns", len(attempts), "failed", inWindow+before+after, "failed_outside_window", before+after,
		"first_fail_ms", ms(first), "last_fail_ms", ms(last), "window_ms", ms(window),
		"unhealthy_seen_ms", ms(detected.Sub(t0)), "recovery_ms", ms(recovery),
		"recovery_bound_ms", ms((hcInterval+hcTimeout)*hcHealthy))
	if firstErr != nil {
		t.Logf("first failure %v after the fault: %v", first, firstErr)
	}
	if before+after > 0 {
		t.Errorf("%d connections failed outside the health check window (%v + %v slack after the fault); e.g. %v",
			before+after, window, slack, outsideErr)
	}
	if reachedA == 0 {
		t.Errorf("target A took no connection before the fault: the test proves nothing")
	}
	if recovered.IsZero() {
		t.Errorf("target A took no connection after its restart")
	}
}

// failOpen makes every target fail its health checks while still serving
// (fail-open: no connection may fail once all are unhealthy), then kills
// them all (connections fail), then restarts them (traffic recovers).
func failOpen(t *testing.T, e *env, svc *service, ep endpoint, ts []*target) {
	e.waitHealth(svc.TG, 30*time.Second, allHealthy(ts))
	workers, pause := loadShape()
	ld := startLoad(ep.Addr, workers, pause)
	t0 := time.Now()
	for _, tg := range ts {
		tg.set(modeSick)
	}
	want := map[string]string{}
	for _, tg := range ts {
		want[tg.key()] = "unhealthy"
	}
	e.waitHealth(svc.TG, hcInterval*hcUnhealthy+slack+10*time.Second, want)
	allDown := time.Now()
	time.Sleep(3 * time.Second) // measured: fail-open traffic
	tKill := time.Now()
	for _, tg := range ts {
		tg.kill()
	}
	// Connections between tKill and killed may still reach the last one.
	killed := time.Now()
	time.Sleep(2 * time.Second) // measured: all dead
	tRestart := time.Now()
	for _, tg := range ts {
		if err := tg.restart(); err != nil {
			ld.stop()
			t.Fatal(err)
		}
	}
	var recovered time.Time
	for deadline := tRestart.Add(20 * time.Second); recovered.IsZero() && time.Now().Before(deadline); {
		for _, at := range ld.snapshot() {
			if at.err == nil && at.start.After(tRestart) {
				recovered = at.start
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // measured: after recovery
	attempts := ld.stop()

	var transition, open, dead, afterRecovery, openConns, deadConns int
	var openErr, lateErr error
	// Each phase counts the connections that began and ended inside it.
	for _, at := range attempts {
		switch {
		case at.start.Before(allDown):
			if at.err != nil {
				transition++
			}
		case at.end.Before(tKill):
			openConns++
			if at.err != nil {
				open++
				openErr = fmt.Errorf("%v after all were unhealthy: %w", at.start.Sub(allDown), at.err)
			}
		case at.start.Before(killed):
		case at.end.Before(tRestart):
			deadConns++
			if at.err != nil {
				dead++
			}
		case at.start.Before(tRestart):
		case !recovered.IsZero() && !at.start.Before(recovered):
			if at.err != nil {
				afterRecovery++
				lateErr = at.err
			}
		}
	}
	recovery := time.Duration(-1)
	if !recovered.IsZero() {
		recovery = recovered.Sub(tRestart)
	}
	report(t, "faults-fail-open", "conns", len(attempts), "all_unhealthy_after_ms", ms(allDown.Sub(t0)),
		"failed_while_turning_unhealthy", transition, "fail_open_conns", openConns, "fail_open_failed", open,
		"all_dead_conns", deadConns, "all_dead_failed", dead, "recovery_ms", ms(recovery), "failed_after_recovery", afterRecovery)
	if open > 0 {
		t.Errorf("fail-open: %d of %d connections failed with every target unhealthy but serving; e.g. %v", open, openConns, openErr)
	}
	if openConns == 0 {
		t.Errorf("no connection while every target was unhealthy")
	}
	if deadConns > 0 && dead != deadConns {
		t.Errorf("all targets dead: %d of %d connections succeeded", deadConns-dead, deadConns)
	}
	if recovered.IsZero() {
		t.Errorf("no connection succeeded within 20 s of restarting every target")
	}
	if afterRecovery > 0 {
		t.Errorf("%d connections failed after traffic recovered; e.g. %v", afterRecovery, lateErr)
	}
}
