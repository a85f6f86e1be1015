package topology

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/names"
)

// What an action does.
const (
	OpCreate    = "create"
	OpUpdate    = "update"
	OpReplace   = "replace"
	OpDelete    = "delete"
	OpUnchanged = "unchanged"
	OpKeep      = "keep" // no longer in the file, kept (apply without --prune)
)

// Change is one field an action sets: From is empty for a create.
type Change struct {
	Field string `json:"Field"`
	From  string `json:"From,omitempty"`
	To    string `json:"To"`
}

// Action is one line of a plan, done (or, in a dry run, to do).
type Action struct {
	Action    string   `json:"Action"`
	Kind      string   `json:"Kind"`
	Account   string   `json:"Account"`
	AccountID string   `json:"AccountId"`
	Name      string   `json:"Name"`
	ID        string   `json:"Id,omitempty"`
	Topology  string   `json:"Topology"`
	Changes   []Change `json:"Changes,omitempty"`
	Notes     []string `json:"Notes,omitempty"`
}

// Engine brings the store to a topology, acting as each account through
// the control API.
type Engine struct {
	// NewAPI returns the control API acting as account (its root) in region.
	NewAPI func(account, region string) (*control.API, error)
	Region string
	DryRun bool
	Prune  bool         // apply: delete what the file no longer names
	Emit   func(Action) // each action, as it is done (dry run: planned)

	apis  map[string]*control.API
	names map[string]string // AWS ID or service name -> name, for the plan lines
}

func (e *Engine) api(a *Account) (*control.API, error) {
	if e.apis == nil {
		e.apis = map[string]*control.API{}
	}
	if api := e.apis[a.ID]; api != nil {
		return api, nil
	}
	api, err := e.NewAPI(a.ID, e.Region)
	if err != nil {
		return nil, err
	}
	e.apis[a.ID] = api
	return api, nil
}

// field is one thing the file says about a resource.
type field struct {
	name    string
	want    string
	mutable bool // changed in place; otherwise the resource is replaced
}

// plan is what apply will do to a node.
type plan struct {
	op      string
	changes []Change
	notes   []string
}

// newRef is the placeholder of a resource that does not exist yet.
const newRef = "new:"

// ref is what a field holds for dep: its ID, or a placeholder while it is
// to be created.
func (n *node) refID(dep *node) string {
	if dep.id == "" || dep.replacing {
		return newRef + dep.name
	}
	return dep.id
}

func (n *node) refIDs(deps []*node) string {
	var out []string
	for _, d := range deps {
		out = append(out, n.refID(d))
	}
	return joinSorted(out)
}

// Apply brings the store to t and reports each action through Emit.
func (e *Engine) Apply(ctx context.Context, t *Topology) error {
	if e.Region == "" {
		e.Region = t.Region
	}
	o, err := e.observe(ctx, t)
	if err != nil {
		return err
	}
	orphans := e.match(t, o)
	plans := map[*node]*plan{}
	for _, n := range t.nodes {
		p := e.planNode(n)
		plans[n] = p
		n.replacing = p.op == OpReplace
	}
	if e.DryRun {
		for _, n := range t.nodes {
			e.emit(n, plans[n])
		}
		for _, f := range orphans {
			e.emitOrphan(f)
		}
		return nil
	}
	if err := e.removeReplaced(ctx, t.nodes); err != nil {
		return err
	}
	if err := e.createAndUpdate(ctx, t.nodes, plans); err != nil {
		return err
	}
	return e.pruneOrphans(ctx, orphans)
}

// removeReplaced deletes what is to be replaced, dependents before what
// they use.
func (e *Engine) removeReplaced(ctx context.Context, nodes []*node) error {
	for i := len(nodes) - 1; i >= 0; i-- {
		if n := nodes[i]; n.replacing {
			if err := e.remove(ctx, n.acct, n.kind, n.id); err != nil {
				return n.fail("deleting (to replace)", err)
			}
			n.id, n.have, n.replacing = "", nil, false
		}
	}
	return nil
}

// createAndUpdate creates what is missing and updates what differs, in
// dependency order.
//
// An update AWS refuses may wait for another: narrowing a load balancer to
// ipv4 waits for its service to drop ipv6, which waits for the service's
// dualstack endpoints. Refused updates are tried again after the others,
// while any of them makes progress.
func (e *Engine) createAndUpdate(ctx context.Context, nodes []*node, plans map[*node]*plan) error {
	var waiting []*node
	for _, n := range nodes {
		p := plans[n]
		switch {
		case n.id == "":
			if err := e.create(ctx, n, p); err != nil {
				return n.fail("creating", err)
			}
		case p.op == OpUpdate:
			if err := e.update(ctx, n, p); err != nil {
				if _, refused := control.AsError(err); !refused {
					return n.fail("updating", err)
				}
				waiting = append(waiting, n)
				continue
			}
		}
		e.emit(n, p)
	}
	for len(waiting) > 0 {
		var still []*node
		var firstErr error
		for _, n := range waiting {
			if err := e.update(ctx, n, plans[n]); err != nil {
				still = append(still, n)
				if firstErr == nil {
					firstErr = n.fail("updating", err)
				}
				continue
			}
			e.emit(n, plans[n])
		}
		if len(still) == len(waiting) {
			return firstErr
		}
		waiting = still
	}
	return nil
}

// pruneOrphans deletes (with --prune) or lists what the file no longer
// names, dependents first.
func (e *Engine) pruneOrphans(ctx context.Context, orphans []*found) error {
	for i := len(orphans) - 1; i >= 0; i-- {
		f := orphans[i]
		if e.Prune {
			if err := e.remove(ctx, f.acct, f.kind, f.id); err != nil {
				return &ActionError{At: fmt.Sprintf("deleting %s %s/%s (%s), no longer in the file (--prune)", f.kind, f.acct.Name, f.name, f.id), Err: err}
			}
		}
		e.emitOrphan(f)
	}
	return nil
}

// Delete removes everything apply created for t's sources, dependents
// first. Resources apply did not create (no tags of its own) are never
// touched.
func (e *Engine) Delete(ctx context.Context, t *Topology) error {
	if e.Region == "" {
		e.Region = t.Region
	}
	o, err := e.observe(ctx, t)
	if err != nil {
		return err
	}
	all := append([]*found(nil), o.all...)
	sort.SliceStable(all, func(i, j int) bool {
		return slices.Index(kindOrder, all[i].kind) > slices.Index(kindOrder, all[j].kind)
	})
	for _, f := range all {
		if !e.DryRun {
			if err := e.remove(ctx, f.acct, f.kind, f.id); err != nil {
				return &ActionError{At: fmt.Sprintf("deleting %s %s/%s (%s)", f.kind, f.acct.Name, f.name, f.id), Err: err}
			}
		}
		e.Emit(Action{Action: OpDelete, Kind: f.kind, Account: f.acct.Name, AccountID: f.acct.ID, Name: f.name, ID: f.id, Topology: f.topo})
	}
	return nil
}

// match pairs the file's nodes with what the store holds; the rest are
// orphans: created by an earlier apply of these sources, no longer named.
func (e *Engine) match(t *Topology, o *observed) []*found {
	byKey := map[string]*node{}
	for _, n := range t.nodes {
		byKey[key(n.kind, n.acct.Name, n.name)] = n
	}
	e.names = map[string]string{}
	for _, a := range t.Accounts {
		e.names[names.RootPrincipal(a.ID)] = a.Name
	}
	var orphans []*found
	for _, f := range o.all {
		n := byKey[key(f.kind, f.acct.Name, f.name)]
		if n == nil || n.id != "" {
			orphans = append(orphans, f)
			continue
		}
		n.id, n.have = f.id, f.have
		e.names[f.id] = n.name
		if f.kind == KindService {
			e.names[f.have["_serviceName"]] = n.acct.Name + "/" + n.name
		}
	}
	sort.SliceStable(orphans, func(i, j int) bool {
		return slices.Index(kindOrder, orphans[i].kind) < slices.Index(kindOrder, orphans[j].kind)
	})
	return orphans
}

// planNode compares what the file wants of n with what the store has.
func (e *Engine) planNode(n *node) *plan {
	p := &plan{}
	fields := e.fields(n)
	if n.id == "" {
		p.op = OpCreate
		return p
	}
	replace := ""
	for _, d := range n.refs {
		if d.replacing {
			replace = d.kind + " " + d.name + " is replaced"
		}
	}
	for _, f := range fields {
		have := n.have[f.name]
		if f.want == have {
			continue
		}
		p.changes = append(p.changes, Change{Field: f.name, From: have, To: f.want})
		if !f.mutable && replace == "" {
			replace = f.name + " cannot change in place"
		}
	}
	if n.kind == KindEndpoint && replace == "" {
		p.notes = append(p.notes, n.pendingNote()...)
	}
	switch {
	case replace != "":
		p.op = OpReplace
		p.notes = append(p.notes, "replaced: "+replace)
	case len(p.changes) > 0:
		p.op = OpUpdate
	default:
		p.op = OpUnchanged
	}
	return p
}

// createChanges lists the fields a created node got.
func (e *Engine) createChanges(n *node) []Change {
	var out []Change
	for _, f := range e.fields(n) {
		if f.want == "" || f.name == "state" || f.name == "privateDnsState" {
			continue
		}
		to := f.want
		if have, ok := n.have[f.name]; ok && have != f.want && !e.DryRun {
			to = have + " (" + f.want + " on a later apply)" // private DNS waiting for verification
		}
		out = append(out, Change{Field: f.name, To: to})
	}
	return e.show(out)
}

// show turns IDs into the file's names in changes.
func (e *Engine) show(cs []Change) []Change {
	for i := range cs {
		cs[i].From, cs[i].To = e.showValue(cs[i].From), e.showValue(cs[i].To)
	}
	return cs
}

func (e *Engine) showValue(v string) string {
	if v == "" {
		return v
	}
	if strings.Contains(v, " ") {
		return v // rules, already readable
	}
	parts := strings.Split(v, ",")
	for i, p := range parts {
		if name, ok := e.names[p]; ok {
			parts[i] = name
		} else if rest, ok := strings.CutPrefix(p, newRef); ok {
			parts[i] = rest
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (e *Engine) emit(n *node, p *plan) {
	changes := p.changes
	if p.op == OpCreate {
		changes = e.createChanges(n)
	} else {
		changes = e.show(slices.Clone(changes))
	}
	if p.op == OpReplace {
		// A reference to a replaced resource reads the same before and
		// after; the note says why it changes.
		changes = slices.DeleteFunc(changes, func(c Change) bool { return c.From == c.To })
	}
	e.Emit(Action{Action: p.op, Kind: n.kind, Account: n.acct.Name, AccountID: n.acct.ID, Name: n.name, ID: n.id, Topology: n.topo,
		Changes: changes, Notes: p.notes})
}

func (e *Engine) emitOrphan(f *found) {
	a := Action{Action: OpKeep, Kind: f.kind, Account: f.acct.Name, AccountID: f.acct.ID, Name: f.name, ID: f.id, Topology: f.topo,
		Notes: []string{"no longer in the file: kept (apply --prune deletes it)"}}
	if e.Prune {
		a.Action, a.Notes = OpDelete, nil
	}
	e.Emit(a)
}

// fail is an error of n, located in its file.
func (n *node) fail(doing string, err error) error {
	return &ActionError{At: n.d.errAt(n.path, "%s %s %s/%s", doing, n.kind, n.acct.Name, n.name).Error(), Err: err}
}

// ActionError is a control API error while acting on a resource: what
// apply was doing and, for a resource of the file, where it is; then the
// API's error (kept for its exit code).
type ActionError struct {
	At  string
	Err error
}

func (e *ActionError) Error() string { return e.At + ": " + e.Err.Error() }
func (e *ActionError) Unwrap() error { return e.Err }

// fields is what the file says about n, in the store's terms: IDs for
// references (a placeholder for what is yet to be created).
func (e *Engine) fields(n *node) []field {
	switch n.kind {
	case KindVPC:
		fs := []field{{name: "cidr", want: n.vpc.CIDR}, {name: "ipv6", want: boolStr(n.vpc.IPv6)}}
		if n.vpc.DNSHostnames != nil {
			fs = append(fs, field{name: "dnsHostnames", want: boolStr(*n.vpc.DNSHostnames), mutable: true})
		}
		if n.vpc.DNSSupport != nil {
			fs = append(fs, field{name: "dnsSupport", want: boolStr(*n.vpc.DNSSupport), mutable: true})
		}
		return fs
	case KindSubnet:
		v6 := ""
		if n.subnet.IPv6Subnet != nil {
			v6 = strconv.Itoa(*n.subnet.IPv6Subnet)
		}
		return []field{{name: "vpc", want: n.refID(n.parent)}, {name: "zone", want: n.subnet.Zone},
			{name: "cidr", want: n.subnet.CIDR}, {name: "ipv6Subnet", want: v6}}
	case KindSecurityGroup:
		fs := []field{{name: "vpc", want: n.refID(n.vpcRef)}, {name: "ingress", want: wantRules(n.sg.Ingress), mutable: true}}
		if n.sg.Description != "" {
			fs = append(fs, field{name: "description", want: n.sg.Description})
		}
		return fs
	case KindTargetGroup:
		return tgFields(n)
	case KindLoadBalancer:
		fs := []field{{name: "scheme", want: n.lb.Scheme}, {name: "subnets", want: n.refIDs(n.subnets), mutable: true},
			{name: "ipAddressType", want: n.lb.IPAddressType, mutable: true}}
		return append(fs, attrFields(n.lb.Attributes)...)
	case KindListener:
		return []field{{name: "protocol", want: n.ln.Protocol, mutable: true}, {name: "targetGroup", want: n.refID(n.tgRef), mutable: true}}
	case KindService:
		return svcFields(n)
	case KindEndpoint:
		return epFields(n)
	}
	return nil
}

func wantRules(rs []Rule) string {
	var out []string
	for _, r := range rs {
		pr, _ := parseRule(r)
		out = append(out, pr.String())
	}
	sort.Strings(out)
	return strings.Join(slices.Compact(out), ", ")
}

func attrFields(attrs map[string]string) []field {
	var out []field
	for k, v := range attrs {
		out = append(out, field{name: "attributes." + k, want: v, mutable: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func tgFields(n *node) []field {
	tg := n.tg
	fs := []field{{name: "vpc", want: n.refID(n.vpcRef)}, {name: "protocol", want: tg.Protocol}, {name: "port", want: strconv.Itoa(tg.Port)},
		{name: "targetType", want: tg.TargetType}, {name: "ipAddressType", want: tg.IPAddressType}}
	if hc := tg.HealthCheck; hc != nil {
		add := func(name, v string) {
			if v != "" {
				fs = append(fs, field{name: "healthCheck." + name, want: v, mutable: true})
			}
		}
		addInt := func(name string, v *int) {
			if v != nil {
				add(name, strconv.Itoa(*v))
			}
		}
		add("protocol", strings.ToUpper(hc.Protocol))
		add("port", hc.Port)
		add("path", hc.Path)
		add("matcher", hc.Matcher)
		addInt("intervalSeconds", hc.IntervalSeconds)
		addInt("timeoutSeconds", hc.TimeoutSeconds)
		addInt("healthyThreshold", hc.HealthyThreshold)
		addInt("unhealthyThreshold", hc.UnhealthyThreshold)
	}
	fs = append(fs, attrFields(tg.Attributes)...)
	var ts []string
	for _, t := range tg.Targets {
		ts = append(ts, targetString(t.IP, t.Port, t.Zone))
	}
	return append(fs, field{name: "targets", want: joinSorted(ts), mutable: true})
}

func svcFields(n *node) []field {
	s := n.svc
	fs := []field{{name: "loadBalancers", want: n.refIDs(n.lbs), mutable: true}}
	if s.AcceptanceRequired != nil {
		fs = append(fs, field{name: "acceptanceRequired", want: boolStr(*s.AcceptanceRequired), mutable: true})
	}
	fs = append(fs, field{name: "privateDnsName", want: s.PrivateDNSName, mutable: true})
	if s.PrivateDNSName != "" {
		fs = append(fs, field{name: "privateDnsState", want: "verified", mutable: true})
	}
	if len(s.SupportedIPAddressTypes) > 0 {
		fs = append(fs, field{name: "supportedIpAddressTypes", want: joinSorted(s.SupportedIPAddressTypes), mutable: true})
	}
	return append(fs, field{name: "allowedPrincipals", want: joinSorted(n.princ), mutable: true})
}

// serviceName is the name an endpoint's service has, or a placeholder.
func (n *node) serviceName() string {
	if n.svcRef == nil {
		return n.ep.Service
	}
	if s := n.svcRef; s.id != "" && !s.replacing {
		return s.have["_serviceName"]
	}
	return newRef + n.svcRef.acct.Name + "/" + n.svcRef.name
}

func epFields(n *node) []field {
	ep := n.ep
	fs := []field{{name: "service", want: n.serviceName()}, {name: "vpc", want: n.refID(n.vpcRef)},
		{name: "subnets", want: n.refIDs(n.subnets), mutable: true}}
	if len(n.sgs) > 0 {
		fs = append(fs, field{name: "securityGroups", want: n.refIDs(n.sgs), mutable: true})
	}
	if ep.PrivateDNS != nil {
		fs = append(fs, field{name: "privateDns", want: boolStr(*ep.PrivateDNS), mutable: true})
	}
	if ep.IPAddressType != "" {
		fs = append(fs, field{name: "ipAddressType", want: ep.IPAddressType, mutable: true})
	}
	if ep.DNSRecordIPType != "" {
		fs = append(fs, field{name: "dnsRecordIpType", want: ep.DNSRecordIPType, mutable: true})
	}
	if ep.Accept {
		fs = append(fs, field{name: "state", want: control.StateEndpointAvailable, mutable: true})
	}
	return fs
}
