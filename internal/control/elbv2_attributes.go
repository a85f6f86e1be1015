package control

import (
	"context"
	"strconv"
	"strings"

	"github.com/plink-dev/plink/internal/store"
)

// ELBAttribute is a load balancer, target group or listener attribute.
type ELBAttribute struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// AttributesOutput is {"Attributes": [...]}: every key with its value.
type AttributesOutput struct {
	Attributes []ELBAttribute `json:"Attributes"`
}

// modifyAttributes is what the modify-*-attributes actions pass on: the
// resource's ARN and the attributes to change.
type modifyAttributes struct {
	ARN        string
	Attributes []ELBAttribute
}

// elbAttrSpec is one attribute key: its default and how a value is
// checked and written canonically.
type elbAttrSpec struct {
	key, def string
	norm     func(string) (string, bool)
	want     string // what a valid value is, for errors
}

func elbBoolAttr(key, def string) elbAttrSpec {
	return elbAttrSpec{key: key, def: def, want: "'true' or 'false'", norm: func(v string) (string, bool) {
		v = strings.ToLower(v)
		return v, v == "true" || v == "false"
	}}
}

func elbIntAttr(key string, def, lo, hi int) elbAttrSpec {
	return elbAttrSpec{key: key, def: strconv.Itoa(def), want: "an integer from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi),
		norm: func(v string) (string, bool) {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return strconv.Itoa(n), err == nil && n >= lo && n <= hi
		}}
}

func elbEnumAttr(key, def string, vals ...string) elbAttrSpec {
	return elbAttrSpec{key: key, def: def, want: "one of " + strings.Join(vals, ", "), norm: func(v string) (string, bool) {
		for _, ok := range vals {
			if v == ok {
				return v, true
			}
		}
		return v, false
	}}
}

// The attribute keys, in the order describe lists them.
var (
	elbLBAttrs = []elbAttrSpec{
		elbBoolAttr("deletion_protection.enabled", "false"),
		elbBoolAttr("load_balancing.cross_zone.enabled", "false"),
		elbEnumAttr("dns_record.client_routing_policy", "any_availability_zone",
			"availability_zone_affinity", "partial_availability_zone_affinity", "any_availability_zone"),
	}
	elbTGAttrs = []elbAttrSpec{
		elbIntAttr("deregistration_delay.timeout_seconds", 300, 0, 3600),
		elbBoolAttr("deregistration_delay.connection_termination.enabled", "false"),
		elbEnumAttr("load_balancing.cross_zone.enabled", "use_load_balancer_configuration",
			"true", "false", "use_load_balancer_configuration"),
		elbBoolAttr("preserve_client_ip.enabled", "false"),
		elbBoolAttr("proxy_protocol_v2.enabled", "false"),
		elbBoolAttr("stickiness.enabled", "false"),
		elbEnumAttr("stickiness.type", "source_ip", "source_ip"),
		elbBoolAttr("target_health_state.unhealthy.connection_termination.enabled", "true"),
		elbIntAttr("target_health_state.unhealthy.draining_interval_seconds", 0, 0, 360000),
	}
	elbListenerAttrs = []elbAttrSpec{
		elbIntAttr("tcp.idle_timeout.seconds", 350, 60, 6000),
	}
)

// elbCheckAttrs checks the keys and values of a modify call and returns
// them canonical, the last value of a repeated key winning.
func elbCheckAttrs(kind string, specs []elbAttrSpec, in []ELBAttribute) (map[string]string, error) {
	if len(in) == 0 {
		return nil, elbValidation("At least one attribute must be specified")
	}
	out := map[string]string{}
	for _, at := range in {
		var spec *elbAttrSpec
		for i := range specs {
			if specs[i].key == at.Key {
				spec = &specs[i]
			}
		}
		if spec == nil {
			return nil, elbValidation("%s attribute key '%s' is not recognized", kind, at.Key)
		}
		v, ok := spec.norm(at.Value)
		if !ok {
			return nil, elbValidation("%s attribute value '%s' for key '%s' is not valid: it must be %s", kind, at.Value, at.Key, spec.want)
		}
		out[at.Key] = v
	}
	return out, nil
}

// elbAttrList lists every key with its stored value or its default.
func elbAttrList(specs []elbAttrSpec, stored map[string]string) *AttributesOutput {
	out := &AttributesOutput{Attributes: []ELBAttribute{}}
	for _, s := range specs {
		v, ok := stored[s.key]
		if !ok {
			v = s.def
		}
		out.Attributes = append(out.Attributes, ELBAttribute{Key: s.key, Value: v})
	}
	return out
}

// elbWriteAttrs stores the changed values in the attributes table, keeping
// only values that differ from the defaults.
func elbWriteAttrs(tx *store.Tx, arn string, specs []elbAttrSpec, stored, changes map[string]string) error {
	for _, s := range specs {
		v, ok := changes[s.key]
		if !ok {
			continue
		}
		cur, had := stored[s.key]
		if !had {
			cur = s.def
		}
		if v == cur {
			continue
		}
		var err error
		if v == s.def {
			err = tx.DeleteAttribute(arn, s.key)
			delete(stored, s.key)
		} else {
			err = tx.SetAttribute(arn, s.key, v)
			stored[s.key] = v
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// elbLBAttrValues is a load balancer's stored attributes with the two
// kept as columns.
func elbLBAttrValues(tx *store.Tx, lb store.LoadBalancer) (map[string]string, error) {
	stored, err := tx.Attributes(lb.ARN)
	if err != nil {
		return nil, err
	}
	stored["deletion_protection.enabled"] = strconv.FormatBool(lb.DeletionProtection)
	stored["load_balancing.cross_zone.enabled"] = strconv.FormatBool(lb.CrossZone)
	return stored, nil
}

// describeLoadBalancerAttributes lists a load balancer's attributes.
func (a *API) describeLoadBalancerAttributes(ctx context.Context, arn string) (*AttributesOutput, error) {
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	var out *AttributesOutput
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		lb, err := a.elbOwnedLB(tx, arn)
		if err != nil {
			return err
		}
		stored, err := elbLBAttrValues(tx, lb)
		out = elbAttrList(elbLBAttrs, stored)
		return err
	})
	return out, err
}

// modifyLoadBalancerAttributes changes load balancer attributes:
// deletion_protection.enabled, load_balancing.cross_zone.enabled and
// dns_record.client_routing_policy.
func (a *API) modifyLoadBalancerAttributes(ctx context.Context, in modifyAttributes) (*AttributesOutput, error) {
	changes, err := elbCheckAttrs("Load balancer", elbLBAttrs, in.Attributes)
	if err != nil {
		return nil, err
	}
	var out *AttributesOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		lb, err := a.elbOwnedLB(tx, in.ARN)
		if err != nil {
			return err
		}
		stored, err := elbLBAttrValues(tx, lb)
		if err != nil {
			return err
		}
		cz, dp := lb.CrossZone, lb.DeletionProtection
		if v, ok := changes["load_balancing.cross_zone.enabled"]; ok {
			cz = v == "true"
			delete(changes, "load_balancing.cross_zone.enabled")
		}
		if v, ok := changes["deletion_protection.enabled"]; ok {
			dp = v == "true"
			delete(changes, "deletion_protection.enabled")
		}
		if cz != lb.CrossZone || dp != lb.DeletionProtection {
			if err := tx.SetLoadBalancerFlags(lb.ARN, cz, dp); err != nil {
				return err
			}
			stored["load_balancing.cross_zone.enabled"] = strconv.FormatBool(cz)
			stored["deletion_protection.enabled"] = strconv.FormatBool(dp)
		}
		if err := elbWriteAttrs(tx, lb.ARN, elbLBAttrs, stored, changes); err != nil {
			return err
		}
		out = elbAttrList(elbLBAttrs, stored)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// describeTargetGroupAttributes lists a target group's attributes.
func (a *API) describeTargetGroupAttributes(ctx context.Context, arn string) (*AttributesOutput, error) {
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	var out *AttributesOutput
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		g, err := a.elbOwnedTG(tx, arn)
		if err != nil {
			return err
		}
		stored, err := tx.Attributes(g.ARN)
		out = elbAttrList(elbTGAttrs, stored)
		return err
	})
	return out, err
}

// modifyTargetGroupAttributes changes target group attributes such as
// proxy_protocol_v2.enabled and deregistration_delay.timeout_seconds.
func (a *API) modifyTargetGroupAttributes(ctx context.Context, in modifyAttributes) (*AttributesOutput, error) {
	changes, err := elbCheckAttrs("Target group", elbTGAttrs, in.Attributes)
	if err != nil {
		return nil, err
	}
	var out *AttributesOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		g, err := a.elbOwnedTG(tx, in.ARN)
		if err != nil {
			return err
		}
		if err := a.elbPurgeDrained(tx, g.ARN); err != nil {
			return err
		}
		stored, err := tx.Attributes(g.ARN)
		if err != nil {
			return err
		}
		if err := elbWriteAttrs(tx, g.ARN, elbTGAttrs, stored, changes); err != nil {
			return err
		}
		out = elbAttrList(elbTGAttrs, stored)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// describeListenerAttributes lists a listener's attributes.
func (a *API) describeListenerAttributes(ctx context.Context, arn string) (*AttributesOutput, error) {
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	var out *AttributesOutput
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		l, err := a.elbOwnedListener(tx, arn)
		if err != nil {
			return err
		}
		stored, err := tx.Attributes(l.ARN)
		out = elbAttrList(elbListenerAttrs, stored)
		return err
	})
	return out, err
}

// modifyListenerAttributes changes listener attributes
// (tcp.idle_timeout.seconds).
func (a *API) modifyListenerAttributes(ctx context.Context, in modifyAttributes) (*AttributesOutput, error) {
	changes, err := elbCheckAttrs("Listener", elbListenerAttrs, in.Attributes)
	if err != nil {
		return nil, err
	}
	var out *AttributesOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		l, err := a.elbOwnedListener(tx, in.ARN)
		if err != nil {
			return err
		}
		stored, err := tx.Attributes(l.ARN)
		if err != nil {
			return err
		}
		if err := elbWriteAttrs(tx, l.ARN, elbListenerAttrs, stored, changes); err != nil {
			return err
		}
		out = elbAttrList(elbListenerAttrs, stored)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeLoadBalancerAttributesInput is elbv2 describe-load-balancer-attributes.
type DescribeLoadBalancerAttributesInput struct {
	LoadBalancerARN string `json:"LoadBalancerArn" aws:"required"`
}

// DescribeLoadBalancerAttributesOutput is {"Attributes": [...]}.
type DescribeLoadBalancerAttributesOutput AttributesOutput

// DescribeLoadBalancerAttributes lists every attribute with its value.
func (a *API) DescribeLoadBalancerAttributes(ctx context.Context, in *DescribeLoadBalancerAttributesInput) (*DescribeLoadBalancerAttributesOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.describeLoadBalancerAttributes(ctx, in.LoadBalancerARN)
	return (*DescribeLoadBalancerAttributesOutput)(out), err
}

// ModifyLoadBalancerAttributesInput is elbv2 modify-load-balancer-attributes.
type ModifyLoadBalancerAttributesInput struct {
	LoadBalancerARN string         `json:"LoadBalancerArn" aws:"required"`
	Attributes      []ELBAttribute `json:"Attributes" aws:"required"`
}

// ModifyLoadBalancerAttributesOutput is {"Attributes": [...]}: every attribute after the change.
type ModifyLoadBalancerAttributesOutput AttributesOutput

// modifyLoadBalancerAttributes changes attributes.
func (a *API) ModifyLoadBalancerAttributes(ctx context.Context, in *ModifyLoadBalancerAttributesInput) (*ModifyLoadBalancerAttributesOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.modifyLoadBalancerAttributes(ctx, modifyAttributes{ARN: in.LoadBalancerARN, Attributes: in.Attributes})
	return (*ModifyLoadBalancerAttributesOutput)(out), err
}

// DescribeTargetGroupAttributesInput is elbv2 describe-target-group-attributes.
type DescribeTargetGroupAttributesInput struct {
	TargetGroupARN string `json:"TargetGroupArn" aws:"required"`
}

// DescribeTargetGroupAttributesOutput is {"Attributes": [...]}.
type DescribeTargetGroupAttributesOutput AttributesOutput

// describeTargetGroupAttributes lists every attribute with its value.
func (a *API) DescribeTargetGroupAttributes(ctx context.Context, in *DescribeTargetGroupAttributesInput) (*DescribeTargetGroupAttributesOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.describeTargetGroupAttributes(ctx, in.TargetGroupARN)
	return (*DescribeTargetGroupAttributesOutput)(out), err
}

// ModifyTargetGroupAttributesInput is elbv2 modify-target-group-attributes.
type ModifyTargetGroupAttributesInput struct {
	TargetGroupARN string         `json:"TargetGroupArn" aws:"required"`
	Attributes     []ELBAttribute `json:"Attributes" aws:"required"`
}

// ModifyTargetGroupAttributesOutput is {"Attributes": [...]}: every attribute after the change.
type ModifyTargetGroupAttributesOutput AttributesOutput

// modifyTargetGroupAttributes changes attributes.
func (a *API) ModifyTargetGroupAttributes(ctx context.Context, in *ModifyTargetGroupAttributesInput) (*ModifyTargetGroupAttributesOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.modifyTargetGroupAttributes(ctx, modifyAttributes{ARN: in.TargetGroupARN, Attributes: in.Attributes})
	return (*ModifyTargetGroupAttributesOutput)(out), err
}

// DescribeListenerAttributesInput is elbv2 describe-listener-attributes.
type DescribeListenerAttributesInput struct {
	ListenerARN string `json:"ListenerArn" aws:"required"`
}

// DescribeListenerAttributesOutput is {"Attributes": [...]}.
type DescribeListenerAttributesOutput AttributesOutput

// describeListenerAttributes lists every attribute with its value.
func (a *API) DescribeListenerAttributes(ctx context.Context, in *DescribeListenerAttributesInput) (*DescribeListenerAttributesOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.describeListenerAttributes(ctx, in.ListenerARN)
	return (*DescribeListenerAttributesOutput)(out), err
}

// ModifyListenerAttributesInput is elbv2 modify-listener-attributes.
type ModifyListenerAttributesInput struct {
	ListenerARN string         `json:"ListenerArn" aws:"required"`
	Attributes  []ELBAttribute `json:"Attributes" aws:"required"`
}

// ModifyListenerAttributesOutput is {"Attributes": [...]}: every attribute after the change.
type ModifyListenerAttributesOutput AttributesOutput

// modifyListenerAttributes changes attributes.
func (a *API) ModifyListenerAttributes(ctx context.Context, in *ModifyListenerAttributesInput) (*ModifyListenerAttributesOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.modifyListenerAttributes(ctx, modifyAttributes{ARN: in.ListenerARN, Attributes: in.Attributes})
	return (*ModifyListenerAttributesOutput)(out), err
}
