// Package names owns the formats AWS gives its identifiers: resource IDs
// (prefix + 17 lowercase hex), ARNs, zone names and IDs, and the DNS names of
// endpoint services, endpoints and load balancers. The control plane and the
// store build names only through it, so both always agree.
package names

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Resource ID prefixes.
const (
	VPC           = "vpc"
	Subnet        = "subnet"
	SecurityGroup = "sg"
	SGRule        = "sgr"
	ENI           = "eni"
	Service       = "vpce-svc"
	Endpoint      = "vpce"
	Notification  = "vpce-nfn"
)

// NewID returns prefix-<17 lowercase hex>.
func NewID(prefix string) string {
	return prefix + "-" + RandomHex(17)
}

// RandomHex returns n random lowercase hex digits.
func RandomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux or darwin
	}
	return hex.EncodeToString(b)[:n]
}

// RandomAlnum returns n random characters from [a-z0-9].
func RandomAlnum(n int) string {
	const set = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = set[int(b[i])%len(set)]
	}
	return string(b)
}

// idREs is filled once at package load and only read afterwards.
var idREs = func() map[string]*regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	for _, p := range []string{VPC, Subnet, SecurityGroup, SGRule, ENI, Service, Endpoint, Notification} {
		m[p] = idRE(p)
	}
	return m
}()

func idRE(prefix string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `-([0-9a-f]{8}|[0-9a-f]{17})$`)
}

// ValidID reports whether id is prefix-<8 or 17 lowercase hex> (8 for legacy IDs).
func ValidID(prefix, id string) bool {
	re, ok := idREs[prefix]
	if !ok {
		re = idRE(prefix)
	}
	return re.MatchString(id)
}

// Zones are the availability zone letters every region has here.
var Zones = []string{"a", "b", "c"}

// ZoneID returns the zone ID of a zone name, e.g. us-east-1a -> use1-az1,
// ap-southeast-2b -> apse2-az2.
func ZoneID(zone string) string {
	if len(zone) < 2 {
		return ""
	}
	region, letter := zone[:len(zone)-1], zone[len(zone)-1]
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return ""
	}
	short := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		switch p {
		case "southeast":
			short += "se"
		case "northeast":
			short += "ne"
		default:
			short += p[:1]
		}
	}
	return fmt.Sprintf("%s%s-az%d", short, parts[len(parts)-1], int(letter-'a')+1)
}

// ServiceName is com.amazonaws.vpce.<region>.<service ID>.
func ServiceName(region, serviceID string) string {
	return "com.amazonaws.vpce." + region + "." + serviceID
}

// ServiceIDFromName extracts the service ID from a service name, "" if the
// name is not one of a custom endpoint service in region.
func ServiceIDFromName(region, name string) string {
	prefix := "com.amazonaws.vpce." + region + "."
	if !strings.HasPrefix(name, prefix) {
		return ""
	}
	id := strings.TrimPrefix(name, prefix)
	if !ValidID(Service, id) {
		return ""
	}
	return id
}

// ServiceBaseDNSName is <service ID>.<region>.vpce.amazonaws.com.
func ServiceBaseDNSName(region, serviceID string) string {
	return serviceID + "." + region + ".vpce.amazonaws.com"
}

// EndpointDNSName is the endpoint's regional name, or its zonal name when
// zone is not empty: <vpce-id>-<suffix>[-<zone>].<service base name>.
func EndpointDNSName(endpointID, suffix, zone, region, serviceID string) string {
	label := endpointID + "-" + suffix
	if zone != "" {
		label += "-" + zone
	}
	return label + "." + ServiceBaseDNSName(region, serviceID)
}

// HostedZoneID is the Route 53 zone of <region>.vpce.amazonaws.com.
func HostedZoneID(region string) string {
	known := map[string]string{"us-east-1": "Z7HUB22UULQXV", "us-east-2": "ZC8PG0KIFKBRI"}
	if z, ok := known[region]; ok {
		return z
	}
	return "Z" + strings.ToUpper(hex.EncodeToString([]byte(region)))[:12]
}

// LoadBalancerARN is arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/net/<name>/<16 hex>.
func LoadBalancerARN(region, account, name, id string) string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/%s/%s", region, account, name, id)
}

// TargetGroupARN is arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex>.
func TargetGroupARN(region, account, name, id string) string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", region, account, name, id)
}

// ListenerARN is the load balancer ARN with "loadbalancer" replaced by
// "listener" and a listener ID appended.
func ListenerARN(lbARN, id string) string {
	return strings.Replace(lbARN, ":loadbalancer/", ":listener/", 1) + "/" + id
}

// LoadBalancerDNSName is <name>-<id>.elb.<region>.amazonaws.com.
func LoadBalancerDNSName(name, id, region string) string {
	return fmt.Sprintf("%s-%s.elb.%s.amazonaws.com", name, id, region)
}

// RootPrincipal is arn:aws:iam::<account>:root.
func RootPrincipal(account string) string { return "arn:aws:iam::" + account + ":root" }

// IAM's rules for the names in a principal ARN (IAM User Guide, "IAM
// object quotas": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html,
// and the CreateUser / CreateRole API references): user and role names are
// 1-64 characters of [A-Za-z0-9+=,.@_-]; a path is "/" or 1-512 characters
// starting and ending with "/", each of ! (0x21) through ~ (0x7E).
const (
	MaxIAMNameLen = 64
	MaxIAMPathLen = 512
)

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	iamNameRE = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
)

// ValidAccount reports whether s is an AWS account ID: 12 digits.
func ValidAccount(s string) bool { return accountRE.MatchString(s) }

// ValidRegion reports whether s is spelled as an AWS region name
// (us-east-1, ap-southeast-2, us-gov-west-1).
func ValidRegion(s string) bool { return len(s) <= 32 && regionRE.MatchString(s) }

// Principal is an IAM principal ARN taken apart.
type Principal struct {
	Account string
	Kind    string // "root", "user" or "role"
	Path    string // "/" or /a/b/ for users and roles; "" for root
	Name    string // the user or role name; "" for root
}

// ParsePrincipal takes apart an IAM principal ARN of an account root, an
// IAM user or an IAM role:
//
//	arn:aws:iam::123456789012:root
//	arn:aws:iam::123456789012:user/[path/]name
//	arn:aws:iam::123456789012:role/[path/]name
//
// Anything else is an error that says what is wrong with it: other
// partitions and services, STS session ARNs (assumed-role), names or paths
// that IAM would not accept.
func ParsePrincipal(arn string) (Principal, error) {
	const prefix = "arn:aws:iam::"
	if strings.HasPrefix(arn, "arn:aws:sts::") {
		return Principal{}, fmt.Errorf("an STS session ARN is not an IAM principal: use the role's ARN, arn:aws:iam::<account>:role/<name>")
	}
	if !strings.HasPrefix(arn, prefix) {
		return Principal{}, fmt.Errorf("expected an IAM ARN such as arn:aws:iam::123456789012:root")
	}
	account, resource, ok := strings.Cut(arn[len(prefix):], ":")
	if !ok || !ValidAccount(account) {
		return Principal{}, fmt.Errorf("the account of an IAM ARN is 12 digits")
	}
	if resource == "root" {
		return Principal{Account: account, Kind: "root"}, nil
	}
	kind, rest, ok := strings.Cut(resource, "/")
	if !ok || (kind != "user" && kind != "role") {
		return Principal{Account: account}, fmt.Errorf("an IAM principal is the account's root, a user/ or a role/")
	}
	i := strings.LastIndexByte(rest, '/')
	path, name := "/"+rest[:i+1], rest[i+1:]
	if !iamNameRE.MatchString(name) {
		return Principal{Account: account}, fmt.Errorf("an IAM %s name is 1 to %d characters of A-Z a-z 0-9 + = , . @ _ -", kind, MaxIAMNameLen)
	}
	if len(path) > MaxIAMPathLen || path == "//" || strings.IndexFunc(path, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return Principal{Account: account}, fmt.Errorf("an IAM path is up to %d characters from ! to ~, between slashes", MaxIAMPathLen)
	}
	return Principal{Account: account, Kind: kind, Path: path, Name: name}, nil
}

// PrincipalAccount returns the account of an IAM principal ARN and whether
// the ARN is well formed (see ParsePrincipal).
func PrincipalAccount(arn string) (string, bool) {
	p, err := ParsePrincipal(arn)
	if err != nil {
		return "", false
	}
	return p.Account, true
}
