package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"time"

	jmespath "github.com/jmespath-community/go-jmespath"
	"github.com/rogpeppe/go-internal/testscript"
)

// scriptWait bounds every wait of the commands below: a script that waits
// for a server never hangs the suite.
const scriptWait = 30 * time.Second

// cmdFreePort: freeport VAR sets VAR to a port free on 127.0.0.1 for both
// TCP and UDP right now (the kernel's pick), for a server the script
// starts next.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		port := ln.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		ln.Close()
		if err != nil {
			continue
		}
		u.Close()
		ts.Setenv(args[0], strconv.Itoa(port))
		return
	}
	ts.Fatalf("freeport: no port free in both TCP and UDP")
}

// cmdWaitFile: waitfile PATH waits (bounded) until PATH exists and is not
// empty, as a ready file does once a server listens.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile PATH")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(scriptWait)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("waitfile: %s did not appear within %v", args[0], scriptWait)
}

// cmdWaitGrep: waitgrep FILE REGEXP waits (bounded) until FILE (a log a
// background command writes) matches REGEXP.
func cmdWaitGrep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitgrep FILE REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(scriptWait)
	var last []byte
	for time.Now().Before(deadline) {
		last, _ = os.ReadFile(path)
		if re.Match(last) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("waitgrep: %s did not match %q within %v; it holds:\n%s", args[0], args[1], scriptWait, last)
}

// cmdJSONGet: jsonget VAR FILE EXPR sets VAR to the JMESPath EXPR of the
// JSON in FILE (a string as is, anything else as JSON).
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonget VAR FILE EXPR")
	}
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[1])), &v); err != nil {
		ts.Fatalf("jsonget: %s is not JSON: %v", args[1], err)
	}
	got, err := jmespath.Search(args[2], v)
	ts.Check(err)
	s, ok := got.(string)
	if !ok {
		b, _ := json.Marshal(got)
		s = string(b)
	}
	ts.Setenv(args[0], s)
}

// cmdDial: dial ADDR connects to ADDR, sends a line, reads what comes back
// until the server closes (bounded) and prints "connected" and then
// "closed" or "reset", and the bytes read. A refused connect fails.
func cmdDial(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: dial ADDR")
	}
	c, err := net.DialTimeout("tcp", args[0], 5*time.Second)
	if neg {
		if err == nil {
			c.Close()
			ts.Fatalf("dial %s: connected, want refused", args[0])
		}
		return
	}
	if errors.Is(err, syscall.ECONNRESET) {
		// Accepted and reset before connect returned (the epoll engine
		// is that quick).
		fmt.Fprintf(ts.Stdout(), "connected\nreset\n")
		return
	}
	ts.Check(err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(scriptWait))
	fmt.Fprintf(c, "GET / HTTP/1.0\r\n\r\n")
	b, err := io.ReadAll(c)
	end := "closed"
	if err != nil {
		end = "reset"
	}
	fmt.Fprintf(ts.Stdout(), "connected\n%s\n%s", end, b)
}
