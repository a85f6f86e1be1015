package control

// Error codes, states and enum values of the actions in tags_ec2.go, az.go,
// cidr.go, vpc_attribute.go, payer.go and elbv2_ipaddr.go, in one place.
// Where AWS documents the message, the message is AWS's.
const (
	// CodeDependencyViolation: something still uses what the request would
	// remove.
	CodeDependencyViolation = "DependencyViolation"
	// CodeOperationNotPermitted: e.g. disassociating a VPC's primary IPv4
	// block ("The vpc CIDR block with association ID ... may not be
	// disassociated. It is the primary IPv4 CIDR block of the VPC").
	CodeOperationNotPermitted = "OperationNotPermitted"
	// CodeCidrLimitExceeded: "This network 'vpc-...' has met its maximum
	// number of allowed CIDRs: 5".
	CodeCidrLimitExceeded = "CidrLimitExceeded"
	// CodeInvalidVpcRange: a block outside what a VPC may have, or one
	// that overlaps another VPC's ("The CIDR '10.0.0.0/16' is restricted.
	// Use a CIDR from the same private address range as the current VPC
	// CIDR, or use a publicly-routable CIDR.").
	CodeInvalidVpcRange = "InvalidVpc.Range"
	// CodeInvalidSubnetRange and CodeInvalidSubnetConflict: a subnet block
	// outside its VPC's, or one another subnet has.
	CodeInvalidSubnetRange    = "InvalidSubnet.Range"
	CodeInvalidSubnetConflict = "InvalidSubnet.Conflict"
	// CodeVpcCidrAssociationNotFound and CodeSubnetCidrAssociationNotFound:
	// an association ID the caller has no block of.
	CodeVpcCidrAssociationNotFound    = "InvalidVpcCidrBlockAssociationID.NotFound"
	CodeSubnetCidrAssociationNotFound = "InvalidSubnetCidrBlockAssociationID.NotFound"
	// CodeInvalidID: a resource ID of no kind create-tags knows ("The ID
	// '...' is not valid").
	CodeInvalidID = "InvalidID"
	// CodeInvalidNextToken: a NextToken this action did not hand out.
	CodeInvalidNextToken = "InvalidNextToken"
	// CodeNotFoundENI: a network interface the caller does not have.
	CodeNotFoundENI = "InvalidNetworkInterfaceID.NotFound"
	// elbInvalidSubnet is elbv2's InvalidSubnetException: a subnet that
	// cannot take the change (set-ip-address-type dualstack on a subnet
	// without IPv6).
	elbInvalidSubnet = "InvalidSubnet"
)

// CIDR block association states (VpcCidrBlockStateCode,
// SubnetCidrBlockStateCode). AWS answers associate and disassociate with
// the transitional state; plink's change is done when it answers, so
// describe shows associated blocks only.
const (
	CidrBlockAssociating    = "associating"
	CidrBlockAssociated     = "associated"
	CidrBlockDisassociating = "disassociating"
)

// Availability zone values (AvailabilityZoneState,
// AvailabilityZoneOptInStatus, ZoneType).
const (
	ZoneStateAvailable       = "available"
	ZoneOptInNotRequired     = "opt-in-not-required"
	ZoneTypeAvailabilityZone = "availability-zone"
)

// VPC attribute names (VpcAttributeName).
const (
	VpcAttrEnableDNSSupport                 = "enableDnsSupport"
	VpcAttrEnableDNSHostnames               = "enableDnsHostnames"
	VpcAttrEnableNetworkAddressUsageMetrics = "enableNetworkAddressUsageMetrics"
)

// PayerResponsibilityServiceOwner is the only PayerResponsibility value.
const PayerResponsibilityServiceOwner = "ServiceOwner"

// IP address types of load balancers (elbv2 IpAddressType) and endpoints.
const (
	IPAddressTypeIPv4      = "ipv4"
	IPAddressTypeDualstack = "dualstack"
	IPAddressTypeIPv6      = "ipv6"
)
