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

var principalRE = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):(root|(user|role|assumed-role)/[\w+=,.@/-]+)$`)

// PrincipalAccount returns the account of an IAM principal ARN and whether
// the ARN is well formed.
func PrincipalAccount(arn string) (string, bool) {
	m := principalRE.FindStringSubmatch(arn)
	if m == nil {
		return "", false
	}
	return m[1], true
}
