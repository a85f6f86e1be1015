package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/plink-dev/plink/test/testenv"
)

// service is a provider's published NLB: target group, load balancer,
// listener on Port, endpoint service, permission for the consumer.
type service struct {
	e       *env
	VPC     string
	Subnets []string // the subnets of the load balancer, zone order
	TG      string
	NLB     string
	ID      string
	Name    string
	Port    int
}

// serviceSpec says how to build a service.
type serviceSpec struct {
	Targets    []string // register-targets arguments, e.g. Id=127.0.0.1,Port=9000
	PPv2       bool
	Acceptance bool     // require acceptance (else --no-acceptance-required)
	TGArgs     []string // extra create-target-group flags (health checks)
	// VPC and Subnets, when set, hold the load balancer (default: the
	// provider's default VPC and all its subnets).
	VPC        string
	Subnets    []string
	LBArgs     []string // extra create-load-balancer flags
	TGVPC      string   // VPC of the target group (default VPC)
	SvcArgs    []string // extra create-endpoint-service flags
	NoConsumer bool     // do not allow the consumer
}

// newService builds a provider service as the README's story does.
func (e *env) newService(spec serviceSpec) *service {
	e.t.Helper()
	s := &service{e: e, Port: testenv.FreePort(e.t)}
	s.VPC = spec.VPC
	if s.VPC == "" {
		s.VPC = e.text(provider, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	}
	s.Subnets = spec.Subnets
	if len(s.Subnets) == 0 {
		s.Subnets = e.subnets(provider, s.VPC)
	}
	tgVPC := spec.TGVPC
	if tgVPC == "" {
		tgVPC = s.VPC
	}
	s.TG = e.text(provider, "TargetGroups[0].TargetGroupArn", append([]string{"create-target-group",
		"--name", "tg-" + strconv.Itoa(s.Port), "--protocol", "TCP", "--port", "9", "--vpc-id", tgVPC, "--target-type", "ip"},
		spec.TGArgs...)...)
	if len(spec.Targets) > 0 {
		e.plink(provider, append([]string{"register-targets", "--target-group-arn", s.TG, "--targets"}, spec.Targets...)...)
	}
	if spec.PPv2 {
		e.plink(provider, "modify-target-group-attributes", "--target-group-arn", s.TG,
			"--attributes", "Key=proxy_protocol_v2.enabled,Value=true")
	}
	s.NLB = e.text(provider, "LoadBalancers[0].LoadBalancerArn", append(append([]string{"create-load-balancer",
		"--name", "nlb-" + strconv.Itoa(s.Port), "--type", "network", "--scheme", "internal", "--subnets"}, s.Subnets...),
		spec.LBArgs...)...)
	e.plink(provider, "create-listener", "--load-balancer-arn", s.NLB, "--protocol", "TCP",
		"--port", strconv.Itoa(s.Port), "--default-actions", "Type=forward,TargetGroupArn="+s.TG)
	acc := "--no-acceptance-required"
	if spec.Acceptance {
		acc = "--acceptance-required"
	}
	s.ID = e.text(provider, "ServiceConfiguration.ServiceId", append([]string{"create-endpoint-service",
		"--network-load-balancer-arns", s.NLB, acc}, spec.SvcArgs...)...)
	s.Name = e.text(provider, "ServiceConfigurations[0].ServiceName",
		"describe-endpoint-service-configurations", "--service-ids", s.ID)
	if !spec.NoConsumer {
		e.plink(provider, "modify-endpoint-service-permissions", "--service-id", s.ID,
			"--add-allowed-principals", "arn:aws:iam::"+consumer+":root")
	}
	return s
}

// subnets lists a VPC's subnet IDs in zone order.
func (e *env) subnets(account, vpc string) []string {
	e.t.Helper()
	var out struct {
		Subnets []struct {
			SubnetID         string `json:"SubnetId"`
			VpcID            string `json:"VpcId"`
			AvailabilityZone string
		}
	}
	e.json(account, &out, "describe-subnets")
	byZone := map[string]string{}
	var zones []string
	for _, s := range out.Subnets {
		if s.VpcID == vpc {
			byZone[s.AvailabilityZone] = s.SubnetID
			zones = append(zones, s.AvailabilityZone)
		}
	}
	sort.Strings(zones)
	var ids []string
	for _, z := range zones {
		ids = append(ids, byZone[z])
	}
	if len(ids) == 0 {
		e.t.Fatalf("VPC %s has no subnets", vpc)
	}
	return ids
}

// endpoint is a consumer's interface endpoint.
type endpoint struct {
	ID    string
	VPC   string
	State string
	// ENIs by zone name (us-east-1a...): IPv4 and IPv6 addresses.
	IPv4    map[string]netip.Addr
	IPv6    map[string]netip.Addr
	DNS     []string // DnsEntries[].DnsName: regional first, then zonal
	Entries []string
}

// createEndpoint creates a consumer endpoint to svc in the consumer's
// default VPC (all subnets) unless args name --vpc-id / --subnet-ids.
func (e *env) createEndpoint(svc *service, args ...string) *endpoint {
	e.t.Helper()
	all := []string{"create-endpoint", "--service-name", svc.Name}
	if !contains(args, "--vpc-id") {
		vpc := e.text(consumer, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
		all = append(all, "--vpc-id", vpc, "--subnet-ids")
		all = append(all, e.subnets(consumer, vpc)...)
	}
	all = append(all, args...)
	id := e.text(consumer, "VpcEndpoint.VpcEndpointId", all...)
	return e.endpoint(id)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// endpoint describes an endpoint and its network interfaces.
func (e *env) endpoint(id string) *endpoint {
	e.t.Helper()
	var eps struct {
		VpcEndpoints []struct {
			VpcEndpointID       string `json:"VpcEndpointId"`
			VpcID               string `json:"VpcId"`
			State               string
			NetworkInterfaceIds []string
			DNSEntries          []struct {
				DNSName string `json:"DnsName"`
			} `json:"DnsEntries"`
		}
	}
	e.json(consumer, &eps, "describe-endpoints", "--vpc-endpoint-ids", id)
	if len(eps.VpcEndpoints) != 1 {
		e.t.Fatalf("describe-endpoints %s: %d endpoints", id, len(eps.VpcEndpoints))
	}
	v := eps.VpcEndpoints[0]
	ep := &endpoint{ID: id, VPC: v.VpcID, State: v.State, IPv4: map[string]netip.Addr{}, IPv6: map[string]netip.Addr{}}
	for _, d := range v.DNSEntries {
		ep.DNS = append(ep.DNS, d.DNSName)
	}
	var enis struct {
		NetworkInterfaces []struct {
			NetworkInterfaceID string `json:"NetworkInterfaceId"`
			AvailabilityZone   string
			PrivateIPAddress   string `json:"PrivateIpAddress"`
			Ipv6Addresses      []struct{ Ipv6Address string }
		}
	}
	e.json(consumer, &enis, "describe-network-interfaces")
	for _, n := range enis.NetworkInterfaces {
		if !contains(v.NetworkInterfaceIds, n.NetworkInterfaceID) {
			continue
		}
		if n.PrivateIPAddress != "" {
			ep.IPv4[n.AvailabilityZone] = netip.MustParseAddr(n.PrivateIPAddress)
		}
		if len(n.Ipv6Addresses) > 0 {
			ep.IPv6[n.AvailabilityZone] = netip.MustParseAddr(n.Ipv6Addresses[0].Ipv6Address)
		}
	}
	if len(ep.IPv4)+len(ep.IPv6) == 0 {
		e.t.Fatalf("endpoint %s has no network interface addresses", id)
	}
	return ep
}

// addr is the endpoint's IPv4 address in zone (a, b, c) with the port.
func (ep *endpoint) addr(t *testing.T, zone string, port int) string {
	t.Helper()
	a, ok := ep.IPv4["us-east-1"+zone]
	if !ok {
		t.Fatalf("endpoint %s has no IPv4 ENI in zone %s: %v", ep.ID, zone, ep.IPv4)
	}
	return net.JoinHostPort(a.String(), strconv.Itoa(port))
}

// nodes returns a load balancer's node IPv4 addresses by zone.
func (e *env) nodes(nlb string) map[string]netip.Addr {
	e.t.Helper()
	var out struct {
		LoadBalancers []struct {
			AvailabilityZones []struct {
				ZoneName              string
				LoadBalancerAddresses []struct {
					IPAddress string `json:"IpAddress"`
				}
			}
		}
	}
	e.json(provider, &out, "describe-load-balancers", "--load-balancer-arns", nlb)
	m := map[string]netip.Addr{}
	for _, z := range out.LoadBalancers[0].AvailabilityZones {
		for _, a := range z.LoadBalancerAddresses {
			if ip, err := netip.ParseAddr(a.IPAddress); err == nil && ip.Is4() {
				m[z.ZoneName] = ip
			}
		}
	}
	return m
}

// targetHealth is one describe-target-health entry.
type targetHealth struct {
	Target struct {
		ID               string `json:"Id"`
		Port             int
		AvailabilityZone string
	}
	TargetHealth struct {
		State       string
		Reason      string
		Description string
	}
}

func (e *env) targetHealth(tg string) []targetHealth {
	e.t.Helper()
	var out struct{ TargetHealthDescriptions []targetHealth }
	e.json(provider, &out, "describe-target-health", "--target-group-arn", tg)
	return out.TargetHealthDescriptions
}

// waitHealth waits until every target of tg is in one of the states in
// want (keyed "ip:port"; a key absent from want is not checked).
func (e *env) waitHealth(tg string, want map[string]string) {
	e.t.Helper()
	testenv.Eventually(e.t, healthWait, func() error {
		got := map[string]string{}
		for _, h := range e.targetHealth(tg) {
			got[fmt.Sprintf("%s:%d", h.Target.ID, h.Target.Port)] = h.TargetHealth.State
		}
		for k, w := range want {
			if got[k] != w {
				return fmt.Errorf("target health %v, want %v", got, want)
			}
		}
		return nil
	})
}

// fastHealth are create-target-group flags for the quickest checks plink
// allows: every 5 s, 2 s timeout, 2 failures to turn unhealthy.
var fastHealth = []string{"--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
	"--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2"}

// healthWait bounds waiting for a health change with fastHealth: two
// failed checks 5 s apart plus slack.
const healthWait = 20 * time.Second
