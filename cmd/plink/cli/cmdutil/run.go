package cmdutil

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/dns"
	"github.com/plink-dev/plink/internal/output"
)

// OpAnnotation names the AWS operation a command mirrors; errors print it.
const OpAnnotation = "aws-operation"

// FormatsAnnotation lists, comma-separated, the -o values a command takes
// when they are not the AWS commands' (json, yaml, table, wide, text):
// completion offers those. Set it with OutputFormats.
const FormatsAnnotation = "output-formats"

// OutputFormats records the -o values cmd takes, for completion, and
// returns cmd.
func OutputFormats(cmd *cobra.Command, formats ...string) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[FormatsAnnotation] = strings.Join(formats, ",")
	return cmd
}

// API returns the control plane acting as the configured caller. A caller
// that is not a valid identity (a principal of another account, say) is
// refused before the store is opened. What the API logs (failed
// notification deliveries) goes to standard error at the configured level.
func (f *Factory) API(ctx context.Context) (*control.API, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	caller := control.Caller{Account: cfg.Account, Principal: cfg.Principal, Region: cfg.Region}
	if err := caller.Validate(); err != nil {
		return nil, err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	resolver := cfg.Resolver
	lookup := dns.VerificationLookup(resolver)
	describe := func() string { return dns.DescribeResolver(resolver) }
	return control.New(st, caller, control.WithTXTLookup(lookup), control.WithTXTResolver(describe), control.WithClock(f.Now),
		control.WithLogger(f.Logger("text", cfg.LogLevel)))
}

// Print writes v in the configured output format; t says how to tabulate it.
func (f *Factory) Print(v any, t *output.Table) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	p, err := output.New(cfg.Output, cfg.Query)
	if err != nil {
		return &UsageError{Err: err}
	}
	return p.WithColor(f.Color()).Print(f.IO.Out, v, t)
}

// Op sets the AWS operation name of a command and returns it.
func Op(cmd *cobra.Command, op string) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[OpAnnotation] = op
	return cmd
}

// Filters parses repeated --filters arguments.
func Filters(args []string) ([]control.Filter, error) {
	fs, err := DecodeShorthandList[control.Filter](args)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--filters: %w", err)}
	}
	return fs, nil
}

// TagSpecs parses repeated --tag-specifications arguments.
func TagSpecs(args []string) ([]control.TagSpecification, error) {
	ts, err := DecodeShorthandList[control.TagSpecification](args)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--tag-specifications: %w", err)}
	}
	return ts, nil
}

// Tags parses --tags Key=a,Value=b ... arguments.
func Tags(args []string) ([]control.Tag, error) {
	ts, err := DecodeShorthandList[control.Tag](args)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--tags: %w", err)}
	}
	return ts, nil
}

// SplitList accepts list flags given either as repeated values or as one
// value separated by spaces, tabs (the AWS CLI's text output) or commas, as
// scripts write them.
func SplitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })...)
	}
	return out
}

// BoolPair resolves a --x/--no-x flag pair into nil (neither given), true
// or false; both given is a usage error.
func BoolPair(cmd *cobra.Command, yes, no string) (*bool, error) {
	y, n := cmd.Flags().Changed(yes), cmd.Flags().Changed(no)
	switch {
	case y && n:
		return nil, &UsageError{Err: fmt.Errorf("--%s and --%s cannot be used together", yes, no)}
	case y:
		t := true
		return &t, nil
	case n:
		f := false
		return &f, nil
	}
	return nil, nil
}

// Run is the body of most commands: the API as the configured caller, one
// call, its answer printed with t.
func Run[T any](f *Factory, cmd *cobra.Command, call func(*control.API) (T, error), t *output.Table) error {
	api, err := f.API(cmd.Context())
	if err != nil {
		return err
	}
	op := cmd.Annotations[OpAnnotation]
	f.Debug().Debug("call", "operation", op)
	start := time.Now()
	out, err := call(api)
	f.DebugDone(op, start, err)
	if err != nil {
		return err
	}
	return f.Print(out, t)
}

// DebugCall runs call(in), the operation op of service, logging with
// --debug the input as JSON before and the duration after (each page of a
// paged walk is one call).
func (f *Factory) DebugCall(service, op string, in any, call func(any) (any, error)) (any, error) {
	if f.Debug().Enabled(context.Background(), slog.LevelDebug) {
		js, err := json.Marshal(in)
		if err != nil {
			js = []byte(fmt.Sprintf("%q", err.Error()))
		}
		f.Debug().Debug("call", "service", service, "operation", op, "input", string(js))
	}
	start := time.Now()
	out, err := call(in)
	f.DebugDone(op, start, err)
	return out, err
}

// DebugDone logs, with --debug, the end of a call of operation op begun at
// start: its duration, and the AWS error code it failed with.
func (f *Factory) DebugDone(op string, start time.Time, err error) {
	args := []any{"operation", op, "duration", time.Since(start)}
	if e, ok := control.AsError(err); ok {
		args = append(args, "error_code", e.Code)
	} else if err != nil {
		args = append(args, "err", err)
	}
	f.Debug().Debug("call done", args...)
}

// Describe is a describe-* command: a list flag of IDs (or names), the
// --filters flag, one API call, a table.
type Describe[T any] struct {
	Use, Short, Op   string
	IDsFlag, IDsHelp string
	FiltersHelp      string // the filter names, shown in --help
	Table            *output.Table
	Call             func(ctx context.Context, api *control.API, ids []string, filters []control.Filter) (T, error)
}

// NewDescribe builds the command d describes.
func NewDescribe[T any](f *Factory, d Describe[T]) *cobra.Command {
	var ids, filters []string
	cmd := &cobra.Command{
		Use:   d.Use,
		Short: d.Short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := Filters(filters)
			if err != nil {
				return err
			}
			return Run(f, cmd, func(api *control.API) (T, error) {
				return d.Call(cmd.Context(), api, SplitList(ids), fs)
			}, d.Table)
		},
	}
	cmd.Flags().StringArrayVar(&ids, d.IDsFlag, nil, d.IDsHelp)
	cmd.Flags().StringArrayVar(&filters, "filters", nil, "Name=<"+d.FiltersHelp+">,Values=...")
	return Op(cmd, d.Op)
}
