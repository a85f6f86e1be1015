// Package serve is the lifecycle of `plink serve`: it follows the store's
// change feed (Options.Changes; a slow poll of the revision as the safety
// net), loads a snapshot when the revision moves (or on SIGHUP), applies
// it to the forwarder (internal/netstack) and the DNS server
// (internal/dns), writes
// target health back, writes the ready file, serves metrics, manages the
// addresses it has to put on lo, and drains connections on shutdown.
// With zones (zones.go) it is one host of several: it registers in the
// store, heartbeats, serves its zones only and routes to the others.
// It also holds the built-in test target of `plink backend`.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/plink-dev/plink/internal/api"
	"github.com/plink-dev/plink/internal/dns"
	"github.com/plink-dev/plink/internal/netstack"
	"github.com/plink-dev/plink/internal/snapshot"
	"github.com/plink-dev/plink/internal/store"
)

// Source is where serve reads the wanted state and writes health;
// *store.Store implements it.
type Source interface {
	// Revision is a cheap change counter, polled often.
	Revision(ctx context.Context) (int64, error)
	Snapshot(ctx context.Context) (*snapshot.Snapshot, error)
	ReportHealth(ctx context.Context, reports []snapshot.HealthReport) error
}

// IncrementalSource is a Source that can load a snapshot from an earlier
// one, reading only what changed since (*store.Store's SnapshotSince).
// Serve then loads that way on every change, and in full at start and on
// SIGHUP.
type IncrementalSource interface {
	SnapshotSince(ctx context.Context, prev *snapshot.Snapshot) (*snapshot.Snapshot, error)
}

// DNSOptions configure the DNS server.
type DNSOptions struct {
	Disabled bool
	Port     int    // on every VPC resolver address; 0 = none
	Addr     string // an extra host:port listener
	Upstream string // host:port for names plink does not own
}

// Options configure a Server.
type Options struct {
	Source Source
	Logger *slog.Logger
	// Grace is how long open connections may run after shutdown starts
	// (default 10 s).
	Grace time.Duration
	// ReadyFile, when set, is written after every apply and removed on
	// exit; see ReadyFile for what may already be at the path.
	ReadyFile string
	// MetricsAddr, when set, serves Prometheus metrics at /metrics.
	MetricsAddr string
	// APIAddr, when set with API, serves the AWS API on it; API builds
	// the handler, its metrics on serve's registry.
	APIAddr string
	API     func(prometheus.Registerer) (http.Handler, error)
	DNS     DNSOptions
	// ManageAddresses lets serve add missing addresses on lo (needs root).
	ManageAddresses bool
	// AddrStateFile, with ManageAddresses, records the addresses serve puts
	// on lo before it adds them, so that the next serve on the same store
	// removes those a killed serve left behind. Run it only under the
	// store's LockStore.
	AddrStateFile string
	// PollInterval is how often the revision is read (default 50 ms); with
	// Changes, only the safety net should a notification be lost.
	PollInterval time.Duration
	// Changes, when set, is a change feed of Source (store.ChangeFeed's
	// Changes): a revision it sends reloads at once, so PollInterval can be
	// long. A PostgreSQL store's feed is its LISTEN/NOTIFY.
	Changes func(ctx context.Context) <-chan int64
	// Zones make this serve one host of several (zones.go).
	Zones ZoneOptions
	// RepeatInterval is how often an error that keeps recurring is logged
	// again after its first occurrence (default 30 s).
	RepeatInterval time.Duration
	// Engine is the data plane engine (netstack.Options.Engine).
	Engine string
	// ListenMode is netstack.Options.ListenMode; sk-lookup asked for and
	// unavailable stops serve at start.
	ListenMode string
	// Notifier retries connection notifications (notifier.go); nil: the
	// store's outbox when Source is a store.
	Notifier Outbox
	// KeepGoing serves what can be bound when a listener (forwarder, DNS,
	// API, metrics) cannot be bound at start; without it Run fails with a
	// StartError naming every address and who holds it. Later reloads
	// always keep going: serve is running by then.
	KeepGoing bool
	// Store describes the store for the first log lines; zero: not logged.
	Store StoreInfo
	// OnServing, when set, is called once after the first apply succeeded:
	// everything Run could bind is listening.
	OnServing func(ReadyInfo)
}

// StoreInfo is what the first log lines say about the store served.
type StoreInfo struct {
	Path string
	// State says where the store comes from: "existing", "just created
	// (empty)" (the usual sign of a missing --db or PLINK_DB), ...
	State string
}

// feedStopWait bounds how long Run waits, on its way out, for the change
// feed to stop.
const feedStopWait = 2 * time.Second

// DefaultGrace is the default drain period on shutdown.
const DefaultGrace = 10 * time.Second

// ErrAborted is what Run returns when Abort cut the drain short.
var ErrAborted = errors.New("second signal: stopped at once, open connections closed without draining")

// Server runs the data plane until its context ends.
type Server struct {
	opts Options
	log  *slog.Logger
	errs *repeatLog // errors that may recur on every poll

	abort     chan struct{}
	abortOnce sync.Once

	ready   *ReadyFile
	limit   fileLimit
	apiAddr string // the API's bound address, if served
	budget  int    // forwarder listeners the file limit leaves room for; -1 = no limit
	steered bool   // the forwarder listens in sk_lookup mode: a socket per family and port
	// startErrs are the metrics and API listeners that could not be bound
	// at start (with KeepGoing); they stay in every ready file.
	startErrs []string
	epStates  map[string]string // endpoint ID -> state at the last reload
	health    *serveMetrics
	storeDown error // why the store could not be read at the last poll; nil: it could
	// last is the snapshot the last reload loaded, as the store gave it:
	// the base of the next incremental load; nil: load in full.
	last *snapshot.Snapshot

	healthMu   sync.Mutex
	pending    map[healthKey]snapshot.HealthReport
	healthKick chan struct{} // a report is pending: the run loop writes it

	// Several hosts (zones.go); only the run loop touches these.
	hostID   string // this serve's registration; "" without --zones
	hosts    []store.Host
	impaired map[string]bool // zones whose host stopped heartbeating
	subnets  []store.ZoneSubnet
	routes   *routeTable
}

type healthKey struct {
	tg string
	ap netip.AddrPort
}

// New returns a Server; Run starts it.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 50 * time.Millisecond
	}
	return &Server{opts: opts, log: opts.Logger, errs: newRepeatLog(opts.Logger, opts.RepeatInterval),
		abort: make(chan struct{}), budget: -1, pending: map[healthKey]snapshot.HealthReport{},
		healthKick: make(chan struct{}, 1)}
}

// Abort ends a drain in progress (or the next one) at once: open
// connections are closed and Run returns ErrAborted.
func (s *Server) Abort() { s.abortOnce.Do(func() { close(s.abort) }) }

// ReadyInfo is the content of the ready file.
type ReadyInfo struct {
	PID       int                     `json:"pid"`
	Revision  int64                   `json:"revision"`
	Listeners []netstack.ListenerInfo `json:"listeners"`
	DNS       []string                `json:"dns"`
	Metrics   string                  `json:"metrics,omitempty"`
	API       string                  `json:"api,omitempty"`
	// Unserved lists the endpoints the open file limit leaves without
	// listeners; see Errors.
	Unserved []string `json:"unserved,omitempty"`
	Errors   []string `json:"errors"`
}

// repeatWindow is how soon after a SIGTERM another SIGTERM is the same stop
// delivered twice rather than a second request.
const repeatWindow = time.Second

// sameStop says whether sig, after since, repeats the first stop signal
// rather than asking to stop at once: timeout(1), and a kill of a process
// group, send one SIGTERM to the process and another to its group, so
// 'timeout 60 plink serve' gets two at once, and must still drain and exit
// 0. Nobody sends SIGTERM twice within a second by hand; a second Ctrl-C
// (SIGINT) always counts.
func sameStop(first, sig os.Signal, since time.Duration) bool {
	return first == syscall.SIGTERM && sig == syscall.SIGTERM && since < repeatWindow
}

// RunUntilSignal runs the server until SIGINT or SIGTERM: the first one
// starts the drain, a second one during the drain (but not a SIGTERM
// repeated at once: sameStop) stops at once (Run then
// returns ErrAborted). SIGHUP reloads the store.
func (s *Server) RunUntilSignal(ctx context.Context) error {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		// Only signals count: the parent context may end on the same
		// signal, which then also arrives here.
		var first os.Signal
		var at time.Time
		select {
		case first = <-sigs:
			at = time.Now()
			s.log.Info("signal: shutting down; a second signal stops at once", "signal", first.String())
			cancel()
		case <-done:
			return
		}
		for {
			select {
			case sig := <-sigs:
				if sameStop(first, sig, time.Since(at)) {
					s.log.Debug("the first SIGTERM again (sent to the process and its group): still draining", "signal", sig.String())
					continue
				}
				s.log.Warn("second signal: exiting now", "signal", sig.String())
				s.Abort()
				return
			case <-done:
				return
			}
		}
	}()
	return s.Run(ctx, hup)
}

// Run serves until ctx ends, then stops accepting, drains connections for
// up to Grace, closes the rest and returns nil (ErrAborted when Abort cut
// the drain short). A value on reload forces a reload of the snapshot.
// It fails at start when the ready file path is not plink's to write, the
// first snapshot cannot be loaded, the open file limit cannot hold the
// listeners the store asks for, or (without KeepGoing) any listener —
// forwarder, DNS, metrics, API — cannot be bound (a *StartError naming
// each); ctx ending during start is a stop (nil), not a failure.
func (s *Server) Run(ctx context.Context, reload <-chan os.Signal) error {
	if s.opts.ReadyFile != "" {
		rf, err := ClaimReadyFile(s.opts.ReadyFile)
		if err != nil {
			return err
		}
		s.ready = rf
		defer func() {
			if err := rf.Remove(); err != nil {
				s.log.Error("removing the ready file", "err", err)
			}
		}()
	}
	if st := s.opts.Store; st.Path != "" {
		s.log.Info("serving store", "path", st.Path, "store", st.State)
	}
	if err := s.joinZones(ctx); err != nil {
		return err
	}
	defer s.leaveZones()
	before, limit, err := raiseFileLimit()
	switch {
	case err != nil:
		s.log.Warn("open file limit: cannot raise the soft limit to the hard limit", "limit", before, "err", err)
	case before.soft != limit.soft:
		s.log.Info("open file limit: raised the soft limit to the hard limit", "from", before.soft, "to", limit.soft)
	default:
		s.log.Info("open file limit", "soft", limit.soft, "hard", limit.hard)
	}
	s.limit = limit

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.health = newServeMetrics(reg, limit)

	var addrs *netstack.LocalAddrs
	fopts := netstack.Options{Logger: s.log, Registerer: reg, OnHealth: s.queueHealth, Engine: s.opts.Engine,
		ListenMode: s.opts.ListenMode}
	if s.opts.ManageAddresses {
		addrs = netstack.NewLocalAddrs(s.log)
		addrs.StateFile = s.opts.AddrStateFile
		if s.opts.Zones.zoned() {
			addrs.Device = s.opts.Zones.Interface
		}
		if err := addrs.RemoveStale(); err != nil {
			s.log.Error("removing addresses an earlier plink serve left on lo", "err", err)
		}
		fopts.AddAddresses = addrs.AddAll
		defer func() {
			if err := addrs.Close(); err != nil {
				s.log.Error("removing addresses from lo", "err", err)
			}
		}()
	}

	var metricsAddr string
	// startErrs are the listeners that could not be bound at start; without
	// KeepGoing any one of them stops serve.
	var startErrs []string
	if s.opts.MetricsAddr != "" {
		ln, err := ListenTCP("metrics", s.opts.MetricsAddr)
		if err != nil {
			startErrs = append(startErrs, err.Error())
		} else {
			metricsAddr = ln.Addr().String()
			mux := http.NewServeMux()
			mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(ln)
			defer srv.Close()
		}
	}

	if s.opts.APIAddr != "" && s.opts.API != nil {
		h, err := s.opts.API(reg)
		if err != nil {
			return err
		}
		ln, err := ListenTCP("AWS API", s.opts.APIAddr)
		if err != nil {
			startErrs = append(startErrs, err.Error())
		} else {
			s.apiAddr = ln.Addr().String()
			srv := api.NewServer(h, s.log)
			done := make(chan struct{})
			go func() { srv.Serve(ln); close(done) }()
			defer func() {
				sctx, cancel := context.WithTimeout(context.Background(), s.opts.Grace)
				defer cancel()
				if srv.Shutdown(sctx) != nil {
					srv.Close()
				}
				<-done
			}()
		}
	}
	s.startErrs = startErrs

	fwd := netstack.New(fopts)
	if _, err := fwd.ListenMode(); err != nil {
		fwd.Close()
		return err
	}
	s.steered = fwd.SteersAddresses()
	var dnsSrv *dns.Server
	if !s.opts.DNS.Disabled {
		dnsSrv = dns.NewServer(dns.Options{Port: s.opts.DNS.Port, Addr: s.opts.DNS.Addr,
			Upstream: s.opts.DNS.Upstream, Logger: s.log})
	}

	if s.hostID != "" {
		// Which zones are impaired, before DNS first answers.
		if _, err := s.heartbeat(ctx); err != nil {
			fwd.Close()
			return err
		}
		if s.opts.Zones.Routes {
			s.routes = newRouteTable(s.log)
			defer func() {
				if err := s.routes.close(); err != nil {
					s.log.Error("removing routes", "err", err)
				}
			}()
			s.updateRoutes(ctx)
		}
	}
	// The change feed starts before the first snapshot is read: a commit
	// made between the two would otherwise wait for the next poll.
	var changes <-chan int64 // nil (never) without a feed
	if s.opts.Changes != nil {
		feedCtx, stopFeed := context.WithCancel(ctx)
		changes = s.opts.Changes(feedCtx)
		defer func() {
			stopFeed()
			// The feed's goroutine has ended when it closes; exit does not
			// wait on it for long (a feed stuck in a store call must not
			// hold serve after its drain).
			timeout := time.After(feedStopWait)
			for {
				select {
				case _, ok := <-changes:
					if ok {
						continue
					}
				case <-timeout:
					s.log.Warn("the store's change feed did not stop; exiting anyway", "waited", feedStopWait)
				}
				return
			}
		}()
	}
	rev, err := s.reload(ctx, fwd, dnsSrv, addrs, metricsAddr, true)
	if err != nil {
		fwd.Close()
		if dnsSrv != nil {
			dnsSrv.Close()
		}
		if ctx.Err() != nil {
			// Stopped (a signal) while starting: not a failure.
			s.log.Info("stopped before the first apply")
			return nil
		}
		return err
	}
	// Retry the connection notifications the CLI could not deliver
	// (notifier.go).
	stopNotifier := s.startNotifier(ctx)
	defer stopNotifier()
	ticker := time.NewTicker(s.opts.PollInterval)
	defer ticker.Stop()
	var beat <-chan time.Time
	if s.hostID != "" {
		t := time.NewTicker(s.opts.Zones.Heartbeat)
		defer t.Stop()
		beat = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return s.shutdown(fwd, dnsSrv)
		case <-reload:
			s.log.Info("reloading on signal")
			s.last = nil // in full
			if r, err := s.reload(ctx, fwd, dnsSrv, addrs, metricsAddr, false); err == nil {
				rev = r
			}
		case <-s.healthKick:
			s.flushHealth(ctx)
		case <-beat:
			changed, err := s.heartbeat(ctx)
			if err != nil {
				s.log.Error("another live serve claimed this host's zones: stopping", "err", err)
				s.shutdown(fwd, dnsSrv)
				return err
			}
			s.updateRoutes(ctx)
			if changed {
				if r, err := s.reload(ctx, fwd, dnsSrv, addrs, metricsAddr, false); err == nil {
					rev = r
				}
			}
		case cur, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			if cur == rev {
				continue
			}
			if r, err := s.reload(ctx, fwd, dnsSrv, addrs, metricsAddr, false); err == nil {
				rev = r
			}
		case <-ticker.C:
			s.flushHealth(ctx)
			cur, err := s.opts.Source.Revision(ctx)
			if ctx.Err() != nil {
				continue
			}
			s.storeReachable(err)
			if err != nil {
				s.errs.Warn("reading the store revision", "err", err)
				continue
			}
			if cur == rev {
				continue
			}
			if r, err := s.reload(ctx, fwd, dnsSrv, addrs, metricsAddr, false); err == nil {
				rev = r
			}
		}
	}
}

// storeReachable records whether the last read of the store worked (err
// nil) in the plink_serve_store_up metric, and logs the moments it stops
// and starts working. Serve keeps forwarding and answering DNS from the
// last snapshot meanwhile; once the store is back the next poll sees any
// change made while it was away.
func (s *Server) storeReachable(err error) {
	switch {
	case err != nil && s.storeDown == nil:
		s.log.Error("the store cannot be read: serving the last snapshot until it can", "store", s.opts.Store.Path, "err", err)
		s.health.storeUp.Set(0)
	case err == nil && s.storeDown != nil:
		s.log.Info("the store can be read again", "store", s.opts.Store.Path)
		s.health.storeUp.Set(1)
	}
	s.storeDown = err
}

// reload loads a snapshot and applies it everywhere: DNS first (it needs
// few descriptors and names every endpoint even when the listeners cannot
// all be bound), then the forwarder with as many endpoints as the open
// file limit has room for, then the ready file. Errors of the apply are
// logged, counted in the health metrics and written to the ready file; a
// failure to load is returned, and so is, on the first apply (start), a
// state that the file limit cannot hold.
func (s *Server) reload(ctx context.Context, fwd *netstack.Forwarder, dnsSrv *dns.Server,
	addrs *netstack.LocalAddrs, metricsAddr string, first bool) (int64, error) {
	start := time.Now()
	snap, err := s.load(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.errs.Error("loading a snapshot of the store", "err", err)
		}
		return 0, fmt.Errorf("loading a snapshot of the store: %w", err)
	}
	// strict: this is the start and any listener that cannot be bound
	// stops serve, so the errors are returned, not logged.
	strict := first && !s.opts.KeepGoing
	if first {
		s.logContents(snap)
	}
	errs := append([]string(nil), s.startErrs...)
	if first && !strict {
		for _, msg := range s.startErrs {
			s.errs.Error("cannot listen", "err", msg)
		}
	}
	if s.opts.Zones.zoned() {
		if sn, err := s.opts.Zones.Registry.ZoneSubnets(ctx); err == nil {
			s.subnets = sn
		} else {
			s.errs.Warn("reading the subnets' zones", "err", err)
		}
	}
	dsnap := s.dnsView(snap, s.subnets)
	var dnsAddrs []string
	var dnsErrs []error
	dnsDone := func() {}
	if dnsSrv != nil {
		if addrs != nil && s.opts.DNS.Port > 0 {
			s.ensureResolvers(dsnap, addrs)
		}
		apply := func() {
			dnsErrs = dnsSrv.Apply(dsnap)
			dnsAddrs = dnsSrv.Addrs()
		}
		if first {
			apply()
		} else {
			// Once serving, DNS builds its zones while the forwarder
			// applies: a change is live when both are done.
			done := make(chan struct{})
			go func() { defer close(done); apply() }()
			var once sync.Once
			dnsDone = func() { once.Do(func() { <-done }) }
			defer dnsDone()
		}
	}
	// dnsApplied adds the DNS errors to errs, once DNS is done.
	dnsApplied := func() {
		dnsDone()
		for _, e := range dnsErrs {
			msg := e.Error() // internal/dns names the remedy
			if !strict {
				s.errs.Error("DNS", "err", msg)
			}
			errs = append(errs, msg)
		}
	}
	if first {
		dnsApplied()
		s.budget = listenerBudget(s.limit, openFDs())
	}
	view := s.zoneView(snap)
	fsnap, unserved, wanted := fitListeners(view, s.budget, nil, s.steered)
	if len(unserved) > 0 {
		// Over the budget: the endpoints served now keep their listeners.
		served := map[string]bool{}
		for _, l := range fwd.Listeners() {
			if l.Endpoint != "" {
				served[l.Endpoint] = true
			}
		}
		fsnap, unserved, wanted = fitListeners(view, s.budget, served, s.steered)
	}
	var unservedMsg string
	if len(unserved) > 0 {
		if first {
			return 0, fdBudgetError(wanted, s.limit, s.budget, unserved, "serve does not start")
		}
		unservedMsg = fdBudgetError(wanted, s.limit, s.budget, unserved, "they are not served, the rest is").Error()
	}
	res := fwd.Apply(fsnap)
	if !first {
		dnsApplied()
	}
	if unservedMsg != "" {
		s.errs.Error(unservedMsg)
		errs = append(errs, unservedMsg)
	}
	exhausted := 0
	for _, e := range res.Errors {
		if errors.Is(e, netstack.ErrFDLimit) {
			exhausted++
		}
		if !strict {
			s.errs.Error("cannot listen", "kind", e.Kind, "endpoint", e.Endpoint, "load_balancer", e.LoadBalancer,
				"address", e.Address, "err", e.Err, "remedy", e.Remedy)
		}
		errs = append(errs, e.Error())
	}
	if exhausted > 0 {
		msg := fmt.Sprintf("out of file descriptors: %d listeners could not be bound; open file limit %s: "+
			"raise the limit (ulimit -n; LimitNOFILE= in a systemd unit) or serve fewer endpoints", exhausted, s.limit)
		if first {
			return 0, errors.New(msg)
		}
		s.errs.Error(msg)
		errs = append(errs, msg)
	}
	if strict && len(errs) > 0 {
		return 0, &StartError{Errors: errs}
	}
	s.health.set(len(errs) == 0, len(unserved), exhausted)
	if first {
		s.logServing(res.Listeners, dnsAddrs, metricsAddr, len(errs))
	}
	s.logEndpointStates(snap)
	s.log.Info("applied snapshot", "revision", snap.Revision, "listeners", len(res.Listeners),
		"errors", len(errs), "took", time.Since(start))
	info := ReadyInfo{PID: os.Getpid(), Revision: snap.Revision, Listeners: res.Listeners,
		DNS: nonNil(dnsAddrs), Metrics: metricsAddr, API: s.apiAddr, Unserved: unserved, Errors: nonNil(errs)}
	if s.ready != nil {
		if err := s.ready.Write(info); err != nil {
			s.errs.Error("writing the ready file", "err", err)
		}
	}
	if first && s.opts.OnServing != nil {
		s.opts.OnServing(info)
	}
	return snap.Revision, nil
}

// load reads the store's snapshot: incrementally from the last one when
// the source can.
func (s *Server) load(ctx context.Context) (*snapshot.Snapshot, error) {
	var snap *snapshot.Snapshot
	var err error
	if inc, ok := s.opts.Source.(IncrementalSource); ok && s.last != nil {
		snap, err = inc.SnapshotSince(ctx, s.last)
	} else {
		snap, err = s.opts.Source.Snapshot(ctx)
	}
	if err != nil {
		s.last = nil
		return nil, err
	}
	s.last = snap
	return snap, nil
}

// fdBudgetError explains that the listeners do not fit in the open file
// limit, and the remedy.
func fdBudgetError(wanted int, l fileLimit, budget int, unserved []string, outcome string) error {
	return fmt.Errorf("out of file descriptors: the store asks for %d listeners but the open file limit (%s) "+
		"leaves room for %d, with %d descriptors kept for connections; %d endpoints do not fit (%s): %s; "+
		"raise the limit (ulimit -n; LimitNOFILE= in a systemd unit) or serve fewer endpoints",
		wanted, l, budget, connReserve(l), len(unserved), abbreviate(unserved, 5), outcome)
}

// abbreviate joins the first n of ids and says how many more there are.
func abbreviate(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:n], ", "), len(ids)-n)
}

// ensureResolvers puts VPC resolver addresses outside 127/8 on lo so the
// DNS server can bind them.
func (s *Server) ensureResolvers(snap *snapshot.Snapshot, addrs *netstack.LocalAddrs) {
	var want []netip.Addr
	for _, v := range snap.VPCs {
		if v.Resolver.IsValid() && !v.Resolver.IsLoopback() {
			want = append(want, v.Resolver)
		}
	}
	if err := addrs.AddAll(want); err != nil {
		s.errs.Error("adding VPC resolver addresses on lo", "err", err)
	}
}

func (s *Server) shutdown(fwd *netstack.Forwarder, dnsSrv *dns.Server) error {
	s.log.Info("shutting down: draining connections", "grace", s.opts.Grace)
	if dnsSrv != nil {
		if err := dnsSrv.Close(); err != nil {
			s.log.Warn("closing DNS", "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Grace)
	defer cancel()
	go func() {
		select {
		case <-s.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	var aborted bool
	if err := fwd.Shutdown(ctx); err != nil {
		select {
		case <-s.abort:
			aborted = true
			s.log.Warn("stopped at once: open connections closed")
		default:
			s.log.Warn("grace period over: open connections closed", "grace", s.opts.Grace)
		}
	}
	if !aborted {
		// Last health changes, best effort.
		fctx, fcancel := context.WithTimeout(context.Background(), time.Second)
		s.flushHealth(fctx)
		fcancel()
	}
	s.log.Info("stopped")
	if aborted {
		return ErrAborted
	}
	return nil
}

// queueHealth is the forwarder's OnHealth: it only queues (latest per
// target wins); the run loop writes the queue to the store.
func (s *Server) queueHealth(rs []snapshot.HealthReport) {
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	for _, r := range rs {
		s.pending[healthKey{r.TargetGroupARN, netip.AddrPortFrom(r.IP, r.Port)}] = r
	}
	select {
	case s.healthKick <- struct{}{}:
	default: // a kick is pending already
	}
}

func (s *Server) flushHealth(ctx context.Context) {
	s.healthMu.Lock()
	if len(s.pending) == 0 {
		s.healthMu.Unlock()
		return
	}
	batch := make([]snapshot.HealthReport, 0, len(s.pending))
	for _, r := range s.pending {
		batch = append(batch, r)
	}
	clear(s.pending)
	s.healthMu.Unlock()
	sort.Slice(batch, func(i, j int) bool {
		if batch[i].TargetGroupARN != batch[j].TargetGroupARN {
			return batch[i].TargetGroupARN < batch[j].TargetGroupARN
		}
		return batch[i].IP.Less(batch[j].IP) || (batch[i].IP == batch[j].IP && batch[i].Port < batch[j].Port)
	})
	if err := s.opts.Source.ReportHealth(ctx, batch); err != nil {
		s.errs.Warn("writing target health to the store", "err", err)
		// Put them back unless a newer report arrived meanwhile.
		s.healthMu.Lock()
		for _, r := range batch {
			k := healthKey{r.TargetGroupARN, netip.AddrPortFrom(r.IP, r.Port)}
			if _, ok := s.pending[k]; !ok {
				s.pending[k] = r
			}
		}
		s.healthMu.Unlock()
	}
}

// CheckReport is what `plink serve --check` prints.
type CheckReport struct {
	OK        bool                    `json:"ok"`
	Listeners []netstack.ListenerInfo `json:"listeners"`
	DNS       []string                `json:"dns"`
	Errors    []string                `json:"errors"`
}

// Check loads one snapshot and tries to bind every listener it asks for
// (and the DNS listeners unless disabled), releasing them at once. When
// the open file limit cannot hold every listener, it says so instead of
// binding the endpoints that do not fit.
func Check(ctx context.Context, opts Options) (*CheckReport, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	snap, err := opts.Source.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading a snapshot of the store: %w", err)
	}
	rep := &CheckReport{Listeners: []netstack.ListenerInfo{}, DNS: []string{}, Errors: []string{}}
	if !opts.DNS.Disabled {
		d := dns.NewServer(dns.Options{Port: opts.DNS.Port, Addr: opts.DNS.Addr, Upstream: opts.DNS.Upstream, Logger: warnOnly(opts.Logger)})
		for _, e := range d.Apply(snap) {
			rep.Errors = append(rep.Errors, e.Error())
		}
		rep.DNS = nonNil(d.Addrs())
		defer d.Close()
	}
	for _, l := range []struct{ what, addr string }{{"metrics", opts.MetricsAddr}, {"AWS API", opts.APIAddr}} {
		if l.addr == "" {
			continue
		}
		ln, err := ListenTCP(l.what, l.addr)
		if err != nil {
			rep.Errors = append(rep.Errors, err.Error())
			continue
		}
		ln.Close()
	}
	_, limit, _ := raiseFileLimit()
	budget := listenerBudget(limit, openFDs())
	steered := opts.ListenMode != netstack.ListenPerAddress && netstack.ProbeSKLookup() == nil
	fsnap, unserved, wanted := fitListeners(zoneView(opts.Zones, snap), budget, nil, steered)
	if len(unserved) > 0 {
		rep.Errors = append(rep.Errors, fdBudgetError(wanted, limit, budget, unserved, "serve would not start").Error())
	}
	var add func([]netip.Addr) error
	if opts.ManageAddresses {
		addrs := netstack.NewLocalAddrs(opts.Logger)
		defer addrs.Close()
		add = addrs.AddAll
	}
	res := netstack.Check(fsnap, add)
	if res.Listeners != nil {
		rep.Listeners = res.Listeners
	}
	for _, e := range res.Errors {
		rep.Errors = append(rep.Errors, e.Error())
	}
	rep.OK = len(rep.Errors) == 0
	return rep, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// warnOnly is log without its info and debug lines: Check binds the DNS
// listeners and releases them at once, and the DNS server's "dns:
// listening" lines would read as serving.
func warnOnly(log *slog.Logger) *slog.Logger {
	return slog.New(minLevel{Handler: log.Handler(), min: slog.LevelWarn})
}

// minLevel is a handler that drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
