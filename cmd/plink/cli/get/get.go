// Package get holds plink get: a compact, kubectl-style view of the
// resources in the store, once or watched as they change.
package get

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/cmd/plink/cli/resources"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// formats are the -o values get takes; table is its default.
var formats = []string{"table", "wide", "json", "yaml", "name"}

// Options are plink get's settings.
type Options struct {
	Kind        *resources.Kind
	IDs         []string
	Format      string
	Query       string
	Watch       bool
	Timeout     time.Duration
	AllAccounts bool
}

// NewCmdGet returns plink get.
func NewCmdGet(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "get KIND [ID...]",
		Short: "List resources in a compact table: services, endpoints, lbs, targets, ...",
		Long: `List the resources of one kind that your account sees, kubectl style: one row
each with its ID (or name), state, the addresses to connect to and its age.
IDs narrow the list (an endpoint or a service also by its Name tag or the
name its topology file gave it); an ID that names nothing is an error
(exit 254).

Kinds (plural, singular, aliases):
` + resources.AliasHelp() + `
-o table (the default), wide (more columns), json or yaml (the AWS-shaped
objects, as a list; --query applies), or name (KIND/ID, one a line).

-w/--watch prints the list, then again whenever the store changes (no
polling: the store signals commits). On a terminal the table is redrawn; on a
pipe only new and changed rows are printed (a deleted one with STATE
deleted), kubectl style. It runs until interrupted (exit 0) or --timeout.

-A/--all-accounts lists what every account in the store owns, with an
ACCOUNT column: each account is read as itself, and nothing is written.
get never writes: unlike describe-vpcs, it does not create the default VPC
of an account on first use.`,
		Args:              needKind,
		ValidArgsFunction: completeArgs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := resources.Lookup(args[0])
			if err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			opts.Kind, opts.IDs = k, cmdutil.SplitList(args[1:])
			cmdutil.Op(cmd, k.Op) // errors name the AWS operation, as describe's do
			if opts.Format, err = Format(cmd, formats); err != nil {
				return err
			}
			if opts.Timeout < 0 {
				return &cmdutil.UsageError{Err: fmt.Errorf("--timeout must be 0 (none) or more, not %v", opts.Timeout)}
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.Query = cfg.Query
			if q := cmd.Flags().Lookup("query"); q != nil && q.Changed && (opts.Format != "json" && opts.Format != "yaml") {
				return &cmdutil.UsageError{Err: fmt.Errorf("--query applies to -o json and yaml, not %s", opts.Format)}
			}
			return getRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "after the list, print changes as the store changes, until interrupted or --timeout")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 0, "with --watch, stop after this long and exit 0 (0: never)")
	cmd.Flags().BoolVarP(&opts.AllAccounts, "all-accounts", "A", false, "list what every account in the store owns, with an ACCOUNT column (read-only)")
	return cmdutil.OutputFormats(cmd, formats...)
}

// needKind says which kinds there are when get is given none, rather than
// cobra's count of arguments.
func needKind(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return &cmdutil.UsageError{Err: fmt.Errorf("get needs a KIND: one of %s (plink get endpoints, plink get --help for aliases)", strings.Join(resources.Names(), ", "))}
	}
	return nil
}

// Format is the -o of a command whose default is a table (get, events):
// the global --output when given on the command line, else "table". An
// --output from the config or PLINK_OUTPUT is the AWS commands' default and
// does not apply here.
func Format(cmd *cobra.Command, allowed []string) (string, error) {
	fl := cmd.Flags().Lookup("output")
	if fl == nil || !fl.Changed {
		return "table", nil
	}
	v := fl.Value.String()
	if !slices.Contains(allowed, v) {
		return "", &cmdutil.UsageError{Err: fmt.Errorf("--output %q: %s takes one of %s", v, cmd.Name(), strings.Join(allowed, ", "))}
	}
	return v, nil
}

// getRun lists, then with --watch lists again on every change.
func getRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	var feed <-chan int64
	if opts.Watch {
		// Subscribed before the first list, so no change after it is lost.
		feed = st.Changes(ctx, 0)
	}
	items, err := fetch(ctx, f, st, opts)
	if err != nil {
		return err
	}
	p := &printer{f: f, opts: opts, tty: f.IO.IsStdoutTTY() && opts.Watch}
	if len(items) == 0 && !opts.AllAccounts {
		p.elsewhere = elsewhere(ctx, f, st)
	}
	if err := p.all(items); err != nil {
		return err
	}
	if !opts.Watch {
		return nil
	}
	var timeout <-chan time.Time
	if opts.Timeout > 0 {
		t := time.NewTimer(opts.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil // watching was the point: stopping is success
		case <-timeout:
			return nil
		case _, ok := <-feed:
			if !ok {
				return nil
			}
			next, err := fetch(ctx, f, st, opts)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				var ce *control.Error
				if errors.As(err, &ce) {
					// A watched ID deleted: show it gone rather than stop.
					next = nil
				} else {
					return err
				}
			}
			if err := p.changes(items, next); err != nil {
				return err
			}
			items = next
		}
	}
}

// fetch lists the kind as the caller, or as every account with -A, and
// keeps the items the IDs name.
func fetch(ctx context.Context, f *cmdutil.Factory, st *store.Store, opts *Options) ([]resources.Item, error) {
	ctx = control.ReadOnly(ctx)
	apis, err := callers(ctx, f, st, opts.AllAccounts)
	if err != nil {
		return nil, err
	}
	var items []resources.Item
	seen := map[string]bool{}
	for _, api := range apis {
		got, err := opts.Kind.List(ctx, api, st)
		if err != nil {
			return nil, err
		}
		for _, it := range got {
			key := it.Account + "/" + it.ID
			if opts.Kind.Name == "events" {
				key = it.ID // one event may concern several accounts
			}
			if !seen[key] {
				seen[key] = true
				items = append(items, it)
			}
		}
	}
	items, missing := resources.Select(items, opts.IDs)
	if len(missing) > 0 && opts.Kind.NotFound != "" {
		err := opts.Kind.NotFoundError(missing)
		if !opts.AllAccounts {
			err = opts.Kind.AsCaller(err, apis[0].Caller())
		}
		return nil, err
	}
	return items, nil
}

// elsewhere is the hint an empty list ends with when other accounts own
// something in the store: a newcomer who applied a two-account topology
// and types 'plink get endpoints' acts as the default account, which owns
// nothing, and must learn of --account and -A; one who forgot PLINK_DB
// sees an empty default store named. Empty when there is nothing to say
// (or the store cannot tell).
func elsewhere(ctx context.Context, f *cmdutil.Factory, st *store.Store) string {
	api, err := f.API(ctx)
	if err != nil {
		return ""
	}
	var accts []store.AccountRegion
	if err := st.Read(control.ReadOnly(ctx), func(tx *store.Tx) error {
		var err error
		accts, err = tx.Accounts()
		return err
	}); err != nil {
		return ""
	}
	if len(accts) == 0 {
		return fmt.Sprintf(" The store %s holds nothing yet (is it the one you meant? --db or PLINK_DB name another): "+
			"fill it with plink apply -f FILE (a clone's examples/ has topologies) or the create-* commands.", st.Path())
	}
	me := api.Caller()
	var others []string
	for _, a := range accts {
		switch {
		case a.Account == me.Account && a.Region == me.Region:
		case a.Region == me.Region:
			others = append(others, a.Account)
		default:
			others = append(others, a.Account+" in "+a.Region)
		}
	}
	if len(others) == 0 {
		return ""
	}
	return fmt.Sprintf(" You act as account %s in %s; the store also holds %s: pass --account ID (and --region), or -A for every account.",
		me.Account, me.Region, strings.Join(others, ", "))
}

// callers are the APIs get lists as: the configured caller, or each
// account and region in the store.
func callers(ctx context.Context, f *cmdutil.Factory, st *store.Store, all bool) ([]*control.API, error) {
	if !all {
		api, err := f.API(ctx)
		if err != nil {
			return nil, err
		}
		return []*control.API{api}, nil
	}
	var accts []store.AccountRegion
	if err := st.Read(ctx, func(tx *store.Tx) error {
		var err error
		accts, err = tx.Accounts()
		return err
	}); err != nil {
		return nil, fmt.Errorf("listing the store's accounts: %w", err)
	}
	var apis []*control.API
	for _, a := range accts {
		api, err := control.New(st, control.Caller{Account: a.Account, Region: a.Region}, control.WithClock(f.Now))
		if err != nil {
			return nil, err
		}
		apis = append(apis, api)
	}
	return apis, nil
}

// completeArgs completes the kind, then the IDs of that kind in the store.
func completeArgs(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			var out []string
			for _, k := range resources.Kinds() {
				out = append(out, k.Name+"\t"+k.Short)
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		k, err := resources.Lookup(args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ids, err := resources.CallerIDs(cmd.Context(), f, k)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(args[1:], id) }), cobra.ShellCompDirectiveNoFileComp
	}
}
