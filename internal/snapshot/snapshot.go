// Package snapshot is the immutable, read-only picture of the store that
// `plink serve` runs from: every VPC, load balancer, target group, endpoint
// service, endpoint and security group, with addresses already parsed and
// names already built. internal/store fills it in one read transaction;
// internal/netstack and internal/dns only read it. A Snapshot is never
// changed after it is built: a change in the store produces a new one, which
// is swapped in whole.
package snapshot

import (
	"net/netip"
	"time"
)

// Snapshot is everything the data plane and the DNS server need.
type Snapshot struct {
	// Revision is the store's change counter when the snapshot was taken.
	Revision int64
	Taken    time.Time

	VPCs           []VPC
	LoadBalancers  []LoadBalancer
	TargetGroups   map[string]*TargetGroup   // by ARN
	Services       map[string]*Service       // by service ID (vpce-svc-...)
	Endpoints      []Endpoint                // every endpoint, whatever its state
	SecurityGroups map[string]*SecurityGroup // by group ID

	// ImpairedZones is not read from the store: serve sets it on its copy
	// for DNS when several hosts serve the zones and a zone's host stopped
	// heartbeating. DNS then leaves the zone's addresses out of regional
	// names, as AWS does with an unhealthy zone.
	ImpairedZones map[string]bool
}

// VPC is a virtual network: its CIDRs decide which addresses belong to it,
// and its resolver address (base + 2) is where its DNS view answers.
type VPC struct {
	ID       string
	Account  string
	Region   string
	CIDR     netip.Prefix
	IPv6CIDR netip.Prefix // zero when the VPC has no IPv6 block
	Resolver netip.Addr   // CIDR base + 2, as the Amazon Route 53 Resolver
	// SecondaryCIDRs are the IPv4 blocks associated after creation.
	SecondaryCIDRs []netip.Prefix
	// NoPrivateDNS is set when the VPC's enableDnsSupport or
	// enableDnsHostnames attribute is off: the private DNS names of its
	// endpoints do not resolve (AWS's private hosted zones need both).
	NoPrivateDNS bool
}

// Contains reports whether a is inside one of the VPC's blocks.
func (v VPC) Contains(a netip.Addr) bool {
	a = a.Unmap()
	if v.CIDR.Contains(a) || v.IPv6CIDR.Contains(a) {
		return true
	}
	for _, p := range v.SecondaryCIDRs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// LoadBalancer is a Network Load Balancer with one node per subnet (zone).
type LoadBalancer struct {
	ARN           string
	Name          string
	Account       string
	Region        string
	VPCID         string
	DNSName       string // name-id.elb.region.amazonaws.com
	IPAddressType string // ipv4 | dualstack
	CrossZone     bool   // load_balancing.cross_zone.enabled
	Nodes         []Node
	Listeners     []Listener
}

// Node is a load balancer's presence in one zone. Targets see connections
// coming from the node's address in the client's zone.
type Node struct {
	Zone     string // us-east-1a
	SubnetID string
	IPv4     netip.Addr
	IPv6     netip.Addr // zero unless the load balancer is dualstack and the subnet has IPv6
}

// Listener forwards one TCP port of a load balancer to a target group.
type Listener struct {
	ARN            string
	Protocol       string // TCP
	Port           uint16
	TargetGroupARN string
	IdleTimeout    time.Duration // tcp.idle_timeout.seconds, default 350 s
}

// TargetGroup is a set of IP targets with a health check.
type TargetGroup struct {
	ARN                 string
	Name                string
	Account             string
	VPCID               string
	Protocol            string // TCP
	Port                uint16
	ProxyProtocolV2     bool          // proxy_protocol_v2.enabled
	DeregistrationDelay time.Duration // deregistration_delay.timeout_seconds, default 300 s
	// CrossZone is the target group's load_balancing.cross_zone.enabled:
	// "true", "false" or "use_load_balancer_configuration" (the default).
	CrossZone   string
	HealthCheck HealthCheck
	Targets     []Target
}

// HealthCheck is a target group's active health check, NLB defaults filled in.
type HealthCheck struct {
	Enabled            bool
	Protocol           string // TCP | HTTP
	Port               string // "traffic-port" or a port number
	Path               string // HTTP only, default "/"
	Matcher            string // HTTP codes, default "200-399"
	Interval           time.Duration
	Timeout            time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
}

// Target is one registered IP target.
type Target struct {
	IP   netip.Addr
	Port uint16
	// Zone is the target's availability zone: the zone of the VPC subnet
	// that holds IP, or "all" for targets outside the VPC or registered with
	// AvailabilityZone=all (they serve every zone).
	Zone string
	// DeregisteredAt is set while the target drains: no new connections;
	// existing ones may run until DeregisteredAt + the group's delay.
	DeregisteredAt time.Time
	// Health is the last state written to the store (initial, healthy,
	// unhealthy, draining, unused); serve keeps its own live view.
	Health string
}

// Draining reports whether the target has been deregistered.
func (t Target) Draining() bool { return !t.DeregisteredAt.IsZero() }

// Service is an endpoint service (provider side).
type Service struct {
	ID                 string // vpce-svc-...
	Name               string // com.amazonaws.vpce.<region>.vpce-svc-...
	Account            string
	Region             string
	State              string // Available, ...
	LoadBalancerARNs   []string
	SupportedIPv4      bool
	SupportedIPv6      bool
	PrivateDNSName     string // may be a wildcard such as *.example.com
	PrivateDNSVerified bool   // PrivateDnsNameConfiguration.State == verified
}

// Endpoint is an interface endpoint (consumer side).
type Endpoint struct {
	ID                string // vpce-...
	Account           string
	Region            string
	VPCID             string
	ServiceID         string
	State             string // pendingAcceptance | pending | available | rejected | deleting | deleted | failed | expired
	IPAddressType     string // ipv4 | dualstack | ipv6
	DNSRecordIPType   string // ipv4 | dualstack | ipv6 | service-defined
	PrivateDNSEnabled bool
	RegionalDNSName   string // vpce-<id>-<suffix>.vpce-svc-<id>.<region>.vpce.amazonaws.com
	SecurityGroupIDs  []string
	ENIs              []ENI
}

// Available reports whether traffic may flow through the endpoint.
func (e Endpoint) Available() bool { return e.State == "available" }

// ENI is one endpoint network interface, one per subnet (zone).
type ENI struct {
	ID           string // eni-...
	SubnetID     string
	Zone         string
	IPv4         netip.Addr // zero for an IPv6-only endpoint
	IPv6         netip.Addr // zero for an IPv4-only endpoint
	ZonalDNSName string     // vpce-<id>-<suffix>-<zone>.vpce-svc-<id>.<region>.vpce.amazonaws.com
}

// SecurityGroup is a set of inbound rules; a connection is allowed when any
// rule of any of the endpoint's groups allows it.
type SecurityGroup struct {
	ID    string
	VPCID string
	Rules []Rule
}

// Rule allows inbound traffic from Prefix to ports FromPort..ToPort.
// Protocol is "tcp" or "-1" (all); for "-1" the ports are ignored.
type Rule struct {
	Protocol string
	FromPort int
	ToPort   int
	Prefix   netip.Prefix
}

// Allows reports whether the rule admits a TCP connection from src to port.
func (r Rule) Allows(src netip.Addr, port uint16) bool {
	if r.Protocol != "-1" && r.Protocol != "tcp" && r.Protocol != "6" {
		return false
	}
	if !r.Prefix.Contains(src.Unmap()) {
		return false
	}
	return r.Protocol == "-1" || (int(port) >= r.FromPort && int(port) <= r.ToPort)
}

// HealthReport is one target's health as the data plane observed it, to be
// written back to the store for describe-target-health.
type HealthReport struct {
	TargetGroupARN string
	IP             netip.Addr
	Port           uint16
	State          string // initial | healthy | unhealthy | draining | unused
	Reason         string // Elb.InitialHealthChecking, Target.FailedHealthChecks, ...
	Description    string
}
