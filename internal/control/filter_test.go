package control

import (
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"*", "", true},
		{"*", "anything/at all", true},
		{"127.16.*", "127.16.0.0/16", true}, // '*' crosses '/', as AWS's filters do
		{"vpc-*", "vpc-0123", true},
		{"vpc-*", "subnet-0123", false},
		{"?pc-1", "vpc-1", true},
		{"?pc-1", "vvpc-1", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{`a\?`, "a?", true},
		{"*é", "café", true},
		{"caf?", "café", true},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 5000), false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.value); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

// FuzzGlobMatch checks the matcher against path.Match on values without '/'
// and without escapes, where the two agree.
func FuzzGlobMatch(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("*", "")
	f.Fuzz(func(t *testing.T, pattern, value string) {
		got := globMatch(pattern, value)
		if strings.ContainsAny(pattern+value, `/\[]`) || !utf8.ValidString(pattern+value) {
			return
		}
		if want, err := path.Match(pattern, value); err == nil && got != want {
			t.Fatalf("globMatch(%q, %q) = %v, path.Match says %v", pattern, value, got, want)
		}
	})
}
