package dns

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// resolve answers one question in view v (nil = outside every VPC). It is
// pure: no I/O, no header ID, no EDNS. The reply's Rcode is REFUSED when the
// name lies outside plink's authority in that view; the caller may then
// forward the question upstream.
func (z *zone) resolve(q dns.Question, v *view) *dns.Msg {
	m := new(dns.Msg)
	m.Question = []dns.Question{q}
	if q.Qclass != dns.ClassINET || q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR {
		m.Rcode = dns.RcodeRefused
		return m
	}
	name := strings.ToLower(q.Name)

	n, ap := z.find(name, v)
	if ap == nil {
		m.Rcode = dns.RcodeRefused
		return m
	}
	m.Authoritative = true
	if n == nil {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{z.soa(ap.name)}
		return m
	}
	m.Answer = z.records(n, q.Name, q.Qtype)
	if len(m.Answer) == 0 {
		m.Ns = []dns.RR{z.soa(ap.name)}
	}
	return m
}

// find looks name up in view v, then in the shared zones. It returns the
// node (nil when the name does not exist) and the zone that is
// authoritative for the name (nil when plink is not).
func (z *zone) find(name string, v *view) (*node, *apex) {
	if n := z.names[name]; n != nil {
		return n, n.zone
	}
	if ap := z.closestApex(name); ap != nil {
		return nil, ap
	}
	if v == nil {
		return nil, nil
	}
	if n := v.exact[name]; n != nil {
		return n, n.zone
	}
	for s := parent(name); s != ""; s = parent(s) {
		if n := v.wild[s]; n != nil {
			return n, n.zone
		}
	}
	for s := name; s != ""; s = parent(s) {
		if ap := v.apexes[s]; ap != nil {
			return nil, ap
		}
	}
	return nil, nil
}

// records returns the node's records of type t, owned by owner (the
// question's spelling of the name).
func (z *zone) records(n *node, owner string, t uint16) []dns.RR {
	var rrs []dns.RR
	if t == dns.TypeA || t == dns.TypeANY {
		rrs = appendAddrs(rrs, owner, n.a)
	}
	if t == dns.TypeAAAA || t == dns.TypeANY {
		rrs = appendAddrs(rrs, owner, n.aaaa)
	}
	if n.isApex && (t == dns.TypeSOA || t == dns.TypeANY) {
		rrs = append(rrs, z.soa(owner))
	}
	if n.isApex && (t == dns.TypeNS || t == dns.TypeANY) {
		rrs = append(rrs, ns(owner))
	}
	return rrs
}

func appendAddrs(rrs []dns.RR, owner string, addrs []netip.Addr) []dns.RR {
	for _, ad := range addrs {
		if ad.Is4() {
			rrs = append(rrs, &dns.A{
				Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl},
				A:   ad.AsSlice(),
			})
		} else {
			rrs = append(rrs, &dns.AAAA{
				Hdr:  dns.RR_Header{Name: owner, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl},
				AAAA: ad.AsSlice(),
			})
		}
	}
	return rrs
}
