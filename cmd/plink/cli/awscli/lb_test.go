package awscli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/plink-dev/plink/cmd/plink/cli"
	"github.com/plink-dev/plink/internal/iostreams"
)

// lbRun runs plink with args against db and returns the exit code and
// standard output.
func lbRun(t *testing.T, db string, args ...string) (int, string) {
	t.Helper()
	code, out, _ := lbRunErr(t, db, args...)
	return code, out
}

// lbRunErr is lbRun that also returns standard error.
func lbRunErr(t *testing.T, db string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	code = cli.Run(append([]string{"--db", db, "--account", "111111111111"}, args...), io)
	if code != 0 {
		t.Logf("plink %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return code, strings.TrimSpace(out.String()), errOut.String()
}

// TestLBCommands drives the commands end to end, flags to store, and
// prints every table in wide form (a wrong column path fails Print).
func TestLBCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "plink.db")
	must := func(args ...string) string {
		t.Helper()
		code, out := lbRun(t, db, args...)
		if code != 0 {
			t.Fatalf("plink %s: exit %d", strings.Join(args, " "), code)
		}
		return out
	}
	subnets := strings.Fields(must("describe-subnets", "--query", "Subnets[].SubnetId", "-o", "text"))
	vpc := must("describe-vpcs", "--query", "Vpcs[0].VpcId", "-o", "text")
	lb := must("create-load-balancer", "--name", "web", "--subnets", subnets[0], subnets[1], "--tags", "Key=team,Value=a",
		"--query", "LoadBalancers[0].LoadBalancerArn", "-o", "text")
	tg := must("create-target-group", "--name", "web", "--protocol", "TCP", "--port", "8080", "--vpc-id", vpc,
		"--health-check-protocol", "HTTP", "--matcher", "HttpCode=200,204", "--health-check-interval-seconds", "10",
		"--query", "TargetGroups[0].TargetGroupArn", "-o", "text")
	if got := must("describe-target-groups", "--names", "web", "--query", "TargetGroups[0].[Matcher.HttpCode, HealthCheckIntervalSeconds]", "-o", "text"); got != "200,204\t10" {
		t.Errorf("matcher and interval: %q", got)
	}
	if got := must("register-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.1", "Id=127.16.0.77,Port=9090"); got != "" {
		t.Errorf("register-targets printed %q, want nothing (as the AWS CLI prints an empty answer)", got)
	}
	listener := must("create-listener", "--load-balancer-arn", lb, "--protocol", "TCP", "--port", "80",
		"--default-actions", "Type=forward,TargetGroupArn="+tg, "--query", "Listeners[0].ListenerArn", "-o", "text")
	if got := must("describe-target-health", "--target-group-arn", tg, "--query", "TargetHealthDescriptions[].Target.AvailabilityZone", "-o", "text"); got != "all\tus-east-1a" {
		t.Errorf("target zones %q", got)
	}
	must("modify-target-group-attributes", "--target-group-arn", tg, "--attributes", "Key=proxy_protocol_v2.enabled,Value=true")
	must("modify-load-balancer-attributes", "--load-balancer-arn", lb, "--attributes", "Key=load_balancing.cross_zone.enabled,Value=true")
	must("modify-listener-attributes", "--listener-arn", listener, "--attributes", "Key=tcp.idle_timeout.seconds,Value=120")
	must("modify-listener", "--listener-arn", listener, "--port", "81")
	must("modify-target-group", "--target-group-arn", tg, "--healthy-threshold-count", "3")
	// Every table prints (a wrong column path is a non-zero exit, which
	// lbRunErr reports) a header line and at least one row of the
	// resources made above, and nothing on stderr.
	for _, args := range [][]string{
		{"describe-load-balancers"},
		{"describe-target-groups", "--load-balancer-arn", lb},
		{"describe-target-health", "--target-group-arn", tg},
		{"describe-listeners", "--load-balancer-arn", lb},
		{"describe-load-balancer-attributes", "--load-balancer-arn", lb},
		{"describe-target-group-attributes", "--target-group-arn", tg},
		{"describe-listener-attributes", "--listener-arn", listener},
		{"describe-tags", "--resource-arns", lb, tg},
	} {
		for _, format := range []string{"table", "wide"} {
			code, out, errOut := lbRunErr(t, db, append(args, "-o", format)...)
			if code != 0 || errOut != "" {
				t.Errorf("%s -o %s: exit %d, stderr %q", args[0], format, code, errOut)
				continue
			}
			lines := strings.Split(out, "\n")
			if len(lines) < 2 || lines[0] == "" || lines[0] != strings.ToUpper(lines[0]) {
				t.Errorf("%s -o %s: want a header line and rows, got %q", args[0], format, out)
			}
		}
	}

	// Refusals exit 254 with AWS's error on stderr and nothing on stdout.
	for _, tc := range []struct {
		args []string
		code string
	}{
		{[]string{"delete-target-group", "--target-group-arn", tg}, "ResourceInUse"},
		{[]string{"deregister-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.9"}, "InvalidTarget"},
		{[]string{"create-load-balancer", "--name", "bad_name", "--subnets", subnets[0]}, "ValidationError"},
		{[]string{"describe-load-balancers", "--load-balancer-arns", "nope"}, "ValidationError"},
	} {
		code, out, errOut := lbRunErr(t, db, tc.args...)
		if want := "An error occurred (" + tc.code + ")"; code != 254 || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 254, no output, %s", tc.args[0], code, out, errOut, want)
		}
	}
	if code, _ := lbRun(t, db, "register-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.1,Port=x,"); code != 252 {
		t.Errorf("bad --targets: exit %d, want 252", code)
	}

	must("deregister-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.1")
	must("delete-listener", "--listener-arn", listener)
	must("delete-target-group", "--target-group-arn", tg)
	must("delete-load-balancer", "--load-balancer-arn", lb)
	if got := must("describe-load-balancers", "--query", "length(LoadBalancers)", "-o", "text"); got != "0" {
		t.Errorf("load balancers left: %s", got)
	}
}
