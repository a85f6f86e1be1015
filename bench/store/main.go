// Command store compares plink's two store backends, SQLite and
// PostgreSQL, where a user feels the difference:
//
//   - propagation: a commit made by another process (this one, through
//     internal/store) until a running `plink serve` on the same store has
//     applied it (its ready file shows the new revision), p50/p99 over
//     -changes commits. On SQLite serve polls the revision every 50 ms; on
//     PostgreSQL it LISTENs and the commit sends NOTIFY.
//   - CLI latency: one single-resource command as a user runs it (one
//     `plink` process per command: start, open the store, one transaction,
//     print), create-tags and describe-vpcs on one VPC, -cli runs each,
//     interleaved across backends.
//
// PostgreSQL is a throwaway cluster this command starts (initdb + pg_ctl
// in a temp dir, Unix socket only, default durability: fsync on) and
// removes; the SQLite store is a file in a temp dir. Loopback only.
//
//	go run ./bench/store [-changes 100] [-cli 30] [-plink path]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/plink-dev/plink/internal/store"
	"github.com/plink-dev/plink/internal/store/storetest"
)

const account = "111111111111"

func main() {
	changes := flag.Int("changes", 100, "commits whose propagation to serve is timed, per backend")
	cliRuns := flag.Int("cli", 30, "runs of each CLI command per backend")
	plink := flag.String("plink", "", "a built plink (default: go build ./cmd/plink)")
	flag.Parse()
	// The cluster is removed on the way out, also after Ctrl-C or a
	// closed pipe (| head), which would otherwise kill the process first.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *changes, *cliRuns, *plink); err != nil {
		stop()
		log.Fatal(err)
	}
}

type backend struct {
	name string
	db   string // --db
}

func run(ctx context.Context, changes, cliRuns int, plink string) error {
	work, err := os.MkdirTemp("", "plink-bench-store-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if plink == "" {
		plink = filepath.Join(work, "plink")
		if out, err := exec.Command("go", "build", "-o", plink, "./cmd/plink").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	cluster, err := storetest.StartCluster(storetest.Durable)
	if err != nil {
		return err
	}
	defer cluster.Remove()
	pgURL, err := cluster.EmptyDB()
	if err != nil {
		return err
	}
	backends := []backend{{"sqlite", filepath.Join(work, "plink.db")}, {"postgres", pgURL}}
	env := append(os.Environ(), "HOME="+work, "XDG_STATE_HOME="+work+"/state", "XDG_CONFIG_HOME="+work+"/config",
		"PLINK_ACCOUNT="+account, "PLINK_REGION=us-east-1", "PLINK_PROFILE=", "PLINK_CONFIG=")

	fmt.Printf("propagation: commit -> applied by plink serve (%d changes)\n", changes)
	fmt.Printf("%-9s %8s %8s %8s %8s\n", "backend", "p50", "p90", "p99", "max")
	for _, b := range backends {
		d, err := propagation(ctx, b, plink, env, work, changes)
		if err != nil {
			return fmt.Errorf("%s: %w", b.name, err)
		}
		fmt.Printf("%-9s %8s %8s %8s %8s\n", b.name, pct(d, 50), pct(d, 90), pct(d, 99), pct(d, 100))
	}

	fmt.Printf("\nCLI: one plink process per command (%d runs each, interleaved)\n", cliRuns)
	fmt.Printf("%-9s %-14s %8s %8s %8s\n", "backend", "command", "p50", "p90", "max")
	vpcs := map[string]string{}
	for _, b := range backends {
		out, err := plinkRun(plink, env, "--db", b.db, "ec2", "describe-vpcs", "--query", "Vpcs[0].VpcId", "--output", "text")
		if err != nil {
			return err
		}
		vpcs[b.name] = strings.TrimSpace(out)
	}
	times := map[string][]time.Duration{}
	for i := 0; i < cliRuns && ctx.Err() == nil; i++ {
		for _, b := range backends {
			for _, c := range []struct {
				name string
				args []string
			}{
				{"create-tags", []string{"ec2", "create-tags", "--resources", vpcs[b.name], "--tags", fmt.Sprintf("Key=k,Value=%d", i)}},
				{"describe-vpcs", []string{"ec2", "describe-vpcs", "--vpc-ids", vpcs[b.name]}},
			} {
				start := time.Now()
				if _, err := plinkRun(plink, env, append([]string{"--db", b.db}, c.args...)...); err != nil {
					return err
				}
				times[b.name+" "+c.name] = append(times[b.name+" "+c.name], time.Since(start))
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, b := range backends {
		for _, c := range []string{"create-tags", "describe-vpcs"} {
			d := times[b.name+" "+c]
			fmt.Printf("%-9s %-14s %8s %8s %8s\n", b.name, c, pct(d, 50), pct(d, 90), pct(d, 100))
		}
	}
	return nil
}

// propagation starts plink serve on b's store and times n commits made
// through another Store of the same database until serve's ready file
// shows their revision.
func propagation(ctx context.Context, b backend, plink string, env []string, work string, n int) ([]time.Duration, error) {
	st, err := store.Open(ctx, b.db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ready := filepath.Join(work, b.name+".ready")
	serve := exec.Command(plink, "--db", b.db, "serve", "--no-dns", "--log-level", "error", "--ready-file", ready)
	serve.Env = env
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		return nil, err
	}
	defer func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}()
	if _, err := waitRevision(ready, 0, time.Minute); err != nil {
		return nil, err
	}
	var out []time.Duration
	for i := 0; i < n && ctx.Err() == nil; i++ {
		var rev int64
		err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.InsertEvent(store.Event{Time: "2026-01-01T00:00:00.000Z", Account: account, Type: "Bench", ResourceID: fmt.Sprint(i)})
		})
		if err == nil {
			rev, err = st.Revision(ctx)
		}
		if err != nil {
			return nil, err
		}
		start := time.Now()
		if _, err := waitRevision(ready, rev, 10*time.Second); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Commits arrive at no particular phase of serve's poll.
		time.Sleep(time.Duration(7+i%13) * time.Millisecond)
	}
	return out, nil
}

// waitRevision polls the ready file every 0.5 ms until its revision is at
// least rev, for up to limit.
func waitRevision(path string, rev int64, limit time.Duration) (int64, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			var info struct {
				Revision int64 `json:"revision"`
			}
			if json.Unmarshal(b, &info) == nil && info.Revision >= rev && len(b) > 0 {
				return info.Revision, nil
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	return 0, fmt.Errorf("%s: revision %d not applied within %v", path, rev, limit)
}

func plinkRun(plink string, env []string, args ...string) (string, error) {
	cmd := exec.Command(plink, args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("plink %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return "", err
	}
	return string(out), nil
}

// pct is the p-th percentile of d (nearest rank), in milliseconds.
func pct(d []time.Duration, p int) string {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	i = min(max(i-1, 0), len(s)-1)
	return fmt.Sprintf("%.1fms", float64(s[i].Microseconds())/1000)
}
