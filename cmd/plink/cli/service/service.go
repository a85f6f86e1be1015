// Package service holds the provider's commands: endpoint services, their
// permissions, private DNS verification and connection decisions.
package service

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/output"
)

// Commands returns the provider commands.
func Commands(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{
		newCreate(f), newModify(f), newDescribe(f), newDelete(f),
		newModifyPermissions(f), newDescribePermissions(f), newStartVerification(f),
		newDecide(f, true), newDecide(f, false), newDescribeConnections(f),
	}
}

var (
	serviceColumns = []output.Column{
		{Header: "SERVICE ID", Path: "ServiceId"}, {Header: "SERVICE NAME", Path: "ServiceName"}, {Header: "STATE", Path: "ServiceState"},
		{Header: "ACCEPTANCE", Path: "AcceptanceRequired"}, {Header: "ZONES", Path: "AvailabilityZones"},
		{Header: "IP TYPES", Path: "SupportedIpAddressTypes"}, {Header: "PRIVATE DNS", Path: "PrivateDnsName"},
		{Header: "VERIFICATION", Path: "PrivateDnsNameConfiguration.State", Wide: true},
		{Header: "NLBS", Path: "NetworkLoadBalancerArns", Wide: true}}
	batchTable = &output.Table{List: "Unsuccessful", Columns: []output.Column{
		{Header: "RESOURCE ID", Path: "ResourceId"}, {Header: "CODE", Path: "Error.Code"}, {Header: "MESSAGE", Path: "Error.Message"}}}
)

func newCreate(f *cmdutil.Factory) *cobra.Command {
	var in control.CreateVpcEndpointServiceConfigurationInput
	var nlbs, types, tagSpecs []string
	cmd := &cobra.Command{
		Use:   "create-endpoint-service --network-load-balancer-arns ARN... [--acceptance-required|--no-acceptance-required] [--private-dns-name NAME] [--supported-ip-address-types ipv4 ipv6]",
		Short: "Publish network load balancers as an endpoint service (ec2 create-vpc-endpoint-service-configuration)",
		Long: `Publish network load balancers as an endpoint service.

Acceptance is required unless --no-acceptance-required is given (the console's
default). IPv6 support needs every load balancer to be dualstack.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.AcceptanceRequired, err = cmdutil.BoolPair(cmd, "acceptance-required", "no-acceptance-required"); err != nil {
				return err
			}
			if in.TagSpecifications, err = cmdutil.TagSpecs(tagSpecs); err != nil {
				return err
			}
			in.NetworkLoadBalancerArns, in.SupportedIPAddressTypes = cmdutil.SplitList(nlbs), cmdutil.SplitList(types)
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.CreateVpcEndpointServiceConfigurationOutput, error) {
				return api.CreateVpcEndpointServiceConfiguration(cmd.Context(), &in)
			}, &output.Table{List: "ServiceConfiguration", Columns: serviceColumns})
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&nlbs, "network-load-balancer-arns", nil, "ARNs of the network load balancers")
	fl.Bool("acceptance-required", false, "endpoints wait in pendingAcceptance until accepted (default)")
	fl.Bool("no-acceptance-required", false, "endpoints become available at once")
	fl.StringVar(&in.PrivateDNSName, "private-dns-name", "", "private DNS name, e.g. api.example.com or *.example.com (needs verification)")
	fl.StringArrayVar(&types, "supported-ip-address-types", nil, "ipv4 and/or ipv6 (default ipv4)")
	fl.StringArrayVar(&tagSpecs, "tag-specifications", nil, "ResourceType=vpc-endpoint-service,Tags=[{Key=k,Value=v}]")
	return cmdutil.Op(cmd, "CreateVpcEndpointServiceConfiguration")
}

func newModify(f *cmdutil.Factory) *cobra.Command {
	var in control.ModifyVpcEndpointServiceConfigurationInput
	var addNLB, rmNLB, addTypes, rmTypes []string
	cmd := &cobra.Command{
		Use:   "modify-endpoint-service --service-id ID [flags]",
		Short: "Change an endpoint service (ec2 modify-vpc-endpoint-service-configuration)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.AcceptanceRequired, err = cmdutil.BoolPair(cmd, "acceptance-required", "no-acceptance-required"); err != nil {
				return err
			}
			in.AddNetworkLoadBalancerArns, in.RemoveNetworkLoadBalancerArns = cmdutil.SplitList(addNLB), cmdutil.SplitList(rmNLB)
			in.AddSupportedIPAddressTypes, in.RemoveSupportedIPAddressTypes = cmdutil.SplitList(addTypes), cmdutil.SplitList(rmTypes)
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.ModifyVpcEndpointServiceConfigurationOutput, error) {
				return api.ModifyVpcEndpointServiceConfiguration(cmd.Context(), &in)
			}, nil)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.ServiceID, "service-id", "", "service ID")
	fl.StringVar(&in.PrivateDNSName, "private-dns-name", "", "set the private DNS name (starts a new verification)")
	fl.BoolVar(&in.RemovePrivateDNSName, "remove-private-dns-name", false, "remove the private DNS name")
	fl.Bool("acceptance-required", false, "require acceptance")
	fl.Bool("no-acceptance-required", false, "accept endpoints automatically")
	fl.StringArrayVar(&addNLB, "add-network-load-balancer-arns", nil, "load balancers to add")
	fl.StringArrayVar(&rmNLB, "remove-network-load-balancer-arns", nil, "load balancers to remove")
	fl.StringArrayVar(&addTypes, "add-supported-ip-address-types", nil, "ipv4 and/or ipv6")
	fl.StringArrayVar(&rmTypes, "remove-supported-ip-address-types", nil, "ipv4 and/or ipv6")
	cmd.MarkFlagRequired("service-id")
	return cmdutil.Op(cmd, "ModifyVpcEndpointServiceConfiguration")
}

func newDescribe(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDescribe(f, cmdutil.Describe[*control.DescribeVpcEndpointServiceConfigurationsOutput]{
		Use:     "describe-endpoint-service-configurations [--service-ids ID...] [--filters ...]",
		Short:   "List your endpoint services (ec2 describe-vpc-endpoint-service-configurations)",
		Op:      "DescribeVpcEndpointServiceConfigurations",
		IDsFlag: "service-ids", IDsHelp: "service IDs", FiltersHelp: "service-name|service-id|service-state|supported-ip-address-types|tag:<key>",
		Table: &output.Table{List: "ServiceConfigurations", Columns: serviceColumns},
		Call: func(ctx context.Context, api *control.API, ids []string, fs []control.Filter) (*control.DescribeVpcEndpointServiceConfigurationsOutput, error) {
			return api.DescribeVpcEndpointServiceConfigurations(ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: ids, Filters: fs})
		},
	})
}

func newDelete(f *cmdutil.Factory) *cobra.Command {
	var ids []string
	cmd := &cobra.Command{
		Use:   "delete-endpoint-services --service-ids ID...",
		Short: "Delete endpoint services without active connections (ec2 delete-vpc-endpoint-service-configurations)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DeleteVpcEndpointServiceConfigurationsOutput, error) {
				return api.DeleteVpcEndpointServiceConfigurations(cmd.Context(), &control.DeleteVpcEndpointServiceConfigurationsInput{ServiceIDs: cmdutil.SplitList(ids)})
			}, batchTable)
		},
	}
	cmd.Flags().StringArrayVar(&ids, "service-ids", nil, "service IDs")
	cmd.MarkFlagRequired("service-ids")
	return cmdutil.Op(cmd, "DeleteVpcEndpointServiceConfigurations")
}

func newModifyPermissions(f *cmdutil.Factory) *cobra.Command {
	var in control.ModifyVpcEndpointServicePermissionsInput
	var add, rm []string
	cmd := &cobra.Command{
		Use:   "modify-endpoint-service-permissions --service-id ID [--add-allowed-principals ARN...] [--remove-allowed-principals ARN...]",
		Short: "Allow or disallow principals to connect (ec2 modify-vpc-endpoint-service-permissions)",
		Long: `Allow or disallow principals to connect to an endpoint service.

A principal is '*' (everyone), an account root (arn:aws:iam::123456789012:root:
every principal of that account), or a user or role ARN. Removing a principal
leaves its existing endpoints connected, as on AWS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in.AddAllowedPrincipals, in.RemoveAllowedPrincipals = cmdutil.SplitList(add), cmdutil.SplitList(rm)
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.ModifyVpcEndpointServicePermissionsOutput, error) {
				return api.ModifyVpcEndpointServicePermissions(cmd.Context(), &in)
			}, nil)
		},
	}
	cmd.Flags().StringVar(&in.ServiceID, "service-id", "", "service ID")
	cmd.Flags().StringArrayVar(&add, "add-allowed-principals", nil, "principals to allow")
	cmd.Flags().StringArrayVar(&rm, "remove-allowed-principals", nil, "principals to remove")
	cmd.MarkFlagRequired("service-id")
	return cmdutil.Op(cmd, "ModifyVpcEndpointServicePermissions")
}

func newDescribePermissions(f *cmdutil.Factory) *cobra.Command {
	var id string
	var filters []string
	cmd := &cobra.Command{
		Use:   "describe-endpoint-service-permissions --service-id ID",
		Short: "List the principals allowed to connect (ec2 describe-vpc-endpoint-service-permissions)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := cmdutil.Filters(filters)
			if err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DescribeVpcEndpointServicePermissionsOutput, error) {
				return api.DescribeVpcEndpointServicePermissions(cmd.Context(), &control.DescribeVpcEndpointServicePermissionsInput{ServiceID: id, Filters: fs})
			}, &output.Table{List: "AllowedPrincipals", Columns: []output.Column{{Header: "PRINCIPAL", Path: "Principal"}, {Header: "TYPE", Path: "PrincipalType"}}})
		},
	}
	cmd.Flags().StringVar(&id, "service-id", "", "service ID")
	cmd.Flags().StringArrayVar(&filters, "filters", nil, "Name=principal|principal-type,Values=...")
	cmd.MarkFlagRequired("service-id")
	return cmdutil.Op(cmd, "DescribeVpcEndpointServicePermissions")
}

func newStartVerification(f *cmdutil.Factory) *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "start-endpoint-service-private-dns-verification --service-id ID",
		Short: "Verify the service's private DNS name through DNS (ec2 start-vpc-endpoint-service-private-dns-verification)",
		Long: `Look up the TXT record shown in PrivateDnsNameConfiguration (Name under the
private DNS name's domain, Value "vpce:...") through --resolver (default: the
system's resolver) and move the name to verified, or to failed.

Unlike AWS, plink checks before it answers, so the state is final on return.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.StartVpcEndpointServicePrivateDnsVerificationOutput, error) {
				return api.StartVpcEndpointServicePrivateDnsVerification(cmd.Context(), &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: id})
			}, nil)
		},
	}
	cmd.Flags().StringVar(&id, "service-id", "", "service ID")
	cmd.MarkFlagRequired("service-id")
	return cmdutil.Op(cmd, "StartVpcEndpointServicePrivateDnsVerification")
}

func newDecide(f *cmdutil.Factory, accept bool) *cobra.Command {
	var id string
	var ids []string
	name, op, short := "accept-endpoint-connections", "AcceptVpcEndpointConnections", "Accept endpoints waiting in pendingAcceptance"
	if !accept {
		name, op, short = "reject-endpoint-connections", "RejectVpcEndpointConnections", "Reject pending or available endpoints"
	}
	cmd := &cobra.Command{
		Use:   name + " --service-id ID --vpc-endpoint-ids ID...",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in := control.ConnectionsInput{ServiceID: id, VpcEndpointIDs: cmdutil.SplitList(ids)}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.BatchResult, error) {
				if accept {
					out, err := api.AcceptVpcEndpointConnections(cmd.Context(), &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: in})
					if err != nil {
						return nil, err
					}
					return &out.BatchResult, nil
				}
				out, err := api.RejectVpcEndpointConnections(cmd.Context(), &control.RejectVpcEndpointConnectionsInput{ConnectionsInput: in})
				if err != nil {
					return nil, err
				}
				return &out.BatchResult, nil
			}, batchTable)
		},
	}
	cmd.Flags().StringVar(&id, "service-id", "", "service ID")
	cmd.Flags().StringArrayVar(&ids, "vpc-endpoint-ids", nil, "endpoint IDs")
	cmd.MarkFlagRequired("service-id")
	cmd.MarkFlagRequired("vpc-endpoint-ids")
	return cmdutil.Op(cmd, op)
}

func newDescribeConnections(f *cmdutil.Factory) *cobra.Command {
	var filters []string
	cmd := &cobra.Command{
		Use:   "describe-endpoint-connections [--filters ...]",
		Short: "List the endpoints connected to your services (ec2 describe-vpc-endpoint-connections)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := cmdutil.Filters(filters)
			if err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DescribeVpcEndpointConnectionsOutput, error) {
				return api.DescribeVpcEndpointConnections(cmd.Context(), &control.DescribeVpcEndpointConnectionsInput{Filters: fs})
			}, &output.Table{List: "VpcEndpointConnections", Columns: []output.Column{
				{Header: "VPC ENDPOINT ID", Path: "VpcEndpointId"}, {Header: "SERVICE ID", Path: "ServiceId"},
				{Header: "OWNER", Path: "VpcEndpointOwner"}, {Header: "STATE", Path: "VpcEndpointState"},
				{Header: "IP TYPE", Path: "IpAddressType"}, {Header: "CREATED", Path: "CreationTimestamp", Wide: true}}})
		},
	}
	cmd.Flags().StringArrayVar(&filters, "filters", nil, "Name=service-id|vpc-endpoint-owner|vpc-endpoint-state|vpc-endpoint-id|ip-address-type,Values=...")
	return cmdutil.Op(cmd, "DescribeVpcEndpointConnections")
}
