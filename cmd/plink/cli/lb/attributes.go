package lb

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
)

// attrKind is one resource whose attributes are described and modified.
type attrKind struct {
	noun, title, op, keys string
	describe              func(*control.API, context.Context, string) (*control.AttributesOutput, error)
	modify                func(*control.API, context.Context, string, []control.ELBAttribute) (*control.AttributesOutput, error)
}

var (
	lbAttrs = attrKind{noun: "load-balancer", title: "load balancer", op: "LoadBalancerAttributes",
		keys: `deletion_protection.enabled (true|false, default false: delete-load-balancer refuses while true)
load_balancing.cross_zone.enabled (true|false, default false)
dns_record.client_routing_policy (any_availability_zone (default) | availability_zone_affinity | partial_availability_zone_affinity)`,
		describe: func(api *control.API, ctx context.Context, arn string) (*control.AttributesOutput, error) {
			out, err := api.DescribeLoadBalancerAttributes(ctx, &control.DescribeLoadBalancerAttributesInput{LoadBalancerARN: arn})
			return (*control.AttributesOutput)(out), err
		},
		modify: func(api *control.API, ctx context.Context, arn string, attrs []control.ELBAttribute) (*control.AttributesOutput, error) {
			out, err := api.ModifyLoadBalancerAttributes(ctx, &control.ModifyLoadBalancerAttributesInput{LoadBalancerARN: arn, Attributes: attrs})
			return (*control.AttributesOutput)(out), err
		}}
	tgAttrs = attrKind{noun: "target-group", title: "target group", op: "TargetGroupAttributes",
		keys: `proxy_protocol_v2.enabled (true|false, default false)
deregistration_delay.timeout_seconds (0-3600, default 300)
deregistration_delay.connection_termination.enabled (true|false, default false)
load_balancing.cross_zone.enabled (true|false|use_load_balancer_configuration (default))
preserve_client_ip.enabled (true|false, default false)
stickiness.enabled (true|false, default false), stickiness.type (source_ip)
target_health_state.unhealthy.connection_termination.enabled (true|false, default true)
target_health_state.unhealthy.draining_interval_seconds (0-360000, default 0)`,
		describe: func(api *control.API, ctx context.Context, arn string) (*control.AttributesOutput, error) {
			out, err := api.DescribeTargetGroupAttributes(ctx, &control.DescribeTargetGroupAttributesInput{TargetGroupARN: arn})
			return (*control.AttributesOutput)(out), err
		},
		modify: func(api *control.API, ctx context.Context, arn string, attrs []control.ELBAttribute) (*control.AttributesOutput, error) {
			out, err := api.ModifyTargetGroupAttributes(ctx, &control.ModifyTargetGroupAttributesInput{TargetGroupARN: arn, Attributes: attrs})
			return (*control.AttributesOutput)(out), err
		}}
	listenerAttrs = attrKind{noun: "listener", title: "listener", op: "ListenerAttributes",
		keys: `tcp.idle_timeout.seconds (60-6000, default 350)`,
		describe: func(api *control.API, ctx context.Context, arn string) (*control.AttributesOutput, error) {
			out, err := api.DescribeListenerAttributes(ctx, &control.DescribeListenerAttributesInput{ListenerARN: arn})
			return (*control.AttributesOutput)(out), err
		},
		modify: func(api *control.API, ctx context.Context, arn string, attrs []control.ELBAttribute) (*control.AttributesOutput, error) {
			out, err := api.ModifyListenerAttributes(ctx, &control.ModifyListenerAttributesInput{ListenerARN: arn, Attributes: attrs})
			return (*control.AttributesOutput)(out), err
		}}
)

func newDescribeAttributes(f *cmdutil.Factory, k attrKind) *cobra.Command {
	var arn string
	cmd := &cobra.Command{
		Use:   "describe-" + k.noun + "-attributes --" + k.noun + "-arn ARN",
		Short: "Show a " + k.title + "'s attributes (elbv2 describe-" + k.noun + "-attributes)",
		Long:  "Show every attribute of a " + k.title + " with its value:\n" + k.keys,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.AttributesOutput, error) {
				return k.describe(api, cmd.Context(), arn)
			}, attrTable)
		},
	}
	cmd.Flags().StringVar(&arn, k.noun+"-arn", "", k.title+" ARN")
	cmd.MarkFlagRequired(k.noun + "-arn")
	return cmdutil.Op(cmd, "Describe"+k.op)
}

func newModifyAttributes(f *cmdutil.Factory, k attrKind) *cobra.Command {
	var in struct {
		ARN        string
		Attributes []control.ELBAttribute
	}
	var attrs []string
	cmd := &cobra.Command{
		Use:   "modify-" + k.noun + "-attributes --" + k.noun + "-arn ARN --attributes Key=K,Value=V...",
		Short: "Change a " + k.title + "'s attributes (elbv2 modify-" + k.noun + "-attributes)",
		Long:  "Change attributes of a " + k.title + "; the answer lists them all. Keys:\n" + k.keys,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.Attributes, err = decode[control.ELBAttribute]("attributes", attrs); err != nil {
				return err
			}
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.AttributesOutput, error) {
				return k.modify(api, cmd.Context(), in.ARN, in.Attributes)
			}, attrTable)
		},
	}
	cmd.Flags().StringVar(&in.ARN, k.noun+"-arn", "", k.title+" ARN")
	cmd.Flags().StringArrayVar(&attrs, "attributes", nil, "Key=K,Value=V ...")
	cmd.MarkFlagRequired(k.noun + "-arn")
	cmd.MarkFlagRequired("attributes")
	return cmdutil.Op(cmd, "Modify"+k.op)
}

func newAddTags(f *cmdutil.Factory) *cobra.Command {
	var arns, tags []string
	cmd := &cobra.Command{
		Use:   "add-tags --resource-arns ARN... --tags Key=K,Value=V...",
		Short: "Tag load balancers, target groups and listeners (elbv2 add-tags)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in := control.AddTagsInput{ResourceARNs: cmdutil.SplitList(arns)}
			var err error
			if in.Tags, err = cmdutil.Tags(tags); err != nil {
				return err
			}
			return exec(f, cmd, func(api *control.API) error { return errOf(api.AddTags(cmd.Context(), &in)) })
		},
	}
	cmd.Flags().StringArrayVar(&arns, "resource-arns", nil, "ARNs of load balancers, target groups or listeners")
	cmd.Flags().StringArrayVar(&tags, "tags", nil, "Key=K,Value=V ...")
	return cmdutil.Op(cmd, "AddTags")
}

func newRemoveTags(f *cmdutil.Factory) *cobra.Command {
	var arns, keys []string
	cmd := &cobra.Command{
		Use:   "remove-tags --resource-arns ARN... --tag-keys KEY...",
		Short: "Remove tags from load balancers, target groups and listeners (elbv2 remove-tags)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in := control.RemoveTagsInput{ResourceARNs: cmdutil.SplitList(arns), TagKeys: cmdutil.SplitList(keys)}
			return exec(f, cmd, func(api *control.API) error { return errOf(api.RemoveTags(cmd.Context(), &in)) })
		},
	}
	cmd.Flags().StringArrayVar(&arns, "resource-arns", nil, "ARNs of load balancers, target groups or listeners")
	cmd.Flags().StringArrayVar(&keys, "tag-keys", nil, "tag keys")
	return cmdutil.Op(cmd, "RemoveTags")
}

func newDescribeTags(f *cmdutil.Factory) *cobra.Command {
	var arns []string
	cmd := &cobra.Command{
		Use:   "describe-tags --resource-arns ARN...",
		Short: "Show the tags of load balancers, target groups and listeners (elbv2 describe-tags)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.Run(f, cmd, func(api *control.API) (*control.DescribeTagsOutput, error) {
				return api.DescribeTags(cmd.Context(), &control.DescribeTagsInput{ResourceARNs: cmdutil.SplitList(arns)})
			}, tagsTable)
		},
	}
	cmd.Flags().StringArrayVar(&arns, "resource-arns", nil, "ARNs of load balancers, target groups or listeners")
	return cmdutil.Op(cmd, "DescribeTags")
}
