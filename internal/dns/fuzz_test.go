package dns

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

// FuzzHandler feeds raw bytes through the query path (fast path, unpack,
// resolve, pack) over UDP and TCP, from inside and outside a VPC view. It
// must never panic; every reply must unpack, carry the query's ID and fit
// the UDP limit. Seeds: testdata/fuzz/FuzzHandler and the ones below.
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
				if !tcp && len(b) > 65535 {
					t.Fatalf("UDP reply of %d bytes", len(b))
				}
			}
		}
	})
}
