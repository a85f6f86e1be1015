// Package control proves the store, the control plane and the edges of
// `plink serve` hold against many writers, kill -9, a hostile account and
// malformed input. Every test builds nothing itself: TestMain builds the
// plink binary once and the tests exec it exactly as a user or a CI script
// does, against a store of their own in a temporary directory.
//
// The default form is bounded for CI (a few writers, a few kills); the full
// figures of RELIABILITY.md run with -reliability.full. Each test prints
// its figures in one line starting with "RELIABILITY " that
// scripts/reliability collects.
//
// Every child runs under a context timeout (a hang is a failure) and an
// address-space cap (prlimit --as), so a parser that allocates without
// limit fails fast instead of taking the host down.
package control

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/plink-dev/plink/test/testenv"
)

var full = flag.Bool("reliability.full", false, "run the full figures of RELIABILITY.md instead of the bounded CI form")

const (
	provider = "111111111111"
	consumer = "222222222222"
	intruder = "333333333333"
	// consumer2 is a second consumer for the writers.
	consumer2 = "444444444444"

	// binEnv carries the built binary to re-executed children (network
	// namespace runs) so they do not build it again.
	binEnv = "PLINK_RELIABILITY_BIN"
	// netnsEnv marks a child test process running inside `unshare -n`.
	netnsEnv = "PLINK_RELIABILITY_NETNS"

	// memCap is the address-space limit of every plink child: far above
	// what any command needs, far below what hurts the host.
	memCap = 2 << 30
	// runTimeout bounds one CLI command; a hang is a failure.
	runTimeout = 30 * time.Second
)

// plinkBin is the binary built once by TestMain.
var plinkBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	return testenv.WithPlink("plink-reliability-", binEnv, &plinkBin, m.Run)
}

// figures prints one parseable line of a test's figures, e.g.
// "RELIABILITY writers procs=16 mutations=3200 lost=0 locked=0".
func figures(t *testing.T, name string, kv ...any) {
	t.Helper()
	var b strings.Builder
	b.WriteString("RELIABILITY " + name)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	if *full {
		b.WriteString(" form=full")
	} else {
		b.WriteString(" form=ci")
	}
	// Straight to stdout, not t.Log: the line starts at column 0 for
	// scripts/reliability to grep, and prints whether the test passes or
	// fails.
	fmt.Println(b.String())
}

// scale picks the CI figure or, with -reliability.full, the full one.
func scale(ci, all int) int {
	if *full {
		return all
	}
	return ci
}

// env is one test's store and working directory.
type env struct {
	t     *testing.T
	dir   string
	db    string
	extra []string // more environment, KEY=VALUE
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	return &env{t: t, dir: dir, db: filepath.Join(dir, "plink.db")}
}

// environ is the process environment of every plink run: the test's store,
// no config file, no inherited PLINK_* settings.
func (e *env) environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PLINK_") && !strings.HasPrefix(kv, binEnv+"=") && !strings.HasPrefix(kv, netnsEnv+"=") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, e.extra...)
	return append(out,
		"PLINK_DB="+e.db,
		"HOME="+e.dir,
		"XDG_CONFIG_HOME="+filepath.Join(e.dir, ".config"),
		"XDG_STATE_HOME="+filepath.Join(e.dir, ".state"),
	)
}

// result is one finished plink run.
type result struct {
	args     []string
	stdout   string
	stderr   string
	code     int  // exit code; -1 when killed by a signal
	timedOut bool // killed by the run's deadline
	dur      time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("plink %s: exit %d after %v (timed out: %v)\nstdout: %s\nstderr: %s",
		shellQuote(r.args), r.code, r.dur.Round(time.Millisecond), r.timedOut, clip(r.stdout), clip(r.stderr))
}

// clip keeps failure messages readable when a value is a megabyte.
func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

func shellQuote(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		a = clip(a)
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`{}[]*?;&|<>()#~!") {
			b.WriteString(a)
			continue
		}
		fmt.Fprintf(&b, "%q", a)
	}
	return b.String()
}

// command builds the capped child: prlimit --as caps its address space (a
// shell's ulimit -v when prlimit is missing).
func command(ctx context.Context, args ...string) *exec.Cmd {
	if p, err := exec.LookPath("prlimit"); err == nil {
		return exec.CommandContext(ctx, p, append([]string{fmt.Sprintf("--as=%d", memCap), "--", plinkBin}, args...)...)
	}
	return exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, memCap>>10), plinkBin}, args...)...)
}

// runCtx runs plink with args (account flags included by the caller).
func (e *env) runCtx(ctx context.Context, args ...string) result {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := command(ctx, args...)
	cmd.Env = e.environ()
	cmd.Dir = e.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String(), dur: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code = -1
		r.stderr += "\n(exec: " + err.Error() + ")"
	}
	r.timedOut = ctx.Err() != nil
	return r
}

// as runs plink as account.
func (e *env) as(account string, args ...string) result {
	return e.runCtx(context.Background(), append([]string{"--account", account}, args...)...)
}

// plink runs plink as account and fails the test unless it exits 0.
func (e *env) plink(account string, args ...string) string {
	e.t.Helper()
	r := e.as(account, args...)
	if r.code != 0 || r.timedOut {
		e.t.Fatalf("%s", r)
	}
	return r.stdout
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

// openDB opens the store with database/sql for reading (no migrations, no
// plink code in the way).
func openDB(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
}

// storeHash hashes every row of every table of the store, sorted, so two
// stores with the same content hash the same whatever their WAL and page
// layout. Reading through SQLite sees committed WAL frames, which a file
// checksum would not.
func storeHash(path string) (string, error) {
	db, err := openDB(path)
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	h := sha256.New()
	var uv int64
	if err := db.QueryRow("PRAGMA user_version").Scan(&uv); err != nil {
		return "", err
	}
	fmt.Fprintf(h, "user_version %d\n", uv)
	for _, tb := range tables {
		lines, err := tableRows(db, tb)
		if err != nil {
			return "", fmt.Errorf("table %s: %w", tb, err)
		}
		sort.Strings(lines)
		fmt.Fprintf(h, "table %s %d\n", tb, len(lines))
		for _, l := range lines {
			h.Write([]byte(l))
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// tableRows renders every row of a table, one string each.
func tableRows(db *sql.DB, table string) ([]string, error) {
	r, err := db.Query(`SELECT * FROM "` + strings.ReplaceAll(table, `"`, `""`) + `"`)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cols, err := r.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for r.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, v := range vals {
			fmt.Fprintf(&b, "%q,", v)
		}
		b.WriteByte('\n')
		out = append(out, b.String())
	}
	return out, r.Err()
}

// mustHash is storeHash or a fatal error.
func (e *env) mustHash() string {
	e.t.Helper()
	h, err := storeHash(e.db)
	if err != nil {
		e.t.Fatalf("hashing the store: %v", err)
	}
	return h
}

// integrity runs PRAGMA integrity_check and returns its first line.
func integrity(path string) (string, error) {
	db, err := openDB(path)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var s string
	err = db.QueryRow("PRAGMA integrity_check").Scan(&s)
	return s, err
}

// panicked says whether a child's stderr shows a Go panic or a fatal
// runtime error (out of memory under the cap included).
func panicked(stderr string) bool {
	for _, s := range []string{"panic:", "goroutine ", "fatal error:", "runtime: out of memory"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}
