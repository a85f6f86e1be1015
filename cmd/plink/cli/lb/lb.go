// Package lb holds the Elastic Load Balancing v2 commands of plink, Network
// Load Balancers only: load balancers, target groups and their IP targets,
// TCP listeners, attributes and tags, with the names, flags and JSON output
// of `aws elbv2`.
package lb

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/output"
)

// Commands returns the elbv2 commands.
func Commands(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{
		newCreateLoadBalancer(f), newDescribeLoadBalancers(f), newDeleteLoadBalancer(f),
		newCreateTargetGroup(f), newDescribeTargetGroups(f), newModifyTargetGroup(f), newDeleteTargetGroup(f),
		newTargets(f, true), newTargets(f, false), newDescribeTargetHealth(f),
		newCreateListener(f), newDescribeListeners(f), newModifyListener(f), newDeleteListener(f),
		newDescribeAttributes(f, lbAttrs), newModifyAttributes(f, lbAttrs),
		newDescribeAttributes(f, tgAttrs), newModifyAttributes(f, tgAttrs),
		newDescribeAttributes(f, listenerAttrs), newModifyAttributes(f, listenerAttrs),
		newAddTags(f), newRemoveTags(f), newDescribeTags(f),
	}
}

var (
	lbColumns = []output.Column{
		{Header: "NAME", Path: "LoadBalancerName"}, {Header: "DNS NAME", Path: "DNSName"}, {Header: "STATE", Path: "State.Code"},
		{Header: "SCHEME", Path: "Scheme"}, {Header: "TYPE", Path: "Type"}, {Header: "IP TYPE", Path: "IpAddressType"},
		{Header: "VPC ID", Path: "VpcId"}, {Header: "ZONES", Path: "AvailabilityZones[].ZoneName", Wide: true},
		{Header: "ADDRESSES", Path: "AvailabilityZones[].LoadBalancerAddresses[].IpAddress", Wide: true},
		{Header: "ARN", Path: "LoadBalancerArn", Wide: true}}
	lbTable = &output.Table{List: "LoadBalancers", Columns: lbColumns}

	tgTable = &output.Table{List: "TargetGroups", Columns: []output.Column{
		{Header: "NAME", Path: "TargetGroupName"}, {Header: "PORT", Path: "Port"}, {Header: "PROTOCOL", Path: "Protocol"},
		{Header: "VPC ID", Path: "VpcId"}, {Header: "HEALTH CHECK", Path: "join(' ', [HealthCheckProtocol, HealthCheckPort, HealthCheckPath || ''])"},
		{Header: "LOAD BALANCERS", Path: "length(LoadBalancerArns)", Wide: true}, {Header: "IP TYPE", Path: "IpAddressType", Wide: true},
		{Header: "ARN", Path: "TargetGroupArn", Wide: true}}}

	healthTable = &output.Table{List: "TargetHealthDescriptions", Columns: []output.Column{
		{Header: "TARGET", Path: "Target.Id"}, {Header: "PORT", Path: "Target.Port"}, {Header: "ZONE", Path: "Target.AvailabilityZone"},
		{Header: "STATE", Path: "TargetHealth.State"}, {Header: "REASON", Path: "TargetHealth.Reason"},
		{Header: "HEALTH CHECK PORT", Path: "HealthCheckPort", Wide: true}, {Header: "DESCRIPTION", Path: "TargetHealth.Description", Wide: true}}}

	listenerTable = &output.Table{List: "Listeners", Columns: []output.Column{
		{Header: "PORT", Path: "Port"}, {Header: "PROTOCOL", Path: "Protocol"}, {Header: "ACTION", Path: "DefaultActions[0].Type"},
		{Header: "TARGET GROUP", Path: "DefaultActions[0].TargetGroupArn"}, {Header: "ARN", Path: "ListenerArn", Wide: true}}}

	attrTable = &output.Table{List: "Attributes", Columns: []output.Column{{Header: "KEY", Path: "Key"}, {Header: "VALUE", Path: "Value"}}}

	tagsTable = &output.Table{List: "TagDescriptions", Columns: []output.Column{
		{Header: "RESOURCE", Path: "ResourceArn"}, {Header: "TAGS", Path: "join(',', Tags[].join('=', [Key, Value]))"}}}
)

// exec calls an API method that answers nothing.
func exec(f *cmdutil.Factory, cmd *cobra.Command, call func(*control.API) error) error {
	api, err := f.API(cmd.Context())
	if err != nil {
		return err
	}
	return call(api)
}

// decode parses a structured list flag (AWS shorthand or JSON).
func decode[T any](flag string, args []string) ([]T, error) {
	v, err := cmdutil.DecodeShorthandList[T](args)
	if err != nil {
		return nil, &cmdutil.UsageError{Err: fmt.Errorf("--%s: %w", flag, err)}
	}
	return v, nil
}

// intFlag returns the value of an int flag when it was given, else nil.
func intFlag(cmd *cobra.Command, name string, v int) *int {
	if !cmd.Flags().Changed(name) {
		return nil
	}
	return &v
}

// parseMatcher reads --matcher HttpCode=200-399 (or JSON); the code list
// may hold commas, which shorthand would split.
func parseMatcher(s string) (*control.Matcher, error) {
	if s == "" {
		return nil, nil
	}
	if code, ok := strings.CutPrefix(strings.TrimSpace(s), "HttpCode="); ok {
		return &control.Matcher{HTTPCode: code}, nil
	}
	var m control.Matcher
	if err := cmdutil.DecodeShorthand(s, &m); err != nil || m.HTTPCode == "" {
		return nil, &cmdutil.UsageError{Err: fmt.Errorf("--matcher: want HttpCode=200-399, got %q", s)}
	}
	return &m, nil
}

// errOf drops an action's output.
func errOf[T any](_ *T, err error) error { return err }
