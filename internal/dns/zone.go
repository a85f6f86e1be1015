package dns

import (
	"encoding/binary"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/plink-dev/plink/internal/snapshot"
)

// ttl is the TTL of every record plink serves, and the negative TTL.
const ttl = 60

// nsName is the name server named in SOA and NS records: plink is not
// reachable by a public name, so it uses the reserved .invalid TLD.
const nsName = "ns.plink.invalid."

// zone is the immutable lookup structure built from one snapshot. Every
// name key is a lower-case FQDN.
type zone struct {
	apexes     map[string]*apex // authoritative zones in every view
	names      map[string]*node // names in those zones, empty non-terminals included
	views      []*view          // one per VPC
	byResolver map[netip.Addr]*view

	// Build-time state, unused once built: nodes, addresses and packed
	// records come from chunks allocated a few at a time (a build makes
	// some 200,000 of each at 50,000 endpoints), and the parent of the
	// last name added, with its zone, spares the lookups of its siblings.
	nodes      []node
	addrs      []netip.Addr
	wire       []byte
	lastParent string
	lastApex   *apex // closestApex(lastParent)
	lastLinked *node // lastParent's node, once a name below it was linked

	serial uint32 // of the SOA records: the snapshot's revision
	// dupes: two endpoints or load balancers have one name (the last
	// one's addresses win, which an update cannot tell): the next zone is
	// built whole.
	dupes    bool
	impaired map[string]bool // snapshot.ImpairedZones, copied

	// exact: allocate each node, address list and packed record alone, not
	// from chunks (an update adds a few, which must not hold chunks alive).
	exact bool
	fresh map[*node]bool // during an update: the nodes it made, free to change
}

// Chunk sizes of the build-time allocators.
const (
	nodeChunk = 1024
	addrChunk = 4096
	wireChunk = 64 << 10
)

// newNode returns a zeroed node from the current chunk.
func (z *zone) newNode() *node {
	if z.exact {
		return new(node)
	}
	if len(z.nodes) == cap(z.nodes) {
		z.nodes = make([]node, 0, nodeChunk)
	}
	z.nodes = z.nodes[:len(z.nodes)+1]
	return &z.nodes[len(z.nodes)-1]
}

// addrSlice returns an empty slice with room for n addresses, its
// capacity capped so appends beyond n do not reach a neighbour.
func (z *zone) addrSlice(n int) []netip.Addr {
	if z.exact || n > addrChunk/4 {
		return make([]netip.Addr, 0, n)
	}
	if cap(z.addrs)-len(z.addrs) < n {
		z.addrs = make([]netip.Addr, 0, addrChunk)
	}
	l := len(z.addrs)
	z.addrs = z.addrs[:l+n]
	return z.addrs[l : l : l+n]
}

// wireSlice is addrSlice for packed bytes.
func (z *zone) wireSlice(n int) []byte {
	if z.exact || n > wireChunk/4 {
		return make([]byte, 0, n)
	}
	if cap(z.wire)-len(z.wire) < n {
		z.wire = make([]byte, 0, wireChunk)
	}
	l := len(z.wire)
	z.wire = z.wire[:l+n]
	return z.wire[l : l : l+n]
}

// built drops the build-time state.
func (z *zone) built() *zone {
	z.nodes, z.addrs, z.wire, z.lastParent, z.lastApex, z.lastLinked = nil, nil, nil, "", nil, nil
	return z
}

// apex is the top of a zone plink is authoritative for: its lower-case
// FQDN.
type apex struct {
	name string
}

// node is a name and its address records. a and aaaa are empty when the
// name has no records of that type (NODATA). wireA and wireAAAA are the
// same records packed for the answer section, with the owner name a
// compression pointer to the question (offset 12).
//
// Nodes of the shared zones are shared by the zones updated from one
// another (see update): never changed once their zone is in use.
type node struct {
	zone     *apex // the zone the name belongs to
	isApex   bool
	named    bool  // an endpoint's or load balancer's name, not only an apex or empty non-terminal
	kids     int32 // names one label below, in the shared zones
	a, aaaa  []netip.Addr
	wireA    []byte
	wireAAAA []byte
}

// view is what one VPC sees on top of the shared zones: its private DNS
// names.
type view struct {
	vpcID  string
	cidr   netip.Prefix
	cidr6  netip.Prefix
	extra  []netip.Prefix   // secondary IPv4 blocks
	apexes map[string]*apex // private hosted zones
	exact  map[string]*node // exact private names and private zone apexes
	wild   map[string]*node // *.example.com stored under "example.com."
	// noPrivateDNS: the VPC's DNS attributes do not allow private names.
	noPrivateDNS bool
}

// buildZone turns a snapshot into a zone. It never fails: records it cannot
// place are logged and skipped.
func buildZone(snap *snapshot.Snapshot, log *slog.Logger) *zone {
	z := &zone{
		apexes:     make(map[string]*apex),
		names:      make(map[string]*node, 4*len(snap.Endpoints)+len(snap.LoadBalancers)),
		byResolver: make(map[netip.Addr]*view, len(snap.VPCs)),
		serial:     uint32(snap.Revision),
		impaired:   maps.Clone(snap.ImpairedZones),
	}
	for _, name := range apexNames(snap) {
		ap := &apex{name: name}
		z.apexes[name] = ap
		n := z.newNode()
		n.zone, n.isApex = ap, true
		z.names[name] = n
	}
	for i := range snap.Endpoints {
		z.addEndpoint(&snap.Endpoints[i], snap, log)
	}
	for i := range snap.LoadBalancers {
		z.addLoadBalancer(&snap.LoadBalancers[i], snap, log)
	}
	z.buildViews(snap, log)
	return z.built()
}

// apexNames lists the shared zones of a snapshot: vpce.amazonaws.com,
// elb.amazonaws.com and three per region.
func apexNames(snap *snapshot.Snapshot) []string {
	regions := map[string]bool{}
	for _, v := range snap.VPCs {
		regions[v.Region] = true
	}
	for i := range snap.Endpoints {
		regions[snap.Endpoints[i].Region] = true
	}
	for i := range snap.LoadBalancers {
		regions[snap.LoadBalancers[i].Region] = true
	}
	names := []string{"vpce.amazonaws.com.", "elb.amazonaws.com."}
	for r := range regions {
		if r != "" {
			r = strings.ToLower(r)
			names = append(names, r+".vpce.amazonaws.com.", r+".elb.amazonaws.com.",
				"elb."+r+".amazonaws.com.") // NLB names: name-id.elb.<region>.amazonaws.com
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// endpointAddrs are the addresses of an endpoint's regional name: those of
// its ENIs in live zones, of the types its DNS records carry.
func (z *zone) endpointAddrs(e *snapshot.Endpoint, snap *snapshot.Snapshot) (a, aaaa []netip.Addr) {
	wantA, wantAAAA := recordTypes(e)
	a, aaaa = z.addrSlice(len(e.ENIs)), z.addrSlice(len(e.ENIs))
	live := liveZones(snap, len(e.ENIs), func(i int) string { return e.ENIs[i].Zone })
	for _, eni := range e.ENIs {
		if !live(eni.Zone) {
			continue
		}
		if wantA && eni.IPv4.IsValid() {
			a = append(a, eni.IPv4.Unmap())
		}
		if wantAAAA && eni.IPv6.IsValid() {
			aaaa = append(aaaa, eni.IPv6)
		}
	}
	return a, aaaa
}

// endpointNames calls f with each shared name of an available endpoint and
// its addresses: the zonal name of every ENI, then the regional name.
func (z *zone) endpointNames(e *snapshot.Endpoint, snap *snapshot.Snapshot, f func(name string, a, aaaa []netip.Addr)) {
	if !e.Available() {
		return
	}
	wantA, wantAAAA := recordTypes(e)
	for _, eni := range e.ENIs {
		var za, zaaaa []netip.Addr
		if wantA && eni.IPv4.IsValid() {
			za = append(z.addrSlice(1), eni.IPv4.Unmap())
		}
		if wantAAAA && eni.IPv6.IsValid() {
			zaaaa = append(z.addrSlice(1), eni.IPv6)
		}
		// A zonal name answers whatever the zone's state: it names one
		// zone on purpose.
		f(eni.ZonalDNSName, za, zaaaa)
	}
	a, aaaa := z.endpointAddrs(e, snap)
	f(e.RegionalDNSName, a, aaaa)
}

func (z *zone) addEndpoint(e *snapshot.Endpoint, snap *snapshot.Snapshot, log *slog.Logger) {
	z.endpointNames(e, snap, func(name string, a, aaaa []netip.Addr) { z.add(name, a, aaaa, log) })
}

// lbAddrs are the addresses of a load balancer's name: its nodes in live
// zones (IPv6 when dualstack).
func lbAddrs(lb *snapshot.LoadBalancer, snap *snapshot.Snapshot) (a, aaaa []netip.Addr) {
	live := liveZones(snap, len(lb.Nodes), func(i int) string { return lb.Nodes[i].Zone })
	for _, n := range lb.Nodes {
		if !live(n.Zone) {
			continue
		}
		if n.IPv4.IsValid() {
			a = append(a, n.IPv4.Unmap())
		}
		if lb.IPAddressType == "dualstack" && n.IPv6.IsValid() {
			aaaa = append(aaaa, n.IPv6)
		}
	}
	return a, aaaa
}

func (z *zone) addLoadBalancer(lb *snapshot.LoadBalancer, snap *snapshot.Snapshot, log *slog.Logger) {
	a, aaaa := lbAddrs(lb, snap)
	z.add(lb.DNSName, a, aaaa, log)
}

// buildViews makes the VPC views and places the private DNS names of
// available endpoints in them.
func (z *zone) buildViews(snap *snapshot.Snapshot, log *slog.Logger) {
	z.byResolver = make(map[netip.Addr]*view, len(snap.VPCs))
	views := make(map[string]*view, len(snap.VPCs))
	for _, v := range snap.VPCs {
		vw := &view{vpcID: v.ID, cidr: v.CIDR, cidr6: v.IPv6CIDR, extra: v.SecondaryCIDRs, noPrivateDNS: v.NoPrivateDNS,
			apexes: map[string]*apex{}, exact: map[string]*node{}, wild: map[string]*node{}}
		views[v.ID] = vw
		z.views = append(z.views, vw)
		if v.Resolver.IsValid() {
			z.byResolver[v.Resolver.Unmap()] = vw
		}
	}
	for i := range snap.Endpoints {
		e := &snap.Endpoints[i]
		if !e.Available() || !e.PrivateDNSEnabled {
			continue
		}
		svc := snap.Services[e.ServiceID]
		if svc == nil || !svc.PrivateDNSVerified || svc.PrivateDNSName == "" {
			continue
		}
		vw := views[e.VPCID]
		if vw == nil {
			log.Warn("dns: endpoint's VPC is not in the snapshot", "endpoint", e.ID, "vpc", e.VPCID)
			continue
		}
		if vw.noPrivateDNS {
			continue // enableDnsSupport or enableDnsHostnames turned off since
		}
		a, aaaa := z.endpointAddrs(e, snap)
		z.addPrivate(vw, svc.PrivateDNSName, a, aaaa, log)
	}
}

// liveZones says which of n zones (zone(i)) a regional name keeps: those
// not in snap.ImpairedZones, or all of them when every one is impaired
// (Route 53 answers every record when none is healthy: failing open beats
// answering nothing).
func liveZones(snap *snapshot.Snapshot, n int, zone func(int) string) func(string) bool {
	if len(snap.ImpairedZones) == 0 {
		return func(string) bool { return true }
	}
	for i := range n {
		if !snap.ImpairedZones[zone(i)] {
			return func(z string) bool { return !snap.ImpairedZones[z] }
		}
	}
	return func(string) bool { return true }
}

// recordTypes says which address records an endpoint's names carry.
func recordTypes(e *snapshot.Endpoint) (a, aaaa bool) {
	t := e.DNSRecordIPType
	if t == "" || t == "service-defined" {
		t = e.IPAddressType
	}
	switch t {
	case "ipv6":
		return false, true
	case "dualstack":
		return true, true
	default:
		return true, false
	}
}

// soa is the SOA record of a zone, owned by owner, with the serial
// (the snapshot revision: apexes outlive a revision when the zone is
// updated in place of a rebuild).
func (z *zone) soa(owner string) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: owner, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:      nsName,
		Mbox:    "hostmaster.plink.invalid.",
		Serial:  z.serial,
		Refresh: 7200, Retry: 900, Expire: 1209600, Minttl: ttl,
	}
}

// ns is the zone's NS record, owned by owner.
func ns(owner string) *dns.NS {
	return &dns.NS{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: ttl}, Ns: nsName}
}

// add places a name with its addresses in the closest shared zone, and its
// ancestors up to that apex as empty non-terminals.
func (z *zone) add(name string, a, aaaa []netip.Addr, log *slog.Logger) {
	if name == "" {
		return
	}
	name = canonical(name)
	// Names of one service share their parent: its zone and its node hold
	// for the next sibling.
	if p := parent(name); p != z.lastParent || z.lastApex == nil {
		z.lastParent, z.lastApex, z.lastLinked = p, z.closestApex(p), nil
	}
	ap := z.apexes[name]
	if ap == nil {
		ap = z.lastApex
	}
	if ap == nil {
		log.Warn("dns: name outside plink's zones, not served", "name", name)
		return
	}
	n := z.names[name]
	switch {
	case n == nil:
		n = z.newNode()
		n.zone = ap
		z.names[name] = n
		if z.lastLinked != nil {
			z.lastLinked.kids++
		} else {
			z.lastLinked = z.link(name, ap)
		}
	case n.named:
		z.dupes = true // the last one's addresses win
	}
	n.named = true
	n.setAddrs(z, a, aaaa)
}

// link counts the new name as a child of its parent, which it adds as an
// empty non-terminal (and so on up) when absent; it returns the parent.
// The chain ends at the apex ap, which is in names.
func (z *zone) link(name string, ap *apex) *node {
	p := parent(name)
	pn := z.names[p]
	if pn == nil {
		pn = z.newNode()
		pn.zone = ap
		z.names[p] = pn
		z.link(p, ap)
	}
	pn.kids++
	return pn
}

// addPrivate places a private DNS name in a VPC view.
func (z *zone) addPrivate(vw *view, name string, a, aaaa []netip.Addr, log *slog.Logger) {
	name = canonical(name)
	wildcard := strings.HasPrefix(name, "*.")
	apexName := name
	if wildcard {
		apexName = name[2:]
	}
	if z.closestApex(apexName) != nil {
		log.Warn("dns: private DNS name inside plink's amazonaws.com zones, ignored", "name", name, "vpc", vw.vpcID)
		return
	}
	if _, dup := vw.apexes[apexName]; dup {
		log.Warn("dns: private DNS name already served in this VPC, ignored", "name", name, "vpc", vw.vpcID)
		return
	}
	ap := &apex{name: apexName}
	vw.apexes[apexName] = ap
	n := &node{zone: ap}
	n.setAddrs(z, a, aaaa)
	if wildcard {
		vw.exact[apexName] = &node{zone: ap, isApex: true}
		vw.wild[apexName] = n
	} else {
		n.isApex = true
		vw.exact[apexName] = n
	}
}

func (n *node) setAddrs(z *zone, a, aaaa []netip.Addr) {
	n.a, n.aaaa = a, aaaa
	n.wireA = z.packAddrs(dns.TypeA, a)
	n.wireAAAA = z.packAddrs(dns.TypeAAAA, aaaa)
}

// packAddrs packs address records for the answer section, each owner name a
// pointer to the question name at offset 12.
func (z *zone) packAddrs(t uint16, addrs []netip.Addr) []byte {
	if len(addrs) == 0 {
		return nil
	}
	rdlen := 4
	if t == dns.TypeAAAA {
		rdlen = 16
	}
	b := z.wireSlice(len(addrs) * (12 + rdlen))
	for _, ad := range addrs {
		b = append(b, 0xC0, 12)
		b = binary.BigEndian.AppendUint16(b, t)
		b = binary.BigEndian.AppendUint16(b, dns.ClassINET)
		b = binary.BigEndian.AppendUint32(b, ttl)
		b = binary.BigEndian.AppendUint16(b, uint16(rdlen))
		if t == dns.TypeA {
			v4 := ad.As4()
			b = append(b, v4[:]...)
		} else {
			v6 := ad.As16()
			b = append(b, v6[:]...)
		}
	}
	return b
}

// closestApex returns the shared zone that holds name, or nil.
func (z *zone) closestApex(name string) *apex {
	for s := name; s != ""; s = parent(s) {
		if ap := z.apexes[s]; ap != nil {
			return ap
		}
	}
	return nil
}

// viewFor returns the VPC view of a query that arrived on local from src,
// or nil when the query comes from outside every VPC.
func (z *zone) viewFor(local, src netip.Addr) *view {
	if v := z.byResolver[local.Unmap()]; v != nil {
		return v
	}
	src = src.Unmap()
	for _, v := range z.views {
		if v.cidr.Contains(src) || v.cidr6.Contains(src) {
			return v
		}
		for _, p := range v.extra {
			if p.Contains(src) {
				return v
			}
		}
	}
	return nil
}

// canonical returns the lower-case FQDN form of name.
func canonical(name string) string {
	return strings.ToLower(dns.Fqdn(name))
}

// parent strips the first label of an FQDN in presentation format (where
// a dot inside a label is escaped); the parent of a TLD or the root is "".
func parent(name string) string {
	for i := 0; i < len(name)-1; i++ {
		switch name[i] {
		case '\\':
			i++
		case '.':
			return name[i+1:]
		}
	}
	return ""
}
