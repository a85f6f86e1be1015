package resources

import (
	"context"
	"sort"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
)

// flagKinds maps the AWS commands' ID options to the kind they name, and
// whether they take ARNs rather than IDs or names: what completion of
// those options' values asks for.
var flagKinds = map[string]struct {
	kind string
	arn  bool
}{
	"vpc-endpoint-ids":                  {"endpoints", false},
	"vpc-endpoint-id":                   {"endpoints", false},
	"service-id":                        {"services", false},
	"service-ids":                       {"services", false},
	"vpc-id":                            {"vpcs", false},
	"vpc-ids":                           {"vpcs", false},
	"subnet-id":                         {"subnets", false},
	"subnet-ids":                        {"subnets", false},
	"subnets":                           {"subnets", false},
	"load-balancer-arn":                 {"lbs", true},
	"load-balancer-arns":                {"lbs", true},
	"network-load-balancer-arns":        {"lbs", true},
	"add-network-load-balancer-arns":    {"lbs", true},
	"remove-network-load-balancer-arns": {"lbs", true},
	"target-group-arn":                  {"targetgroups", true},
	"target-group-arns":                 {"targetgroups", true},
	"connection-notification-id":        {"notifications", false},
	"connection-notification-ids":       {"notifications", false},
}

// ForFlag says which kind an AWS command's option names (--vpc-endpoint-ids:
// endpoints), and whether it takes ARNs; ok is false for other options.
func ForFlag(flag string) (k *Kind, arn, ok bool) {
	fk, ok := flagKinds[flag]
	if !ok {
		return nil, false, false
	}
	k, err := Lookup(fk.kind)
	if err != nil {
		return nil, false, false
	}
	return k, fk.arn, true
}

// CallerARNs lists the ARNs of kind k (load balancers, target groups) that
// the configured caller sees, for completing --load-balancer-arn and the
// like; IDs for kinds without ARNs.
func CallerARNs(ctx context.Context, f *cmdutil.Factory, k *Kind) ([]string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	api, err := f.API(ctx)
	if err != nil {
		return nil, err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	items, err := k.List(control.ReadOnly(ctx), api, st)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		id := it.ID
		if it.ARN != "" {
			id = it.ARN
		}
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}
