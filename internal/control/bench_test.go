package control_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/control"
)

// cpBenchEnv is a store holding n endpoints of one consumer to one
// service of a provider, spread over the subnets of several VPCs, and the
// subnets to put more endpoints in.
type cpBenchEnv struct {
	*cpEnv
	svc     control.ServiceConfiguration
	subnets []struct{ vpc, subnet string }
	ids     []string
	next    int
}

func cpNewBenchEnv(b *testing.B, n int) *cpBenchEnv {
	b.Helper()
	e := &cpBenchEnv{cpEnv: cpNewEnv(b)}
	e.svc = e.readyService(true)
	// The default VPC's three /20s plus two more VPCs of three /20s each:
	// about 36,000 addresses.
	dv := e.defaultVPC(e.consumer).VpcID
	for _, s := range e.defaultSubnets(e.consumer) {
		e.subnets = append(e.subnets, struct{ vpc, subnet string }{dv, s.SubnetID})
	}
	for _, base := range []string{"127.120", "127.121"} {
		v := cpMust(e.consumer.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: base + ".0.0/16"}))(b).Vpc
		for j, z := range []string{"a", "b", "c"} {
			s := cpMust(e.consumer.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: fmt.Sprintf("%s.%d.0/20", base, 16*j), AvailabilityZone: "us-east-1" + z}))(b).Subnet
			e.subnets = append(e.subnets, struct{ vpc, subnet string }{v.VpcID, s.SubnetID})
		}
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		e.ids = append(e.ids, e.create(b))
	}
	b.Logf("filled the store with %d endpoints through CreateVpcEndpoint in %v (%v per endpoint)", n, time.Since(start).Round(time.Millisecond), (time.Since(start) / time.Duration(n)).Round(time.Microsecond))
	return e
}

// create adds one pendingAcceptance endpoint in the next subnet.
func (e *cpBenchEnv) create(b *testing.B) string {
	s := e.subnets[e.next%len(e.subnets)]
	e.next++
	out, err := e.consumer.CreateVpcEndpoint(e.ctx, &control.CreateVpcEndpointInput{VpcID: s.vpc, ServiceName: e.svc.ServiceName, SubnetIDs: []string{s.subnet}})
	if err != nil {
		b.Fatalf("CreateVpcEndpoint #%d: %v", e.next, err)
	}
	return out.VpcEndpoint.VpcEndpointID
}

// BenchmarkSingleResource10k measures single-resource calls against a
// store holding 10,000 endpoints. Goal: well under 50 ms each.
func BenchmarkSingleResource10k(b *testing.B) {
	e := cpNewBenchEnv(b, 10_000)
	b.Run("CreateVpcEndpoint", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e.create(b)
		}
	})
	b.Run("DescribeVpcEndpointsByID", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			id := e.ids[(i*7919)%len(e.ids)]
			out, err := e.consumer.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{VpcEndpointIDs: []string{id}})
			if err != nil || len(out.VpcEndpoints) != 1 {
				b.Fatalf("describe %s: %v", id, err)
			}
		}
	})
	b.Run("AcceptVpcEndpointConnections", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			id := e.create(b)
			b.StartTimer()
			r, err := e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: e.svc.ServiceID, VpcEndpointIDs: []string{id}}})
			if err != nil || len(r.Unsuccessful) != 0 {
				b.Fatalf("accept %s: %v %v", id, err, r)
			}
		}
	})
}
