// Package wait holds plink wait: block until a resource reaches the state a
// script needs (an endpoint available, targets healthy, a private DNS name
// verified, serve listening on an endpoint), woken by the store's change
// feed rather than by polling.
package wait

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/cmd/plink/cli/resources"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// Options are plink wait's settings.
type Options struct {
	Cond    *condition
	Args    []string
	Timeout time.Duration
	Port    int
}

// NewCmdWait returns plink wait.
func NewCmdWait(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "wait CONDITION ID... [--timeout 5m]",
		Short: "Wait until an endpoint is available, targets are healthy, a name verified, serve listening",
		Long: `Wait until a condition holds, for scripts. The store signals each change, so
wait reacts at once and does not poll. An endpoint or a service may also be
named by its Name tag or the name its topology file gave it (plink apply).

Conditions:
` + conditionHelp() + `
Exit codes: 0 when the condition holds; 254 when an ID names nothing (or an
endpoint reached a state it cannot leave: rejected, failed, deleted); 255
when --timeout passes first, with what was last seen; 130 on Ctrl-C.`,
		Args:              needArgs,
		ValidArgsFunction: completeArgs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := lookup(args[0])
			if err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			opts.Cond, opts.Args = c, args[1:]
			cmdutil.Op(cmd, c.kind.Op)
			if opts.Timeout <= 0 {
				return &cmdutil.UsageError{Err: fmt.Errorf("--timeout must be more than 0, not %v", opts.Timeout)}
			}
			if c.needsPort && (opts.Port < 1 || opts.Port > 65535) {
				return &cmdutil.UsageError{Err: fmt.Errorf("%s needs --port, the listener port to connect to (1-65535)", c.name)}
			}
			return waitRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "give up after this long (exit 255)")
	cmd.Flags().IntVar(&opts.Port, "port", 0, "endpoint-listening: the port to connect to (a listener port of the service's load balancer)")
	return cmd
}

// status is one look at the resources a condition is about.
type status struct {
	met  bool
	seen string // what was seen, for the timeout message: "vpce-1 pendingAcceptance"
}

// condition is one thing plink wait can wait for.
type condition struct {
	name      string
	aliases   []string // other names: the AWS CLI waiter's (target-in-service), AWS-style ones
	help      string
	kind      *resources.Kind
	needsPort bool
	// check looks once: whether the condition holds. An error ends the
	// wait (a resource that does not exist, or cannot get there).
	check func(ctx context.Context, v view, opts *Options) (status, error)
	// also is a second kind check needs (target groups: one may have no
	// targets yet).
	also *resources.Kind
	// hint ends the timeout message: what usually keeps the condition
	// from holding, and what to do.
	hint string
}

// view is what one look found: the items of the condition's kind, and of
// its also kind.
type view struct {
	items, also []resources.Item
}

func conditions() []*condition {
	ep, _ := resources.Lookup("endpoints")
	tgt, _ := resources.Lookup("targets")
	svc, _ := resources.Lookup("services")
	tgs, _ := resources.Lookup("targetgroups")
	return []*condition{
		{name: "endpoint-available", aliases: []string{"vpc-endpoint-available"}, kind: ep,
			help: "ENDPOINT-ID...: each endpoint is available (accepted, or no acceptance needed)", check: endpointsAvailable,
			hint: "an endpoint in pendingAcceptance waits for the provider: plink --account PROVIDER accept-endpoint-connections --service-id SVC --vpc-endpoint-ids ID"},
		{name: "target-healthy", aliases: []string{"target-in-service"}, kind: tgt, also: tgs,
			help: "TARGET-GROUP [IP[:PORT]...]: the named targets (all of the group's, none named) are healthy", check: targetsHealthy,
			hint: "plink serve runs the health checks: is it serving this store, and does each target answer on its port?"},
		{name: "service-verified", aliases: []string{"private-dns-verified"}, kind: svc,
			help: "SERVICE-ID...: each service's private DNS name is verified", check: servicesVerified,
			hint: "a name is verified when the provider starts the verification (plink start-endpoint-service-private-dns-verification) once the TXT record is published"},
		{name: "endpoint-listening", aliases: []string{"listening"}, kind: ep, needsPort: true,
			help: "ENDPOINT-ID... --port N: every address of each endpoint accepts a TCP connection on N (plink serve is serving it)", check: endpointsListening,
			hint: "is plink serve serving this store (its first log line names the store), and is --port a listener port of the service's load balancer?"},
	}
}

func conditionHelp() string {
	var b strings.Builder
	for _, c := range conditions() {
		name := c.name
		if len(c.aliases) > 0 {
			name += " (" + strings.Join(c.aliases, ", ") + ")"
		}
		fmt.Fprintf(&b, "  %s\n      %s\n", name, c.help)
	}
	return b.String()
}

// needArgs says what is missing when wait lacks its condition or its IDs,
// rather than cobra's count of arguments.
func needArgs(cmd *cobra.Command, args []string) error {
	switch len(args) {
	case 0:
		var names []string
		for _, c := range conditions() {
			names = append(names, c.name)
		}
		return &cmdutil.UsageError{Err: fmt.Errorf("wait needs a CONDITION and what to wait for: CONDITION is one of %s (plink wait --help says what each waits for)", strings.Join(names, ", "))}
	case 1:
		c, err := lookup(args[0])
		if err != nil {
			return &cmdutil.UsageError{Err: err}
		}
		what, _, _ := strings.Cut(c.help, ": ")
		list := c.kind
		if c.also != nil {
			list = c.also // target-healthy names a target group
		}
		return &cmdutil.UsageError{Err: fmt.Errorf("wait %s needs %s (plink get %s lists them; Tab completes them)", c.name, what, list.Name)}
	}
	return nil
}

func lookup(name string) (*condition, error) {
	var names []string
	for _, c := range conditions() {
		if name == c.name || slices.Contains(c.aliases, name) {
			return c, nil
		}
		names = append(names, c.name)
	}
	return nil, fmt.Errorf("unknown condition %q: expected one of %s", name, strings.Join(names, ", "))
}

// waitRun checks the condition, then again on every change of the store
// (and, for a connection, on a short retry), until it holds or time is up.
func waitRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	api, err := f.API(ctx)
	if err != nil {
		return err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	feed := st.Changes(ctx, 0) // before the first look: no change is missed
	deadline := time.NewTimer(opts.Timeout)
	defer deadline.Stop()
	var retry <-chan time.Time
	if opts.Cond.needsPort {
		// No store change says serve started listening: connect again.
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		retry = t.C
	}
	var last status
	for {
		s, err := look(ctx, api, st, opts)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return opts.Cond.kind.AsCaller(err, api.Caller())
		}
		if s.met {
			fmt.Fprintf(f.IO.Out, "%s: %s\n", opts.Cond.name, s.seen)
			return nil
		}
		last = s
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			msg := fmt.Sprintf("timed out after %v waiting for %s; last seen: %s", opts.Timeout, opts.Cond.name, last.seen)
			if opts.Cond.hint != "" {
				msg += "\n" + opts.Cond.hint
			}
			return errors.New(msg)
		case <-feed:
		case <-retry:
		}
	}
}

// look lists the condition's kind and checks it once.
func look(ctx context.Context, api *control.API, st *store.Store, opts *Options) (status, error) {
	ctx = control.ReadOnly(ctx)
	var v view
	var err error
	if v.items, err = opts.Cond.kind.List(ctx, api, st); err != nil {
		return status{}, err
	}
	if opts.Cond.also != nil {
		if v.also, err = opts.Cond.also.List(ctx, api, st); err != nil {
			return status{}, err
		}
	}
	return opts.Cond.check(ctx, v, opts)
}

// named keeps the items ids name, or fails naming those that name nothing.
func named(k *resources.Kind, items []resources.Item, ids []string) ([]resources.Item, error) {
	kept, missing := resources.Select(items, ids)
	if len(missing) > 0 {
		return nil, k.NotFoundError(missing)
	}
	return kept, nil
}

// finalEndpointStates are the states an endpoint never leaves for available.
var finalEndpointStates = []string{"rejected", "failed", "deleted", "deleting", "expired"}

func endpointsAvailable(_ context.Context, v view, opts *Options) (status, error) {
	items, err := named(opts.Cond.kind, v.items, opts.Args)
	if err != nil {
		return status{}, err
	}
	return allIn(items, "available", func(it resources.Item) error {
		if slices.Contains(finalEndpointStates, it.State) {
			return control.Errorf("IncorrectState", "endpoint %s is %s: it will not become available", it.ID, it.State)
		}
		return nil
	})
}

func servicesVerified(_ context.Context, v view, opts *Options) (status, error) {
	items, err := named(opts.Cond.kind, v.items, opts.Args)
	if err != nil {
		return status{}, err
	}
	var seen []string
	met := true
	for _, it := range items {
		s := it.Object.(control.ServiceConfiguration)
		state := s.PrivateDNSNameConfiguration.State
		if s.PrivateDNSName == "" {
			return status{}, control.Errorf("InvalidParameter", "service %s has no private DNS name to verify: set one with modify-endpoint-service-configuration --private-dns-name", it.ID)
		}
		seen = append(seen, it.ID+" "+s.PrivateDNSName+" "+cellOr(state, "pendingVerification"))
		met = met && state == "verified"
	}
	return status{met: met, seen: strings.Join(seen, ", ")}, nil
}

func targetsHealthy(_ context.Context, v view, opts *Options) (status, error) {
	group := opts.Args[0]
	if _, err := named(opts.Cond.also, v.also, []string{group}); err != nil {
		return status{}, err
	}
	var inGroup []resources.Item
	for _, it := range v.items {
		if slices.Contains(it.Keys, group) {
			inGroup = append(inGroup, it)
		}
	}
	if len(inGroup) == 0 {
		return status{seen: "target group " + group + " has no targets"}, nil
	}
	want := opts.Args[1:]
	var picked []resources.Item
	for _, it := range inGroup {
		if len(want) == 0 || slices.ContainsFunc(want, func(w string) bool { return targetMatches(it, w) }) {
			picked = append(picked, it)
		}
	}
	for _, w := range want {
		if !slices.ContainsFunc(inGroup, func(it resources.Item) bool { return targetMatches(it, w) }) {
			return status{seen: "target " + w + " is not registered in " + group}, nil
		}
	}
	return allIn(picked, "healthy", nil)
}

// targetMatches says whether w (IP, or IP:PORT) names the target item.
func targetMatches(it resources.Item, w string) bool {
	id := it.ID[strings.Index(it.ID, "/")+1:] // IP:PORT
	if id == w {
		return true
	}
	host, _, err := net.SplitHostPort(id)
	return err == nil && host == w
}

func endpointsListening(ctx context.Context, v view, opts *Options) (status, error) {
	items, err := named(opts.Cond.kind, v.items, opts.Args)
	if err != nil {
		return status{}, err
	}
	var seen []string
	met := true
	for _, it := range items {
		if slices.Contains(finalEndpointStates, it.State) {
			return status{}, control.Errorf("IncorrectState", "endpoint %s is %s: nothing will listen on it", it.ID, it.State)
		}
		addrs := strings.Split(it.Cells[addressColumn(opts.Cond.kind)], ",")
		for _, a := range addrs {
			if a == "" || a == "<none>" {
				met = false
				seen = append(seen, it.ID+" has no addresses yet")
				continue
			}
			hp := net.JoinHostPort(a, strconv.Itoa(opts.Port))
			if err := dial(ctx, hp); err != nil {
				met = false
				seen = append(seen, fmt.Sprintf("%s %s: %v", it.ID, hp, unwrapDial(err)))
			} else {
				seen = append(seen, it.ID+" "+hp+" accepts")
			}
		}
	}
	return status{met: met, seen: strings.Join(seen, ", ")}, nil
}

func dial(ctx context.Context, hostport string) error {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return err
	}
	return c.Close()
}

// unwrapDial shortens a dial error to its cause ("connection refused").
func unwrapDial(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// addressColumn is the index of the ADDRESSES cell of an endpoint item.
func addressColumn(k *resources.Kind) int {
	for i, c := range k.Columns {
		if c.Header == "ADDRESSES" {
			return i
		}
	}
	return 0
}

// allIn says whether every item is in state want; final, when set, ends
// the wait for an item that can no longer get there.
func allIn(items []resources.Item, want string, final func(resources.Item) error) (status, error) {
	var seen []string
	met := len(items) > 0
	for _, it := range items {
		if final != nil {
			if err := final(it); err != nil {
				return status{}, err
			}
		}
		seen = append(seen, it.ID+" "+it.State)
		met = met && it.State == want
	}
	return status{met: met, seen: strings.Join(seen, ", ")}, nil
}

func cellOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// completeArgs completes the condition, then IDs of its kind.
func completeArgs(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			var out []string
			for _, c := range conditions() {
				out = append(out, c.name+"\t"+c.help)
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := lookup(args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if c.name == "target-healthy" {
			return completeTargets(cmd, f, args[1:])
		}
		ids, err := resources.CallerIDs(cmd.Context(), f, c.kind)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeTargets completes target-healthy's target group (by name), then
// the IP:PORT of its targets.
func completeTargets(cmd *cobra.Command, f *cmdutil.Factory, args []string) ([]string, cobra.ShellCompDirective) {
	kind := "targetgroups"
	if len(args) > 0 {
		kind = "targets"
	}
	k, _ := resources.Lookup(kind)
	ids, err := resources.CallerIDs(cmd.Context(), f, k)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if len(args) == 0 {
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, id := range ids {
		if t, ok := strings.CutPrefix(id, args[0]+"/"); ok {
			out = append(out, t)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
