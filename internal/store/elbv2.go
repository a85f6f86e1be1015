package store

import (
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
)

// LoadBalancer is a row of load_balancers with its nodes.
type LoadBalancer struct {
	ARN, Name, Account, Region, VPCID string
	Scheme                            string // internet-facing | internal
	IPAddressType                     string // ipv4 | dualstack
	DNSName                           string
	CrossZone                         bool
	DeletionProtection                bool
	State                             string
	CreatedAt                         string
	Nodes                             []LBNode
}

// LBNode is a row of lb_nodes: a load balancer's address in one subnet.
type LBNode struct {
	LBARN, SubnetID, Zone string
	IPv4, IPv6            netip.Addr // IPv6 is zero unless dualstack
}

// TargetGroup is a row of target_groups.
type TargetGroup struct {
	ARN, Name, Account, Region, VPCID string
	Protocol                          string
	Port                              int
	TargetType                        string
	IPAddressType                     string // ipv4 | ipv6
	HCEnabled                         bool
	HCProtocol                        string // TCP | HTTP
	HCPort                            string // traffic-port or a number
	HCPath                            string // HTTP only
	HCInterval, HCTimeout             int
	HealthyThreshold                  int
	UnhealthyThreshold                int
	Matcher                           string // HTTP only
	CreatedAt                         string
}

// Target is a row of targets.
type Target struct {
	TGARN          string
	IP             netip.Addr
	Port           int
	Zone           string // a zone name, or "all"
	RegisteredAt   string
	DeregisteredAt string // "" unless draining
}

// TargetHealth is a row of target_health, as plink serve last wrote it.
type TargetHealth struct {
	State, Reason, Description, UpdatedAt string
}

// TargetKey names one target of a group.
type TargetKey struct {
	IP   netip.Addr
	Port int
}

// Listener is a row of listeners.
type Listener struct {
	ARN, LBARN, Protocol string
	Port                 int
	TGARN                string
	CreatedAt            string
}

// InsertLoadBalancer adds a load balancer and its nodes.
func (t *Tx) InsertLoadBalancer(lb LoadBalancer) error {
	_, err := t.exec(`INSERT INTO load_balancers (arn, name, account, region, vpc_id, scheme, ip_address_type, dns_name, cross_zone, deletion_protection, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		lb.ARN, lb.Name, lb.Account, lb.Region, lb.VPCID, lb.Scheme, lb.IPAddressType, lb.DNSName,
		b2i(lb.CrossZone), b2i(lb.DeletionProtection), lb.State, lb.CreatedAt)
	if err != nil {
		return err
	}
	for _, n := range lb.Nodes {
		if _, err := t.exec(`INSERT INTO lb_nodes (lb_arn, subnet_id, zone, ipv4, ipv6) VALUES (?, ?, ?, ?, ?)`,
			lb.ARN, n.SubnetID, n.Zone, addrString(n.IPv4), addrString(n.IPv6)); err != nil {
			return err
		}
	}
	return nil
}

const lbCols = `arn, name, account, region, vpc_id, scheme, ip_address_type, dns_name, cross_zone, deletion_protection, state, created_at`

// LoadBalancers lists an account's load balancers in a region, narrowed to
// arns or names when either is given, in creation order.
func (t *Tx) LoadBalancers(account, region string, arns, names []string) ([]LoadBalancer, error) {
	q := `SELECT ` + lbCols + ` FROM load_balancers WHERE account = ? AND region = ?`
	args := []any{account, region}
	q, args = inList(q, "arn", arns, args)
	q, args = inList(q, "name", names, args)
	return t.loadBalancers(q+` ORDER BY created_at, name`, args...)
}

// LoadBalancer returns one load balancer by ARN, whoever owns it.
func (t *Tx) LoadBalancer(arn string) (LoadBalancer, error) {
	return first(t.loadBalancers(`SELECT `+lbCols+` FROM load_balancers WHERE arn = ?`, arn))
}

func (t *Tx) loadBalancers(q string, args ...any) ([]LoadBalancer, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	var out []LoadBalancer
	for rows.Next() {
		var lb LoadBalancer
		var cz, dp int
		if err := rows.Scan(&lb.ARN, &lb.Name, &lb.Account, &lb.Region, &lb.VPCID, &lb.Scheme, &lb.IPAddressType,
			&lb.DNSName, &cz, &dp, &lb.State, &lb.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		lb.CrossZone, lb.DeletionProtection = cz == 1, dp == 1
		out = append(out, lb)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		nodes, err := t.LBNodes(out[i].ARN)
		if err != nil {
			return nil, err
		}
		out[i].Nodes = nodes
	}
	return out, nil
}

// LBNodes lists a load balancer's nodes by zone.
func (t *Tx) LBNodes(lbARN string) ([]LBNode, error) {
	rows, err := t.query(`SELECT lb_arn, subnet_id, zone, ipv4, ipv6 FROM lb_nodes WHERE lb_arn = ? ORDER BY zone, subnet_id`, lbARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LBNode
	for rows.Next() {
		var n LBNode
		var v4, v6 string
		if err := rows.Scan(&n.LBARN, &n.SubnetID, &n.Zone, &v4, &v6); err != nil {
			return nil, err
		}
		n.IPv4, n.IPv6 = parseAddr(v4), parseAddr(v6)
		out = append(out, n)
	}
	return out, rows.Err()
}

// LoadBalancerNameTaken reports whether the account already has a load
// balancer called name in the region.
func (t *Tx) LoadBalancerNameTaken(account, region, name string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM load_balancers WHERE account = ? AND region = ? AND name = ?`, account, region, name).Scan(&n)
	return n > 0, err
}

// SetLoadBalancerFlags updates the two attributes kept as columns.
func (t *Tx) SetLoadBalancerFlags(arn string, crossZone, deletionProtection bool) error {
	_, err := t.exec(`UPDATE load_balancers SET cross_zone = ?, deletion_protection = ? WHERE arn = ?`,
		b2i(crossZone), b2i(deletionProtection), arn)
	return err
}

// LoadBalancerService names an endpoint service that uses the load
// balancer, or "".
func (t *Tx) LoadBalancerService(arn string) (string, error) {
	var id string
	err := t.queryRow(`SELECT service_id FROM service_lbs WHERE lb_arn = ? LIMIT 1`, arn).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// DeleteLoadBalancer removes a load balancer with its listeners, nodes,
// attributes and tags, and frees its node addresses.
func (t *Tx) DeleteLoadBalancer(arn string) error {
	ls, err := t.Listeners(arn, nil)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if err := t.DeleteListener(l.ARN); err != nil {
			return err
		}
	}
	for _, q := range []string{
		`DELETE FROM attributes WHERE resource_arn = ?`,
		`DELETE FROM tags WHERE resource_id = ?`,
		`DELETE FROM lb_nodes WHERE lb_arn = ?`,
		`DELETE FROM load_balancers WHERE arn = ?`,
	} {
		if _, err := t.exec(q, arn); err != nil {
			return err
		}
	}
	return t.ReleaseAddresses(arn)
}

// ReserveAddress reserves one given address of subnet prefix p for owner.
// It fails when the address is outside p, is one of the addresses AWS
// reserves (the first four and the last), or is taken.
func (t *Tx) ReserveAddress(subnetID string, p netip.Prefix, a netip.Addr, owner string) error {
	p = p.Masked()
	if !p.Contains(a) {
		return fmt.Errorf("address %s is not in %s", a, p)
	}
	first := p.Addr()
	for range 4 {
		if a == first {
			return fmt.Errorf("address %s is reserved in %s", a, p)
		}
		first = first.Next()
	}
	if next := a.Next(); !next.IsValid() || !p.Contains(next) {
		return fmt.Errorf("address %s is reserved in %s", a, p)
	}
	var n int
	if err := t.queryRow(`SELECT count(*) FROM addresses WHERE addr = ?`, a.String()).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("address %s is already in use", a)
	}
	if targets, err := t.targetAddresses(netip.PrefixFrom(a, a.BitLen())); err != nil {
		return err
	} else if targets[a] {
		return fmt.Errorf("address %s is registered as a target", a)
	}
	_, err := t.exec(`INSERT INTO addresses (addr, subnet_id, owner_id) VALUES (?, ?, ?)`, a.String(), subnetID, owner)
	return err
}

// InsertTargetGroup adds a target group.
func (t *Tx) InsertTargetGroup(g TargetGroup) error {
	_, err := t.exec(`INSERT INTO target_groups (arn, name, account, region, vpc_id, protocol, port, target_type, ip_address_type,
		hc_enabled, hc_protocol, hc_port, hc_path, hc_interval, hc_timeout, healthy_threshold, unhealthy_threshold, matcher, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ARN, g.Name, g.Account, g.Region, g.VPCID, g.Protocol, g.Port, g.TargetType, g.IPAddressType,
		b2i(g.HCEnabled), g.HCProtocol, g.HCPort, g.HCPath, g.HCInterval, g.HCTimeout, g.HealthyThreshold, g.UnhealthyThreshold, g.Matcher, g.CreatedAt)
	return err
}

// UpdateTargetGroupHealthCheck writes a group's health check settings.
func (t *Tx) UpdateTargetGroupHealthCheck(g TargetGroup) error {
	_, err := t.exec(`UPDATE target_groups SET hc_enabled = ?, hc_protocol = ?, hc_port = ?, hc_path = ?, hc_interval = ?, hc_timeout = ?,
		healthy_threshold = ?, unhealthy_threshold = ?, matcher = ? WHERE arn = ?`,
		b2i(g.HCEnabled), g.HCProtocol, g.HCPort, g.HCPath, g.HCInterval, g.HCTimeout, g.HealthyThreshold, g.UnhealthyThreshold, g.Matcher, g.ARN)
	return err
}

const tgCols = `arn, name, account, region, vpc_id, protocol, port, target_type, ip_address_type,
	hc_enabled, hc_protocol, hc_port, hc_path, hc_interval, hc_timeout, healthy_threshold, unhealthy_threshold, matcher, created_at`

// TargetGroups lists an account's target groups in a region, narrowed to
// arns or names when either is given, and to the groups a load balancer's
// listeners use when lbARN is not empty.
func (t *Tx) TargetGroups(account, region string, arns, names []string, lbARN string) ([]TargetGroup, error) {
	q := `SELECT ` + tgCols + ` FROM target_groups WHERE account = ? AND region = ?`
	args := []any{account, region}
	q, args = inList(q, "arn", arns, args)
	q, args = inList(q, "name", names, args)
	if lbARN != "" {
		q += ` AND arn IN (SELECT tg_arn FROM listeners WHERE lb_arn = ?)`
		args = append(args, lbARN)
	}
	return t.targetGroups(q+` ORDER BY created_at, name`, args...)
}

// TargetGroup returns one target group by ARN, whoever owns it.
func (t *Tx) TargetGroup(arn string) (TargetGroup, error) {
	return first(t.targetGroups(`SELECT `+tgCols+` FROM target_groups WHERE arn = ?`, arn))
}

func (t *Tx) targetGroups(q string, args ...any) ([]TargetGroup, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TargetGroup
	for rows.Next() {
		var g TargetGroup
		var en int
		if err := rows.Scan(&g.ARN, &g.Name, &g.Account, &g.Region, &g.VPCID, &g.Protocol, &g.Port, &g.TargetType, &g.IPAddressType,
			&en, &g.HCProtocol, &g.HCPort, &g.HCPath, &g.HCInterval, &g.HCTimeout, &g.HealthyThreshold, &g.UnhealthyThreshold,
			&g.Matcher, &g.CreatedAt); err != nil {
			return nil, err
		}
		g.HCEnabled = en == 1
		out = append(out, g)
	}
	return out, rows.Err()
}

// TargetGroupNameTaken reports whether the account already has a target
// group called name in the region.
func (t *Tx) TargetGroupNameTaken(account, region, name string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM target_groups WHERE account = ? AND region = ? AND name = ?`, account, region, name).Scan(&n)
	return n > 0, err
}

// TargetGroupLoadBalancers lists the load balancers whose listeners forward
// to the group.
func (t *Tx) TargetGroupLoadBalancers(tgARN string) ([]string, error) {
	rows, err := t.query(`SELECT DISTINCT lb_arn FROM listeners WHERE tg_arn = ? ORDER BY lb_arn`, tgARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteTargetGroup removes a target group with its targets, their health,
// its attributes and tags.
func (t *Tx) DeleteTargetGroup(arn string) error {
	for _, q := range []string{
		`DELETE FROM target_health WHERE tg_arn = ?`,
		`DELETE FROM targets WHERE tg_arn = ?`,
		`DELETE FROM attributes WHERE resource_arn = ?`,
		`DELETE FROM tags WHERE resource_id = ?`,
		`DELETE FROM target_groups WHERE arn = ?`,
	} {
		if _, err := t.exec(q, arn); err != nil {
			return err
		}
	}
	return nil
}

// Targets lists a group's targets, draining ones included.
func (t *Tx) Targets(tgARN string) ([]Target, error) {
	rows, err := t.query(`SELECT tg_arn, ip, port, zone, registered_at, deregistered_at FROM targets WHERE tg_arn = ? ORDER BY registered_at, ip, port`, tgARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Target
	for rows.Next() {
		var tg Target
		var ip string
		if err := rows.Scan(&tg.TGARN, &ip, &tg.Port, &tg.Zone, &tg.RegisteredAt, &tg.DeregisteredAt); err != nil {
			return nil, err
		}
		tg.IP = parseAddr(ip)
		out = append(out, tg)
	}
	return out, rows.Err()
}

// PutTarget registers a target, or registers again one that is draining
// (clearing its deregistration and its last observed health).
func (t *Tx) PutTarget(tg Target) error {
	if _, err := t.exec(`INSERT INTO targets (tg_arn, ip, port, zone, registered_at, deregistered_at) VALUES (?, ?, ?, ?, ?, '')
		ON CONFLICT (tg_arn, ip, port) DO UPDATE SET zone = excluded.zone, registered_at = excluded.registered_at, deregistered_at = ''`,
		tg.TGARN, tg.IP.String(), tg.Port, tg.Zone, tg.RegisteredAt); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM target_health WHERE tg_arn = ? AND ip = ? AND port = ?`, tg.TGARN, tg.IP.String(), tg.Port)
	return err
}

// DeregisterTarget marks a target as draining from at.
func (t *Tx) DeregisterTarget(tgARN string, k TargetKey, at string) error {
	_, err := t.exec(`UPDATE targets SET deregistered_at = ? WHERE tg_arn = ? AND ip = ? AND port = ?`, at, tgARN, k.IP.String(), k.Port)
	return err
}

// PurgeDrainedTargets deletes the group's targets deregistered at or
// before cutoff (an RFC 3339 timestamp in the store's format) and their
// health. It writes nothing when there is nothing to delete.
func (t *Tx) PurgeDrainedTargets(tgARN, cutoff string) error {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM targets WHERE tg_arn = ? AND deregistered_at <> '' AND deregistered_at <= ?`, tgARN, cutoff).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if _, err := t.exec(`DELETE FROM target_health WHERE tg_arn = ? AND (ip, port) IN
		(SELECT ip, port FROM targets WHERE tg_arn = ? AND deregistered_at <> '' AND deregistered_at <= ?)`, tgARN, tgARN, cutoff); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM targets WHERE tg_arn = ? AND deregistered_at <> '' AND deregistered_at <= ?`, tgARN, cutoff)
	return err
}

// TargetHealths returns the health plink serve last wrote for a group's targets.
func (t *Tx) TargetHealths(tgARN string) (map[TargetKey]TargetHealth, error) {
	rows, err := t.query(`SELECT ip, port, state, reason, description, updated_at FROM target_health WHERE tg_arn = ?`, tgARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[TargetKey]TargetHealth{}
	for rows.Next() {
		var ip string
		var k TargetKey
		var h TargetHealth
		if err := rows.Scan(&ip, &k.Port, &h.State, &h.Reason, &h.Description, &h.UpdatedAt); err != nil {
			return nil, err
		}
		k.IP = parseAddr(ip)
		out[k] = h
	}
	return out, rows.Err()
}

// InsertListener adds a listener.
func (t *Tx) InsertListener(l Listener) error {
	_, err := t.exec(`INSERT INTO listeners (arn, lb_arn, protocol, port, tg_arn, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		l.ARN, l.LBARN, l.Protocol, l.Port, l.TGARN, l.CreatedAt)
	return err
}

// UpdateListener writes a listener's protocol, port and target group.
func (t *Tx) UpdateListener(l Listener) error {
	_, err := t.exec(`UPDATE listeners SET protocol = ?, port = ?, tg_arn = ? WHERE arn = ?`, l.Protocol, l.Port, l.TGARN, l.ARN)
	return err
}

// Listeners lists a load balancer's listeners (every listener when lbARN
// is empty), narrowed to arns when given, by port.
func (t *Tx) Listeners(lbARN string, arns []string) ([]Listener, error) {
	q := `SELECT arn, lb_arn, protocol, port, tg_arn, created_at FROM listeners WHERE 1 = 1`
	var args []any
	if lbARN != "" {
		q += ` AND lb_arn = ?`
		args = append(args, lbARN)
	}
	q, args = inList(q, "arn", arns, args)
	rows, err := t.query(q+` ORDER BY lb_arn, port`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Listener
	for rows.Next() {
		var l Listener
		if err := rows.Scan(&l.ARN, &l.LBARN, &l.Protocol, &l.Port, &l.TGARN, &l.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Listener returns one listener by ARN.
func (t *Tx) Listener(arn string) (Listener, error) {
	return first(t.Listeners("", []string{arn}))
}

// DeleteListener removes a listener and its attributes.
func (t *Tx) DeleteListener(arn string) error {
	if _, err := t.exec(`DELETE FROM attributes WHERE resource_arn = ?`, arn); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM tags WHERE resource_id = ?`, arn); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM listeners WHERE arn = ?`, arn)
	return err
}

// Attributes returns the attributes stored for a resource (only values
// that differ from the defaults are stored).
func (t *Tx) Attributes(arn string) (map[string]string, error) {
	rows, err := t.query(`SELECT key, value FROM attributes WHERE resource_arn = ?`, arn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// SetAttribute stores a value; DeleteAttribute drops it (back to its default).
func (t *Tx) SetAttribute(arn, key, value string) error {
	_, err := t.exec(`INSERT INTO attributes (resource_arn, key, value) VALUES (?, ?, ?)
		ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value`, arn, key, value)
	return err
}

// DeleteAttribute removes a stored attribute value.
func (t *Tx) DeleteAttribute(arn, key string) error {
	_, err := t.exec(`DELETE FROM attributes WHERE resource_arn = ? AND key = ?`, arn, key)
	return err
}

// RemoveTags deletes the given tag keys of a resource.
func (t *Tx) RemoveTags(resourceID string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	q, args := inList(`DELETE FROM tags WHERE resource_id = ?`, "key", keys, []any{resourceID})
	_, err := t.exec(q, args...)
	return err
}
