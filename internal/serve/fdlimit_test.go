package serve

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/plink-dev/plink/internal/snapshot"
)

// fdSnapshot has one dualstack-free NLB with 2 nodes and 2 listener ports,
// and n available endpoints with 3 ENIs each (6 listeners each), plus one
// pending endpoint.
func fdSnapshot(n int) *snapshot.Snapshot {
	lb := snapshot.LoadBalancer{ARN: "lb", Listeners: []snapshot.Listener{{Port: 80}, {Port: 443}},
		Nodes: []snapshot.Node{{IPv4: netip.MustParseAddr("127.16.0.10")}, {IPv4: netip.MustParseAddr("127.16.16.10")}}}
	snap := &snapshot.Snapshot{LoadBalancers: []snapshot.LoadBalancer{lb},
		Services: map[string]*snapshot.Service{"svc": {ID: "svc", LoadBalancerARNs: []string{"lb"}}}}
	for i := range n {
		ep := snapshot.Endpoint{ID: fmt.Sprintf("vpce-%d", i), ServiceID: "svc", State: "available"}
		for z := range 3 {
			ep.ENIs = append(ep.ENIs, snapshot.ENI{IPv4: netip.AddrFrom4([4]byte{127, 17, byte(z), byte(i)})})
		}
		snap.Endpoints = append(snap.Endpoints, ep)
	}
	snap.Endpoints = append(snap.Endpoints, snapshot.Endpoint{ID: "vpce-pending", ServiceID: "svc", State: "pendingAcceptance",
		ENIs: []snapshot.ENI{{IPv4: netip.MustParseAddr("127.17.9.9")}}})
	return snap
}

func TestListenerDemand(t *testing.T) {
	nodes, by := listenerDemand(fdSnapshot(3), false)
	if nodes != 4 || len(by) != 3 || by["vpce-0"] != 6 {
		t.Fatalf("demand nodes=%d by=%v, want 4 and 6 per endpoint", nodes, by)
	}
}

// In sk_lookup mode the listeners are one socket per family and port: 2
// for fdSnapshot's IPv4 ports 80 and 443, however many endpoints; 4 with
// an IPv6 address on one ENI.
func TestListenerDemandSteered(t *testing.T) {
	snap := fdSnapshot(300)
	nodes, by := listenerDemand(snap, true)
	if nodes != 2 || len(by) != 0 {
		t.Fatalf("steered demand nodes=%d, %d endpoints with sockets of their own; want 2 and none", nodes, len(by))
	}
	snap.Endpoints[0].ENIs[0].IPv6 = netip.MustParseAddr("fd00::1")
	if nodes, _ := listenerDemand(snap, true); nodes != 4 {
		t.Fatalf("with an IPv6 address: %d sockets, want 4", nodes)
	}
	if _, unserved, total := fitListeners(snap, 10, nil, true); total != 4 || len(unserved) != 0 {
		t.Fatalf("fit in 10 descriptors: total %d, unserved %v", total, unserved)
	}
}

func TestFitListeners(t *testing.T) {
	ids := func(s *snapshot.Snapshot) []string {
		var out []string
		for _, ep := range s.Endpoints {
			out = append(out, ep.ID)
		}
		return out
	}
	snap := fdSnapshot(5) // 4 + 5*6 = 34 listeners
	tests := []struct {
		name     string
		budget   int
		keep     map[string]bool
		want     []string
		unserved []string
	}{
		{"no limit", -1, nil, []string{"vpce-0", "vpce-1", "vpce-2", "vpce-3", "vpce-4", "vpce-pending"}, nil},
		{"fits exactly", 34, nil, []string{"vpce-0", "vpce-1", "vpce-2", "vpce-3", "vpce-4", "vpce-pending"}, nil},
		{"room for two", 16, nil, []string{"vpce-0", "vpce-1", "vpce-pending"}, []string{"vpce-2", "vpce-3", "vpce-4"}},
		{"served ones first", 16, map[string]bool{"vpce-4": true, "vpce-2": true},
			[]string{"vpce-2", "vpce-4", "vpce-pending"}, []string{"vpce-0", "vpce-1", "vpce-3"}},
		{"nodes only", 3, nil, []string{"vpce-pending"}, []string{"vpce-0", "vpce-1", "vpce-2", "vpce-3", "vpce-4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, unserved, total := fitListeners(snap, tc.budget, tc.keep, false)
			if total != 34 {
				t.Errorf("total %d, want 34", total)
			}
			if !slices.Equal(ids(got), tc.want) || !slices.Equal(unserved, tc.unserved) {
				t.Errorf("kept %v unserved %v, want %v and %v", ids(got), unserved, tc.want, tc.unserved)
			}
			if len(snap.Endpoints) != 6 {
				t.Errorf("the input snapshot was changed")
			}
		})
	}
}

func TestListenerBudget(t *testing.T) {
	l := fileLimit{soft: 1024, hard: 4096, known: true}
	if got := listenerBudget(l, 24); got != 1024-24-(64+128) {
		t.Errorf("budget = %d", got)
	}
	if got := listenerBudget(fileLimit{soft: 64, hard: 64, known: true}, 30); got != 0 {
		t.Errorf("budget under a tiny limit = %d, want 0", got)
	}
	if got := listenerBudget(fileLimit{}, 10); got != -1 {
		t.Errorf("unknown limit: budget %d, want -1", got)
	}
}
