package cli

import (
	"testing"

	"github.com/spf13/pflag"
)

func TestNearestFlag(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Bool("watch", false, "")
	fs.Bool("dry-run", false, "")
	fs.String("output", "", "")
	fs.String("vpc-ids", "", "")
	fs.String("secret", "", "")
	_ = fs.MarkHidden("secret")
	for typed, want := range map[string]string{
		"wach":   "watch",
		"wacth":  "watch",
		"dry":    "dry-run",
		"dryrun": "dry-run",
		"outptu": "output",
		"vpc-id": "vpc-ids",
		"secrt":  "", // hidden flags are not suggested
		"x":      "", // one letter: any flag is as near as any other
		"zzzzzz": "",
	} {
		if got := nearestFlag(fs, typed); got != want {
			t.Errorf("nearestFlag(%q) = %q, want %q", typed, got, want)
		}
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"wach", "watch", 1}, {"outptu", "output", 2}, {"kitten", "sitting", 3}, {"", "abc", 3}} {
		if got := levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
