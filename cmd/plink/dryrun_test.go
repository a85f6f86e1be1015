package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/awsapi"
)

// dryRunArgs are minimal valid arguments of every EC2 action that has
// DryRun, by AWS CLI name, as the consumer (C) or the provider (P) runs
// them; $NAME is replaced from the environment TestDryRunEveryEC2Action
// builds. An EC2 action without an entry fails the test: a new action adds
// one.
var dryRunArgs = map[string]struct {
	as   string // "P" or "C"
	args string
}{
	"accept-vpc-endpoint-connections":                     {"P", "--service-id $SVC --vpc-endpoint-ids $EP"},
	"authorize-security-group-ingress":                    {"C", "--group-id $SG --protocol tcp --port 80 --cidr 127.0.0.0/8"},
	"create-security-group":                               {"C", "--group-name dry --description dry --vpc-id $CVPC"},
	"create-subnet":                                       {"C", "--vpc-id $CVPC --cidr-block 127.17.200.0/24"},
	"create-vpc":                                          {"C", "--cidr-block 127.77.0.0/16"},
	"create-vpc-endpoint":                                 {"C", "--vpc-id $CVPC --service-name $SVCNAME --subnet-ids $CSUB"},
	"create-vpc-endpoint-connection-notification":         {"P", "--service-id $SVC --connection-notification-arn file://$WORK/events2.jsonl --connection-events Connect"},
	"create-vpc-endpoint-service-configuration":           {"P", "--network-load-balancer-arns $NLB2"},
	"delete-security-group":                               {"C", "--group-id $SG"},
	"delete-subnet":                                       {"C", "--subnet-id $CSUB2"},
	"delete-vpc":                                          {"C", "--vpc-id $CVPC2"},
	"delete-vpc-endpoint-connection-notifications":        {"P", "--connection-notification-ids $NOTE"},
	"delete-vpc-endpoint-service-configurations":          {"P", "--service-ids $SVC2"},
	"delete-vpc-endpoints":                                {"C", "--vpc-endpoint-ids $EP"},
	"describe-network-interfaces":                         {"C", ""},
	"describe-security-groups":                            {"C", ""},
	"describe-subnets":                                    {"C", ""},
	"describe-vpc-endpoint-connection-notifications":      {"P", ""},
	"describe-vpc-endpoint-connections":                   {"P", ""},
	"describe-vpc-endpoint-service-configurations":        {"P", ""},
	"describe-vpc-endpoint-service-permissions":           {"P", "--service-id $SVC"},
	"describe-vpc-endpoint-services":                      {"C", ""},
	"describe-vpc-endpoints":                              {"C", ""},
	"describe-vpcs":                                       {"C", ""},
	"modify-vpc-endpoint":                                 {"C", "--vpc-endpoint-id $EP --add-security-group-ids $SG"},
	"modify-vpc-endpoint-connection-notification":         {"P", "--connection-notification-id $NOTE --connection-events Accept"},
	"modify-vpc-endpoint-service-configuration":           {"P", "--service-id $SVC --no-acceptance-required"},
	"modify-vpc-endpoint-service-permissions":             {"P", "--service-id $SVC --add-allowed-principals arn:aws:iam::333333333333:root"},
	"reject-vpc-endpoint-connections":                     {"P", "--service-id $SVC --vpc-endpoint-ids $EP"},
	"revoke-security-group-ingress":                       {"C", "--group-id $SG --protocol tcp --port 443 --cidr 127.0.0.0/8"},
	"start-vpc-endpoint-service-private-dns-verification": {"P", "--service-id $SVC"},
	"create-tags":                                         {"C", "--resources $EP --tags Key=team,Value=a"},
	"delete-tags":                                         {"C", "--resources $EP --tags Key=env"},
	"describe-availability-zones":                         {"C", ""},
	"describe-tags":                                       {"C", ""},
	"describe-vpc-attribute":                              {"C", "--vpc-id $CVPC --attribute enableDnsSupport"},
	"modify-vpc-endpoint-service-payer-responsibility":    {"P", "--service-id $SVC --payer-responsibility ServiceOwner"},
}

// TestDryRunEveryEC2Action runs every EC2 action that has DryRun through
// the binary with --dry-run and arguments under which it would succeed: it
// exits 254 with DryRunOperation and the store (every row, and its
// revision) is as before.
func TestDryRunEveryEC2Action(t *testing.T) {
	e := newPagingEnv(t)
	vars := map[string]string{"WORK": filepath.Dir(e.db), "CVPC": e.cvpc, "CSUB": e.csubnet}
	P, C := e.provider, e.cons
	pvpc := e.text(t, P, "ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", "--query", "Vpcs[0].VpcId")
	psubs := strings.Fields(e.text(t, P, "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+pvpc, "--query", "Subnets[].SubnetId"))
	// The service (acceptance required, a private DNS name), a spare NLB
	// and a spare service, a pending endpoint, a notification, a security
	// group with a rule, a spare VPC with a subnet, an endpoint tag.
	vars["SVCNAME"] = e.svcName
	vars["SVC"] = e.text(t, P, "ec2", "describe-vpc-endpoint-service-configurations", "--filters", "Name=service-name,Values="+e.svcName, "--query", "ServiceConfigurations[0].ServiceId")
	e.text(t, P, "ec2", "modify-vpc-endpoint-service-configuration", "--service-id", vars["SVC"], "--acceptance-required", "--private-dns-name", "dry.example.com")
	vars["NLB2"] = e.text(t, P, append([]string{"elbv2", "create-load-balancer", "--name", "dry2", "--type", "network", "--scheme", "internal", "--query", "LoadBalancers[0].LoadBalancerArn", "--subnets"}, psubs...)...)
	nlb3 := e.text(t, P, append([]string{"elbv2", "create-load-balancer", "--name", "dry3", "--type", "network", "--scheme", "internal", "--query", "LoadBalancers[0].LoadBalancerArn", "--subnets"}, psubs...)...)
	vars["SVC2"] = e.text(t, P, "ec2", "create-vpc-endpoint-service-configuration", "--network-load-balancer-arns", nlb3, "--query", "ServiceConfiguration.ServiceId")
	vars["EP"] = e.text(t, C, "ec2", "create-vpc-endpoint", "--vpc-id", e.cvpc, "--service-name", e.svcName, "--subnet-ids", e.csubnet, "--no-private-dns-enabled", "--query", "VpcEndpoint.VpcEndpointId")
	e.text(t, C, "ec2", "create-tags", "--resources", vars["EP"], "--tags", "Key=env,Value=dev")
	vars["NOTE"] = e.text(t, P, "ec2", "create-vpc-endpoint-connection-notification", "--service-id", vars["SVC"], "--connection-notification-arn", "file://"+vars["WORK"]+"/events.jsonl", "--connection-events", "Connect", "--query", "ConnectionNotification.ConnectionNotificationId")
	vars["SG"] = e.text(t, C, "ec2", "create-security-group", "--group-name", "web", "--description", "web", "--vpc-id", e.cvpc, "--query", "GroupId")
	e.text(t, C, "ec2", "authorize-security-group-ingress", "--group-id", vars["SG"], "--protocol", "tcp", "--port", "443", "--cidr", "127.0.0.0/8", "--query", "Return")
	vars["CVPC2"] = e.text(t, C, "ec2", "create-vpc", "--cidr-block", "127.78.0.0/16", "--query", "Vpc.VpcId")
	vars["CSUB2"] = e.text(t, C, "ec2", "create-subnet", "--vpc-id", e.cvpc, "--cidr-block", "127.17.201.0/24", "--query", "Subnet.SubnetId")

	var names []string
	for _, a := range awsapi.Actions() {
		if a.Service == awsapi.EC2 && a.Input.Member("DryRun") != nil {
			names = append(names, a.CLIName)
		}
	}
	sort.Strings(names)
	if len(names) < 30 {
		t.Fatalf("only %d EC2 actions with DryRun", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			d, ok := dryRunArgs[name]
			if !ok {
				t.Fatalf("no entry in dryRunArgs for %s: add its minimal valid arguments", name)
			}
			as := C
			if d.as == "P" {
				as = P
			}
			args := append(append([]string{}, as...), "ec2", name, "--dry-run")
			for _, f := range strings.Fields(d.args) {
				args = append(args, os.Expand(f, func(k string) string {
					v, ok := vars[k]
					if !ok {
						t.Fatalf("no $%s", k)
					}
					return v
				}))
			}
			before := dbState(t, e.db)
			_, errOut, code := e.r.run(t, args...)
			if code != 254 || !strings.Contains(errOut, "An error occurred (DryRunOperation)") {
				t.Errorf("plink %s: exit %d, want 254 with DryRunOperation: %s", strings.Join(args, " "), code, errOut)
			}
			if after := dbState(t, e.db); after != before {
				t.Errorf("plink %s changed the store: %s, was %s", strings.Join(args, " "), after, before)
			}
		})
	}
}
