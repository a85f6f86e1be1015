package control

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// badCase is one malformed invocation: how plink must refuse it.
type badCase struct {
	name string
	as   string   // account (default: the consumer; "-": no --account flag)
	env  []string // extra environment (KEY=VALUE)
	args []string // $NAME placeholders are the fixture's IDs
	// exit is the exit code: 252 for malformed syntax (a usage error), 254
	// for a value the API refuses with an AWS error code, 253 for an invalid
	// setting (account, region). 0 means usage or refused (where plink may
	// reasonably see it as either), never a crash.
	exit int
	// want is a case-insensitive regular expression stderr must match: the
	// AWS error code for exit 254, the offending flag or word for exit 252.
	want string
	// defect is the defect number this case pins (0: none).
	defect int
}

// TestBadInput runs every malformed invocation against a store holding a
// provider service and a consumer endpoint: each is refused with the right
// exit code and error, in bounded time and memory, without a panic, with
// no raw control character in its output, and the store is byte-for-byte
// the same (every row of every table hashed) after it.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	cases := badCases(f)
	if len(cases) < 150 {
		t.Fatalf("only %d bad-input cases, want at least 150", len(cases))
	}
	before := e.mustHash()
	var refused, failed, slowest int
	var slowestDur time.Duration
	for i, c := range cases {
		ok := t.Run(c.name, func(t *testing.T) {
			var args []string
			switch c.as {
			case "":
				args = []string{"--account", consumer}
			case "-":
			default:
				args = []string{"--account", c.as}
			}
			args = append(args, f.expand(c.args)...)
			env := &env{t: t, dir: e.dir, db: e.db, extra: c.env}
			r := env.runCtx(context.Background(), args...)
			if r.dur > slowestDur {
				slowestDur, slowest = r.dur, i
			}
			pending := ""
			if c.defect != 0 {
				pending = fmt.Sprintf(" [defect #%d]", c.defect)
			}
			switch {
			case r.timedOut:
				t.Fatalf("hung%s: %s", pending, r)
			case panicked(r.stderr):
				t.Fatalf("crashed%s: %s", pending, r)
			}
			if c.exit == 0 && r.code != 254 && r.code != 252 || c.exit != 0 && r.code != c.exit {
				t.Errorf("exit %d, want %s%s: %s", r.code, wantExit(c.exit), pending, r)
			}
			if c.want != "" && !regexp.MustCompile("(?i)"+c.want).MatchString(r.stderr) {
				t.Errorf("stderr does not match %q%s: %s", c.want, pending, r)
			}
			if r.code == 254 && !strings.Contains(r.stderr, "An error occurred (") && c.exit == 254 {
				t.Errorf("exit 254 without an AWS error code%s: %s", pending, r)
			}
			if b, ok := rawControl(r.stdout + r.stderr); ok {
				t.Errorf("raw control character %q in the output%s: %s", b, pending, r)
			}
			if after := env.mustHash(); after != before {
				before = after // one change fails one case, not every case after it
				t.Fatalf("the store changed%s: %s", pending, r)
			}
		})
		if ok {
			refused++
		} else {
			failed++
		}
	}
	figures(t, "bad-input", "cases", len(cases), "refused", refused, "failed", failed,
		"slowest_ms", slowestDur.Milliseconds(), "slowest", strings.ReplaceAll(cases[slowest].name, " ", "_"))
}

func wantExit(n int) string {
	if n == 0 {
		return "252 or 254"
	}
	return fmt.Sprint(n)
}

// rawControl finds a control character other than newline and tab.
func rawControl(s string) (byte, bool) {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if (b < 0x20 && b != '\n' && b != '\t') || b == 0x7f {
			return b, true
		}
	}
	return 0, false
}

const (
	// kb100 is 100 kB: under Linux's 128 kB limit on one argument.
	kb100 = 100_000
	// esc starts a terminal escape sequence (red text).
	esc = "\x1b[31m"
)

func huge(n int, s string) string { return strings.Repeat(s, n/len(s)+1)[:n] }

// tags returns n shorthand tags Key=kI,Value=v.
func tags(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("Key=k%d,Value=v", i))
	}
	return out
}

// tagSpec returns a --tag-specifications value with n tags.
func tagSpec(kind string, n int, key, value string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ResourceType=%s,Tags=[", kind)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		k := key
		if n > 1 {
			k = fmt.Sprintf("%s%d", key, i)
		}
		fmt.Fprintf(&b, "{Key=%s,Value=%s}", k, value)
	}
	b.WriteByte(']')
	return b.String()
}

func targets(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("Id=127.16.%d.%d,Port=%d", 1+i/250, 1+i%250, 1000+i))
	}
	return out
}

func badCases(f *fixture) []badCase {
	p := provider
	// One megabyte in total: ten IDs of 100 kB (one argument may not pass
	// 128 kB on Linux).
	var megaIDs []string
	for range 10 {
		megaIDs = append(megaIDs, "vpc-"+huge(kb100, "0"))
	}
	var megaTags []string
	for i := range 10 {
		megaTags = append(megaTags, fmt.Sprintf("Key=k%d,Value=%s", i, huge(kb100, "v")))
	}
	cases := []badCase{
		// --- IDs: malformed (1) -------------------------------------------
		{name: "vpc id short", args: []string{"describe-vpcs", "--vpc-ids", "vpc-123"}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "vpc id not hex", args: []string{"describe-vpcs", "--vpc-ids", "vpc-NOTHEXNOTHEXNOTHE"}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "vpc id bare prefix", args: []string{"describe-vpcs", "--vpc-ids", "vpc-"}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "vpc id wrong prefix", args: []string{"describe-vpcs", "--vpc-ids", "subnet-0123456789abcdef0"}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "vpc id trailing newline", args: []string{"describe-vpcs", "--vpc-ids", "vpc-0123456789abcdef0\n"}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "vpc id trailing space", args: []string{"describe-vpcs", "--vpc-ids", "vpc-0123456789abcdef0 "}, exit: 254, want: `InvalidVpcId\.Malformed|InvalidVpcId\.NotFound`},
		{name: "vpc id fullwidth digits", args: []string{"describe-vpcs", "--vpc-ids", "vpc-０１２３４５６７"}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "vpc id escape", args: []string{"describe-vpcs", "--vpc-ids", "vpc-" + esc}, exit: 254, want: `InvalidVpcId\.Malformed`, defect: 9},
		{name: "vpc id 100kB", args: []string{"describe-vpcs", "--vpc-ids", "vpc-" + huge(kb100, "a")}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "vpc ids 1MB", args: append([]string{"describe-vpcs", "--vpc-ids"}, megaIDs...), exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "subnet id short", args: []string{"describe-subnets", "--subnet-ids", "subnet-1"}, exit: 254, want: `InvalidSubnetId\.Malformed`},
		{name: "subnet id 16 hex", args: []string{"describe-subnets", "--subnet-ids", "subnet-0123456789abcdef"}, exit: 254, want: `InvalidSubnetId\.Malformed`},
		{name: "endpoint id short", args: []string{"describe-endpoints", "--vpc-endpoint-ids", "vpce-123"}, exit: 254, want: `InvalidVpcEndpointId\.Malformed`},
		{name: "endpoint id is a service id", args: []string{"describe-endpoints", "--vpc-endpoint-ids", "vpce-svc-0123456789abcdef0"}, exit: 254, want: `InvalidVpcEndpointId\.Malformed`},
		{name: "service id not hex", as: p, args: []string{"describe-endpoint-service-configurations", "--service-ids", "vpce-svc-xyz"}, exit: 254, want: `InvalidVpcEndpointServiceId\.Malformed`},
		{name: "group id short", args: []string{"describe-security-groups", "--group-ids", "sg-zz"}, exit: 254, want: `InvalidGroupId\.Malformed`},
		{name: "eni id short", args: []string{"describe-network-interfaces", "--network-interface-ids", "eni-1"}, exit: 254, want: `InvalidNetworkInterfaceId\.Malformed`},
		{name: "create-subnet vpc id", args: []string{"create-subnet", "--vpc-id", "vpc-12", "--cidr-block", "127.17.80.0/20"}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "create-endpoint subnet id", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "subnet-xyz"}, exit: 254, want: `InvalidSubnetId\.Malformed`},
		{name: "create-endpoint group id", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA", "--security-group-ids", "sg-x"}, exit: 254, want: `InvalidGroupId\.Malformed`},
		{name: "create-endpoint vpc id", args: []string{"create-endpoint", "--vpc-id", "vpc-x", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA"}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "modify-endpoint id", args: []string{"modify-endpoint", "--vpc-endpoint-id", "vpce-x", "--add-subnet-ids", "$CSUBNET"}, exit: 254, want: `InvalidVpcEndpointId\.Malformed`},
		{name: "modify-endpoint add subnet id", args: []string{"modify-endpoint", "--vpc-endpoint-id", "$EP", "--add-subnet-ids", "subnet-x"}, exit: 254, want: `InvalidSubnetId\.Malformed`},
		{name: "modify-endpoint add group id", args: []string{"modify-endpoint", "--vpc-endpoint-id", "$EP", "--add-security-group-ids", "sg-" + esc}, exit: 254, want: `InvalidGroupId\.Malformed`, defect: 9},
		{name: "accept service id", as: p, args: []string{"accept-endpoint-connections", "--service-id", "vpce-svc-x", "--vpc-endpoint-ids", "$EP"}, exit: 254, want: `InvalidVpcEndpointServiceId\.Malformed`},
		{name: "reject service id", as: p, args: []string{"reject-endpoint-connections", "--service-id", "svc-0123", "--vpc-endpoint-ids", "$EP"}, exit: 254, want: `InvalidVpcEndpointServiceId\.Malformed`},
		{name: "delete-vpc id", args: []string{"delete-vpc", "--vpc-id", "vpc-x"}, exit: 254, want: `InvalidVpcId\.Malformed`},
		{name: "delete-subnet id", args: []string{"delete-subnet", "--subnet-id", "subnet-x"}, exit: 254, want: `InvalidSubnetId\.Malformed`},
		{name: "delete-security-group id", args: []string{"delete-security-group", "--group-id", "sg-x"}, exit: 254, want: `InvalidGroupId\.Malformed`},
		{name: "authorize group id", args: []string{"authorize-security-group-ingress", "--group-id", "sg-x", "--protocol", "tcp", "--port", "80", "--cidr", "127.0.0.0/8"}, exit: 254, want: `InvalidGroupId\.Malformed`},
		{name: "revoke group id", args: []string{"revoke-security-group-ingress", "--group-id", "sg-" + huge(kb100, "f"), "--protocol", "tcp", "--port", "80", "--cidr", "127.0.0.0/8"}, exit: 254, want: `InvalidGroupId\.Malformed`},
		{name: "start verification service id", as: p, args: []string{"start-endpoint-service-private-dns-verification", "--service-id", "vpce-svc-"}, exit: 254, want: `InvalidVpcEndpointServiceId\.Malformed`},
		{name: "modify-endpoint-service id", as: p, args: []string{"modify-endpoint-service", "--service-id", "vpce-svc-ZZZZ", "--no-acceptance-required"}, exit: 254, want: `InvalidVpcEndpointServiceId\.Malformed`},
		{name: "permissions service id", as: p, args: []string{"modify-endpoint-service-permissions", "--service-id", "vpce-svc-\u00e9", "--add-allowed-principals", "arn:aws:iam::222222222222:root"}, exit: 254, want: `InvalidVpcEndpointServiceId\.Malformed`},
		{name: "notification id", as: p, args: []string{"modify-endpoint-connection-notification", "--connection-notification-id", "vpce-nfn-x", "--connection-events", "Accept"}, exit: 254, want: `InvalidConnectionNotification`},
		{name: "create notification endpoint id", args: []string{"create-endpoint-connection-notification", "--vpc-endpoint-id", "vpce-x", "--connection-notification-arn", "file:///tmp/x", "--connection-events", "Accept"}, exit: 254, want: `InvalidVpcEndpointId\.Malformed`},

		// --- ARNs (1) ------------------------------------------------------
		{name: "lb arn not an arn", as: p, args: []string{"describe-load-balancers", "--load-balancer-arns", "not-an-arn"}, exit: 254, want: `ValidationError`},
		{name: "tg arn truncated", as: p, args: []string{"describe-target-groups", "--target-group-arns", "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/x"}, exit: 254, want: `ValidationError`},
		{name: "register-targets tg arn", as: p, args: []string{"register-targets", "--target-group-arn", "garbage", "--targets", "Id=127.0.0.1"}, exit: 254, want: `ValidationError`},
		{name: "create-listener s3 arn", as: p, args: []string{"create-listener", "--load-balancer-arn", "arn:aws:s3:::bucket", "--protocol", "TCP", "--port", "81", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}, exit: 254, want: `ValidationError`},
		{name: "delete-listener arn", as: p, args: []string{"delete-listener", "--listener-arn", "x"}, exit: 254, want: `ValidationError`},
		{name: "add-tags arn", as: p, args: []string{"add-tags", "--resource-arns", "x", "--tags", "Key=a,Value=b"}, exit: 254, want: `ValidationError`},
		{name: "remove-tags arn unicode", as: p, args: []string{"remove-tags", "--resource-arns", "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/\u043d\u043b\u0431/0123456789abcdef", "--tag-keys", "team"}, exit: 254, want: `ValidationError|LoadBalancerNotFound`},
		{name: "service nlb arn garbage", as: p, args: []string{"create-endpoint-service", "--network-load-balancer-arns", "arn:aws:nothing"}, exit: 254, want: `InvalidParameterValue`},
		{name: "service nlb arn is a tg", as: p, args: []string{"create-endpoint-service", "--network-load-balancer-arns", "$TG"}, exit: 254, want: `InvalidParameterValue`},
		{name: "lb arn 100kB", as: p, args: []string{"describe-load-balancers", "--load-balancer-arns", "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/" + huge(kb100, "x")}, exit: 254, want: `ValidationError`},
		{name: "modify-listener given an lb arn", as: p, args: []string{"modify-listener", "--listener-arn", "$NLB", "--port", "82"}, exit: 254, want: `ValidationError`},
		{name: "tg attributes given an lb arn", as: p, args: []string{"modify-target-group-attributes", "--target-group-arn", "$NLB", "--attributes", "Key=proxy_protocol_v2.enabled,Value=true"}, exit: 254, want: `ValidationError`},
		{name: "default action tg arn", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "81", "--default-actions", "Type=forward,TargetGroupArn=garbage"}, exit: 254, want: `ValidationError`},
		{name: "target health arn", as: p, args: []string{"describe-target-health", "--target-group-arn", "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/tg/"}, exit: 254, want: `ValidationError`},
		{name: "lb arn escape", as: p, args: []string{"delete-load-balancer", "--load-balancer-arn", "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/" + esc + "/0123456789abcdef"}, exit: 254, want: `ValidationError|LoadBalancerNotFound`, defect: 9},

		// --- CIDRs (1) -----------------------------------------------------
		{name: "vpc cidr octet 999", args: []string{"create-vpc", "--cidr-block", "999.1.0.0/16"}, exit: 254, want: `InvalidParameterValue`},
		{name: "vpc cidr no prefix", args: []string{"create-vpc", "--cidr-block", "127.60.0.0"}, exit: 254, want: `InvalidParameterValue`},
		{name: "vpc cidr /33", args: []string{"create-vpc", "--cidr-block", "127.60.0.0/33"}, exit: 254, want: `InvalidParameterValue`},
		{name: "vpc cidr /8", args: []string{"create-vpc", "--cidr-block", "127.60.0.0/8"}, exit: 254, want: `InvalidParameterValue|InvalidVpc\.Range`},
		{name: "vpc cidr /29", args: []string{"create-vpc", "--cidr-block", "127.60.0.0/29"}, exit: 254, want: `InvalidVpc\.Range|InvalidParameterValue`},
		{name: "vpc cidr host bits", args: []string{"create-vpc", "--cidr-block", "127.60.0.1/16"}, exit: 254, want: `InvalidParameterValue`},
		{name: "vpc cidr ipv6", args: []string{"create-vpc", "--cidr-block", "::1/128"}, exit: 254, want: `InvalidParameterValue`},
		{name: "vpc cidr empty", args: []string{"create-vpc", "--cidr-block", ""}, exit: 0, want: `cidr`},
		{name: "vpc cidr trailing space", args: []string{"create-vpc", "--cidr-block", "127.61.0.0/16 "}, exit: 254, want: `InvalidParameterValue`},
		{name: "vpc cidr unicode digit", args: []string{"create-vpc", "--cidr-block", "127.６0.0.0/16"}, exit: 254, want: `InvalidParameterValue`},
		{name: "vpc cidr escape", args: []string{"create-vpc", "--cidr-block", "127.62.0.0/16" + esc}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "vpc cidr 100kB", args: []string{"create-vpc", "--cidr-block", huge(kb100, "127.")}, exit: 254, want: `InvalidParameterValue`},
		{name: "vpc cidr overlaps", args: []string{"create-vpc", "--cidr-block", "127.16.0.0/16"}, exit: 254, want: `InvalidVpc\.Range`},
		{name: "subnet cidr outside vpc", args: []string{"create-subnet", "--vpc-id", "$CVPC", "--cidr-block", "127.99.0.0/20"}, exit: 254, want: `InvalidSubnet\.Range`},
		{name: "subnet cidr garbage", args: []string{"create-subnet", "--vpc-id", "$CVPC", "--cidr-block", "garbage"}, exit: 254, want: `InvalidParameterValue`},
		{name: "subnet ipv6 cidr garbage", args: []string{"create-subnet", "--vpc-id", "$CVPC", "--cidr-block", "127.17.80.0/20", "--ipv6-cidr-block", "fd00::/zz"}, exit: 254, want: `InvalidParameterValue|InvalidSubnet\.Range`},
		{name: "subnet zone of another region", args: []string{"create-subnet", "--vpc-id", "$CVPC", "--cidr-block", "127.17.80.0/20", "--availability-zone", "us-west-2a"}, exit: 254, want: `InvalidParameterValue`},
		{name: "ingress cidr octet 300", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--protocol", "tcp", "--port", "80", "--cidr", "300.0.0.0/8"}, exit: 254, want: `InvalidParameterValue`},
		{name: "ingress cidr no prefix", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--protocol", "tcp", "--port", "80", "--cidr", "127.0.0.1"}, exit: 254, want: `InvalidParameterValue`},
		{name: "ingress cidr list", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--protocol", "tcp", "--port", "80", "--cidr", "127.0.0.0/8,127.1.0.0/16"}, exit: 254, want: `InvalidParameterValue`},
		{name: "ingress ip-permissions cidr", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--ip-permissions", "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/99}]"}, exit: 254, want: `InvalidParameterValue`},

		// --- ports (1, or 2 where an integer flag does not parse) ----------
		{name: "listener port 70000", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "70000", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}, exit: 254, want: `ValidationError`},
		{name: "listener port 0", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "0", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}, exit: 254, want: `ValidationError`},
		{name: "listener port -1", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "-1", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}, exit: 254, want: `ValidationError`},
		{name: "listener port abc", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "abc", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}, exit: 252, want: `--port`},
		{name: "listener port 2^70", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "1180591620717411303424", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}, exit: 252, want: `--port`},
		{name: "listener port 2^32+81", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "4294967377", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}, exit: 254, want: `ValidationError`},
		{name: "listener protocol UDP", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "UDP", "--port", "81", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}, exit: 254, want: `ValidationError`},
		{name: "listener duplicate port", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "80", "--default-actions", "Type=forward,TargetGroupArn=$TG2"}, exit: 254, want: `DuplicateListener`},
		{name: "target group port 0", as: p, args: []string{"create-target-group", "--name", "tg3", "--protocol", "TCP", "--port", "0", "--vpc-id", "$PVPC"}, exit: 254, want: `ValidationError`},
		{name: "target group port 65536", as: p, args: []string{"create-target-group", "--name", "tg3", "--protocol", "TCP", "--port", "65536", "--vpc-id", "$PVPC"}, exit: 254, want: `ValidationError`},
		{name: "target port 70000", as: p, args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "Id=127.0.0.1,Port=70000"}, exit: 254, want: `ValidationError`},
		{name: "target port 0", as: p, args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "Id=127.0.0.1,Port=0"}, exit: 254, want: `ValidationError`},
		{name: "target port abc", as: p, args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "Id=127.0.0.1,Port=abc"}, exit: 252, want: `--targets`},
		{name: "target id not an ip", as: p, args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "Id=i-0123456789abcdef0,Port=80"}, exit: 254, want: `ValidationError`},
		{name: "target zone bogus", as: p, args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "Id=127.0.0.1,Port=80,AvailabilityZone=mars-1a"}, exit: 254, want: `ValidationError`},
		{name: "ingress port 70000", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--protocol", "tcp", "--port", "70000", "--cidr", "127.0.0.0/8"}, exit: 254, want: `InvalidParameterValue`},
		{name: "ingress port range reversed", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--protocol", "tcp", "--port", "100-50", "--cidr", "127.0.0.0/8"}, exit: 254, want: `InvalidParameterValue`},
		{name: "ingress port -5", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--protocol", "tcp", "--port", "-5", "--cidr", "127.0.0.0/8"}, exit: 254, want: `InvalidParameterValue`},
		{name: "ingress port abc", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--protocol", "tcp", "--port", "abc", "--cidr", "127.0.0.0/8"}, exit: 254, want: `InvalidParameterValue`},
		{name: "ingress protocol bogus", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--protocol", "bogus", "--port", "80", "--cidr", "127.0.0.0/8"}, exit: 254, want: `InvalidParameterValue`},
		{name: "ingress ip-permissions port 70000", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--ip-permissions", "IpProtocol=tcp,FromPort=80,ToPort=70000,IpRanges=[{CidrIp=127.0.0.0/8}]"}, exit: 254, want: `InvalidParameterValue`},
		{name: "modify-listener port 70000", as: p, args: []string{"modify-listener", "--listener-arn", "$LISTENER", "--port", "70000"}, exit: 254, want: `ValidationError`},
		{name: "health check port 70000", as: p, args: []string{"modify-target-group", "--target-group-arn", "$TG", "--health-check-port", "70000"}, exit: 254, want: `ValidationError`},
		{name: "health check port abc", as: p, args: []string{"modify-target-group", "--target-group-arn", "$TG", "--health-check-port", "abc"}, exit: 254, want: `ValidationError`},
		{name: "health check interval 1", as: p, args: []string{"modify-target-group", "--target-group-arn", "$TG", "--health-check-interval-seconds", "1"}, exit: 254, want: `ValidationError`},
		{name: "health check protocol FTP", as: p, args: []string{"modify-target-group", "--target-group-arn", "$TG", "--health-check-protocol", "FTP"}, exit: 254, want: `ValidationError`},
		{name: "serve dns port 70000", as: p, args: []string{"serve", "--check", "--dns-port", "70000"}, exit: 0, want: `dns-port|70000`, defect: 10},
		{name: "serve dns port -1", as: p, args: []string{"serve", "--check", "--dns-port", "-1"}, exit: 0, want: `dns-port|-1`, defect: 10},
		{name: "serve dns port abc", as: p, args: []string{"serve", "--check", "--dns-port", "abc"}, exit: 252, want: `dns-port`},
		{name: "serve dns addr port 70000", as: p, args: []string{"serve", "--check", "--dns-port", "0", "--dns-addr", "127.0.0.1:70000"}, exit: 0, want: `dns-addr|70000`, defect: 10},
		{name: "serve metrics addr port 99999", as: p, args: []string{"serve", "--check", "--dns-port", "0", "--metrics-addr", "127.0.0.1:99999"}, exit: 0, want: `metrics-addr|99999`, defect: 10},

		// --- principals and identity --------------------------------------
		{name: "allowed principal bare account", as: p, args: []string{"modify-endpoint-service-permissions", "--service-id", "$SVC", "--add-allowed-principals", "222222222222"}, exit: 254, want: `InvalidParameterValue|InvalidPrincipal`},
		{name: "allowed principal short account", as: p, args: []string{"modify-endpoint-service-permissions", "--service-id", "$SVC", "--add-allowed-principals", "arn:aws:iam::2222:root"}, exit: 254, want: `InvalidParameterValue|InvalidPrincipal`},
		{name: "allowed principal garbage", as: p, args: []string{"modify-endpoint-service-permissions", "--service-id", "$SVC", "--add-allowed-principals", "garbage"}, exit: 254, want: `InvalidParameterValue|InvalidPrincipal`},
		{name: "allowed principal s3 arn", as: p, args: []string{"modify-endpoint-service-permissions", "--service-id", "$SVC", "--add-allowed-principals", "arn:aws:s3:::bucket"}, exit: 254, want: `InvalidParameterValue|InvalidPrincipal`},
		{name: "allowed principal unicode", as: p, args: []string{"modify-endpoint-service-permissions", "--service-id", "$SVC", "--add-allowed-principals", "arn:aws:iam::２２２２２２２２２２２２:root"}, exit: 254, want: `InvalidParameterValue|InvalidPrincipal`},
		{name: "allowed principal escape", as: p, args: []string{"modify-endpoint-service-permissions", "--service-id", "$SVC", "--add-allowed-principals", "arn:aws:iam::222222222222:user/" + esc}, exit: 254, want: `InvalidParameterValue|InvalidPrincipal`, defect: 9},
		{name: "allowed principal 100kB", as: p, args: []string{"modify-endpoint-service-permissions", "--service-id", "$SVC", "--add-allowed-principals", "arn:aws:iam::222222222222:user/" + huge(kb100, "u")}, exit: 254, want: `InvalidParameterValue|InvalidPrincipal`, defect: 9},
		{name: "remove principal not allowed", as: p, args: []string{"modify-endpoint-service-permissions", "--service-id", "$SVC", "--remove-allowed-principals", "arn:aws:iam::333333333333:root"}, exit: 254, want: `InvalidParameterValue`},
		{name: "caller principal garbage", args: []string{"--principal", "garbage", "get-caller-identity"}, exit: 0, want: `principal`, defect: 2},
		{name: "caller principal of another account", args: []string{"--principal", "arn:aws:iam::111111111111:root", "get-caller-identity"}, exit: 0, want: `principal|111111111111`, defect: 2},
		{name: "caller principal other account writes", args: []string{"--principal", "arn:aws:iam::111111111111:root", "create-security-group", "--group-name", "forged", "--description", "x", "--vpc-id", "$CVPC"}, exit: 0, want: `principal|111111111111`, defect: 2},
		{name: "caller principal s3 arn", args: []string{"--principal", "arn:aws:s3:::222222222222", "describe-vpcs"}, exit: 0, want: `principal`, defect: 2},
		{name: "caller principal escape", args: []string{"--principal", "arn:aws:iam::222222222222:user/" + esc, "describe-vpcs"}, exit: 0, want: `principal`, defect: 2},
		{name: "caller principal from env", env: []string{"PLINK_PRINCIPAL=arn:aws:iam::111111111111:root"}, args: []string{"get-caller-identity"}, exit: 0, want: `principal|111111111111`, defect: 2},
		{name: "account 2 digits", as: "-", args: []string{"--account", "12", "describe-vpcs"}, exit: 253, want: `invalid account`},
		{name: "account letters", as: "-", args: []string{"--account", "abcdefghijkl", "describe-vpcs"}, exit: 253, want: `invalid account`},
		{name: "account 13 digits", as: "-", args: []string{"--account", "1111111111111", "describe-vpcs"}, exit: 253, want: `invalid account`},
		{name: "account fullwidth digits", as: "-", args: []string{"--account", "１１１１１１１１１１１１", "describe-vpcs"}, exit: 253, want: `invalid account`},
		{name: "account escape", as: "-", args: []string{"--account", "11111111111" + esc, "describe-vpcs"}, exit: 253, want: `invalid account`, defect: 9},
		{name: "account from env", as: "-", env: []string{"PLINK_ACCOUNT=garbage"}, args: []string{"describe-vpcs"}, exit: 253, want: `account`},
		{name: "region mars", args: []string{"--region", "mars", "describe-vpcs"}, exit: 253, want: `invalid region`},
		{name: "region trailing newline", args: []string{"--region", "us-east-1\n", "describe-vpcs"}, exit: 253, want: `invalid region`},
		{name: "region 100kB", args: []string{"--region", huge(kb100, "us-east-1"), "describe-vpcs"}, exit: 253, want: `region`},

		// --- DNS names (1) -------------------------------------------------
		{name: "private dns name with space", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", "Bad Name"}, exit: 254, want: `InvalidParameterValue`},
		{name: "private dns name amazonaws", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", "foo.amazonaws.com"}, exit: 254, want: `InvalidParameter`},
		{name: "private dns name empty label", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", "a..example.com"}, exit: 254, want: `InvalidParameterValue`},
		{name: "private dns name leading hyphen", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", "-a.example.com"}, exit: 254, want: `InvalidParameterValue`},
		{name: "private dns name 300 chars", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", strings.Repeat("abcdefghi.", 30) + "com"}, exit: 254, want: `InvalidParameterValue`},
		{name: "private dns label 64 chars", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", strings.Repeat("a", 64) + ".example.com"}, exit: 254, want: `InvalidParameterValue`},
		{name: "private dns name escape", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", "exa" + esc + "mple.com"}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "private dns name cyrillic", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", "\u043f\u0440\u0438\u043c\u0435\u0440.com"}, exit: 254, want: `InvalidParameterValue`},
		{name: "private dns name two wildcards", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", "*.*.example.com"}, exit: 254, want: `InvalidParameterValue`},
		{name: "private dns name partial wildcard", as: p, args: []string{"modify-endpoint-service", "--service-id", "$SVC", "--private-dns-name", "a*.example.com"}, exit: 254, want: `InvalidParameterValue`},
		{name: "private dns name 100kB", as: p, args: []string{"create-endpoint-service", "--network-load-balancer-arns", "$NLB2", "--private-dns-name", huge(kb100, "a.")}, exit: 254, want: `InvalidParameterValue`},
		{name: "private dns not verified", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA", "--private-dns-enabled"}, exit: 254, want: `InvalidParameter`},
		{name: "service name garbage", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "garbage", "--subnet-ids", "$CSA"}, exit: 254, want: `InvalidServiceName`},
		{name: "service name bare prefix", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "com.amazonaws.vpce.us-east-1.vpce-svc-", "--subnet-ids", "$CSA"}, exit: 254, want: `InvalidServiceName`},
		{name: "service name unknown", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", "--subnet-ids", "$CSA"}, exit: 254, want: `InvalidServiceName`},
		{name: "service name 100kB", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "com.amazonaws.vpce.us-east-1." + huge(kb100, "x"), "--subnet-ids", "$CSA"}, exit: 254, want: `InvalidServiceName`},
		{name: "service name escape", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME" + esc, "--subnet-ids", "$CSA"}, exit: 254, want: `InvalidServiceName`, defect: 9},

		// --- shorthand: stray, unbalanced, deep, huge (2) -------------------
		{name: "filters stray }", args: []string{"describe-vpcs", "--filters", "Name=vpc-id,Values=x}"}, exit: 252, want: `--filters`, defect: 1},
		{name: "filters stray ]", args: []string{"describe-vpcs", "--filters", "Name=vpc-id,Values=x]"}, exit: 252, want: `--filters`, defect: 1},
		{name: "filters unclosed [", args: []string{"describe-vpcs", "--filters", "Name=vpc-id,Values=[x"}, exit: 252, want: `--filters`},
		{name: "filters extra ]", args: []string{"describe-vpcs", "--filters", "Name=vpc-id,Values=[x]]"}, exit: 252, want: `--filters`, defect: 1},
		{name: "filters unclosed {", args: []string{"describe-vpcs", "--filters", "{Name=vpc-id"}, exit: 252, want: `--filters`},
		{name: "filters many }", args: []string{"describe-vpcs", "--filters", "Name=vpc-id,Values=x}}}}}}}}"}, exit: 252, want: `--filters`, defect: 1},
		{name: "filters only }", args: []string{"describe-vpcs", "--filters", "}"}, exit: 252, want: `--filters`, defect: 1},
		{name: "filters only ]", args: []string{"describe-vpcs", "--filters", "]"}, exit: 252, want: `--filters`, defect: 1},
		{name: "filters only comma", args: []string{"describe-vpcs", "--filters", ","}, exit: 252, want: `--filters`},
		{name: "filters only =", args: []string{"describe-vpcs", "--filters", "="}, exit: 252, want: `--filters`},
		{name: "filters deep [", args: []string{"describe-vpcs", "--filters", "Name=vpc-id,Values=" + strings.Repeat("[", 10000) + "x" + strings.Repeat("]", 10000)}, exit: 252, want: `--filters`},
		{name: "filters deep {", args: []string{"describe-vpcs", "--filters", strings.Repeat("{", 10000)}, exit: 252, want: `--filters`},
		{name: "filters 100kB of }", args: []string{"describe-vpcs", "--filters", "Name=vpc-id,Values=x" + huge(kb100, "}")}, exit: 252, want: `--filters`, defect: 1},
		{name: "filters unknown key", args: []string{"describe-vpcs", "--filters", "Name=vpc-id,Values=x,Colour=y"}, exit: 252, want: `--filters|Colour`, defect: 1},
		{name: "filters unknown key json", args: []string{"describe-vpcs", "--filters", `[{"Name":"vpc-id","Values":["x"],"Colour":"y"}]`}, exit: 252, want: `--filters|Colour`, defect: 1},
		{name: "tags unknown key", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a,Value=b,Colour=c"}, exit: 252, want: `--tags|Colour`, defect: 1},
		{name: "filters garbage", args: []string{"describe-vpcs", "--filters", "garbage"}, exit: 252, want: `--filters`},
		{name: "subnets filters stray }", args: []string{"describe-subnets", "--filters", "Name=vpc-id,Values=$CVPC}"}, exit: 252, want: `--filters`, defect: 1},
		{name: "endpoints filters stray ]", args: []string{"describe-endpoints", "--filters", "Name=vpc-endpoint-state,Values=available]"}, exit: 252, want: `--filters`, defect: 1},
		{name: "tags stray }", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a,Value=a}b"}, exit: 252, want: `--tags`, defect: 1},
		{name: "tags stray ]", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a,Value=a]b"}, exit: 252, want: `--tags`, defect: 1},
		{name: "tags unclosed [", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a,Value=[b"}, exit: 252, want: `--tags`},
		{name: "tags empty pair", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a,,Value=b"}, exit: 252, want: `--tags`},
		{name: "tags key only", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key"}, exit: 252, want: `--tags`},
		{name: "tags 100kB of ]", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a,Value=" + huge(kb100, "]")}, exit: 252, want: `--tags`, defect: 1},
		{name: "tags deep {", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a,Value=" + strings.Repeat("{", 5000)}, exit: 252, want: `--tags`},
		{name: "create-listener tags stray }", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "81", "--default-actions", "Type=forward,TargetGroupArn=$TG2", "--tags", "Key=a,Value=b}"}, exit: 252, want: `--tags`, defect: 1},
		{name: "create-target-group tags stray ]", as: p, args: []string{"create-target-group", "--name", "tg3", "--protocol", "TCP", "--port", "81", "--vpc-id", "$PVPC", "--tags", "Key=a,Value=b]"}, exit: 252, want: `--tags`, defect: 1},
		{name: "create-load-balancer tags stray }", as: p, args: []string{"create-load-balancer", "--name", "nlb3", "--scheme", "internal", "--subnets", "$PSA", "--tags", "Key=a}"}, exit: 252, want: `--tags`, defect: 1},
		{name: "targets stray }", as: p, args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "Id=127.0.0.1}"}, exit: 252, want: `--targets`, defect: 1},
		{name: "targets stray ]", as: p, args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "Id=127.0.0.1,Port=80]"}, exit: 252, want: `--targets`, defect: 1},
		{name: "targets unclosed [", as: p, args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "[Id=127.0.0.1"}, exit: 252, want: `--targets`},
		{name: "deregister targets stray }", as: p, args: []string{"deregister-targets", "--target-group-arn", "$TG", "--targets", "Id=127.0.0.1,Port=9}"}, exit: 252, want: `--targets`, defect: 1},
		{name: "lb attributes stray }", as: p, args: []string{"modify-load-balancer-attributes", "--load-balancer-arn", "$NLB", "--attributes", "Key=deletion_protection.enabled,Value=true}"}, exit: 252, want: `--attributes`, defect: 1},
		{name: "tg attributes stray ]", as: p, args: []string{"modify-target-group-attributes", "--target-group-arn", "$TG", "--attributes", "Key=proxy_protocol_v2.enabled,Value=true]"}, exit: 252, want: `--attributes`, defect: 1},
		{name: "listener attributes stray }", as: p, args: []string{"modify-listener-attributes", "--listener-arn", "$LISTENER", "--attributes", "Key=tcp.idle_timeout.seconds,Value=350}"}, exit: 252, want: `--attributes`, defect: 1},
		{name: "modify-listener actions stray }", as: p, args: []string{"modify-listener", "--listener-arn", "$LISTENER", "--default-actions", "Type=forward,TargetGroupArn=$TG}"}, exit: 252, want: `--default-actions`, defect: 1},
		{name: "create-listener actions stray ]", as: p, args: []string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "81", "--default-actions", "Type=forward,TargetGroupArn=$TG2]"}, exit: 252, want: `--default-actions`, defect: 1},
		{name: "tag-specifications extra ]", args: []string{"create-vpc", "--cidr-block", "127.63.0.0/16", "--tag-specifications", "ResourceType=vpc,Tags=[{Key=a,Value=b}]]"}, exit: 252, want: `--tag-specifications`, defect: 1},
		{name: "tag-specifications extra }", args: []string{"create-vpc", "--cidr-block", "127.64.0.0/16", "--tag-specifications", "ResourceType=vpc,Tags=[{Key=a,Value=b}}]"}, exit: 252, want: `--tag-specifications`, defect: 1},
		{name: "tag-specifications unclosed {", args: []string{"create-vpc", "--cidr-block", "127.65.0.0/16", "--tag-specifications", "ResourceType=vpc,Tags=[{Key=a,Value=b]"}, exit: 252, want: `--tag-specifications`, defect: 1},
		{name: "sg tag-specifications unclosed [", args: []string{"create-security-group", "--group-name", "g", "--description", "d", "--vpc-id", "$CVPC", "--tag-specifications", "ResourceType=security-group,Tags=[{Key=a,Value=b}"}, exit: 252, want: `--tag-specifications`},
		{name: "endpoint tag-specifications stray }", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA", "--tag-specifications", "ResourceType=vpc-endpoint,Tags=[{Key=a,Value=b}]}"}, exit: 252, want: `--tag-specifications`, defect: 1},
		{name: "service tag-specifications stray ]", as: p, args: []string{"create-endpoint-service", "--network-load-balancer-arns", "$NLB2", "--tag-specifications", "ResourceType=vpc-endpoint-service,Tags=[{Key=a,Value=b]}]"}, exit: 252, want: `--tag-specifications`, defect: 1},
		{name: "subnet tag-specifications stray }", args: []string{"create-subnet", "--vpc-id", "$CVPC", "--cidr-block", "127.17.80.0/20", "--tag-specifications", "ResourceType=subnet,Tags=[{Key=a,Value=b}}}]"}, exit: 252, want: `--tag-specifications`, defect: 1},
		{name: "ip-permissions extra ]", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--ip-permissions", "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8}]]"}, exit: 252, want: `--ip-permissions`, defect: 1},
		{name: "ip-permissions unclosed [", args: []string{"revoke-security-group-ingress", "--group-id", "$CSG", "--ip-permissions", "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8}"}, exit: 252, want: `--ip-permissions`},
		{name: "dns-options stray }", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA", "--dns-options", "DnsRecordIpType=ipv4}"}, exit: 252, want: `--dns-options`, defect: 1},
		{name: "subnet-mappings stray }", as: p, args: []string{"create-load-balancer", "--name", "nlb3", "--scheme", "internal", "--subnet-mappings", "SubnetId=$PSA}"}, exit: 252, want: `--subnet-mappings`, defect: 1},
		{name: "matcher stray }", as: p, args: []string{"modify-target-group", "--target-group-arn", "$TG", "--health-check-protocol", "HTTP", "--matcher", "HttpCode=200}"}, exit: 0, want: `matcher`},

		// --- JSON (2) ------------------------------------------------------
		{name: "json filters unterminated", args: []string{"describe-vpcs", "--filters", `[{"Name":"vpc-id","Values":["x"]`}, exit: 252, want: `--filters`},
		{name: "json filters name a number", args: []string{"describe-vpcs", "--filters", `{"Name":1}`}, exit: 252, want: `--filters`},
		{name: "json filters values not a list", args: []string{"describe-vpcs", "--filters", `[{"Name":"vpc-id","Values":"x"}]`}, exit: 252, want: `--filters`},
		{name: "json filters deep", args: []string{"describe-vpcs", "--filters", strings.Repeat("[", 100000)}, exit: 252, want: `--filters`},
		{name: "json tags unterminated", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", `{"Key":"a","Value":"b"`}, exit: 252, want: `--tags`},
		{name: "json tags value a number", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", `[{"Key":"a","Value":1}]`}, exit: 252, want: `--tags`},
		{name: "json actions unterminated", as: p, args: []string{"modify-listener", "--listener-arn", "$LISTENER", "--default-actions", `[{"Type":"forward","TargetGroupArn":`}, exit: 252, want: `--default-actions`},
		{name: "json tag-specifications extra ]", args: []string{"create-vpc", "--cidr-block", "127.66.0.0/16", "--tag-specifications", `[{"ResourceType":"vpc","Tags":[{"Key":"a","Value":"b"}]}]]`}, exit: 252, want: `--tag-specifications`},
		{name: "json ip-permissions port a string", args: []string{"authorize-security-group-ingress", "--group-id", "$CSG", "--ip-permissions", `[{"IpProtocol":"tcp","FromPort":"x","ToPort":80}]`}, exit: 252, want: `--ip-permissions`},
		{name: "json huge exponent", as: p, args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", `[{"Id":"127.0.0.1","Port":1e999999}]`}, exit: 252, want: `--targets`},
		{name: "json attributes trailing garbage", as: p, args: []string{"modify-load-balancer-attributes", "--load-balancer-arn", "$NLB", "--attributes", `[{"Key":"deletion_protection.enabled","Value":"true"}] x`}, exit: 252, want: `--attributes`},

		// --- filters by name (1) -------------------------------------------
		{name: "filter name unknown vpcs", args: []string{"describe-vpcs", "--filters", "Name=colour,Values=blue"}, exit: 254, want: `InvalidParameterValue`},
		{name: "filter name unknown endpoints", args: []string{"describe-endpoints", "--filters", "Name=nope,Values=x"}, exit: 254, want: `InvalidParameterValue`},
		{name: "filter name unknown groups", args: []string{"describe-security-groups", "--filters", "Name=bogus,Values=x"}, exit: 254, want: `InvalidParameterValue`},
		{name: "filter name unknown enis", args: []string{"describe-network-interfaces", "--filters", "Name=bogus,Values=x"}, exit: 254, want: `InvalidParameterValue`},
		{name: "filter name escape", args: []string{"describe-subnets", "--filters", "Name=" + esc + ",Values=x"}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "filter name 100kB", args: []string{"describe-vpcs", "--filters", "Name=" + huge(kb100, "n") + ",Values=x"}, exit: 254, want: `InvalidParameterValue`},

		// --- names, descriptions, tags: AWS's limits and characters (1) -----
		{name: "tg name with space", as: p, args: []string{"create-target-group", "--name", "bad name", "--protocol", "TCP", "--port", "81", "--vpc-id", "$PVPC"}, exit: 254, want: `ValidationError`},
		{name: "tg name leading hyphen", as: p, args: []string{"create-target-group", "--name", "-tg", "--protocol", "TCP", "--port", "81", "--vpc-id", "$PVPC"}, exit: 254, want: `ValidationError`},
		{name: "tg name 33 chars", as: p, args: []string{"create-target-group", "--name", strings.Repeat("a", 33), "--protocol", "TCP", "--port", "81", "--vpc-id", "$PVPC"}, exit: 254, want: `ValidationError`},
		{name: "tg name escape", as: p, args: []string{"create-target-group", "--name", "tg" + esc, "--protocol", "TCP", "--port", "81", "--vpc-id", "$PVPC"}, exit: 254, want: `ValidationError`, defect: 9},
		{name: "tg name cyrillic", as: p, args: []string{"create-target-group", "--name", "\u0442\u0433", "--protocol", "TCP", "--port", "81", "--vpc-id", "$PVPC"}, exit: 254, want: `ValidationError`},
		{name: "tg protocol HTTP", as: p, args: []string{"create-target-group", "--name", "tg3", "--protocol", "HTTP", "--port", "81", "--vpc-id", "$PVPC"}, exit: 254, want: `ValidationError`},
		{name: "tg target type instance", as: p, args: []string{"create-target-group", "--name", "tg3", "--protocol", "TCP", "--port", "81", "--vpc-id", "$PVPC", "--target-type", "instance"}, exit: 254, want: `ValidationError`},
		{name: "tg duplicate name", as: p, args: []string{"create-target-group", "--name", "tg", "--protocol", "TCP", "--port", "81", "--vpc-id", "$PVPC"}, exit: 254, want: `DuplicateTargetGroupName`},
		{name: "lb name internal-", as: p, args: []string{"create-load-balancer", "--name", "internal-x", "--scheme", "internal", "--subnets", "$PSA"}, exit: 254, want: `ValidationError`},
		{name: "lb type application", as: p, args: []string{"create-load-balancer", "--name", "alb", "--type", "application", "--scheme", "internal", "--subnets", "$PSA"}, exit: 254, want: `ValidationError`},
		{name: "lb scheme bogus", as: p, args: []string{"create-load-balancer", "--name", "nlb3", "--scheme", "bogus", "--subnets", "$PSA"}, exit: 254, want: `ValidationError`},
		{name: "sg name sg-", args: []string{"create-security-group", "--group-name", "sg-x", "--description", "d", "--vpc-id", "$CVPC"}, exit: 254, want: `InvalidParameterValue`},
		{name: "sg name default", args: []string{"create-security-group", "--group-name", "default", "--description", "d", "--vpc-id", "$CVPC"}, exit: 254, want: `InvalidParameterValue`},
		{name: "sg name 256 chars", args: []string{"create-security-group", "--group-name", strings.Repeat("g", 256), "--description", "d", "--vpc-id", "$CVPC"}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "sg description 100kB", args: []string{"create-security-group", "--group-name", "big", "--description", huge(kb100, "d"), "--vpc-id", "$CVPC"}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "sg description escape", args: []string{"create-security-group", "--group-name", "esc", "--description", "a" + esc + "\x1b[2Jb", "--vpc-id", "$CVPC"}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "sg description bell", args: []string{"create-security-group", "--group-name", "bell", "--description", "a\x07b", "--vpc-id", "$CVPC"}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "add-tags value 257 chars", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a,Value=" + strings.Repeat("v", 257)}, exit: 254, want: `ValidationError`},
		{name: "add-tags key 129 chars", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=" + strings.Repeat("k", 129) + ",Value=v"}, exit: 254, want: `ValidationError`},
		{name: "add-tags key aws:", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=aws:x,Value=y"}, exit: 254, want: `ValidationError`},
		{name: "add-tags 51 tags", as: p, args: append([]string{"add-tags", "--resource-arns", "$TG", "--tags"}, tags(51)...), exit: 254, want: `TooManyTags`, defect: 9},
		{name: "add-tags key escape", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a" + esc + ",Value=v"}, exit: 254, want: `ValidationError`, defect: 9},
		{name: "add-tags value escape", as: p, args: []string{"add-tags", "--resource-arns", "$NLB", "--tags", "Key=a,Value=v" + esc}, exit: 254, want: `ValidationError`, defect: 9},
		{name: "add-tags 1MB", as: p, args: append([]string{"add-tags", "--resource-arns", "$NLB", "--tags"}, megaTags...), exit: 254, want: `ValidationError|TooManyTags`},
		{name: "create-listener 51 tags", as: p, args: append([]string{"create-listener", "--load-balancer-arn", "$NLB", "--protocol", "TCP", "--port", "81", "--default-actions", "Type=forward,TargetGroupArn=$TG2", "--tags"}, tags(51)...), exit: 254, want: `TooManyTags|ValidationError`, defect: 9},
		{name: "vpc tag value 100kB", args: []string{"create-vpc", "--cidr-block", "127.67.0.0/16", "--tag-specifications", tagSpec("vpc", 1, "a", huge(kb100, "v"))}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "vpc tag value 257 chars", args: []string{"create-vpc", "--cidr-block", "127.68.0.0/16", "--tag-specifications", tagSpec("vpc", 1, "a", strings.Repeat("v", 257))}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "vpc 51 tags", args: []string{"create-vpc", "--cidr-block", "127.69.0.0/16", "--tag-specifications", tagSpec("vpc", 51, "k", "v")}, exit: 254, want: `TagLimitExceeded|InvalidParameterValue`, defect: 9},
		{name: "vpc 1000 tags", args: []string{"create-vpc", "--cidr-block", "127.70.0.0/16", "--tag-specifications", tagSpec("vpc", 1000, "k", "v")}, exit: 254, want: `TagLimitExceeded|InvalidParameterValue`, defect: 9},
		{name: "vpc tag key escape", args: []string{"create-vpc", "--cidr-block", "127.71.0.0/16", "--tag-specifications", tagSpec("vpc", 1, "a"+esc, "v")}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "vpc tag key aws:", args: []string{"create-vpc", "--cidr-block", "127.72.0.0/16", "--tag-specifications", tagSpec("vpc", 1, "aws:x", "v")}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "vpc tags for a subnet", args: []string{"create-vpc", "--cidr-block", "127.73.0.0/16", "--tag-specifications", tagSpec("subnet", 1, "a", "v")}, exit: 254, want: `InvalidParameterValue`},
		{name: "endpoint tag value bell", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA", "--tag-specifications", tagSpec("vpc-endpoint", 1, "a", "b\x07")}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "service tag value 100kB", as: p, args: []string{"create-endpoint-service", "--network-load-balancer-arns", "$NLB2", "--tag-specifications", tagSpec("vpc-endpoint-service", 1, "a", huge(kb100, "v"))}, exit: 254, want: `InvalidParameterValue`, defect: 9},
		{name: "sg 51 tags", args: []string{"create-security-group", "--group-name", "many", "--description", "d", "--vpc-id", "$CVPC", "--tag-specifications", tagSpec("security-group", 51, "k", "v")}, exit: 254, want: `TagLimitExceeded|InvalidParameterValue`, defect: 9},
		{name: "register 5000 targets", as: p, args: append([]string{"register-targets", "--target-group-arn", "$TG2", "--targets"}, targets(5000)...), exit: 254, want: `TooManyTargets|ValidationError`, defect: 9},

		// --- other enumerations and values (1) -----------------------------
		{name: "endpoint ip address type bogus", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA", "--ip-address-type", "bogus"}, exit: 254, want: `InvalidParameter`},
		{name: "endpoint type Gateway", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA", "--vpc-endpoint-type", "Gateway"}, exit: 254, want: `InvalidParameter`},
		{name: "endpoint dns record type bogus", args: []string{"create-endpoint", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA", "--dns-options", "DnsRecordIpType=bogus"}, exit: 254, want: `InvalidParameter`},
		{name: "service ip type bogus", as: p, args: []string{"create-endpoint-service", "--network-load-balancer-arns", "$NLB2", "--supported-ip-address-types", "ipv5"}, exit: 254, want: `InvalidParameter`},
		{name: "matcher code 999", as: p, args: []string{"modify-target-group", "--target-group-arn", "$TG", "--health-check-protocol", "HTTP", "--matcher", "HttpCode=999"}, exit: 254, want: `ValidationError`},
		{name: "lb attribute unknown", as: p, args: []string{"modify-load-balancer-attributes", "--load-balancer-arn", "$NLB", "--attributes", "Key=bogus,Value=1"}, exit: 254, want: `ValidationError`},
		{name: "tg attribute negative", as: p, args: []string{"modify-target-group-attributes", "--target-group-arn", "$TG", "--attributes", "Key=deregistration_delay.timeout_seconds,Value=-1"}, exit: 254, want: `ValidationError`},
		{name: "listener idle timeout 1", as: p, args: []string{"modify-listener-attributes", "--listener-arn", "$LISTENER", "--attributes", "Key=tcp.idle_timeout.seconds,Value=1"}, exit: 254, want: `ValidationError`},
		{name: "notification ftp", as: p, args: []string{"create-endpoint-connection-notification", "--service-id", "$SVC", "--connection-notification-arn", "ftp://x", "--connection-events", "Connect"}, exit: 254, want: `InvalidParameterValue`},
		{name: "notification event unknown", as: p, args: []string{"create-endpoint-connection-notification", "--service-id", "$SVC", "--connection-notification-arn", "file:///tmp/x", "--connection-events", "Explode"}, exit: 254, want: `InvalidParameterValue`},
		{name: "notification file is a directory", as: p, args: []string{"create-endpoint-connection-notification", "--service-id", "$SVC", "--connection-notification-arn", "file:///tmp", "--connection-events", "Connect"}, exit: 254, want: `InvalidParameterValue`, defect: 8},
		{name: "notification file /dev/full", as: p, args: []string{"create-endpoint-connection-notification", "--service-id", "$SVC", "--connection-notification-arn", "file:///dev/full", "--connection-events", "Connect"}, exit: 254, want: `InvalidParameterValue`, defect: 8},
		{name: "notification file in /proc", as: p, args: []string{"create-endpoint-connection-notification", "--service-id", "$SVC", "--connection-notification-arn", "file:///proc/self/status", "--connection-events", "Connect"}, exit: 254, want: `InvalidParameterValue`, defect: 8},
		{name: "notification file in a missing directory", as: p, args: []string{"create-endpoint-connection-notification", "--service-id", "$SVC", "--connection-notification-arn", "file:///nonexistent-plink-dir/events", "--connection-events", "Connect"}, exit: 254, want: `InvalidParameterValue`, defect: 8},
		{name: "notification url escape", as: p, args: []string{"modify-endpoint-connection-notification", "--connection-notification-id", "$PNOTIF", "--connection-notification-arn", "http://127.0.0.1:1/" + esc}, exit: 254, want: `InvalidParameterValue`, defect: 9},

		// --- usage (2) -----------------------------------------------------
		{name: "output xml", args: []string{"describe-vpcs", "-o", "xml"}, exit: 252, want: `output format`},
		{name: "output escape", args: []string{"describe-vpcs", "-o", "json" + esc}, exit: 252, want: `output format`},
		{name: "query unbalanced", args: []string{"describe-vpcs", "--query", "[[["}, exit: 252, want: `--query`},
		{name: "query 100kB", args: []string{"describe-vpcs", "--query", huge(kb100, "[")}, exit: 252, want: `--query`, defect: 1},
		{name: "unknown flag", args: []string{"describe-vpcs", "--bogus"}, exit: 252, want: `unknown flag`},
		{name: "unknown command", args: []string{"nosuchcommand"}, exit: 252, want: `unknown command`},
		{name: "flag without value", args: []string{"describe-vpcs", "--vpc-ids"}, exit: 252, want: `--vpc-ids`},
		{name: "events interval zero", args: []string{"events", "--watch", "--interval", "0"}, exit: 252, want: `--interval`, defect: 10},
		{name: "events interval negative", args: []string{"events", "--watch", "--interval", "-1s"}, exit: 252, want: `--interval`, defect: 10},
		{name: "events after negative", args: []string{"events", "--after", "-1"}, exit: 252, want: `--after`},
		{name: "private dns both ways", args: []string{"create-endpoint", "--private-dns-enabled", "--no-private-dns-enabled", "--vpc-id", "$CVPC", "--service-name", "$SVCNAME", "--subnet-ids", "$CSA"}, exit: 252, want: `private-dns`},
	}
	return cases
}
