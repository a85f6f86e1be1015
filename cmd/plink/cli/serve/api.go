package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/api"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/dns"
	"github.com/plink-dev/plink/internal/serve"
)

// APIOptions are the flags of `plink api`.
type APIOptions struct {
	Addr           string
	ReadyFile      string
	AllowAnonymous bool
	LogFormat      string
	LogLevel       string
	MetricsAddr    string
}

// NewCmdAPI builds `plink api`.
func NewCmdAPI(f *cmdutil.Factory) *cobra.Command {
	opts := &APIOptions{}
	cmd := &cobra.Command{
		Use:   "api --addr ADDR",
		Short: "Serve the AWS API (EC2, ELBv2, STS query protocols) alone, for the AWS CLI and SDKs",
		Long: `Serve AWS's wire protocols over HTTP on --addr: EC2's query protocol
(Version 2016-11-15), ELBv2's (2015-12-01) and STS GetCallerIdentity
(2011-06-15), for every action plink has. Point a client at it with
--endpoint-url http://ADDR (or AWS_ENDPOINT_URL).

The caller is the SigV4 credential's access key ID: 12 digits is that
account's root; other keys come from the config file's credentials section
(access key -> account, principal, optional secret; with a secret the
signature is verified). The region is the credential scope's. An unsigned
request is refused (MissingAuthenticationToken) unless --allow-anonymous,
which serves it as the configured account and region.

--ready-file writes {"pid","api"} as JSON once listening (same rules as
plink serve: the path must not exist, or hold an empty or stale ready
file). SIGINT/SIGTERM stop it after the requests in flight (at most 10 s).
plink serve --api-addr serves the same API next to the data plane.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Addr == "" {
				return &cmdutil.UsageError{Err: errors.New("--addr is required")}
			}
			if _, err := parseLevel(opts.LogLevel); err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			if opts.LogFormat != "text" && opts.LogFormat != "json" {
				return &cmdutil.UsageError{Err: fmt.Errorf("--log-format must be text or json, not %q", opts.LogFormat)}
			}
			opts.Addr = apiAddr(opts.Addr)
			if err := checkAddrPort("addr", opts.Addr, true, true); err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			if opts.MetricsAddr != "" {
				if err := checkAddrPort("metrics-addr", opts.MetricsAddr, true, true); err != nil {
					return &cmdutil.UsageError{Err: err}
				}
			}
			return runAPI(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "", "`host:port` to listen on (e.g. 127.0.0.1:4566; port 0: any free port)")
	fl.StringVar(&opts.ReadyFile, "ready-file", "", `write {"pid","api"} as JSON to `+"`PATH`"+` once listening`)
	fl.BoolVar(&opts.AllowAnonymous, "allow-anonymous", false, "serve unsigned requests as the configured account")
	fl.StringVar(&opts.LogFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on `host:port` at /metrics")
	return cmd
}

// apiServer is the API's HTTP server on its listener.
type apiServer struct {
	srv  *http.Server
	ln   net.Listener
	errc chan error
}

// apiHandler builds the API's handler over the configured store, its
// metrics on reg.
func apiHandler(ctx context.Context, f *cmdutil.Factory, allowAnon bool, log *slog.Logger, reg prometheus.Registerer) (http.Handler, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	anon := control.Caller{Account: cfg.Account, Principal: cfg.Principal, Region: cfg.Region}
	if allowAnon {
		if err := anon.Validate(); err != nil {
			return nil, err
		}
	}
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	creds := map[string]api.Credential{}
	for k, c := range cfg.Credentials {
		creds[k] = api.Credential{Account: c.Account, Principal: c.Principal, Secret: c.Secret}
	}
	resolver := cfg.Resolver
	lookup := dns.VerificationLookup(resolver)
	describe := func() string { return dns.DescribeResolver(resolver) }
	return api.New(api.Config{Store: st, Credentials: creds, AllowAnonymous: allowAnon,
		Anonymous: anon, DefaultRegion: cfg.Region, Logger: log, Registerer: reg,
		Options: []control.Option{control.WithTXTLookup(lookup), control.WithTXTResolver(describe), control.WithClock(f.Now), control.WithLogger(log)}})
}

// apiAddr is --api-addr/--addr with a bare port (":4566", "4566") on the
// loopback address.
func apiAddr(v string) string {
	if !strings.Contains(v, ":") {
		return "127.0.0.1:" + v
	}
	if strings.HasPrefix(v, ":") {
		return "127.0.0.1" + v
	}
	return v
}

// startAPI listens on addr and serves the API in the background.
func startAPI(ctx context.Context, f *cmdutil.Factory, addr string, allowAnon bool, log *slog.Logger, reg prometheus.Registerer) (*apiServer, error) {
	h, err := apiHandler(ctx, f, allowAnon, log, reg)
	if err != nil {
		return nil, err
	}
	ln, err := serve.ListenTCP("api", addr)
	if err != nil {
		return nil, err
	}
	s := &apiServer{srv: api.NewServer(h, log), ln: ln, errc: make(chan error, 1)}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.errc <- err
	}()
	log.Info("api listening", "address", ln.Addr().String(), "allow_anonymous", allowAnon)
	return s, nil
}

// Addr is the bound address.
func (s *apiServer) Addr() string { return s.ln.Addr().String() }

// Shutdown stops accepting and waits for the requests in flight until ctx
// ends, then closes what is left.
func (s *apiServer) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	<-s.errc
	return err
}

func runAPI(ctx context.Context, f *cmdutil.Factory, opts *APIOptions) error {
	level, _ := parseLevel(opts.LogLevel)
	log := f.Logger(opts.LogFormat, level)
	var ready *serve.ReadyFile
	if opts.ReadyFile != "" {
		var err error
		if ready, err = serve.ClaimReadyFile(opts.ReadyFile); err != nil {
			return err
		}
	}
	reg := prometheus.NewRegistry()
	s, err := startAPI(ctx, f, opts.Addr, opts.AllowAnonymous, log, reg)
	if err != nil {
		return err
	}
	var msrv *http.Server
	info := map[string]any{"pid": os.Getpid(), "api": s.Addr()}
	if opts.MetricsAddr != "" {
		mln, err := serve.ListenTCP("metrics", opts.MetricsAddr)
		if err != nil {
			s.Shutdown(context.Background())
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go msrv.Serve(mln)
		info["metrics"] = mln.Addr().String()
	}
	if ready != nil {
		if err := ready.Write(info); err != nil {
			s.Shutdown(context.Background())
			return fmt.Errorf("writing the ready file: %w", err)
		}
		defer func() {
			if err := ready.Remove(); err != nil {
				log.Error("removing the ready file", "err", err)
			}
		}()
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case err := <-s.errc:
		s.errc <- err
		if err != nil {
			return err
		}
	case <-sigs:
	case <-ctx.Done():
	}
	log.Info("api shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		select {
		case <-sigs:
			log.Warn("second signal: exiting now")
			cancel()
		case <-sctx.Done():
		}
	}()
	if msrv != nil {
		msrv.Close()
	}
	s.Shutdown(sctx)
	return nil
}
