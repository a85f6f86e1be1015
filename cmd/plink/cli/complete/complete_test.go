package complete

import (
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/awsapi"
)

// TestIDFlagsNameMembers: every option the ID table names is an input
// member of some action (of the named one, for actionIDFlags), so a
// renamed member cannot leave a dead entry.
func TestIDFlagsNameMembers(t *testing.T) {
	has := func(action, flag string) bool {
		for _, a := range awsapi.Actions() {
			if action != "" && a.Name != action {
				continue
			}
			for _, m := range a.Input.Members {
				if m.Flag == flag {
					return true
				}
			}
		}
		return false
	}
	for flag := range idFlags {
		if !has("", flag) {
			t.Errorf("idFlags[%q]: no action has the option --%s", flag, flag)
		}
	}
	for key := range actionIDFlags {
		action, flag, _ := strings.Cut(key, ".")
		if !has(action, flag) {
			t.Errorf("actionIDFlags[%q]: %s has no option --%s", key, action, flag)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a\tb\n c  d"); got != "a b c d" {
		t.Errorf("oneLine = %q", got)
	}
}
