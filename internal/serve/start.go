package serve

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"syscall"

	"github.com/plink-dev/plink/internal/netstack"
	"github.com/plink-dev/plink/internal/snapshot"
	"github.com/plink-dev/plink/internal/sockholder"
)

// StartError is Run's answer when listeners could not be bound at start
// and Options.KeepGoing is off: nothing is served.
type StartError struct {
	Errors []string // one per listener, naming the address, port and holder
}

func (e *StartError) Error() string {
	var b strings.Builder
	n := len(e.Errors)
	fmt.Fprintf(&b, "serve did not start: %d %s could not be bound; nothing is served:", n, plural(n, "listener", "listeners"))
	for _, msg := range e.Errors {
		b.WriteString("\n  ")
		b.WriteString(msg)
	}
	b.WriteString("\ndo what each line says (stop the process named, choose other ports ...), " +
		"serve another store (--db), or run with --keep-going to serve what can be bound")
	return b.String()
}

// ListenError explains why the TCP listener what (metrics, AWS API) could
// not be bound on addr: for an address in use, it names the process that
// holds it.
func ListenError(what, addr string, err error) error {
	msg := fmt.Sprintf("%s: cannot listen on %s: %v", what, addr, err)
	ap, perr := netip.ParseAddrPort(addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE) && perr == nil:
		held := sockholder.Describe("tcp", ap)
		if h, ok := netstack.SteeredHolder(err); ok {
			held = "held by " + h.String() + ", whose sk_lookup program steers the address"
		}
		msg += fmt.Sprintf(" (port %d in use, %s: stop it or choose another address)", ap.Port(), held)
	case errors.Is(err, syscall.EACCES):
		msg += " (a port below 1024 needs root or cap_net_bind_service: choose a port above 1023)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		msg += " (the address is not on this host: use 127.0.0.1 or another local address)"
	}
	return errors.New(msg)
}

// ListenTCP listens on addr for what ("backend", "api"), or returns
// ListenError's error. An address another plink serve steers with
// sk_lookup counts as in use: a bind would succeed and get nothing.
func ListenTCP(what, addr string) (net.Listener, error) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		if err := netstack.CheckSteered(ap); err != nil {
			return nil, ListenError(what, addr, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, ListenError(what, addr, err)
	}
	return ln, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// maxListenerLines caps the per-endpoint "listening" lines at start; the
// ready file lists every address.
const maxListenerLines = 50

// logContents says what the store holds, and plainly when that is
// nothing: the usual sign of the wrong store (no --db or PLINK_DB).
func (s *Server) logContents(snap *snapshot.Snapshot) {
	st := s.opts.Store
	states := map[string]int{}
	for _, ep := range snap.Endpoints {
		states[ep.State]++
	}
	targets := 0
	for _, tg := range snap.TargetGroups {
		targets += len(tg.Targets)
	}
	s.log.Info("store contents", "vpcs", len(snap.VPCs), "endpoint_services", len(snap.Services),
		"endpoints_available", states["available"], "endpoints_pending", states["pending"]+states["pendingAcceptance"],
		"endpoints_other", len(snap.Endpoints)-states["available"]-states["pending"]-states["pendingAcceptance"],
		"load_balancers", len(snap.LoadBalancers), "targets", targets)
	if len(snap.Endpoints) == 0 && len(snap.LoadBalancers) == 0 {
		where := "the store"
		if st.Path != "" {
			where = "the store " + st.Path
		}
		s.log.Warn(where + " holds no endpoints and no load balancers: nothing to serve. " +
			"Is it the store you meant? Serve another with --db PATH (or PLINK_DB=PATH), " +
			"or fill this one (plink apply -f a topology file such as a clone's examples/two-accounts.yaml, " +
			"or create-load-balancer, create-endpoint-service, create-endpoint ...; plink demo shows a whole topology)")
	}
}

// logServing writes a line per endpoint and load balancer with the
// addresses it listens on, then the DNS, API and metrics addresses.
func (s *Server) logServing(lns []netstack.ListenerInfo, dnsAddrs []string, metricsAddr string, nerrs int) {
	// One line per endpoint or load balancer, with its addresses.
	type group struct{ kind, id string }
	byOwner := map[group][]string{}
	var order []group
	for _, l := range lns {
		g := group{l.Kind, l.Endpoint}
		if g.id == "" {
			g.id = l.LoadBalancer
		}
		if _, ok := byOwner[g]; !ok {
			order = append(order, g)
		}
		byOwner[g] = append(byOwner[g], l.Address)
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].kind != order[j].kind {
			return order[i].kind < order[j].kind
		}
		return order[i].id < order[j].id
	})
	for i, g := range order {
		if i == maxListenerLines {
			s.log.Info("listening: more not shown (see --ready-file)", "owners", len(order)-i)
			break
		}
		s.log.Info("listening", "kind", g.kind, "id", g.id, "addresses", strings.Join(byOwner[g], " "))
	}
	if len(dnsAddrs) > 0 {
		s.log.Info("serving DNS", "addresses", strings.Join(dnsAddrs, ", "))
	}
	if s.apiAddr != "" {
		s.log.Info("serving the AWS API", "address", s.apiAddr)
	}
	if metricsAddr != "" {
		s.log.Info("serving metrics", "address", metricsAddr+"/metrics")
	}
	if nerrs > 0 {
		s.log.Warn("serving only part of the store (--keep-going): see the cannot listen lines above", "errors", nerrs)
	}
}

// logEndpointStates logs, at info, each endpoint whose state changed to
// one that serve does not serve, with what the user can do: a connection
// to its addresses is refused by the kernel (no listener), which would
// otherwise leave no trace.
func (s *Server) logEndpointStates(snap *snapshot.Snapshot) {
	// Updated in place: one lookup per endpoint, no new map per reload
	// (at 10,000 endpoints that map was 5 % of serve's CPU per change).
	// The states of deleted endpoints go when they outnumber a quarter of
	// the live ones (endpoint IDs are never reused).
	if s.epStates == nil || len(s.epStates) > len(snap.Endpoints)+len(snap.Endpoints)/4+64 {
		old := s.epStates
		s.epStates = make(map[string]string, len(snap.Endpoints))
		for _, ep := range snap.Endpoints {
			if st, ok := old[ep.ID]; ok {
				s.epStates[ep.ID] = st
			}
		}
	}
	logged := 0
	more := map[string]int{} // state -> endpoints not logged one by one
	for _, ep := range snap.Endpoints {
		if st, ok := s.epStates[ep.ID]; ok && st == ep.State {
			continue
		}
		s.epStates[ep.ID] = ep.State
		if ep.Available() {
			continue
		}
		if logged == maxStateLines {
			more[ep.State]++
			continue
		}
		logged++
		var addrs []string
		for _, eni := range ep.ENIs {
			for _, a := range []netip.Addr{eni.IPv4, eni.IPv6} {
				if a.IsValid() {
					addrs = append(addrs, a.String())
				}
			}
		}
		s.log.Info("endpoint not served: connections to its addresses are refused", "endpoint", ep.ID,
			"state", ep.State, "addresses", strings.Join(addrs, " "), "reason", notServedReason(ep))
	}
	if len(more) > 0 {
		args := []any{}
		for _, st := range sortedKeys(more) {
			args = append(args, st, more[st])
		}
		s.log.Info("more endpoints not served, by state (not listed one by one)", args...)
	}
}

// maxStateLines caps the "endpoint not served" lines of one reload (a
// script creating a thousand endpoints must not flood the log).
const maxStateLines = 20

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// notServedReason says why an endpoint in a state other than available
// gets no listeners, and what changes that.
func notServedReason(ep snapshot.Endpoint) string {
	switch ep.State {
	case "pendingAcceptance":
		return fmt.Sprintf("the service %s requires acceptance: the provider runs "+
			"plink accept-endpoint-connections --service-id %s --vpc-endpoint-ids %s", ep.ServiceID, ep.ServiceID, ep.ID)
	case "pending":
		return "being created; served once available"
	case "rejected":
		return "the provider rejected the connection: delete the endpoint and create it again once the provider allows you"
	case "expired":
		return "the connection request expired unanswered: delete the endpoint and create it again"
	case "failed":
		return "creation failed: delete the endpoint and create it again"
	default:
		return "the endpoint is " + ep.State
	}
}
