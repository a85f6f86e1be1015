package cmdutil

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

func TestShorthandParses(t *testing.T) {
	tests := []struct {
		in   string
		want string // JSON of the parsed map
	}{
		{"Name=vpc-id,Values=vpc-1", `{"Name":"vpc-id","Values":["vpc-1"]}`},
		{"Name=vpc-id,Values=vpc-1,vpc-2", `{"Name":"vpc-id","Values":["vpc-1","vpc-2"]}`},
		{"Values=a,b,Name=x", `{"Name":"x","Values":["a","b"]}`},
		{"Key=a,Value=", `{"Key":"a","Value":""}`},
		{"Key=a,Value=x=y", `{"Key":"a","Value":"x=y"}`},
		{"Key=a, Value = b ", `{"Key":"a","Value":"b"}`},
		{`Key=note,Value='a, b {c}'`, `{"Key":"note","Value":"a, b {c}"}`},
		{`Key=note,Value="it's \"q\""`, `{"Key":"note","Value":"it's \"q\""}`},
		{`Key=k,Value=a\,b`, `{"Key":"k","Value":"a,b"}`},
		// A backslash escapes a comma only, as in the AWS CLI; any other
		// backslash is part of the value (a filter's \* stays a literal *).
		{`Key=k,Value=C:\temp\x`, `{"Key":"k","Value":"C:\\temp\\x"}`},
		{`Name=tag:Name,Values=a\*b`, `{"Name":"tag:Name","Values":["a\\*b"]}`},
		{`Key=k,Value=a\\,b`, `{"Key":"k","Value":"a\\,b"}`},
		{`Tags=[{Key=a,Value=x\}]`, `{"Tags":[{"Key":"a","Value":"x\\"}]}`},
		{`Values=[a\]`, `{"Values":["a\\"]}`},
		{"ResourceType=vpc-endpoint,Tags=[{Key=team,Value=a},{Key=env,Value=dev}]",
			`{"ResourceType":"vpc-endpoint","Tags":[{"Key":"team","Value":"a"},{"Key":"env","Value":"dev"}]}`},
		{"IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8}]",
			`{"FromPort":"80","IpProtocol":"tcp","IpRanges":[{"CidrIp":"127.0.0.0/8"}],"ToPort":"80"}`},
		{"Tags=[]", `{"Tags":[]}`},
		{"A={}", `{"A":{}}`},
		{"A={B={C=[x,y]}}", `{"A":{"B":{"C":["x","y"]}}}`},
		{"Name='a[1]'", `{"Name":"a[1]"}`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := parseShorthand(tt.in)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, _ := json.Marshal(m)
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestShorthandMalformed is the regression test of the unbounded allocation
// (issue 8, defect 1): a stray closing bracket at the top level made the
// parser loop forever, appending to a list. Every one of these must fail.
func TestShorthandMalformed(t *testing.T) {
	for _, in := range []string{
		"Name=vpc-id,Values=x}",
		"Key=a,Value=a}b",
		"Key=a,Value=a]b",
		`Key=k,Value=a\}b`, // the AWS CLI refuses it too
		"}",
		"]",
		"Name=x]",
		"Id=127.0.0.1,Port=80}",
		"Key=proxy_protocol_v2.enabled,Value=true]",
		"Type=forward,TargetGroupArn=x}}",
		"ResourceType=vpc-endpoint,Tags=[{Key=a,Value=b}]]",
		"ResourceType=vpc-endpoint,Tags=[{Key=a,Value=b}}",
		"Tags=[{Key=a,Value=b}",
		"Tags=[{Key=a,Value=b]",
		"A={B=c",
		"A=[x,y",
		"=x",
		"Key",
		"Key=a,",
		",Key=a",
		"Key=a,,Value=b",
		"Key=a, ,Value=b",
		"Key=a,Value='unterminated",
		`Key=a,Value="x"y`,
		"Key=a,Key=b",
		"Values=a,[b]",
		"A={x}",
		"A=[{x}]",
		strings.Repeat("[", 100) + "x" + strings.Repeat("]", 100),
		"A=" + strings.Repeat("{A=", 40) + "x" + strings.Repeat("}", 40),
	} {
		t.Run(in, func(t *testing.T) {
			var m map[string]any
			if err := DecodeShorthand(in, &m); err == nil {
				t.Fatalf("accepted %q as %v", in, m)
			}
			var fs []control.Filter
			if _, err := DecodeShorthandList[control.Filter]([]string{in}); err == nil {
				t.Fatalf("accepted %q as filters %v", in, fs)
			}
		})
	}
}

// TestShorthandUnknownMembers: a member the structure does not have is an
// error, in shorthand and JSON alike, never silently dropped.
func TestShorthandUnknownMembers(t *testing.T) {
	for _, in := range []string{
		"Name=vpc-id,Values=x,Colour=y",
		`{"Name":"vpc-id","Values":["x"],"Colour":"y"}`,
		`[{"Name":"vpc-id","Values":["x"],"Colour":"y"}]`,
	} {
		_, err := DecodeShorthandList[control.Filter]([]string{in})
		if err == nil || !strings.Contains(err.Error(), `unknown parameter "Colour"`) {
			t.Errorf("%s: err = %v", in, err)
		}
	}
	if _, err := DecodeShorthandList[control.TagSpecification]([]string{"ResourceType=vpc,Tags=[{Key=a,Value=b,Extra=c}]"}); err == nil {
		t.Error("a nested unknown member was accepted")
	}
}

func TestShorthandIntoTypes(t *testing.T) {
	fs, err := DecodeShorthandList[control.Filter]([]string{"Name=vpc-id,Values=a,b", "Name=tag:env,Values=dev"})
	if err != nil {
		t.Fatal(err)
	}
	want := []control.Filter{{Name: "vpc-id", Values: []string{"a", "b"}}, {Name: "tag:env", Values: []string{"dev"}}}
	if !reflect.DeepEqual(fs, want) {
		t.Errorf("got %+v, want %+v", fs, want)
	}
	perms, err := DecodeShorthandList[control.IPPermission]([]string{"IpProtocol=tcp,FromPort=80,ToPort=81,IpRanges=[{CidrIp=127.0.0.0/8}]"})
	if err != nil {
		t.Fatal(err)
	}
	if len(perms) != 1 || perms[0].FromPort == nil || *perms[0].FromPort != 80 || *perms[0].ToPort != 81 {
		t.Errorf("ports not coerced: %+v", perms)
	}
	// Only members that are numbers or booleans are converted, as the AWS
	// CLI converts by the model: a protocol number and a description that
	// look like numbers stay strings.
	perms, err = DecodeShorthandList[control.IPPermission]([]string{"IpProtocol=6,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8,Description=2024}]"})
	if err != nil {
		t.Fatal(err)
	}
	if len(perms) != 1 || perms[0].IPProtocol != "6" || *perms[0].FromPort != 80 || perms[0].IPRanges[0].Description != "2024" {
		t.Errorf("got %+v", perms)
	}
	tags, err := DecodeShorthandList[control.Tag]([]string{"Key=year,Value=2024"})
	if err != nil || len(tags) != 1 || tags[0].Value != "2024" {
		t.Errorf("got %+v, %v", tags, err)
	}
}

// FuzzShorthand: any input is parsed or refused, never loops or blows up:
// what a successful parse returns is never larger than its input.
func FuzzShorthand(f *testing.F) {
	for _, s := range []string{
		"Name=vpc-id,Values=vpc-1,vpc-2",
		"ResourceType=vpc-endpoint,Tags=[{Key=team,Value=a},{Key=env,Value=dev}]",
		"IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8}]",
		`Key=note,Value='a, b {c}'`,
		"Name=vpc-id,Values=x}",
		"Key=a,Value=a}b",
		`{"Name":"x","Values":["a"]}`,
		`[{"Key":"a","Value":"b"}]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := parseShorthand(in)
		if err == nil && scalarBytes(m) > len(in) {
			t.Fatalf("%q parsed into more than it holds: %v", in, m)
		}
		_, _ = DecodeShorthandList[control.Filter]([]string{in})
		_, _ = DecodeShorthandList[control.TagSpecification]([]string{in})
	})
}

func scalarBytes(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case map[string]any:
		n := 0
		for k, e := range x {
			n += len(k) + scalarBytes(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n += scalarBytes(e)
		}
		return n
	}
	return 0
}
