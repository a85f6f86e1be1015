package apply

import (
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/topology"
)

// TestHelpSchemaLoads keeps the topology in --help a valid one.
func TestHelpSchemaLoads(t *testing.T) {
	var doc []string
	in := false
	for _, line := range strings.Split(schemaHelp, "\n") {
		switch {
		case strings.HasPrefix(line, "  name: "):
			in = true
		case in && line == "":
			in = false
		}
		if in {
			doc = append(doc, strings.TrimPrefix(line, "  "))
		}
	}
	if len(doc) < 10 {
		t.Fatalf("no topology found in the help: %q", doc)
	}
	if _, err := topology.Load([]topology.Source{{Path: "help.yaml", Data: []byte(strings.Join(doc, "\n"))}}); err != nil {
		t.Fatalf("the topology in plink apply --help does not load: %v", err)
	}
}

func TestLine(t *testing.T) {
	for _, tc := range []struct {
		a    topology.Action
		want string
	}{
		{topology.Action{Action: topology.OpCreate, Kind: "vpc", Account: "p", Name: "app", ID: "vpc-1",
			Changes: []topology.Change{{Field: "cidr", To: "127.1.0.0/16"}, {Field: "ipv6", To: "false"}}},
			"+ vpc p/app (vpc-1)  cidr=127.1.0.0/16 ipv6=false"},
		{topology.Action{Action: topology.OpUpdate, Kind: "load-balancer", Account: "p", Name: "web",
			ID:      "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/web/0a",
			Changes: []topology.Change{{Field: "subnets", From: "a", To: "a,b"}, {Field: "attributes.x", To: "1"}}},
			`~ load-balancer p/web (loadbalancer/net/web/0a)  subnets: a -> a,b, attributes.x: "" -> 1`},
		{topology.Action{Action: topology.OpKeep, Kind: "subnet", Account: "p", Name: "b"}, "! subnet p/b"},
	} {
		if got := line(tc.a); got != tc.want {
			t.Errorf("line() = %q, want %q", got, tc.want)
		}
	}
}

func TestSummary(t *testing.T) {
	p := &printer{sources: []string{"t"}, counts: map[string]int{topology.OpUnchanged: 3}}
	if got := p.summary(); got != "No changes: 3 resources match t." {
		t.Errorf("summary %q", got)
	}
	p.counts = map[string]int{topology.OpCreate: 2, topology.OpUpdate: 1, topology.OpUnchanged: 3}
	if got := p.summary(); got != "2 created, 1 updated, 3 unchanged." {
		t.Errorf("summary %q", got)
	}
	p.del, p.counts = true, map[string]int{}
	if got := p.summary(); got != "Nothing to delete: the store holds nothing apply created for t." {
		t.Errorf("summary %q", got)
	}
}
