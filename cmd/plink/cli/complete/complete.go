// Package complete gives plink's shell completion (bash, zsh, fish,
// PowerShell: cobra's scripts call the hidden __complete command) the values
// of flags: the global options' words (-o, --color, --profile from the
// config file, --account from the store), the words an AWS action's member
// takes (awsapi's enum table: --ip-address-type, --protocol, ...), and the
// IDs and ARNs in the store that the ID-taking options of the AWS commands
// name (--vpc-id, --subnet-ids, --vpc-endpoint-ids, --service-id,
// --target-group-arn, ...), as the caller (--account, --region, --profile
// and --db of the partial command line) sees them.
//
// Completion runs on every Tab, so it never writes: the store is opened
// read-only (store.OpenReadOnly), an absent store completes nothing, and
// every error completes nothing rather than printing.
package complete

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	jmespath "github.com/jmespath-community/go-jmespath"
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/awscli"
	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/awsapi"
	"github.com/plink-dev/plink/internal/config"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// Formats are the values of the global -o/--output.
var Formats = []string{"json", "yaml", "table", "wide", "text"}

// timeout bounds the store reads of one completion.
const timeout = 2 * time.Second

// Register sets the completion of every flag of the tree under root that
// takes known values.
func Register(root *cobra.Command, f *cmdutil.Factory) {
	_ = root.RegisterFlagCompletionFunc("output", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		// get, events, doctor, apply take their own -o values.
		if own, ok := cmd.Annotations[cmdutil.FormatsAnnotation]; ok {
			return strings.Split(own, ","), cobra.ShellCompDirectiveNoFileComp
		}
		return Formats, cobra.ShellCompDirectiveNoFileComp
	})
	words(root, "color", "on", "off", "auto")
	words(root, "cli-binary-format", "base64", "raw-in-base64-out")
	_ = root.RegisterFlagCompletionFunc("profile", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		names, err := config.Profiles(f.Flags)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	_ = root.RegisterFlagCompletionFunc("account", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return accounts(f), cobra.ShellCompDirectiveNoFileComp
	})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if a := awscli.Action(c); a != nil {
			registerAction(c, a, f)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// words completes a flag of cmd with fixed words.
func words(cmd *cobra.Command, flag string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// registerAction completes the flags of an action's command: its enum
// members' words, and the IDs its ID-taking members name.
func registerAction(c *cobra.Command, a *awsapi.Action, f *cmdutil.Factory) {
	for _, m := range a.Input.Members {
		if c.Flags().Lookup(m.Flag) == nil {
			continue
		}
		if values := a.Enum(m.Name); values != nil {
			words(c, m.Flag, values...)
			continue
		}
		lists, ok := actionIDFlags[a.Name+"."+m.Flag]
		if !ok {
			lists, ok = idFlags[m.Flag]
		}
		if ok {
			_ = c.RegisterFlagCompletionFunc(m.Flag, func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return ids(f, lists), cobra.ShellCompDirectiveNoFileComp
			})
		}
	}
	if names := control.FilterNames(a.Name); names != nil && c.Flags().Lookup("filters") != nil {
		_ = c.RegisterFlagCompletionFunc("filters", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return filterNames(names), cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
		})
	}
	// The AWS CLI's --protocol of authorize- and revoke-security-group-ingress
	// (a customization, no member).
	if a.Name == "AuthorizeSecurityGroupIngress" || a.Name == "RevokeSecurityGroupIngress" {
		words(c, "protocol", "tcp", "udp", "icmp", "all")
		_ = c.RegisterFlagCompletionFunc("source-group", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return ids(f, idFlags["group-id"]), cobra.ShellCompDirectiveNoFileComp
		})
	}
}

// A listing is one describe action of the caller and a JMESPath query
// over its JSON answer giving [ID, description] pairs.
type listing struct {
	service awsapi.Service
	action  string
	query   string
}

var (
	vpcs          = listing{awsapi.EC2, "DescribeVpcs", "Vpcs[].[VpcId, CidrBlock]"}
	subnets       = listing{awsapi.EC2, "DescribeSubnets", "Subnets[].[SubnetId, join(' ', [AvailabilityZone, CidrBlock || ''])]"}
	groups        = listing{awsapi.EC2, "DescribeSecurityGroups", "SecurityGroups[].[GroupId, GroupName]"}
	endpoints     = listing{awsapi.EC2, "DescribeVpcEndpoints", "VpcEndpoints[].[VpcEndpointId, join(' ', [State, ServiceName])]"}
	connections   = listing{awsapi.EC2, "DescribeVpcEndpointConnections", "VpcEndpointConnections[].[VpcEndpointId, join(' ', [VpcEndpointState, VpcEndpointOwner])]"}
	services      = listing{awsapi.EC2, "DescribeVpcEndpointServiceConfigurations", "ServiceConfigurations[].[ServiceId, ServiceName]"}
	serviceNames  = listing{awsapi.EC2, "DescribeVpcEndpointServices", "ServiceDetails[].[ServiceName, Owner]"}
	notifications = listing{awsapi.EC2, "DescribeVpcEndpointConnectionNotifications", "ConnectionNotificationSet[].[ConnectionNotificationId, ConnectionNotificationArn]"}
	interfaces    = listing{awsapi.EC2, "DescribeNetworkInterfaces", "NetworkInterfaces[].[NetworkInterfaceId, PrivateIpAddress || '']"}
	loadBalancers = listing{awsapi.ELBv2, "DescribeLoadBalancers", "LoadBalancers[].[LoadBalancerArn, LoadBalancerName]"}
	targetGroups  = listing{awsapi.ELBv2, "DescribeTargetGroups", "TargetGroups[].[TargetGroupArn, TargetGroupName]"}
	groupNames    = listing{awsapi.EC2, "DescribeSecurityGroups", "SecurityGroups[].[GroupName, join(' ', [GroupId, VpcId])]"}
	// The blocks of VPCs and subnets, by association ID.
	vpcBlocks         = listing{awsapi.EC2, "DescribeVpcs", "Vpcs[].CidrBlockAssociationSet[].[AssociationId, CidrBlock]"}
	vpcIPv6Blocks     = listing{awsapi.EC2, "DescribeVpcs", "Vpcs[].Ipv6CidrBlockAssociationSet[].[AssociationId, Ipv6CidrBlock]"}
	subnetIPv6Blocks  = listing{awsapi.EC2, "DescribeSubnets", "Subnets[].Ipv6CidrBlockAssociationSet[].[AssociationId, Ipv6CidrBlock]"}
	loadBalancerNames = listing{awsapi.ELBv2, "DescribeLoadBalancers", "LoadBalancers[].[LoadBalancerName, DNSName]"}
	targetGroupNames  = listing{awsapi.ELBv2, "DescribeTargetGroups", "TargetGroups[].[TargetGroupName, join(':', [Protocol, to_string(Port)])]"}
	// listeners is per load balancer: see listenerIDs.
	listeners = listing{awsapi.ELBv2, "DescribeListeners", ""}
)

// idFlags are the ID-taking options of the AWS actions, by flag name, and
// where their values come from.
var idFlags = map[string][]listing{
	"vpc-id": {vpcs}, "vpc-ids": {vpcs},
	"subnet-id": {subnets}, "subnet-ids": {subnets}, "subnets": {subnets},
	"add-subnet-ids": {subnets}, "remove-subnet-ids": {subnets},
	"group-id": {groups}, "group-ids": {groups}, "group-name": {groupNames}, "security-group-ids": {groups}, "security-groups": {groups},
	"add-security-group-ids": {groups}, "remove-security-group-ids": {groups},
	// Your endpoints, and those connected to your services (accept, reject).
	"vpc-endpoint-id": {endpoints}, "vpc-endpoint-ids": {endpoints, connections},
	"service-id": {services}, "service-ids": {services},
	"service-name": {serviceNames}, "service-names": {serviceNames},
	"connection-notification-id": {notifications}, "connection-notification-ids": {notifications},
	"network-interface-ids": {interfaces},
	"load-balancer-arn":     {loadBalancers}, "load-balancer-arns": {loadBalancers},
	"network-load-balancer-arns": {loadBalancers}, "add-network-load-balancer-arns": {loadBalancers},
	"remove-network-load-balancer-arns": {loadBalancers},
	"target-group-arn":                  {targetGroups}, "target-group-arns": {targetGroups},
	"listener-arn": {listeners}, "listener-arns": {listeners},
	"resource-arns": {loadBalancers, targetGroups, listeners},
	"resources":     {vpcs, subnets, groups, endpoints, services},
}

// actionIDFlags are the ID-taking options whose values depend on the
// action, by "Action.flag"; they take precedence over idFlags.
var actionIDFlags = map[string][]listing{
	"DisassociateVpcCidrBlock.association-id":    {vpcBlocks, vpcIPv6Blocks},
	"DisassociateSubnetCidrBlock.association-id": {subnetIPv6Blocks},
	"DescribeLoadBalancers.names":                {loadBalancerNames},
	"DescribeTargetGroups.names":                 {targetGroupNames},
}

// ids runs the listings as the configured caller on the store opened
// read-only, and returns "ID\tdescription" completions, each ID once.
func ids(f *cmdutil.Factory, lists []listing) []cobra.Completion {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	api, done, err := readOnlyAPI(ctx, f)
	if err != nil {
		return nil
	}
	defer done()
	var out []cobra.Completion
	seen := map[string]bool{}
	for _, l := range lists {
		pairs, err := l.run(ctx, api)
		if err != nil {
			continue
		}
		for _, p := range pairs {
			if seen[p[0]] {
				continue
			}
			seen[p[0]] = true
			out = append(out, cobra.CompletionWithDesc(p[0], p[1]))
		}
	}
	return out
}

// readOnlyAPI is the control plane as the configured caller over the store
// opened read-only; done closes the store.
func readOnlyAPI(ctx context.Context, f *cmdutil.Factory) (*control.API, func(), error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, nil, err
	}
	st, err := store.OpenReadOnly(ctx, cfg.DB)
	if err != nil {
		return nil, nil, err
	}
	api, err := control.New(st, control.Caller{Account: cfg.Account, Principal: cfg.Principal, Region: cfg.Region})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return api, func() { st.Close() }, nil
}

// run calls the listing's action with an empty input and returns its
// [ID, description] pairs.
func (l listing) run(ctx context.Context, api *control.API) ([][2]string, error) {
	if l.action == listeners.action {
		return listenerIDs(ctx, api)
	}
	return query(ctx, api, l.service, l.action, nil, l.query)
}

// query calls an action with input (nil: empty) and evaluates expr, which
// gives [ID, description] pairs, over its answer as JSON.
func query(ctx context.Context, api *control.API, svc awsapi.Service, action string, input map[string]any, expr string) ([][2]string, error) {
	a := awsapi.Lookup(svc, action)
	in := a.NewInput()
	if input != nil {
		b, _ := json.Marshal(input)
		if err := json.Unmarshal(b, in); err != nil {
			return nil, err
		}
	}
	out, err := a.Call(ctx, api, in)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	var data any
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, err
	}
	res, err := jmespath.Search(expr, data)
	if err != nil {
		return nil, err
	}
	rows, _ := res.([]any)
	var pairs [][2]string
	for _, r := range rows {
		cells, _ := r.([]any)
		if len(cells) != 2 {
			continue
		}
		id, _ := cells[0].(string)
		desc, _ := cells[1].(string)
		if id != "" {
			pairs = append(pairs, [2]string{id, oneLine(desc)})
		}
	}
	return pairs, nil
}

// listenerIDs are the listeners of every load balancer of the caller:
// DescribeListeners needs a load balancer.
func listenerIDs(ctx context.Context, api *control.API) ([][2]string, error) {
	lbs, err := loadBalancers.run(ctx, api)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, lb := range lbs {
		ls, err := query(ctx, api, awsapi.ELBv2, "DescribeListeners", map[string]any{"LoadBalancerArn": lb[0]},
			"Listeners[].[ListenerArn, join('', [Protocol, ':', to_string(Port)])]")
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			out = append(out, [2]string{l[0], lb[1] + " " + l[1]})
		}
	}
	return out, nil
}

// accounts are the accounts that own something in the store.
func accounts(f *cmdutil.Factory) []cobra.Completion {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cfg, err := f.Config()
	if err != nil {
		return nil
	}
	st, err := store.OpenReadOnly(ctx, cfg.DB)
	if err != nil {
		return nil
	}
	defer st.Close()
	snap, err := st.Snapshot(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, v := range snap.VPCs {
		if !slices.Contains(out, v.Account) {
			out = append(out, v.Account)
		}
	}
	slices.Sort(out)
	return out
}

// filterNames are the shorthand beginnings of an action's filters,
// Name=vpc-id,Values= (no space after: the values follow), sorted.
func filterNames(names []string) []cobra.Completion {
	var out []cobra.Completion
	for _, n := range names {
		if strings.Contains(n, "<") {
			continue // tag:<key>: the key is the user's
		}
		out = append(out, "Name="+n+",Values=")
	}
	slices.Sort(out)
	return out
}

// oneLine keeps a description on one line: shells split completions on
// new lines and tabs.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
