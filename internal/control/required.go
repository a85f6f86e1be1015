package control

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Required members are stated once, on the input structs, by the struct
// tag aws:"required" next to the json tag that carries the AWS member
// name:
//
//	VpcID string `json:"VpcId" aws:"required"`
//
// The aws tag is a comma-separated list of options; "required" is the only
// one control reads. The action description (internal/awsapi) reads the
// same tags to build the CLI's flags and its usage errors, and the AWS wire
// protocol's decoders.

// MissingMembers returns the AWS names of the required members of in (a
// struct or a pointer to one) that are not set: an empty string, a nil or
// empty list or map, a nil pointer. Members of embedded structs count as
// members of in. Required members of the structures in is given are
// checked too, and named by their path: Tags[0].Key.
func MissingMembers(in any) []string {
	return missingIn(reflect.ValueOf(in), "")
}

func missingIn(v reflect.Value, path string) []string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		var out []string
		for i := 0; i < v.Len(); i++ {
			out = append(out, missingIn(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case reflect.Map:
		var out []string
		iter := v.MapRange()
		for iter.Next() {
			out = append(out, missingIn(iter.Value(), fmt.Sprintf("%s[%v]", path, iter.Key()))...)
		}
		return out
	case reflect.Struct:
	default:
		return nil
	}
	var out []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, missingIn(v.Field(i), path)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		name := MemberName(f)
		if path != "" {
			name = path + "." + name
		}
		if HasOption(f.Tag, "required") && isUnset(v.Field(i)) {
			out = append(out, name)
			continue
		}
		out = append(out, missingIn(v.Field(i), name)...)
	}
	return out
}

// HasOption reports whether the aws struct tag lists opt.
func HasOption(tag reflect.StructTag, opt string) bool {
	for _, o := range strings.Split(tag.Get("aws"), ",") {
		if strings.TrimSpace(o) == opt {
			return true
		}
	}
	return false
}

// MemberName is the AWS name of a struct field: its json tag's name, or
// the field name when it has none.
func MemberName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

func isUnset(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String, reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// requiredEC2 is EC2's answer to missing required members:
// MissingParameter, naming every missing member.
func requiredEC2(in any) error {
	m := MissingMembers(in)
	switch len(m) {
	case 0:
		return nil
	case 1:
		return missing(m[0])
	}
	return Errorf(ErrCodeMissingParameter, "The request must contain the parameters %s", strings.Join(m, ", "))
}

// requiredELB is ELBv2's (and STS's) answer: one ValidationError listing
// every missing member as AWS's request validation words it, with the
// member name in lower camel case.
func requiredELB(in any) error {
	m := MissingMembers(in)
	if len(m) == 0 {
		return nil
	}
	parts := make([]string, len(m))
	for i, name := range m {
		parts[i] = "Value null at '" + elbPath(name) + "' failed to satisfy constraint: Member must not be null"
	}
	noun := "error"
	if len(m) > 1 {
		noun = "errors"
	}
	return elbValidation("%d validation %s detected: %s", len(m), noun, strings.Join(parts, "; "))
}

// elbPath writes a member path as ELBv2's validation does:
// Targets[0].Id is targets.1.member.id.
func elbPath(path string) string {
	var b strings.Builder
	for _, seg := range strings.Split(path, ".") {
		name, idx, list := strings.Cut(seg, "[")
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(lowerFirst(name))
		for list {
			var n int
			fmt.Sscanf(idx, "%d]", &n)
			fmt.Fprintf(&b, ".%d.member", n+1)
			_, idx, list = strings.Cut(idx, "[")
		}
	}
	return b.String()
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// done returns an empty output, or err.
func done[T any](err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return new(T), nil
}

// EC2Paging is the paging members of EC2's describe actions.
type EC2Paging struct {
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

// ELBPaging is the paging members of ELBv2's describe actions.
type ELBPaging struct {
	Marker   string `json:"Marker"`
	PageSize *int   `json:"PageSize"`
}
