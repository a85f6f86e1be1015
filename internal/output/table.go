package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	jmespath "github.com/jmespath-community/go-jmespath"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/plink-dev/plink/internal/escape"
)

// none is what a table shows for a null, missing or empty cell, as kubectl.
const none = "<none>"

// writeSpecTable prints value as described by t: one row per item of t.List,
// one cell per column (Wide columns only when wide).
func writeSpecTable(buf *bytes.Buffer, doc *document, value any, t *Table, wide bool) error {
	rowsValue := value
	if strings.TrimSpace(t.List) != "" {
		expr, err := compile(t.List)
		if err != nil {
			return fmt.Errorf("table list %q: %s", t.List, describeSyntaxError(err))
		}
		if rowsValue, err = expr.Search(value); err != nil {
			return fmt.Errorf("table list %q: %w", t.List, err)
		}
	}
	var items []any
	switch v := rowsValue.(type) {
	case nil:
	case []any:
		items = v
	default:
		items = []any{v}
	}

	var headers []string
	var paths []string
	for _, c := range t.Columns {
		if c.Wide && !wide {
			continue
		}
		headers = append(headers, strings.ToUpper(c.Header))
		paths = append(paths, c.Path)
	}
	exprs := make([]jmespath.JMESPath, len(paths))
	for i, path := range paths {
		expr, err := compile(path)
		if err != nil {
			return fmt.Errorf("table column %q path %q: %s", headers[i], path, describeSyntaxError(err))
		}
		exprs[i] = expr
	}

	rows := make([][]string, 0, len(items))
	for _, item := range items {
		row := make([]string, len(exprs))
		for i, expr := range exprs {
			cell, err := expr.Search(item)
			if err != nil {
				return fmt.Errorf("table column %q path %q: %w", headers[i], paths[i], err)
			}
			row[i] = doc.cellString(cell)
		}
		rows = append(rows, row)
	}
	return renderTable(buf, doc.color, headers, rows)
}

// writeGenericTable prints any value as a table:
//   - an object with a single key holding a list or an object (an AWS
//     response wrapper such as {"VpcEndpoints": [...]}) is unwrapped first;
//   - a list of objects: one row per object, nested objects flattened, the
//     columns are the union of the paths holding only scalars or lists of
//     scalars, in order of appearance;
//   - a list of scalars: one VALUE column;
//   - a list of lists: one row per inner list, no header;
//   - an object: KEY and VALUE rows, nested objects flattened (Error.Code);
//   - a scalar: the value alone.
//
// An empty list prints nothing.
func writeGenericTable(buf *bytes.Buffer, doc *document, value any) error {
	if obj, ok := value.(map[string]any); ok && len(obj) == 1 {
		for _, inner := range obj {
			if isObject(inner) || isList(inner) {
				value = inner
			}
		}
	}
	switch v := value.(type) {
	case []any:
		switch {
		case len(v) == 0:
			return nil
		case all(v, isObject):
			return objectsTable(buf, doc, v)
		case all(v, isList):
			rows := make([][]string, 0, len(v))
			for _, el := range v {
				var row []string
				for _, cell := range el.([]any) {
					row = append(row, doc.cellString(cell))
				}
				rows = append(rows, row)
			}
			return renderTable(buf, doc.color, nil, padRows(rows))
		default:
			rows := make([][]string, 0, len(v))
			for _, el := range v {
				rows = append(rows, []string{doc.cellString(el)})
			}
			return renderTable(buf, doc.color, []string{"VALUE"}, rows)
		}
	case map[string]any:
		fields := doc.flatten(v, "", nil)
		rows := make([][]string, 0, len(fields))
		for _, f := range fields {
			rows = append(rows, []string{f.Path, doc.cellString(f.Value)})
		}
		return renderTable(buf, doc.color, []string{"KEY", "VALUE"}, rows)
	default:
		buf.WriteString(escape.Control(doc.cellString(v)))
		buf.WriteByte('\n')
		return nil
	}
}

// field is one leaf of an object flattened for a table: Path joins the keys
// leading to it with dots ("Error.Code").
type field struct {
	Path  string
	Value any
}

// flatten lists the leaves of obj in document order, descending into nested
// objects (a nested empty object is a leaf); lists are leaves.
func (d *document) flatten(obj map[string]any, prefix string, out []field) []field {
	for _, k := range d.keys(obj) {
		path := prefix + k
		if inner, ok := obj[k].(map[string]any); ok && len(inner) > 0 {
			out = d.flatten(inner, path+".", out)
			continue
		}
		out = append(out, field{path, obj[k]})
	}
	return out
}

// objectsTable tabulates a list of objects. Nested objects are flattened
// (column ERROR CODE for Error.Code); the columns are the union of the
// flattened paths in order of appearance, leaving out paths that hold a list
// of objects or lists in any object (all paths when that leaves none).
func objectsTable(buf *bytes.Buffer, doc *document, list []any) error {
	var allPaths []string
	nested := map[string]bool{}
	rowsFields := make([]map[string]any, 0, len(list))
	for _, el := range list {
		fields := doc.flatten(el.(map[string]any), "", nil)
		values := make(map[string]any, len(fields))
		for _, f := range fields {
			if !slices.Contains(allPaths, f.Path) {
				allPaths = append(allPaths, f.Path)
			}
			if !isFlat(f.Value) {
				nested[f.Path] = true
			}
			values[f.Path] = f.Value
		}
		rowsFields = append(rowsFields, values)
	}
	paths := slices.DeleteFunc(slices.Clone(allPaths), func(p string) bool { return nested[p] })
	if len(paths) == 0 {
		paths = allPaths
	}
	headers := make([]string, len(paths))
	for i, p := range paths {
		headers[i] = Heading(p)
	}
	rows := make([][]string, 0, len(list))
	for _, values := range rowsFields {
		row := make([]string, len(paths))
		for i, p := range paths {
			row[i] = doc.cellString(values[p])
		}
		rows = append(rows, row)
	}
	return renderTable(buf, doc.color, headers, rows)
}

// isFlat reports whether v is a scalar or a list of scalars.
func isFlat(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return false
	case []any:
		return !slices.ContainsFunc(v, func(el any) bool { return isObject(el) || isList(el) })
	}
	return true
}

func all(list []any, pred func(any) bool) bool {
	for _, el := range list {
		if !pred(el) {
			return false
		}
	}
	return true
}

// padRows makes every row as long as the longest one.
func padRows(rows [][]string) [][]string {
	n := 0
	for _, r := range rows {
		n = max(n, len(r))
	}
	for i, r := range rows {
		for len(r) < n {
			r = append(r, "")
		}
		rows[i] = r
	}
	return rows
}

// cellString renders one table cell: <none> for null, missing, "" and empty
// lists or objects; a list of scalars comma-separated; nested values as
// compact JSON; line breaks and tabs become spaces.
func (d *document) cellString(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		return none
	case string:
		s = v
	case bool:
		s = fmt.Sprint(v)
	case json.Number:
		s = v.String()
	case float64:
		s = formatNumber(v)
	case []any:
		if len(v) == 0 {
			return none
		}
		if isFlat(v) {
			parts := make([]string, len(v))
			for i, el := range v {
				parts[i] = d.cellString(el)
			}
			s = strings.Join(parts, ",")
			break
		}
		s = d.compactJSON(v)
	case map[string]any:
		if len(v) == 0 {
			return none
		}
		s = d.compactJSON(v)
	default:
		s = fmt.Sprint(v)
	}
	if s == "" {
		return none
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}

func (d *document) compactJSON(v any) string {
	var b bytes.Buffer
	if err := d.writeCompact(&b, v); err != nil {
		return fmt.Sprint(v)
	}
	return b.String()
}

// renderTable prints headers (none when nil) and rows kubectl-style: no
// borders, left-aligned, columns separated by three spaces, no trailing
// spaces. With headers and no rows it prints the header line alone.
// Control characters in headers and cells print escaped (escape.Control).
// With color the header line is bold (SGR 1), the only colour plink prints.
func renderTable(buf *bytes.Buffer, color bool, headers []string, rows [][]string) error {
	if len(headers) == 0 && len(rows) == 0 {
		return nil
	}
	headers = slices.Clone(headers)
	for i, h := range headers {
		headers[i] = escape.Control(h)
	}
	for _, row := range rows {
		for i, c := range row {
			row[i] = escape.Control(c)
		}
	}
	cell := tw.CellConfig{
		Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
		Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
		Padding:    tw.CellPadding{Global: tw.Padding{Left: "", Right: "   ", Overwrite: true}},
	}
	var out bytes.Buffer
	table := tablewriter.NewTable(&out,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Separators: tw.SeparatorsNone, Lines: tw.LinesNone},
		})),
		tablewriter.WithConfig(tablewriter.Config{Header: cell, Row: cell}),
		tablewriter.WithTrimSpace(tw.Off),
	)
	if len(headers) > 0 {
		table.Header(headers)
	}
	if err := table.Bulk(rows); err != nil {
		return fmt.Errorf("printing table: %w", err)
	}
	if err := table.Render(); err != nil {
		return fmt.Errorf("printing table: %w", err)
	}
	first := true
	for line := range strings.Lines(out.String()) {
		line = strings.TrimRight(line, " \n")
		if first && color && len(headers) > 0 {
			line = sgrBold + line + sgrReset
		}
		first = false
		buf.WriteString(line)
		buf.WriteByte('\n')
	}
	return nil
}

// The escape sequences around a coloured table's header line.
const (
	sgrBold  = "\x1b[1m"
	sgrReset = "\x1b[0m"
)

// Heading turns a JSON key into a kubectl-style column header:
// "VpcEndpointId" -> "VPC ENDPOINT ID", "DNSName" -> "DNS NAME",
// "Ipv6AddressCount" -> "IPV6 ADDRESS COUNT".
func Heading(key string) string {
	var words []string
	var cur []rune
	rs := []rune(key)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		if r == '_' || r == '-' || r == '.' || unicode.IsSpace(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) ||
				(unicode.IsUpper(prev) && nextLower && len(cur) > 1) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return strings.ToUpper(strings.Join(words, " "))
}
