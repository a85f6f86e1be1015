package serve

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
)

// TestPortFlagsValidated checks that every port and address flag of serve
// and backend is checked: out of range is a usage error (exit 2), never a
// port that wraps around (70000 used to listen on 4464).
func TestPortFlagsValidated(t *testing.T) {
	bad := []struct {
		cmd  string
		args []string
		want string
	}{
		{"serve", []string{"--dns-port", "70000"}, "--dns-port"},
		{"serve", []string{"--dns-port", "65536"}, "--dns-port"},
		{"serve", []string{"--dns-port", "-1"}, "--dns-port"},
		{"serve", []string{"--dns-addr", "127.0.0.1:70000"}, "--dns-addr"},
		{"serve", []string{"--dns-addr", "127.0.0.1"}, "--dns-addr"},
		{"serve", []string{"--dns-addr", "localhost:53"}, "--dns-addr"},
		{"serve", []string{"--dns-addr", "0.0.0.0:5300"}, "wildcard"},
		{"serve", []string{"--dns-addr", "[::]:5300"}, "wildcard"},
		{"serve", []string{"--dns-upstream", "127.0.0.1:0"}, "--dns-upstream"},
		{"serve", []string{"--dns-upstream", "127.0.0.1:99999"}, "--dns-upstream"},
		{"serve", []string{"--metrics-addr", ":9090x"}, "--metrics-addr"},
		{"serve", []string{"--metrics-addr", "127.0.0.1:-1"}, "--metrics-addr"},
		{"serve", []string{"--grace", "-1s"}, "--grace"},
		{"backend", []string{"--listen", "127.0.0.1:70000"}, "--listen"},
		{"backend", []string{"--listen", "127.0.0.1"}, "--listen"},
		{"backend", []string{"--listen", "nohost:80"}, "--listen"},
	}
	for _, tc := range bad {
		t.Run(tc.cmd+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			err := execFlags(tc.cmd, tc.args)
			var ue *cmdutil.UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a usage error naming %s", err, tc.want)
			}
		})
	}
	good := []struct {
		cmd  string
		args []string
	}{
		{"serve", []string{"--dns-port", "0"}},
		{"serve", []string{"--dns-port", "65535"}},
		{"serve", []string{"--dns-addr", "127.0.0.1:0", "--dns-upstream", "[::1]:53", "--metrics-addr", "0.0.0.0:0"}},
		{"backend", []string{"--listen", "[::1]:0"}},
		{"backend", []string{"--listen", "127.0.0.1:65535"}},
	}
	for _, tc := range good {
		t.Run("ok "+tc.cmd+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			if err := execFlags(tc.cmd, tc.args); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// execFlags parses args for serve or backend without running them.
func execFlags(name string, args []string) error {
	f := testFactory()
	var cmd interface {
		SetArgs([]string)
		SetOut(io.Writer)
		SetErr(io.Writer)
		Execute() error
	}
	if name == "serve" {
		cmd = newCmdServe(f, func(context.Context, *cmdutil.Factory, *ServeOptions) error { return nil })
	} else {
		cmd = newCmdBackend(f, func(context.Context, *cmdutil.Factory, *BackendOptions) error { return nil })
		if !strings.HasPrefix(strings.Join(args, " "), "--listen") {
			args = append([]string{"--listen", "127.0.0.1:0"}, args...)
		}
	}
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	return cmd.Execute()
}
