package dns

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// udpCases are queries of every kind the UDP path meets: fast-path names
// in mixed case, with and without EDNS (sizes, DO), NODATA, NXDOMAIN,
// apex SOA/NS/ANY, a private name (REFUSED outside the VPC), an answer
// too big for 512 bytes, bad EDNS, a query that does not unpack, and a
// response (dropped).
func udpCases(t testing.TB) [][]byte {
	var out [][]byte
	id := uint16(1)
	add := func(name string, qtype uint16, edit func(*dns.Msg)) {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.Id = id
		id++
		if edit != nil {
			edit(m)
		}
		out = append(out, packQuery(t, m))
	}
	names := []string{e1Name, strings.ToUpper(e1Name), "vPcE-E2-ABCD1234.vpce-svc-2.US-east-1.vpce.amazonaws.com.", e1Zonal,
		e3Name, lbName, bigLB, svcBase, regVPCE, regELB, "nope." + regVPCE, "api.example.com.", "x.wild.test.", "example.org."}
	for _, name := range names {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeANY, dns.TypeSOA, dns.TypeNS, dns.TypeTXT} {
			add(name, qtype, nil)
			add(name, qtype, func(m *dns.Msg) { m.SetEdns0(1232, false) })
			add(name, qtype, func(m *dns.Msg) { m.SetEdns0(4096, true); m.CheckingDisabled = true })
			add(name, qtype, func(m *dns.Msg) { m.SetEdns0(100, false); m.RecursionDesired = false })
		}
	}
	add(e1Name, dns.TypeA, func(m *dns.Msg) { m.SetEdns0(1232, false); m.IsEdns0().SetVersion(1) })
	add(e1Name, dns.TypeA, func(m *dns.Msg) { m.SetEdns0(1232, false); m.Extra = append(m.Extra, m.Extra[0]) })
	add(e1Name, dns.TypeA, func(m *dns.Msg) { m.Opcode = dns.OpcodeStatus })
	add(e1Name, dns.TypeA, func(m *dns.Msg) { m.Response = true })
	out = append(out, []byte{0xFF, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a'}) // question cut short
	return out
}

// udpServer starts a server on the test snapshot and dials its UDP
// address; both end with the test.
func udpServer(t *testing.T) (*Server, netip.AddrPort, *net.UDPConn) {
	t.Helper()
	s := NewServer(Options{Addr: "127.0.0.1:0"})
	t.Cleanup(func() { s.Close() })
	if errs := s.Apply(testSnapshot()); len(errs) != 0 {
		t.Fatal(errs)
	}
	server := netip.MustParseAddrPort(addrOf(t, s, "udp "))
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(server))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, server, c
}

// TestUDPBatchMatchesHandle sends every udpCases query in one burst (so
// the server reads them in batches), several times over, and checks each
// reply is byte for byte what handle gives for that query, and that a
// dropped query gets no reply.
func TestUDPBatchMatchesHandle(t *testing.T) {
	s, server, c := udpServer(t)
	client := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr()

	cases := udpCases(t)
	want := map[uint16][]byte{}
	for _, raw := range cases {
		b, fwd := handle(s.zone.Load(), query{raw: raw, local: server.Addr(), src: client}, false, nil)
		if fwd != nil {
			t.Fatalf("query %x forwarded without upstream", raw)
		}
		if b != nil {
			want[binary.BigEndian.Uint16(raw)] = bytes.Clone(b)
		}
	}
	if len(want) < len(cases)-2 {
		t.Fatalf("only %d of %d queries answered by handle", len(want), len(cases))
	}
	// Bursts of 48 queries: several batches of the two workers, and few
	// enough that no socket buffer overflows.
	const rounds, burst = 3, 48
	buf := make([]byte, 65536)
	for round := range rounds {
		for start := 0; start < len(cases); start += burst {
			expect := 0
			for _, raw := range cases[start:min(start+burst, len(cases))] {
				if _, err := c.Write(raw); err != nil {
					t.Fatal(err)
				}
				if want[binary.BigEndian.Uint16(raw)] != nil {
					expect++
				}
			}
			got := map[uint16]bool{}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			for len(got) < expect {
				n, err := c.Read(buf)
				if err != nil {
					t.Fatalf("round %d, burst at %d: %d of %d replies, then %v", round, start, len(got), expect, err)
				}
				id := binary.BigEndian.Uint16(buf)
				w, ok := want[id]
				if !ok {
					t.Fatalf("reply to a query that gets none: %x", buf[:n])
				}
				if !bytes.Equal(buf[:n], w) {
					t.Errorf("reply to query %d:\n%x\nhandle gives\n%x", id, buf[:n], w)
				}
				if got[id] {
					t.Errorf("two replies to query %d", id)
				}
				got[id] = true
			}
		}
	}
	// Nothing more: the dropped queries got no reply.
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(buf); err == nil {
		t.Errorf("unexpected reply %x", buf[:n])
	}
}

// TestUDPLargeQuery sends a query far larger than any ordinary one (EDNS
// padding to 20,000 bytes) and expects the answer a small query gets: a
// batch slot holds any UDP payload.
func TestUDPLargeQuery(t *testing.T) {
	s, _, _ := udpServer(t)
	m := new(dns.Msg)
	m.SetQuestion(e1Name, dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_PADDING{Padding: make([]byte, 20000)})
	c := &dns.Client{Net: "udp", UDPSize: 1232}
	r, _, err := c.Exchange(m, addrOf(t, s, "udp "))
	if err != nil {
		t.Fatal(err)
	}
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 {
		t.Errorf("reply to a 20 kB query: %v", r)
	}
}

// TestUDPNoAllocation checks a fast-path query costs the server no
// allocation: the whole process (client and server) allocates nothing
// over 2,000 exchanges.
func TestUDPNoAllocation(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	_, _, c := udpServer(t)
	queries := [][]byte{}
	for _, edns := range []bool{false, true} {
		for _, name := range []string{e1Name, strings.ToUpper(e2Name), e1Zonal} {
			m := new(dns.Msg)
			m.SetQuestion(name, dns.TypeA)
			if edns {
				m.SetEdns0(1232, true)
			}
			queries = append(queries, packQuery(t, m))
		}
	}
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	i := 0
	exchange := func() {
		q := queries[i%len(queries)]
		i++
		if _, err := c.Write(q); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n < len(q) || binary.BigEndian.Uint16(buf) != binary.BigEndian.Uint16(q) || buf[3]&0x0F != 0 {
			t.Fatalf("reply %x", buf[:n])
		}
	}
	for range 100 {
		exchange() // warm up: every worker has read once
	}
	if a := testing.AllocsPerRun(2000, exchange); a != 0 {
		t.Errorf("%v allocations per query", a)
	}
}
