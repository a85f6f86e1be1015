package awscli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/plink-dev/plink/internal/control"
)

// customization is what the AWS CLI adds to an action's generated options
// (awscli/customizations): options that are no member, turned into members
// before the call.
type customization interface {
	addFlags(*pflag.FlagSet)
	apply(in any) error
}

// newCustomization returns a fresh customization of the action, or nil.
func newCustomization(action string) customization {
	switch action {
	case "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress":
		return &secGroupSimplify{}
	}
	return nil
}

// secGroupSimplify is the AWS CLI's --protocol, --port, --cidr,
// --source-group and --group-owner of authorize- and
// revoke-security-group-ingress (awscli's secgroupsimplify.py): one rule
// without writing --ip-permissions. --cidr also takes an IPv6 block here;
// --source-group is a group's name or sg- ID.
type secGroupSimplify struct {
	protocol, port, cidr, sourceGroup, groupOwner string
}

func (s *secGroupSimplify) addFlags(fl *pflag.FlagSet) {
	fl.StringVar(&s.protocol, "protocol", "", "tcp, udp, icmp or all (-1): the rule's IpProtocol")
	fl.StringVar(&s.port, "port", "", "port or range, e.g. 443 or 8000-8100, or -1 for all: the rule's FromPort and ToPort")
	fl.StringVar(&s.cidr, "cidr", "", "source CIDR, IPv4 or IPv6: the rule's CidrIp")
	fl.StringVar(&s.sourceGroup, "source-group", "", "source security group, name or ID: the rule admits its members")
	fl.StringVar(&s.groupOwner, "group-owner", "", "the account of --source-group")
}

func (s *secGroupSimplify) apply(in any) error {
	var ing *control.IngressInput
	switch x := in.(type) {
	case *control.AuthorizeSecurityGroupIngressInput:
		ing = &x.IngressInput
	case *control.RevokeSecurityGroupIngressInput:
		ing = &x.IngressInput
	default:
		return fmt.Errorf("--protocol, --port and --cidr do not apply to %T", in)
	}
	if s.protocol != "" {
		ing.IPProtocol = s.protocol
	}
	if s.cidr != "" {
		ing.CidrIP = s.cidr
	}
	if s.sourceGroup != "" {
		ing.SourceSecurityGroupName = s.sourceGroup
	}
	if s.groupOwner != "" {
		ing.SourceSecurityGroupOwnerID = s.groupOwner
	}
	if s.port != "" {
		from, to, err := control.ParsePortRange(s.port)
		if err != nil {
			return err // InvalidParameterValue, as the API answers a bad port
		}
		ing.FromPort, ing.ToPort = &from, &to
	}
	return nil
}
