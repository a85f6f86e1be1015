package control

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
)

// ledger is what the successful commands of every writer imply the store
// holds, built from their outputs.
type ledger struct {
	mu        sync.Mutex
	tgs       map[string]map[string]string // target group ARN -> tags
	nlbs      map[string]bool
	listeners map[string]string // listener ARN -> load balancer ARN
	services  map[string]bool   // service ID -> acceptance required
	allowed   map[string][]string
	endpoints map[string]string // endpoint ID -> state ("" when deleted)
	groups    map[string][]int  // security group ID -> ingress ports
}

func newLedger() *ledger {
	return &ledger{tgs: map[string]map[string]string{}, nlbs: map[string]bool{}, listeners: map[string]string{},
		services: map[string]bool{}, allowed: map[string][]string{}, endpoints: map[string]string{}, groups: map[string][]int{}}
}

func (l *ledger) do(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f()
}

// tally counts a writer's commands.
type tally struct {
	mu                        sync.Mutex
	ok, locked, failed, total int
	failures                  []string
}

func (t *tally) add(r result) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	switch {
	case r.code == 0 && !r.timedOut:
		t.ok++
		return true
	case strings.Contains(r.stderr, "database is locked") || strings.Contains(r.stderr, "SQLITE_BUSY"):
		t.locked++
	default:
		t.failed++
	}
	if len(t.failures) < 5 {
		t.failures = append(t.failures, r.String())
	}
	return false
}

// TestWriters runs W writer processes at once, each a stream of N mixed
// mutations as a provider and two consumers (target groups and their tags,
// load balancers, listeners, endpoint services, permissions, endpoints,
// accept and reject, security groups and rules, deletes), all on one
// store. Every command must succeed (no `database is locked`), and the
// store must hold exactly what the successful commands' outputs imply.
func TestWriters(t *testing.T) {
	procs, perProc := scale(4, 16), scale(30, 200)
	e := newEnv(t)
	pvpc := e.text(provider, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	psa := subnetsByZone(e, provider, pvpc)["us-east-1a"]
	// Two consumers: even writers connect as one, odd writers as the
	// other.
	consumers := []string{consumer, consumer2}
	var cvpc, csa [2]string
	for i, c := range consumers {
		cvpc[i] = e.text(c, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
		csa[i] = subnetsByZone(e, c, cvpc[i])["us-east-1a"]
	}

	l := newLedger()
	var tl tally
	var wg sync.WaitGroup
	for w := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			writer(e, l, &tl, w, perProc, pvpc, psa, consumers[w%2], cvpc[w%2], csa[w%2])
		}()
	}
	wg.Wait()

	lost, extra := compareLedger(e, l, consumers)
	figures(t, "writers", "procs", procs, "mutations", tl.total, "ok", tl.ok, "lost", len(lost), "extra", len(extra),
		"locked", tl.locked, "failed", tl.failed)
	for _, f := range tl.failures {
		t.Errorf("a mutation failed: %s", f)
	}
	if tl.total != procs*perProc {
		t.Errorf("%d mutations ran, want %d", tl.total, procs*perProc)
	}
	for _, s := range lost {
		t.Errorf("lost: %s", s)
	}
	for _, s := range extra {
		t.Errorf("not implied by any successful command: %s", s)
	}
	if s, err := integrity(e.db); err != nil || s != "ok" {
		t.Errorf("integrity_check: %q, %v", s, err)
	}
}

// writer runs n mutations in cycles; a failed step ends its cycle (the
// next steps need its output).
func writer(e *env, l *ledger, tl *tally, w, n int, pvpc, psa, consumer, cvpc, csa string) {
	left := n
	// step runs one mutation and returns its --query output, ok.
	step := func(account, query string, args ...string) (string, bool) {
		if left == 0 {
			return "", false
		}
		left--
		if query != "" {
			args = append(args, "--query", query, "-o", "text")
		}
		r := e.as(account, args...)
		if !tl.add(r) {
			return "", false
		}
		return strings.TrimSpace(r.stdout), true
	}
	for c := 0; left > 0; c++ {
		name := fmt.Sprintf("w%02d-%03d", w, c)
		tg, ok := step(provider, "TargetGroups[0].TargetGroupArn", "create-target-group", "--name", name,
			"--protocol", "TCP", "--port", "8080", "--vpc-id", pvpc, "--target-type", "ip")
		if !ok {
			continue
		}
		l.do(func() { l.tgs[tg] = map[string]string{} })
		if _, ok := step(provider, "", "add-tags", "--resource-arns", tg, "--tags", "Key=writer,Value="+name, "Key=cycle,Value=x"); !ok {
			continue
		}
		l.do(func() { l.tgs[tg]["writer"], l.tgs[tg]["cycle"] = name, "x" })
		if c%3 == 1 {
			if _, ok := step(provider, "", "remove-tags", "--resource-arns", tg, "--tag-keys", "cycle"); !ok {
				continue
			}
			l.do(func() { delete(l.tgs[tg], "cycle") })
		}
		nlb, ok := step(provider, "LoadBalancers[0].LoadBalancerArn", "create-load-balancer", "--name", name,
			"--type", "network", "--scheme", "internal", "--subnets", psa)
		if !ok {
			continue
		}
		l.do(func() { l.nlbs[nlb] = true })
		lis, ok := step(provider, "Listeners[0].ListenerArn", "create-listener", "--load-balancer-arn", nlb,
			"--protocol", "TCP", "--port", "80", "--default-actions", "Type=forward,TargetGroupArn="+tg)
		if !ok {
			continue
		}
		l.do(func() { l.listeners[lis] = nlb })
		svc, ok := step(provider, "ServiceConfiguration.ServiceId", "create-endpoint-service",
			"--network-load-balancer-arns", nlb, "--acceptance-required")
		if !ok {
			continue
		}
		l.do(func() { l.services[svc] = true })
		if _, ok := step(provider, "", "modify-endpoint-service-permissions", "--service-id", svc,
			"--add-allowed-principals", "arn:aws:iam::"+consumer+":root"); !ok {
			continue
		}
		l.do(func() { l.allowed[svc] = []string{"arn:aws:iam::" + consumer + ":root"} })
		svcName := "com.amazonaws.vpce.us-east-1." + svc
		ep, ok := step(consumer, "VpcEndpoint.VpcEndpointId", "create-endpoint", "--vpc-id", cvpc,
			"--service-name", svcName, "--subnet-ids", csa)
		if !ok {
			continue
		}
		l.do(func() { l.endpoints[ep] = "pendingAcceptance" })
		verb, state := "accept-endpoint-connections", "available"
		if c%2 == 1 {
			verb, state = "reject-endpoint-connections", "rejected"
		}
		if out, ok := step(provider, "length(Unsuccessful)", verb, "--service-id", svc, "--vpc-endpoint-ids", ep); !ok {
			continue
		} else if out != "0" {
			tl.add(result{args: []string{verb, ep}, code: 1, stderr: "Unsuccessful: " + out})
			continue
		}
		l.do(func() { l.endpoints[ep] = state })
		sg, ok := step(consumer, "GroupId", "create-security-group", "--group-name", name, "--description", "writer "+name,
			"--vpc-id", cvpc)
		if !ok {
			continue
		}
		l.do(func() { l.groups[sg] = nil })
		port := 1000 + c
		if _, ok := step(consumer, "", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
			"--port", fmt.Sprint(port), "--cidr", "127.0.0.0/8"); !ok {
			continue
		}
		l.do(func() { l.groups[sg] = []int{port} })
		if c%3 == 2 {
			if out, ok := step(consumer, "length(Unsuccessful)", "delete-endpoints", "--vpc-endpoint-ids", ep); ok && out == "0" {
				l.do(func() { l.endpoints[ep] = "" })
			}
		}
	}
}

// compareLedger describes the store and lists what the ledger holds that
// the store lacks (lost) and what the store holds beyond it (extra).
func compareLedger(e *env, l *ledger, consumers []string) (lost, extra []string) {
	e.t.Helper()
	var tgs struct {
		TargetGroups []struct{ TargetGroupArn string }
	}
	e.json(provider, &tgs, "describe-target-groups")
	got := map[string]bool{}
	for _, tg := range tgs.TargetGroups {
		got[tg.TargetGroupArn] = true
	}
	lost, extra = diffSets("target group", keys(l.tgs), got, lost, extra)

	// Tags, 20 resources a call as elbv2 describe-tags allows.
	tgArns := keys(l.tgs)
	for i := 0; i < len(tgArns); i += 20 {
		batch := tgArns[i:min(i+20, len(tgArns))]
		var out struct {
			TagDescriptions []struct {
				ResourceArn string
				Tags        []struct{ Key, Value string }
			}
		}
		e.json(provider, &out, append([]string{"describe-tags", "--resource-arns"}, batch...)...)
		seen := map[string]map[string]string{}
		for _, d := range out.TagDescriptions {
			m := map[string]string{}
			for _, tag := range d.Tags {
				m[tag.Key] = tag.Value
			}
			seen[d.ResourceArn] = m
		}
		for _, arn := range batch {
			if fmt.Sprint(seen[arn]) != fmt.Sprint(l.tgs[arn]) {
				lost = append(lost, fmt.Sprintf("tags of %s: %v, want %v", arn, seen[arn], l.tgs[arn]))
			}
		}
	}

	var lbs struct {
		LoadBalancers []struct{ LoadBalancerArn string }
	}
	e.json(provider, &lbs, "describe-load-balancers")
	got = map[string]bool{}
	for _, lb := range lbs.LoadBalancers {
		got[lb.LoadBalancerArn] = true
	}
	lost, extra = diffSets("load balancer", keys(l.nlbs), got, lost, extra)

	got = map[string]bool{}
	for nlb := range l.nlbs {
		var ls struct {
			Listeners []struct{ ListenerArn string }
		}
		e.json(provider, &ls, "describe-listeners", "--load-balancer-arn", nlb)
		for _, x := range ls.Listeners {
			got[x.ListenerArn] = true
		}
	}
	lost, extra = diffSets("listener", keys(l.listeners), got, lost, extra)

	var svcs struct {
		ServiceConfigurations []struct {
			ServiceId          string
			AcceptanceRequired bool
		}
	}
	e.json(provider, &svcs, "describe-endpoint-service-configurations")
	got = map[string]bool{}
	for _, s := range svcs.ServiceConfigurations {
		got[s.ServiceId] = true
		if want, ok := l.services[s.ServiceId]; ok && want != s.AcceptanceRequired {
			lost = append(lost, fmt.Sprintf("service %s AcceptanceRequired %v, want %v", s.ServiceId, s.AcceptanceRequired, want))
		}
	}
	lost, extra = diffSets("service", keys(l.services), got, lost, extra)
	for svc, want := range l.allowed {
		var out struct {
			AllowedPrincipals []struct{ Principal string }
		}
		e.json(provider, &out, "describe-endpoint-service-permissions", "--service-id", svc)
		var have []string
		for _, p := range out.AllowedPrincipals {
			have = append(have, p.Principal)
		}
		if fmt.Sprint(have) != fmt.Sprint(want) {
			lost = append(lost, fmt.Sprintf("principals of %s: %v, want %v", svc, have, want))
		}
	}

	states := map[string]string{}
	for _, c := range consumers {
		var eps struct {
			VpcEndpoints []struct {
				VpcEndpointId string
				State         string
			}
		}
		e.json(c, &eps, "describe-endpoints")
		for _, ep := range eps.VpcEndpoints {
			if ep.State != "deleted" && ep.State != "deleting" {
				states[ep.VpcEndpointId] = ep.State
			}
		}
	}
	for id, want := range l.endpoints {
		if states[id] != want {
			lost = append(lost, fmt.Sprintf("endpoint %s in state %q, want %q", id, states[id], want))
		}
	}
	for id, s := range states {
		if _, ok := l.endpoints[id]; !ok {
			extra = append(extra, fmt.Sprintf("endpoint %s (%s)", id, s))
		}
	}

	ports := map[string][]int{}
	got = map[string]bool{}
	for _, c := range consumers {
		var sgs struct {
			SecurityGroups []struct {
				GroupId       string
				GroupName     string
				IpPermissions []struct{ FromPort, ToPort int }
			}
		}
		e.json(c, &sgs, "describe-security-groups")
		for _, g := range sgs.SecurityGroups {
			if g.GroupName == "default" {
				continue
			}
			got[g.GroupId] = true
			for _, p := range g.IpPermissions {
				ports[g.GroupId] = append(ports[g.GroupId], p.FromPort)
			}
		}
	}
	lost, extra = diffSets("security group", keys(l.groups), got, lost, extra)
	for id, want := range l.groups {
		if got[id] && fmt.Sprint(ports[id]) != fmt.Sprint(want) {
			lost = append(lost, fmt.Sprintf("ingress ports of %s: %v, want %v", id, ports[id], want))
		}
	}
	return lost, extra
}

func diffSets(kind string, want []string, got map[string]bool, lost, extra []string) ([]string, []string) {
	w := map[string]bool{}
	for _, k := range want {
		w[k] = true
		if !got[k] {
			lost = append(lost, kind+" "+k)
		}
	}
	var more []string
	for k := range got {
		if !w[k] {
			more = append(more, kind+" "+k)
		}
	}
	sort.Strings(more)
	return lost, append(extra, more...)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
