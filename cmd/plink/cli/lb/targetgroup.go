package lb

import (
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
)

// healthCheckFlags are the health check flags of create- and
// modify-target-group.
type healthCheckFlags struct {
	protocol, port, path, matcher         string
	interval, timeout, healthy, unhealthy int
}

func (h *healthCheckFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&h.protocol, "health-check-protocol", "", "TCP (default) or HTTP")
	fl.StringVar(&h.port, "health-check-port", "", "traffic-port (default) or a port")
	fl.StringVar(&h.path, "health-check-path", "", "HTTP path (default /)")
	fl.IntVar(&h.interval, "health-check-interval-seconds", 0, "5-300 (default 30)")
	fl.IntVar(&h.timeout, "health-check-timeout-seconds", 0, "2-120 (default 10, 6 for HTTP)")
	fl.IntVar(&h.healthy, "healthy-threshold-count", 0, "2-10 (default 5)")
	fl.IntVar(&h.unhealthy, "unhealthy-threshold-count", 0, "2-10 (default 2)")
	fl.StringVar(&h.matcher, "matcher", "", "HttpCode=200-399 (HTTP checks; codes as 200, 200,202 or 200-299)")
	fl.Bool("health-check-enabled", false, "enable health checks (default)")
	fl.Bool("no-health-check-enabled", false, "disable health checks (AWS refuses this for IP targets; plink allows it and reports targets unavailable)")
}

func (h *healthCheckFlags) settings(cmd *cobra.Command) (control.HealthCheckSettings, error) {
	s := control.HealthCheckSettings{HealthCheckProtocol: h.protocol, HealthCheckPort: h.port, HealthCheckPath: h.path,
		HealthCheckIntervalSeconds: intFlag(cmd, "health-check-interval-seconds", h.interval),
		HealthCheckTimeoutSeconds:  intFlag(cmd, "health-check-timeout-seconds", h.timeout),
		HealthyThresholdCount:      intFlag(cmd, "healthy-threshold-count", h.healthy),
		UnhealthyThresholdCount:    intFlag(cmd, "unhealthy-threshold-count", h.unhealthy)}
	var err error
	if s.HealthCheckEnabled, err = cmdutil.BoolPair(cmd, "health-check-enabled", "no-health-check-enabled"); err != nil {
		return s, err
	}
	s.Matcher, err = parseMatcher(h.matcher)
	return s, err
}

func newCreateTargetGroup(f *cmdutil.Factory) *cobra.Command {
	var in control.CreateTargetGroupInput
	var hc healthCheckFlags
	var tags []string
	cmd := &cobra.Command{
		Use:   "create-target-group --name NAME --protocol TCP --port PORT --vpc-id ID [--target-type ip] [health check flags]",
		Short: "Create a target group of IP targets (elbv2 create-target-group)",
		Long: `Create a TCP target group of IP targets with an active health check (NLB
defaults: TCP on the traffic port every 30 s, timeout 10 s (6 s for HTTP),
healthy after 5 checks, unhealthy after 2; HTTP checks use path / and codes
200-399).

Only --target-type ip exists here, and it is the default (AWS defaults to
instance): instance, lambda and alb targets do not exist on one host.
Creating a target group again with the same settings answers the existing one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.HealthCheckSettings, err = hc.settings(cmd); err != nil {
				return err
			}
			if in.Tags, err = cmdutil.Tags(tags); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.CreateTargetGroupOutput, error) {
				return api.CreateTargetGroup(cmd.Context(), &in)
			}, tgTable)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.Name, "name", "", "name: 1-32 letters, digits and hyphens, unique in the account and region")
	fl.StringVar(&in.Protocol, "protocol", "", "TCP")
	fl.IntVar(&in.Port, "port", 0, "the targets' default port")
	fl.StringVar(&in.VpcID, "vpc-id", "", "VPC of the targets")
	fl.StringVar(&in.TargetType, "target-type", "ip", "ip")
	fl.StringVar(&in.IPAddressType, "ip-address-type", "", "ipv4 (default) or ipv6 targets")
	fl.StringArrayVar(&tags, "tags", nil, "Key=k,Value=v ...")
	hc.add(cmd)
	cmd.MarkFlagRequired("name")
	return cmdutil.Op(cmd, "CreateTargetGroup")
}

func newDescribeTargetGroups(f *cmdutil.Factory) *cobra.Command {
	var in control.DescribeTargetGroupsInput
	var arns, names []string
	cmd := &cobra.Command{
		Use:   "describe-target-groups [--target-group-arns ARN...] [--names NAME...] [--load-balancer-arn ARN]",
		Short: "List target groups (elbv2 describe-target-groups)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in.TargetGroupARNs, in.Names = cmdutil.SplitList(arns), cmdutil.SplitList(names)
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DescribeTargetGroupsOutput, error) {
				return api.DescribeTargetGroups(cmd.Context(), &in)
			}, tgTable)
		},
	}
	cmd.Flags().StringArrayVar(&arns, "target-group-arns", nil, "target group ARNs")
	cmd.Flags().StringArrayVar(&names, "names", nil, "target group names")
	cmd.Flags().StringVar(&in.LoadBalancerARN, "load-balancer-arn", "", "only the groups this load balancer's listeners use")
	return cmdutil.Op(cmd, "DescribeTargetGroups")
}

func newModifyTargetGroup(f *cmdutil.Factory) *cobra.Command {
	var in control.ModifyTargetGroupInput
	var hc healthCheckFlags
	cmd := &cobra.Command{
		Use:   "modify-target-group --target-group-arn ARN [health check flags]",
		Short: "Change a target group's health check (elbv2 modify-target-group)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.HealthCheckSettings, err = hc.settings(cmd); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.ModifyTargetGroupOutput, error) {
				return api.ModifyTargetGroup(cmd.Context(), &in)
			}, tgTable)
		},
	}
	cmd.Flags().StringVar(&in.TargetGroupARN, "target-group-arn", "", "target group ARN")
	hc.add(cmd)
	cmd.MarkFlagRequired("target-group-arn")
	return cmdutil.Op(cmd, "ModifyTargetGroup")
}

func newDeleteTargetGroup(f *cmdutil.Factory) *cobra.Command {
	var arn string
	cmd := &cobra.Command{
		Use:   "delete-target-group --target-group-arn ARN",
		Short: "Delete a target group no listener uses (elbv2 delete-target-group)",
		Long: `Delete a target group and its targets. A group a listener forwards to is
refused (ResourceInUse). As on AWS, deleting one that does not exist succeeds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exec(f, cmd, func(api *control.API) error {
				return errOf(api.DeleteTargetGroup(cmd.Context(), &control.DeleteTargetGroupInput{TargetGroupARN: arn}))
			})
		},
	}
	cmd.Flags().StringVar(&arn, "target-group-arn", "", "target group ARN")
	cmd.MarkFlagRequired("target-group-arn")
	return cmdutil.Op(cmd, "DeleteTargetGroup")
}
