package control

import (
	"slices"
	"strconv"
)

// The filters of each describe action: every name AWS documents for it
// (the Filters member of the action's input in the EC2 API reference and
// botocore's model), declared once per action. tag:<key> and tag-key come
// with the "tags" entry (see applyFilters).
//
// A filter on something plink's resources do not have is still accepted,
// and matches as AWS would for a resource without it:
//   - noValue: the resource has no such value (no Outpost, no Elastic IP,
//     no instance attachment, no prefix list): the filter matches nothing.
//   - a constant: the value every plink resource has for it
//     (map-public-ip-on-launch is false on every subnet, the DHCP options
//     of every VPC are "default"): the filter matches when a value of the
//     filter matches that constant.

// noValue is a filter on a member plink's resources never have: it
// matches no resource.
func noValue[T any](T) []string { return nil }

// constant is a filter on a member every plink resource has with value v.
func constant[T any](v string) fieldFunc[T] { return func(T) []string { return one(v) } }

// vpcFilters are describe-vpcs' 15 filters.
var vpcFilters = map[string]fieldFunc[Vpc]{
	"cidr":                              func(v Vpc) []string { return one(v.CidrBlock) },
	"cidr-block":                        func(v Vpc) []string { return one(v.CidrBlock) }, // plink's older name; AWS takes it too
	"cidr-block-association.cidr-block": func(v Vpc) []string { return vpcCidrs(v, func(c CidrBlockAssociation) string { return c.CidrBlock }) },
	"cidr-block-association.association-id": func(v Vpc) []string {
		return vpcCidrs(v, func(c CidrBlockAssociation) string { return c.AssociationID })
	},
	"cidr-block-association.state": func(v Vpc) []string {
		return vpcCidrs(v, func(c CidrBlockAssociation) string { return c.CidrBlockState.State })
	},
	"dhcp-options-id": func(v Vpc) []string { return one(v.DhcpOptionsID) },
	"ipv6-cidr-block-association.ipv6-cidr-block": func(v Vpc) []string {
		return ipv6Cidrs(v.Ipv6CidrBlockAssociationSet, func(c Ipv6CidrAssociation) string { return c.Ipv6CidrBlock })
	},
	"ipv6-cidr-block-association.ipv6-pool": func(v Vpc) []string {
		return ipv6Cidrs(v.Ipv6CidrBlockAssociationSet, func(c Ipv6CidrAssociation) string { return c.Ipv6Pool })
	},
	"ipv6-cidr-block-association.association-id": func(v Vpc) []string {
		return ipv6Cidrs(v.Ipv6CidrBlockAssociationSet, func(c Ipv6CidrAssociation) string { return c.AssociationID })
	},
	"ipv6-cidr-block-association.state": func(v Vpc) []string {
		return ipv6Cidrs(v.Ipv6CidrBlockAssociationSet, func(c Ipv6CidrAssociation) string { return c.Ipv6CidrBlockState.State })
	},
	"is-default": func(v Vpc) []string { return boolStr(v.IsDefault) },
	"owner-id":   func(v Vpc) []string { return one(v.OwnerID) },
	"state":      func(v Vpc) []string { return one(v.State) },
	"vpc-id":     func(v Vpc) []string { return one(v.VpcID) },
	"tags":       func(v Vpc) []string { return tagStrings(v.Tags) },
}

func vpcCidrs(v Vpc, f func(CidrBlockAssociation) string) []string {
	var out []string
	for _, c := range v.CidrBlockAssociationSet {
		out = append(out, f(c))
	}
	return out
}

func ipv6Cidrs(set []Ipv6CidrAssociation, f func(Ipv6CidrAssociation) string) []string {
	var out []string
	for _, c := range set {
		if s := f(c); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// subnetFilters are describe-subnets' 25 filters, with the alternative
// names AWS documents (availabilityZone, cidr, cidrBlock, defaultForAz...).
var subnetFilters = map[string]fieldFunc[Subnet]{
	"availability-zone":          func(s Subnet) []string { return one(s.AvailabilityZone) },
	"availabilityZone":           func(s Subnet) []string { return one(s.AvailabilityZone) },
	"availability-zone-id":       func(s Subnet) []string { return one(s.AvailabilityZoneID) },
	"availabilityZoneId":         func(s Subnet) []string { return one(s.AvailabilityZoneID) },
	"available-ip-address-count": func(s Subnet) []string { return one(strconv.Itoa(s.AvailableIPAddressCount)) },
	"cidr-block":                 subnetCidr,
	"cidr":                       subnetCidr,
	"cidrBlock":                  subnetCidr,
	// No customer-owned pools (Outposts) here.
	"customer-owned-ipv4-pool": noValue[Subnet],
	"default-for-az":           func(s Subnet) []string { return boolStr(s.DefaultForAz) },
	"defaultForAz":             func(s Subnet) []string { return boolStr(s.DefaultForAz) },
	// DNS64 is off on every plink subnet (AWS's default).
	"enable-dns64": constant[Subnet]("false"),
	// Local network interfaces are an Outposts feature: no subnet has one.
	"enable-lni-at-device-index": noValue[Subnet],
	"ipv6-cidr-block-association.ipv6-cidr-block": func(s Subnet) []string {
		return subnetIpv6Cidrs(s, func(c SubnetIpv6CidrBlockAssociation) string { return c.Ipv6CidrBlock })
	},
	"ipv6-cidr-block-association.association-id": func(s Subnet) []string {
		return subnetIpv6Cidrs(s, func(c SubnetIpv6CidrBlockAssociation) string { return c.AssociationID })
	},
	"ipv6-cidr-block-association.state": func(s Subnet) []string {
		return subnetIpv6Cidrs(s, func(c SubnetIpv6CidrBlockAssociation) string { return c.Ipv6CidrBlockState.State })
	},
	"ipv6-native": func(s Subnet) []string { return boolStr(s.Ipv6Native) },
	// Customer-owned IPs are an Outposts feature: false on every subnet.
	"map-customer-owned-ip-on-launch": constant[Subnet]("false"),
	"map-public-ip-on-launch":         func(s Subnet) []string { return boolStr(s.MapPublicIPOnLaunch) },
	// No subnet is on an Outpost.
	"outpost-arn": noValue[Subnet],
	"owner-id":    func(s Subnet) []string { return one(s.OwnerID) },
	// Instances are not launched here; the launch options are AWS's
	// defaults on every subnet: IP-based names, no A or AAAA records.
	"private-dns-name-options-on-launch.hostname-type":                        constant[Subnet]("ip-name"),
	"private-dns-name-options-on-launch.enable-resource-name-dns-a-record":    constant[Subnet]("false"),
	"private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record": constant[Subnet]("false"),
	"state":      func(s Subnet) []string { return one(s.State) },
	"subnet-arn": func(s Subnet) []string { return one(s.SubnetArn) },
	"subnet-id":  func(s Subnet) []string { return one(s.SubnetID) },
	"vpc-id":     func(s Subnet) []string { return one(s.VpcID) },
	"tags":       func(s Subnet) []string { return tagStrings(s.Tags) },
}

func subnetIpv6Cidrs(s Subnet, f func(SubnetIpv6CidrBlockAssociation) string) []string {
	var out []string
	for _, c := range s.Ipv6CidrBlockAssociationSet {
		out = append(out, f(c))
	}
	return out
}

func subnetCidr(s Subnet) []string {
	if s.CidrBlock == "" {
		return nil // an IPv6-only subnet
	}
	return one(s.CidrBlock)
}

// securityGroupFilters are describe-security-groups' 25 filters. Inbound
// rules are the group's; outbound, every plink group has the one rule AWS
// gives a new group: all traffic to 0.0.0.0/0 (protocol -1, no ports).
var securityGroupFilters = map[string]fieldFunc[SecurityGroup]{
	"description":                         func(g SecurityGroup) []string { return one(g.Description) },
	"egress.ip-permission.cidr":           func(g SecurityGroup) []string { return permCidrs(g.IPPermissionsEgress) },
	"egress.ip-permission.from-port":      func(g SecurityGroup) []string { return permPorts(g.IPPermissionsEgress, true) },
	"egress.ip-permission.group-id":       func(g SecurityGroup) []string { return permPairs(g.IPPermissionsEgress, pairGroupID) },
	"egress.ip-permission.group-name":     func(g SecurityGroup) []string { return permPairs(g.IPPermissionsEgress, pairGroupName) },
	"egress.ip-permission.ipv6-cidr":      func(g SecurityGroup) []string { return permIpv6Cidrs(g.IPPermissionsEgress) },
	"egress.ip-permission.prefix-list-id": func(g SecurityGroup) []string { return permPrefixLists(g.IPPermissionsEgress) },
	"egress.ip-permission.protocol":       func(g SecurityGroup) []string { return permProtocols(g.IPPermissionsEgress) },
	"egress.ip-permission.to-port":        func(g SecurityGroup) []string { return permPorts(g.IPPermissionsEgress, false) },
	"egress.ip-permission.user-id":        func(g SecurityGroup) []string { return permPairs(g.IPPermissionsEgress, pairUserID) },
	"group-id":                            func(g SecurityGroup) []string { return one(g.GroupID) },
	"group-name":                          func(g SecurityGroup) []string { return one(g.GroupName) },
	"ip-permission.cidr":                  func(g SecurityGroup) []string { return permCidrs(g.IPPermissions) },
	"ip-permission.from-port":             func(g SecurityGroup) []string { return permPorts(g.IPPermissions, true) },
	"ip-permission.group-id":              func(g SecurityGroup) []string { return permPairs(g.IPPermissions, pairGroupID) },
	"ip-permission.group-name":            func(g SecurityGroup) []string { return permPairs(g.IPPermissions, pairGroupName) },
	"ip-permission.ipv6-cidr":             func(g SecurityGroup) []string { return permIpv6Cidrs(g.IPPermissions) },
	"ip-permission.prefix-list-id":        func(g SecurityGroup) []string { return permPrefixLists(g.IPPermissions) },
	"ip-permission.protocol":              func(g SecurityGroup) []string { return permProtocols(g.IPPermissions) },
	"ip-permission.to-port":               func(g SecurityGroup) []string { return permPorts(g.IPPermissions, false) },
	"ip-permission.user-id":               func(g SecurityGroup) []string { return permPairs(g.IPPermissions, pairUserID) },
	"owner-id":                            func(g SecurityGroup) []string { return one(g.OwnerID) },
	"vpc-id":                              func(g SecurityGroup) []string { return one(g.VpcID) },
	"tags":                                func(g SecurityGroup) []string { return tagStrings(g.Tags) },
}

func permCidrs(ps []IPPermission) []string {
	var out []string
	for _, p := range ps {
		for _, r := range p.IPRanges {
			out = append(out, r.CidrIP)
		}
	}
	return out
}

func permIpv6Cidrs(ps []IPPermission) []string {
	var out []string
	for _, p := range ps {
		for _, r := range p.Ipv6Ranges {
			out = append(out, r.CidrIpv6)
		}
	}
	return out
}

// permPrefixLists: plink has no prefix lists, so no rule names one.
func permPrefixLists(ps []IPPermission) []string {
	var out []string
	for _, p := range ps {
		for _, l := range p.PrefixListIDs {
			out = append(out, l.PrefixListID)
		}
	}
	return out
}

// permProtocols gives each rule's protocol by name and by number, as AWS
// takes either (tcp or 6); -1 is all protocols.
func permProtocols(ps []IPPermission) []string {
	numbers := map[string]string{"tcp": "6", "udp": "17", "icmp": "1"}
	var out []string
	for _, p := range ps {
		out = append(out, p.IPProtocol)
		if n, ok := numbers[p.IPProtocol]; ok {
			out = append(out, n)
		}
	}
	return out
}

// permPorts gives the rules' first (from) or last port; an all-traffic
// rule has none.
func permPorts(ps []IPPermission, from bool) []string {
	var out []string
	for _, p := range ps {
		port := p.ToPort
		if from {
			port = p.FromPort
		}
		if port != nil {
			out = append(out, strconv.Itoa(*port))
		}
	}
	return out
}

func permPairs(ps []IPPermission, f func(UserIDGroupPair) string) []string {
	var out []string
	for _, p := range ps {
		for _, pair := range p.UserIDGroupPairs {
			if s := f(pair); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func pairGroupID(p UserIDGroupPair) string   { return p.GroupID }
func pairGroupName(p UserIDGroupPair) string { return p.name }
func pairUserID(p UserIDGroupPair) string    { return p.UserID }

// networkInterfaceFilters are describe-network-interfaces' 37 filters
// (tag:<key> and tag-key through "tags"). plink's interfaces are
// endpoint interfaces: managed by AWS for the endpoint (requester-managed,
// in-use, source/destination checked), with no public address, no Elastic
// IP, no instance attachment, no MAC or private DNS name: the filters on
// those match nothing.
var networkInterfaceFilters = map[string]fieldFunc[NetworkInterface]{
	"addresses.private-ip-address": func(n NetworkInterface) []string {
		var out []string
		for _, a := range n.PrivateIPAddresses {
			out = append(out, a.PrivateIPAddress)
		}
		return out
	},
	"addresses.primary": func(n NetworkInterface) []string {
		var out []string
		for _, a := range n.PrivateIPAddresses {
			out = append(out, boolStr(a.Primary)...)
		}
		return out
	},
	"addresses.association.public-ip":  noValue[NetworkInterface],
	"addresses.association.owner-id":   noValue[NetworkInterface],
	"association.association-id":       noValue[NetworkInterface],
	"association.allocation-id":        noValue[NetworkInterface],
	"association.ip-owner-id":          noValue[NetworkInterface],
	"association.public-ip":            noValue[NetworkInterface],
	"association.public-dns-name":      noValue[NetworkInterface],
	"attachment.attachment-id":         noValue[NetworkInterface],
	"attachment.attach-time":           noValue[NetworkInterface],
	"attachment.delete-on-termination": noValue[NetworkInterface],
	"attachment.device-index":          noValue[NetworkInterface],
	"attachment.instance-id":           noValue[NetworkInterface],
	"attachment.instance-owner-id":     noValue[NetworkInterface],
	"attachment.status":                noValue[NetworkInterface],
	"availability-zone":                func(n NetworkInterface) []string { return one(n.AvailabilityZone) },
	"description":                      func(n NetworkInterface) []string { return one(n.Description) },
	"group-id": func(n NetworkInterface) []string {
		var out []string
		for _, g := range n.Groups {
			out = append(out, g.GroupID)
		}
		return out
	},
	"group-name": func(n NetworkInterface) []string {
		var out []string
		for _, g := range n.Groups {
			out = append(out, g.GroupName)
		}
		return out
	},
	"ipv6-addresses.ipv6-address": func(n NetworkInterface) []string {
		var out []string
		for _, a := range n.Ipv6Addresses {
			out = append(out, a.Ipv6Address)
		}
		return out
	},
	"interface-type":       func(n NetworkInterface) []string { return one(n.InterfaceType) },
	"mac-address":          noValue[NetworkInterface],
	"network-interface-id": func(n NetworkInterface) []string { return one(n.NetworkInterfaceID) },
	"owner-id":             func(n NetworkInterface) []string { return one(n.OwnerID) },
	"private-ip-address": func(n NetworkInterface) []string {
		if n.PrivateIPAddress == "" {
			return nil
		}
		return one(n.PrivateIPAddress)
	},
	"private-dns-name":  noValue[NetworkInterface],
	"requester-id":      func(n NetworkInterface) []string { return one(n.RequesterID) },
	"requester-managed": func(n NetworkInterface) []string { return boolStr(n.RequesterManaged) },
	// Source/destination checking is on for every interface (AWS's default;
	// only NAT instances turn it off).
	"source-dest-check": constant[NetworkInterface]("true"),
	"status":            func(n NetworkInterface) []string { return one(n.Status) },
	"subnet-id":         func(n NetworkInterface) []string { return one(n.SubnetID) },
	"vpc-id":            func(n NetworkInterface) []string { return one(n.VpcID) },
	"tags":              func(n NetworkInterface) []string { return tagStrings(n.TagSet) },
	// The current API reference adds two more (37 in all; Debian's
	// botocore predates them): interfaces a service operator manages
	// (EKS Auto Mode and the like). Endpoint interfaces are not such.
	"operator.managed":   constant[NetworkInterface]("false"),
	"operator.principal": noValue[NetworkInterface],
}

// vpcEndpointFilters are describe-vpc-endpoints' 8 filters, and owner-id,
// which plink took before.
var vpcEndpointFilters = map[string]fieldFunc[VpcEndpoint]{
	"ip-address-type":    func(e VpcEndpoint) []string { return one(e.IPAddressType) },
	"service-name":       func(e VpcEndpoint) []string { return one(e.ServiceName) },
	"vpc-id":             func(e VpcEndpoint) []string { return one(e.VpcID) },
	"vpc-endpoint-id":    func(e VpcEndpoint) []string { return one(e.VpcEndpointID) },
	"vpc-endpoint-state": func(e VpcEndpoint) []string { return one(e.State) },
	"vpc-endpoint-type":  func(e VpcEndpoint) []string { return one(e.VpcEndpointType) },
	"owner-id":           func(e VpcEndpoint) []string { return one(e.OwnerID) },
	"tags":               func(e VpcEndpoint) []string { return tagStrings(e.Tags) },
}

// vpcEndpointConnectionFilters are describe-vpc-endpoint-connections' 5
// filters.
var vpcEndpointConnectionFilters = map[string]fieldFunc[VpcEndpointConnection]{
	"ip-address-type":    func(c VpcEndpointConnection) []string { return one(c.IPAddressType) },
	"service-id":         func(c VpcEndpointConnection) []string { return one(c.ServiceID) },
	"vpc-endpoint-owner": func(c VpcEndpointConnection) []string { return one(c.VpcEndpointOwner) },
	"vpc-endpoint-state": func(c VpcEndpointConnection) []string { return one(c.VpcEndpointState) },
	"vpc-endpoint-id":    func(c VpcEndpointConnection) []string { return one(c.VpcEndpointID) },
}

// serviceDetailFilters are describe-vpc-endpoint-services' 6 filters, and
// service-id, which plink took before.
var serviceDetailFilters = map[string]fieldFunc[ServiceDetail]{
	"owner":                      func(d ServiceDetail) []string { return one(d.Owner) },
	"service-name":               func(d ServiceDetail) []string { return one(d.ServiceName) },
	"service-type":               func(d ServiceDetail) []string { return one("Interface") },
	"supported-ip-address-types": func(d ServiceDetail) []string { return d.SupportedIPAddressTypes },
	"service-id":                 func(d ServiceDetail) []string { return one(d.ServiceID) },
	"tags":                       func(d ServiceDetail) []string { return tagStrings(d.Tags) },
}

// serviceConfigurationFilters are
// describe-vpc-endpoint-service-configurations' 6 filters, and
// private-dns-name, which plink took before.
var serviceConfigurationFilters = map[string]fieldFunc[ServiceConfiguration]{
	"service-name":               func(s ServiceConfiguration) []string { return one(s.ServiceName) },
	"service-id":                 func(s ServiceConfiguration) []string { return one(s.ServiceID) },
	"service-state":              func(s ServiceConfiguration) []string { return one(s.ServiceState) },
	"supported-ip-address-types": func(s ServiceConfiguration) []string { return s.SupportedIPAddressTypes },
	"private-dns-name":           func(s ServiceConfiguration) []string { return one(s.PrivateDNSName) },
	"tags":                       func(s ServiceConfiguration) []string { return tagStrings(s.Tags) },
}

// servicePermissionFilters are describe-vpc-endpoint-service-permissions'
// 2 filters.
var servicePermissionFilters = map[string]fieldFunc[AllowedPrincipal]{
	"principal":      func(p AllowedPrincipal) []string { return one(p.Principal) },
	"principal-type": func(p AllowedPrincipal) []string { return one(p.PrincipalType) },
}

// connectionNotificationFilters are
// describe-vpc-endpoint-connection-notifications' 6 filters.
var connectionNotificationFilters = map[string]fieldFunc[ConnectionNotification]{
	"connection-notification-arn":   func(n ConnectionNotification) []string { return one(n.ConnectionNotificationArn) },
	"connection-notification-id":    func(n ConnectionNotification) []string { return one(n.ConnectionNotificationID) },
	"connection-notification-state": func(n ConnectionNotification) []string { return one(n.ConnectionNotificationState) },
	"connection-notification-type":  func(n ConnectionNotification) []string { return one(n.ConnectionNotificationType) },
	"service-id":                    func(n ConnectionNotification) []string { return one(n.ServiceID) },
	"vpc-endpoint-id":               func(n ConnectionNotification) []string { return one(n.VpcEndpointID) },
}

// availabilityZoneFilters are describe-availability-zones' filters.
var availabilityZoneFilters = map[string]fieldFunc[AvailabilityZone]{
	"group-name":           func(z AvailabilityZone) []string { return one(z.GroupName) },
	"message":              func(z AvailabilityZone) []string { return nil },
	"network-border-group": func(z AvailabilityZone) []string { return one(z.NetworkBorderGroup) },
	"opt-in-status":        func(z AvailabilityZone) []string { return one(z.OptInStatus) },
	// No Local or Wavelength Zones: no zone has a parent. The model's
	// documentation spells these parent-zoneID and parent-zoneName;
	// the API reference, parent-zone-id and parent-zone-name.
	"parent-zone-id":   noValue[AvailabilityZone],
	"parent-zone-name": noValue[AvailabilityZone],
	"parent-zoneID":    noValue[AvailabilityZone],
	"parent-zoneName":  noValue[AvailabilityZone],
	"region-name":      func(z AvailabilityZone) []string { return one(z.RegionName) },
	"state":            func(z AvailabilityZone) []string { return one(z.State) },
	"zone-id":          func(z AvailabilityZone) []string { return one(z.ZoneID) },
	"zone-name":        func(z AvailabilityZone) []string { return one(z.ZoneName) },
	"zone-type":        func(z AvailabilityZone) []string { return one(z.ZoneType) },
}

// tagDescriptionFilters are ec2 describe-tags' filters: key, value,
// resource-id, resource-type, and tag:<key> over the tag itself.
var tagDescriptionFilters = map[string]fieldFunc[EC2TagDescription]{
	"key":           func(t EC2TagDescription) []string { return one(t.Key) },
	"value":         func(t EC2TagDescription) []string { return one(t.Value) },
	"resource-id":   func(t EC2TagDescription) []string { return one(t.ResourceID) },
	"resource-type": func(t EC2TagDescription) []string { return one(t.ResourceType) },
	"tags":          func(t EC2TagDescription) []string { return one(t.Key + "=" + t.Value) },
}

// filterTables names each describe action's table, for FilterNames.
var filterTables = map[string][]string{
	"DescribeVpcs":                               keysOf(vpcFilters),
	"DescribeSubnets":                            keysOf(subnetFilters),
	"DescribeSecurityGroups":                     keysOf(securityGroupFilters),
	"DescribeNetworkInterfaces":                  keysOf(networkInterfaceFilters),
	"DescribeVpcEndpoints":                       keysOf(vpcEndpointFilters),
	"DescribeVpcEndpointConnections":             keysOf(vpcEndpointConnectionFilters),
	"DescribeVpcEndpointServices":                keysOf(serviceDetailFilters),
	"DescribeVpcEndpointServiceConfigurations":   keysOf(serviceConfigurationFilters),
	"DescribeVpcEndpointServicePermissions":      keysOf(servicePermissionFilters),
	"DescribeVpcEndpointConnectionNotifications": keysOf(connectionNotificationFilters),
	"DescribeAvailabilityZones":                  keysOf(availabilityZoneFilters),
	"DescribeTags":                               keysOf(tagDescriptionFilters),
}

// FilterNames lists the filter names an EC2 describe action takes (its
// AWS name), sorted, with tag:<key> and tag-key where its resources have
// tags; nil for an action without filters. --help shows them.
func FilterNames(action string) []string {
	return filterTables[action]
}

func keysOf[T any](m map[string]fieldFunc[T]) []string {
	var out []string
	for k := range m {
		if k == "tags" {
			out = append(out, "tag:<key>", "tag-key")
			continue
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
