package control_test

import (
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

func TestCPCreateService(t *testing.T) {
	e := cpNewEnv(t)
	arn := e.providerNLB("svc-nlb")
	consumerSubs := e.defaultSubnets(e.consumer)
	consumerNLB := e.nlb(e.consumer, "theirs", "ipv4", consumerSubs["a"].SubnetID)
	otherNLB := e.providerNLB("svc-nlb-2")
	no := false

	t.Run("ok", func(t *testing.T) {
		out := cpMust(e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{arn}, AcceptanceRequired: &no}))(t)
		s := out.ServiceConfiguration
		if s.ServiceState != "Available" || s.AcceptanceRequired || s.ServiceName != "com.amazonaws.vpce.us-east-1."+s.ServiceID ||
			len(s.AvailabilityZones) != 3 || strings.Join(s.SupportedIPAddressTypes, ",") != "ipv4" ||
			s.BaseEndpointDNSNames[0] != s.ServiceID+".us-east-1.vpce.amazonaws.com" {
			t.Fatalf("service = %s", cpJSON(t, s))
		}
		// No private name: PrivateDnsNameConfiguration is {} and PrivateDnsName absent.
		js := cpJSON(t, s)
		if !strings.Contains(js, `"PrivateDnsNameConfiguration":{}`) || strings.Contains(js, `"PrivateDnsName":`) {
			t.Fatalf("JSON without private name: %s", js)
		}
	})
	for _, tc := range []struct {
		name string
		in   control.CreateVpcEndpointServiceConfigurationInput
		code string
	}{
		{"no NLB", control.CreateVpcEndpointServiceConfigurationInput{}, "InvalidParameter"},
		{"malformed ARN", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{"arn:aws:nope"}}, "InvalidParameterValue"},
		{"ALB ARN", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{"arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/x/0123456789abcdef"}}, "InvalidParameterValue"},
		{"unknown NLB", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{"arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/x/0123456789abcdef"}}, "InvalidParameterValue"},
		{"NLB of another account", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{consumerNLB}}, "InvalidParameterValue"},
		{"NLB already used", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{arn}}, "InvalidParameter"},
		{"ipv6 without dualstack", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{otherNLB}, SupportedIPAddressTypes: []string{"ipv4", "ipv6"}}, "InvalidParameter"},
		{"bad ip type", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{otherNLB}, SupportedIPAddressTypes: []string{"ipv5"}}, "InvalidParameterValue"},
		{"bad private name", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{otherNLB}, PrivateDNSName: "Not A Name"}, "InvalidParameterValue"},
		{"private name without dot", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{otherNLB}, PrivateDNSName: "localhost"}, "InvalidParameterValue"},
		{"private name with trailing dot", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{otherNLB}, PrivateDNSName: "api.example.com."}, "InvalidParameterValue"},
		{"private name label too long", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{otherNLB}, PrivateDNSName: strings.Repeat("a", 64) + ".example.com"}, "InvalidParameterValue"},
		{"reserved private name", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{otherNLB}, PrivateDNSName: "x.amazonaws.com"}, "InvalidParameter"},
		{"bad tag resource type", control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{otherNLB}, TagSpecifications: []control.TagSpecification{{ResourceType: "vpc", Tags: []control.Tag{{Key: "k", Value: "v"}}}}}, "InvalidParameterValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error {
				_, err := e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &tc.in)
				return err
			})
		})
	}
	t.Run("duplicate private name", func(t *testing.T) {
		cpMust(e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{otherNLB}, PrivateDNSName: "dup.example.com"}))(t)
		third := e.providerNLB("svc-nlb-3")
		e.cpRefused(t, "InvalidParameter", func() error {
			_, err := e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{third}, PrivateDNSName: "dup.example.com"})
			return err
		})
	})
	t.Run("acceptance defaults to true", func(t *testing.T) {
		nlb := e.providerNLB("svc-nlb-4")
		out := cpMust(e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{nlb}}))(t)
		if !out.ServiceConfiguration.AcceptanceRequired {
			t.Fatalf("AcceptanceRequired = false by default")
		}
	})
}

func TestCPServiceIPv6(t *testing.T) {
	e := cpNewEnv(t)
	v := cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "127.80.0.0/16", AmazonProvidedIpv6CidrBlock: true}))(t).Vpc
	s := cpIPv6Subnets(t, e, e.provider, v, "127.80", "a", "b")
	dual := e.nlb(e.provider, "dual", "dualstack", s["a"], s["b"])
	v4 := e.nlb(e.provider, "only4", "ipv4", e.defaultSubnets(e.provider)["a"].SubnetID)
	t.Run("dualstack supports ipv6", func(t *testing.T) {
		out := cpMust(e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{dual}, SupportedIPAddressTypes: []string{"ipv4", "ipv6"}}))(t)
		if got := strings.Join(out.ServiceConfiguration.SupportedIPAddressTypes, ","); got != "ipv4,ipv6" {
			t.Fatalf("SupportedIpAddressTypes = %s", got)
		}
		// Adding an ipv4-only NLB to an ipv6 service is refused.
		e.cpRefused(t, "InvalidParameter", func() error {
			_, err := e.provider.ModifyVpcEndpointServiceConfiguration(e.ctx, &control.ModifyVpcEndpointServiceConfigurationInput{ServiceID: out.ServiceConfiguration.ServiceID, AddNetworkLoadBalancerArns: []string{v4}})
			return err
		})
		// Removing every type is refused.
		e.cpRefused(t, "InvalidParameter", func() error {
			_, err := e.provider.ModifyVpcEndpointServiceConfiguration(e.ctx, &control.ModifyVpcEndpointServiceConfigurationInput{ServiceID: out.ServiceConfiguration.ServiceID, RemoveSupportedIPAddressTypes: []string{"ipv4", "ipv6"}})
			return err
		})
	})
	t.Run("ipv4 NLB refused for ipv6", func(t *testing.T) {
		e.cpRefused(t, "InvalidParameter", func() error {
			_, err := e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{v4}, SupportedIPAddressTypes: []string{"ipv6"}})
			return err
		})
	})
}

// cpIPv6Subnets creates dualstack subnets (zone letter -> ID) in v, whose
// IPv4 block is prefix.0.0/16.
func cpIPv6Subnets(t *testing.T, e *cpEnv, a *control.API, v *control.Vpc, prefix string, zones ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i, z := range zones {
		six := cpSub64(t, v, byte(i+1))
		s := cpMust(a.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: v.VpcID, CidrBlock: prefix + "." + []string{"0", "16", "32", "48"}[i] + ".0/20",
			Ipv6CidrBlock: six, AvailabilityZone: "us-east-1" + z}))(t).Subnet
		out[z] = s.SubnetID
	}
	return out
}

func TestCPPrivateDNSVerification(t *testing.T) {
	e := cpNewEnv(t)
	for _, tc := range []struct {
		name   string
		domain string
		record func(cfg control.PrivateDNSNameConfiguration) (string, []string)
		want   string
	}{
		{"no record", "none.example.com", nil, "failed"},
		{"record at _name", "good.example.com", func(c control.PrivateDNSNameConfiguration) (string, []string) {
			return c.Name + ".good.example.com", []string{c.Value}
		}, "verified"},
		{"record at the domain", "apex.example.com", func(c control.PrivateDNSNameConfiguration) (string, []string) {
			return "apex.example.com", []string{"other", c.Value}
		}, "verified"},
		{"wildcard name", "*.wild.example.com", func(c control.PrivateDNSNameConfiguration) (string, []string) {
			return c.Name + ".wild.example.com", []string{c.Value}
		}, "verified"},
		{"wrong value", "wrong.example.com", func(c control.PrivateDNSNameConfiguration) (string, []string) {
			return c.Name + ".wrong.example.com", []string{"vpce:nope"}
		}, "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := e.service(false, tc.domain, e.providerNLB("pdns-"+strings.ReplaceAll(strings.ReplaceAll(tc.name, " ", "-"), "_", "")))
			c := svc.PrivateDNSNameConfiguration
			if svc.PrivateDNSName != tc.domain || c.State != "pendingVerification" || c.Type != "TXT" || !strings.HasPrefix(c.Name, "_") || !strings.HasPrefix(c.Value, "vpce:") {
				t.Fatalf("new service: %s", cpJSON(t, svc))
			}
			if tc.record != nil {
				n, v := tc.record(c)
				e.txt.set(n, v...)
			}
			cpMust(e.provider.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: svc.ServiceID}))(t)
			got := cpMust(e.provider.DescribeVpcEndpointServiceConfigurations(e.ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{svc.ServiceID}}))(t)
			if s := got.ServiceConfigurations[0].PrivateDNSNameConfiguration.State; s != tc.want {
				t.Fatalf("state %s, want %s", s, tc.want)
			}
			if tc.want == "verified" {
				e.cpRefused(t, "InvalidParameter", func() error {
					_, err := e.provider.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: svc.ServiceID})
					return err
				})
			}
		})
	}
	t.Run("no private name", func(t *testing.T) {
		svc := e.service(false, "", e.providerNLB("pdns-none"))
		e.cpRefused(t, "InvalidParameter", func() error {
			_, err := e.provider.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: svc.ServiceID})
			return err
		})
		// Another account cannot verify it.
		e.cpRefused(t, "InvalidVpcEndpointServiceId.NotFound", func() error {
			_, err := e.consumer.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: svc.ServiceID})
			return err
		})
	})
	t.Run("failed then verified", func(t *testing.T) {
		svc := e.service(false, "retry.example.com", e.providerNLB("pdns-retry"))
		cpMust(e.provider.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: svc.ServiceID}))(t)
		c := svc.PrivateDNSNameConfiguration
		e.txt.set(c.Name+".retry.example.com", c.Value)
		cpMust(e.provider.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: svc.ServiceID}))(t)
		got := cpMust(e.provider.DescribeVpcEndpointServiceConfigurations(e.ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{svc.ServiceID}}))(t)
		if s := got.ServiceConfigurations[0].PrivateDNSNameConfiguration.State; s != "verified" {
			t.Fatalf("state %s after publishing the record", s)
		}
		// Removing the name makes the configuration {} again.
		cpMust(e.provider.ModifyVpcEndpointServiceConfiguration(e.ctx, &control.ModifyVpcEndpointServiceConfigurationInput{ServiceID: svc.ServiceID, RemovePrivateDNSName: true}))(t)
		got = cpMust(e.provider.DescribeVpcEndpointServiceConfigurations(e.ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{svc.ServiceID}}))(t)
		if js := cpJSON(t, got.ServiceConfigurations[0]); !strings.Contains(js, `"PrivateDnsNameConfiguration":{}`) {
			t.Fatalf("after removing the name: %s", js)
		}
	})
}

func TestCPPermissions(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.service(true, "", e.providerNLB("perm-nlb"))
	add := func(t *testing.T, ps ...string) *control.ModifyVpcEndpointServicePermissionsOutput {
		t.Helper()
		return cpMust(e.provider.ModifyVpcEndpointServicePermissions(e.ctx, &control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, AddAllowedPrincipals: ps}))(t)
	}
	out := add(t, "arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:role/deployer", "*")
	if len(out.AddedPrincipals) != 3 || !out.ReturnValue {
		t.Fatalf("add = %s", cpJSON(t, out))
	}
	got := cpMust(e.provider.DescribeVpcEndpointServicePermissions(e.ctx, &control.DescribeVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID}))(t)
	types := map[string]string{}
	for _, p := range got.AllowedPrincipals {
		types[p.Principal] = p.PrincipalType
		if p.ServiceID != svc.ServiceID || !strings.HasPrefix(p.ServicePermissionID, "vpce-svc-perm-") {
			t.Errorf("permission %s", cpJSON(t, p))
		}
	}
	want := map[string]string{"arn:aws:iam::222222222222:root": "Account", "arn:aws:iam::333333333333:role/deployer": "Role", "*": "All"}
	for p, ty := range want {
		if types[p] != ty {
			t.Errorf("principal %s type %q, want %q (all %v)", p, types[p], ty, types)
		}
	}
	filtered := cpMust(e.provider.DescribeVpcEndpointServicePermissions(e.ctx, &control.DescribeVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, Filters: []control.Filter{{Name: "principal-type", Values: []string{"Role"}}}}))(t)
	if len(filtered.AllowedPrincipals) != 1 {
		t.Errorf("filter principal-type=Role: %s", cpJSON(t, filtered))
	}
	cpMust(e.provider.ModifyVpcEndpointServicePermissions(e.ctx, &control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, RemoveAllowedPrincipals: []string{"*"}}))(t)
	got = cpMust(e.provider.DescribeVpcEndpointServicePermissions(e.ctx, &control.DescribeVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID}))(t)
	if len(got.AllowedPrincipals) != 2 {
		t.Fatalf("after remove: %s", cpJSON(t, got))
	}
	for _, tc := range []struct {
		name string
		api  *control.API
		in   control.ModifyVpcEndpointServicePermissionsInput
		code string
	}{
		{"nothing to do", e.provider, control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID}, "MissingParameter"},
		{"bad principal", e.provider, control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, AddAllowedPrincipals: []string{"222222222222"}}, "InvalidParameterValue"},
		{"bad principal arn", e.provider, control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, AddAllowedPrincipals: []string{"arn:aws:iam::12345:root"}}, "InvalidParameterValue"},
		{"bad principal kind", e.provider, control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, AddAllowedPrincipals: []string{"arn:aws:s3:::bucket"}}, "InvalidParameterValue"},
		{"remove absent", e.provider, control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, RemoveAllowedPrincipals: []string{"arn:aws:iam::444444444444:root"}}, "InvalidParameterValue"},
		{"malformed service", e.provider, control.ModifyVpcEndpointServicePermissionsInput{ServiceID: "vpce-svc-zz", AddAllowedPrincipals: []string{"*"}}, "InvalidVpcEndpointServiceId.Malformed"},
		{"unknown service", e.provider, control.ModifyVpcEndpointServicePermissionsInput{ServiceID: "vpce-svc-0123456789abcdef0", AddAllowedPrincipals: []string{"*"}}, "InvalidVpcEndpointServiceId.NotFound"},
		{"another account's service", e.consumer, control.ModifyVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, AddAllowedPrincipals: []string{"*"}}, "InvalidVpcEndpointServiceId.NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error {
				_, err := tc.api.ModifyVpcEndpointServicePermissions(e.ctx, &tc.in)
				return err
			})
		})
	}
	t.Run("consumer cannot list permissions", func(t *testing.T) {
		_, err := e.consumer.DescribeVpcEndpointServicePermissions(e.ctx, &control.DescribeVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID})
		cpCode(t, err, "InvalidVpcEndpointServiceId.NotFound")
	})
}

func TestCPDescribeServiceConfigurations(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.service(true, "", e.providerNLB("dsc-nlb"))
	for _, tc := range []struct {
		name string
		api  *control.API
		in   control.DescribeVpcEndpointServiceConfigurationsInput
		code string
		n    int
	}{
		{"all", e.provider, control.DescribeVpcEndpointServiceConfigurationsInput{}, "", 1},
		{"by id", e.provider, control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{svc.ServiceID}}, "", 1},
		{"filter state", e.provider, control.DescribeVpcEndpointServiceConfigurationsInput{Filters: []control.Filter{{Name: "service-state", Values: []string{"Avail*"}}}}, "", 1},
		{"filter no match", e.provider, control.DescribeVpcEndpointServiceConfigurationsInput{Filters: []control.Filter{{Name: "service-id", Values: []string{"vpce-svc-x"}}}}, "", 0},
		{"consumer sees none", e.consumer, control.DescribeVpcEndpointServiceConfigurationsInput{}, "", 0},
		{"consumer by id", e.consumer, control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{svc.ServiceID}}, "InvalidVpcEndpointServiceId.NotFound", 0},
		{"malformed", e.provider, control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{"svc-1"}}, "InvalidVpcEndpointServiceId.Malformed", 0},
		{"unknown filter", e.provider, control.DescribeVpcEndpointServiceConfigurationsInput{Filters: []control.Filter{{Name: "colour", Values: []string{"x"}}}}, "InvalidParameterValue", 0},
		{"tag filter", e.provider, control.DescribeVpcEndpointServiceConfigurationsInput{Filters: []control.Filter{{Name: "tag:env", Values: []string{"x"}}}}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.api.DescribeVpcEndpointServiceConfigurations(e.ctx, &tc.in)
			if tc.code != "" {
				cpCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out.ServiceConfigurations) != tc.n {
				t.Fatalf("got %d, want %d", len(out.ServiceConfigurations), tc.n)
			}
			if tc.n == 0 && cpJSON(t, out) != `{"ServiceConfigurations":[]}` {
				t.Fatalf("empty answer %s", cpJSON(t, out))
			}
		})
	}
}
