package awsmodel

import (
	"regexp"
	"strings"
)

// The regular expressions of botocore's xform_name (botocore/__init__.py).
var (
	firstCapRegex = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	endCapRegex   = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	// A pluralised acronym at the end: GatewayARNs, ListWebACLs, SomeCNAMEs.
	// Python's $ also matches before a final newline.
	specialCaseTransform = regexp.MustCompile(`[A-Z]{2,}s\n?$`)
)

// xformSpecial is botocore's pre-filled _xform_cache: the names its rules
// get wrong.
var xformSpecial = map[string]string{
	"CreateCachediSCSIVolume":      "create_cached_iscsi_volume",
	"DescribeCachediSCSIVolumes":   "describe_cached_iscsi_volumes",
	"DescribeStorediSCSIVolumes":   "describe_stored_iscsi_volumes",
	"CreateStorediSCSIVolume":      "create_stored_iscsi_volume",
	"ListHITsForQualificationType": "list_hits_for_qualification_type",
	"ExecutePartiQLStatement":      "execute_partiql_statement",
	"ExecutePartiQLTransaction":    "execute_partiql_transaction",
	"ExecutePartiQLBatch":          "execute_partiql_batch",
}

// XformName is botocore's xform_name: it turns a model name in CamelCase
// into the AWS CLI's (sep "-") or boto3's (sep "_") form, e.g.
// DescribeVpcEndpoints → describe-vpc-endpoints, DryRun → dry-run,
// VpcEndpointIds → vpc-endpoint-ids, Ipv6CidrBlock → ipv6-cidr-block,
// IPv6Address → i-pv6-address, GatewayARNs → gateway-arns. A name that
// already contains sep is returned unchanged. The AWS CLI names every
// command XformName(operation, "-") and every flag "--" + XformName(member,
// "-").
func XformName(name, sep string) string {
	if sep == "" {
		sep = "_"
	}
	if strings.Contains(name, sep) {
		return name
	}
	if s, ok := xformSpecial[name]; ok && (sep == "_" || sep == "-") {
		return strings.ReplaceAll(s, "_", sep)
	}
	if loc := specialCaseTransform.FindStringIndex(name); loc != nil {
		matched := strings.TrimSuffix(name[loc[0]:loc[1]], "\n")
		// Python: f"{name[:-len(matched)]}{sep}{matched.lower()}"
		name = name[:len(name)-len(matched)] + sep + strings.ToLower(matched)
	}
	s1 := firstCapRegex.ReplaceAllString(name, "${1}"+regexpLiteral(sep)+"${2}")
	// Python's str.lower; the same as strings.ToLower on the ASCII names
	// models hold.
	return strings.ToLower(endCapRegex.ReplaceAllString(s1, "${1}"+regexpLiteral(sep)+"${2}"))
}

// regexpLiteral escapes $ for a regexp replacement template.
func regexpLiteral(s string) string { return strings.ReplaceAll(s, "$", "$$") }
