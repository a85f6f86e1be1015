package dns

import (
	"bytes"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/snapshot"
)

// zoneDiff describes how two zones differ in what they answer ("" when
// they do not): names, nodes (zone, flags, children, addresses, packed
// records), serial, impaired zones and views.
func zoneDiff(a, b *zone) string {
	var out []string
	if a.serial != b.serial {
		out = append(out, fmt.Sprintf("serial %d != %d", a.serial, b.serial))
	}
	if !slices.Equal(slices.Sorted(maps.Keys(a.apexes)), slices.Sorted(maps.Keys(b.apexes))) {
		out = append(out, fmt.Sprintf("apexes %v != %v", slices.Sorted(maps.Keys(a.apexes)), slices.Sorted(maps.Keys(b.apexes))))
	}
	if len(a.impaired) != len(b.impaired) {
		out = append(out, "impaired zones differ")
	}
	for name, n := range a.names {
		if m := b.names[name]; m == nil {
			out = append(out, "only in the first: "+name)
		} else if d := nodeDiff(n, m); d != "" {
			out = append(out, name+": "+d)
		}
	}
	for name := range b.names {
		if a.names[name] == nil {
			out = append(out, "only in the second: "+name)
		}
	}
	if len(a.views) != len(b.views) {
		out = append(out, "view count differs")
	} else {
		for i, v := range a.views {
			w := b.views[i]
			if v.vpcID != w.vpcID || v.noPrivateDNS != w.noPrivateDNS || !slices.Equal(slices.Sorted(maps.Keys(v.apexes)), slices.Sorted(maps.Keys(w.apexes))) {
				out = append(out, "view "+v.vpcID+" differs")
			}
			for _, m := range []struct{ x, y map[string]*node }{{v.exact, w.exact}, {v.wild, w.wild}} {
				if !slices.Equal(slices.Sorted(maps.Keys(m.x)), slices.Sorted(maps.Keys(m.y))) {
					out = append(out, "view "+v.vpcID+" names differ")
					continue
				}
				for k, n := range m.x {
					if d := nodeDiff(n, m.y[k]); d != "" {
						out = append(out, "view "+v.vpcID+" "+k+": "+d)
					}
				}
			}
		}
	}
	if len(a.byResolver) != len(b.byResolver) {
		out = append(out, "resolver addresses differ")
	}
	for ad, v := range a.byResolver {
		if w := b.byResolver[ad]; w == nil || w.vpcID != v.vpcID {
			out = append(out, "resolver "+ad.String()+" differs")
		}
	}
	sort.Strings(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("... (%d in all)", len(out)))
	}
	return strings.Join(out, "\n")
}

func nodeDiff(n, m *node) string {
	switch {
	case n.zone.name != m.zone.name:
		return "zone " + n.zone.name + " != " + m.zone.name
	case n.isApex != m.isApex || n.named != m.named || n.kids != m.kids:
		return fmt.Sprintf("apex/named/kids %v/%v/%d != %v/%v/%d", n.isApex, n.named, n.kids, m.isApex, m.named, m.kids)
	case !slices.Equal(n.a, m.a) || !slices.Equal(n.aaaa, m.aaaa):
		return fmt.Sprintf("addresses %v %v != %v %v", n.a, n.aaaa, m.a, m.aaaa)
	case !bytes.Equal(n.wireA, m.wireA) || !bytes.Equal(n.wireAAAA, m.wireAAAA):
		return "packed records differ"
	}
	return ""
}

// cloneSnapshot copies what the mutations below change, so the previous
// snapshot stays as it was.
func cloneSnapshot(s *snapshot.Snapshot) *snapshot.Snapshot {
	c := *s
	c.Endpoints = slices.Clone(s.Endpoints)
	for i := range c.Endpoints {
		c.Endpoints[i].ENIs = slices.Clone(c.Endpoints[i].ENIs)
	}
	c.LoadBalancers = slices.Clone(s.LoadBalancers)
	for i := range c.LoadBalancers {
		c.LoadBalancers[i].Nodes = slices.Clone(c.LoadBalancers[i].Nodes)
	}
	return &c
}

// mutate makes one random change of the kinds a store sees (and some it
// should not: names alike, a name that is another's parent, a new region).
func mutate(r *rand.Rand, s *snapshot.Snapshot, serial *int, sorted bool) string {
	*serial++
	s.Revision = int64(*serial)
	pick := func() *snapshot.Endpoint { return &s.Endpoints[r.IntN(len(s.Endpoints))] }
	switch k := r.IntN(14); k {
	case 0:
		i := r.IntN(len(s.Endpoints))
		s.Endpoints = slices.Delete(s.Endpoints, i, i+1)
		return "endpoint deleted"
	case 1, 2:
		e := benchSnapshot(1).Endpoints[0]
		e.ID = fmt.Sprintf("vpce-new%d", *serial)
		e.RegionalDNSName = strings.Replace(e.RegionalDNSName, "vpce-00000000000000000", e.ID, 1)
		for i := range e.ENIs {
			e.ENIs[i].ZonalDNSName = strings.Replace(e.ENIs[i].ZonalDNSName, "vpce-00000000000000000", e.ID, 1)
			e.ENIs[i].IPv4 = netip.AddrFrom4([4]byte{127, 40, byte(*serial >> 8), byte(*serial)})
		}
		e.PrivateDNSEnabled = r.IntN(2) == 0
		at := r.IntN(len(s.Endpoints) + 1)
		if sorted {
			at, _ = slices.BinarySearchFunc(s.Endpoints, e.ID, func(x snapshot.Endpoint, id string) int { return strings.Compare(x.ID, id) })
		}
		s.Endpoints = slices.Insert(s.Endpoints, at, e)
		return "endpoint added"
	case 3:
		e := pick()
		e.State = map[bool]string{true: "pending", false: "available"}[e.State == "available"]
		return "state toggled"
	case 4:
		e := pick()
		e.ENIs[r.IntN(len(e.ENIs))].IPv4 = netip.AddrFrom4([4]byte{127, 41, byte(*serial >> 8), byte(*serial)})
		return "ENI address changed"
	case 5:
		e := pick()
		e.DNSRecordIPType = []string{"ipv4", "dualstack", "ipv6", "service-defined"}[r.IntN(4)]
		e.IPAddressType = []string{"ipv4", "dualstack"}[r.IntN(2)]
		for i := range e.ENIs {
			e.ENIs[i].IPv6 = netip.MustParseAddr(fmt.Sprintf("fd00::%x", *serial*4+i))
		}
		return "record types changed"
	case 6:
		e := pick()
		e.RegionalDNSName = pick().RegionalDNSName
		return "regional name of another"
	case 7:
		e := pick()
		e.RegionalDNSName = parent(canonical(pick().RegionalDNSName))
		return "regional name a parent of others"
	case 8:
		e := pick()
		e.RegionalDNSName = "x" + e.RegionalDNSName
		return "regional name renamed"
	case 9:
		e := pick()
		e.ENIs[0].ZonalDNSName = "outside.example.org"
		return "zonal name outside the zones"
	case 10:
		e := pick()
		e.Region = []string{region, "eu-west-1"}[r.IntN(2)]
		return "region changed"
	case 11:
		if len(s.ImpairedZones) > 0 {
			s.ImpairedZones = nil
		} else {
			s.ImpairedZones = map[string]bool{region + "b": true}
		}
		return "impaired zones toggled"
	case 12:
		lb := &s.LoadBalancers[r.IntN(len(s.LoadBalancers))]
		lb.Nodes[0].IPv4 = netip.AddrFrom4([4]byte{127, 42, byte(*serial >> 8), byte(*serial)})
		return "load balancer node changed"
	default:
		return "no change to names (revision only)"
	}
}

// TestUpdateMatchesBuild applies 400 random changes to a snapshot of 300
// endpoints, and checks after each that the zone updateZone makes from
// the previous one equals the zone built whole (when it makes one; most
// changes must take the update). Endpoints stay sorted by ID (as the
// store lists them) or not.
func TestUpdateMatchesBuild(t *testing.T) {
	for _, sorted := range []bool{true, false} {
		t.Run(fmt.Sprintf("sorted=%v", sorted), func(t *testing.T) { testUpdateMatchesBuild(t, sorted) })
	}
}

func testUpdateMatchesBuild(t *testing.T, sorted bool) {
	log := slog.New(slog.DiscardHandler)
	r := rand.New(rand.NewPCG(1, 13))
	snap := benchSnapshot(300)
	for i := range snap.Endpoints {
		if i%7 == 0 {
			snap.Endpoints[i].State = "pending"
		}
	}
	for i := range 3 {
		lb := snapshot.LoadBalancer{Name: fmt.Sprintf("lb%d", i), Region: region, IPAddressType: "dualstack",
			DNSName: fmt.Sprintf("lb%d-0123456789abcdef.elb.%s.amazonaws.com", i, region)}
		for z, zone := range []string{"a", "b"} {
			lb.Nodes = append(lb.Nodes, snapshot.Node{Zone: region + zone,
				IPv4: netip.AddrFrom4([4]byte{127, 50, byte(i), byte(z)}), IPv6: netip.MustParseAddr(fmt.Sprintf("fd00:50::%d:%d", i, z))})
		}
		snap.LoadBalancers = append(snap.LoadBalancers, lb)
	}
	z := buildZone(snap, log)
	serial, updated := 0, 0
	var undo *snapshot.Snapshot // the snapshot before an odd change, restored next
	for step := range 400 {
		next := cloneSnapshot(snap)
		what := mutate(r, next, &serial, sorted)
		switch {
		case undo != nil:
			next, what = cloneSnapshot(undo), "odd change undone"
			serial++
			next.Revision = int64(serial)
			undo = nil
		case strings.Contains(what, "another") || strings.Contains(what, "parent") || strings.Contains(what, "outside") ||
			strings.Contains(what, "region") || strings.Contains(what, "impaired"):
			undo = snap
		}
		full := buildZone(next, log)
		if u := updateZone(z, snap, next, log); u != nil {
			updated++
			if d := zoneDiff(u, full); d != "" {
				t.Fatalf("step %d (%s): updated zone differs from the built one:\n%s", step, what, d)
			}
			z = u
		} else {
			z = full
		}
		snap = next
	}
	if updated < 200 {
		t.Errorf("only %d of 400 changes updated the zone", updated)
	}
	t.Logf("%d of 400 changes updated the zone", updated)
}

// TestApplyMemoryFlat applies 1,000 snapshots of 1,000 endpoints, one
// endpoint changed each, and checks the live heap after the last is not
// above the one after the first by more than a zone's worth: old zones
// are collected, updates hold nothing of them.
func TestApplyMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := NewServer(Options{})
	defer s.Close()
	snap := benchSnapshot(1000)
	live := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	s.Apply(snap)
	s.Apply(cloneSnapshot(snap))
	base := live()
	for i := range 1000 {
		next := cloneSnapshot(snap)
		next.Revision = int64(i + 1)
		e := &next.Endpoints[i%len(next.Endpoints)]
		e.ENIs[0].IPv4 = netip.AddrFrom4([4]byte{127, 60, byte(i >> 8), byte(i)})
		s.Apply(next)
		snap = next
	}
	after := live()
	zoneSize := base / 2 // two snapshots' and one zone's worth, roughly
	t.Logf("live heap after 2 applies %d kB, after 1,002 %d kB", base>>10, after>>10)
	if after > base+zoneSize {
		t.Errorf("live heap grew from %d kB to %d kB over 1,000 applies", base>>10, after>>10)
	}
}
