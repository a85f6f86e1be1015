// Command gen is the driver of bench/dns/run.sh. It builds a snapshot of N
// available endpoints (three zonal ENIs each), serves it with plink's DNS
// server (internal/dns) on -addr, and writes into -dir the same names as a
// knot zone file and configuration (knot on a free port of its own) and a
// dnsperf query file. It writes plink.addr last, once listening, and serves
// until SIGINT or SIGTERM.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/plink-dev/plink/internal/dns"
	"github.com/plink-dev/plink/internal/snapshot"
)

const region = "us-east-1"

func main() {
	n := flag.Int("n", 10000, "number of endpoints")
	addr := flag.String("addr", "127.0.0.1:0", "plink DNS listener (UDP+TCP)")
	dir := flag.String("dir", "", "directory for the knot config, zone and dnsperf queries")
	flag.Parse()
	if err := run(*n, *addr, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(n int, addr, dir string) error {
	if dir == "" {
		return fmt.Errorf("-dir is required")
	}
	snap := buildSnapshot(n)
	if err := writeKnot(dir, snap); err != nil {
		return err
	}
	if err := writeQueries(filepath.Join(dir, "queries.txt"), snap); err != nil {
		return err
	}

	srv := dns.NewServer(dns.Options{Addr: addr, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	defer srv.Close()
	if errs := srv.Apply(snap); len(errs) > 0 {
		return fmt.Errorf("%v", errs)
	}
	var bound string
	for _, a := range srv.Addrs() {
		if rest, ok := strings.CutPrefix(a, "udp "); ok {
			bound = rest
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "plink.addr"), []byte(bound+"\n"), 0o644); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// buildSnapshot makes n available IPv4 endpoints, one service per 10, with
// three ENIs each, in one VPC 127.32.0.0/11.
func buildSnapshot(n int) *snapshot.Snapshot {
	snap := &snapshot.Snapshot{
		Revision: 1,
		VPCs: []snapshot.VPC{{ID: "vpc-bench", Region: region, CIDR: netip.MustParsePrefix("127.32.0.0/11"),
			Resolver: netip.MustParseAddr("127.32.0.2")}},
		Services: map[string]*snapshot.Service{},
	}
	for i := range n {
		svc := fmt.Sprintf("vpce-svc-%017x", i/10)
		if snap.Services[svc] == nil {
			snap.Services[svc] = &snapshot.Service{ID: svc, Region: region}
		}
		id := fmt.Sprintf("vpce-%017x", i)
		e := snapshot.Endpoint{ID: id, Region: region, VPCID: "vpc-bench", ServiceID: svc, State: "available",
			IPAddressType: "ipv4", DNSRecordIPType: "ipv4",
			RegionalDNSName: fmt.Sprintf("%s-abcd1234.%s.%s.vpce.amazonaws.com", id, svc, region)}
		for z, zone := range []string{"a", "b", "c"} {
			e.ENIs = append(e.ENIs, snapshot.ENI{
				ID: fmt.Sprintf("eni-%017x%d", i, z), Zone: region + zone,
				IPv4:         netip.AddrFrom4([4]byte{127, byte(32 + z), byte(i >> 8), byte(i)}),
				ZonalDNSName: fmt.Sprintf("%s-abcd1234-%s%s.%s.%s.vpce.amazonaws.com", id, region, zone, svc, region),
			})
		}
		snap.Endpoints = append(snap.Endpoints, e)
	}
	return snap
}

// writeKnot writes knot.conf (listening on a free loopback port, written
// to knot.addr) and the zone us-east-1.vpce.amazonaws.com with the same
// A records plink serves.
func writeKnot(dir string, snap *snapshot.Snapshot) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	origin := region + ".vpce.amazonaws.com"
	conf := fmt.Sprintf(`server:
    listen: 127.0.0.1@%d
    rundir: %[2]s
database:
    storage: %[2]s
control:
    listen: %[2]s/knot.sock
template:
  - id: default
    storage: %[2]s
    semantic-checks: off
zone:
  - domain: %[3]s
    file: zone.txt
log:
  - target: stderr
    any: warning
`, port, dir, origin)
	if err := os.WriteFile(filepath.Join(dir, "knot.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "knot.addr"), fmt.Appendf(nil, "127.0.0.1:%d\n", port), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "zone.txt"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "$ORIGIN %s.\n$TTL 60\n@ SOA ns.plink.invalid. hostmaster.plink.invalid. 1 7200 900 1209600 60\n@ NS ns.plink.invalid.\n", origin)
	for _, e := range snap.Endpoints {
		for _, eni := range e.ENIs {
			fmt.Fprintf(w, "%s. A %s\n", e.RegionalDNSName, eni.IPv4)
			fmt.Fprintf(w, "%s. A %s\n", eni.ZonalDNSName, eni.IPv4)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeQueries writes every regional and zonal name, type A, in dnsperf's
// format.
func writeQueries(path string, snap *snapshot.Snapshot) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, e := range snap.Endpoints {
		fmt.Fprintf(w, "%s A\n", e.RegionalDNSName)
		for _, eni := range e.ENIs {
			fmt.Fprintf(w, "%s A\n", eni.ZonalDNSName)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// freePort returns a loopback port free in UDP and TCP at the time of the call.
func freePort() (int, error) {
	for range 20 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		u.Close()
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port")
}
