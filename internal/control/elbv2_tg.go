package control

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// TargetGroup is the elbv2 TargetGroup shape.
type TargetGroup struct {
	TargetGroupARN             string   `json:"TargetGroupArn"`
	TargetGroupName            string   `json:"TargetGroupName"`
	Protocol                   string   `json:"Protocol"`
	Port                       int      `json:"Port"`
	VpcID                      string   `json:"VpcId"`
	HealthCheckProtocol        string   `json:"HealthCheckProtocol"`
	HealthCheckPort            string   `json:"HealthCheckPort"`
	HealthCheckEnabled         bool     `json:"HealthCheckEnabled"`
	HealthCheckIntervalSeconds int      `json:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  int      `json:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      int      `json:"HealthyThresholdCount"`
	UnhealthyThresholdCount    int      `json:"UnhealthyThresholdCount"`
	HealthCheckPath            string   `json:"HealthCheckPath,omitempty"`
	Matcher                    *Matcher `json:"Matcher,omitempty"`
	LoadBalancerARNs           []string `json:"LoadBalancerArns"`
	TargetType                 string   `json:"TargetType"`
	IPAddressType              string   `json:"IpAddressType"`
}

// Matcher is the HTTP codes a health check accepts, e.g. "200-399".
type Matcher struct {
	HTTPCode string `json:"HttpCode"`
}

// TargetGroupsOutput is {"TargetGroups": [...]}.
type TargetGroupsOutput struct {
	TargetGroups []TargetGroup `json:"TargetGroups"`
}

// HealthCheckSettings are the health check parameters of create- and
// modify-target-group; nil and "" mean "not given".
type HealthCheckSettings struct {
	HealthCheckProtocol        string   `json:"HealthCheckProtocol"`
	HealthCheckPort            string   `json:"HealthCheckPort"`
	HealthCheckPath            string   `json:"HealthCheckPath"`
	HealthCheckEnabled         *bool    `json:"HealthCheckEnabled"`
	HealthCheckIntervalSeconds *int     `json:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  *int     `json:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      *int     `json:"HealthyThresholdCount"`
	UnhealthyThresholdCount    *int     `json:"UnhealthyThresholdCount"`
	Matcher                    *Matcher `json:"Matcher"`
}

// CreateTargetGroupInput is elbv2 create-target-group. ProtocolVersion is
// for HTTP and HTTPS target groups: given to plink's TCP target groups, it
// is refused (ValidationError).
type CreateTargetGroupInput struct {
	Name            string `json:"Name" aws:"required"`
	Protocol        string `json:"Protocol"` // TCP
	ProtocolVersion string `json:"ProtocolVersion"`
	Port            int    `json:"Port"`
	VpcID           string `json:"VpcId"`
	TargetType      string `json:"TargetType"`    // ip (the default here; AWS defaults to instance)
	IPAddressType   string `json:"IpAddressType"` // ipv4 (default) | ipv6
	HealthCheckSettings
	Tags []ELBTag `json:"Tags"`
}

// CreateTargetGroupOutput is {"TargetGroups": [...]}.
type CreateTargetGroupOutput TargetGroupsOutput

var elbMatcherRE = regexp.MustCompile(`^[0-9]{3}(-[0-9]{3})?(,[0-9]{3}(-[0-9]{3})?)*$`)

// elbApplyHealthCheck validates hc and writes it over g's settings. On
// create g holds nothing yet and the NLB defaults fill what is not given.
func elbApplyHealthCheck(g *store.TargetGroup, hc HealthCheckSettings, create bool) error {
	proto := strings.ToUpper(hc.HealthCheckProtocol)
	switch proto {
	case "":
		proto = g.HCProtocol
		if proto == "" {
			proto = "TCP"
		}
	case "TCP", "HTTP":
	case "HTTPS":
		return elbValidation("Health check protocol 'HTTPS' is not supported by plink: use TCP or HTTP")
	default:
		return elbValidation("Health check protocol '%s' is not valid: it must be TCP or HTTP", hc.HealthCheckProtocol)
	}
	oldProto := g.HCProtocol
	g.HCProtocol = proto
	if hc.HealthCheckPort != "" {
		if hc.HealthCheckPort != "traffic-port" {
			p, err := strconv.Atoi(hc.HealthCheckPort)
			if err != nil || p < 1 || p > 65535 {
				return elbValidation("Health check port '%s' is not valid: it must be traffic-port or a port between 1 and 65535", hc.HealthCheckPort)
			}
			hc.HealthCheckPort = strconv.Itoa(p)
		}
		g.HCPort = hc.HealthCheckPort
	} else if g.HCPort == "" {
		g.HCPort = "traffic-port"
	}
	if proto == "TCP" {
		if hc.HealthCheckPath != "" {
			return elbValidation("A health check path can be set only for HTTP health checks")
		}
		if hc.Matcher != nil {
			return elbValidation("A health check matcher can be set only for HTTP health checks")
		}
		g.HCPath, g.Matcher = "", ""
	} else {
		switch {
		case hc.HealthCheckPath != "":
			if !strings.HasPrefix(hc.HealthCheckPath, "/") || len(hc.HealthCheckPath) > 1024 {
				return elbValidation("Health check path '%s' is not valid: it must start with '/' and be at most 1024 characters", hc.HealthCheckPath)
			}
			g.HCPath = hc.HealthCheckPath
		case g.HCPath == "":
			g.HCPath = "/"
		}
		switch {
		case hc.Matcher != nil:
			if !elbValidMatcher(hc.Matcher.HTTPCode) {
				return elbValidation("Health check matcher HttpCode '%s' is not valid: codes between 200 and 599, as 200, 200,202 or 200-399", hc.Matcher.HTTPCode)
			}
			g.Matcher = hc.Matcher.HTTPCode
		case g.Matcher == "":
			g.Matcher = "200-399"
		}
	}
	if hc.HealthCheckEnabled != nil {
		g.HCEnabled = *hc.HealthCheckEnabled
	} else if create {
		g.HCEnabled = true
	}
	set := func(dst *int, v *int, def, lo, hi int, what string) error {
		if v == nil {
			if create {
				*dst = def
			}
			return nil
		}
		if *v < lo || *v > hi {
			return elbValidation("%s %d is not valid: it must be between %d and %d", what, *v, lo, hi)
		}
		*dst = *v
		return nil
	}
	timeoutDef := elbDefaultTimeout(proto)
	if !create && oldProto != proto && hc.HealthCheckTimeoutSeconds == nil && g.HCTimeout == elbDefaultTimeout(oldProto) {
		g.HCTimeout = timeoutDef // a default timeout follows the protocol
	}
	if err := set(&g.HCInterval, hc.HealthCheckIntervalSeconds, 30, 5, 300, "Health check interval"); err != nil {
		return err
	}
	if err := set(&g.HCTimeout, hc.HealthCheckTimeoutSeconds, timeoutDef, 2, 120, "Health check timeout"); err != nil {
		return err
	}
	if err := set(&g.HealthyThreshold, hc.HealthyThresholdCount, 5, 2, 10, "Healthy threshold count"); err != nil {
		return err
	}
	if err := set(&g.UnhealthyThreshold, hc.UnhealthyThresholdCount, 2, 2, 10, "Unhealthy threshold count"); err != nil {
		return err
	}
	if g.HCTimeout > g.HCInterval {
		return elbValidation("Health check timeout (%d) must not be longer than the health check interval (%d)", g.HCTimeout, g.HCInterval)
	}
	return nil
}

// elbDefaultTimeout is the NLB default health check timeout: 6 s for HTTP,
// 10 s for TCP.
func elbDefaultTimeout(proto string) int {
	if proto == "HTTP" {
		return 6
	}
	return 10
}

func elbValidMatcher(s string) bool {
	if !elbMatcherRE.MatchString(s) {
		return false
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		l, _ := strconv.Atoi(lo)
		h := l
		if isRange {
			h, _ = strconv.Atoi(hi)
		}
		if l < 200 || h > 599 || h < l {
			return false
		}
	}
	return true
}

// CreateTargetGroup creates a TCP target group of IP targets. Creating one
// again with the same settings returns the existing one, as AWS does.
func (a *API) CreateTargetGroup(ctx context.Context, in *CreateTargetGroupInput) (*CreateTargetGroupOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.createTargetGroup(ctx, in)
	return (*CreateTargetGroupOutput)(out), err
}

func (a *API) createTargetGroup(ctx context.Context, in *CreateTargetGroupInput) (*TargetGroupsOutput, error) {
	if err := elbCheckName("target group", in.Name); err != nil {
		return nil, err
	}
	switch tt := in.TargetType; tt {
	case "", "ip":
	case "instance", "lambda", "alb":
		return nil, elbValidation("Target type '%s' is not supported: plink target groups take IP targets only (--target-type ip)", tt)
	default:
		return nil, elbValidation("Target type '%s' is not valid: it must be ip", tt)
	}
	switch p := strings.ToUpper(in.Protocol); p {
	case "TCP":
	case "":
		return nil, elbValidation("A protocol must be specified (--protocol TCP)")
	case "UDP", "TLS", "TCP_UDP", "HTTP", "HTTPS", "GENEVE", "QUIC", "TCP_QUIC":
		return nil, elbValidation("Protocol '%s' is not supported: plink target groups are TCP only", in.Protocol)
	default:
		return nil, elbValidation("Protocol '%s' is not valid: it must be TCP", in.Protocol)
	}
	if in.ProtocolVersion != "" {
		return nil, elbValidation("A protocol version can be specified only for HTTP and HTTPS target groups")
	}
	if err := elbCheckPort("Port", in.Port); err != nil {
		return nil, err
	}
	ipType := in.IPAddressType
	switch ipType {
	case "":
		ipType = "ipv4"
	case "ipv4", "ipv6":
	default:
		return nil, elbValidation("IP address type '%s' is not valid: it must be ipv4 or ipv6", in.IPAddressType)
	}
	if in.VpcID == "" {
		return nil, elbValidation("A VPC ID must be specified for a target group of IP targets (--vpc-id)")
	}
	g := store.TargetGroup{Name: in.Name, Account: a.caller.Account, Region: a.caller.Region, VPCID: in.VpcID,
		Protocol: "TCP", Port: in.Port, TargetType: "ip", IPAddressType: ipType, CreatedAt: timestamp(a.now())}
	if err := elbApplyHealthCheck(&g, in.HealthCheckSettings, true); err != nil {
		return nil, err
	}
	tags, err := elbTags(in.Tags)
	if err != nil {
		return nil, err
	}
	var out *TargetGroupsOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		v, err := tx.VPC(in.VpcID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (v.Account != a.caller.Account || v.Region != a.caller.Region)) {
			return elbValidation("The VPC ID '%s' is not found", in.VpcID)
		}
		if err != nil {
			return err
		}
		taken, err := tx.TargetGroupNameTaken(a.caller.Account, a.caller.Region, in.Name)
		if err != nil {
			return err
		}
		if taken {
			gs, err := tx.TargetGroups(a.caller.Account, a.caller.Region, nil, []string{in.Name}, "")
			if err != nil {
				return err
			}
			if len(gs) == 1 {
				same := gs[0]
				same.ARN, same.CreatedAt = g.ARN, g.CreatedAt
				if same == g {
					view, err := a.elbTGView(tx, gs[0])
					out = &TargetGroupsOutput{TargetGroups: []TargetGroup{view}}
					return err
				}
			}
			return Errorf(ErrCodeDuplicateTargetGroupName, "A target group with the same name '%s' exists, but with different settings", in.Name)
		}
		g.ARN = names.TargetGroupARN(a.caller.Region, a.caller.Account, in.Name, names.RandomHex(16))
		if err := tx.InsertTargetGroup(g); err != nil {
			return err
		}
		if err := putTags(tx, g.ARN, tags, ErrCodeTooManyTags); err != nil {
			return err
		}
		view, err := a.elbTGView(tx, g)
		out = &TargetGroupsOutput{TargetGroups: []TargetGroup{view}}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (a *API) elbTGView(tx *store.Tx, g store.TargetGroup) (TargetGroup, error) {
	lbs, err := tx.TargetGroupLoadBalancers(g.ARN)
	if err != nil {
		return TargetGroup{}, err
	}
	if lbs == nil {
		lbs = []string{}
	}
	out := TargetGroup{TargetGroupARN: g.ARN, TargetGroupName: g.Name, Protocol: g.Protocol, Port: g.Port, VpcID: g.VPCID,
		HealthCheckProtocol: g.HCProtocol, HealthCheckPort: g.HCPort, HealthCheckEnabled: g.HCEnabled,
		HealthCheckIntervalSeconds: g.HCInterval, HealthCheckTimeoutSeconds: g.HCTimeout,
		HealthyThresholdCount: g.HealthyThreshold, UnhealthyThresholdCount: g.UnhealthyThreshold,
		LoadBalancerARNs: lbs, TargetType: g.TargetType, IPAddressType: g.IPAddressType}
	if g.HCProtocol == "HTTP" {
		out.HealthCheckPath = g.HCPath
		out.Matcher = &Matcher{HTTPCode: g.Matcher}
	}
	return out, nil
}

// DescribeTargetGroupsInput is elbv2 describe-target-groups: at most one of
// LoadBalancerARN, TargetGroupARNs and Names.
type DescribeTargetGroupsInput struct {
	LoadBalancerARN string   `json:"LoadBalancerArn"`
	TargetGroupARNs []string `json:"TargetGroupArns"`
	Names           []string `json:"Names"`
	ELBPaging
}

// DescribeTargetGroupsOutput is {"TargetGroups": [...]}.
type DescribeTargetGroupsOutput struct {
	TargetGroups []TargetGroup `json:"TargetGroups"`
	NextMarker   string        `json:"NextMarker,omitempty"`
}

// DescribeTargetGroups lists the caller's target groups, the ones named,
// or the ones a load balancer's listeners use.
func (a *API) DescribeTargetGroups(ctx context.Context, in *DescribeTargetGroupsInput) (*DescribeTargetGroupsOutput, error) {
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	given := 0
	for _, b := range []bool{in.LoadBalancerARN != "", len(in.TargetGroupARNs) > 0, len(in.Names) > 0} {
		if b {
			given++
		}
	}
	if given > 1 {
		return nil, elbValidation("Only one of load balancer ARN, target group ARNs and names can be specified")
	}
	if err := elbCheckARNs(a, "target group", in.TargetGroupARNs); err != nil {
		return nil, err
	}
	if err := checkListLen(ErrCodeValidationError, "Names", len(in.Names), maxIDsPerRequest); err != nil {
		return nil, err
	}
	out := &DescribeTargetGroupsOutput{TargetGroups: []TargetGroup{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		if in.LoadBalancerARN != "" {
			if _, err := a.elbOwnedLB(tx, in.LoadBalancerARN); err != nil {
				return err
			}
		}
		gs, err := tx.TargetGroups(a.caller.Account, a.caller.Region, in.TargetGroupARNs, in.Names, in.LoadBalancerARN)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, g := range gs {
			have[g.ARN], have[g.Name] = true, true
			view, err := a.elbTGView(tx, g)
			if err != nil {
				return err
			}
			out.TargetGroups = append(out.TargetGroups, view)
		}
		var gone []string
		for _, k := range append(slices.Clone(in.TargetGroupARNs), in.Names...) {
			if !have[k] {
				gone = append(gone, k)
			}
		}
		if len(gone) > 0 {
			return Errorf(ErrCodeTargetGroupNotFound, "%s", elbStrings("Target groups", gone))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.TargetGroups, out.NextMarker, err = pageELB(a, in, out.TargetGroups, func(v TargetGroup) string { return v.TargetGroupARN })
	return out, err
}

// ModifyTargetGroupInput is elbv2 modify-target-group: health check
// settings only; what is not given keeps its value.
type ModifyTargetGroupInput struct {
	TargetGroupARN string `json:"TargetGroupArn" aws:"required"`
	HealthCheckSettings
}

// ModifyTargetGroupOutput is {"TargetGroups": [...]}.
type ModifyTargetGroupOutput TargetGroupsOutput

// ModifyTargetGroup changes a target group's health check.
func (a *API) ModifyTargetGroup(ctx context.Context, in *ModifyTargetGroupInput) (*ModifyTargetGroupOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	var out *ModifyTargetGroupOutput
	err := a.write(ctx, func(tx *store.Tx) error {
		g, err := a.elbOwnedTG(tx, in.TargetGroupARN)
		if err != nil {
			return err
		}
		before := g
		if err := elbApplyHealthCheck(&g, in.HealthCheckSettings, false); err != nil {
			return err
		}
		if err := a.elbPurgeDrained(tx, g.ARN); err != nil {
			return err
		}
		if g != before {
			if err := tx.UpdateTargetGroupHealthCheck(g); err != nil {
				return err
			}
		}
		view, err := a.elbTGView(tx, g)
		out = &ModifyTargetGroupOutput{TargetGroups: []TargetGroup{view}}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteTargetGroupInput is elbv2 delete-target-group.
type DeleteTargetGroupInput struct {
	TargetGroupARN string `json:"TargetGroupArn" aws:"required"`
}

// DeleteTargetGroupOutput is empty.
type DeleteTargetGroupOutput struct{}

// DeleteTargetGroup deletes a target group no listener uses, with its
// targets. As on AWS, deleting one that does not exist succeeds.
func (a *API) DeleteTargetGroup(ctx context.Context, in *DeleteTargetGroupInput) (*DeleteTargetGroupOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	arn := in.TargetGroupARN
	return done[DeleteTargetGroupOutput](a.write(ctx, func(tx *store.Tx) error {

		g, err := a.elbOwnedTG(tx, arn)
		if e, ok := AsError(err); ok && e.Code == ErrCodeTargetGroupNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		lbs, err := tx.TargetGroupLoadBalancers(g.ARN)
		if err != nil {
			return err
		}
		if len(lbs) > 0 {
			return Errorf(ErrCodeResourceInUse, "Target group '%s' is currently in use by a listener or a rule", arn)
		}
		return tx.DeleteTargetGroup(g.ARN)
	}))
}
