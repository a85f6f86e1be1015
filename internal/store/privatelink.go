package store

import (
	"database/sql"
	"errors"
	"net/netip"
	"slices"
	"strings"
)

// Service is a row of services with its load balancers.
type Service struct {
	ID, Account, Region, State string
	AcceptanceRequired         bool
	SupportedIPv4              bool
	SupportedIPv6              bool
	PrivateDNSName             string
	PDNSState                  string // pendingVerification | verified | failed, "" without a name
	PDNSName                   string // _<token>
	PDNSValue                  string // vpce:<token>
	CreatedAt                  string
	LBARNs                     []string
	PayerResponsibility        string // ServiceOwner once set, "" before
}

// Endpoint is a row of endpoints with its ENIs and security groups.
type Endpoint struct {
	ID, Account, Region, VPCID, ServiceID, ServiceName, State string
	IPAddressType, DNSRecordIPType                            string
	PrivateDNSEnabled                                         bool
	DNSSuffix                                                 string
	CreatedAt, UpdatedAt                                      string
	PolicyDocument                                            string // "" = AWS's default full-access policy
	ENIs                                                      []ENI
	GroupIDs                                                  []string
}

// ENI is a row of enis.
type ENI struct {
	ID, EndpointID, SubnetID, Account, Region, Zone string
	IPv4, IPv6                                      netip.Addr
	CreatedAt                                       string
}

// LBInfo is what endpoint services need to know of a load balancer.
type LBInfo struct {
	ARN, Account, Region, IPAddressType string
	Zones                               []string
	ServiceID                           string // the service using it, if any
}

// LBInfo returns a load balancer's owner, type and zones.
func (t *Tx) LBInfo(arn string) (LBInfo, error) {
	li := LBInfo{ARN: arn}
	err := t.queryRow(`SELECT account, region, ip_address_type, coalesce((SELECT service_id FROM service_lbs WHERE lb_arn = l.arn), '') FROM load_balancers l WHERE arn = ?`, arn).
		Scan(&li.Account, &li.Region, &li.IPAddressType, &li.ServiceID)
	if errors.Is(err, sql.ErrNoRows) {
		return li, ErrNotFound
	}
	if err != nil {
		return li, err
	}
	rows, err := t.query(`SELECT DISTINCT zone FROM lb_nodes WHERE lb_arn = ? ORDER BY zone`, arn)
	if err != nil {
		return li, err
	}
	defer rows.Close()
	for rows.Next() {
		var z string
		if err := rows.Scan(&z); err != nil {
			return li, err
		}
		li.Zones = append(li.Zones, z)
	}
	return li, rows.Err()
}

// InsertService adds a service and its load balancers.
func (t *Tx) InsertService(s Service) error {
	if _, err := t.exec(`INSERT INTO services (id, account, region, state, acceptance_required, supported_ipv4, supported_ipv6,
		private_dns_name, pdns_state, pdns_name, pdns_value, created_at, payer_responsibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.Account, s.Region, s.State, b2i(s.AcceptanceRequired), b2i(s.SupportedIPv4), b2i(s.SupportedIPv6),
		s.PrivateDNSName, s.PDNSState, s.PDNSName, s.PDNSValue, s.CreatedAt, s.PayerResponsibility); err != nil {
		return err
	}
	return t.SetServiceLBs(s.ID, s.LBARNs)
}

// UpdateService writes a service's settings and load balancers.
func (t *Tx) UpdateService(s Service) error {
	if _, err := t.exec(`UPDATE services SET state = ?, acceptance_required = ?, supported_ipv4 = ?, supported_ipv6 = ?,
		private_dns_name = ?, pdns_state = ?, pdns_name = ?, pdns_value = ?, payer_responsibility = ? WHERE id = ?`,
		s.State, b2i(s.AcceptanceRequired), b2i(s.SupportedIPv4), b2i(s.SupportedIPv6),
		s.PrivateDNSName, s.PDNSState, s.PDNSName, s.PDNSValue, s.PayerResponsibility, s.ID); err != nil {
		return err
	}
	return t.SetServiceLBs(s.ID, s.LBARNs)
}

// SetServiceLBs replaces a service's load balancers.
func (t *Tx) SetServiceLBs(id string, arns []string) error {
	if _, err := t.exec(`DELETE FROM service_lbs WHERE service_id = ?`, id); err != nil {
		return err
	}
	for _, arn := range arns {
		if _, err := t.exec(`INSERT INTO service_lbs (service_id, lb_arn) VALUES (?, ?)`, id, arn); err != nil {
			return err
		}
	}
	return nil
}

const serviceCols = `id, account, region, state, acceptance_required, supported_ipv4, supported_ipv6, private_dns_name, pdns_state, pdns_name, pdns_value, created_at, payer_responsibility`

func (t *Tx) services(q string, args ...any) ([]Service, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	var out []Service
	for rows.Next() {
		var s Service
		var acc, v4, v6 int
		if err := rows.Scan(&s.ID, &s.Account, &s.Region, &s.State, &acc, &v4, &v6, &s.PrivateDNSName, &s.PDNSState, &s.PDNSName, &s.PDNSValue, &s.CreatedAt, &s.PayerResponsibility); err != nil {
			rows.Close()
			return nil, err
		}
		s.AcceptanceRequired, s.SupportedIPv4, s.SupportedIPv6 = acc == 1, v4 == 1, v6 == 1
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].LBARNs, err = t.strings(`SELECT lb_arn FROM service_lbs WHERE service_id = ? ORDER BY lb_arn`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *Tx) strings(q string, args ...any) ([]string, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Service returns one service by ID, whoever owns it.
func (t *Tx) Service(id string) (Service, error) {
	return first(t.services(`SELECT `+serviceCols+` FROM services WHERE id = ?`, id))
}

// Services lists an account's services in a region; ids narrows the list.
func (t *Tx) Services(account, region string, ids []string) ([]Service, error) {
	q, args := inList(`SELECT `+serviceCols+` FROM services WHERE account = ? AND region = ?`, "id", ids, []any{account, region})
	return t.services(q+` ORDER BY created_at, id`, args...)
}

// VisibleServices lists the services of a region that the caller owns or
// is allowed to use: its account, its principal, its account's root, or '*'.
func (t *Tx) VisibleServices(account, principal, region string) ([]Service, error) {
	return t.services(`SELECT `+serviceCols+` FROM services s WHERE region = ? AND (account = ? OR EXISTS (
		SELECT 1 FROM service_permissions p WHERE p.service_id = s.id AND p.principal IN ('*', ?, ?))) ORDER BY id`,
		region, account, principal, "arn:aws:iam::"+account+":root")
}

// ServiceAllows reports whether the service's permissions admit principal.
func (t *Tx) ServiceAllows(serviceID, account, principal string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM service_permissions WHERE service_id = ? AND principal IN ('*', ?, ?)`,
		serviceID, principal, "arn:aws:iam::"+account+":root").Scan(&n)
	return n > 0, err
}

// DeleteService removes a service, its permissions and notifications.
func (t *Tx) DeleteService(id string) error {
	for _, q := range []string{`DELETE FROM notifications WHERE service_id = ?`, `DELETE FROM tags WHERE resource_id = ?`, `DELETE FROM services WHERE id = ?`} {
		if _, err := t.exec(q, id); err != nil {
			return err
		}
	}
	return nil
}

// Permission is a row of service_permissions.
type Permission struct{ ServiceID, Principal, CreatedAt string }

// AddPermission allows a principal; it reports false if it already was.
func (t *Tx) AddPermission(p Permission) (bool, error) {
	res, err := t.exec(`INSERT INTO service_permissions (service_id, principal, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, p.ServiceID, p.Principal, p.CreatedAt)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RemovePermission removes a principal; it reports false if it was not there.
func (t *Tx) RemovePermission(serviceID, principal string) (bool, error) {
	res, err := t.exec(`DELETE FROM service_permissions WHERE service_id = ? AND principal = ?`, serviceID, principal)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Permissions lists a service's allowed principals.
func (t *Tx) Permissions(serviceID string) ([]Permission, error) {
	rows, err := t.query(`SELECT service_id, principal, created_at FROM service_permissions WHERE service_id = ? ORDER BY created_at, principal`, serviceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Permission
	for rows.Next() {
		var p Permission
		if err := rows.Scan(&p.ServiceID, &p.Principal, &p.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ServiceWithPrivateName returns the ID of another service that already has
// the private DNS name (whatever its verification state), or "".
func (t *Tx) ServiceWithPrivateName(name, except string) (string, error) {
	var id string
	err := t.queryRow(`SELECT id FROM services WHERE private_dns_name = ? AND id <> ? LIMIT 1`, name, except).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// InsertEndpoint adds an endpoint with its ENIs and groups.
func (t *Tx) InsertEndpoint(e Endpoint) error {
	defer t.forEndpoint(e.ID)()
	if _, err := t.exec(`INSERT INTO endpoints (id, account, region, vpc_id, service_id, service_name, state, ip_address_type,
		dns_record_ip_type, private_dns_enabled, dns_suffix, created_at, updated_at, policy_document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Account, e.Region, e.VPCID, e.ServiceID, e.ServiceName, e.State, e.IPAddressType, e.DNSRecordIPType,
		b2i(e.PrivateDNSEnabled), e.DNSSuffix, e.CreatedAt, e.UpdatedAt, e.PolicyDocument); err != nil {
		return err
	}
	for _, n := range e.ENIs {
		if err := t.InsertENI(n); err != nil {
			return err
		}
	}
	return t.SetEndpointGroups(e.ID, e.GroupIDs)
}

// UpdateEndpoint writes an endpoint's mutable columns.
func (t *Tx) UpdateEndpoint(e Endpoint) error {
	defer t.forEndpoint(e.ID)()
	_, err := t.exec(`UPDATE endpoints SET state = ?, ip_address_type = ?, dns_record_ip_type = ?, private_dns_enabled = ?, updated_at = ?, policy_document = ? WHERE id = ?`,
		e.State, e.IPAddressType, e.DNSRecordIPType, b2i(e.PrivateDNSEnabled), e.UpdatedAt, e.PolicyDocument, e.ID)
	return err
}

// InsertENI adds a network interface.
func (t *Tx) InsertENI(n ENI) error {
	defer t.forEndpoint(n.EndpointID)()
	_, err := t.exec(`INSERT INTO enis (id, endpoint_id, subnet_id, account, region, zone, ipv4, ipv6, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.EndpointID, n.SubnetID, n.Account, n.Region, n.Zone, addrString(n.IPv4), addrString(n.IPv6), n.CreatedAt)
	return err
}

// DeleteENI removes a network interface and frees its addresses.
func (t *Tx) DeleteENI(id string) error {
	defer t.forEndpoint(t.eniEndpoint(id))()
	if err := t.ReleaseAddresses(id); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM tags WHERE resource_id = ?`, id); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM enis WHERE id = ?`, id)
	return err
}

// SetEndpointGroups replaces an endpoint's security groups.
func (t *Tx) SetEndpointGroups(id string, groups []string) error {
	defer t.forEndpoint(id)()
	if _, err := t.exec(`DELETE FROM endpoint_groups WHERE endpoint_id = ?`, id); err != nil {
		return err
	}
	for _, g := range groups {
		if _, err := t.exec(`INSERT INTO endpoint_groups (endpoint_id, group_id) VALUES (?, ?)`, id, g); err != nil {
			return err
		}
	}
	return nil
}

// DeleteEndpoint removes an endpoint, its ENIs (freeing their addresses),
// groups, notifications and tags.
func (t *Tx) DeleteEndpoint(id string) error {
	defer t.forEndpoint(id)()
	if _, err := t.exec(`DELETE FROM addresses WHERE owner_id IN (SELECT id FROM enis WHERE endpoint_id = ?)`, id); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM tags WHERE resource_id IN (SELECT id FROM enis WHERE endpoint_id = ?)`, id); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM notifications WHERE endpoint_id = ?`, `DELETE FROM tags WHERE resource_id = ?`, `DELETE FROM endpoints WHERE id = ?`} {
		if _, err := t.exec(q, id); err != nil {
			return err
		}
	}
	return nil
}

// eniEndpoint is the endpoint of ENI id, or "" (for the change log: the
// writes then count as changing every endpoint).
func (t *Tx) eniEndpoint(id string) string {
	var ep string
	if err := t.queryRow(`SELECT endpoint_id FROM enis WHERE id = ?`, id).Scan(&ep); err != nil {
		return ""
	}
	return ep
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func parseAddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a
}

const endpointCols = `id, account, region, vpc_id, service_id, service_name, state, ip_address_type, dns_record_ip_type, private_dns_enabled, dns_suffix, created_at, updated_at, policy_document`

// endpoints runs an endpoint query and loads ENIs and groups of the result
// with one query each (not one per endpoint).
func (t *Tx) endpoints(q string, args ...any) ([]Endpoint, error) {
	out, idx, err := t.endpointRows(q, args...)
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, 0, len(out))
	for _, e := range out {
		ids = append(ids, e.ID)
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",") + ")"
		cargs := make([]any, len(chunk))
		for i, id := range chunk {
			cargs[i] = id
		}
		err := t.attachENIsAndGroups(out, idx,
			`SELECT id, endpoint_id, subnet_id, account, region, zone, ipv4, ipv6, created_at FROM enis WHERE endpoint_id IN `+in+` ORDER BY zone`,
			`SELECT endpoint_id, group_id FROM endpoint_groups WHERE endpoint_id IN `+in+` ORDER BY group_id`, cargs...)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// everyEndpoint lists every endpoint in ID order with its ENIs (in zone
// order) and groups (in ID order), as endpoints does, from one scan of
// each table in storage order, sorted here. endpoints' index lookups per
// chunk of IDs, and ORDER BY on an indexed column (an index walk with a
// table lookup per row), were most of the time of serve's full snapshot
// of 50,000 endpoints.
func (t *Tx) everyEndpoint() ([]Endpoint, error) {
	out, _, err := t.endpointRows(`SELECT ` + endpointCols + ` FROM endpoints`)
	if err != nil || len(out) == 0 {
		return out, err
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return strings.Compare(a.ID, b.ID) })
	idx := make(map[string]int, len(out))
	for i, e := range out {
		idx[e.ID] = i
	}
	err = t.attachENIsAndGroups(out, idx,
		`SELECT id, endpoint_id, subnet_id, account, region, zone, ipv4, ipv6, created_at FROM enis`,
		`SELECT endpoint_id, group_id FROM endpoint_groups`)
	if err != nil {
		return nil, err
	}
	for i := range out {
		e := &out[i]
		slices.SortStableFunc(e.ENIs, func(a, b ENI) int { return strings.Compare(a.Zone, b.Zone) })
		slices.Sort(e.GroupIDs)
	}
	return out, nil
}

// endpointRows reads endpoints without their ENIs and groups, and the
// index of each ID in the list.
func (t *Tx) endpointRows(q string, args ...any) ([]Endpoint, map[string]int, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []Endpoint
	idx := map[string]int{}
	for rows.Next() {
		var e Endpoint
		var pd int
		if err := rows.Scan(&e.ID, &e.Account, &e.Region, &e.VPCID, &e.ServiceID, &e.ServiceName, &e.State, &e.IPAddressType,
			&e.DNSRecordIPType, &pd, &e.DNSSuffix, &e.CreatedAt, &e.UpdatedAt, &e.PolicyDocument); err != nil {
			return nil, nil, err
		}
		e.PrivateDNSEnabled = pd == 1
		e.GroupIDs = []string{}
		idx[e.ID] = len(out)
		out = append(out, e)
	}
	return out, idx, rows.Err()
}

// attachENIsAndGroups adds to the endpoints of out (idx: their index by
// ID) the ENIs that eniQuery lists and the security groups that
// groupQuery lists (endpoint_id, group_id), in the queries' order. Rows
// of endpoints not in out are skipped.
func (t *Tx) attachENIsAndGroups(out []Endpoint, idx map[string]int, eniQuery, groupQuery string, args ...any) error {
	enis, err := t.enis(eniQuery, args...)
	if err != nil {
		return err
	}
	for _, n := range enis {
		if i, ok := idx[n.EndpointID]; ok {
			out[i].ENIs = append(out[i].ENIs, n)
		}
	}
	rows, err := t.query(groupQuery, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var eid, gid string
		if err := rows.Scan(&eid, &gid); err != nil {
			return err
		}
		if i, ok := idx[eid]; ok {
			out[i].GroupIDs = append(out[i].GroupIDs, gid)
		}
	}
	return rows.Err()
}

func (t *Tx) enis(q string, args ...any) ([]ENI, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ENI
	for rows.Next() {
		var n ENI
		var v4, v6 string
		if err := rows.Scan(&n.ID, &n.EndpointID, &n.SubnetID, &n.Account, &n.Region, &n.Zone, &v4, &v6, &n.CreatedAt); err != nil {
			return nil, err
		}
		n.IPv4, n.IPv6 = parseAddr(v4), parseAddr(v6)
		out = append(out, n)
	}
	return out, rows.Err()
}

// Endpoint returns one endpoint by ID, whoever owns it.
func (t *Tx) Endpoint(id string) (Endpoint, error) {
	return first(t.endpoints(`SELECT `+endpointCols+` FROM endpoints WHERE id = ?`, id))
}

// Endpoints lists an account's endpoints in a region; ids narrows the list.
func (t *Tx) Endpoints(account, region string, ids []string) ([]Endpoint, error) {
	q, args := inList(`SELECT `+endpointCols+` FROM endpoints WHERE account = ? AND region = ?`, "id", ids, []any{account, region})
	return t.endpoints(q+` ORDER BY created_at, id`, args...)
}

// EndpointsAfter lists at most limit of an account's endpoints in a region
// whose ID sorts after after, in ID order: one page of a keyset walk.
func (t *Tx) EndpointsAfter(account, region, after string, limit int) ([]Endpoint, error) {
	return t.endpoints(`SELECT `+endpointCols+` FROM endpoints WHERE account = ? AND region = ? AND id > ? ORDER BY id LIMIT ?`, account, region, after, limit)
}

// EndpointsOfService lists the endpoints connected to a service; ids narrows the list.
func (t *Tx) EndpointsOfService(serviceID string, ids []string) ([]Endpoint, error) {
	q, args := inList(`SELECT `+endpointCols+` FROM endpoints WHERE service_id = ?`, "id", ids, []any{serviceID})
	return t.endpoints(q+` ORDER BY created_at, id`, args...)
}

// ActiveConnections counts a service's available or pendingAcceptance endpoints.
func (t *Tx) ActiveConnections(serviceID string) (int, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM endpoints WHERE service_id = ? AND state IN ('available', 'pendingAcceptance', 'pending')`, serviceID).Scan(&n)
	return n, err
}

// PrivateNameClaim returns the endpoint in vpcID that has private DNS
// enabled for a service whose private name is name, or "".
func (t *Tx) PrivateNameClaim(vpcID, name, except string) (string, error) {
	var id string
	err := t.queryRow(`SELECT e.id FROM endpoints e JOIN services s ON s.id = e.service_id
		WHERE e.vpc_id = ? AND e.private_dns_enabled = 1 AND s.private_dns_name = ? AND e.id <> ?
		AND e.state NOT IN ('rejected', 'deleted', 'failed') LIMIT 1`, vpcID, name, except).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// ENIs lists an account's network interfaces; ids narrows the list.
func (t *Tx) ENIs(account, region string, ids []string) ([]ENI, error) {
	q, args := inList(`SELECT id, endpoint_id, subnet_id, account, region, zone, ipv4, ipv6, created_at FROM enis WHERE account = ? AND region = ?`, "id", ids, []any{account, region})
	return t.enis(q+` ORDER BY created_at, zone, id`, args...)
}

// ClientToken is the first call of a create action under a client token.
type ClientToken struct {
	Account, Region, Action, Token string
	Params, Output, CreatedAt      string
}

// ClientTokenOf returns the call recorded under a token, or ErrNotFound.
func (t *Tx) ClientTokenOf(account, region, action, token string) (ClientToken, error) {
	c := ClientToken{Account: account, Region: region, Action: action, Token: token}
	err := t.queryRow(`SELECT params, output, created_at FROM client_tokens WHERE account = ? AND region = ? AND action = ? AND token = ?`,
		account, region, action, token).Scan(&c.Params, &c.Output, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// InsertClientToken records the first call under a token.
func (t *Tx) InsertClientToken(c ClientToken) error {
	_, err := t.exec(`INSERT INTO client_tokens (account, region, action, token, params, output, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.Account, c.Region, c.Action, c.Token, c.Params, c.Output, c.CreatedAt)
	return err
}
