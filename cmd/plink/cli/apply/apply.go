// Package apply holds `plink apply -f` and `plink delete -f`: flags to
// options, the files read, and the plan printed. What a topology file means
// and how the store is brought to it is internal/topology's.
package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/dns"
	"github.com/plink-dev/plink/internal/topology"
)

// Options are the flags of apply and delete.
type Options struct {
	Files  []string
	DryRun bool
	Prune  bool
	Format string // -o json or yaml: the actions as one list; "" for the plan lines
	Delete bool
}

const schemaHelp = `A topology file (YAML or JSON; several documents per file with ---) lists
accounts and what each owns. Resources refer to one another by name, never
by ID: vpc: app, subnets: [app-a], targetGroup: web, loadBalancers: [web],
and an endpoint names its service as account/service (provider/web).

  name: two-accounts          # the topology; default: the file's name (-f - needs it)
  region: us-east-1           # default: --region
  accounts:
  - name: provider            # what the file calls the account
    id: "111111111111"        # its 12-digit ID, quoted
    vpcs:
    - name: app
      cidr: 127.101.0.0/16    # 127/8 needs no privileges
      ipv6: true              # a /56 for dualstack subnets (default false)
      subnets:
      - {name: app-a, zone: us-east-1a, cidr: 127.101.0.0/20, ipv6Subnet: 1}
    targetGroups:
    - name: web
      vpc: app
      protocol: TCP           # default TCP
      port: 8080
      healthCheck: {protocol: TCP, intervalSeconds: 5, healthyThreshold: 2}
      attributes: {proxy_protocol_v2.enabled: "true"}
      targets: [{ip: 127.0.0.1, port: 8080}]   # zone: all unless set
    loadBalancers:
    - name: web
      scheme: internal        # default internal
      subnets: [app-a]
      ipAddressType: dualstack   # default ipv4
      attributes: {load_balancing.cross_zone.enabled: "true"}
      listeners: [{port: 80, targetGroup: web}]
    services:
    - name: web
      loadBalancers: [web]
      acceptanceRequired: true
      privateDnsName: api.example.com        # verified through --resolver
      supportedIpAddressTypes: [ipv4, ipv6]
      allowedPrincipals: [consumer]          # an account of the file, an ID, an ARN or *
  - name: consumer
    id: "222222222222"
    vpcs:
    - name: client
      cidr: 127.102.0.0/16
      dnsHostnames: true      # private DNS needs it
      subnets: [{name: client-a, zone: us-east-1a, cidr: 127.102.0.0/20}]
    securityGroups:
    - name: web
      vpc: client
      ingress: [{protocol: tcp, ports: "80", cidr: 127.0.0.0/8}]
    endpoints:
    - name: web
      service: provider/web   # account/service
      vpc: client
      subnets: [client-a]
      securityGroups: [web]
      privateDns: true        # on once the name is verified
      ipAddressType: ipv4     # ipv4, dualstack or ipv6
      accept: true            # the provider accepts it (apply acts as the provider)

examples/README.md describes every field.

What apply creates is tagged plink:apply/name (the name in the file) and
plink:apply/source (the topology's name); the next apply finds it by those
tags. A field AWS can change in place is updated (~); one it cannot (a
VPC's CIDR, a load balancer's scheme, an endpoint's service) replaces the
resource and what depends on it (-/+). A resource removed from the file is
kept, as kubectl apply keeps it, and listed (!); --prune deletes it.
plink delete -f removes everything the topology created, dependents first,
and nothing else.

Plan lines: + create, ~ update, -/+ replace, - delete, = unchanged,
! kept. -o json (or yaml) prints the actions as one list with their IDs.`

// NewCmdApply builds `plink apply`.
func NewCmdApply(f *cmdutil.Factory) *cobra.Command {
	return newCmd(f, false, run)
}

// NewCmdDelete builds `plink delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return newCmd(f, true, run)
}

func newCmd(f *cmdutil.Factory, del bool, runF func(context.Context, *cmdutil.Factory, *Options) error) *cobra.Command {
	opts := &Options{Delete: del}
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|- [--dry-run] [--prune]",
		Short: "Create or update a topology (accounts, VPCs, load balancers, services, endpoints) from a file",
		Long: `Bring the store to what a topology file describes, acting as each account it
names: create what is missing, update what differs, leave the rest alone,
and print one line per resource. A second apply of the same file changes
nothing and says so. -f takes a file, a directory (every *.yaml, *.yml and
*.json in it, sorted, as one topology) or - for standard input; repeat it
for several. --dry-run prints the plan and changes nothing.

` + schemaHelp,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(opts.Files) == 0 {
				return &cmdutil.UsageError{Err: errors.New("-f is required: a topology file, a directory of them, or - for standard input")}
			}
			if fl := f.Flags.Lookup("output"); fl != nil && fl.Changed {
				switch fl.Value.String() {
				case "json", "yaml":
					opts.Format = fl.Value.String()
				case "text", "table":
				default:
					return &cmdutil.UsageError{Err: fmt.Errorf("-o %s: %s prints its plan as text (the default), json or yaml", fl.Value, cmd.Name())}
				}
			}
			return runF(cmd.Context(), f, opts)
		},
	}
	if del {
		cmd.Use = "delete -f FILE|DIR|- [--dry-run]"
		cmd.Short = "Delete what plink apply created from a topology file"
		cmd.Long = `Delete every resource apply created for the topologies of the files:
endpoints first, then services, listeners, load balancers, target groups,
security groups, subnets and VPCs, each as the account that owns it. Only
resources tagged by apply with the topology's name (plink:apply/source) are
deleted, including those since removed from the file; nothing else is
touched. A second delete finds nothing to delete and says so.`
		cmd.Example = `  # Delete everything the file created
  plink delete -f examples/two-accounts.yaml

  # Show what delete would remove, without removing it
  plink delete -f topo/ --dry-run`
	}
	cmd.Flags().StringArrayVarP(&opts.Files, "filename", "f", nil, "topology `FILE`, directory, or - for standard input (repeatable)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the plan and change nothing")
	if !del {
		cmd.Flags().BoolVar(&opts.Prune, "prune", false, "delete what an earlier apply of these topologies created and the files no longer name")
	}
	return cmdutil.OutputFormats(cmd, "text", "json", "yaml")
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	sources, err := readSources(opts.Files, f.IO.In)
	if err != nil {
		return err
	}
	top, err := topology.Load(sources)
	if err != nil {
		var fe *topology.FieldError
		if errors.As(err, &fe) {
			return &cmdutil.UsageError{Err: err}
		}
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	// As the AWS commands do (cmdutil.Factory.API): a failed verification
	// names the resolver asked and what it answered for each name.
	lookup := dns.VerificationLookup(cfg.Resolver)
	resolver := func() string { return dns.DescribeResolver(cfg.Resolver) }
	p := &printer{w: f.IO.Out, format: opts.Format, dryRun: opts.DryRun, del: opts.Delete, sources: top.Sources, color: f.Color()}
	e := &topology.Engine{
		NewAPI: func(account, region string) (*control.API, error) {
			return control.New(st, control.Caller{Account: account, Region: region}, control.WithTXTLookup(lookup),
				control.WithTXTResolver(resolver), control.WithClock(f.Now), control.WithLogger(f.Logger("text", cfg.LogLevel)))
		},
		Region: top.Region,
		DryRun: opts.DryRun,
		Prune:  opts.Prune,
		Emit:   p.action,
	}
	if e.Region == "" {
		e.Region = cfg.Region
	}
	if opts.Delete {
		err = e.Delete(ctx, top)
	} else {
		err = e.Apply(ctx, top)
	}
	if perr := p.finish(err == nil); perr != nil && err == nil {
		err = perr
	}
	return located(err)
}

// located keeps the AWS error code of a failed action (exit 254) and puts
// the resource's place in the file before the API's message.
func located(err error) error {
	var ae *topology.ActionError
	if !errors.As(err, &ae) {
		return err
	}
	if e, ok := control.AsError(ae.Err); ok {
		// The chain's text without the code, which the exit prints once.
		msg := strings.Replace(ae.Err.Error(), e.Code+": ", "", 1)
		return &control.Error{Code: e.Code, Message: ae.At + ": " + msg}
	}
	return err
}

// readSources reads -f arguments: files, directories (their *.yaml, *.yml
// and *.json, sorted) and - (standard input, once).
func readSources(args []string, stdin io.Reader) ([]topology.Source, error) {
	var out []topology.Source
	usedStdin := false
	for _, a := range args {
		if a == "-" {
			if usedStdin {
				return nil, &cmdutil.UsageError{Err: errors.New("-f - given twice: standard input can be read once")}
			}
			usedStdin = true
			b, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("reading standard input: %w", err)
			}
			out = append(out, topology.Source{Path: "<stdin>", Data: b, Stdin: true})
			continue
		}
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("-f %s: %w", a, errors.Unwrap(err))
		}
		files := []string{a}
		if fi.IsDir() {
			files, err = topologyFiles(a)
			if err != nil {
				return nil, err
			}
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("-f %s: %w", name, err)
			}
			out = append(out, topology.Source{Path: name, Data: b})
		}
	}
	return out, nil
}

func topologyFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("-f %s: %w", dir, err)
	}
	var out []string
	for _, e := range ents {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-f %s: no *.yaml, *.yml or *.json file in the directory", dir)
	}
	sort.Strings(out)
	return out, nil
}

// printer writes the plan: a line per action as it is done, a summary at
// the end; or, with -o json, the actions as one JSON list.
type printer struct {
	w       io.Writer
	format  string // json or yaml: one list at the end; "" for lines
	dryRun  bool
	del     bool
	sources []string
	color   bool // --color, NO_COLOR and the terminal decide
	actions []topology.Action
	counts  map[string]int
}

var symbols = map[string]string{
	topology.OpCreate: "+", topology.OpUpdate: "~", topology.OpReplace: "-/+", topology.OpDelete: "-",
	topology.OpUnchanged: "=", topology.OpKeep: "!",
}

func (p *printer) action(a topology.Action) {
	if a.Changes == nil {
		a.Changes = []topology.Change{}
	}
	p.actions = append(p.actions, a)
	if p.counts == nil {
		p.counts = map[string]int{}
	}
	p.counts[a.Action]++
	if p.format != "" {
		return
	}
	l := line(a)
	if c := colors[a.Action]; p.color && c != "" {
		sym := symbols[a.Action]
		l = c + sym + "\x1b[0m" + strings.TrimPrefix(l, sym)
	}
	fmt.Fprintln(p.w, l)
	for _, n := range a.Notes {
		fmt.Fprintln(p.w, "    note: "+n)
	}
}

// colors are kubectl diff's and terraform plan's: green adds, yellow
// changes, red removes.
var colors = map[string]string{
	topology.OpCreate: "\x1b[32m", topology.OpUpdate: "\x1b[33m", topology.OpReplace: "\x1b[31m", topology.OpDelete: "\x1b[31m",
}

// line is one plan line: symbol, kind, account/name, (ID), changes.
func line(a topology.Action) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s/%s", symbols[a.Action], a.Kind, a.Account, a.Name)
	if a.ID != "" {
		fmt.Fprintf(&b, " (%s)", shortID(a.ID))
	}
	var parts []string
	for _, c := range a.Changes {
		if a.Action == topology.OpCreate {
			parts = append(parts, c.Field+"="+c.To)
			continue
		}
		from, to := c.From, c.To
		if from == "" {
			from = `""`
		}
		if to == "" {
			to = `""`
		}
		parts = append(parts, c.Field+": "+from+" -> "+to)
	}
	if len(parts) > 0 {
		sep := " "
		if a.Action != topology.OpCreate {
			sep = ", "
		}
		b.WriteString("  " + strings.Join(parts, sep))
	}
	return b.String()
}

// shortID shortens an ELB ARN to what follows the account
// (loadbalancer/net/web/0123...), as the console shows it.
func shortID(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	parts := strings.SplitN(id, ":", 6)
	if len(parts) == 6 {
		return parts[5]
	}
	return id
}

func (p *printer) finish(ok bool) error {
	if p.format != "" {
		if p.actions == nil {
			p.actions = []topology.Action{}
		}
		b, err := json.MarshalIndent(p.actions, "", "  ")
		if err == nil && p.format == "yaml" {
			b, err = yaml.JSONToYAML(b)
			b = bytes.TrimSuffix(b, []byte("\n"))
		}
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		return err
	}
	if !ok {
		return nil
	}
	_, err := fmt.Fprintln(p.w, p.summary())
	return err
}

func (p *printer) summary() string {
	c := p.counts
	topo := strings.Join(p.sources, ", ")
	if p.del {
		if c[topology.OpDelete] == 0 {
			return "Nothing to delete: the store holds nothing apply created for " + topo + "."
		}
		if p.dryRun {
			return fmt.Sprintf("Dry run: %d to delete; nothing changed.", c[topology.OpDelete])
		}
		return fmt.Sprintf("%d deleted.", c[topology.OpDelete])
	}
	changes := c[topology.OpCreate] + c[topology.OpUpdate] + c[topology.OpReplace] + c[topology.OpDelete]
	kept := ""
	if c[topology.OpKeep] > 0 {
		kept = fmt.Sprintf(", %d kept though no longer in the file (--prune deletes them)", c[topology.OpKeep])
	}
	if changes == 0 {
		return fmt.Sprintf("No changes: %d resources match %s%s.", c[topology.OpUnchanged], topo, kept)
	}
	if p.dryRun {
		return fmt.Sprintf("Dry run: %d to create, %d to update, %d to replace, %d to delete, %d unchanged%s; nothing changed.",
			c[topology.OpCreate], c[topology.OpUpdate], c[topology.OpReplace], c[topology.OpDelete], c[topology.OpUnchanged], kept)
	}
	var parts []string
	for _, x := range []struct {
		op, word string
	}{{topology.OpCreate, "created"}, {topology.OpUpdate, "updated"}, {topology.OpReplace, "replaced"}, {topology.OpDelete, "deleted"}} {
		if c[x.op] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[x.op], x.word))
		}
	}
	parts = append(parts, fmt.Sprintf("%d unchanged", c[topology.OpUnchanged]))
	return strings.Join(parts, ", ") + kept + "."
}
