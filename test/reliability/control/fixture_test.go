package control

import (
	"path/filepath"
	"sort"
	"strings"
)

// fixture is a provider's published service and a consumer's endpoint to
// it, with one of everything a mutating command can name: VPC, subnets,
// security groups, target group with a target, load balancer, listener,
// service, permission, notifications, an extra consumer subnet.
type fixture struct {
	e *env

	PVPC, PSA, PSB string // provider VPC, subnets in zones a and b
	PSG            string // a provider security group
	TG, TG2        string // target groups (TG is the listener's)
	NLB, Listener  string
	NLB2           string // a load balancer of no service
	SVC2           string // a service with a private DNS name and no endpoints
	SVC, SVCName   string
	PNotif         string // the provider's notification on SVC

	CVPC, CSA, CSB string // consumer VPC, subnets in zones a and b
	CSG            string // a consumer security group (on EP)
	CSG2           string // a consumer security group nothing uses (csg2)
	CVPC2          string // an empty consumer VPC
	CSubnet        string // a consumer subnet no endpoint uses
	EP             string // the consumer's endpoint (pendingAcceptance)
	CNotif         string // the consumer's notification on EP
}

// newFixture builds the fixture. Acceptance is required, so EP waits in
// pendingAcceptance. The intruder account is used once so its default VPC
// exists before any store mark.
func newFixture(e *env) *fixture {
	e.t.Helper()
	f := &fixture{e: e}
	f.PVPC = e.text(provider, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	ps := subnetsByZone(e, provider, f.PVPC)
	f.PSA, f.PSB = ps["us-east-1a"], ps["us-east-1b"]
	f.PSG = e.text(provider, "GroupId", "create-security-group", "--group-name", "psg", "--description", "provider group", "--vpc-id", f.PVPC)
	f.TG = e.text(provider, "TargetGroups[0].TargetGroupArn", "create-target-group", "--name", "tg", "--protocol", "TCP",
		"--port", "8080", "--vpc-id", f.PVPC, "--target-type", "ip")
	f.TG2 = e.text(provider, "TargetGroups[0].TargetGroupArn", "create-target-group", "--name", "tg2", "--protocol", "TCP",
		"--port", "8081", "--vpc-id", f.PVPC, "--target-type", "ip")
	e.plink(provider, "register-targets", "--target-group-arn", f.TG, "--targets", "Id=127.0.0.1,Port=9")
	f.NLB = e.text(provider, "LoadBalancers[0].LoadBalancerArn", "create-load-balancer", "--name", "nlb", "--type", "network",
		"--scheme", "internal", "--subnets", f.PSA, f.PSB)
	f.Listener = e.text(provider, "Listeners[0].ListenerArn", "create-listener", "--load-balancer-arn", f.NLB, "--protocol", "TCP",
		"--port", "80", "--default-actions", "Type=forward,TargetGroupArn="+f.TG)
	e.plink(provider, "add-tags", "--resource-arns", f.NLB, "--tags", "Key=team,Value=edge")
	f.NLB2 = e.text(provider, "LoadBalancers[0].LoadBalancerArn", "create-load-balancer", "--name", "nlb2", "--type", "network",
		"--scheme", "internal", "--subnets", f.PSA)
	nlb3 := e.text(provider, "LoadBalancers[0].LoadBalancerArn", "create-load-balancer", "--name", "nlb3", "--type", "network",
		"--scheme", "internal", "--subnets", f.PSA)
	f.SVC2 = e.text(provider, "ServiceConfiguration.ServiceId", "create-endpoint-service", "--network-load-balancer-arns", nlb3,
		"--private-dns-name", "svc2.example.com")
	f.SVC = e.text(provider, "ServiceConfiguration.ServiceId", "create-endpoint-service", "--network-load-balancer-arns", f.NLB,
		"--acceptance-required")
	f.SVCName = e.text(provider, "ServiceConfigurations[0].ServiceName", "describe-endpoint-service-configurations",
		"--service-ids", f.SVC)
	e.plink(provider, "create-tags", "--resources", f.SVC, "--tags", "Key=team,Value=edge")
	e.plink(provider, "modify-endpoint-service-permissions", "--service-id", f.SVC,
		"--add-allowed-principals", "arn:aws:iam::"+consumer+":root")
	f.PNotif = e.text(provider, "ConnectionNotification.ConnectionNotificationId", "create-endpoint-connection-notification",
		"--service-id", f.SVC, "--connection-notification-arn", "file://"+filepath.Join(e.dir, "provider-events.jsonl"),
		"--connection-events", "Connect", "Accept", "Reject", "Delete")

	f.CVPC = e.text(consumer, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	cs := subnetsByZone(e, consumer, f.CVPC)
	f.CSA, f.CSB = cs["us-east-1a"], cs["us-east-1b"]
	e.plink(consumer, "create-tags", "--resources", f.CVPC, "--tags", "Key=team,Value=app")
	f.CSubnet = e.text(consumer, "Subnet.SubnetId", "create-subnet", "--vpc-id", f.CVPC, "--cidr-block",
		strings.TrimSuffix(cidrBase(e, consumer, f.CVPC), "0.0/16")+"64.0/20", "--availability-zone", "us-east-1c")
	f.CSG = e.text(consumer, "GroupId", "create-security-group", "--group-name", "csg", "--description", "consumer group", "--vpc-id", f.CVPC)
	f.CSG2 = e.text(consumer, "GroupId", "create-security-group", "--group-name", "csg2", "--description", "unused", "--vpc-id", f.CVPC)
	f.CVPC2 = e.text(consumer, "Vpc.VpcId", "create-vpc", "--cidr-block", "127.90.0.0/16")
	e.plink(consumer, "authorize-security-group-ingress", "--group-id", f.CSG, "--protocol", "tcp", "--port", "80", "--cidr", "127.0.0.1/32")
	f.EP = e.text(consumer, "VpcEndpoint.VpcEndpointId", "create-endpoint", "--vpc-id", f.CVPC, "--service-name", f.SVCName,
		"--subnet-ids", f.CSA, f.CSB, "--security-group-ids", f.CSG)
	f.CNotif = e.text(consumer, "ConnectionNotification.ConnectionNotificationId", "create-endpoint-connection-notification",
		"--vpc-endpoint-id", f.EP, "--connection-notification-arn", "file://"+filepath.Join(e.dir, "consumer-events.jsonl"),
		"--connection-events", "Accept", "Reject")

	e.plink(intruder, "describe-vpcs")
	return f
}

// expand replaces $NAME placeholders with the fixture's IDs.
func (f *fixture) expand(args []string) []string {
	r := strings.NewReplacer(
		"$PVPC", f.PVPC, "$PSA", f.PSA, "$PSB", f.PSB, "$PSG", f.PSG,
		"$TG2", f.TG2, "$TG", f.TG, "$NLB2", f.NLB2, "$NLB", f.NLB, "$LISTENER", f.Listener,
		"$SVCNAME", f.SVCName, "$SVC2", f.SVC2, "$SVC", f.SVC, "$PNOTIF", f.PNotif,
		"$CVPC2", f.CVPC2, "$CVPC", f.CVPC, "$CSA", f.CSA, "$CSB", f.CSB, "$CSG2", f.CSG2, "$CSG", f.CSG, "$CSUBNET", f.CSubnet,
		"$EP", f.EP, "$CNOTIF", f.CNotif,
	)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = r.Replace(a)
	}
	return out
}

// subnetsByZone maps zone name to subnet ID for a VPC's subnets.
func subnetsByZone(e *env, account, vpc string) map[string]string {
	e.t.Helper()
	var out struct {
		Subnets []struct {
			SubnetID         string `json:"SubnetId"`
			VpcID            string `json:"VpcId"`
			AvailabilityZone string
		}
	}
	e.json(account, &out, "describe-subnets")
	m := map[string]string{}
	var zones []string
	for _, s := range out.Subnets {
		if s.VpcID == vpc {
			if _, ok := m[s.AvailabilityZone]; !ok {
				m[s.AvailabilityZone] = s.SubnetID
				zones = append(zones, s.AvailabilityZone)
			}
		}
	}
	sort.Strings(zones)
	if len(zones) < 2 {
		e.t.Fatalf("VPC %s has subnets in %v, want at least two zones", vpc, zones)
	}
	return m
}

// cidrBase is a VPC's IPv4 block, e.g. 127.17.0.0/16.
func cidrBase(e *env, account, vpc string) string {
	e.t.Helper()
	return e.text(account, "Vpcs[0].CidrBlock", "describe-vpcs", "--vpc-ids", vpc)
}
