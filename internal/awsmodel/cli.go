package awsmodel

import (
	"fmt"
	"slices"
)

// CommandName is the AWS CLI's command for an operation:
// DescribeVpcEndpoints → describe-vpc-endpoints.
func CommandName(operation string) string { return XformName(operation, "-") }

// argRenames are the AWS CLI's renames of generated flags
// (awscli/customizations/argrename.py) for the services plink covers, by
// service, then command ("*" for all), then generated name.
var argRenames = map[string]map[string]map[string]string{
	"ec2": {
		"create-image": {"no-no-reboot": "reboot"},
		"*":            {"no-egress": "ingress", "no-disable-api-termination": "enable-api-termination"},
	},
}

// secGroupSimplified are the commands to which the AWS CLI adds its own
// flags for one rule (awscli/customizations/ec2/secgroupsimplify.py).
var secGroupSimplified = []string{
	"authorize-security-group-ingress", "authorize-security-group-egress",
	"revoke-security-group-ingress", "revoke-security-group-egress",
}

// cliCustomized are the AWS CLI's other changes to the generated flags of
// commands of these services (awscli/customizations/ec2/*.py): flags added
// and flags removed.
var cliCustomized = map[string]map[string]struct{ add, remove []string }{
	"ec2": {
		"get-password-data": {add: []string{"priv-launch-key"}},
		"bundle-instance":   {add: []string{"bucket", "prefix", "owner-akid", "owner-sak", "policy"}},
		"run-instances": {
			add: []string{"count", "secondary-private-ip-addresses", "secondary-private-ip-address-count",
				"associate-public-ip-address", "no-associate-public-ip-address"},
			remove: []string{"min-count", "max-count"},
		},
	},
}

// CLIFlags returns the flags (without "--") the AWS CLI v2 has for an
// operation of m, sorted: one per input member (XformName(member, "-")),
// with --no-X for booleans and, in ec2, for {Value: boolean} structures
// (awscli's toplevelbool); the renames of argrename.py; --starting-token,
// --max-items and (with a limit key) --page-size on paginated operations
// (the model's own paging members stay, undocumented); --cli-input-json,
// --cli-input-yaml and --generate-cli-skeleton; and secgroupsimplify's
// --protocol, --port, --cidr, --source-group and --group-owner, and the
// other ec2 customizations (run-instances --count, ...). Global
// options (--output, --query, --no-paginate, ...) are not included.
func CLIFlags(m *Model, operation string) ([]string, error) {
	op := m.Operations[operation]
	if op == nil {
		return nil, fmt.Errorf("%s: no operation %s", m.Service, operation)
	}
	cmd := CommandName(operation)
	set := map[string]bool{}
	add := func(name string) { set[name] = true }
	// argrename.py runs before toplevelbool.py adds its --no-X.
	renamed := func(name string) string {
		if r, ok := argRenames[m.Service][cmd][name]; ok {
			return r
		}
		if r, ok := argRenames[m.Service]["*"][name]; ok {
			return r
		}
		return name
	}
	if op.Input != nil {
		in := m.Shapes[op.Input.Shape]
		if in == nil {
			return nil, fmt.Errorf("%s %s: no shape %s", m.Service, operation, op.Input.Shape)
		}
		for member, ref := range in.Members {
			name := XformName(member, "-")
			add(renamed(name))
			switch {
			case m.isBoolean(ref.Shape):
				add(renamed("no-" + name))
			case m.Service == "ec2" && m.isBooleanValue(ref.Shape):
				add("no-" + name)
			}
		}
	}
	if p := m.Paginators[operation]; p != nil {
		add("starting-token")
		add("max-items")
		if p.LimitKey != "" {
			add("page-size")
		}
	}
	add("cli-input-json")
	add("cli-input-yaml")
	add("generate-cli-skeleton")
	if m.Service == "ec2" && slices.Contains(secGroupSimplified, cmd) {
		for _, f := range []string{"protocol", "port", "cidr", "source-group", "group-owner"} {
			add(f)
		}
	}
	for _, f := range cliCustomized[m.Service][cmd].add {
		add(f)
	}
	for _, f := range cliCustomized[m.Service][cmd].remove {
		delete(set, f)
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	slices.Sort(out)
	return out, nil
}

func (m *Model) isBoolean(shape string) bool {
	s := m.Shapes[shape]
	return s != nil && s.Type == "boolean"
}

// isBooleanValue: a structure of one member Value of type boolean
// (AttributeBooleanValue), which the AWS CLI turns into --X/--no-X in ec2.
func (m *Model) isBooleanValue(shape string) bool {
	s := m.Shapes[shape]
	if s == nil || s.Type != "structure" || len(s.Members) != 1 {
		return false
	}
	v, ok := s.Members["Value"]
	return ok && m.isBoolean(v.Shape)
}

// CLI is what CheckCLI asks of plink's command tree.
type CLI interface {
	// HasCommand reports whether `plink <service> <command>` exists.
	HasCommand(service, command string) bool
	// HasFlag reports whether `plink <service> <command>` has --flag.
	HasFlag(service, command, flag string) bool
}

// CheckCLI reports, for each action, a problem when plink has no command
// named as the AWS CLI names it under the service, and one for each AWS CLI
// flag of it (CLIFlags) plink's command lacks.
func (ms Models) CheckCLI(actions []Action, cli CLI) *Report {
	r := &Report{}
	for _, a := range actions {
		m, op := ms.operation(r, a.Service, a.Operation)
		if op == nil {
			continue
		}
		cmd := CommandName(a.Operation)
		if !cli.HasCommand(a.Service, cmd) {
			r.problem("%s %s: no command `plink %s %s`", a.Service, a.Operation, a.Service, cmd)
			continue
		}
		flags, err := CLIFlags(m, a.Operation)
		if err != nil {
			r.problem("%v", err)
			continue
		}
		r.Flags += len(flags)
		for _, f := range flags {
			if !cli.HasFlag(a.Service, cmd, f) {
				r.problem("%s %s: `plink %s %s` has no --%s", a.Service, a.Operation, a.Service, cmd, f)
			}
		}
	}
	return r
}
