package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// plinkCmd is the plink binary (this test binary) on the store db.
func plinkCmd(t *testing.T, dir, db string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"--db", db}, args...)...)
	cmd.Env = append(cleanEnv(), runAsPlink+"=1", "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
	return cmd
}

// interruptAfter starts cmd, waits for a line of out containing sign (the
// command is running, past its signal handler's setup), sends SIGINT and
// returns the exit code.
func interruptAfter(t *testing.T, cmd *exec.Cmd, out io.Reader, sign string) int {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if strings.Contains(sc.Text(), sign) {
			break
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("SIGINT: %v; output:\n%s", err, strings.Join(seen, "\n"))
	}
	go io.Copy(io.Discard, out)
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("%v", err)
	return -1
}

// get -w is a watch: Ctrl-C is how it ends, so it exits 0. wait is waiting
// for a condition that did not come: Ctrl-C interrupts it, 130.
func TestWatchAndWaitInterrupt(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "plink.db")
	vpc, err := plinkCmd(t, dir, db, "describe-vpcs", "--query", "Vpcs[0].VpcId", "--output", "text").Output()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := plinkCmd(t, dir, db, "create-target-group", "--name", "web", "--protocol", "TCP", "--port", "80",
		"--vpc-id", strings.TrimSpace(string(vpc)), "--target-type", "ip").CombinedOutput(); err != nil {
		t.Fatalf("create-target-group: %v\n%s", err, out)
	}

	get := plinkCmd(t, dir, db, "get", "vpcs", "-w")
	out, err := get.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if code := interruptAfter(t, get, out, "available"); code != 0 {
		t.Errorf("get -w stopped by SIGINT: exit %d, want 0", code)
	}

	wait := plinkCmd(t, dir, db, "--debug", "wait", "target-healthy", "web")
	errOut, err := wait.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if code := interruptAfter(t, wait, errOut, "store open"); code != 130 {
		t.Errorf("wait stopped by SIGINT: exit %d, want 130", code)
	}
}
