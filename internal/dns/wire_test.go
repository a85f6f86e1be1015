package dns

import (
	"bytes"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/miekg/dns"
)

func packQuery(t testing.TB, m *dns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unpack(t *testing.T, b []byte) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		t.Fatalf("reply does not unpack: %v", err)
	}
	return m
}

// TestFastPathMatchesResolve sends every resolve case through handle, with
// and without EDNS (and DO), over UDP and TCP, and checks the fast path
// (when it answers) gives the same message as the general path.
func TestFastPathMatchesResolve(t *testing.T) {
	z := testZone(t)
	fast := 0
	for _, c := range resolveCases {
		for _, edns := range []bool{false, true} {
			for _, tcp := range []bool{false, true} {
				q, local, src := c.query()
				req := new(dns.Msg)
				req.Id = 4242
				req.RecursionDesired = true
				req.CheckingDisabled = edns
				req.Question = []dns.Question{q}
				if edns {
					req.SetEdns0(4096, true)
				}
				in := query{raw: packQuery(t, req), local: local, src: src, tcp: tcp}
				slow, fwd := slowReply(z, in, false, nil)
				if fwd != nil {
					t.Fatalf("%s: forwarded without upstream", c.name)
				}
				sm := unpack(t, slow)
				if sm.Id != 4242 || !sm.Response || !sm.RecursionDesired || sm.CheckingDisabled != edns ||
					sm.Rcode != c.rcode || len(sm.Answer) != len(c.answer) {
					t.Errorf("%s: general path reply:\n%v", c.name, sm)
				}
				if edns != (sm.IsEdns0() != nil) || (edns && !sm.IsEdns0().Do()) {
					t.Errorf("%s: OPT not echoed with DO: %v", c.name, sm)
				}
				b, ok := fastReply(z, in, nil)
				if !ok {
					continue
				}
				fast++
				if fm := unpack(t, b); fm.String() != sm.String() {
					t.Errorf("%s (edns %v): fast path differs:\n%v\ngeneral path:\n%v", c.name, edns, fm, sm)
				}
			}
		}
	}
	if fast == 0 {
		t.Error("the fast path answered nothing")
	}
}

func TestHandleProtocol(t *testing.T) {
	z := testZone(t)
	q := func(name string, qtype uint16, edit func(*dns.Msg)) []byte {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.Id = 77
		if edit != nil {
			edit(m)
		}
		return packQuery(t, m)
	}
	withOPT := func(size uint16, version uint8, opts ...dns.EDNS0) func(*dns.Msg) {
		return func(m *dns.Msg) {
			o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}, Option: opts}
			o.SetUDPSize(size)
			o.SetVersion(version)
			m.Extra = append(m.Extra, o)
		}
	}
	cases := []struct {
		name    string
		raw     []byte
		tcp     bool
		drop    bool
		rcode   int
		tc      bool
		answers int
		opt     bool
	}{
		{name: "fits", raw: q(lbName, dns.TypeA, nil), answers: 2},
		{name: "40 A records over UDP without EDNS: truncated", raw: q(bigLB, dns.TypeA, nil), tc: true, answers: 27},
		{name: "40 A records with EDNS 4096: whole", raw: q(bigLB, dns.TypeA, withOPT(4096, 0)), answers: 40, opt: true},
		{name: "EDNS size below 512 counts as 512", raw: q(bigLB, dns.TypeA, withOPT(100, 0)), tc: true, answers: 26, opt: true},
		{name: "40 A records over TCP: whole", raw: q(bigLB, dns.TypeA, nil), tcp: true, answers: 40},
		{name: "unknown EDNS option ignored", raw: q(lbName, dns.TypeA, withOPT(1232, 0,
			&dns.EDNS0_LOCAL{Code: 65001, Data: []byte{1, 2, 3}}, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})),
			answers: 2, opt: true},
		{name: "EDNS version 1: BADVERS", raw: q(lbName, dns.TypeA, withOPT(1232, 1)), rcode: dns.RcodeBadVers, opt: true},
		{name: "two OPT records: FORMERR", raw: q(lbName, dns.TypeA, func(m *dns.Msg) {
			withOPT(1232, 0)(m)
			withOPT(1232, 0)(m)
		}), rcode: dns.RcodeFormatError},
		{name: "NOTIFY: NOTIMP", raw: q(lbName, dns.TypeSOA, func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify }), rcode: dns.RcodeNotImplemented},
		{name: "UPDATE: NOTIMP", raw: q("elb.amazonaws.com.", dns.TypeSOA, func(m *dns.Msg) { m.Opcode = dns.OpcodeUpdate }), rcode: dns.RcodeNotImplemented},
		{name: "no question: FORMERR", raw: q(lbName, dns.TypeA, func(m *dns.Msg) { m.Question = nil }), rcode: dns.RcodeFormatError},
		{name: "two questions: FORMERR", raw: q(lbName, dns.TypeA, func(m *dns.Msg) {
			m.Question = append(m.Question, m.Question[0])
		}), rcode: dns.RcodeFormatError},
		{name: "a response: dropped", raw: q(lbName, dns.TypeA, func(m *dns.Msg) { m.Response = true }), drop: true},
		{name: "shorter than a header: dropped", raw: []byte{0, 77, 1}, drop: true},
		{name: "header then garbage: FORMERR", raw: []byte{0, 77, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 'a'}, rcode: dns.RcodeFormatError},
		{name: "compression loop in the question: FORMERR", raw: []byte{0, 77, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1}, rcode: dns.RcodeFormatError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, fwd := handle(z, query{raw: c.raw, local: netip.MustParseAddr("127.0.0.1"),
				src: netip.MustParseAddr("127.0.0.1"), tcp: c.tcp}, false, nil)
			if fwd != nil {
				t.Fatal("forwarded")
			}
			if c.drop {
				if b != nil {
					t.Fatalf("answered %x, want drop", b)
				}
				return
			}
			m := unpack(t, b)
			if m.Id != 77 || !m.Response {
				t.Errorf("header: %v", m.MsgHdr)
			}
			if m.Rcode != c.rcode || m.Truncated != c.tc || len(m.Answer) != c.answers || (m.IsEdns0() != nil) != c.opt {
				t.Errorf("got rcode %s TC %v answers %d OPT %v, want %s %v %d %v\n%v",
					dns.RcodeToString[m.Rcode], m.Truncated, len(m.Answer), m.IsEdns0() != nil,
					dns.RcodeToString[c.rcode], c.tc, c.answers, c.opt, m)
			}
			if !c.tcp && len(b) > max(512, int(sizeOf(c.raw))) {
				t.Errorf("UDP reply of %d bytes exceeds the client's buffer", len(b))
			}
			if o := m.IsEdns0(); o != nil && (o.Version() != 0 || o.UDPSize() != ednsSize || len(o.Option) != 0) {
				t.Errorf("reply OPT: %v", o)
			}
		})
	}
}

// sizeOf returns the EDNS buffer size of a raw query, 0 without EDNS.
func sizeOf(raw []byte) uint16 {
	m := new(dns.Msg)
	if m.Unpack(raw) != nil || m.IsEdns0() == nil {
		return 0
	}
	return m.IsEdns0().UDPSize()
}

func TestHandleForwardsOnlyOutsideAuthority(t *testing.T) {
	z := testZone(t)
	for _, c := range []struct {
		qname   string
		forward bool
	}{
		{"example.org.", true},
		{"api.example.com.", true}, // outside the VPC view
		{"nope.vpce.amazonaws.com.", false},
		{e1Name, false},
	} {
		m := new(dns.Msg)
		m.SetQuestion(c.qname, dns.TypeA)
		_, fwd := handle(z, query{raw: packQuery(t, m), local: netip.MustParseAddr("127.0.0.1"),
			src: netip.MustParseAddr("127.0.0.1")}, true, nil)
		if (fwd != nil) != c.forward {
			t.Errorf("%s: forwarded = %v, want %v", c.qname, fwd != nil, c.forward)
		}
	}
}

func TestFormErrKeepsIDAndOpcode(t *testing.T) {
	raw := []byte{0x12, 0x34, 0x29, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff}
	b := formErr(raw, nil)
	want := []byte{0x12, 0x34, 0xA9, dns.RcodeFormatError, 0, 0, 0, 0, 0, 0, 0, 0}
	if !slices.Equal(b, want) {
		t.Errorf("formErr = %x, want %x", b, want)
	}
}

// TestFastPathBytesMatchSlowPath compares, byte for byte, the fast path's
// reply with the general path's (miekg/dns unpack, resolve, pack) over
// many names (the test zone's and 200 endpoints' worth), each in lower,
// upper and mixed case, types A and AAAA, without EDNS and with EDNS
// sizes 512 to 4096 and DO set or not, RD and CD set or not, over UDP and
// TCP. Both are repacked with name compression first: the general path
// spells owner names out when the answer fits without compression, the
// fast path always points them at the question (the same message).
func TestFastPathBytesMatchSlowPath(t *testing.T) {
	zones := map[string]*zone{"test": testZone(t), "bench": buildZone(benchSnapshot(200), slog.New(slog.DiscardHandler))}
	fast, total := 0, 0
	for zname, z := range zones {
		var names []string
		for name := range z.names {
			names = append(names, name)
		}
		slices.Sort(names)
		for i, name := range names {
			mixed := []byte(name)
			for j := range mixed {
				if (i+j)%3 == 0 {
					mixed[j] = byte(unicode.ToUpper(rune(mixed[j])))
				}
			}
			for _, spelled := range []string{name, strings.ToUpper(name), string(mixed)} {
				for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
					for _, size := range []uint16{0, 512, 1232, 4096} {
						for _, flags := range []int{0, 1, 2, 3} {
							req := new(dns.Msg)
							req.SetQuestion(spelled, qtype)
							req.Id = uint16(total)
							req.RecursionDesired = flags&1 != 0
							req.CheckingDisabled = flags&2 != 0
							if size != 0 {
								req.SetEdns0(size, flags&1 != 0)
							}
							raw := packQuery(t, req)
							for _, tcp := range []bool{false, true} {
								total++
								q := query{raw: raw, local: netip.MustParseAddr("127.0.0.1"), src: netip.MustParseAddr("127.0.0.1"), tcp: tcp}
								b, ok := fastReply(z, q, nil)
								if !ok {
									continue
								}
								fast++
								slow, _ := slowReply(z, q, false, nil)
								if limit := udpLimit(raw); !tcp && len(b) > limit {
									t.Fatalf("%s: fast reply of %d bytes over a limit of %d", spelled, len(b), limit)
								}
								b, slow = repack(t, b), repack(t, slow)
								if !bytes.Equal(b, slow) {
									t.Fatalf("%s zone, %s %s size %d flags %d tcp %v: fast path\n%x\ngeneral path\n%x",
										zname, spelled, dns.TypeToString[qtype], size, flags, tcp, b, slow)
								}
							}
						}
					}
				}
			}
		}
	}
	if fast < total/4 {
		t.Errorf("the fast path answered %d of %d queries", fast, total)
	}
	t.Logf("fast path answered %d of %d queries, each byte for byte as the general path", fast, total)
}

// repack unpacks a reply and packs it again with name compression.
func repack(t *testing.T, b []byte) []byte {
	t.Helper()
	m := unpack(t, b)
	m.Compress = true
	out, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
