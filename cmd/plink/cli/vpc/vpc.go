// Package vpc holds the EC2 networking commands: VPCs, subnets, security
// groups, network interfaces, and get-caller-identity.
package vpc

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/output"
)

// Commands returns the networking commands.
func Commands(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{
		newCallerIdentity(f),
		newCreateVpc(f), newDescribeVpcs(f), newDeleteVpc(f),
		newCreateSubnet(f), newDescribeSubnets(f), newDeleteSubnet(f),
		newCreateSecurityGroup(f), newAuthorizeIngress(f, true), newAuthorizeIngress(f, false),
		newDescribeSecurityGroups(f), newDeleteSecurityGroup(f),
	}
}

var (
	vpcTable = &output.Table{List: "Vpcs", Columns: []output.Column{
		{Header: "VPC ID", Path: "VpcId"}, {Header: "CIDR", Path: "CidrBlock"},
		{Header: "IPV6 CIDR", Path: "Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock"},
		{Header: "DEFAULT", Path: "IsDefault"}, {Header: "STATE", Path: "State"}, {Header: "OWNER", Path: "OwnerId", Wide: true}}}
	subnetTable = &output.Table{List: "Subnets", Columns: []output.Column{
		{Header: "SUBNET ID", Path: "SubnetId"}, {Header: "VPC ID", Path: "VpcId"}, {Header: "ZONE", Path: "AvailabilityZone"},
		{Header: "CIDR", Path: "CidrBlock"}, {Header: "IPV6 CIDR", Path: "Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock"},
		{Header: "IPV6 NATIVE", Path: "Ipv6Native", Wide: true}, {Header: "ZONE ID", Path: "AvailabilityZoneId", Wide: true}}}
	sgTable = &output.Table{List: "SecurityGroups", Columns: []output.Column{
		{Header: "GROUP ID", Path: "GroupId"}, {Header: "NAME", Path: "GroupName"}, {Header: "VPC ID", Path: "VpcId"},
		{Header: "RULES", Path: "length(IpPermissions)"}, {Header: "DESCRIPTION", Path: "Description", Wide: true}}}
)

func newCallerIdentity(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.Op(&cobra.Command{
		Use:   "get-caller-identity",
		Short: "Show the account and principal commands act as (sts get-caller-identity)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.GetCallerIdentityOutput, error) {
				return api.GetCallerIdentity(cmd.Context(), &control.GetCallerIdentityInput{})
			}, &output.Table{List: "@", Columns: []output.Column{{Header: "ACCOUNT", Path: "Account"}, {Header: "ARN", Path: "Arn"}, {Header: "USER ID", Path: "UserId"}}})
		},
	}, "GetCallerIdentity")
}

func newCreateVpc(f *cmdutil.Factory) *cobra.Command {
	var in control.CreateVpcInput
	var tagSpecs []string
	cmd := &cobra.Command{
		Use:   "create-vpc --cidr-block CIDR [--amazon-provided-ipv6-cidr-block]",
		Short: "Create a VPC (its CIDR must not overlap any other VPC in the store)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.TagSpecifications, err = cmdutil.TagSpecs(tagSpecs); err != nil {
				return err
			}
			api, err := f.API(cmd.Context())
			if err != nil {
				return err
			}
			out, err := api.CreateVpc(cmd.Context(), &in)
			if err != nil {
				return err
			}
			return f.Print(out, &output.Table{List: "Vpc", Columns: vpcTable.Columns})
		},
	}
	cmd.Flags().StringVar(&in.CidrBlock, "cidr-block", "", "IPv4 CIDR, e.g. 127.100.0.0/16 (stays inside 127.0.0.0/8 to need no root)")
	cmd.Flags().BoolVar(&in.AmazonProvidedIpv6CidrBlock, "amazon-provided-ipv6-cidr-block", false, "also give the VPC an IPv6 /56 (a ULA block)")
	cmd.Flags().StringArrayVar(&tagSpecs, "tag-specifications", nil, "ResourceType=vpc,Tags=[{Key=k,Value=v}]")
	return cmdutil.Op(cmd, "CreateVpc")
}

func newDescribeVpcs(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDescribe(f, cmdutil.Describe[*control.DescribeVpcsOutput]{
		Use: "describe-vpcs [--vpc-ids ID...] [--filters Name=...,Values=...]", Short: "List VPCs", Op: "DescribeVpcs",
		IDsFlag: "vpc-ids", IDsHelp: "VPC IDs", FiltersHelp: "vpc-id|cidr|is-default|state|owner-id|tag:<key>|tag-key", Table: vpcTable,
		Call: func(ctx context.Context, api *control.API, ids []string, fs []control.Filter) (*control.DescribeVpcsOutput, error) {
			return api.DescribeVpcs(ctx, &control.DescribeVpcsInput{VpcIDs: ids, Filters: fs})
		},
	})
}

func newDeleteVpc(f *cmdutil.Factory) *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "delete-vpc --vpc-id ID",
		Short: "Delete a VPC that holds nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := f.API(cmd.Context())
			if err != nil {
				return err
			}
			return errOf(api.DeleteVpc(cmd.Context(), &control.DeleteVpcInput{VpcID: id}))
		},
	}
	cmd.Flags().StringVar(&id, "vpc-id", "", "VPC ID")
	cmd.MarkFlagRequired("vpc-id")
	return cmdutil.Op(cmd, "DeleteVpc")
}

func newCreateSubnet(f *cmdutil.Factory) *cobra.Command {
	var in control.CreateSubnetInput
	var tagSpecs []string
	cmd := &cobra.Command{
		Use:   "create-subnet --vpc-id ID --cidr-block CIDR [--ipv6-cidr-block CIDR] [--ipv6-native] --availability-zone ZONE",
		Short: "Create a subnet in one zone of a VPC",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.TagSpecifications, err = cmdutil.TagSpecs(tagSpecs); err != nil {
				return err
			}
			api, err := f.API(cmd.Context())
			if err != nil {
				return err
			}
			out, err := api.CreateSubnet(cmd.Context(), &in)
			if err != nil {
				return err
			}
			return f.Print(out, &output.Table{List: "Subnet", Columns: subnetTable.Columns})
		},
	}
	cmd.Flags().StringVar(&in.VpcID, "vpc-id", "", "VPC ID")
	cmd.Flags().StringVar(&in.CidrBlock, "cidr-block", "", "IPv4 CIDR inside the VPC's block")
	cmd.Flags().StringVar(&in.Ipv6CidrBlock, "ipv6-cidr-block", "", "IPv6 /64 inside the VPC's /56")
	cmd.Flags().BoolVar(&in.Ipv6Native, "ipv6-native", false, "IPv6-only subnet (no IPv4 block)")
	cmd.Flags().StringVar(&in.AvailabilityZone, "availability-zone", "", "zone, e.g. us-east-1a (default <region>a)")
	cmd.Flags().StringArrayVar(&tagSpecs, "tag-specifications", nil, "ResourceType=subnet,Tags=[{Key=k,Value=v}]")
	cmd.MarkFlagRequired("vpc-id")
	return cmdutil.Op(cmd, "CreateSubnet")
}

func newDescribeSubnets(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDescribe(f, cmdutil.Describe[*control.DescribeSubnetsOutput]{
		Use: "describe-subnets [--subnet-ids ID...] [--filters Name=...,Values=...]", Short: "List subnets", Op: "DescribeSubnets",
		IDsFlag: "subnet-ids", IDsHelp: "subnet IDs", FiltersHelp: "vpc-id|subnet-id|availability-zone|cidr-block|default-for-az|ipv6-native|tag:<key>", Table: subnetTable,
		Call: func(ctx context.Context, api *control.API, ids []string, fs []control.Filter) (*control.DescribeSubnetsOutput, error) {
			return api.DescribeSubnets(ctx, &control.DescribeSubnetsInput{SubnetIDs: ids, Filters: fs})
		},
	})
}

func newDeleteSubnet(f *cmdutil.Factory) *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "delete-subnet --subnet-id ID",
		Short: "Delete a subnet no endpoint or load balancer uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := f.API(cmd.Context())
			if err != nil {
				return err
			}
			return errOf(api.DeleteSubnet(cmd.Context(), &control.DeleteSubnetInput{SubnetID: id}))
		},
	}
	cmd.Flags().StringVar(&id, "subnet-id", "", "subnet ID")
	cmd.MarkFlagRequired("subnet-id")
	return cmdutil.Op(cmd, "DeleteSubnet")
}

func newCreateSecurityGroup(f *cmdutil.Factory) *cobra.Command {
	var in control.CreateSecurityGroupInput
	var tagSpecs []string
	cmd := &cobra.Command{
		Use:   "create-security-group --group-name NAME --description TEXT [--vpc-id ID]",
		Short: "Create a security group (no inbound rules)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.TagSpecifications, err = cmdutil.TagSpecs(tagSpecs); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.CreateSecurityGroupOutput, error) {
				return api.CreateSecurityGroup(cmd.Context(), &in)
			}, &output.Table{List: "@", Columns: []output.Column{{Header: "GROUP ID", Path: "GroupId"}}})
		},
	}
	cmd.Flags().StringVar(&in.GroupName, "group-name", "", "name, unique in the VPC")
	cmd.Flags().StringVar(&in.Description, "description", "", "description")
	cmd.Flags().StringVar(&in.VpcID, "vpc-id", "", "VPC ID (default: the default VPC)")
	cmd.Flags().StringArrayVar(&tagSpecs, "tag-specifications", nil, "ResourceType=security-group,Tags=[{Key=k,Value=v}]")
	return cmdutil.Op(cmd, "CreateSecurityGroup")
}

func newAuthorizeIngress(f *cmdutil.Factory, add bool) *cobra.Command {
	var in control.IngressInput
	var perms []string
	var port string
	name, op, short := "authorize-security-group-ingress", "AuthorizeSecurityGroupIngress", "Allow inbound traffic to a security group"
	if !add {
		name, op, short = "revoke-security-group-ingress", "RevokeSecurityGroupIngress", "Remove an inbound rule from a security group"
	}
	cmd := &cobra.Command{
		Use:   name + " --group-id ID (--protocol tcp --port 80 --cidr CIDR | --ip-permissions ...)",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.IPPermissions, err = cmdutil.DecodeShorthandList[control.IPPermission](perms); err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			api, err := f.API(cmd.Context())
			if err != nil {
				return err
			}
			if port != "" {
				from, to, err := control.ParsePortRange(port)
				if err != nil {
					return err
				}
				in.FromPort, in.ToPort = &from, &to
			}
			var out any
			if add {
				out, err = api.AuthorizeSecurityGroupIngress(cmd.Context(), &control.AuthorizeSecurityGroupIngressInput{IngressInput: in})
			} else {
				out, err = api.RevokeSecurityGroupIngress(cmd.Context(), &control.RevokeSecurityGroupIngressInput{IngressInput: in})
			}
			if err != nil {
				return err
			}
			return f.Print(out, nil)
		},
	}
	cmd.Flags().StringVar(&in.GroupID, "group-id", "", "security group ID")
	cmd.Flags().StringVar(&in.GroupName, "group-name", "", "security group name (default VPC)")
	cmd.Flags().StringVar(&in.IPProtocol, "protocol", "", "tcp, udp, icmp or all")
	cmd.Flags().StringVar(&port, "port", "", "port or range, e.g. 443 or 8000-8100")
	cmd.Flags().StringVar(&in.CidrIP, "cidr", "", "source CIDR (IPv4 or IPv6)")
	cmd.Flags().StringArrayVar(&perms, "ip-permissions", nil, "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8}]")
	return cmdutil.Op(cmd, op)
}

func newDescribeSecurityGroups(f *cmdutil.Factory) *cobra.Command {
	var in control.DescribeSecurityGroupsInput
	var ids, groupNames, filters []string
	cmd := &cobra.Command{
		Use:   "describe-security-groups [--group-ids ID...] [--group-names NAME...] [--filters ...]",
		Short: "List security groups with their inbound rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			in.GroupIDs, in.GroupNames = cmdutil.SplitList(ids), cmdutil.SplitList(groupNames)
			if in.Filters, err = cmdutil.Filters(filters); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DescribeSecurityGroupsOutput, error) {
				return api.DescribeSecurityGroups(cmd.Context(), &in)
			}, sgTable)
		},
	}
	cmd.Flags().StringArrayVar(&ids, "group-ids", nil, "security group IDs")
	cmd.Flags().StringArrayVar(&groupNames, "group-names", nil, "security group names")
	cmd.Flags().StringArrayVar(&filters, "filters", nil, "Name=group-id|group-name|vpc-id|tag:<key>,Values=...")
	return cmdutil.Op(cmd, "DescribeSecurityGroups")
}

func newDeleteSecurityGroup(f *cmdutil.Factory) *cobra.Command {
	var id, name string
	cmd := &cobra.Command{
		Use:   "delete-security-group --group-id ID",
		Short: "Delete a security group no endpoint uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := f.API(cmd.Context())
			if err != nil {
				return err
			}
			return errOf(api.DeleteSecurityGroup(cmd.Context(), &control.DeleteSecurityGroupInput{GroupID: id, GroupName: name}))
		},
	}
	cmd.Flags().StringVar(&id, "group-id", "", "security group ID")
	cmd.Flags().StringVar(&name, "group-name", "", "security group name (default VPC)")
	return cmdutil.Op(cmd, "DeleteSecurityGroup")
}

// errOf drops an action's output.
func errOf[T any](_ *T, err error) error { return err }
