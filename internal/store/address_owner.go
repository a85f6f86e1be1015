package store

import (
	"database/sql"
	"errors"
	"net/netip"
)

// AddressOwner returns who holds address a — an ENI ID or a load balancer
// ARN — or "" when no ENI or load balancer node has it.
func (t *Tx) AddressOwner(a netip.Addr) (string, error) {
	var owner string
	err := t.queryRow(`SELECT owner_id FROM addresses WHERE addr = ?`, a.Unmap().String()).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return owner, err
}

// targetAddresses returns the addresses inside p that are registered as
// targets of any target group: an ENI or load balancer node given one of
// them would make the data plane a target of itself.
func (t *Tx) targetAddresses(p netip.Prefix) (map[netip.Addr]bool, error) {
	rows, err := t.query(`SELECT DISTINCT ip FROM targets`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[netip.Addr]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if a, err := netip.ParseAddr(s); err == nil && p.Contains(a) {
			out[a] = true
		}
	}
	return out, rows.Err()
}
