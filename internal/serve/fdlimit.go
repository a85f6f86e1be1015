package serve

import (
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"github.com/plink-dev/plink/internal/netstack"
	"github.com/plink-dev/plink/internal/snapshot"
)

// fileLimit is the process's limit on open file descriptors
// (RLIMIT_NOFILE).
type fileLimit struct {
	soft, hard uint64
	known      bool
}

func (l fileLimit) String() string {
	if !l.known {
		return "unknown"
	}
	return fmt.Sprintf("soft %d, hard %d", l.soft, l.hard)
}

// raiseFileLimit raises the soft open file limit to the hard limit (every
// listener is a descriptor) and returns the limit in force.
func raiseFileLimit() (before, after fileLimit, err error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fileLimit{}, fileLimit{}, err
	}
	before = fileLimit{soft: uint64(rl.Cur), hard: uint64(rl.Max), known: true}
	if rl.Cur >= rl.Max {
		return before, before, nil
	}
	rl.Cur = rl.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return before, before, err
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return before, before, err
	}
	return before, fileLimit{soft: uint64(rl.Cur), hard: uint64(rl.Max), known: true}, nil
}

// openFDs counts the process's open descriptors; -1 when it cannot tell.
func openFDs() int {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		if ents, err := os.ReadDir(dir); err == nil {
			return len(ents) - 1 // the directory being read
		}
	}
	return -1
}

// connReserve is how many descriptors serve keeps free of listeners for
// connections (two each: client and target), health checks, DNS over TCP
// and the store.
func connReserve(l fileLimit) int {
	return 64 + int(min(l.soft, 1<<30)/8)
}

// listenerBudget is how many forwarder listeners fit in the limit once
// inUse descriptors are open and the reserve is kept; -1 means no limit.
func listenerBudget(l fileLimit, inUse int) int {
	if !l.known || inUse < 0 || l.soft >= 1<<30 {
		return -1
	}
	return max(0, int(l.soft)-inUse-connReserve(l))
}

// listenerDemand counts the forwarder's listening sockets snap asks for,
// as internal/netstack plans them: every address of every ENI of an
// available endpoint times every listener of its service's load balancers,
// and every node address of every load balancer times its listeners.
// byEndpoint has the endpoints' shares; nodes is the load balancers'.
//
// steered (netstack's sk_lookup mode) needs one socket per address family
// and port instead: nodes is then that count, for nodes and endpoints
// alike, and byEndpoint is nil (no endpoint adds a socket of its own).
// It is counted by service, from the address families of its available
// endpoints: one map operation per endpoint, as this runs on every change.
func listenerDemand(snap *snapshot.Snapshot, steered bool) (nodes int, byEndpoint map[string]int) {
	type famPort struct {
		v4   bool
		port uint16
	}
	ports := map[famPort]bool{}
	addPorts := func(v4, v6 bool, ls []snapshot.Listener) {
		for _, l := range ls {
			if v4 {
				ports[famPort{true, l.Port}] = true
			}
			if v6 {
				ports[famPort{false, l.Port}] = true
			}
		}
	}
	lbs := make(map[string]*snapshot.LoadBalancer, len(snap.LoadBalancers))
	for i := range snap.LoadBalancers {
		lb := &snap.LoadBalancers[i]
		lbs[lb.ARN] = lb
		for _, n := range lb.Nodes {
			nodes += addrCount(n.IPv4, n.IPv6) * len(lb.Listeners)
			addPorts(n.IPv4.IsValid(), n.IPv6.IsValid(), lb.Listeners)
		}
	}
	if steered {
		const v4, v6 = 1, 2
		fams := map[string]uint8{} // service ID: the families of its endpoints' addresses
		for _, ep := range snap.Endpoints {
			if !ep.Available() {
				continue
			}
			var m uint8
			for _, eni := range ep.ENIs {
				if eni.IPv4.IsValid() {
					m |= v4
				}
				if eni.IPv6.IsValid() {
					m |= v6
				}
			}
			if f := fams[ep.ServiceID]; f|m != f {
				fams[ep.ServiceID] = f | m
			}
		}
		for id, m := range fams {
			if svc := snap.Services[id]; svc != nil {
				for _, arn := range svc.LoadBalancerARNs {
					if lb := lbs[arn]; lb != nil {
						addPorts(m&v4 != 0, m&v6 != 0, lb.Listeners)
					}
				}
			}
		}
		return len(ports), nil
	}
	byEndpoint = map[string]int{}
	for _, ep := range snap.Endpoints {
		svc := snap.Services[ep.ServiceID]
		if !ep.Available() || svc == nil {
			continue
		}
		nports := 0
		for _, arn := range svc.LoadBalancerARNs {
			if lb := lbs[arn]; lb != nil {
				nports += len(lb.Listeners)
			}
		}
		for _, eni := range ep.ENIs {
			byEndpoint[ep.ID] += addrCount(eni.IPv4, eni.IPv6) * nports
		}
	}
	return nodes, byEndpoint
}

func addrCount(v4, v6 netip.Addr) int {
	n := 0
	for _, a := range []netip.Addr{v4, v6} {
		if a.IsValid() {
			n++
		}
	}
	return n
}

// fitListeners returns snap, or when its listeners do not fit in budget, a
// copy without the endpoints that do not fit (those in keep, the endpoints
// already served, first; then in snapshot order) and their IDs. Load
// balancer nodes are never dropped. budget < 0 means no limit.
func fitListeners(snap *snapshot.Snapshot, budget int, keep map[string]bool, steered bool) (*snapshot.Snapshot, []string, int) {
	nodes, byEP := listenerDemand(snap, steered)
	total := nodes
	for _, n := range byEP {
		total += n
	}
	if budget < 0 || total <= budget {
		return snap, nil, total
	}
	used := nodes
	in := map[string]bool{}
	for _, first := range []bool{true, false} {
		for _, ep := range snap.Endpoints {
			n, ok := byEP[ep.ID]
			if !ok || in[ep.ID] || keep[ep.ID] != first {
				continue
			}
			if used+n <= budget {
				used += n
				in[ep.ID] = true
			}
		}
	}
	out := *snap
	out.Endpoints = make([]snapshot.Endpoint, 0, len(snap.Endpoints))
	var dropped []string
	for _, ep := range snap.Endpoints {
		if _, wanted := byEP[ep.ID]; wanted && !in[ep.ID] {
			dropped = append(dropped, ep.ID)
			continue
		}
		out.Endpoints = append(out.Endpoints, ep)
	}
	return &out, dropped, total
}

// ListenerNeeds says whether the listening sockets snap asks for fit in
// the open file limit serve will have (it raises the soft limit to the
// hard one): the sockets wanted, how many the limit leaves room for (-1:
// no limit), the limit and the listen mode serve would choose (auto),
// for `plink doctor`.
func ListenerNeeds(snap *snapshot.Snapshot) (wanted, budget int, limit, mode string) {
	mode = netstack.ListenPerAddress
	if netstack.ProbeSKLookup() == nil {
		mode = netstack.ListenSKLookup
	}
	var rl syscall.Rlimit
	l := fileLimit{}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		l = fileLimit{soft: uint64(rl.Max), hard: uint64(rl.Max), known: true}
	}
	nodes, byEP := listenerDemand(snap, mode == netstack.ListenSKLookup)
	wanted = nodes
	for _, n := range byEP {
		wanted += n
	}
	return wanted, listenerBudget(l, openFDs()), l.String(), mode
}
