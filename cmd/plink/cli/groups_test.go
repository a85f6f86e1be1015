package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/iostreams"
)

// TestEveryCommandGrouped: every command of plink --help, and every action
// under a service command, is in a help group; a new command without an
// entry in commandGroups fails here.
func TestEveryCommandGrouped(t *testing.T) {
	io, _, _, _ := iostreams.Test()
	root := NewCmdRoot(cmdutil.New(io))
	var check func(c *cobra.Command)
	check = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden {
				continue
			}
			if sub.GroupID == "" {
				t.Errorf("%s has no help group: add it to commandGroups in groups.go", sub.CommandPath())
			} else if !c.ContainsGroup(sub.GroupID) {
				t.Errorf("%s: group %q is not one of %s's", sub.CommandPath(), sub.GroupID, c.CommandPath())
			}
			if sub.Parent() == root && commandGroups[sub.Name()] == groupAWS {
				check(sub)
			}
		}
	}
	check(root)
}

// TestHelpGrouped: plink --help lists the groups in order.
func TestHelpGrouped(t *testing.T) {
	io, _, out, _ := iostreams.Test()
	if code := Run([]string{"--help"}, io); code != 0 {
		t.Fatalf("exit %d", code)
	}
	last := -1
	for _, g := range helpGroups {
		i := indexOf(out.String(), g.Title)
		if i < 0 {
			t.Fatalf("plink --help lacks the group %q:\n%s", g.Title, out)
		}
		if i < last {
			t.Errorf("group %q is out of order", g.Title)
		}
		last = i
	}
	if indexOf(out.String(), "Additional Commands:") >= 0 {
		t.Errorf("plink --help has ungrouped commands:\n%s", out)
	}
}

func indexOf(s, sub string) int { return strings.Index(s, sub) }
