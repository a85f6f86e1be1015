package output

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
)

// document is a value decoded from JSON into generic form (nil, bool,
// json.Number or float64, string, []any, map[string]any), plus the order in
// which each object's keys were written, so output keeps struct field order.
type document struct {
	root  any
	order map[uintptr][]string // map identity -> keys in written order
	color bool                 // table headers in bold (the printer's WithColor)
}

// keys returns the keys of m in document order when known, else sorted.
func (d *document) keys(m map[string]any) []string {
	if d != nil {
		if ks, ok := d.order[reflect.ValueOf(m).Pointer()]; ok && len(ks) == len(m) {
			return ks
		}
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// toDocument marshals v with encoding/json (after replacing nil slices and
// maps on a copy) and decodes it into a generic document.
func toDocument(v any) (*document, error) {
	if v != nil {
		v = fillNil(reflect.ValueOf(v), 0).Interface()
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding output: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	d := &document{order: map[uintptr][]string{}}
	root, err := d.decode(dec)
	if err != nil {
		return nil, fmt.Errorf("decoding output: %w", err)
	}
	d.root = root
	return d, nil
}

// decode reads one JSON value from dec, recording object key order.
func (d *document) decode(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '[':
			list := []any{}
			for dec.More() {
				el, err := d.decode(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, el)
			}
			_, err := dec.Token() // ']'
			return list, err
		case '{':
			obj := map[string]any{}
			var keys []string
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("unexpected object key %v", kt)
				}
				el, err := d.decode(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := obj[k]; !dup {
					keys = append(keys, k)
				}
				obj[k] = el
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			d.order[reflect.ValueOf(obj).Pointer()] = keys
			return obj, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %v", tok)
	default:
		return tok, nil // nil, bool, json.Number, string
	}
}

// numbersToFloat replaces every json.Number in v with its float64 value, in
// place (maps keep their identity, hence their key order). JMESPath compares
// and sorts float64 only.
func numbersToFloat(v any) any {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return v.String()
		}
		return f
	case []any:
		for i, el := range v {
			v[i] = numbersToFloat(el)
		}
	case map[string]any:
		for k, el := range v {
			v[k] = numbersToFloat(el)
		}
	}
	return v
}

// formatNumber prints a float64 the way encoding/json does: integers without
// a decimal point or exponent up to 1e21.
func formatNumber(f float64) string {
	b, err := json.Marshal(f)
	if err != nil {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return string(b)
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshalsItself reports whether encoding/json would hand a value of type t
// (or *t) to a custom marshaller, which the printer must not second-guess.
func marshalsItself(t reflect.Type) bool {
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) {
		return true
	}
	pt := reflect.PointerTo(t)
	return pt.Implements(jsonMarshalerType) || pt.Implements(textMarshalerType)
}

// maxFillDepth bounds fillNil on pathological (cyclic) values; encoding/json
// reports the cycle itself.
const maxFillDepth = 64

// fillNil returns a copy of v in which every nil slice (other than []byte) and
// nil map reachable through exported fields, pointers, interfaces, slices,
// arrays and maps is replaced by an empty one, so that lists print as [].
// The caller's value is never modified.
func fillNil(v reflect.Value, depth int) reflect.Value {
	if !v.IsValid() || depth > maxFillDepth {
		return v
	}
	t := v.Type()
	if t.Kind() != reflect.Interface && t.Kind() != reflect.Pointer && marshalsItself(t) {
		return v
	}
	switch t.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		inner := fillNil(v.Elem(), depth+1)
		out := reflect.New(t).Elem()
		out.Set(inner)
		return out
	case reflect.Pointer:
		if v.IsNil() || marshalsItself(t.Elem()) {
			return v
		}
		inner := fillNil(v.Elem(), depth+1)
		out := reflect.New(t.Elem())
		out.Elem().Set(inner)
		return out
	case reflect.Struct:
		out := reflect.New(t).Elem()
		out.Set(v)
		for i := range t.NumField() {
			f := t.Field(i)
			if (!f.IsExported() && !f.Anonymous) || f.Tag.Get("json") == "-" {
				continue
			}
			fv := out.Field(i)
			if !fv.CanSet() {
				continue
			}
			fv.Set(fillNil(fv, depth+1))
		}
		return out
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return v // []byte encodes as base64; leave it alone
		}
		if v.IsNil() {
			return reflect.MakeSlice(t, 0, 0)
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(fillNil(v.Index(i), depth+1))
		}
		return out
	case reflect.Array:
		out := reflect.New(t).Elem()
		for i := range v.Len() {
			out.Index(i).Set(fillNil(v.Index(i), depth+1))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return reflect.MakeMap(t)
		}
		out := reflect.MakeMapWithSize(t, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out.SetMapIndex(iter.Key(), fillNil(iter.Value(), depth+1))
		}
		return out
	}
	return v
}

// writeJSON writes value as JSON indented with 4 spaces and a final newline,
// like the AWS CLI (json.dump(indent=4, ensure_ascii=False)): objects decoded
// from the command's value keep their key order, HTML characters are not
// escaped.
func (d *document) writeJSON(w io.Writer, value any) error {
	var compact bytes.Buffer
	if err := d.writeCompact(&compact, value); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "    "); err != nil {
		return fmt.Errorf("printing json: %w", err)
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

func (d *document) writeCompact(buf *bytes.Buffer, value any) error {
	switch v := value.(type) {
	case []any:
		buf.WriteByte('[')
		for i, el := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := d.writeCompact(buf, el); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		buf.WriteByte('{')
		for i, k := range d.keys(v) {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSONString(buf, k); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := d.writeCompact(buf, v[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case string:
		return writeJSONString(buf, v)
	case float64:
		buf.WriteString(formatNumber(v))
	default: // nil, bool, json.Number, and anything a JMESPath function returns
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("printing json: %w", err)
		}
		buf.Write(b)
	}
	return nil
}

// writeJSONString writes s as a JSON string without HTML escaping. Every
// control character is written as a \u escape: encoding/json does so for
// C0, and DEL and C1 (U+007F-U+009F) are escaped here, so JSON output never
// carries a raw control character to a terminal.
func writeJSONString(buf *bytes.Buffer, s string) error {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("printing json: %w", err)
	}
	b := bytes.TrimSuffix(out.Bytes(), []byte("\n")) // Encode adds a newline
	for _, r := range string(b) {
		if r >= 0x7f && r <= 0x9f {
			fmt.Fprintf(buf, `\u%04x`, r)
			continue
		}
		buf.WriteRune(r)
	}
	return nil
}
