package dataplane

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/test/testenv"
)

// TestChurnUnderLoad keeps a bounded stream of short connections and one
// long-lived stream going through one endpoint while other endpoints are
// created, accepted and deleted (500 with -reliability.full, 50 in CI)
// and security groups flip on both the untouched endpoint and the churned
// ones, always admitting 127.0.0.1. The untouched endpoint must not fail
// a single connection. It reports how long a committed accept takes to
// open the new endpoint's listener (the design figure is 250 ms) and a
// delete to close it; those are figures, not assertions.
func TestChurnUnderLoad(t *testing.T) {
	n := size(50, 500)
	e := newEnv(t)
	tgt := startTarget(t, "web")
	steady := e.newService([]string{tgt.arg()}, false)
	churn := e.newService([]string{tgt.arg()}, true)
	e.defaults()
	// The flipping group: attached to the untouched endpoint next to the
	// default group (which admits 127.0.0.1 throughout), its rules and
	// membership change all the time.
	flip := e.text(consumer, "GroupId", "create-security-group", "--group-name", "flip",
		"--description", "flipped during churn", "--vpc-id", e.cvpc)
	other := e.text(consumer, "GroupId", "create-security-group", "--group-name", "other",
		"--description", "added and removed during churn", "--vpc-id", e.cvpc)
	ep0 := e.createEndpoint(steady, 0, "--security-group-ids", e.sg, "--security-group-ids", flip)
	e.serve(10 * time.Second)
	testenv.Eventually(t, 5*time.Second, func() error { _, err := oneShot(ep0.Addr, "warm-up"); return err })

	ld := startLoad(ep0.Addr, size(3, 4), 5*time.Millisecond)
	st := startStream(ep0.Addr, 20*time.Millisecond)

	var stopFlip atomic.Bool
	var flips atomic.Int64
	var flipErrs []string
	var flipMu sync.Mutex
	var flipWG sync.WaitGroup
	flipWG.Add(1)
	go func() {
		defer flipWG.Done()
		port := fmt.Sprint(steady.Port)
		for i := 0; !stopFlip.Load(); i++ {
			var args []string
			switch i % 4 {
			case 0:
				args = []string{"authorize-security-group-ingress", "--group-id", flip, "--protocol", "tcp", "--port", port, "--cidr", "127.0.0.2/32"}
			case 1:
				args = []string{"modify-endpoint", "--vpc-endpoint-id", ep0.ID, "--add-security-group-ids", other}
			case 2:
				args = []string{"revoke-security-group-ingress", "--group-id", flip, "--protocol", "tcp", "--port", port, "--cidr", "127.0.0.2/32"}
			case 3:
				args = []string{"modify-endpoint", "--vpc-endpoint-id", ep0.ID, "--remove-security-group-ids", other}
			}
			if out, errOut, err := e.run(consumer, args...); err != nil {
				flipMu.Lock()
				flipErrs = append(flipErrs, fmt.Sprintf("%v: %v: %s%s", args, err, out, errOut))
				flipMu.Unlock()
				return
			}
			flips.Add(1)
			time.Sleep(20 * time.Millisecond) // pacing the flips, not synchronising
		}
	}()

	// Churn workers: create (pendingAcceptance, with the default and the
	// flipping group),
	// accept, time until the listener accepts, delete, time until it
	// refuses.
	var mu sync.Mutex
	var up, down []time.Duration
	var churnErrs []string
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				u, d, err := churnOne(e, churn, i, flip)
				mu.Lock()
				if err != nil {
					churnErrs = append(churnErrs, err.Error())
				} else {
					up, down = append(up, u), append(down, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	churnTook := time.Since(start)
	stopFlip.Store(true)
	flipWG.Wait()
	time.Sleep(200 * time.Millisecond) // a little steady load after the churn, not synchronising
	attempts := ld.stop()
	st.stop()

	failed := 0
	var firstErr error
	for _, a := range attempts {
		if a.err != nil {
			failed++
			if firstErr == nil {
				firstErr = a.err
			}
		}
	}
	report(t, "churn", "endpoints", n, "churn_s", fmt.Sprintf("%.1f", churnTook.Seconds()),
		"sg_flips", flips.Load(), "conns", len(attempts), "failed", failed,
		"stream_lines", st.lines.Load(), "stream_failed", st.failures.Load(),
		"reconcile_up_p50_ms", ms(percentile(up, 50)), "reconcile_up_p99_ms", ms(percentile(up, 99)),
		"reconcile_up_max_ms", ms(percentile(up, 100)),
		"reconcile_down_p50_ms", ms(percentile(down, 50)), "reconcile_down_max_ms", ms(percentile(down, 100)),
		"churn_errors", len(churnErrs))
	if failed > 0 {
		t.Errorf("%d of %d connections through the untouched endpoint failed; first: %v", failed, len(attempts), firstErr)
	}
	if f := st.failures.Load(); f > 0 {
		t.Errorf("the long-lived stream through the untouched endpoint failed %d times; last: %v", f, st.lastErr.Load())
	}
	if len(churnErrs) > 0 {
		t.Errorf("%d churned endpoints went wrong; first: %s", len(churnErrs), churnErrs[0])
	}
	if len(flipErrs) > 0 {
		t.Errorf("security group flips failed: %v", flipErrs)
	}
	if len(attempts) < 100 {
		t.Errorf("only %d connections through the untouched endpoint during the churn", len(attempts))
	}
}

// reconcileLimit bounds how long a churned endpoint may take to open or
// close before the test calls it lost.
const reconcileLimit = 10 * time.Second

// churnOne runs one churned endpoint through its life and returns how long
// the accept and the delete took to reach the data plane.
func churnOne(e *env, svc *service, i int, sg string) (up, down time.Duration, err error) {
	ep, err := e.tryCreateEndpoint(svc, i, "--security-group-ids", e.sg, "--security-group-ids", sg)
	if err != nil {
		return 0, 0, err
	}
	if out, errOut, err := e.run(provider, "accept-endpoint-connections", "--service-id", svc.ID, "--vpc-endpoint-ids", ep.ID,
		"--query", "length(Unsuccessful)", "-o", "text"); err != nil || out != "0\n" {
		return 0, 0, fmt.Errorf("accept %s: %v: %s%s", ep.ID, err, out, errOut)
	}
	committed := time.Now()
	if up, err = waitListener(ep.Addr, true, committed); err != nil {
		return 0, 0, fmt.Errorf("endpoint %s after accept: %w", ep.ID, err)
	}
	if i%5 == 0 {
		if _, errOut, err := e.run(consumer, "modify-endpoint", "--vpc-endpoint-id", ep.ID, "--remove-security-group-ids", sg); err != nil {
			return 0, 0, fmt.Errorf("modify-endpoint %s: %v: %s", ep.ID, err, errOut)
		}
	}
	if out, errOut, err := e.run(consumer, "delete-endpoints", "--vpc-endpoint-ids", ep.ID,
		"--query", "length(Unsuccessful)", "-o", "text"); err != nil || out != "0\n" {
		return 0, 0, fmt.Errorf("delete %s: %v: %s%s", ep.ID, err, out, errOut)
	}
	if down, err = waitListener(ep.Addr, false, time.Now()); err != nil {
		return 0, 0, fmt.Errorf("endpoint %s after delete: %w", ep.ID, err)
	}
	return up, down, nil
}

// waitListener polls addr every 2 ms until it accepts (open) or refuses
// (!open) and returns the time since from.
func waitListener(addr string, open bool, from time.Time) (time.Duration, error) {
	deadline := from.Add(reconcileLimit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		switch {
		case open && err == nil:
			return time.Since(from), nil
		case !open && errors.Is(err, syscall.ECONNREFUSED):
			return time.Since(from), nil
		case open && err != nil && !errors.Is(err, syscall.ECONNREFUSED):
			return 0, fmt.Errorf("dial %s: %w", addr, err)
		}
		if time.Now().After(deadline) {
			state := "accepting"
			if open {
				state = "refusing"
			}
			return 0, fmt.Errorf("%s still %s %v after the commit", addr, state, reconcileLimit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
