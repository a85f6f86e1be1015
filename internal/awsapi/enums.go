package awsapi

// enums are the values an input member takes where it takes one of a few
// words, as plink accepts them (a subset of the AWS model's enum where
// plink serves less: Interface endpoints, network load balancers, TCP):
// by "Action.Member", or by "Member" for every action that has it. Shell
// completion offers them; cmd/plink's model check compares each with the
// AWS model's enum.
var enums = map[string][]string{
	"CreateVpcEndpoint.IpAddressType":   {"ipv4", "dualstack", "ipv6"},
	"CreateVpcEndpoint.VpcEndpointType": {"Interface"},
	"ModifyVpcEndpoint.IpAddressType":   {"ipv4", "dualstack", "ipv6"},

	"CreateVpcEndpointServiceConfiguration.SupportedIpAddressTypes":       {"ipv4", "ipv6"},
	"ModifyVpcEndpointServiceConfiguration.AddSupportedIpAddressTypes":    {"ipv4", "ipv6"},
	"ModifyVpcEndpointServiceConfiguration.RemoveSupportedIpAddressTypes": {"ipv4", "ipv6"},
	"ModifyVpcEndpointServicePayerResponsibility.PayerResponsibility":     {"ServiceOwner"},
	"DescribeVpcAttribute.Attribute":                                      {"enableDnsSupport", "enableDnsHostnames", "enableNetworkAddressUsageMetrics"},

	// The model's list has no enum; its documentation names these four.
	"ConnectionEvents": {"Accept", "Connect", "Delete", "Reject"},

	"CreateLoadBalancer.Type":          {"network"},
	"CreateLoadBalancer.Scheme":        {"internal", "internet-facing"},
	"CreateLoadBalancer.IpAddressType": {"ipv4", "dualstack"},
	"SetIpAddressType.IpAddressType":   {"ipv4", "dualstack"},
	"CreateTargetGroup.Protocol":       {"TCP"},
	"CreateTargetGroup.TargetType":     {"ip"},
	"CreateTargetGroup.IpAddressType":  {"ipv4", "ipv6"},
	"HealthCheckProtocol":              {"TCP", "HTTP"},
	"CreateListener.Protocol":          {"TCP"},
	"ModifyListener.Protocol":          {"TCP"},
}

// Enum returns the words member (an AWS member name) of the action takes,
// or nil when it takes any value.
func (a *Action) Enum(member string) []string {
	if v, ok := enums[a.Name+"."+member]; ok {
		return v
	}
	if a.Input.Member(member) == nil {
		return nil
	}
	return enums[member]
}

// EnumMember is one entry of the enum table, for checking it against the
// AWS model: the action (empty for an entry of every action with the
// member), the member and its values.
type EnumMember struct {
	Action, Member string
	Values         []string
}

// Enums lists the enum table, each entry once per action it applies to,
// in no particular order.
func Enums() []EnumMember {
	var out []EnumMember
	for _, a := range Actions() {
		for _, m := range a.Input.Members {
			if v := a.Enum(m.Name); v != nil {
				out = append(out, EnumMember{Action: a.Name, Member: m.Name, Values: v})
			}
		}
	}
	return out
}
