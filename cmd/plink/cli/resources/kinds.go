// Package resources knows the kinds of resource plink lists outside the AWS
// commands: their names and short aliases (kubectl style), how to list
// them for one caller, their table columns, and their IDs. `plink get`,
// `plink wait` and shell completion of IDs share it.
package resources

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// Kind is one kind of resource.
type Kind struct {
	Name     string   // the plural, canonical: "endpoints"
	Singular string   // "endpoint"
	Noun     string   // in messages, when not Singular: "target group"
	Aliases  []string // short names: "ep", "vpce"
	Short    string   // one line of help: what it lists
	IDHeader string   // the first column's header: "ID" or "NAME"
	Columns  []Column // the columns after the ID, before AGE
	// NotFound is the AWS error code of IDs that name nothing ("" when the
	// arguments filter rather than name, as for events).
	NotFound string
	// Op is the AWS operation the kind is listed with: errors name it.
	Op string
	// NoAge leaves out the AGE column (events show their TIME; targets
	// have no creation time).
	NoAge bool
	// list returns every item of the kind the caller sees, in a stable order.
	list func(ctx context.Context, src source) ([]Item, error)
}

// Column is one column of a kind's table; Wide ones show only under -o wide.
type Column struct {
	Header string
	Wide   bool
}

// Item is one resource as `plink get` shows it.
type Item struct {
	ID      string   // what the ID column and -o name show
	Keys    []string // what an argument may name it by: the ID, a name, an ARN
	ARN     string   // a load balancer's or target group's ARN
	Account string   // the account that listed it (the caller)
	State   string   // the state the STATE column and plink wait compare
	Cells   []string // one per Kind.Columns
	Created string   // RFC 3339, "" when unknown: the AGE column
	Object  any      // the AWS-shaped object: -o json and yaml
}

// Kinds lists every kind, in the order help shows them.
func Kinds() []*Kind {
	return []*Kind{
		servicesKind, endpointsKind, connectionsKind, vpcsKind, subnetsKind,
		lbsKind, targetGroupsKind, targetsKind, notificationsKind, eventsKind, hostsKind,
	}
}

// Lookup finds a kind by its name, singular, or an alias, in any case.
func Lookup(name string) (*Kind, error) {
	n := strings.ToLower(name)
	for _, k := range Kinds() {
		if n == k.Name || n == k.Singular {
			return k, nil
		}
		for _, a := range k.Aliases {
			if n == a {
				return k, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown kind %q: expected one of %s", name, strings.Join(Names(), ", "))
}

// Names lists the kinds' canonical names.
func Names() []string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, k.Name)
	}
	return out
}

// AliasHelp is two lines per kind: its names (plural, singular, aliases), then what it lists.
func AliasHelp() string {
	var b strings.Builder
	for _, k := range Kinds() {
		fmt.Fprintf(&b, "  %s (%s)\n      %s\n", k.Name, strings.Join(append([]string{k.Singular}, k.Aliases...), ", "), k.Short)
	}
	return b.String()
}

// source is what a kind lists from: the API as one caller, and the store
// for what AWS does not show (creation times).
type source struct {
	api *control.API
	st  *store.Store
}

// created maps the IDs of kind (a store.CreationTimes kind) to their
// creation times; none when the store cannot say.
func (s source) created(ctx context.Context, kind string) map[string]string {
	var out map[string]string
	err := s.st.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.CreationTimes(kind)
		return err
	})
	if err != nil {
		return map[string]string{}
	}
	return out
}

// List returns the items of kind k that the caller of api sees in st. It
// only reads: pass a control.ReadOnly context.
func (k *Kind) List(ctx context.Context, api *control.API, st *store.Store) ([]Item, error) {
	items, err := k.list(ctx, source{api: api, st: st})
	for i := range items {
		items[i].Account = api.Caller().Account
		if len(items[i].Keys) == 0 {
			items[i].Keys = []string{items[i].ID}
		}
	}
	return items, err
}

// IDs lists the IDs (names for load balancers and target groups) of every
// resource of kind k the caller of api sees: for shell completion.
func IDs(ctx context.Context, api *control.API, st *store.Store, k *Kind) ([]string, error) {
	items, err := k.List(control.ReadOnly(ctx), api, st)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	sort.Strings(out)
	return out, nil
}

// Select keeps the items that one of ids names (all of them when ids is
// empty) and returns the ids that named nothing.
func Select(items []Item, ids []string) (kept []Item, missing []string) {
	if len(ids) == 0 {
		return items, nil
	}
	found := map[string]bool{}
	for _, it := range items {
		for _, id := range ids {
			if hasKey(it, id) {
				kept = append(kept, it)
				found[id] = true
				break
			}
		}
	}
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	return kept, missing
}

func hasKey(it Item, id string) bool {
	for _, k := range it.Keys {
		if k == id {
			return true
		}
	}
	return false
}

// NotFoundError is the AWS-style error for ids of kind k that name nothing.
func (k *Kind) NotFoundError(ids []string) error {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = "'" + id + "'"
	}
	verb := "does"
	if len(ids) > 1 {
		verb = "do"
	}
	noun := k.Noun
	if noun == "" {
		noun = k.Singular
	}
	return control.Errorf(k.NotFound, "The %s %s %s not exist", noun, strings.Join(quoted, ", "), verb)
}

// AsCaller adds to a not-found error of get or wait (control.Error, code
// ...NotFound) the account and region that looked, and where to look
// instead: an ID of another account is not found as yours, and a newcomer
// acting as the default account needs to hear so. Other errors pass.
func (k *Kind) AsCaller(err error, c control.Caller) error {
	var ce *control.Error
	if !errors.As(err, &ce) || !strings.HasSuffix(ce.Code, "NotFound") {
		return err
	}
	return control.Errorf(ce.Code, "%s for account %s in %s (--account and --region choose another; plink get %s -A lists every account's)",
		ce.Message, c.Account, c.Region, k.Name)
}

// CallerIDs lists the IDs of kind k that the configured caller sees: what
// shell completion offers after `plink get KIND` (and what other commands'
// completion of resource IDs can call).
func CallerIDs(ctx context.Context, f *cmdutil.Factory, k *Kind) ([]string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	api, err := f.API(ctx)
	if err != nil {
		return nil, err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	return IDs(ctx, api, st, k)
}
