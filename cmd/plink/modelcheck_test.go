package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli"
	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/awsapi"
	"github.com/plink-dev/plink/internal/awsmodel"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/iostreams"
)

// newerThanBotocore is what plink has of the AWS API that Debian's
// python3-botocore (1.29, December 2022) predates. Each is added to the
// loaded models before the check, so the check compares plink with today's
// API for exactly these parts; an entry the installed models already have
// fails the test (AddNewer: the allowance is stale and must go).
func newerThanBotocore() []awsmodel.Newer {
	str := &awsmodel.Shape{Type: "string"}
	return []awsmodel.Newer{
		{
			Service: "ec2",
			Members: map[string]awsmodel.ShapeRef{"CreateSecurityGroupResult.SecurityGroupArn": {Shape: "String", LocationName: "securityGroupArn"}},
			Reason:  "newer than the installed botocore; in the EC2 API Reference (CreateSecurityGroup response elements) since AWS added security group ARNs to it",
		},
		{
			Service: "ec2",
			Shapes: map[string]*awsmodel.Shape{"DeleteSecurityGroupResult": {Type: "structure", Members: map[string]awsmodel.ShapeRef{
				"Return":  {Shape: "Boolean", LocationName: "return"},
				"GroupId": {Shape: "String", LocationName: "groupId"},
			}}},
			Operation: &awsmodel.Operation{Name: "DeleteSecurityGroup", Output: &awsmodel.ShapeRef{Shape: "DeleteSecurityGroupResult"}},
			Reason:    "newer than the installed botocore, where DeleteSecurityGroup has no output; in the EC2 API Reference (DeleteSecurityGroup response elements: return, groupId) and today's SDKs",
		},
		{
			Service: "ec2",
			Members: map[string]awsmodel.ShapeRef{"NetworkInterfaceIpv6Address.IsPrimaryIpv6": {Shape: "Boolean", LocationName: "isPrimaryIpv6"}},
			Reason:  "newer than the installed botocore; in the EC2 API Reference (NetworkInterfaceIpv6Address) since primary IPv6 addresses (2023)",
		},
		{
			Service: "elbv2",
			Shapes: map[string]*awsmodel.Shape{
				"ListenerAttributeKey":   str,
				"ListenerAttributeValue": str,
				"ListenerAttribute": {Type: "structure", Members: map[string]awsmodel.ShapeRef{
					"Key": {Shape: "ListenerAttributeKey"}, "Value": {Shape: "ListenerAttributeValue"}}},
				"ListenerAttributes":               {Type: "list", Member: &awsmodel.ShapeRef{Shape: "ListenerAttribute"}},
				"DescribeListenerAttributesInput":  {Type: "structure", Required: []string{"ListenerArn"}, Members: map[string]awsmodel.ShapeRef{"ListenerArn": {Shape: "ListenerArn"}}},
				"DescribeListenerAttributesOutput": {Type: "structure", Members: map[string]awsmodel.ShapeRef{"Attributes": {Shape: "ListenerAttributes"}}},
			},
			Operation: &awsmodel.Operation{Name: "DescribeListenerAttributes",
				Input: &awsmodel.ShapeRef{Shape: "DescribeListenerAttributesInput"}, Output: &awsmodel.ShapeRef{Shape: "DescribeListenerAttributesOutput"}},
			Reason: "newer than the installed botocore; in the ELBv2 API Reference (DescribeListenerAttributes) since listener attributes (tcp.idle_timeout.seconds, 2024)",
		},
		{
			Service: "elbv2",
			Shapes: map[string]*awsmodel.Shape{
				"ModifyListenerAttributesInput": {Type: "structure", Required: []string{"ListenerArn", "Attributes"}, Members: map[string]awsmodel.ShapeRef{
					"ListenerArn": {Shape: "ListenerArn"}, "Attributes": {Shape: "ListenerAttributes"}}},
				"ModifyListenerAttributesOutput": {Type: "structure", Members: map[string]awsmodel.ShapeRef{"Attributes": {Shape: "ListenerAttributes"}}},
			},
			Operation: &awsmodel.Operation{Name: "ModifyListenerAttributes",
				Input: &awsmodel.ShapeRef{Shape: "ModifyListenerAttributesInput"}, Output: &awsmodel.ShapeRef{Shape: "ModifyListenerAttributesOutput"}},
			Reason: "newer than the installed botocore; in the ELBv2 API Reference (ModifyListenerAttributes) since listener attributes (tcp.idle_timeout.seconds, 2024)",
		},
	}
}

// stateEnums are control's named state words (and the other enumerated
// values it prints) by the model member that carries them.
func stateEnums() []awsmodel.Enum {
	endpoint := []string{control.StateEndpointPendingAcceptance, control.StateEndpointPending, control.StateEndpointAvailable,
		control.StateEndpointRejected, control.StateEndpointDeleted, control.StateEndpointFailed}
	dns := []string{control.StatePrivateDNSPendingVerification, control.StatePrivateDNSVerified, control.StatePrivateDNSFailed}
	cidr := []string{control.StateCidrBlockAssociated, control.StateCidrBlockAssociating, control.StateCidrBlockDisassociating}
	ipTypes := []string{control.IPAddressTypeIPv4, control.IPAddressTypeDualstack, control.IPAddressTypeIPv6}
	e := func(svc, shape, member string, lowerFirst bool, values ...string) awsmodel.Enum {
		return awsmodel.Enum{Service: svc, Shape: shape, Member: member, Values: values, LowerFirst: lowerFirst}
	}
	return []awsmodel.Enum{
		// AWS prints the endpoint words lower camel case; the enum capitalises them.
		e("ec2", "VpcEndpoint", "State", true, endpoint...),
		e("ec2", "VpcEndpointConnection", "VpcEndpointState", true, endpoint...),
		e("ec2", "ServiceConfiguration", "ServiceState", false, control.StateServiceAvailable),
		e("ec2", "PrivateDnsNameConfiguration", "State", false, dns...),
		e("ec2", "ServiceDetail", "PrivateDnsNameVerificationState", false, dns...),
		e("ec2", "Vpc", "State", false, control.StateVpcAvailable),
		e("ec2", "Subnet", "State", false, control.StateSubnetAvailable),
		e("ec2", "VpcCidrBlockState", "State", false, cidr...),
		e("ec2", "SubnetCidrBlockState", "State", false, cidr...),
		e("ec2", "ConnectionNotification", "ConnectionNotificationState", false, control.StateNotificationEnabled),
		e("ec2", "AvailabilityZone", "State", false, control.StateZoneAvailable),
		e("ec2", "AvailabilityZone", "OptInStatus", false, control.ZoneOptInNotRequired),
		e("ec2", "DescribeVpcAttributeRequest", "Attribute", false, control.VpcAttrEnableDNSSupport, control.VpcAttrEnableDNSHostnames, control.VpcAttrEnableNetworkAddressUsageMetrics),
		e("ec2", "VpcEndpoint", "IpAddressType", false, ipTypes...),
		e("ec2", "ServiceConfiguration", "SupportedIpAddressTypes", false, control.IPAddressTypeIPv4, control.IPAddressTypeIPv6),
		e("ec2", "ServiceConfiguration", "PayerResponsibility", false, control.PayerResponsibilityServiceOwner),
		e("elbv2", "LoadBalancerState", "Code", false, control.StateLoadBalancerActive),
		e("elbv2", "LoadBalancer", "IpAddressType", false, control.IPAddressTypeIPv4, control.IPAddressTypeDualstack),
		e("elbv2", "TargetHealth", "State", false, control.StateTargetHealthInitial, control.StateTargetHealthDraining,
			control.StateTargetHealthUnused, control.StateTargetHealthUnavailable),
	}
}

// TestModelCheckAll: every registered action's input and output agree with
// the AWS service models Debian's python3-botocore installs (member names,
// casing, types, required members), so do control's state words, and
// every AWS CLI command and flag of those actions exists in plink's cobra
// tree. It skips only when the models are not installed (.ci/run installs
// them).
func TestModelCheckAll(t *testing.T) {
	ms, err := awsmodel.LoadAll(awsmodel.DataDir(), "ec2", "elbv2", "sts")
	if errors.Is(err, awsmodel.ErrNotInstalled) {
		t.Skipf("AWS service models not installed under %s (apt-get install python3-botocore): %v", awsmodel.DataDir(), err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range newerThanBotocore() {
		if err := ms.AddNewer(n); err != nil {
			t.Error(err)
		}
	}
	var acts []awsmodel.Action
	for _, a := range awsapi.Actions() {
		acts = append(acts, awsmodel.Action{Service: string(a.Service), Operation: a.Name, Input: a.Input.Type, Output: a.Output.Type})
	}
	r := ms.Check(acts, append(stateEnums(), inputEnums(t, ms)...))
	if err := r.Err(); err != nil {
		t.Error(err)
	}
	for _, n := range r.Notes {
		t.Log("note:", n)
	}
	io, _, _, _ := iostreams.Test()
	tree := cobraTree{cli.NewCmdRoot(cmdutil.New(io))}
	// The adapter can say no.
	if tree.HasCommand("ec2", "describe-nothing") || tree.HasCommand("elbv2", "describe-vpcs") || tree.HasCommand("ec2", "ec2") ||
		tree.HasFlag("ec2", "describe-vpcs", "no-such-flag") || !tree.HasFlag("ec2", "describe-vpcs", "vpc-ids") || !tree.HasFlag("ec2", "describe-vpcs", "query") {
		t.Fatal("cobraTree answers wrongly")
	}
	rc := ms.CheckCLI(acts, tree)
	if err := rc.Err(); err != nil {
		t.Error("CLI: ", err)
	}
	outputs := 0
	for _, o := range r.Omitted {
		if strings.Contains(o, " output ") {
			outputs++
		}
	}
	t.Logf("%d actions and %d enums checked, %d members compared, %d AWS CLI flags found; the model members plink's structs omit: %d (%d of outputs):\n  %s",
		len(acts), len(stateEnums()), r.Members, rc.Flags, len(r.Omitted), outputs, strings.Join(r.Omitted, "\n  "))
}

// inputEnums are awsapi's enum table (the words shell completion offers
// for an option) as model checks: each value must be in the model's enum of
// the action's input member. The members whose model is a plain list of
// strings (ValueStringList, no enum) are left out: ConnectionEvents (the
// documentation names the four events) and the supported IP address types
// (the output's ServiceConfiguration.SupportedIpAddressTypes enum is
// checked in stateEnums).
func inputEnums(t *testing.T, ms awsmodel.Models) []awsmodel.Enum {
	noModelEnum := map[string]bool{"ConnectionEvents": true, "SupportedIpAddressTypes": true,
		"AddSupportedIpAddressTypes": true, "RemoveSupportedIpAddressTypes": true}
	var out []awsmodel.Enum
	for _, e := range awsapi.Enums() {
		if noModelEnum[e.Member] {
			continue
		}
		var svc awsapi.Service
		for _, a := range awsapi.Actions() {
			if a.Name == e.Action {
				svc = a.Service
			}
		}
		m := ms[string(svc)]
		if m == nil || m.Operations[e.Action] == nil || m.Operations[e.Action].Input == nil {
			t.Errorf("enum %s.%s: the %s model has no input for %s", e.Action, e.Member, svc, e.Action)
			continue
		}
		out = append(out, awsmodel.Enum{Service: string(svc), Shape: m.Operations[e.Action].Input.Shape, Member: e.Member, Values: e.Values})
	}
	return out
}

// cobraTree is plink's command tree as awsmodel.CheckCLI asks of it.
type cobraTree struct{ root *cobra.Command }

// find is `plink <service> <command>`, nil when there is none (Find falls
// back to the nearest parent).
func (c cobraTree) find(service, command string) *cobra.Command {
	cmd, rest, err := c.root.Find([]string{service, command})
	if err != nil || len(rest) != 0 || cmd.Name() != command || !cmd.HasParent() || cmd.Parent().Name() != service {
		return nil
	}
	return cmd
}

func (c cobraTree) HasCommand(service, command string) bool { return c.find(service, command) != nil }

func (c cobraTree) HasFlag(service, command, flag string) bool {
	cmd := c.find(service, command)
	return cmd != nil && (cmd.Flags().Lookup(flag) != nil || cmd.InheritedFlags().Lookup(flag) != nil)
}
