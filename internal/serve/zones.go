package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/plink-dev/plink/internal/snapshot"
	"github.com/plink-dev/plink/internal/store"
)

// Several hosts: each runs `plink serve --zones` for the zones it carries,
// against one store. A serve registers itself in the store's hosts table,
// claims its zones (a zone has one host: two live claims are an error)
// and heartbeats. It serves only its zones' endpoint network interfaces
// and load balancer nodes, answers DNS for every zone except those whose
// host stopped heartbeating (impaired), and routes to the other zones'
// subnets through the hosts that serve them.

// HostRegistry is where hosts register and claim zones; *store.Store
// implements it.
type HostRegistry interface {
	Hosts(ctx context.Context) ([]store.Host, error)
	ClaimZones(ctx context.Context, h store.Host, now time.Time) error
	Heartbeat(ctx context.Context, id string, now time.Time) (bool, error)
	StopHost(ctx context.Context, id string) error
	ReleaseHosts(ctx context.Context, now time.Time) ([]store.Host, error)
	ZoneSubnets(ctx context.Context) ([]store.ZoneSubnet, error)
}

var _ HostRegistry = (*store.Store)(nil)

// ZoneOptions make a serve one host of several.
type ZoneOptions struct {
	// Zones are the zones this serve carries; empty: every zone, as one
	// host (the registry is then only checked for live zone serves).
	Zones []string
	// Registry is where hosts register; nil: none (tests of one host).
	Registry HostRegistry
	HostName string // default: os.Hostname
	// HostAddr is the address the other hosts reach this one by: the next
	// hop of their routes to this host's subnets. Default: the first
	// address of Interface.
	HostAddr string
	// Interface, with ManageAddresses, is where the endpoint and node
	// addresses go instead of lo.
	Interface string
	// Timeout is how long a host may miss heartbeats before its zones are
	// impaired (default DefaultZoneTimeout); Heartbeat is the period
	// (default 1 s).
	Timeout   time.Duration
	Heartbeat time.Duration
	// Routes installs (ip route replace) a route to every subnet of the
	// other hosts' zones via those hosts, and removes them on exit.
	Routes  bool
	Version string
}

// DefaultZoneTimeout is how long a host may miss heartbeats before its
// zones are impaired.
const DefaultZoneTimeout = 5 * time.Second

// zoned reports whether this serve carries only some zones.
func (o ZoneOptions) zoned() bool { return len(o.Zones) > 0 }

// serves reports whether this serve carries zone.
func (o ZoneOptions) serves(zone string) bool {
	return !o.zoned() || slices.Contains(o.Zones, zone)
}

// newHostID is a random ID for one serve process.
func newHostID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "host-" + hex.EncodeToString(b)
}

// InterfaceAddr is the first IPv4 address of the interface named dev (the
// first address of any family when it has no IPv4 one).
func InterfaceAddr(dev string) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("interface %s: %w", dev, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("addresses of %s: %w", dev, err)
	}
	var first netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil || p.Addr().IsLinkLocalUnicast() {
			continue
		}
		if p.Addr().Is4() {
			return p.Addr(), nil
		}
		if !first.IsValid() {
			first = p.Addr()
		}
	}
	if !first.IsValid() {
		return first, fmt.Errorf("interface %s has no address: give --host-addr", dev)
	}
	return first, nil
}

// joinZones registers this serve and claims its zones; without --zones it
// releases the registrations of zone serves that are gone (their zones
// are now served here) and refuses to start beside a live one.
func (s *Server) joinZones(ctx context.Context) error {
	zo := &s.opts.Zones
	if zo.Registry == nil {
		return nil
	}
	if !zo.zoned() {
		hosts, err := zo.Registry.Hosts(ctx)
		if err != nil || len(hosts) == 0 {
			return nil // a read-only or older store: nothing to release
		}
		released, err := zo.Registry.ReleaseHosts(ctx, time.Now())
		var claimed *store.ZoneClaimedError
		if errors.As(err, &claimed) {
			return fmt.Errorf("%w; a serve of every zone cannot run beside it: give this one --zones", err)
		}
		for _, h := range released {
			s.log.Info("serving every zone: released the zones of a serve that is gone", "host", h.Describe(), "zones", h.Zones)
		}
		return nil
	}
	if zo.Timeout <= 0 {
		zo.Timeout = DefaultZoneTimeout
	}
	if zo.Heartbeat <= 0 {
		zo.Heartbeat = min(time.Second, zo.Timeout/3)
	}
	if zo.HostName == "" {
		zo.HostName, _ = os.Hostname()
	}
	if zo.HostAddr == "" && zo.Interface != "" {
		a, err := InterfaceAddr(zo.Interface)
		if err != nil {
			return err
		}
		zo.HostAddr = a.String()
	}
	if zo.HostAddr == "" {
		s.log.Warn("no --host-addr or --interface: other hosts get no route to this host's zones")
	}
	s.hostID = newHostID()
	if err := zo.Registry.ClaimZones(ctx, s.host(), time.Now()); err != nil {
		return fmt.Errorf("claiming zones %s: %w", strings.Join(zo.Zones, ","), err)
	}
	s.log.Info("serving zones", "zones", zo.Zones, "host", zo.HostName, "host_addr", zo.HostAddr,
		"host_id", s.hostID, "timeout", zo.Timeout)
	return nil
}

// host is this serve's registration.
func (s *Server) host() store.Host {
	zo := s.opts.Zones
	var addrs []string
	if s.opts.DNS.Addr != "" && !s.opts.DNS.Disabled {
		addrs = append(addrs, "dns="+s.opts.DNS.Addr)
	}
	if s.opts.APIAddr != "" {
		addrs = append(addrs, "api="+s.opts.APIAddr)
	}
	return store.Host{ID: s.hostID, Name: zo.HostName, Zones: zo.Zones, HostAddr: zo.HostAddr, Addresses: addrs,
		Version: zo.Version, PID: os.Getpid(), Timeout: zo.Timeout}
}

// leaveZones records a clean stop: the zones stay claimed, and impaired,
// until a serve claims them again.
func (s *Server) leaveZones() {
	if s.hostID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.opts.Zones.Registry.StopHost(ctx, s.hostID); err != nil {
		s.log.Warn("recording the stop in the hosts table: the zones look failed once the heartbeat expires", "err", err)
	}
}

// heartbeat records that this serve is alive, claims its zones again when
// another serve took them over while this one did not heartbeat (a paused
// process), and reads which zones are impaired. It reports whether that
// set changed. An error means the zones are served by another live host:
// this serve must stop.
func (s *Server) heartbeat(ctx context.Context) (changed bool, err error) {
	zo := s.opts.Zones
	now := time.Now()
	held, err := zo.Registry.Heartbeat(ctx, s.hostID, now)
	if err != nil {
		s.errs.Warn("writing the heartbeat to the store", "err", err)
	} else if !held {
		s.log.Warn("another serve took this host's zones over (missed heartbeats): claiming them again", "zones", zo.Zones)
		var claimed *store.ZoneClaimedError
		if err := zo.Registry.ClaimZones(ctx, s.host(), now); errors.As(err, &claimed) {
			return false, err
		} else if err != nil {
			s.errs.Warn("claiming the zones again", "err", err)
		}
	}
	hosts, err := zo.Registry.Hosts(ctx)
	if err != nil {
		s.errs.Warn("reading the hosts table", "err", err)
		return false, nil
	}
	s.hosts = hosts
	impaired := map[string]bool{}
	for z, h := range store.ImpairedZones(hosts, time.Now()) {
		if h.ID == s.hostID {
			continue // this serve is alive: its heartbeat was only late
		}
		impaired[z] = true
		if !s.impaired[z] {
			s.log.Warn("zone impaired: its host stopped heartbeating; regional DNS names leave it out",
				"zone", z, "host", h.Describe(), "state", h.State(now))
		}
	}
	for z := range s.impaired {
		if !impaired[z] {
			s.log.Info("zone available again", "zone", z)
		}
	}
	changed = !mapsEqual(impaired, s.impaired)
	s.impaired = impaired
	return changed, nil
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// zoneView is snap reduced to this serve's zones for the forwarder: the
// endpoint network interfaces and load balancer nodes of other zones
// belong to other hosts. Targets stay: cross-zone load balancing and
// fail-open reach them over the network.
func (s *Server) zoneView(snap *snapshot.Snapshot) *snapshot.Snapshot {
	return zoneView(s.opts.Zones, snap)
}

func zoneView(zo ZoneOptions, snap *snapshot.Snapshot) *snapshot.Snapshot {
	if !zo.zoned() {
		return snap
	}
	v := *snap
	v.Endpoints = make([]snapshot.Endpoint, len(snap.Endpoints))
	for i, e := range snap.Endpoints {
		e.ENIs = slices.DeleteFunc(slices.Clone(e.ENIs), func(eni snapshot.ENI) bool { return !zo.serves(eni.Zone) })
		v.Endpoints[i] = e
	}
	v.LoadBalancers = make([]snapshot.LoadBalancer, len(snap.LoadBalancers))
	for i, lb := range snap.LoadBalancers {
		lb.Nodes = slices.DeleteFunc(slices.Clone(lb.Nodes), func(n snapshot.Node) bool { return !zo.serves(n.Zone) })
		v.LoadBalancers[i] = lb
	}
	return &v
}

// dnsView is snap as DNS serves it here: impaired zones marked, and, with
// --zones, only the VPC resolver addresses of this serve's zones bound
// (another host answers the others).
func (s *Server) dnsView(snap *snapshot.Snapshot, subnets []store.ZoneSubnet) *snapshot.Snapshot {
	zo := s.opts.Zones
	if !zo.zoned() && len(s.impaired) == 0 {
		return snap
	}
	v := *snap
	v.ImpairedZones = s.impaired
	if zo.zoned() {
		v.VPCs = slices.Clone(snap.VPCs)
		for i, vpc := range v.VPCs {
			if !zo.serves(resolverZone(vpc, subnets)) {
				v.VPCs[i].Resolver = netip.Addr{}
			}
		}
	}
	return &v
}

// resolverZone is the zone whose host answers at vpc's resolver address:
// the zone of the subnet that holds it, else the VPC's first zone by
// name; "" when the VPC has no subnet.
func resolverZone(vpc snapshot.VPC, subnets []store.ZoneSubnet) string {
	first := ""
	for _, sn := range subnets {
		if sn.VPCID != vpc.ID {
			continue
		}
		if p, err := netip.ParsePrefix(sn.CIDR); err == nil && p.Contains(vpc.Resolver) {
			return sn.Zone
		}
		if first == "" || sn.Zone < first {
			first = sn.Zone
		}
	}
	return first
}

// Route is one route to another host's subnet.
type Route struct {
	Prefix netip.Prefix
	Via    netip.Addr
	Zone   string
	Host   string // the host's description, for the comment
}

// String is the ip(8) command that installs the route.
func (r Route) String() string {
	return fmt.Sprintf("ip route replace %s via %s", r.Prefix, r.Via)
}

// Routes lists a route to every subnet of every zone claimed by a host
// other than self (a host ID; "" for none) that has an address of the
// subnet's family. Subnets in 127/8 are local everywhere and get none.
func Routes(hosts []store.Host, subnets []store.ZoneSubnet, self string) []Route {
	owners := store.ZoneOwners(hosts)
	var out []Route
	for _, sn := range subnets {
		h, ok := owners[sn.Zone]
		if !ok || h.ID == self {
			continue
		}
		via, err := netip.ParseAddr(h.HostAddr)
		if err != nil {
			continue
		}
		for _, c := range []string{sn.CIDR, sn.IPv6CIDR} {
			p, err := netip.ParsePrefix(c)
			if err != nil || p.Addr().IsLoopback() || p.Addr().Is4() != via.Is4() {
				continue
			}
			out = append(out, Route{Prefix: p.Masked(), Via: via, Zone: sn.Zone, Host: h.Describe()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix.String() < out[j].Prefix.String() })
	return slices.CompactFunc(out, func(a, b Route) bool { return a.Prefix == b.Prefix })
}

// FormatRoutes is the text of --print-routes: one ip(8) command per line
// with the zone and host as a comment.
func FormatRoutes(routes []Route) string {
	var b strings.Builder
	for _, r := range routes {
		fmt.Fprintf(&b, "%s  # %s on %s\n", r, r.Zone, r.Host)
	}
	return b.String()
}

// updateRoutes installs the routes to the other hosts' zones (with
// Zones.Routes), from the hosts read at the last heartbeat.
func (s *Server) updateRoutes(ctx context.Context) {
	if s.routes == nil {
		return
	}
	subnets, err := s.opts.Zones.Registry.ZoneSubnets(ctx)
	if err != nil {
		s.errs.Warn("reading the subnets' zones", "err", err)
		return
	}
	if err := s.routes.apply(Routes(s.hosts, subnets, s.hostID)); err != nil {
		s.errs.Error("routes", "err", err)
	}
}
