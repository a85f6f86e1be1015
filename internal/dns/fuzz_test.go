package dns

import (
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzHandler feeds raw bytes through the query path (fast path, unpack,
// resolve, pack) over UDP and TCP, from inside and outside a VPC view. It
// must never panic; every reply must unpack, carry the query's ID and fit
// the UDP limit (512 bytes, or the size the query's EDNS record advertises).
// Seeds: testdata/fuzz/FuzzHandler and the ones below.
func FuzzHandler(f *testing.F) {
	for _, name := range []string{e1Name, "Api.Example.com.", "a.b.wild.test.", bigLB, "nope.vpce.amazonaws.com."} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeANY, dns.TypeSOA} {
			m := new(dns.Msg)
			m.SetQuestion(name, qtype)
			f.Add(packQuery(f, m))
			m.SetEdns0(1232, true)
			f.Add(packQuery(f, m))
		}
	}
	z := testZone(f)
	out := make([]byte, 0, 4096)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, tcp := range []bool{false, true} {
			for _, src := range []string{"127.0.0.1", "127.16.0.9"} {
				b, fwd := handle(z, query{raw: raw, local: netip.MustParseAddr("127.0.0.1"),
					src: netip.MustParseAddr(src), tcp: tcp}, src == "127.0.0.1", out)
				if fwd != nil && b != nil {
					t.Fatal("both a reply and a forward")
				}
				if b == nil {
					continue
				}
				m := new(dns.Msg)
				if err := m.Unpack(b); err != nil {
					t.Fatalf("reply %x does not unpack: %v", b, err)
				}
				if m.Id != uint16(raw[0])<<8|uint16(raw[1]) || !m.Response {
					t.Fatalf("reply header %v for query %x", m.MsgHdr, raw)
				}
				if limit := udpLimit(raw); !tcp && len(b) > limit {
					t.Fatalf("UDP reply of %d bytes to a query that accepts %d", len(b), limit)
				}
				if tcp && len(b) > dns.MaxMsgSize {
					t.Fatalf("TCP reply of %d bytes: more than a length prefix can say", len(b))
				}
			}
		}
	})
}

// udpLimit is the largest UDP reply the query raw accepts, worked out
// apart from the handler: 512 bytes (RFC 1035), or the payload size of
// its one EDNS OPT record when larger (RFC 6891).
func udpLimit(raw []byte) int {
	m := new(dns.Msg)
	if m.Unpack(raw) != nil {
		return dns.MinMsgSize
	}
	var opts []*dns.OPT
	for _, rr := range m.Extra {
		if o, ok := rr.(*dns.OPT); ok {
			opts = append(opts, o)
		}
	}
	if len(opts) != 1 || opts[0].UDPSize() < dns.MinMsgSize {
		return dns.MinMsgSize
	}
	return int(opts[0].UDPSize())
}

// FuzzPrivateDNSName builds zones with any private DNS name a service
// may carry (user input: exact, wildcard, escaped, odd case, garbage)
// and asks any name of them. Zone building and resolving must not panic,
// replies to valid names must pack, the public names must not change,
// and a usable private name must answer inside its VPC with the
// endpoint's addresses and never outside every VPC.
func FuzzPrivateDNSName(f *testing.F) {
	for _, s := range [][2]string{
		{"api.example.com", "api.example.com."}, {"API.Example.COM.", "x.api.example.com."},
		{"*.wild2.test", "a.b.wild2.test."}, {"*", "a."}, {".", "."}, {"", ""}, {"a\\.b.test", "a\\.b.test."},
		{"a.b\\", "b\\."}, {"vpce.amazonaws.com", e1Name}, {"*.*.x", "a.*.x."}, {"a..b", "a..b."},
		{"a.wild.test", "a.wild.test."}, {"_x-y.example", "_X-Y.EXAMPLE."},
	} {
		f.Add(s[0], s[1])
	}
	log := slog.New(slog.DiscardHandler)
	e1Addrs := []string{"127.16.0.10", "127.16.16.10"}
	vpcA := netip.MustParseAddr("127.16.0.2")
	f.Fuzz(func(t *testing.T, private, qname string) {
		if len(private) > 512 || len(qname) > 512 {
			return
		}
		snap := testSnapshot()
		snap.Services["vpce-svc-1"].PrivateDNSName = private
		z := buildZone(snap, log)
		inside := z.viewFor(vpcA, vpcA)
		if inside == nil || inside.vpcID != "vpc-a" {
			t.Fatalf("no view for vpc-a: %+v", inside)
		}
		name := canonical(private)
		for _, q := range []string{qname, name, "x." + name, e1Name} {
			for _, v := range []*view{inside, nil} {
				for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeANY, dns.TypeSOA, dns.TypeNS} {
					m := z.resolve(dns.Question{Name: q, Qtype: qt, Qclass: dns.ClassINET}, v)
					if m == nil {
						t.Fatalf("resolve(%q) = nil", q)
					}
					if _, ok := dns.IsDomainName(q); ok && dns.IsFqdn(q) && len(q) < 250 {
						if _, err := m.Pack(); err != nil {
							t.Fatalf("reply to %q (private name %q) does not pack: %v\n%v", q, private, err, m)
						}
					}
				}
			}
		}
		if got := answerAddrs(z.resolve(dns.Question{Name: e1Name, Qtype: dns.TypeA, Qclass: dns.ClassINET}, nil)); !slices.Equal(got, e1Addrs) {
			t.Fatalf("private name %q changed a public name's answer: %v", private, got)
		}

		// A usable private name: a valid name with at least one label
		// (beyond a leading "*" for a wildcard), outside plink's own zones.
		apexName, wildcard := strings.CutPrefix(name, "*.")
		if _, ok := dns.IsDomainName(name); !ok || !dns.IsFqdn(name) || len(name) > 250 || apexName == "." || apexName == "" ||
			strings.Contains(apexName, "*") || z.closestApex(apexName) != nil {
			return
		}
		q := name
		if wildcard {
			q = "x." + apexName
		}
		question := dns.Question{Name: q, Qtype: dns.TypeA, Qclass: dns.ClassINET}
		if got := answerAddrs(z.resolve(question, inside)); !slices.Equal(got, e1Addrs) {
			t.Fatalf("private name %q: %s from inside vpc-a answers %v, want %v", private, q, got, e1Addrs)
		}
		if got := answerAddrs(z.resolve(question, nil)); len(got) != 0 {
			t.Fatalf("private name %q: %s answers %v outside every VPC", private, q, got)
		}
	})
}

// answerAddrs lists the addresses of a reply's A and AAAA records.
func answerAddrs(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		}
	}
	return out
}
