package control

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/plink-dev/plink/internal/store"
)

// This file is elbv2 set-ip-address-type and set-subnets for network load
// balancers: a load balancer turned dualstack gets an IPv6 address of each
// subnet's block on every node, one turned back to ipv4 frees them, and
// set-subnets adds zones (new nodes with new addresses) and removes zones
// no endpoint depends on. The nodes' addresses are what plink serve binds.

// SetIpAddressTypeInput is elbv2 set-ip-address-type.
type SetIpAddressTypeInput struct {
	LoadBalancerARN string `json:"LoadBalancerArn" aws:"required"`
	IPAddressType   string `json:"IpAddressType" aws:"required"`
}

// SetIpAddressTypeOutput is {"IpAddressType": ...}.
type SetIpAddressTypeOutput struct {
	IPAddressType string `json:"IpAddressType"`
}

// elbCheckIPType checks an IP address type of a network load balancer.
func elbCheckIPType(t string) error {
	switch t {
	case IPAddressTypeIPv4, IPAddressTypeDualstack:
		return nil
	case "dualstack-without-public-ipv4":
		return elbValidation("IP address type 'dualstack-without-public-ipv4' is not supported for network load balancers")
	case "":
		return elbValidation("An IP address type must be specified")
	}
	return elbValidation("IP address type '%s' is not valid: it must be ipv4 or dualstack", t)
}

// SetIpAddressType makes a load balancer of the caller ipv4 or dualstack.
// dualstack needs an IPv6 block on every subnet of the load balancer
// (InvalidSubnet otherwise); back to ipv4 is refused while an endpoint
// service of the load balancer supports ipv6 or a listener forwards to an
// ipv6 target group.
func (a *API) SetIpAddressType(ctx context.Context, in *SetIpAddressTypeInput) (*SetIpAddressTypeOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	if err := elbCheckIPType(in.IPAddressType); err != nil {
		return nil, err
	}
	err := a.write(ctx, func(tx *store.Tx) error {
		lb, err := a.elbOwnedLB(tx, in.LoadBalancerARN)
		if err != nil {
			return err
		}
		if lb.IPAddressType == in.IPAddressType {
			return nil
		}
		subnets := make([]store.Subnet, 0, len(lb.Nodes))
		for _, n := range lb.Nodes {
			s, err := tx.Subnet(n.SubnetID)
			if err != nil {
				return err
			}
			subnets = append(subnets, s)
		}
		return a.elbSetNodes(tx, lb, in.IPAddressType, lb.Nodes, subnets)
	})
	if err != nil {
		return nil, err
	}
	return &SetIpAddressTypeOutput{IPAddressType: in.IPAddressType}, nil
}

// elbSetNodes writes a load balancer's IP address type and nodes (subnets
// holds each node's subnet): nodes of a dualstack load balancer without an
// IPv6 address get one, nodes of an ipv4 one lose theirs.
func (a *API) elbSetNodes(tx *store.Tx, lb store.LoadBalancer, ipType string, nodes []store.LBNode, subnets []store.Subnet) error {
	if ipType == IPAddressTypeIPv4 && lb.IPAddressType != IPAddressTypeIPv4 {
		if err := elbIPv4Allowed(tx, lb); err != nil {
			return err
		}
	}
	out := slices.Clone(nodes)
	for i := range out {
		s := subnets[i]
		switch {
		case ipType == IPAddressTypeDualstack && !out[i].IPv6.IsValid():
			if !s.IPv6CIDR.IsValid() {
				return Errorf(ErrCodeInvalidSubnet, "Subnet '%s' has no IPv6 CIDR block: a dualstack load balancer needs one in every subnet (associate-subnet-cidr-block)", s.ID)
			}
			addr, err := elbNodeAddress(tx, s, s.IPv6CIDR, "", lb.ARN)
			if err != nil {
				return err
			}
			out[i].IPv6 = addr
		case ipType == IPAddressTypeIPv4:
			out[i].IPv6 = netip.Addr{}
		}
	}
	slices.SortFunc(out, func(x, y store.LBNode) int { return strings.Compare(x.Zone, y.Zone) })
	return tx.SetLoadBalancerNodes(lb.ARN, ipType, out)
}

// elbIPv4Allowed refuses turning a load balancer back to ipv4 while
// something needs its IPv6 addresses.
func elbIPv4Allowed(tx *store.Tx, lb store.LoadBalancer) error {
	if id, err := tx.LoadBalancerService(lb.ARN); err != nil {
		return err
	} else if id != "" {
		svc, err := tx.Service(id)
		if err != nil {
			return err
		}
		if svc.SupportedIPv6 {
			return Errorf(ErrCodeInvalidConfigurationRequest, "Load balancer '%s' cannot be ipv4 while the VPC endpoint service %s supports ipv6: remove ipv6 from the service first", lb.ARN, id)
		}
	}
	ls, err := tx.Listeners(lb.ARN, nil)
	if err != nil {
		return err
	}
	for _, l := range ls {
		g, err := tx.TargetGroup(l.TGARN)
		if err != nil {
			return err
		}
		if g.IPAddressType == IPAddressTypeIPv6 {
			return Errorf(ErrCodeInvalidConfigurationRequest, "Load balancer '%s' cannot be ipv4 while listener '%s' forwards to the ipv6 target group '%s'", lb.ARN, l.ARN, g.ARN)
		}
	}
	return nil
}

// SetSubnetsInput is elbv2 set-subnets.
type SetSubnetsInput struct {
	LoadBalancerARN string          `json:"LoadBalancerArn" aws:"required"`
	Subnets         []string        `json:"Subnets"`
	SubnetMappings  []SubnetMapping `json:"SubnetMappings"`
	IPAddressType   string          `json:"IpAddressType"`
}

// SetSubnetsOutput is the load balancer's zones and IP address type after
// the change.
type SetSubnetsOutput struct {
	AvailabilityZones []LBAvailabilityZone `json:"AvailabilityZones"`
	IPAddressType     string               `json:"IpAddressType"`
}

// SetSubnets sets the subnets (one per zone) of a network load balancer of
// the caller, and optionally its IP address type. As AWS documents for
// network load balancers: the subnets it keeps keep their nodes and
// addresses; a new subnet gets a new node; a subnet cannot be removed
// while the load balancer has active endpoint connections through its
// endpoint service; and swapping the subnet of a zone takes two calls
// (remove, then add).
func (a *API) SetSubnets(ctx context.Context, in *SetSubnetsInput) (*SetSubnetsOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	if len(in.Subnets) > 0 && len(in.SubnetMappings) > 0 {
		return nil, elbValidation("Subnets and subnet mappings cannot be specified together")
	}
	maps := slices.Clone(in.SubnetMappings)
	for _, s := range in.Subnets {
		maps = append(maps, SubnetMapping{SubnetID: s})
	}
	if len(maps) == 0 {
		return nil, elbValidation("At least one subnet must be specified (--subnets or --subnet-mappings)")
	}
	if in.IPAddressType != "" {
		if err := elbCheckIPType(in.IPAddressType); err != nil {
			return nil, err
		}
	}
	for _, m := range maps {
		if m.AllocationID != "" {
			return nil, elbValidation("Elastic IP allocations (AllocationId) are not supported by plink: every node gets an address of its subnet")
		}
	}
	var out *SetSubnetsOutput
	err := a.write(ctx, func(tx *store.Tx) error {
		lb, err := a.elbOwnedLB(tx, in.LoadBalancerARN)
		if err != nil {
			return err
		}
		ipType := lb.IPAddressType
		if in.IPAddressType != "" {
			ipType = in.IPAddressType
		}
		subnets, err := a.elbSubnets(tx, maps, IPAddressTypeIPv4) // IPv6 is checked per node below
		if err != nil {
			return err
		}
		if subnets[0].VPCID != lb.VPCID {
			return Errorf(ErrCodeInvalidConfigurationRequest, "Subnet '%s' is in %s, not in the load balancer's VPC %s", subnets[0].ID, subnets[0].VPCID, lb.VPCID)
		}
		old := map[string]store.LBNode{}
		for _, n := range lb.Nodes {
			old[n.SubnetID] = n
		}
		var removed []store.LBNode
		for _, n := range lb.Nodes {
			if !slices.ContainsFunc(subnets, func(s store.Subnet) bool { return s.ID == n.SubnetID }) {
				removed = append(removed, n)
			}
		}
		if len(removed) > 0 {
			if err := elbSubnetsRemovable(tx, lb); err != nil {
				return err
			}
		}
		var nodes []store.LBNode
		for i, s := range subnets {
			m := maps[i]
			if n, kept := old[s.ID]; kept {
				if m.PrivateIPv4Address != "" && m.PrivateIPv4Address != n.IPv4.String() ||
					m.IPv6Address != "" && m.IPv6Address != n.IPv6.String() {
					return Errorf(ErrCodeInvalidConfigurationRequest, "The addresses of subnet '%s' cannot change: it is already enabled with %s", s.ID, n.IPv4)
				}
				nodes = append(nodes, n)
				continue
			}
			if slices.ContainsFunc(removed, func(r store.LBNode) bool { return r.Zone == s.Zone }) {
				return Errorf(ErrCodeInvalidConfigurationRequest, "The subnet of Availability Zone %s cannot be replaced in one call: remove the old subnet first, then add '%s'", s.Zone, s.ID)
			}
			if m.PrivateIPv4Address != "" && lb.Scheme != "internal" {
				return elbValidation("A private IPv4 address can be specified only for an internal load balancer")
			}
			if m.IPv6Address != "" && ipType != IPAddressTypeDualstack {
				return elbValidation("An IPv6 address can be specified only for a dualstack load balancer")
			}
			n := store.LBNode{LBARN: lb.ARN, SubnetID: s.ID, Zone: s.Zone}
			if n.IPv4, err = elbNodeAddress(tx, s, s.CIDR, m.PrivateIPv4Address, lb.ARN); err != nil {
				return err
			}
			if m.IPv6Address != "" {
				if !s.IPv6CIDR.IsValid() {
					return Errorf(ErrCodeInvalidSubnet, "Subnet '%s' has no IPv6 CIDR block", s.ID)
				}
				if n.IPv6, err = elbNodeAddress(tx, s, s.IPv6CIDR, m.IPv6Address, lb.ARN); err != nil {
					return err
				}
			}
			nodes = append(nodes, n)
		}
		if err := a.elbSetNodes(tx, lb, ipType, nodes, subnets); err != nil {
			return err
		}
		lb.IPAddressType = ipType
		if lb.Nodes, err = tx.LBNodes(lb.ARN); err != nil {
			return err
		}
		view := a.elbLBView(lb)
		out = &SetSubnetsOutput{AvailabilityZones: view.AvailabilityZones, IPAddressType: ipType}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// elbSubnetsRemovable refuses removing a zone from a load balancer whose
// endpoint service has connections: their network interfaces are in the
// zones the service offers.
func elbSubnetsRemovable(tx *store.Tx, lb store.LoadBalancer) error {
	id, err := tx.LoadBalancerService(lb.ARN)
	if err != nil || id == "" {
		return err
	}
	n, err := tx.ActiveConnections(id)
	if err != nil {
		return err
	}
	if n > 0 {
		return Errorf(ErrCodeInvalidConfigurationRequest, "Subnets of load balancer '%s' cannot be removed while it has active VPC endpoint associations (endpoint service %s has %d)", lb.ARN, id, n)
	}
	return nil
}
