// Package demo is `plink demo`: a provider and a consumer account in a
// throwaway store, a built-in backend behind an NLB, an endpoint service,
// the permission and an accepted endpoint, served in the foreground.
package demo

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// Accounts of the demo.
const (
	ProviderAccount = "111111111111"
	ConsumerAccount = "222222222222"
	region          = "us-east-1"
)

// Topology is what setup built, for the lines the demo prints.
type Topology struct {
	ServiceID, ServiceName string
	EndpointID             string
	RegionalName           string
	ZonalNames             []string
	ENIAddrs               []netip.Addr
	ListenerPort           int
	Resolver               netip.Addr // the consumer VPC's resolver (base + 2)
	LoadBalancerDNS        string
}

// Setup builds the provider/consumer story in st, with the target at
// backend and the NLB listening on listenerPort.
func Setup(ctx context.Context, st *store.Store, backend netip.AddrPort, listenerPort int) (*Topology, error) {
	prov, err := control.New(st, control.Caller{Account: ProviderAccount, Region: region})
	if err != nil {
		return nil, err
	}
	cons, err := control.New(st, control.Caller{Account: ConsumerAccount, Region: region})
	if err != nil {
		return nil, err
	}
	t := &Topology{ListenerPort: listenerPort}

	// Provider: target group with the backend, PROXY v2 on, an NLB in the
	// default VPC's three subnets, a listener.
	pvpcs, err := prov.DescribeVpcs(ctx, &control.DescribeVpcsInput{})
	if err != nil {
		return nil, err
	}
	psubs, err := prov.DescribeSubnets(ctx, &control.DescribeSubnetsInput{Filters: []control.Filter{{Name: "vpc-id", Values: []string{pvpcs.Vpcs[0].VpcID}}}})
	if err != nil {
		return nil, err
	}
	fast, two := 5, 2 // health within seconds, not the NLB default minutes
	tgs, err := prov.CreateTargetGroup(ctx, &control.CreateTargetGroupInput{Name: "demo-targets", Protocol: "TCP", Port: int(backend.Port()),
		VpcID: pvpcs.Vpcs[0].VpcID, TargetType: "ip", HealthCheckSettings: control.HealthCheckSettings{
			HealthCheckIntervalSeconds: &fast, HealthCheckTimeoutSeconds: &two, HealthyThresholdCount: &two}})
	if err != nil {
		return nil, fmt.Errorf("create-target-group: %w", err)
	}
	tgARN := tgs.TargetGroups[0].TargetGroupARN
	port := int(backend.Port())
	if _, err := prov.RegisterTargets(ctx, &control.RegisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: tgARN, Targets: []control.TargetDescription{
		{ID: backend.Addr().String(), Port: &port, AvailabilityZone: "all"}}}}); err != nil {
		return nil, fmt.Errorf("register-targets: %w", err)
	}
	if _, err := prov.ModifyTargetGroupAttributes(ctx, &control.ModifyTargetGroupAttributesInput{TargetGroupARN: tgARN, Attributes: []control.ELBAttribute{
		{Key: "proxy_protocol_v2.enabled", Value: "true"}}}); err != nil {
		return nil, fmt.Errorf("modify-target-group-attributes: %w", err)
	}
	var subnetIDs []string
	for _, s := range psubs.Subnets {
		subnetIDs = append(subnetIDs, s.SubnetID)
	}
	lbs, err := prov.CreateLoadBalancer(ctx, &control.CreateLoadBalancerInput{Name: "demo-nlb", Type: "network", Scheme: "internal", Subnets: subnetIDs})
	if err != nil {
		return nil, fmt.Errorf("create-load-balancer: %w", err)
	}
	lb := lbs.LoadBalancers[0]
	t.LoadBalancerDNS = lb.DNSName
	if _, err := prov.CreateListener(ctx, &control.CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TCP", Port: listenerPort,
		DefaultActions: []control.Action{{Type: "forward", TargetGroupARN: tgARN}}}); err != nil {
		return nil, fmt.Errorf("create-listener: %w", err)
	}

	// The endpoint service, acceptance required, and the consumer allowed.
	yes := true
	svc, err := prov.CreateVpcEndpointServiceConfiguration(ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{lb.LoadBalancerARN}, AcceptanceRequired: &yes})
	if err != nil {
		return nil, fmt.Errorf("create-endpoint-service: %w", err)
	}
	t.ServiceID, t.ServiceName = svc.ServiceConfiguration.ServiceID, svc.ServiceConfiguration.ServiceName
	if _, err := prov.ModifyVpcEndpointServicePermissions(ctx, &control.ModifyVpcEndpointServicePermissionsInput{ServiceID: t.ServiceID,
		AddAllowedPrincipals: []string{"arn:aws:iam::" + ConsumerAccount + ":root"}}); err != nil {
		return nil, fmt.Errorf("modify-endpoint-service-permissions: %w", err)
	}

	// Consumer: an endpoint in its default VPC, one ENI per zone.
	cvpcs, err := cons.DescribeVpcs(ctx, &control.DescribeVpcsInput{})
	if err != nil {
		return nil, err
	}
	cvpc := cvpcs.Vpcs[0]
	csubs, err := cons.DescribeSubnets(ctx, &control.DescribeSubnetsInput{Filters: []control.Filter{{Name: "vpc-id", Values: []string{cvpc.VpcID}}}})
	if err != nil {
		return nil, err
	}
	var csubnetIDs []string
	for _, s := range csubs.Subnets {
		csubnetIDs = append(csubnetIDs, s.SubnetID)
	}
	ep, err := cons.CreateVpcEndpoint(ctx, &control.CreateVpcEndpointInput{VpcID: cvpc.VpcID, ServiceName: t.ServiceName, SubnetIDs: csubnetIDs})
	if err != nil {
		return nil, fmt.Errorf("create-endpoint: %w", err)
	}
	t.EndpointID = ep.VpcEndpoint.VpcEndpointID
	res, err := prov.AcceptVpcEndpointConnections(ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: t.ServiceID, VpcEndpointIDs: []string{t.EndpointID}}})
	if err != nil {
		return nil, fmt.Errorf("accept-endpoint-connections: %w", err)
	}
	if len(res.Unsuccessful) > 0 {
		return nil, fmt.Errorf("accept-endpoint-connections: %s", res.Unsuccessful[0].Error.Message)
	}
	for i, d := range ep.VpcEndpoint.DNSEntries {
		if i == 0 {
			t.RegionalName = d.DNSName
		} else {
			t.ZonalNames = append(t.ZonalNames, d.DNSName)
		}
	}
	enis, err := cons.DescribeNetworkInterfaces(ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: ep.VpcEndpoint.NetworkInterfaceIDs})
	if err != nil {
		return nil, err
	}
	for _, n := range enis.NetworkInterfaces {
		if a, err := netip.ParseAddr(n.PrivateIPAddress); err == nil {
			t.ENIAddrs = append(t.ENIAddrs, a)
		}
	}
	p, err := netip.ParsePrefix(cvpc.CidrBlock)
	if err != nil {
		return nil, err
	}
	t.Resolver = p.Addr().Next().Next()
	return t, nil
}
