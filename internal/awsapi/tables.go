package awsapi

import "github.com/plink-dev/plink/internal/output"

// The tables of -o table and -o wide, one per resource. A create action
// prints the one resource it answers with the columns of its describe.

// single tabulates one object at path with t's columns.
func single(t *output.Table, path string) *output.Table {
	return &output.Table{List: path, Columns: t.Columns}
}

var (
	callerTable = &output.Table{List: "@", Columns: []output.Column{
		{Header: "ACCOUNT", Path: "Account"}, {Header: "ARN", Path: "Arn"}, {Header: "USER ID", Path: "UserId"}}}

	vpcTable = &output.Table{List: "Vpcs", Columns: []output.Column{
		{Header: "VPC ID", Path: "VpcId"}, {Header: "CIDR", Path: "CidrBlock"},
		{Header: "IPV6 CIDR", Path: "Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock"},
		{Header: "DEFAULT", Path: "IsDefault"}, {Header: "STATE", Path: "State"}, {Header: "OWNER", Path: "OwnerId", Wide: true}}}
	subnetTable = &output.Table{List: "Subnets", Columns: []output.Column{
		{Header: "SUBNET ID", Path: "SubnetId"}, {Header: "VPC ID", Path: "VpcId"}, {Header: "ZONE", Path: "AvailabilityZone"},
		{Header: "CIDR", Path: "CidrBlock"}, {Header: "IPV6 CIDR", Path: "Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock"},
		{Header: "IPV6 NATIVE", Path: "Ipv6Native", Wide: true}, {Header: "ZONE ID", Path: "AvailabilityZoneId", Wide: true}}}
	sgTable = &output.Table{List: "SecurityGroups", Columns: []output.Column{
		{Header: "GROUP ID", Path: "GroupId"}, {Header: "NAME", Path: "GroupName"}, {Header: "VPC ID", Path: "VpcId"},
		{Header: "RULES", Path: "length(IpPermissions)"}, {Header: "DESCRIPTION", Path: "Description", Wide: true}}}
	sgCreateTable = &output.Table{List: "@", Columns: []output.Column{{Header: "GROUP ID", Path: "GroupId"}}}

	lbTable = &output.Table{List: "LoadBalancers", Columns: []output.Column{
		{Header: "NAME", Path: "LoadBalancerName"}, {Header: "DNS NAME", Path: "DNSName"}, {Header: "STATE", Path: "State.Code"},
		{Header: "SCHEME", Path: "Scheme"}, {Header: "TYPE", Path: "Type"}, {Header: "IP TYPE", Path: "IpAddressType"},
		{Header: "VPC ID", Path: "VpcId"}, {Header: "ZONES", Path: "AvailabilityZones[].ZoneName", Wide: true},
		{Header: "ADDRESSES", Path: "AvailabilityZones[].LoadBalancerAddresses[].IpAddress", Wide: true},
		{Header: "ARN", Path: "LoadBalancerArn", Wide: true}}}
	tgTable = &output.Table{List: "TargetGroups", Columns: []output.Column{
		{Header: "NAME", Path: "TargetGroupName"}, {Header: "PORT", Path: "Port"}, {Header: "PROTOCOL", Path: "Protocol"},
		{Header: "VPC ID", Path: "VpcId"}, {Header: "HEALTH CHECK", Path: "join(' ', [HealthCheckProtocol, HealthCheckPort, HealthCheckPath || ''])"},
		{Header: "LOAD BALANCERS", Path: "length(LoadBalancerArns)", Wide: true}, {Header: "IP TYPE", Path: "IpAddressType", Wide: true},
		{Header: "ARN", Path: "TargetGroupArn", Wide: true}}}
	healthTable = &output.Table{List: "TargetHealthDescriptions", Columns: []output.Column{
		{Header: "TARGET", Path: "Target.Id"}, {Header: "PORT", Path: "Target.Port"}, {Header: "ZONE", Path: "Target.AvailabilityZone"},
		{Header: "STATE", Path: "TargetHealth.State"}, {Header: "REASON", Path: "TargetHealth.Reason"},
		{Header: "HEALTH CHECK PORT", Path: "HealthCheckPort", Wide: true}, {Header: "DESCRIPTION", Path: "TargetHealth.Description", Wide: true}}}
	listenerTable = &output.Table{List: "Listeners", Columns: []output.Column{
		{Header: "PORT", Path: "Port"}, {Header: "PROTOCOL", Path: "Protocol"}, {Header: "ACTION", Path: "DefaultActions[0].Type"},
		{Header: "TARGET GROUP", Path: "DefaultActions[0].TargetGroupArn"}, {Header: "ARN", Path: "ListenerArn", Wide: true}}}
	attrTable = &output.Table{List: "Attributes", Columns: []output.Column{{Header: "KEY", Path: "Key"}, {Header: "VALUE", Path: "Value"}}}
	tagsTable = &output.Table{List: "TagDescriptions", Columns: []output.Column{
		{Header: "RESOURCE", Path: "ResourceArn"}, {Header: "TAGS", Path: "join(',', Tags[].join('=', [Key, Value]))"}}}

	serviceTable = &output.Table{List: "ServiceConfigurations", Columns: []output.Column{
		{Header: "SERVICE ID", Path: "ServiceId"}, {Header: "SERVICE NAME", Path: "ServiceName"}, {Header: "STATE", Path: "ServiceState"},
		{Header: "ACCEPTANCE", Path: "AcceptanceRequired"}, {Header: "ZONES", Path: "AvailabilityZones"},
		{Header: "IP TYPES", Path: "SupportedIpAddressTypes"}, {Header: "PRIVATE DNS", Path: "PrivateDnsName"},
		{Header: "VERIFICATION", Path: "PrivateDnsNameConfiguration.State", Wide: true},
		{Header: "NLBS", Path: "NetworkLoadBalancerArns", Wide: true}}}
	batchTable = &output.Table{List: "Unsuccessful", Columns: []output.Column{
		{Header: "RESOURCE ID", Path: "ResourceId"}, {Header: "CODE", Path: "Error.Code"}, {Header: "MESSAGE", Path: "Error.Message"}}}
	permissionsTable = &output.Table{List: "AllowedPrincipals", Columns: []output.Column{
		{Header: "PRINCIPAL", Path: "Principal"}, {Header: "TYPE", Path: "PrincipalType"}}}
	connectionsTable = &output.Table{List: "VpcEndpointConnections", Columns: []output.Column{
		{Header: "VPC ENDPOINT ID", Path: "VpcEndpointId"}, {Header: "SERVICE ID", Path: "ServiceId"},
		{Header: "OWNER", Path: "VpcEndpointOwner"}, {Header: "STATE", Path: "VpcEndpointState"},
		{Header: "IP TYPE", Path: "IpAddressType"}, {Header: "CREATED", Path: "CreationTimestamp", Wide: true}}}

	servicesTable = &output.Table{List: "ServiceDetails", Columns: []output.Column{
		{Header: "SERVICE NAME", Path: "ServiceName"}, {Header: "OWNER", Path: "Owner"}, {Header: "ZONES", Path: "AvailabilityZones"},
		{Header: "ACCEPTANCE", Path: "AcceptanceRequired"}, {Header: "IP TYPES", Path: "SupportedIpAddressTypes"},
		{Header: "PRIVATE DNS", Path: "PrivateDnsName", Wide: true}, {Header: "VERIFICATION", Path: "PrivateDnsNameVerificationState", Wide: true}}}
	// The endpoint tables show what a client connects to: the addresses
	// (Addresses is added for tables only: cmd/plink/cli/awscli/addresses.go)
	// and the DNS names.
	endpointTable = &output.Table{List: "VpcEndpoints", Columns: []output.Column{
		{Header: "VPC ENDPOINT ID", Path: "VpcEndpointId"}, {Header: "VPC ID", Path: "VpcId"}, {Header: "SERVICE NAME", Path: "ServiceName"},
		{Header: "STATE", Path: "State"}, {Header: "ADDRESSES", Path: "Addresses"}, {Header: "DNS NAME", Path: "DnsEntries[0].DnsName"},
		{Header: "IP TYPE", Path: "IpAddressType", Wide: true}, {Header: "PRIVATE DNS", Path: "PrivateDnsEnabled", Wide: true},
		{Header: "DNS NAMES", Path: "DnsEntries[].DnsName", Wide: true}, {Header: "SUBNETS", Path: "SubnetIds", Wide: true},
		{Header: "ENIS", Path: "NetworkInterfaceIds", Wide: true}}}
	eniTable = &output.Table{List: "NetworkInterfaces", Columns: []output.Column{
		{Header: "ENI ID", Path: "NetworkInterfaceId"}, {Header: "ZONE", Path: "AvailabilityZone"}, {Header: "SUBNET ID", Path: "SubnetId"},
		{Header: "IPV4", Path: "PrivateIpAddress"}, {Header: "IPV6", Path: "Ipv6Address"}, {Header: "DESCRIPTION", Path: "Description", Wide: true}}}
	notificationTable = &output.Table{List: "ConnectionNotificationSet", Columns: []output.Column{
		{Header: "NOTIFICATION ID", Path: "ConnectionNotificationId"}, {Header: "SERVICE ID", Path: "ServiceId"},
		{Header: "VPC ENDPOINT ID", Path: "VpcEndpointId"}, {Header: "TARGET", Path: "ConnectionNotificationArn"},
		{Header: "EVENTS", Path: "ConnectionEvents"}, {Header: "STATE", Path: "ConnectionNotificationState", Wide: true}}}

	azTable = &output.Table{List: "AvailabilityZones", Columns: []output.Column{
		{Header: "ZONE", Path: "ZoneName"}, {Header: "ZONE ID", Path: "ZoneId"}, {Header: "STATE", Path: "State"},
		{Header: "REGION", Path: "RegionName", Wide: true}}}
	ec2TagsTable = &output.Table{List: "Tags", Columns: []output.Column{
		{Header: "RESOURCE ID", Path: "ResourceId"}, {Header: "TYPE", Path: "ResourceType"}, {Header: "KEY", Path: "Key"},
		{Header: "VALUE", Path: "Value"}}}
)
