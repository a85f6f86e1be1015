package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	jmespath "github.com/jmespath-community/go-jmespath"
	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/plink-dev/plink/cmd/plink/cli"
	"github.com/plink-dev/plink/internal/store"
)

// runAsPlink is the variable that makes the test binary run as plink.
const runAsPlink = "PLINK_TEST_RUN_AS_PLINK"

// TestMain lets the testscript scripts run "plink" in this test binary.
func TestMain(m *testing.M) {
	if os.Getenv(runAsPlink) == "1" {
		os.Exit(cli.Main()) // a child of a test that runs plink itself
	}
	testscript.Main(m, map[string]func(){
		"plink": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs testdata/script/*.txtar: end-to-end stories of the plink
// binary with a store of their own.
//
// Commands added to the script language:
//
//	capture VAR             set $VAR to the trimmed stdout of the last command
//	jsonq FILE EXPR WANT    the JMESPath EXPR over the JSON in FILE is WANT
//	                        (strings compare bare, other values as JSON)
//	exits N CMD ARGS...     run CMD; its exit code must be N (stdout and
//	                        stderr are kept for the stdout/stderr checks)
//	txtserver VAR NAME TXT  serve NAME IN TXT "TXT" on a loopback UDP port for
//	                        the rest of the script; $VAR is its host:port
//	dbmark                  remember the store's revision and content
//	dbsame                  fail unless the store is as at the last dbmark
//	waitfile FILE           wait (at most 30s) until FILE exists and is not empty
//	waitready VAR FILE EXPR wait (30 s at most) for the ready file FILE and set
//	                        $VAR to the JMESPath EXPR over it
//	httpget ADDR            GET / over TCP from ADDR; the answer is stdout
//	replace FILE OLD NEW    replace OLD with NEW in FILE
//	pgcluster               start a throwaway PostgreSQL cluster; PLINK_DB is
//	                        a new database on it ([postgres]: it is installed)
//	pgstop, pgstart         stop and start that cluster's server
//	waithttp URL REGEXP     wait (30 s at most) until GET URL matches REGEXP
//
// $EXAMPLES is the repository's examples directory.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PLINK_DB", env.WorkDir+"/plink.db")
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/.config")
			env.Setenv("XDG_STATE_HOME", env.WorkDir+"/.state")
			examples, err := filepath.Abs("../../examples")
			if err != nil {
				return err
			}
			env.Setenv("EXAMPLES", examples)
			for _, k := range []string{"PLINK_ACCOUNT", "PLINK_PRINCIPAL", "PLINK_REGION", "PLINK_PROFILE", "PLINK_CONFIG", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "NO_COLOR"} {
				env.Setenv(k, "")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"capture":   cmdCapture,
			"exits":     cmdExits,
			"txtserver": cmdTXTServer,
			"jsonq":     cmdJSONQ,
			"dbmark":    cmdDBMark,
			"dbsame":    cmdDBSame,
			"waitfile":  cmdWaitFile,
			"waitready": cmdWaitReady,
			"httpget":   cmdHTTPGet,
			"replace":   cmdReplace,
			"freeport":  cmdFreePort,
			"waitgrep":  cmdWaitGrep,
			"jsonget":   cmdJSONGet,
			"dial":      cmdDial,
			"pgcluster": cmdPGCluster,
			"pgstop":    cmdPGStop,
			"pgstart":   cmdPGStart,
			"waithttp":  cmdWaitHTTP,
		},
		Condition:           scriptCondition,
		RequireExplicitExec: false,
	})
}

func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: capture VAR")
	}
	v := strings.TrimSpace(ts.ReadFile("stdout"))
	if v == "" || strings.Contains(v, "\n") {
		ts.Fatalf("capture %s: stdout is not one value: %q", args[0], v)
	}
	ts.Setenv(args[0], v)
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N CMD ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

func cmdTXTServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: txtserver VAR NAME TXT")
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	ts.Check(err)
	name, value := dns.Fqdn(args[1]), args[2]
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		if len(q.Question) == 1 && strings.EqualFold(q.Question[0].Name, name) && q.Question[0].Qtype == dns.TypeTXT {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{value}})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	ts.Defer(func() {
		srv.Shutdown()
		<-done
	})
	ts.Setenv(args[0], pc.LocalAddr().String())
}

func cmdJSONQ(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: jsonq FILE EXPR WANT")
	}
	var data any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &data); err != nil {
		ts.Fatalf("jsonq: %s is not JSON: %v", args[0], err)
	}
	got, err := jmespath.Search(args[1], data)
	if err != nil {
		ts.Fatalf("jsonq: %s: %v", args[1], err)
	}
	s, ok := got.(string)
	if !ok {
		b, _ := json.Marshal(got)
		s = string(b)
	}
	if (s == args[2]) == neg {
		ts.Fatalf("jsonq %s: got %s, want %s%s", args[1], s, map[bool]string{true: "not ", false: ""}[neg], args[2])
	}
}

// storeState is the revision and a hash of every row of the script's store.
func storeState(ts *testscript.TestScript) string {
	s, err := storeStateOf(ts.Getenv("PLINK_DB"))
	ts.Check(err)
	return s
}

// dbState is storeState of the store at path.
func dbState(t *testing.T, path string) string {
	t.Helper()
	s, err := storeStateOf(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// storeStateOf is the revision and a hash of every row of the store at path.
func storeStateOf(path string) (state string, err error) {
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		return "", err
	}
	defer st.Close()
	rev, err := st.Revision(ctx)
	if err != nil {
		return "", err
	}
	db := st.DB()
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
	h := sha256.New()
	for _, tb := range tables {
		fmt.Fprintf(h, "table %s\n", tb)
		r, err := db.Query(`SELECT * FROM "` + tb + `" ORDER BY 1`)
		if err != nil {
			return "", err
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				r.Close()
				return "", err
			}
			for _, v := range vals {
				fmt.Fprintf(h, "%q,", v)
			}
			h.Write([]byte("\n"))
		}
		r.Close()
	}
	return fmt.Sprintf("rev %d sha256 %s", rev, hex.EncodeToString(h.Sum(nil))), nil
}

func cmdDBMark(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: dbmark")
	}
	ts.Setenv("DBMARK", storeState(ts))
}

func cmdDBSame(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: dbsame")
	}
	mark := ts.Getenv("DBMARK")
	if mark == "" {
		ts.Fatalf("dbsame without dbmark")
	}
	if now := storeState(ts); now != mark {
		ts.Fatalf("the store changed: %s, was %s", now, mark)
	}
}
