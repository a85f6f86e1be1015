package lb

import (
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
)

func newCreateLoadBalancer(f *cmdutil.Factory) *cobra.Command {
	var in control.CreateLoadBalancerInput
	var subnets, mappings, tags []string
	cmd := &cobra.Command{
		Use:   "create-load-balancer --name NAME --subnets ID... | --subnet-mappings SubnetId=ID[,PrivateIPv4Address=IP]... [--scheme internal|internet-facing] [--ip-address-type ipv4|dualstack]",
		Short: "Create a network load balancer (elbv2 create-load-balancer)",
		Long: `Create a network load balancer with one node per subnet (one subnet per zone,
all in one VPC). Each node gets a real address of its subnet, which
'plink serve' binds; dualstack also gives each node an IPv6 address, so every
subnet needs an IPv6 block.

Only --type network exists here, and it is the default (AWS defaults to
application). Cross-zone load balancing is off, as on AWS. Creating a load
balancer again with the same settings answers the existing one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			in.Subnets = cmdutil.SplitList(subnets)
			if in.SubnetMappings, err = decode[control.SubnetMapping]("subnet-mappings", mappings); err != nil {
				return err
			}
			if in.Tags, err = cmdutil.Tags(tags); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.CreateLoadBalancerOutput, error) {
				return api.CreateLoadBalancer(cmd.Context(), &in)
			}, lbTable)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.Name, "name", "", "name: 1-32 letters, digits and hyphens, unique in the account and region")
	fl.StringVar(&in.Type, "type", "network", "load balancer type: network")
	fl.StringVar(&in.Scheme, "scheme", "", "internet-facing (default) or internal (DNS name starts with internal-)")
	fl.StringVar(&in.IPAddressType, "ip-address-type", "", "ipv4 (default) or dualstack")
	fl.StringArrayVar(&subnets, "subnets", nil, "subnet IDs, one per zone")
	fl.StringArrayVar(&mappings, "subnet-mappings", nil, "SubnetId=ID[,PrivateIPv4Address=IP][,IPv6Address=IP] (private addresses for internal load balancers)")
	fl.StringArrayVar(&tags, "tags", nil, "Key=k,Value=v ...")
	cmd.MarkFlagRequired("name")
	return cmdutil.Op(cmd, "CreateLoadBalancer")
}

func newDescribeLoadBalancers(f *cmdutil.Factory) *cobra.Command {
	var arns, names []string
	cmd := &cobra.Command{
		Use:   "describe-load-balancers [--load-balancer-arns ARN...] [--names NAME...]",
		Short: "List network load balancers (elbv2 describe-load-balancers)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in := control.DescribeLoadBalancersInput{LoadBalancerARNs: cmdutil.SplitList(arns), Names: cmdutil.SplitList(names)}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DescribeLoadBalancersOutput, error) {
				return api.DescribeLoadBalancers(cmd.Context(), &in)
			}, lbTable)
		},
	}
	cmd.Flags().StringArrayVar(&arns, "load-balancer-arns", nil, "load balancer ARNs")
	cmd.Flags().StringArrayVar(&names, "names", nil, "load balancer names")
	return cmdutil.Op(cmd, "DescribeLoadBalancers")
}

func newDeleteLoadBalancer(f *cmdutil.Factory) *cobra.Command {
	var arn string
	cmd := &cobra.Command{
		Use:   "delete-load-balancer --load-balancer-arn ARN",
		Short: "Delete a load balancer and its listeners (elbv2 delete-load-balancer)",
		Long: `Delete a load balancer with its listeners and free its node addresses.
Its target groups stay. As on AWS, deleting a load balancer that does not
exist succeeds; one with deletion_protection.enabled or used by an endpoint
service is refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exec(f, cmd, func(api *control.API) error {
				return errOf(api.DeleteLoadBalancer(cmd.Context(), &control.DeleteLoadBalancerInput{LoadBalancerARN: arn}))
			})
		},
	}
	cmd.Flags().StringVar(&arn, "load-balancer-arn", "", "load balancer ARN")
	cmd.MarkFlagRequired("load-balancer-arn")
	return cmdutil.Op(cmd, "DeleteLoadBalancer")
}
