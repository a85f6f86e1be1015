package awsmodel

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestCLIFlags(t *testing.T) {
	ms := loadOrSkip(t)
	cases := []struct {
		service, op string
		want        []string // must be among the flags
		not         []string
	}{
		{"ec2", "DescribeVpcEndpoints", []string{"vpc-endpoint-ids", "filters", "dry-run", "no-dry-run", "max-results", "next-token",
			"starting-token", "max-items", "page-size", "cli-input-json", "cli-input-yaml", "generate-cli-skeleton"}, []string{"vpc-endpoint-id"}},
		{"ec2", "CreateVpcEndpoint", []string{"vpc-id", "service-name", "subnet-ids", "security-group-ids", "private-dns-enabled",
			"no-private-dns-enabled", "dns-options", "ip-address-type", "tag-specifications", "policy-document", "client-token"}, []string{"starting-token"}},
		{"ec2", "ModifyVpcAttribute", []string{"enable-dns-support", "no-enable-dns-support", "enable-dns-hostnames", "no-enable-dns-hostnames", "vpc-id"}, nil},
		{"ec2", "AuthorizeSecurityGroupIngress", []string{"group-id", "ip-permissions", "protocol", "port", "cidr", "source-group", "group-owner"}, nil},
		{"ec2", "CreateVpc", []string{"cidr-block", "amazon-provided-ipv6-cidr-block", "no-amazon-provided-ipv6-cidr-block"}, nil},
		{"elbv2", "DescribeLoadBalancers", []string{"load-balancer-arns", "names", "marker", "page-size", "starting-token", "max-items"}, []string{"dry-run"}},
		{"elbv2", "CreateLoadBalancer", []string{"name", "subnets", "subnet-mappings", "scheme", "type", "ip-address-type", "tags"}, nil},
		{"sts", "GetCallerIdentity", []string{"cli-input-json", "generate-cli-skeleton"}, []string{"dry-run"}},
	}
	for _, c := range cases {
		flags, err := CLIFlags(ms[c.service], c.op)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range c.want {
			if !slices.Contains(flags, f) {
				t.Errorf("%s %s: no --%s in %v", c.service, c.op, f, flags)
			}
		}
		for _, f := range c.not {
			if slices.Contains(flags, f) {
				t.Errorf("%s %s: --%s in %v", c.service, c.op, f, flags)
			}
		}
	}
	if _, err := CLIFlags(ms["ec2"], "DescribeNothing"); err == nil {
		t.Error("an unknown operation has flags")
	}
}

// TestCLIFlagsAsAWSCLI: for every operation of ec2, elbv2 and sts, the
// commands and flags CLIFlags derives are the installed AWS CLI's own
// (when python3 imports awscli and its botocore reads the same models).
func TestCLIFlagsAsAWSCLI(t *testing.T) {
	py := python(t, "awscli.clidriver")
	ms := loadOrSkip(t)
	cmd := exec.Command(py, "-c", `
import json, os, sys
from awscli.clidriver import create_clidriver
d = create_clidriver()
loader = d.session.get_component("data_loader")
version = loader.determine_latest_version("ec2", "service-2")
_, path = loader.load_data_with_path("ec2/%s/service-2" % version)
res = {"data": os.path.dirname(os.path.dirname(os.path.dirname(path))), "services": {}}
for svc in ("ec2", "elbv2", "sts"):
    table = d._get_command_table()[svc]._get_command_table()
    res["services"][svc] = {name: sorted(c.arg_table) for name, c in table.items() if hasattr(c, "arg_table") and name != "wait"}
json.dump(res, sys.stdout)
`)
	// botocore reads AWS_DATA_PATH before its own models.
	cmd.Env = append(os.Environ(), "AWS_DATA_PATH="+DataDir())
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("awscli's command table: %v", err)
	}
	var got struct {
		Data     string
		Services map[string]map[string][]string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Data != DataDir() {
		t.Skipf("awscli reads models from %s, this test from %s", got.Data, DataDir())
	}
	n := 0
	for svc, cmds := range got.Services {
		m := ms[svc]
		byCmd := map[string]string{}
		for op := range m.Operations {
			byCmd[CommandName(op)] = op
		}
		for cmd, awsFlags := range cmds {
			op, ok := byCmd[cmd]
			if !ok {
				t.Errorf("aws %s %s: no operation gives that command name", svc, cmd)
				continue
			}
			flags, err := CLIFlags(m, op)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(flags, awsFlags) {
				t.Errorf("aws %s %s:\n  awscli  %s\n  derived %s", svc, cmd, strings.Join(awsFlags, " "), strings.Join(flags, " "))
			}
			n++
		}
		// The AWS CLI removes two ec2 commands (customizations/removals.py).
		if len(cmds) < len(m.Operations)-2 {
			t.Errorf("%s: awscli has %d commands, the model %d operations", svc, len(cmds), len(m.Operations))
		}
	}
	t.Logf("%d commands' flags as the AWS CLI's", n)
}
