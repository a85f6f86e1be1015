package demo

import (
	"context"
	"errors"
	stdio "io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/iostreams"
	"github.com/plink-dev/plink/internal/store"
)

// TestSetup builds the demo's story on a real store and checks what the
// demo prints is there: an accepted endpoint with one address per zone in
// the consumer's default VPC, and its DNS names.
func TestSetup(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "plink.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	topo, err := Setup(ctx, st, netip.MustParseAddrPort("127.0.0.1:9"), 8080)
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.ENIAddrs) != 3 || len(topo.ZonalNames) != 3 {
		t.Fatalf("want 3 ENIs and 3 zonal names, got %v %v", topo.ENIAddrs, topo.ZonalNames)
	}
	if !strings.HasPrefix(topo.RegionalName, topo.EndpointID+"-") || !strings.HasSuffix(topo.RegionalName, "."+topo.ServiceID+".us-east-1.vpce.amazonaws.com") {
		t.Errorf("regional name %q does not follow AWS's format", topo.RegionalName)
	}
	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range snap.Endpoints {
		if e.ID == topo.EndpointID {
			found = true
			if !e.Available() {
				t.Errorf("endpoint state %s, want available", e.State)
			}
		}
	}
	if !found {
		t.Fatal("endpoint missing from the snapshot")
	}
	tg := false
	for _, g := range snap.TargetGroups {
		tg = g.ProxyProtocolV2
	}
	if !tg {
		t.Error("the demo's target group should have PROXY protocol v2 on")
	}
	if topo.Resolver != netip.MustParseAddr("127.17.0.2") {
		t.Errorf("consumer resolver %s, want 127.17.0.2", topo.Resolver)
	}
}

// TestDemoFlagsValidated checks that out-of-range ports and a ready file
// path plink may not write are refused before the demo builds anything.
func TestDemoFlagsValidated(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"--port", "70000"}, true, "--port"},
		{[]string{"--port", "-1"}, true, "--port"},
		{[]string{"--dns-port", "65536"}, true, "--dns-port"},
		{[]string{"--ready-file", dir}, false, "is a directory"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			io, _, _, _ := iostreams.Test()
			cmd := NewCmdDemo(cmdutil.New(io))
			cmd.SetArgs(tc.args)
			cmd.SetOut(stdio.Discard)
			cmd.SetErr(stdio.Discard)
			err := cmd.ExecuteContext(context.Background())
			var ue *cmdutil.UsageError
			if err == nil || errors.As(err, &ue) != tc.usage || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want usage=%v naming %q", err, tc.usage, tc.want)
			}
		})
	}
}

// When the plink on PATH is not this binary (as under go run or go test,
// whose binaries live in a go-build directory), the printed commands name
// this binary by its path and say how to install plink.
func TestPlinkCommandNotOnPath(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	cmd, note := plinkCommand()
	self, _ := os.Executable()
	if cmd != shellQuote(self) {
		t.Errorf("command %q, want this binary %q", cmd, self)
	}
	if !strings.Contains(note, "go install") {
		t.Errorf("note %q does not say how to install plink", note)
	}
}

func TestPlinkCommandOnPath(t *testing.T) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(dir, "plink")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if cmd, note := plinkCommand(); cmd != "plink" || note != "" {
		t.Errorf("plinkCommand() = %q, %q; want plink and no note", cmd, note)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/go-build1/b001/exe/plink": "/tmp/go-build1/b001/exe/plink",
		"/home/a b/plink":               "'/home/a b/plink'",
		"/x/it's":                       `'/x/it'\''s'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
