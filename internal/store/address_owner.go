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
