package dns

import (
	"fmt"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/plink-dev/plink/internal/snapshot"
)

// Names of the test snapshot.
const (
	region  = "us-east-1"
	e1Name  = "vpce-e1-abcd1234.vpce-svc-1.us-east-1.vpce.amazonaws.com."
	e1Zonal = "vpce-e1-abcd1234-us-east-1a.vpce-svc-1.us-east-1.vpce.amazonaws.com."
	e2Name  = "vpce-e2-abcd1234.vpce-svc-2.us-east-1.vpce.amazonaws.com."
	e3Name  = "vpce-e3-abcd1234.vpce-svc-1.us-east-1.vpce.amazonaws.com."
	e4Name  = "vpce-e4-abcd1234.vpce-svc-1.us-east-1.vpce.amazonaws.com."
	lbName  = "my-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com."
	bigLB   = "big-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com."
	svcBase = "vpce-svc-1.us-east-1.vpce.amazonaws.com."
	regVPCE = "us-east-1.vpce.amazonaws.com."
	regELB  = "elb.us-east-1.amazonaws.com."
)

// testSnapshot has two VPCs (a: 127.16.0.0/16 + fd00:16::/56, b:
// 127.17.0.0/16), three services (private names api.example.com,
// *.wild.test and an unverified one), endpoints in several states and
// types, and two load balancers (one with 40 nodes, too big for 512 bytes).
func testSnapshot() *snapshot.Snapshot {
	a := netip.MustParseAddr
	eni := func(ep, zone string, v4, v6 string) snapshot.ENI {
		e := snapshot.ENI{ID: "eni-" + ep + zone, Zone: zone,
			ZonalDNSName: fmt.Sprintf("vpce-%s-abcd1234-%s.vpce-svc-1.us-east-1.vpce.amazonaws.com", ep, zone)}
		if v4 != "" {
			e.IPv4 = a(v4)
		}
		if v6 != "" {
			e.IPv6 = a(v6)
		}
		return e
	}
	big := snapshot.LoadBalancer{Name: "big-nlb", Region: region, DNSName: bigLB[:len(bigLB)-1], IPAddressType: "ipv4"}
	for i := range 40 {
		big.Nodes = append(big.Nodes, snapshot.Node{IPv4: a(fmt.Sprintf("127.18.1.%d", i+1))})
	}
	return &snapshot.Snapshot{
		Revision: 7,
		VPCs: []snapshot.VPC{
			{ID: "vpc-a", Region: region, CIDR: netip.MustParsePrefix("127.16.0.0/16"),
				IPv6CIDR: netip.MustParsePrefix("fd00:16::/56"), Resolver: a("127.16.0.2")},
			{ID: "vpc-b", Region: region, CIDR: netip.MustParsePrefix("127.17.0.0/16"), Resolver: a("127.17.0.2")},
		},
		Services: map[string]*snapshot.Service{
			"vpce-svc-1": {ID: "vpce-svc-1", PrivateDNSName: "api.example.com", PrivateDNSVerified: true},
			"vpce-svc-2": {ID: "vpce-svc-2", PrivateDNSName: "*.wild.test", PrivateDNSVerified: true},
			"vpce-svc-3": {ID: "vpce-svc-3", PrivateDNSName: "unverified.example.com"},
		},
		Endpoints: []snapshot.Endpoint{
			{ID: "vpce-e1", Region: region, VPCID: "vpc-a", ServiceID: "vpce-svc-1", State: "available",
				IPAddressType: "ipv4", DNSRecordIPType: "ipv4", PrivateDNSEnabled: true,
				RegionalDNSName: e1Name[:len(e1Name)-1],
				ENIs:            []snapshot.ENI{eni("e1", "us-east-1a", "127.16.0.10", ""), eni("e1", "us-east-1b", "127.16.16.10", "")}},
			{ID: "vpce-e2", Region: region, VPCID: "vpc-a", ServiceID: "vpce-svc-2", State: "available",
				IPAddressType: "dualstack", DNSRecordIPType: "service-defined", PrivateDNSEnabled: true,
				RegionalDNSName: e2Name,
				ENIs:            []snapshot.ENI{{ID: "eni-e2", Zone: "us-east-1a", IPv4: a("127.16.0.11"), IPv6: a("fd00:16::11")}}},
			{ID: "vpce-e3", Region: region, VPCID: "vpc-b", ServiceID: "vpce-svc-1", State: "pendingAcceptance",
				IPAddressType: "ipv4", DNSRecordIPType: "ipv4", PrivateDNSEnabled: true, RegionalDNSName: e3Name,
				ENIs: []snapshot.ENI{eni("e3", "us-east-1a", "127.17.0.20", "")}},
			{ID: "vpce-e4", Region: region, VPCID: "vpc-b", ServiceID: "vpce-svc-1", State: "available",
				IPAddressType: "dualstack", DNSRecordIPType: "ipv6", RegionalDNSName: e4Name,
				ENIs: []snapshot.ENI{eni("e4", "us-east-1a", "127.17.0.10", "fd00:17::10")}},
			{ID: "vpce-e5", Region: region, VPCID: "vpc-b", ServiceID: "vpce-svc-3", State: "available",
				IPAddressType: "ipv4", PrivateDNSEnabled: true,
				RegionalDNSName: "vpce-e5-abcd1234.vpce-svc-3.us-east-1.vpce.amazonaws.com",
				ENIs:            []snapshot.ENI{{ID: "eni-e5", IPv4: a("127.17.0.30")}}},
		},
		LoadBalancers: []snapshot.LoadBalancer{
			{Name: "my-nlb", Region: region, DNSName: lbName, IPAddressType: "dualstack", Nodes: []snapshot.Node{
				{Zone: "us-east-1a", IPv4: a("127.18.0.5"), IPv6: a("fd00:18::5")},
				{Zone: "us-east-1b", IPv4: a("127.18.16.5")},
			}},
			big,
		},
	}
}

func testZone(t testing.TB) *zone {
	t.Helper()
	return buildZone(testSnapshot(), slog.New(slog.DiscardHandler))
}

// soa is the SOA record plink puts in negative answers for apex.
func soa(apex string) string {
	return apex + " 60 IN SOA ns.plink.invalid. hostmaster.plink.invalid. 7 7200 900 1209600 60"
}

// rrStrings renders records for comparison, normalized through dns.NewRR.
func rrStrings(t *testing.T, rrs []dns.RR) []string {
	t.Helper()
	var out []string
	for _, rr := range rrs {
		out = append(out, rr.String())
	}
	return out
}

func parseRRs(t *testing.T, texts []string) []string {
	t.Helper()
	var out []string
	for _, s := range texts {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("bad expected record %q: %v", s, err)
		}
		out = append(out, rr.String())
	}
	return out
}
