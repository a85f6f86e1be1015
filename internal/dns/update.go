package dns

import (
	"log/slog"
	"maps"
	"net/netip"

	"github.com/plink-dev/plink/internal/snapshot"
)

// updateZone returns the zone of snap made from prev, the zone of old, by
// changing only the names of the endpoints and load balancers that differ
// between the two snapshots (a change in the store touches a few): a copy
// of prev's name map with those names removed and added, the nodes it
// changes copied first, so prev stays as it was for the queries still
// reading it. The VPC views (private DNS names, a few) are rebuilt whole.
//
// It returns nil when the result might differ from buildZone(snap), and
// the caller builds the zone whole: no previous zone, other shared zones
// (regions) or impaired zones, an endpoint ID or load balancer name
// listed twice, two names alike (the last one wins in a build), or a
// change that touches an apex or a name with names below it.
// TestUpdateMatchesBuild compares the two over random changes.
func updateZone(prev *zone, old, snap *snapshot.Snapshot, log *slog.Logger) *zone {
	if prev == nil || old == nil || prev.dupes || !maps.Equal(prev.impaired, snap.ImpairedZones) {
		return nil
	}
	apexes := apexNames(snap)
	if len(apexes) != len(prev.apexes) {
		return nil
	}
	for _, name := range apexes {
		if prev.apexes[name] == nil {
			return nil
		}
	}
	goneE, cameE, ok := diff(old.Endpoints, snap.Endpoints, func(e *snapshot.Endpoint) string { return e.ID }, sameEndpointNames)
	if !ok {
		return nil
	}
	goneLB, cameLB, ok := diff(old.LoadBalancers, snap.LoadBalancers,
		func(lb *snapshot.LoadBalancer) string { return lb.DNSName }, sameLoadBalancerNames)
	if !ok {
		return nil
	}

	u := &zone{apexes: prev.apexes, names: prev.names, serial: uint32(snap.Revision),
		impaired: prev.impaired, exact: true}
	if len(goneE)+len(cameE)+len(goneLB)+len(cameLB) > 0 {
		u.names = maps.Clone(prev.names)
		u.fresh = map[*node]bool{}
		for _, e := range goneE {
			u.endpointNames(e, old, func(name string, _, _ []netip.Addr) { ok = ok && u.remove(name) })
		}
		for _, lb := range goneLB {
			ok = ok && u.remove(lb.DNSName)
		}
		for _, e := range cameE {
			u.endpointNames(e, snap, func(name string, a, aaaa []netip.Addr) { ok = ok && u.insert(name, a, aaaa, log) })
		}
		for _, lb := range cameLB {
			a, aaaa := lbAddrs(lb, snap)
			ok = ok && u.insert(lb.DNSName, a, aaaa, log)
		}
		if !ok {
			return nil
		}
		u.fresh = nil
	}
	u.buildViews(snap, log)
	return u.built()
}

// diff lists the elements of old and cur (by key) that are gone, new or
// changed (same false): a changed one is in both lists. ok is false when
// a key is listed twice in either.
func diff[T any](old, cur []T, key func(*T) string, same func(a, b *T) bool) (gone, came []*T, ok bool) {
	if sortedByKey(old, key) && sortedByKey(cur, key) {
		// The store lists them by ID: one walk through both, no maps.
		i, j := 0, 0
		for i < len(old) || j < len(cur) {
			switch {
			case j == len(cur) || i < len(old) && key(&old[i]) < key(&cur[j]):
				gone = append(gone, &old[i])
				i++
			case i == len(old) || key(&cur[j]) < key(&old[i]):
				came = append(came, &cur[j])
				j++
			default:
				if !same(&old[i], &cur[j]) {
					gone, came = append(gone, &old[i]), append(came, &cur[j])
				}
				i++
				j++
			}
		}
		return gone, came, true
	}
	byKey := make(map[string]*T, len(old))
	for i := range old {
		k := key(&old[i])
		if byKey[k] != nil {
			return nil, nil, false
		}
		byKey[k] = &old[i]
	}
	seen := make(map[string]bool, len(cur))
	for i := range cur {
		c := &cur[i]
		k := key(c)
		if seen[k] {
			return nil, nil, false
		}
		seen[k] = true
		switch o := byKey[k]; {
		case o == nil:
			came = append(came, c)
		case !same(o, c):
			gone, came = append(gone, o), append(came, c)
		}
	}
	for k, o := range byKey {
		if !seen[k] {
			gone = append(gone, o)
		}
	}
	return gone, came, true
}

// sortedByKey reports whether s is in strictly increasing key order (so
// no key is listed twice).
func sortedByKey[T any](s []T, key func(*T) string) bool {
	for i := 1; i < len(s); i++ {
		if key(&s[i-1]) >= key(&s[i]) {
			return false
		}
	}
	return true
}

// sameEndpointNames reports whether two versions of an endpoint give the
// same shared names and addresses (with the impaired zones alike).
func sameEndpointNames(a, b *snapshot.Endpoint) bool {
	if a.Available() != b.Available() {
		return false
	}
	if !a.Available() {
		return true // neither has names
	}
	if a.RegionalDNSName != b.RegionalDNSName || a.IPAddressType != b.IPAddressType ||
		a.DNSRecordIPType != b.DNSRecordIPType || len(a.ENIs) != len(b.ENIs) {
		return false
	}
	for i := range a.ENIs {
		x, y := &a.ENIs[i], &b.ENIs[i]
		if x.Zone != y.Zone || x.IPv4 != y.IPv4 || x.IPv6 != y.IPv6 || x.ZonalDNSName != y.ZonalDNSName {
			return false
		}
	}
	return true
}

// sameLoadBalancerNames is sameEndpointNames for load balancers.
func sameLoadBalancerNames(a, b *snapshot.LoadBalancer) bool {
	if a.DNSName != b.DNSName || a.IPAddressType != b.IPAddressType || len(a.Nodes) != len(b.Nodes) {
		return false
	}
	for i := range a.Nodes {
		x, y := &a.Nodes[i], &b.Nodes[i]
		if x.Zone != y.Zone || x.IPv4 != y.IPv4 || x.IPv6 != y.IPv6 {
			return false
		}
	}
	return true
}

// own returns the node of name for changing: prev's node is copied once
// into this zone's map first. nil when name has no node.
func (u *zone) own(name string) *node {
	n := u.names[name]
	if n == nil || u.fresh[n] {
		return n
	}
	c := new(node)
	*c = *n
	u.names[name] = c
	u.fresh[c] = true
	return c
}

// remove takes out a name an endpoint or load balancer had, and the empty
// non-terminals above it left without a child. false: it cannot be done
// here (the name is an apex or has names below it).
func (u *zone) remove(name string) bool {
	if name == "" {
		return true
	}
	name = canonical(name)
	n := u.names[name]
	if n == nil {
		return true // outside plink's zones: never added
	}
	if !n.named || n.isApex || n.kids > 0 {
		return false
	}
	delete(u.names, name)
	for p := parent(name); ; p = parent(p) {
		pn := u.own(p)
		if pn == nil {
			return false // not linked as add links: build
		}
		pn.kids--
		if pn.kids > 0 || pn.named || pn.isApex {
			return true
		}
		delete(u.names, p)
	}
}

// insert adds a new name as add does; false when the name is there
// already (an apex, an empty non-terminal or another's name).
func (u *zone) insert(name string, a, aaaa []netip.Addr, log *slog.Logger) bool {
	if name == "" {
		return true
	}
	name = canonical(name)
	ap := u.closestApex(name)
	if ap == nil {
		log.Warn("dns: name outside plink's zones, not served", "name", name)
		return true
	}
	if u.names[name] != nil {
		return false
	}
	n := &node{zone: ap, named: true}
	n.setAddrs(u, a, aaaa)
	u.names[name] = n
	u.fresh[n] = true
	for child := name; ; {
		p := parent(child)
		if pn := u.own(p); pn != nil {
			pn.kids++
			return true
		}
		if p == "" {
			return false // no apex above: cannot be, closestApex found one
		}
		ent := &node{zone: ap, kids: 1}
		u.names[p] = ent
		u.fresh[ent] = true
		child = p
	}
}
