package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/plink-dev/plink/internal/store/storetest"
)

// scriptClusters are the PostgreSQL clusters of the running scripts, by
// script (its work directory).
var scriptClusters sync.Map

// scriptCondition is the scripts' own conditions: [postgres] holds when
// the PostgreSQL server binaries are installed.
func scriptCondition(cond string) (bool, error) {
	if cond == "postgres" {
		_, err := storetest.PGBin()
		return err == nil, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// cmdPGCluster: pgcluster starts a throwaway PostgreSQL cluster for the
// rest of the script (removed at its end) and points PLINK_DB at a new
// database on it. Scripts skip without PostgreSQL: [!postgres] skip.
func cmdPGCluster(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: pgcluster")
	}
	c, err := storetest.StartCluster(storetest.Fast)
	ts.Check(err)
	ts.Defer(func() { c.Remove() })
	scriptClusters.Store(ts.Getenv("WORK"), c)
	url, err := c.EmptyDB()
	ts.Check(err)
	ts.Setenv("PLINK_DB", url)
}

func scriptCluster(ts *testscript.TestScript) *storetest.Cluster {
	c, ok := scriptClusters.Load(ts.Getenv("WORK"))
	if !ok {
		ts.Fatalf("no pgcluster in this script")
	}
	return c.(*storetest.Cluster)
}

// cmdPGStop: pgstop stops the script's PostgreSQL server (pg_ctl stop).
func cmdPGStop(ts *testscript.TestScript, neg bool, args []string) {
	ts.Check(scriptCluster(ts).Stop())
}

// cmdPGStart: pgstart starts the script's PostgreSQL server again.
func cmdPGStart(ts *testscript.TestScript, neg bool, args []string) {
	ts.Check(scriptCluster(ts).Start())
}

// cmdWaitHTTP: waithttp URL REGEXP waits (bounded) until a GET of URL
// answers a body that matches REGEXP (a metric reaching a value).
func cmdWaitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waithttp URL REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(scriptWait)
	var last string
	for time.Now().Before(deadline) {
		if resp, err := client.Get(args[0]); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if last = string(b); re.MatchString(last) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("waithttp: %s did not match %q within %v; last answer:\n%s", args[0], args[1], scriptWait, last)
}
