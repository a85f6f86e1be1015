package control

import (
	"context"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/store/storetest"

	"github.com/plink-dev/plink/internal/store"
)

// lbFixture is an API on a fresh store with the caller's default VPC made.
type lbFixture struct {
	t       *testing.T
	ctx     context.Context
	st      *store.Store
	api     *API
	other   *API // account 222222222222
	clock   *time.Time
	vpc     string
	subnets map[string]string // zone letter -> subnet ID of the default VPC
}

func newLBTestAPI(t *testing.T) *lbFixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f := &lbFixture{t: t, ctx: ctx, st: st, clock: &clock, subnets: map[string]string{}}
	f.api = f.as("111111111111")
	f.other = f.as("222222222222")
	out, err := f.api.DescribeSubnets(ctx, &DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Subnets {
		f.subnets[s.AvailabilityZone[len(s.AvailabilityZone)-1:]] = s.SubnetID
		f.vpc = s.VpcID
	}
	return f
}

// as returns an API acting as another account on the same store and clock,
// with that account's default VPC already made (so a refused call of that
// account leaves the store as it was).
func (f *lbFixture) as(account string) *API {
	f.t.Helper()
	a, err := New(f.st, Caller{Account: account, Principal: "arn:aws:iam::" + account + ":root", Region: "us-east-1"},
		WithClock(func() time.Time { return *f.clock }))
	if err != nil {
		f.t.Fatal(err)
	}
	if err := a.ensureDefaultVPC(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *lbFixture) rev() int64 {
	f.t.Helper()
	r, err := f.st.Revision(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *lbFixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.st.DB().QueryRowContext(f.ctx, f.st.SQL(q), args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *lbFixture) lb(name string, zones ...string) LoadBalancer {
	f.t.Helper()
	var ids []string
	for _, z := range zones {
		ids = append(ids, f.subnets[z])
	}
	out, err := f.api.CreateLoadBalancer(f.ctx, &CreateLoadBalancerInput{Name: name, Type: "network", Subnets: ids})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.LoadBalancers[0]
}

func (f *lbFixture) tg(name string, port int) TargetGroup {
	f.t.Helper()
	out, err := f.api.CreateTargetGroup(f.ctx, &CreateTargetGroupInput{Name: name, Protocol: "TCP", Port: port, VpcID: f.vpc, TargetType: "ip"})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.TargetGroups[0]
}

func (f *lbFixture) listener(lbARN string, port int, tgARN string) Listener {
	f.t.Helper()
	out, err := f.api.CreateListener(f.ctx, &CreateListenerInput{LoadBalancerARN: lbARN, Protocol: "TCP", Port: port,
		DefaultActions: []Action{{Type: "forward", TargetGroupARN: tgARN}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.Listeners[0]
}

// refused runs call, expects the error code and an unchanged store.
func (f *lbFixture) refused(t *testing.T, code string, call func() error) {
	t.Helper()
	before := f.rev()
	err := call()
	lbWantCode(t, err, code)
	if after := f.rev(); after != before {
		t.Errorf("refused call changed the store: revision %d -> %d", before, after)
	}
}

func lbWantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("got %v, want an AWS error %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("got %s (%s), want %s", e.Code, e.Message, code)
	}
}

func lbIntp(n int) *int    { return &n }
func lbBoolp(b bool) *bool { return &b }

func TestLBCreateLoadBalancer(t *testing.T) {
	f := newLBTestAPI(t)
	lb := f.lb("web", "a", "b")
	if !regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/web/[0-9a-f]{16}$`).MatchString(lb.LoadBalancerARN) {
		t.Errorf("ARN %q", lb.LoadBalancerARN)
	}
	id := lb.LoadBalancerARN[len(lb.LoadBalancerARN)-16:]
	if want := "web-" + id + ".elb.us-east-1.amazonaws.com"; lb.DNSName != want {
		t.Errorf("DNSName %q, want %q", lb.DNSName, want)
	}
	if lb.Type != "network" || lb.Scheme != "internet-facing" || lb.State.Code != "active" || lb.IPAddressType != "ipv4" || lb.VpcID != f.vpc {
		t.Errorf("got %+v", lb)
	}
	if len(lb.AvailabilityZones) != 2 || lb.AvailabilityZones[0].ZoneName != "us-east-1a" || lb.AvailabilityZones[1].ZoneName != "us-east-1b" {
		t.Fatalf("zones %+v", lb.AvailabilityZones)
	}
	// The default VPC's subnets are 127.16.0.0/20, 127.16.16.0/20...: the
	// node gets the first address after the four reserved ones.
	if got := lb.AvailabilityZones[0].LoadBalancerAddresses[0].IPAddress; got != "127.16.0.4" {
		t.Errorf("node address %s, want 127.16.0.4", got)
	}
	if got := lb.AvailabilityZones[1].LoadBalancerAddresses[0].IPAddress; got != "127.16.16.4" {
		t.Errorf("node address %s, want 127.16.16.4", got)
	}
	if n := f.count(`SELECT count(*) FROM lb_nodes WHERE lb_arn = ?`, lb.LoadBalancerARN); n != 2 {
		t.Errorf("%d lb_nodes rows, want 2", n)
	}
	if n := f.count(`SELECT count(*) FROM addresses WHERE owner_id = ?`, lb.LoadBalancerARN); n != 2 {
		t.Errorf("%d addresses, want 2", n)
	}
	if n := f.count(`SELECT count(*) FROM load_balancers WHERE arn = ? AND cross_zone = 0`, lb.LoadBalancerARN); n != 1 {
		t.Errorf("cross-zone is not off by default")
	}

	// The same call again answers the same load balancer.
	again := f.lb("web", "a", "b")
	if again.LoadBalancerARN != lb.LoadBalancerARN {
		t.Errorf("repeated create made %s, want %s", again.LoadBalancerARN, lb.LoadBalancerARN)
	}

	internal, err := f.api.CreateLoadBalancer(f.ctx, &CreateLoadBalancerInput{Name: "priv", Scheme: "internal",
		SubnetMappings: []SubnetMapping{{SubnetID: f.subnets["c"], PrivateIPv4Address: "127.16.32.100"}}})
	if err != nil {
		t.Fatal(err)
	}
	il := internal.LoadBalancers[0]
	if !strings.HasPrefix(il.DNSName, "internal-priv-") || il.AvailabilityZones[0].LoadBalancerAddresses[0].IPAddress != "127.16.32.100" {
		t.Errorf("internal load balancer %+v", il)
	}
}

func TestLBCreateLoadBalancerRefused(t *testing.T) {
	f := newLBTestAPI(t)
	f.lb("taken", "a")
	otherStore := newLBTestAPI(t) // another store: its subnet IDs are unknown here
	otherAccount := f.other
	theirs, err := otherAccount.DescribeSubnets(f.ctx, &DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := f.api.CreateVpc(f.ctx, &CreateVpcInput{CidrBlock: "127.100.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := f.api.CreateSubnet(f.ctx, &CreateSubnetInput{VpcID: v2.Vpc.VpcID, CidrBlock: "127.100.0.0/24", AvailabilityZone: "us-east-1b"})
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.subnets["a"], f.subnets["b"]
	tests := []struct {
		name string
		in   CreateLoadBalancerInput
		code string
	}{
		{"no name", CreateLoadBalancerInput{Subnets: []string{a}}, ErrCodeValidationError},
		{"long name", CreateLoadBalancerInput{Name: strings.Repeat("x", 33), Subnets: []string{a}}, ErrCodeValidationError},
		{"underscore", CreateLoadBalancerInput{Name: "my_lb", Subnets: []string{a}}, ErrCodeValidationError},
		{"leading hyphen", CreateLoadBalancerInput{Name: "-lb", Subnets: []string{a}}, ErrCodeValidationError},
		{"trailing hyphen", CreateLoadBalancerInput{Name: "lb-", Subnets: []string{a}}, ErrCodeValidationError},
		{"internal prefix", CreateLoadBalancerInput{Name: "internal-lb", Subnets: []string{a}}, ErrCodeValidationError},
		{"application", CreateLoadBalancerInput{Name: "lb", Type: "application", Subnets: []string{a}}, ErrCodeValidationError},
		{"bad scheme", CreateLoadBalancerInput{Name: "lb", Scheme: "public", Subnets: []string{a}}, ErrCodeValidationError},
		{"bad ip type", CreateLoadBalancerInput{Name: "lb", IPAddressType: "ipv6", Subnets: []string{a}}, ErrCodeValidationError},
		{"no subnets", CreateLoadBalancerInput{Name: "lb"}, ErrCodeValidationError},
		{"subnets and mappings", CreateLoadBalancerInput{Name: "lb", Subnets: []string{a}, SubnetMappings: []SubnetMapping{{SubnetID: b}}}, ErrCodeValidationError},
		{"allocation", CreateLoadBalancerInput{Name: "lb", SubnetMappings: []SubnetMapping{{SubnetID: a, AllocationID: "eipalloc-1"}}}, ErrCodeValidationError},
		{"private address internet-facing", CreateLoadBalancerInput{Name: "lb", SubnetMappings: []SubnetMapping{{SubnetID: a, PrivateIPv4Address: "127.16.0.50"}}}, ErrCodeValidationError},
		{"reserved private address", CreateLoadBalancerInput{Name: "lb", Scheme: "internal", SubnetMappings: []SubnetMapping{{SubnetID: a, PrivateIPv4Address: "127.16.0.1"}}}, ErrCodeInvalidConfigurationRequest},
		{"taken private address", CreateLoadBalancerInput{Name: "lb", Scheme: "internal", SubnetMappings: []SubnetMapping{{SubnetID: a, PrivateIPv4Address: "127.16.0.4"}}}, ErrCodeInvalidConfigurationRequest},
		{"unknown subnet", CreateLoadBalancerInput{Name: "lb", Subnets: []string{otherStore.subnets["a"]}}, ErrCodeSubnetNotFound},
		{"malformed subnet", CreateLoadBalancerInput{Name: "lb", Subnets: []string{"subnet-x"}}, ErrCodeSubnetNotFound},
		{"other account's subnet", CreateLoadBalancerInput{Name: "lb", Subnets: []string{theirs.Subnets[0].SubnetID}}, ErrCodeSubnetNotFound},
		{"two subnets in one zone", CreateLoadBalancerInput{Name: "lb", Subnets: []string{a, a}}, ErrCodeInvalidConfigurationRequest},
		{"two VPCs", CreateLoadBalancerInput{Name: "lb", Subnets: []string{a, s2.Subnet.SubnetID}}, ErrCodeInvalidConfigurationRequest},
		{"dualstack without IPv6", CreateLoadBalancerInput{Name: "lb", IPAddressType: "dualstack", Subnets: []string{a}}, ErrCodeValidationError},
		{"duplicate name", CreateLoadBalancerInput{Name: "taken", Subnets: []string{a, b}}, ErrCodeDuplicateLoadBalancerName},
		{"bad tag", CreateLoadBalancerInput{Name: "lb", Subnets: []string{a}, Tags: []ELBTag{{Key: "aws:x"}}}, ErrCodeValidationError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.refused(t, tt.code, func() error {
				_, err := f.api.CreateLoadBalancer(f.ctx, &tt.in)
				return err
			})
		})
	}
}

func TestLBDualstack(t *testing.T) {
	f := newLBTestAPI(t)
	v, err := f.api.CreateVpc(f.ctx, &CreateVpcInput{CidrBlock: "127.101.0.0/16", AmazonProvidedIpv6CidrBlock: true})
	if err != nil {
		t.Fatal(err)
	}
	v6 := netip.MustParsePrefix(v.Vpc.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock).Addr().As16()
	v6[7] = 1
	sub6 := netip.PrefixFrom(netip.AddrFrom16(v6), 64).String()
	s, err := f.api.CreateSubnet(f.ctx, &CreateSubnetInput{VpcID: v.Vpc.VpcID, CidrBlock: "127.101.0.0/24", Ipv6CidrBlock: sub6, AvailabilityZone: "us-east-1a"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.api.CreateLoadBalancer(f.ctx, &CreateLoadBalancerInput{Name: "ds", IPAddressType: "dualstack", Subnets: []string{s.Subnet.SubnetID}})
	if err != nil {
		t.Fatal(err)
	}
	addr := out.LoadBalancers[0].AvailabilityZones[0].LoadBalancerAddresses[0]
	if addr.IPAddress != "127.101.0.4" || addr.IPv6Address == "" {
		t.Fatalf("addresses %+v", addr)
	}
	if n := f.count(`SELECT count(*) FROM lb_nodes WHERE ipv6 = ?`, addr.IPv6Address); n != 1 {
		t.Errorf("lb_nodes has no row with ipv6 %s", addr.IPv6Address)
	}
}

func TestLBDescribeLoadBalancers(t *testing.T) {
	f := newLBTestAPI(t)
	x, y := f.lb("x", "a"), f.lb("y", "b")
	all, err := f.api.DescribeLoadBalancers(f.ctx, &DescribeLoadBalancersInput{})
	if err != nil || len(all.LoadBalancers) != 2 {
		t.Fatalf("describe all: %v %+v", err, all)
	}
	byName, err := f.api.DescribeLoadBalancers(f.ctx, &DescribeLoadBalancersInput{Names: []string{"y"}})
	if err != nil || len(byName.LoadBalancers) != 1 || byName.LoadBalancers[0].LoadBalancerARN != y.LoadBalancerARN {
		t.Fatalf("describe by name: %v %+v", err, byName)
	}
	byARN, err := f.api.DescribeLoadBalancers(f.ctx, &DescribeLoadBalancersInput{LoadBalancerARNs: []string{x.LoadBalancerARN}})
	if err != nil || len(byARN.LoadBalancers) != 1 || byARN.LoadBalancers[0].LoadBalancerName != "x" {
		t.Fatalf("describe by ARN: %v %+v", err, byARN)
	}
	other := f.other
	tests := []struct {
		name string
		api  *API
		in   DescribeLoadBalancersInput
		code string
	}{
		{"unknown name", f.api, DescribeLoadBalancersInput{Names: []string{"x", "nope"}}, ErrCodeLoadBalancerNotFound},
		{"malformed ARN", f.api, DescribeLoadBalancersInput{LoadBalancerARNs: []string{"arn:aws:nope"}}, ErrCodeValidationError},
		{"both", f.api, DescribeLoadBalancersInput{Names: []string{"x"}, LoadBalancerARNs: []string{x.LoadBalancerARN}}, ErrCodeValidationError},
		{"other account", other, DescribeLoadBalancersInput{LoadBalancerARNs: []string{x.LoadBalancerARN}}, ErrCodeLoadBalancerNotFound},
		{"other account by name", other, DescribeLoadBalancersInput{Names: []string{"x"}}, ErrCodeLoadBalancerNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.api.DescribeLoadBalancers(f.ctx, &tt.in)
			lbWantCode(t, err, tt.code)
		})
	}
}

func TestLBDeleteLoadBalancer(t *testing.T) {
	f := newLBTestAPI(t)
	lb := f.lb("gone", "a", "b")
	g := f.tg("gone-tg", 80)
	f.listener(lb.LoadBalancerARN, 80, g.TargetGroupARN)

	// Deletion protection.
	if _, err := f.api.ModifyLoadBalancerAttributes(f.ctx, &ModifyLoadBalancerAttributesInput{LoadBalancerARN: lb.LoadBalancerARN,
		Attributes: []ELBAttribute{{Key: "deletion_protection.enabled", Value: "true"}}}); err != nil {
		t.Fatal(err)
	}
	f.refused(t, ErrCodeOperationNotPermitted, func() error {
		return errOf(f.api.DeleteLoadBalancer(f.ctx, &DeleteLoadBalancerInput{LoadBalancerARN: lb.LoadBalancerARN}))
	})
	if _, err := f.api.ModifyLoadBalancerAttributes(f.ctx, &ModifyLoadBalancerAttributesInput{LoadBalancerARN: lb.LoadBalancerARN,
		Attributes: []ELBAttribute{{Key: "deletion_protection.enabled", Value: "false"}}}); err != nil {
		t.Fatal(err)
	}

	// An endpoint service uses it.
	db := f.st.DB()
	if _, err := db.ExecContext(f.ctx, `INSERT INTO services (id, account, region, state, acceptance_required, created_at)
		VALUES ('vpce-svc-0123456789abcdef0', '111111111111', 'us-east-1', 'Available', 0, 'x')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(f.ctx, f.st.SQL(`INSERT INTO service_lbs (service_id, lb_arn) VALUES ('vpce-svc-0123456789abcdef0', ?)`), lb.LoadBalancerARN); err != nil {
		t.Fatal(err)
	}
	f.refused(t, ErrCodeResourceInUse, func() error {
		return errOf(f.api.DeleteLoadBalancer(f.ctx, &DeleteLoadBalancerInput{LoadBalancerARN: lb.LoadBalancerARN}))
	})
	if _, err := db.ExecContext(f.ctx, `DELETE FROM services`); err != nil {
		t.Fatal(err)
	}

	f.refused(t, ErrCodeValidationError, func() error {
		return errOf(f.api.DeleteLoadBalancer(f.ctx, &DeleteLoadBalancerInput{LoadBalancerARN: "not-an-arn"}))
	})
	// Another account cannot delete it: as on AWS, an unknown ARN is a no-op.
	if err := errOf(f.other.DeleteLoadBalancer(f.ctx, &DeleteLoadBalancerInput{LoadBalancerARN: lb.LoadBalancerARN})); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM load_balancers`); n != 1 {
		t.Fatal("another account deleted the load balancer")
	}

	if err := errOf(f.api.DeleteLoadBalancer(f.ctx, &DeleteLoadBalancerInput{LoadBalancerARN: lb.LoadBalancerARN})); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM load_balancers`: 0,
		`SELECT count(*) FROM lb_nodes`:       0,
		`SELECT count(*) FROM listeners`:      0,
		`SELECT count(*) FROM addresses`:      0,
		`SELECT count(*) FROM target_groups`:  1,
	} {
		if n := f.count(q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	if err := errOf(f.api.DeleteLoadBalancer(f.ctx, &DeleteLoadBalancerInput{LoadBalancerARN: lb.LoadBalancerARN})); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	// Its target group is free now.
	if err := errOf(f.api.DeleteTargetGroup(f.ctx, &DeleteTargetGroupInput{TargetGroupARN: g.TargetGroupARN})); err != nil {
		t.Fatal(err)
	}
}

func TestLBCreateTargetGroup(t *testing.T) {
	f := newLBTestAPI(t)
	g := f.tg("tcp-tg", 8080)
	want := TargetGroup{TargetGroupARN: g.TargetGroupARN, TargetGroupName: "tcp-tg", Protocol: "TCP", Port: 8080, VpcID: f.vpc,
		HealthCheckProtocol: "TCP", HealthCheckPort: "traffic-port", HealthCheckEnabled: true, HealthCheckIntervalSeconds: 30,
		HealthCheckTimeoutSeconds: 10, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2, TargetType: "ip", IPAddressType: "ipv4"}
	if g.Matcher != nil || g.LoadBalancerARNs == nil || len(g.LoadBalancerARNs) != 0 {
		t.Errorf("got %+v", g)
	}
	g.LoadBalancerARNs = nil
	if !reflect.DeepEqual(g, want) {
		t.Errorf("got  %+v\nwant %+v", g, want)
	}
	if !regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/tcp-tg/[0-9a-f]{16}$`).MatchString(g.TargetGroupARN) {
		t.Errorf("ARN %s", g.TargetGroupARN)
	}
	if again := f.tg("tcp-tg", 8080); again.TargetGroupARN != g.TargetGroupARN {
		t.Errorf("repeated create made another group")
	}

	out, err := f.api.CreateTargetGroup(f.ctx, &CreateTargetGroupInput{Name: "http-tg", Protocol: "TCP", Port: 80, VpcID: f.vpc,
		HealthCheckSettings: HealthCheckSettings{HealthCheckProtocol: "HTTP", HealthCheckPort: "8081"}})
	if err != nil {
		t.Fatal(err)
	}
	h := out.TargetGroups[0]
	if h.HealthCheckTimeoutSeconds != 6 || h.HealthCheckPath != "/" || h.Matcher == nil || h.Matcher.HTTPCode != "200-399" || h.HealthCheckPort != "8081" || h.TargetType != "ip" {
		t.Errorf("HTTP defaults: %+v", h)
	}

	tests := []struct {
		name string
		in   CreateTargetGroupInput
		code string
	}{
		{"bad name", CreateTargetGroupInput{Name: "a_b"}, ErrCodeValidationError},
		{"instance", CreateTargetGroupInput{Name: "x", TargetType: "instance"}, ErrCodeValidationError},
		{"lambda", CreateTargetGroupInput{Name: "x", TargetType: "lambda"}, ErrCodeValidationError},
		{"udp", CreateTargetGroupInput{Name: "x", Protocol: "UDP", Port: 53}, ErrCodeValidationError},
		{"no protocol", CreateTargetGroupInput{Name: "x", Port: 53}, ErrCodeValidationError},
		{"port 0", CreateTargetGroupInput{Name: "x", Protocol: "TCP"}, ErrCodeValidationError},
		{"port 65536", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 65536}, ErrCodeValidationError},
		{"no vpc", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80}, ErrCodeValidationError},
		{"unknown vpc", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: "vpc-0123456789abcdef0"}, ErrCodeValidationError},
		{"ip type", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, IPAddressType: "dualstack"}, ErrCodeValidationError},
		{"interval 4", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckIntervalSeconds: lbIntp(4)}}, ErrCodeValidationError},
		{"interval 301", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckIntervalSeconds: lbIntp(301)}}, ErrCodeValidationError},
		{"timeout 1", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckTimeoutSeconds: lbIntp(1)}}, ErrCodeValidationError},
		{"timeout 121", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckIntervalSeconds: lbIntp(300), HealthCheckTimeoutSeconds: lbIntp(121)}}, ErrCodeValidationError},
		{"timeout over interval", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckIntervalSeconds: lbIntp(5)}}, ErrCodeValidationError},
		{"healthy 1", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthyThresholdCount: lbIntp(1)}}, ErrCodeValidationError},
		{"unhealthy 11", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{UnhealthyThresholdCount: lbIntp(11)}}, ErrCodeValidationError},
		{"https check", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckProtocol: "HTTPS"}}, ErrCodeValidationError},
		{"path with TCP", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckPath: "/health"}}, ErrCodeValidationError},
		{"bad path", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckProtocol: "HTTP", HealthCheckPath: "health"}}, ErrCodeValidationError},
		{"bad matcher", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckProtocol: "HTTP", Matcher: &Matcher{HTTPCode: "100-199"}}}, ErrCodeValidationError},
		{"matcher with TCP", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{Matcher: &Matcher{HTTPCode: "200"}}}, ErrCodeValidationError},
		{"bad check port", CreateTargetGroupInput{Name: "x", Protocol: "TCP", Port: 80, VpcID: f.vpc, HealthCheckSettings: HealthCheckSettings{HealthCheckPort: "http"}}, ErrCodeValidationError},
		{"duplicate", CreateTargetGroupInput{Name: "tcp-tg", Protocol: "TCP", Port: 8081, VpcID: f.vpc}, ErrCodeDuplicateTargetGroupName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.refused(t, tt.code, func() error {
				_, err := f.api.CreateTargetGroup(f.ctx, &tt.in)
				return err
			})
		})
	}
}

func TestLBModifyAndDescribeTargetGroups(t *testing.T) {
	f := newLBTestAPI(t)
	g := f.tg("mod", 80)
	out, err := f.api.ModifyTargetGroup(f.ctx, &ModifyTargetGroupInput{TargetGroupARN: g.TargetGroupARN,
		HealthCheckSettings: HealthCheckSettings{HealthCheckProtocol: "HTTP", HealthCheckPath: "/healthz", HealthyThresholdCount: lbIntp(3)}})
	if err != nil {
		t.Fatal(err)
	}
	m := out.TargetGroups[0]
	if m.HealthCheckProtocol != "HTTP" || m.HealthCheckTimeoutSeconds != 6 || m.HealthCheckPath != "/healthz" || m.Matcher.HTTPCode != "200-399" || m.HealthyThresholdCount != 3 || m.HealthCheckIntervalSeconds != 30 {
		t.Errorf("modified: %+v", m)
	}
	var path, matcher string
	if err := f.st.DB().QueryRowContext(f.ctx, f.st.SQL(`SELECT hc_path, matcher FROM target_groups WHERE arn = ?`), g.TargetGroupARN).Scan(&path, &matcher); err != nil || path != "/healthz" || matcher != "200-399" {
		t.Errorf("stored %q %q %v", path, matcher, err)
	}
	out, err = f.api.ModifyTargetGroup(f.ctx, &ModifyTargetGroupInput{TargetGroupARN: g.TargetGroupARN,
		HealthCheckSettings: HealthCheckSettings{HealthCheckProtocol: "TCP", HealthCheckEnabled: lbBoolp(false)}})
	if err != nil {
		t.Fatal(err)
	}
	if m := out.TargetGroups[0]; m.HealthCheckPath != "" || m.Matcher != nil || m.HealthCheckTimeoutSeconds != 10 || m.HealthCheckEnabled {
		t.Errorf("back to TCP: %+v", m)
	}
	f.refused(t, ErrCodeValidationError, func() error {
		_, err := f.api.ModifyTargetGroup(f.ctx, &ModifyTargetGroupInput{TargetGroupARN: g.TargetGroupARN,
			HealthCheckSettings: HealthCheckSettings{UnhealthyThresholdCount: lbIntp(1)}})
		return err
	})
	f.refused(t, ErrCodeTargetGroupNotFound, func() error {
		_, err := f.other.ModifyTargetGroup(f.ctx, &ModifyTargetGroupInput{TargetGroupARN: g.TargetGroupARN})
		return err
	})

	lb := f.lb("lb", "a")
	used := f.tg("used", 81)
	f.listener(lb.LoadBalancerARN, 81, used.TargetGroupARN)
	byLB, err := f.api.DescribeTargetGroups(f.ctx, &DescribeTargetGroupsInput{LoadBalancerARN: lb.LoadBalancerARN})
	if err != nil || len(byLB.TargetGroups) != 1 || byLB.TargetGroups[0].TargetGroupName != "used" ||
		len(byLB.TargetGroups[0].LoadBalancerARNs) != 1 || byLB.TargetGroups[0].LoadBalancerARNs[0] != lb.LoadBalancerARN {
		t.Fatalf("by load balancer: %v %+v", err, byLB)
	}
	all, err := f.api.DescribeTargetGroups(f.ctx, &DescribeTargetGroupsInput{})
	if err != nil || len(all.TargetGroups) != 2 {
		t.Fatalf("all: %v %+v", err, all)
	}
	for name, in := range map[string]DescribeTargetGroupsInput{
		"unknown name": {Names: []string{"nope"}},
		"unknown ARN":  {TargetGroupARNs: []string{strings.Replace(g.TargetGroupARN, "/mod/", "/other/", 1)}},
	} {
		_, err := f.api.DescribeTargetGroups(f.ctx, &in)
		t.Run(name, func(t *testing.T) { lbWantCode(t, err, ErrCodeTargetGroupNotFound) })
	}
	_, err = f.api.DescribeTargetGroups(f.ctx, &DescribeTargetGroupsInput{Names: []string{"mod"}, LoadBalancerARN: lb.LoadBalancerARN})
	lbWantCode(t, err, ErrCodeValidationError)
	_, err = f.api.DescribeTargetGroups(f.ctx, &DescribeTargetGroupsInput{TargetGroupARNs: []string{"arn:aws:elasticloadbalancing:x"}})
	lbWantCode(t, err, ErrCodeValidationError)

	f.refused(t, ErrCodeResourceInUse, func() error {
		return errOf(f.api.DeleteTargetGroup(f.ctx, &DeleteTargetGroupInput{TargetGroupARN: used.TargetGroupARN}))
	})
	if err := errOf(f.api.DeleteTargetGroup(f.ctx, &DeleteTargetGroupInput{TargetGroupARN: g.TargetGroupARN})); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM target_groups`); n != 1 {
		t.Errorf("%d target groups left, want 1", n)
	}
}

func TestLBRegisterTargets(t *testing.T) {
	f := newLBTestAPI(t)
	g := f.tg("targets", 8080)
	reg := func(ts ...TargetDescription) error {
		return errOf(f.api.RegisterTargets(f.ctx, &RegisterTargetsInput{TargetsInput: TargetsInput{TargetGroupARN: g.TargetGroupARN, Targets: ts}}))
	}
	if err := reg(TargetDescription{ID: "127.0.0.1"}, TargetDescription{ID: "127.0.0.2", Port: lbIntp(9000), AvailabilityZone: "all"},
		TargetDescription{ID: "127.16.16.50"}, TargetDescription{ID: "127.16.0.50", AvailabilityZone: "us-east-1a"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"127.0.0.1:8080": "all", "127.0.0.2:9000": "all", "127.16.16.50:8080": "us-east-1b", "127.16.0.50:8080": "us-east-1a"}
	rows, err := f.st.DB().QueryContext(f.ctx, f.st.SQL(`SELECT ip, port, zone FROM targets WHERE tg_arn = ?`), g.TargetGroupARN)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var ip, zone string
		var port int
		if err := rows.Scan(&ip, &port, &zone); err != nil {
			t.Fatal(err)
		}
		got[ip+":"+strconv.Itoa(port)] = zone
	}
	rows.Close()
	if len(got) != len(want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	for k, z := range want {
		if got[k] != z {
			t.Errorf("target %s zone %q, want %q", k, got[k], z)
		}
	}
	// Registering a registered target again changes nothing.
	before := f.rev()
	if err := reg(TargetDescription{ID: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if f.rev() != before {
		t.Error("registering a registered target moved the revision")
	}

	tests := []struct {
		name string
		t    TargetDescription
	}{
		{"not an IP", TargetDescription{ID: "i-0123456789abcdef0"}},
		{"unspecified", TargetDescription{ID: "0.0.0.0"}},
		{"IPv6 in an IPv4 group", TargetDescription{ID: "::1"}},
		{"port 0", TargetDescription{ID: "127.0.0.1", Port: lbIntp(0)}},
		{"port too big", TargetDescription{ID: "127.0.0.1", Port: lbIntp(70000)}},
		{"zone outside the VPC", TargetDescription{ID: "127.0.0.3", AvailabilityZone: "us-east-1a"}},
		{"wrong zone in the VPC", TargetDescription{ID: "127.16.0.60", AvailabilityZone: "us-east-1b"}},
		{"all in the VPC", TargetDescription{ID: "127.16.0.60", AvailabilityZone: "all"}},
		{"in the VPC, in no subnet", TargetDescription{ID: "127.16.200.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.refused(t, ErrCodeValidationError, func() error { return reg(TargetDescription{ID: "127.0.0.9"}, tt.t) })
		})
	}
	f.refused(t, ErrCodeValidationError, func() error { return reg() })
	f.refused(t, ErrCodeTargetGroupNotFound, func() error {
		return errOf(f.other.RegisterTargets(f.ctx, &RegisterTargetsInput{TargetsInput: TargetsInput{TargetGroupARN: g.TargetGroupARN, Targets: []TargetDescription{{ID: "127.0.0.1"}}}}))
	})
}

func TestLBDeregisterAndHealth(t *testing.T) {
	f := newLBTestAPI(t)
	g := f.tg("health", 8080)
	arn := g.TargetGroupARN
	if err := errOf(f.api.RegisterTargets(f.ctx, &RegisterTargetsInput{TargetsInput: TargetsInput{TargetGroupARN: arn, Targets: []TargetDescription{
		{ID: "127.0.0.1"}, {ID: "127.0.0.2"}, {ID: "127.16.16.50"}}}})); err != nil {
		t.Fatal(err)
	}
	health := func(ts ...TargetDescription) map[string]TargetHealthDescription {
		t.Helper()
		out, err := f.api.DescribeTargetHealth(f.ctx, &DescribeTargetHealthInput{TargetGroupARN: arn, Targets: ts})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]TargetHealthDescription{}
		for _, d := range out.TargetHealthDescriptions {
			m[d.Target.ID] = d
		}
		return m
	}
	// No listener forwards to the group yet.
	if h := health()["127.0.0.1"]; h.TargetHealth.State != "unused" || h.TargetHealth.Reason != "Target.NotInUse" || h.HealthCheckPort != "8080" || h.Target.AvailabilityZone != "all" {
		t.Errorf("before a listener: %+v", h)
	}
	lb := f.lb("hlb", "a")
	f.listener(lb.LoadBalancerARN, 80, arn)
	if _, err := f.st.DB().ExecContext(f.ctx, f.st.SQL(`INSERT INTO target_health (tg_arn, ip, port, state, reason, description, updated_at)
		VALUES (?, '127.0.0.2', 8080, 'unhealthy', 'Target.FailedHealthChecks', 'Health checks failed', 'x')`), arn); err != nil {
		t.Fatal(err)
	}
	h := health()
	if s := h["127.0.0.1"].TargetHealth; s.State != "initial" || s.Reason != "Elb.RegistrationInProgress" {
		t.Errorf("registered: %+v", s)
	}
	if s := h["127.0.0.2"].TargetHealth; s.State != "unhealthy" || s.Reason != "Target.FailedHealthChecks" {
		t.Errorf("observed: %+v", s)
	}
	if s := h["127.16.16.50"].TargetHealth; s.State != "unused" || s.Reason != "Target.NotInUse" {
		t.Errorf("zone b target of a zone a load balancer: %+v", s)
	}
	if s := health(TargetDescription{ID: "127.0.0.7"})["127.0.0.7"]; s.TargetHealth.State != "unused" || s.TargetHealth.Reason != "Target.NotRegistered" {
		t.Errorf("unregistered: %+v", s)
	}
	_, err := f.api.DescribeTargetHealth(f.ctx, &DescribeTargetHealthInput{TargetGroupARN: arn, Targets: []TargetDescription{{ID: "nope"}}})
	lbWantCode(t, err, ErrCodeInvalidTarget)

	// Deregistering: draining for the delay, then gone on the next write.
	if _, err := f.api.ModifyTargetGroupAttributes(f.ctx, &ModifyTargetGroupAttributesInput{TargetGroupARN: arn,
		Attributes: []ELBAttribute{{Key: "deregistration_delay.timeout_seconds", Value: "30"}}}); err != nil {
		t.Fatal(err)
	}
	f.refused(t, ErrCodeInvalidTarget, func() error {
		return errOf(f.api.DeregisterTargets(f.ctx, &DeregisterTargetsInput{TargetsInput: TargetsInput{TargetGroupARN: arn, Targets: []TargetDescription{{ID: "127.0.0.1"}, {ID: "127.0.0.9"}}}}))
	})
	if err := errOf(f.api.DeregisterTargets(f.ctx, &DeregisterTargetsInput{TargetsInput: TargetsInput{TargetGroupARN: arn, Targets: []TargetDescription{{ID: "127.0.0.1"}, {ID: "127.0.0.2"}}}})); err != nil {
		t.Fatal(err)
	}
	if s := health()["127.0.0.1"].TargetHealth; s.State != "draining" || s.Reason != "Target.DeregistrationInProgress" {
		t.Errorf("deregistered: %+v", s)
	}
	if n := f.count(`SELECT count(*) FROM targets WHERE deregistered_at <> ''`); n != 2 {
		t.Errorf("%d draining rows, want 2", n)
	}
	// Registering a draining target again brings it back.
	if err := errOf(f.api.RegisterTargets(f.ctx, &RegisterTargetsInput{TargetsInput: TargetsInput{TargetGroupARN: arn, Targets: []TargetDescription{{ID: "127.0.0.2"}}}})); err != nil {
		t.Fatal(err)
	}
	if s := health()["127.0.0.2"].TargetHealth; s.State != "initial" {
		t.Errorf("registered again: %+v", s)
	}
	*f.clock = f.clock.Add(31 * time.Second)
	if _, ok := health()["127.0.0.1"]; ok {
		t.Error("a target past its deregistration delay is still described")
	}
	if n := f.count(`SELECT count(*) FROM targets WHERE ip = '127.0.0.1'`); n != 1 {
		t.Errorf("the drained row went before the next write")
	}
	if err := errOf(f.api.RegisterTargets(f.ctx, &RegisterTargetsInput{TargetsInput: TargetsInput{TargetGroupARN: arn, Targets: []TargetDescription{{ID: "127.0.0.5"}}}})); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM targets WHERE ip = '127.0.0.1'`); n != 0 {
		t.Errorf("the drained row is still there after a write")
	}
	f.refused(t, ErrCodeInvalidTarget, func() error {
		return errOf(f.api.DeregisterTargets(f.ctx, &DeregisterTargetsInput{TargetsInput: TargetsInput{TargetGroupARN: arn, Targets: []TargetDescription{{ID: "127.0.0.1"}}}}))
	})

	// Health checks disabled.
	if _, err := f.api.ModifyTargetGroup(f.ctx, &ModifyTargetGroupInput{TargetGroupARN: arn,
		HealthCheckSettings: HealthCheckSettings{HealthCheckEnabled: lbBoolp(false)}}); err != nil {
		t.Fatal(err)
	}
	if s := health()["127.0.0.5"].TargetHealth; s.State != "unavailable" {
		t.Errorf("health checks disabled: %+v", s)
	}
}

func TestLBListeners(t *testing.T) {
	f := newLBTestAPI(t)
	lb := f.lb("l", "a")
	g1, g2 := f.tg("g1", 80), f.tg("g2", 81)
	l := f.listener(lb.LoadBalancerARN, 80, g1.TargetGroupARN)
	if !strings.HasPrefix(l.ListenerARN, strings.Replace(lb.LoadBalancerARN, ":loadbalancer/", ":listener/", 1)+"/") ||
		l.Protocol != "TCP" || l.Port != 80 || l.DefaultActions[0].Type != "forward" || l.DefaultActions[0].TargetGroupARN != g1.TargetGroupARN ||
		l.DefaultActions[0].ForwardConfig.TargetGroups[0].TargetGroupARN != g1.TargetGroupARN {
		t.Errorf("listener %+v", l)
	}
	if again := f.listener(lb.LoadBalancerARN, 80, g1.TargetGroupARN); again.ListenerARN != l.ListenerARN {
		t.Error("repeated create made another listener")
	}
	other := f.lb("other", "b")
	v2, err := f.api.CreateVpc(f.ctx, &CreateVpcInput{CidrBlock: "127.102.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	g3out, err := f.api.CreateTargetGroup(f.ctx, &CreateTargetGroupInput{Name: "g3", Protocol: "TCP", Port: 80, VpcID: v2.Vpc.VpcID})
	if err != nil {
		t.Fatal(err)
	}
	g3 := g3out.TargetGroups[0]
	fwd := func(arn string) []Action { return []Action{{Type: "forward", TargetGroupARN: arn}} }
	unknownTG := strings.Replace(g1.TargetGroupARN, "/g1/", "/zz/", 1)
	tests := []struct {
		name string
		in   CreateListenerInput
		code string
	}{
		{"port taken", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TCP", Port: 80, DefaultActions: fwd(g2.TargetGroupARN)}, ErrCodeDuplicateListener},
		{"udp", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "UDP", Port: 53, DefaultActions: fwd(g2.TargetGroupARN)}, ErrCodeValidationError},
		{"tls", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TLS", Port: 443, DefaultActions: fwd(g2.TargetGroupARN)}, ErrCodeValidationError},
		{"port 0", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TCP", DefaultActions: fwd(g2.TargetGroupARN)}, ErrCodeValidationError},
		{"no action", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TCP", Port: 81}, ErrCodeValidationError},
		{"redirect", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TCP", Port: 81, DefaultActions: []Action{{Type: "redirect"}}}, ErrCodeValidationError},
		{"two groups", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TCP", Port: 81, DefaultActions: []Action{{Type: "forward",
			ForwardConfig: &ForwardActionConfig{TargetGroups: []TargetGroupTuple{{TargetGroupARN: g1.TargetGroupARN}, {TargetGroupARN: g2.TargetGroupARN}}}}}}, ErrCodeValidationError},
		{"unknown group", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TCP", Port: 81, DefaultActions: fwd(unknownTG)}, ErrCodeTargetGroupNotFound},
		{"malformed group", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TCP", Port: 81, DefaultActions: fwd("tg")}, ErrCodeValidationError},
		{"unknown load balancer", CreateListenerInput{LoadBalancerARN: strings.Replace(lb.LoadBalancerARN, "/l/", "/m/", 1), Protocol: "TCP", Port: 81, DefaultActions: fwd(g2.TargetGroupARN)}, ErrCodeLoadBalancerNotFound},
		{"group of another load balancer", CreateListenerInput{LoadBalancerARN: other.LoadBalancerARN, Protocol: "TCP", Port: 80, DefaultActions: fwd(g1.TargetGroupARN)}, ErrCodeTargetGroupAssociationLimit},
		{"group in another VPC", CreateListenerInput{LoadBalancerARN: lb.LoadBalancerARN, Protocol: "TCP", Port: 82, DefaultActions: fwd(g3.TargetGroupARN)}, ErrCodeValidationError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.refused(t, tt.code, func() error {
				_, err := f.api.CreateListener(f.ctx, &tt.in)
				return err
			})
		})
	}
	l2 := f.listener(lb.LoadBalancerARN, 81, g2.TargetGroupARN)

	d, err := f.api.DescribeListeners(f.ctx, &DescribeListenersInput{LoadBalancerARN: lb.LoadBalancerARN})
	if err != nil || len(d.Listeners) != 2 || d.Listeners[0].Port != 80 || d.Listeners[1].Port != 81 {
		t.Fatalf("describe: %v %+v", err, d)
	}
	d, err = f.api.DescribeListeners(f.ctx, &DescribeListenersInput{ListenerARNs: []string{l2.ListenerARN}})
	if err != nil || len(d.Listeners) != 1 || d.Listeners[0].ListenerARN != l2.ListenerARN {
		t.Fatalf("describe by ARN: %v %+v", err, d)
	}
	_, err = f.api.DescribeListeners(f.ctx, &DescribeListenersInput{})
	lbWantCode(t, err, ErrCodeValidationError)
	_, err = f.other.DescribeListeners(f.ctx, &DescribeListenersInput{ListenerARNs: []string{l2.ListenerARN}})
	lbWantCode(t, err, ErrCodeListenerNotFound)

	f.refused(t, ErrCodeDuplicateListener, func() error {
		_, err := f.api.ModifyListener(f.ctx, &ModifyListenerInput{ListenerARN: l2.ListenerARN, Port: lbIntp(80)})
		return err
	})
	m, err := f.api.ModifyListener(f.ctx, &ModifyListenerInput{ListenerARN: l2.ListenerARN, Port: lbIntp(8081), DefaultActions: fwd(g1.TargetGroupARN)})
	if err != nil || m.Listeners[0].Port != 8081 || m.Listeners[0].DefaultActions[0].TargetGroupARN != g1.TargetGroupARN {
		t.Fatalf("modify: %v %+v", err, m)
	}
	if n := f.count(`SELECT count(*) FROM listeners WHERE port = 8081 AND tg_arn = ?`, g1.TargetGroupARN); n != 1 {
		t.Error("modify did not reach the store")
	}
	// g2 is free again: its group can go.
	if err := errOf(f.api.DeleteTargetGroup(f.ctx, &DeleteTargetGroupInput{TargetGroupARN: g2.TargetGroupARN})); err != nil {
		t.Fatal(err)
	}
	if err := errOf(f.api.DeleteListener(f.ctx, &DeleteListenerInput{ListenerARN: l2.ListenerARN})); err != nil {
		t.Fatal(err)
	}
	f.refused(t, ErrCodeListenerNotFound, func() error {
		return errOf(f.api.DeleteListener(f.ctx, &DeleteListenerInput{ListenerARN: l2.ListenerARN}))
	})
	f.refused(t, ErrCodeValidationError, func() error {
		return errOf(f.api.DeleteListener(f.ctx, &DeleteListenerInput{ListenerARN: "arn:aws:elasticloadbalancing:listener"}))
	})
}

func TestLBAttributes(t *testing.T) {
	f := newLBTestAPI(t)
	lb := f.lb("attrs", "a")
	g := f.tg("attrs", 80)
	l := f.listener(lb.LoadBalancerARN, 80, g.TargetGroupARN)
	value := func(attrs []ELBAttribute, key string) string {
		for _, a := range attrs {
			if a.Key == key {
				return a.Value
			}
		}
		t.Fatalf("no attribute %s in %+v", key, attrs)
		return ""
	}

	tgd, err := f.api.DescribeTargetGroupAttributes(f.ctx, &DescribeTargetGroupAttributesInput{TargetGroupARN: g.TargetGroupARN})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"proxy_protocol_v2.enabled": "false", "deregistration_delay.timeout_seconds": "300",
		"load_balancing.cross_zone.enabled": "use_load_balancer_configuration", "preserve_client_ip.enabled": "false",
		"stickiness.enabled": "false", "deregistration_delay.connection_termination.enabled": "false",
		"target_health_state.unhealthy.connection_termination.enabled": "true"} {
		if got := value(tgd.Attributes, k); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	out, err := f.api.ModifyTargetGroupAttributes(f.ctx, &ModifyTargetGroupAttributesInput{TargetGroupARN: g.TargetGroupARN, Attributes: []ELBAttribute{
		{Key: "proxy_protocol_v2.enabled", Value: "true"}, {Key: "load_balancing.cross_zone.enabled", Value: "true"}}})
	if err != nil {
		t.Fatal(err)
	}
	if value(out.Attributes, "proxy_protocol_v2.enabled") != "true" || value(out.Attributes, "load_balancing.cross_zone.enabled") != "true" {
		t.Errorf("modify answered %+v", out)
	}
	if n := f.count(`SELECT count(*) FROM attributes WHERE resource_arn = ? AND key = 'proxy_protocol_v2.enabled' AND value = 'true'`, g.TargetGroupARN); n != 1 {
		t.Error("proxy_protocol_v2.enabled not stored")
	}
	if _, err := f.api.ModifyTargetGroupAttributes(f.ctx, &ModifyTargetGroupAttributesInput{TargetGroupARN: g.TargetGroupARN,
		Attributes: []ELBAttribute{{Key: "proxy_protocol_v2.enabled", Value: "false"}}}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM attributes WHERE resource_arn = ?`, g.TargetGroupARN); n != 1 {
		t.Errorf("%d stored attributes, want 1 (defaults are not stored)", n)
	}

	lbo, err := f.api.ModifyLoadBalancerAttributes(f.ctx, &ModifyLoadBalancerAttributesInput{LoadBalancerARN: lb.LoadBalancerARN,
		Attributes: []ELBAttribute{{Key: "load_balancing.cross_zone.enabled", Value: "true"}, {Key: "dns_record.client_routing_policy", Value: "availability_zone_affinity"}}})
	if err != nil {
		t.Fatal(err)
	}
	if value(lbo.Attributes, "load_balancing.cross_zone.enabled") != "true" || value(lbo.Attributes, "deletion_protection.enabled") != "false" {
		t.Errorf("load balancer attributes %+v", lbo)
	}
	if n := f.count(`SELECT count(*) FROM load_balancers WHERE cross_zone = 1`); n != 1 {
		t.Error("cross_zone column not set")
	}
	if n := f.count(`SELECT count(*) FROM attributes WHERE resource_arn = ?`, lb.LoadBalancerARN); n != 1 {
		t.Errorf("%d attribute rows for the load balancer, want 1 (cross-zone lives in its column)", n)
	}
	lbd, err := f.api.DescribeLoadBalancerAttributes(f.ctx, &DescribeLoadBalancerAttributesInput{LoadBalancerARN: lb.LoadBalancerARN})
	if err != nil || value(lbd.Attributes, "dns_record.client_routing_policy") != "availability_zone_affinity" {
		t.Errorf("describe load balancer attributes: %v %+v", err, lbd)
	}

	lo, err := f.api.ModifyListenerAttributes(f.ctx, &ModifyListenerAttributesInput{ListenerARN: l.ListenerARN, Attributes: []ELBAttribute{{Key: "tcp.idle_timeout.seconds", Value: "60"}}})
	if err != nil || value(lo.Attributes, "tcp.idle_timeout.seconds") != "60" {
		t.Fatalf("listener attributes: %v %+v", err, lo)
	}
	ld, err := f.api.DescribeListenerAttributes(f.ctx, &DescribeListenerAttributesInput{ListenerARN: l.ListenerARN})
	if err != nil || value(ld.Attributes, "tcp.idle_timeout.seconds") != "60" {
		t.Fatalf("describe listener attributes: %v %+v", err, ld)
	}

	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown target group key", func() error {
			_, err := f.api.ModifyTargetGroupAttributes(f.ctx, &ModifyTargetGroupAttributesInput{TargetGroupARN: g.TargetGroupARN, Attributes: []ELBAttribute{{Key: "proxy_protocol_v2.enabled", Value: "true"}, {Key: "nope", Value: "1"}}})
			return err
		}, ErrCodeValidationError},
		{"bad bool", func() error {
			_, err := f.api.ModifyTargetGroupAttributes(f.ctx, &ModifyTargetGroupAttributesInput{TargetGroupARN: g.TargetGroupARN, Attributes: []ELBAttribute{{Key: "proxy_protocol_v2.enabled", Value: "yes"}}})
			return err
		}, ErrCodeValidationError},
		{"delay too long", func() error {
			_, err := f.api.ModifyTargetGroupAttributes(f.ctx, &ModifyTargetGroupAttributesInput{TargetGroupARN: g.TargetGroupARN, Attributes: []ELBAttribute{{Key: "deregistration_delay.timeout_seconds", Value: "3601"}}})
			return err
		}, ErrCodeValidationError},
		{"bad cross-zone", func() error {
			_, err := f.api.ModifyTargetGroupAttributes(f.ctx, &ModifyTargetGroupAttributesInput{TargetGroupARN: g.TargetGroupARN, Attributes: []ELBAttribute{{Key: "load_balancing.cross_zone.enabled", Value: "maybe"}}})
			return err
		}, ErrCodeValidationError},
		{"no attributes", func() error {
			_, err := f.api.ModifyTargetGroupAttributes(f.ctx, &ModifyTargetGroupAttributesInput{TargetGroupARN: g.TargetGroupARN})
			return err
		}, ErrCodeValidationError},
		{"unknown load balancer key", func() error {
			_, err := f.api.ModifyLoadBalancerAttributes(f.ctx, &ModifyLoadBalancerAttributesInput{LoadBalancerARN: lb.LoadBalancerARN, Attributes: []ELBAttribute{{Key: "proxy_protocol_v2.enabled", Value: "true"}}})
			return err
		}, ErrCodeValidationError},
		{"idle timeout 59", func() error {
			_, err := f.api.ModifyListenerAttributes(f.ctx, &ModifyListenerAttributesInput{ListenerARN: l.ListenerARN, Attributes: []ELBAttribute{{Key: "tcp.idle_timeout.seconds", Value: "59"}}})
			return err
		}, ErrCodeValidationError},
		{"idle timeout 6001", func() error {
			_, err := f.api.ModifyListenerAttributes(f.ctx, &ModifyListenerAttributesInput{ListenerARN: l.ListenerARN, Attributes: []ELBAttribute{{Key: "tcp.idle_timeout.seconds", Value: "6001"}}})
			return err
		}, ErrCodeValidationError},
		{"other account's group", func() error {
			_, err := f.other.ModifyTargetGroupAttributes(f.ctx, &ModifyTargetGroupAttributesInput{TargetGroupARN: g.TargetGroupARN, Attributes: []ELBAttribute{{Key: "proxy_protocol_v2.enabled", Value: "true"}}})
			return err
		}, ErrCodeTargetGroupNotFound},
		{"other account's load balancer", func() error {
			_, err := f.other.ModifyLoadBalancerAttributes(f.ctx, &ModifyLoadBalancerAttributesInput{LoadBalancerARN: lb.LoadBalancerARN, Attributes: []ELBAttribute{{Key: "deletion_protection.enabled", Value: "true"}}})
			return err
		}, ErrCodeLoadBalancerNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.refused(t, tt.code, tt.call)
		})
	}
}

func TestLBTags(t *testing.T) {
	f := newLBTestAPI(t)
	lb := f.lb("tagged", "a")
	g := f.tg("tagged", 80)
	if err := errOf(f.api.AddTags(f.ctx, &AddTagsInput{ResourceARNs: []string{lb.LoadBalancerARN, g.TargetGroupARN},
		Tags: []ELBTag{{Key: "team", Value: "a"}, {Key: "env", Value: "dev"}}})); err != nil {
		t.Fatal(err)
	}
	if err := errOf(f.api.RemoveTags(f.ctx, &RemoveTagsInput{ResourceARNs: []string{g.TargetGroupARN}, TagKeys: []string{"env"}})); err != nil {
		t.Fatal(err)
	}
	out, err := f.api.DescribeTags(f.ctx, &DescribeTagsInput{ResourceARNs: []string{lb.LoadBalancerARN, g.TargetGroupARN}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TagDescriptions) != 2 || len(out.TagDescriptions[0].Tags) != 2 || len(out.TagDescriptions[1].Tags) != 1 {
		t.Errorf("tags %+v", out)
	}
	f.refused(t, ErrCodeLoadBalancerNotFound, func() error {
		return errOf(f.other.AddTags(f.ctx, &AddTagsInput{ResourceARNs: []string{lb.LoadBalancerARN}, Tags: []ELBTag{{Key: "k"}}}))
	})
	f.refused(t, ErrCodeValidationError, func() error {
		return errOf(f.api.AddTags(f.ctx, &AddTagsInput{ResourceARNs: []string{"arn:aws:ec2:x"}, Tags: []ELBTag{{Key: "k"}}}))
	})
}
