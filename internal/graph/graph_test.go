package graph

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/snapshot"
)

// topology is a provider (111) with one service, NLB, group and two
// targets, and two consumers (222, 333) with an endpoint each.
func topology() *snapshot.Snapshot {
	a := netip.MustParseAddr
	return &snapshot.Snapshot{
		VPCs: []snapshot.VPC{
			{ID: "vpc-p", Account: "111", Region: "r", CIDR: netip.MustParsePrefix("127.16.0.0/16")},
			{ID: "vpc-empty", Account: "111", Region: "r", CIDR: netip.MustParsePrefix("127.18.0.0/16")},
			{ID: "vpc-c", Account: "222", Region: "r", CIDR: netip.MustParsePrefix("127.17.0.0/16")},
			{ID: "vpc-d", Account: "333", Region: "r", CIDR: netip.MustParsePrefix("127.19.0.0/16")},
		},
		LoadBalancers: []snapshot.LoadBalancer{{ARN: "arn:lb", Name: "nlb", Account: "111", Region: "r", VPCID: "vpc-p", IPAddressType: "ipv4",
			Nodes: []snapshot.Node{{IPv4: a("127.16.0.4")}}, Listeners: []snapshot.Listener{{Protocol: "TCP", Port: 80, TargetGroupARN: "arn:tg"}}}},
		TargetGroups: map[string]*snapshot.TargetGroup{"arn:tg": {ARN: "arn:tg", Name: "web", Account: "111", VPCID: "vpc-p", Protocol: "TCP", Port: 8080,
			Targets: []snapshot.Target{{IP: a("127.16.0.101"), Port: 8080, Health: "unhealthy"}, {IP: a("127.16.0.100"), Port: 8080, Health: "healthy"}}}},
		Services: map[string]*snapshot.Service{"vpce-svc-1": {ID: "vpce-svc-1", Name: "com.amazonaws.vpce.r.vpce-svc-1", Account: "111", Region: "r",
			State: "Available", LoadBalancerARNs: []string{"arn:lb"}, PrivateDNSName: "api.example.com"}},
		Endpoints: []snapshot.Endpoint{
			{ID: "vpce-2", Account: "333", Region: "r", VPCID: "vpc-d", ServiceID: "vpce-svc-1", State: "pendingAcceptance"},
			{ID: "vpce-1", Account: "222", Region: "r", VPCID: "vpc-c", ServiceID: "vpce-svc-1", State: "available",
				ENIs: []snapshot.ENI{{IPv4: a("127.17.0.4"), IPv6: a("fd00::4")}}},
			{ID: "vpce-gone", Account: "222", Region: "r", VPCID: "vpc-c", ServiceID: "vpce-svc-1", State: "deleted"},
		},
	}
}

func TestMermaidAll(t *testing.T) {
	var b strings.Builder
	if err := Build(topology(), Options{All: true}).Mermaid(&b); err != nil {
		t.Fatal(err)
	}
	want := `flowchart LR
  subgraph a0["account 111"]
    subgraph a0v0["vpc-p 127.16.0.0/16"]
      n1["NLB nlb<br/>ipv4 127.16.0.4"]
      n2("target group web<br/>TCP:8080")
      n3(["127.16.0.100:8080<br/>healthy"])
      n4(["127.16.0.101:8080<br/>unhealthy"])
    end
    n0[["service vpce-svc-1<br/>com.amazonaws.vpce.r.vpce-svc-1<br/>private DNS api.example.com (unverified)"]]
  end
  subgraph a1["account 222"]
    subgraph a1v0["vpc-c 127.17.0.0/16"]
      n5["endpoint vpce-1<br/>available<br/>127.17.0.4 fd00::4"]
    end
  end
  subgraph a2["account 333"]
    subgraph a2v0["vpc-d 127.19.0.0/16"]
      n6["endpoint vpce-2<br/>pendingAcceptance"]
    end
  end
  n2 --> n3
  n2 -.-> n4
  n5 -->|"available"| n0
  n6 -.->|"pendingAcceptance"| n0
  n0 --> n1
  n1 -->|"TCP:80"| n2
  classDef ok fill:#d4f7d4,stroke:#2e7d32
  classDef wait fill:#fff3c4,stroke:#b28704
  classDef bad fill:#f7d4d4,stroke:#c62828
  class n3,n5 ok
  class n6 wait
  class n4 bad
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestOneAccount: a consumer sees its endpoint and the service it reaches,
// not the provider's load balancer nor the other consumer.
func TestOneAccount(t *testing.T) {
	var b strings.Builder
	if err := Build(topology(), Options{Account: "222"}).DOT(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`label="account 222"`, `label="account 111"`, "endpoint vpce-1", "service vpce-svc-1", `[label="available"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	for _, not := range []string{"NLB", "vpce-2", "account 333", "vpc-p", "vpce-gone", "vpc-empty"} {
		if strings.Contains(out, not) {
			t.Errorf("%q should not be drawn for account 222:\n%s", not, out)
		}
	}
	// The provider sees both consumers' endpoints, outside their VPCs.
	b.Reset()
	Build(topology(), Options{Account: "111"}).DOT(&b)
	for _, want := range []string{"endpoint vpce-1", "endpoint vpce-2", "NLB nlb", `label="account 333"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("provider view lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "vpc-c") {
		t.Errorf("provider view shows a consumer's VPC:\n%s", b.String())
	}
}

func TestDotQuote(t *testing.T) {
	if got := dotQuote("a\"b\\c\nd"); got != `"a\"b\\c\nd"` {
		t.Errorf("dotQuote = %s", got)
	}
	if got := mermaidQuote("a\"b\nc"); got != `"a#quot;b<br/>c"` {
		t.Errorf("mermaidQuote = %s", got)
	}
}
