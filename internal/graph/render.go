package graph

import (
	"fmt"
	"io"
	"strings"
)

// DOT writes g in Graphviz's dot language.
func (g *Graph) DOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph plink {\n")
	b.WriteString("  rankdir=LR;\n  compound=true;\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9];\n")
	for i, a := range g.Accounts {
		fmt.Fprintf(&b, "  subgraph cluster_a%d {\n    label=%s;\n    style=rounded;\n", i, dotQuote("account "+a.ID))
		for j, v := range a.VPCs {
			fmt.Fprintf(&b, "    subgraph cluster_a%dv%d {\n      label=%s;\n      style=\"rounded,dashed\";\n", i, j, dotQuote(v.ID+" "+v.CIDR))
			for _, n := range v.Nodes {
				b.WriteString("      " + dotNode(n) + "\n")
			}
			b.WriteString("    }\n")
		}
		for _, n := range a.Nodes {
			b.WriteString("    " + dotNode(n) + "\n")
		}
		b.WriteString("  }\n")
	}
	for _, e := range g.Edges {
		var attrs []string
		if e.Label != "" {
			attrs = append(attrs, "label="+dotQuote(e.Label))
		}
		if e.Dashed {
			attrs = append(attrs, "style=dashed")
		}
		fmt.Fprintf(&b, "  %s -> %s", e.From.ID, e.To.ID)
		if len(attrs) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(attrs, ", "))
		}
		b.WriteString(";\n")
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotShapes are the node shapes by kind.
var dotShapes = map[Kind]string{
	KindService: "component", KindLoadBalancer: "box", KindTargetGroup: "folder",
	KindTarget: "ellipse", KindEndpoint: "box",
}

// statusColor is the fill of a node whose status says traffic flows
// (green), may soon (yellow) or does not (red).
func statusColor(status string) string {
	switch status {
	case "healthy", "available", "Available":
		return "#d4f7d4"
	case "initial", "pending", "pendingAcceptance", "draining":
		return "#fff3c4"
	case "":
		return ""
	}
	return "#f7d4d4"
}

func dotNode(n *Node) string {
	attrs := []string{"label=" + dotQuote(strings.Join(n.Lines, "\n")), "shape=" + dotShapes[n.Kind]}
	if c := statusColor(n.Status); c != "" && n.Kind != KindService {
		attrs = append(attrs, "fillcolor="+dotQuote(c))
	}
	return fmt.Sprintf("%s [%s];", n.ID, strings.Join(attrs, ", "))
}

// dotQuote is a dot string: quotes and backslashes escaped, new lines as \n.
func dotQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return `"` + s + `"`
}

// Mermaid writes g as a Mermaid flowchart (GitHub renders it in a
// ```mermaid block).
func (g *Graph) Mermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	var styled []*Node
	for i, a := range g.Accounts {
		fmt.Fprintf(&b, "  subgraph a%d[%s]\n", i, mermaidQuote("account "+a.ID))
		for j, v := range a.VPCs {
			fmt.Fprintf(&b, "    subgraph a%dv%d[%s]\n", i, j, mermaidQuote(v.ID+" "+v.CIDR))
			for _, n := range v.Nodes {
				b.WriteString("      " + mermaidNode(n) + "\n")
				styled = append(styled, n)
			}
			b.WriteString("    end\n")
		}
		for _, n := range a.Nodes {
			b.WriteString("    " + mermaidNode(n) + "\n")
			styled = append(styled, n)
		}
		b.WriteString("  end\n")
	}
	for _, e := range g.Edges {
		arrow := "-->"
		if e.Dashed {
			arrow = "-.->"
		}
		if e.Label != "" {
			fmt.Fprintf(&b, "  %s %s|%s| %s\n", e.From.ID, arrow, mermaidQuote(e.Label), e.To.ID)
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", e.From.ID, arrow, e.To.ID)
		}
	}
	b.WriteString("  classDef ok fill:#d4f7d4,stroke:#2e7d32\n")
	b.WriteString("  classDef wait fill:#fff3c4,stroke:#b28704\n")
	b.WriteString("  classDef bad fill:#f7d4d4,stroke:#c62828\n")
	classes := map[string][]string{}
	for _, n := range styled {
		if n.Kind == KindService {
			continue
		}
		switch statusColor(n.Status) {
		case "#d4f7d4":
			classes["ok"] = append(classes["ok"], n.ID)
		case "#fff3c4":
			classes["wait"] = append(classes["wait"], n.ID)
		case "#f7d4d4":
			classes["bad"] = append(classes["bad"], n.ID)
		}
	}
	for _, c := range []string{"ok", "wait", "bad"} {
		if len(classes[c]) > 0 {
			fmt.Fprintf(&b, "  class %s %s\n", strings.Join(classes[c], ","), c)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidShapes open and close a node's label by kind.
var mermaidShapes = map[Kind][2]string{
	KindService: {"[[", "]]"}, KindLoadBalancer: {"[", "]"}, KindTargetGroup: {"(", ")"},
	KindTarget: {"([", "])"}, KindEndpoint: {"[", "]"},
}

func mermaidNode(n *Node) string {
	s := mermaidShapes[n.Kind]
	return n.ID + s[0] + mermaidQuote(strings.Join(n.Lines, "\n")) + s[1]
}

// mermaidQuote is a quoted Mermaid label: quotes as #quot;, new lines as
// <br/>.
func mermaidQuote(s string) string {
	s = strings.ReplaceAll(s, `"`, "#quot;")
	s = strings.ReplaceAll(s, "\n", "<br/>")
	return `"` + s + `"`
}
