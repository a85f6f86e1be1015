package resources

import (
	"slices"
	"testing"
)

func TestLookup(t *testing.T) {
	for name, want := range map[string]string{
		"endpoints": "endpoints", "endpoint": "endpoints", "ep": "endpoints", "VPCE": "endpoints",
		"svc": "services", "tg": "targetgroups", "target-groups": "targetgroups", "lb": "lbs",
		"loadbalancers": "lbs", "targets": "targets", "nfn": "notifications", "ev": "events", "conn": "connections",
	} {
		k, err := Lookup(name)
		if err != nil || k.Name != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", name, k, err, want)
		}
	}
	if _, err := Lookup("widgets"); err == nil {
		t.Error("Lookup(widgets): no error")
	}
}

// No two kinds answer to one name.
func TestNamesUnique(t *testing.T) {
	seen := map[string]string{}
	for _, k := range Kinds() {
		for _, n := range append([]string{k.Name, k.Singular}, k.Aliases...) {
			if other, ok := seen[n]; ok {
				t.Errorf("%q names both %s and %s", n, other, k.Name)
			}
			seen[n] = k.Name
		}
	}
}

func TestSelect(t *testing.T) {
	items := []Item{{ID: "a", Keys: []string{"a", "arn:a"}}, {ID: "b", Keys: []string{"b"}}}
	kept, missing := Select(items, []string{"arn:a", "c"})
	if len(kept) != 1 || kept[0].ID != "a" || !slices.Equal(missing, []string{"c"}) {
		t.Errorf("Select = %v, %v", kept, missing)
	}
	if kept, missing := Select(items, nil); len(kept) != 2 || missing != nil {
		t.Errorf("Select(nil) = %v, %v", kept, missing)
	}
}
