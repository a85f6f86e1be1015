package control

// Resource state words, as AWS writes them (AWS's own examples print the
// endpoint and VPC words in lower camel case and the service words
// capitalized).
const (
	// VPC endpoints and their connections.
	StateEndpointPendingAcceptance = "pendingAcceptance"
	StateEndpointPending           = "pending"
	StateEndpointAvailable         = "available"
	StateEndpointRejected          = "rejected"
	StateEndpointDeleted           = "deleted"
	StateEndpointFailed            = "failed"

	// Endpoint services.
	StateServiceAvailable = "Available"

	// Private DNS name verification of a service.
	StatePrivateDNSPendingVerification = "pendingVerification"
	StatePrivateDNSVerified            = "verified"
	StatePrivateDNSFailed              = "failed"

	// VPCs and subnets, and their CIDR block associations.
	StateVpcAvailable            = "available"
	StateSubnetAvailable         = "available"
	StateCidrBlockAssociated     = "associated"
	StateNotificationEnabled     = "Enabled"
	StateLoadBalancerActive      = "active"
	StateTargetHealthInitial     = "initial"
	StateTargetHealthDraining    = "draining"
	StateTargetHealthUnused      = "unused"
	StateTargetHealthUnavailable = "unavailable"
)
