package dns

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// resolveCase is one question asked from one place and its expected answer.
type resolveCase struct {
	name   string
	qname  string
	qtype  uint16
	qclass uint16 // 0 = IN
	local  string // listener address; "" = 127.0.0.1 (not a VPC resolver)
	src    string // client address; "" = 127.0.0.1 (outside every VPC)
	rcode  int
	aa     bool
	answer []string
	ns     []string
}

func (c resolveCase) query() (dns.Question, netip.Addr, netip.Addr) {
	local, src := "127.0.0.1", "127.0.0.1"
	if c.local != "" {
		local = c.local
	}
	if c.src != "" {
		src = c.src
	}
	class := c.qclass
	if class == 0 {
		class = dns.ClassINET
	}
	return dns.Question{Name: c.qname, Qtype: c.qtype, Qclass: class},
		netip.MustParseAddr(local), netip.MustParseAddr(src)
}

var resolveCases = []resolveCase{
	// Endpoint names.
	{name: "regional A", qname: e1Name, qtype: dns.TypeA, aa: true, answer: []string{
		e1Name + " 60 IN A 127.16.0.10", e1Name + " 60 IN A 127.16.16.10"}},
	{name: "answer in the question's case", qname: "VPCE-E1-abcd1234.Vpce-Svc-1.us-east-1.VPCE.amazonaws.com.", qtype: dns.TypeA, aa: true, answer: []string{
		"VPCE-E1-abcd1234.Vpce-Svc-1.us-east-1.VPCE.amazonaws.com. 60 IN A 127.16.0.10",
		"VPCE-E1-abcd1234.Vpce-Svc-1.us-east-1.VPCE.amazonaws.com. 60 IN A 127.16.16.10"}},
	{name: "ipv4 record type: AAAA is NODATA", qname: e1Name, qtype: dns.TypeAAAA, aa: true, ns: []string{soa(regVPCE)}},
	{name: "MX is NODATA", qname: e1Name, qtype: dns.TypeMX, aa: true, ns: []string{soa(regVPCE)}},
	{name: "zonal A", qname: e1Zonal, qtype: dns.TypeA, aa: true, answer: []string{e1Zonal + " 60 IN A 127.16.0.10"}},
	{name: "service-defined dualstack: A", qname: e2Name, qtype: dns.TypeA, aa: true, answer: []string{e2Name + " 60 IN A 127.16.0.11"}},
	{name: "service-defined dualstack: AAAA", qname: e2Name, qtype: dns.TypeAAAA, aa: true, answer: []string{e2Name + " 60 IN AAAA fd00:16::11"}},
	{name: "ANY gives both", qname: e2Name, qtype: dns.TypeANY, aa: true, answer: []string{
		e2Name + " 60 IN A 127.16.0.11", e2Name + " 60 IN AAAA fd00:16::11"}},
	{name: "ipv6 record type on a dualstack endpoint: A is NODATA", qname: e4Name, qtype: dns.TypeA, aa: true, ns: []string{soa(regVPCE)}},
	{name: "ipv6 record type: AAAA", qname: e4Name, qtype: dns.TypeAAAA, aa: true, answer: []string{e4Name + " 60 IN AAAA fd00:17::10"}},
	{name: "pending endpoint is NXDOMAIN", qname: e3Name, qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true, ns: []string{soa(regVPCE)}},
	{name: "empty non-terminal is NODATA", qname: svcBase, qtype: dns.TypeA, aa: true, ns: []string{soa(regVPCE)}},
	{name: "unknown name under the global apex", qname: "nope.vpce.amazonaws.com.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true, ns: []string{soa("vpce.amazonaws.com.")}},
	{name: "name below an endpoint name", qname: "x." + e1Name, qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true, ns: []string{soa(regVPCE)}},
	{name: "apex SOA", qname: regVPCE, qtype: dns.TypeSOA, aa: true, answer: []string{soa(regVPCE)}},
	{name: "apex NS", qname: regVPCE, qtype: dns.TypeNS, aa: true, answer: []string{regVPCE + " 60 IN NS ns.plink.invalid."}},
	{name: "apex A is NODATA", qname: regVPCE, qtype: dns.TypeA, aa: true, ns: []string{soa(regVPCE)}},
	{name: "zone transfer refused", qname: regVPCE, qtype: dns.TypeAXFR, rcode: dns.RcodeRefused},
	{name: "class CH refused", qname: e1Name, qtype: dns.TypeTXT, qclass: dns.ClassCHAOS, rcode: dns.RcodeRefused},

	// Load balancers.
	{name: "LB A", qname: lbName, qtype: dns.TypeA, aa: true, answer: []string{lbName + " 60 IN A 127.18.0.5", lbName + " 60 IN A 127.18.16.5"}},
	{name: "dualstack LB AAAA", qname: lbName, qtype: dns.TypeAAAA, aa: true, answer: []string{lbName + " 60 IN AAAA fd00:18::5"}},
	{name: "unknown LB", qname: "x.elb.us-east-1.amazonaws.com.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true, ns: []string{soa(regELB)}},

	// Private DNS views.
	{name: "private name on the VPC resolver", qname: "api.example.com.", qtype: dns.TypeA, local: "127.16.0.2", aa: true, answer: []string{
		"api.example.com. 60 IN A 127.16.0.10", "api.example.com. 60 IN A 127.16.16.10"}},
	{name: "private name from a source in the VPC", qname: "API.example.com.", qtype: dns.TypeA, src: "127.16.200.9", aa: true, answer: []string{
		"API.example.com. 60 IN A 127.16.0.10", "API.example.com. 60 IN A 127.16.16.10"}},
	{name: "private name from a source in the VPC's IPv6 CIDR", qname: "api.example.com.", qtype: dns.TypeA, src: "fd00:16::99", aa: true, answer: []string{
		"api.example.com. 60 IN A 127.16.0.10", "api.example.com. 60 IN A 127.16.16.10"}},
	{name: "the listener's VPC wins over the source's", qname: "api.example.com.", qtype: dns.TypeA, local: "127.17.0.2", src: "127.16.0.99", rcode: dns.RcodeRefused},
	{name: "private name from outside every VPC", qname: "api.example.com.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
	{name: "private name in a VPC whose endpoint has private DNS off", qname: "api.example.com.", qtype: dns.TypeA, local: "127.17.0.2", rcode: dns.RcodeRefused},
	{name: "private name, other type: NODATA", qname: "api.example.com.", qtype: dns.TypeAAAA, local: "127.16.0.2", aa: true, ns: []string{soa("api.example.com.")}},
	{name: "private zone apex SOA", qname: "api.example.com.", qtype: dns.TypeSOA, local: "127.16.0.2", aa: true, answer: []string{soa("api.example.com.")}},
	{name: "below an exact private name: NXDOMAIN", qname: "x.api.example.com.", qtype: dns.TypeA, local: "127.16.0.2", rcode: dns.RcodeNameError, aa: true, ns: []string{soa("api.example.com.")}},
	{name: "sibling of a private name is not ours", qname: "www.example.com.", qtype: dns.TypeA, local: "127.16.0.2", rcode: dns.RcodeRefused},
	{name: "wildcard one label", qname: "a.wild.test.", qtype: dns.TypeA, local: "127.16.0.2", aa: true, answer: []string{"a.wild.test. 60 IN A 127.16.0.11"}},
	{name: "wildcard two labels, AAAA", qname: "a.B.wild.test.", qtype: dns.TypeAAAA, local: "127.16.0.2", aa: true, answer: []string{"a.B.wild.test. 60 IN AAAA fd00:16::11"}},
	{name: "wildcard apex is NODATA", qname: "wild.test.", qtype: dns.TypeA, local: "127.16.0.2", aa: true, ns: []string{soa("wild.test.")}},
	{name: "wildcard outside its VPC", qname: "a.wild.test.", qtype: dns.TypeA, local: "127.17.0.2", rcode: dns.RcodeRefused},
	{name: "unverified private name", qname: "unverified.example.com.", qtype: dns.TypeA, local: "127.17.0.2", rcode: dns.RcodeRefused},
	{name: "public name", qname: "example.org.", qtype: dns.TypeA, local: "127.16.0.2", rcode: dns.RcodeRefused},
	{name: "root", qname: ".", qtype: dns.TypeNS, rcode: dns.RcodeRefused},
}

func TestResolve(t *testing.T) {
	z := testZone(t)
	for _, c := range resolveCases {
		t.Run(c.name, func(t *testing.T) {
			q, local, src := c.query()
			m := z.resolve(q, z.viewFor(local, src))
			if m.Rcode != c.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[c.rcode])
			}
			if m.Authoritative != c.aa {
				t.Errorf("AA = %v, want %v", m.Authoritative, c.aa)
			}
			if got, want := rrStrings(t, m.Answer), parseRRs(t, c.answer); !slices.Equal(got, want) {
				t.Errorf("answer:\n got %q\nwant %q", got, want)
			}
			if got, want := rrStrings(t, m.Ns), parseRRs(t, c.ns); !slices.Equal(got, want) {
				t.Errorf("authority:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestRecordTypes(t *testing.T) {
	for _, c := range []struct {
		recordType, addressType string
		a, aaaa                 bool
	}{
		{"ipv4", "dualstack", true, false},
		{"ipv6", "dualstack", false, true},
		{"dualstack", "dualstack", true, true},
		{"service-defined", "dualstack", true, true},
		{"service-defined", "ipv4", true, false},
		{"service-defined", "ipv6", false, true},
		{"", "ipv6", false, true},
	} {
		t.Run(c.recordType+"/"+c.addressType, func(t *testing.T) {
			e := testSnapshot().Endpoints[0]
			e.DNSRecordIPType, e.IPAddressType = c.recordType, c.addressType
			if a, aaaa := recordTypes(&e); a != c.a || aaaa != c.aaaa {
				t.Errorf("recordTypes = %v, %v, want %v, %v", a, aaaa, c.a, c.aaaa)
			}
		})
	}
}

func TestParent(t *testing.T) {
	for in, want := range map[string]string{
		"a.b.c.":   "b.c.",
		"c.":       "",
		".":        "",
		`a\.b.c.`:  "c.",
		`a\\.b.c.`: "b.c.",
	} {
		if got := parent(in); got != want {
			t.Errorf("parent(%q) = %q, want %q", in, got, want)
		}
	}
}
