package control_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

func TestCPDefaultVPC(t *testing.T) {
	e := cpNewEnv(t)
	for _, tc := range []struct {
		account string
		cidr    string
		subnets map[string]string
	}{
		{cpProvider, "127.16.0.0/16", map[string]string{"a": "127.16.0.0/20", "b": "127.16.16.0/20", "c": "127.16.32.0/20"}},
		{cpConsumer, "127.17.0.0/16", map[string]string{"a": "127.17.0.0/20", "b": "127.17.16.0/20", "c": "127.17.32.0/20"}},
	} {
		t.Run(tc.account, func(t *testing.T) {
			a := e.api(tc.account)
			vpcs := cpMust(a.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{}))(t)
			if len(vpcs.Vpcs) != 1 {
				t.Fatalf("got %d VPCs, want the default one", len(vpcs.Vpcs))
			}
			v := vpcs.Vpcs[0]
			if v.CidrBlock != tc.cidr || !v.IsDefault || v.OwnerID != tc.account || v.State != "available" {
				t.Fatalf("default VPC = %s", cpJSON(t, v))
			}
			subs := e.defaultSubnets(a)
			if len(subs) != 3 {
				t.Fatalf("default subnets: %s", cpJSON(t, subs))
			}
			for z, cidr := range tc.subnets {
				s := subs[z]
				if s.CidrBlock != cidr || s.AvailabilityZone != "us-east-1"+z || !s.DefaultForAz || s.VpcID != v.VpcID {
					t.Errorf("subnet %s = %s, want %s", z, cpJSON(t, s), cidr)
				}
				if s.AvailableIPAddressCount != 4096-5 {
					t.Errorf("subnet %s AvailableIpAddressCount = %d", z, s.AvailableIPAddressCount)
				}
			}
			wantZoneIDs := map[string]string{"a": "use1-az1", "b": "use1-az2", "c": "use1-az3"}
			for z, id := range wantZoneIDs {
				if subs[z].AvailabilityZoneID != id {
					t.Errorf("zone %s id %s, want %s", z, subs[z].AvailabilityZoneID, id)
				}
			}
			sgs := cpMust(a.DescribeSecurityGroups(e.ctx, &control.DescribeSecurityGroupsInput{}))(t)
			if len(sgs.SecurityGroups) != 1 || sgs.SecurityGroups[0].GroupName != "default" || sgs.SecurityGroups[0].VpcID != v.VpcID {
				t.Fatalf("security groups = %s", cpJSON(t, sgs))
			}
			tcpAll := false
			for _, p := range sgs.SecurityGroups[0].IPPermissions {
				for _, r := range p.IPRanges {
					if p.IPProtocol == "tcp" && r.CidrIP == "0.0.0.0/0" && p.FromPort != nil && *p.FromPort == 0 && p.ToPort != nil && *p.ToPort == 65535 {
						tcpAll = true
					}
				}
			}
			if !tcpAll {
				t.Errorf("default group does not admit all TCP: %s", cpJSON(t, sgs.SecurityGroups[0].IPPermissions))
			}
		})
	}
	t.Run("idempotent", func(t *testing.T) {
		rev := cpMust(e.st.Revision(e.ctx))(t)
		cpMust(e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{}))(t)
		cpMust(e.provider.DescribeSubnets(e.ctx, &control.DescribeSubnetsInput{}))(t)
		if r := cpMust(e.st.Revision(e.ctx))(t); r != rev {
			t.Fatalf("describing again moved the revision %d -> %d", rev, r)
		}
	})
}

func TestCPCreateVpc(t *testing.T) {
	e := cpNewEnv(t)
	// 127.16/16 and 127.17/16 are the default VPCs.
	ok := cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.40.0.0/16"}))(t).Vpc
	if ok.CidrBlock != "127.40.0.0/16" || ok.IsDefault || !strings.HasPrefix(ok.VpcID, "vpc-") || len(ok.VpcID) != 4+17 {
		t.Fatalf("CreateVpc = %s", cpJSON(t, ok))
	}
	for _, tc := range []struct {
		name string
		cidr string
		code string
	}{
		{"empty", "", "MissingParameter"},
		{"not a cidr", "banana", "InvalidParameterValue"},
		{"no prefix length", "127.41.0.0", "InvalidParameterValue"},
		{"ipv6", "fd00::/56", "InvalidParameterValue"},
		{"host bits set", "127.41.0.1/16", "InvalidParameterValue"},
		{"too large", "127.0.0.0/8", "InvalidVpc.Range"},
		{"too small", "127.41.0.0/29", "InvalidVpc.Range"},
		{"overlaps default of provider", "127.16.0.0/16", "InvalidVpc.Range"},
		{"overlaps default of another account", "127.17.128.0/24", "InvalidVpc.Range"},
		{"overlaps own VPC", "127.40.16.0/20", "InvalidVpc.Range"},
		{"contains a VPC", "127.40.0.0/15", "InvalidVpc.Range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error {
				_, err := e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: tc.cidr})
				return err
			})
		})
	}
	t.Run("bad tag", func(t *testing.T) {
		e.cpRefused(t, "InvalidParameterValue", func() error {
			_, err := e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.42.0.0/16",
				TagSpecifications: []control.TagSpecification{{ResourceType: "vpc", Tags: []control.Tag{{Key: "aws:x", Value: "y"}}}}})
			return err
		})
	})
}

func TestCPVpcIPv6(t *testing.T) {
	e := cpNewEnv(t)
	v := cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.50.0.0/16", AmazonProvidedIpv6CidrBlock: true}))(t).Vpc
	if len(v.Ipv6CidrBlockAssociationSet) != 1 {
		t.Fatalf("Ipv6CidrBlockAssociationSet = %s", cpJSON(t, v.Ipv6CidrBlockAssociationSet))
	}
	s6 := v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock
	p, err := netip.ParsePrefix(s6)
	if err != nil {
		t.Fatalf("IPv6 block %q: %v", s6, err)
	}
	if p.Bits() != 56 || !strings.HasPrefix(s6, "fd") || !p.Addr().Is6() {
		t.Fatalf("IPv6 block %s, want a ULA /56 (fd..)", s6)
	}
	if p.Masked() != p {
		t.Errorf("BUG: IPv6 block %s has host bits set beyond /56 (canonical %s)", s6, p.Masked())
	}
	// Subnets: a /64 inside the /56.
	sub64 := netip.PrefixFrom(p.Masked().Addr(), 64)
	s := cpMust(e.provider.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: v.VpcID, Ipv6Native: true, Ipv6CidrBlock: sub64.String(), AvailabilityZone: "us-east-1a"}))(t).Subnet
	if !s.Ipv6Native || s.CidrBlock != "" || len(s.Ipv6CidrBlockAssociationSet) != 1 || s.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock != sub64.String() {
		t.Fatalf("ipv6-native subnet = %s", cpJSON(t, s))
	}
}

func TestCPCreateSubnet(t *testing.T) {
	e := cpNewEnv(t)
	v := cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.60.0.0/16", AmazonProvidedIpv6CidrBlock: true}))(t).Vpc
	v4 := cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.61.0.0/16"}))(t).Vpc
	v6 := netip.MustParsePrefix(v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock).Masked()
	sub := func(i byte) string {
		b := v6.Addr().As16()
		b[7] = i
		return netip.PrefixFrom(netip.AddrFrom16(b), 64).String()
	}
	first := cpMust(e.provider.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.0.0/20", Ipv6CidrBlock: sub(1), AvailabilityZone: "us-east-1b"}))(t).Subnet
	if first.CidrBlock != "127.60.0.0/20" || first.AvailabilityZone != "us-east-1b" || first.Ipv6Native {
		t.Fatalf("subnet = %s", cpJSON(t, first))
	}
	otherVPC := e.defaultVPC(e.consumer).VpcID
	for _, tc := range []struct {
		name string
		in   control.CreateSubnetInput
		code string
	}{
		{"no vpc", control.CreateSubnetInput{CidrBlock: "127.60.16.0/20"}, "MissingParameter"},
		{"malformed vpc", control.CreateSubnetInput{VpcID: "vpc-xyz", CidrBlock: "127.60.16.0/20"}, "InvalidVpcId.Malformed"},
		{"unknown vpc", control.CreateSubnetInput{VpcID: "vpc-0123456789abcdef0", CidrBlock: "127.60.16.0/20"}, "InvalidVpcID.NotFound"},
		{"another account's vpc", control.CreateSubnetInput{VpcID: otherVPC, CidrBlock: "127.17.64.0/20"}, "InvalidVpcID.NotFound"},
		{"no cidr", control.CreateSubnetInput{VpcID: v.VpcID}, "MissingParameter"},
		{"bad cidr", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.300.0/20"}, "InvalidParameterValue"},
		{"host bits", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.16.1/20"}, "InvalidParameterValue"},
		{"outside vpc", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.62.0.0/20"}, "InvalidSubnet.Range"},
		{"larger than vpc", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.0.0/15"}, "InvalidSubnet.Range"},
		{"too small", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.16.0/29"}, "InvalidSubnet.Range"},
		{"conflict same", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.0.0/20"}, "InvalidSubnet.Conflict"},
		{"conflict inside", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.4.0/24"}, "InvalidSubnet.Conflict"},
		{"conflict around", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.0.0/19"}, "InvalidSubnet.Conflict"},
		{"bad zone", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.16.0/20", AvailabilityZone: "us-east-1z"}, "InvalidParameterValue"},
		{"ipv6-native without ipv6", control.CreateSubnetInput{VpcID: v.VpcID, Ipv6Native: true}, "InvalidParameterCombination"},
		{"ipv6-native with ipv4", control.CreateSubnetInput{VpcID: v.VpcID, Ipv6Native: true, CidrBlock: "127.60.16.0/20", Ipv6CidrBlock: sub(2)}, "InvalidParameterCombination"},
		{"ipv6 bad", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.16.0/20", Ipv6CidrBlock: "fd00::zz/64"}, "InvalidParameterValue"},
		{"ipv6 not /64", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.16.0/20", Ipv6CidrBlock: netip.PrefixFrom(v6.Addr(), 60).String()}, "InvalidSubnet.Range"},
		{"ipv6 outside vpc", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.16.0/20", Ipv6CidrBlock: "fc00:1:2:3::/64"}, "InvalidSubnet.Range"},
		{"ipv6 conflict", control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.60.16.0/20", Ipv6CidrBlock: sub(1)}, "InvalidSubnet.Conflict"},
		{"ipv6 in vpc without ipv6", control.CreateSubnetInput{VpcID: v4.VpcID, CidrBlock: "127.61.0.0/20", Ipv6CidrBlock: sub(3)}, "InvalidSubnet.Range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error {
				_, err := e.provider.CreateSubnet(e.ctx, &tc.in)
				return err
			})
		})
	}
}

func TestCPDeleteVpcAndSubnet(t *testing.T) {
	e := cpNewEnv(t)
	v := cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.70.0.0/16"}))(t).Vpc
	s := cpMust(e.provider.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.70.0.0/20"}))(t).Subnet
	t.Run("vpc with subnet", func(t *testing.T) {
		e.cpRefused(t, "DependencyViolation", func() error { return errOf(e.provider.DeleteVpc(e.ctx, &control.DeleteVpcInput{VpcID: v.VpcID})) })
	})
	t.Run("vpc of another account", func(t *testing.T) {
		e.cpRefused(t, "InvalidVpcID.NotFound", func() error { return errOf(e.consumer.DeleteVpc(e.ctx, &control.DeleteVpcInput{VpcID: v.VpcID})) })
	})
	t.Run("malformed", func(t *testing.T) {
		e.cpRefused(t, "InvalidVpcId.Malformed", func() error { return errOf(e.provider.DeleteVpc(e.ctx, &control.DeleteVpcInput{VpcID: "vpc-nothex"})) })
	})
	t.Run("subnet used by a load balancer", func(t *testing.T) {
		arn := e.nlb(e.provider, "dep-nlb", "ipv4", s.SubnetID)
		e.cpRefused(t, "DependencyViolation", func() error {
			return errOf(e.provider.DeleteSubnet(e.ctx, &control.DeleteSubnetInput{SubnetID: s.SubnetID}))
		})
		cpNoErr(t, errOf(e.provider.DeleteLoadBalancer(e.ctx, &control.DeleteLoadBalancerInput{LoadBalancerARN: arn})))
	})
	t.Run("subnet used by an endpoint", func(t *testing.T) {
		svc := e.readyService(false)
		ep := e.endpoint(svc, "a")
		sub := ep.SubnetIDs[0]
		e.cpRefused(t, "DependencyViolation", func() error { return errOf(e.consumer.DeleteSubnet(e.ctx, &control.DeleteSubnetInput{SubnetID: sub})) })
		e.cpRefused(t, "DependencyViolation", func() error { return errOf(e.consumer.DeleteVpc(e.ctx, &control.DeleteVpcInput{VpcID: ep.VpcID})) })
	})
	t.Run("delete in order", func(t *testing.T) {
		cpNoErr(t, errOf(e.provider.DeleteSubnet(e.ctx, &control.DeleteSubnetInput{SubnetID: s.SubnetID})))
		cpNoErr(t, errOf(e.provider.DeleteVpc(e.ctx, &control.DeleteVpcInput{VpcID: v.VpcID})))
		_, err := e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{VpcIDs: []string{v.VpcID}})
		cpCode(t, err, "InvalidVpcID.NotFound")
		// Its block is free again.
		cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.70.0.0/16"}))(t)
	})
}
