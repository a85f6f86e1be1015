// Package doctor is `plink doctor`: what on this machine stops plink from
// working, each finding with its fix (the checks are internal/doctor's).
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/doctor"
	"github.com/plink-dev/plink/internal/serve"
)

// Options are the flags of `plink doctor`.
type Options struct {
	DNSPort int
	JSON    bool
}

// NewCmdDoctor builds `plink doctor`.
func NewCmdDoctor(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Find what on this machine stops plink from working, and say how to fix it",
		Long: `Check this machine against the store (--db, PLINK_DB) and say, for each
problem, what to do:

  store             the store file and its directory are readable and writable
  serve-lock        whether a plink serve already serves the store
  privileged-ports  DNS on port 53 (--dns-port) and listener ports below 1024
                    need root or cap_net_bind_service
  ipv6              IPv6 on lo (disable_ipv6, ::1) when the store has IPv6 addresses
  listeners         every listener and DNS socket the store asks for can be bound
                    (tried and closed at once); who holds those that cannot
  open-files        the open file limit holds every listener
  graphviz          Graphviz dot for plink graph -o svg (informational)

doctor changes nothing; it opens the store only if it exists. A list by
default, JSON with -o json. Exit 0 when nothing blocks plink serve, 255
when something does (a "fail" finding).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.DNSPort < 0 || opts.DNSPort > 65535 {
				return &cmdutil.UsageError{Err: fmt.Errorf("--dns-port must be a port from 0 to 65535, not %d", opts.DNSPort)}
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			// -o json when asked for on the command line; the configured
			// default output (json) is for the AWS commands' answers.
			if fl := cmd.Flags().Lookup("output"); fl != nil && fl.Changed {
				switch cfg.Output {
				case "json":
					opts.JSON = true
				case "table", "text", "wide":
				default:
					return &cmdutil.UsageError{Err: fmt.Errorf("plink doctor prints a list, or JSON with -o json; not -o %s", cfg.Output)}
				}
			}
			return doctorRun(cmd.Context(), f, cfg.DB, opts)
		},
	}
	cmd.Flags().IntVar(&opts.DNSPort, "dns-port", 53, "the DNS port plink serve will use (its --dns-port; 0: none)")
	return cmdutil.OutputFormats(cmd, "table", "json")
}

func doctorRun(ctx context.Context, f *cmdutil.Factory, db string, opts *Options) error {
	rep := doctor.Run(ctx, doctor.Options{StorePath: db, DNSPort: opts.DNSPort,
		Open: func(ctx context.Context) (serve.Source, error) { return f.Store(ctx) }})
	if opts.JSON {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(f.IO.Out, rep)
	}
	if !rep.OK {
		return cmdutil.ErrSilent
	}
	return nil
}

// printReport writes one block per finding: status, check, message (more
// lines indented), and the fix.
func printReport(w io.Writer, rep *doctor.Report) {
	fmt.Fprintf(w, "plink doctor: store %s\n\n", rep.Store)
	fails := 0
	for _, f := range rep.Findings {
		status := f.Status
		if status == doctor.StatusFail {
			status = "FAIL"
			fails++
		}
		lines := strings.Split(f.Message, "\n")
		fmt.Fprintf(w, "%-5s %-17s %s\n", status, f.Check, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%-23s %s\n", "", l)
		}
		if f.Fix != "" && f.Status != doctor.StatusOK {
			fmt.Fprintf(w, "%-23s fix: %s\n", "", f.Fix)
		}
	}
	if fails == 0 {
		fmt.Fprintln(w, "\nnothing here stops plink serve")
		return
	}
	fmt.Fprintf(w, "\n%d %s stop plink serve (exit 255)\n", fails, map[bool]string{true: "problem", false: "problems"}[fails == 1])
}
