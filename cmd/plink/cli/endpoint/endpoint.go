// Package endpoint holds the consumer's commands: the services it may see,
// interface endpoints and their network interfaces, connection
// notifications (both sides) and the event log.
package endpoint

import (
	"context"

	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/output"
)

// Commands returns the consumer commands.
func Commands(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{
		newDescribeServices(f), newCreate(f), newModify(f), newDescribe(f), newDelete(f), newDescribeENIs(f),
		newCreateNotification(f), newDescribeNotifications(f), newModifyNotification(f), newDeleteNotifications(f),
		newEvents(f),
	}
}

var (
	endpointColumns = []output.Column{
		{Header: "VPC ENDPOINT ID", Path: "VpcEndpointId"}, {Header: "VPC ID", Path: "VpcId"}, {Header: "SERVICE NAME", Path: "ServiceName"},
		{Header: "STATE", Path: "State"}, {Header: "IP TYPE", Path: "IpAddressType"}, {Header: "PRIVATE DNS", Path: "PrivateDnsEnabled"},
		{Header: "DNS NAME", Path: "DnsEntries[0].DnsName", Wide: true}, {Header: "SUBNETS", Path: "SubnetIds", Wide: true},
		{Header: "ENIS", Path: "NetworkInterfaceIds", Wide: true}}
	notificationColumns = []output.Column{
		{Header: "NOTIFICATION ID", Path: "ConnectionNotificationId"}, {Header: "SERVICE ID", Path: "ServiceId"},
		{Header: "VPC ENDPOINT ID", Path: "VpcEndpointId"}, {Header: "TARGET", Path: "ConnectionNotificationArn"},
		{Header: "EVENTS", Path: "ConnectionEvents"}, {Header: "STATE", Path: "ConnectionNotificationState", Wide: true}}
	batchTable = &output.Table{List: "Unsuccessful", Columns: []output.Column{
		{Header: "RESOURCE ID", Path: "ResourceId"}, {Header: "CODE", Path: "Error.Code"}, {Header: "MESSAGE", Path: "Error.Message"}}}
)

func newDescribeServices(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDescribe(f, cmdutil.Describe[*control.DescribeVpcEndpointServicesOutput]{
		Use:     "describe-endpoint-services [--service-names NAME...] [--filters ...]",
		Short:   "List the endpoint services you may connect to (ec2 describe-vpc-endpoint-services)",
		Op:      "DescribeVpcEndpointServices",
		IDsFlag: "service-names", IDsHelp: "service names", FiltersHelp: "service-name|service-id|service-type|owner|supported-ip-address-types",
		Table: &output.Table{List: "ServiceDetails", Columns: []output.Column{
			{Header: "SERVICE NAME", Path: "ServiceName"}, {Header: "OWNER", Path: "Owner"}, {Header: "ZONES", Path: "AvailabilityZones"},
			{Header: "ACCEPTANCE", Path: "AcceptanceRequired"}, {Header: "IP TYPES", Path: "SupportedIpAddressTypes"},
			{Header: "PRIVATE DNS", Path: "PrivateDnsName", Wide: true}, {Header: "VERIFICATION", Path: "PrivateDnsNameVerificationState", Wide: true}}},
		Call: func(ctx context.Context, api *control.API, names []string, fs []control.Filter) (*control.DescribeVpcEndpointServicesOutput, error) {
			return api.DescribeVpcEndpointServices(ctx, &control.DescribeVpcEndpointServicesInput{ServiceNames: names, Filters: fs})
		},
	})
}

func newCreate(f *cmdutil.Factory) *cobra.Command {
	var in control.CreateVpcEndpointInput
	var subnets, groups, tagSpecs []string
	var dnsOptions string
	cmd := &cobra.Command{
		Use:   "create-endpoint --vpc-id ID --service-name NAME --subnet-ids ID... [flags]",
		Short: "Create an interface endpoint to a service (ec2 create-vpc-endpoint)",
		Long: `Create an interface endpoint: one network interface per subnet (one subnet per
zone, in zones the service offers), with addresses from the subnets.

The endpoint is pendingAcceptance until the provider accepts it when the service
requires acceptance, else available at once. Private DNS is on by default when
the service has a verified private DNS name. Only Interface endpoints exist here.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.PrivateDNSEnabled, err = cmdutil.BoolPair(cmd, "private-dns-enabled", "no-private-dns-enabled"); err != nil {
				return err
			}
			if in.TagSpecifications, err = cmdutil.TagSpecs(tagSpecs); err != nil {
				return err
			}
			if in.DNSOptions, err = dnsRecordType(dnsOptions); err != nil {
				return err
			}
			in.SubnetIDs, in.SecurityGroupIDs = cmdutil.SplitList(subnets), cmdutil.SplitList(groups)
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.CreateVpcEndpointOutput, error) {
				return api.CreateVpcEndpoint(cmd.Context(), &in)
			}, &output.Table{List: "VpcEndpoint", Columns: endpointColumns})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.VpcEndpointType, "vpc-endpoint-type", "Interface", "Interface (the only type plink serves)")
	fl.StringVar(&in.VpcID, "vpc-id", "", "VPC ID")
	fl.StringVar(&in.ServiceName, "service-name", "", "com.amazonaws.vpce.<region>.vpce-svc-...")
	fl.StringArrayVar(&subnets, "subnet-ids", nil, "subnets, one per zone")
	fl.StringArrayVar(&groups, "security-group-ids", nil, "security groups (default: the VPC's default group)")
	fl.StringVar(&in.IPAddressType, "ip-address-type", "", "ipv4, ipv6 or dualstack")
	fl.StringVar(&dnsOptions, "dns-options", "", "DnsRecordIpType=ipv4|ipv6|dualstack|service-defined")
	fl.Bool("private-dns-enabled", false, "answer the service's private DNS name inside the VPC")
	fl.Bool("no-private-dns-enabled", false, "do not answer the private DNS name")
	fl.StringArrayVar(&tagSpecs, "tag-specifications", nil, "ResourceType=vpc-endpoint,Tags=[{Key=k,Value=v}]")
	return cmdutil.Op(cmd, "CreateVpcEndpoint")
}

// dnsRecordType reads --dns-options DnsRecordIpType=...
func dnsRecordType(arg string) (*control.DNSOptions, error) {
	if arg == "" {
		return nil, nil
	}
	var o control.DNSOptions
	if err := cmdutil.DecodeShorthand(arg, &o); err != nil {
		return nil, &cmdutil.UsageError{Err: fmt.Errorf("--dns-options: %w", err)}
	}
	if o.DNSRecordIPType == "" {
		return nil, &cmdutil.UsageError{Err: fmt.Errorf("--dns-options: expected DnsRecordIpType=ipv4|ipv6|dualstack|service-defined")}
	}
	return &o, nil
}

func newModify(f *cmdutil.Factory) *cobra.Command {
	var in control.ModifyVpcEndpointInput
	var addSubnets, rmSubnets, addGroups, rmGroups []string
	var dnsOptions string
	cmd := &cobra.Command{
		Use:   "modify-endpoint --vpc-endpoint-id ID [flags]",
		Short: "Change an endpoint's subnets, groups, private DNS or IP types (ec2 modify-vpc-endpoint)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.PrivateDNSEnabled, err = cmdutil.BoolPair(cmd, "private-dns-enabled", "no-private-dns-enabled"); err != nil {
				return err
			}
			if in.DNSOptions, err = dnsRecordType(dnsOptions); err != nil {
				return err
			}
			in.AddSubnetIDs, in.RemoveSubnetIDs = cmdutil.SplitList(addSubnets), cmdutil.SplitList(rmSubnets)
			in.AddSecurityGroupIDs, in.RemoveSecurityGroupIDs = cmdutil.SplitList(addGroups), cmdutil.SplitList(rmGroups)
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.ModifyVpcEndpointOutput, error) {
				return api.ModifyVpcEndpoint(cmd.Context(), &in)
			}, nil)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.VpcEndpointID, "vpc-endpoint-id", "", "endpoint ID")
	fl.StringArrayVar(&addSubnets, "add-subnet-ids", nil, "subnets to add")
	fl.StringArrayVar(&rmSubnets, "remove-subnet-ids", nil, "subnets to remove")
	fl.StringArrayVar(&addGroups, "add-security-group-ids", nil, "security groups to add")
	fl.StringArrayVar(&rmGroups, "remove-security-group-ids", nil, "security groups to remove")
	fl.StringVar(&in.IPAddressType, "ip-address-type", "", "ipv4, ipv6 or dualstack")
	fl.StringVar(&dnsOptions, "dns-options", "", "DnsRecordIpType=ipv4|ipv6|dualstack|service-defined")
	fl.Bool("private-dns-enabled", false, "enable private DNS")
	fl.Bool("no-private-dns-enabled", false, "disable private DNS")
	cmd.MarkFlagRequired("vpc-endpoint-id")
	return cmdutil.Op(cmd, "ModifyVpcEndpoint")
}

func newDescribe(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDescribe(f, cmdutil.Describe[*control.DescribeVpcEndpointsOutput]{
		Use: "describe-endpoints [--vpc-endpoint-ids ID...] [--filters ...]", Short: "List your endpoints (ec2 describe-vpc-endpoints)",
		Op: "DescribeVpcEndpoints", IDsFlag: "vpc-endpoint-ids", IDsHelp: "endpoint IDs",
		FiltersHelp: "vpc-endpoint-id|vpc-id|service-name|vpc-endpoint-state|vpc-endpoint-type|ip-address-type|tag:<key>",
		Table:       &output.Table{List: "VpcEndpoints", Columns: endpointColumns},
		Call: func(ctx context.Context, api *control.API, ids []string, fs []control.Filter) (*control.DescribeVpcEndpointsOutput, error) {
			return api.DescribeVpcEndpoints(ctx, &control.DescribeVpcEndpointsInput{VpcEndpointIDs: ids, Filters: fs})
		},
	})
}

func newDelete(f *cmdutil.Factory) *cobra.Command {
	var ids []string
	cmd := &cobra.Command{
		Use:   "delete-endpoints --vpc-endpoint-ids ID...",
		Short: "Delete your endpoints (ec2 delete-vpc-endpoints)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DeleteVpcEndpointsOutput, error) {
				return api.DeleteVpcEndpoints(cmd.Context(), &control.DeleteVpcEndpointsInput{VpcEndpointIDs: cmdutil.SplitList(ids)})
			}, batchTable)
		},
	}
	cmd.Flags().StringArrayVar(&ids, "vpc-endpoint-ids", nil, "endpoint IDs")
	cmd.MarkFlagRequired("vpc-endpoint-ids")
	return cmdutil.Op(cmd, "DeleteVpcEndpoints")
}

func newDescribeENIs(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDescribe(f, cmdutil.Describe[*control.DescribeNetworkInterfacesOutput]{
		Use:     "describe-network-interfaces [--network-interface-ids ID...] [--filters ...]",
		Short:   "List your endpoints' network interfaces and their addresses",
		Op:      "DescribeNetworkInterfaces",
		IDsFlag: "network-interface-ids", IDsHelp: "ENI IDs",
		FiltersHelp: "network-interface-id|vpc-id|subnet-id|availability-zone|interface-type|description|private-ip-address",
		Table: &output.Table{List: "NetworkInterfaces", Columns: []output.Column{
			{Header: "ENI ID", Path: "NetworkInterfaceId"}, {Header: "ZONE", Path: "AvailabilityZone"}, {Header: "SUBNET ID", Path: "SubnetId"},
			{Header: "IPV4", Path: "PrivateIpAddress"}, {Header: "IPV6", Path: "Ipv6Address"}, {Header: "DESCRIPTION", Path: "Description", Wide: true}}},
		Call: func(ctx context.Context, api *control.API, ids []string, fs []control.Filter) (*control.DescribeNetworkInterfacesOutput, error) {
			return api.DescribeNetworkInterfaces(ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: ids, Filters: fs})
		},
	})
}

func newCreateNotification(f *cmdutil.Factory) *cobra.Command {
	var in control.CreateVpcEndpointConnectionNotificationInput
	var events []string
	cmd := &cobra.Command{
		Use:   "create-endpoint-connection-notification (--service-id ID | --vpc-endpoint-id ID) --connection-notification-arn TARGET --connection-events Connect Accept Reject Delete",
		Short: "Be told of connection events (ec2 create-vpc-endpoint-connection-notification)",
		Long: `Be told of an endpoint service's or an endpoint's connection events.

TARGET is an SNS topic ARN (the message is recorded in the store: see 'plink
events'), an http:// or https:// URL (POSTed as JSON), or file:///path
(appended as one JSON line per event; the directory must exist, and the path
must be a regular file or absent, outside /proc, /sys and /dev).

Messages are written with the change that causes them. The command making
the change then tries them, all at once, for at most 2 seconds in total;
what fails, 'plink serve' retries with backoff (in order per target, up to
10 attempts or an hour). Failures are logged and recorded as events:
Notification.Retrying on the first, Notification.Failed when given up.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ConnectionEvents = cmdutil.SplitList(events)
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.CreateVpcEndpointConnectionNotificationOutput, error) {
				return api.CreateVpcEndpointConnectionNotification(cmd.Context(), &in)
			}, &output.Table{List: "ConnectionNotification", Columns: notificationColumns})
		},
	}
	cmd.Flags().StringVar(&in.ServiceID, "service-id", "", "service ID (provider)")
	cmd.Flags().StringVar(&in.VpcEndpointID, "vpc-endpoint-id", "", "endpoint ID (consumer)")
	cmd.Flags().StringVar(&in.ConnectionNotificationArn, "connection-notification-arn", "", "SNS topic ARN, http(s) URL or file:// path")
	cmd.Flags().StringArrayVar(&events, "connection-events", nil, "Connect, Accept, Reject, Delete")
	return cmdutil.Op(cmd, "CreateVpcEndpointConnectionNotification")
}

func newDescribeNotifications(f *cmdutil.Factory) *cobra.Command {
	var id string
	var filters []string
	cmd := &cobra.Command{
		Use:   "describe-endpoint-connection-notifications [--connection-notification-id ID] [--filters ...]",
		Short: "List your connection notifications",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := cmdutil.Filters(filters)
			if err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DescribeVpcEndpointConnectionNotificationsOutput, error) {
				return api.DescribeVpcEndpointConnectionNotifications(cmd.Context(), &control.DescribeVpcEndpointConnectionNotificationsInput{ConnectionNotificationID: id, Filters: fs})
			}, &output.Table{List: "ConnectionNotificationSet", Columns: notificationColumns})
		},
	}
	cmd.Flags().StringVar(&id, "connection-notification-id", "", "notification ID")
	cmd.Flags().StringArrayVar(&filters, "filters", nil, "Name=connection-notification-arn|connection-notification-id|connection-notification-state|connection-notification-type|service-id|vpc-endpoint-id,Values=...")
	return cmdutil.Op(cmd, "DescribeVpcEndpointConnectionNotifications")
}

func newModifyNotification(f *cmdutil.Factory) *cobra.Command {
	var in control.ModifyVpcEndpointConnectionNotificationInput
	var events []string
	cmd := &cobra.Command{
		Use:   "modify-endpoint-connection-notification --connection-notification-id ID [--connection-notification-arn TARGET] [--connection-events ...]",
		Short: "Change a connection notification's target or events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ConnectionEvents = cmdutil.SplitList(events)
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.ModifyVpcEndpointConnectionNotificationOutput, error) {
				return api.ModifyVpcEndpointConnectionNotification(cmd.Context(), &in)
			}, nil)
		},
	}
	cmd.Flags().StringVar(&in.ConnectionNotificationID, "connection-notification-id", "", "notification ID")
	cmd.Flags().StringVar(&in.ConnectionNotificationArn, "connection-notification-arn", "", "SNS topic ARN, http(s) URL or file:// path")
	cmd.Flags().StringArrayVar(&events, "connection-events", nil, "Connect, Accept, Reject, Delete")
	cmd.MarkFlagRequired("connection-notification-id")
	return cmdutil.Op(cmd, "ModifyVpcEndpointConnectionNotification")
}

func newDeleteNotifications(f *cmdutil.Factory) *cobra.Command {
	var ids []string
	cmd := &cobra.Command{
		Use:   "delete-endpoint-connection-notifications --connection-notification-ids ID...",
		Short: "Delete connection notifications",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DeleteVpcEndpointConnectionNotificationsOutput, error) {
				return api.DeleteVpcEndpointConnectionNotifications(cmd.Context(), &control.DeleteVpcEndpointConnectionNotificationsInput{ConnectionNotificationIDs: cmdutil.SplitList(ids)})
			}, batchTable)
		},
	}
	cmd.Flags().StringArrayVar(&ids, "connection-notification-ids", nil, "notification IDs")
	cmd.MarkFlagRequired("connection-notification-ids")
	return cmdutil.Op(cmd, "DeleteVpcEndpointConnectionNotifications")
}

// minEventsInterval is the shortest --interval events --watch takes.
const minEventsInterval = 10 * time.Millisecond

func newEvents(f *cmdutil.Factory) *cobra.Command {
	var watch bool
	var after int64
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "events [--watch] [--after SEQ]",
		Short: "Print the connection events that concern your account, one JSON object per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A zero or tiny interval would poll the store in a busy loop.
			if interval < minEventsInterval {
				return &cmdutil.UsageError{Err: fmt.Errorf("--interval must be at least %v, not %v", minEventsInterval, interval)}
			}
			if after < 0 {
				return &cmdutil.UsageError{Err: fmt.Errorf("--after must be a sequence number (0 or more), not %d", after)}
			}
			api, err := f.API(cmd.Context())
			if err != nil {
				return err
			}
			enc := json.NewEncoder(f.IO.Out)
			for {
				evs, err := api.Events(cmd.Context(), after, 1000)
				if err != nil {
					if cmd.Context().Err() != nil {
						return nil
					}
					return err
				}
				for _, e := range evs {
					if err := enc.Encode(e); err != nil {
						return err
					}
					after = e.Seq
				}
				if !watch {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "keep printing new events until interrupted")
	cmd.Flags().Int64Var(&after, "after", 0, "print only events after this sequence number")
	cmd.Flags().DurationVar(&interval, "interval", 200*time.Millisecond, "how often --watch polls (at least 10ms)")
	return cmd
}
