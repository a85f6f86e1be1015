package output

import (
	"bytes"
	"testing"
)

// FuzzQuery: any --query is compiled or refused, and a compiled one runs
// over a describe-shaped document in every format without a panic.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{
		"Vpcs[0].VpcId", "Vpcs[?State=='available'].VpcId", "length(Vpcs)",
		"Vpcs[].Tags[?Key=='Name'].Value | [0]", "[[[", "Vpcs[?State==`available`]", "sort_by(Vpcs, &VpcId)[-1]",
		"Vpcs[?IsDefault==`true`].VpcId", "Vpcs[?CidrBlock==` 127.16.0.0/16`] | [0].VpcId", "Vpcs[?State==`a\\`b`]",
	} {
		f.Add(q)
	}
	doc := map[string]any{"Vpcs": []any{
		map[string]any{"VpcId": "vpc-1", "State": "available", "CidrBlock": "127.16.0.0/16",
			"Tags": []any{map[string]any{"Key": "Name", "Value": "a\x1b[31mred"}}},
		map[string]any{"VpcId": "vpc-2", "State": "pending", "IsDefault": true, "Count": 3},
	}}
	f.Fuzz(func(t *testing.T, query string) {
		for _, format := range formats {
			p, err := New(format, query)
			if err != nil {
				return
			}
			var buf bytes.Buffer
			_ = p.Print(&buf, doc, nil)
		}
	})
}

// FuzzLegacyRewrite: the legacy-literal rewrite never panics, leaves an
// expression that already compiles (all its literals JSON) unchanged, is
// idempotent, and maps every offset back into the expression as written.
func FuzzLegacyRewrite(f *testing.F) {
	for _, q := range []string{
		"Vpcs[?State==`available`]", "`a\\`b`", "'`x`'", "\"`x`\"", "`\"s\"`", "`[1,2]`", "``",
		"`\\u0060`", "`NaN`", "`a", "'a\\'`b`'", "`foo\"bar` && `x`",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		out, edits := rewriteLegacyLiterals(query)
		if _, err := compileSafely(query); err == nil && out != query {
			t.Fatalf("%q compiles but was rewritten to %q", query, out)
		}
		if again, _ := rewriteLegacyLiterals(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", query, out, again)
		}
		for off := 0; off <= len(out); off++ {
			if o := originalOffset(off, edits); o < 0 || o > len(query) {
				t.Fatalf("%q: offset %d maps to %d", query, off, o)
			}
		}
	})
}
