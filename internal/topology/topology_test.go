package topology

import (
	"strings"
	"testing"
)

func load(t *testing.T, yaml string) (*Topology, error) {
	t.Helper()
	return Load([]Source{{Path: "t.yaml", Data: []byte(yaml)}})
}

const base = `accounts:
- name: p
  id: "111111111111"
  vpcs:
  - name: app
    cidr: 127.101.0.0/16
    subnets: [{name: a, zone: us-east-1a, cidr: 127.101.0.0/20}]
`

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown top field", "acounts: []\n", "t.yaml:1: acounts: unknown field (did you mean accounts?); the fields here are accounts, name, region"},
		{"list wanted", "accounts: p\n", "t.yaml:1: accounts: want a list"},
		{"no accounts", "name: x\n", "t.yaml:1: no accounts"},
		{"account id", "accounts: [{name: p, id: 12}]\n", `t.yaml:1: accounts[0].id: "12" is not an account ID`},
		{"bool", base + "    ipv6: maybe\n", `t.yaml:8: accounts[0].vpcs[0].ipv6: want true or false, not "maybe"`},
		{"field twice", base + "    cidr: 127.1.0.0/16\n", "t.yaml:8: accounts[0].vpcs[0].cidr: given twice"},
		{"subnet outside", strings.Replace(base, "cidr: 127.101.0.0/20", "cidr: 127.102.0.0/20", 1), "t.yaml:7: accounts[0].vpcs[0].subnets[0].cidr: 127.102.0.0/20 is not inside the VPC's 127.101.0.0/16"},
		{"zone missing", strings.Replace(base, "zone: us-east-1a, ", "", 1), "t.yaml:7: accounts[0].vpcs[0].subnets[0]: zone is missing"},
		{"ipv6 without block", strings.Replace(base, "cidr: 127.101.0.0/20}", "cidr: 127.101.0.0/20, ipv6Subnet: 1}", 1), "accounts[0].vpcs[0].subnets[0].ipv6Subnet: the VPC app has no IPv6 block"},
		{"bad name", strings.Replace(base, "name: app", "name: -app", 1), `t.yaml:5: accounts[0].vpcs[0].name: "-app" is not a name`},
		{"rule", base + "  securityGroups: [{name: g, vpc: app, ingress: [{ports: 70000, cidr: 0.0.0.0/0}]}]\n", `accounts[0].securityGroups[0].ingress[0]: ports "70000"`},
		{"listener ref", base + "  loadBalancers: [{name: l, subnets: [a], listeners: [{port: 80, targetGroup: tg}]}]\n", `accounts[0].loadBalancers[0].listeners[0].targetGroup: no target-group "tg" in account p`},
		{"same account twice", base + "- name: p\n  id: \"222222222222\"\n", "t.yaml:9: accounts[1].id: account p is 222222222222 here but 111111111111 at t.yaml:3"},
		{"principal", base + "  loadBalancers: [{name: l, subnets: [a]}]\n  services: [{name: s, loadBalancers: [l], allowedPrincipals: [nobody]}]\n",
			`accounts[0].services[0].allowedPrincipals[0]: "nobody" is neither an account of this file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadDefaultsAndOrder(t *testing.T) {
	top, err := load(t, base+`  targetGroups: [{name: tg, vpc: app, port: 8080, targets: [{ip: 127.0.0.1}]}]
  loadBalancers: [{name: l, subnets: [a], listeners: [{port: 80, targetGroup: tg}]}]
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := top.Sources; len(got) != 1 || got[0] != "t" {
		t.Errorf("sources %v, want [t] (the file's name)", got)
	}
	var kinds []string
	for _, n := range top.nodes {
		kinds = append(kinds, n.kind+" "+n.name)
	}
	want := "vpc app,subnet a,target-group tg,load-balancer l,listener l:80"
	if strings.Join(kinds, ",") != want {
		t.Errorf("order %v, want %s", kinds, want)
	}
	tg := top.nodes[2].tg
	if tg.Protocol != "TCP" || tg.TargetType != "ip" || tg.Targets[0].Port != 8080 || tg.Targets[0].Zone != "all" {
		t.Errorf("defaults not applied: %+v", tg)
	}
}

func TestStdinNeedsName(t *testing.T) {
	_, err := Load([]Source{{Path: "<stdin>", Data: []byte(base), Stdin: true}})
	if err == nil || !strings.Contains(err.Error(), "<stdin>:1: a topology read from standard input needs a name") {
		t.Fatalf("got %v", err)
	}
}

func TestParseRule(t *testing.T) {
	for _, tc := range []struct {
		in   Rule
		want string
	}{
		{Rule{Ports: "80", CIDR: "127.0.0.1/8"}, "tcp/80 from 127.0.0.0/8"},
		{Rule{Protocol: "UDP", Ports: "53-54", CIDR: "::/0"}, "udp/53-54 from ::/0"},
		{Rule{Protocol: "all", CIDR: "10.0.0.0/8"}, "all from 10.0.0.0/8"},
		{Rule{CIDR: "10.0.0.0/8"}, "tcp/0-65535 from 10.0.0.0/8"},
	} {
		r, err := parseRule(tc.in)
		if err != nil || r.String() != tc.want {
			t.Errorf("parseRule(%+v) = %v, %v; want %s", tc.in, r, err, tc.want)
		}
		back, err := parseRuleString(r.String())
		if err != nil || back != r {
			t.Errorf("parseRuleString(%q) = %v, %v; want %v", r.String(), back, err, r)
		}
	}
	for _, bad := range []Rule{{Protocol: "icmp", CIDR: "::/0"}, {Ports: "90-80", CIDR: "::/0"}, {Ports: "80", CIDR: "nowhere"}} {
		if _, err := parseRule(bad); err == nil {
			t.Errorf("parseRule(%+v) accepted", bad)
		}
	}
}

func TestSubnet64(t *testing.T) {
	got, err := subnet64("fd12:3456:789a:1200::/56", 2)
	if err != nil || got != "fd12:3456:789a:1202::/64" {
		t.Fatalf("got %s, %v", got, err)
	}
	if _, err := subnet64("", 1); err == nil {
		t.Fatal("a VPC without a block was accepted")
	}
}

func TestDiffSets(t *testing.T) {
	add, remove := diffSets("a,b", "b,c")
	if strings.Join(add, ",") != "c" || strings.Join(remove, ",") != "a" {
		t.Fatalf("add %v remove %v", add, remove)
	}
	if add, remove := diffSets("", ""); add != nil || remove != nil {
		t.Fatalf("empty: add %v remove %v", add, remove)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"service", "subnets", "vpc"}
	for got, want := range map[string]string{"servce": "service", "Subnets": "subnets", "vpcs": "vpc", "zone": ""} {
		s := suggest(got, known)
		if (want == "" && s != "") || (want != "" && !strings.Contains(s, want)) {
			t.Errorf("suggest(%q) = %q, want %q", got, s, want)
		}
	}
}
