package api

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/plink-dev/plink/internal/awsapi"
)

// form is a query request's parameters, first value of each, with the set
// of every dotted prefix of their names (so a list's length is found
// without scanning).
type form struct {
	vals     map[string]string
	prefixes map[string]bool
	used     map[string]bool
}

// reserved are the parameters every request may carry besides the input:
// the action, the version and those of a presigned URL.
func reserved(name string) bool {
	return name == "Action" || name == "Version" || strings.HasPrefix(name, "X-Amz-") || name == "AWSAccessKeyId" ||
		name == "Signature" || name == "SignatureMethod" || name == "SignatureVersion" || name == "Timestamp" || name == "Expires"
}

func newForm(v url.Values) *form {
	f := &form{vals: map[string]string{}, prefixes: map[string]bool{}, used: map[string]bool{}}
	for k, vs := range v {
		if len(vs) == 0 || reserved(k) {
			continue
		}
		f.vals[k] = vs[0]
		for i := 0; i < len(k); i++ {
			if k[i] == '.' {
				f.prefixes[k[:i]] = true
			}
		}
	}
	return f
}

// decodeError is a parameter the input cannot take.
type decodeError struct {
	unknown bool // an unknown parameter (else a bad value)
	name    string
	msg     string
}

func (e *decodeError) Error() string { return e.msg }

// decodeInput fills in (a pointer to the action's input struct) from the
// parameters, by the action's members and the service's protocol: EC2's
// (lists flattened as Name.1, named after the member's QueryName) or
// awsQuery's (lists as Name.member.1, maps as Name.entry.1.key/value).
func decodeInput(a *awsapi.Action, vals url.Values, in any) error {
	f := newForm(vals)
	ec2 := a.Service == awsapi.EC2
	if err := f.structure(a.Input, reflect.ValueOf(in).Elem(), "", ec2); err != nil {
		return err
	}
	var unknown []string
	for k := range f.vals {
		if !f.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return &decodeError{unknown: true, name: unknown[0],
			msg: fmt.Sprintf("The parameter %s is not recognized", unknown[0])}
	}
	return nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func (f *form) structure(s *awsapi.Shape, v reflect.Value, prefix string, ec2 bool) error {
	for _, m := range s.Members {
		name := m.Name
		if ec2 {
			name = m.QueryName()
		}
		if err := f.value(m.Shape, m.Field(v), join(prefix, name), ec2); err != nil {
			return err
		}
	}
	return nil
}

// value decodes the parameter(s) at name into v (allocating pointers only
// where something is given).
func (f *form) value(s *awsapi.Shape, v reflect.Value, name string, ec2 bool) error {
	switch s.Kind {
	case awsapi.Structure:
		if !f.prefixes[name] {
			return nil
		}
		return f.structure(s, alloc(v), name, ec2)
	case awsapi.List:
		base := name
		if !ec2 {
			base = name + ".member"
		}
		n := 0
		for f.prefixes[base+"."+strconv.Itoa(n+1)] || f.has(base+"."+strconv.Itoa(n+1)) {
			n++
		}
		if n == 0 {
			// awsQuery sends an empty list as "Name=" alone.
			if _, ok := f.vals[name]; ok && !ec2 && f.vals[name] == "" {
				f.used[name] = true
				lv := alloc(v)
				lv.Set(reflect.MakeSlice(lv.Type(), 0, 0))
			}
			return nil
		}
		lv := alloc(v)
		sl := reflect.MakeSlice(lv.Type(), n, n)
		for i := 0; i < n; i++ {
			if err := f.value(s.Elem, sl.Index(i), base+"."+strconv.Itoa(i+1), ec2); err != nil {
				return err
			}
		}
		lv.Set(sl)
		return nil
	case awsapi.Map:
		base := name + ".entry"
		if ec2 {
			base = name
		}
		var mv reflect.Value
		for i := 1; f.prefixes[base+"."+strconv.Itoa(i)]; i++ {
			e := base + "." + strconv.Itoa(i)
			k, ok := f.vals[e+".key"]
			if !ok {
				return &decodeError{name: e + ".key", msg: fmt.Sprintf("The parameter %s.key is missing", e)}
			}
			f.used[e+".key"] = true
			if !mv.IsValid() {
				mv = alloc(v)
				mv.Set(reflect.MakeMap(mv.Type()))
			}
			ev := reflect.New(mv.Type().Elem()).Elem()
			if err := f.value(s.Elem, ev, e+".value", ec2); err != nil {
				return err
			}
			mv.SetMapIndex(reflect.ValueOf(k).Convert(mv.Type().Key()), ev)
		}
		return nil
	}
	str, ok := f.vals[name]
	if !ok {
		return nil
	}
	f.used[name] = true
	return setScalar(s.Kind, alloc(v), str, name)
}

func (f *form) has(name string) bool { _, ok := f.vals[name]; return ok }

// alloc follows v's pointers, allocating them.
func alloc(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	return v
}

func setScalar(k awsapi.Kind, v reflect.Value, s, name string) error {
	bad := func(what string) error {
		return &decodeError{name: name, msg: fmt.Sprintf("Value (%s) for parameter %s is invalid. Expected %s.", s, name, what)}
	}
	switch k {
	case awsapi.String:
		v.SetString(s)
	case awsapi.Boolean:
		switch strings.ToLower(s) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return bad("a boolean (true or false)")
		}
	case awsapi.Integer, awsapi.Long:
		switch v.Kind() {
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			n, err := strconv.ParseUint(s, 10, v.Type().Bits())
			if err != nil {
				return bad("a non-negative integer")
			}
			v.SetUint(n)
		default:
			n, err := strconv.ParseInt(s, 10, v.Type().Bits())
			if err != nil {
				return bad("an integer")
			}
			v.SetInt(n)
		}
	case awsapi.Double:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad("a number")
		}
		v.SetFloat(n)
	default:
		return bad("a value")
	}
	return nil
}
