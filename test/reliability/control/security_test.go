package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// hostileCase is one mutating command aimed at the provider's or the
// consumer's resources.
type hostileCase struct {
	cmd  string
	args []string // $NAME placeholders are the fixture's IDs
	// batch commands answer {"Unsuccessful": [...]} and may exit 0 as AWS
	// does, as long as every item is refused.
	batch bool
	// idempotent deletes succeed for a resource the caller cannot see, as
	// AWS's DeleteLoadBalancer ("If the load balancer does not exist or
	// has already been deleted, the call succeeds") and DeleteTargetGroup
	// (no not-found error) do; the store must still be unchanged.
	idempotent bool
	// noControl says why the owner cannot run the command either (so the
	// refusal is not shown to be about ownership); empty for most.
	noControl string
	// owner runs the control (default: the provider when a provider
	// resource is named, else the consumer).
	owner string
}

// hostileCases covers every mutating command of `plink --help` at least
// once (TestSecurityCrossAccount checks that against the help).
func hostileCases() []hostileCase {
	return []hostileCase{
		{cmd: "accept-endpoint-connections", args: []string{"--service-id", "$SVC", "--vpc-endpoint-ids", "$EP"}, batch: true},
		{cmd: "add-tags", args: []string{"--resource-arns", "$NLB", "--tags", "Key=owned,Value=yes"}},
		{cmd: "add-tags", args: []string{"--resource-arns", "$TG", "$LISTENER", "--tags", "Key=owned,Value=yes"}},
		{cmd: "authorize-security-group-ingress", args: []string{"--group-id", "$CSG", "--protocol", "tcp", "--port", "81", "--cidr", "127.0.0.0/8"}},
		{cmd: "authorize-security-group-ingress", args: []string{"--group-id", "$PSG", "--ip-permissions", "IpProtocol=tcp,FromPort=81,ToPort=81,IpRanges=[{CidrIp=127.0.0.0/8}]"}},
		{cmd: "create-endpoint", args: []string{"--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA"}, owner: consumer},
		{cmd: "create-endpoint", args: []string{"--vpc-id", "$IVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$ISA"}, noControl: "the VPC is the third account's own"},
		{cmd: "create-endpoint-connection-notification", args: []string{"--service-id", "$SVC", "--connection-notification-arn", "file://$DIR/stolen.jsonl", "--connection-events", "Connect"}},
		{cmd: "create-endpoint-connection-notification", args: []string{"--vpc-endpoint-id", "$EP", "--connection-notification-arn", "file://$DIR/stolen.jsonl", "--connection-events", "Accept"}},
		{cmd: "create-endpoint-service", args: []string{"--network-load-balancer-arns", "$NLB2", "--no-acceptance-required"}},
		{cmd: "create-listener", args: []string{"--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "81", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}},
		{cmd: "create-load-balancer", args: []string{"--name", "stolen", "--scheme", "internal", "--subnets", "$PSA"}},
		{cmd: "create-security-group", args: []string{"--group-name", "stolen", "--description", "x", "--vpc-id", "$CVPC"}},
		{cmd: "create-subnet", args: []string{"--vpc-id", "$CVPC", "--cidr-block", "$CFREE", "--availability-zone", "us-east-1b"}},
		{cmd: "create-target-group", args: []string{"--name", "stolen", "--protocol", "TCP", "--port", "80", "--vpc-id", "$PVPC"}},
		{cmd: "create-vpc", args: []string{"--cidr-block", "$PCIDR"}, noControl: "overlaps for every account"},
		{cmd: "create-tags", args: []string{"--resources", "$CVPC", "--tags", "Key=owned,Value=yes"}},
		{cmd: "create-tags", args: []string{"--resources", "$SVC", "$PSG", "--tags", "Key=owned,Value=yes"}},
		{cmd: "delete-endpoint-connection-notifications", args: []string{"--connection-notification-ids", "$PNOTIF", "$CNOTIF"}, batch: true},
		{cmd: "delete-endpoint-services", args: []string{"--service-ids", "$SVC2"}, batch: true},
		{cmd: "delete-endpoints", args: []string{"--vpc-endpoint-ids", "$EP"}, batch: true},
		{cmd: "delete-listener", args: []string{"--listener-arn", "$LISTENER"}},
		{cmd: "delete-load-balancer", args: []string{"--load-balancer-arn", "$NLB2"}, idempotent: true},
		{cmd: "delete-security-group", args: []string{"--group-id", "$CSG2"}},
		{cmd: "delete-security-group", args: []string{"--group-name", "csg2"}},
		{cmd: "delete-subnet", args: []string{"--subnet-id", "$CSUBNET"}},
		{cmd: "delete-target-group", args: []string{"--target-group-arn", "$TG2"}, idempotent: true},
		{cmd: "delete-vpc", args: []string{"--vpc-id", "$CVPC2"}},
		{cmd: "delete-tags", args: []string{"--resources", "$CVPC", "--tags", "Key=team"}},
		{cmd: "delete-tags", args: []string{"--resources", "$SVC"}},
		{cmd: "deregister-targets", args: []string{"--target-group-arn", "$TG", "--targets", "Id=127.0.0.1,Port=9"}},
		{cmd: "modify-endpoint", args: []string{"--vpc-endpoint-id", "$EP", "--add-security-group-ids", "$CSG2"}},
		{cmd: "modify-endpoint", args: []string{"--vpc-endpoint-id", "$EP", "--remove-subnet-ids", "$CSB"}},
		{cmd: "modify-endpoint-connection-notification", args: []string{"--connection-notification-id", "$CNOTIF", "--connection-events", "Accept"}},
		{cmd: "modify-endpoint-connection-notification", args: []string{"--connection-notification-id", "$PNOTIF", "--connection-notification-arn", "file://$DIR/stolen.jsonl"}},
		{cmd: "modify-endpoint-service", args: []string{"--service-id", "$SVC", "--no-acceptance-required"}},
		{cmd: "modify-endpoint-service-permissions", args: []string{"--service-id", "$SVC", "--add-allowed-principals", "arn:aws:iam::333333333333:root"}},
		{cmd: "modify-endpoint-service-permissions", args: []string{"--service-id", "$SVC", "--remove-allowed-principals", "arn:aws:iam::222222222222:root"}},
		{cmd: "modify-listener", args: []string{"--listener-arn", "$LISTENER", "--port", "82"}},
		{cmd: "modify-listener-attributes", args: []string{"--listener-arn", "$LISTENER", "--attributes", "Key=tcp.idle_timeout.seconds,Value=120"}},
		{cmd: "modify-load-balancer-attributes", args: []string{"--load-balancer-arn", "$NLB", "--attributes", "Key=load_balancing.cross_zone.enabled,Value=true"}},
		{cmd: "modify-vpc-attribute", args: []string{"--vpc-id", "$CVPC", "--no-enable-dns-hostnames"}},
		{cmd: "modify-vpc-endpoint-service-payer-responsibility", args: []string{"--service-id", "$SVC", "--payer-responsibility", "ServiceOwner"}},
		{cmd: "modify-target-group", args: []string{"--target-group-arn", "$TG", "--health-check-interval-seconds", "10"}},
		{cmd: "modify-target-group-attributes", args: []string{"--target-group-arn", "$TG", "--attributes", "Key=proxy_protocol_v2.enabled,Value=true"}},
		{cmd: "register-targets", args: []string{"--target-group-arn", "$TG", "--targets", "Id=127.0.0.2,Port=9"}},
		{cmd: "reject-endpoint-connections", args: []string{"--service-id", "$SVC", "--vpc-endpoint-ids", "$EP"}, batch: true},
		{cmd: "remove-tags", args: []string{"--resource-arns", "$NLB", "--tag-keys", "team"}},
		{cmd: "revoke-security-group-ingress", args: []string{"--group-id", "$CSG", "--protocol", "tcp", "--port", "80", "--cidr", "127.0.0.1/32"}},
		{cmd: "start-endpoint-service-private-dns-verification", args: []string{"--service-id", "$SVC2", "--resolver", "127.0.0.1:9"}},
	}
}

// mutatingVerb says whether a command name of `plink --help` changes the
// store.
var mutatingVerb = regexp.MustCompile(`^(create|delete|modify|register|deregister|accept|reject|add|remove|authorize|revoke|start)-`)

// TestSecurityCrossAccount runs every mutating command against the
// provider's and the consumer's resources as a third account, as that
// account claiming the consumer's or the provider's principal, and with a
// principal that is no ARN: each is refused with an AWS error code (or, for
// batch calls, every item is Unsuccessful) and the store is byte-for-byte
// unchanged.
func TestSecurityCrossAccount(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	extra := map[string]string{
		"$IVPC":  e.text(intruder, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs"),
		"$DIR":   e.dir,
		"$PCIDR": cidrBase(e, provider, f.PVPC),
		"$CFREE": strings.TrimSuffix(cidrBase(e, consumer, f.CVPC), "0.0/16") + "80.0/20",
	}
	extra["$ISA"] = subnetsByZone(e, intruder, extra["$IVPC"])["us-east-1a"]
	cases := hostileCases()

	// Every mutating command of the help is covered.
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.cmd] = true
	}
	help := e.plink(intruder, "--help")
	sc := bufio.NewScanner(strings.NewReader(help))
	commands := 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !mutatingVerb.MatchString(fields[0]) || !strings.HasPrefix(sc.Text(), "  ") {
			continue
		}
		commands++
		if !covered[fields[0]] {
			t.Errorf("mutating command %s has no hostile case", fields[0])
		}
	}

	identities := []struct {
		name string
		args []string
		// forged identities are the defect: refused for every command,
		// including those that would be legitimate for the account.
		forged bool
	}{
		{"third account", []string{"--account", intruder}, false},
		{"third account as the consumer", []string{"--account", intruder, "--principal", "arn:aws:iam::" + consumer + ":root"}, true},
		{"third account as the provider", []string{"--account", intruder, "--principal", "arn:aws:iam::" + provider + ":root"}, true},
		{"third account as garbage", []string{"--account", intruder, "--principal", "garbage"}, true},
	}
	before := e.mustHash()
	runs, refused := 0, 0
	for _, id := range identities {
		for _, c := range cases {
			args := append(append([]string{}, id.args...), c.cmd)
			for _, a := range f.expand(c.args) {
				for k, v := range extra {
					a = strings.ReplaceAll(a, k, v)
				}
				args = append(args, a)
			}
			runs++
			r := e.runCtx(t.Context(), args...)
			ok := true
			switch {
			case r.timedOut || panicked(r.stderr):
				t.Errorf("%s: crashed or hung: %s", id.name, r)
				ok = false
			case r.code == 0 && c.batch && allUnsuccessful(r.stdout):
			case r.code == 0 && c.idempotent && !id.forged:
			case r.code == 0:
				t.Errorf("%s: %s succeeded%s: %s", id.name, c.cmd, forgedNote(id.forged), r)
				ok = false
			case !strings.Contains(r.stderr, "An error occurred ("):
				t.Errorf("%s: %s refused without an AWS error code%s: %s", id.name, c.cmd, forgedNote(id.forged), r)
				ok = false
			}
			if after := e.mustHash(); after != before {
				t.Errorf("%s: %s changed the store%s: %s", id.name, c.cmd, forgedNote(id.forged), r)
				before = after
				ok = false
			}
			if ok {
				refused++
			}
		}
	}
	// The refusals are about ownership: the owner's same command changes
	// (a copy of) the store.
	controls := 0
	for _, c := range cases {
		if c.noControl != "" {
			continue
		}
		owner := c.owner
		for _, a := range c.args {
			if owner != "" {
				break
			}
			if strings.ContainsAny(a, "$") && regexp.MustCompile(`\$(SVC|NLB|TG|LISTENER|PSG|PVPC|PSA|PNOTIF)`).MatchString(a) {
				owner = provider
			}
		}
		if owner == "" {
			owner = consumer
		}
		o := copyEnv(t, e)
		var args []string
		for _, a := range f.expand(c.args) {
			for k, v := range extra {
				a = strings.ReplaceAll(a, k, v)
			}
			args = append(args, a)
		}
		was := o.mustHash()
		r := o.as(owner, append([]string{c.cmd}, args...)...)
		if o.mustHash() == was {
			t.Errorf("%s as its owner %s did not change the store either, so its refusal proves nothing: %s", c.cmd, owner, r)
			continue
		}
		controls++
	}

	// Nobody can look like another account.
	for _, p := range []string{"arn:aws:iam::" + consumer + ":root", "arn:aws:iam::" + provider + ":user/admin"} {
		r := e.as(intruder, "--principal", p, "get-caller-identity")
		if r.code == 0 && strings.Contains(r.stdout, p) {
			t.Errorf("get-caller-identity shows another account's ARN [defect #2]: %s", r)
		}
	}
	figures(t, "security-cross-account", "commands", commands, "cases", len(cases), "identities", len(identities),
		"runs", runs, "refused", refused, "not_refused", runs-refused, "owner_controls", controls)
}

func forgedNote(forged bool) string {
	if forged {
		return " [defect #2]"
	}
	return ""
}

// allUnsuccessful says whether a batch answer refused every item.
func allUnsuccessful(stdout string) bool {
	var out map[string]json.RawMessage
	if json.Unmarshal([]byte(stdout), &out) != nil {
		return false
	}
	var bad []json.RawMessage
	if json.Unmarshal(out["Unsuccessful"], &bad) != nil || len(bad) == 0 {
		return false
	}
	for k, v := range out {
		if k == "Unsuccessful" {
			continue
		}
		var list []json.RawMessage
		if json.Unmarshal(v, &list) == nil && len(list) > 0 {
			return false // something succeeded
		}
	}
	return true
}

// copyEnv is a new env on a copy of e's store (no process has it open).
func copyEnv(t *testing.T, e *env) *env {
	t.Helper()
	o := &env{t: t, dir: t.TempDir()}
	o.db = filepath.Join(o.dir, "plink.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.db + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(o.db+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return o
}
