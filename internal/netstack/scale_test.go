package netstack

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/plink-dev/plink/internal/snapshot"
)

// BenchmarkApplyScale: one Apply of a snapshot with 10,000 (PLINK_BENCH_N) endpoint
// addresses on one port to a fresh forwarder, in each listen mode
// (go test -bench ApplyScale -benchtime 3x ./internal/netstack).
func BenchmarkApplyScale(b *testing.B) {
	n := 10000
	if s := os.Getenv("PLINK_BENCH_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	tg := &snapshot.TargetGroup{ARN: "arn:tg/scale", Name: "scale", Protocol: "TCP",
		Targets: []snapshot.Target{{IP: netip.MustParseAddr("127.0.0.1"), Port: 9, Zone: "za"}}}
	lb := snapshot.LoadBalancer{ARN: "arn:lb/scale", Name: "scale",
		Nodes:     []snapshot.Node{{Zone: "za", IPv4: netip.MustParseAddr("127.254.255.5")}},
		Listeners: []snapshot.Listener{{ARN: "arn:l/1", Protocol: "TCP", Port: 47123, TargetGroupARN: tg.ARN}}}
	svc := &snapshot.Service{ID: "vpce-svc-scale", State: "Available", LoadBalancerARNs: []string{lb.ARN}}
	snap := &snapshot.Snapshot{LoadBalancers: []snapshot.LoadBalancer{lb},
		TargetGroups: map[string]*snapshot.TargetGroup{tg.ARN: tg}, Services: map[string]*snapshot.Service{svc.ID: svc}}
	for i := range n {
		snap.Endpoints = append(snap.Endpoints, snapshot.Endpoint{ID: fmt.Sprintf("vpce-%017d", i), ServiceID: svc.ID,
			State: "available", ENIs: []snapshot.ENI{{ID: fmt.Sprintf("eni-%d", i), Zone: "za",
				IPv4: netip.AddrFrom4([4]byte{127, byte(254 - i/(250*250)), byte(i / 250 % 250), byte(1 + i%250)})}}})
	}
	for _, mode := range []string{ListenSKLookup, ListenPerAddress} {
		b.Run(mode, func(b *testing.B) {
			var rl syscall.Rlimit
			if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && mode == ListenPerAddress && rl.Cur < uint64(n+100) {
				b.Skipf("%d listeners need more descriptors than the limit (%d)", n, rl.Cur)
			}
			for range b.N {
				f := New(Options{ListenMode: mode})
				if m, err := f.ListenMode(); m != mode {
					b.Skip("unavailable:", err)
				}
				res := f.Apply(snap)
				if len(res.Errors) > 0 || len(res.Listeners) != n+1 {
					b.Fatalf("%d listeners, errors %v", len(res.Listeners), res.Errors[:min(3, len(res.Errors))])
				}
				b.StopTimer()
				f.Close()
				b.StartTimer()
			}
		})
	}
}
