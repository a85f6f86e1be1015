package serve

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/snapshot"
	"github.com/plink-dev/plink/internal/store"
)

func TestRoutes(t *testing.T) {
	hosts := []store.Host{
		{ID: "h-a", Name: "ha", PID: 1, HostAddr: "10.200.0.1", Zones: []string{"us-east-1a"}},
		{ID: "h-b", Name: "hb", PID: 2, HostAddr: "10.200.0.2", Zones: []string{"us-east-1b"}},
		{ID: "h-c", Name: "hc", PID: 3, Zones: []string{"us-east-1c"}}, // no address: no route
	}
	subnets := []store.ZoneSubnet{
		{ID: "s1", Zone: "us-east-1a", CIDR: "10.1.0.0/20", IPv6CIDR: "fd00:1::/64"},
		{ID: "s2", Zone: "us-east-1b", CIDR: "10.1.16.0/20"},
		{ID: "s3", Zone: "us-east-1b", CIDR: "127.16.16.0/20"}, // loopback: local everywhere
		{ID: "s4", Zone: "us-east-1c", CIDR: "10.1.32.0/20"},
		{ID: "s5", Zone: "us-east-1d", CIDR: "10.1.48.0/20"}, // nobody serves d
	}
	cases := []struct {
		name string
		self string
		want []string
	}{
		{"a client host: every zone", "", []string{
			"ip route replace 10.1.0.0/20 via 10.200.0.1", "ip route replace 10.1.16.0/20 via 10.200.0.2"}},
		{"host a: the others", "h-a", []string{"ip route replace 10.1.16.0/20 via 10.200.0.2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, r := range Routes(hosts, subnets, c.self) {
				got = append(got, r.String())
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("routes:\n got %q\nwant %q", got, c.want)
			}
		})
	}
	if got := FormatRoutes(Routes(hosts, subnets, "h-a")); got != "ip route replace 10.1.16.0/20 via 10.200.0.2  # us-east-1b on hb (pid 2, 10.200.0.2)\n" {
		t.Errorf("FormatRoutes: %q", got)
	}
}

func TestZoneView(t *testing.T) {
	a := netip.MustParseAddr
	snap := &snapshot.Snapshot{
		Endpoints: []snapshot.Endpoint{{ID: "vpce-1", ENIs: []snapshot.ENI{
			{ID: "eni-a", Zone: "us-east-1a", IPv4: a("10.2.0.4")}, {ID: "eni-b", Zone: "us-east-1b", IPv4: a("10.2.16.4")}}}},
		LoadBalancers: []snapshot.LoadBalancer{{Name: "nlb", Nodes: []snapshot.Node{
			{Zone: "us-east-1a", IPv4: a("10.1.0.4")}, {Zone: "us-east-1b", IPv4: a("10.1.16.4")}}}},
	}
	v := zoneView(ZoneOptions{Zones: []string{"us-east-1b"}}, snap)
	if len(v.Endpoints[0].ENIs) != 1 || v.Endpoints[0].ENIs[0].ID != "eni-b" {
		t.Errorf("ENIs served for zone b: %+v", v.Endpoints[0].ENIs)
	}
	if len(v.LoadBalancers[0].Nodes) != 1 || v.LoadBalancers[0].Nodes[0].Zone != "us-east-1b" {
		t.Errorf("nodes served for zone b: %+v", v.LoadBalancers[0].Nodes)
	}
	if len(snap.Endpoints[0].ENIs) != 2 || len(snap.LoadBalancers[0].Nodes) != 2 {
		t.Errorf("the view changed the snapshot, which is shared and immutable")
	}
	if zoneView(ZoneOptions{}, snap) != snap {
		t.Errorf("without zones the snapshot is served whole")
	}
}

func TestResolverZone(t *testing.T) {
	vpc := snapshot.VPC{ID: "vpc-1", Resolver: netip.MustParseAddr("10.2.0.2")}
	cases := []struct {
		name    string
		subnets []store.ZoneSubnet
		want    string
	}{
		{"the subnet holding it", []store.ZoneSubnet{{VPCID: "vpc-1", Zone: "us-east-1b", CIDR: "10.2.16.0/20"},
			{VPCID: "vpc-1", Zone: "us-east-1c", CIDR: "10.2.0.0/20"}}, "us-east-1c"},
		{"else the first zone", []store.ZoneSubnet{{VPCID: "vpc-1", Zone: "us-east-1c", CIDR: "10.2.32.0/20"},
			{VPCID: "vpc-1", Zone: "us-east-1b", CIDR: "10.2.16.0/20"}, {VPCID: "vpc-2", Zone: "us-east-1a", CIDR: "10.3.0.0/20"}}, "us-east-1b"},
		{"no subnet", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resolverZone(vpc, c.subnets); got != c.want {
				t.Fatalf("resolverZone = %q, want %q", got, c.want)
			}
		})
	}
}

// TestDNSView: with zones, DNS binds only the resolvers of its zones and
// marks the impaired zones; without, the snapshot is served as it is.
func TestDNSView(t *testing.T) {
	snap := &snapshot.Snapshot{VPCs: []snapshot.VPC{
		{ID: "vpc-1", Resolver: netip.MustParseAddr("10.2.0.2")},
		{ID: "vpc-2", Resolver: netip.MustParseAddr("10.3.0.2")},
	}}
	subnets := []store.ZoneSubnet{{VPCID: "vpc-1", Zone: "us-east-1a", CIDR: "10.2.0.0/20"},
		{VPCID: "vpc-2", Zone: "us-east-1b", CIDR: "10.3.0.0/20"}}
	s := New(Options{Zones: ZoneOptions{Zones: []string{"us-east-1a"}}})
	s.impaired = map[string]bool{"us-east-1b": true}
	v := s.dnsView(snap, subnets)
	if !v.VPCs[0].Resolver.IsValid() || v.VPCs[1].Resolver.IsValid() {
		t.Errorf("resolvers bound by the serve of zone a: %v, %v", v.VPCs[0].Resolver, v.VPCs[1].Resolver)
	}
	if !v.ImpairedZones["us-east-1b"] || snap.ImpairedZones != nil || !snap.VPCs[1].Resolver.IsValid() {
		t.Errorf("impaired %v; the shared snapshot must stay as it was", v.ImpairedZones)
	}
	if New(Options{}).dnsView(snap, subnets) != snap {
		t.Errorf("without zones the snapshot is served whole")
	}
}

func TestHostStateTimeout(t *testing.T) {
	now := time.Now()
	h := store.Host{Heartbeat: now.Add(-3 * time.Second), Timeout: 2 * time.Second}
	if h.State(now) != store.HostFailed {
		t.Errorf("a host 3 s late with a 2 s timeout: %s", h.State(now))
	}
}
