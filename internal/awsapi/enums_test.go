package awsapi

import (
	"strings"
	"testing"
)

// TestEnumsNameMembers: every entry of the enum table names a member of an
// action (or, bare, of at least one), so a renamed member cannot leave a
// dead entry behind.
func TestEnumsNameMembers(t *testing.T) {
	for key := range enums {
		action, member, scoped := strings.Cut(key, ".")
		if !scoped {
			member = action
		}
		found := false
		for _, a := range Actions() {
			if (!scoped || a.Name == action) && a.Input.Member(member) != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("enums[%q]: no action has that input member", key)
		}
	}
	if len(Enums()) < len(enums) {
		t.Errorf("Enums() lists %d entries, fewer than the table's %d", len(Enums()), len(enums))
	}
}
