package control

// Error codes, states and enum values of the actions in tags_ec2.go, az.go,
// cidr.go, vpc_attribute.go, payer.go and elbv2_ipaddr.go that errors.go,
// elbv2.go and states.go do not already name. Where AWS documents the
// message, the message is AWS's.
const (
	// ErrCodeCidrLimitExceeded: "This network 'vpc-...' has met its maximum
	// number of allowed CIDRs: 5".
	ErrCodeCidrLimitExceeded = "CidrLimitExceeded"
	// ErrCodeInvalidVpcCidrAssociationNotFound and
	// ErrCodeInvalidSubnetCidrAssociationNotFound: an association ID the
	// caller has no block of.
	ErrCodeInvalidVpcCidrAssociationNotFound    = "InvalidVpcCidrBlockAssociationID.NotFound"
	ErrCodeInvalidSubnetCidrAssociationNotFound = "InvalidSubnetCidrBlockAssociationID.NotFound"
	// ErrCodeInvalidID: a resource ID of no kind create-tags knows ("The ID
	// '...' is not valid").
	ErrCodeInvalidID = "InvalidID"
	// ErrCodeInvalidSubnet is elbv2's InvalidSubnetException: a subnet that
	// cannot take the change (set-ip-address-type dualstack on a subnet
	// without IPv6).
	ErrCodeInvalidSubnet = "InvalidSubnet"
)

// CIDR block association states (VpcCidrBlockStateCode,
// SubnetCidrBlockStateCode) besides StateCidrBlockAssociated. AWS answers
// associate and disassociate with the transitional state; plink's change is
// done when it answers, so describe shows associated blocks only.
const (
	StateCidrBlockAssociating    = "associating"
	StateCidrBlockDisassociating = "disassociating"
)

// Availability zone values (AvailabilityZoneState,
// AvailabilityZoneOptInStatus, ZoneType).
const (
	StateZoneAvailable       = "available"
	StateZoneImpaired        = "impaired"
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
