package control

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCrashWriters kills writer processes (create-target-group,
// create-security-group, create-endpoint, each with tags) with SIGKILL at
// random points
// (a random delay after start, across the whole life of a command) while
// other writers run, then checks the store: integrity_check ok, every
// command that reported success before its kill is present, nothing half
// made, and the store still takes writes.
func TestCrashWriters(t *testing.T) {
	kills := scale(10, 100)
	const lanes = 4
	e := newEnv(t)
	pvpc := e.text(provider, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	cvpc := e.text(consumer, "Vpcs[?IsDefault].VpcId | [0]", "describe-vpcs")
	// How long a write takes here with the lanes running at once: the
	// kill delays span 1.5 times the slowest of a round of them, so kills
	// land before, during and after the commit.
	var span time.Duration
	var smu sync.Mutex
	var pwg sync.WaitGroup
	for i := range lanes {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			start := time.Now()
			e.as(provider, "create-target-group", "--name", fmt.Sprintf("probe%d", i), "--protocol", "TCP", "--port", "80", "--vpc-id", pvpc)
			smu.Lock()
			span = max(span, 3*time.Since(start)/2)
			smu.Unlock()
		}()
	}
	pwg.Wait()
	// A service the consumer may connect to without acceptance: killed
	// create-endpoint runs write an endpoint, its interface, its DNS
	// entries and its tags in one go.
	psa := subnetsByZone(e, provider, pvpc)["us-east-1a"]
	csa := subnetsByZone(e, consumer, cvpc)["us-east-1a"]
	nlb := e.text(provider, "LoadBalancers[0].LoadBalancerArn", "create-load-balancer", "--name", "nlb", "--scheme", "internal",
		"--subnets", psa)
	svc := e.text(provider, "ServiceConfiguration.ServiceId", "create-endpoint-service", "--network-load-balancer-arns", nlb,
		"--no-acceptance-required")
	e.plink(provider, "modify-endpoint-service-permissions", "--service-id", svc, "--add-allowed-principals", "arn:aws:iam::"+consumer+":root")
	svcName := "com.amazonaws.vpce.us-east-1." + svc

	var mu sync.Mutex
	var killed, finished, succeeded, attempts int
	wantTG, wantSG, wantEP := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var wg sync.WaitGroup
	for lane := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(lane), uint64(time.Now().UnixNano())))
			for i := 0; ; i++ {
				mu.Lock()
				enough := killed >= kills || attempts >= 5*kills
				attempts++
				mu.Unlock()
				if enough {
					return
				}
				name := fmt.Sprintf("k%d-%03d", lane, i)
				args := []string{"--account", provider, "create-target-group", "--name", name, "--protocol", "TCP",
					"--port", "80", "--vpc-id", pvpc, "--target-type", "ip", "--tags", "Key=kill,Value=" + name}
				switch i % 3 {
				case 1:
					args = []string{"--account", consumer, "create-security-group", "--group-name", name,
						"--description", "kill " + name, "--vpc-id", cvpc,
						"--tag-specifications", "ResourceType=security-group,Tags=[{Key=kill,Value=" + name + "}]"}
				case 2:
					args = []string{"--account", consumer, "create-endpoint", "--vpc-id", cvpc, "--service-name", svcName,
						"--subnet-ids", csa, "--tag-specifications", "ResourceType=vpc-endpoint,Tags=[{Key=kill,Value=" + name + "}]"}
				}
				delay := time.Duration(rng.Int64N(int64(span)))
				code, wasKilled := runAndKill(e, delay, args...)
				mu.Lock()
				switch {
				case wasKilled:
					killed++
				case code == 0:
					finished++
					succeeded++
					switch i % 3 {
					case 0:
						wantTG[name] = true
					case 1:
						wantSG[name] = true
					case 2:
						wantEP[name] = true
					}
				default:
					finished++
				}
				mu.Unlock()
				// An ordinary writer between kills: the store must
				// take writes at once after a kill.
				r := e.as(consumer, "create-security-group", "--group-name", "after-"+name, "--description", "after a kill",
					"--vpc-id", cvpc)
				if r.code != 0 {
					t.Errorf("a write after a kill failed: %s", r)
				}
			}
		}()
	}
	wg.Wait()

	ok, ierr := integrity(e.db)
	var tgs struct {
		TargetGroups []struct{ TargetGroupName, TargetGroupArn string }
	}
	e.json(provider, &tgs, "describe-target-groups")
	var sgs struct {
		SecurityGroups []struct {
			GroupName string
			Tags      []struct{ Key, Value string }
		}
	}
	e.json(consumer, &sgs, "describe-security-groups")
	haveTG, haveSG := map[string]string{}, map[string]bool{}
	for _, tg := range tgs.TargetGroups {
		haveTG[tg.TargetGroupName] = tg.TargetGroupArn
	}
	half := 0
	for _, g := range sgs.SecurityGroups {
		haveSG[g.GroupName] = true
		// A killed create is all or nothing: a group that exists has
		// its tag.
		if strings.HasPrefix(g.GroupName, "k") && len(g.Tags) != 1 {
			half++
			t.Errorf("security group %s exists without its tag: %+v", g.GroupName, g.Tags)
		}
	}
	var eps struct {
		VpcEndpoints []struct {
			VpcEndpointId       string
			State               string
			NetworkInterfaceIds []string
			DnsEntries          []struct{ DnsName string }
			Tags                []struct{ Key, Value string }
		}
	}
	e.json(consumer, &eps, "describe-endpoints")
	haveEP := map[string]bool{}
	for _, ep := range eps.VpcEndpoints {
		if len(ep.Tags) != 1 || len(ep.NetworkInterfaceIds) != 1 || len(ep.DnsEntries) != 2 || ep.State != "available" {
			half++
			t.Errorf("endpoint %s is half made: %+v", ep.VpcEndpointId, ep)
			continue
		}
		haveEP[ep.Tags[0].Value] = true
	}
	var enis struct {
		NetworkInterfaces []struct{ NetworkInterfaceId string }
	}
	e.json(consumer, &enis, "describe-network-interfaces")
	if len(enis.NetworkInterfaces) != len(eps.VpcEndpoints) {
		half++
		t.Errorf("%d network interfaces for %d endpoints", len(enis.NetworkInterfaces), len(eps.VpcEndpoints))
	}
	lost := 0
	for n := range wantEP {
		if !haveEP[n] {
			lost++
			t.Errorf("endpoint %s was reported created and is missing", n)
		}
	}
	for n := range wantTG {
		if haveTG[n] == "" {
			lost++
			t.Errorf("target group %s was reported created and is missing", n)
		}
	}
	for n := range wantSG {
		if !haveSG[n] {
			lost++
			t.Errorf("security group %s was reported created and is missing", n)
		}
	}
	for n, arn := range haveTG {
		if !strings.HasPrefix(n, "k") {
			continue
		}
		var tags struct {
			TagDescriptions []struct{ Tags []struct{ Key, Value string } }
		}
		e.json(provider, &tags, "describe-tags", "--resource-arns", arn)
		if len(tags.TagDescriptions) != 1 || len(tags.TagDescriptions[0].Tags) != 1 {
			half++
			t.Errorf("target group %s exists without its tag: %+v", n, tags)
		}
	}
	figures(t, "crash-writers", "kills", killed, "finished", finished, "succeeded", succeeded, "lost", lost,
		"half_made", half, "integrity", ok)
	if ierr != nil || ok != "ok" {
		t.Errorf("integrity_check: %q, %v", ok, ierr)
	}
	if killed < kills {
		t.Errorf("only %d of %d runs were killed before they ended (delays up to %v)", killed, attempts, span)
	}
}

// runAndKill starts plink with args and sends SIGKILL after delay unless
// it has exited; it returns the exit code and whether the kill landed.
func runAndKill(e *env, delay time.Duration, args ...string) (int, bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := command(ctx, args...)
	cmd.Env = e.environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting plink: %v", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode(), false
	case <-time.After(delay):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return -1, true
		}
		return cmd.ProcessState.ExitCode(), false
	}
}
