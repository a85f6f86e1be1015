package main

import (
	"os"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdWaitFile is `waitfile FILE`: wait, at most 30 seconds, until FILE
// exists and is not empty, as a background plink writes its --ready-file
// once it listens. The file is polled: the process gives no other signal.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(30 * time.Second)
	for {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile: %s did not appear within 30s", args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
