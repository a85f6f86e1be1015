// Command setup fills a plink store for the data-plane benchmark through
// internal/control (the same code the CLI runs, without a process per
// call), and measures how fast `plink serve` makes endpoints live.
//
//	setup build  -db F -n N -port P:TARGET[:HCPORT][:pp2]... [-pending]
//	setup accept -db F -ready R -want N [-timeout 60s]
//	setup wait   -ready R -want N -since UNIXNANO [-timeout 60s]
//
// build creates a provider (111111111111) NLB in its three default subnets
// with one TCP listener per -port (listener port P forwarding to a target
// group whose one ip target is TARGET, PROXY protocol v2 off unless the spec
// ends in :pp2, health checks on HCPORT when given), an endpoint service (acceptance required with
// -pending, else not) that the consumer (222222222222) may use, and N
// consumer endpoints with ONE subnet each, spread over the default VPC and
// as many extra 127.x.0.0/16 VPCs (up to 200 /24 subnets each, at most 240
// endpoints a subnet) as needed.
//
// accept accepts every pendingAcceptance endpoint of the service in one
// AcceptVpcEndpointConnections call, then polls the ready file of a running
// `plink serve` until it lists at least N endpoint listeners, and prints
// the time from commit to that moment.
//
// wait polls the ready file until it lists N endpoint listeners and prints
// the time since -since (a Unix time in nanoseconds, e.g. `date +%s%N`).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

const (
	provider = "111111111111"
	consumer = "222222222222"
	region   = "us-east-1"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: setup build|accept|wait [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = build(os.Args[2:])
	case "accept":
		err = accept(os.Args[2:])
	case "wait":
		err = wait(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(1)
	}
}

type portFlag []string

func (p *portFlag) String() string     { return strings.Join(*p, ",") }
func (p *portFlag) Set(v string) error { *p = append(*p, v); return nil }

func api(st *store.Store, account string) *control.API {
	a, err := control.New(st, control.Caller{Account: account, Region: region})
	if err != nil {
		panic(err) // account and region are constants of this program
	}
	return a
}

func build(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	db := fs.String("db", "", "store path")
	n := fs.Int("n", 1, "endpoints")
	pending := fs.Bool("pending", false, "acceptance required: leave the endpoints pendingAcceptance")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the build to this file")
	var ports portFlag
	fs.Var(&ports, "port", "LISTENPORT:TARGETIP:TARGETPORT[:HEALTHCHECKPORT][:pp2] (repeatable; pp2: PROXY protocol v2 on)")
	fs.Parse(args)
	if *db == "" || len(ports) == 0 {
		return errors.New("build needs -db and -port")
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	p, c := api(st, provider), api(st, consumer)

	pv, err := p.DescribeVpcs(ctx, &control.DescribeVpcsInput{Filters: []control.Filter{{Name: "is-default", Values: []string{"true"}}}})
	if err != nil {
		return err
	}
	vpc := pv.Vpcs[0].VpcID
	ps, err := p.DescribeSubnets(ctx, &control.DescribeSubnetsInput{Filters: []control.Filter{{Name: "vpc-id", Values: []string{vpc}}}})
	if err != nil {
		return err
	}
	var psubs []string
	for _, s := range ps.Subnets {
		psubs = append(psubs, s.SubnetID)
	}
	lb, err := p.CreateLoadBalancer(ctx, &control.CreateLoadBalancerInput{Name: "bench", Type: "network", Scheme: "internal", Subnets: psubs})
	if err != nil {
		return fmt.Errorf("create-load-balancer: %w", err)
	}
	lbARN := lb.LoadBalancers[0].LoadBalancerARN
	for i, spec := range ports {
		parts := strings.Split(spec, ":")
		pp2 := "false"
		if parts[len(parts)-1] == "pp2" {
			pp2, parts = "true", parts[:len(parts)-1]
		}
		if len(parts) < 3 {
			return fmt.Errorf("-port %q: want LISTENPORT:TARGETIP:TARGETPORT[:HCPORT]", spec)
		}
		lport, err1 := strconv.Atoi(parts[0])
		tport, err2 := strconv.Atoi(parts[2])
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("-port %q: %w", spec, err)
		}
		in := control.CreateTargetGroupInput{Name: fmt.Sprintf("bench-%d", i), Protocol: "TCP", Port: tport, VpcID: vpc, TargetType: "ip"}
		if len(parts) > 3 {
			in.HealthCheckPort = parts[3]
		}
		tg, err := p.CreateTargetGroup(ctx, &in)
		if err != nil {
			return fmt.Errorf("create-target-group: %w", err)
		}
		tgARN := tg.TargetGroups[0].TargetGroupARN
		if _, err := p.RegisterTargets(ctx, &control.RegisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: tgARN, Targets: []control.TargetDescription{{ID: parts[1], Port: &tport}}}}); err != nil {
			return fmt.Errorf("register-targets: %w", err)
		}
		if _, err := p.ModifyTargetGroupAttributes(ctx, &control.ModifyTargetGroupAttributesInput{TargetGroupARN: tgARN,
			Attributes: []control.ELBAttribute{{Key: "proxy_protocol_v2.enabled", Value: pp2}}}); err != nil {
			return err
		}
		if _, err := p.CreateListener(ctx, &control.CreateListenerInput{LoadBalancerARN: lbARN, Protocol: "TCP", Port: lport,
			DefaultActions: []control.Action{{Type: "forward", TargetGroupARN: tgARN}}}); err != nil {
			return fmt.Errorf("create-listener: %w", err)
		}
	}
	acc := *pending
	svc, err := p.CreateVpcEndpointServiceConfiguration(ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{lbARN}, AcceptanceRequired: &acc})
	if err != nil {
		return fmt.Errorf("create-endpoint-service: %w", err)
	}
	if _, err := p.ModifyVpcEndpointServicePermissions(ctx, &control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceConfiguration.ServiceID,
		AddAllowedPrincipals: []string{"arn:aws:iam::" + consumer + ":root"}}); err != nil {
		return err
	}

	// Consumer subnets: the default VPC's three /20s, then extra VPCs of
	// up to 200 /24s each (zones a, b, c in turn) until N fit at perSubnet
	// endpoints a subnet. Small subnets keep the build linear: an ENI's
	// address is allocated by reading every address used in its subnet.
	type sub struct{ vpc, id string }
	var subs []sub
	cv, err := c.DescribeVpcs(ctx, &control.DescribeVpcsInput{Filters: []control.Filter{{Name: "is-default", Values: []string{"true"}}}})
	if err != nil {
		return err
	}
	cs, err := c.DescribeSubnets(ctx, &control.DescribeSubnetsInput{Filters: []control.Filter{{Name: "vpc-id", Values: []string{cv.Vpcs[0].VpcID}}}})
	if err != nil {
		return err
	}
	for _, s := range cs.Subnets {
		subs = append(subs, sub{cv.Vpcs[0].VpcID, s.SubnetID})
	}
	const perSubnet = 240
	for i := 0; len(subs)*perSubnet < *n; i++ {
		base := fmt.Sprintf("127.%d", 120+i)
		v, err := c.CreateVpc(ctx, &control.CreateVpcInput{CidrBlock: base + ".0.0/16"})
		if err != nil {
			return fmt.Errorf("create-vpc %s: %w", base, err)
		}
		for j := 0; j < 200 && len(subs)*perSubnet < *n; j++ {
			z := string(rune('a' + j%3))
			s, err := c.CreateSubnet(ctx, &control.CreateSubnetInput{VpcID: v.Vpc.VpcID, CidrBlock: fmt.Sprintf("%s.%d.0/24", base, j), AvailabilityZone: region + z})
			if err != nil {
				return fmt.Errorf("create-subnet: %w", err)
			}
			subs = append(subs, sub{v.Vpc.VpcID, s.Subnet.SubnetID})
		}
	}
	start := time.Now()
	for i := 0; i < *n; i++ {
		s := subs[i%len(subs)]
		if _, err := c.CreateVpcEndpoint(ctx, &control.CreateVpcEndpointInput{VpcID: s.vpc, ServiceName: svc.ServiceConfiguration.ServiceName,
			SubnetIDs: []string{s.id}}); err != nil {
			return fmt.Errorf("create-endpoint #%d: %w", i, err)
		}
	}
	fmt.Fprintf(os.Stderr, "setup: %d endpoints created in %v\n", *n, time.Since(start).Round(time.Millisecond))
	fmt.Println(svc.ServiceConfiguration.ServiceID)
	return nil
}

func accept(args []string) error {
	fs := flag.NewFlagSet("accept", flag.ExitOnError)
	db := fs.String("db", "", "store path")
	ready := fs.String("ready", "", "ready file of the running plink serve")
	want := fs.Int("want", 0, "endpoint listeners to wait for")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after")
	fs.Parse(args)
	ctx := context.Background()
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	p := api(st, provider)
	conns, err := p.DescribeVpcEndpointConnections(ctx, &control.DescribeVpcEndpointConnectionsInput{Filters: []control.Filter{{Name: "vpc-endpoint-state", Values: []string{"pendingAcceptance"}}}})
	if err != nil {
		return err
	}
	var ids []string
	svcID := ""
	for _, c := range conns.VpcEndpointConnections {
		ids = append(ids, c.VpcEndpointID)
		svcID = c.ServiceID
	}
	if len(ids) == 0 {
		return errors.New("no pendingAcceptance endpoints")
	}
	start := time.Now()
	r, err := p.AcceptVpcEndpointConnections(ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svcID, VpcEndpointIDs: ids}})
	if err != nil {
		return err
	}
	if len(r.Unsuccessful) > 0 {
		return fmt.Errorf("accept: %d unsuccessful", len(r.Unsuccessful))
	}
	committed := time.Now()
	got, err := poll(*ready, *want, start.Add(*timeout))
	if err != nil {
		return err
	}
	took := time.Since(committed)
	fmt.Printf("accepted %d in one call (%v); commit -> %d endpoint listeners in the ready file: %v\n", len(ids),
		committed.Sub(start).Round(time.Millisecond), got, took.Round(time.Millisecond))
	fmt.Printf("RESULT %.3f\n", took.Seconds())
	return nil
}

func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	ready := fs.String("ready", "", "ready file of plink serve")
	want := fs.Int("want", 0, "endpoint listeners to wait for")
	since := fs.Int64("since", 0, "start time, Unix nanoseconds")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after")
	fs.Parse(args)
	t0 := time.Unix(0, *since)
	got, err := poll(*ready, *want, time.Now().Add(*timeout))
	if err != nil {
		return err
	}
	fmt.Printf("%d endpoint listeners bound after %v\n", got, time.Since(t0).Round(time.Millisecond))
	fmt.Printf("RESULT %.3f\n", time.Since(t0).Seconds())
	return nil
}

// poll reads the ready file every 2 ms until it lists want endpoint
// listeners or the deadline passes.
func poll(path string, want int, deadline time.Time) (int, error) {
	var last int
	var lastMod time.Time
	var lastSize int64
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(path); err == nil && (!fi.ModTime().Equal(lastMod) || fi.Size() != lastSize) {
			lastMod, lastSize = fi.ModTime(), fi.Size()
			if b, err := os.ReadFile(path); err == nil {
				var info struct {
					Listeners []struct {
						Kind string `json:"kind"`
					} `json:"listeners"`
				}
				if json.Unmarshal(b, &info) == nil {
					last = 0
					for _, l := range info.Listeners {
						if l.Kind == "endpoint" {
							last++
						}
					}
					if last >= want {
						return last, nil
					}
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return last, fmt.Errorf("ready file %s lists %d endpoint listeners, want %d", path, last, want)
}
