// Package graph is `plink graph`: the topology in the store as a diagram
// (internal/graph), in Graphviz dot, Mermaid, or SVG drawn by Graphviz.
package graph

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/graph"
)

// Formats are the values of plink graph -o.
var Formats = []string{"mermaid", "dot", "svg"}

// Options are plink graph's.
type Options struct {
	F      *cmdutil.Factory
	Format string
	All    bool
	// LookPath finds Graphviz's dot (exec.LookPath; a test replaces it).
	LookPath func(string) (string, error)
}

// NewCmdGraph builds the command.
func NewCmdGraph(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{F: f, LookPath: exec.LookPath}
	format := &cmdutil.Choice{Value: "mermaid", Allowed: Formats}
	cmd := &cobra.Command{
		Use:   "graph [-o mermaid|dot|svg] [-A]",
		Short: "Draw the topology: services, load balancers, targets, endpoints and their state",
		Long: `Draw the topology in the store: your account's VPCs (those that hold
something), endpoint services, network load balancers, target groups and
their targets with their health, endpoints with their state and addresses,
and an arrow from each endpoint to its service. Another account appears
only as the other end of a connection; -A draws every account in full.

-o mermaid (the default) prints a Mermaid flowchart, which GitHub renders in
a ` + "```mermaid" + ` block; -o dot prints Graphviz's dot language; -o svg draws
the dot with Graphviz ('dot -Tsvg'), which must be installed (the command
$PLINK_GRAPHVIZ_DOT names, else dot on PATH). Green is
healthy or available, yellow on its way (initial, pending,
pendingAcceptance, draining), red not serving; a dashed arrow carries no
traffic. The output is the same for the same topology: diff it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = format.Value
			return graphRun(cmd, opts)
		},
	}
	cmd.Flags().VarP(format, "output", "o", "diagram format: mermaid, dot or svg (svg needs Graphviz's dot)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(Formats, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().BoolVarP(&opts.All, "all-accounts", "A", false, "draw every account in the store, not only yours")
	return cmd
}

// errNoGraphviz is the answer to -o svg without Graphviz.
var errNoGraphviz = errors.New("plink graph -o svg draws with Graphviz's 'dot' command, which is not on PATH: " +
	"install Graphviz (apt-get install graphviz, dnf install graphviz, brew install graphviz), " +
	"or print the dot language with -o dot and render it elsewhere")

func graphRun(cmd *cobra.Command, opts *Options) error {
	ctx := cmd.Context()
	cfg, err := opts.F.Config()
	if err != nil {
		return err
	}
	dotPath := ""
	if opts.Format == "svg" {
		// Before opening the store: the missing tool is the first thing to say.
		name := os.Getenv("PLINK_GRAPHVIZ_DOT")
		if name == "" {
			name = "dot"
		}
		if dotPath, err = opts.LookPath(name); err != nil {
			return fmt.Errorf("%w (looked for %q)", errNoGraphviz, name)
		}
	}
	st, err := opts.F.Store(ctx)
	if err != nil {
		return err
	}
	snap, err := st.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("reading the store %s: %w", st.Path(), err)
	}
	g := graph.Build(snap, graph.Options{Account: cfg.Account, All: opts.All, Region: cfg.Region})
	if len(g.Accounts) == 0 {
		// Still a valid diagram on stdout; the hint goes to stderr.
		hint := "-A draws every account's"
		if opts.All {
			hint = "create a load balancer, an endpoint service or an endpoint first"
		}
		fmt.Fprintf(opts.F.IO.ErrOut, "plink graph: nothing to draw for account %s in %s (store %s): %s\n", cfg.Account, cfg.Region, st.Path(), hint)
	}
	switch opts.Format {
	case "dot":
		return g.DOT(opts.F.IO.Out)
	case "svg":
		return svg(cmd, g, dotPath, opts)
	}
	return g.Mermaid(opts.F.IO.Out)
}

// svg pipes the dot text through Graphviz.
func svg(cmd *cobra.Command, g *graph.Graph, dotPath string, opts *Options) error {
	var src, stderr bytes.Buffer
	if err := g.DOT(&src); err != nil {
		return err
	}
	c := exec.CommandContext(cmd.Context(), dotPath, "-Tsvg")
	c.Stdin, c.Stdout, c.Stderr = &src, opts.F.IO.Out, &stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s -Tsvg failed: %v: %s", dotPath, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
