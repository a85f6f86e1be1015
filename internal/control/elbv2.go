package control

// This file and the other elbv2_*.go files are the Elastic Load Balancing
// v2 API, Network Load Balancers only: load balancers, target groups with IP
// targets, TCP listeners forwarding to one target group, their attributes
// and tags. The data plane reads what they write: load_balancers.cross_zone,
// lb_nodes, listeners, target_groups, targets (zone "all" or a zone name,
// deregistered_at while draining) and attributes keyed by the AWS names.

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/plink-dev/plink/internal/store"
)

// elbv2 error codes.
const (
	ErrCodeLoadBalancerNotFound        = "LoadBalancerNotFound"
	ErrCodeTargetGroupNotFound         = "TargetGroupNotFound"
	ErrCodeListenerNotFound            = "ListenerNotFound"
	ErrCodeDuplicateLoadBalancerName   = "DuplicateLoadBalancerName"
	ErrCodeDuplicateTargetGroupName    = "DuplicateTargetGroupName"
	ErrCodeDuplicateListener           = "DuplicateListener"
	ErrCodeResourceInUse               = "ResourceInUse"
	ErrCodeInvalidTarget               = "InvalidTarget"
	ErrCodeSubnetNotFound              = "SubnetNotFound"
	ErrCodeInvalidConfigurationRequest = "InvalidConfigurationRequest"
	ErrCodeOperationNotPermitted       = "OperationNotPermitted"
	ErrCodeTargetGroupAssociationLimit = "TargetGroupAssociationLimit"
)

func elbValidation(format string, args ...any) *Error {
	return Errorf(ErrCodeValidationError, format, args...)
}

// The ARN formats, compiled once and only read afterwards.
var (
	elbLBARNRE       = regexp.MustCompile(`^arn:aws:elasticloadbalancing:([a-z0-9-]+):([0-9]{12}):loadbalancer/(net|app|gwy)/([A-Za-z0-9-]{1,32})/([0-9a-f]{16})$`)
	elbTGARNRE       = regexp.MustCompile(`^arn:aws:elasticloadbalancing:([a-z0-9-]+):([0-9]{12}):targetgroup/([A-Za-z0-9-]{1,32})/([0-9a-f]{16})$`)
	elbListenerARNRE = regexp.MustCompile(`^arn:aws:elasticloadbalancing:([a-z0-9-]+):([0-9]{12}):listener/(net|app|gwy)/([A-Za-z0-9-]{1,32})/([0-9a-f]{16})/([0-9a-f]{16})$`)
	elbNameRE        = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
)

// elbCheckARN refuses a malformed ARN of kind ("load balancer", "target
// group", "listener") with AWS's ValidationError and reports whether the
// ARN belongs to the caller's account and region.
func (a *API) elbCheckARN(kind, arn string) (mine bool, err error) {
	var m []string
	switch kind {
	case "load balancer":
		m = elbLBARNRE.FindStringSubmatch(arn)
	case "target group":
		m = elbTGARNRE.FindStringSubmatch(arn)
	case "listener":
		m = elbListenerARNRE.FindStringSubmatch(arn)
	}
	if m == nil {
		return false, elbValidation("'%s' is not a valid %s ARN", arn, kind)
	}
	return m[1] == a.caller.Region && m[2] == a.caller.Account, nil
}

func elbCheckARNs(a *API, kind string, arns []string) error {
	max := maxIDsPerRequest
	if kind == "load balancer" {
		max = maxLBARNsPerDescribe
	}
	if err := checkListLen(ErrCodeValidationError, "ARNs", len(arns), max); err != nil {
		return err
	}
	for _, arn := range arns {
		if _, err := a.elbCheckARN(kind, arn); err != nil {
			return err
		}
	}
	return nil
}

// elbOwnedLB loads a load balancer the caller owns.
func (a *API) elbOwnedLB(tx *store.Tx, arn string) (store.LoadBalancer, error) {
	if arn == "" {
		return store.LoadBalancer{}, elbValidation("A load balancer ARN must be specified")
	}
	mine, err := a.elbCheckARN("load balancer", arn)
	if err != nil {
		return store.LoadBalancer{}, err
	}
	lb, err := tx.LoadBalancer(arn)
	if !mine || errors.Is(err, store.ErrNotFound) || (err == nil && (lb.Account != a.caller.Account || lb.Region != a.caller.Region)) {
		return store.LoadBalancer{}, Errorf(ErrCodeLoadBalancerNotFound, "Load balancer '%s' not found", arn)
	}
	return lb, err
}

// elbOwnedTG loads a target group the caller owns.
func (a *API) elbOwnedTG(tx *store.Tx, arn string) (store.TargetGroup, error) {
	if arn == "" {
		return store.TargetGroup{}, elbValidation("A target group ARN must be specified")
	}
	mine, err := a.elbCheckARN("target group", arn)
	if err != nil {
		return store.TargetGroup{}, err
	}
	g, err := tx.TargetGroup(arn)
	if !mine || errors.Is(err, store.ErrNotFound) || (err == nil && (g.Account != a.caller.Account || g.Region != a.caller.Region)) {
		return store.TargetGroup{}, Errorf(ErrCodeTargetGroupNotFound, "Target group '%s' not found", arn)
	}
	return g, err
}

// elbOwnedListener loads a listener of a load balancer the caller owns.
func (a *API) elbOwnedListener(tx *store.Tx, arn string) (store.Listener, error) {
	if arn == "" {
		return store.Listener{}, elbValidation("A listener ARN must be specified")
	}
	mine, err := a.elbCheckARN("listener", arn)
	if err != nil {
		return store.Listener{}, err
	}
	l, err := tx.Listener(arn)
	if !mine || errors.Is(err, store.ErrNotFound) {
		return store.Listener{}, Errorf(ErrCodeListenerNotFound, "Listener '%s' not found", arn)
	}
	return l, err
}

// elbCheckName applies AWS's naming rules for load balancers and target
// groups: 1-32 alphanumerics or hyphens, not starting or ending with a
// hyphen; a load balancer name must not start with "internal-".
func elbCheckName(kind, name string) error {
	switch {
	case name == "":
		return elbValidation("A %s name must be specified", kind)
	case len(name) > 32:
		return elbValidation("The %s name '%s' cannot be longer than '32' characters", kind, name)
	case !elbNameRE.MatchString(name):
		return elbValidation("The %s name '%s' can only contain characters that are alphanumeric characters or hyphens(-)", kind, name)
	case strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-"):
		return elbValidation("The %s name '%s' cannot begin or end with a hyphen(-)", kind, name)
	case kind == "load balancer" && strings.HasPrefix(strings.ToLower(name), "internal-"):
		return elbValidation("The load balancer name '%s' cannot begin with 'internal-'", name)
	}
	return nil
}

// elbTags checks tags given at creation or to add-tags.
func elbTags(tags []ELBTag) (map[string]string, error) {
	out := map[string]string{}
	for _, t := range tags {
		if err := elbCheckTag(t); err != nil {
			return nil, err
		}
		if _, dup := out[t.Key]; dup {
			return nil, Errorf(ErrCodeDuplicateTagKeys, "Tag key '%s' was specified more than once", t.Key)
		}
		out[t.Key] = t.Value
		if len(out) > maxTagsPerResource {
			return nil, Errorf(ErrCodeTooManyTags, "The maximum number of tags per resource is %d.", maxTagsPerResource)
		}
	}
	return out, nil
}

// elbCheckPort refuses a port outside 1-65535.
func elbCheckPort(what string, port int) error {
	if port < 1 || port > 65535 {
		return elbValidation("%s %d is not valid: it must be between 1 and 65535", what, port)
	}
	return nil
}

// elbParseIP parses a target IP (IPv4-mapped IPv6 becomes IPv4).
func elbParseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	a = a.Unmap()
	if a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return netip.Addr{}, false
	}
	return a, true
}

func elbStrings(kind string, missingOnes []string) string {
	return fmt.Sprintf("%s '%s' not found", kind, strings.Join(missingOnes, "', '"))
}
