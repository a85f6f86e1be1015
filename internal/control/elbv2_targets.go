package control

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/plink-dev/plink/internal/store"
)

// TargetDescription is one target: an IP address, a port (default: the
// group's) and an Availability Zone ("all" or a zone name).
type TargetDescription struct {
	ID               string `json:"Id" aws:"required"`
	Port             *int   `json:"Port,omitempty"`
	AvailabilityZone string `json:"AvailabilityZone,omitempty"`
}

// TargetsInput is what register-targets and deregister-targets share.
type TargetsInput struct {
	TargetGroupARN string              `json:"TargetGroupArn" aws:"required"`
	Targets        []TargetDescription `json:"Targets" aws:"required"`
}

// RegisterTargetsInput is elbv2 register-targets.
type RegisterTargetsInput struct{ TargetsInput }

// RegisterTargetsOutput is empty.
type RegisterTargetsOutput struct{}

// DeregisterTargetsInput is elbv2 deregister-targets.
type DeregisterTargetsInput struct{ TargetsInput }

// DeregisterTargetsOutput is empty.
type DeregisterTargetsOutput struct{}

// DescribeTargetHealthInput is elbv2 describe-target-health.
type DescribeTargetHealthInput struct {
	TargetGroupARN string              `json:"TargetGroupArn" aws:"required"`
	Targets        []TargetDescription `json:"Targets"`
}

// TargetHealthDescription is one target's health.
type TargetHealthDescription struct {
	Target          TargetDescription `json:"Target"`
	HealthCheckPort string            `json:"HealthCheckPort"`
	TargetHealth    TargetHealth      `json:"TargetHealth"`
}

// TargetHealth is {State, Reason, Description}.
type TargetHealth struct {
	State       string `json:"State"`
	Reason      string `json:"Reason,omitempty"`
	Description string `json:"Description,omitempty"`
}

// DescribeTargetHealthOutput is {"TargetHealthDescriptions": [...]}.
type DescribeTargetHealthOutput struct {
	TargetHealthDescriptions []TargetHealthDescription `json:"TargetHealthDescriptions"`
}

// elbTarget is a parsed target of a request.
type elbTarget struct {
	key  store.TargetKey
	zone string // as given
}

// elbParseTargets checks the targets of a request against the group.
func elbParseTargets(g store.TargetGroup, ts []TargetDescription, code string) ([]elbTarget, error) {
	if len(ts) == 0 {
		return nil, elbValidation("At least one target must be specified")
	}
	var out []elbTarget
	for _, t := range ts {
		ip, ok := elbParseIP(t.ID)
		if !ok {
			return nil, Errorf(code, "The target ID '%s' is not a valid IP address: plink target groups take IP targets only", t.ID)
		}
		if ip.Is4() != (g.IPAddressType == "ipv4") {
			return nil, Errorf(code, "The IP address '%s' is not an %s address, as target group '%s' requires", t.ID, g.IPAddressType, g.Name)
		}
		port := g.Port
		if t.Port != nil {
			port = *t.Port
		}
		if err := elbCheckPort("Target port", port); err != nil {
			return nil, err
		}
		out = append(out, elbTarget{key: store.TargetKey{IP: ip, Port: port}, zone: t.AvailabilityZone})
	}
	return out, nil
}

func elbTargetName(k store.TargetKey) string {
	if k.IP.Is6() {
		return fmt.Sprintf("[%s]:%d", k.IP, k.Port)
	}
	return fmt.Sprintf("%s:%d", k.IP, k.Port)
}

// elbTargetZone is the zone a target is registered in: the zone of the VPC
// subnet holding its IP, or "all" for an IP outside the VPC. AWS requires
// AvailabilityZone=all for an IP outside the VPC; plink also takes none.
func elbTargetZone(ip netip.Addr, given string, v store.VPC, subnets []store.Subnet) (string, error) {
	inVPC := v.CIDR.Contains(ip) || (v.IPv6CIDR.IsValid() && v.IPv6CIDR.Contains(ip))
	if !inVPC {
		if given != "" && given != "all" {
			return "", elbValidation("The IP address '%s' is outside the VPC %s of the target group: its Availability Zone must be 'all'", ip, v.ID)
		}
		return "all", nil
	}
	for _, s := range subnets {
		if (s.CIDR.IsValid() && s.CIDR.Contains(ip)) || (s.IPv6CIDR.IsValid() && s.IPv6CIDR.Contains(ip)) {
			if given != "" && given != s.Zone {
				return "", elbValidation("The Availability Zone '%s' of target '%s' does not match the zone %s of its subnet %s", given, ip, s.Zone, s.ID)
			}
			return s.Zone, nil
		}
	}
	return "", elbValidation("The IP address '%s' is inside the CIDR of VPC %s but in none of its subnets", ip, v.ID)
}

// elbDelay is a group's deregistration_delay.timeout_seconds.
func elbDelay(attrs map[string]string) time.Duration {
	s := attrs["deregistration_delay.timeout_seconds"]
	if s == "" {
		s = "300"
	}
	n, _ := strconv.Atoi(s)
	return time.Duration(n) * time.Second
}

// elbPurgeDrained deletes the group's targets whose drain time has passed.
func (a *API) elbPurgeDrained(tx *store.Tx, tgARN string) error {
	attrs, err := tx.Attributes(tgARN)
	if err != nil {
		return err
	}
	return tx.PurgeDrainedTargets(tgARN, timestamp(a.now().Add(-elbDelay(attrs))))
}

// RegisterTargets registers IP targets with a group, or registers again
// targets that are draining. Registering a registered target is a no-op.
func (a *API) RegisterTargets(ctx context.Context, in *RegisterTargetsInput) (*RegisterTargetsOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	return done[RegisterTargetsOutput](a.write(ctx, func(tx *store.Tx) error {
		g, err := a.elbOwnedTG(tx, in.TargetGroupARN)
		if err != nil {
			return err
		}
		ts, err := elbParseTargets(g, in.Targets, ErrCodeValidationError)
		if err != nil {
			return err
		}
		if err := a.elbPurgeDrained(tx, g.ARN); err != nil {
			return err
		}
		v, err := tx.VPC(g.VPCID)
		if err != nil {
			return err
		}
		subnets, err := tx.SubnetsOfVPC(g.VPCID)
		if err != nil {
			return err
		}
		existing, err := elbTargetMap(tx, g.ARN)
		if err != nil {
			return err
		}
		adding := map[store.TargetKey]bool{}
		for _, t := range ts {
			if _, ok := existing[t.key]; !ok {
				adding[t.key] = true
			}
		}
		if n := len(existing) + len(adding); n > maxTargetsPerTargetGroup {
			return Errorf(ErrCodeTooManyTargets, "You've reached the limit on the number of targets: a target group has at most %d, and '%s' would have %d", maxTargetsPerTargetGroup, g.ARN, n)
		}
		now := timestamp(a.now())
		for _, t := range ts {
			if err := elbCheckUsableTarget(tx, t.key); err != nil {
				return err
			}
			zone, err := elbTargetZone(t.key.IP, t.zone, v, subnets)
			if err != nil {
				return err
			}
			if old, ok := existing[t.key]; ok && old.DeregisteredAt == "" && old.Zone == zone {
				continue
			}
			row := store.Target{TGARN: g.ARN, IP: t.key.IP, Port: t.key.Port, Zone: zone, RegisteredAt: now}
			if err := tx.PutTarget(row); err != nil {
				return err
			}
			existing[t.key] = row
		}
		return nil
	}))
}

// elbCheckUsableTarget refuses a target whose address is a load balancer
// node's or an endpoint network interface's, whatever the port. plink
// serves every node and ENI address of the store in one data plane, so such
// a target is the data plane itself: a load balancer forwarding to its own
// node (or to an endpoint of a service behind it) makes every connection a
// chain of connections to itself until descriptors run out, and a listener
// or endpoint added later can close that loop on any port. AWS answers a
// target it cannot use with InvalidTarget ("The specified target does not
// exist, is not in the same VPC as the target group, or has an unsupported
// instance type": elbv2 RegisterTargets errors); ValidationError is for
// malformed input, which this target is not.
func elbCheckUsableTarget(tx *store.Tx, k store.TargetKey) error {
	owner, err := tx.AddressOwner(k.IP)
	if err != nil || owner == "" {
		return err
	}
	// The owner may be another account's: say what it is, not which.
	what := "a VPC endpoint network interface"
	if strings.HasPrefix(owner, "arn:") {
		what = "a load balancer node"
	}
	return Errorf(ErrCodeInvalidTarget, "The target '%s' cannot be used: %s is %s served by this data plane; a load balancer cannot target itself or an endpoint", elbTargetName(k), k.IP, what)
}

func elbTargetMap(tx *store.Tx, tgARN string) (map[store.TargetKey]store.Target, error) {
	rows, err := tx.Targets(tgARN)
	if err != nil {
		return nil, err
	}
	out := map[store.TargetKey]store.Target{}
	for _, r := range rows {
		out[store.TargetKey{IP: r.IP, Port: r.Port}] = r
	}
	return out, nil
}

// DeregisterTargets starts draining targets: the data plane sends them no
// new connections and ends open ones after the group's deregistration
// delay; the next write to the group after that removes them.
// Deregistering a target that is not registered is InvalidTarget.
func (a *API) DeregisterTargets(ctx context.Context, in *DeregisterTargetsInput) (*DeregisterTargetsOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	return done[DeregisterTargetsOutput](a.write(ctx, func(tx *store.Tx) error {
		g, err := a.elbOwnedTG(tx, in.TargetGroupARN)
		if err != nil {
			return err
		}
		ts, err := elbParseTargets(g, in.Targets, ErrCodeValidationError)
		if err != nil {
			return err
		}
		if err := a.elbPurgeDrained(tx, g.ARN); err != nil {
			return err
		}
		existing, err := elbTargetMap(tx, g.ARN)
		if err != nil {
			return err
		}
		var unknown []string
		for _, t := range ts {
			if _, ok := existing[t.key]; !ok {
				unknown = append(unknown, elbTargetName(t.key))
			}
		}
		if len(unknown) > 0 {
			return Errorf(ErrCodeInvalidTarget, "The following targets are not registered in target group '%s': '%s'", g.ARN, strings.Join(unknown, "', '"))
		}
		now := timestamp(a.now())
		for _, t := range ts {
			if old := existing[t.key]; old.DeregisteredAt != "" {
				continue // already draining
			}
			if err := tx.DeregisterTarget(g.ARN, t.key, now); err != nil {
				return err
			}
			old := existing[t.key]
			old.DeregisteredAt = now
			existing[t.key] = old
		}
		return nil
	}))
}

// DescribeTargetHealth reports each target's health: draining while it is
// deregistered and within the delay; unused when no listener forwards to
// the group or its zone is not one of the load balancer's; unavailable when
// health checks are disabled; else what `plink serve` last observed, or
// initial before its first observation.
func (a *API) DescribeTargetHealth(ctx context.Context, in *DescribeTargetHealthInput) (*DescribeTargetHealthOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}

	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	out := &DescribeTargetHealthOutput{TargetHealthDescriptions: []TargetHealthDescription{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		g, err := a.elbOwnedTG(tx, in.TargetGroupARN)
		if err != nil {
			return err
		}
		var want []elbTarget
		if len(in.Targets) > 0 {
			if want, err = elbParseTargets(g, in.Targets, ErrCodeInvalidTarget); err != nil {
				return err
			}
		}
		attrs, err := tx.Attributes(g.ARN)
		if err != nil {
			return err
		}
		cutoff := timestamp(a.now().Add(-elbDelay(attrs)))
		rows, err := tx.Targets(g.ARN)
		if err != nil {
			return err
		}
		var live []store.Target
		for _, r := range rows {
			if r.DeregisteredAt == "" || r.DeregisteredAt > cutoff {
				live = append(live, r)
			}
		}
		lbs, err := tx.TargetGroupLoadBalancers(g.ARN)
		if err != nil {
			return err
		}
		zones := map[string]bool{}
		for _, arn := range lbs {
			nodes, err := tx.LBNodes(arn)
			if err != nil {
				return err
			}
			for _, n := range nodes {
				zones[n.Zone] = true
			}
		}
		health, err := tx.TargetHealths(g.ARN)
		if err != nil {
			return err
		}
		describe := func(r store.Target) TargetHealthDescription {
			port := r.Port
			d := TargetHealthDescription{Target: TargetDescription{ID: r.IP.String(), Port: &port, AvailabilityZone: r.Zone},
				HealthCheckPort: g.HCPort}
			if g.HCPort == "traffic-port" {
				d.HealthCheckPort = strconv.Itoa(r.Port)
			}
			h, seen := health[store.TargetKey{IP: r.IP, Port: r.Port}]
			switch {
			case r.DeregisteredAt != "":
				d.TargetHealth = TargetHealth{StateTargetHealthDraining, "Target.DeregistrationInProgress", "Target deregistration is in progress"}
			case len(lbs) == 0:
				d.TargetHealth = TargetHealth{StateTargetHealthUnused, "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"}
			case r.Zone != "all" && !zones[r.Zone]:
				d.TargetHealth = TargetHealth{StateTargetHealthUnused, "Target.NotInUse", "Target is in an Availability Zone that is not enabled for the load balancer"}
			case !g.HCEnabled:
				d.TargetHealth = TargetHealth{StateTargetHealthUnavailable, "Target.HealthCheckDisabled", "Health checks are disabled"}
			case seen:
				d.TargetHealth = TargetHealth{h.State, h.Reason, h.Description}
			default:
				d.TargetHealth = TargetHealth{StateTargetHealthInitial, "Elb.RegistrationInProgress", "Target registration is in progress"}
			}
			return d
		}
		if len(want) == 0 {
			for _, r := range live {
				out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, describe(r))
			}
			return nil
		}
		byKey := map[store.TargetKey]store.Target{}
		for _, r := range live {
			byKey[store.TargetKey{IP: r.IP, Port: r.Port}] = r
		}
		for _, t := range want {
			if r, ok := byKey[t.key]; ok {
				out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, describe(r))
				continue
			}
			port := t.key.Port
			d := TargetHealthDescription{Target: TargetDescription{ID: t.key.IP.String(), Port: &port, AvailabilityZone: t.zone},
				HealthCheckPort: g.HCPort,
				TargetHealth:    TargetHealth{StateTargetHealthUnused, "Target.NotRegistered", "Target is not registered to the target group"}}
			if g.HCPort == "traffic-port" {
				d.HealthCheckPort = strconv.Itoa(port)
			}
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
