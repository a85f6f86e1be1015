// Package cli builds plink's command tree and runs it: Main maps every
// outcome to an exit code as the AWS CLI v2 does and prints errors once.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/cmd/plink/cli/complete"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/escape"
	"github.com/plink-dev/plink/internal/iostreams"
	"github.com/plink-dev/plink/internal/version"
)

// The exit codes, as the AWS CLI v2's
// (https://docs.aws.amazon.com/cli/latest/topic/return-codes.html).
const (
	ExitOK          = 0
	ExitInterrupted = 130 // SIGINT (Ctrl-C) before the command finished
	ExitUsage       = 252 // the command line cannot be parsed or is invalid
	ExitConfig      = 253 // the configuration is invalid: config file, profile, settings
	ExitService     = 254 // the API refused the request: an AWS error code on stderr
	ExitOther       = 255 // anything else
)

// exitCodesHelp is the exit codes' section of plink --help.
const exitCodesHelp = `
Exit codes (as the AWS CLI v2's):
  0    success (serve, backend, demo, events --watch and get -w stopped by a signal
       exit 0 once they have stopped cleanly)
  130  interrupted (SIGINT) before the command finished
  252  usage: the command line cannot be parsed, or a required option is missing
  253  configuration: the config file, the profile, or an --account, --region
       or log level setting is invalid (or AWS_ENDPOINT_URL)
  254  the request was refused: "An error occurred (<Code>) ..." on stderr
       (also an invalid --principal, as AWS refuses unknown credentials)
  255  anything else (the store cannot be opened, a check failed, ...)`

// globalsHelp is the global options' section of plink --help.
const globalsHelp = `
Global options are the AWS CLI's, so that its scripts run unchanged:
--output, --query, --region, --profile, --no-paginate, --debug (how the
command ran, on stderr), --color, --version. --endpoint-url URL (or
AWS_ENDPOINT_URL) sends the ec2, elbv2 and sts commands to the plink API
server at URL (plink api, plink serve --api-addr) instead of the store;
other commands refuse the flag (exit 252) and ignore the variable. --no-cli-pager,
--no-cli-auto-prompt, --cli-connect-timeout, --cli-read-timeout,
--ca-bundle, --no-verify-ssl, --no-sign-request and --cli-binary-format are
accepted and do nothing: plink never pages or prompts and sends nothing to
AWS. The region falls back to AWS_REGION, then AWS_DEFAULT_REGION, after
--region, PLINK_REGION and the config file; AWS_PROFILE is not read, as
plink's profiles are its own.
`

// Main runs plink with the process's arguments and streams.
func Main() int {
	return Run(os.Args[1:], iostreams.System())
}

// errInterrupted is the cause of the context of a command stopped by SIGINT.
var errInterrupted = errors.New("interrupted")

// Run runs plink with args on io and returns the exit code.
func Run(args []string, io *iostreams.IOStreams) int {
	f := cmdutil.New(io)
	defer f.Close()
	root := NewCmdRoot(f)
	root.SetArgs(expandListFlags(root, args))
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			if s == os.Interrupt {
				cancel(errInterrupted)
			} else {
				cancel(fmt.Errorf("stopped by %v", s))
			}
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(ctx, io, cmd, err)
	if cmd != nil {
		f.Debug().Debug("exit", "command", cmd.CommandPath(), "code", code, "duration", time.Since(start))
	}
	return code
}

// exitCode reports err, the outcome of cmd, on io and returns the exit code.
func exitCode(ctx context.Context, io *iostreams.IOStreams, cmd *cobra.Command, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(context.Cause(ctx), errInterrupted) {
		fmt.Fprintln(io.ErrOut)
		return ExitInterrupted
	}
	if errors.Is(err, cmdutil.ErrSilent) {
		return ExitOther
	}
	if e, ok := control.AsError(err); ok {
		op := cmd.Annotations[cmdutil.OpAnnotation]
		if op == "" {
			op = cmd.Name()
		}
		fmt.Fprintf(io.ErrOut, "\nAn error occurred (%s) when calling the %s operation: %s\n", e.Code, op, escape.ControlLines(e.Message))
		return ExitService
	}
	var ue *cmdutil.UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(io.ErrOut, "Error: %s\n", escape.ControlLines(err.Error()))
		fmt.Fprintf(io.ErrOut, "Usage: %s\nRun '%s --help' for more.\n", cmd.UseLine(), cmd.CommandPath())
		return ExitUsage
	}
	var ce *cmdutil.ConfigError
	if errors.As(err, &ce) {
		fmt.Fprintf(io.ErrOut, "Error: %s\n", escape.ControlLines(err.Error()))
		return ExitConfig
	}
	fmt.Fprintf(io.ErrOut, "Error: %s\n", escape.ControlLines(err.Error()))
	return ExitOther
}

// usageArgs makes every positional-argument error of the tree a UsageError,
// at its source: a command's own Args validator is wrapped, and a command
// with subcommands and no validator refuses an unknown subcommand.
func usageArgs(cmd *cobra.Command) {
	switch {
	case cmd.Args != nil:
		validate := cmd.Args
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := validate(c, args); err != nil {
				var ue *cmdutil.UsageError
				if errors.As(err, &ue) {
					return err
				}
				return &cmdutil.UsageError{Err: err}
			}
			return nil
		}
	case cmd.HasSubCommands():
		cmd.Args = cmdutil.NoSubcommand
	}
	if cmd.HasSubCommands() && !cmd.Runnable() {
		// Runnable, so that cobra validates its arguments (an unknown
		// command) rather than printing help and exiting 0.
		cmd.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
	}
	for _, c := range cmd.Commands() {
		usageArgs(c)
	}
}

// skeletonKinds are the values of --generate-cli-skeleton.
var skeletonKinds = map[string]bool{"input": true, "output": true, "yaml-input": true}

// optionalValue says whether next is the value of flag, an option whose
// value may be left out (an EC2 --enable-dns-support {"Value":true}).
func optionalValue(cmd *cobra.Command, flag, next string) bool {
	fl := cmd.Flags().Lookup(strings.TrimPrefix(flag, "--"))
	if fl == nil || fl.NoOptDefVal == "" {
		return false
	}
	v, ok := fl.Value.(interface{ TakesValue(string) bool })
	return ok && v.TakesValue(next)
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
two accounts in one store are a provider and a consumer.

Every AWS action answers to its AWS CLI name under its service, with the AWS
CLI's options ('plink ec2 describe-vpc-endpoints', 'plink elbv2
create-load-balancer', 'plink sts get-caller-identity'), and at the top level
to plink's own short name and its AWS CLI name.`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.String("account", "", "account ID the command acts as (env PLINK_ACCOUNT; default 000000000000)")
	pf.String("principal", "", "IAM principal ARN of the caller (env PLINK_PRINCIPAL; default arn:aws:iam::<account>:root)")
	pf.String("region", "", "region (env PLINK_REGION; then the config file, AWS_REGION, AWS_DEFAULT_REGION; default us-east-1)")
	pf.String("db", "", "SQLite store file, any path (env PLINK_DB; default $XDG_STATE_HOME/plink/plink.db); created 0600; only describes work when it cannot be written")
	pf.String("profile", "", "named profile from the config file (env PLINK_PROFILE)")
	pf.String("config", "", "config file (env PLINK_CONFIG; default $XDG_CONFIG_HOME/plink/config.yaml)")
	pf.StringP("output", "o", "", "output format: json (default), yaml, table, wide, text")
	pf.String("query", "", "JMESPath query applied to the output, as in the AWS CLI")
	pf.Bool("no-paginate", false, "make one call of an action that pages, rather than fetching every page")
	pf.String("resolver", "", "DNS server host:port for private DNS name verification (default: the system's)")
	pf.Bool("debug", false, "log on standard error how the command ran: the resolved settings, the action and its input as JSON, store open and call timings")
	pf.Var(&cmdutil.Choice{Value: "auto", Allowed: []string{"on", "off", "auto"}}, "color",
		"colour of -o table/wide headers: `on|off|auto` (auto: when standard output is a terminal and NO_COLOR is unset)")
	pf.String("endpoint-url", "", "send the AWS commands (ec2, elbv2, sts) to the plink API server at `URL` instead of the store (else AWS_ENDPOINT_URL)")
	pf.Bool("no-cli-pager", false, "accepted for the AWS CLI's sake; plink never pages its output")
	pf.Bool("no-cli-auto-prompt", false, "accepted for the AWS CLI's sake; plink never prompts")
	pf.Int("cli-connect-timeout", 0, "accepted and ignored: plink makes no network calls to AWS")
	pf.Int("cli-read-timeout", 0, "accepted and ignored: plink makes no network calls to AWS")
	pf.String("ca-bundle", "", "accepted and ignored: plink makes no TLS connections to AWS")
	pf.Bool("no-verify-ssl", false, "accepted and ignored: plink makes no TLS connections to AWS")
	pf.Bool("no-sign-request", false, "accepted and ignored: plink signs no requests (the caller is --account/--principal)")
	pf.Var(&cmdutil.Choice{Value: "base64", Allowed: []string{"base64", "raw-in-base64-out"}}, "cli-binary-format",
		"base64 or raw-in-base64-out: accepted and ignored, as no plink action takes a binary (blob) member")
	f.Flags = pf
	// The commands come first in plink --help, as in kubectl's and gh's;
	// the global options and exit codes, long and rarely read, after the
	// flags, on the root's help only.
	root.SetUsageTemplate(root.UsageTemplate() + "{{if not .HasParent}}" + globalsHelp + exitCodesHelp + "\n{{end}}")
	root.SetVersionTemplate("plink {{.Version}}\n")
	root.Flags().Bool("version", false, "print plink's version, as 'plink version' does")
	root.SetFlagErrorFunc(flagError)

	for _, c := range commands(f) {
		root.AddCommand(c)
	}
	// The completion command writes where the root writes when it is made.
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	groupCommands(root)
	setExamples(root)
	complete.Register(root, f)
	usageArgs(root)
	return root
}

// expandListFlags lets list flags take several space-separated values, as
// the AWS CLI's do (--vpc-endpoint-ids vpce-1 vpce-2): each value after such
// a flag, up to the next flag, becomes one more occurrence of it. It also
// joins --generate-cli-skeleton to its optional value (output).
func expandListFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	var out []string
	list := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--generate-cli-skeleton" && i+1 < len(args) && skeletonKinds[args[i+1]]:
			// Its value is optional (input), and given as the next word.
			list = ""
			out = append(out, a+"="+args[i+1])
			i++
		case strings.HasPrefix(a, "--") && i+1 < len(args) && optionalValue(cmd, a, args[i+1]):
			list = ""
			out = append(out, a+"="+args[i+1])
			i++
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
