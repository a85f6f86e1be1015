// Package cli builds plink's command tree and runs it: Main maps every
// outcome to an exit code (0 ok, 1 the request was refused, 2 usage) and
// prints errors once, as the AWS CLI does.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/escape"
	"github.com/plink-dev/plink/internal/iostreams"
)

// Main runs plink with the process's arguments and streams.
func Main() int {
	return Run(os.Args[1:], iostreams.System())
}

// Run runs plink with args on io and returns the exit code.
func Run(args []string, io *iostreams.IOStreams) int {
	f := cmdutil.New(io)
	defer f.Close()
	root := NewCmdRoot(f)
	root.SetArgs(expandListFlags(root, args))
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if errors.Is(err, cmdutil.ErrSilent) {
		return 1
	}
	if e, ok := control.AsError(err); ok {
		op := cmd.Annotations[cmdutil.OpAnnotation]
		if op == "" {
			op = cmd.Name()
		}
		fmt.Fprintf(io.ErrOut, "\nAn error occurred (%s) when calling the %s operation: %s\n", e.Code, op, escape.ControlLines(e.Message))
		return 1
	}
	var ue *cmdutil.UsageError
	if errors.As(err, &ue) || isFlagError(err) {
		fmt.Fprintf(io.ErrOut, "Error: %s\n", escape.ControlLines(err.Error()))
		fmt.Fprintf(io.ErrOut, "Usage: %s\nRun '%s --help' for more.\n", cmd.UseLine(), cmd.CommandPath())
		return 2
	}
	fmt.Fprintf(io.ErrOut, "Error: %s\n", escape.ControlLines(err.Error()))
	return 1
}

// isFlagError recognises cobra's own usage errors.
func isFlagError(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "flag needs an argument", "invalid argument", "unknown command", "accepts ", "requires at least", "required flag", "if any flags in the group", "none of the others can be"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// isList says whether a flag takes several values: a list member of an
// AWS action, or a string array.
func isList(v pflag.Value) bool {
	if l, ok := v.(interface{ IsList() bool }); ok {
		return l.IsList()
	}
	return v.Type() == "stringArray"
}

// NewCmdRoot builds the whole command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "plink",
		Short: "AWS PrivateLink on one machine",
		Long: `plink keeps VPCs, subnets, Network Load Balancers, endpoint services and
interface endpoints in a local SQLite store, with the commands, flags and JSON
output of the AWS CLI, and 'plink serve' makes them real: TCP listeners on every
endpoint address and a DNS server for every endpoint name.

Each command acts as one account (--account, PLINK_ACCOUNT or a profile);
two accounts in one store are a provider and a consumer.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.String("account", "", "account ID the command acts as (env PLINK_ACCOUNT; default 000000000000)")
	pf.String("principal", "", "IAM principal ARN of the caller (env PLINK_PRINCIPAL; default arn:aws:iam::<account>:root)")
	pf.String("region", "", "region (env PLINK_REGION; default us-east-1)")
	pf.String("db", "", "SQLite store file, any path (env PLINK_DB; default $XDG_STATE_HOME/plink/plink.db); created 0600; only describes work when it cannot be written")
	pf.String("profile", "", "named profile from the config file (env PLINK_PROFILE)")
	pf.String("config", "", "config file (env PLINK_CONFIG; default $XDG_CONFIG_HOME/plink/config.yaml)")
	pf.StringP("output", "o", "", "output format: json (default), yaml, table, wide, text")
	pf.String("query", "", "JMESPath query applied to the output, as in the AWS CLI")
	pf.String("resolver", "", "DNS server host:port for private DNS name verification (default: the system's)")
	f.Flags = pf
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &cmdutil.UsageError{Err: err} })

	for _, c := range commands(f) {
		root.AddCommand(c)
	}
	return root
}

// expandListFlags lets list flags take several space-separated values, as
// the AWS CLI's do (--vpc-endpoint-ids vpce-1 vpce-2): each value after such
// a flag, up to the next flag, becomes one more occurrence of it.
func expandListFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	var out []string
	list := ""
	for _, a := range args {
		switch {
		case a == "--":
			list = ""
			out = append(out, a)
		case strings.HasPrefix(a, "--") && !strings.Contains(a, "="):
			list = ""
			if fl := cmd.Flags().Lookup(strings.TrimPrefix(a, "--")); fl != nil && isList(fl.Value) {
				list = "--" + fl.Name
			}
			out = append(out, a)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			list = ""
			out = append(out, a)
		case list != "":
			if out[len(out)-1] != list {
				out = append(out, list)
			}
			out = append(out, a)
		default:
			out = append(out, a)
		}
	}
	return out
}
