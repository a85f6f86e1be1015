package awsmodel

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Action is one AWS action as plink describes it.
type Action struct {
	Service   string       // botocore's service name: ec2, elbv2, sts
	Operation string       // the AWS action: CreateVpcEndpoint
	Input     reflect.Type // the input struct (or a pointer to it); nil when not checked
	Output    reflect.Type // the output struct (or a pointer to it); nil when not checked
}

// Enum is a set of values plink uses for one member (its named constants,
// e.g. the endpoint states).
type Enum struct {
	Service string   // ec2
	Shape   string   // the model's structure holding the member: VpcEndpoint
	Member  string   // State
	Values  []string // plink's values
	// LowerFirst: AWS prints this member's values with the first letter
	// lowercased, though the model's enum capitalises them (the AWS CLI's
	// examples print "available" and "pendingAcceptance" for
	// VpcEndpoint.State, whose enum says Available, PendingAcceptance).
	LowerFirst bool
}

// Report is what a check found.
type Report struct {
	// Problems are failures: a member the model lacks, wrong casing or
	// type, a required member missing or not marked required, an enum
	// value the model does not have, an unknown action.
	Problems []string
	// Omitted lists the model's members plink's structs leave out, as
	// "ec2 CreateVpcEndpoint output VpcEndpoint.PolicyDocument".
	Omitted []string
	// Notes are worth knowing but not failures: members plink requires
	// that the model does not, values typed any (not checked).
	Notes []string
	// Members counts the struct members compared with a model member (each
	// time it is met: a shared structure counts in every action).
	Members int
	// Flags counts the AWS CLI flags CheckCLI looked for.
	Flags int
}

// Err is nil without problems, else an error listing them all.
func (r *Report) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return fmt.Errorf("%d problems against the AWS models:\n  %s", len(r.Problems), strings.Join(r.Problems, "\n  "))
}

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// RequiredTag is the struct tag that marks a required input member:
// `aws:"required"` (possibly among other comma-separated options).
const RequiredTag = "required"

// Check compares each action's input and output struct with the model's
// input and output shape, recursively: every JSON member name of the
// struct exists in the shape with the same casing and a matching type
// (string, integer/long, boolean, float/double, timestamp as string or
// time.Time, blob as []byte or string, list as slice, map as map with
// string keys, structure as struct); every member the model requires in an
// input is in the struct and tagged `aws:"required"`; the model's members
// the struct lacks are listed in Omitted. Then each enum's values must be
// in the model's enum: exactly, or, with LowerFirst, as the model's value
// with its first letter lowercased (pendingAcceptance for
// PendingAcceptance); a value whose lowercase form AWS's own examples
// (examples-1.json) print for that member must be that lowercase form.
func (ms Models) Check(actions []Action, enums []Enum) *Report {
	r := &Report{}
	for _, a := range actions {
		m, op := ms.operation(r, a.Service, a.Operation)
		if op == nil {
			continue
		}
		where := a.Service + " " + a.Operation
		if a.Input != nil {
			c := &checker{m: m, r: r, input: true, seen: map[seenKey]bool{}}
			if op.Input == nil {
				c.goStructHasNoMembers(where+" input", a.Input)
			} else {
				c.compare(where+" input", "", op.Input.Shape, a.Input)
			}
		}
		if a.Output != nil {
			c := &checker{m: m, r: r, seen: map[seenKey]bool{}}
			if op.Output == nil {
				c.goStructHasNoMembers(where+" output", a.Output)
			} else {
				c.compare(where+" output", "", op.Output.Shape, a.Output)
			}
		}
	}
	for _, e := range enums {
		ms.checkEnum(r, e)
	}
	return r
}

func (ms Models) operation(r *Report, service, operation string) (*Model, *Operation) {
	m := ms[service]
	if m == nil {
		r.problem("%s %s: no model loaded for service %q", service, operation, service)
		return nil, nil
	}
	op := m.Operations[operation]
	if op == nil {
		r.problem("%s %s: the model has no such operation", service, operation)
		return nil, nil
	}
	return m, op
}

type seenKey struct {
	shape string
	t     reflect.Type
}

type checker struct {
	m     *Model
	r     *Report
	input bool
	seen  map[seenKey]bool // recursion guard
}

var (
	timeType       = reflect.TypeFor[time.Time]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

// compare checks Go type t against shape; where names the action, path
// the member ("VpcEndpoints[].Groups[].GroupId").
func (c *checker) compare(where, path, shapeName string, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	shape := c.m.Shapes[shapeName]
	if shape == nil {
		c.r.problem("%s %s: the model has no shape %q", where, orTop(path), shapeName)
		return
	}
	key := seenKey{shapeName, t}
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	defer delete(c.seen, key)

	if t == rawMessageType || t.Kind() == reflect.Interface {
		c.r.note("%s %s: %s holds any JSON; its %s shape %s is not checked", where, orTop(path), t, shape.Type, shapeName)
		return
	}
	wrong := func() {
		c.r.problem("%s %s: Go type %s does not match the model's %s (shape %s)", where, orTop(path), t, shape.Type, shapeName)
	}
	switch shape.Type {
	case "string":
		if t.Kind() != reflect.String {
			wrong()
		}
	case "integer", "long":
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			wrong()
		}
	case "boolean":
		if t.Kind() != reflect.Bool {
			wrong()
		}
	case "float", "double":
		if t.Kind() != reflect.Float32 && t.Kind() != reflect.Float64 {
			wrong()
		}
	case "timestamp":
		if t.Kind() != reflect.String && t != timeType {
			wrong()
		}
	case "blob":
		if t.Kind() != reflect.String && !(t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8) {
			wrong()
		}
	case "list":
		if (t.Kind() != reflect.Slice && t.Kind() != reflect.Array) || shape.Member == nil {
			wrong()
			return
		}
		c.compare(where, path+"[]", shape.Member.Shape, t.Elem())
	case "map":
		if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String || shape.Value == nil {
			wrong()
			return
		}
		c.compare(where, path+"{}", shape.Value.Shape, t.Elem())
	case "structure":
		if t.Kind() != reflect.Struct || t == timeType {
			wrong()
			return
		}
		c.compareStruct(where, path, shapeName, shape, t)
	default:
		c.r.note("%s %s: shape %s of type %q is not checked", where, orTop(path), shapeName, shape.Type)
	}
}

func (c *checker) compareStruct(where, path, shapeName string, shape *Shape, t reflect.Type) {
	fields := jsonFields(t)
	have := map[string]goField{}
	lower := map[string]string{}
	for name := range shape.Members {
		lower[strings.ToLower(name)] = name
	}
	for _, f := range fields {
		have[f.Name] = f
		p := join(path, f.Name)
		ref, ok := shape.Members[f.Name]
		if !ok {
			if right, ok := lower[strings.ToLower(f.Name)]; ok {
				c.r.problem("%s %s: wrong casing: the model's member is %s (Go field %s.%s)", where, p, right, t.Name(), f.GoName)
			} else {
				c.r.problem("%s %s: the model's %s has no member %s (Go field %s.%s)", where, p, shapeName, f.Name, t.Name(), f.GoName)
			}
			continue
		}
		c.r.Members++
		c.compare(where, p, ref.Shape, f.Type)
		if c.input && f.Required && !slices.Contains(shape.Required, f.Name) {
			c.r.note("%s %s: plink requires it, the model does not", where, p)
		}
	}
	if c.input {
		for _, name := range shape.Required {
			f, ok := have[name]
			switch {
			case !ok:
				c.r.problem("%s %s: required by the model, missing in Go type %s", where, join(path, name), t)
			case !f.Required:
				c.r.problem("%s %s: required by the model, not tagged `aws:\"required\"` (Go field %s.%s)", where, join(path, name), t.Name(), f.GoName)
			}
		}
	}
	var omitted []string
	for name := range shape.Members {
		if _, ok := have[name]; !ok {
			omitted = append(omitted, join(path, name))
		}
	}
	slices.Sort(omitted)
	for _, o := range omitted {
		c.r.Omitted = append(c.r.Omitted, where+" "+o)
	}
}

// goStructHasNoMembers: an action without an input (output) shape must
// have an empty struct.
func (c *checker) goStructHasNoMembers(where string, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		c.r.problem("%s: the model has no shape, Go type %s is not a struct", where, t)
		return
	}
	for _, f := range jsonFields(t) {
		c.r.problem("%s %s: the model has no shape at all (Go field %s.%s)", where, f.Name, t.Name(), f.GoName)
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func orTop(path string) string {
	if path == "" {
		return "(top)"
	}
	return path
}

// goField is one member of a Go struct as encoding/json sees it.
type goField struct {
	Name     string // the JSON name
	GoName   string
	Type     reflect.Type
	Required bool // tagged aws:"required"
}

// jsonFields lists t's members as encoding/json marshals them: exported
// fields by their json tag name (the field name without one), fields
// tagged "-" left out, untagged embedded structs' fields promoted.
func jsonFields(t reflect.Type) []goField {
	var out []goField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, jsonFields(et)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		req := false
		for _, opt := range strings.Split(f.Tag.Get("aws"), ",") {
			if strings.TrimSpace(opt) == RequiredTag {
				req = true
			}
		}
		out = append(out, goField{Name: name, GoName: f.Name, Type: f.Type, Required: req})
	}
	return out
}

func (ms Models) checkEnum(r *Report, e Enum) {
	where := fmt.Sprintf("%s %s.%s", e.Service, e.Shape, e.Member)
	m := ms[e.Service]
	if m == nil {
		r.problem("%s: no model loaded for service %q", where, e.Service)
		return
	}
	holder := m.Shapes[e.Shape]
	if holder == nil || holder.Type != "structure" {
		r.problem("%s: the model has no structure %s", where, e.Shape)
		return
	}
	ref, ok := holder.Members[e.Member]
	if !ok {
		r.problem("%s: the model's %s has no member %s", where, e.Shape, e.Member)
		return
	}
	target := m.Shapes[ref.Shape]
	if target != nil && target.Type == "list" && target.Member != nil {
		target = m.Shapes[target.Member.Shape]
	}
	if target == nil || len(target.Enum) == 0 {
		r.problem("%s: the model's shape %s has no enum", where, ref.Shape)
		return
	}
	printed := m.ExampleValues[e.Shape+"."+e.Member]
	for _, v := range e.Values {
		exact := slices.Contains(target.Enum, v)
		i := slices.IndexFunc(target.Enum, func(s string) bool { return lowerFirst(s) == v })
		switch {
		case e.LowerFirst && i >= 0:
			// As AWS prints it.
		case e.LowerFirst && exact:
			r.problem("%s: %q: AWS prints %q", where, v, lowerFirst(v))
		case exact && lowerFirst(v) != v && printed[lowerFirst(v)]:
			r.problem("%s: %q: AWS's examples print %q", where, v, lowerFirst(v))
		case exact:
		case i >= 0:
			r.problem("%s: %q: the model's enum has %q (LowerFirst when AWS prints it so)", where, v, target.Enum[i])
		default:
			r.problem("%s: %q is not in the model's enum %s %v", where, v, ref.Shape, target.Enum)
		}
	}
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
