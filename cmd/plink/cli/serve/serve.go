// Package serve holds the data plane commands: `plink serve`, which makes
// the store real (listeners, health checks, DNS), and `plink backend`, a
// built-in target that shows what targets receive.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/config"
	"github.com/plink-dev/plink/internal/netstack"
	"github.com/plink-dev/plink/internal/serve"
	"github.com/plink-dev/plink/internal/store"
)

// ServeOptions are the flags of `plink serve`.
type ServeOptions struct {
	ReadyFile   string
	Grace       time.Duration
	LogFormat   string
	LogLevel    string
	MetricsAddr string
	APIAddr     string
	// AllowAnonymous serves unsigned API requests as the configured account.
	AllowAnonymous bool
	Check          bool
	DNSPort        int
	DNSAddr        string
	DNSUpstream    string
	NoDNS          bool
	Engine         string
	ListenMode     string
	KeepGoing      bool
	// Several hosts (see zones.go).
	Zones       []string
	ZoneTimeout time.Duration
	Interface   string
	HostAddr    string
	HostName    string
	PrintRoutes bool
}

// NewCmdServe builds `plink serve`.
func NewCmdServe(f *cmdutil.Factory) *cobra.Command {
	return newCmdServe(f, runServe)
}

func newCmdServe(f *cmdutil.Factory, runF func(context.Context, *cmdutil.Factory, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the data plane: listeners on every endpoint address, health checks, DNS",
		Long: `Run the data plane in the foreground: a TCP listener on every address of every
available endpoint (and of every load balancer node) for each listener port,
forwarding to the targets as a Network Load Balancer does (zone-local flow
hash over healthy targets, PROXY protocol v2, security groups), active health
checks written back to the store, and a DNS server for the endpoint names.
Changes in the store are live within a fraction of a second; SIGHUP reloads
at once; SIGINT/SIGTERM stop accepting, drain connections for --grace, exit 0.
A second SIGINT/SIGTERM during the drain stops at once ("second signal:
exiting now"): open connections are closed and serve exits 255 (130 when
the signal is SIGINT). A SIGTERM repeated within a second is the first one
again (timeout(1) signals both serve and its process group), not a second.

One serve per store: serve holds an exclusive lock on "<store>.serve.lock"
(with its PID inside) while it runs; a second serve on the same store
exits 255 naming the first one's PID. The kernel drops the lock when serve
dies, even by kill -9. Where the lock file cannot be made (a read-only
directory), serve warns and runs without it.

--ready-file writes only a file plink creates: the path must not exist, or
hold an empty file (as mktemp makes) or a stale ready file (JSON with the
"pid" of a process that is gone, as a serve killed with kill -9 leaves). A
directory, device, symlink, any other file, or the ready file of a running
process is refused at start. On exit serve removes the file only if the
path still holds the one it wrote.

Every listener is a file descriptor: serve raises its soft open file limit
to the hard limit at start. When the limit cannot hold every listener with
a reserve for connections, serve refuses to start (exit 255, naming the limit;
raise it with ulimit -n or serve fewer endpoints); when a later change
outgrows it, serve keeps serving what fits and reports the endpoints left
out in the ready file's errors and in the plink_serve_healthy and
plink_serve_unserved_endpoints metrics. DNS is bound first either way.

An error that keeps recurring (a store on a full disk fails every poll) is
logged when it first happens, then at most every 30 s with the number of
repeats suppressed meanwhile (suppressed_repeats).

Addresses in 127.0.0.0/8 need no privileges. IPv6 addresses and IPv4 outside
127/8 must be local: as root, serve adds them on lo (and removes them on
exit); otherwise it cannot bind them and exits 255 naming them
(--keep-going serves the rest). The
addresses it adds are recorded in "<store>.serve.addrs" before they are
added, so the next serve on the store removes those a killed serve left.

DNS listens on port 53 of every VPC resolver address (VPC base + 2), which
needs root or 'setcap cap_net_bind_service=+ep $(which plink)'; use
--dns-port 5300 otherwise.

The first lines serve logs say what it serves: the store's path (and
whether it was just created), what the store holds (VPCs, endpoint
services, endpoints available and pending, load balancers, targets) and
every address it listens on (endpoint and load balancer listeners, DNS,
API, metrics). An empty store is called out: serve another with --db or
PLINK_DB. Endpoints that are not available (pendingAcceptance, rejected ...)
get no listeners, so the kernel refuses connections to them; serve logs
each such endpoint when its state changes, with what to do. A connection
the data plane refuses (the endpoint's security groups, no target) or
sends to an unhealthy target for want of a healthy one is logged at info,
naming the endpoint, the client and the reason: at most one line per
endpoint and reason every 10 s, suppressed_since_last counting the rest.

Serve fails loudly: when any listener (endpoint, load balancer node, DNS,
API or metrics) cannot be bound at start, it serves nothing and exits 255,
naming each address, its port and who holds it ("held by pid 4242 (plink)").
--keep-going serves what can be bound instead and logs the rest. Once
serve runs, a later change that cannot be bound is logged and the rest
served. --check binds nothing for long: it tries every listener, prints
the same errors as JSON and exits 255 if any fails. 'plink doctor' lists
what on this machine would stop serve.

Several hosts: with --zones us-east-1a[,us-east-1b] serve carries only
those zones' endpoint network interfaces and load balancer nodes, as one
host of several sharing one store (a PostgreSQL --db, or an SQLite file
every host reaches). It registers in the store's hosts table (plink get
hosts) and heartbeats every second; a zone whose serve misses heartbeats
for --zone-timeout is impaired (describe-availability-zones), and every
other serve's DNS leaves its addresses out of regional names until it
returns. The hosts table is the lock: a zone claimed by a live serve is
refused at start (exit 255 naming its host and PID); a failed serve's
claim is taken over. Addresses outside 127/8 go on --interface (as
root) and other hosts reach them through --host-addr (default: the
interface's first address): as root, serve installs a route to every
subnet of the other hosts' zones via their host address (ip route
replace) and removes them on exit; --print-routes prints those commands
and exits, for the operator or a client host (without --zones: the
routes to every zone).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := parseLevel(opts.LogLevel); err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			if opts.LogFormat != "text" && opts.LogFormat != "json" {
				return &cmdutil.UsageError{Err: fmt.Errorf("--log-format must be text or json, not %q", opts.LogFormat)}
			}
			if opts.Engine != "" && opts.Engine != netstack.EngineEpoll && opts.Engine != netstack.EngineGoroutines {
				return &cmdutil.UsageError{Err: fmt.Errorf("--engine must be %s or %s, not %q", netstack.EngineEpoll, netstack.EngineGoroutines, opts.Engine)}
			}
			if opts.ListenMode != "" && !slices.Contains(netstack.ListenModes, opts.ListenMode) {
				return &cmdutil.UsageError{Err: fmt.Errorf("--listen-mode must be %s, not %q", strings.Join(netstack.ListenModes, ", "), opts.ListenMode)}
			}
			if err := opts.check(); err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			return runF(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.ReadyFile, "ready-file", "", "write the bound addresses as JSON to `PATH` after each apply (see above for what may already be there)")
	fl.DurationVar(&opts.Grace, "grace", serve.DefaultGrace, "how long open connections may finish on shutdown")
	fl.StringVar(&opts.LogFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on `host:port` at /metrics")
	fl.StringVar(&opts.Engine, "engine", "", "how bytes move: epoll (event loops; the Linux default) or goroutines (two per connection; elsewhere)")
	fl.StringVar(&opts.ListenMode, "listen-mode", os.Getenv("PLINK_LISTEN_MODE"), "how endpoint and node addresses are listened on: auto (the default: sk-lookup where the kernel and privileges allow, else per-address), "+
		"sk-lookup (an eBPF program steers every address of a port to one socket: a descriptor per port; Linux 5.9+, root or CAP_BPF+CAP_NET_ADMIN) "+
		"or per-address (a socket per address and port) (env PLINK_LISTEN_MODE)")
	fl.StringVar(&opts.APIAddr, "api-addr", "", "also serve the AWS API (EC2, ELBv2, STS; see plink api) on `host:port`, e.g. 127.0.0.1:4566 (a bare port: loopback)")
	fl.BoolVar(&opts.AllowAnonymous, "allow-anonymous", false, "with --api-addr: serve unsigned API requests as the configured account")
	fl.BoolVar(&opts.Check, "check", false, "only check that every listener can be bound; print JSON, exit 255 if not")
	fl.IntVar(&opts.DNSPort, "dns-port", 53, "DNS port on every VPC resolver address (0: none)")
	fl.StringVar(&opts.DNSAddr, "dns-addr", "", "an extra DNS listener on `host:port`")
	fl.StringVar(&opts.DNSUpstream, "dns-upstream", "", "forward other names to this resolver `host:port`")
	fl.BoolVar(&opts.NoDNS, "no-dns", false, "do not run the DNS server")
	fl.BoolVar(&opts.KeepGoing, "keep-going", false, "when some listeners cannot be bound at start, serve the rest (default: exit 255 naming them)")
	fl.StringSliceVar(&opts.Zones, "zones", nil, "serve only these zones (`us-east-1a,...`), as one host of several sharing the store")
	fl.DurationVar(&opts.ZoneTimeout, "zone-timeout", serve.DefaultZoneTimeout, "with --zones: a zone whose serve misses heartbeats this long is impaired")
	fl.StringVar(&opts.Interface, "interface", "", "with --zones, as root: put the zones' addresses on this `device` instead of lo")
	fl.StringVar(&opts.HostAddr, "host-addr", "", "with --zones: the `address` other hosts route this host's subnets via (default: --interface's first address)")
	fl.StringVar(&opts.HostName, "host-name", "", "with --zones: the `name` plink get hosts shows (default: the host name)")
	fl.BoolVar(&opts.PrintRoutes, "print-routes", false, "print the ip route commands that reach the zones of the other hosts, and exit")
	return cmd
}

// check validates the port and address flags.
func (o *ServeOptions) check() error {
	if err := checkZones(o); err != nil {
		return err
	}
	if o.Grace < 0 {
		return fmt.Errorf("--grace must not be negative, not %v", o.Grace)
	}
	if err := checkPort("dns-port", o.DNSPort, true); err != nil {
		return err
	}
	if o.DNSAddr != "" {
		if err := checkAddrPort("dns-addr", o.DNSAddr, true, false); err != nil {
			return err
		}
	}
	if o.DNSUpstream != "" {
		if err := checkAddrPort("dns-upstream", o.DNSUpstream, false, false); err != nil {
			return err
		}
	}
	if o.APIAddr != "" {
		o.APIAddr = apiAddr(o.APIAddr)
		if err := checkAddrPort("api-addr", o.APIAddr, true, true); err != nil {
			return err
		}
	}
	if o.MetricsAddr != "" {
		if err := checkAddrPort("metrics-addr", o.MetricsAddr, true, true); err != nil {
			return err
		}
	}
	return nil
}

func runServe(ctx context.Context, f *cmdutil.Factory, opts *ServeOptions) error {
	if opts.PrintRoutes {
		return printRoutes(ctx, f, opts)
	}
	level, _ := parseLevel(opts.LogLevel)
	log := f.Logger(opts.LogFormat, level)
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	// Whether the store exists before it is opened (opening creates it):
	// a new empty store is the usual sign of a missing --db or PLINK_DB.
	_, statErr := os.Stat(cfg.DB)
	storeState := "existing"
	switch {
	case store.IsPostgres(cfg.DB):
		storeState = "a PostgreSQL database"
	case errors.Is(statErr, fs.ErrNotExist):
		storeState = "just created (empty)"
	}
	// The store first: opening it makes its directory, where the lock
	// file goes.
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	// serve locks its store's file, and as root records beside it the
	// addresses it puts on lo (a PostgreSQL store has local files of its
	// own for this).
	stateDir := filepath.Dir(config.DefaultDBPath())
	local := serve.LocalStorePath(cfg.DB, stateDir)
	if local != cfg.DB {
		if err := os.MkdirAll(stateDir, 0o700); err != nil {
			return fmt.Errorf("serve's state directory: %w", err)
		}
	}
	// With --zones the store's hosts table is the lock: it reaches every
	// host, which a lock file does not. A serve of every zone on this
	// machine still shows in the lock file.
	if len(opts.Zones) > 0 && !opts.Check {
		if holder, held, _ := serve.LockHolder(local); held {
			return fmt.Errorf("store %s is served by a plink serve of every zone (%s): stop it, "+
				"or give it --zones too", st.Path(), holder)
		}
	}
	if len(opts.Zones) == 0 && !opts.Check {
		lock, err := serve.LockStore(local)
		var held *serve.LockHeldError
		switch {
		case errors.As(err, &held):
			return err
		case err != nil:
			// A store on a read-only file system, say: serve anyway.
			log.Warn("cannot take the serve lock: a second serve on this store would not be detected", "err", err)
		default:
			defer lock.Close()
		}
	}
	sopts := serve.Options{
		Source:          st,
		Logger:          log,
		Grace:           opts.Grace,
		ReadyFile:       opts.ReadyFile,
		MetricsAddr:     opts.MetricsAddr,
		APIAddr:         opts.APIAddr,
		Engine:          opts.Engine,
		ListenMode:      opts.ListenMode,
		DNS:             serve.DNSOptions{Disabled: opts.NoDNS, Port: opts.DNSPort, Addr: opts.DNSAddr, Upstream: opts.DNSUpstream},
		ManageAddresses: os.Geteuid() == 0,
		AddrStateFile:   addrStatePath(local, opts.Zones),
		Zones:           zoneOptions(st, opts),
		KeepGoing:       opts.KeepGoing,
		Store:           serve.StoreInfo{Path: st.Path(), State: storeState},
	}
	// A commit arrives through the store's change feed (inotify on the
	// SQLite file; LISTEN on PostgreSQL, where another host's commit
	// arrives as a notification): the poll is only the safety net and the
	// store-down detector, so an idle serve does no busy work.
	poll := feedPoll
	if st.IsPostgres() {
		poll = pgPoll
	}
	sopts.Changes = func(ctx context.Context) <-chan int64 { return st.Changes(ctx, poll) }
	sopts.PollInterval = poll
	if opts.APIAddr != "" {
		sopts.API = func(reg prometheus.Registerer) (http.Handler, error) {
			return apiHandler(ctx, f, opts.AllowAnonymous, log, reg)
		}
	}
	if opts.Check {
		// The serve of this store holds its listeners: every one would
		// look taken. Say so rather than let the report alone mislead.
		if holder, held, _ := serve.LockHolder(local); held {
			fmt.Fprintf(f.IO.ErrOut, "note: a plink serve (%s) serves store %s: the listeners it holds show as in use\n", holder, st.Path())
		}
		rep, err := serve.Check(ctx, sopts)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
		if !rep.OK {
			return cmdutil.ErrSilent
		}
		return nil
	}
	return serve.New(sopts).RunUntilSignal(ctx)
}

// feedPoll is how often serve reads the store's revision besides its
// change feed: the safety net should a notification be lost.
const feedPoll = time.Second

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToLower(s))); err != nil {
		return 0, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}

// pgPoll is how often serve reads the revision of a PostgreSQL store
// besides listening for its notifications.
const pgPoll = 500 * time.Millisecond
