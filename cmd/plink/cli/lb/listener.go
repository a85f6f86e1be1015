package lb

import (
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
)

func newCreateListener(f *cmdutil.Factory) *cobra.Command {
	var in control.CreateListenerInput
	var actions, tags []string
	cmd := &cobra.Command{
		Use:   "create-listener --load-balancer-arn ARN --protocol TCP --port PORT --default-actions Type=forward,TargetGroupArn=ARN",
		Short: "Add a TCP listener forwarding to a target group (elbv2 create-listener)",
		Long: `Add a TCP listener forwarding to one target group, in the load balancer's VPC
and used by no other load balancer. Only TCP listeners and forward actions
exist here. Creating a listener again with the same settings answers the
existing one; another listener on the port is DuplicateListener.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.DefaultActions, err = decode[control.Action]("default-actions", actions); err != nil {
				return err
			}
			if in.Tags, err = cmdutil.Tags(tags); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.CreateListenerOutput, error) {
				return api.CreateListener(cmd.Context(), &in)
			}, listenerTable)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.LoadBalancerARN, "load-balancer-arn", "", "load balancer ARN")
	fl.StringVar(&in.Protocol, "protocol", "", "TCP")
	fl.IntVar(&in.Port, "port", 0, "listener port")
	fl.StringArrayVar(&actions, "default-actions", nil, "Type=forward,TargetGroupArn=ARN (or JSON with ForwardConfig)")
	fl.StringArrayVar(&tags, "tags", nil, "Key=k,Value=v ...")
	cmd.MarkFlagRequired("load-balancer-arn")
	return cmdutil.Op(cmd, "CreateListener")
}

func newDescribeListeners(f *cmdutil.Factory) *cobra.Command {
	var in control.DescribeListenersInput
	var arns []string
	cmd := &cobra.Command{
		Use:   "describe-listeners --load-balancer-arn ARN | --listener-arns ARN...",
		Short: "List listeners (elbv2 describe-listeners)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ListenerARNs = cmdutil.SplitList(arns)
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DescribeListenersOutput, error) {
				return api.DescribeListeners(cmd.Context(), &in)
			}, listenerTable)
		},
	}
	cmd.Flags().StringVar(&in.LoadBalancerARN, "load-balancer-arn", "", "load balancer ARN")
	cmd.Flags().StringArrayVar(&arns, "listener-arns", nil, "listener ARNs")
	return cmdutil.Op(cmd, "DescribeListeners")
}

func newModifyListener(f *cmdutil.Factory) *cobra.Command {
	var in control.ModifyListenerInput
	var port int
	var actions []string
	cmd := &cobra.Command{
		Use:   "modify-listener --listener-arn ARN [--port PORT] [--protocol TCP] [--default-actions Type=forward,TargetGroupArn=ARN]",
		Short: "Change a listener's port or target group (elbv2 modify-listener)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			in.Port = intFlag(cmd, "port", port)
			if in.DefaultActions, err = decode[control.Action]("default-actions", actions); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.ModifyListenerOutput, error) {
				return api.ModifyListener(cmd.Context(), &in)
			}, listenerTable)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.ListenerARN, "listener-arn", "", "listener ARN")
	fl.IntVar(&port, "port", 0, "new port")
	fl.StringVar(&in.Protocol, "protocol", "", "TCP")
	fl.StringArrayVar(&actions, "default-actions", nil, "Type=forward,TargetGroupArn=ARN")
	cmd.MarkFlagRequired("listener-arn")
	return cmdutil.Op(cmd, "ModifyListener")
}

func newDeleteListener(f *cmdutil.Factory) *cobra.Command {
	var arn string
	cmd := &cobra.Command{
		Use:   "delete-listener --listener-arn ARN",
		Short: "Delete a listener (elbv2 delete-listener)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exec(f, cmd, func(api *control.API) error {
				return errOf(api.DeleteListener(cmd.Context(), &control.DeleteListenerInput{ListenerARN: arn}))
			})
		},
	}
	cmd.Flags().StringVar(&arn, "listener-arn", "", "listener ARN")
	cmd.MarkFlagRequired("listener-arn")
	return cmdutil.Op(cmd, "DeleteListener")
}
