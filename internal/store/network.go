package store

import (
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrNotFound is returned by single-row getters when nothing matches.
var ErrNotFound = errors.New("not found")

// first returns the row of a single-row lookup, or ErrNotFound.
func first[T any](rows []T, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(rows) == 0 {
		return zero, ErrNotFound
	}
	return rows[0], nil
}

// VPC is a row of vpcs.
type VPC struct {
	ID, Account, Region string
	CIDR                netip.Prefix
	IPv6CIDR            netip.Prefix
	IsDefault           bool
	State               string
	CreatedAt           string
	// EnableDNSSupport and EnableDNSHostnames are the VPC attributes
	// enableDnsSupport and enableDnsHostnames.
	EnableDNSSupport, EnableDNSHostnames bool
}

// Subnet is a row of subnets.
type Subnet struct {
	ID, VPCID, Account, Region, Zone string
	CIDR                             netip.Prefix // invalid for IPv6-only subnets
	IPv6CIDR                         netip.Prefix
	IPv6Native                       bool
	IsDefault                        bool
	CreatedAt                        string
}

// SecurityGroup is a row of security_groups with its rules.
type SecurityGroup struct {
	ID, VPCID, Account, Region, Name, Description, CreatedAt string
	Rules                                                    []SGRule
}

// SGRule is a row of sg_rules: it admits either a CIDR or the members of
// a source security group (SourceGroup, with CIDR invalid).
type SGRule struct {
	ID, GroupID, Protocol    string
	FromPort, ToPort         int
	CIDR                     netip.Prefix
	Description              string
	SourceGroup, SourceOwner string
}

func (r SGRule) cidrText() string {
	if !r.CIDR.IsValid() {
		return ""
	}
	return r.CIDR.String()
}

// rangeKey returns the 16-byte first and last address of p, so that
// prefixes of both families compare as bytes.
func rangeKey(p netip.Prefix) (lo, hi []byte) {
	p = p.Masked()
	first := p.Addr()
	a16 := first.As16()
	lo = append([]byte(nil), a16[:]...)
	hi = append([]byte(nil), a16[:]...)
	bits := p.Bits()
	if first.Is4() {
		bits += 96
	}
	for i := bits; i < 128; i++ {
		hi[i/8] |= 1 << (7 - uint(i%8))
	}
	return lo, hi
}

func prefixString(p netip.Prefix) string {
	if !p.IsValid() {
		return ""
	}
	return p.String()
}

func parsePrefix(s string) netip.Prefix {
	if s == "" {
		return netip.Prefix{}
	}
	p, _ := netip.ParsePrefix(s)
	return p
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// InsertVPC adds a VPC.
func (t *Tx) InsertVPC(v VPC) error {
	lo, hi := rangeKey(v.CIDR)
	_, err := t.exec(`INSERT INTO vpcs (id, account, region, cidr, cidr_lo, cidr_hi, ipv6_cidr, is_default, state, created_at,
		enable_dns_support, enable_dns_hostnames) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.Account, v.Region, v.CIDR.String(), lo, hi, prefixString(v.IPv6CIDR), b2i(v.IsDefault), v.State, v.CreatedAt,
		b2i(v.EnableDNSSupport), b2i(v.EnableDNSHostnames))
	return err
}

// OverlappingVPC returns the ID of a VPC (any account) whose IPv4 CIDR,
// primary or secondary, overlaps p, or "".
func (t *Tx) OverlappingVPC(p netip.Prefix) (string, error) {
	lo, hi := rangeKey(p)
	var id string
	err := t.queryRow(`SELECT id FROM vpcs WHERE cidr_lo <= ? AND cidr_hi >= ?
		UNION ALL SELECT vpc_id FROM vpc_cidr_blocks WHERE cidr_lo <= ? AND cidr_hi >= ? LIMIT 1`, hi, lo, hi, lo).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// VPCIPv6InUse reports whether any VPC has the IPv6 CIDR p.
func (t *Tx) VPCIPv6InUse(p netip.Prefix) (bool, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM vpcs WHERE ipv6_cidr = ?`, p.String()).Scan(&n)
	return n > 0, err
}

// DeleteVPC removes a VPC and its default security group.
func (t *Tx) DeleteVPC(id string) error {
	if _, err := t.exec(`DELETE FROM security_groups WHERE vpc_id = ? AND name = 'default'`, id); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM tags WHERE resource_id = ?`, id); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM vpcs WHERE id = ?`, id)
	return err
}

const vpcCols = `id, account, region, cidr, ipv6_cidr, is_default, state, created_at, enable_dns_support, enable_dns_hostnames`

func scanVPC(sc interface{ Scan(...any) error }) (VPC, error) {
	var v VPC
	var cidr, v6 string
	var def, dnsSupport, dnsHostnames int
	err := sc.Scan(&v.ID, &v.Account, &v.Region, &cidr, &v6, &def, &v.State, &v.CreatedAt, &dnsSupport, &dnsHostnames)
	v.CIDR, v.IPv6CIDR, v.IsDefault = parsePrefix(cidr), parsePrefix(v6), def == 1
	v.EnableDNSSupport, v.EnableDNSHostnames = dnsSupport == 1, dnsHostnames == 1
	return v, err
}

// VPCs lists the VPCs of an account in a region; ids narrows the list.
func (t *Tx) VPCs(account, region string, ids []string) ([]VPC, error) {
	q := `SELECT ` + vpcCols + ` FROM vpcs WHERE account = ? AND region = ?`
	args := []any{account, region}
	q, args = inList(q, "id", ids, args)
	rows, err := t.query(q+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []VPC
	for rows.Next() {
		v, err := scanVPC(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// VPC returns one VPC by ID, whoever owns it.
func (t *Tx) VPC(id string) (VPC, error) {
	v, err := scanVPC(t.queryRow(`SELECT `+vpcCols+` FROM vpcs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// DefaultVPC returns the default VPC of an account in a region.
func (t *Tx) DefaultVPC(account, region string) (VPC, error) {
	v, err := scanVPC(t.queryRow(`SELECT `+vpcCols+` FROM vpcs WHERE account = ? AND region = ? AND is_default = 1`, account, region))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// inList appends "AND col IN (?, ...)" when ids is not empty.
func inList(q, col string, ids []string, args []any) (string, []any) {
	if len(ids) == 0 {
		return q, args
	}
	q += " AND " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
	for _, id := range ids {
		args = append(args, id)
	}
	return q, args
}

// InsertSubnet adds a subnet.
func (t *Tx) InsertSubnet(s Subnet) error {
	_, err := t.exec(`INSERT INTO subnets (id, vpc_id, account, region, zone, cidr, ipv6_cidr, ipv6_native, is_default, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.VPCID, s.Account, s.Region, s.Zone, prefixString(s.CIDR), prefixString(s.IPv6CIDR), b2i(s.IPv6Native), b2i(s.IsDefault), s.CreatedAt)
	return err
}

const subnetCols = `id, vpc_id, account, region, zone, cidr, ipv6_cidr, ipv6_native, is_default, created_at`

func scanSubnet(sc interface{ Scan(...any) error }) (Subnet, error) {
	var s Subnet
	var cidr, v6 string
	var native, def int
	err := sc.Scan(&s.ID, &s.VPCID, &s.Account, &s.Region, &s.Zone, &cidr, &v6, &native, &def, &s.CreatedAt)
	s.CIDR, s.IPv6CIDR, s.IPv6Native, s.IsDefault = parsePrefix(cidr), parsePrefix(v6), native == 1, def == 1
	return s, err
}

// Subnets lists an account's subnets in a region; ids narrows the list.
func (t *Tx) Subnets(account, region string, ids []string) ([]Subnet, error) {
	q := `SELECT ` + subnetCols + ` FROM subnets WHERE account = ? AND region = ?`
	q, args := inList(q, "id", ids, []any{account, region})
	return t.subnets(q+` ORDER BY vpc_id, zone, id`, args...)
}

// SubnetsOfVPC lists a VPC's subnets.
func (t *Tx) SubnetsOfVPC(vpcID string) ([]Subnet, error) {
	return t.subnets(`SELECT `+subnetCols+` FROM subnets WHERE vpc_id = ? ORDER BY zone, id`, vpcID)
}

func (t *Tx) subnets(q string, args ...any) ([]Subnet, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Subnet
	for rows.Next() {
		s, err := scanSubnet(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Subnet returns one subnet by ID, whoever owns it.
func (t *Tx) Subnet(id string) (Subnet, error) {
	s, err := scanSubnet(t.queryRow(`SELECT `+subnetCols+` FROM subnets WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrNotFound
	}
	return s, err
}

// SubnetInUse names what still uses a subnet (an ENI or a load balancer), or "".
func (t *Tx) SubnetInUse(id string) (string, error) {
	var owner string
	err := t.queryRow(`SELECT owner_id FROM addresses WHERE subnet_id = ? LIMIT 1`, id).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return owner, err
}

// DeleteSubnet removes a subnet.
func (t *Tx) DeleteSubnet(id string) error {
	if _, err := t.exec(`DELETE FROM tags WHERE resource_id = ?`, id); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM subnets WHERE id = ?`, id)
	return err
}

// VPCDependencies names something that still lives in the VPC, or "".
func (t *Tx) VPCDependencies(id string) (string, error) {
	var dep string
	err := t.queryRow(`SELECT id FROM subnets WHERE vpc_id = ?
		UNION ALL SELECT id FROM security_groups WHERE vpc_id = ? AND name <> 'default'
		UNION ALL SELECT id FROM endpoints WHERE vpc_id = ? AND state NOT IN ('deleted')
		UNION ALL SELECT arn FROM load_balancers WHERE vpc_id = ?
		UNION ALL SELECT arn FROM target_groups WHERE vpc_id = ? LIMIT 1`, id, id, id, id, id).Scan(&dep)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return dep, err
}

// AllocateAddress reserves the lowest free address of subnet prefix p
// (skipping the first four and the last, as AWS does, and addresses
// registered as targets) for owner.
func (t *Tx) AllocateAddress(subnetID string, p netip.Prefix, owner string) (netip.Addr, error) {
	used := map[netip.Addr]bool{}
	rows, err := t.query(`SELECT addr FROM addresses WHERE subnet_id = ?`, subnetID)
	if err != nil {
		return netip.Addr{}, err
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return netip.Addr{}, err
		}
		if a, err := netip.ParseAddr(s); err == nil {
			used[a] = true
		}
	}
	rows.Close()
	p = p.Masked()
	targets, err := t.targetAddresses(p) // never hand out a target's address
	if err != nil {
		return netip.Addr{}, err
	}
	for a := range targets {
		used[a] = true
	}
	a := p.Addr()
	for range 4 {
		a = a.Next()
	}
	limit := 1 << 16
	for i := 0; i < limit && p.Contains(a); i++ {
		next := a.Next()
		if !p.Contains(next) {
			break // the last address is reserved
		}
		if !used[a] {
			if _, err := t.exec(`INSERT INTO addresses (addr, subnet_id, owner_id) VALUES (?, ?, ?)`, a.String(), subnetID, owner); err != nil {
				return netip.Addr{}, err
			}
			return a, nil
		}
		a = next
	}
	return netip.Addr{}, fmt.Errorf("subnet %s has no free address", subnetID)
}

// ReleaseAddresses frees every address held by owner.
func (t *Tx) ReleaseAddresses(owner string) error {
	_, err := t.exec(`DELETE FROM addresses WHERE owner_id = ?`, owner)
	return err
}

// InsertSecurityGroup adds a group (without rules).
func (t *Tx) InsertSecurityGroup(g SecurityGroup) error {
	_, err := t.exec(`INSERT INTO security_groups (id, vpc_id, account, region, name, description, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.VPCID, g.Account, g.Region, g.Name, g.Description, g.CreatedAt)
	return err
}

// SecurityGroupNameTaken reports whether the VPC has a group of that name.
func (t *Tx) SecurityGroupNameTaken(vpcID, name string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM security_groups WHERE vpc_id = ? AND name = ?`, vpcID, name).Scan(&n)
	return n > 0, err
}

// SecurityGroups lists an account's groups in a region; ids narrows the list.
func (t *Tx) SecurityGroups(account, region string, ids []string) ([]SecurityGroup, error) {
	q := `SELECT id, vpc_id, account, region, name, description, created_at FROM security_groups WHERE account = ? AND region = ?`
	q, args := inList(q, "id", ids, []any{account, region})
	return t.securityGroups(q+` ORDER BY vpc_id, name`, args...)
}

// SecurityGroupByName finds a group by VPC and name.
func (t *Tx) SecurityGroupByName(vpcID, name string) (SecurityGroup, error) {
	return first(t.securityGroups(`SELECT id, vpc_id, account, region, name, description, created_at FROM security_groups WHERE vpc_id = ? AND name = ?`, vpcID, name))
}

// SecurityGroup returns one group by ID with its rules.
func (t *Tx) SecurityGroup(id string) (SecurityGroup, error) {
	return first(t.securityGroups(`SELECT id, vpc_id, account, region, name, description, created_at FROM security_groups WHERE id = ?`, id))
}

func (t *Tx) securityGroups(q string, args ...any) ([]SecurityGroup, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	var out []SecurityGroup
	for rows.Next() {
		var g SecurityGroup
		if err := rows.Scan(&g.ID, &g.VPCID, &g.Account, &g.Region, &g.Name, &g.Description, &g.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		rules, err := t.SGRules(out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Rules = rules
	}
	return out, nil
}

// SGRules lists a group's inbound rules.
func (t *Tx) SGRules(groupID string) ([]SGRule, error) {
	rows, err := t.query(`SELECT id, group_id, protocol, from_port, to_port, cidr, description, source_group, source_owner FROM sg_rules WHERE group_id = ? ORDER BY rowid`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SGRule
	for rows.Next() {
		var r SGRule
		var cidr string
		if err := rows.Scan(&r.ID, &r.GroupID, &r.Protocol, &r.FromPort, &r.ToPort, &cidr, &r.Description, &r.SourceGroup, &r.SourceOwner); err != nil {
			return nil, err
		}
		if cidr != "" {
			r.CIDR = parsePrefix(cidr)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InsertSGRule adds a rule; it reports false when the same rule exists.
func (t *Tx) InsertSGRule(r SGRule) (bool, error) {
	res, err := t.exec(`INSERT INTO sg_rules (id, group_id, protocol, from_port, to_port, cidr, description, source_group, source_owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		r.ID, r.GroupID, r.Protocol, r.FromPort, r.ToPort, r.cidrText(), r.Description, r.SourceGroup, r.SourceOwner)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SGRuleID returns the ID of the group's rule equal to r (same protocol,
// ports and source), or "".
func (t *Tx) SGRuleID(r SGRule) (string, error) {
	var id string
	err := t.queryRow(`SELECT id FROM sg_rules WHERE group_id = ? AND protocol = ? AND from_port = ? AND to_port = ? AND cidr = ? AND source_group = ?`,
		r.GroupID, r.Protocol, r.FromPort, r.ToPort, r.cidrText(), r.SourceGroup).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// DeleteSGRuleByID removes a group's rule by its sgr- ID; it reports false
// when the group has no such rule.
func (t *Tx) DeleteSGRuleByID(groupID, id string) (bool, error) {
	if _, err := t.exec(`DELETE FROM tags WHERE resource_id = ? AND EXISTS (SELECT 1 FROM sg_rules WHERE group_id = ? AND id = ?)`, id, groupID, id); err != nil {
		return false, err
	}
	res, err := t.exec(`DELETE FROM sg_rules WHERE group_id = ? AND id = ?`, groupID, id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SGRulesReferencing names a rule of another group that admits the
// members of group id, or "".
func (t *Tx) SGRulesReferencing(id string) (string, error) {
	var g string
	err := t.queryRow(`SELECT group_id FROM sg_rules WHERE source_group = ? AND group_id != ? LIMIT 1`, id, id).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return g, err
}

// DeleteSGRule removes a rule; it reports false when there was none.
func (t *Tx) DeleteSGRule(r SGRule) (bool, error) {
	if id, err := t.SGRuleID(r); err != nil {
		return false, err
	} else if id != "" {
		if _, err := t.exec(`DELETE FROM tags WHERE resource_id = ?`, id); err != nil {
			return false, err
		}
	}
	res, err := t.exec(`DELETE FROM sg_rules WHERE group_id = ? AND protocol = ? AND from_port = ? AND to_port = ? AND cidr = ? AND source_group = ?`,
		r.GroupID, r.Protocol, r.FromPort, r.ToPort, r.cidrText(), r.SourceGroup)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SecurityGroupInUse names an endpoint that uses the group, or "".
func (t *Tx) SecurityGroupInUse(id string) (string, error) {
	var ep string
	err := t.queryRow(`SELECT g.endpoint_id FROM endpoint_groups g JOIN endpoints e ON e.id = g.endpoint_id WHERE g.group_id = ? LIMIT 1`, id).Scan(&ep)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return ep, err
}

// DeleteSecurityGroup removes a group and its rules.
func (t *Tx) DeleteSecurityGroup(id string) error {
	if _, err := t.exec(`DELETE FROM tags WHERE resource_id = ? OR resource_id IN (SELECT id FROM sg_rules WHERE group_id = ?)`, id, id); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM security_groups WHERE id = ?`, id)
	return err
}

// SetTags adds or replaces tags on a resource.
func (t *Tx) SetTags(resourceID string, tags map[string]string) error {
	for k, v := range tags {
		if _, err := t.exec(`INSERT INTO tags (resource_id, key, value) VALUES (?, ?, ?)
			ON CONFLICT (resource_id, key) DO UPDATE SET value = excluded.value`, resourceID, k, v); err != nil {
			return err
		}
	}
	return nil
}

// Tags returns a resource's tags as ordered key/value pairs.
func (t *Tx) Tags(resourceID string) ([][2]string, error) {
	rows, err := t.query(`SELECT key, value FROM tags WHERE resource_id = ? ORDER BY key`, resourceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var kv [2]string
		if err := rows.Scan(&kv[0], &kv[1]); err != nil {
			return nil, err
		}
		out = append(out, kv)
	}
	return out, rows.Err()
}
