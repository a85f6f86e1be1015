package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/plink-dev/plink/internal/escape"
)

// writeText writes value in the AWS CLI's text format (awscli/text.py):
//
//   - an object prints its scalar values, sorted by key, on one line
//     separated by tabs, prefixed by its key in upper case when it is nested;
//     then each nested list or object, sorted by key, under that key;
//   - a list of objects prints one line per object, with the union of the
//     objects' scalar keys as columns (empty when an object lacks one);
//   - a list of scalars prints on one line, tab-separated, or one
//     "KEY<TAB>value" line per element when nested under a key;
//   - a scalar prints as is, followed by a newline; null prints None and
//     booleans True and False, as in Python.
func writeText(buf *bytes.Buffer, value any) {
	formatText(buf, value, "", nil)
}

func formatText(buf *bytes.Buffer, item any, identifier string, scalarKeys []string) {
	switch v := item.(type) {
	case map[string]any:
		formatTextDict(buf, v, identifier, scalarKeys)
	case []any:
		formatTextList(buf, v, identifier)
	default:
		buf.WriteString(textScalar(v))
		buf.WriteByte('\n')
	}
}

func formatTextList(buf *bytes.Buffer, list []any, identifier string) {
	if len(list) == 0 {
		return
	}
	if slices.ContainsFunc(list, isObject) {
		keys := allScalarKeys(list)
		for _, el := range list {
			formatText(buf, el, identifier, keys)
		}
		return
	}
	if slices.ContainsFunc(list, isList) {
		var scalars, nonScalars []any
		for _, el := range list {
			if isObject(el) || isList(el) {
				nonScalars = append(nonScalars, el)
			} else {
				scalars = append(scalars, el)
			}
		}
		if len(scalars) > 0 {
			formatTextScalarList(buf, scalars, identifier)
		}
		for _, el := range nonScalars {
			formatText(buf, el, identifier, nil)
		}
		return
	}
	formatTextScalarList(buf, list, identifier)
}

func formatTextScalarList(buf *bytes.Buffer, list []any, identifier string) {
	if identifier != "" {
		for _, el := range list {
			fmt.Fprintf(buf, "%s\t%s\n", escape.Control(strings.ToUpper(identifier)), textScalar(el))
		}
		return
	}
	for i, el := range list {
		if i > 0 {
			buf.WriteByte('\t')
		}
		buf.WriteString(textScalar(el))
	}
	buf.WriteByte('\n')
}

func formatTextDict(buf *bytes.Buffer, obj map[string]any, identifier string, scalarKeys []string) {
	var scalars []string
	var nonScalarKeys []string
	if scalarKeys == nil {
		for _, k := range sortedKeys(obj) {
			if el := obj[k]; isObject(el) || isList(el) {
				nonScalarKeys = append(nonScalarKeys, k)
			} else {
				scalars = append(scalars, textScalar(el))
			}
		}
	} else {
		for _, k := range scalarKeys {
			el, ok := obj[k]
			if !ok {
				scalars = append(scalars, "")
				continue
			}
			scalars = append(scalars, textScalar(el))
		}
		for _, k := range sortedKeys(obj) {
			if !slices.Contains(scalarKeys, k) {
				nonScalarKeys = append(nonScalarKeys, k)
			}
		}
	}
	if len(scalars) > 0 {
		if identifier != "" {
			scalars = slices.Insert(scalars, 0, escape.Control(strings.ToUpper(identifier)))
		}
		buf.WriteString(strings.Join(scalars, "\t"))
		buf.WriteByte('\n')
	}
	for _, k := range nonScalarKeys {
		formatText(buf, obj[k], k, nil)
	}
}

// allScalarKeys returns, sorted, every key that has a scalar value in at
// least one object of list.
func allScalarKeys(list []any) []string {
	seen := map[string]bool{}
	for _, el := range list {
		obj, ok := el.(map[string]any)
		if !ok {
			continue
		}
		for k, v := range obj {
			if !isObject(v) && !isList(v) {
				seen[k] = true
			}
		}
	}
	return sortedKeys(seen)
}

// textScalar prints a scalar as Python's str() would (the AWS CLI is
// Python): None, True, False, numbers as written, strings as is but with
// control characters escaped (tab and newline too: they are the format's
// separators). A list or object in a scalar position (a key that is scalar
// in another object of the same list) prints as compact JSON.
func textScalar(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case string:
		return escape.Control(v)
	case json.Number:
		return v.String()
	case float64:
		return formatNumber(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func isObject(v any) bool { _, ok := v.(map[string]any); return ok }
func isList(v any) bool   { _, ok := v.([]any); return ok }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
