// Package testenv holds what the end-to-end test packages (test/api,
// test/e2e, test/reliability/...) share: building the plink binary once,
// waiting for a condition, a free loopback port and a buffer a child
// process may write from its own goroutine. Only tests import it.
package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ModuleRoot is the directory of the go.mod the tests run in.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// BuildPlink builds ./cmd/plink into dir and returns the binary's path.
func BuildPlink(dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "plink")
	build := exec.Command("go", "build", "-o", bin, "./cmd/plink")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/plink: %v\n%s", err, out)
	}
	return bin, nil
}

// WithPlink is a TestMain's body: it sets *bin to a plink built into a
// temporary folder (prefix starts its name), runs run, and removes the
// folder. With env not "", a binary the environment names there (a test
// binary re-executed as a child) is used instead, and a built one is put
// there for children.
func WithPlink(prefix, env string, bin *string, run func() int) int {
	if env != "" {
		if b := os.Getenv(env); b != "" {
			*bin = b
			return run()
		}
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = BuildPlink(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if env != "" {
		os.Setenv(env, *bin)
	}
	return run()
}

// Poll calls f until it returns nil or d has passed, and returns f's last
// error.
func Poll(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Eventually calls f until it returns nil or d has passed, then fails the
// test with f's last error.
func Eventually(t *testing.T, d time.Duration, f func() error) {
	t.Helper()
	if err := Poll(d, f); err != nil {
		t.Fatalf("not within %v: %v", d, err)
	}
}

// FreePort is a port free on 127.0.0.1 for both TCP and UDP (a DNS
// listener takes both), at the time of asking.
func FreePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		ln.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free TCP+UDP port on 127.0.0.1")
	return 0
}

// SyncBuffer collects a child's output from its copying goroutine.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
