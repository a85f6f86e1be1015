package control

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/plink-dev/plink/internal/store"
)

// Error codes of the members issue 9 added: security group rule IDs and
// ClientToken idempotency.
const (
	ErrCodeIdempotentParameterMismatch         = "IdempotentParameterMismatch"
	ErrCodeInvalidSecurityGroupRuleIDMalformed = "InvalidSecurityGroupRuleId.Malformed"
	ErrCodeInvalidSecurityGroupRuleIDNotFound  = "InvalidSecurityGroupRuleId.NotFound"
)

// DefaultEndpointPolicy is the policy AWS attaches to an interface
// endpoint created without one, exactly as describe-vpc-endpoints prints
// it (the AWS CLI's create-vpc-endpoint example output): full access.
const DefaultEndpointPolicy = "{\n  \"Statement\": [\n    {\n      \"Action\": \"*\", \n      \"Effect\": \"Allow\", \n      \"Principal\": \"*\", \n      \"Resource\": \"*\"\n    }\n  ]\n}"

// maxPolicyLen is the longest endpoint policy AWS takes, white space
// included.
const maxPolicyLen = 20480

// maxClientTokenLen is the longest ClientToken EC2 takes.
const maxClientTokenLen = 64

// checkPolicyDocument refuses a policy that is not a JSON object or is
// longer than AWS allows. plink stores and returns the policy; it does not
// evaluate it (an endpoint to a plink service has no IAM behind it).
func checkPolicyDocument(doc string) error {
	if len(doc) > maxPolicyLen {
		return invalidValue("The policy document is %d characters long: at most %d.", len(doc), maxPolicyLen)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(doc), &obj); err != nil {
		return invalidValue("The policy document is not valid JSON: %v.", err)
	}
	return nil
}

// policyText is an endpoint's policy as AWS prints it.
func policyText(doc string) string {
	if doc == "" {
		return DefaultEndpointPolicy
	}
	return doc
}

// clientTokenDigest is the digest of a request's parameters without its
// ClientToken and DryRun: two calls with one token are the same request
// when their digests are equal.
func clientTokenDigest(in any) (string, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	delete(m, "ClientToken")
	delete(m, "DryRun")
	b, err = json.Marshal(m) // map keys sorted: a stable text
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// replayClientToken looks token up for action. When the caller used it
// before with the same parameters, it fills out with the first call's
// output and reports true; with other parameters it fails with
// IdempotentParameterMismatch, as EC2 does. Unknown or empty tokens report
// false: the create runs, and saveClientToken records it.
func (a *API) replayClientToken(tx *store.Tx, action, token string, in, out any) (bool, error) {
	if token == "" {
		return false, nil
	}
	if len(token) > maxClientTokenLen {
		return false, invalidValue("The client token is %d characters long: at most %d.", len(token), maxClientTokenLen)
	}
	c, err := tx.ClientTokenOf(a.caller.Account, a.caller.Region, action, token)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	digest, err := clientTokenDigest(in)
	if err != nil {
		return false, err
	}
	if digest != c.Params {
		return true, Errorf(ErrCodeIdempotentParameterMismatch, "The client token '%s' was used before with different parameters.", token)
	}
	return true, json.Unmarshal([]byte(c.Output), out)
}

// saveClientToken records a create's output under its token.
func (a *API) saveClientToken(tx *store.Tx, action, token string, in, out any) error {
	if token == "" {
		return nil
	}
	digest, err := clientTokenDigest(in)
	if err != nil {
		return err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return tx.InsertClientToken(store.ClientToken{Account: a.caller.Account, Region: a.caller.Region, Action: action, Token: token,
		Params: digest, Output: string(b), CreatedAt: timestamp(a.now())})
}
