package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// VpcEndpoint is the EC2 VpcEndpoint shape.
type VpcEndpoint struct {
	VpcEndpointID       string            `json:"VpcEndpointId"`
	VpcEndpointType     string            `json:"VpcEndpointType"`
	VpcID               string            `json:"VpcId"`
	ServiceName         string            `json:"ServiceName"`
	State               string            `json:"State"`
	PolicyDocument      string            `json:"PolicyDocument"`
	RouteTableIDs       []string          `json:"RouteTableIds" locationName:"routeTableIdSet"`
	SubnetIDs           []string          `json:"SubnetIds" locationName:"subnetIdSet"`
	Groups              []GroupIdentifier `json:"Groups" locationName:"groupSet"`
	IPAddressType       string            `json:"IpAddressType"`
	DNSOptions          DNSOptions        `json:"DnsOptions"`
	PrivateDNSEnabled   bool              `json:"PrivateDnsEnabled"`
	RequesterManaged    bool              `json:"RequesterManaged"`
	NetworkInterfaceIDs []string          `json:"NetworkInterfaceIds" locationName:"networkInterfaceIdSet"`
	DNSEntries          []DNSEntry        `json:"DnsEntries" locationName:"dnsEntrySet"`
	CreationTimestamp   string            `json:"CreationTimestamp"`
	Tags                []Tag             `json:"Tags" locationName:"tagSet"`
	OwnerID             string            `json:"OwnerId"`
}

// GroupIdentifier names a security group.
type GroupIdentifier struct {
	GroupID   string `json:"GroupId"`
	GroupName string `json:"GroupName"`
}

// DNSOptions is {"DnsRecordIpType": ...}.
type DNSOptions struct {
	DNSRecordIPType string `json:"DnsRecordIpType"`
}

// DNSEntry is one DNS name of an endpoint.
type DNSEntry struct {
	DNSName      string `json:"DnsName"`
	HostedZoneID string `json:"HostedZoneId"`
}

// endpointContext is what building an endpoint's view needs from outside it.
type endpointContext struct {
	svc    *store.Service // nil once the service is deleted
	groups map[string]string
	tags   []Tag
}

func (a *API) endpointView(e store.Endpoint, c endpointContext) VpcEndpoint {
	v := VpcEndpoint{VpcEndpointID: e.ID, VpcEndpointType: "Interface", VpcID: e.VPCID, ServiceName: e.ServiceName, State: e.State,
		PolicyDocument: policyText(e.PolicyDocument), RouteTableIDs: []string{}, SubnetIDs: []string{}, Groups: []GroupIdentifier{}, IPAddressType: e.IPAddressType,
		DNSOptions: DNSOptions{e.DNSRecordIPType}, PrivateDNSEnabled: e.PrivateDNSEnabled, NetworkInterfaceIDs: []string{},
		DNSEntries: dnsEntries(e, c.svc), CreationTimestamp: e.CreatedAt, Tags: c.tags, OwnerID: e.Account}
	if v.Tags == nil {
		v.Tags = []Tag{}
	}
	for _, n := range e.ENIs {
		v.SubnetIDs = append(v.SubnetIDs, n.SubnetID)
		v.NetworkInterfaceIDs = append(v.NetworkInterfaceIDs, n.ID)
	}
	for _, g := range e.GroupIDs {
		v.Groups = append(v.Groups, GroupIdentifier{GroupID: g, GroupName: c.groups[g]})
	}
	return v
}

// dnsEntries: the regional name first, then one per zone, then the private
// name when enabled and verified; as AWS lists them.
func dnsEntries(e store.Endpoint, svc *store.Service) []DNSEntry {
	out := []DNSEntry{}
	if e.State == StateEndpointRejected || e.State == StateEndpointDeleted || e.State == StateEndpointFailed {
		return out
	}
	zone := names.HostedZoneID(e.Region)
	out = append(out, DNSEntry{names.EndpointDNSName(e.ID, e.DNSSuffix, "", e.Region, e.ServiceID), zone})
	for _, n := range e.ENIs {
		out = append(out, DNSEntry{names.EndpointDNSName(e.ID, e.DNSSuffix, n.Zone, e.Region, e.ServiceID), zone})
	}
	if e.PrivateDNSEnabled && svc != nil && svc.PrivateDNSName != "" && svc.PDNSState == StatePrivateDNSVerified {
		out = append(out, DNSEntry{svc.PrivateDNSName, "Z" + privateZoneID(e.VPCID, svc.PrivateDNSName)})
	}
	return out
}

// privateZoneID is a stable ID for the private hosted zone of a name in a VPC.
func privateZoneID(vpcID, name string) string {
	return fmt.Sprintf("%020X", fnv64(vpcID+"|"+name))
}

// loadEndpointContexts loads services, group names and tags for a list of endpoints.
func (a *API) loadEndpointContexts(tx *store.Tx, es []store.Endpoint, withTags bool) (map[string]endpointContext, error) {
	svcs := map[string]*store.Service{}
	groups := map[string]string{}
	out := map[string]endpointContext{}
	for _, e := range es {
		if _, ok := svcs[e.ServiceID]; !ok {
			s, err := tx.Service(e.ServiceID)
			if err == nil {
				svcs[e.ServiceID] = &s
			} else if errors.Is(err, store.ErrNotFound) {
				svcs[e.ServiceID] = nil
			} else {
				return nil, err
			}
		}
		for _, g := range e.GroupIDs {
			if _, ok := groups[g]; !ok {
				sg, err := tx.SecurityGroup(g)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
				groups[g] = sg.Name
			}
		}
		c := endpointContext{svc: svcs[e.ServiceID], groups: groups}
		if withTags {
			t, err := a.tags(tx, e.ID)
			if err != nil {
				return nil, err
			}
			c.tags = t
		}
		out[e.ID] = c
	}
	return out, nil
}

// visibleService finds the service a consumer names, as the consumer may
// see it: owned, or allowed for its principal or account, or for '*'.
// Others get the same not-found error AWS gives.
func (a *API) visibleService(tx *store.Tx, serviceName string) (store.Service, error) {
	notFound := Errorf(ErrCodeInvalidServiceName, "The Vpc Endpoint Service '%s' does not exist", serviceName)
	id := names.ServiceIDFromName(a.caller.Region, serviceName)
	if id == "" {
		return store.Service{}, notFound
	}
	s, err := tx.Service(id)
	if errors.Is(err, store.ErrNotFound) {
		return s, notFound
	}
	if err != nil {
		return s, err
	}
	if s.Account == a.caller.Account {
		return s, nil
	}
	ok, err := tx.ServiceAllows(s.ID, a.caller.Account, a.caller.Principal)
	if err != nil {
		return s, err
	}
	if !ok {
		return s, notFound
	}
	return s, nil
}

// CreateVpcEndpointInput is ec2 create-vpc-endpoint.
type CreateVpcEndpointInput struct {
	DryRun            bool               `json:"DryRun"`
	VpcEndpointType   string             `json:"VpcEndpointType"`
	VpcID             string             `json:"VpcId" aws:"required"`
	ServiceName       string             `json:"ServiceName" aws:"required"`
	PolicyDocument    string             `json:"PolicyDocument"`
	SubnetIDs         []string           `json:"SubnetIds" locationName:"SubnetId"`
	SecurityGroupIDs  []string           `json:"SecurityGroupIds" locationName:"SecurityGroupId"`
	IPAddressType     string             `json:"IpAddressType"`
	DNSOptions        *DNSOptions        `json:"DnsOptions"`
	ClientToken       string             `json:"ClientToken"`
	PrivateDNSEnabled *bool              `json:"PrivateDnsEnabled"`
	TagSpecifications []TagSpecification `json:"TagSpecifications" locationName:"TagSpecification"`
}

// CreateVpcEndpointOutput is {"VpcEndpoint": {...}}, with the request's
// ClientToken when it had one.
type CreateVpcEndpointOutput struct {
	VpcEndpoint VpcEndpoint `json:"VpcEndpoint"`
	ClientToken string      `json:"ClientToken,omitempty"`
}

// recordIPType is DnsOptions.DnsRecordIpType, or "" without DnsOptions.
func (o *DNSOptions) recordIPType() string {
	if o == nil {
		return ""
	}
	return o.DNSRecordIPType
}

// CreateVpcEndpoint creates an interface endpoint: one ENI per subnet, with
// addresses from the subnets, pendingAcceptance when the service requires
// acceptance and available otherwise.
func (a *API) CreateVpcEndpoint(ctx context.Context, in *CreateVpcEndpointInput) (*CreateVpcEndpointOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.CreateVpcEndpoint)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	switch in.VpcEndpointType {
	case "", "Interface":
	case "Gateway", "GatewayLoadBalancer", "Resource", "ServiceNetwork":
		return nil, Errorf(ErrCodeInvalidParameter, "plink supports Interface endpoints only, not %s.", in.VpcEndpointType)
	default:
		return nil, Errorf(ErrCodeInvalidVpcEndpointType, "The VPC endpoint type '%s' is invalid: Interface, Gateway or GatewayLoadBalancer.", in.VpcEndpointType)
	}
	if len(in.SubnetIDs) == 0 {
		return nil, missing("SubnetIds")
	}
	if in.PolicyDocument != "" {
		if err := checkPolicyDocument(in.PolicyDocument); err != nil {
			return nil, err
		}
	}
	tags, err := tagsFor(in.TagSpecifications, "vpc-endpoint")
	if err != nil {
		return nil, err
	}
	now := timestamp(a.now())
	var out *CreateVpcEndpointOutput
	var ds []delivery
	err = a.write(ctx, func(tx *store.Tx) error {
		out, ds = nil, nil
		if seen, err := a.replayClientToken(tx, "CreateVpcEndpoint", in.ClientToken, in, &out); seen || err != nil {
			return err
		}
		v, err := a.ownedVPC(tx, in.VpcID)
		if err != nil {
			return err
		}
		svc, err := a.visibleService(tx, in.ServiceName)
		if err != nil {
			return err
		}
		zones, _, err := serviceZones(tx, svc)
		if err != nil {
			return err
		}
		subnets, err := a.endpointSubnets(tx, v, svc, zones, in.SubnetIDs, nil)
		if err != nil {
			return err
		}
		e := store.Endpoint{ID: names.NewID(names.Endpoint), Account: a.caller.Account, Region: a.caller.Region, VPCID: v.ID,
			ServiceID: svc.ID, ServiceName: names.ServiceName(svc.Region, svc.ID), IPAddressType: in.IPAddressType,
			DNSRecordIPType: in.DNSOptions.recordIPType(), DNSSuffix: names.RandomAlnum(8), CreatedAt: now, UpdatedAt: now,
			PolicyDocument: in.PolicyDocument}
		if e.IPAddressType == "" {
			e.IPAddressType = defaultIPType(subnets, svc)
		}
		if e.DNSRecordIPType == "" {
			e.DNSRecordIPType = e.IPAddressType
		}
		if err := checkIPTypes(e.IPAddressType, e.DNSRecordIPType, subnets, svc); err != nil {
			return err
		}
		if e.GroupIDs, err = a.endpointGroups(tx, v, in.SecurityGroupIDs); err != nil {
			return err
		}
		verified := svc.PrivateDNSName != "" && svc.PDNSState == StatePrivateDNSVerified
		// Unasked, private DNS is on for a verified name in a VPC with both
		// DNS attributes; asked for, it needs both (AWS's error).
		e.PrivateDNSEnabled = verified && privateDNSNeedsVPCAttributes(v) == nil
		if in.PrivateDNSEnabled != nil {
			e.PrivateDNSEnabled = *in.PrivateDNSEnabled
			if e.PrivateDNSEnabled {
				if err := privateDNSNeedsVPCAttributes(v); err != nil {
					return err
				}
			}
		}
		if e.PrivateDNSEnabled {
			if err := a.checkPrivateDNS(tx, e, svc); err != nil {
				return err
			}
		}
		e.State = StateEndpointAvailable
		if svc.AcceptanceRequired && svc.Account != a.caller.Account {
			e.State = StateEndpointPendingAcceptance
		}
		for _, s := range subnets {
			n, err := newENI(tx, e, s, now)
			if err != nil {
				return err
			}
			e.ENIs = append(e.ENIs, n)
		}
		if err := tx.InsertEndpoint(e); err != nil {
			return err
		}
		if err := putTags(tx, e.ID, tags, ErrCodeTagLimitExceeded); err != nil {
			return err
		}
		if ds, err = a.recordEvent(tx, "Connect", e, svc); err != nil {
			return err
		}
		cs, err := a.loadEndpointContexts(tx, []store.Endpoint{e}, true)
		if err != nil {
			return err
		}
		out = &CreateVpcEndpointOutput{VpcEndpoint: a.endpointView(e, cs[e.ID]), ClientToken: in.ClientToken}
		return a.saveClientToken(tx, "CreateVpcEndpoint", in.ClientToken, in, out)
	})
	if err != nil {
		return nil, err
	}
	a.send(ctx, ds)
	return out, nil
}

// newENI makes an endpoint's interface in subnet s with the addresses its
// IP address type needs, allocated from the subnet.
func newENI(tx *store.Tx, e store.Endpoint, s store.Subnet, now string) (store.ENI, error) {
	n := store.ENI{ID: names.NewID(names.ENI), EndpointID: e.ID, SubnetID: s.ID, Account: e.Account, Region: e.Region, Zone: s.Zone, CreatedAt: now}
	var err error
	if e.IPAddressType != "ipv6" {
		if n.IPv4, err = tx.AllocateAddress(s.ID, s.CIDR, n.ID); err != nil {
			return n, Errorf(ErrCodeInsufficientFreeAddressesInSubnet, "%v", err)
		}
	}
	if e.IPAddressType != "ipv4" {
		if n.IPv6, err = tx.AllocateAddress(s.ID, s.IPv6CIDR, n.ID); err != nil {
			return n, Errorf(ErrCodeInsufficientFreeAddressesInSubnet, "%v", err)
		}
	}
	return n, nil
}

// endpointSubnets checks the subnets of an endpoint: the caller's, in its
// VPC, one per zone, each in a zone the service offers. keep are subnets
// the endpoint already has (for modify).
func (a *API) endpointSubnets(tx *store.Tx, v store.VPC, svc store.Service, zones []string, ids []string, keep []store.Subnet) ([]store.Subnet, error) {
	byZone := map[string]string{}
	out := append([]store.Subnet{}, keep...)
	for _, s := range keep {
		byZone[s.Zone] = s.ID
	}
	for _, id := range ids {
		s, err := a.ownedSubnet(tx, id)
		if err != nil {
			return nil, err
		}
		if s.VPCID != v.ID {
			return nil, Errorf(ErrCodeInvalidParameter, "The subnet %s does not belong to the VPC %s.", id, v.ID)
		}
		if other, ok := byZone[s.Zone]; ok {
			if other == s.ID {
				continue
			}
			return nil, Errorf(ErrCodeDuplicateSubnetsInSameZone, "Found another VPC endpoint subnet in the availability zone of %s. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.", id)
		}
		if !contains(zones, s.Zone) {
			return nil, Errorf(ErrCodeInvalidParameter, "The VPC endpoint service %s does not support the availability zone of the subnet: %s.", svc.ID, id)
		}
		byZone[s.Zone] = s.ID
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Zone < out[j].Zone })
	return out, nil
}

func defaultIPType(subnets []store.Subnet, svc store.Service) string {
	all6 := true
	for _, s := range subnets {
		if s.CIDR.IsValid() {
			all6 = false
		}
	}
	if all6 && svc.SupportedIPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// checkIPTypes enforces the IP rules: the endpoint's type must fit every
// subnet and the service; the DNS record type must fit the endpoint's type
// and the service.
func checkIPTypes(ipType, recordType string, subnets []store.Subnet, svc store.Service) error {
	switch ipType {
	case "ipv4", "ipv6", "dualstack":
	default:
		return invalidValue("Invalid IP address type '%s': ipv4, ipv6 or dualstack.", ipType)
	}
	for _, s := range subnets {
		has4, has6 := s.CIDR.IsValid(), s.IPv6CIDR.IsValid()
		switch {
		case ipType == "ipv4" && !has4:
			return Errorf(ErrCodeInvalidParameter, "The subnet %s has no IPv4 CIDR block: an ipv4 endpoint needs IPv4 in every subnet.", s.ID)
		case ipType == "ipv6" && (has4 || !has6):
			return Errorf(ErrCodeInvalidParameter, "The subnet %s is not IPv6-only: an ipv6 endpoint needs IPv6-only subnets.", s.ID)
		case ipType == "dualstack" && !(has4 && has6):
			return Errorf(ErrCodeInvalidParameter, "The subnet %s does not have both IPv4 and IPv6 CIDR blocks: a dualstack endpoint needs both in every subnet.", s.ID)
		}
	}
	if (ipType != "ipv6" && !svc.SupportedIPv4) || (ipType != "ipv4" && !svc.SupportedIPv6) {
		return Errorf(ErrCodeInvalidParameter, "The VPC endpoint service %s does not support the IP address type %s (it supports %v).", svc.ID, ipType, supportedTypes(svc))
	}
	fits := map[string][]string{"ipv4": {"ipv4", "dualstack"}, "ipv6": {"ipv6", "dualstack"}, "dualstack": {"dualstack"}, "service-defined": {"ipv4", "ipv6", "dualstack"}}
	allowed, ok := fits[recordType]
	if !ok {
		return invalidValue("Invalid DNS record IP type '%s': ipv4, ipv6, dualstack or service-defined.", recordType)
	}
	if !contains(allowed, ipType) {
		return Errorf(ErrCodeInvalidParameter, "The DNS record IP type %s is not compatible with the endpoint IP address type %s.", recordType, ipType)
	}
	if (recordType == "ipv6" || recordType == "dualstack") && !svc.SupportedIPv6 || (recordType == "ipv4" || recordType == "dualstack") && !svc.SupportedIPv4 {
		return Errorf(ErrCodeInvalidParameter, "The DNS record IP type %s is not supported by the VPC endpoint service %s.", recordType, svc.ID)
	}
	return nil
}

// endpointGroups checks security groups (default: the VPC's default group).
func (a *API) endpointGroups(tx *store.Tx, v store.VPC, ids []string) ([]string, error) {
	if len(ids) == 0 {
		g, err := tx.SecurityGroupByName(v.ID, "default")
		if err != nil {
			return nil, err
		}
		return []string{g.ID}, nil
	}
	var out []string
	for _, id := range ids {
		g, err := a.ownedGroup(tx, id, "")
		if err != nil {
			return nil, err
		}
		if g.VPCID != v.ID {
			return nil, Errorf(ErrCodeInvalidParameter, "The security group %s does not belong to the VPC %s.", id, v.ID)
		}
		if !contains(out, id) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out, nil
}

// checkPrivateDNS: private DNS needs a verified name, and only one endpoint
// per VPC may claim a name.
func (a *API) checkPrivateDNS(tx *store.Tx, e store.Endpoint, svc store.Service) error {
	if svc.PrivateDNSName == "" {
		return Errorf(ErrCodeInvalidParameter, "Private DNS can't be enabled because the service %s does not provide a private DNS name.", svc.ID)
	}
	if svc.PDNSState != StatePrivateDNSVerified {
		return Errorf(ErrCodeInvalidParameter, "Private DNS can't be enabled because the private DNS name %s of service %s is not verified (state %s).", svc.PrivateDNSName, svc.ID, svc.PDNSState)
	}
	other, err := tx.PrivateNameClaim(e.VPCID, svc.PrivateDNSName, e.ID)
	if err != nil {
		return err
	}
	if other != "" {
		return Errorf(ErrCodeInvalidParameter, "private-dns-enabled cannot be set because there is already a conflicting DNS domain for %s in the VPC %s (endpoint %s).", svc.PrivateDNSName, e.VPCID, other)
	}
	return nil
}

// ownedEndpoint loads an endpoint the caller owns.
func (a *API) ownedEndpoint(tx *store.Tx, id string) (store.Endpoint, error) {
	if id == "" {
		return store.Endpoint{}, missing("VpcEndpointId")
	}
	if !names.ValidID(names.Endpoint, id) {
		return store.Endpoint{}, malformed("VpcEndpoint", id)
	}
	e, err := tx.Endpoint(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (e.Account != a.caller.Account || e.Region != a.caller.Region)) {
		return store.Endpoint{}, Errorf(ErrCodeInvalidVpcEndpointIDNotFound, "The VpcEndpoint Id '%s' does not exist", id)
	}
	return e, err
}

// ModifyVpcEndpointInput is ec2 modify-vpc-endpoint.
type ModifyVpcEndpointInput struct {
	DryRun                 bool        `json:"DryRun"`
	VpcEndpointID          string      `json:"VpcEndpointId" aws:"required"`
	AddSubnetIDs           []string    `json:"AddSubnetIds" locationName:"AddSubnetId"`
	RemoveSubnetIDs        []string    `json:"RemoveSubnetIds" locationName:"RemoveSubnetId"`
	AddSecurityGroupIDs    []string    `json:"AddSecurityGroupIds" locationName:"AddSecurityGroupId"`
	RemoveSecurityGroupIDs []string    `json:"RemoveSecurityGroupIds" locationName:"RemoveSecurityGroupId"`
	IPAddressType          string      `json:"IpAddressType"`
	DNSOptions             *DNSOptions `json:"DnsOptions"`
	PrivateDNSEnabled      *bool       `json:"PrivateDnsEnabled"`
	PolicyDocument         string      `json:"PolicyDocument"`
	ResetPolicy            bool        `json:"ResetPolicy"` // back to the default full-access policy
}

// ModifyVpcEndpointOutput is {"Return": true}.
type ModifyVpcEndpointOutput struct {
	Return bool `json:"Return"`
}

// ModifyVpcEndpoint changes an endpoint's subnets, groups, private DNS and
// IP types; every rule of create applies to the result.
func (a *API) ModifyVpcEndpoint(ctx context.Context, in *ModifyVpcEndpointInput) (*ModifyVpcEndpointOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.ModifyVpcEndpoint)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	if in.ResetPolicy && in.PolicyDocument != "" {
		return nil, Errorf(ErrCodeInvalidParameterCombination, "The parameters PolicyDocument and ResetPolicy cannot be used together.")
	}
	if in.PolicyDocument != "" {
		if err := checkPolicyDocument(in.PolicyDocument); err != nil {
			return nil, err
		}
	}
	now := timestamp(a.now())
	err := a.write(ctx, func(tx *store.Tx) error {
		e, err := a.ownedEndpoint(tx, in.VpcEndpointID)
		if err != nil {
			return err
		}
		if e.State == StateEndpointRejected || e.State == StateEndpointDeleted || e.State == StateEndpointFailed {
			return Errorf(ErrCodeIncorrectState, "The VPC endpoint %s is in state %s and cannot be modified.", e.ID, e.State)
		}
		switch {
		case in.ResetPolicy:
			e.PolicyDocument = ""
		case in.PolicyDocument != "":
			e.PolicyDocument = in.PolicyDocument
		}
		v, err := tx.VPC(e.VPCID)
		if err != nil {
			return err
		}
		svc, err := tx.Service(e.ServiceID)
		if err != nil {
			return err
		}
		zones, _, err := serviceZones(tx, svc)
		if err != nil {
			return err
		}
		var keep []store.Subnet
		var drop []store.ENI
		for _, n := range e.ENIs {
			if contains(in.RemoveSubnetIDs, n.SubnetID) {
				drop = append(drop, n)
				continue
			}
			s, err := tx.Subnet(n.SubnetID)
			if err != nil {
				return err
			}
			keep = append(keep, s)
		}
		for _, id := range in.RemoveSubnetIDs {
			if !containsFunc(e.ENIs, func(n store.ENI) bool { return n.SubnetID == id }) {
				return Errorf(ErrCodeInvalidParameter, "The subnet %s is not part of the VPC endpoint %s.", id, e.ID)
			}
		}
		subnets, err := a.endpointSubnets(tx, v, svc, zones, in.AddSubnetIDs, keep)
		if err != nil {
			return err
		}
		if len(subnets) == 0 {
			return Errorf(ErrCodeInvalidParameter, "An interface endpoint needs at least one subnet.")
		}
		ipChanged := in.IPAddressType != "" && in.IPAddressType != e.IPAddressType
		if in.IPAddressType != "" {
			e.IPAddressType = in.IPAddressType
		}
		if t := in.DNSOptions.recordIPType(); t != "" {
			e.DNSRecordIPType = t
		} else if ipChanged {
			e.DNSRecordIPType = e.IPAddressType
		}
		if err := checkIPTypes(e.IPAddressType, e.DNSRecordIPType, subnets, svc); err != nil {
			return err
		}
		groups := append([]string{}, e.GroupIDs...)
		if len(in.AddSecurityGroupIDs) > 0 {
			added, err := a.endpointGroups(tx, v, in.AddSecurityGroupIDs)
			if err != nil {
				return err
			}
			groups = union(groups, added)
		}
		for _, g := range in.RemoveSecurityGroupIDs {
			if !contains(groups, g) {
				return Errorf(ErrCodeInvalidParameter, "The security group %s is not associated with the VPC endpoint %s.", g, e.ID)
			}
			groups = remove(groups, g)
		}
		if len(groups) == 0 {
			return Errorf(ErrCodeInvalidParameter, "An interface endpoint needs at least one security group.")
		}
		if in.PrivateDNSEnabled != nil {
			e.PrivateDNSEnabled = *in.PrivateDNSEnabled
			if e.PrivateDNSEnabled {
				if err := privateDNSNeedsVPCAttributes(v); err != nil {
					return err
				}
				if err := a.checkPrivateDNS(tx, e, svc); err != nil {
					return err
				}
			}
		}
		// ENIs: drop the removed subnets', give the others the addresses
		// of the new IP type in place (see reshapeENI), then create the
		// missing ones.
		for _, n := range drop {
			if err := tx.DeleteENI(n.ID); err != nil {
				return err
			}
		}
		have := map[string]bool{}
		for _, n := range e.ENIs {
			if containsFunc(drop, func(d store.ENI) bool { return d.ID == n.ID }) {
				continue
			}
			have[n.SubnetID] = true
			if ipChanged {
				if err := reshapeENI(tx, n, keep, e.IPAddressType); err != nil {
					return err
				}
			}
		}
		for _, s := range subnets {
			if have[s.ID] {
				continue
			}
			n, err := newENI(tx, e, s, now)
			if err != nil {
				return err
			}
			if err := tx.InsertENI(n); err != nil {
				return err
			}
		}
		if err := tx.SetEndpointGroups(e.ID, groups); err != nil {
			return err
		}
		e.UpdatedAt = now
		return tx.UpdateEndpoint(e)
	})
	if err != nil {
		return nil, err
	}
	return &ModifyVpcEndpointOutput{Return: true}, nil
}

func containsFunc[T any](list []T, f func(T) bool) bool {
	for _, x := range list {
		if f(x) {
			return true
		}
	}
	return false
}

// DescribeVpcEndpointsInput is ec2 describe-vpc-endpoints.
type DescribeVpcEndpointsInput struct {
	DryRun         bool     `json:"DryRun"`
	VpcEndpointIDs []string `json:"VpcEndpointIds" locationName:"VpcEndpointId"`
	Filters        []Filter `json:"Filters" locationName:"Filter"`
	EC2Paging
}

// DescribeVpcEndpointsOutput is {"VpcEndpoints": [...]}.
type DescribeVpcEndpointsOutput struct {
	VpcEndpoints []VpcEndpoint `json:"VpcEndpoints" locationName:"vpcEndpointSet"`
	NextToken    string        `json:"NextToken,omitempty"`
}

// DescribeVpcEndpoints lists the caller's endpoints.
func (a *API) DescribeVpcEndpoints(ctx context.Context, in *DescribeVpcEndpointsInput) (*DescribeVpcEndpointsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeVpcEndpoints)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := checkIDs(names.Endpoint, "VpcEndpoint", in.VpcEndpointIDs); err != nil {
		return nil, err
	}
	out := &DescribeVpcEndpointsOutput{VpcEndpoints: []VpcEndpoint{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		var rows []store.Endpoint
		var err error
		if after, n, ok := pageWindowEC2(a, in, len(in.Filters) == 0 && len(in.VpcEndpointIDs) == 0); ok {
			rows, err = tx.EndpointsAfter(a.caller.Account, a.caller.Region, after, n)
		} else {
			rows, err = tx.Endpoints(a.caller.Account, a.caller.Region, in.VpcEndpointIDs)
		}
		if err != nil {
			return err
		}
		if err := missingIDs(in.VpcEndpointIDs, len(rows), func(i int) string { return rows[i].ID }, ErrCodeInvalidVpcEndpointIDNotFound, "The VpcEndpoint Id '%s' does not exist"); err != nil {
			return err
		}
		rows = pageRowsEC2(a, in, rows, func(e store.Endpoint) string { return e.ID }, len(in.Filters) == 0)
		cs, err := a.loadEndpointContexts(tx, rows, true)
		if err != nil {
			return err
		}
		for _, e := range rows {
			out.VpcEndpoints = append(out.VpcEndpoints, a.endpointView(e, cs[e.ID]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.VpcEndpoints, err = applyFilters(out.VpcEndpoints, in.Filters, vpcEndpointFilters)
	if err != nil {
		return nil, err
	}
	out.VpcEndpoints, out.NextToken, err = pageEC2(a, in, out.VpcEndpoints, func(v VpcEndpoint) string { return v.VpcEndpointID })
	return out, err
}

// DeleteVpcEndpointsInput is ec2 delete-vpc-endpoints.
type DeleteVpcEndpointsInput struct {
	DryRun         bool     `json:"DryRun"`
	VpcEndpointIDs []string `json:"VpcEndpointIds" aws:"required" locationName:"VpcEndpointId"`
}

// DeleteVpcEndpointsOutput is {"Unsuccessful": [...]}.
type DeleteVpcEndpointsOutput struct {
	BatchResult
}

// DeleteVpcEndpoints deletes the caller's endpoints (only the consumer can
// delete an endpoint); unknown IDs come back in Unsuccessful.
func (a *API) DeleteVpcEndpoints(ctx context.Context, in *DeleteVpcEndpointsInput) (*DeleteVpcEndpointsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DeleteVpcEndpoints)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	ids := in.VpcEndpointIDs
	if err := checkListLen(ErrCodeInvalidParameterValue, "VpcEndpointIds", len(ids), maxIDsPerRequest); err != nil {
		return nil, err
	}
	out := &DeleteVpcEndpointsOutput{BatchResult{Unsuccessful: []UnsuccessfulItem{}}}
	var ds []delivery
	err := a.write(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			if !names.ValidID(names.Endpoint, id) {
				out.fail(id, malformed("VpcEndpoint", id))
				continue
			}
			e, err := a.ownedEndpoint(tx, id)
			if err != nil {
				if _, ok := AsError(err); ok {
					out.fail(id, Errorf(ErrCodeInvalidVpcEndpointNotFound, "The VpcEndpoint Id '%s' does not exist", id))
					continue
				}
				return err
			}
			svc, err := tx.Service(e.ServiceID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			e.State = StateEndpointDeleted
			d, err := a.recordEvent(tx, "Delete", e, svc)
			if err != nil {
				return err
			}
			ds = append(ds, d...)
			if err := tx.DeleteEndpoint(e.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.send(ctx, ds)
	return out, nil
}

// ConnectionsInput is what accept- and reject-vpc-endpoint-connections
// share.
type ConnectionsInput struct {
	DryRun         bool     `json:"DryRun"`
	ServiceID      string   `json:"ServiceId" aws:"required"`
	VpcEndpointIDs []string `json:"VpcEndpointIds" aws:"required" locationName:"VpcEndpointId"`
}

// AcceptVpcEndpointConnectionsInput is ec2 accept-vpc-endpoint-connections.
type AcceptVpcEndpointConnectionsInput struct{ ConnectionsInput }

// AcceptVpcEndpointConnectionsOutput is {"Unsuccessful": [...]}.
type AcceptVpcEndpointConnectionsOutput struct{ BatchResult }

// RejectVpcEndpointConnectionsInput is ec2 reject-vpc-endpoint-connections.
type RejectVpcEndpointConnectionsInput struct{ ConnectionsInput }

// RejectVpcEndpointConnectionsOutput is {"Unsuccessful": [...]}.
type RejectVpcEndpointConnectionsOutput struct{ BatchResult }

// AcceptVpcEndpointConnections accepts pendingAcceptance endpoints of a
// service the caller owns.
func (a *API) AcceptVpcEndpointConnections(ctx context.Context, in *AcceptVpcEndpointConnectionsInput) (*AcceptVpcEndpointConnectionsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.AcceptVpcEndpointConnections)
	}
	out, err := a.decide(ctx, &in.ConnectionsInput, "Accept")
	if err != nil {
		return nil, err
	}
	return &AcceptVpcEndpointConnectionsOutput{*out}, nil
}

// RejectVpcEndpointConnections rejects pendingAcceptance or available
// endpoints of a service the caller owns.
func (a *API) RejectVpcEndpointConnections(ctx context.Context, in *RejectVpcEndpointConnectionsInput) (*RejectVpcEndpointConnectionsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.RejectVpcEndpointConnections)
	}
	out, err := a.decide(ctx, &in.ConnectionsInput, "Reject")
	if err != nil {
		return nil, err
	}
	return &RejectVpcEndpointConnectionsOutput{*out}, nil
}

func (a *API) decide(ctx context.Context, in *ConnectionsInput, action string) (*BatchResult, error) {
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	serviceID, ids := in.ServiceID, in.VpcEndpointIDs
	if err := checkListLen(ErrCodeInvalidParameterValue, "VpcEndpointIds", len(ids), maxIDsPerRequest); err != nil {
		return nil, err
	}
	out := &BatchResult{Unsuccessful: []UnsuccessfulItem{}}
	var ds []delivery
	err := a.write(ctx, func(tx *store.Tx) error {
		svc, err := a.serviceOwned(tx, serviceID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			e, err := tx.Endpoint(id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && e.ServiceID != svc.ID) || !names.ValidID(names.Endpoint, id) {
				out.fail(id, Errorf(ErrCodeInvalidVpcEndpointIDNotFound, "The VpcEndpoint Id '%s' does not exist", id))
				continue
			}
			if err != nil {
				return err
			}
			switch {
			case action == "Accept" && e.State == StateEndpointPendingAcceptance:
				e.State = StateEndpointAvailable
			case action == "Reject" && (e.State == StateEndpointPendingAcceptance || e.State == StateEndpointAvailable || e.State == StateEndpointPending):
				e.State = StateEndpointRejected
			default:
				out.fail(id, Errorf(ErrCodeInvalidState, "The VpcEndpoint '%s' is in state %s and cannot be %sed.", id, e.State, lower(action)))
				continue
			}
			e.UpdatedAt = timestamp(a.now())
			if err := tx.UpdateEndpoint(e); err != nil {
				return err
			}
			d, err := a.recordEvent(tx, action, e, svc)
			if err != nil {
				return err
			}
			ds = append(ds, d...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.send(ctx, ds)
	return out, nil
}

func lower(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+32) + s[1:]
}

// VpcEndpointConnection is one endpoint as the provider sees it.
type VpcEndpointConnection struct {
	ServiceID               string     `json:"ServiceId"`
	VpcEndpointID           string     `json:"VpcEndpointId"`
	VpcEndpointOwner        string     `json:"VpcEndpointOwner"`
	VpcEndpointState        string     `json:"VpcEndpointState"`
	CreationTimestamp       string     `json:"CreationTimestamp"`
	DNSEntries              []DNSEntry `json:"DnsEntries" locationName:"dnsEntrySet"`
	NetworkLoadBalancerArns []string   `json:"NetworkLoadBalancerArns" locationName:"networkLoadBalancerArnSet"`
	IPAddressType           string     `json:"IpAddressType"`
	VpcEndpointConnectionID string     `json:"VpcEndpointConnectionId"`
	Tags                    []Tag      `json:"Tags" locationName:"tagSet"`
}

// DescribeVpcEndpointConnectionsInput is ec2 describe-vpc-endpoint-connections.
type DescribeVpcEndpointConnectionsInput struct {
	DryRun  bool     `json:"DryRun"`
	Filters []Filter `json:"Filters" locationName:"Filter"`
	EC2Paging
}

// DescribeVpcEndpointConnectionsOutput is {"VpcEndpointConnections": [...]}.
type DescribeVpcEndpointConnectionsOutput struct {
	VpcEndpointConnections []VpcEndpointConnection `json:"VpcEndpointConnections" locationName:"vpcEndpointConnectionSet"`
	NextToken              string                  `json:"NextToken,omitempty"`
}

// DescribeVpcEndpointConnections lists the endpoints connected to the
// caller's services.
func (a *API) DescribeVpcEndpointConnections(ctx context.Context, in *DescribeVpcEndpointConnectionsInput) (*DescribeVpcEndpointConnectionsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeVpcEndpointConnections)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	filters := in.Filters
	out := &DescribeVpcEndpointConnectionsOutput{VpcEndpointConnections: []VpcEndpointConnection{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		svcs, err := tx.Services(a.caller.Account, a.caller.Region, nil)
		if err != nil {
			return err
		}
		for _, s := range svcs {
			es, err := tx.EndpointsOfService(s.ID, nil)
			if err != nil {
				return err
			}
			es = pageRowsEC2(a, in, es, func(e store.Endpoint) string { return e.ID }, len(filters) == 0)
			for _, e := range es {
				out.VpcEndpointConnections = append(out.VpcEndpointConnections, VpcEndpointConnection{
					ServiceID: s.ID, VpcEndpointID: e.ID, VpcEndpointOwner: e.Account, VpcEndpointState: e.State,
					CreationTimestamp: e.CreatedAt, DNSEntries: dnsEntries(e, &s), NetworkLoadBalancerArns: append([]string{}, s.LBARNs...),
					IPAddressType: e.IPAddressType, VpcEndpointConnectionID: "vpce-con-" + e.ID[5:], Tags: []Tag{}})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.VpcEndpointConnections, err = applyFilters(out.VpcEndpointConnections, filters, vpcEndpointConnectionFilters)
	if err != nil {
		return nil, err
	}
	out.VpcEndpointConnections, out.NextToken, err = pageEC2(a, in, out.VpcEndpointConnections, func(v VpcEndpointConnection) string { return v.VpcEndpointID })
	return out, err
}

// ServiceDetail is one service as a consumer sees it.
type ServiceDetail struct {
	ServiceName                     string              `json:"ServiceName"`
	ServiceID                       string              `json:"ServiceId"`
	ServiceType                     []ServiceTypeDetail `json:"ServiceType"`
	AvailabilityZones               []string            `json:"AvailabilityZones" locationName:"availabilityZoneSet"`
	Owner                           string              `json:"Owner"`
	BaseEndpointDNSNames            []string            `json:"BaseEndpointDnsNames" locationName:"baseEndpointDnsNameSet"`
	PrivateDNSName                  string              `json:"PrivateDnsName,omitempty"`
	PrivateDNSNames                 []PrivateDNSDetail  `json:"PrivateDnsNames,omitempty" locationName:"privateDnsNameSet"`
	VpcEndpointPolicySupported      bool                `json:"VpcEndpointPolicySupported"`
	AcceptanceRequired              bool                `json:"AcceptanceRequired"`
	ManagesVpcEndpoints             bool                `json:"ManagesVpcEndpoints"`
	PayerResponsibility             string              `json:"PayerResponsibility,omitempty"`
	Tags                            []Tag               `json:"Tags" locationName:"tagSet"`
	PrivateDNSNameVerificationState string              `json:"PrivateDnsNameVerificationState,omitempty"`
	SupportedIPAddressTypes         []string            `json:"SupportedIpAddressTypes" locationName:"supportedIpAddressTypeSet"`
}

// PrivateDNSDetail is {"PrivateDnsName": ...}.
type PrivateDNSDetail struct {
	PrivateDNSName string `json:"PrivateDnsName"`
}

// DescribeVpcEndpointServicesInput is ec2 describe-vpc-endpoint-services.
type DescribeVpcEndpointServicesInput struct {
	DryRun       bool     `json:"DryRun"`
	ServiceNames []string `json:"ServiceNames" locationName:"ServiceName"`
	Filters      []Filter `json:"Filters" locationName:"Filter"`
	EC2Paging
}

// DescribeVpcEndpointServicesOutput is {"ServiceNames": [...], "ServiceDetails": [...]}.
type DescribeVpcEndpointServicesOutput struct {
	ServiceNames   []string        `json:"ServiceNames" locationName:"serviceNameSet"`
	ServiceDetails []ServiceDetail `json:"ServiceDetails" locationName:"serviceDetailSet"`
	NextToken      string          `json:"NextToken,omitempty"`
}

// DescribeVpcEndpointServices lists the services the caller may connect to.
func (a *API) DescribeVpcEndpointServices(ctx context.Context, in *DescribeVpcEndpointServicesInput) (*DescribeVpcEndpointServicesOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeVpcEndpointServices)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	out := &DescribeVpcEndpointServicesOutput{ServiceNames: []string{}, ServiceDetails: []ServiceDetail{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		svcs, err := tx.VisibleServices(a.caller.Account, a.caller.Principal, a.caller.Region)
		if err != nil {
			return err
		}
		for _, s := range svcs {
			zones, _, err := serviceZones(tx, s)
			if err != nil {
				return err
			}
			tags := []Tag{}
			if s.Account == a.caller.Account {
				if tags, err = a.tags(tx, s.ID); err != nil {
					return err
				}
			}
			d := ServiceDetail{ServiceName: names.ServiceName(s.Region, s.ID), ServiceID: s.ID, ServiceType: []ServiceTypeDetail{{"Interface"}},
				AvailabilityZones: zones, Owner: s.Account, BaseEndpointDNSNames: []string{names.ServiceBaseDNSName(s.Region, s.ID)},
				AcceptanceRequired: s.AcceptanceRequired, Tags: tags, SupportedIPAddressTypes: supportedTypes(s),
				PayerResponsibility: s.PayerResponsibility}
			if s.PrivateDNSName != "" {
				d.PrivateDNSName = s.PrivateDNSName
				d.PrivateDNSNames = []PrivateDNSDetail{{s.PrivateDNSName}}
				d.PrivateDNSNameVerificationState = s.PDNSState
			}
			out.ServiceDetails = append(out.ServiceDetails, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	filters := in.Filters // in is the caller's: a page token hashes it as given
	if len(in.ServiceNames) > 0 {
		for _, n := range in.ServiceNames {
			if !containsFunc(out.ServiceDetails, func(d ServiceDetail) bool { return d.ServiceName == n }) {
				return nil, Errorf(ErrCodeInvalidServiceName, "The Vpc Endpoint Service '%s' does not exist", n)
			}
		}
		filters = append(slices.Clone(filters), Filter{Name: "service-name", Values: in.ServiceNames})
	}
	out.ServiceDetails, err = applyFilters(out.ServiceDetails, filters, serviceDetailFilters)
	if err != nil {
		return nil, err
	}
	out.ServiceDetails, out.NextToken, err = pageEC2(a, in, out.ServiceDetails, func(d ServiceDetail) string { return d.ServiceID })
	if err != nil {
		return nil, err
	}
	for _, d := range out.ServiceDetails {
		out.ServiceNames = append(out.ServiceNames, d.ServiceName)
	}
	sort.Strings(out.ServiceNames)
	return out, nil
}

// NetworkInterface is the EC2 NetworkInterface shape (endpoint ENIs).
type NetworkInterface struct {
	AvailabilityZone   string            `json:"AvailabilityZone"`
	Description        string            `json:"Description"`
	Groups             []GroupIdentifier `json:"Groups" locationName:"groupSet"`
	InterfaceType      string            `json:"InterfaceType"`
	Ipv6Addresses      []Ipv6Address     `json:"Ipv6Addresses" locationName:"ipv6AddressesSet"`
	NetworkInterfaceID string            `json:"NetworkInterfaceId"`
	OwnerID            string            `json:"OwnerId"`
	PrivateIPAddress   string            `json:"PrivateIpAddress,omitempty"`
	PrivateIPAddresses []PrivateIP       `json:"PrivateIpAddresses" locationName:"privateIpAddressesSet"`
	RequesterID        string            `json:"RequesterId"`
	RequesterManaged   bool              `json:"RequesterManaged"`
	Status             string            `json:"Status"`
	SubnetID           string            `json:"SubnetId"`
	VpcID              string            `json:"VpcId"`
	DenyAllIgwTraffic  *bool             `json:"DenyAllIgwTraffic,omitempty"`
	Ipv6Native         bool              `json:"Ipv6Native"`
	Ipv6Address        string            `json:"Ipv6Address,omitempty"`
	TagSet             []Tag             `json:"TagSet"`
}

// Ipv6Address is one IPv6 address of an ENI.
type Ipv6Address struct {
	Ipv6Address   string `json:"Ipv6Address"`
	IsPrimaryIpv6 bool   `json:"IsPrimaryIpv6"`
}

// PrivateIP is one IPv4 address of an ENI.
type PrivateIP struct {
	Primary          bool   `json:"Primary"`
	PrivateIPAddress string `json:"PrivateIpAddress"`
}

// DescribeNetworkInterfacesInput is ec2 describe-network-interfaces.
type DescribeNetworkInterfacesInput struct {
	Filters             []Filter `json:"Filters" locationName:"filter"`
	DryRun              bool     `json:"DryRun"`
	NetworkInterfaceIDs []string `json:"NetworkInterfaceIds" locationName:"NetworkInterfaceId"`
	EC2Paging
}

// DescribeNetworkInterfacesOutput is {"NetworkInterfaces": [...]}.
type DescribeNetworkInterfacesOutput struct {
	NetworkInterfaces []NetworkInterface `json:"NetworkInterfaces" locationName:"networkInterfaceSet"`
	NextToken         string             `json:"NextToken,omitempty"`
}

// DescribeNetworkInterfaces lists the caller's endpoint network interfaces.
func (a *API) DescribeNetworkInterfaces(ctx context.Context, in *DescribeNetworkInterfacesInput) (*DescribeNetworkInterfacesOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeNetworkInterfaces)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := checkIDs(names.ENI, "NetworkInterface", in.NetworkInterfaceIDs); err != nil {
		return nil, err
	}
	out := &DescribeNetworkInterfacesOutput{NetworkInterfaces: []NetworkInterface{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.ENIs(a.caller.Account, a.caller.Region, in.NetworkInterfaceIDs)
		if err != nil {
			return err
		}
		if err := missingIDs(in.NetworkInterfaceIDs, len(rows), func(i int) string { return rows[i].ID }, ErrCodeInvalidNetworkInterfaceIDNotFound, "The networkInterface ID '%s' does not exist"); err != nil {
			return err
		}
		rows = pageRowsEC2(a, in, rows, func(n store.ENI) string { return n.ID }, len(in.Filters) == 0)
		eps := map[string]store.Endpoint{}
		for _, n := range rows {
			e, ok := eps[n.EndpointID]
			if !ok {
				if e, err = tx.Endpoint(n.EndpointID); err != nil {
					return err
				}
				eps[n.EndpointID] = e
			}
			cs, err := a.loadEndpointContexts(tx, []store.Endpoint{e}, false)
			if err != nil {
				return err
			}
			ni := NetworkInterface{AvailabilityZone: n.Zone, Description: "VPC Endpoint Interface " + e.ID, Groups: []GroupIdentifier{},
				InterfaceType: "vpc_endpoint", Ipv6Addresses: []Ipv6Address{}, NetworkInterfaceID: n.ID, OwnerID: n.Account,
				PrivateIPAddresses: []PrivateIP{}, RequesterID: "727180483921", RequesterManaged: true, Status: "in-use",
				SubnetID: n.SubnetID, VpcID: e.VPCID, TagSet: []Tag{}, Ipv6Native: e.IPAddressType == "ipv6"}
			for _, g := range e.GroupIDs {
				ni.Groups = append(ni.Groups, GroupIdentifier{GroupID: g, GroupName: cs[e.ID].groups[g]})
			}
			if ni.TagSet, err = a.tags(tx, n.ID); err != nil { // create-tags tags ENIs
				return err
			}
			if n.IPv4.IsValid() {
				ni.PrivateIPAddress = n.IPv4.String()
				ni.PrivateIPAddresses = append(ni.PrivateIPAddresses, PrivateIP{Primary: true, PrivateIPAddress: n.IPv4.String()})
			}
			if n.IPv6.IsValid() {
				deny := true // as AWS shows for endpoint ENIs with IPv6
				ni.DenyAllIgwTraffic = &deny
				ni.Ipv6Address = n.IPv6.String()
				ni.Ipv6Addresses = append(ni.Ipv6Addresses, Ipv6Address{Ipv6Address: n.IPv6.String(), IsPrimaryIpv6: false})
			}
			out.NetworkInterfaces = append(out.NetworkInterfaces, ni)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.NetworkInterfaces, err = applyFilters(out.NetworkInterfaces, in.Filters, networkInterfaceFilters)
	if err != nil {
		return nil, err
	}
	out.NetworkInterfaces, out.NextToken, err = pageEC2(a, in, out.NetworkInterfaces, func(v NetworkInterface) string { return v.NetworkInterfaceID })
	return out, err
}

// eventDetail is the JSON of an event and of its notification message.
type eventDetail struct {
	Event            string   `json:"Event"`
	Time             string   `json:"Time"`
	ServiceID        string   `json:"ServiceId"`
	VpcEndpointID    string   `json:"VpcEndpointId"`
	VpcEndpointOwner string   `json:"VpcEndpointOwner"`
	VpcEndpointState string   `json:"VpcEndpointState"`
	Accounts         []string `json:"Accounts"`
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
