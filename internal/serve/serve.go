// Package serve is the lifecycle of `plink serve`: it watches the store's
// revision, loads a snapshot when it moves (or on SIGHUP), applies it to the
// forwarder (internal/netstack) and the DNS server (internal/dns), writes
// target health back, writes the ready file, serves metrics, manages the
// addresses it has to put on lo, and drains connections on shutdown.
// It also holds the built-in test target of `plink backend`.
package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/plink-dev/plink/internal/dns"
	"github.com/plink-dev/plink/internal/netstack"
	"github.com/plink-dev/plink/internal/snapshot"
)

// Source is where serve reads the wanted state and writes health;
// *store.Store implements it.
type Source interface {
	// Revision is a cheap change counter, polled often.
	Revision(ctx context.Context) (int64, error)
	Snapshot(ctx context.Context) (*snapshot.Snapshot, error)
	ReportHealth(ctx context.Context, reports []snapshot.HealthReport) error
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
	// ReadyFile, when set, is (re)written after every apply and removed on
	// exit.
	ReadyFile string
	// MetricsAddr, when set, serves Prometheus metrics at /metrics.
	MetricsAddr string
	DNS         DNSOptions
	// ManageAddresses lets serve add missing addresses on lo (needs root).
	ManageAddresses bool
	// PollInterval is how often the revision is read (default 50 ms).
	PollInterval time.Duration
	// Engine is the data plane engine (netstack.Options.Engine).
	Engine string
	// Notifier retries connection notifications (notifier.go); nil: the
	// store's outbox when Source is a store.
	Notifier Outbox
}

// DefaultGrace is the default drain period on shutdown.
const DefaultGrace = 10 * time.Second

// Server runs the data plane until its context ends.
type Server struct {
	opts Options
	log  *slog.Logger

	healthMu sync.Mutex
	pending  map[healthKey]snapshot.HealthReport
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
	return &Server{opts: opts, log: opts.Logger, pending: map[healthKey]snapshot.HealthReport{}}
}

// ReadyInfo is the content of the ready file.
type ReadyInfo struct {
	PID       int                     `json:"pid"`
	Revision  int64                   `json:"revision"`
	Listeners []netstack.ListenerInfo `json:"listeners"`
	DNS       []string                `json:"dns"`
	Metrics   string                  `json:"metrics,omitempty"`
	Errors    []string                `json:"errors"`
}

// Run serves until ctx ends, then stops accepting, drains connections for
// up to Grace, closes the rest and returns nil. A value on reload forces a
// reload of the snapshot. It fails only when the first snapshot cannot be
// loaded or the metrics address cannot be bound.
func (s *Server) Run(ctx context.Context, reload <-chan os.Signal) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	var addrs *netstack.LocalAddrs
	fopts := netstack.Options{Logger: s.log, Registerer: reg, OnHealth: s.queueHealth, Engine: s.opts.Engine}
	if s.opts.ManageAddresses {
		addrs = netstack.NewLocalAddrs(s.log)
		fopts.AddAddresses = addrs.AddAll
		defer func() {
			if err := addrs.Close(); err != nil {
				s.log.Error("removing addresses from lo", "err", err)
			}
		}()
	}

	var metricsAddr string
	if s.opts.MetricsAddr != "" {
		ln, err := net.Listen("tcp", s.opts.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		metricsAddr = ln.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		s.log.Info("serving metrics", "address", metricsAddr)
	}

	fwd := netstack.New(fopts)
	var dnsSrv *dns.Server
	if !s.opts.DNS.Disabled {
		dnsSrv = dns.NewServer(dns.Options{Port: s.opts.DNS.Port, Addr: s.opts.DNS.Addr,
			Upstream: s.opts.DNS.Upstream, Logger: s.log})
	}

	rev, err := s.reload(ctx, fwd, dnsSrv, addrs, metricsAddr)
	if err != nil {
		fwd.Close()
		if dnsSrv != nil {
			dnsSrv.Close()
		}
		return err
	}
	// Retry the connection notifications the CLI could not deliver
	// (notifier.go).
	stopNotifier := s.startNotifier(ctx)
	defer stopNotifier()
	ticker := time.NewTicker(s.opts.PollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return s.shutdown(fwd, dnsSrv)
		case <-reload:
			s.log.Info("reloading on signal")
			if r, err := s.reload(ctx, fwd, dnsSrv, addrs, metricsAddr); err == nil {
				rev = r
			}
		case <-ticker.C:
			s.flushHealth(ctx)
			cur, err := s.opts.Source.Revision(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("reading the store revision", "err", err)
				}
				continue
			}
			if cur == rev {
				continue
			}
			if r, err := s.reload(ctx, fwd, dnsSrv, addrs, metricsAddr); err == nil {
				rev = r
			}
		}
	}
}

// reload loads a snapshot and applies it everywhere. Errors of the apply
// are logged and written to the ready file; only a failure to load is
// returned.
func (s *Server) reload(ctx context.Context, fwd *netstack.Forwarder, dnsSrv *dns.Server,
	addrs *netstack.LocalAddrs, metricsAddr string) (int64, error) {
	start := time.Now()
	snap, err := s.opts.Source.Snapshot(ctx)
	if err != nil {
		s.log.Error("loading a snapshot of the store", "err", err)
		return 0, fmt.Errorf("loading a snapshot of the store: %w", err)
	}
	res := fwd.Apply(snap)
	var errs []string
	for _, e := range res.Errors {
		s.log.Error("cannot listen", "kind", e.Kind, "endpoint", e.Endpoint, "load_balancer", e.LoadBalancer,
			"address", e.Address, "err", e.Err, "remedy", e.Remedy)
		errs = append(errs, e.Error())
	}
	var dnsAddrs []string
	if dnsSrv != nil {
		if addrs != nil && s.opts.DNS.Port > 0 {
			s.ensureResolvers(snap, addrs)
		}
		for _, e := range dnsSrv.Apply(snap) {
			msg := e.Error() // internal/dns names the remedy
			s.log.Error("DNS", "err", msg)
			errs = append(errs, msg)
		}
		dnsAddrs = dnsSrv.Addrs()
	}
	s.log.Info("applied snapshot", "revision", snap.Revision, "listeners", len(res.Listeners),
		"errors", len(errs), "took", time.Since(start))
	if s.opts.ReadyFile != "" {
		info := ReadyInfo{PID: os.Getpid(), Revision: snap.Revision, Listeners: res.Listeners,
			DNS: nonNil(dnsAddrs), Metrics: metricsAddr, Errors: nonNil(errs)}
		if err := writeJSONAtomic(s.opts.ReadyFile, info); err != nil {
			s.log.Error("writing the ready file", "path", s.opts.ReadyFile, "err", err)
		}
	}
	return snap.Revision, nil
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
		s.log.Error("adding VPC resolver addresses on lo", "err", err)
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
	if err := fwd.Shutdown(ctx); err != nil {
		s.log.Warn("grace period over: open connections closed", "grace", s.opts.Grace)
	}
	// Last health changes, best effort.
	fctx, fcancel := context.WithTimeout(context.Background(), time.Second)
	s.flushHealth(fctx)
	fcancel()
	if s.opts.ReadyFile != "" {
		os.Remove(s.opts.ReadyFile)
	}
	s.log.Info("stopped")
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
		s.log.Warn("writing target health to the store", "err", err)
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
// (and the DNS listeners unless disabled), releasing them at once.
func Check(ctx context.Context, opts Options) (*CheckReport, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	snap, err := opts.Source.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading a snapshot of the store: %w", err)
	}
	var add func([]netip.Addr) error
	if opts.ManageAddresses {
		addrs := netstack.NewLocalAddrs(opts.Logger)
		defer addrs.Close()
		add = addrs.AddAll
	}
	res := netstack.Check(snap, add)
	rep := &CheckReport{Listeners: res.Listeners, DNS: []string{}, Errors: []string{}}
	for _, e := range res.Errors {
		rep.Errors = append(rep.Errors, e.Error())
	}
	if !opts.DNS.Disabled {
		d := dns.NewServer(dns.Options{Port: opts.DNS.Port, Addr: opts.DNS.Addr, Upstream: opts.DNS.Upstream, Logger: opts.Logger})
		for _, e := range d.Apply(snap) {
			rep.Errors = append(rep.Errors, e.Error())
		}
		rep.DNS = nonNil(d.Addrs())
		d.Close()
	}
	rep.OK = len(rep.Errors) == 0
	return rep, nil
}

// writeJSONAtomic writes v as indented JSON to a temporary file next to
// path and renames it over path, so readers never see half a file.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
