package control

import (
	"context"
	"strings"

	"github.com/plink-dev/plink/internal/store"
)

// This file is ec2 describe-vpc-attribute and modify-vpc-attribute for the
// DNS attributes. As on AWS, a default VPC has enableDnsSupport and
// enableDnsHostnames on, another VPC only enableDnsSupport; private DNS on
// an interface endpoint needs both (privateDNSNeedsVPCAttributes).

// AttributeBooleanValue is {"Value": true|false}.
type AttributeBooleanValue struct {
	Value bool `json:"Value"`
}

// DescribeVpcAttributeInput is ec2 describe-vpc-attribute.
type DescribeVpcAttributeInput struct {
	DryRun    bool   `json:"DryRun"`
	Attribute string `json:"Attribute" aws:"required"`
	VpcID     string `json:"VpcId" aws:"required"`
}

// DescribeVpcAttributeOutput carries the VPC ID and the one attribute asked for.
type DescribeVpcAttributeOutput struct {
	VpcID                            string                 `json:"VpcId"`
	EnableDNSHostnames               *AttributeBooleanValue `json:"EnableDnsHostnames,omitempty"`
	EnableDNSSupport                 *AttributeBooleanValue `json:"EnableDnsSupport,omitempty"`
	EnableNetworkAddressUsageMetrics *AttributeBooleanValue `json:"EnableNetworkAddressUsageMetrics,omitempty"`
}

// DescribeVpcAttribute returns one attribute of a VPC the caller owns.
// enableNetworkAddressUsageMetrics is always false here.
func (a *API) DescribeVpcAttribute(ctx context.Context, in *DescribeVpcAttributeInput) (*DescribeVpcAttributeOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeVpcAttribute)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	switch in.Attribute {
	case VpcAttrEnableDNSSupport, VpcAttrEnableDNSHostnames, VpcAttrEnableNetworkAddressUsageMetrics:
	default:
		return nil, invalidValue("Value (%s) for parameter attribute is invalid. Unknown attribute.", in.Attribute)
	}
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	var out *DescribeVpcAttributeOutput
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		v, err := a.ownedVPC(tx, in.VpcID)
		if err != nil {
			return err
		}
		out = &DescribeVpcAttributeOutput{VpcID: v.ID}
		switch in.Attribute {
		case VpcAttrEnableDNSSupport:
			out.EnableDNSSupport = &AttributeBooleanValue{v.EnableDNSSupport}
		case VpcAttrEnableDNSHostnames:
			out.EnableDNSHostnames = &AttributeBooleanValue{v.EnableDNSHostnames}
		default:
			out.EnableNetworkAddressUsageMetrics = &AttributeBooleanValue{false}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ModifyVpcAttributeInput is ec2 modify-vpc-attribute: one attribute per
// request, as on AWS.
type ModifyVpcAttributeInput struct {
	EnableDNSHostnames               *AttributeBooleanValue `json:"EnableDnsHostnames"`
	EnableDNSSupport                 *AttributeBooleanValue `json:"EnableDnsSupport"`
	VpcID                            string                 `json:"VpcId" aws:"required"`
	EnableNetworkAddressUsageMetrics *AttributeBooleanValue `json:"EnableNetworkAddressUsageMetrics"`
}

// ModifyVpcAttributeOutput is empty: the AWS CLI prints nothing.
type ModifyVpcAttributeOutput struct{}

// ModifyVpcAttribute sets enableDnsSupport or enableDnsHostnames of a VPC
// the caller owns. Endpoints keep their PrivateDnsEnabled (AWS checks the
// attributes when private DNS is turned on, see
// privateDNSNeedsVPCAttributes); while either attribute is off, plink
// serve answers none of the VPC's private names, as AWS's private hosted
// zones need both.
func (a *API) ModifyVpcAttribute(ctx context.Context, in *ModifyVpcAttributeInput) (*ModifyVpcAttributeOutput, error) {
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	var set []string
	if in.EnableDNSSupport != nil {
		set = append(set, VpcAttrEnableDNSSupport)
	}
	if in.EnableDNSHostnames != nil {
		set = append(set, VpcAttrEnableDNSHostnames)
	}
	if in.EnableNetworkAddressUsageMetrics != nil {
		set = append(set, VpcAttrEnableNetworkAddressUsageMetrics)
	}
	switch {
	case len(set) == 0:
		return nil, Errorf(ErrCodeMissingParameter, "No attributes specified: give one of EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics.")
	case len(set) > 1:
		return nil, Errorf(ErrCodeInvalidParameterCombination, "Fields for multiple attribute types specified: %s. Modify one attribute per request.", strings.Join(set, ", "))
	case in.EnableNetworkAddressUsageMetrics != nil && in.EnableNetworkAddressUsageMetrics.Value:
		return nil, invalidValue("plink does not publish network address usage metrics: enableNetworkAddressUsageMetrics stays false.")
	}
	err := a.write(ctx, func(tx *store.Tx) error {
		v, err := a.ownedVPC(tx, in.VpcID)
		if err != nil {
			return err
		}
		support, hostnames := v.EnableDNSSupport, v.EnableDNSHostnames
		if in.EnableDNSSupport != nil {
			support = in.EnableDNSSupport.Value
		}
		if in.EnableDNSHostnames != nil {
			hostnames = in.EnableDNSHostnames.Value
		}
		if support == v.EnableDNSSupport && hostnames == v.EnableDNSHostnames {
			return nil
		}
		return tx.SetVPCDNSAttributes(v.ID, support, hostnames)
	})
	if err != nil {
		return nil, err
	}
	return &ModifyVpcAttributeOutput{}, nil
}

// privateDNSNeedsVPCAttributes refuses private DNS on an endpoint in a VPC
// without enableDnsSupport and enableDnsHostnames, with AWS's error.
func privateDNSNeedsVPCAttributes(v store.VPC) error {
	if v.EnableDNSSupport && v.EnableDNSHostnames {
		return nil
	}
	return Errorf(ErrCodeInvalidParameter, "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for %s", v.ID)
}
