package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/iostreams"
)

// TestEveryCommandHasExamples: every command's help has an Examples
// section from a tested script, and every marked example names a command.
// A command without one: mark a line that runs it in a script of
// cmd/plink/testdata/script with "# example: <description>" and run
// go generate ./cmd/plink/cli/examples.
func TestEveryCommandHasExamples(t *testing.T) {
	io, _, _, _ := iostreams.Test()
	root := NewCmdRoot(cmdutil.New(io))
	for _, ex := range setExamples(root) {
		t.Errorf("%s: example %q runs no command of the tree", ex.Script, ex.Line)
	}
	var walk func(c *cobra.Command)
	missing := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden {
				continue
			}
			if why, ok := examplesPending[sub.CommandPath()]; ok {
				if sub.Example != "" {
					t.Errorf("%s has examples now: take it out of examplesPending", sub.CommandPath())
				}
				t.Logf("%s: no example yet: %s", sub.CommandPath(), why)
			} else if n := strings.Count("\n"+sub.Example, "\n  # "); n > maxExamples {
				t.Errorf("%s shows %d examples, more than %d", sub.CommandPath(), n, maxExamples)
			} else if sub.Example == "" {
				missing++
				t.Errorf("%s has no example: mark a line of a script that runs it with '# example: ...' and run go generate ./cmd/plink/cli/examples", sub.CommandPath())
			}
			walk(sub)
		}
	}
	walk(root)
	if missing > 0 {
		t.Logf("%d commands without examples", missing)
	}
}

// examplesPending are the commands allowed no example for now, each with
// why. An entry fails the test once its command has one.
var examplesPending = map[string]string{}

func TestUsesPath(t *testing.T) {
	for _, tt := range []struct {
		args []string
		path string
		want bool
	}{
		{[]string{"--account", "1", "ec2", "describe-vpcs"}, "ec2 describe-vpcs", true},
		{[]string{"describe-vpcs"}, "ec2 describe-vpcs", false},
		{[]string{"describe-vpcs", "-o", "table"}, "describe-vpcs", true},
	} {
		if got := usesPath(tt.args, tt.path); got != tt.want {
			t.Errorf("usesPath(%q, %q) = %v", tt.args, tt.path, got)
		}
	}
}
