package control

import (
	"github.com/plink-dev/plink/internal/names"
)

// ErrCodeInvalidClientTokenID is the code of a request whose identity AWS does
// not know. AWS lists it among the errors common to every service's API
// ("The X.509 certificate or AWS access key ID provided does not exist in
// our records", HTTP 403; e.g.
// https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html),
// and it is what `aws sts get-caller-identity` and every EC2 or ELB call
// answer to credentials that name no valid identity. AuthFailure and
// UnauthorizedOperation are EC2-only and mean a known identity that may not
// do something; a principal that is malformed, or that belongs to another
// account than the one the request is signed for, is not a known identity.
const ErrCodeInvalidClientTokenID = "InvalidClientTokenId"

// Validate checks that c is an identity AWS could authenticate: a 12-digit
// account, a region name, and a principal that is an IAM ARN of that same
// account (its root, a user or a role; see names.ParsePrincipal). An empty
// principal means the account's root. Every entry point (flags, PLINK_*
// environment, config file profiles, demo) builds an API with New,
// which calls Validate, so no request ever runs as a forged caller.
func (c Caller) Validate() error {
	if !names.ValidAccount(c.Account) {
		return Errorf(ErrCodeInvalidClientTokenID, "The account ID '%s' is not valid: an account ID is 12 digits.", c.Account)
	}
	if !names.ValidRegion(c.Region) {
		return invalidValue("The region '%s' is not valid: expected a region name such as us-east-1.", c.Region)
	}
	if c.Principal == "" {
		return nil
	}
	p, err := names.ParsePrincipal(c.Principal)
	if err != nil {
		return Errorf(ErrCodeInvalidClientTokenID, "The principal '%s' is not valid: %v.", c.Principal, err)
	}
	if p.Account != c.Account {
		return Errorf(ErrCodeInvalidClientTokenID, "The principal '%s' belongs to account %s, not to the calling account %s.", c.Principal, p.Account, c.Account)
	}
	return nil
}
