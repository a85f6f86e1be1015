package output

import (
	"bytes"
	"strings"
	"testing"
)

// legacyDoc is shaped like the AWS responses the examples below query.
var legacyDoc = map[string]any{
	"Volumes": []any{
		map[string]any{"VolumeId": "vol-1", "AvailabilityZone": "us-west-2a", "Size": 8,
			"Attachments": []any{map[string]any{"State": "attached", "InstanceId": "i-1"}},
			"Tags":        []any{map[string]any{"Key": "Name", "Value": "test"}}},
		map[string]any{"VolumeId": "vol-2", "AvailabilityZone": "us-west-2b", "Size": 100,
			"Attachments": []any{}, "Tags": []any{}},
	},
	"Reservations": []any{map[string]any{"Instances": []any{
		map[string]any{"InstanceId": "i-1", "State": map[string]any{"Name": "running"},
			"Tags": []any{map[string]any{"Key": "Name", "Value": "web"}}},
		map[string]any{"InstanceId": "i-2", "State": map[string]any{"Name": "stopped"}, "Tags": []any{}},
	}}},
	"Workspaces": []any{map[string]any{"UserName": "Alice", "State": "AVAILABLE",
		"WorkspaceProperties": map[string]any{"RunningMode": "ALWAYS_ON"}}},
	"Vpcs": []any{
		map[string]any{"VpcId": "vpc-1", "State": "available", "IsDefault": true, "CidrBlock": "10.0.0.0/16"},
		map[string]any{"VpcId": "vpc-2", "State": "pending", "IsDefault": false, "CidrBlock": "10.1.0.0/16"},
	},
}

// TestLegacyLiteralAWSExamples: queries written with the legacy backtick
// literal, as AWS CLI examples write them, give the same result as the same
// query with a quoted string literal; JSON literals keep their meaning.
func TestLegacyLiteralAWSExamples(t *testing.T) {
	cases := []struct{ legacy, quoted string }{
		{"Volumes[?AvailabilityZone==`us-west-2a`]", "Volumes[?AvailabilityZone=='us-west-2a']"},
		{"Volumes[*].Attachments[?State==`attached`].InstanceId", "Volumes[*].Attachments[?State=='attached'].InstanceId"},
		{"Volumes[?Tags[?Value == `test`]].VolumeId", "Volumes[?Tags[?Value == 'test']].VolumeId"},
		{"Reservations[].Instances[?State.Name==`running`].InstanceId", "Reservations[].Instances[?State.Name=='running'].InstanceId"},
		{"Reservations[].Instances[].[InstanceId, Tags[?Key==`Name`].Value[] | [0]]", "Reservations[].Instances[].[InstanceId, Tags[?Key=='Name'].Value[] | [0]]"},
		{"Workspaces[?WorkspaceProperties.RunningMode==` ALWAYS_ON`][UserName,State]", "Workspaces[?WorkspaceProperties.RunningMode=='ALWAYS_ON'][UserName,State]"},
		{"Vpcs[?State==`available`].VpcId", "Vpcs[?State=='available'].VpcId"},
		{"Vpcs[?CidrBlock==`10.1.0.0/16`].VpcId | [0]", "Vpcs[?CidrBlock=='10.1.0.0/16'].VpcId | [0]"},
		{"Vpcs[?State==`available` && \"VpcId\"=='vpc-1'].VpcId", "Vpcs[?State=='available' && VpcId=='vpc-1'].VpcId"},
		{"Vpcs[?IsDefault==`true`].VpcId", "Vpcs[?IsDefault].VpcId"},
		{"Volumes[?Size > `20`].VolumeId", "Volumes[?Size > `20`].VolumeId"},
		{"Vpcs[?State==`\"pending\"`].VpcId", "Vpcs[?State=='pending'].VpcId"},
		{"`{\"a\": [1, \"x\"]}`", "{a: [`1`, 'x']}"},
	}
	for _, c := range cases {
		got, want := queryJSON(t, c.legacy), queryJSON(t, c.quoted)
		if got != want {
			t.Errorf("--query %s\n got %s\nwant %s (as %s)", c.legacy, got, want, c.quoted)
		}
	}
	// The examples do select something.
	if got := queryJSON(t, "Vpcs[?State==`available`].VpcId"); got != "[\n    \"vpc-1\"\n]\n" {
		t.Errorf("got %q", got)
	}
}

func queryJSON(t *testing.T, query string) string {
	t.Helper()
	p, err := New("json", query)
	if err != nil {
		t.Fatalf("--query %s: %v", query, err)
	}
	var buf bytes.Buffer
	if err := p.Print(&buf, legacyDoc, nil); err != nil {
		t.Fatalf("--query %s: %v", query, err)
	}
	return buf.String()
}

// TestRewriteLegacyLiterals: the rewrite follows jmespath.py's lexer: what is
// JSON stays, a legacy literal becomes the JSON string jmespath.py reads
// (leading white space dropped, JSON escapes decoded, \` a backtick), and
// what jmespath.py refuses stays for the parser to refuse. Raw strings and
// quoted identifiers are never touched.
func TestRewriteLegacyLiterals(t *testing.T) {
	cases := []struct{ in, out string }{
		{"`available`", "`\"available\"`"},
		{"` available`", "`\"available\"`"},
		{"`available `", "`\"available \"`"},
		{"``", "`\"\"`"},
		{"`a\\nb`", "`\"a\\nb\"`"},
		{"`a\\`b`", "`\"a\\u0060b\"`"},
		{"`a\\\\`", "`\"a\\\\\"`"},
		{"`\\u00e9t\\u00e9`", "`\"été\"`"},
		{"`10.0.0.0/16`", "`\"10.0.0.0/16\"`"},
		{"`01`", "`\"01\"`"},
		{"`NaNa`", "`\"NaNa\"`"},
		{"`<b>&`", "`\"\\u003cb\\u003e\\u0026\"`"},
		{"a[?b==`x`&&c==`y`]", "a[?b==`\"x\"`&&c==`\"y\"`]"},
		// Unchanged: JSON.
		{"`\"available\"`", "`\"available\"`"},
		{"`true`", "`true`"},
		{"` null `", "` null `"},
		{"`-1.5e3`", "`-1.5e3`"},
		{"`[1, {\"a\": \"`\"}]`", "`[1, {\"a\": \"`\"}]`"},
		{"`\"a\\`b\"`", "`\"a\\`b\"`"},
		// Unchanged: refused by jmespath.py too, or a Python-only number.
		{"`foo\"bar`", "`foo\"bar`"},
		{"`\\x`", "`\\x`"},
		{"`{\"a\":1`", "`{\"a\":1`"},
		{"`NaN`", "`NaN`"},
		{"`[-Infinity]`", "`[-Infinity]`"},
		{"`a\tb`", "`a\tb`"},
		{"`unclosed", "`unclosed"},
		// Unchanged: not literals.
		{"'raw `x` string'", "'raw `x` string'"},
		{"'it\\'s `x`'", "'it\\'s `x`'"},
		{"\"quoted `x` id\"", "\"quoted `x` id\""},
		{"\"q\\\"`x`\"", "\"q\\\"`x`\""},
		{"a.b[0]", "a.b[0]"},
		{"'x' == `y`", "'x' == `\"y\"`"},
	}
	for _, c := range cases {
		got, _ := rewriteLegacyLiterals(c.in)
		if got != c.out {
			t.Errorf("rewrite %s = %s, want %s", c.in, got, c.out)
		}
	}
}

// TestLegacyLiteralRefused: what jmespath.py refuses, plink refuses, and the
// error shows the expression as written with the caret in it.
func TestLegacyLiteralRefused(t *testing.T) {
	for _, q := range []string{"Vpcs[?State==`foo\"bar`]", "Vpcs[?State==`\\x`]", "Vpcs[?State==`NaN`]", "Vpcs[?State==`a"} {
		if _, err := New("json", q); err == nil {
			t.Errorf("--query %s compiled", q)
		}
	}
	q := "Vpcs[?State==`available`] | ]"
	_, err := New("json", q)
	if err == nil {
		t.Fatalf("--query %s compiled", q)
	}
	lines := strings.Split(err.Error(), "\n")
	n := len(lines)
	if n < 2 || lines[n-2] != q || strings.Index(lines[n-1], "^") != strings.LastIndex(q, "]") {
		t.Errorf("--query %s: error %q", q, err)
	}
}
