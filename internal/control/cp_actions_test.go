package control_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// Tests of the actions of issue 9: ec2 create-/delete-/describe-tags,
// describe-availability-zones, the CIDR block associations,
// describe-/modify-vpc-attribute, the payer responsibility, elbv2
// set-ip-address-type and set-subnets, and the dualstack upgrade path.

// --- calls of actions that predate these tests, in one place --------------

func (e *cpEnv) xVpc(a *control.API, cidr string) *control.Vpc {
	e.t.Helper()
	return cpMust(a.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: cidr}))(e.t).Vpc
}

func (e *cpEnv) xSubnet(a *control.API, vpcID, cidr, ipv6, zone string) *control.Subnet {
	e.t.Helper()
	return cpMust(a.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: vpcID, CidrBlock: cidr, Ipv6CidrBlock: ipv6, AvailabilityZone: zone}))(e.t).Subnet
}

func (e *cpEnv) xDescribeVpc(a *control.API, id string) control.Vpc {
	e.t.Helper()
	return cpMust(a.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{VpcIDs: []string{id}}))(e.t).Vpcs[0]
}

func (e *cpEnv) xDescribeSubnet(a *control.API, id string) control.Subnet {
	e.t.Helper()
	return cpMust(a.DescribeSubnets(e.ctx, &control.DescribeSubnetsInput{SubnetIDs: []string{id}}))(e.t).Subnets[0]
}

func (e *cpEnv) xLB(a *control.API, arn string) control.LoadBalancer {
	e.t.Helper()
	return cpMust(a.DescribeLoadBalancers(e.ctx, &control.DescribeLoadBalancersInput{LoadBalancerARNs: []string{arn}}))(e.t).LoadBalancers[0]
}

func (e *cpEnv) xEndpointIn(svc control.ServiceConfiguration, vpcID, ipType string, subnets ...string) control.VpcEndpoint {
	e.t.Helper()
	return cpMust(e.consumer.CreateVpcEndpoint(e.ctx, &control.CreateVpcEndpointInput{VpcID: vpcID, ServiceName: svc.ServiceName,
		SubnetIDs: subnets, IPAddressType: ipType}))(e.t).VpcEndpoint
}

func (e *cpEnv) xENIs(ids []string) []control.NetworkInterface {
	e.t.Helper()
	return cpMust(e.consumer.DescribeNetworkInterfaces(e.ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: ids}))(e.t).NetworkInterfaces
}

func (e *cpEnv) xAddIPv6ToService(id string) {
	e.t.Helper()
	cpMust(e.provider.ModifyVpcEndpointServiceConfiguration(e.ctx, &control.ModifyVpcEndpointServiceConfigurationInput{ServiceID: id, AddSupportedIPAddressTypes: []string{"ipv6"}}))(e.t)
}

func (e *cpEnv) xModifyEndpointIPType(id, ipType string) {
	e.t.Helper()
	cpMust(e.consumer.ModifyVpcEndpoint(e.ctx, &control.ModifyVpcEndpointInput{VpcEndpointID: id, IPAddressType: ipType}))(e.t)
}

func (e *cpEnv) xSecurityGroup(a *control.API, vpcID, name string) string {
	e.t.Helper()
	return cpMust(a.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: name, Description: name, VpcID: vpcID}))(e.t).GroupID
}

// --- tags --------------------------------------------------------------------

func tagsOf(out *control.DescribeTagsEC2Output) []string {
	var s []string
	for _, t := range out.Tags {
		s = append(s, t.ResourceType+":"+t.ResourceID+":"+t.Key+"="+t.Value)
	}
	return s
}

func TestCPTagsEC2(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(false)
	ep := e.endpoint(svc, "a")
	v := e.defaultVPC(e.consumer)
	sub := e.defaultSubnets(e.consumer)["a"]
	sg := e.xSecurityGroup(e.consumer, v.VpcID, "tagged")
	eni := ep.NetworkInterfaceIDs[0]
	resources := map[string]string{v.VpcID: "vpc", sub.SubnetID: "subnet", sg: "security-group", ep.VpcEndpointID: "vpc-endpoint", eni: "network-interface"}

	t.Run("create on every kind", func(t *testing.T) {
		var ids []string
		for id := range resources {
			ids = append(ids, id)
		}
		cpMust(e.consumer.CreateTags(e.ctx, &control.CreateTagsInput{Resources: ids, Tags: []control.Tag{{Key: "team", Value: "a"}, {Key: "empty", Value: ""}}}))(t)
		cpMust(e.provider.CreateTags(e.ctx, &control.CreateTagsInput{Resources: []string{svc.ServiceID}, Tags: []control.Tag{{Key: "team", Value: "p"}}}))(t)
		got := cpMust(e.consumer.DescribeTagsEC2(e.ctx, &control.DescribeTagsEC2Input{Filters: []control.Filter{{Name: "key", Values: []string{"team"}}}}))(t)
		if len(got.Tags) != len(resources) {
			t.Fatalf("consumer's tags %v", tagsOf(got))
		}
		for _, tg := range got.Tags {
			if resources[tg.ResourceID] != tg.ResourceType || tg.Value != "a" {
				t.Errorf("tag %+v, want type %s", tg, resources[tg.ResourceID])
			}
		}
		p := cpMust(e.provider.DescribeTagsEC2(e.ctx, &control.DescribeTagsEC2Input{}))(t)
		if s := tagsOf(p); len(s) != 1 || s[0] != "vpc-endpoint-service:"+svc.ServiceID+":team=p" {
			t.Fatalf("provider's tags %v", s)
		}
		// The resources' own descriptions show the tags.
		if n := e.xENIs([]string{eni})[0]; len(n.TagSet) != 2 {
			t.Errorf("ENI TagSet %s", cpJSON(t, n.TagSet))
		}
		if got := e.xDescribeVpc(e.consumer, v.VpcID); len(got.Tags) != 2 {
			t.Errorf("VPC Tags %s", cpJSON(t, got.Tags))
		}
	})

	tags51 := make([]control.Tag, 0, 51)
	for i := range 49 {
		tags51 = append(tags51, control.Tag{Key: "k" + string(rune('A'+i)), Value: "v"})
	}
	for _, tc := range []struct {
		name string
		api  *control.API
		in   control.CreateTagsInput
		code string
	}{
		{"another account's VPC", e.provider, control.CreateTagsInput{Resources: []string{v.VpcID}, Tags: []control.Tag{{Key: "x", Value: "y"}}}, "InvalidVpcID.NotFound"},
		{"another account's ENI", e.provider, control.CreateTagsInput{Resources: []string{eni}, Tags: []control.Tag{{Key: "x", Value: "y"}}}, control.ErrCodeInvalidNetworkInterfaceIDNotFound},
		{"another account's service", e.consumer, control.CreateTagsInput{Resources: []string{svc.ServiceID}, Tags: []control.Tag{{Key: "x", Value: "y"}}}, "InvalidVpcEndpointServiceId.NotFound"},
		{"one refused resource refuses all", e.consumer, control.CreateTagsInput{Resources: []string{sub.SubnetID, "subnet-0123456789abcdef0"}, Tags: []control.Tag{{Key: "x", Value: "y"}}}, "InvalidSubnetID.NotFound"},
		{"unknown kind", e.consumer, control.CreateTagsInput{Resources: []string{"i-0123456789abcdef0"}, Tags: []control.Tag{{Key: "x", Value: "y"}}}, control.ErrCodeInvalidID},
		{"notification", e.consumer, control.CreateTagsInput{Resources: []string{"vpce-nfn-0123456789abcdef0"}, Tags: []control.Tag{{Key: "x", Value: "y"}}}, control.ErrCodeInvalidID},
		{"aws: prefix", e.consumer, control.CreateTagsInput{Resources: []string{sub.SubnetID}, Tags: []control.Tag{{Key: "aws:x", Value: "y"}}}, control.ErrCodeInvalidParameterValue},
		{"control character", e.consumer, control.CreateTagsInput{Resources: []string{sub.SubnetID}, Tags: []control.Tag{{Key: "a\x1b", Value: "y"}}}, control.ErrCodeInvalidParameterValue},
		{"over 50 on the resource", e.consumer, control.CreateTagsInput{Resources: []string{sub.SubnetID}, Tags: tags51}, "TagLimitExceeded"},
		{"no resources", e.consumer, control.CreateTagsInput{Tags: []control.Tag{{Key: "x", Value: "y"}}}, control.ErrCodeMissingParameter},
		{"no tags", e.consumer, control.CreateTagsInput{Resources: []string{sub.SubnetID}}, control.ErrCodeMissingParameter},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { _, err := tc.api.CreateTags(e.ctx, &tc.in); return err })
		})
	}

	t.Run("delete with value semantics", func(t *testing.T) {
		str := func(s string) *string { return &s }
		cpMust(e.consumer.CreateTags(e.ctx, &control.CreateTagsInput{Resources: []string{sg}, Tags: []control.Tag{{Key: "keep", Value: "1"}}}))(t)
		list := func() []string {
			return tagsOf(cpMust(e.consumer.DescribeTagsEC2(e.ctx, &control.DescribeTagsEC2Input{Filters: []control.Filter{{Name: "resource-id", Values: []string{sg}}}}))(t))
		}
		steps := []struct {
			del  []control.TagToDelete
			want []string
		}{
			{[]control.TagToDelete{{Key: "team", Value: str("other")}}, []string{"empty=", "keep=1", "team=a"}}, // value differs: kept
			{[]control.TagToDelete{{Key: "empty", Value: str("x")}, {Key: "team", Value: str("a")}}, []string{"empty=", "keep=1"}},
			{[]control.TagToDelete{{Key: "empty", Value: str("")}, {Key: "missing"}}, []string{"keep=1"}}, // "" deletes only an empty value
			{nil, nil}, // no tags: every tag goes
		}
		for i, st := range steps {
			cpMust(e.consumer.DeleteTags(e.ctx, &control.DeleteTagsInput{Resources: []string{sg}, Tags: st.del}))(t)
			var got []string
			for _, s := range list() {
				got = append(got, s[strings.LastIndex(s, ":")+1:])
			}
			if !slices.Equal(got, st.want) {
				t.Fatalf("step %d: tags %v, want %v", i, got, st.want)
			}
		}
		e.cpRefused(t, "InvalidGroup.NotFound", func() error {
			_, err := e.provider.DeleteTags(e.ctx, &control.DeleteTagsInput{Resources: []string{sg}})
			return err
		})
	})

	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			filters []control.Filter
			n       int
			code    string
		}{
			{[]control.Filter{{Name: "resource-type", Values: []string{"subnet", "vpc"}}}, 4, ""},
			{[]control.Filter{{Name: "value", Values: []string{"a"}}}, 4, ""},
			{[]control.Filter{{Name: "tag:team", Values: []string{"a"}}}, 4, ""},
			{[]control.Filter{{Name: "resource-id", Values: []string{"eni-*"}}, {Name: "key", Values: []string{"empty"}}}, 1, ""},
			{[]control.Filter{{Name: "owner-id", Values: []string{"x"}}}, 0, control.ErrCodeInvalidParameterValue},
		} {
			got, err := e.consumer.DescribeTagsEC2(e.ctx, &control.DescribeTagsEC2Input{Filters: tc.filters})
			if tc.code != "" {
				cpCode(t, err, tc.code)
				continue
			}
			cpNoErr(t, err)
			if len(got.Tags) != tc.n {
				t.Errorf("%v: %v, want %d tags", tc.filters, tagsOf(got), tc.n)
			}
		}
	})

	t.Run("paging under writes", func(t *testing.T) {
		var all []string
		var token string
		for page := 0; ; page++ {
			out := cpMust(e.consumer.DescribeTagsEC2(e.ctx, &control.DescribeTagsEC2Input{EC2Paging: control.EC2Paging{MaxResults: ptr(5), NextToken: token}}))(t)
			if len(out.Tags) > 5 {
				t.Fatalf("page of %d", len(out.Tags))
			}
			all = append(all, tagsOf(out)...)
			if page == 0 { // another writer adds a tag before the token and one after it
				cpMust(e.consumer.CreateTags(e.ctx, &control.CreateTagsInput{Resources: []string{ep.VpcEndpointID, v.VpcID}, Tags: []control.Tag{{Key: "zz", Value: "new"}}}))(t)
			}
			if out.NextToken == "" {
				break
			}
			token = out.NextToken
		}
		seen := map[string]bool{}
		for _, s := range all {
			if seen[s] {
				t.Fatalf("tag %s repeated across pages: %v", s, all)
			}
			seen[s] = true
		}
		if !seen["vpc:"+v.VpcID+":zz=new"] {
			t.Errorf("a tag added after the token's position was skipped: %v", all)
		}
		_, err := e.consumer.DescribeTagsEC2(e.ctx, &control.DescribeTagsEC2Input{EC2Paging: control.EC2Paging{MaxResults: ptr(4)}})
		cpCode(t, err, control.ErrCodeInvalidParameterValue)
		_, err = e.consumer.DescribeTagsEC2(e.ctx, &control.DescribeTagsEC2Input{EC2Paging: control.EC2Paging{NextToken: "not-a-token"}})
		cpCode(t, err, control.ErrCodeInvalidNextToken)
	})

	t.Run("deleting the endpoint deletes its ENIs' tags", func(t *testing.T) {
		cpMust(e.consumer.DeleteVpcEndpoints(e.ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID}}))(t)
		var n int
		if err := e.st.DB().QueryRow(e.st.SQL(`SELECT count(*) FROM tags WHERE resource_id = ?`), eni).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d tags of a deleted ENI left (%v)", n, err)
		}
	})
}

// --- availability zones ------------------------------------------------------

func TestCPDescribeAvailabilityZones(t *testing.T) {
	e := cpNewEnv(t)
	all := cpMust(e.consumer.DescribeAvailabilityZones(e.ctx, &control.DescribeAvailabilityZonesInput{}))(t)
	want := []string{"us-east-1a/use1-az1", "us-east-1b/use1-az2", "us-east-1c/use1-az3"}
	var got []string
	for _, z := range all.AvailabilityZones {
		got = append(got, z.ZoneName+"/"+z.ZoneID)
		if z.State != control.StateZoneAvailable || z.RegionName != cpRegion || z.OptInStatus != control.ZoneOptInNotRequired ||
			z.ZoneType != control.ZoneTypeAvailabilityZone || z.Messages == nil || z.NetworkBorderGroup != cpRegion || z.GroupName != cpRegion {
			t.Errorf("zone %s", cpJSON(t, z))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("zones %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name string
		in   control.DescribeAvailabilityZonesInput
		want []string
		code string
	}{
		{"zone names", control.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1b"}}, []string{"use1-az2"}, ""},
		{"zone ids", control.DescribeAvailabilityZonesInput{ZoneIDs: []string{"use1-az3", "use1-az1"}}, []string{"use1-az1", "use1-az3"}, ""},
		{"zone-name wildcard", control.DescribeAvailabilityZonesInput{Filters: []control.Filter{{Name: "zone-name", Values: []string{"*c"}}}}, []string{"use1-az3"}, ""},
		{"state", control.DescribeAvailabilityZonesInput{Filters: []control.Filter{{Name: "state", Values: []string{"available"}}}}, []string{"use1-az1", "use1-az2", "use1-az3"}, ""},
		{"region-name elsewhere", control.DescribeAvailabilityZonesInput{Filters: []control.Filter{{Name: "region-name", Values: []string{"eu-west-1"}}}}, nil, ""},
		{"all zones", control.DescribeAvailabilityZonesInput{AllAvailabilityZones: true}, []string{"use1-az1", "use1-az2", "use1-az3"}, ""},
		{"unknown zone", control.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1z"}}, nil, control.ErrCodeInvalidParameterValue},
		{"unknown zone id", control.DescribeAvailabilityZonesInput{ZoneIDs: []string{"use1-az9"}}, nil, control.ErrCodeInvalidParameterValue},
		{"unknown filter", control.DescribeAvailabilityZonesInput{Filters: []control.Filter{{Name: "vpc-id", Values: []string{"x"}}}}, nil, control.ErrCodeInvalidParameterValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.consumer.DescribeAvailabilityZones(e.ctx, &tc.in)
			if tc.code != "" {
				cpCode(t, err, tc.code)
				return
			}
			cpNoErr(t, err)
			var ids []string
			for _, z := range out.AvailabilityZones {
				ids = append(ids, z.ZoneID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Fatalf("zone IDs %v, want %v", ids, tc.want)
			}
		})
	}
}

// --- CIDR blocks -------------------------------------------------------------

func TestCPVpcCidrBlocks(t *testing.T) {
	e := cpNewEnv(t)
	v := e.xVpc(e.consumer, "127.120.0.0/16")
	assoc := func(in control.AssociateVpcCidrBlockInput) (*control.AssociateVpcCidrBlockOutput, error) {
		return e.consumer.AssociateVpcCidrBlock(e.ctx, &in)
	}
	out := cpMust(assoc(control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "127.121.0.0/16"}))(t)
	b := out.CidrBlockAssociation
	if out.VpcID != v.VpcID || b == nil || b.CidrBlock != "127.121.0.0/16" || b.CidrBlockState.State != control.StateCidrBlockAssociating ||
		!strings.HasPrefix(b.AssociationID, "vpc-cidr-assoc-") || len(b.AssociationID) != len("vpc-cidr-assoc-")+17 || out.Ipv6CidrBlockAssociation != nil {
		t.Fatalf("associate: %s", cpJSON(t, out))
	}
	got := e.xDescribeVpc(e.consumer, v.VpcID)
	if len(got.CidrBlockAssociationSet) != 2 || got.CidrBlockAssociationSet[1].AssociationID != b.AssociationID ||
		got.CidrBlockAssociationSet[1].CidrBlockState.State != control.StateCidrBlockAssociated || got.CidrBlock != "127.120.0.0/16" {
		t.Fatalf("describe-vpcs: %s", cpJSON(t, got.CidrBlockAssociationSet))
	}
	// A subnet may live in the secondary block.
	sub := e.xSubnet(e.consumer, v.VpcID, "127.121.16.0/20", "", "us-east-1a")

	for _, tc := range []struct {
		name string
		api  *control.API
		in   control.AssociateVpcCidrBlockInput
		code string
	}{
		{"inside its own primary", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "127.120.16.0/20"}, control.ErrCodeInvalidVpcRange},
		{"overlaps another account's VPC", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: e.defaultVPC(e.provider).CidrBlock}, control.ErrCodeInvalidVpcRange},
		{"another private range", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "10.0.0.0/16"}, control.ErrCodeInvalidVpcRange},
		{"too large", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "127.0.0.0/15"}, control.ErrCodeInvalidVpcRange},
		{"too small", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "127.122.0.0/29"}, control.ErrCodeInvalidVpcRange},
		{"host bits", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "127.122.0.1/16"}, control.ErrCodeInvalidParameterValue},
		{"ipv6 as cidr block", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "fd00::/56"}, control.ErrCodeInvalidParameterValue},
		{"both kinds", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "127.122.0.0/16", AmazonProvidedIpv6CidrBlock: true}, control.ErrCodeInvalidParameterCombination},
		{"neither", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID}, control.ErrCodeMissingParameter},
		{"ipam", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, Ipv4IpamPoolID: "ipam-pool-1", Ipv4NetmaskLength: 20}, control.ErrCodeInvalidParameterValue},
		{"byoip", e.consumer, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, Ipv6Pool: "ipv6pool-ec2-1"}, control.ErrCodeInvalidParameterValue},
		{"another account's VPC", e.provider, control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "127.122.0.0/16"}, "InvalidVpcID.NotFound"},
		{"no VPC", e.consumer, control.AssociateVpcCidrBlockInput{CidrBlock: "127.122.0.0/16"}, control.ErrCodeMissingParameter},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { _, err := tc.api.AssociateVpcCidrBlock(e.ctx, &tc.in); return err })
		})
	}
	t.Run("at most 5 IPv4 blocks", func(t *testing.T) {
		for _, c := range []string{"127.122.0.0/16", "127.123.0.0/16", "127.124.0.0/16"} {
			cpMust(assoc(control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: c}))(t)
		}
		e.cpRefused(t, control.ErrCodeCidrLimitExceeded, func() error {
			_, err := assoc(control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, CidrBlock: "127.125.0.0/16"})
			return err
		})
	})
	t.Run("disassociate", func(t *testing.T) {
		dis := func(a *control.API, id string) (*control.DisassociateVpcCidrBlockOutput, error) {
			return a.DisassociateVpcCidrBlock(e.ctx, &control.DisassociateVpcCidrBlockInput{AssociationID: id})
		}
		e.cpRefused(t, control.ErrCodeOperationNotPermitted, func() error { _, err := dis(e.consumer, got.CidrBlockAssociationSet[0].AssociationID); return err })
		e.cpRefused(t, control.ErrCodeDependencyViolation, func() error { _, err := dis(e.consumer, b.AssociationID); return err })
		e.cpRefused(t, control.ErrCodeInvalidVpcCidrAssociationNotFound, func() error { _, err := dis(e.provider, b.AssociationID); return err })
		e.cpRefused(t, control.ErrCodeInvalidVpcCidrAssociationNotFound, func() error { _, err := dis(e.consumer, "vpc-cidr-assoc-0123456789abcdef0"); return err })
		e.cpRefused(t, control.ErrCodeInvalidVpcCidrAssociationNotFound, func() error { _, err := dis(e.consumer, "nothing"); return err })
		cpMust(e.consumer.DeleteSubnet(e.ctx, &control.DeleteSubnetInput{SubnetID: sub.SubnetID}))(t)
		out := cpMust(dis(e.consumer, b.AssociationID))(t)
		if out.VpcID != v.VpcID || out.CidrBlockAssociation.CidrBlockState.State != control.StateCidrBlockDisassociating || out.CidrBlockAssociation.CidrBlock != "127.121.0.0/16" {
			t.Fatalf("disassociate: %s", cpJSON(t, out))
		}
		if got := e.xDescribeVpc(e.consumer, v.VpcID); len(got.CidrBlockAssociationSet) != 4 {
			t.Fatalf("after disassociate: %s", cpJSON(t, got.CidrBlockAssociationSet))
		}
		// The block is free again, for any VPC.
		other := e.xVpc(e.provider, "127.126.0.0/16")
		cpMust(e.provider.AssociateVpcCidrBlock(e.ctx, &control.AssociateVpcCidrBlockInput{VpcID: other.VpcID, CidrBlock: "127.121.0.0/16"}))(t)
	})
	t.Run("create-vpc does not overlap a secondary block", func(t *testing.T) {
		e.cpRefused(t, control.ErrCodeInvalidVpcRange, func() error {
			_, err := e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.124.0.0/20"})
			return err
		})
	})
	t.Run("a VPC with secondary blocks is deleted with them", func(t *testing.T) {
		w := e.xVpc(e.consumer, "127.127.0.0/16")
		cpMust(assoc(control.AssociateVpcCidrBlockInput{VpcID: w.VpcID, CidrBlock: "127.128.0.0/16"}))(t)
		cpMust(e.consumer.DeleteVpc(e.ctx, &control.DeleteVpcInput{VpcID: w.VpcID}))(t)
		e.xVpc(e.provider, "127.128.0.0/16") // free again
	})
	t.Run("serve's snapshot has the secondary blocks", func(t *testing.T) {
		snap := cpMust(e.st.Snapshot(e.ctx))(t)
		for _, sv := range snap.VPCs {
			if sv.ID == v.VpcID {
				if len(sv.SecondaryCIDRs) != 3 || !sv.Contains(netip.MustParseAddr("127.124.1.1")) || sv.Contains(netip.MustParseAddr("127.121.1.1")) {
					t.Fatalf("snapshot VPC %+v", sv)
				}
				return
			}
		}
		t.Fatal("VPC not in the snapshot")
	})
}

func TestCPIPv6CidrBlocks(t *testing.T) {
	e := cpNewEnv(t)
	v := e.xVpc(e.consumer, "127.130.0.0/16")
	s1 := e.xSubnet(e.consumer, v.VpcID, "127.130.0.0/20", "", "us-east-1a")
	s2 := e.xSubnet(e.consumer, v.VpcID, "127.130.16.0/20", "", "us-east-1b")
	subAssoc := func(a *control.API, id, block string) (*control.AssociateSubnetCidrBlockOutput, error) {
		return a.AssociateSubnetCidrBlock(e.ctx, &control.AssociateSubnetCidrBlockInput{SubnetID: id, Ipv6CidrBlock: block})
	}
	e.cpRefused(t, control.ErrCodeInvalidSubnetRange, func() error { _, err := subAssoc(e.consumer, s1.SubnetID, "fd00:1:2:300::/64"); return err })

	out := cpMust(e.consumer.AssociateVpcCidrBlock(e.ctx, &control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, AmazonProvidedIpv6CidrBlock: true}))(t)
	a6 := out.Ipv6CidrBlockAssociation
	block := netip.MustParsePrefix(a6.Ipv6CidrBlock)
	if block.Bits() != 56 || !block.Addr().IsPrivate() || a6.Ipv6CidrBlockState.State != control.StateCidrBlockAssociating || a6.Ipv6Pool != "Amazon" || a6.NetworkBorderGroup != cpRegion {
		t.Fatalf("associate ipv6: %s", cpJSON(t, out))
	}
	vv := e.xDescribeVpc(e.consumer, v.VpcID)
	if len(vv.Ipv6CidrBlockAssociationSet) != 1 || vv.Ipv6CidrBlockAssociationSet[0].AssociationID != a6.AssociationID || vv.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock != a6.Ipv6CidrBlock {
		t.Fatalf("describe-vpcs: %s", cpJSON(t, vv.Ipv6CidrBlockAssociationSet))
	}
	e.cpRefused(t, control.ErrCodeCidrLimitExceeded, func() error {
		_, err := e.consumer.AssociateVpcCidrBlock(e.ctx, &control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, AmazonProvidedIpv6CidrBlock: true})
		return err
	})

	six1, six2 := cpSub64(t, &vv, 1), cpSub64(t, &vv, 2)
	sa := cpMust(subAssoc(e.consumer, s1.SubnetID, six1))(t)
	if sa.SubnetID != s1.SubnetID || sa.Ipv6CidrBlockAssociation.Ipv6CidrBlock != six1 || sa.Ipv6CidrBlockAssociation.Ipv6CidrBlockState.State != control.StateCidrBlockAssociating {
		t.Fatalf("associate-subnet-cidr-block: %s", cpJSON(t, sa))
	}
	if got := e.xDescribeSubnet(e.consumer, s1.SubnetID); len(got.Ipv6CidrBlockAssociationSet) != 1 || got.Ipv6CidrBlockAssociationSet[0].AssociationID != sa.Ipv6CidrBlockAssociation.AssociationID {
		t.Fatalf("describe-subnets: %s", cpJSON(t, got.Ipv6CidrBlockAssociationSet))
	}
	for _, tc := range []struct {
		name        string
		api         *control.API
		subnet, six string
		code        string
	}{
		{"same /64 as another subnet", e.consumer, s2.SubnetID, six1, control.ErrCodeInvalidSubnetConflict},
		{"a second block", e.consumer, s1.SubnetID, six2, control.ErrCodeCidrLimitExceeded},
		{"outside the VPC's /56", e.consumer, s2.SubnetID, "fd00:1:2:300::/64", control.ErrCodeInvalidSubnetRange},
		{"not a /64", e.consumer, s2.SubnetID, strings.Replace(six2, "/64", "/80", 1), control.ErrCodeInvalidSubnetRange},
		{"not IPv6", e.consumer, s2.SubnetID, "127.130.32.0/20", control.ErrCodeInvalidParameterValue},
		{"another account's subnet", e.provider, s2.SubnetID, six2, "InvalidSubnetID.NotFound"},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { _, err := subAssoc(tc.api, tc.subnet, tc.six); return err })
		})
	}
	dis := func(a *control.API, id string) error {
		_, err := a.DisassociateSubnetCidrBlock(e.ctx, &control.DisassociateSubnetCidrBlockInput{AssociationID: id})
		return err
	}
	e.cpRefused(t, control.ErrCodeDependencyViolation, func() error {
		_, err := e.consumer.DisassociateVpcCidrBlock(e.ctx, &control.DisassociateVpcCidrBlockInput{AssociationID: a6.AssociationID})
		return err
	})
	e.cpRefused(t, control.ErrCodeInvalidSubnetCidrAssociationNotFound, func() error { return dis(e.provider, sa.Ipv6CidrBlockAssociation.AssociationID) })
	e.cpRefused(t, control.ErrCodeInvalidSubnetCidrAssociationNotFound, func() error { return dis(e.consumer, "subnet-cidr-assoc-"+s2.SubnetID[7:]) })
	cpNoErr(t, dis(e.consumer, sa.Ipv6CidrBlockAssociation.AssociationID))
	if got := e.xDescribeSubnet(e.consumer, s1.SubnetID); len(got.Ipv6CidrBlockAssociationSet) != 0 {
		t.Fatalf("after disassociate: %s", cpJSON(t, got.Ipv6CidrBlockAssociationSet))
	}
	dv := cpMust(e.consumer.DisassociateVpcCidrBlock(e.ctx, &control.DisassociateVpcCidrBlockInput{AssociationID: a6.AssociationID}))(t)
	if dv.Ipv6CidrBlockAssociation.Ipv6CidrBlockState.State != control.StateCidrBlockDisassociating || dv.Ipv6CidrBlockAssociation.Ipv6CidrBlock != a6.Ipv6CidrBlock {
		t.Fatalf("disassociate ipv6: %s", cpJSON(t, dv))
	}
	if got := e.xDescribeVpc(e.consumer, v.VpcID); len(got.Ipv6CidrBlockAssociationSet) != 0 {
		t.Fatalf("after disassociate: %s", cpJSON(t, got.Ipv6CidrBlockAssociationSet))
	}
}

// --- VPC attributes ------------------------------------------------------------

func TestCPVpcAttributes(t *testing.T) {
	e := cpNewEnv(t)
	def := e.defaultVPC(e.consumer)
	v := e.xVpc(e.consumer, "127.140.0.0/16")
	attr := func(a *control.API, vpc, name string) (*control.DescribeVpcAttributeOutput, error) {
		return a.DescribeVpcAttribute(e.ctx, &control.DescribeVpcAttributeInput{VpcID: vpc, Attribute: name})
	}
	value := func(vpc, name string) bool {
		t.Helper()
		out := cpMust(attr(e.consumer, vpc, name))(t)
		if out.VpcID != vpc {
			t.Fatalf("VpcId %s", out.VpcID)
		}
		switch name {
		case control.VpcAttrEnableDNSSupport:
			if out.EnableDNSHostnames != nil || out.EnableDNSSupport == nil {
				t.Fatalf("describe %s: %s", name, cpJSON(t, out))
			}
			return out.EnableDNSSupport.Value
		default:
			if out.EnableDNSSupport != nil || out.EnableDNSHostnames == nil {
				t.Fatalf("describe %s: %s", name, cpJSON(t, out))
			}
			return out.EnableDNSHostnames.Value
		}
	}
	for _, tc := range []struct {
		vpc, name string
		want      bool
	}{
		{def.VpcID, control.VpcAttrEnableDNSSupport, true},
		{def.VpcID, control.VpcAttrEnableDNSHostnames, true},
		{v.VpcID, control.VpcAttrEnableDNSSupport, true},
		{v.VpcID, control.VpcAttrEnableDNSHostnames, false},
	} {
		if got := value(tc.vpc, tc.name); got != tc.want {
			t.Errorf("%s of %s = %v, want %v", tc.name, tc.vpc, got, tc.want)
		}
	}
	if out := cpMust(attr(e.consumer, v.VpcID, control.VpcAttrEnableNetworkAddressUsageMetrics))(t); out.EnableNetworkAddressUsageMetrics == nil || out.EnableNetworkAddressUsageMetrics.Value {
		t.Errorf("enableNetworkAddressUsageMetrics: %s", cpJSON(t, out))
	}
	_, err := attr(e.consumer, v.VpcID, "enableEverything")
	cpCode(t, err, control.ErrCodeInvalidParameterValue)
	_, err = attr(e.provider, v.VpcID, control.VpcAttrEnableDNSSupport)
	cpCode(t, err, "InvalidVpcID.NotFound")

	on, off := &control.AttributeBooleanValue{Value: true}, &control.AttributeBooleanValue{Value: false}
	for _, tc := range []struct {
		name string
		api  *control.API
		in   control.ModifyVpcAttributeInput
		code string
	}{
		{"two attributes", e.consumer, control.ModifyVpcAttributeInput{VpcID: v.VpcID, EnableDNSSupport: on, EnableDNSHostnames: on}, control.ErrCodeInvalidParameterCombination},
		{"no attribute", e.consumer, control.ModifyVpcAttributeInput{VpcID: v.VpcID}, control.ErrCodeMissingParameter},
		{"usage metrics", e.consumer, control.ModifyVpcAttributeInput{VpcID: v.VpcID, EnableNetworkAddressUsageMetrics: on}, control.ErrCodeInvalidParameterValue},
		{"another account's VPC", e.provider, control.ModifyVpcAttributeInput{VpcID: v.VpcID, EnableDNSHostnames: on}, "InvalidVpcID.NotFound"},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { _, err := tc.api.ModifyVpcAttribute(e.ctx, &tc.in); return err })
		})
	}

	// Private DNS needs both attributes, when an endpoint is created and
	// when it is modified.
	svc := e.service(false, "api.example.com", e.providerNLB("attr-nlb"))
	e.allow(svc.ServiceID, "*")
	c := svc.PrivateDNSNameConfiguration
	e.txt.set(c.Name+".api.example.com", c.Value)
	cpMust(e.provider.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: svc.ServiceID}))(t)
	sub := e.xSubnet(e.consumer, v.VpcID, "127.140.0.0/20", "", "us-east-1a")
	tru := true
	in := &control.CreateVpcEndpointInput{VpcID: v.VpcID, ServiceName: svc.ServiceName, SubnetIDs: []string{sub.SubnetID}, PrivateDNSEnabled: &tru}
	wantMsg := "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for " + v.VpcID
	e.cpRefused(t, control.ErrCodeInvalidParameter, func() error {
		_, err := e.consumer.CreateVpcEndpoint(e.ctx, in)
		if ae, ok := control.AsError(err); ok && ae.Message != wantMsg {
			t.Errorf("message %q, want %q", ae.Message, wantMsg)
		}
		return err
	})
	// Unasked, private DNS stays off in such a VPC, even for a verified name.
	in.PrivateDNSEnabled = nil
	ep := cpMust(e.consumer.CreateVpcEndpoint(e.ctx, in))(t).VpcEndpoint
	if ep.PrivateDNSEnabled {
		t.Fatalf("private DNS on in a VPC without enableDnsHostnames")
	}
	modify := &control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, PrivateDNSEnabled: &tru}
	e.cpRefused(t, control.ErrCodeInvalidParameter, func() error { _, err := e.consumer.ModifyVpcEndpoint(e.ctx, modify); return err })
	cpMust(e.consumer.ModifyVpcAttribute(e.ctx, &control.ModifyVpcAttributeInput{VpcID: v.VpcID, EnableDNSSupport: off}))(t)
	cpMust(e.consumer.ModifyVpcAttribute(e.ctx, &control.ModifyVpcAttributeInput{VpcID: v.VpcID, EnableDNSHostnames: on}))(t)
	e.cpRefused(t, control.ErrCodeInvalidParameter, func() error { _, err := e.consumer.ModifyVpcEndpoint(e.ctx, modify); return err })
	cpMust(e.consumer.ModifyVpcAttribute(e.ctx, &control.ModifyVpcAttributeInput{VpcID: v.VpcID, EnableDNSSupport: on}))(t)
	cpMust(e.consumer.ModifyVpcEndpoint(e.ctx, modify))(t)
	if !value(v.VpcID, control.VpcAttrEnableDNSHostnames) || !value(v.VpcID, control.VpcAttrEnableDNSSupport) {
		t.Fatal("attributes not on after modify")
	}
	snap := cpMust(e.st.Snapshot(e.ctx))(t)
	for _, sv := range snap.VPCs {
		if sv.ID == v.VpcID && sv.NoPrivateDNS {
			t.Fatalf("snapshot VPC %+v", sv)
		}
	}
}

// --- payer responsibility -------------------------------------------------------

func TestCPPayerResponsibility(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(false)
	set := func(a *control.API, id, v string) error {
		_, err := a.ModifyVpcEndpointServicePayerResponsibility(e.ctx, &control.ModifyVpcEndpointServicePayerResponsibilityInput{ServiceID: id, PayerResponsibility: v})
		return err
	}
	if svc.PayerResponsibility != "" {
		t.Fatalf("new service PayerResponsibility %q", svc.PayerResponsibility)
	}
	for _, tc := range []struct {
		name      string
		api       *control.API
		id, value string
		code      string
	}{
		{"another value", e.provider, svc.ServiceID, "ServiceConsumer", control.ErrCodeInvalidParameterValue},
		{"no value", e.provider, svc.ServiceID, "", control.ErrCodeMissingParameter},
		{"the consumer", e.consumer, svc.ServiceID, control.PayerResponsibilityServiceOwner, "InvalidVpcEndpointServiceId.NotFound"},
		{"malformed", e.provider, "vpce-svc-x", control.PayerResponsibilityServiceOwner, "InvalidVpcEndpointServiceId.Malformed"},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { return set(tc.api, tc.id, tc.value) })
		})
	}
	out, err := e.provider.ModifyVpcEndpointServicePayerResponsibility(e.ctx, &control.ModifyVpcEndpointServicePayerResponsibilityInput{ServiceID: svc.ServiceID, PayerResponsibility: control.PayerResponsibilityServiceOwner})
	cpNoErr(t, err)
	if !out.ReturnValue {
		t.Fatal("ReturnValue false")
	}
	cpNoErr(t, set(e.provider, svc.ServiceID, control.PayerResponsibilityServiceOwner)) // again: no change
	cfg := cpMust(e.provider.DescribeVpcEndpointServiceConfigurations(e.ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{svc.ServiceID}}))(t)
	if cfg.ServiceConfigurations[0].PayerResponsibility != control.PayerResponsibilityServiceOwner {
		t.Fatalf("provider view %s", cpJSON(t, cfg))
	}
	det := cpMust(e.consumer.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{ServiceNames: []string{svc.ServiceName}}))(t)
	if det.ServiceDetails[0].PayerResponsibility != control.PayerResponsibilityServiceOwner {
		t.Fatalf("consumer view %s", cpJSON(t, det))
	}
}

// --- elbv2 set-ip-address-type and set-subnets -------------------------------------

func TestCPSetIpAddressTypeAndSubnets(t *testing.T) {
	e := cpNewEnv(t)
	v := e.xVpc(e.provider, "127.150.0.0/16")
	sa := e.xSubnet(e.provider, v.VpcID, "127.150.0.0/20", "", "us-east-1a")
	sb := e.xSubnet(e.provider, v.VpcID, "127.150.16.0/20", "", "us-east-1b")
	sb2 := e.xSubnet(e.provider, v.VpcID, "127.150.48.0/20", "", "us-east-1b")
	sc := e.xSubnet(e.provider, v.VpcID, "127.150.32.0/20", "", "us-east-1c")
	arn := e.nlb(e.provider, "set-nlb", "ipv4", sa.SubnetID)
	setType := func(a *control.API, arn, typ string) error {
		_, err := a.SetIpAddressType(e.ctx, &control.SetIpAddressTypeInput{LoadBalancerARN: arn, IPAddressType: typ})
		return err
	}
	setSubnets := func(in control.SetSubnetsInput) (*control.SetSubnetsOutput, error) {
		return e.provider.SetSubnets(e.ctx, &in)
	}
	for _, tc := range []struct {
		name string
		api  *control.API
		arn  string
		typ  string
		code string
	}{
		{"subnet without IPv6", e.provider, arn, "dualstack", "InvalidSubnet"},
		{"application type", e.provider, arn, "dualstack-without-public-ipv4", control.ErrCodeValidationError},
		{"unknown type", e.provider, arn, "ipv6", control.ErrCodeValidationError},
		{"another account", e.consumer, arn, "ipv4", "LoadBalancerNotFound"},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { return setType(tc.api, tc.arn, tc.typ) })
		})
	}
	t.Run("set-subnets adds a zone, keeps the old node", func(t *testing.T) {
		before := e.xLB(e.provider, arn).AvailabilityZones[0].LoadBalancerAddresses[0].IPAddress
		out := cpMust(setSubnets(control.SetSubnetsInput{LoadBalancerARN: arn, Subnets: []string{sa.SubnetID, sb.SubnetID}}))(t)
		if len(out.AvailabilityZones) != 2 || out.IPAddressType != "ipv4" || out.AvailabilityZones[0].LoadBalancerAddresses[0].IPAddress != before {
			t.Fatalf("set-subnets: %s", cpJSON(t, out))
		}
	})
	t.Run("set-subnets removes a zone no endpoint uses, freeing its address", func(t *testing.T) {
		arn2 := e.nlb(e.provider, "set-nlb-2", "ipv4", sa.SubnetID, sc.SubnetID)
		out := cpMust(setSubnets(control.SetSubnetsInput{LoadBalancerARN: arn2, Subnets: []string{sa.SubnetID}}))(t)
		if len(out.AvailabilityZones) != 1 || out.AvailabilityZones[0].SubnetID != sa.SubnetID {
			t.Fatalf("set-subnets: %s", cpJSON(t, out))
		}
		var n int
		if err := e.st.DB().QueryRow(e.st.SQL(`SELECT count(*) FROM addresses WHERE owner_id = ?`), arn2).Scan(&n); err != nil || n != 1 {
			t.Fatalf("load balancer holds %d addresses (%v)", n, err)
		}
		cpMust(e.provider.DeleteLoadBalancer(e.ctx, &control.DeleteLoadBalancerInput{LoadBalancerARN: arn2}))(t)
	})
	for _, tc := range []struct {
		name string
		in   control.SetSubnetsInput
		code string
	}{
		{"swap a zone's subnet in one call", control.SetSubnetsInput{LoadBalancerARN: arn, Subnets: []string{sa.SubnetID, sb2.SubnetID}}, "InvalidConfigurationRequest"},
		{"two subnets of one zone", control.SetSubnetsInput{LoadBalancerARN: arn, Subnets: []string{sa.SubnetID, sb.SubnetID, sb2.SubnetID}}, "InvalidConfigurationRequest"},
		{"another VPC", control.SetSubnetsInput{LoadBalancerARN: arn, Subnets: []string{e.defaultSubnets(e.provider)["a"].SubnetID}}, "InvalidConfigurationRequest"},
		{"none", control.SetSubnetsInput{LoadBalancerARN: arn}, control.ErrCodeValidationError},
		{"both forms", control.SetSubnetsInput{LoadBalancerARN: arn, Subnets: []string{sa.SubnetID}, SubnetMappings: []control.SubnetMapping{{SubnetID: sb.SubnetID}}}, control.ErrCodeValidationError},
		{"a kept node's address changes", control.SetSubnetsInput{LoadBalancerARN: arn, SubnetMappings: []control.SubnetMapping{{SubnetID: sa.SubnetID, PrivateIPv4Address: "127.150.0.99"}}}, "InvalidConfigurationRequest"},
		{"dualstack without IPv6", control.SetSubnetsInput{LoadBalancerARN: arn, Subnets: []string{sa.SubnetID, sb.SubnetID}, IPAddressType: "dualstack"}, "InvalidSubnet"},
		{"unknown subnet", control.SetSubnetsInput{LoadBalancerARN: arn, Subnets: []string{"subnet-0123456789abcdef0"}}, "SubnetNotFound"},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { _, err := setSubnets(tc.in); return err })
		})
	}
	t.Run("dualstack once every subnet has IPv6", func(t *testing.T) {
		a6 := cpMust(e.provider.AssociateVpcCidrBlock(e.ctx, &control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, AmazonProvidedIpv6CidrBlock: true}))(t)
		vv := e.xDescribeVpc(e.provider, v.VpcID)
		if vv.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock != a6.Ipv6CidrBlockAssociation.Ipv6CidrBlock {
			t.Fatal("VPC IPv6 block")
		}
		for i, s := range []*control.Subnet{sa, sb, sc} {
			cpMust(e.provider.AssociateSubnetCidrBlock(e.ctx, &control.AssociateSubnetCidrBlockInput{SubnetID: s.SubnetID, Ipv6CidrBlock: cpSub64(t, &vv, byte(i+1))}))(t)
		}
		cpNoErr(t, setType(e.provider, arn, "dualstack"))
		lb := e.xLB(e.provider, arn)
		if lb.IPAddressType != "dualstack" {
			t.Fatalf("type %s", lb.IPAddressType)
		}
		for _, z := range lb.AvailabilityZones {
			if a := z.LoadBalancerAddresses[0].IPv6Address; a == "" || !netip.MustParsePrefix(a6.Ipv6CidrBlockAssociation.Ipv6CidrBlock).Contains(netip.MustParseAddr(a)) {
				t.Fatalf("node without IPv6: %s", cpJSON(t, z))
			}
		}
		// A new zone of a dualstack load balancer gets both addresses.
		out := cpMust(setSubnets(control.SetSubnetsInput{LoadBalancerARN: arn, Subnets: []string{sa.SubnetID, sb.SubnetID, sc.SubnetID}}))(t)
		if len(out.AvailabilityZones) != 3 || out.AvailabilityZones[2].LoadBalancerAddresses[0].IPv6Address == "" || out.IPAddressType != "dualstack" {
			t.Fatalf("set-subnets: %s", cpJSON(t, out))
		}
		// A subnet whose IPv6 addresses are in use keeps its block.
		e.cpRefused(t, control.ErrCodeDependencyViolation, func() error {
			_, err := e.provider.DisassociateSubnetCidrBlock(e.ctx, &control.DisassociateSubnetCidrBlockInput{AssociationID: "subnet-cidr-assoc-" + sa.SubnetID[7:]})
			return err
		})
	})
	t.Run("back to ipv4 frees the IPv6 addresses, unless a service needs them", func(t *testing.T) {
		svc := cpMust(e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{arn},
			SupportedIPAddressTypes: []string{"ipv4", "ipv6"}}))(t).ServiceConfiguration
		e.cpRefused(t, "InvalidConfigurationRequest", func() error { return setType(e.provider, arn, "ipv4") })
		cpMust(e.provider.ModifyVpcEndpointServiceConfiguration(e.ctx, &control.ModifyVpcEndpointServiceConfigurationInput{ServiceID: svc.ServiceID, RemoveSupportedIPAddressTypes: []string{"ipv6"}}))(t)
		cpNoErr(t, setType(e.provider, arn, "ipv4"))
		for _, z := range e.xLB(e.provider, arn).AvailabilityZones {
			if z.LoadBalancerAddresses[0].IPv6Address != "" {
				t.Fatalf("ipv4 node keeps IPv6: %s", cpJSON(t, z))
			}
		}
		var n int
		if err := e.st.DB().QueryRow(e.st.SQL(`SELECT count(*) FROM addresses WHERE owner_id = ? AND addr LIKE '%:%'`), arn).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d IPv6 addresses still held (%v)", n, err)
		}
		// A zone of a load balancer with active endpoint connections stays.
		e.allow(svc.ServiceID, "*")
		cs := e.xSubnet(e.consumer, e.xVpc(e.consumer, "127.151.0.0/16").VpcID, "127.151.0.0/20", "", "us-east-1c")
		e.xEndpointIn(*svc, cs.VpcID, "", cs.SubnetID)
		e.cpRefused(t, "InvalidConfigurationRequest", func() error {
			_, err := setSubnets(control.SetSubnetsInput{LoadBalancerARN: arn, Subnets: []string{sa.SubnetID, sc.SubnetID}})
			return err
		})
	})
}

// --- the seed's dualstack upgrade, step by step ------------------------------------

// TestCPDualstackUpgradePath turns an IPv4 service dualstack as a provider
// and its consumers would on AWS: the VPCs and subnets get IPv6, the NLB
// becomes dualstack, the service adds ipv6; an existing consumer keeps
// IPv4 while a new one chooses IPv6 (dualstack); then the existing
// endpoint is upgraded in place. Every step reaches serve's snapshot.
func TestCPDualstackUpgradePath(t *testing.T) {
	e := cpNewEnv(t)
	// An IPv4 world: provider VPC, NLB, service; a consumer VPC and endpoint.
	pv := e.xVpc(e.provider, "127.160.0.0/16")
	ps := []*control.Subnet{e.xSubnet(e.provider, pv.VpcID, "127.160.0.0/20", "", "us-east-1a"), e.xSubnet(e.provider, pv.VpcID, "127.160.16.0/20", "", "us-east-1b")}
	arn := e.nlb(e.provider, "upgrade-nlb", "ipv4", ps[0].SubnetID, ps[1].SubnetID)
	svc := e.service(false, "", arn)
	e.allow(svc.ServiceID, "*")
	cv := e.xVpc(e.consumer, "127.161.0.0/16")
	cs := []*control.Subnet{e.xSubnet(e.consumer, cv.VpcID, "127.161.0.0/20", "", "us-east-1a"), e.xSubnet(e.consumer, cv.VpcID, "127.161.16.0/20", "", "us-east-1b")}
	old := e.xEndpointIn(svc, cv.VpcID, "", cs[0].SubnetID, cs[1].SubnetID)
	if old.IPAddressType != "ipv4" {
		t.Fatalf("old endpoint %s", old.IPAddressType)
	}
	oldENIs := e.xENIs(old.NetworkInterfaceIDs)

	// Before the NLB is dualstack, the service cannot add ipv6.
	e.cpRefused(t, control.ErrCodeInvalidParameter, func() error {
		_, err := e.provider.ModifyVpcEndpointServiceConfiguration(e.ctx, &control.ModifyVpcEndpointServiceConfigurationInput{ServiceID: svc.ServiceID, AddSupportedIPAddressTypes: []string{"ipv6"}})
		return err
	})

	// 1. Provider VPC and subnets get IPv6; the NLB becomes dualstack.
	give6 := func(a *control.API, v *control.Vpc, subnets []*control.Subnet) {
		cpMust(a.AssociateVpcCidrBlock(e.ctx, &control.AssociateVpcCidrBlockInput{VpcID: v.VpcID, AmazonProvidedIpv6CidrBlock: true}))(t)
		vv := e.xDescribeVpc(a, v.VpcID)
		for i, s := range subnets {
			cpMust(a.AssociateSubnetCidrBlock(e.ctx, &control.AssociateSubnetCidrBlockInput{SubnetID: s.SubnetID, Ipv6CidrBlock: cpSub64(t, &vv, byte(i))}))(t)
		}
	}
	give6(e.provider, pv, ps)
	cpNoErr(t, func() error {
		_, err := e.provider.SetIpAddressType(e.ctx, &control.SetIpAddressTypeInput{LoadBalancerARN: arn, IPAddressType: "dualstack"})
		return err
	}())
	// 2. The service adds ipv6.
	e.xAddIPv6ToService(svc.ServiceID)
	// 3. The consumer VPC and subnets get IPv6.
	give6(e.consumer, cv, cs)

	// 4. The existing consumer keeps IPv4 ...
	if got := e.xENIs(old.NetworkInterfaceIDs); cpJSON(t, got) != cpJSON(t, oldENIs) {
		t.Fatalf("the existing endpoint's ENIs changed: %s", cpJSON(t, got))
	}
	// ... while a new one chooses dualstack.
	fresh := e.xEndpointIn(svc, cv.VpcID, "dualstack", cs[0].SubnetID, cs[1].SubnetID)
	if fresh.IPAddressType != "dualstack" || fresh.DNSOptions.DNSRecordIPType != "dualstack" {
		t.Fatalf("new endpoint %s", cpJSON(t, fresh))
	}
	for _, n := range e.xENIs(fresh.NetworkInterfaceIDs) {
		if n.PrivateIPAddress == "" || n.Ipv6Address == "" {
			t.Fatalf("new ENI %s", cpJSON(t, n))
		}
	}

	// 5. modify-vpc-endpoint --ip-address-type dualstack upgrades the old
	// endpoint in place: same ENIs, same IPv4 addresses, an IPv6 each.
	e.xModifyEndpointIPType(old.VpcEndpointID, "dualstack")
	up := e.xENIs(old.NetworkInterfaceIDs)
	for i, n := range up {
		if n.NetworkInterfaceID != oldENIs[i].NetworkInterfaceID || n.PrivateIPAddress != oldENIs[i].PrivateIPAddress || n.Ipv6Address == "" {
			t.Fatalf("upgraded ENI %s, was %s", cpJSON(t, n), cpJSON(t, oldENIs[i]))
		}
	}
	if st := e.endpointState(e.consumer, old.VpcEndpointID); st != "available" {
		t.Fatalf("upgraded endpoint state %s", st)
	}

	// serve's snapshot: IPv6 on the VPCs, the NLB nodes and both endpoints' ENIs.
	snap := cpMust(e.st.Snapshot(e.ctx))(t)
	for _, v := range snap.VPCs {
		if (v.ID == pv.VpcID || v.ID == cv.VpcID) && !v.IPv6CIDR.IsValid() {
			t.Errorf("snapshot VPC %s without IPv6", v.ID)
		}
	}
	for _, lb := range snap.LoadBalancers {
		if lb.ARN != arn {
			continue
		}
		if lb.IPAddressType != "dualstack" || len(lb.Nodes) != 2 {
			t.Fatalf("snapshot NLB %+v", lb)
		}
		for _, n := range lb.Nodes {
			if !n.IPv6.IsValid() || !n.IPv4.IsValid() {
				t.Errorf("snapshot NLB node %+v", n)
			}
		}
	}
	if s := snap.Services[svc.ServiceID]; s == nil || !s.SupportedIPv6 || !s.SupportedIPv4 {
		t.Fatalf("snapshot service %+v", s)
	}
	n := 0
	for _, ep := range snap.Endpoints {
		if ep.ID != old.VpcEndpointID && ep.ID != fresh.VpcEndpointID {
			continue
		}
		n++
		if ep.IPAddressType != "dualstack" || !ep.Available() || len(ep.ENIs) != 2 {
			t.Fatalf("snapshot endpoint %+v", ep)
		}
		for _, eni := range ep.ENIs {
			if !eni.IPv4.IsValid() || !eni.IPv6.IsValid() {
				t.Errorf("snapshot ENI %+v", eni)
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d endpoints in the snapshot", n)
	}

	// And back: ipv4 frees each ENI's IPv6 address, keeps the rest.
	e.xModifyEndpointIPType(old.VpcEndpointID, "ipv4")
	for i, n := range e.xENIs(old.NetworkInterfaceIDs) {
		if n.NetworkInterfaceID != oldENIs[i].NetworkInterfaceID || n.PrivateIPAddress != oldENIs[i].PrivateIPAddress || n.Ipv6Address != "" {
			t.Fatalf("downgraded ENI %s", cpJSON(t, n))
		}
		var held int
		if err := e.st.DB().QueryRow(e.st.SQL(`SELECT count(*) FROM addresses WHERE owner_id = ?`), n.NetworkInterfaceID).Scan(&held); err != nil || held != 1 {
			t.Fatalf("ENI %s holds %d addresses (%v)", n.NetworkInterfaceID, held, err)
		}
	}
}
