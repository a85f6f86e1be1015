// Package awscli builds the commands of the AWS actions from their
// descriptions (internal/awsapi): for every action, a cobra command whose
// flags are the AWS CLI's (botocore's xform_name of each input member),
// with its help, its required members checked together, and its output
// printed with the action's table. Nothing here is written per action but
// the AWS CLI's own customizations (custom.go).
//
// Every action answers to its AWS CLI name under its service
// (`plink ec2 describe-vpc-endpoints`), and at the top level to plink's
// short name and, as an alias, its AWS CLI name (`plink describe-endpoints`,
// `plink describe-vpc-endpoints`). Where two services' actions share an AWS
// CLI name (describe-tags), the top-level name is ELBv2's; EC2's answers
// under `plink ec2` only.
package awscli

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/awsapi"
	"github.com/plink-dev/plink/internal/control"
)

// Commands returns the service groups (ec2, elbv2, sts) and the top-level
// commands of every action.
func Commands(f *cmdutil.Factory) []*cobra.Command {
	var out []*cobra.Command
	for _, svc := range awsapi.Services() {
		g := &cobra.Command{
			Use:   string(svc),
			Short: groupShort[svc],
			Long: groupShort[svc] + `.

The commands and their options are the AWS CLI's: a script's 'aws ` + string(svc) + ` ...'
lines run as 'plink ` + string(svc) + ` ...'.`,
			Args: helpOr(cmdutil.NoSubcommand),
			RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		}
		for _, a := range awsapi.Actions() {
			if a.Service == svc {
				g.AddCommand(newCommand(f, a, a.CLIName, nil))
			}
		}
		out = append(out, g)
	}
	return append(out, topLevel(f)...)
}

// helpOr accepts a lone "help" argument, as the AWS CLI does ('aws ec2
// help', 'aws ec2 describe-vpcs help'), and leaves anything else to args.
func helpOr(args cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) == 1 && a[0] == "help" {
			return nil
		}
		return args(cmd, a)
	}
}

var groupShort = map[awsapi.Service]string{
	awsapi.EC2:   "Amazon EC2 actions: VPCs, subnets, security groups, endpoints and endpoint services",
	awsapi.ELBv2: "Elastic Load Balancing v2 actions: network load balancers, target groups, listeners",
	awsapi.STS:   "AWS STS actions: who the caller is",
}

// topLevel is every action at the top level, under plink's name with its
// AWS CLI name as an alias. A name is taken once: ELBv2's and STS's actions
// claim theirs before EC2's.
func topLevel(f *cmdutil.Factory) []*cobra.Command {
	taken := map[string]bool{}
	var out []*cobra.Command
	for _, svc := range []awsapi.Service{awsapi.ELBv2, awsapi.STS, awsapi.EC2} {
		for _, a := range awsapi.Actions() {
			if a.Service != svc {
				continue
			}
			name := a.CLIName
			if a.Short != "" {
				name = a.Short
			}
			if taken[name] {
				continue
			}
			taken[name] = true
			var aliases []string
			if a.Short != "" && !taken[a.CLIName] {
				aliases = append(aliases, a.CLIName)
				taken[a.CLIName] = true
			}
			out = append(out, newCommand(f, a, name, aliases))
		}
	}
	return out
}

// command is one action's command: the flags of its members and what the
// customizations add.
type command struct {
	f       *cmdutil.Factory
	a       *awsapi.Action
	members []*memberFlag
	custom  customization
	// inputJSON, inputYAML and skeleton are the AWS CLI's --cli-input-json,
	// --cli-input-yaml and --generate-cli-skeleton.
	inputJSON, inputYAML, skeleton string
	// pager is the client-side paging of an action that pages.
	pager *pager
}

func newCommand(f *cmdutil.Factory, a *awsapi.Action, name string, aliases []string) *cobra.Command {
	c := &command{f: f, a: a, custom: newCustomization(a.Name)}
	cmd := &cobra.Command{
		Use:     name + usageArgs(a),
		Aliases: aliases,
		Short:   a.Summary,
		Long:    long(a),
		Args:    helpOr(cmdutil.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return cmd.Help() // aws ec2 describe-vpcs help
			}
			return c.run(cmd)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	for _, m := range a.Input.Members {
		mf := &memberFlag{m: m}
		c.members = append(c.members, mf)
		f := fl.VarPF(mf, m.Flag, "", flagHelp(a, m))
		if topLevelBool(a, m) {
			// awscli's toplevelbool: --x is {"Value": true}, --no-x
			// {"Value": false}, --x VALUE the structure itself.
			f.NoOptDefVal = topLevelTrue
			neg := &memberFlag{m: m, negative: true}
			c.members = append(c.members, neg)
			fl.VarPF(neg, "no-"+m.Flag, "", "").NoOptDefVal = topLevelTrue
			fl.Lookup("no-" + m.Flag).Usage = "the opposite of --" + m.Flag
		}
		if m.Shape.Kind == awsapi.Boolean {
			f.NoOptDefVal = "true"
			neg := &memberFlag{m: m, negative: true}
			c.members = append(c.members, neg)
			fl.VarPF(neg, "no-"+m.Flag, "", "").NoOptDefVal = "true"
			fl.Lookup("no-" + m.Flag).Usage = "the opposite of --" + m.Flag
		}
	}
	if c.custom != nil {
		c.custom.addFlags(fl)
	}
	if a.Paging != nil {
		c.pager = &pager{p: a.Paging}
		fl.StringVar(&c.pager.startingToken, "starting-token", "", "the NextToken of a previous answer cut by --max-items: where to resume")
		fl.IntVar(&c.pager.maxItems, "max-items", 0, "the most items to print; a NextToken in the answer resumes after them")
		if fl.Lookup("page-size") == nil {
			fl.IntVar(&c.pager.pageSize, "page-size", 0, "the size of each page fetched (--"+awsapi.XformName(a.Paging.LimitKey)+" of each call); all pages are fetched")
		}
	}
	fl.StringVar(&c.inputJSON, "cli-input-json", "", "the input as JSON (or file://PATH), members by their AWS names; options given as well override it")
	fl.StringVar(&c.inputYAML, "cli-input-yaml", "", "the input as YAML (or file://PATH); options given as well override it")
	fl.StringVar(&c.skeleton, "generate-cli-skeleton", "", "print a skeleton of the input (input, yaml-input) or of the output (output) and do nothing else")
	fl.Lookup("generate-cli-skeleton").NoOptDefVal = "input"
	cmd = cmdutil.Op(cmd, a.Name)
	cmd.Annotations[ServiceAnnotation] = string(a.Service)
	return cmd
}

// ServiceAnnotation names the AWS service of an action's command (ec2,
// elbv2, sts): with the operation, it says which action a command runs
// under any of its names.
const ServiceAnnotation = "aws-service"

// Action returns the action cmd runs, or nil for a command that runs none.
func Action(cmd *cobra.Command) *awsapi.Action {
	svc, op := cmd.Annotations[ServiceAnnotation], cmd.Annotations[cmdutil.OpAnnotation]
	if svc == "" || op == "" {
		return nil
	}
	return awsapi.Lookup(awsapi.Service(svc), op)
}

// topLevelTrue is the value of a toplevelbool option given alone.
const topLevelTrue = `{"Value":true}`

// topLevelBool says whether m is an EC2 structure of one boolean Value,
// which the AWS CLI also takes as --x and --no-x (awscli's toplevelbool).
func topLevelBool(a *awsapi.Action, m *awsapi.Member) bool {
	s := m.Shape
	return a.Service == awsapi.EC2 && s.Kind == awsapi.Structure && len(s.Members) == 1 &&
		s.Members[0].Name == "Value" && s.Members[0].Shape.Kind == awsapi.Boolean
}

// usageArgs is the usage line's required options.
func usageArgs(a *awsapi.Action) string {
	var b strings.Builder
	for _, m := range a.Input.Members {
		if m.Required {
			fmt.Fprintf(&b, " --%s <value>", m.Flag)
		}
	}
	return b.String() + " [flags]"
}

func long(a *awsapi.Action) string {
	var b strings.Builder
	b.WriteString(a.Summary)
	b.WriteString(".")
	if a.Long != "" {
		b.WriteString("\n\n" + a.Long)
	}
	fmt.Fprintf(&b, "\n\nAWS CLI: aws %s %s", a.Service, a.CLIName)
	if a.Short != "" {
		fmt.Fprintf(&b, " (plink's own name: %s)", a.Short)
	}
	var req []string
	for _, m := range a.Input.Members {
		if m.Required {
			req = append(req, "--"+m.Flag)
		}
	}
	if len(req) > 0 {
		fmt.Fprintf(&b, "\nRequired: %s", strings.Join(req, ", "))
	}
	if a.Paging != nil {
		fmt.Fprintf(&b, "\nPages with --%s and --%s.", awsapi.XformName(a.Paging.LimitKey), awsapi.XformName(a.Paging.InputToken))
	}
	return b.String()
}

// flagHelp is a member's help: the registration's words, or its type, with
// the shorthand syntax of structures.
func flagHelp(a *awsapi.Action, m *awsapi.Member) string {
	h := a.Help[m.Name]
	if names := control.FilterNames(a.Name); h == "" && m.Name == "Filters" && names != nil {
		h = "Name=<" + strings.Join(names, "|") + ">,Values=..."
	}
	if h == "" {
		h = commonHelp[m.Name]
	}
	if h == "" {
		h = "(" + string(m.Shape.Kind) + ")"
	}
	if syn := syntax(m.Shape); syn != "" && !strings.Contains(h, "=") {
		h += "; " + syn
	}
	if m.Required {
		h += " (required)"
	}
	return h
}

// commonHelp is the help of members many actions share.
var commonHelp = map[string]string{
	"DryRun":     "check the request without making it: DryRunOperation when it would succeed",
	"MaxResults": "the most items one page holds",
	"NextToken":  "the token of the next page, from a previous answer's NextToken",
	"PageSize":   "the most items one page holds",
	"Marker":     "the marker of the next page, from a previous answer's NextMarker",
	"Filters":    "filters, each Name=<name>,Values=<value>,<value>",
}

// syntax is the shorthand syntax of a structure or a list of structures, as
// the AWS CLI's help shows it ("Name=string,Values=string,string").
func syntax(s *awsapi.Shape) string {
	switch {
	case s.Kind == awsapi.Structure:
		return structSyntax(s, 0)
	case s.Kind == awsapi.List && s.Elem.Kind == awsapi.Structure:
		return structSyntax(s.Elem, 0) + " ..."
	case s.Kind == awsapi.List:
		return string(s.Elem.Kind) + " " + string(s.Elem.Kind) + " ... or a JSON list"
	}
	return ""
}

func structSyntax(s *awsapi.Shape, depth int) string {
	var parts []string
	for _, m := range s.Members {
		switch {
		case m.Shape.Kind.Scalar():
			parts = append(parts, m.Name+"="+string(m.Shape.Kind))
		case m.Shape.Kind == awsapi.List && m.Shape.Elem.Kind.Scalar():
			parts = append(parts, m.Name+"="+string(m.Shape.Elem.Kind)+","+string(m.Shape.Elem.Kind))
		case depth < 1 && m.Shape.Kind == awsapi.List:
			parts = append(parts, m.Name+"=[{"+structSyntax(m.Shape.Elem, depth+1)+"},...]")
		case depth < 1 && m.Shape.Kind == awsapi.Structure:
			parts = append(parts, m.Name+"={"+structSyntax(m.Shape, depth+1)+"}")
		default:
			parts = append(parts, m.Name+"=...")
		}
	}
	return strings.Join(parts, ",")
}

func (c *command) run(cmd *cobra.Command) error {
	switch c.skeleton {
	case "":
	case "input":
		_, err := c.f.IO.Out.Write(skeleton(c.a.Input))
		return err
	case "output":
		_, err := c.f.IO.Out.Write(skeleton(c.a.Output))
		return err
	case "yaml-input":
		y, err := yaml.JSONToYAML(skeleton(c.a.Input))
		if err != nil {
			return err
		}
		_, err = c.f.IO.Out.Write(y)
		return err
	default:
		return &cmdutil.UsageError{Err: fmt.Errorf("--generate-cli-skeleton: %q is not one of input, output, yaml-input", c.skeleton)}
	}
	in := c.a.NewInput()
	v := reflect.ValueOf(in).Elem()
	if c.inputJSON != "" && c.inputYAML != "" {
		return &cmdutil.UsageError{Err: fmt.Errorf("--cli-input-json and --cli-input-yaml cannot be used together")}
	}
	if c.inputJSON != "" {
		if err := decodeInputJSON(in, c.inputJSON, false); err != nil {
			return &cmdutil.UsageError{Err: fmt.Errorf("--cli-input-json: %w", err)}
		}
	}
	if c.inputYAML != "" {
		if err := decodeInputJSON(in, c.inputYAML, true); err != nil {
			return &cmdutil.UsageError{Err: fmt.Errorf("--cli-input-yaml: %w", err)}
		}
	}
	given := map[string]*memberFlag{}
	for _, mf := range c.members {
		if !mf.set {
			continue
		}
		if other := given[mf.m.Name]; other != nil {
			return &cmdutil.UsageError{Err: fmt.Errorf("--%s and --%s cannot be used together", other.name(), mf.name())}
		}
		given[mf.m.Name] = mf
		if err := mf.apply(v); err != nil {
			return &cmdutil.UsageError{Err: fmt.Errorf("--%s: %w", mf.name(), err)}
		}
	}
	if c.custom != nil {
		if err := c.custom.apply(in); err != nil {
			if _, ok := control.AsError(err); ok {
				return err
			}
			return &cmdutil.UsageError{Err: err}
		}
	}
	if missing := c.a.Missing(in); len(missing) > 0 {
		var flags, nested []string
		for _, name := range missing {
			if i := strings.LastIndex(name, "."); i >= 0 {
				// Targets[1].Id, as the AWS CLI's parameter validation names it.
				nested = append(nested, fmt.Sprintf("missing required parameter in %s: %q", name[:i], name[i+1:]))
				continue
			}
			flags = append(flags, "--"+awsapi.XformName(name))
		}
		if len(flags) > 0 {
			nested = append([]string{"the following arguments are required: " + strings.Join(flags, ", ")}, nested...)
		}
		return &cmdutil.UsageError{Err: errors.New(strings.Join(nested, "; "))}
	}
	if err := c.checkPagingArgs(cmd, given); err != nil {
		return err
	}
	call, err := c.caller(cmd)
	if err != nil {
		return err
	}
	var out any
	if c.paginates(cmd, given) {
		out, err = c.pager.run(c.a, in, call)
	} else {
		out, err = call(in)
	}
	if err != nil {
		return err
	}
	if len(c.a.Output.Members) == 0 {
		return nil // the AWS CLI prints nothing for an empty answer
	}
	if out, err = c.tableExtras(cmd, out); err != nil {
		return err
	}
	return c.f.Print(out, c.a.Table)
}

// paginates says whether the CLI fetches every page: the action pages,
// --no-paginate is not given, and neither is the action's own token or
// limit member (their options ask for one page, as in the AWS CLI; an
// ELBv2 --page-size is the limit member and the CLI's page size alike).
func (c *command) paginates(cmd *cobra.Command, given map[string]*memberFlag) bool {
	if c.pager == nil {
		return false
	}
	if f := cmd.Flags().Lookup("no-paginate"); f != nil && f.Value.String() == "true" {
		return false
	}
	if given[c.a.Paging.InputToken] != nil {
		return false
	}
	if mf := given[c.a.Paging.LimitKey]; mf != nil {
		if mf.m.Flag != "page-size" {
			return false
		}
	}
	return true
}

// checkPagingArgs refuses the CLI's paging options when paging is off, as
// the AWS CLI does (awscli/customizations/paginate.py): --no-paginate, or
// the action's own token or limit option (which turn paging off), cannot
// go with --max-items, --starting-token or --page-size.
func (c *command) checkPagingArgs(cmd *cobra.Command, given map[string]*memberFlag) error {
	if c.pager == nil || c.paginates(cmd, given) {
		return nil
	}
	var set []string
	for _, name := range []string{"max-items", "starting-token", "page-size"} {
		if name == "page-size" && awsapi.XformName(c.a.Paging.LimitKey) == "page-size" {
			continue // ELBv2's PageSize: the action's own option, which the CLI's shadows
		}
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			set = append(set, "--"+name)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return &cmdutil.UsageError{Err: fmt.Errorf("Cannot specify --no-paginate along with pagination arguments: %s", strings.Join(set, ", "))}
}

// memberFlag collects the values of one member's option; run decodes them
// into the input.
type memberFlag struct {
	m        *awsapi.Member
	negative bool // --no-<flag> of a boolean
	set      bool
	vals     []string
}

func (f *memberFlag) name() string {
	if f.negative {
		return "no-" + f.m.Flag
	}
	return f.m.Flag
}

func (f *memberFlag) String() string { return "" }

func (f *memberFlag) Set(s string) error {
	v, err := paramValue(f.m.Name, s)
	if err != nil {
		return err
	}
	f.set = true
	f.vals = append(f.vals, v)
	return nil
}

// Type names the value in --help; list types take several values.
func (f *memberFlag) Type() string {
	s := f.m.Shape
	switch s.Kind {
	case awsapi.Boolean:
		return "bool"
	case awsapi.Integer, awsapi.Long:
		return "int"
	case awsapi.List:
		if s.Elem.Kind.Scalar() {
			return "strings"
		}
		return "list"
	}
	return string(s.Kind)
}

// IsList says whether the option takes several space-separated values, as
// the AWS CLI's list options do.
func (f *memberFlag) IsList() bool { return f.m.Shape.Kind == awsapi.List }

// TakesValue says whether next, the word after an option whose value is
// optional (a toplevelbool), is its value: a structure in JSON or
// shorthand.
func (f *memberFlag) TakesValue(next string) bool {
	return f.m.Shape.Kind == awsapi.Structure && !f.negative &&
		(strings.HasPrefix(strings.TrimSpace(next), "{") || strings.HasPrefix(next, "Value="))
}

// apply decodes the values into the member's field of v.
func (f *memberFlag) apply(v reflect.Value) error {
	field := f.m.Field(v)
	last := f.vals[len(f.vals)-1]
	s := f.m.Shape
	switch {
	case s.Kind == awsapi.Boolean:
		b, err := strconv.ParseBool(last)
		if err != nil {
			return fmt.Errorf("expected true or false, not %q", last)
		}
		if f.negative {
			b = !b
		}
		return setScalar(field, reflect.ValueOf(b))
	case s.Kind == awsapi.String:
		return setScalar(field, reflect.ValueOf(last).Convert(s.Type))
	case s.Kind == awsapi.Integer || s.Kind == awsapi.Long:
		n, err := strconv.ParseInt(strings.TrimSpace(last), 10, 64)
		if err != nil {
			return fmt.Errorf("expected an integer, not %q", last)
		}
		return setScalar(field, reflect.ValueOf(n).Convert(s.Type))
	case s.Kind == awsapi.List && s.Elem.Kind.Scalar():
		return scalarList(field, s, f.vals)
	case s.Kind == awsapi.List:
		for _, val := range f.vals {
			if strings.HasPrefix(strings.TrimSpace(val), "[") {
				many := reflect.New(s.Type)
				if err := cmdutil.DecodeShorthand(val, many.Interface()); err != nil {
					return err
				}
				field.Set(reflect.AppendSlice(field, many.Elem()))
				continue
			}
			one := reflect.New(s.Type.Elem())
			if err := cmdutil.DecodeShorthand(val, one.Interface()); err != nil {
				return err
			}
			field.Set(reflect.Append(field, one.Elem()))
		}
		return nil
	default: // structure, map
		if f.negative { // --no-x of a toplevelbool
			last = `{"Value":false}`
		}
		ptr := reflect.New(s.Type)
		if err := cmdutil.DecodeShorthand(last, ptr.Interface()); err != nil {
			return err
		}
		if field.Kind() == reflect.Pointer {
			field.Set(ptr)
		} else {
			field.Set(ptr.Elem())
		}
		return nil
	}
}

// setScalar sets a scalar field or a pointer to one.
func setScalar(field, val reflect.Value) error {
	if field.Kind() == reflect.Pointer {
		p := reflect.New(field.Type().Elem())
		p.Elem().Set(val.Convert(field.Type().Elem()))
		field.Set(p)
		return nil
	}
	field.Set(val.Convert(field.Type()))
	return nil
}

// scalarList fills a list of scalars from repeated values, values separated
// by spaces or commas, or JSON lists.
func scalarList(field reflect.Value, s *awsapi.Shape, vals []string) error {
	for _, val := range vals {
		var items []string
		if t := strings.TrimSpace(val); strings.HasPrefix(t, "[") {
			many := reflect.New(s.Type)
			if err := cmdutil.DecodeShorthand(t, many.Interface()); err != nil {
				return err
			}
			field.Set(reflect.AppendSlice(field, many.Elem()))
			continue
		} else {
			items = cmdutil.SplitList([]string{val})
		}
		for _, it := range items {
			e := reflect.New(s.Elem.Type).Elem()
			switch s.Elem.Kind {
			case awsapi.String:
				e.SetString(it)
			case awsapi.Integer, awsapi.Long:
				n, err := strconv.ParseInt(it, 10, 64)
				if err != nil {
					return fmt.Errorf("expected integers, not %q", it)
				}
				e.SetInt(n)
			case awsapi.Boolean:
				b, err := strconv.ParseBool(it)
				if err != nil {
					return fmt.Errorf("expected true or false, not %q", it)
				}
				e.SetBool(b)
			default:
				return fmt.Errorf("cannot take %s values", s.Elem.Kind)
			}
			field.Set(reflect.Append(field, e))
		}
	}
	return nil
}

// caller is how the command runs its action: on the store as the
// configured caller, or, with --endpoint-url (or AWS_ENDPOINT_URL), sent to
// that API server over the AWS query protocol. Both answer the same output
// struct and the same *control.Error, so what sits above (printing,
// --query, paging) is the same.
func (c *command) caller(cmd *cobra.Command) (func(any) (any, error), error) {
	return c.callerOf(cmd, c.a)
}

// callerOf is caller for another action a, made as the same caller in the
// same way (the store, or the API server): what a table's extra columns
// call (addresses.go).
func (c *command) callerOf(cmd *cobra.Command, a *awsapi.Action) (func(any) (any, error), error) {
	ctx := cmd.Context()
	endpoint, err := c.f.EndpointURL()
	if err != nil {
		return nil, err
	}
	if endpoint != "" {
		client, err := c.f.APIClient(endpoint)
		if err != nil {
			return nil, err
		}
		return func(in any) (any, error) {
			return c.f.DebugCall(string(a.Service), a.Name, in, func(in any) (any, error) { return client.Call(ctx, a, in) })
		}, nil
	}
	api, err := c.f.API(ctx)
	if err != nil {
		return nil, err
	}
	return func(in any) (any, error) {
		return c.f.DebugCall(string(a.Service), a.Name, in, func(in any) (any, error) { return a.Call(ctx, api, in) })
	}, nil
}
