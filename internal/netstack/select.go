package netstack

import (
	"net/netip"

	"github.com/plink-dev/plink/internal/snapshot"
)

// healthView is the set of targets health checks consider healthy. It is
// replaced whole on every health transition and read without locks.
type healthView map[targetKey]bool

// pick chooses a target for a flow the way an NLB node does: among the
// zone's candidates (every zone with cross-zone on) the healthy ones; if
// none is healthy, all candidates (fail-open). A zone without candidates
// counts as unhealthy: then the healthy targets of every zone, else all of
// them. The flow hash makes the choice stable for a 5-tuple.
func (r *route) pick(h healthView, flow uint64) (snapshot.Target, bool) {
	set := r.cands
	if len(set) == 0 {
		set = r.all
	}
	if len(set) == 0 {
		return snapshot.Target{}, false
	}
	healthy := 0
	for _, t := range set {
		if h[r.key(t)] {
			healthy++
		}
	}
	if healthy == 0 {
		return set[flow%uint64(len(set))], true
	}
	n := int(flow % uint64(healthy))
	for _, t := range set {
		if h[r.key(t)] {
			if n == 0 {
				return t, true
			}
			n--
		}
	}
	return snapshot.Target{}, false // unreachable
}

// hasHealthy reports whether the route has a healthy target to pick from,
// that is, whether it is not failing open.
func (r *route) hasHealthy(h healthView) bool {
	set := r.cands
	if len(set) == 0 {
		set = r.all
	}
	for _, t := range set {
		if h[r.key(t)] {
			return true
		}
	}
	return false
}

func (r *route) key(t snapshot.Target) targetKey {
	return targetKey{r.tg.ARN, netip.AddrPortFrom(t.IP.Unmap(), t.Port)}
}

// flowHash is FNV-1a over the TCP 5-tuple.
func flowHash(src, dst netip.AddrPort) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	mix := func(b byte) { h ^= uint64(b); h *= prime }
	for _, ap := range [2]netip.AddrPort{src, dst} {
		a := ap.Addr().As16()
		for _, b := range a {
			mix(b)
		}
		mix(byte(ap.Port() >> 8))
		mix(byte(ap.Port()))
	}
	mix(6) // TCP
	// FNV-1a alone keeps its low bits tied to a few input bits (the
	// multiplier is odd), so h % n would send runs of consecutive client
	// ports to one target. murmur3's finalizer spreads every bit.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
