package lb

import (
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
)

const registerLong = `Register IP targets with a target group:
  --targets Id=127.0.0.1,Port=8080 Id=127.16.0.50

Port defaults to the group's port. AvailabilityZone defaults to the zone of
the VPC subnet holding the IP; an IP outside the group's VPC serves every zone
("all"). AWS requires AvailabilityZone=all for such an IP; plink also takes it
without. A zone that does not match the IP's subnet is refused. Registering a
draining target again brings it back.`

const deregisterLong = `Deregister targets. They drain: the data plane sends them no new connections
and ends open ones after the group's deregistration_delay.timeout_seconds
(300 s by default); describe-target-health shows them draining until then, and
the next change to the group after that removes them. Deregistering a target
that is not registered is InvalidTarget.`

func newTargets(f *cmdutil.Factory, register bool) *cobra.Command {
	var in control.TargetsInput
	var targets []string
	name, op, short, long := "deregister-targets", "DeregisterTargets", "Deregister targets from a target group (elbv2 deregister-targets)", deregisterLong
	if register {
		name, op, short, long = "register-targets", "RegisterTargets", "Register IP targets with a target group (elbv2 register-targets)", registerLong
	}
	cmd := &cobra.Command{
		Use:   name + " --target-group-arn ARN --targets Id=IP[,Port=PORT][,AvailabilityZone=ZONE|all]...",
		Short: short,
		Long:  long,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.Targets, err = decode[control.TargetDescription]("targets", targets); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (struct{}, error) {
				if register {
					return struct{}{}, errOf(api.RegisterTargets(cmd.Context(), &control.RegisterTargetsInput{TargetsInput: in}))
				}
				return struct{}{}, errOf(api.DeregisterTargets(cmd.Context(), &control.DeregisterTargetsInput{TargetsInput: in}))
			}, nil)
		},
	}
	cmd.Flags().StringVar(&in.TargetGroupARN, "target-group-arn", "", "target group ARN")
	cmd.Flags().StringArrayVar(&targets, "targets", nil, "Id=IP[,Port=PORT][,AvailabilityZone=ZONE|all] ...")
	cmd.MarkFlagRequired("target-group-arn")
	cmd.MarkFlagRequired("targets")
	return cmdutil.Op(cmd, op)
}

func newDescribeTargetHealth(f *cmdutil.Factory) *cobra.Command {
	var in control.DescribeTargetHealthInput
	var targets []string
	cmd := &cobra.Command{
		Use:   "describe-target-health --target-group-arn ARN [--targets Id=IP[,Port=PORT]...]",
		Short: "Show the health of a target group's targets (elbv2 describe-target-health)",
		Long: `Show each target's health: initial until 'plink serve' has checked it, then
healthy or unhealthy as serve observed; unused while no listener forwards to
the group (or the target's zone is not one of the load balancer's); draining
after deregistration; unavailable when health checks are disabled.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.Targets, err = decode[control.TargetDescription]("targets", targets); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DescribeTargetHealthOutput, error) {
				return api.DescribeTargetHealth(cmd.Context(), &in)
			}, healthTable)
		},
	}
	cmd.Flags().StringVar(&in.TargetGroupARN, "target-group-arn", "", "target group ARN")
	cmd.Flags().StringArrayVar(&targets, "targets", nil, "only these targets: Id=IP[,Port=PORT] ...")
	cmd.MarkFlagRequired("target-group-arn")
	return cmdutil.Op(cmd, "DescribeTargetHealth")
}
