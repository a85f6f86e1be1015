package control_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

func cpTags(n int, prefix string) []control.Tag {
	out := make([]control.Tag, n)
	for i := range out {
		out[i] = control.Tag{Key: fmt.Sprintf("%s%d", prefix, i), Value: "v"}
	}
	return out
}

// elbTags is cpTags as ELBv2 tags.
func elbTags(n int, prefix string) []control.ELBTag {
	out := make([]control.ELBTag, n)
	for i, t := range cpTags(n, prefix) {
		out[i] = control.ELBTag(t)
	}
	return out
}

// TestEC2TagLimits: tags given with --tag-specifications follow AWS's
// limits (50 per resource, keys 1-128 and values up to 256 Unicode
// characters, aws: reserved in any case) with EC2's codes, and control
// characters are refused; a refused create leaves the store unchanged.
func TestEC2TagLimits(t *testing.T) {
	e := cpNewEnv(t)
	vpc := e.defaultVPC(e.provider).VpcID
	n := 0
	sg := func(tags ...control.Tag) error {
		n++
		_, err := e.provider.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: fmt.Sprintf("g%d", n), Description: "d", VpcID: vpc,
			TagSpecifications: []control.TagSpecification{{ResourceType: "security-group", Tags: tags}}})
		return err
	}
	tests := []struct {
		name string
		tags []control.Tag
		code string // "" = accepted
	}{
		{"50 tags", cpTags(50, "k"), ""},
		{"51 tags", cpTags(51, "k"), "TagLimitExceeded"},
		{"1000 tags", cpTags(1000, "k"), "TagLimitExceeded"},
		{"key of 128 characters, 256 bytes", []control.Tag{{Key: strings.Repeat("é", 128), Value: "v"}}, ""},
		{"key of 129 characters", []control.Tag{{Key: strings.Repeat("k", 129), Value: "v"}}, "InvalidParameterValue"},
		{"empty key", []control.Tag{{Key: "", Value: "v"}}, "InvalidParameterValue"},
		{"value of 256 characters", []control.Tag{{Key: "k", Value: strings.Repeat("é", 256)}}, ""},
		{"value of 257 characters", []control.Tag{{Key: "k", Value: strings.Repeat("v", 257)}}, "InvalidParameterValue"},
		{"value of 100,000 characters", []control.Tag{{Key: "k", Value: strings.Repeat("v", 100000)}}, "InvalidParameterValue"},
		{"aws: key", []control.Tag{{Key: "aws:x", Value: "v"}}, "InvalidParameterValue"},
		{"AWS: key", []control.Tag{{Key: "AWS:x", Value: "v"}}, "InvalidParameterValue"},
		{"ESC in key", []control.Tag{{Key: "k\x1b[31m", Value: "v"}}, "InvalidParameterValue"},
		{"ESC in value", []control.Tag{{Key: "Name", Value: "web\x1b]0;pwned\x07"}}, "InvalidParameterValue"},
		{"C1 in value", []control.Tag{{Key: "Name", Value: "web\u009b2J"}}, "InvalidParameterValue"},
		{"invalid UTF-8", []control.Tag{{Key: "Name", Value: "\xff"}}, "InvalidParameterValue"},
		{"unicode and punctuation", []control.Tag{{Key: "Name", Value: "web (prod) ✓ #1 <a&b>"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.code == "" {
				cpNoErr(t, sg(tt.tags...))
				return
			}
			e.cpRefused(t, tt.code, func() error { return sg(tt.tags...) })
		})
	}
	// The same check on every EC2 create that takes tags.
	long := []control.Tag{{Key: "k", Value: strings.Repeat("v", 257)}}
	e.cpRefused(t, "InvalidParameterValue", func() error {
		_, err := e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.200.0.0/16", TagSpecifications: []control.TagSpecification{{Tags: long}}})
		return err
	})
	e.cpRefused(t, "TagLimitExceeded", func() error {
		_, err := e.provider.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: vpc, CidrBlock: "127.16.240.0/24", TagSpecifications: []control.TagSpecification{{Tags: cpTags(51, "k")}}})
		return err
	})
	e.cpRefused(t, "TagLimitExceeded", func() error {
		_, err := e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{"x"},
			TagSpecifications: []control.TagSpecification{{Tags: cpTags(26, "a")}, {Tags: cpTags(25, "b")}}})
		return err
	})
}

// TestELBTagLimits: elbv2 tags follow API_Tag (lengths, the pattern
// letters, digits, spaces and _ . : / = + - @) and at most 50 per
// resource counting the tags it already has (TooManyTags).
func TestELBTagLimits(t *testing.T) {
	e := cpNewEnv(t)
	vpc := e.defaultVPC(e.provider).VpcID
	tg := cpMust(e.provider.CreateTargetGroup(e.ctx, &control.CreateTargetGroupInput{Name: "tags", Protocol: "TCP", Port: 80, VpcID: vpc, Tags: elbTags(30, "old")}))(t).TargetGroups[0].TargetGroupARN
	add := func(tags ...control.ELBTag) error {
		return errOf(e.provider.AddTags(e.ctx, &control.AddTagsInput{ResourceARNs: []string{tg}, Tags: tags}))
	}
	tests := []struct {
		name string
		tags []control.ELBTag
		code string
	}{
		{"30 + 21 new", elbTags(21, "new"), "TooManyTags"},
		{"51 in one call", elbTags(51, "new"), "TooManyTags"},
		{"ESC in key", []control.ELBTag{{Key: "k\x1b[31m", Value: "v"}}, "ValidationError"},
		{"ESC in value", []control.ELBTag{{Key: "k", Value: "\x1b[2J"}}, "ValidationError"},
		{"value outside the pattern", []control.ELBTag{{Key: "k", Value: "<script>"}}, "ValidationError"},
		{"AWS: key", []control.ELBTag{{Key: "AWS:x", Value: "v"}}, "ValidationError"},
		{"value of 257 characters", []control.ELBTag{{Key: "k", Value: strings.Repeat("v", 257)}}, "ValidationError"},
		{"duplicate keys", []control.ELBTag{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}}, "DuplicateTagKeys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { e.cpRefused(t, tt.code, func() error { return add(tt.tags...) }) })
	}
	// Replacing keys it has does not count; 30 + 20 is the limit.
	cpNoErr(t, add(elbTags(30, "old")...))
	cpNoErr(t, add(append(elbTags(20, "new"), control.ELBTag{Key: "Name", Value: "é ü_.:/=+-@ 1"})[1:]...))
	cpNoErr(t, add(control.ELBTag{Key: "Name", Value: "x"}))
	e.cpRefused(t, "TooManyTags", func() error { return add(control.ELBTag{Key: "one-more", Value: "x"}) })
	e.cpRefused(t, "TooManyTags", func() error {
		_, err := e.provider.CreateLoadBalancer(e.ctx, &control.CreateLoadBalancerInput{Name: "t", Subnets: []string{e.defaultSubnets(e.provider)["a"].SubnetID}, Tags: elbTags(51, "k")})
		return err
	})
}

// TestSecurityGroupText: names and descriptions of groups and rules are up
// to 255 characters of a-z A-Z 0-9 spaces ._-:/()#,@[]+=&;{}!$*.
func TestSecurityGroupText(t *testing.T) {
	e := cpNewEnv(t)
	ok := "web ._-:/()#,@[]+=&;{}!$* 0-9"
	tests := []struct {
		name, group, desc string
		code              string
	}{
		{"every allowed character", "g1", ok, ""},
		{"name of 255", strings.Repeat("n", 255), "d", ""},
		{"name of 256", strings.Repeat("n", 256), "d", "InvalidParameterValue"},
		{"description of 256", "g2", strings.Repeat("d", 256), "InvalidParameterValue"},
		{"description of 100 KB", "g3", strings.Repeat("d", 100000), "InvalidParameterValue"},
		{"ESC in description", "g4", "x\x1b[2Jy", "InvalidParameterValue"},
		{"newline in description", "g5", "x\ny", "InvalidParameterValue"},
		{"ESC in name", "g\x1b[31m", "d", "InvalidParameterValue"},
		{"unicode in name", "grüppe", "d", "InvalidParameterValue"},
		{"quote in description", "g6", `say "hi"`, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			create := func() error {
				_, err := e.provider.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: tt.group, Description: tt.desc})
				return err
			}
			if tt.code == "" {
				cpNoErr(t, create())
				return
			}
			e.cpRefused(t, tt.code, create)
		})
	}
	g := cpMust(e.provider.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: "rules", Description: "d"}))(t).GroupID
	port := 443
	rule := func(desc string) *control.AuthorizeSecurityGroupIngressInput {
		return &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{GroupID: g, IPPermissions: []control.IPPermission{{IPProtocol: "tcp", FromPort: &port, ToPort: &port,
			IPRanges: []control.IPRange{{CidrIP: "127.0.0.0/8", Description: desc}}}}}}
	}
	e.cpRefused(t, "InvalidParameterValue", func() error { _, err := e.provider.AuthorizeSecurityGroupIngress(e.ctx, rule("x\x1b[2J")); return err })
	e.cpRefused(t, "InvalidParameterValue", func() error {
		_, err := e.provider.AuthorizeSecurityGroupIngress(e.ctx, rule(strings.Repeat("d", 256)))
		return err
	})
	cpMust(e.provider.AuthorizeSecurityGroupIngress(e.ctx, rule("https from loopback")))(t)
	got := cpMust(e.provider.DescribeSecurityGroups(e.ctx, &control.DescribeSecurityGroupsInput{GroupIDs: []string{g}}))(t)
	if d := got.SecurityGroups[0].IPPermissions[0].IPRanges[0].Description; d != "https from loopback" {
		t.Errorf("rule description %q", d)
	}
}

// TestTargetsPerTargetGroup: a target group holds at most 1,000 targets
// (TooManyTargets); registering targets it has does not count.
func TestTargetsPerTargetGroup(t *testing.T) {
	e := cpNewEnv(t)
	vpc := e.defaultVPC(e.provider).VpcID
	tg := cpMust(e.provider.CreateTargetGroup(e.ctx, &control.CreateTargetGroupInput{Name: "many", Protocol: "TCP", Port: 80, VpcID: vpc}))(t).TargetGroups[0].TargetGroupARN
	targets := func(from, n int) []control.TargetDescription {
		out := make([]control.TargetDescription, n)
		for i := range out {
			a := netip.AddrFrom4([4]byte{127, 1, byte((from + i) / 250), byte(1 + (from+i)%250)})
			out[i] = control.TargetDescription{ID: a.String()}
		}
		return out
	}
	register := func(ts []control.TargetDescription) error {
		return errOf(e.provider.RegisterTargets(e.ctx, &control.RegisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: tg, Targets: ts}}))
	}
	e.cpRefused(t, "TooManyTargets", func() error { return register(targets(0, 1001)) })
	cpNoErr(t, register(targets(0, 1000)))
	cpNoErr(t, register(targets(500, 500))) // registered already
	e.cpRefused(t, "TooManyTargets", func() error { return register(targets(1000, 1)) })
	e.cpRefused(t, "TooManyTargets", func() error { return register(targets(990, 20)) })
}

// TestErrorMessagesEscapeControl: a message that echoes user input shows
// its control characters escaped.
func TestErrorMessagesEscapeControl(t *testing.T) {
	e := cpNewEnv(t)
	_, err := e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{Filters: []control.Filter{{Name: "x\x1b[2J\u009b", Values: []string{"v"}}}})
	cpCode(t, err, "InvalidParameterValue")
	msg := err.(*control.Error).Message
	if strings.ContainsAny(msg, "\x1b\u009b") || !strings.Contains(msg, `x\x1b[2J\u009b`) {
		t.Errorf("message %q", msg)
	}
	_, err = e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{VpcIDs: []string{"vpc-\x07"}})
	cpCode(t, err, "InvalidVpcId.Malformed")
	if msg := err.(*control.Error).Message; strings.ContainsRune(msg, '\a') || !strings.Contains(msg, `vpc-\x07`) {
		t.Errorf("message %q", msg)
	}
}

// TestListLengths: lists of IDs, ARNs and names are bounded (20 load
// balancer ARNs as AWS documents, 1,000 otherwise) with AWS's codes, never
// a bare SQL error ("too many SQL variables" at 32,767).
func TestListLengths(t *testing.T) {
	e := cpNewEnv(t)
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%017x", prefix, i)
		}
		return out
	}
	lbARNs := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/n%d/%016x", i, i)
		}
		return out
	}
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"1,000 VPC IDs", func() error {
			_, err := e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{VpcIDs: ids("vpc", 1000)})
			return err
		}, "InvalidVpcID.NotFound"},
		{"1,001 VPC IDs", func() error {
			_, err := e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{VpcIDs: ids("vpc", 1001)})
			return err
		}, "InvalidParameterValue"},
		{"40,000 subnet IDs", func() error {
			_, err := e.provider.DescribeSubnets(e.ctx, &control.DescribeSubnetsInput{SubnetIDs: ids("subnet", 40000)})
			return err
		}, "InvalidParameterValue"},
		{"40,000 endpoint IDs", func() error {
			_, err := e.provider.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{VpcEndpointIDs: ids("vpce", 40000)})
			return err
		}, "InvalidParameterValue"},
		{"40,000 service IDs", func() error {
			_, err := e.provider.DescribeVpcEndpointServiceConfigurations(e.ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: ids("vpce-svc", 40000)})
			return err
		}, "InvalidParameterValue"},
		{"1,001 endpoints to delete", func() error {
			_, err := e.consumer.DeleteVpcEndpoints(e.ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: ids("vpce", 1001)})
			return err
		}, "InvalidParameterValue"},
		{"1,001 connections to accept", func() error {
			_, err := e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: "vpce-svc-00000000000000000", VpcEndpointIDs: ids("vpce", 1001)}})
			return err
		}, "InvalidParameterValue"},
		{"1,001 services to delete", func() error {
			_, err := e.provider.DeleteVpcEndpointServiceConfigurations(e.ctx, &control.DeleteVpcEndpointServiceConfigurationsInput{ServiceIDs: ids("vpce-svc", 1001)})
			return err
		}, "InvalidParameterValue"},
		{"201 filter values", func() error {
			_, err := e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{Filters: []control.Filter{{Name: "vpc-id", Values: ids("vpc", 201)}}})
			return err
		}, "FilterLimitExceeded"},
		{"51 filters", func() error {
			fs := make([]control.Filter, 51)
			for i := range fs {
				fs[i] = control.Filter{Name: "vpc-id", Values: []string{"vpc-1"}}
			}
			_, err := e.provider.DescribeSubnets(e.ctx, &control.DescribeSubnetsInput{Filters: fs})
			return err
		}, "FilterLimitExceeded"},
		{"20 load balancer ARNs", func() error {
			_, err := e.provider.DescribeLoadBalancers(e.ctx, &control.DescribeLoadBalancersInput{LoadBalancerARNs: lbARNs(20)})
			return err
		}, "LoadBalancerNotFound"},
		{"21 load balancer ARNs", func() error {
			_, err := e.provider.DescribeLoadBalancers(e.ctx, &control.DescribeLoadBalancersInput{LoadBalancerARNs: lbARNs(21)})
			return err
		}, "ValidationError"},
		{"40,000 load balancer names", func() error {
			_, err := e.provider.DescribeLoadBalancers(e.ctx, &control.DescribeLoadBalancersInput{Names: ids("n", 40000)})
			return err
		}, "ValidationError"},
		{"40,000 target group names", func() error {
			_, err := e.provider.DescribeTargetGroups(e.ctx, &control.DescribeTargetGroupsInput{Names: ids("n", 40000)})
			return err
		}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { e.cpRefused(t, tt.code, tt.call) })
	}
}
