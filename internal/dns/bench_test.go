package dns

import (
	"fmt"
	"log/slog"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/plink-dev/plink/internal/snapshot"
)

// benchSnapshot builds n available endpoints with three zonal ENIs each,
// one service per 10 endpoints, in one VPC.
func benchSnapshot(n int) *snapshot.Snapshot {
	snap := &snapshot.Snapshot{
		VPCs: []snapshot.VPC{{ID: "vpc-bench", Region: region, CIDR: netip.MustParsePrefix("127.32.0.0/11"),
			Resolver: netip.MustParseAddr("127.32.0.2")}},
		Services: map[string]*snapshot.Service{},
	}
	for i := range n {
		svc := fmt.Sprintf("vpce-svc-%017x", i/10)
		if snap.Services[svc] == nil {
			snap.Services[svc] = &snapshot.Service{ID: svc, PrivateDNSName: fmt.Sprintf("svc%d.example.com", i/10), PrivateDNSVerified: true}
		}
		id := fmt.Sprintf("vpce-%017x", i)
		e := snapshot.Endpoint{ID: id, Region: region, VPCID: "vpc-bench", ServiceID: svc, State: "available",
			IPAddressType: "ipv4", DNSRecordIPType: "ipv4", PrivateDNSEnabled: i%10 == 0,
			RegionalDNSName: fmt.Sprintf("%s-abcd1234.%s.%s.vpce.amazonaws.com", id, svc, region)}
		for z, zone := range []string{"a", "b", "c"} {
			ip := netip.AddrFrom4([4]byte{127, byte(32 + z), byte(i >> 8), byte(i)})
			e.ENIs = append(e.ENIs, snapshot.ENI{ID: fmt.Sprintf("eni-%d%s", i, zone), Zone: region + zone, IPv4: ip,
				ZonalDNSName: fmt.Sprintf("%s-abcd1234-%s%s.%s.%s.vpce.amazonaws.com", id, region, zone, svc, region)})
		}
		snap.Endpoints = append(snap.Endpoints, e)
	}
	return snap
}

// BenchmarkBuild measures the zone rebuild Apply does, at 10,000 and
// 50,000 endpoints (goal: under 500 ms at 50,000; at 10,000 it is part of
// a change going live, whose goal is 50 ms in all).
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{10000, 50000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			snap := benchSnapshot(n)
			log := slog.New(slog.DiscardHandler)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				buildZone(snap, log)
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkApplyOneChange measures Server.Apply of a snapshot where one
// endpoint's address changed (the zone is updated, not rebuilt), at
// 10,000 and 50,000 endpoints (goal: a small part of the 50 ms a change
// has to go live at 10,000).
func BenchmarkApplyOneChange(b *testing.B) {
	for _, n := range []int{10000, 50000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			s := NewServer(Options{})
			defer s.Close()
			snaps := [2]*snapshot.Snapshot{benchSnapshot(n), benchSnapshot(n)}
			snaps[1].Endpoints[n/2].ENIs[0].IPv4 = netip.MustParseAddr("127.99.0.1")
			s.Apply(snaps[0])
			b.ReportAllocs()
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				i++
				s.Apply(snaps[i%2])
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the CPU time (user and system) the process used so far. On
// a machine others load too, it tells what a build costs better than
// the wall-clock ns/op (which includes the time spent waiting for a
// core); GC work on other threads counts in both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHandle measures one query through handle, without sockets.
func BenchmarkHandle(b *testing.B) {
	snap := benchSnapshot(10000)
	z := buildZone(snap, slog.New(slog.DiscardHandler))
	for _, c := range []struct {
		name  string
		qname string
		qtype uint16
		edns  bool
	}{
		{"fast/A", snap.Endpoints[1234].RegionalDNSName, dns.TypeA, false},
		{"fast/A+EDNS", snap.Endpoints[1234].RegionalDNSName, dns.TypeA, true},
		{"general/NODATA", snap.Endpoints[1234].RegionalDNSName, dns.TypeAAAA, false},
		{"general/private", "svc5.example.com", dns.TypeA, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := new(dns.Msg)
			m.SetQuestion(dns.Fqdn(c.qname), c.qtype)
			if c.edns {
				m.SetEdns0(1232, false)
			}
			q := query{raw: packQuery(b, m), local: netip.MustParseAddr("127.32.0.2"), src: netip.MustParseAddr("127.0.0.1")}
			out := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				if r, _ := handle(z, q, false, out); r == nil {
					b.Fatal("no reply")
				}
			}
		})
	}
}
