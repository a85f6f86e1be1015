package control_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// pgPage fetches one page: the IDs on it and the token of the next page.
type pgPage func(max *int, token string) (ids []string, next string, err error)

// pgWalk pages through everything with pages of max items: every page but
// the last is full, the last has no token, and no ID repeats.
func pgWalk(t *testing.T, fetch pgPage, max int) []string {
	t.Helper()
	var all []string
	tok := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("walk does not end")
		}
		ids, next, err := fetch(&max, tok)
		cpNoErr(t, err)
		if len(ids) > max {
			t.Fatalf("page of %d items, max %d", len(ids), max)
		}
		all = append(all, ids...)
		if next == "" {
			break
		}
		if len(ids) != max {
			t.Fatalf("a page of %d items (max %d) has a next token", len(ids), max)
		}
		tok = next
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Fatalf("%s appears twice in the walk %v", id, all)
		}
		seen[id] = true
	}
	return all
}

func pgIDs[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

// pgFamily is one paged describe action over a store that holds n items
// of its kind.
type pgFamily struct {
	name  string
	min   int    // smallest page size accepted
	code  string // the code of a bad page size or token
	fetch func(e *cpEnv) pgPage
	// other is the same action with another query (a filter): its tokens
	// are not the first query's.
	other func(e *cpEnv) pgPage
}

func pgFamilies(t *testing.T, e *cpEnv) []pgFamily {
	ds := e.defaultSubnets(e.provider)
	vpc := e.defaultVPC(e.provider).VpcID
	var tgs []string
	for i := range 11 {
		g := cpMust(e.provider.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: fmt.Sprintf("pg-%02d", i), Description: "d"}))(t)
		cpMust(e.provider.CreateTags(e.ctx, &control.CreateTagsInput{Resources: []string{g.GroupID}, Tags: []control.Tag{{Key: "pg", Value: "x"}, {Key: "n", Value: fmt.Sprint(i)}}}))(t)
		cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: fmt.Sprintf("10.%d.0.0/16", i)}))(t)
		tg := cpMust(e.provider.CreateTargetGroup(e.ctx, &control.CreateTargetGroupInput{Name: fmt.Sprintf("pg-%02d", i), Protocol: "TCP", Port: 80, VpcID: vpc}))(t)
		tgs = append(tgs, tg.TargetGroups[0].TargetGroupARN)
	}
	v := cpMust(e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "10.200.0.0/16"}))(t)
	for i := range 6 {
		cpMust(e.provider.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: v.Vpc.VpcID, CidrBlock: fmt.Sprintf("10.200.%d.0/24", i)}))(t)
	}
	var lb string
	for i := range 4 {
		lb = e.nlb(e.provider, fmt.Sprintf("pg-%d", i), "ipv4", ds["a"].SubnetID)
	}
	for i := range 5 {
		cpMust(e.provider.CreateListener(e.ctx, &control.CreateListenerInput{LoadBalancerARN: lb, Protocol: "TCP", Port: 80 + i,
			DefaultActions: []control.Action{{Type: "forward", TargetGroupARN: tgs[i]}}}))(t)
	}
	svc := e.readyService(false)
	for range 7 {
		e.endpoint(svc, "a")
	}
	svcNames := []string{svc.ServiceName}
	for range 3 {
		svcNames = append(svcNames, e.readyService(false).ServiceName)
	}
	ec2 := func(max *int, tok string) control.EC2Paging {
		return control.EC2Paging{MaxResults: max, NextToken: tok}
	}
	elb := func(max *int, tok string) control.ELBPaging { return control.ELBPaging{PageSize: max, Marker: tok} }
	nameFilter := []control.Filter{{Name: "group-name", Values: []string{"pg-*"}}}
	return []pgFamily{
		{name: "DescribeSecurityGroups", min: 5, code: control.ErrCodeInvalidParameterValue,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeSecurityGroups(e.ctx, &control.DescribeSecurityGroupsInput{EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.SecurityGroups, func(g control.SecurityGroup) string { return g.GroupID }), out.NextToken, nil
				}
			},
			other: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeSecurityGroups(e.ctx, &control.DescribeSecurityGroupsInput{Filters: nameFilter, EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.SecurityGroups, func(g control.SecurityGroup) string { return g.GroupID }), out.NextToken, nil
				}
			}},
		{name: "DescribeTagsEC2", min: 5, code: control.ErrCodeInvalidParameterValue,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeTagsEC2(e.ctx, &control.DescribeTagsEC2Input{EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.Tags, func(d control.EC2TagDescription) string { return d.ResourceID + "\x00" + d.Key }), out.NextToken, nil
				}
			},
			other: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeTagsEC2(e.ctx, &control.DescribeTagsEC2Input{Filters: []control.Filter{{Name: "key", Values: []string{"pg"}}}, EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.Tags, func(d control.EC2TagDescription) string { return d.ResourceID + "\x00" + d.Key }), out.NextToken, nil
				}
			}},
		{name: "DescribeVpcs", min: 5, code: control.ErrCodeInvalidParameterValue,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.Vpcs, func(v control.Vpc) string { return v.VpcID }), out.NextToken, nil
				}
			}},
		{name: "DescribeSubnets", min: 5, code: control.ErrCodeInvalidParameterValue,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeSubnets(e.ctx, &control.DescribeSubnetsInput{EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.Subnets, func(s control.Subnet) string { return s.SubnetID }), out.NextToken, nil
				}
			}},
		{name: "DescribeVpcEndpoints", min: 1, code: control.ErrCodeInvalidParameterValue,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.consumer.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.VpcEndpoints, func(v control.VpcEndpoint) string { return v.VpcEndpointID }), out.NextToken, nil
				}
			}},
		{name: "DescribeVpcEndpointConnections", min: 5, code: control.ErrCodeInvalidParameterValue,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeVpcEndpointConnections(e.ctx, &control.DescribeVpcEndpointConnectionsInput{EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.VpcEndpointConnections, func(v control.VpcEndpointConnection) string { return v.VpcEndpointID }), out.NextToken, nil
				}
			}},
		{name: "DescribeVpcEndpointServices", min: 1, code: control.ErrCodeInvalidParameterValue,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.consumer.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{ServiceNames: svcNames, EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					if len(out.ServiceNames) != len(out.ServiceDetails) {
						return nil, "", fmt.Errorf("%d names for %d details", len(out.ServiceNames), len(out.ServiceDetails))
					}
					return pgIDs(out.ServiceDetails, func(d control.ServiceDetail) string { return d.ServiceID }), out.NextToken, nil
				}
			},
			other: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.consumer.DescribeVpcEndpointServices(e.ctx, &control.DescribeVpcEndpointServicesInput{ServiceNames: svcNames[:3], EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.ServiceDetails, func(d control.ServiceDetail) string { return d.ServiceID }), out.NextToken, nil
				}
			}},
		{name: "DescribeNetworkInterfaces", min: 5, code: control.ErrCodeInvalidParameterValue,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.consumer.DescribeNetworkInterfaces(e.ctx, &control.DescribeNetworkInterfacesInput{EC2Paging: ec2(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.NetworkInterfaces, func(v control.NetworkInterface) string { return v.NetworkInterfaceID }), out.NextToken, nil
				}
			}},
		{name: "DescribeTargetGroups", min: 1, code: control.ErrCodeValidationError,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeTargetGroups(e.ctx, &control.DescribeTargetGroupsInput{ELBPaging: elb(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.TargetGroups, func(g control.TargetGroup) string { return g.TargetGroupARN }), out.NextMarker, nil
				}
			},
			other: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeTargetGroups(e.ctx, &control.DescribeTargetGroupsInput{Names: []string{"pg-01", "pg-02"}, ELBPaging: elb(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.TargetGroups, func(g control.TargetGroup) string { return g.TargetGroupARN }), out.NextMarker, nil
				}
			}},
		{name: "DescribeListeners", min: 1, code: control.ErrCodeValidationError,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeListeners(e.ctx, &control.DescribeListenersInput{LoadBalancerARN: lb, ELBPaging: elb(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.Listeners, func(l control.Listener) string { return l.ListenerARN }), out.NextMarker, nil
				}
			}},
		{name: "DescribeLoadBalancers", min: 1, code: control.ErrCodeValidationError,
			fetch: func(e *cpEnv) pgPage {
				return func(max *int, tok string) ([]string, string, error) {
					out, err := e.provider.DescribeLoadBalancers(e.ctx, &control.DescribeLoadBalancersInput{ELBPaging: elb(max, tok)})
					if err != nil {
						return nil, "", err
					}
					return pgIDs(out.LoadBalancers, func(l control.LoadBalancer) string { return l.LoadBalancerARN }), out.NextMarker, nil
				}
			}},
	}
}

// TestPagingFamilies walks every family with several page sizes: the walk
// returns the same items as the unpaged call, each once; page sizes out of
// range and bad tokens are refused with the action's code.
func TestPagingFamilies(t *testing.T) {
	e := cpNewEnv(t)
	for _, f := range pgFamilies(t, e) {
		t.Run(f.name, func(t *testing.T) {
			fetch := f.fetch(e)
			want, next, err := fetch(nil, "")
			cpNoErr(t, err)
			if next != "" {
				t.Fatalf("unpaged call returned a token %q", next)
			}
			if len(want) < f.min+2 {
				t.Fatalf("only %d items to page through", len(want))
			}
			slices.Sort(want)
			for _, size := range []int{f.min, f.min + 1, len(want) - 1, len(want), len(want) + 1, 400} {
				got := pgWalk(t, fetch, size)
				if !slices.IsSorted(got) {
					t.Errorf("size %d: a paged walk is not in key order: %v", size, got)
				}
				if !slices.Equal(got, want) {
					t.Errorf("size %d: walk %v, want %v", size, got, want)
				}
			}
			// The last full page has no token when nothing follows it.
			n := len(want)
			if _, next, _ := fetch(&n, ""); next != "" {
				t.Errorf("a page holding every item has a token")
			}
			small := f.min - 1
			_, _, err = fetch(&small, "")
			cpCode(t, err, f.code)
			for _, bad := range []string{"garbage", "AQ", "eyJ2IjoxfQ", "!!!"} {
				_, _, err := fetch(nil, bad)
				code := f.code
				if code == control.ErrCodeInvalidParameterValue {
					code = control.ErrCodeInvalidNextToken
				}
				cpCode(t, err, code)
			}
			size := f.min
			_, tok, err := fetch(&size, "")
			cpNoErr(t, err)
			if tok == "" {
				t.Fatal("no token")
			}
			if f.other != nil {
				_, _, err := f.other(e)(&size, tok)
				if err == nil {
					t.Errorf("a token was accepted with another query")
				}
			}
			// A token is refused by another caller.
			if f.name == "DescribeSecurityGroups" {
				_, err := e.consumer.DescribeSecurityGroups(e.ctx, &control.DescribeSecurityGroupsInput{EC2Paging: control.EC2Paging{NextToken: tok}})
				cpCode(t, err, control.ErrCodeInvalidNextToken)
			}
		})
	}
}

// TestPagingRanges checks the MaxResults rules that differ per action.
func TestPagingRanges(t *testing.T) {
	e := cpNewEnv(t)
	big, huge, zero := 1000, 1001, 0
	_, err := e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{EC2Paging: control.EC2Paging{MaxResults: &huge}})
	cpCode(t, err, control.ErrCodeInvalidParameterValue)
	cpMust(e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{EC2Paging: control.EC2Paging{MaxResults: &big}}))(t)
	// "If the value is greater than 1,000, we return only 1,000 items."
	cpMust(e.provider.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{EC2Paging: control.EC2Paging{MaxResults: &huge}}))(t)
	cpMust(e.provider.DescribeVpcEndpointServiceConfigurations(e.ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{EC2Paging: control.EC2Paging{MaxResults: &huge}}))(t)
	_, err = e.provider.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{EC2Paging: control.EC2Paging{MaxResults: &zero}})
	cpCode(t, err, control.ErrCodeInvalidParameterValue)
	// DescribeNetworkInterfaces: MaxResults and NetworkInterfaceIds exclude each other.
	five := 5
	_, err = e.provider.DescribeNetworkInterfaces(e.ctx, &control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: []string{"eni-0123456789abcdef0"}, EC2Paging: control.EC2Paging{MaxResults: &five}})
	cpCode(t, err, control.ErrCodeInvalidParameterCombination)
	// ELBv2 PageSize is 1..400.
	for _, n := range []int{0, 401} {
		_, err = e.provider.DescribeLoadBalancers(e.ctx, &control.DescribeLoadBalancersInput{ELBPaging: control.ELBPaging{PageSize: &n}})
		cpCode(t, err, control.ErrCodeValidationError)
	}
	// A token of one action is not another's.
	for i := range 6 {
		cpMust(e.provider.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: fmt.Sprintf("r-%d", i), Description: "d"}))(t)
	}
	out := cpMust(e.provider.DescribeSecurityGroups(e.ctx, &control.DescribeSecurityGroupsInput{EC2Paging: control.EC2Paging{MaxResults: &five}}))(t)
	if out.NextToken == "" {
		t.Fatal("no token")
	}
	_, err = e.provider.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{EC2Paging: control.EC2Paging{NextToken: out.NextToken}})
	cpCode(t, err, control.ErrCodeInvalidNextToken)
}

// pgSubject is a kind of resource a concurrent walk pages through.
type pgSubject struct {
	name string
	// create adds one resource as a and returns its ID; remove deletes it.
	create func(a *control.API, i int) (string, error)
	remove func(a *control.API, id string) error
	// page fetches one page of 5 as a.
	page func(a *control.API, tok string) ([]string, string, error)
	// as is the account that owns the resources.
	as string
}

// TestPagingConcurrentWriters pages through security groups and through
// endpoints while other writers create and delete them, both between
// pages and from goroutines running throughout: every resource that
// existed for the whole walk appears exactly once, and none appears twice.
func TestPagingConcurrentWriters(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(false)
	epIn := e.endpointInput(svc, "a")
	five := 5
	subjects := []pgSubject{
		{name: "SecurityGroups", as: cpProvider,
			create: func(a *control.API, i int) (string, error) {
				g, err := a.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: fmt.Sprintf("g-%d", i), Description: "d"})
				if err != nil {
					return "", err
				}
				return g.GroupID, nil
			},
			remove: func(a *control.API, id string) error {
				_, err := a.DeleteSecurityGroup(e.ctx, &control.DeleteSecurityGroupInput{GroupID: id})
				return err
			},
			page: func(a *control.API, tok string) ([]string, string, error) {
				out, err := a.DescribeSecurityGroups(e.ctx, &control.DescribeSecurityGroupsInput{EC2Paging: control.EC2Paging{MaxResults: &five, NextToken: tok}})
				if err != nil {
					return nil, "", err
				}
				return pgIDs(out.SecurityGroups, func(g control.SecurityGroup) string { return g.GroupID }), out.NextToken, nil
			}},
		{name: "VpcEndpoints", as: cpConsumer,
			create: func(a *control.API, i int) (string, error) {
				in := epIn
				out, err := a.CreateVpcEndpoint(e.ctx, &in)
				if err != nil {
					return "", err
				}
				return out.VpcEndpoint.VpcEndpointID, nil
			},
			remove: func(a *control.API, id string) error {
				_, err := a.DeleteVpcEndpoints(e.ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{id}})
				return err
			},
			page: func(a *control.API, tok string) ([]string, string, error) {
				out, err := a.DescribeVpcEndpoints(e.ctx, &control.DescribeVpcEndpointsInput{EC2Paging: control.EC2Paging{MaxResults: &five, NextToken: tok}})
				if err != nil {
					return nil, "", err
				}
				return pgIDs(out.VpcEndpoints, func(v control.VpcEndpoint) string { return v.VpcEndpointID }), out.NextToken, nil
			}},
	}
	for _, sub := range subjects {
		t.Run(sub.name, func(t *testing.T) {
			a := e.api(sub.as)
			stable := map[string]bool{}
			for i := range 40 {
				id := cpMust(sub.create(a, 1000+i))(t)
				stable[id] = true
			}
			n := 0
			var mu sync.Mutex
			churn := func(a *control.API) error {
				mu.Lock()
				n++
				i := n
				mu.Unlock()
				id, err := sub.create(a, 2000+i)
				if err == nil && i%2 == 1 { // every other one is deleted again
					err = sub.remove(a, id)
				}
				return err
			}
			// The writers start once the walk has its first page, and each
			// makes a bounded number of changes, so the walk ends.
			started := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-started
					a := e.api(sub.as)
					for range 20 {
						if err := churn(a); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			seen := map[string]int{}
			tok := ""
			for page := 0; ; page++ {
				ids, next, err := sub.page(a, tok)
				cpNoErr(t, err)
				for _, id := range ids {
					seen[id]++
				}
				if page == 0 {
					close(started)
				}
				if next == "" {
					break
				}
				tok = next
				// Writes between pages, so the walk sees the store change
				// even if the goroutines have not run yet.
				cpNoErr(t, churn(a))
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("writer: %v", err)
			}
			for id, c := range seen {
				if c != 1 {
					t.Errorf("%s appears %d times", id, c)
				}
			}
			for id := range stable {
				if seen[id] != 1 {
					t.Errorf("%s, there for the whole walk, appears %d times", id, seen[id])
				}
			}
		})
	}
}
