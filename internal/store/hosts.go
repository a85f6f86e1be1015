package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Hosts and zones: each `plink serve --zones` registers a Host and claims
// its zones (zone_claims, one row per zone), then writes a heartbeat every
// second. A claim whose host stopped heartbeating for longer than the
// host's timeout is failed: its zone is impaired, other serves leave the
// zone's addresses out of regional DNS names, and the next serve that
// claims the zone takes it over.
//
// This is the data plane's own bookkeeping, like target health: none of
// these writes moves the revision (execQuiet), so heartbeats never make
// a serve reload. Whether a zone is impaired changes with time alone;
// serve reads the hosts at every heartbeat.

// Host is one registered serve.
type Host struct {
	ID        string   // host-<hex>: one serve process
	Name      string   // the host's name
	Zones     []string // the zones it holds a claim on, sorted
	HostAddr  string   // the address other hosts reach it by ('' when unknown)
	Addresses []string // what it serves besides endpoints: DNS, API (host:port)
	Version   string
	PID       int
	Started   time.Time
	Heartbeat time.Time // zero once the serve stopped cleanly
	Timeout   time.Duration
}

// Host states, as `plink get hosts` shows them.
const (
	HostLive    = "live"
	HostFailed  = "failed"  // no heartbeat for longer than its timeout
	HostStopped = "stopped" // the serve ended cleanly; its zones stay claimed
)

// State is the host's state at now.
func (h Host) State(now time.Time) string {
	switch {
	case h.Heartbeat.IsZero():
		return HostStopped
	case now.Sub(h.Heartbeat) > h.Timeout:
		return HostFailed
	default:
		return HostLive
	}
}

// Live reports whether the host is heartbeating at now.
func (h Host) Live(now time.Time) bool { return h.State(now) == HostLive }

// Describe names the host for messages: "hb (pid 4242, 10.200.0.2)".
func (h Host) Describe() string {
	s := fmt.Sprintf("%s (pid %d", h.Name, h.PID)
	if h.HostAddr != "" {
		s += ", " + h.HostAddr
	}
	return s + ")"
}

// ZoneClaimedError is ClaimZones' answer when a live host serves a zone.
type ZoneClaimedError struct {
	Zone string
	Host Host
	Age  time.Duration // since its last heartbeat
}

func (e *ZoneClaimedError) Error() string {
	return fmt.Sprintf("zone %s is served by plink serve on host %s, heartbeat %s ago: stop that serve first "+
		"or serve other zones; its claim is taken over once it misses heartbeats for %s",
		e.Zone, e.Host.Describe(), e.Age.Round(time.Millisecond), e.Host.Timeout)
}

const hostCols = `id, name, host_addr, addresses, version, pid, started_ms, heartbeat_ms, timeout_ms`

// Hosts lists every registered host with its claimed zones, by name then ID.
func (t *Tx) Hosts() ([]Host, error) {
	rows, err := t.query(`SELECT ` + hostCols + ` FROM hosts ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	var hosts []Host
	byID := map[string]int{}
	for rows.Next() {
		var h Host
		var addrs string
		var started, beat, timeout int64
		if err := rows.Scan(&h.ID, &h.Name, &h.HostAddr, &addrs, &h.Version, &h.PID, &started, &beat, &timeout); err != nil {
			rows.Close()
			return nil, err
		}
		h.Addresses = splitList(addrs)
		h.Started = time.UnixMilli(started)
		if beat != 0 {
			h.Heartbeat = time.UnixMilli(beat)
		}
		h.Timeout = time.Duration(timeout) * time.Millisecond
		byID[h.ID] = len(hosts)
		hosts = append(hosts, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	claims, err := t.query(`SELECT zone, host_id FROM zone_claims ORDER BY zone`)
	if err != nil {
		return nil, err
	}
	defer claims.Close()
	for claims.Next() {
		var zone, id string
		if err := claims.Scan(&zone, &id); err != nil {
			return nil, err
		}
		if i, ok := byID[id]; ok {
			hosts[i].Zones = append(hosts[i].Zones, zone)
		}
	}
	return hosts, claims.Err()
}

// Hosts lists every registered host (see Tx.Hosts).
func (s *Store) Hosts(ctx context.Context) ([]Host, error) {
	var hosts []Host
	err := s.Read(ctx, func(tx *Tx) error {
		var err error
		hosts, err = tx.Hosts()
		return err
	})
	return hosts, err
}

// ClaimZones registers h (its ID, name, addresses, version, PID, timeout;
// Started and Heartbeat are set to now) and claims h.Zones for it, in one
// transaction. A zone claimed by a live host is refused with a
// *ZoneClaimedError and nothing changes; a failed or stopped host's claim
// is taken over (a host left with no zone is removed). Claiming again
// under the same ID (a serve whose claim was taken over while it hung)
// works the same way.
func (s *Store) ClaimZones(ctx context.Context, h Host, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		hosts, err := tx.Hosts()
		if err != nil {
			return err
		}
		owner := ZoneOwners(hosts)
		var takenFrom []string
		for _, z := range h.Zones {
			o, ok := owner[z]
			if !ok || o.ID == h.ID {
				continue
			}
			if o.Live(now) {
				return &ZoneClaimedError{Zone: z, Host: o, Age: now.Sub(o.Heartbeat)}
			}
			takenFrom = append(takenFrom, o.ID)
		}
		if _, err := tx.execQuiet(`INSERT INTO hosts (`+hostCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, host_addr = excluded.host_addr,
			addresses = excluded.addresses, version = excluded.version, pid = excluded.pid,
			heartbeat_ms = excluded.heartbeat_ms, timeout_ms = excluded.timeout_ms`,
			h.ID, h.Name, h.HostAddr, strings.Join(h.Addresses, ","), h.Version, h.PID,
			now.UnixMilli(), now.UnixMilli(), h.Timeout.Milliseconds()); err != nil {
			return err
		}
		for _, z := range h.Zones {
			if _, err := tx.execQuiet(`INSERT INTO zone_claims (zone, host_id) VALUES (?, ?)
				ON CONFLICT (zone) DO UPDATE SET host_id = excluded.host_id`, z, h.ID); err != nil {
				return err
			}
		}
		for _, id := range takenFrom {
			if _, err := tx.execQuiet(`DELETE FROM hosts WHERE id = ? AND NOT EXISTS
				(SELECT 1 FROM zone_claims WHERE host_id = ?)`, id, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Heartbeat records that host id is alive at now. It reports false when
// the host no longer holds any claim (another serve took its zones over
// while it did not heartbeat): the caller must claim again.
func (s *Store) Heartbeat(ctx context.Context, id string, now time.Time) (bool, error) {
	held := false
	err := s.Write(ctx, func(tx *Tx) error {
		res, err := tx.execQuiet(`UPDATE hosts SET heartbeat_ms = ? WHERE id = ?`, now.UnixMilli(), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		var claims int
		if err := tx.queryRow(`SELECT count(*) FROM zone_claims WHERE host_id = ?`, id).Scan(&claims); err != nil {
			return err
		}
		held = claims > 0
		return nil
	})
	return held, err
}

// StopHost records that host id stopped cleanly: it keeps its claims (its
// zones are impaired: nothing serves them) until a serve claims them again.
func (s *Store) StopHost(ctx context.Context, id string) error {
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.execQuiet(`UPDATE hosts SET heartbeat_ms = 0 WHERE id = ?`, id)
		return err
	})
}

// ReleaseHosts is for a serve of every zone (without --zones): it removes
// the hosts that are not live, whose zones it now serves, and returns
// them; when a live host still serves zones it changes nothing and returns
// a *ZoneClaimedError naming it.
func (s *Store) ReleaseHosts(ctx context.Context, now time.Time) ([]Host, error) {
	var released []Host
	err := s.Write(ctx, func(tx *Tx) error {
		hosts, err := tx.Hosts()
		if err != nil {
			return err
		}
		for _, h := range hosts {
			if h.Live(now) && len(h.Zones) > 0 {
				return &ZoneClaimedError{Zone: h.Zones[0], Host: h, Age: now.Sub(h.Heartbeat)}
			}
		}
		for _, h := range hosts {
			if _, err := tx.execQuiet(`DELETE FROM hosts WHERE id = ?`, h.ID); err != nil {
				return err
			}
			released = append(released, h)
		}
		return nil
	})
	return released, err
}

// ZoneOwners maps each claimed zone to the host that claims it.
func ZoneOwners(hosts []Host) map[string]Host {
	out := map[string]Host{}
	for _, h := range hosts {
		for _, z := range h.Zones {
			out[z] = h
		}
	}
	return out
}

// ImpairedZones maps each zone whose host is not live at now to that host.
// A zone nobody claims is not impaired: a serve without --zones serves it.
func ImpairedZones(hosts []Host, now time.Time) map[string]Host {
	out := map[string]Host{}
	for z, h := range ZoneOwners(hosts) {
		if !h.Live(now) {
			out[z] = h
		}
	}
	return out
}

// ZoneSubnet is a subnet's block and zone, for routes between hosts.
type ZoneSubnet struct {
	ID, VPCID, Zone string
	CIDR, IPv6CIDR  string // '' when the subnet has none
}

// ZoneSubnets lists every subnet with its zone, by zone then ID.
func (s *Store) ZoneSubnets(ctx context.Context) ([]ZoneSubnet, error) {
	var out []ZoneSubnet
	err := s.Read(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, vpc_id, zone, cidr, ipv6_cidr FROM subnets ORDER BY zone, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var z ZoneSubnet
			var v6 sql.NullString
			if err := rows.Scan(&z.ID, &z.VPCID, &z.Zone, &z.CIDR, &v6); err != nil {
				return err
			}
			z.IPv6CIDR = v6.String
			out = append(out, z)
		}
		return rows.Err()
	})
	return out, err
}

// splitList splits a comma-separated column; ” is no items.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	sort.Strings(parts)
	return slices.Compact(parts)
}
