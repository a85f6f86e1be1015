package dns

import (
	"net/netip"
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
