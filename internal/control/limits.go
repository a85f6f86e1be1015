package control

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/plink-dev/plink/internal/store"
)

// AWS's documented limits and character sets that plink enforces, in one
// place. Lengths are in Unicode characters, as AWS counts them.
const (
	// Tags, EC2 and ELB alike: at most 50 per resource, keys of 1-128
	// characters, values of up to 256, the aws: key prefix reserved.
	// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Tag.html
	maxTagsPerResource = 50
	maxTagKeyLen       = 128
	maxTagValueLen     = 256

	// Security group names and descriptions: up to 255 characters of
	// sgCharset; the same for a rule's description.
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html
	maxSGNameLen        = 255
	maxSGDescriptionLen = 255

	// Targets per target group (instances or IP addresses), per Region:
	// 1,000 ("Quotas for your Network Load Balancers", target groups).
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-limits.html
	maxTargetsPerTargetGroup = 1000

	// elbv2 DescribeLoadBalancers: "You can specify up to 20 load balancers
	// in a single call."
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeLoadBalancers.html
	maxLBARNsPerDescribe = 20

	// maxIDsPerRequest bounds the other lists of IDs, ARNs, names and tag
	// keys one request names. AWS documents no number for them; plink's
	// bound keeps one query within SQLite's limit on the variables of a
	// statement (32,766), which a longer list hit as a bare SQL error.
	maxIDsPerRequest = 1000

	// Filters of one describe call, and values of one filter. EC2 refuses
	// more with FilterLimitExceeded ("The request uses too many filters or
	// too many filter values", EC2 error codes) without documenting the
	// numbers; these are plink's, and keep a describe's matching work
	// bounded.
	maxFilters         = 50
	maxValuesPerFilter = 200
)

// checkListLen refuses a list parameter of more than max items with code
// (InvalidParameterValue for EC2, ValidationError for ELB).
func checkListLen(code, param string, n, max int) error {
	if n > max {
		return Errorf(code, "Too many values for parameter %s: %d, at most %d in one request.", param, n, max)
	}
	return nil
}

// AWS error codes of limits.
const (
	// ec2: "You've reached the limit on the number of tags that you can
	// assign to the specified resource."
	ErrCodeTagLimitExceeded = "TagLimitExceeded"
	// elbv2 AddTags, CreateLoadBalancer, CreateTargetGroup, CreateListener:
	// "You've reached the limit on the number of tags for this resource."
	ErrCodeTooManyTags = "TooManyTags"
	// elbv2 RegisterTargets: "You've reached the limit on the number of
	// targets."
	ErrCodeTooManyTargets = "TooManyTargets"
	// ec2 describe-*: too many filters or filter values.
	ErrCodeFilterLimitExceeded = "FilterLimitExceeded"
)

var (
	// sgCharsetRE is the characters of VPC security group names and
	// descriptions: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*
	sgCharsetRE = regexp.MustCompile(`^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$`)
	// elbTagRE is the pattern of ELB tag keys and values:
	// ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (API_Tag).
	elbTagRE = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
)

// hasControl reports whether s holds a control character (C0, DEL, C1) or
// is not valid UTF-8: nothing a name, tag or description may carry, and
// what a terminal would interpret.
func hasControl(s string) bool {
	return !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0
}

// ec2CheckTag checks one EC2 tag: EC2 allows any character in keys and
// values, plink refuses control characters (see hasControl).
func ec2CheckTag(t Tag) error {
	switch n := utf8.RuneCountInString(t.Key); {
	case n == 0 || n > maxTagKeyLen:
		return invalidValue("Tag key '%s' is invalid: a tag key is 1 to %d characters.", t.Key, maxTagKeyLen)
	case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
		return invalidValue("Tag key '%s' is invalid: tag keys starting with 'aws:' are reserved for internal use.", t.Key)
	case hasControl(t.Key):
		return invalidValue("Tag key %q is invalid: control characters are not allowed.", t.Key)
	case utf8.RuneCountInString(t.Value) > maxTagValueLen:
		return invalidValue("Tag value of key '%s' is invalid: a tag value is up to %d characters.", t.Key, maxTagValueLen)
	case hasControl(t.Value):
		return invalidValue("Tag value %q of key '%s' is invalid: control characters are not allowed.", t.Value, t.Key)
	}
	return nil
}

// elbCheckTag checks one ELB tag against API_Tag's lengths and pattern.
func elbCheckTag(t ELBTag) error {
	switch n := utf8.RuneCountInString(t.Key); {
	case n == 0 || n > maxTagKeyLen:
		return elbValidation("Tag key '%s' is not valid: a tag key is 1 to %d characters", t.Key, maxTagKeyLen)
	case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
		return elbValidation("Tag key '%s' is not valid: tag keys starting with 'aws:' are reserved", t.Key)
	case !utf8.ValidString(t.Key) || !elbTagRE.MatchString(t.Key):
		return elbValidation("Tag key %q is not valid: letters, digits, spaces and _ . : / = + - @ only", t.Key)
	case utf8.RuneCountInString(t.Value) > maxTagValueLen:
		return elbValidation("The value of tag '%s' is longer than %d characters", t.Key, maxTagValueLen)
	case !utf8.ValidString(t.Value) || !elbTagRE.MatchString(t.Value):
		return elbValidation("The value %q of tag '%s' is not valid: letters, digits, spaces and _ . : / = + - @ only", t.Value, t.Key)
	}
	return nil
}

// putTags adds or replaces tags on a resource, refusing with code (EC2's
// TagLimitExceeded or ELB's TooManyTags) when the resource would then have
// more than maxTagsPerResource tags.
func putTags(tx *store.Tx, id string, tags map[string]string, code string) error {
	if len(tags) == 0 {
		return nil
	}
	have, err := tx.Tags(id)
	if err != nil {
		return err
	}
	n := len(tags)
	for _, kv := range have {
		if _, replaced := tags[kv[0]]; !replaced {
			n++
		}
	}
	if n > maxTagsPerResource {
		return Errorf(code, "The maximum number of tags per resource is %d: %s would have %d.", maxTagsPerResource, id, n)
	}
	return tx.SetTags(id, tags)
}

// sgCheckText checks a security group name, description or rule
// description (what names it in messages) against AWS's length and
// character set.
func sgCheckText(what, s string, max int) error {
	if utf8.RuneCountInString(s) > max {
		return invalidValue("Invalid %s: it is longer than %d characters.", what, max)
	}
	if !sgCharsetRE.MatchString(s) {
		return invalidValue("Invalid %s %q: valid characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*", what, s)
	}
	return nil
}
