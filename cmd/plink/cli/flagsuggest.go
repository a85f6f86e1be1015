package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
)

// flagError is every command's flag error: a usage error (exit 252) that,
// for an unknown --flag, names the command's flag nearest to it, as cobra
// does for a mistyped command but not for a flag:
// "unknown flag: --wach; did you mean --watch?".
func flagError(c *cobra.Command, err error) error {
	var notExist *pflag.NotExistError
	if errors.As(err, &notExist) && notExist.GetSpecifiedName() != "" {
		if near := nearestFlag(c.Flags(), notExist.GetSpecifiedName()); near != "" {
			err = fmt.Errorf("%w; did you mean --%s?", err, near)
		}
	}
	return &cmdutil.UsageError{Err: err}
}

// nearestFlag is the visible flag of fs (the command's own and those it
// inherits) closest to typed: the first by name that typed begins (--dry
// for --dry-run), else the one fewest edits away, if few enough that it is
// likely what was meant (at most 2, and less than half of typed). "" when
// none is.
func nearestFlag(fs *pflag.FlagSet, typed string) string {
	best, bestDist := "", 0
	prefix := ""
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Deprecated != "" {
			return
		}
		if prefix == "" && len(typed) >= 3 && strings.HasPrefix(f.Name, typed) {
			prefix = f.Name
		}
		if d := levenshtein(typed, f.Name); best == "" || d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	if prefix != "" {
		return prefix
	}
	if best == "" || bestDist > 2 || 2*bestDist >= len(typed) {
		return ""
	}
	return best
}

// levenshtein is the number of single-byte insertions, deletions and
// substitutions that turn a into b.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
