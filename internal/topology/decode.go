package topology

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// positions remembers the line of every path decoded from one document
// ("accounts[1].endpoints[0].service" -> 31), so that an error found after
// decoding (a dangling reference, a duplicate name) still names its line.
type positions map[string]int

// decodeNode fills v (a pointer) from n strictly: an unknown field, a
// scalar where a list belongs or a word where a number belongs is an error
// naming the field's path and line. yaml.v3's own decoder names the Go
// type instead of the field, which a user of the file never sees.
func decodeNode(n *yaml.Node, v reflect.Value, path string, pos positions) error {
	pos[path] = n.Line
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return nil
		}
		v.Set(reflect.New(v.Type().Elem()))
		return decodeNode(n, v.Elem(), path, pos)
	case reflect.Struct:
		return decodeStruct(n, v, path, pos)
	case reflect.Slice:
		if isNull(n) {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return &FieldError{Line: n.Line, Path: path, Msg: "want a list (- item lines or [a, b]), not " + describeNode(n)}
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := decodeNode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), pos); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		return decodeMap(n, v, path, pos)
	}
	if n.Kind != yaml.ScalarNode {
		return &FieldError{Line: n.Line, Path: path, Msg: "want a single value, not " + describeNode(n)}
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Int:
		i, err := strconv.Atoi(n.Value)
		if err != nil {
			return &FieldError{Line: n.Line, Path: path, Msg: fmt.Sprintf("want a whole number, not %q", n.Value)}
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			v.SetBool(true)
		case "false", "no", "off":
			v.SetBool(false)
		default:
			return &FieldError{Line: n.Line, Path: path, Msg: fmt.Sprintf("want true or false, not %q", n.Value)}
		}
	default:
		panic("topology: cannot decode into " + v.Type().String())
	}
	return nil
}

func decodeStruct(n *yaml.Node, v reflect.Value, path string, pos positions) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &FieldError{Line: n.Line, Path: path, Msg: "want fields (key: value lines), not " + describeNode(n)}
	}
	fields := map[string]int{}
	var known []string
	for i := 0; i < v.NumField(); i++ {
		tag := v.Type().Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		known = append(known, tag)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			sort.Strings(known)
			return &FieldError{Line: k.Line, Path: p, Msg: "unknown field" + suggest(k.Value, known) + "; the fields here are " + strings.Join(known, ", ")}
		}
		if seen[k.Value] {
			return &FieldError{Line: k.Line, Path: p, Msg: "given twice"}
		}
		seen[k.Value] = true
		if err := decodeNode(val, v.Field(idx), p, pos); err != nil {
			return err
		}
		pos[p] = k.Line
	}
	return nil
}

// decodeMap decodes attributes: string keys, scalar values kept as
// written (true, 5, "on" all become their text, as AWS attributes are
// strings).
func decodeMap(n *yaml.Node, v reflect.Value, path string, pos positions) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &FieldError{Line: n.Line, Path: path, Msg: "want key: value lines, not " + describeNode(n)}
	}
	m := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		pos[p] = k.Line
		if val.Kind != yaml.ScalarNode {
			return &FieldError{Line: val.Line, Path: p, Msg: "want a single value, not " + describeNode(val)}
		}
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			return &FieldError{Line: k.Line, Path: p, Msg: "given twice"}
		}
		m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(val.Value))
	}
	v.Set(m)
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a set of fields"
	}
	return fmt.Sprintf("%q", n.Value)
}

// suggest names a known field that differs from got only in case or by
// one letter, the usual typos.
func suggest(got string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(k, got) || editDistance1(k, got) {
			return fmt.Sprintf(" (did you mean %s?)", k)
		}
	}
	return ""
}

func editDistance1(a, b string) bool {
	if a == b {
		return false
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > 1 {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:]
	}
	return a[i+1:] == b[i:]
}
