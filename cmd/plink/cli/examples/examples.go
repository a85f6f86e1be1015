// Package examples holds the Examples sections of plink's help, taken from
// the testscript scripts (cmd/plink/testdata/script/*.txtar) so that every
// example shown is one a test runs. A script marks an example with a
// comment right above an `exec plink` line:
//
//	# example: list your endpoints with their addresses
//	exec plink describe-endpoints -o table
//
// `go generate ./cmd/plink/cli/examples` collects them into examples_gen.go
// (All); the cli package attaches each to the command it runs, and a test
// fails when the generated file is stale or a command has none.
package examples

//go:generate go run gen.go

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Example is one marked line of a script.
type Example struct {
	// Desc is the marking comment's text.
	Desc string
	// Line is the command as a user types it: "plink describe-vpcs -o table".
	Line string
	// Args are Line's words after "plink", unquoted: what the command tree
	// resolves to find the command the example belongs to.
	Args []string
	// Script is the file the example was taken from.
	Script string
	// Vars say where Line's shell variables come from, each a line a user
	// can run first, in the script's order: "TG=$(plink create-target-group
	// ...)" for a value the script captured from a command's output,
	// "PORT=8081  # any free port"
	// for a port the script picked. A variable the script set otherwise
	// is left unexplained.
	Vars []string
}

// mark is the marking comment.
var mark = regexp.MustCompile(`^#\s*example:\s*(.*?)\s*$`)

// condition is a testscript condition prefix such as [linux] or [!windows].
var condition = regexp.MustCompile(`^\[[^\]]*\]\s*`)

// Parse returns the examples marked in one script. A mark not followed by
// an `exec plink` line is an error naming the file and line, as is a mark
// with no description.
func Parse(name string, data []byte) ([]Example, error) {
	var out []Example
	env := map[string]string{}
	lines := strings.Split(string(data), "\n")
	r := renderer{env: env, profiles: profiles(lines)}
	o := origins{render: r.render}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --") {
			break // the archive's files: no more script
		}
		setEnv(env, line)
		o.record(expand(line, env))
		m := mark.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if m[1] == "" {
			return nil, fmt.Errorf("%s:%d: '# example:' needs a description", name, i+1)
		}
		if i+1 >= len(lines) {
			return nil, fmt.Errorf("%s:%d: '# example:' is not followed by an 'exec plink' line", name, i+1)
		}
		ex, err := r.render(lines[i+1])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, i+2, err)
		}
		ex.Desc, ex.Script = m[1], name
		ex.Vars = o.explain(ex.Line)
		out = append(out, ex)
	}
	return out, nil
}

// setEnv records the variables a script's `env NAME=VALUE` line sets to
// constants (no $ in the value): an example shows them expanded, as
// --profile=provider reads better than $P. Variables set otherwise
// (capture) stay shell variables.
func setEnv(env map[string]string, line string) {
	rest, ok := strings.CutPrefix(line, "env ")
	if !ok {
		return
	}
	for _, w := range strings.Fields(rest) {
		name, value, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		if value == "" || strings.Contains(value, "$") {
			delete(env, name)
			continue
		}
		env[name] = value
	}
}

// renderer turns a script's plink lines into what a user types, with what
// the script set up around them made explicit.
type renderer struct {
	env      map[string]string // the script's constant variables (setEnv)
	profiles map[string]string // profile -> account, from the script's config file
}

// render is line as a user types it (command), with its constant variables
// expanded and the account it acts as said on the line: a profile of the
// script's own config file becomes --account N (the reader's config has no
// such profile), and an account the script set with env PLINK_ACCOUNT=N
// becomes --account N (the reader does not see that env line).
func (r renderer) render(line string) (Example, error) {
	ex, err := command(expand(line, r.env))
	if err != nil {
		return ex, err
	}
	rest := strings.TrimPrefix(ex.Line, "plink ")
	rest = profileFlag.ReplaceAllStringFunc(rest, func(f string) string {
		if acct, ok := r.profiles[profileFlag.FindStringSubmatch(f)[1]]; ok {
			return "--account " + acct
		}
		return f
	})
	if acct := r.env["PLINK_ACCOUNT"]; acct != "" && !strings.Contains(rest, "--account") && !strings.Contains(rest, "--profile") {
		rest = "--account " + acct + " " + rest
	}
	return command("exec plink " + rest)
}

// profileFlag is a --profile flag on a line.
var profileFlag = regexp.MustCompile(`--profile[= ]([A-Za-z0-9_-]+)`)

// profileLine is a profile of a script's config file that names its account:
// "  provider: {account: "111111111111"}".
var profileLine = regexp.MustCompile(`^\s+([A-Za-z0-9_-]+):\s*\{\s*account:\s*"?([0-9]{12})"?\s*\}`)

// profiles are the accounts of the profiles a script's config file
// (an archive file named config.yaml) defines.
func profiles(lines []string) map[string]string {
	out := map[string]string{}
	inConfig := false
	for _, line := range lines {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimSpace(line), " --") {
			inConfig = strings.HasSuffix(strings.TrimSuffix(strings.TrimSpace(line), " --"), "config.yaml")
			continue
		}
		if m := profileLine.FindStringSubmatch(line); inConfig && m != nil {
			out[m[1]] = m[2]
		}
	}
	return out
}

// origins are where a script's variables came from, as the lines that set
// them (see Example.Vars), and the last command a capture would read.
type origins struct {
	def   map[string]string // variable -> its defining line
	order []string          // variables in the order they were defined
	last  string            // the last 'exec plink' line, as a user types it; "" after any other command
	ports int               // free ports handed out so far
	// render turns a script line into what a user types (renderer.render).
	render func(line string) (Example, error)
}

// record notes what one (expanded) script line tells of variables.
func (o *origins) record(line string) {
	if o.def == nil {
		o.def = map[string]string{}
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
		return
	}
	switch {
	case fields[0] == "capture" && len(fields) == 2 && o.last != "":
		o.define(fields[1], fields[1]+"=$("+o.last+")")
	case fields[0] == "txtserver" && len(fields) == 4:
		o.define(fields[1], fields[1]+"=10.0.0.2:53  # the DNS server (host:port) where you published the TXT record")
	case fields[0] == "freeport" && len(fields) == 2:
		o.ports++
		o.define(fields[1], fmt.Sprintf("%s=%d  # any free port", fields[1], 8080+o.ports))
	case fields[0] == "env":
		for _, w := range fields[1:] {
			if name, _, ok := strings.Cut(w, "="); ok {
				delete(o.def, name) // set by the script, not by a command
			}
		}
	case fields[0] == "exec" || fields[0] == "exits" || fields[0] == "!" || strings.HasPrefix(fields[0], "["):
		o.last = ""
		if ex, err := o.render(line); err == nil {
			o.last = ex.Line
		}
	}
}

// define records name's defining line, replacing an earlier one.
func (o *origins) define(name, line string) {
	if _, ok := o.def[name]; !ok {
		o.order = append(o.order, name)
	}
	o.def[name] = line
}

// explain is the defining lines of the variables line uses, in definition
// order. Only line's own: the commands that set them say what each holds
// (a target group's ARN, an endpoint's ID), and their variables in turn
// would make every example the whole story before it.
func (o *origins) explain(line string) []string {
	need := map[string]bool{}
	for _, m := range varRef.FindAllStringSubmatch(line, -1) {
		need[m[1]] = true
	}
	var out []string
	for _, name := range o.order {
		if need[name] {
			out = append(out, o.def[name])
		}
	}
	return out
}

// varRef is a variable reference in a script line.
var varRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// expand replaces the references to env's variables in line.
func expand(line string, env map[string]string) string {
	return varRef.ReplaceAllStringFunc(line, func(ref string) string {
		name := strings.Trim(ref, "${}")
		if v, ok := env[name]; ok {
			return v
		}
		return ref
	})
}

// exitsPrefix is the scripts' "exits N" (the command must exit N), which
// stands where exec does.
var exitsPrefix = regexp.MustCompile(`^exits [0-9]+ `)

// background is a script line's trailing & or &name& (run in the
// background, named for a later wait or kill): the script's business, not
// part of what a user types.
var background = regexp.MustCompile(`\s+&([A-Za-z0-9_]+&)?$`)

// readyFile is a --ready-file flag with its path.
var readyFile = regexp.MustCompile(`\s+--ready-file[= ]\S+`)

// command turns a script's `exec plink ...` line into what a user types:
// conditions, a leading ! and a trailing & (run in the background, with
// its --ready-file) dropped, $WORK/ dropped from paths (file://$WORK/
// becomes file://$PWD/), variables kept for the shell.
func command(line string) (Example, error) {
	s := strings.TrimSpace(line)
	for condition.MatchString(s) {
		s = condition.ReplaceAllString(s, "")
	}
	// An example may show a command that fails (! exec: serve --check on
	// a busy machine); what a user types is the same.
	s = strings.TrimPrefix(s, "! ")
	s = exitsPrefix.ReplaceAllString(s, "exec ")
	rest, ok := strings.CutPrefix(s, "exec plink ")
	if !ok {
		return Example{}, fmt.Errorf("'# example:' must be followed by an 'exec plink ...' line, not %q", line)
	}
	rest = strings.TrimSpace(rest)
	if background.MatchString(rest) {
		// A command the script runs in the background, it waits for
		// through its --ready-file: the file is the script's way to
		// know it runs, not the user's.
		rest = readyFile.ReplaceAllString(background.ReplaceAllString(rest, ""), "")
	}
	rest = strings.TrimSpace(rest)
	// A file:// URL needs an absolute path (serve may deliver from another
	// directory); other paths read best relative.
	rest = strings.ReplaceAll(strings.ReplaceAll(rest, "file://${WORK}/", "file://$WORK/"), "file://$WORK/", "file://$PWD/")
	rest = strings.ReplaceAll(rest, "$WORK/", "")
	rest = strings.ReplaceAll(rest, "${WORK}/", "")
	args, err := words(rest)
	if err != nil {
		return Example{}, err
	}
	return Example{Line: "plink " + rest, Args: args}, nil
}

// words splits a line as testscript does: on spaces, with '...' quoting
// (” inside quotes is one quote).
func words(s string) ([]string, error) {
	var out []string
	var b strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == '\'':
			quoted, inWord = !quoted, true
		case !quoted && (c == ' ' || c == '\t'):
			if inWord {
				out = append(out, b.String())
				b.Reset()
				inWord = false
			}
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if inWord {
		out = append(out, b.String())
	}
	return out, nil
}

// Collect parses every script in dir, in file name order.
func Collect(dir string) ([]Example, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var all []Example
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		exs, err := Parse(filepath.Base(f), data)
		if err != nil {
			return nil, err
		}
		all = append(all, exs...)
	}
	return all, nil
}

// quoteList is ss as a Go []string literal.
func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

// Generate is the source of examples_gen.go for the scripts in dir.
func Generate(dir string) ([]byte, error) {
	all, err := Collect(dir)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`// Code generated by "go generate ./cmd/plink/cli/examples"; DO NOT EDIT.

// The examples marked "# example: <description>" above "exec plink ..."
// lines in cmd/plink/testdata/script/*.txtar. After marking or changing
// one, regenerate this file from the repository root with:
//
//	go generate ./cmd/plink/cli/examples

package examples

// All is every marked example, by script file name, then line.
var All = []Example{
`)
	for _, ex := range all {
		fmt.Fprintf(&b, "\t{Desc: %s, Line: %s, Script: %s, Args: %s", strconv.Quote(ex.Desc), strconv.Quote(ex.Line), strconv.Quote(ex.Script), quoteList(ex.Args))
		if len(ex.Vars) > 0 {
			fmt.Fprintf(&b, ", Vars: %s", quoteList(ex.Vars))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
