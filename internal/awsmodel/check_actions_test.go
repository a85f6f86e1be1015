package awsmodel

import (
	"reflect"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// TestModelCheckIssue9Actions: the structs of the actions issue 9 adds
// (and Subnet's and Vpc's CIDR association sets they change) agree with
// the models. Until the action registry lists every action; then this
// list goes.
func TestModelCheckIssue9Actions(t *testing.T) {
	ms := loadOrSkip(t)
	a := func(svc, op string, in, out reflect.Type) Action {
		return Action{Service: svc, Operation: op, Input: in, Output: out}
	}
	acts := []Action{
		a("ec2", "CreateTags", reflect.TypeFor[control.CreateTagsInput](), reflect.TypeFor[control.CreateTagsOutput]()),
		a("ec2", "DeleteTags", reflect.TypeFor[control.DeleteTagsInput](), reflect.TypeFor[control.DeleteTagsOutput]()),
		a("ec2", "DescribeTags", reflect.TypeFor[control.DescribeTagsEC2Input](), reflect.TypeFor[control.DescribeTagsEC2Output]()),
		a("ec2", "DescribeAvailabilityZones", reflect.TypeFor[control.DescribeAvailabilityZonesInput](), reflect.TypeFor[control.DescribeAvailabilityZonesOutput]()),
		a("ec2", "AssociateVpcCidrBlock", reflect.TypeFor[control.AssociateVpcCidrBlockInput](), reflect.TypeFor[control.AssociateVpcCidrBlockOutput]()),
		a("ec2", "DisassociateVpcCidrBlock", reflect.TypeFor[control.DisassociateVpcCidrBlockInput](), reflect.TypeFor[control.DisassociateVpcCidrBlockOutput]()),
		a("ec2", "AssociateSubnetCidrBlock", reflect.TypeFor[control.AssociateSubnetCidrBlockInput](), reflect.TypeFor[control.AssociateSubnetCidrBlockOutput]()),
		a("ec2", "DisassociateSubnetCidrBlock", reflect.TypeFor[control.DisassociateSubnetCidrBlockInput](), reflect.TypeFor[control.DisassociateSubnetCidrBlockOutput]()),
		a("ec2", "DescribeVpcAttribute", reflect.TypeFor[control.DescribeVpcAttributeInput](), reflect.TypeFor[control.DescribeVpcAttributeOutput]()),
		a("ec2", "ModifyVpcAttribute", reflect.TypeFor[control.ModifyVpcAttributeInput](), reflect.TypeFor[control.ModifyVpcAttributeOutput]()),
		a("ec2", "ModifyVpcEndpointServicePayerResponsibility", reflect.TypeFor[control.ModifyVpcEndpointServicePayerResponsibilityInput](), reflect.TypeFor[control.ModifyVpcEndpointServicePayerResponsibilityOutput]()),
		a("ec2", "DescribeSubnets", nil, reflect.TypeFor[control.DescribeSubnetsOutput]()),
		a("ec2", "DescribeVpcs", nil, reflect.TypeFor[control.DescribeVpcsOutput]()),
		a("elbv2", "SetIpAddressType", reflect.TypeFor[control.SetIpAddressTypeInput](), reflect.TypeFor[control.SetIpAddressTypeOutput]()),
		a("elbv2", "SetSubnets", reflect.TypeFor[control.SetSubnetsInput](), reflect.TypeFor[control.SetSubnetsOutput]()),
	}
	r := ms.Check(acts, nil)
	if err := r.Err(); err != nil {
		t.Error(err)
	}
	for _, n := range r.Notes {
		t.Log("note:", n)
	}
}
