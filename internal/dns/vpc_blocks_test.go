package dns

import (
	"log/slog"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

// TestVPCBlocksAndAttributes: a query from a VPC's secondary IPv4 block
// sees the VPC's private names; a VPC whose enableDnsSupport or
// enableDnsHostnames is off (NoPrivateDNS) has none.
func TestVPCBlocksAndAttributes(t *testing.T) {
	q := dns.Question{Name: "api.example.com.", Qtype: dns.TypeA, Qclass: dns.ClassINET}
	for _, c := range []struct {
		name         string
		secondary    string
		noPrivateDNS bool
		local, src   string
		rcode        int
		answers      int
	}{
		{"from the primary block", "", false, "127.0.0.1", "127.16.5.5", dns.RcodeSuccess, 2},
		{"from a secondary block", "127.40.0.0/16", false, "127.0.0.1", "127.40.0.9", dns.RcodeSuccess, 2},
		{"from a block the VPC does not have", "", false, "127.0.0.1", "127.40.0.9", dns.RcodeRefused, 0},
		{"attributes off, at the resolver", "", true, "127.16.0.2", "127.0.0.1", dns.RcodeRefused, 0},
		{"attributes off, from inside", "127.40.0.0/16", true, "127.0.0.1", "127.40.0.9", dns.RcodeRefused, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			snap := testSnapshot()
			if c.secondary != "" {
				snap.VPCs[0].SecondaryCIDRs = []netip.Prefix{netip.MustParsePrefix(c.secondary)}
			}
			snap.VPCs[0].NoPrivateDNS = c.noPrivateDNS
			z := buildZone(snap, slog.New(slog.DiscardHandler))
			m := z.resolve(q, z.viewFor(netip.MustParseAddr(c.local), netip.MustParseAddr(c.src)))
			if m.Rcode != c.rcode || len(m.Answer) != c.answers {
				t.Fatalf("rcode %s, %d answers; want %s, %d", dns.RcodeToString[m.Rcode], len(m.Answer), dns.RcodeToString[c.rcode], c.answers)
			}
		})
	}
}
