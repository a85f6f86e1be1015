// Package api tests plink's AWS wire protocol with real clients that no one
// here wrote: the AWS SDK for Go v2, the AWS CLI and boto3. Every test
// builds the plink binary, starts `plink serve --api-addr 127.0.0.1:0` on
// a fresh store and drives the provider (111111111111) and consumer
// (222222222222) story through the client, then moves bytes through the
// endpoint it created.
//
// The tests run serially: every store hands out the same default VPC
// blocks, so two stores served at once would fight over the addresses.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plink-dev/plink/test/testenv"
)

const (
	provider = "111111111111"
	consumer = "222222222222"
	region   = "us-east-1"
)

// plinkBin is the binary built once by TestMain.
var plinkBin string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int { return testenv.WithPlink("plink-api-", "", &plinkBin, m.Run) }

// env is one test's store and working directory.
type env struct {
	t   *testing.T
	dir string
}

func newEnv(t *testing.T) *env { return &env{t: t, dir: t.TempDir()} }

// environ is the environment of every plink run: the test's store, no
// config file, no inherited PLINK_* or AWS_* settings.
func (e *env) environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PLINK_") || strings.HasPrefix(kv, "AWS_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out,
		"PLINK_DB="+filepath.Join(e.dir, "plink.db"),
		"HOME="+e.dir,
		"XDG_CONFIG_HOME="+filepath.Join(e.dir, ".config"),
		"XDG_STATE_HOME="+filepath.Join(e.dir, ".state"),
	)
}

// server is a running `plink serve --api-addr`.
type server struct {
	API string // host:port of the AWS API
	DNS string // host:port of the extra DNS listener (udp)
}

// readyInfo is the part of serve's ready file these tests read.
type readyInfo struct {
	API string   `json:"api"`
	DNS []string `json:"dns"`
}

// start runs plink with args (a --ready-file among them), stops it with
// SIGTERM when the test ends, and waits until the ready file decodes into
// info and ok(info) is nil.
func (e *env) start(ready string, info any, ok func() error, args ...string) {
	e.t.Helper()
	cmd := exec.Command(plinkBin, args...)
	cmd.Env = e.environ()
	logs := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting plink %s: %v", args[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	e.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			e.t.Errorf("plink %s did not exit 15 s after SIGTERM; killing it", args[0])
			cmd.Process.Kill()
			<-done
		}
		if e.t.Failed() {
			e.t.Logf("plink %s output (the last 80 lines):\n%s", args[0], lastLines(logs.String(), 80))
		}
	})
	testenv.Eventually(e.t, 20*time.Second, func() error {
		select {
		case err := <-done:
			done <- err
			e.t.Fatalf("plink %s exited before it was ready: %v\n%s", args[0], err, lastLines(logs.String(), 20))
		default:
		}
		b, err := os.ReadFile(ready)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, info); err != nil {
			return fmt.Errorf("ready file: %w", err)
		}
		return ok()
	})
}

// serve starts `plink serve` with DNS on an extra listener 127.0.0.1:0
// and, with api, `--api-addr 127.0.0.1:0`; it waits for the ready file
// (and its "api" address when asked for).
func (e *env) serve(api bool, args ...string) *server {
	e.t.Helper()
	ready := filepath.Join(e.dir, fmt.Sprintf("ready-%d.json", time.Now().UnixNano()))
	all := append([]string{"serve", "--ready-file", ready, "--dns-port", "0", "--dns-addr", "127.0.0.1:0",
		"--grace", "5s", "--log-level", "debug"}, args...)
	if api {
		all = append(all, "--api-addr", "127.0.0.1:0")
	}
	var info readyInfo
	e.start(ready, &info, func() error {
		if api && info.API == "" {
			return errors.New("serve's ready file has no \"api\" address yet")
		}
		return nil
	}, all...)
	s := &server{API: info.API}
	for _, a := range info.DNS {
		if hp, ok := strings.CutPrefix(a, "udp 127.0.0.1:"); ok {
			s.DNS = "127.0.0.1:" + hp
		}
	}
	return s
}

// api starts `plink api --addr 127.0.0.1:0` alone and returns its address.
func (e *env) api(args ...string) string {
	e.t.Helper()
	ready := filepath.Join(e.dir, fmt.Sprintf("api-ready-%d.json", time.Now().UnixNano()))
	var info readyInfo
	e.start(ready, &info, func() error {
		if info.API == "" {
			return errors.New("api's ready file has no \"api\" address")
		}
		return nil
	}, append([]string{"api", "--addr", "127.0.0.1:0", "--ready-file", ready}, args...)...)
	return info.API
}

// plinkBackend runs `plink backend` (an HTTP server answering JSON with
// its name, the peer and the path) on a free loopback port.
func (e *env) plinkBackend(name string) netip.AddrPort {
	e.t.Helper()
	ready := filepath.Join(e.dir, "backend-"+name+".json")
	cmd := exec.Command(plinkBin, "backend", "--listen", "127.0.0.1:0", "--name", name, "--ready-file", ready)
	cmd.Env = e.environ()
	logs := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	e.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	var info struct{ Address string }
	testenv.Eventually(e.t, 10*time.Second, func() error {
		b, err := os.ReadFile(ready)
		if err != nil {
			return fmt.Errorf("%w\n%s", err, logs.String())
		}
		return json.Unmarshal(b, &info)
	})
	return netip.MustParseAddrPort(info.Address)
}

// backendReply is what `plink backend` answers.
type backendReply struct {
	Backend string `json:"backend"`
	Peer    string `json:"peer"`
	Path    string `json:"path"`
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
