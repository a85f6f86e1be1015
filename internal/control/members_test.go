package control_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// TestSecurityGroupMembers: the members AWS returns around security
// groups: SecurityGroupArn, SecurityGroupRules with sgr- IDs, rule
// descriptions, revoke by rule ID, Return/GroupId from delete.
func TestSecurityGroupMembers(t *testing.T) {
	e := cpNewEnv(t)
	ctx, c := e.ctx, e.consumer
	vpc := e.defaultVPC(c)
	sg := cpMust(c.CreateSecurityGroup(ctx, &control.CreateSecurityGroupInput{GroupName: "web", Description: "web", VpcID: vpc.VpcID}))(t)
	if want := "arn:aws:ec2:" + cpRegion + ":" + cpConsumer + ":security-group/" + sg.GroupID; sg.SecurityGroupArn != want {
		t.Errorf("SecurityGroupArn = %q, want %q", sg.SecurityGroupArn, want)
	}
	p80, p443 := 80, 443
	auth := cpMust(c.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
		GroupID: sg.GroupID, IPPermissions: []control.IPPermission{
			{IPProtocol: "tcp", FromPort: &p80, ToPort: &p80, IPRanges: []control.IPRange{{CidrIP: "10.0.0.0/8", Description: "office"}}},
			{IPProtocol: "tcp", FromPort: &p443, ToPort: &p443, Ipv6Ranges: []control.Ipv6Range{{CidrIpv6: "fd00::/8", Description: "v6"}}},
		}}}))(t)
	if !auth.Return || len(auth.SecurityGroupRules) != 2 {
		t.Fatalf("authorize = %s", cpJSON(t, auth))
	}
	r0, r1 := auth.SecurityGroupRules[0], auth.SecurityGroupRules[1]
	if !strings.HasPrefix(r0.SecurityGroupRuleID, "sgr-") || r0.GroupID != sg.GroupID || r0.GroupOwnerID != cpConsumer || r0.IsEgress ||
		r0.IPProtocol != "tcp" || r0.FromPort != 80 || r0.ToPort != 80 || r0.CidrIpv4 != "10.0.0.0/8" || r0.Description != "office" {
		t.Errorf("rule 0 = %s", cpJSON(t, r0))
	}
	if r1.CidrIpv6 != "fd00::/8" || r1.Description != "v6" || r1.CidrIpv4 != "" {
		t.Errorf("rule 1 = %s", cpJSON(t, r1))
	}
	g := cpMust(c.DescribeSecurityGroups(ctx, &control.DescribeSecurityGroupsInput{GroupIDs: []string{sg.GroupID}}))(t).SecurityGroups[0]
	if len(g.IPPermissions) != 2 || g.IPPermissions[0].IPRanges[0].Description != "office" || g.IPPermissions[1].Ipv6Ranges[0].Description != "v6" {
		t.Errorf("descriptions not kept: %s", cpJSON(t, g.IPPermissions))
	}

	// Revoke by ID: malformed, unknown, combined with a rule by value.
	cpCode(t, func() error {
		_, err := c.RevokeSecurityGroupIngress(ctx, &control.RevokeSecurityGroupIngressInput{IngressInput: control.IngressInput{GroupID: sg.GroupID}, SecurityGroupRuleIDs: []string{"rule-1"}})
		return err
	}(), control.ErrCodeInvalidSecurityGroupRuleIDMalformed)
	e.cpRefused(t, control.ErrCodeInvalidSecurityGroupRuleIDNotFound, func() error {
		_, err := c.RevokeSecurityGroupIngress(ctx, &control.RevokeSecurityGroupIngressInput{IngressInput: control.IngressInput{GroupID: sg.GroupID},
			SecurityGroupRuleIDs: []string{r0.SecurityGroupRuleID, "sgr-0123456789abcdef0"}})
		return err
	})
	cpCode(t, func() error {
		_, err := c.RevokeSecurityGroupIngress(ctx, &control.RevokeSecurityGroupIngressInput{IngressInput: control.IngressInput{GroupID: sg.GroupID, IPProtocol: "tcp", CidrIP: "10.0.0.0/8"},
			SecurityGroupRuleIDs: []string{r0.SecurityGroupRuleID}})
		return err
	}(), control.ErrCodeInvalidParameterCombination)
	cpMust(c.RevokeSecurityGroupIngress(ctx, &control.RevokeSecurityGroupIngressInput{IngressInput: control.IngressInput{GroupID: sg.GroupID},
		SecurityGroupRuleIDs: []string{r0.SecurityGroupRuleID}}))(t)
	g = cpMust(c.DescribeSecurityGroups(ctx, &control.DescribeSecurityGroupsInput{GroupIDs: []string{sg.GroupID}}))(t).SecurityGroups[0]
	if len(g.IPPermissions) != 1 || len(g.IPPermissions[0].Ipv6Ranges) != 1 {
		t.Errorf("after revoke by ID: %s", cpJSON(t, g.IPPermissions))
	}

	// Tags on rules (ResourceType security-group-rule) come back with the
	// rule, and go with it.
	tagged := cpMust(c.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
		GroupID: sg.GroupID, IPProtocol: "udp", FromPort: &p80, ToPort: &p80, CidrIP: "10.9.0.0/16"},
		TagSpecifications: []control.TagSpecification{{ResourceType: "security-group-rule", Tags: []control.Tag{{Key: "Name", Value: "dns"}}}}}))(t)
	if tg := tagged.SecurityGroupRules[0].Tags; len(tg) != 1 || tg[0].Key != "Name" || tg[0].Value != "dns" {
		t.Errorf("rule tags = %s", cpJSON(t, tg))
	}
	cpMust(c.RevokeSecurityGroupIngress(ctx, &control.RevokeSecurityGroupIngressInput{IngressInput: control.IngressInput{
		GroupID: sg.GroupID, IPProtocol: "udp", FromPort: &p80, ToPort: &p80, CidrIP: "10.9.0.0/16"}}))(t)
	var n int
	if err := e.st.DB().QueryRow(e.st.SQL(`SELECT count(*) FROM tags WHERE resource_id = ?`), tagged.SecurityGroupRules[0].SecurityGroupRuleID).Scan(&n); err != nil || n != 0 {
		t.Errorf("tags of a revoked rule: %d, %v", n, err)
	}

	del := cpMust(c.DeleteSecurityGroup(ctx, &control.DeleteSecurityGroupInput{GroupID: sg.GroupID}))(t)
	if !del.Return || del.GroupID != sg.GroupID {
		t.Errorf("delete = %s", cpJSON(t, del))
	}
}

// TestSourceGroupRules: a rule admitting another security group's members
// (the AWS CLI's --source-group/--group-owner, or UserIdGroupPairs).
func TestSourceGroupRules(t *testing.T) {
	e := cpNewEnv(t)
	ctx, c := e.ctx, e.consumer
	vpc := e.defaultVPC(c)
	web := cpMust(c.CreateSecurityGroup(ctx, &control.CreateSecurityGroupInput{GroupName: "web", Description: "web", VpcID: vpc.VpcID}))(t)
	app := cpMust(c.CreateSecurityGroup(ctx, &control.CreateSecurityGroupInput{GroupName: "app", Description: "app", VpcID: vpc.VpcID}))(t)
	port := 8080

	// --source-group app --group-owner <account>: by name, top level.
	out := cpMust(c.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
		GroupID: web.GroupID, IPProtocol: "tcp", FromPort: &port, ToPort: &port, SourceSecurityGroupName: "app", SourceSecurityGroupOwnerID: cpConsumer}}))(t)
	r := out.SecurityGroupRules[0]
	if r.ReferencedGroupInfo == nil || r.ReferencedGroupInfo.GroupID != app.GroupID || r.ReferencedGroupInfo.UserID != cpConsumer || r.CidrIpv4 != "" {
		t.Fatalf("rule = %s", cpJSON(t, r))
	}
	g := cpMust(c.DescribeSecurityGroups(ctx, &control.DescribeSecurityGroupsInput{GroupIDs: []string{web.GroupID}}))(t).SecurityGroups[0]
	if pairs := g.IPPermissions[0].UserIDGroupPairs; len(pairs) != 1 || pairs[0].GroupID != app.GroupID || pairs[0].UserID != cpConsumer {
		t.Errorf("UserIdGroupPairs = %s", cpJSON(t, g.IPPermissions))
	}
	// The same rule again, by ID in IpPermissions: a duplicate.
	e.cpRefused(t, control.ErrCodeInvalidPermissionDuplicate, func() error {
		_, err := c.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
			GroupID: web.GroupID, IPPermissions: []control.IPPermission{{IPProtocol: "tcp", FromPort: &port, ToPort: &port,
				UserIDGroupPairs: []control.UserIDGroupPair{{GroupID: app.GroupID}}}}}})
		return err
	})
	// Another account's group, an unknown group, a wrong owner: refused.
	other := e.defaultVPC(e.provider)
	pg := cpMust(e.provider.CreateSecurityGroup(ctx, &control.CreateSecurityGroupInput{GroupName: "p", Description: "p", VpcID: other.VpcID}))(t)
	for _, pair := range []control.UserIDGroupPair{{GroupID: pg.GroupID}, {GroupID: "sg-0123456789abcdef0"}, {GroupID: app.GroupID, UserID: cpOther}, {GroupName: "nope"}} {
		e.cpRefused(t, control.ErrCodeInvalidGroupNotFound, func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
				GroupID: web.GroupID, IPPermissions: []control.IPPermission{{IPProtocol: "tcp", FromPort: &port, ToPort: &port, UserIDGroupPairs: []control.UserIDGroupPair{pair}}}}})
			return err
		})
	}
	// A group named as a source cannot be deleted.
	e.cpRefused(t, control.ErrCodeDependencyViolation, func() error {
		_, err := c.DeleteSecurityGroup(ctx, &control.DeleteSecurityGroupInput{GroupID: app.GroupID})
		return err
	})

	// The data plane admits the source group's members: the addresses of
	// the endpoint interfaces that carry it.
	svc := e.readyService(false)
	in := e.endpointInput(svc, "a")
	in.SecurityGroupIDs = []string{app.GroupID}
	ep := cpMust(c.CreateVpcEndpoint(ctx, &in))(t).VpcEndpoint
	eni := cpMust(c.DescribeNetworkInterfaces(ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: ep.NetworkInterfaceIDs}))(t).NetworkInterfaces[0]
	snap := cpMust(e.st.Snapshot(ctx))(t)
	member := netip.MustParseAddr(eni.PrivateIPAddress)
	admits := func(src netip.Addr) bool {
		for _, rule := range snap.SecurityGroups[web.GroupID].Rules {
			if rule.Allows(src, uint16(port)) {
				return true
			}
		}
		return false
	}
	if !admits(member) {
		t.Errorf("web's rules %+v do not admit app's member %s", snap.SecurityGroups[web.GroupID].Rules, member)
	}
	if admits(member.Next()) {
		t.Errorf("web's rules admit %s, not a member of app", member.Next())
	}

	// Revoke by value with the source group.
	cpMust(c.RevokeSecurityGroupIngress(ctx, &control.RevokeSecurityGroupIngressInput{IngressInput: control.IngressInput{
		GroupID: web.GroupID, IPProtocol: "tcp", FromPort: &port, ToPort: &port, SourceSecurityGroupName: app.GroupID}}))(t)
	g = cpMust(c.DescribeSecurityGroups(ctx, &control.DescribeSecurityGroupsInput{GroupIDs: []string{web.GroupID}}))(t).SecurityGroups[0]
	if len(g.IPPermissions) != 0 {
		t.Errorf("after revoke: %s", cpJSON(t, g.IPPermissions))
	}
}

// TestEndpointPolicyDocument: the default full-access policy, a given one
// stored and returned, modify and reset.
func TestEndpointPolicyDocument(t *testing.T) {
	e := cpNewEnv(t)
	ctx, c := e.ctx, e.consumer
	svc := e.readyService(false)
	ep := e.endpoint(svc, "a")
	if ep.PolicyDocument != control.DefaultEndpointPolicy {
		t.Errorf("default policy = %q", ep.PolicyDocument)
	}
	policy := `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`
	in := e.endpointInput(svc, "b")
	in.PolicyDocument = policy
	ep2 := cpMust(c.CreateVpcEndpoint(ctx, &in))(t).VpcEndpoint
	if ep2.PolicyDocument != policy {
		t.Errorf("policy = %q", ep2.PolicyDocument)
	}
	bad := e.endpointInput(svc, "c")
	bad.PolicyDocument = "{not json"
	e.cpRefused(t, control.ErrCodeInvalidParameterValue, func() error { _, err := c.CreateVpcEndpoint(ctx, &bad); return err })

	cpMust(c.ModifyVpcEndpoint(ctx, &control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, PolicyDocument: policy}))(t)
	cpMust(c.ModifyVpcEndpoint(ctx, &control.ModifyVpcEndpointInput{VpcEndpointID: ep2.VpcEndpointID, ResetPolicy: true}))(t)
	got := map[string]string{}
	for _, v := range cpMust(c.DescribeVpcEndpoints(ctx, &control.DescribeVpcEndpointsInput{}))(t).VpcEndpoints {
		got[v.VpcEndpointID] = v.PolicyDocument
	}
	if got[ep.VpcEndpointID] != policy || got[ep2.VpcEndpointID] != control.DefaultEndpointPolicy {
		t.Errorf("after modify: %v", got)
	}
	e.cpRefused(t, control.ErrCodeInvalidParameterCombination, func() error {
		_, err := c.ModifyVpcEndpoint(ctx, &control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, PolicyDocument: policy, ResetPolicy: true})
		return err
	})
}

// TestClientToken: the same token with the same parameters returns the
// first result and creates nothing; with other parameters it fails with
// IdempotentParameterMismatch.
func TestClientToken(t *testing.T) {
	e := cpNewEnv(t)
	ctx, p, c := e.ctx, e.provider, e.consumer
	svc := e.readyService(false)

	in := e.endpointInput(svc, "a")
	in.ClientToken = "token-1"
	first := cpMust(c.CreateVpcEndpoint(ctx, &in))(t)
	if first.ClientToken != "token-1" {
		t.Errorf("ClientToken = %q", first.ClientToken)
	}
	again := cpMust(c.CreateVpcEndpoint(ctx, &in))(t)
	if again.VpcEndpoint.VpcEndpointID != first.VpcEndpoint.VpcEndpointID {
		t.Errorf("same token created %s, first %s", again.VpcEndpoint.VpcEndpointID, first.VpcEndpoint.VpcEndpointID)
	}
	if n := len(cpMust(c.DescribeVpcEndpoints(ctx, &control.DescribeVpcEndpointsInput{}))(t).VpcEndpoints); n != 1 {
		t.Errorf("%d endpoints after a repeated token, want 1", n)
	}
	changed := in
	changed.SubnetIDs = e.endpointInput(svc, "b").SubnetIDs
	e.cpRefused(t, control.ErrCodeIdempotentParameterMismatch, func() error { _, err := c.CreateVpcEndpoint(ctx, &changed); return err })

	nlb := e.providerNLB("tok")
	sin := &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{nlb}, ClientToken: "svc-1"}
	s1 := cpMust(p.CreateVpcEndpointServiceConfiguration(ctx, sin))(t)
	s2 := cpMust(p.CreateVpcEndpointServiceConfiguration(ctx, sin))(t)
	if s1.ServiceConfiguration.ServiceID != s2.ServiceConfiguration.ServiceID || s2.ClientToken != "svc-1" {
		t.Errorf("service: %s then %s", cpJSON(t, s1), cpJSON(t, s2))
	}
	yes := true
	e.cpRefused(t, control.ErrCodeIdempotentParameterMismatch, func() error {
		_, err := p.CreateVpcEndpointServiceConfiguration(ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{nlb}, ClientToken: "svc-1", AcceptanceRequired: &yes})
		return err
	})

	nin := &control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionNotificationArn: "arn:aws:sns:us-east-1:" + cpProvider + ":t",
		ConnectionEvents: []string{"Connect"}, ClientToken: "n-1"}
	n1 := cpMust(p.CreateVpcEndpointConnectionNotification(ctx, nin))(t)
	n2 := cpMust(p.CreateVpcEndpointConnectionNotification(ctx, nin))(t)
	if n1.ConnectionNotification.ConnectionNotificationID != n2.ConnectionNotification.ConnectionNotificationID {
		t.Errorf("notification: %s then %s", cpJSON(t, n1), cpJSON(t, n2))
	}
	if n := len(cpMust(p.DescribeVpcEndpointConnectionNotifications(ctx, &control.DescribeVpcEndpointConnectionNotificationsInput{}))(t).ConnectionNotificationSet); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
	long := *nin
	long.ClientToken = strings.Repeat("x", 65)
	cpCode(t, func() error { _, err := p.CreateVpcEndpointConnectionNotification(ctx, &long); return err }(), control.ErrCodeInvalidParameterValue)
}
