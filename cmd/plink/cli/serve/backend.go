package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/serve"
)

// BackendOptions are the flags of `plink backend`.
type BackendOptions struct {
	Listen    string
	Name      string
	ReadyFile string
	LogFormat string
	LogLevel  string
}

// NewCmdBackend builds `plink backend`.
func NewCmdBackend(f *cmdutil.Factory) *cobra.Command {
	return newCmdBackend(f, runBackend)
}

func newCmdBackend(f *cmdutil.Factory, runF func(context.Context, *cmdutil.Factory, *BackendOptions) error) *cobra.Command {
	opts := &BackendOptions{}
	cmd := &cobra.Command{
		Use:   "backend --listen ADDR [--name NAME]",
		Short: "Run a test target that answers with what it received (PROXY header included)",
		Long: `Run a small HTTP server to register as a target. It accepts an optional PROXY
protocol header (v1 or v2) and answers every request, health checks included,
with JSON: {"backend", "peer" (the TCP peer, i.e. the load balancer node),
"proxy" (null, or version, command, source, destination and vpce_id from the
PROXY v2 header), "method", "path", "host"}. Bare TCP connections (TCP health
checks) are accepted too. Use --listen 127.0.0.1:0 and --ready-file to learn
the port. --listen takes an IP address and a port (0: any free port).
--ready-file writes only a file plink creates (as plink serve does: the path
must not exist, or hold an empty file or a stale ready file) and removes only
that on exit. SIGINT/SIGTERM stop it within 5 s; a second one at once (exit 255; 130 for SIGINT).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Listen == "" {
				return &cmdutil.UsageError{Err: errors.New("--listen is required")}
			}
			if _, err := parseLevel(opts.LogLevel); err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			if err := checkAddrPort("listen", opts.Listen, true, true); err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			return runF(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", "", "`host:port` to listen on")
	fl.StringVar(&opts.Name, "name", "", "name to answer with (default: the listen address)")
	fl.StringVar(&opts.ReadyFile, "ready-file", "", `write {"pid","address"} as JSON to `+"`PATH`"+` once listening`)
	fl.StringVar(&opts.LogFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

func runBackend(ctx context.Context, f *cmdutil.Factory, opts *BackendOptions) error {
	level, _ := parseLevel(opts.LogLevel)
	log := f.Logger(opts.LogFormat, level)
	var ready *serve.ReadyFile
	if opts.ReadyFile != "" {
		var err error
		if ready, err = serve.ClaimReadyFile(opts.ReadyFile); err != nil {
			return err
		}
	}
	ln, err := serve.ListenTCP("backend", opts.Listen)
	if err != nil {
		return err
	}
	name := opts.Name
	if name == "" {
		name = ln.Addr().String()
	}
	b := serve.NewBackend(name, log)
	log.Info("backend listening", "address", ln.Addr().String(), "name", name)
	if ready != nil {
		if err := ready.Write(map[string]any{"pid": os.Getpid(), "address": ln.Addr().String()}); err != nil {
			ln.Close()
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
	errc := make(chan error, 1)
	go func() { errc <- b.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-sigs:
	case <-ctx.Done():
		// When a signal ended ctx, its copy reaches sigs too, maybe a
		// moment later (os/signal sends to each channel in turn): it is
		// the first signal, not the second, so wait for it. A ctx ended
		// without a signal costs that wait once.
		select {
		case <-sigs:
		case <-time.After(time.Second):
		}
	}
	log.Info("shutting down; a second signal stops at once")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var second error
	go func() {
		select {
		case <-sigs:
			log.Warn("second signal: exiting now")
			second = errSecondSignal
			cancel()
		case <-sctx.Done():
		}
	}()
	b.Shutdown(sctx)
	b.Close()
	<-errc
	if sctx.Err() == context.Canceled && second != nil {
		return second
	}
	return nil
}

var errSecondSignal = errors.New("second signal: stopped at once, open connections closed")
