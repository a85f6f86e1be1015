// Package serve holds the data plane commands: `plink serve`, which makes
// the store real (listeners, health checks, DNS), and `plink backend`, a
// built-in target that shows what targets receive.
package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/netstack"
	"github.com/plink-dev/plink/internal/serve"
)

// ServeOptions are the flags of `plink serve`.
type ServeOptions struct {
	ReadyFile   string
	Grace       time.Duration
	LogFormat   string
	LogLevel    string
	MetricsAddr string
	Check       bool
	DNSPort     int
	DNSAddr     string
	DNSUpstream string
	NoDNS       bool
	Engine      string
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

Addresses in 127.0.0.0/8 need no privileges. IPv6 addresses and IPv4 outside
127/8 must be local: as root, serve adds them on lo (and removes them on
exit); otherwise it logs which it cannot bind and serves the rest.

DNS listens on port 53 of every VPC resolver address (VPC base + 2), which
needs root or 'setcap cap_net_bind_service=+ep $(which plink)'; use
--dns-port 5300 otherwise.`,
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
			return runF(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.ReadyFile, "ready-file", "", "write the bound addresses as JSON to `PATH` after each apply")
	fl.DurationVar(&opts.Grace, "grace", serve.DefaultGrace, "how long open connections may finish on shutdown")
	fl.StringVar(&opts.LogFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on `host:port` at /metrics")
	fl.StringVar(&opts.Engine, "engine", "", "how bytes move: epoll (event loops; the Linux default) or goroutines (two per connection; elsewhere)")
	fl.BoolVar(&opts.Check, "check", false, "only check that every listener can be bound; print JSON, exit 1 if not")
	fl.IntVar(&opts.DNSPort, "dns-port", 53, "DNS port on every VPC resolver address (0: none)")
	fl.StringVar(&opts.DNSAddr, "dns-addr", "", "an extra DNS listener on `host:port`")
	fl.StringVar(&opts.DNSUpstream, "dns-upstream", "", "forward other names to this resolver `host:port`")
	fl.BoolVar(&opts.NoDNS, "no-dns", false, "do not run the DNS server")
	return cmd
}

func runServe(ctx context.Context, f *cmdutil.Factory, opts *ServeOptions) error {
	level, _ := parseLevel(opts.LogLevel)
	log := f.Logger(opts.LogFormat, level)
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	sopts := serve.Options{
		Source:          st,
		Logger:          log,
		Grace:           opts.Grace,
		ReadyFile:       opts.ReadyFile,
		MetricsAddr:     opts.MetricsAddr,
		Engine:          opts.Engine,
		DNS:             serve.DNSOptions{Disabled: opts.NoDNS, Port: opts.DNSPort, Addr: opts.DNSAddr, Upstream: opts.DNSUpstream},
		ManageAddresses: os.Geteuid() == 0,
	}
	if opts.Check {
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
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return serve.New(sopts).Run(ctx, hup)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToLower(s))); err != nil {
		return 0, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}
