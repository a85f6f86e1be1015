package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// pagingEnv is a store with a provider service (no acceptance) that the
// consumer may use, and the consumer's default VPC and one of its subnets.
type pagingEnv struct {
	r              plinkRun
	db             string
	svcName        string
	cvpc, csubnet  string
	provider, cons []string // global options of the two accounts
}

func newPagingEnv(t *testing.T) *pagingEnv {
	t.Helper()
	bin, err := exec.LookPath("plink")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &pagingEnv{r: plinkRun{bin: bin, home: dir}, db: filepath.Join(dir, "plink.db")}
	e.provider = []string{"--db", e.db, "--account", "111111111111"}
	e.cons = []string{"--db", e.db, "--account", "222222222222"}
	pvpc := e.text(t, e.provider, "ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", "--query", "Vpcs[0].VpcId")
	psubs := strings.Fields(e.text(t, e.provider, "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+pvpc, "--query", "Subnets[].SubnetId"))
	nlb := e.text(t, e.provider, append([]string{"elbv2", "create-load-balancer", "--name", "pg", "--type", "network", "--scheme", "internal", "--query", "LoadBalancers[0].LoadBalancerArn", "--subnets"}, psubs...)...)
	svc := e.text(t, e.provider, "ec2", "create-vpc-endpoint-service-configuration", "--network-load-balancer-arns", nlb, "--no-acceptance-required", "--query", "ServiceConfiguration.ServiceId")
	e.svcName = e.text(t, e.provider, "ec2", "describe-vpc-endpoint-service-configurations", "--service-ids", svc, "--query", "ServiceConfigurations[0].ServiceName")
	e.text(t, e.provider, "ec2", "modify-vpc-endpoint-service-permissions", "--service-id", svc, "--add-allowed-principals", "arn:aws:iam::222222222222:root", "--query", "ReturnValue")
	e.cvpc = e.text(t, e.cons, "ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", "--query", "Vpcs[0].VpcId")
	e.csubnet = e.text(t, e.cons, "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+e.cvpc, "--query", "Subnets[0].SubnetId")
	return e
}

// text runs plink as one account with --output text and returns its
// trimmed stdout; any exit but 0 fails the test.
func (e *pagingEnv) text(t *testing.T, as []string, args ...string) string {
	t.Helper()
	argv := append(append(append([]string{}, as...), args...), "--output", "text")
	out, errOut, code := e.r.run(t, argv...)
	if code != 0 {
		t.Fatalf("plink %s: exit %d: %s", strings.Join(argv, " "), code, errOut)
	}
	return strings.TrimSpace(out)
}

// jsonOut runs plink as one account and decodes its JSON output into v.
func (e *pagingEnv) jsonOut(t *testing.T, v any, as []string, args ...string) {
	t.Helper()
	argv := append(append([]string{}, as...), args...)
	out, errOut, code := e.r.run(t, argv...)
	if code != 0 {
		t.Fatalf("plink %s: exit %d: %s", strings.Join(argv, " "), code, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("plink %s: %v: %s", strings.Join(argv, " "), err, out)
	}
}

func (e *pagingEnv) createEndpoint(t *testing.T) string {
	t.Helper()
	return e.text(t, e.cons, "ec2", "create-vpc-endpoint", "--vpc-id", e.cvpc, "--service-name", e.svcName,
		"--subnet-ids", e.csubnet, "--query", "VpcEndpoint.VpcEndpointId")
}

func (e *pagingEnv) deleteEndpoint(t *testing.T, id string) {
	t.Helper()
	if got := e.text(t, e.cons, "ec2", "delete-vpc-endpoints", "--vpc-endpoint-ids", id, "--query", "length(Unsuccessful)"); got != "0" {
		t.Fatalf("delete-vpc-endpoints %s: %s unsuccessful", id, got)
	}
}

type endpointsPage struct {
	VpcEndpoints []struct{ VpcEndpointId string }
	NextToken    string
}

// checkOnce fails unless every ID of kept appears exactly once in seen and
// no ID appears twice.
func checkOnce(t *testing.T, seen []string, kept []string) {
	t.Helper()
	count := map[string]int{}
	for _, id := range seen {
		count[id]++
	}
	for id, n := range count {
		if n > 1 {
			t.Errorf("%s listed %d times", id, n)
		}
	}
	for _, id := range kept {
		if count[id] != 1 {
			t.Errorf("%s, in the store throughout, listed %d times", id, count[id])
		}
	}
}

// TestPagingUnderConcurrentWrites walks describe-vpc-endpoints page by
// page with --max-results 5 and --next-token, one plink process a page,
// while other plink processes create and delete endpoints between the
// pages: every endpoint in the store throughout the walk appears exactly
// once, and none twice. Then the same with the AWS CLI's client-side
// paging (--page-size in one process) while a writer process runs at the
// same time.
func TestPagingUnderConcurrentWrites(t *testing.T) {
	e := newPagingEnv(t)
	var kept, doomed []string
	for i := 0; i < 24; i++ {
		id := e.createEndpoint(t)
		if i%4 == 3 {
			doomed = append(doomed, id)
		} else {
			kept = append(kept, id)
		}
	}

	// Server-side paging, writes interleaved between the pages.
	var seen, created []string
	token := ""
	pages := 0
	for ; ; pages++ {
		if pages > 20 {
			t.Fatal("more than 20 pages of 5 for about 30 endpoints")
		}
		args := []string{"ec2", "describe-vpc-endpoints", "--max-results", "5"}
		if token != "" {
			args = append(args, "--next-token", token)
		}
		var p endpointsPage
		e.jsonOut(t, &p, e.cons, args...)
		if len(p.VpcEndpoints) > 5 {
			t.Fatalf("page of %d endpoints with --max-results 5", len(p.VpcEndpoints))
		}
		for _, ep := range p.VpcEndpoints {
			seen = append(seen, ep.VpcEndpointId)
		}
		if p.NextToken == "" {
			break
		}
		token = p.NextToken
		// Between pages: two new endpoints (their IDs are random, so they
		// sort before and after the walk's position) and one deleted.
		created = append(created, e.createEndpoint(t), e.createEndpoint(t))
		if len(doomed) > 0 {
			e.deleteEndpoint(t, doomed[0])
			doomed = doomed[1:]
		}
	}
	if pages < 3 {
		t.Fatalf("the walk took %d pages; the writes fell between fewer than 3", pages+1)
	}
	checkOnce(t, seen, kept)
	if t.Failed() {
		t.Fatalf("server-side walk: %v", seen)
	}

	// Client-side paging (--page-size 3: many server pages in one process)
	// while writer processes create and delete endpoints at the same time.
	kept = append(kept, created...)
	kept = append(kept, doomed...)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var werr string
	var writes atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			argv := append(append([]string{}, e.cons...), "ec2", "create-vpc-endpoint", "--vpc-id", e.cvpc, "--service-name", e.svcName,
				"--subnet-ids", e.csubnet, "--query", "VpcEndpoint.VpcEndpointId", "--output", "text")
			out, errOut, code := e.r.run(t, argv...)
			if code != 0 {
				werr = errOut
				return
			}
			writes.Add(1)
			if i%2 == 1 {
				argv := append(append([]string{}, e.cons...), "ec2", "delete-vpc-endpoints", "--vpc-endpoint-ids", strings.TrimSpace(out))
				if _, errOut, code := e.r.run(t, argv...); code != 0 {
					werr = errOut
					return
				}
				writes.Add(1)
			}
		}
	}()
	// Walk until the writer has written 8 times during the walks (at most
	// 200 walks).
	walks := 0
	for ; walks < 200 && writes.Load() < 8; walks++ {
		var all endpointsPage
		e.jsonOut(t, &all, e.cons, "ec2", "describe-vpc-endpoints", "--page-size", "3")
		if all.NextToken != "" {
			t.Errorf("a full client-side walk printed NextToken %q", all.NextToken)
		}
		seen = seen[:0]
		for _, ep := range all.VpcEndpoints {
			seen = append(seen, ep.VpcEndpointId)
		}
		checkOnce(t, seen, kept)
	}
	close(stop)
	wg.Wait()
	if werr != "" {
		t.Fatalf("writer: %s", werr)
	}
	t.Logf("server-side walk: %d pages; %d client-side walks, %d writes alongside", pages+1, walks, writes.Load())
}
