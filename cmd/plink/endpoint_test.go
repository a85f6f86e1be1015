package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEndpointURL runs AWS commands through `plink api` with
// --endpoint-url and the same commands on the store directly: the same
// store, the same answers, the same errors and exit codes.
func TestEndpointURL(t *testing.T) {
	bin, err := exec.LookPath("plink")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "plink.db")
	r := plinkRun{bin: bin, home: dir}
	ready := filepath.Join(dir, "ready.json")
	// A role's key with a secret: the server verifies its signatures.
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(`credentials:
  - access-key-id: AKIAOPS
    account: "111111111111"
    principal: arn:aws:iam::111111111111:role/ops
    secret-access-key: s3cret
`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := exec.Command(bin, "--config", cfgFile, "--db", db, "--account", "111111111111", "api", "--addr", "127.0.0.1:0", "--ready-file", ready)
	srv.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir, "PLINK_DB=", "PLINK_ACCOUNT=", "PLINK_CONFIG=")
	var logs strings.Builder
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			srv.Process.Kill()
			<-done
		}
	})
	var info struct {
		API string `json:"api"`
	}
	for deadline := time.Now().Add(20 * time.Second); info.API == ""; {
		select {
		case err := <-done:
			t.Fatalf("plink api exited: %v\n%s", err, logs.String())
		default:
		}
		if b, err := os.ReadFile(ready); err == nil {
			json.Unmarshal(b, &info)
		}
		if time.Now().After(deadline) {
			t.Fatalf("plink api not ready\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond) // polling the ready file, as test/api does
	}
	url := "http://" + info.API
	local := func(args ...string) (string, string, int) {
		return r.run(t, append([]string{"--config", cfgFile, "--db", db, "--account", "111111111111"}, args...)...)
	}
	remote := func(args ...string) (string, string, int) {
		return r.run(t, append([]string{"--config", cfgFile, "--endpoint-url", url, "--account", "111111111111"}, args...)...)
	}
	must := func(out, errOut string, code int) string {
		t.Helper()
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		return strings.TrimSpace(out)
	}
	same := func(args ...string) string {
		t.Helper()
		lo, le, lc := local(args...)
		ro, re, rc := remote(args...)
		if lo != ro || le != re || lc != rc {
			t.Errorf("%v: local and remote differ:\nlocal (exit %d):\n%s%s\nremote (exit %d):\n%s%s", args, lc, lo, le, rc, ro, re)
		}
		return lo
	}

	must(local("ec2", "create-vpc", "--cidr-block", "127.80.0.0/16"))
	vpc := must(remote("ec2", "create-vpc", "--cidr-block", "127.81.0.0/16", "--tag-specifications",
		`{"ResourceType":"vpc","Tags":[{"Key":"team","Value":"a"}]}`, "--query", "Vpc.VpcId", "--output", "text"))
	same("ec2", "describe-vpcs")
	same("ec2", "describe-vpcs", "--output", "table")
	same("ec2", "describe-vpcs", "--filters", "Name=tag:team,Values=a", "--query", "Vpcs[].VpcId", "--output", "text")
	same("ec2", "describe-vpcs", "--max-items", "1")
	same("ec2", "describe-vpcs", "--page-size", "1")
	same("sts", "get-caller-identity")
	// A principal signs with its key and secret from the config file (the
	// server checks the signature); one without a key is refused (253).
	arn := same("--principal", "arn:aws:iam::111111111111:role/ops", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if !strings.Contains(arn, "role/ops") {
		t.Errorf("role's identity: %q", arn)
	}
	wrong := filepath.Join(dir, "wrong.yaml")
	if err := os.WriteFile(wrong, []byte(`credentials:
  - access-key-id: AKIAOPS
    account: "111111111111"
    principal: arn:aws:iam::111111111111:role/ops
    secret-access-key: not-the-secret
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := r.run(t, "--config", wrong, "--endpoint-url", url, "--account", "111111111111",
		"--principal", "arn:aws:iam::111111111111:role/ops", "sts", "get-caller-identity"); code != 254 || !strings.Contains(errOut, "SignatureDoesNotMatch") {
		t.Errorf("a wrong secret: exit %d, %s", code, errOut)
	}
	if _, errOut, code := remote("--principal", "arn:aws:iam::111111111111:role/other", "sts", "get-caller-identity"); code != 253 || !strings.Contains(errOut, "no credential") {
		t.Errorf("a principal without a key: exit %d, %s", code, errOut)
	}

	sub := must(remote("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "127.81.0.0/20", "--query", "Subnet.SubnetId", "--output", "text"))
	nlb := must(remote("elbv2", "create-load-balancer", "--name", "nlb", "--type", "network", "--scheme", "internal",
		"--subnets", sub, "--query", "LoadBalancers[0].LoadBalancerArn", "--output", "text"))
	same("elbv2", "describe-load-balancers")
	svc := must(remote("ec2", "create-vpc-endpoint-service-configuration", "--network-load-balancer-arns", nlb,
		"--query", "ServiceConfiguration.ServiceId", "--output", "text"))
	if !strings.HasPrefix(svc, "vpce-svc-") {
		t.Errorf("service id %q", svc)
	}
	same("ec2", "describe-vpc-endpoint-service-configurations")

	// Errors: the same code, message and exit code (254).
	if _, errOut, code := remote("ec2", "delete-vpc", "--vpc-id", "vpc-0123456789abcdef0"); code != 254 || !strings.Contains(errOut, "InvalidVpcID.NotFound") {
		t.Errorf("delete-vpc of no VPC: exit %d, %s", code, errOut)
	}
	same("ec2", "delete-vpc", "--vpc-id", "vpc-0123456789abcdef0")
	same("ec2", "create-vpc", "--cidr-block", "127.82.0.0/16", "--dry-run")
	same("elbv2", "describe-load-balancers", "--names", "none")

	// AWS_ENDPOINT_URL is the fallback of --endpoint-url: with it, a
	// command on another store answers from the server's.
	count := func(db string) string {
		t.Helper()
		return must(r.run(t, "--account", "111111111111", "--db", db, "ec2", "describe-vpcs", "--query", "length(Vpcs)", "--output", "text"))
	}
	want, other := count(db), count(filepath.Join(dir, "other.db"))
	if want == other {
		t.Fatalf("both stores have %s VPCs", want)
	}
	t.Setenv("AWS_ENDPOINT_URL", url)
	if got := count(filepath.Join(dir, "other.db")); got != want {
		t.Errorf("AWS_ENDPOINT_URL: %s VPCs, want the server's %s", got, want)
	}
	os.Unsetenv("AWS_ENDPOINT_URL")

	// Commands that act on the store refuse --endpoint-url (usage, 252).
	if _, errOut, code := remote("events"); code != 252 || !strings.Contains(errOut, "only the AWS commands") {
		t.Errorf("events --endpoint-url: exit %d, %s", code, errOut)
	}
}
