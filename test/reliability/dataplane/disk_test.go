package dataplane

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/plink-dev/plink/test/testenv"
)

// mountnsEnv marks a child test process running inside `unshare -m`.
const mountnsEnv = "PLINK_RELIABILITY_MOUNTNS"

// inMountNS makes the calling test run inside a mount namespace of its
// own (`unshare -m`, private propagation), where it may mount a small
// tmpfs without touching the host. In the parent it re-executes the test
// binary for this test only, relays the child's RELIABILITY line and
// result, and returns true: the caller returns at once. In the child it
// returns false. Without root or unshare it skips.
func inMountNS(t *testing.T) bool {
	t.Helper()
	if os.Getenv(mountnsEnv) != "" {
		return false
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs in a mount namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare is not installed")
	}
	name := strings.SplitN(t.Name(), "/", 2)[0]
	args := []string{"-m", "--propagation", "private", os.Args[0], "-test.run=^" + name + "$", "-test.count=1", "-test.v"}
	if *full {
		args = append(args, "-reliability.full")
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), mountnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	var rest []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "RELIABILITY ") {
			fmt.Println(line)
		} else {
			rest = append(rest, line)
		}
	}
	t.Logf("inside unshare -m:\n%s", strings.Join(rest, "\n"))
	switch {
	case strings.Contains(string(out), "--- SKIP: "+name):
		t.Skipf("%s skipped inside the mount namespace", name)
	case err != nil || !strings.Contains(string(out), "--- PASS: "+name):
		t.Fatalf("%s in a mount namespace: %v", name, err)
	}
	return true
}

// TestFullDisk puts the store on a 2 MB tmpfs and fills it while serve
// runs. Mutations then either succeed (and are kept) or fail with a clear
// error and change nothing; serve keeps carrying traffic and does not log
// the same error over and over; once space is freed, commands work again
// and the store passes integrity_check.
func TestFullDisk(t *testing.T) {
	if inMountNS(t) {
		return
	}
	e := newEnv(t)
	mnt := filepath.Join(e.dir, "disk")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=2m,mode=0700"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	e.db = filepath.Join(mnt, "plink.db")

	a, b := startTarget(t, "A"), startTarget(t, "B")
	svc := e.newService([]string{a.arg(), b.arg()}, false, "--health-check-interval-seconds", "5",
		"--health-check-timeout-seconds", "2", "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2")
	ep := e.createEndpoint(svc, 0)
	srv := e.serve(10 * time.Second)
	testenv.Eventually(t, 5*time.Second, func() error { _, err := oneShot(ep.Addr, "before"); return err })
	e.waitHealth(svc.TG, 20*time.Second, allHealthy([]*target{a, b}))

	filler := filepath.Join(mnt, "filler")
	if err := fill(filler); err != nil {
		t.Fatal(err)
	}
	// Mutations until the store cannot grow any more (SQLite may first
	// reuse space it already holds).
	var ok, failed []string
	var unclear []string
	desc := strings.Repeat("d", 200)
	for i := 0; i < 400 && len(failed) < 5; i++ {
		name := fmt.Sprintf("full-%d", i)
		_, errOut, err := e.run(consumer, "create-security-group", "--group-name", name, "--description", desc, "--vpc-id", e.cvpc)
		if err == nil {
			ok = append(ok, name)
			continue
		}
		failed = append(failed, name)
		low := strings.ToLower(errOut)
		if strings.Contains(low, "panic") || !(strings.Contains(low, "full") || strings.Contains(low, "space")) {
			unclear = append(unclear, strings.TrimSpace(errOut))
		}
	}
	if len(failed) == 0 {
		t.Fatalf("%d mutations succeeded on a full 2 MB disk", len(ok))
	}
	// Serve carries traffic on a full disk.
	served := 0
	for i := range 20 {
		if _, err := oneShot(ep.Addr, fmt.Sprintf("full-%d", i)); err == nil {
			served++
		}
	}
	// A health change serve cannot write: count its log lines over a
	// window.
	b.kill()
	healthMsg := "target=" + b.key() + " from=healthy to=unhealthy"
	testenv.Eventually(t, 20*time.Second, func() error {
		if !strings.Contains(srv.logs.String(), healthMsg) {
			return errors.New("serve has not seen B turn unhealthy")
		}
		return nil
	})
	before := len(srv.logs.String())
	const window = 3 * time.Second
	time.Sleep(window) // counting log lines over a window
	counts, worst := repeated(srv.logs.String()[before:])
	writeFailed := strings.Contains(srv.logs.String(), "writing target health")
	servedAfter := 0
	for i := range 10 {
		if _, err := oneShot(ep.Addr, fmt.Sprintf("after-kill-%d", i)); err == nil {
			servedAfter++
		}
	}

	// Free the space: commands work again, nothing was lost or half-done.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	e.plink(consumer, "create-security-group", "--group-name", "after-free", "--description", "d", "--vpc-id", e.cvpc)
	have := map[string]bool{}
	for _, g := range strings.Fields(e.text(consumer, "SecurityGroups[].GroupName", "describe-security-groups")) {
		have[g] = true
	}
	var lost, ghost []string
	for _, g := range ok {
		if !have[g] {
			lost = append(lost, g)
		}
	}
	for _, g := range failed {
		if have[g] {
			ghost = append(ghost, g)
		}
	}
	integrity := integrityCheck(t, e.db)
	e.waitHealth(svc.TG, 20*time.Second, map[string]string{b.key(): "unhealthy"})

	report(t, "limits-full-disk", "tmpfs", "2m", "mutations_ok", len(ok), "mutations_failed", len(failed),
		"unclear_errors", len(unclear), "lost", len(lost), "half_done", len(ghost), "integrity", integrity,
		"served_while_full", fmt.Sprintf("%d/20", served), "served_after_target_kill", fmt.Sprintf("%d/10", servedAfter),
		"health_write_failed", writeFailed, "log_lines_3s", counts, "max_same_line_3s", worst)
	if len(unclear) > 0 {
		t.Errorf("%d failed mutations without a clear disk-full error; e.g. %q", len(unclear), unclear[0])
	}
	if len(lost) > 0 || len(ghost) > 0 {
		t.Errorf("after freeing space: reported successes missing %v, reported failures present %v", lost, ghost)
	}
	if integrity != "ok" {
		t.Errorf("integrity_check: %s", integrity)
	}
	if served < 20 || servedAfter < 10 {
		t.Errorf("serve on a full disk carried %d/20 connections, %d/10 after a target died", served, servedAfter)
	}
	if worst > 6 {
		t.Errorf("serve logged the same message %d times in %v on a full disk (not rate-limited)", worst, window)
	}
}

// fill writes path until the file system is full.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, chunk := range []int{64 << 10, 4 << 10, 512, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if errors.Is(err, syscall.ENOSPC) {
					break
				}
				return err
			}
		}
	}
	return nil
}

var msgRE = regexp.MustCompile(`msg=("[^"]*"|\S+)`)

// repeated counts the log lines in logs and the most frequent message.
func repeated(logs string) (lines, worst int) {
	seen := map[string]int{}
	for _, line := range strings.Split(logs, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		lines++
		if m := msgRE.FindStringSubmatch(line); m != nil {
			seen[m[1]]++
			worst = max(worst, seen[m[1]])
		}
	}
	return lines, worst
}

// integrityCheck runs PRAGMA integrity_check on the store, read-only.
func integrityCheck(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		return err.Error()
	}
	return res
}
