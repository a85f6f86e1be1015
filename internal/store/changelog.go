package store

import (
	"context"
	"database/sql"
	"regexp"
	"sort"
	"strings"
)

// The change log (table changes, migration 6) says, for each revision,
// which sections of serve's snapshot the write touched, so that serve
// reloads only those (SnapshotSince). Sections are derived from the table
// every exec'd statement writes (tableSections), cascades included; a
// statement whose table cannot be read from its text counts as touching
// everything. Endpoints are finer: the writes of one endpoint's rows name
// it (forEndpoint), and any other write to the endpoint tables marks every
// endpoint changed.

// section is a bit set of the parts of a snapshot.
type section int64

const (
	secVPCs section = 1 << iota
	secLoadBalancers
	secTargetGroups
	secServices
	secEndpoints
	secGroups

	secAll = secVPCs | secLoadBalancers | secTargetGroups | secServices | secEndpoints | secGroups
)

// changeLogKeep is how many revisions the log keeps; a serve further
// behind loads everything.
const changeLogKeep = 1000

// tableSections maps each table the snapshot reads to the sections that
// read it, with the tables that ON DELETE CASCADE from it. A table not
// listed is not read by the snapshot.
var tableSections = map[string]section{
	"vpcs":            secVPCs, // cascades to vpc_cidr_blocks
	"vpc_cidr_blocks": secVPCs,
	"subnets":         secTargetGroups,  // targets' zones
	"load_balancers":  secLoadBalancers, // cascades to lb_nodes, listeners
	"lb_nodes":        secLoadBalancers,
	"listeners":       secLoadBalancers,
	"attributes":      secLoadBalancers | secTargetGroups,
	"target_groups":   secTargetGroups, // cascades to targets, target_health
	"targets":         secTargetGroups,
	"target_health":   secTargetGroups,
	"services":        secServices, // cascades to service_lbs
	"service_lbs":     secServices,
	// Endpoints cascade to their ENIs and groups, which are also the
	// members of source-group rules.
	"endpoints":       secEndpoints | secGroups,
	"enis":            secEndpoints | secGroups,
	"endpoint_groups": secEndpoints | secGroups,
	"security_groups": secGroups, // cascades to sg_rules
	"sg_rules":        secGroups,
}

var writeTable = regexp.MustCompile(`(?is)^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)"?`)

// noteChange records what query, about to run in t, changes.
func (t *Tx) noteChange(query string) {
	m := writeTable.FindStringSubmatch(query)
	if m == nil {
		t.sections |= secAll
		t.allEndpoints = true
		return
	}
	sec := tableSections[strings.ToLower(m[1])]
	t.sections |= sec
	if sec&secEndpoints == 0 {
		return
	}
	if t.epKey == "" {
		t.allEndpoints = true
		return
	}
	if t.epKeys == nil {
		t.epKeys = map[string]bool{}
	}
	t.epKeys[t.epKey] = true
}

// forEndpoint makes the writes until the returned func runs changes of
// endpoint id alone: defer t.forEndpoint(id)().
func (t *Tx) forEndpoint(id string) func() {
	old := t.epKey
	t.epKey = id
	return func() { t.epKey = old }
}

// changedEndpoints is the log's endpoints column for t.
func (t *Tx) changedEndpoints() string {
	if t.sections&secEndpoints == 0 {
		return ""
	}
	if t.allEndpoints {
		return "*"
	}
	ids := make([]string, 0, len(t.epKeys))
	for id := range t.epKeys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

// logChange adds t's row to the change log at revision rev and drops the
// rows older than the log keeps; it runs in t's transaction, after the
// revision moved.
func (t *Tx) logChange(ctx context.Context, x interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, rev int64) error {
	if _, err := x.ExecContext(ctx, t.sql(`INSERT INTO changes (rev, sections, endpoints) VALUES (?, ?, ?)`),
		rev, int64(t.sections), t.changedEndpoints()); err != nil {
		return err
	}
	_, err := x.ExecContext(ctx, t.sql(`DELETE FROM changes WHERE rev <= ?`), rev-changeLogKeep)
	return err
}

// changeSet is what the revisions after a snapshot changed.
type changeSet struct {
	sections     section
	allEndpoints bool
	endpoints    map[string]bool
}

// changesSince reads the log from after rev to cur; ok is false when the
// log does not cover every revision in between.
func (t *Tx) changesSince(rev, cur int64) (cs changeSet, ok bool, err error) {
	rows, err := t.query(`SELECT rev, sections, endpoints FROM changes WHERE rev > ? AND rev <= ? ORDER BY rev`, rev, cur)
	if err != nil {
		return cs, false, err
	}
	defer rows.Close()
	cs.endpoints = map[string]bool{}
	n := int64(0)
	for rows.Next() {
		var r, sec int64
		var eps string
		if err := rows.Scan(&r, &sec, &eps); err != nil {
			return cs, false, err
		}
		n++
		cs.sections |= section(sec)
		switch eps {
		case "":
		case "*":
			cs.allEndpoints = true
		default:
			for _, id := range strings.Split(eps, ",") {
				cs.endpoints[id] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		return cs, false, err
	}
	return cs, n == cur-rev, nil
}
