package control_test

import (
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// TestModelMembers: the members the model check made plink take (so that
// every AWS CLI flag of its commands exists) are honoured or refused, never
// accepted and ignored; a refusal leaves the store as it was.
func TestModelMembers(t *testing.T) {
	e := cpNewEnv(t)
	p := e.provider
	vpc := e.defaultVPC(p).VpcID
	svc := e.readyService(false)
	ep := e.endpoint(svc, "a")
	nlb := e.providerNLB("mm")
	yes := true
	own := cpMust(p.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.202.0.0/16"}))(t).Vpc.VpcID
	refused := []struct {
		name, code string
		call       func() error
	}{
		{"create-vpc --ipv4-ipam-pool-id", "InvalidParameterValue", func() error {
			return errOf(p.CreateVpc(e.ctx, &control.CreateVpcInput{Ipv4IpamPoolID: "ipam-pool-0123456789abcdef0", Ipv4NetmaskLength: 24}))
		}},
		{"create-vpc --ipv6-ipam-pool-id", "InvalidParameterValue", func() error {
			return errOf(p.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.201.0.0/16", Ipv6IpamPoolID: "ipam-pool-0123456789abcdef0"}))
		}},
		{"create-vpc --ipv6-pool", "InvalidParameterValue", func() error {
			return errOf(p.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.201.0.0/16", Ipv6Pool: "ipv6pool-ec2-0123", Ipv6CidrBlock: "2001:db8::/56"}))
		}},
		{"create-vpc --instance-tenancy dedicated", "InvalidParameterValue", func() error {
			return errOf(p.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.201.0.0/16", InstanceTenancy: "dedicated"}))
		}},
		{"create-vpc --instance-tenancy host", "InvalidParameterValue", func() error {
			return errOf(p.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.201.0.0/16", InstanceTenancy: "host"}))
		}},
		{"create-vpc border group without IPv6", "InvalidParameterCombination", func() error {
			return errOf(p.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.201.0.0/16", Ipv6CidrBlockNetworkBorderGroup: cpRegion}))
		}},
		{"create-vpc another border group", "InvalidParameterValue", func() error {
			return errOf(p.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.201.0.0/16", AmazonProvidedIpv6CidrBlock: true, Ipv6CidrBlockNetworkBorderGroup: cpRegion + "-lax-1"}))
		}},
		{"create-subnet --outpost-arn", "InvalidParameterValue", func() error {
			return errOf(p.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: own, CidrBlock: "127.202.1.0/24", OutpostArn: "arn:aws:outposts:us-east-1:111111111111:outpost/op-0123"}))
		}},
		{"create-subnet unknown zone ID", "InvalidParameterValue", func() error {
			return errOf(p.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: own, CidrBlock: "127.202.1.0/24", AvailabilityZoneID: "use1-az9"}))
		}},
		{"create-subnet zone and another zone's ID", "InvalidParameterCombination", func() error {
			return errOf(p.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: own, CidrBlock: "127.202.1.0/24", AvailabilityZone: cpRegion + "a",
				AvailabilityZoneID: e.zoneID(p, cpRegion+"b")}))
		}},
		{"create-vpc-endpoint --route-table-ids", "InvalidParameter", func() error {
			in := e.endpointInput(svc, "a")
			in.RouteTableIDs = []string{"rtb-0123456789abcdef0"}
			return errOf(e.consumer.CreateVpcEndpoint(e.ctx, &in))
		}},
		{"modify-vpc-endpoint --add-route-table-ids", "InvalidParameter", func() error {
			return errOf(e.consumer.ModifyVpcEndpoint(e.ctx, &control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, AddRouteTableIDs: []string{"rtb-0123456789abcdef0"}}))
		}},
		{"modify-vpc-endpoint --remove-route-table-ids", "InvalidParameter", func() error {
			return errOf(e.consumer.ModifyVpcEndpoint(e.ctx, &control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, RemoveRouteTableIDs: []string{"rtb-0123456789abcdef0"}}))
		}},
		{"create-vpc-endpoint-service-configuration --gateway-load-balancer-arns", "InvalidParameter", func() error {
			return errOf(p.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{AcceptanceRequired: &yes, GatewayLoadBalancerArns: []string{nlb}}))
		}},
		{"modify-vpc-endpoint-service-configuration --add-gateway-load-balancer-arns", "InvalidParameter", func() error {
			return errOf(p.ModifyVpcEndpointServiceConfiguration(e.ctx, &control.ModifyVpcEndpointServiceConfigurationInput{ServiceID: svc.ServiceID, AddGatewayLoadBalancerArns: []string{nlb}}))
		}},
		{"create-load-balancer --security-groups", "ValidationError", func() error {
			return errOf(p.CreateLoadBalancer(e.ctx, &control.CreateLoadBalancerInput{Name: "sg", Subnets: []string{e.defaultSubnets(p)["a"].SubnetID}, SecurityGroups: []string{"sg-0123456789abcdef0"}}))
		}},
		{"create-load-balancer --customer-owned-ipv4-pool", "ValidationError", func() error {
			return errOf(p.CreateLoadBalancer(e.ctx, &control.CreateLoadBalancerInput{Name: "coip", Subnets: []string{e.defaultSubnets(p)["a"].SubnetID}, CustomerOwnedIpv4Pool: "ipv4pool-coip-0123"}))
		}},
		{"create-target-group --protocol-version", "ValidationError", func() error {
			return errOf(p.CreateTargetGroup(e.ctx, &control.CreateTargetGroupInput{Name: "pv", Protocol: "TCP", Port: 80, VpcID: vpc, ProtocolVersion: "HTTP2"}))
		}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) { e.cpRefused(t, tt.code, tt.call) })
	}

	// Listeners: a TLS listener's members on plink's TCP listeners.
	tg := cpMust(p.CreateTargetGroup(e.ctx, &control.CreateTargetGroupInput{Name: "mm", Protocol: "TCP", Port: 80, VpcID: vpc}))(t).TargetGroups[0].TargetGroupARN
	fwd := []control.Action{{Type: "forward", TargetGroupARN: tg}}
	l := cpMust(p.CreateListener(e.ctx, &control.CreateListenerInput{LoadBalancerARN: nlb, Protocol: "TCP", Port: 8443, DefaultActions: fwd}))(t).Listeners[0].ListenerARN
	for name, in := range map[string]control.CreateListenerInput{
		"ssl policy":   {SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06"},
		"certificates": {Certificates: []control.Certificate{{CertificateArn: "arn:aws:acm:us-east-1:111111111111:certificate/x"}}},
		"alpn policy":  {AlpnPolicy: []string{"HTTP2Preferred"}},
	} {
		t.Run("create-listener "+name, func(t *testing.T) {
			in.LoadBalancerARN, in.Protocol, in.Port, in.DefaultActions = nlb, "TCP", 9443, fwd
			e.cpRefused(t, "ValidationError", func() error { return errOf(p.CreateListener(e.ctx, &in)) })
		})
		t.Run("modify-listener "+name, func(t *testing.T) {
			m := control.ModifyListenerInput{ListenerARN: l, SslPolicy: in.SslPolicy, Certificates: in.Certificates, AlpnPolicy: in.AlpnPolicy}
			e.cpRefused(t, "ValidationError", func() error { return errOf(p.ModifyListener(e.ctx, &m)) })
		})
	}

	// Honoured: a zone by its ID, the region as the border group, default
	// tenancy.
	zb := e.zoneID(p, cpRegion+"b")
	s := cpMust(p.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: own, CidrBlock: "127.202.1.0/24", AvailabilityZoneID: zb}))(t).Subnet
	if s.AvailabilityZone != cpRegion+"b" || s.AvailabilityZoneID != zb {
		t.Errorf("subnet by zone ID %s: %s (%s)", zb, s.AvailabilityZone, s.AvailabilityZoneID)
	}
	s = cpMust(p.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: own, CidrBlock: "127.202.2.0/24", AvailabilityZone: cpRegion + "b", AvailabilityZoneID: zb}))(t).Subnet
	if s.AvailabilityZone != cpRegion+"b" {
		t.Errorf("subnet by zone and its ID: %s", s.AvailabilityZone)
	}
	v := cpMust(p.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.201.0.0/16", InstanceTenancy: "default",
		AmazonProvidedIpv6CidrBlock: true, Ipv6CidrBlockNetworkBorderGroup: cpRegion}))(t).Vpc
	if v.InstanceTenancy != "default" || len(v.Ipv6CidrBlockAssociationSet) != 1 || v.Ipv6CidrBlockAssociationSet[0].NetworkBorderGroup != cpRegion {
		t.Errorf("vpc: tenancy %s, IPv6 %+v", v.InstanceTenancy, v.Ipv6CidrBlockAssociationSet)
	}
}

// zoneID is the ID describe-availability-zones gives zone.
func (e *cpEnv) zoneID(a *control.API, zone string) string {
	e.t.Helper()
	out := cpMust(a.DescribeAvailabilityZones(e.ctx, &control.DescribeAvailabilityZonesInput{ZoneNames: []string{zone}}))(e.t)
	return out.AvailabilityZones[0].ZoneID
}
