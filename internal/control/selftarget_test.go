package control_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// TestRegisterTargetsRefusesTheDataPlane: a target whose address is a load
// balancer node or an endpoint ENI (of any account: one data plane serves
// them all) is InvalidTarget, whatever the port, and the store is unchanged.
func TestRegisterTargetsRefusesTheDataPlane(t *testing.T) {
	e := cpNewEnv(t)
	arn := e.providerNLB("self-nlb")
	vpc := e.defaultVPC(e.provider).VpcID
	tg := cpMust(e.provider.CreateTargetGroup(e.ctx, &control.CreateTargetGroupInput{Name: "self-tg", Protocol: "TCP", Port: 8080, VpcID: vpc}))(t).TargetGroups[0]
	cpMust(e.provider.CreateListener(e.ctx, &control.CreateListenerInput{LoadBalancerARN: arn, Protocol: "TCP", Port: 80,
		DefaultActions: []control.Action{{Type: "forward", TargetGroupARN: tg.TargetGroupARN}}}))(t)
	lbs := cpMust(e.provider.DescribeLoadBalancers(e.ctx, &control.DescribeLoadBalancersInput{LoadBalancerARNs: []string{arn}}))(t)
	node := lbs.LoadBalancers[0].AvailabilityZones[0].LoadBalancerAddresses[0].IPAddress

	svc := e.service(false, "", arn)
	e.allow(svc.ServiceID, "arn:aws:iam::222222222222:root")
	ep := e.endpoint(svc, "a")
	enis := cpMust(e.consumer.DescribeNetworkInterfaces(e.ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: ep.NetworkInterfaceIDs}))(t)
	eni := enis.NetworkInterfaces[0].PrivateIPAddress

	port := func(p int) *int { return &p }
	for _, tc := range []struct {
		name   string
		target control.TargetDescription
	}{
		{"own node, listener port", control.TargetDescription{ID: node, Port: port(80)}},
		{"own node, group port", control.TargetDescription{ID: node}},
		{"own node, IPv4-mapped", control.TargetDescription{ID: "::ffff:" + node, Port: port(80)}},
		{"endpoint ENI of the service", control.TargetDescription{ID: eni, Port: port(80), AvailabilityZone: "all"}},
		{"endpoint ENI, other port", control.TargetDescription{ID: eni, Port: port(9999), AvailabilityZone: "all"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cpRefused(t, "InvalidTarget", func() error {
				return errOf(e.provider.RegisterTargets(e.ctx, &control.RegisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: tg.TargetGroupARN,
					Targets: []control.TargetDescription{{ID: "127.0.0.1", Port: port(9000)}, tc.target}}}))
			})
		})
	}
	// The refusal names no resource of another account: the ENI is the
	// consumer's.
	err := errOf(e.provider.RegisterTargets(e.ctx, &control.RegisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: tg.TargetGroupARN,
		Targets: []control.TargetDescription{{ID: eni, Port: port(80), AvailabilityZone: "all"}}}}))
	if err == nil || strings.Contains(err.Error(), ep.NetworkInterfaceIDs[0]) {
		t.Errorf("the refusal names the consumer's ENI %s: %v", ep.NetworkInterfaceIDs[0], err)
	}
	// An ordinary target still registers.
	cpNoErr(t, errOf(e.provider.RegisterTargets(e.ctx, &control.RegisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: tg.TargetGroupARN,
		Targets: []control.TargetDescription{{ID: "127.0.0.1", Port: port(9000)}}}})))
}

// TestNoNodeOrENIAtATargetAddress: the other way round, a new load
// balancer node or endpoint ENI never gets an address that is registered
// as a target; naming one explicitly is refused.
func TestNoNodeOrENIAtATargetAddress(t *testing.T) {
	e := cpNewEnv(t)
	ds := e.defaultSubnets(e.provider)
	vpc := e.defaultVPC(e.provider).VpcID
	tg := cpMust(e.provider.CreateTargetGroup(e.ctx, &control.CreateTargetGroupInput{Name: "t", Protocol: "TCP", Port: 80, VpcID: vpc}))(t).TargetGroups[0].TargetGroupARN
	// The lowest free addresses of the provider's subnet a and of the
	// consumer's subnet a (outside the group's VPC: zone all).
	first := func(cidr string) string {
		return netip.MustParsePrefix(cidr).Addr().Next().Next().Next().Next().String()
	}
	pa, ca := first(ds["a"].CidrBlock), first(e.defaultSubnets(e.consumer)["a"].CidrBlock)
	cpNoErr(t, errOf(e.provider.RegisterTargets(e.ctx, &control.RegisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: tg,
		Targets: []control.TargetDescription{{ID: pa}, {ID: ca, AvailabilityZone: "all"}}}})))

	e.cpRefused(t, "InvalidConfigurationRequest", func() error {
		_, err := e.provider.CreateLoadBalancer(e.ctx, &control.CreateLoadBalancerInput{Name: "pinned", Scheme: "internal",
			SubnetMappings: []control.SubnetMapping{{SubnetID: ds["a"].SubnetID, PrivateIPv4Address: pa}}})
		return err
	})
	arn := e.nlb(e.provider, "n", "ipv4", ds["a"].SubnetID)
	lbs := cpMust(e.provider.DescribeLoadBalancers(e.ctx, &control.DescribeLoadBalancersInput{LoadBalancerARNs: []string{arn}}))(t)
	if got := lbs.LoadBalancers[0].AvailabilityZones[0].LoadBalancerAddresses[0].IPAddress; got == pa {
		t.Errorf("the load balancer node got the target address %s", got)
	}
	svc := e.service(false, "", arn)
	e.allow(svc.ServiceID, "arn:aws:iam::222222222222:root")
	ep := e.endpoint(svc, "a")
	enis := cpMust(e.consumer.DescribeNetworkInterfaces(e.ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: ep.NetworkInterfaceIDs}))(t)
	if got := enis.NetworkInterfaces[0].PrivateIPAddress; got == ca {
		t.Errorf("the endpoint ENI got the target address %s", got)
	}
}
