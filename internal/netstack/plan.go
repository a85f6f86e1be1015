package netstack

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/plink-dev/plink/internal/snapshot"
)

// Listener kinds, as reported in ListenerInfo.Kind.
const (
	KindEndpoint     = "endpoint"
	KindLoadBalancer = "load-balancer"
)

// DefaultIdleTimeout is the NLB idle timeout for TCP flows.
const DefaultIdleTimeout = 350 * time.Second

// targetKey names one registered target of one target group: the unit of
// health checking, draining and connection termination.
type targetKey struct {
	tg string
	ap netip.AddrPort
}

func (k targetKey) String() string { return k.ap.String() }

// route is everything a listener needs to handle a connection. It is built
// from one snapshot and never changed: a reconcile stores a new one.
type route struct {
	kind       string
	endpointID string // "" for load balancer node listeners
	lbARN      string
	lbName     string
	listener   snapshot.Listener
	addr       netip.AddrPort // where the listener is bound
	addrText   string         // addr.String(), the sort key of listings
	zone       string         // zone of the ENI or node
	tg         *snapshot.TargetGroup
	crossZone  bool
	srcV4      netip.Addr // the LB node's addresses in zone, used as source
	srcV6      netip.Addr
	sgs        []*snapshot.SecurityGroup // endpoint listeners only
	idle       time.Duration

	// cands are the non-draining targets this listener's zone may use
	// (every zone with cross-zone on); all are every non-draining target,
	// the fail-open set when the zone has none.
	cands []snapshot.Target
	all   []snapshot.Target
	// selfTargets are registered targets left out of cands and all
	// because they are listeners of this forwarder (see dropSelfTargets).
	selfTargets []netip.AddrPort

	plan *plan // the plan the route belongs to
}

// metricName is the "endpoint" label of the listener's metrics.
func (r *route) metricName() string {
	if r.endpointID != "" {
		return r.endpointID
	}
	return r.lbName
}

// source is the local address to dial target from: the node address of the
// target's family, or the zero Addr when there is none.
func (r *route) source(target netip.Addr) netip.Addr {
	if target.Unmap().Is4() {
		return r.srcV4
	}
	return r.srcV6
}

// allows reports whether the endpoint's security groups admit a connection
// from src to the listener port. Load balancer node listeners are not
// checked.
func (r *route) allows(src netip.Addr) bool {
	if r.kind != KindEndpoint {
		return true
	}
	for _, sg := range r.sgs {
		for _, rule := range sg.Rules {
			if rule.Allows(src, r.addr.Port()) {
				return true
			}
		}
	}
	return false
}

// sgIDs lists the IDs of the endpoint's security groups, for log lines.
func (r *route) sgIDs() []string {
	ids := make([]string, len(r.sgs))
	for i, sg := range r.sgs {
		ids[i] = sg.ID
	}
	return ids
}

// checkSpec is what one health check of one target needs.
type checkSpec struct {
	key  targetKey
	hc   snapshot.HealthCheck
	ppv2 bool
	src  netip.Addr // node address used as source; zero = none
	host string     // HTTP Host header: node address + listener port
}

// plan is the wanted state computed from one snapshot.
type plan struct {
	routes  map[netip.AddrPort]*route
	order   []netip.AddrPort // deterministic bind order
	errs    []BindError      // conflicts found while planning
	targets map[targetKey]snapshot.Target
	tgs     map[string]*snapshot.TargetGroup
	checks  map[targetKey]*checkSpec
	static  map[targetKey]healthState // draining / unused targets: no checks
	// self are targets that are listener addresses of this plan: never
	// dialled (see dropSelfTargets).
	self map[targetKey]bool
	seq  uint64 // set by Forwarder.Apply: later plans are larger
	// sets are the target lists of routes by group, zone and cross-zone
	// (add); only while building.
	sets map[setKey]targetSet
}

type setKey struct {
	tg    *snapshot.TargetGroup
	zone  string
	cross bool
}

type targetSet struct{ cands, all []snapshot.Target }

// buildPlan computes every listener, route and health check a snapshot
// asks for. It is pure: no sockets. prev, the plan before or nil, only
// saves work (sortOrder).
func buildPlan(snap *snapshot.Snapshot, prev *plan) *plan {
	p := &plan{
		routes:  map[netip.AddrPort]*route{},
		targets: map[targetKey]snapshot.Target{},
		tgs:     map[string]*snapshot.TargetGroup{},
		checks:  map[targetKey]*checkSpec{},
		static:  map[targetKey]healthState{},
		self:    map[targetKey]bool{},
	}
	if snap == nil {
		return p
	}
	// Room for one listener per endpoint and per node, the usual case.
	n := len(snap.Endpoints)
	for _, lb := range snap.LoadBalancers {
		n += len(lb.Nodes) * len(lb.Listeners)
	}
	p.routes = make(map[netip.AddrPort]*route, n)
	p.order = make([]netip.AddrPort, 0, n)
	p.sets = map[setKey]targetSet{}
	lbs := make(map[string]*snapshot.LoadBalancer, len(snap.LoadBalancers))
	for i := range snap.LoadBalancers {
		lbs[snap.LoadBalancers[i].ARN] = &snap.LoadBalancers[i]
	}
	for arn, tg := range snap.TargetGroups {
		p.tgs[arn] = tg
		for _, t := range tg.Targets {
			p.targets[targetKey{arn, netip.AddrPortFrom(t.IP.Unmap(), t.Port)}] = t
		}
	}

	for _, ep := range snap.Endpoints {
		if !ep.Available() {
			continue
		}
		svc := snap.Services[ep.ServiceID]
		if svc == nil {
			continue
		}
		var sgs []*snapshot.SecurityGroup
		for _, id := range ep.SecurityGroupIDs {
			if sg := snap.SecurityGroups[id]; sg != nil {
				sgs = append(sgs, sg)
			}
		}
		for _, eni := range ep.ENIs {
			for _, a := range []netip.Addr{eni.IPv4, eni.IPv6} {
				if !a.IsValid() {
					continue
				}
				for _, lbARN := range svc.LoadBalancerARNs {
					lb := lbs[lbARN]
					if lb == nil {
						continue
					}
					node := nodeIn(lb, eni.Zone)
					for _, l := range lb.Listeners {
						p.add(snap, &route{
							kind: KindEndpoint, endpointID: ep.ID,
							lbARN: lb.ARN, lbName: lb.Name, listener: l,
							addr: netip.AddrPortFrom(a.Unmap(), l.Port), zone: eni.Zone,
							srcV4: node.IPv4, srcV6: node.IPv6, sgs: sgs,
						}, lb)
					}
				}
			}
		}
	}
	for i := range snap.LoadBalancers {
		lb := &snap.LoadBalancers[i]
		for _, node := range lb.Nodes {
			for _, a := range []netip.Addr{node.IPv4, node.IPv6} {
				if !a.IsValid() {
					continue
				}
				for _, l := range lb.Listeners {
					p.add(snap, &route{
						kind: KindLoadBalancer, lbARN: lb.ARN, lbName: lb.Name, listener: l,
						addr: netip.AddrPortFrom(a.Unmap(), l.Port), zone: node.Zone,
						srcV4: node.IPv4, srcV6: node.IPv6,
					}, lb)
				}
			}
		}
		p.planChecks(lb)
	}
	p.sets = nil
	p.dropSelfTargets()
	// Targets of groups no listener uses are "unused"; deregistered ones
	// "draining". Neither is checked.
	for key, t := range p.targets {
		if _, ok := p.checks[key]; ok {
			continue
		}
		if _, ok := p.static[key]; ok {
			continue
		}
		switch {
		case t.Draining():
			p.static[key] = healthState{State: "draining", Reason: "Target.DeregistrationInProgress",
				Description: "Target deregistration is in progress"}
		default:
			p.static[key] = healthState{State: "unused", Reason: "Target.NotInUse",
				Description: "Target group is not configured to receive traffic from the load balancer"}
		}
	}
	p.sortOrder(prev)
	return p
}

// sortOrder sorts p.order by address text. With prev, the plan before
// (already in that order), it keeps prev's order for the addresses both
// have and merges in the new ones, sorted: a change to a large store
// sorts only what it added.
func (p *plan) sortOrder(prev *plan) {
	byText := func(a, b *route) int { return strings.Compare(a.addrText, b.addrText) }
	if prev == nil {
		rs := make([]*route, len(p.order))
		for i, a := range p.order {
			rs[i] = p.routes[a]
		}
		slices.SortFunc(rs, byText)
		for i, r := range rs {
			p.order[i] = r.addr
		}
		return
	}
	var fresh []*route
	for _, a := range p.order {
		if _, ok := prev.routes[a]; !ok {
			fresh = append(fresh, p.routes[a])
		}
	}
	slices.SortFunc(fresh, byText)
	order := make([]netip.AddrPort, 0, len(p.order))
	for _, a := range prev.order {
		r, ok := p.routes[a]
		if !ok {
			continue
		}
		for len(fresh) > 0 && byText(fresh[0], r) < 0 {
			order = append(order, fresh[0].addr)
			fresh = fresh[1:]
		}
		order = append(order, a)
	}
	for _, r := range fresh {
		order = append(order, r.addr)
	}
	p.order = order
}

// add records a route unless its address is already taken.
func (p *plan) add(snap *snapshot.Snapshot, r *route, lb *snapshot.LoadBalancer) {
	if old, ok := p.routes[r.addr]; ok {
		p.errs = append(p.errs, BindError{
			Kind: r.kind, Endpoint: r.endpointID, LoadBalancer: r.lbName, Address: r.addr.String(),
			Err:    fmt.Errorf("address already used by %s %s", old.kind, old.metricName()),
			Remedy: "give the listeners distinct addresses or ports",
		})
		return
	}
	r.idle = r.listener.IdleTimeout
	if r.idle <= 0 {
		r.idle = DefaultIdleTimeout
	}
	r.tg = snap.TargetGroups[r.listener.TargetGroupARN]
	if r.tg != nil {
		r.crossZone = lb.CrossZone
		switch r.tg.CrossZone {
		case "true":
			r.crossZone = true
		case "false":
			r.crossZone = false
		}
		// Routes of one group, zone and cross-zone setting share their
		// target lists (read only once built): at 10,000 endpoints,
		// two lists per route were most of a plan's garbage.
		key := setKey{r.tg, r.zone, r.crossZone}
		set, ok := p.sets[key]
		if !ok {
			for _, t := range r.tg.Targets {
				if t.Draining() {
					continue
				}
				set.all = append(set.all, t)
				if r.crossZone || t.Zone == r.zone || t.Zone == "all" {
					set.cands = append(set.cands, t)
				}
			}
			p.sets[key] = set
		}
		r.all, r.cands = set.all, set.cands
	}
	r.plan = p
	r.addrText = r.addr.String()
	p.routes[r.addr] = r
	p.order = append(p.order, r.addr)
}

// stateSelfTarget is the health of a target that is one of the
// forwarder's own listeners, with AWS's reason for an address reserved
// for a load balancer.
var stateSelfTarget = healthState{State: "unused", Reason: "Target.IpUnusable",
	Description: "The target IP address is reserved for use by a load balancer"}

// dropSelfTargets takes every target whose address and port are a
// listener of this plan (a load balancer node or an endpoint ENI) out of
// target selection and health checks. Such a target would make every
// connection dial the forwarder itself, which dials itself again, until
// file descriptors run out. The control plane refuses to register one;
// this keeps targets registered before that check (or written to the
// store by other means) from looping. Connections that find no other
// target are refused.
func (p *plan) dropSelfTargets() {
	for key := range p.targets {
		if _, ok := p.routes[key.ap]; ok {
			p.self[key] = true
		}
	}
	if len(p.self) == 0 {
		return
	}
	for _, r := range p.routes {
		if r.tg == nil {
			continue
		}
		keep := func(ts []snapshot.Target) []snapshot.Target {
			out := ts[:0:0]
			for _, t := range ts {
				if !p.self[r.key(t)] {
					out = append(out, t)
				}
			}
			return out
		}
		for _, t := range r.all {
			if p.self[r.key(t)] {
				r.selfTargets = append(r.selfTargets, r.key(t).ap)
			}
		}
		r.cands, r.all = keep(r.cands), keep(r.all)
	}
	for key := range p.self {
		delete(p.checks, key)
		if !p.targets[key].Draining() {
			p.static[key] = stateSelfTarget
		}
	}
}

// selfTargetList names the targets p leaves out for being its own
// listeners, sorted, for a log line.
func (p *plan) selfTargetList() []string {
	out := make([]string, 0, len(p.self))
	for key := range p.self {
		out = append(out, key.tg+" "+key.ap.String())
	}
	sort.Strings(out)
	return out
}

// planChecks adds a health check for every non-draining target of every
// group a listener of lb forwards to, checked from the node of the
// target's zone.
func (p *plan) planChecks(lb *snapshot.LoadBalancer) {
	for _, l := range lb.Listeners {
		tg := p.tgs[l.TargetGroupARN]
		if tg == nil {
			continue
		}
		for _, t := range tg.Targets {
			key := targetKey{tg.ARN, netip.AddrPortFrom(t.IP.Unmap(), t.Port)}
			if t.Draining() {
				continue
			}
			if _, ok := p.checks[key]; ok {
				continue
			}
			if !tg.HealthCheck.Enabled {
				p.static[key] = healthState{State: "healthy", Description: "Health checks are disabled"}
				continue
			}
			node := nodeIn(lb, t.Zone)
			if !node.IPv4.IsValid() && !node.IPv6.IsValid() && len(lb.Nodes) > 0 {
				node = lb.Nodes[0]
			}
			src := node.IPv4
			if !key.ap.Addr().Is4() {
				src = node.IPv6
			}
			host := ""
			if src.IsValid() {
				host = netip.AddrPortFrom(src, l.Port).String()
			} else {
				host = key.ap.String()
			}
			hc := withDefaults(tg.HealthCheck)
			p.checks[key] = &checkSpec{key: key, hc: hc, ppv2: tg.ProxyProtocolV2, src: src, host: host}
		}
	}
}

// nodeIn returns lb's node in zone, or the zero Node.
func nodeIn(lb *snapshot.LoadBalancer, zone string) snapshot.Node {
	for _, n := range lb.Nodes {
		if n.Zone == zone {
			return n
		}
	}
	return snapshot.Node{}
}

// withDefaults fills the NLB defaults into unset health check fields.
func withDefaults(hc snapshot.HealthCheck) snapshot.HealthCheck {
	if hc.Protocol == "" {
		hc.Protocol = "TCP"
	}
	if hc.Port == "" {
		hc.Port = "traffic-port"
	}
	if hc.Path == "" {
		hc.Path = "/"
	}
	if hc.Matcher == "" {
		hc.Matcher = "200-399"
	}
	if hc.Interval <= 0 {
		hc.Interval = 30 * time.Second
	}
	if hc.Timeout <= 0 {
		hc.Timeout = 10 * time.Second
	}
	if hc.HealthyThreshold <= 0 {
		hc.HealthyThreshold = 5
	}
	if hc.UnhealthyThreshold <= 0 {
		hc.UnhealthyThreshold = 2
	}
	return hc
}

// checkPort is the port a health check connects to.
func checkPort(hc snapshot.HealthCheck, target uint16) uint16 {
	if hc.Port == "" || hc.Port == "traffic-port" {
		return target
	}
	n, err := strconv.ParseUint(hc.Port, 10, 16)
	if err != nil || n == 0 {
		return target
	}
	return uint16(n)
}
