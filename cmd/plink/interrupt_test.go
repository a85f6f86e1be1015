package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/store"
)

// TestInterruptExits130 sends SIGINT to a plink command blocked on the store
// (this test holds the store's write lock) and expects the AWS CLI's exit
// code for an interrupted command, 130, with the store untouched. The
// command's --debug line announcing the call is the sign that it has
// reached the store; a signal that comes before it blocks still
// interrupts it.
func TestInterruptExits130(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "plink.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	locked, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		held <- st.Write(ctx, func(*store.Tx) error {
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	unlock := func() {
		if release != nil {
			close(release)
			release = nil
			if err := <-held; err != nil {
				t.Errorf("the test's own write: %v", err)
			}
		}
	}
	defer unlock()

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "--debug", "--db", db, "ec2", "create-vpc", "--cidr-block", "10.1.0.0/16")
	cmd.Env = append(cleanEnv(), runAsPlink+"=1", "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log = append(log, sc.Text())
		if strings.Contains(sc.Text(), "msg=call ") && strings.Contains(sc.Text(), "operation=CreateVpc") {
			break
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("SIGINT: %v; stderr:\n%s", err, strings.Join(log, "\n"))
	}
	for sc.Scan() {
		log = append(log, sc.Text())
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("plink interrupted by SIGINT: %v, want exit status 130; stderr:\n%s", err, strings.Join(log, "\n"))
	}
	unlock()
	var n int
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM vpcs").Scan(&n); err != nil || n != 0 {
		t.Errorf("after the interrupted create-vpc the store holds %d VPCs (%v), want 0", n, err)
	}
}

// cleanEnv is the environment without plink's and the AWS CLI's settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLINK_") && !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "XDG_") {
			env = append(env, kv)
		}
	}
	return env
}
