// Command changes measures how fast a running `plink serve` makes a change
// of its store live, and whether its memory stays flat over many changes.
//
//	changes -db F -ready R -dns HOST:PORT -port P [-changes 1000] [-sample 100]
//
// It makes the changes through internal/control (the code the CLI runs,
// without a process per call), in a cycle of four:
//
//   - create: a consumer endpoint in one subnet of the store's consumer VPCs;
//     live when the ready file's revision has reached the commit's, a TCP
//     connect to the new ENI address on port P succeeds and the endpoint's
//     regional DNS name answers an A record on -dns;
//   - authorize: an ingress rule on that VPC's default security group (the
//     group of the new endpoint); live when the ready file's revision has
//     reached the commit's;
//   - revoke: the same rule removed; likewise;
//   - delete: the endpoint deleted; live when the revision has been reached
//     and a connect to its address is refused.
//
// Each change is timed from the return of its control call (the commit)
// to live. Every -sample changes it reads VmRSS and VmHWM of serve (the
// ready file's pid). It prints one line per kind (median, p90, max) and a
// RESULT line for run.sh.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

const (
	provider = "111111111111"
	consumer = "222222222222"
	region   = "us-east-1"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "changes:", err)
		os.Exit(1)
	}
}

func api(st *store.Store, account string) *control.API {
	a, err := control.New(st, control.Caller{Account: account, Region: region})
	if err != nil {
		panic(err) // constants of this program
	}
	return a
}

type sub struct{ vpc, id, sg string }

func run() error {
	db := flag.String("db", "", "store path (or a postgres:// URI)")
	ready := flag.String("ready", "", "ready file of the running plink serve")
	dnsAddr := flag.String("dns", "", "DNS listener of serve (host:port)")
	port := flag.Int("port", 0, "the endpoint service's listener port")
	n := flag.Int("changes", 1000, "changes to make (a multiple of 4 ends with the store as it began)")
	offset := flag.Int("offset", 0, "number of the first change (a later round of the same run)")
	sample := flag.Int("sample", 100, "read serve's memory every this many changes")
	timeout := flag.Duration("timeout", 30*time.Second, "give up on one change after")
	flag.Parse()
	if *db == "" || *ready == "" || *dnsAddr == "" || *port == 0 {
		return errors.New("needs -db, -ready, -dns and -port")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	c := api(st, consumer)

	svcs, err := api(st, provider).DescribeVpcEndpointServiceConfigurations(ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{})
	if err != nil {
		return err
	}
	if len(svcs.ServiceConfigurations) == 0 {
		return errors.New("no endpoint service in the store (bench/dataplane/setup build makes one)")
	}
	svcName := svcs.ServiceConfigurations[0].ServiceName
	vpcs, err := c.DescribeVpcs(ctx, &control.DescribeVpcsInput{})
	if err != nil {
		return err
	}
	var subs []sub
	for _, v := range vpcs.Vpcs {
		ss, err := c.DescribeSubnets(ctx, &control.DescribeSubnetsInput{Filters: []control.Filter{{Name: "vpc-id", Values: []string{v.VpcID}}}})
		if err != nil {
			return err
		}
		gs, err := c.DescribeSecurityGroups(ctx, &control.DescribeSecurityGroupsInput{Filters: []control.Filter{
			{Name: "vpc-id", Values: []string{v.VpcID}}, {Name: "group-name", Values: []string{"default"}}}})
		if err != nil {
			return err
		}
		if len(gs.SecurityGroups) == 0 {
			return fmt.Errorf("VPC %s has no default security group", v.VpcID)
		}
		for _, s := range ss.Subnets {
			subs = append(subs, sub{v.VpcID, s.SubnetID, gs.SecurityGroups[0].GroupID})
		}
	}
	if len(subs) == 0 {
		return errors.New("the consumer has no subnets")
	}

	pid, _, err := readyRevision(*ready)
	if err != nil {
		return err
	}
	type mem struct {
		after    int
		rss, hwm int64
	}
	var mems []mem
	sampleMem := func(after int) error {
		rss, hwm, err := memOf(pid)
		if err != nil {
			return err
		}
		mems = append(mems, mem{after, rss, hwm})
		fmt.Fprintf(os.Stderr, "changes: after %d changes VmRSS %d MB, VmHWM %d MB\n", after, rss>>10, hwm>>10)
		return nil
	}
	if err := sampleMem(*offset); err != nil {
		return err
	}

	kinds := []string{"create", "authorize", "revoke", "delete"}
	took := map[string][]time.Duration{}
	var all []time.Duration
	var ep struct {
		id, name string
		addr     net.IP
		sub      sub
	}
	rule := func(i int) control.IngressInput {
		from := 20000 + i%10000
		return control.IngressInput{GroupID: ep.sub.sg, IPProtocol: "tcp", FromPort: &from, ToPort: &from, CidrIP: "10.99.0.0/16"}
	}
	for i := *offset; i < *offset+*n; i++ {
		kind := kinds[i%len(kinds)]
		var check func() bool
		switch kind {
		case "create":
			ep.sub = subs[i/len(kinds)%len(subs)]
			out, err := c.CreateVpcEndpoint(ctx, &control.CreateVpcEndpointInput{VpcID: ep.sub.vpc, ServiceName: svcName,
				SubnetIDs: []string{ep.sub.id}})
			if err != nil {
				return fmt.Errorf("change %d: create-vpc-endpoint: %w", i, err)
			}
			ep.id = out.VpcEndpoint.VpcEndpointID
			ep.name = dns.Fqdn(out.VpcEndpoint.DNSEntries[0].DNSName)
			ep.addr, err = eniAddr(ctx, c, out.VpcEndpoint.NetworkInterfaceIDs)
			if err != nil {
				return err
			}
			target := net.JoinHostPort(ep.addr.String(), strconv.Itoa(*port))
			check = func() bool { return connects(target) && resolves(*dnsAddr, ep.name, ep.addr) }
		case "authorize":
			if _, err := c.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: rule(i)}); err != nil {
				return fmt.Errorf("change %d: authorize-security-group-ingress: %w", i, err)
			}
		case "revoke":
			if _, err := c.RevokeSecurityGroupIngress(ctx, &control.RevokeSecurityGroupIngressInput{IngressInput: rule(i - 1)}); err != nil {
				return fmt.Errorf("change %d: revoke-security-group-ingress: %w", i, err)
			}
		case "delete":
			if _, err := c.DeleteVpcEndpoints(ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{ep.id}}); err != nil {
				return fmt.Errorf("change %d: delete-vpc-endpoints: %w", i, err)
			}
			target := net.JoinHostPort(ep.addr.String(), strconv.Itoa(*port))
			check = func() bool { return refused(target) }
		}
		committed := time.Now()
		rev, err := st.Revision(ctx)
		if err != nil {
			return err
		}
		if err := waitLive(*ready, rev, check, committed.Add(*timeout)); err != nil {
			return fmt.Errorf("change %d (%s, revision %d): %w", i, kind, rev, err)
		}
		d := time.Since(committed)
		took[kind] = append(took[kind], d)
		all = append(all, d)
		if (i+1)%*sample == 0 {
			if err := sampleMem(i + 1); err != nil {
				return err
			}
		}
		// Changes a few ms apart, not back to back: each one is applied
		// on its own, as a user's would be.
		time.Sleep(time.Duration(3+i%5) * time.Millisecond)
	}
	for _, k := range append(kinds, "all") {
		ds := took[k]
		if k == "all" {
			ds = all
		}
		if len(ds) == 0 {
			continue
		}
		fmt.Printf("%-9s n=%d p50 %s p90 %s max %s\n", k, len(ds), ms(pct(ds, 50)), ms(pct(ds, 90)), ms(pct(ds, 100)))
	}
	first, last := mems[0], mems[len(mems)-1]
	var peakRSS int64
	var samples []string
	for _, m := range mems {
		peakRSS = max(peakRSS, m.rss)
		samples = append(samples, strconv.FormatInt(m.rss>>10, 10))
	}
	fmt.Printf("memory VmRSS MB every %d changes: %s (VmHWM %d MB at the end)\n", *sample, strings.Join(samples, " "), last.hwm>>10)
	// RESULT p50_ms p90_ms max_ms rss0_MB rssEnd_MB rssPeak_MB hwmEnd_MB
	fmt.Printf("RESULT %s %s %s %d %d %d %d\n", ms(pct(all, 50)), ms(pct(all, 90)), ms(pct(all, 100)),
		first.rss>>10, last.rss>>10, peakRSS>>10, last.hwm>>10)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func eniAddr(ctx context.Context, c *control.API, ids []string) (net.IP, error) {
	out, err := c.DescribeNetworkInterfaces(ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: ids})
	if err != nil {
		return nil, err
	}
	if len(out.NetworkInterfaces) == 0 {
		return nil, fmt.Errorf("network interfaces %v not found", ids)
	}
	return net.ParseIP(out.NetworkInterfaces[0].PrivateIPAddress), nil
}

// waitLive polls the ready file every millisecond until its revision is
// at least rev and check (when set) passes.
func waitLive(ready string, rev int64, check func() bool, deadline time.Time) error {
	var got int64
	for time.Now().Before(deadline) {
		var err error
		if _, got, err = readyRevision(ready); err == nil && got >= rev && (check == nil || check()) {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("not live in time (ready file at revision %d)", got)
}

// readyRevision reads the pid and revision at the head of the ready file
// ({"pid":N,"revision":N,...}) without decoding its listener list.
func readyRevision(path string) (pid int, rev int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	buf := make([]byte, 256)
	k, _ := f.Read(buf)
	buf = buf[:k]
	num := func(key string) (int64, error) {
		i := bytes.Index(buf, []byte(`"`+key+`":`))
		if i < 0 {
			return 0, fmt.Errorf("ready file %s: no %s", path, key)
		}
		rest := bytes.TrimLeft(buf[i+len(key)+3:], " ")
		j := bytes.IndexAny(rest, ",}")
		if j < 0 {
			return 0, fmt.Errorf("ready file %s: %s cut short", path, key)
		}
		return strconv.ParseInt(string(bytes.TrimSpace(rest[:j])), 10, 64)
	}
	p, err := num("pid")
	if err != nil {
		return 0, 0, err
	}
	rev, err = num("revision")
	return int(p), rev, err
}

func connects(addr string) bool {
	cn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	cn.Close()
	return true
}

func refused(addr string) bool {
	cn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		cn.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// resolves reports whether name has an A record of want on server.
func resolves(server, name string, want net.IP) bool {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	cl := dns.Client{Timeout: time.Second}
	r, _, err := cl.Exchange(m, server)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		return false
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok && a.A.Equal(want) {
			return true
		}
	}
	return false
}

// memOf reads VmRSS and VmHWM (KiB) of pid.
func memOf(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss, _ = strconv.ParseInt(f[1], 10, 64)
		case "VmHWM:":
			hwm, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return rss, hwm, nil
}
