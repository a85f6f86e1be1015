package control_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

func TestCPEndpointVisibility(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.service(true, "", e.providerNLB("vis-nlb"))
	third := e.api(cpOther)
	cpMust(third.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{}))(t)
	in := e.endpointInput(svc, "a")

	t.Run("not allowed: not visible, cannot connect", func(t *testing.T) {
		got := cpMust(e.consumer.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{}))(t)
		if len(got.ServiceDetails) != 0 || len(got.ServiceNames) != 0 {
			t.Fatalf("consumer sees %s", cpJSON(t, got))
		}
		_, err := e.consumer.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{ServiceNames: []string{svc.ServiceName}})
		cpCode(t, err, "InvalidServiceName")
		e.cpRefused(t, "InvalidServiceName", func() error { _, err := e.consumer.CreateVpcEndpoint(e.ctx, &in); return err })
	})
	t.Run("same error as a service that does not exist", func(t *testing.T) {
		bad := in
		bad.ServiceName = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
		e.cpRefused(t, "InvalidServiceName", func() error { _, err := e.consumer.CreateVpcEndpoint(e.ctx, &bad); return err })
		bad.ServiceName = "com.example.nothing"
		e.cpRefused(t, "InvalidServiceName", func() error { _, err := e.consumer.CreateVpcEndpoint(e.ctx, &bad); return err })
	})
	t.Run("a role principal allows only that role", func(t *testing.T) {
		e.allow(svc.ServiceID, "arn:aws:iam::222222222222:role/app")
		role := e.apiAs(cpConsumer, "arn:aws:iam::222222222222:role/app")
		if got := cpMust(role.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{}))(t); len(got.ServiceDetails) != 1 {
			t.Fatalf("the allowed role sees %s", cpJSON(t, got))
		}
		other := e.apiAs(cpConsumer, "arn:aws:iam::222222222222:role/other")
		if got := cpMust(other.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{}))(t); len(got.ServiceDetails) != 0 {
			t.Fatalf("another role of the account sees %s", cpJSON(t, got))
		}
		if got := cpMust(e.consumer.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{}))(t); len(got.ServiceDetails) != 0 {
			t.Fatalf("the account root sees a service allowed to one role: %s", cpJSON(t, got))
		}
	})
	t.Run("account root allows the account", func(t *testing.T) {
		e.allow(svc.ServiceID, "arn:aws:iam::222222222222:root")
		got := cpMust(e.consumer.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{ServiceNames: []string{svc.ServiceName}}))(t)
		if len(got.ServiceDetails) != 1 || got.ServiceDetails[0].Owner != cpProvider || !got.ServiceDetails[0].AcceptanceRequired || got.ServiceNames[0] != svc.ServiceName {
			t.Fatalf("consumer sees %s", cpJSON(t, got))
		}
		if got := cpMust(third.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{}))(t); len(got.ServiceDetails) != 0 {
			t.Fatalf("a third account sees %s", cpJSON(t, got))
		}
	})
	t.Run("star allows everyone", func(t *testing.T) {
		e.allow(svc.ServiceID, "*")
		if got := cpMust(third.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{}))(t); len(got.ServiceDetails) != 1 {
			t.Fatalf("a third account does not see a '*' service: %s", cpJSON(t, got))
		}
	})
}

func TestCPEndpointLifecycle(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(true)

	ep := e.endpoint(svc, "a", "b")
	if ep.State != "pendingAcceptance" || ep.VpcEndpointType != "Interface" || ep.OwnerID != cpConsumer || len(ep.NetworkInterfaceIDs) != 2 ||
		ep.IPAddressType != "ipv4" || ep.DNSOptions.DNSRecordIPType != "ipv4" || ep.PrivateDNSEnabled || len(ep.Groups) != 1 || ep.Groups[0].GroupName != "default" {
		t.Fatalf("new endpoint = %s", cpJSON(t, ep))
	}
	if !regexp.MustCompile(`^vpce-[0-9a-f]{17}$`).MatchString(ep.VpcEndpointID) {
		t.Fatalf("endpoint ID %s", ep.VpcEndpointID)
	}
	t.Run("DnsEntries", func(t *testing.T) {
		if len(ep.DNSEntries) != 3 {
			t.Fatalf("DnsEntries = %s", cpJSON(t, ep.DNSEntries))
		}
		base := `\.` + regexp.QuoteMeta(svc.ServiceID) + `\.us-east-1\.vpce\.amazonaws\.com$`
		res := []string{
			`^` + ep.VpcEndpointID + `-[a-z0-9]{8}` + base,
			`^` + ep.VpcEndpointID + `-[a-z0-9]{8}-us-east-1a` + base,
			`^` + ep.VpcEndpointID + `-[a-z0-9]{8}-us-east-1b` + base,
		}
		suffix := strings.Split(ep.DNSEntries[0].DNSName, ".")[0]
		for i, re := range res {
			d := ep.DNSEntries[i]
			if !regexp.MustCompile(re).MatchString(d.DNSName) || d.HostedZoneID != "Z7HUB22UULQXV" {
				t.Errorf("DnsEntries[%d] = %s, want %s in Z7HUB22UULQXV", i, cpJSON(t, d), re)
			}
			if !strings.HasPrefix(d.DNSName, suffix) {
				t.Errorf("DnsEntries[%d] %s does not share the regional suffix %s", i, d.DNSName, suffix)
			}
		}
	})
	t.Run("provider sees the connection", func(t *testing.T) {
		got := cpMust(e.provider.DescribeVpcEndpointConnections(e.ctx, &control.DescribeVpcEndpointConnectionsInput{}))(t)
		if len(got.VpcEndpointConnections) != 1 {
			t.Fatalf("connections = %s", cpJSON(t, got))
		}
		c := got.VpcEndpointConnections[0]
		if c.VpcEndpointID != ep.VpcEndpointID || c.VpcEndpointOwner != cpConsumer || c.VpcEndpointState != "pendingAcceptance" || c.ServiceID != svc.ServiceID {
			t.Fatalf("connection = %s", cpJSON(t, c))
		}
		// The consumer owns no service: no connections.
		if got := cpMust(e.consumer.DescribeVpcEndpointConnections(e.ctx, &control.DescribeVpcEndpointConnectionsInput{}))(t); len(got.VpcEndpointConnections) != 0 {
			t.Fatalf("consumer sees connections %s", cpJSON(t, got))
		}
		// The provider does not see the consumer's endpoint as its own.
		_, err := e.provider.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID}})
		cpCode(t, err, "InvalidVpcEndpointId.NotFound")
	})
	t.Run("consumer cannot accept its own endpoint", func(t *testing.T) {
		e.cpRefused(t, "InvalidVpcEndpointServiceId.NotFound", func() error {
			_, err := e.consumer.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}})
			return err
		})
	})
	t.Run("accept", func(t *testing.T) {
		unknown := "vpce-0123456789abcdef0"
		r := cpMust(e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID, unknown, "vpce-bad"}}}))(t)
		cpUnsuccessful(t, r.Unsuccessful, map[string]string{unknown: "InvalidVpcEndpointId.NotFound", "vpce-bad": "InvalidVpcEndpointId.NotFound"})
		if s := e.endpointState(e.consumer, ep.VpcEndpointID); s != "available" {
			t.Fatalf("state after accept %s", s)
		}
		// Accepting again: an Unsuccessful item, exit 0, nothing changes.
		rev := cpMust(e.st.Revision(e.ctx))(t)
		r = cpMust(e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
		if len(r.Unsuccessful) != 1 || r.Unsuccessful[0].ResourceID != ep.VpcEndpointID || r.Unsuccessful[0].Error.Code == "" {
			t.Fatalf("accept of available = %s", cpJSON(t, r))
		}
		if got := cpMust(e.st.Revision(e.ctx))(t); got != rev {
			t.Errorf("a fully unsuccessful accept moved the revision")
		}
	})
	t.Run("delete service with an active connection", func(t *testing.T) {
		r := cpMust(e.provider.DeleteVpcEndpointServiceConfigurations(e.ctx, &control.DeleteVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{svc.ServiceID}}))(t)
		cpUnsuccessful(t, r.Unsuccessful, map[string]string{svc.ServiceID: "ExistingVpcEndpointConnections"})
		if got := cpMust(e.provider.DescribeVpcEndpointServiceConfigurations(e.ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{}))(t); len(got.ServiceConfigurations) != 1 {
			t.Fatalf("service gone after a refused delete")
		}
	})
	t.Run("revoking the permission keeps the connection", func(t *testing.T) {
		cpMust(e.provider.ModifyVpcEndpointServicePermissions(e.ctx, &control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, RemoveAllowedPrincipals: []string{"arn:aws:iam::222222222222:root"}}))(t)
		if s := e.endpointState(e.consumer, ep.VpcEndpointID); s != "available" {
			t.Fatalf("state after revoke %s", s)
		}
		// But no new endpoint.
		e.cpRefused(t, "InvalidServiceName", func() error {
			_, err := e.consumer.CreateVpcEndpoint(e.ctx, ptr(e.endpointInput(svc, "c")))
			return err
		})
	})
	t.Run("provider cannot delete the consumer's endpoint", func(t *testing.T) {
		r := cpMust(e.provider.DeleteVpcEndpoints(e.ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID}}))(t)
		cpUnsuccessful(t, r.Unsuccessful, map[string]string{ep.VpcEndpointID: "InvalidVpcEndpoint.NotFound"})
		if s := e.endpointState(e.consumer, ep.VpcEndpointID); s != "available" {
			t.Fatalf("state %s", s)
		}
	})
	t.Run("reject from available", func(t *testing.T) {
		r := cpMust(e.provider.RejectVpcEndpointConnections(e.ctx, &control.RejectVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
		cpUnsuccessful(t, r.Unsuccessful, map[string]string{})
		got := cpMust(e.consumer.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID}}))(t)
		if got.VpcEndpoints[0].State != "rejected" {
			t.Fatalf("state %s", got.VpcEndpoints[0].State)
		}
		if len(got.VpcEndpoints[0].DNSEntries) != 0 || cpJSON(t, got.VpcEndpoints[0].DNSEntries) != "[]" {
			t.Errorf("rejected endpoint DnsEntries %s", cpJSON(t, got.VpcEndpoints[0].DNSEntries))
		}
	})
	t.Run("rejected connections do not block delete", func(t *testing.T) {
		r := cpMust(e.provider.DeleteVpcEndpointServiceConfigurations(e.ctx, &control.DeleteVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{svc.ServiceID, "vpce-svc-0123456789abcdef0"}}))(t)
		cpUnsuccessful(t, r.Unsuccessful, map[string]string{"vpce-svc-0123456789abcdef0": "InvalidVpcEndpointService.NotFound"})
		if got := cpMust(e.provider.DescribeVpcEndpointServiceConfigurations(e.ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{}))(t); len(got.ServiceConfigurations) != 0 {
			t.Fatalf("service still there: %s", cpJSON(t, got))
		}
	})
	t.Run("consumer deletes", func(t *testing.T) {
		r := cpMust(e.consumer.DeleteVpcEndpoints(e.ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID, "vpce-nope"}}))(t)
		cpUnsuccessful(t, r.Unsuccessful, map[string]string{"vpce-nope": "InvalidVpcEndpointId.Malformed"})
		got := cpMust(e.consumer.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{}))(t)
		if len(got.VpcEndpoints) != 0 || cpJSON(t, got) != `{"VpcEndpoints":[]}` {
			t.Fatalf("after delete %s", cpJSON(t, got))
		}
	})
}

func TestCPRejectFromPending(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(true)
	ep := e.endpoint(svc, "a")
	r := cpMust(e.provider.RejectVpcEndpointConnections(e.ctx, &control.RejectVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
	cpUnsuccessful(t, r.Unsuccessful, map[string]string{})
	if s := e.endpointState(e.consumer, ep.VpcEndpointID); s != "rejected" {
		t.Fatalf("state %s", s)
	}
	// Neither accepted nor rejected again.
	r2 := cpMust(e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
	if len(r2.Unsuccessful) != 1 {
		t.Fatalf("accept of rejected = %s", cpJSON(t, r2))
	}
	r = cpMust(e.provider.RejectVpcEndpointConnections(e.ctx, &control.RejectVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
	if len(r.Unsuccessful) != 1 {
		t.Fatalf("reject of rejected = %s", cpJSON(t, r))
	}
	// The rejected endpoint cannot be modified.
	e.cpRefused(t, "IncorrectState", func() error {
		_, err := e.consumer.ModifyVpcEndpoint(e.ctx, &control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, AddSubnetIDs: []string{e.defaultSubnets(e.consumer)["b"].SubnetID}})
		return err
	})
	for _, tc := range []struct {
		name string
		fn   func() error
		code string
	}{
		{"no ids", func() error {
			_, err := e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: nil}})
			return err
		}, "MissingParameter"},
		{"malformed service", func() error {
			_, err := e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: "vpce-svc-1", VpcEndpointIDs: []string{ep.VpcEndpointID}}})
			return err
		}, "InvalidVpcEndpointServiceId.Malformed"},
		{"unknown service", func() error {
			_, err := e.provider.RejectVpcEndpointConnections(e.ctx, &control.RejectVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: "vpce-svc-0123456789abcdef0", VpcEndpointIDs: []string{ep.VpcEndpointID}}})
			return err
		}, "InvalidVpcEndpointServiceId.NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) { e.cpRefused(t, tc.code, tc.fn) })
	}
}

func TestCPNoAcceptance(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(false)
	ep := e.endpoint(svc, "a", "b", "c")
	if ep.State != "available" || len(ep.DNSEntries) != 4 {
		t.Fatalf("endpoint = %s", cpJSON(t, ep))
	}
	// The provider's own endpoint to a service that requires acceptance is available at once.
	own := e.service(true, "", e.providerNLB("own-nlb"))
	ds := e.defaultSubnets(e.provider)
	out := cpMust(e.provider.CreateVpcEndpoint(e.ctx, &control.CreateVpcEndpointInput{VpcID: e.defaultVPC(e.provider).VpcID, ServiceName: own.ServiceName, SubnetIDs: []string{ds["a"].SubnetID}}))(t)
	if out.VpcEndpoint.State != "available" {
		t.Fatalf("provider's own endpoint state %s", out.VpcEndpoint.State)
	}
}

func TestCPCreateEndpointRules(t *testing.T) {
	e := cpNewEnv(t)
	// The service is in zones a and b only.
	ps := e.defaultSubnets(e.provider)
	nlb := e.nlb(e.provider, "ab-nlb", "ipv4", ps["a"].SubnetID, ps["b"].SubnetID)
	svc := e.service(true, "", nlb)
	e.allow(svc.ServiceID, "arn:aws:iam::222222222222:root")
	cs := e.defaultSubnets(e.consumer)
	vpc := e.defaultVPC(e.consumer).VpcID
	extra := cpMust(e.consumer.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.90.0.0/16"}))(t).Vpc
	extraSub := cpMust(e.consumer.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: extra.VpcID, CidrBlock: "127.90.0.0/20", AvailabilityZone: "us-east-1a"}))(t).Subnet
	second := cpMust(e.consumer.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: vpc, CidrBlock: "127.17.64.0/20", AvailabilityZone: "us-east-1a"}))(t).Subnet
	sg := cpMust(e.consumer.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: "other-vpc", Description: "x", VpcID: extra.VpcID}))(t)
	provSubnet := ps["a"].SubnetID
	base := func(mod func(*control.CreateVpcEndpointInput)) control.CreateVpcEndpointInput {
		in := control.CreateVpcEndpointInput{VpcID: vpc, ServiceName: svc.ServiceName, SubnetIDs: []string{cs["a"].SubnetID}}
		mod(&in)
		return in
	}
	tru := true
	for _, tc := range []struct {
		name string
		in   control.CreateVpcEndpointInput
		code string
	}{
		{"gateway type", base(func(in *control.CreateVpcEndpointInput) { in.VpcEndpointType = "Gateway" }), "InvalidParameter"},
		{"bad type", base(func(in *control.CreateVpcEndpointInput) { in.VpcEndpointType = "Tunnel" }), "InvalidVpcEndpointType"},
		{"no service", base(func(in *control.CreateVpcEndpointInput) { in.ServiceName = "" }), "MissingParameter"},
		{"no subnets", base(func(in *control.CreateVpcEndpointInput) { in.SubnetIDs = nil }), "MissingParameter"},
		{"no vpc", base(func(in *control.CreateVpcEndpointInput) { in.VpcID = "" }), "MissingParameter"},
		{"malformed vpc", base(func(in *control.CreateVpcEndpointInput) { in.VpcID = "vpc-1" }), "InvalidVpcId.Malformed"},
		{"another account's vpc", base(func(in *control.CreateVpcEndpointInput) { in.VpcID = e.defaultVPC(e.provider).VpcID }), "InvalidVpcID.NotFound"},
		{"malformed subnet", base(func(in *control.CreateVpcEndpointInput) { in.SubnetIDs = []string{"subnet-x"} }), "InvalidSubnetId.Malformed"},
		{"unknown subnet", base(func(in *control.CreateVpcEndpointInput) { in.SubnetIDs = []string{"subnet-0123456789abcdef0"} }), "InvalidSubnetID.NotFound"},
		{"another account's subnet", base(func(in *control.CreateVpcEndpointInput) { in.SubnetIDs = []string{provSubnet} }), "InvalidSubnetID.NotFound"},
		{"subnet of another vpc", base(func(in *control.CreateVpcEndpointInput) { in.SubnetIDs = []string{extraSub.SubnetID} }), "InvalidParameter"},
		{"two subnets in one zone", base(func(in *control.CreateVpcEndpointInput) { in.SubnetIDs = []string{cs["a"].SubnetID, second.SubnetID} }), "DuplicateSubnetsInSameZone"},
		{"zone not offered", base(func(in *control.CreateVpcEndpointInput) { in.SubnetIDs = []string{cs["c"].SubnetID} }), "InvalidParameter"},
		{"group of another vpc", base(func(in *control.CreateVpcEndpointInput) { in.SecurityGroupIDs = []string{sg.GroupID} }), "InvalidParameter"},
		{"malformed group", base(func(in *control.CreateVpcEndpointInput) { in.SecurityGroupIDs = []string{"sg-1"} }), "InvalidGroupId.Malformed"},
		{"unknown group", base(func(in *control.CreateVpcEndpointInput) { in.SecurityGroupIDs = []string{"sg-0123456789abcdef0"} }), "InvalidGroup.NotFound"},
		{"bad ip type", base(func(in *control.CreateVpcEndpointInput) { in.IPAddressType = "ipv5" }), "InvalidParameterValue"},
		{"ipv6 on ipv4 subnet", base(func(in *control.CreateVpcEndpointInput) { in.IPAddressType = "ipv6" }), "InvalidParameter"},
		{"dualstack on ipv4 subnet", base(func(in *control.CreateVpcEndpointInput) { in.IPAddressType = "dualstack" }), "InvalidParameter"},
		{"bad dns record type", base(func(in *control.CreateVpcEndpointInput) { in.DNSOptions = &control.DNSOptions{DNSRecordIPType: "both"} }), "InvalidParameterValue"},
		{"dns record ipv6 for ipv4", base(func(in *control.CreateVpcEndpointInput) { in.DNSOptions = &control.DNSOptions{DNSRecordIPType: "ipv6"} }), "InvalidParameter"},
		{"private dns without name", base(func(in *control.CreateVpcEndpointInput) { in.PrivateDNSEnabled = &tru }), "InvalidParameter"},
		{"bad tags", base(func(in *control.CreateVpcEndpointInput) {
			in.TagSpecifications = []control.TagSpecification{{ResourceType: "vpc-endpoint", Tags: []control.Tag{{Key: ""}}}}
		}), "InvalidParameterValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { _, err := e.consumer.CreateVpcEndpoint(e.ctx, &tc.in); return err })
		})
	}
	t.Run("same subnet twice is one ENI", func(t *testing.T) {
		ep := cpMust(e.consumer.CreateVpcEndpoint(e.ctx, ptr(base(func(in *control.CreateVpcEndpointInput) { in.SubnetIDs = []string{cs["a"].SubnetID, cs["a"].SubnetID} }))))(t)
		if len(ep.VpcEndpoint.NetworkInterfaceIDs) != 1 {
			t.Fatalf("ENIs %v", ep.VpcEndpoint.NetworkInterfaceIDs)
		}
	})
	t.Run("ENI addresses are in the subnet and distinct", func(t *testing.T) {
		ep1 := cpMust(e.consumer.CreateVpcEndpoint(e.ctx, ptr(base(func(in *control.CreateVpcEndpointInput) {}))))(t)
		ep2 := cpMust(e.consumer.CreateVpcEndpoint(e.ctx, ptr(base(func(in *control.CreateVpcEndpointInput) {}))))(t)
		nis := cpMust(e.consumer.DescribeNetworkInterfaces(e.ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: append(ep1.VpcEndpoint.NetworkInterfaceIDs, ep2.VpcEndpoint.NetworkInterfaceIDs...)}))(t)
		seen := map[string]bool{}
		for _, n := range nis.NetworkInterfaces {
			if !strings.HasPrefix(n.PrivateIPAddress, "127.17.") || seen[n.PrivateIPAddress] || n.InterfaceType != "vpc_endpoint" || n.DenyAllIgwTraffic != nil {
				t.Errorf("ENI %s", cpJSON(t, n))
			}
			seen[n.PrivateIPAddress] = true
			// The first four addresses of a subnet are reserved.
			for _, r := range []string{"127.17.0.0", "127.17.0.1", "127.17.0.2", "127.17.0.3"} {
				if n.PrivateIPAddress == r {
					t.Errorf("ENI got reserved address %s", r)
				}
			}
		}
	})
}

func TestCPEndpointIPv6(t *testing.T) {
	e := cpNewEnv(t)
	pv := cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.100.0.0/16", AmazonProvidedIpv6CidrBlock: true}))(t).Vpc
	psub := cpIPv6Subnets(t, e, e.provider, pv, "127.100", "a", "b")
	dual := e.nlb(e.provider, "v6-nlb", "dualstack", psub["a"], psub["b"])
	svc6 := cpMust(e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{dual}, SupportedIPAddressTypes: []string{"ipv4", "ipv6"}}))(t).ServiceConfiguration
	e.allow(svc6.ServiceID, "*")
	svc4 := e.readyService(false)

	cv := cpMust(e.consumer.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.101.0.0/16", AmazonProvidedIpv6CidrBlock: true}))(t).Vpc
	dualSub := cpMust(e.consumer.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: cv.VpcID, CidrBlock: "127.101.0.0/20", Ipv6CidrBlock: cpSub64(t, cv, 1), AvailabilityZone: "us-east-1a"}))(t).Subnet
	only6 := cpMust(e.consumer.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: cv.VpcID, Ipv6Native: true, Ipv6CidrBlock: cpSub64(t, cv, 2), AvailabilityZone: "us-east-1b"}))(t).Subnet
	only4 := cpMust(e.consumer.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: cv.VpcID, CidrBlock: "127.101.32.0/20", AvailabilityZone: "us-east-1b"}))(t).Subnet

	in := func(svc *control.ServiceConfiguration, ipType, dnsType string, subnets ...string) control.CreateVpcEndpointInput {
		return control.CreateVpcEndpointInput{VpcID: cv.VpcID, ServiceName: svc.ServiceName, SubnetIDs: subnets, IPAddressType: ipType, DNSOptions: &control.DNSOptions{DNSRecordIPType: dnsType}}
	}
	for _, tc := range []struct {
		name    string
		in      control.CreateVpcEndpointInput
		code    string
		ipType  string
		dnsType string
	}{
		{"dualstack", in(svc6, "dualstack", "", dualSub.SubnetID), "", "dualstack", "dualstack"},
		{"dualstack record ipv4", in(svc6, "dualstack", "ipv4", dualSub.SubnetID), "", "dualstack", "ipv4"},
		{"dualstack record service-defined", in(svc6, "dualstack", "service-defined", dualSub.SubnetID), "", "dualstack", "service-defined"},
		{"ipv6-only subnet defaults to ipv6", in(svc6, "", "", only6.SubnetID), "", "ipv6", "ipv6"},
		{"ipv4 on dualstack subnet", in(svc6, "ipv4", "", dualSub.SubnetID), "", "ipv4", "ipv4"},
		{"default on dualstack subnet is ipv4", in(svc6, "", "", dualSub.SubnetID), "", "ipv4", "ipv4"},
		{"ipv6 on dualstack subnet", in(svc6, "ipv6", "", dualSub.SubnetID), "InvalidParameter", "", ""},
		{"ipv4 on ipv6-only subnet", in(svc6, "ipv4", "", only6.SubnetID), "InvalidParameter", "", ""},
		{"dualstack on ipv6-only subnet", in(svc6, "dualstack", "", only6.SubnetID), "InvalidParameter", "", ""},
		{"dualstack on ipv4-only subnet", in(svc6, "dualstack", "", only4.SubnetID), "InvalidParameter", "", ""},
		{"dualstack to ipv4 service", in(&svc4, "dualstack", "", dualSub.SubnetID), "InvalidParameter", "", ""},
		{"record ipv6 for ipv4 endpoint", in(svc6, "ipv4", "ipv6", dualSub.SubnetID), "InvalidParameter", "", ""},
		{"record dualstack for ipv6 endpoint", in(svc6, "ipv6", "dualstack", only6.SubnetID), "InvalidParameter", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.code != "" {
				e.cpRefused(t, tc.code, func() error { _, err := e.consumer.CreateVpcEndpoint(e.ctx, &tc.in); return err })
				return
			}
			if tc.in.ServiceName == svc4.ServiceName {
				t.Fatal("bad case")
			}
			out := cpMust(e.consumer.CreateVpcEndpoint(e.ctx, &tc.in))(t)
			ep := out.VpcEndpoint
			if ep.IPAddressType != tc.ipType || ep.DNSOptions.DNSRecordIPType != tc.dnsType {
				t.Fatalf("endpoint types %s / %s, want %s / %s", ep.IPAddressType, ep.DNSOptions.DNSRecordIPType, tc.ipType, tc.dnsType)
			}
			nis := cpMust(e.consumer.DescribeNetworkInterfaces(e.ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: ep.NetworkInterfaceIDs}))(t)
			for _, n := range nis.NetworkInterfaces {
				has6 := n.Ipv6Address != "" && len(n.Ipv6Addresses) == 1
				has4 := n.PrivateIPAddress != ""
				if has6 != (tc.ipType != "ipv4") || has4 != (tc.ipType != "ipv6") {
					t.Fatalf("ENI addresses for %s: %s", tc.ipType, cpJSON(t, n))
				}
				if has6 && (n.DenyAllIgwTraffic == nil || !*n.DenyAllIgwTraffic) {
					t.Errorf("ENI with IPv6 lacks DenyAllIgwTraffic: %s", cpJSON(t, n))
				}
				if tc.ipType == "ipv6" && !n.Ipv6Native {
					t.Errorf("ipv6 ENI not Ipv6Native")
				}
			}
		})
	}
}

func TestCPEndpointPrivateDNS(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.service(false, "api.example.com", e.providerNLB("pdns-ep"))
	e.allow(svc.ServiceID, "*")
	tru, fals := true, false
	in := e.endpointInput(svc, "a")
	in.PrivateDNSEnabled = &tru
	t.Run("refused while pendingVerification", func(t *testing.T) {
		e.cpRefused(t, "InvalidParameter", func() error { _, err := e.consumer.CreateVpcEndpoint(e.ctx, &in); return err })
	})
	t.Run("default off while not verified", func(t *testing.T) {
		def := e.endpointInput(svc, "a")
		ep := cpMust(e.consumer.CreateVpcEndpoint(e.ctx, &def))(t).VpcEndpoint
		if ep.PrivateDNSEnabled {
			t.Fatalf("private DNS enabled on an unverified name")
		}
		cpMust(e.consumer.DeleteVpcEndpoints(e.ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID}}))(t)
	})
	t.Run("refused after failed verification", func(t *testing.T) {
		cpMust(e.provider.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: svc.ServiceID}))(t)
		e.cpRefused(t, "InvalidParameter", func() error { _, err := e.consumer.CreateVpcEndpoint(e.ctx, &in); return err })
	})
	c := svc.PrivateDNSNameConfiguration
	e.txt.set(c.Name+".api.example.com", c.Value)
	cpMust(e.provider.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: svc.ServiceID}))(t)
	var first control.VpcEndpoint
	t.Run("verified: enabled, name in DnsEntries last", func(t *testing.T) {
		first = cpMust(e.consumer.CreateVpcEndpoint(e.ctx, &in))(t).VpcEndpoint
		if !first.PrivateDNSEnabled {
			t.Fatalf("PrivateDnsEnabled false")
		}
		last := first.DNSEntries[len(first.DNSEntries)-1]
		if last.DNSName != "api.example.com" || !strings.HasPrefix(last.HostedZoneID, "Z") {
			t.Fatalf("DnsEntries %s", cpJSON(t, first.DNSEntries))
		}
		d := cpMust(e.consumer.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{ServiceNames: []string{svc.ServiceName}}))(t)
		if d.ServiceDetails[0].PrivateDNSName != "api.example.com" || d.ServiceDetails[0].PrivateDNSNameVerificationState != "verified" {
			t.Fatalf("service details %s", cpJSON(t, d))
		}
	})
	t.Run("one endpoint per VPC per name", func(t *testing.T) {
		e.cpRefused(t, "InvalidParameter", func() error { _, err := e.consumer.CreateVpcEndpoint(e.ctx, &in); return err })
		// Without private DNS it is fine.
		off := e.endpointInput(svc, "b")
		off.PrivateDNSEnabled = &fals
		second := cpMust(e.consumer.CreateVpcEndpoint(e.ctx, &off))(t).VpcEndpoint
		// And enabling it later is refused too.
		e.cpRefused(t, "InvalidParameter", func() error {
			_, err := e.consumer.ModifyVpcEndpoint(e.ctx, &control.ModifyVpcEndpointInput{VpcEndpointID: second.VpcEndpointID, PrivateDNSEnabled: &tru})
			return err
		})
		// Another VPC of the same account may claim the name, once its
		// enableDnsHostnames is on (a non-default VPC starts without it).
		v := cpMust(e.consumer.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.110.0.0/16"}))(t).Vpc
		s := cpMust(e.consumer.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: "127.110.0.0/20"}))(t).Subnet
		other := &control.CreateVpcEndpointInput{VpcID: v.VpcID, ServiceName: svc.ServiceName, SubnetIDs: []string{s.SubnetID}, PrivateDNSEnabled: &tru}
		e.cpRefused(t, "InvalidParameter", func() error { _, err := e.consumer.CreateVpcEndpoint(e.ctx, other); return err })
		cpMust(e.consumer.ModifyVpcAttribute(e.ctx, &control.ModifyVpcAttributeInput{VpcID: v.VpcID, EnableDNSHostnames: &control.AttributeBooleanValue{Value: true}}))(t)
		cpMust(e.consumer.CreateVpcEndpoint(e.ctx, other))(t)
	})
}

func TestCPModifyEndpoint(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(false)
	ep := e.endpoint(svc, "a")
	cs := e.defaultSubnets(e.consumer)
	cpMust(e.consumer.ModifyVpcEndpoint(e.ctx, &control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, AddSubnetIDs: []string{cs["b"].SubnetID}}))(t)
	got := cpMust(e.consumer.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID}}))(t).VpcEndpoints[0]
	if len(got.SubnetIDs) != 2 || len(got.DNSEntries) != 3 {
		t.Fatalf("after adding a subnet: %s", cpJSON(t, got))
	}
	for _, tc := range []struct {
		name string
		api  *control.API
		in   control.ModifyVpcEndpointInput
		code string
	}{
		{"remove every subnet", e.consumer, control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, RemoveSubnetIDs: got.SubnetIDs}, "InvalidParameter"},
		{"remove absent subnet", e.consumer, control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, RemoveSubnetIDs: []string{cs["c"].SubnetID}}, "InvalidParameter"},
		{"remove every group", e.consumer, control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, RemoveSecurityGroupIDs: []string{got.Groups[0].GroupID}}, "InvalidParameter"},
		{"malformed", e.consumer, control.ModifyVpcEndpointInput{VpcEndpointID: "vpce-1"}, "InvalidVpcEndpointId.Malformed"},
		{"missing", e.consumer, control.ModifyVpcEndpointInput{}, "MissingParameter"},
		{"provider", e.provider, control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, AddSubnetIDs: []string{cs["c"].SubnetID}}, "InvalidVpcEndpointId.NotFound"},
		{"ipv6 on ipv4 subnets", e.consumer, control.ModifyVpcEndpointInput{VpcEndpointID: ep.VpcEndpointID, IPAddressType: "ipv6"}, "InvalidParameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { _, err := tc.api.ModifyVpcEndpoint(e.ctx, &tc.in); return err })
		})
	}
}

func TestCPDescribeEndpoints(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(true)
	ep := e.endpoint(svc, "a")
	for _, tc := range []struct {
		name string
		in   control.DescribeVpcEndpointsInput
		code string
		n    int
	}{
		{"all", control.DescribeVpcEndpointsInput{}, "", 1},
		{"by id", control.DescribeVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID}}, "", 1},
		{"legacy 8-hex id", control.DescribeVpcEndpointsInput{VpcEndpointIDs: []string{"vpce-01234567"}}, "InvalidVpcEndpointId.NotFound", 0},
		{"malformed", control.DescribeVpcEndpointsInput{VpcEndpointIDs: []string{"vpce-XYZ"}}, "InvalidVpcEndpointId.Malformed", 0},
		{"unknown", control.DescribeVpcEndpointsInput{VpcEndpointIDs: []string{"vpce-0123456789abcdef0"}}, "InvalidVpcEndpointId.NotFound", 0},
		{"state filter", control.DescribeVpcEndpointsInput{Filters: []control.Filter{{Name: "vpc-endpoint-state", Values: []string{"pendingAcceptance"}}}}, "", 1},
		{"state filter no match", control.DescribeVpcEndpointsInput{Filters: []control.Filter{{Name: "vpc-endpoint-state", Values: []string{"available"}}}}, "", 0},
		{"wildcard", control.DescribeVpcEndpointsInput{Filters: []control.Filter{{Name: "service-name", Values: []string{"com.amazonaws.vpce.*"}}}}, "", 1},
		{"unknown filter", control.DescribeVpcEndpointsInput{Filters: []control.Filter{{Name: "flavour", Values: []string{"x"}}}}, "InvalidParameterValue", 0},
		{"empty filter name", control.DescribeVpcEndpointsInput{Filters: []control.Filter{{Values: []string{"x"}}}}, "MissingParameter", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.consumer.DescribeVpcEndpoints(e.ctx, &tc.in)
			if tc.code != "" {
				cpCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out.VpcEndpoints) != tc.n {
				t.Fatalf("got %d, want %d", len(out.VpcEndpoints), tc.n)
			}
		})
	}
	t.Run("connections filters", func(t *testing.T) {
		for f, n := range map[string]int{"pendingAcceptance": 1, "available": 0} {
			out := cpMust(e.provider.DescribeVpcEndpointConnections(e.ctx, &control.DescribeVpcEndpointConnectionsInput{Filters: []control.Filter{{Name: "vpc-endpoint-state", Values: []string{f}}}}))(t)
			if len(out.VpcEndpointConnections) != n {
				t.Errorf("filter %s: %d", f, len(out.VpcEndpointConnections))
			}
		}
		_, err := e.provider.DescribeVpcEndpointConnections(e.ctx, &control.DescribeVpcEndpointConnectionsInput{Filters: []control.Filter{{Name: "nope", Values: []string{"x"}}}})
		cpCode(t, err, "InvalidParameterValue")
	})
}

func TestCPCallerIdentity(t *testing.T) {
	e := cpNewEnv(t)
	for _, tc := range []struct {
		api  *control.API
		want string
	}{
		{e.provider, `{"UserId":"111111111111","Account":"111111111111","Arn":"arn:aws:iam::111111111111:root"}`},
		{e.apiAs(cpConsumer, "arn:aws:iam::222222222222:user/alice"), `{"UserId":"AIDA222222222222","Account":"222222222222","Arn":"arn:aws:iam::222222222222:user/alice"}`},
	} {
		t.Run(fmt.Sprint(tc.api.Caller().Principal), func(t *testing.T) {
			got := cpJSON(t, cpMust(tc.api.GetCallerIdentity(e.ctx, &control.GetCallerIdentityInput{}))(t))
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
