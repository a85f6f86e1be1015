package store

import "fmt"

// AccountRegion is an account and a region that own something in the store.
type AccountRegion struct{ Account, Region string }

// Accounts lists every account and region that owns a VPC, a load balancer,
// a target group, an endpoint service, an endpoint or a notification, in
// order: what `plink get -A` acts as, one at a time and read-only.
func (t *Tx) Accounts() ([]AccountRegion, error) {
	rows, err := t.query(`SELECT account, region FROM vpcs
		UNION SELECT account, region FROM load_balancers
		UNION SELECT account, region FROM target_groups
		UNION SELECT account, region FROM services
		UNION SELECT account, region FROM endpoints
		UNION SELECT account, region FROM notifications
		ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AccountRegion
	for rows.Next() {
		var a AccountRegion
		if err := rows.Scan(&a.Account, &a.Region); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// creationTables are the tables CreationTimes reads, by the kind it names.
// AWS shows no creation time for several of these resources; plink's
// store has one for every row, and `plink get` shows it as an AGE.
var creationTables = map[string]string{
	"vpc":           `SELECT id, created_at FROM vpcs`,
	"subnet":        `SELECT id, created_at FROM subnets`,
	"load-balancer": `SELECT arn, created_at FROM load_balancers`,
	"target-group":  `SELECT arn, created_at FROM target_groups`,
	"service":       `SELECT id, created_at FROM services`,
	"endpoint":      `SELECT id, created_at FROM endpoints`,
	"notification":  `SELECT id, created_at FROM notifications`,
}

// CreationTimes maps the IDs (ARNs for load balancers and target groups)
// of every resource of kind to when it was created (RFC 3339).
func (t *Tx) CreationTimes(kind string) (map[string]string, error) {
	q, ok := creationTables[kind]
	if !ok {
		return nil, fmt.Errorf("store: no creation times for %q", kind)
	}
	rows, err := t.query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, at string
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = at
	}
	return out, rows.Err()
}
