package awsmodel

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestXformName(t *testing.T) {
	cases := []struct{ in, sep, want string }{
		{"DryRun", "-", "dry-run"},
		{"VpcEndpointIds", "-", "vpc-endpoint-ids"},
		{"DescribeVpcEndpoints", "-", "describe-vpc-endpoints"},
		{"CreateVpcEndpointServiceConfiguration", "-", "create-vpc-endpoint-service-configuration"},
		{"Ipv6CidrBlock", "-", "ipv6-cidr-block"},
		{"AmazonProvidedIpv6CidrBlock", "-", "amazon-provided-ipv6-cidr-block"},
		{"IPv6Address", "-", "i-pv6-address"},
		{"PrivateIPv4Address", "-", "private-i-pv4-address"},
		{"DNSName", "-", "dns-name"},
		{"LoadBalancerArns", "-", "load-balancer-arns"},
		{"GatewayARNs", "-", "gateway-arns"},
		{"ListWebACLs", "-", "list-web-acls"},
		{"SomeCNAMEs", "_", "some_cnames"},
		{"MaxResults", "_", "max_results"},
		{"GetCallerIdentity", "-", "get-caller-identity"},
		{"AcceptVpcEndpointConnections", "-", "accept-vpc-endpoint-connections"},
		{"ModifyVpcEndpointServicePayerResponsibility", "-", "modify-vpc-endpoint-service-payer-responsibility"},
		{"EnableDnsHostnames", "-", "enable-dns-hostnames"},
		{"CreateCachediSCSIVolume", "-", "create-cached-iscsi-volume"},
		{"ExecutePartiQLBatch", "_", "execute_partiql_batch"},
		{"already-dashed", "-", "already-dashed"},
		{"A", "-", "a"},
		{"", "-", ""},
	}
	for _, c := range cases {
		if got := XformName(c.in, c.sep); got != c.want {
			t.Errorf("XformName(%q, %q) = %q, want %q", c.in, c.sep, got, c.want)
		}
	}
}

// TestXformNameAsBotocore: every operation and member name of the models,
// and some awkward strings, give what botocore's own xform_name gives
// (when python3 can import botocore).
func TestXformNameAsBotocore(t *testing.T) {
	py := python(t, "botocore")
	names := []string{"ABCs", "aBCs", "Xs", "ABs\n", "ÄbcDef", "a1B2c3", "HTTPServer", "Ipv6", "IPv6", "ARN", "ARNs", "getARNsAndIDs", "X-Y", "x_y"}
	if ms, err := LoadAll(DataDir(), "ec2", "elbv2", "sts"); err == nil {
		for _, m := range ms {
			for name := range m.Operations {
				names = append(names, name)
			}
			for _, s := range m.Shapes {
				for member := range s.Members {
					names = append(names, member)
				}
			}
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	in, _ := json.Marshal(names)
	cmd := exec.Command(py, "-c", `
import json, sys
from botocore import xform_name
names = json.load(sys.stdin)
json.dump([[xform_name(n, "-"), xform_name(n, "_")] for n in names], sys.stdout)
`)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 xform_name: %v", err)
	}
	var want [][2]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		for j, sep := range []string{"-", "_"} {
			if got := XformName(n, sep); got != want[i][j] {
				t.Errorf("XformName(%q, %q) = %q, botocore %q", n, sep, got, want[i][j])
			}
		}
	}
	t.Logf("%d names as botocore transforms them", len(names))
}

// python returns a python3 that can import module, or skips.
func python(t *testing.T, module string) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(py); err == nil {
			if exec.Command(p, "-c", "import "+module).Run() == nil {
				return p
			}
		}
	}
	t.Skipf("no python3 that imports %s (apt-get install python3-botocore)", strings.Split(module, ".")[0])
	return ""
}
