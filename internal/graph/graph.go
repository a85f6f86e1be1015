// Package graph draws plink's topology: accounts, their VPCs, endpoint
// services, network load balancers, target groups and targets (with their
// health), endpoints (with their state and addresses) and the connection
// between each endpoint and its service, as Graphviz dot or Mermaid text.
// It reads a store snapshot and writes text; the output is deterministic
// (everything sorted by ID, nodes numbered in that order), so it can be
// compared with golden files and diffed between runs.
package graph

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/plink-dev/plink/internal/snapshot"
)

// Graph is the topology as nested clusters of nodes, and edges.
type Graph struct {
	Accounts []*Account
	Edges    []Edge
}

// Account is one account's cluster.
type Account struct {
	ID   string
	VPCs []*VPC
	// Nodes are the account's nodes outside any VPC (endpoint services),
	// and, for an account shown only as the other end of a connection, its
	// endpoints or services.
	Nodes []*Node
}

// VPC is one VPC's cluster.
type VPC struct {
	ID    string
	CIDR  string
	Nodes []*Node
}

// Kind is what a node stands for.
type Kind string

// The kinds of node.
const (
	KindService      Kind = "service"
	KindLoadBalancer Kind = "nlb"
	KindTargetGroup  Kind = "targetgroup"
	KindTarget       Kind = "target"
	KindEndpoint     Kind = "endpoint"
)

// Node is one resource.
type Node struct {
	ID    string // n0, n1, ...: stable for a given topology
	Kind  Kind
	Lines []string // the label, first line the resource's name
	// Status is the word a renderer colours: a target's health or an
	// endpoint's state.
	Status string
}

// Edge joins two nodes.
type Edge struct {
	From, To *Node
	Label    string
	// Dashed marks a connection that carries no traffic (an endpoint not
	// available, a target not healthy).
	Dashed bool
}

// Options say what to draw.
type Options struct {
	// Account is the caller's account; "" with All.
	Account string
	// All draws every account in the store (kubectl's -A).
	All bool
	// Region limits the drawing to one region ("" for every region).
	Region string
}

// Build makes the graph of snap as opts ask. Without All, the caller's
// own resources are drawn whole, and another account appears only as the
// other end of a connection: the service an endpoint of the caller's
// reaches, or an endpoint that reaches a service of the caller's.
func Build(snap *snapshot.Snapshot, opts Options) *Graph {
	b := &builder{snap: snap, opts: opts, accounts: map[string]*Account{}, vpcs: map[string]*VPC{}}
	return b.build()
}

type builder struct {
	snap     *snapshot.Snapshot
	opts     Options
	g        Graph
	accounts map[string]*Account
	vpcs     map[string]*VPC
	next     int
}

// mine says whether account's resources are drawn whole.
func (b *builder) mine(account string) bool { return b.opts.All || account == b.opts.Account }

func (b *builder) inRegion(region string) bool { return b.opts.Region == "" || region == b.opts.Region }

func (b *builder) node(kind Kind, status string, lines ...string) *Node {
	n := &Node{ID: fmt.Sprintf("n%d", b.next), Kind: kind, Lines: lines, Status: status}
	b.next++
	return n
}

func (b *builder) account(id string) *Account {
	a := b.accounts[id]
	if a == nil {
		a = &Account{ID: id}
		b.accounts[id] = a
		b.g.Accounts = append(b.g.Accounts, a)
	}
	return a
}

// vpc is the cluster of a VPC of a drawn account, made on first use.
func (b *builder) vpc(id string) *VPC {
	if v := b.vpcs[id]; v != nil {
		return v
	}
	for _, sv := range b.snap.VPCs {
		if sv.ID == id {
			v := &VPC{ID: id, CIDR: sv.CIDR.String()}
			if sv.IPv6CIDR.IsValid() {
				v.CIDR += ", " + sv.IPv6CIDR.String()
			}
			b.vpcs[id] = v
			a := b.account(sv.Account)
			a.VPCs = append(a.VPCs, v)
			return v
		}
	}
	return nil
}

func (b *builder) build() *Graph {
	// Every node is made in one sorted order, so its number is stable.
	lbs := slices.Clone(b.snap.LoadBalancers)
	slices.SortFunc(lbs, func(x, y snapshot.LoadBalancer) int { return strings.Compare(x.Name+x.ARN, y.Name+y.ARN) })
	services := sortedValues(b.snap.Services, func(s *snapshot.Service) string { return s.ID })
	groups := sortedValues(b.snap.TargetGroups, func(g *snapshot.TargetGroup) string { return g.Name + g.ARN })
	endpoints := slices.Clone(b.snap.Endpoints)
	slices.SortFunc(endpoints, func(x, y snapshot.Endpoint) int { return strings.Compare(x.ID, y.ID) })

	// The accounts in the order they are named: the caller's first.
	if !b.opts.All {
		b.account(b.opts.Account)
	}
	svcNodes := map[string]*Node{}
	lbNodes := map[string]*Node{}
	tgNodes := map[string]*Node{}
	// Which foreign services and endpoints are drawn: the other ends of the
	// caller's connections.
	linked := map[string]bool{}
	for _, e := range endpoints {
		if e.State == "deleted" || !b.inRegion(e.Region) {
			continue
		}
		if s := b.snap.Services[e.ServiceID]; s != nil && (b.mine(e.Account) || b.mine(s.Account)) {
			linked[e.ID], linked[s.ID] = true, true
		}
	}
	for _, s := range services {
		if !b.inRegion(s.Region) || (!b.mine(s.Account) && !linked[s.ID]) {
			continue
		}
		lines := []string{"service " + s.ID, s.Name}
		if s.PrivateDNSName != "" {
			dns := "private DNS " + s.PrivateDNSName
			if !s.PrivateDNSVerified {
				dns += " (unverified)"
			}
			lines = append(lines, dns)
		}
		n := b.node(KindService, s.State, lines...)
		svcNodes[s.ID] = n
		a := b.account(s.Account)
		a.Nodes = append(a.Nodes, n)
	}
	for _, lb := range lbs {
		if !b.mine(lb.Account) || !b.inRegion(lb.Region) {
			continue
		}
		var addrs []string
		for _, nd := range lb.Nodes {
			addrs = append(addrs, addrList(nd.IPv4, nd.IPv6)...)
		}
		n := b.node(KindLoadBalancer, "", "NLB "+lb.Name, lb.IPAddressType+" "+strings.Join(addrs, " "))
		lbNodes[lb.ARN] = n
		if v := b.vpc(lb.VPCID); v != nil {
			v.Nodes = append(v.Nodes, n)
		}
	}
	for _, tg := range groups {
		if !b.mine(tg.Account) {
			continue
		}
		n := b.node(KindTargetGroup, "", "target group "+tg.Name, fmt.Sprintf("%s:%d", tg.Protocol, tg.Port))
		tgNodes[tg.ARN] = n
		v := b.vpc(tg.VPCID)
		if v != nil {
			v.Nodes = append(v.Nodes, n)
		}
		targets := slices.Clone(tg.Targets)
		slices.SortFunc(targets, func(x, y snapshot.Target) int {
			if c := x.IP.Compare(y.IP); c != 0 {
				return c
			}
			return int(x.Port) - int(y.Port)
		})
		for _, t := range targets {
			health := t.Health
			if health == "" {
				health = "initial" // registered, never checked: as describe-target-health says
			}
			tn := b.node(KindTarget, health, netip.AddrPortFrom(t.IP, t.Port).String(), health)
			if v != nil {
				v.Nodes = append(v.Nodes, tn)
			}
			b.g.Edges = append(b.g.Edges, Edge{From: n, To: tn, Dashed: health != "healthy"})
		}
	}
	for _, e := range endpoints {
		if e.State == "deleted" || !b.inRegion(e.Region) || (!b.mine(e.Account) && !linked[e.ID]) {
			continue
		}
		var addrs []string
		for _, eni := range e.ENIs {
			addrs = append(addrs, addrList(eni.IPv4, eni.IPv6)...)
		}
		lines := []string{"endpoint " + e.ID, e.State}
		if len(addrs) > 0 {
			lines = append(lines, strings.Join(addrs, " "))
		}
		n := b.node(KindEndpoint, e.State, lines...)
		var v *VPC
		if b.mine(e.Account) {
			v = b.vpc(e.VPCID)
		}
		if v != nil {
			v.Nodes = append(v.Nodes, n)
		} else {
			a := b.account(e.Account)
			a.Nodes = append(a.Nodes, n)
		}
		if sn := svcNodes[e.ServiceID]; sn != nil {
			b.g.Edges = append(b.g.Edges, Edge{From: n, To: sn, Label: e.State, Dashed: !e.Available()})
		}
	}
	// Services forward to their load balancers, load balancers to their
	// target groups through their listeners.
	for _, s := range services {
		sn := svcNodes[s.ID]
		if sn == nil {
			continue
		}
		arns := slices.Clone(s.LoadBalancerARNs)
		slices.Sort(arns)
		for _, arn := range arns {
			if ln := lbNodes[arn]; ln != nil {
				b.g.Edges = append(b.g.Edges, Edge{From: sn, To: ln})
			}
		}
	}
	for _, lb := range lbs {
		ln := lbNodes[lb.ARN]
		if ln == nil {
			continue
		}
		listeners := slices.Clone(lb.Listeners)
		slices.SortFunc(listeners, func(x, y snapshot.Listener) int { return int(x.Port) - int(y.Port) })
		for _, l := range listeners {
			if tn := tgNodes[l.TargetGroupARN]; tn != nil {
				b.g.Edges = append(b.g.Edges, Edge{From: ln, To: tn, Label: fmt.Sprintf("%s:%d", l.Protocol, l.Port)})
			}
		}
	}
	b.sortClusters()
	return &b.g
}

// sortClusters orders the accounts (the caller's first, then by ID), their
// VPCs by ID, and drops the accounts left with nothing to draw.
func (b *builder) sortClusters() {
	b.g.Accounts = slices.DeleteFunc(b.g.Accounts, func(a *Account) bool { return len(a.VPCs) == 0 && len(a.Nodes) == 0 })
	slices.SortStableFunc(b.g.Accounts, func(x, y *Account) int {
		switch {
		case x.ID == b.opts.Account && y.ID != b.opts.Account:
			return -1
		case y.ID == b.opts.Account && x.ID != b.opts.Account:
			return 1
		}
		return strings.Compare(x.ID, y.ID)
	})
	for _, a := range b.g.Accounts {
		slices.SortFunc(a.VPCs, func(x, y *VPC) int { return strings.Compare(x.ID, y.ID) })
	}
}

// addrList is the valid ones of a pair of addresses.
func addrList(v4, v6 netip.Addr) []string {
	var out []string
	for _, a := range []netip.Addr{v4, v6} {
		if a.IsValid() {
			out = append(out, a.String())
		}
	}
	return out
}

func sortedValues[V any](m map[string]V, key func(V) string) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(x, y V) int { return strings.Compare(key(x), key(y)) })
	return out
}
