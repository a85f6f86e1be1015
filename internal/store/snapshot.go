package store

import (
	"context"
	"net/netip"
	"sort"
	"strconv"
	"time"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/snapshot"
)

// Snapshot reads everything plink serve needs in one read transaction.
func (s *Store) Snapshot(ctx context.Context) (*snapshot.Snapshot, error) {
	snap := &snapshot.Snapshot{Taken: time.Now(), TargetGroups: map[string]*snapshot.TargetGroup{},
		Services: map[string]*snapshot.Service{}, SecurityGroups: map[string]*snapshot.SecurityGroup{}}
	err := s.Read(ctx, func(tx *Tx) error {
		if err := tx.queryRow(`SELECT rev FROM revision WHERE id = 1`).Scan(&snap.Revision); err != nil {
			return err
		}
		steps := []func(*Tx, *snapshot.Snapshot) error{loadVPCs, loadLoadBalancers, loadTargetGroups, loadServices, loadEndpoints, loadGroups}
		for _, step := range steps {
			if err := step(tx, snap); err != nil {
				return err
			}
		}
		return nil
	})
	return snap, err
}

// SnapshotSince is Snapshot for a reader that holds prev, an earlier
// snapshot of this store: it reads the change log (changelog.go) for the
// revisions after prev's and reloads only the sections they changed, and
// of the endpoints only those changed, sharing the rest with prev (a
// Snapshot is never modified). The result equals what Snapshot would
// return, except for what moves no revision (target health written since
// prev). Without prev, or when the log does not cover the revisions since
// prev, it is Snapshot.
func (s *Store) SnapshotSince(ctx context.Context, prev *snapshot.Snapshot) (*snapshot.Snapshot, error) {
	if prev == nil {
		return s.Snapshot(ctx)
	}
	var snap *snapshot.Snapshot
	full := false
	err := s.Read(ctx, func(tx *Tx) error {
		var rev int64
		if err := tx.queryRow(`SELECT rev FROM revision WHERE id = 1`).Scan(&rev); err != nil {
			return err
		}
		if rev < prev.Revision {
			full = true // another store, or one restored from a copy
			return nil
		}
		cs, ok, err := tx.changesSince(prev.Revision, rev)
		if err != nil || !ok {
			full = true
			return nil
		}
		cp := *prev
		snap = &cp
		snap.Revision, snap.Taken = rev, time.Now()
		snap.ImpairedZones = nil
		if cs.sections&secVPCs != 0 {
			snap.VPCs = nil
			if err := loadVPCs(tx, snap); err != nil {
				return err
			}
		}
		if cs.sections&secLoadBalancers != 0 {
			snap.LoadBalancers = nil
			if err := loadLoadBalancers(tx, snap); err != nil {
				return err
			}
		}
		if cs.sections&secTargetGroups != 0 {
			snap.TargetGroups = map[string]*snapshot.TargetGroup{}
			if err := loadTargetGroups(tx, snap); err != nil {
				return err
			}
		}
		if cs.sections&secServices != 0 {
			snap.Services = map[string]*snapshot.Service{}
			if err := loadServices(tx, snap); err != nil {
				return err
			}
		}
		switch {
		case cs.sections&secEndpoints == 0:
		case cs.allEndpoints:
			snap.Endpoints = nil
			if err := loadEndpoints(tx, snap); err != nil {
				return err
			}
		default:
			if err := reloadEndpoints(tx, snap, cs.endpoints); err != nil {
				return err
			}
		}
		if cs.sections&secGroups != 0 {
			snap.SecurityGroups = map[string]*snapshot.SecurityGroup{}
			if err := loadGroups(tx, snap); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && full {
		return s.Snapshot(ctx)
	}
	return snap, err
}

// reloadEndpoints replaces, in a new slice, the endpoints of snap whose
// IDs are in ids with what the store holds of them now (none when
// deleted), keeping snap's order (by ID).
func reloadEndpoints(tx *Tx, snap *snapshot.Snapshot, ids map[string]bool) error {
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	fresh := &snapshot.Snapshot{}
	for start := 0; start < len(list); start += 500 {
		q, args := inList(`SELECT `+endpointCols+` FROM endpoints WHERE 1 = 1`, "id", list[start:min(start+500, len(list))], nil)
		es, err := tx.endpoints(q+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		appendEndpoints(fresh, es)
	}
	add := fresh.Endpoints
	sort.Slice(add, func(i, j int) bool { return add[i].ID < add[j].ID })
	out := make([]snapshot.Endpoint, 0, len(snap.Endpoints)+len(add))
	for _, e := range snap.Endpoints {
		if ids[e.ID] {
			continue
		}
		for len(add) > 0 && add[0].ID < e.ID {
			out = append(out, add[0])
			add = add[1:]
		}
		out = append(out, e)
	}
	snap.Endpoints = append(out, add...)
	if len(snap.Endpoints) == 0 {
		snap.Endpoints = nil // as a full load
	}
	return nil
}

func loadVPCs(tx *Tx, snap *snapshot.Snapshot) error {
	blocks, err := tx.VPCCIDRBlocks(nil)
	if err != nil {
		return err
	}
	secondary := map[string][]netip.Prefix{}
	for _, b := range blocks {
		secondary[b.VPCID] = append(secondary[b.VPCID], b.CIDR)
	}
	rows, err := tx.query(`SELECT id, account, region, cidr, ipv6_cidr, enable_dns_support, enable_dns_hostnames FROM vpcs ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v snapshot.VPC
		var c4, c6 string
		var dnsSupport, dnsHostnames int
		if err := rows.Scan(&v.ID, &v.Account, &v.Region, &c4, &c6, &dnsSupport, &dnsHostnames); err != nil {
			return err
		}
		v.CIDR, v.IPv6CIDR = parsePrefix(c4), parsePrefix(c6)
		v.SecondaryCIDRs = secondary[v.ID]
		v.NoPrivateDNS = dnsSupport == 0 || dnsHostnames == 0
		if v.CIDR.IsValid() {
			v.Resolver = v.CIDR.Masked().Addr().Next().Next()
		}
		snap.VPCs = append(snap.VPCs, v)
	}
	return rows.Err()
}

// subnetZone maps a subnet block to its zone, to resolve target zones.
type subnetZone struct {
	vpc  string
	cidr netip.Prefix
	zone string
}

func (t *Tx) subnetZones() ([]subnetZone, error) {
	rows, err := t.query(`SELECT vpc_id, cidr, ipv6_cidr, zone FROM subnets`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []subnetZone
	for rows.Next() {
		var vpc, c4, c6, zone string
		if err := rows.Scan(&vpc, &c4, &c6, &zone); err != nil {
			return nil, err
		}
		for _, c := range []string{c4, c6} {
			if p := parsePrefix(c); p.IsValid() {
				out = append(out, subnetZone{vpc, p, zone})
			}
		}
	}
	return out, rows.Err()
}

func loadLoadBalancers(tx *Tx, snap *snapshot.Snapshot) error {
	rows, err := tx.query(`SELECT arn, name, account, region, vpc_id, dns_name, ip_address_type, cross_zone FROM load_balancers ORDER BY arn`)
	if err != nil {
		return err
	}
	idx := map[string]int{}
	for rows.Next() {
		var lb snapshot.LoadBalancer
		var cz int
		if err := rows.Scan(&lb.ARN, &lb.Name, &lb.Account, &lb.Region, &lb.VPCID, &lb.DNSName, &lb.IPAddressType, &cz); err != nil {
			rows.Close()
			return err
		}
		lb.CrossZone = cz == 1
		idx[lb.ARN] = len(snap.LoadBalancers)
		snap.LoadBalancers = append(snap.LoadBalancers, lb)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	nrows, err := tx.query(`SELECT lb_arn, subnet_id, zone, ipv4, ipv6 FROM lb_nodes ORDER BY zone`)
	if err != nil {
		return err
	}
	for nrows.Next() {
		var arn, v4, v6 string
		var n snapshot.Node
		if err := nrows.Scan(&arn, &n.SubnetID, &n.Zone, &v4, &v6); err != nil {
			nrows.Close()
			return err
		}
		n.IPv4, n.IPv6 = parseAddr(v4), parseAddr(v6)
		if i, ok := idx[arn]; ok {
			snap.LoadBalancers[i].Nodes = append(snap.LoadBalancers[i].Nodes, n)
		}
	}
	nrows.Close()
	if err := nrows.Err(); err != nil {
		return err
	}
	attrs, err := tx.allAttributes()
	if err != nil {
		return err
	}
	lrows, err := tx.query(`SELECT arn, lb_arn, protocol, port, tg_arn FROM listeners ORDER BY port`)
	if err != nil {
		return err
	}
	defer lrows.Close()
	for lrows.Next() {
		var l snapshot.Listener
		var lbARN string
		var port int
		if err := lrows.Scan(&l.ARN, &lbARN, &l.Protocol, &port, &l.TargetGroupARN); err != nil {
			return err
		}
		l.Port = uint16(port)
		l.IdleTimeout = 350 * time.Second
		if v, ok := attrs[l.ARN]["tcp.idle_timeout.seconds"]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				l.IdleTimeout = time.Duration(n) * time.Second
			}
		}
		if i, ok := idx[lbARN]; ok {
			snap.LoadBalancers[i].Listeners = append(snap.LoadBalancers[i].Listeners, l)
		}
	}
	return lrows.Err()
}

func (t *Tx) allAttributes() (map[string]map[string]string, error) {
	rows, err := t.query(`SELECT resource_arn, key, value FROM attributes`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]string{}
	for rows.Next() {
		var arn, k, v string
		if err := rows.Scan(&arn, &k, &v); err != nil {
			return nil, err
		}
		if out[arn] == nil {
			out[arn] = map[string]string{}
		}
		out[arn][k] = v
	}
	return out, rows.Err()
}

func loadTargetGroups(tx *Tx, snap *snapshot.Snapshot) error {
	attrs, err := tx.allAttributes()
	if err != nil {
		return err
	}
	zones, err := tx.subnetZones()
	if err != nil {
		return err
	}
	rows, err := tx.query(`SELECT arn, name, account, vpc_id, protocol, port, hc_enabled, hc_protocol, hc_port, hc_path,
		hc_interval, hc_timeout, healthy_threshold, unhealthy_threshold, matcher FROM target_groups`)
	if err != nil {
		return err
	}
	for rows.Next() {
		tg := &snapshot.TargetGroup{}
		var port, enabled, interval, timeout int
		if err := rows.Scan(&tg.ARN, &tg.Name, &tg.Account, &tg.VPCID, &tg.Protocol, &port, &enabled, &tg.HealthCheck.Protocol,
			&tg.HealthCheck.Port, &tg.HealthCheck.Path, &interval, &timeout, &tg.HealthCheck.HealthyThreshold,
			&tg.HealthCheck.UnhealthyThreshold, &tg.HealthCheck.Matcher); err != nil {
			rows.Close()
			return err
		}
		tg.Port = uint16(port)
		tg.HealthCheck.Enabled = enabled == 1
		tg.HealthCheck.Interval = time.Duration(interval) * time.Second
		tg.HealthCheck.Timeout = time.Duration(timeout) * time.Second
		a := attrs[tg.ARN]
		tg.ProxyProtocolV2 = a["proxy_protocol_v2.enabled"] == "true"
		tg.DeregistrationDelay = 300 * time.Second
		if v, ok := a["deregistration_delay.timeout_seconds"]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				tg.DeregistrationDelay = time.Duration(n) * time.Second
			}
		}
		tg.CrossZone = "use_load_balancer_configuration"
		if v, ok := a["load_balancing.cross_zone.enabled"]; ok {
			tg.CrossZone = v
		}
		snap.TargetGroups[tg.ARN] = tg
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	trows, err := tx.query(`SELECT t.tg_arn, t.ip, t.port, t.zone, t.deregistered_at, coalesce(h.state, '')
		FROM targets t LEFT JOIN target_health h ON h.tg_arn = t.tg_arn AND h.ip = t.ip AND h.port = t.port ORDER BY t.ip, t.port`)
	if err != nil {
		return err
	}
	defer trows.Close()
	for trows.Next() {
		var arn, ip, zone, dereg, health string
		var port int
		if err := trows.Scan(&arn, &ip, &port, &zone, &dereg, &health); err != nil {
			return err
		}
		tg := snap.TargetGroups[arn]
		if tg == nil {
			continue
		}
		t := snapshot.Target{IP: parseAddr(ip), Port: uint16(port), Zone: zone, Health: health}
		if dereg != "" {
			t.DeregisteredAt, _ = time.Parse(time.RFC3339Nano, dereg)
			if t.DeregisteredAt.IsZero() {
				t.DeregisteredAt = time.Now()
			}
		}
		if t.Zone == "" {
			t.Zone = "all"
			for _, z := range zones {
				if z.vpc == tg.VPCID && z.cidr.Contains(t.IP) {
					t.Zone = z.zone
					break
				}
			}
		}
		tg.Targets = append(tg.Targets, t)
	}
	return trows.Err()
}

func loadServices(tx *Tx, snap *snapshot.Snapshot) error {
	svcs, err := tx.services(`SELECT ` + serviceCols + ` FROM services`)
	if err != nil {
		return err
	}
	for _, s := range svcs {
		snap.Services[s.ID] = &snapshot.Service{ID: s.ID, Name: names.ServiceName(s.Region, s.ID), Account: s.Account, Region: s.Region,
			State: s.State, LoadBalancerARNs: s.LBARNs, SupportedIPv4: s.SupportedIPv4, SupportedIPv6: s.SupportedIPv6,
			PrivateDNSName: s.PrivateDNSName, PrivateDNSVerified: s.PDNSState == "verified"}
	}
	return nil
}

func loadEndpoints(tx *Tx, snap *snapshot.Snapshot) error {
	es, err := tx.everyEndpoint()
	if err != nil {
		return err
	}
	appendEndpoints(snap, es)
	return nil
}

// appendEndpoints adds es to snap.Endpoints.
func appendEndpoints(snap *snapshot.Snapshot, es []Endpoint) {
	for _, e := range es {
		se := snapshot.Endpoint{ID: e.ID, Account: e.Account, Region: e.Region, VPCID: e.VPCID, ServiceID: e.ServiceID, State: e.State,
			IPAddressType: e.IPAddressType, DNSRecordIPType: e.DNSRecordIPType, PrivateDNSEnabled: e.PrivateDNSEnabled,
			RegionalDNSName:  names.EndpointDNSName(e.ID, e.DNSSuffix, "", e.Region, e.ServiceID),
			SecurityGroupIDs: e.GroupIDs}
		for _, n := range e.ENIs {
			se.ENIs = append(se.ENIs, snapshot.ENI{ID: n.ID, SubnetID: n.SubnetID, Zone: n.Zone, IPv4: n.IPv4, IPv6: n.IPv6,
				ZonalDNSName: names.EndpointDNSName(e.ID, e.DNSSuffix, n.Zone, e.Region, e.ServiceID)})
		}
		snap.Endpoints = append(snap.Endpoints, se)
	}
}

func loadGroups(tx *Tx, snap *snapshot.Snapshot) error {
	rows, err := tx.query(`SELECT g.id, g.vpc_id, coalesce(r.protocol, ''), coalesce(r.from_port, 0), coalesce(r.to_port, 0), coalesce(r.cidr, ''),
		coalesce(r.source_group, '') FROM security_groups g LEFT JOIN sg_rules r ON r.group_id = g.id ORDER BY g.id, r.rowid`)
	if err != nil {
		return err
	}
	type sourceRule struct {
		group  *snapshot.SecurityGroup
		rule   snapshot.Rule
		source string
	}
	var bySource []sourceRule
	for rows.Next() {
		var id, vpc, proto, cidr, source string
		var from, to int
		if err := rows.Scan(&id, &vpc, &proto, &from, &to, &cidr, &source); err != nil {
			rows.Close()
			return err
		}
		g := snap.SecurityGroups[id]
		if g == nil {
			g = &snapshot.SecurityGroup{ID: id, VPCID: vpc}
			snap.SecurityGroups[id] = g
		}
		switch {
		case proto == "":
		case source != "":
			bySource = append(bySource, sourceRule{g, snapshot.Rule{Protocol: proto, FromPort: from, ToPort: to}, source})
		default:
			g.Rules = append(g.Rules, snapshot.Rule{Protocol: proto, FromPort: from, ToPort: to, Prefix: parsePrefix(cidr)})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// A rule naming a source group admits the addresses of that group's
	// members: the network interfaces of the endpoints that carry it (the
	// only interfaces with security groups in plink). It becomes one
	// single-address rule per member address.
	members := map[string][]netip.Addr{}
	for _, sr := range bySource {
		addrs, ok := members[sr.source]
		if !ok {
			if addrs, err = groupMemberAddrs(tx, sr.source); err != nil {
				return err
			}
			members[sr.source] = addrs
		}
		for _, a := range addrs {
			r := sr.rule
			r.Prefix = netip.PrefixFrom(a, a.BitLen())
			sr.group.Rules = append(sr.group.Rules, r)
		}
	}
	return nil
}

// groupMemberAddrs lists the addresses of the network interfaces of the
// endpoints that carry security group id.
func groupMemberAddrs(tx *Tx, id string) ([]netip.Addr, error) {
	rows, err := tx.query(`SELECT n.ipv4, n.ipv6 FROM enis n JOIN endpoint_groups eg ON eg.endpoint_id = n.endpoint_id
		WHERE eg.group_id = ? ORDER BY n.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []netip.Addr
	for rows.Next() {
		var v4, v6 string
		if err := rows.Scan(&v4, &v6); err != nil {
			return nil, err
		}
		for _, s := range []string{v4, v6} {
			if a, err := netip.ParseAddr(s); err == nil {
				out = append(out, a)
			}
		}
	}
	return out, rows.Err()
}

// ReportHealth writes the data plane's view of target health; it does not
// move the revision (health is the data plane's own output).
func (s *Store) ReportHealth(ctx context.Context, reports []snapshot.HealthReport) error {
	if len(reports) == 0 {
		return nil
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	return s.Write(ctx, func(tx *Tx) error {
		for _, r := range reports {
			if _, err := tx.execQuiet(`INSERT INTO target_health (tg_arn, ip, port, state, reason, description, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tg_arn, ip, port) DO UPDATE SET state = excluded.state,
				reason = excluded.reason, description = excluded.description, updated_at = excluded.updated_at`,
				r.TargetGroupARN, r.IP.String(), int(r.Port), r.State, r.Reason, r.Description, now); err != nil {
				return err
			}
		}
		return nil
	})
}
