package control

import (
	"context"
	"encoding/hex"
	"errors"
	"hash/fnv"
	"net/netip"
	"slices"
	"strings"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// LoadBalancer is the elbv2 LoadBalancer shape.
type LoadBalancer struct {
	LoadBalancerARN       string               `json:"LoadBalancerArn"`
	DNSName               string               `json:"DNSName"`
	CanonicalHostedZoneID string               `json:"CanonicalHostedZoneId"`
	CreatedTime           string               `json:"CreatedTime"`
	LoadBalancerName      string               `json:"LoadBalancerName"`
	Scheme                string               `json:"Scheme"`
	VpcID                 string               `json:"VpcId"`
	State                 LoadBalancerState    `json:"State"`
	Type                  string               `json:"Type"`
	AvailabilityZones     []LBAvailabilityZone `json:"AvailabilityZones"`
	IPAddressType         string               `json:"IpAddressType"`
}

// LoadBalancerState is {"Code": "active"}.
type LoadBalancerState struct {
	Code   string `json:"Code"`
	Reason string `json:"Reason,omitempty"`
}

// LBAvailabilityZone is one zone of a load balancer: its subnet and node
// addresses (elbv2 AvailabilityZone).
type LBAvailabilityZone struct {
	ZoneName              string                `json:"ZoneName"`
	SubnetID              string                `json:"SubnetId"`
	LoadBalancerAddresses []LoadBalancerAddress `json:"LoadBalancerAddresses"`
}

// LoadBalancerAddress is a node's addresses in one zone.
type LoadBalancerAddress struct {
	IPAddress          string `json:"IpAddress,omitempty"`
	PrivateIPv4Address string `json:"PrivateIPv4Address,omitempty"`
	IPv6Address        string `json:"IPv6Address,omitempty"`
}

// SubnetMapping is one --subnet-mappings entry.
type SubnetMapping struct {
	SubnetID           string `json:"SubnetId"`
	AllocationID       string `json:"AllocationId,omitempty"`
	PrivateIPv4Address string `json:"PrivateIPv4Address,omitempty"`
	IPv6Address        string `json:"IPv6Address,omitempty"`
}

// LoadBalancersOutput is {"LoadBalancers": [...]}.
type LoadBalancersOutput struct {
	LoadBalancers []LoadBalancer `json:"LoadBalancers"`
}

// CreateLoadBalancerInput is elbv2 create-load-balancer.
//
// SecurityGroups is refused when not empty (ValidationError): plink's load
// balancers filter no traffic, and taking groups it does not enforce would
// open what the caller meant to close. CustomerOwnedIpv4Pool is refused
// when given (ValidationError): it is for Application Load Balancers on
// Outposts.
type CreateLoadBalancerInput struct {
	Name                  string          `json:"Name" aws:"required"`
	Subnets               []string        `json:"Subnets"`
	SubnetMappings        []SubnetMapping `json:"SubnetMappings"`
	SecurityGroups        []string        `json:"SecurityGroups"`
	CustomerOwnedIpv4Pool string          `json:"CustomerOwnedIpv4Pool"`
	Scheme                string          `json:"Scheme"` // internet-facing (default) | internal
	Tags                  []ELBTag        `json:"Tags"`
	Type                  string          `json:"Type"`          // network (the default here; AWS defaults to application)
	IPAddressType         string          `json:"IpAddressType"` // ipv4 (default) | dualstack
}

// CreateLoadBalancerOutput is {"LoadBalancers": [...]}.
type CreateLoadBalancerOutput LoadBalancersOutput

// CreateLoadBalancer creates a Network Load Balancer with one node per
// subnet, each with a real address of its subnet. Creating one again with
// the same settings returns the existing one, as AWS does.
func (a *API) CreateLoadBalancer(ctx context.Context, in *CreateLoadBalancerInput) (*CreateLoadBalancerOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.createLoadBalancer(ctx, in)
	return (*CreateLoadBalancerOutput)(out), err
}

func (a *API) createLoadBalancer(ctx context.Context, in *CreateLoadBalancerInput) (*LoadBalancersOutput, error) {
	if err := elbCheckName("load balancer", in.Name); err != nil {
		return nil, err
	}
	switch in.Type {
	case "", "network":
	case "application", "gateway":
		return nil, elbValidation("Load balancer type '%s' is not supported: plink has only network load balancers (--type network)", in.Type)
	default:
		return nil, elbValidation("Load balancer type '%s' is not valid: it must be network", in.Type)
	}
	scheme := in.Scheme
	switch scheme {
	case "":
		scheme = "internet-facing"
	case "internet-facing", "internal":
	default:
		return nil, elbValidation("Scheme '%s' is not valid: it must be internet-facing or internal", in.Scheme)
	}
	ipType := in.IPAddressType
	switch ipType {
	case "":
		ipType = "ipv4"
	case "ipv4", "dualstack":
	case "dualstack-without-public-ipv4":
		return nil, elbValidation("IP address type 'dualstack-without-public-ipv4' is not supported for network load balancers")
	default:
		return nil, elbValidation("IP address type '%s' is not valid: it must be ipv4 or dualstack", in.IPAddressType)
	}
	if len(in.Subnets) > 0 && len(in.SubnetMappings) > 0 {
		return nil, elbValidation("Subnets and subnet mappings cannot be specified together")
	}
	maps := in.SubnetMappings
	for _, s := range in.Subnets {
		maps = append(maps, SubnetMapping{SubnetID: s})
	}
	if len(maps) == 0 {
		return nil, elbValidation("At least one subnet must be specified (--subnets or --subnet-mappings)")
	}
	if len(in.SecurityGroups) > 0 {
		return nil, elbValidation("Security groups are not supported by plink's network load balancers: they filter no traffic (an endpoint's security groups do)")
	}
	if in.CustomerOwnedIpv4Pool != "" {
		return nil, elbValidation("A customer-owned IPv4 pool can be specified only for an Application Load Balancer on Outposts")
	}
	for _, m := range maps {
		if m.AllocationID != "" {
			return nil, elbValidation("Elastic IP allocations (AllocationId) are not supported by plink: every node gets an address of its subnet")
		}
		if m.PrivateIPv4Address != "" && scheme != "internal" {
			return nil, elbValidation("A private IPv4 address can be specified only for an internal load balancer")
		}
		if m.IPv6Address != "" && ipType != "dualstack" {
			return nil, elbValidation("An IPv6 address can be specified only for a dualstack load balancer")
		}
	}
	tags, err := elbTags(in.Tags)
	if err != nil {
		return nil, err
	}
	var out *LoadBalancersOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		subnets, err := a.elbSubnets(tx, maps, ipType)
		if err != nil {
			return err
		}
		taken, err := tx.LoadBalancerNameTaken(a.caller.Account, a.caller.Region, in.Name)
		if err != nil {
			return err
		}
		if taken {
			lbs, err := tx.LoadBalancers(a.caller.Account, a.caller.Region, nil, []string{in.Name})
			if err != nil {
				return err
			}
			if len(lbs) == 1 && elbSameLB(lbs[0], scheme, ipType, maps) {
				out = &LoadBalancersOutput{LoadBalancers: []LoadBalancer{a.elbLBView(lbs[0])}}
				return nil
			}
			return Errorf(ErrCodeDuplicateLoadBalancerName, "A load balancer with the same name '%s' exists, but with different settings", in.Name)
		}
		id := names.RandomHex(16)
		arn := names.LoadBalancerARN(a.caller.Region, a.caller.Account, in.Name, id)
		dns := names.LoadBalancerDNSName(in.Name, id, a.caller.Region)
		if scheme == "internal" {
			dns = "internal-" + dns
		}
		lb := store.LoadBalancer{ARN: arn, Name: in.Name, Account: a.caller.Account, Region: a.caller.Region,
			VPCID: subnets[0].VPCID, Scheme: scheme, IPAddressType: ipType, DNSName: dns, State: StateLoadBalancerActive,
			CreatedAt: timestamp(a.now())}
		for i, s := range subnets {
			n := store.LBNode{LBARN: arn, SubnetID: s.ID, Zone: s.Zone}
			if n.IPv4, err = elbNodeAddress(tx, s, s.CIDR, maps[i].PrivateIPv4Address, arn); err != nil {
				return err
			}
			if ipType == "dualstack" {
				if n.IPv6, err = elbNodeAddress(tx, s, s.IPv6CIDR, maps[i].IPv6Address, arn); err != nil {
					return err
				}
			}
			lb.Nodes = append(lb.Nodes, n)
		}
		if err := tx.InsertLoadBalancer(lb); err != nil {
			return err
		}
		if err := putTags(tx, arn, tags, ErrCodeTooManyTags); err != nil {
			return err
		}
		slices.SortFunc(lb.Nodes, func(x, y store.LBNode) int { return strings.Compare(x.Zone, y.Zone) })
		out = &LoadBalancersOutput{LoadBalancers: []LoadBalancer{a.elbLBView(lb)}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// elbSubnets loads the subnets of the mappings: the caller's, in one VPC,
// one per zone, with the address families the IP address type needs.
func (a *API) elbSubnets(tx *store.Tx, maps []SubnetMapping, ipType string) ([]store.Subnet, error) {
	var out []store.Subnet
	zones := map[string]string{}
	for _, m := range maps {
		s, err := tx.Subnet(m.SubnetID)
		if !names.ValidID(names.Subnet, m.SubnetID) || errors.Is(err, store.ErrNotFound) ||
			(err == nil && (s.Account != a.caller.Account || s.Region != a.caller.Region)) {
			return nil, Errorf(ErrCodeSubnetNotFound, "The subnet ID '%s' does not exist", m.SubnetID)
		}
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && s.VPCID != out[0].VPCID {
			return nil, Errorf(ErrCodeInvalidConfigurationRequest, "All subnets must belong to the same VPC: '%s' is in %s, '%s' in %s",
				out[0].ID, out[0].VPCID, s.ID, s.VPCID)
		}
		if prev, dup := zones[s.Zone]; dup {
			return nil, Errorf(ErrCodeInvalidConfigurationRequest, "A load balancer cannot be attached to multiple subnets in the same Availability Zone (%s and %s are both in %s)", prev, s.ID, s.Zone)
		}
		zones[s.Zone] = s.ID
		if !s.CIDR.IsValid() {
			return nil, elbValidation("Subnet '%s' has no IPv4 CIDR block: a network load balancer needs one in every subnet", s.ID)
		}
		if ipType == "dualstack" && !s.IPv6CIDR.IsValid() {
			return nil, elbValidation("IP address type 'dualstack' needs an IPv6 CIDR block on every subnet, and subnet '%s' has none", s.ID)
		}
		out = append(out, s)
	}
	return out, nil
}

// elbNodeAddress reserves want in the subnet block p, or the lowest free
// address when want is empty.
func elbNodeAddress(tx *store.Tx, s store.Subnet, p netip.Prefix, want, owner string) (netip.Addr, error) {
	if want == "" {
		addr, err := tx.AllocateAddress(s.ID, p, owner)
		if err != nil {
			return netip.Addr{}, Errorf(ErrCodeInvalidConfigurationRequest, "No free address is left in subnet '%s'", s.ID)
		}
		return addr, nil
	}
	addr, err := netip.ParseAddr(want)
	if err != nil || addr.Is4() != p.Addr().Is4() {
		return netip.Addr{}, elbValidation("The IP address '%s' is not a valid address for subnet '%s'", want, s.ID)
	}
	if err := tx.ReserveAddress(s.ID, p, addr, owner); err != nil {
		return netip.Addr{}, Errorf(ErrCodeInvalidConfigurationRequest, "The IP address '%s' cannot be used in subnet '%s': %v", want, s.ID, err)
	}
	return addr, nil
}

// elbSameLB reports whether an existing load balancer has the settings of
// a repeated create call.
func elbSameLB(lb store.LoadBalancer, scheme, ipType string, maps []SubnetMapping) bool {
	if lb.Scheme != scheme || lb.IPAddressType != ipType || len(lb.Nodes) != len(maps) {
		return false
	}
	have := map[string]bool{}
	for _, n := range lb.Nodes {
		have[n.SubnetID] = true
	}
	for _, m := range maps {
		if !have[m.SubnetID] {
			return false
		}
	}
	return true
}

// elbHostedZoneID is the Route 53 zone of network load balancer names in
// a region (AWS's published IDs where known).
func elbHostedZoneID(region string) string {
	known := map[string]string{
		"us-east-1": "Z26RNL4JYFTOTI", "us-east-2": "ZLMOA37VPKANP", "us-west-1": "Z24FKFUX50B4VW",
		"us-west-2": "Z18D5FSROUN65G", "eu-west-1": "Z2IFOLAFXWLO4F", "eu-central-1": "Z3F0SRJ5LGBH90",
		"ap-northeast-1": "Z31USIVHYNEOWT", "ap-southeast-2": "ZCT6FZBF4DROD",
	}
	if z, ok := known[region]; ok {
		return z
	}
	h := fnv.New64a()
	h.Write([]byte("elb." + region))
	return "Z" + strings.ToUpper(hex.EncodeToString(h.Sum(nil)))[:13]
}

func (a *API) elbLBView(lb store.LoadBalancer) LoadBalancer {
	out := LoadBalancer{LoadBalancerARN: lb.ARN, DNSName: lb.DNSName, CanonicalHostedZoneID: elbHostedZoneID(lb.Region),
		CreatedTime: lb.CreatedAt, LoadBalancerName: lb.Name, Scheme: lb.Scheme, VpcID: lb.VPCID,
		State: LoadBalancerState{Code: lb.State}, Type: "network", IPAddressType: lb.IPAddressType,
		AvailabilityZones: []LBAvailabilityZone{}}
	for _, n := range lb.Nodes {
		addr := LoadBalancerAddress{IPAddress: n.IPv4.String()}
		if lb.Scheme == "internal" {
			addr.PrivateIPv4Address = n.IPv4.String()
		}
		if n.IPv6.IsValid() {
			addr.IPv6Address = n.IPv6.String()
		}
		out.AvailabilityZones = append(out.AvailabilityZones, LBAvailabilityZone{ZoneName: n.Zone, SubnetID: n.SubnetID,
			LoadBalancerAddresses: []LoadBalancerAddress{addr}})
	}
	return out
}

// DescribeLoadBalancersInput is elbv2 describe-load-balancers.
type DescribeLoadBalancersInput struct {
	LoadBalancerARNs []string `json:"LoadBalancerArns"`
	Names            []string `json:"Names"`
	ELBPaging
}

// DescribeLoadBalancersOutput is {"LoadBalancers": [...]}.
type DescribeLoadBalancersOutput struct {
	LoadBalancers []LoadBalancer `json:"LoadBalancers"`
	NextMarker    string         `json:"NextMarker,omitempty"`
}

// DescribeLoadBalancers lists the caller's load balancers, or the ones
// named; naming one that does not exist is LoadBalancerNotFound.
func (a *API) DescribeLoadBalancers(ctx context.Context, in *DescribeLoadBalancersInput) (*DescribeLoadBalancersOutput, error) {
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	if len(in.LoadBalancerARNs) > 0 && len(in.Names) > 0 {
		return nil, elbValidation("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	if err := elbCheckARNs(a, "load balancer", in.LoadBalancerARNs); err != nil {
		return nil, err
	}
	if err := checkListLen(ErrCodeValidationError, "Names", len(in.Names), maxIDsPerRequest); err != nil {
		return nil, err
	}
	out := &DescribeLoadBalancersOutput{LoadBalancers: []LoadBalancer{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		lbs, err := tx.LoadBalancers(a.caller.Account, a.caller.Region, in.LoadBalancerARNs, in.Names)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, lb := range lbs {
			have[lb.ARN], have[lb.Name] = true, true
			out.LoadBalancers = append(out.LoadBalancers, a.elbLBView(lb))
		}
		var gone []string
		for _, k := range append(slices.Clone(in.LoadBalancerARNs), in.Names...) {
			if !have[k] {
				gone = append(gone, k)
			}
		}
		if len(gone) > 0 {
			return Errorf(ErrCodeLoadBalancerNotFound, "%s", elbStrings("Load balancers", gone))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.LoadBalancers, out.NextMarker, err = pageELB(a, in, out.LoadBalancers, func(v LoadBalancer) string { return v.LoadBalancerARN })
	return out, err
}

// DeleteLoadBalancerInput is elbv2 delete-load-balancer.
type DeleteLoadBalancerInput struct {
	LoadBalancerARN string `json:"LoadBalancerArn" aws:"required"`
}

// DeleteLoadBalancerOutput is empty.
type DeleteLoadBalancerOutput struct{}

// DeleteLoadBalancer deletes a load balancer with its listeners and frees
// its node addresses. As on AWS, deleting one that does not exist succeeds;
// one with deletion protection is OperationNotPermitted and one an endpoint
// service uses is ResourceInUse.
func (a *API) DeleteLoadBalancer(ctx context.Context, in *DeleteLoadBalancerInput) (*DeleteLoadBalancerOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	arn := in.LoadBalancerARN
	return done[DeleteLoadBalancerOutput](a.write(ctx, func(tx *store.Tx) error {

		lb, err := a.elbOwnedLB(tx, arn)
		if e, ok := AsError(err); ok && e.Code == ErrCodeLoadBalancerNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if lb.DeletionProtection {
			return Errorf(ErrCodeOperationNotPermitted, "Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
		}
		svc, err := tx.LoadBalancerService(arn)
		if err != nil {
			return err
		}
		if svc != "" {
			return Errorf(ErrCodeResourceInUse, "Load balancer '%s' cannot be deleted because it is currently associated with another service (%s)", arn, svc)
		}
		return tx.DeleteLoadBalancer(arn)
	}))
}
