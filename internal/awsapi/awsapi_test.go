package awsapi

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

func TestXformName(t *testing.T) {
	for in, want := range map[string]string{
		"DescribeVpcEndpoints":        "describe-vpc-endpoints",
		"Ipv6CidrBlock":               "ipv6-cidr-block",
		"AmazonProvidedIpv6CidrBlock": "amazon-provided-ipv6-cidr-block",
		"ResourceArns":                "resource-arns",
		"ResourceARNs":                "resource-arns",
		"DNSName":                     "dns-name",
		"DryRun":                      "dry-run",
		"StartVpcEndpointServicePrivateDnsVerification": "start-vpc-endpoint-service-private-dns-verification",
		"GetCallerIdentity":                             "get-caller-identity",
		"already-kebab":                                 "already-kebab",
	} {
		if got := XformName(in); got != want {
			t.Errorf("XformName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	short := map[string]bool{}
	for _, a := range Actions() {
		key := string(a.Service) + " " + a.CLIName
		if seen[key] {
			t.Errorf("%s registered twice", key)
		}
		seen[key] = true
		if a.Short != "" {
			if short[a.Short] {
				t.Errorf("short name %s used twice", a.Short)
			}
			short[a.Short] = true
		}
		if a.Service.APIVersion() == "" {
			t.Errorf("%s: service %q has no API version", a.Name, a.Service)
		}
		if reflect.TypeOf(a.NewInput()).Elem() != a.Input.Type {
			t.Errorf("%s: NewInput is a %T", a.Name, a.NewInput())
		}
		if a.Table != nil && a.Table.List == "" {
			t.Errorf("%s: table without a list path", a.Name)
		}
	}
	if len(Actions()) < 50 {
		t.Fatalf("%d actions", len(Actions()))
	}
}

func TestMembers(t *testing.T) {
	a := Lookup(EC2, "CreateVpcEndpoint")
	if a == nil || a.CLIName != "create-vpc-endpoint" || a.Short != "create-endpoint" {
		t.Fatalf("CreateVpcEndpoint: %+v", a)
	}
	for name, want := range map[string]struct {
		kind     Kind
		required bool
		flag     string
	}{
		"VpcId":             {String, true, "vpc-id"},
		"ServiceName":       {String, true, "service-name"},
		"SubnetIds":         {List, false, "subnet-ids"},
		"DnsOptions":        {Structure, false, "dns-options"},
		"PrivateDnsEnabled": {Boolean, false, "private-dns-enabled"},
		"DryRun":            {Boolean, false, "dry-run"},
		"TagSpecifications": {List, false, "tag-specifications"},
	} {
		m := a.Input.Member(name)
		if m == nil {
			t.Errorf("no member %s", name)
			continue
		}
		if m.Shape.Kind != want.kind || m.Required != want.required || m.Flag != want.flag {
			t.Errorf("%s: kind %s required %v flag %s, want %+v", name, m.Shape.Kind, m.Required, m.Flag, want)
		}
	}
	if e := a.Input.Member("SubnetIds").Shape.Elem; e.Kind != String {
		t.Errorf("SubnetIds element %s", e.Kind)
	}
	if m := a.Input.Member("DnsOptions").Shape.Member("DnsRecordIpType"); m == nil || m.Shape.Kind != String {
		t.Errorf("DnsOptions.DnsRecordIpType: %+v", m)
	}
	// Members of embedded structs are members in their place.
	d := Lookup(EC2, "AcceptVpcEndpointConnections")
	if d.Input.Member("ServiceId") == nil || d.Input.Member("VpcEndpointIds") == nil || d.Output.Member("Unsuccessful") == nil {
		t.Fatalf("AcceptVpcEndpointConnections members: %+v / %+v", d.Input.Members, d.Output.Members)
	}
	in := d.NewInput().(*control.AcceptVpcEndpointConnectionsInput)
	if got := d.Missing(in); !reflect.DeepEqual(got, []string{"ServiceId", "VpcEndpointIds"}) {
		t.Errorf("Missing = %v", got)
	}
	d.Input.Member("ServiceId").Field(reflect.ValueOf(in).Elem()).SetString("vpce-svc-1")
	if in.ServiceID != "vpce-svc-1" {
		t.Errorf("Field did not set ServiceId")
	}
}

func TestPaging(t *testing.T) {
	for _, tc := range []struct {
		svc  Service
		name string
		want *Paging
	}{
		{EC2, "DescribeVpcEndpoints", &Paging{"NextToken", "MaxResults", "NextToken", []string{"VpcEndpoints"}}},
		{EC2, "DescribeVpcEndpointServices", &Paging{"NextToken", "MaxResults", "NextToken", []string{"ServiceNames", "ServiceDetails"}}},
		{ELBv2, "DescribeLoadBalancers", &Paging{"Marker", "PageSize", "NextMarker", []string{"LoadBalancers"}}},
		{EC2, "CreateVpcEndpoint", nil},
		{ELBv2, "DescribeTags", nil},
	} {
		a := Lookup(tc.svc, tc.name)
		if !reflect.DeepEqual(a.Paging, tc.want) {
			t.Errorf("%s paging %+v, want %+v", tc.name, a.Paging, tc.want)
		}
	}
}

func TestCallChecksTheInputType(t *testing.T) {
	a := Lookup(STS, "GetCallerIdentity")
	if _, err := a.Call(context.Background(), nil, &control.DeleteVpcInput{}); err == nil {
		t.Fatal("a wrong input type was taken")
	}
}

// The names the EC2 query protocol and XML answers use (issue 10).
func TestWireNames(t *testing.T) {
	in := func(svc Service, action, member string) *Member { return Lookup(svc, action).Input.Member(member) }
	out := func(svc Service, action, member string) *Member { return Lookup(svc, action).Output.Member(member) }
	for _, tc := range []struct {
		got, want string
	}{
		{in(EC2, "DeleteVpcEndpoints", "VpcEndpointIds").QueryName(), "VpcEndpointId"},
		{in(EC2, "DescribeVpcEndpoints", "Filters").QueryName(), "Filter"},
		{in(EC2, "DescribeNetworkInterfaces", "Filters").QueryName(), "Filter"},
		{in(EC2, "DescribeVpcEndpoints", "Filters").Shape.Elem.Member("Values").QueryName(), "Value"},
		{in(EC2, "CreateSecurityGroup", "Description").QueryName(), "GroupDescription"},
		{in(EC2, "DescribeVpcEndpoints", "DryRun").QueryName(), "DryRun"},
		{in(ELBv2, "DescribeTags", "ResourceArns").QueryName(), "ResourceArns"},
		{out(EC2, "DescribeVpcEndpoints", "VpcEndpoints").XMLName(EC2), "vpcEndpointSet"},
		{out(EC2, "DescribeVpcEndpoints", "VpcEndpoints").Shape.Elem.Member("VpcEndpointId").XMLName(EC2), "vpcEndpointId"},
		{out(EC2, "DescribeVpcEndpoints", "VpcEndpoints").Shape.Elem.Member("Tags").XMLName(EC2), "tagSet"},
		{out(EC2, "ModifyVpcEndpointConnectionNotification", "ReturnValue").XMLName(EC2), "return"},
		{out(ELBv2, "DescribeLoadBalancers", "LoadBalancers").XMLName(ELBv2), "LoadBalancers"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// botocore's xform_name with its regular expressions, to check xformName.
var (
	firstCapRE    = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	endCapRE      = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	specialCaseRE = regexp.MustCompile(`[A-Z]{2,}s$`)
)

func xformNameRE(name string) string {
	if strings.Contains(name, "-") {
		return name
	}
	if m := specialCaseRE.FindString(name); m != "" {
		name = name[:len(name)-len(m)] + "-" + strings.ToLower(m)
	}
	s := firstCapRE.ReplaceAllString(name, "${1}-${2}")
	return strings.ToLower(endCapRE.ReplaceAllString(s, "${1}-${2}"))
}

func TestXformNameAsRegexps(t *testing.T) {
	names := []string{"ResourceARNs", "DNSName", "AmazonProvidedIpv6CidrBlock", "ABCs", "Xs", "aBCs", "HTTPCode", "IPv6Address",
		"PrivateIPv4Address", "X", "", "a1B", "TCP_UDP", "vpcEndpointSet", "ARN", "LoadBalancerARNs", "SSLPolicies", "Ipv6CidrBlockNetworkBorderGroup"}
	var walk func(s *Shape, depth int)
	walk = func(s *Shape, depth int) {
		if depth > 6 {
			return
		}
		for _, m := range s.Members {
			names = append(names, m.Name)
			walk(m.Shape, depth+1)
		}
		if s.Elem != nil {
			walk(s.Elem, depth+1)
		}
	}
	for _, a := range Actions() {
		names = append(names, a.Name)
		walk(a.Input, 0)
		walk(a.Output, 0)
	}
	for _, n := range names {
		if got, want := xformName(n), xformNameRE(n); got != want {
			t.Errorf("xformName(%q) = %q, botocore's %q", n, got, want)
		}
	}
}

// TestFiltersHaveNames: every action that takes Filters has its filter
// table, which --help lists (so the help never drifts from what works).
func TestFiltersHaveNames(t *testing.T) {
	for _, a := range Actions() {
		for _, m := range a.Input.Members {
			if m.Name == "Filters" && control.FilterNames(a.Name) == nil {
				t.Errorf("%s takes Filters but control.FilterNames has none for it", a.Name)
			}
		}
	}
}
