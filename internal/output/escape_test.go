package output

import (
	"bytes"
	"strings"
	"testing"
	"unicode"

	"github.com/plink-dev/plink/internal/escape"
)

// TestNoRawControlCharacters: a value or key holding ESC, BEL, DEL or a C1
// control (terminal escape injection) prints escaped in every format; in
// table, wide and text output as a visible \x1b or \u009b, in JSON as a
// \u escape, in YAML as the visible form (its encoder refuses them).
func TestNoRawControlCharacters(t *testing.T) {
	evil := "a\x1b[2J\x1b]0;pwned\x07b\x7fc\u009b31md"
	v := map[string]any{
		"Items": []any{
			map[string]any{"Name": evil, "Tags": []any{map[string]any{"Key": "k\x1b[1m", "Value": evil}}},
		},
		"Key\x1b[5m": evil,
	}
	tbl := &Table{List: "Items", Columns: []Column{{Header: "NAME", Path: "Name"}, {Header: "TAG", Path: "Tags[0].Value", Wide: true}}}
	cases := []struct {
		format, query string
		table         *Table
		visible       string // must appear
	}{
		{"table", "", tbl, `\x1b[2J`},
		{"wide", "", tbl, `\u009b31md`},
		{"table", "", nil, `\x1b[2J`},
		{"table", "Items[0]", nil, `\x1b[2J`},
		{"table", "Items[0].Name", nil, `\x1b[2J`},
		{"table", "Items[0].Tags", nil, `k\x1b[1m`},
		{"text", "", nil, `\x1b]0;pwned\x07`},
		{"text", "Items[0].Name", nil, `\x7fc`},
		{"json", "", nil, `\u001b[2J`},
		{"json", "", nil, `\u009b31md`},
		{"yaml", "", nil, `\x1b[2J`},
	}
	for _, c := range cases {
		p, err := New(c.format, c.query)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := p.Print(&buf, v, c.table); err != nil {
			t.Errorf("-o %s --query %q: %v", c.format, c.query, err)
			continue
		}
		out := buf.String()
		if i := strings.IndexFunc(out, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }); i >= 0 {
			t.Errorf("-o %s --query %q: raw control character at %d: %q", c.format, c.query, i, out)
		}
		if !strings.Contains(out, c.visible) {
			t.Errorf("-o %s --query %q: %q not in %q", c.format, c.query, c.visible, out)
		}
	}
}

// FuzzNoRawControl: whatever string a value or key holds, no format prints
// a control character raw (newline and tab are the formats' own).
func FuzzNoRawControl(f *testing.F) {
	for _, s := range []string{"plain", "a\x1b[2Jb", "\u009b31m", "\x7f", "t\tn\nr\r", "\xff\xfe", "ü\u2028"} {
		f.Add(s, s)
	}
	tbl := &Table{List: "Items", Columns: []Column{{Header: "NAME", Path: "Name"}}}
	f.Fuzz(func(t *testing.T, key, value string) {
		v := map[string]any{"Items": []any{map[string]any{"Name": value, key: value}}, key: []any{value}}
		for _, format := range formats {
			for _, table := range []*Table{nil, tbl} {
				p, err := New(format, "")
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := p.Print(&buf, v, table); err != nil {
					// sigs.k8s.io/yaml re-reads its JSON as YAML, whose
					// simple keys end at 1024 characters: a longer key
					// (only a --query hash key could be one) cannot be
					// printed as YAML, and says so.
					if format == FormatYAML && len(escape.ControlLines(key)) > 1000 {
						continue
					}
					t.Fatalf("-o %s: %v", format, err)
				}
				if i := strings.IndexFunc(buf.String(), func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }); i >= 0 {
					t.Fatalf("-o %s: raw control character at %d: %q", format, i, buf.String())
				}
			}
		}
	})
}

// TestQueryErrorEscapes: a --query that does not compile is shown in the
// error with its control characters escaped, the caret under the fault.
func TestQueryErrorEscapes(t *testing.T) {
	for _, q := range []string{"\x1b[2Jx", "a.\x07", "Vpcs[?Name=='\x1b]0;t\x07'"} {
		_, err := New("json", q)
		if err == nil {
			continue
		}
		if strings.ContainsFunc(err.Error(), func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
			t.Errorf("--query %q: raw control character in %q", q, err.Error())
		}
	}
	_, err := New("json", "ab\x1b|")
	if err == nil {
		t.Fatal("an invalid query compiled")
	}
	lines := strings.Split(err.Error(), "\n")
	if n := len(lines); n < 2 || lines[n-2] != `ab\x1b|` || !strings.HasSuffix(lines[n-1], "^") {
		t.Errorf("highlight %q", err.Error())
	}
}

// TestQueryBounded: a --query of 100,000 '[' ran the JMESPath parser out of
// memory; long or deeply nested queries are refused before parsing, while
// brackets inside literals do not count.
func TestQueryBounded(t *testing.T) {
	for _, q := range []string{strings.Repeat("[", 100000), strings.Repeat("(", 101) + "a", strings.Repeat("a", maxQueryBytes+1)} {
		if _, err := New("json", q); err == nil || len(err.Error()) > 1000 {
			t.Errorf("query of %d bytes: err = %.200v", len(q), err)
		}
	}
	if _, err := New("json", "Vpcs[?Name=='"+strings.Repeat("[", 500)+"'].VpcId"); err != nil {
		t.Errorf("brackets in a literal counted: %v", err)
	}
}

// TestQueryLibraryPanics: the JMESPath lexer panics on some non-ASCII
// input (FuzzLegacyRewrite found "A\u0080"); --query refuses it instead.
func TestQueryLibraryPanics(t *testing.T) {
	for _, q := range []string{"A\u0080", "Vpcs[0].A\u00e9"} {
		if _, err := New("json", q); err == nil {
			t.Errorf("%q compiled", q)
		}
	}
}
