// Package e2e holds end-to-end tests of `plink serve`: the data plane and
// the DNS server, driven through the built plink binary exactly as a user
// types it (a provider account 111111111111 and a consumer account
// 222222222222 in one store per test), with real TCP backends, real
// clients, dig, knotd and a network namespace for IPv6.
//
// The tests run serially on purpose: every store hands out the same default
// VPC blocks (127.16.0.0/16, 127.17.0.0/16, ...), so two stores served at
// once would fight over the same addresses.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
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

	// binEnv carries the built binary to re-executed children (network
	// namespace runs) so they do not build it again.
	binEnv = "PLINK_E2E_BIN"
	// netnsEnv marks a child test process running inside `unshare -n`.
	netnsEnv = "PLINK_E2E_NETNS"
)

// plinkBin is the binary built once by TestMain.
var plinkBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int { return testenv.WithPlink("plink-e2e-", binEnv, &plinkBin, m.Run) }

// env is one test's store and working directory.
type env struct {
	t   *testing.T
	dir string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return &env{t: t, dir: t.TempDir()}
}

// environ is the process environment of every plink run: the test's store,
// no config file, no inherited PLINK_* settings.
func (e *env) environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		// PLINK_LISTEN_MODE passes: scripts/test runs the tests in each
		// listen mode.
		if strings.HasPrefix(kv, "PLINK_") && !strings.HasPrefix(kv, binEnv+"=") && !strings.HasPrefix(kv, netnsEnv+"=") &&
			!strings.HasPrefix(kv, "PLINK_LISTEN_MODE=") {
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

// run runs plink as account and returns stdout, stderr and the error.
func (e *env) run(account string, args ...string) (string, string, error) {
	all := append([]string{"--account", account}, args...)
	cmd := exec.Command(plinkBin, all...)
	cmd.Env = e.environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// plink runs plink as account and fails the test unless it exits 0.
func (e *env) plink(account string, args ...string) string {
	e.t.Helper()
	out, errOut, err := e.run(account, args...)
	if err != nil {
		e.t.Fatalf("plink --account %s %s: %v\nstdout: %s\nstderr: %s", account, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// json runs plink and decodes its JSON output into v.
func (e *env) json(account string, v any, args ...string) {
	e.t.Helper()
	out := e.plink(account, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("plink %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// text runs plink with --query Q -o text and returns the trimmed output.
func (e *env) text(account, query string, args ...string) string {
	e.t.Helper()
	return strings.TrimSpace(e.plink(account, append(args, "--query", query, "-o", "text")...))
}

// readyInfo is the ready file of `plink serve`.
type readyInfo struct {
	PID       int   `json:"pid"`
	Revision  int64 `json:"revision"`
	Listeners []struct {
		Address      string `json:"address"`
		Endpoint     string `json:"endpoint"`
		LoadBalancer string `json:"load_balancer"`
		Kind         string `json:"kind"`
	} `json:"listeners"`
	DNS    []string `json:"dns"`
	Errors []string `json:"errors"`
}

// hasListener says whether addr (host:port) is among the listeners.
func (r readyInfo) hasListener(addr string) bool {
	for _, l := range r.Listeners {
		if l.Address == addr {
			return true
		}
	}
	return false
}

// server is a running `plink serve`.
type server struct {
	t     *testing.T
	cmd   *exec.Cmd
	ready string
	logs  *testenv.SyncBuffer
	done  chan struct{}
	err   error // valid after done
}

// serve starts `plink serve` with a ready file, DNS on an extra listener
// 127.0.0.1:0 and no VPC resolver listeners unless args say otherwise
// (later flags win), and waits for the ready file. It is stopped with
// SIGTERM when the test ends.
func (e *env) serve(args ...string) *server {
	e.t.Helper()
	ready := filepath.Join(e.dir, fmt.Sprintf("ready-%d.json", time.Now().UnixNano()))
	all := append([]string{"serve", "--ready-file", ready, "--dns-port", "0", "--dns-addr", "127.0.0.1:0",
		"--grace", "5s", "--log-level", "debug"}, args...)
	cmd := exec.Command(plinkBin, all...)
	cmd.Env = e.environ()
	s := &server{t: e.t, cmd: cmd, ready: ready, logs: &testenv.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting plink serve: %v", err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	e.t.Cleanup(func() {
		s.stop()
		if e.t.Failed() {
			e.t.Logf("plink serve output:\n%s", s.logs.String())
		}
	})
	testenv.Eventually(e.t, 10*time.Second, func() error {
		select {
		case <-s.done:
			return fmt.Errorf("plink serve exited: %v\n%s", s.err, s.logs.String())
		default:
		}
		_, err := s.info()
		return err
	})
	return s
}

// info reads the ready file.
func (s *server) info() (readyInfo, error) {
	var r readyInfo
	b, err := os.ReadFile(s.ready)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("ready file: %w", err)
	}
	return r, nil
}

// mustInfo reads the ready file or fails.
func (s *server) mustInfo() readyInfo {
	s.t.Helper()
	r, err := s.info()
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// dnsAddr is the extra DNS listener (udp 127.0.0.1:port) as host:port.
func (s *server) dnsAddr() string {
	s.t.Helper()
	for _, a := range s.mustInfo().DNS {
		if hp, ok := strings.CutPrefix(a, "udp 127.0.0.1:"); ok {
			return "127.0.0.1:" + hp
		}
	}
	s.t.Fatalf("no DNS listener on 127.0.0.1 in the ready file: %+v", s.mustInfo().DNS)
	return ""
}

// signal sends sig to serve.
func (s *server) signal(sig os.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v to plink serve: %v", sig, err)
	}
}

// wait waits up to d for serve to exit and returns its exit error.
func (s *server) wait(d time.Duration) (error, bool) {
	select {
	case <-s.done:
		return s.err, true
	case <-time.After(d):
		return nil, false
	}
}

// stop ends serve: SIGTERM, then SIGKILL if it has not exited in 15 s.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	if _, ok := s.wait(15 * time.Second); !ok {
		s.t.Errorf("plink serve did not exit 15 s after SIGTERM; killing it")
		s.cmd.Process.Kill()
		<-s.done
	}
}

// client is one connection through plink to a test backend.
type client struct {
	net.Conn
	r *bufio.Reader
}

// dialFrom connects from src (any port) to dst with a short timeout.
func dialFrom(src netip.Addr, dst string) (*client, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	if src.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	c, err := d.Dial("tcp", dst)
	if err != nil {
		return nil, err
	}
	return &client{Conn: c, r: bufio.NewReader(c)}, nil
}

// greeting reads the backend's first line: "<name> <peer>".
func (c *client) greeting() (name, peer string, err error) {
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", "", fmt.Errorf("reading the greeting: %w (got %q)", err, line)
	}
	name, peer, _ = strings.Cut(strings.TrimSpace(line), " ")
	return name, peer, nil
}

// echo sends msg and expects it back.
func (c *client) echo(msg string) error {
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", msg); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the echo: %w", err)
	}
	if got := strings.TrimSpace(line); got != msg {
		return fmt.Errorf("echo %q, want %q", got, msg)
	}
	return nil
}

// greeted dials dst from lo until the target's greeting arrives through
// it (serve may still be binding), and returns the open connection.
func greeted(t *testing.T, dst string) *client {
	t.Helper()
	var c *client
	testenv.Eventually(t, liveWait, func() error {
		var err error
		if c, err = dialFrom(lo, dst); err != nil {
			return err
		}
		if _, _, err = c.greeting(); err != nil {
			c.Close()
		}
		return err
	})
	return c
}

// roundTrip connects from src to dst, reads the greeting, checks an echo
// and returns the backend's name and the peer it saw.
func roundTrip(src netip.Addr, dst string) (name, peer string, err error) {
	c, err := dialFrom(src, dst)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	if name, peer, err = c.greeting(); err != nil {
		return "", "", err
	}
	if err := c.echo("ping " + c.LocalAddr().String()); err != nil {
		return "", "", err
	}
	return name, peer, nil
}

// refused says whether a connection to dst is not served: refused, reset,
// or closed before any greeting.
func refused(src netip.Addr, dst string) error {
	c, err := dialFrom(src, dst)
	if err != nil {
		return nil
	}
	defer c.Close()
	if _, _, err := c.greeting(); err != nil && !isTimeout(err) {
		return nil
	}
	return fmt.Errorf("%s still serves connections", dst)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

var lo = netip.MustParseAddr("127.0.0.1")
