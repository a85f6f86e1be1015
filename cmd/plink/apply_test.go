package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	jmespath "github.com/jmespath-community/go-jmespath"
	"github.com/rogpeppe/go-internal/testscript"
)

// The script commands of the apply stories (see TestScripts).

// cmdWaitReady waits for a ready file (plink serve, plink backend) and sets
// VAR to the JMESPath EXPR over it: `waitready VAR FILE EXPR`. It polls the
// file, as the Go tests of serve do, for at most 30 s.
func cmdWaitReady(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: waitready VAR FILE EXPR")
	}
	path := ts.MkAbs(args[1])
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			continue
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		got, err := jmespath.Search(args[2], v)
		if err != nil {
			ts.Fatalf("waitready: %s: %v", args[2], err)
		}
		if s, ok := got.(string); ok && s != "" {
			ts.Setenv(args[0], s)
			return
		}
		last = string(b)
	}
	ts.Fatalf("waitready: %s has no %s after 30 s (last: %s)", args[1], args[2], last)
}

// cmdHTTPGet sends GET / over TCP to ADDR and writes the answer to stdout:
// `httpget ADDR`. It gives up after 10 s.
func cmdHTTPGet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: httpget ADDR")
	}
	c, err := net.DialTimeout("tcp", args[0], 10*time.Second)
	if err == nil {
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", args[0])
	}
	var body []byte
	if err == nil {
		body, err = io.ReadAll(c)
	}
	ts.Stdout().Write(body)
	switch {
	case err != nil && !neg:
		ts.Fatalf("httpget %s: %v", args[0], err)
	case err == nil && neg:
		ts.Fatalf("httpget %s: succeeded", args[0])
	}
}

// cmdReplace replaces OLD with NEW in FILE: `replace FILE OLD NEW` (a
// test's own port in a copy of an example).
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	s := ts.ReadFile(args[0])
	if !strings.Contains(s, args[1]) {
		ts.Fatalf("replace: %s has no %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.ReplaceAll(s, args[1], args[2])), 0o644))
}
