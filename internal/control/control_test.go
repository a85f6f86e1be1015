package control_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"testing"

	"github.com/plink-dev/plink/internal/store/storetest"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// Accounts used throughout: a provider and a consumer, as in the e2e scripts.
const (
	cpProvider = "111111111111"
	cpConsumer = "222222222222"
	cpOther    = "333333333333"
	cpRegion   = "us-east-1"
)

// cpTXT is a fake DNS: name -> TXT strings.
type cpTXT struct {
	mu      sync.Mutex
	records map[string][]string
}

func (f *cpTXT) set(name string, vals ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records[name] = vals
}

func (f *cpTXT) lookup(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.records[name]
	if !ok {
		return nil, fmt.Errorf("lookup %s: no such host", name)
	}
	return v, nil
}

// cpEnv is one store with a provider and a consumer acting on it.
type cpEnv struct {
	t        testing.TB
	ctx      context.Context
	st       *store.Store
	txt      *cpTXT
	provider *control.API
	consumer *control.API
	n        int // names load balancers uniquely
}

// cpNewStore is a fresh store on the backend PLINK_TEST_DB names (SQLite
// by default; scripts/test runs this package once more on PostgreSQL).
func cpNewStore(t testing.TB) *store.Store {
	t.Helper()
	return storetest.Open(t)
}

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func cpNewEnv(t testing.TB) *cpEnv {
	t.Helper()
	e := &cpEnv{t: t, ctx: context.Background(), st: cpNewStore(t), txt: &cpTXT{records: map[string][]string{}}}
	e.provider = e.api(cpProvider)
	e.consumer = e.api(cpConsumer)
	// First use creates the default VPCs: do it now so later refusals can
	// be checked against an unchanged store.
	for _, a := range []*control.API{e.provider, e.consumer} {
		if _, err := a.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{}); err != nil {
			t.Fatalf("DescribeVpcs: %v", err)
		}
	}
	return e
}

// api returns an API acting as account's root.
func (e *cpEnv) api(account string) *control.API {
	return e.apiAs(account, "arn:aws:iam::"+account+":root")
}

func (e *cpEnv) apiAs(account, principal string) *control.API {
	e.t.Helper()
	a, err := control.New(e.st, control.Caller{Account: account, Principal: principal, Region: cpRegion},
		control.WithTXTLookup(e.txt.lookup))
	if err != nil {
		e.t.Fatalf("control.New(%s, %s): %v", account, principal, err)
	}
	return a
}

// cpMust returns v after failing the test on err: cpMust(f())(t).
func cpMust[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// cpNoErr fails the test on err.
func cpNoErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// cpCode checks that err is a *control.Error with code.
func cpCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	e, ok := control.AsError(err)
	if !ok {
		t.Fatalf("got %T %v, want *control.Error %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %s (%s), want %s", e.Code, e.Message, code)
	}
}

// cpDump hashes every row of every table: a refused call must leave it as it was.
func cpDump(t testing.TB, st *store.Store) string {
	t.Helper()
	db := st.DB()
	tables, err := st.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, tb := range tables {
		fmt.Fprintf(h, "table %s\n", tb)
		r, err := db.Query(`SELECT * FROM "` + tb + `" ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(h, "%q,", v)
			}
			h.Write([]byte("\n"))
		}
		r.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cpRefused runs fn, checks it fails with code and that neither the
// revision nor any row of the store moved.
func (e *cpEnv) cpRefused(t *testing.T, code string, fn func() error) {
	t.Helper()
	rev0 := cpMust(e.st.Revision(e.ctx))(t)
	dump0 := cpDump(t, e.st)
	cpCode(t, fn(), code)
	if rev1 := cpMust(e.st.Revision(e.ctx))(t); rev1 != rev0 {
		t.Errorf("revision moved from %d to %d on a refused call", rev0, rev1)
	}
	if dump1 := cpDump(t, e.st); dump1 != dump0 {
		t.Errorf("store content changed on a refused call")
	}
}

// defaultSubnets returns the account's default subnets by zone letter.
func (e *cpEnv) defaultSubnets(a *control.API) map[string]control.Subnet {
	e.t.Helper()
	out := cpMust(a.DescribeSubnets(e.ctx, &control.DescribeSubnetsInput{Filters: []control.Filter{{Name: "default-for-az", Values: []string{"true"}}}}))(e.t)
	m := map[string]control.Subnet{}
	for _, s := range out.Subnets {
		m[s.AvailabilityZone[len(s.AvailabilityZone)-1:]] = s
	}
	return m
}

func (e *cpEnv) defaultVPC(a *control.API) control.Vpc {
	e.t.Helper()
	out := cpMust(a.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{Filters: []control.Filter{{Name: "is-default", Values: []string{"true"}}}}))(e.t)
	if len(out.Vpcs) != 1 {
		e.t.Fatalf("default VPCs: %d", len(out.Vpcs))
	}
	return out.Vpcs[0]
}

// nlb creates a network load balancer in the given subnets.
func (e *cpEnv) nlb(a *control.API, name, ipType string, subnets ...string) string {
	e.t.Helper()
	out := cpMust(a.CreateLoadBalancer(e.ctx, &control.CreateLoadBalancerInput{Name: name, Type: "network", Scheme: "internal",
		IPAddressType: ipType, Subnets: subnets}))(e.t)
	return out.LoadBalancers[0].LoadBalancerARN
}

// providerNLB is an ipv4 NLB of the provider in its three default subnets.
func (e *cpEnv) providerNLB(name string) string {
	e.t.Helper()
	ds := e.defaultSubnets(e.provider)
	return e.nlb(e.provider, name, "ipv4", ds["a"].SubnetID, ds["b"].SubnetID, ds["c"].SubnetID)
}

// service creates a service of the provider over arns.
func (e *cpEnv) service(acceptance bool, privateName string, arns ...string) control.ServiceConfiguration {
	e.t.Helper()
	out := cpMust(e.provider.CreateVpcEndpointServiceConfiguration(e.ctx, &control.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: arns, AcceptanceRequired: &acceptance, PrivateDNSName: privateName}))(e.t)
	return *out.ServiceConfiguration
}

// allow lets principal connect to service.
func (e *cpEnv) allow(serviceID string, principals ...string) {
	e.t.Helper()
	cpMust(e.provider.ModifyVpcEndpointServicePermissions(e.ctx, &control.ModifyVpcEndpointServicePermissionsInput{ServiceID: serviceID, AddAllowedPrincipals: principals}))(e.t)
}

// endpoint creates an endpoint of the consumer in its default VPC.
func (e *cpEnv) endpoint(svc control.ServiceConfiguration, zones ...string) control.VpcEndpoint {
	e.t.Helper()
	out := cpMust(e.consumer.CreateVpcEndpoint(e.ctx, ptr(e.endpointInput(svc, zones...))))(e.t)
	return out.VpcEndpoint
}

func (e *cpEnv) endpointInput(svc control.ServiceConfiguration, zones ...string) control.CreateVpcEndpointInput {
	e.t.Helper()
	ds := e.defaultSubnets(e.consumer)
	var ids []string
	for _, z := range zones {
		ids = append(ids, ds[z].SubnetID)
	}
	return control.CreateVpcEndpointInput{VpcID: e.defaultVPC(e.consumer).VpcID, ServiceName: svc.ServiceName, SubnetIDs: ids}
}

// readyService is a provider service with acceptance required that the
// consumer's root may use.
func (e *cpEnv) readyService(acceptance bool) control.ServiceConfiguration {
	e.t.Helper()
	e.n++
	svc := e.service(acceptance, "", e.providerNLB(fmt.Sprintf("ready-%d", e.n)))
	e.allow(svc.ServiceID, "arn:aws:iam::"+cpConsumer+":root")
	return svc
}

func (e *cpEnv) endpointState(a *control.API, id string) string {
	e.t.Helper()
	out := cpMust(a.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{VpcEndpointIDs: []string{id}}))(e.t)
	if len(out.VpcEndpoints) != 1 {
		e.t.Fatalf("describe %s: %d endpoints", id, len(out.VpcEndpoints))
	}
	return out.VpcEndpoints[0].State
}

func cpJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cpUnsuccessful checks a batch result's failed items: id -> code.
func cpUnsuccessful(t testing.TB, r []control.UnsuccessfulItem, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, u := range r {
		got[u.ResourceID] = u.Error.Code
	}
	if len(got) != len(want) {
		t.Fatalf("Unsuccessful = %s, want %v", cpJSON(t, r), want)
	}
	for id, code := range want {
		if got[id] != code {
			t.Fatalf("Unsuccessful[%s] = %q, want %q (all: %s)", id, got[id], code, cpJSON(t, r))
		}
	}
}

// cpSub64 is the i-th /64 of v's IPv6 block.
func cpSub64(t testing.TB, v *control.Vpc, i byte) string {
	t.Helper()
	p := netip.MustParsePrefix(v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock).Masked()
	b := p.Addr().As16()
	b[7] = i
	return netip.PrefixFrom(netip.AddrFrom16(b), 64).String()
}
