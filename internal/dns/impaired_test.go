package dns

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// TestImpairedZones: a zone whose host stopped heartbeating leaves the
// regional names (endpoint, private DNS, load balancer); zonal names keep
// answering; when every zone is impaired the regional name answers them
// all (fail open).
func TestImpairedZones(t *testing.T) {
	cases := []struct {
		name     string
		impaired []string
		resolveCase
	}{
		{name: "regional drops b", impaired: []string{"us-east-1b"}, resolveCase: resolveCase{
			qname: e1Name, qtype: dns.TypeA, answer: []string{e1Name + " 60 IN A 127.16.0.10"}}},
		{name: "zonal of a live zone", impaired: []string{"us-east-1b"}, resolveCase: resolveCase{
			qname: e1Zonal, qtype: dns.TypeA, answer: []string{e1Zonal + " 60 IN A 127.16.0.10"}}},
		{name: "private name drops b", impaired: []string{"us-east-1b"}, resolveCase: resolveCase{
			qname: "api.example.com.", qtype: dns.TypeA, local: "127.16.0.2",
			answer: []string{"api.example.com. 60 IN A 127.16.0.10"}}},
		{name: "load balancer drops b", impaired: []string{"us-east-1b"}, resolveCase: resolveCase{
			qname: lbName, qtype: dns.TypeA, answer: []string{lbName + " 60 IN A 127.18.0.5"}}},
		{name: "every zone impaired: all answered", impaired: []string{"us-east-1a", "us-east-1b"}, resolveCase: resolveCase{
			qname: e1Name, qtype: dns.TypeA, answer: []string{e1Name + " 60 IN A 127.16.0.10", e1Name + " 60 IN A 127.16.16.10"}}},
		{name: "zone a impaired: the single-zone endpoint fails open", impaired: []string{"us-east-1a"}, resolveCase: resolveCase{
			qname: e2Name, qtype: dns.TypeA, answer: []string{e2Name + " 60 IN A 127.16.0.11"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := testSnapshot()
			snap.ImpairedZones = map[string]bool{}
			for _, z := range c.impaired {
				snap.ImpairedZones[z] = true
			}
			z := buildZone(snap, slog.New(slog.DiscardHandler))
			q, local, src := c.query()
			m := z.resolve(q, z.viewFor(local, src))
			if got, want := rrStrings(t, m.Answer), parseRRs(t, c.answer); !slices.Equal(got, want) {
				t.Errorf("answer:\n got %q\nwant %q", got, want)
			}
		})
	}
}
