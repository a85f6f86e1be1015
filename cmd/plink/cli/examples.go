package cli

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/awscli"
	"github.com/plink-dev/plink/cmd/plink/cli/examples"
)

// exampleKey names what an example shows: an AWS action whatever name it
// is called by (describe-endpoints, describe-vpc-endpoints, ec2
// describe-vpc-endpoints), or a command by its path.
func exampleKey(c *cobra.Command) string {
	if a := awscli.Action(c); a != nil {
		return "action " + string(a.Service) + " " + a.Name
	}
	return c.CommandPath()
}

// maxGroupExamples is how many examples a service command (plink ec2)
// shows of its actions: a taste, the actions have their own.
const maxGroupExamples = 3

// maxExamples is how many examples a command shows: the simplest (fewest
// words) of those written with its own name first; more reads as a
// manual, which the help is not.
const maxExamples = 4

// setExamples sets every command's Example from the scripts' marked
// examples (package examples): each example goes to the command it runs
// under all of that command's names, and to the service command (plink
// ec2) when it is written under it. Examples that name nothing in the
// tree are returned, for the test to report.
func setExamples(root *cobra.Command) (unmatched []examples.Example) {
	byKey := map[string][]examples.Example{}
	for _, ex := range examples.All {
		c, _, err := root.Find(ex.Args)
		if err != nil || c == root {
			unmatched = append(unmatched, ex)
			continue
		}
		key := exampleKey(c)
		byKey[key] = append(byKey[key], ex)
		if p := c.Parent(); p != root && p.Parent() == root && len(byKey[exampleKey(p)]) < maxGroupExamples {
			byKey[exampleKey(p)] = append(byKey[exampleKey(p)], ex)
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if exs := byKey[exampleKey(c)]; len(exs) > 0 {
			c.Example = formatExamples(c, exs)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return unmatched
}

// formatExamples is the Examples section of c's help: at most maxExamples,
// those written with c's own name first, then the shortest, each under its description as a comment and
// after the lines that set its variables, so the section pastes into a
// shell.
func formatExamples(c *cobra.Command, exs []examples.Example) string {
	path := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
	own := func(ex examples.Example) bool { return usesPath(ex.Args, path) }
	sorted := append([]examples.Example(nil), exs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if own(sorted[i]) != own(sorted[j]) {
			return own(sorted[i])
		}
		return len(sorted[i].Args) < len(sorted[j].Args)
	})
	if len(sorted) > maxExamples {
		sorted = sorted[:maxExamples]
	}
	var b strings.Builder
	for i, ex := range sorted {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("  # " + ex.Desc + "\n")
		for _, v := range ex.Vars {
			b.WriteString("  " + v + "\n")
		}
		b.WriteString("  " + ex.Line)
	}
	return b.String()
}

// usesPath says whether args call the command at path ("ec2
// describe-vpcs") by that name: its words in order, flags between them
// allowed.
func usesPath(args []string, path string) bool {
	want := strings.Fields(path)
	for _, a := range args {
		if len(want) == 0 {
			break
		}
		if a == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}
