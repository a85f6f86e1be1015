// Package cmdutil holds what every plink command shares: the lazy factory
// of dependencies (config, store, streams, logger, clock) and the error
// types that decide the exit code. `plink version` and `plink completion`
// never open the store because nothing asks the factory for it.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plink-dev/plink/internal/api"
	"github.com/plink-dev/plink/internal/config"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/iostreams"
	"github.com/plink-dev/plink/internal/store"
)

// Factory hands out dependencies on first use.
type Factory struct {
	IO    *iostreams.IOStreams
	Flags *pflag.FlagSet // the root command's persistent flags
	Now   func() time.Time

	cfgOnce sync.Once
	cfg     *config.Config
	cfgErr  error

	storeOnce sync.Once
	st        *store.Store
	stErr     error

	debugOnce sync.Once
	debug     *slog.Logger
}

// New returns a factory over the given streams.
func New(io *iostreams.IOStreams) *Factory {
	return &Factory{IO: io, Now: func() time.Time { return time.Now().UTC() }}
}

// Config loads the settings once. With --debug the resolved settings are
// logged (plink has no secrets: the account, principal and region are the
// whole identity) and the log level is debug.
func (f *Factory) Config() (*config.Config, error) {
	f.cfgOnce.Do(func() {
		if err := f.checkEndpointURL(); err != nil {
			f.cfgErr = err
			return
		}
		f.cfg, f.cfgErr = config.Load(f.Flags)
		if f.cfgErr != nil {
			f.cfgErr = &ConfigError{Err: f.cfgErr}
			return
		}
		if f.flagBool("debug") {
			f.cfg.LogLevel = slog.LevelDebug
		}
		f.Debug().Debug("config", "account", f.cfg.Account, "principal", f.cfg.Principal,
			"region", f.cfg.Region, "profile", f.cfg.Profile, "config_file", f.cfg.File,
			"store", store.DisplayName(f.cfg.DB), "output", f.cfg.Output, "query", f.cfg.Query, "color", f.colorMode())
	})
	return f.cfg, f.cfgErr
}

// Store opens the store named by the config once.
func (f *Factory) Store(ctx context.Context) (*store.Store, error) {
	f.storeOnce.Do(func() {
		if raw, given := f.endpointFlag(); given {
			// Acting on the local store when asked for a server would be
			// acting on the wrong state. (AWS_ENDPOINT_URL, often set for
			// other tools, is ignored here.)
			f.stErr = &UsageError{Err: fmt.Errorf("--endpoint-url %s: only the AWS commands (ec2, elbv2, sts) "+
				"send requests to an API server; this command acts on the store (--db): leave --endpoint-url out", raw)}
			return
		}
		cfg, err := f.Config()
		if err != nil {
			f.stErr = err
			return
		}
		start := time.Now()
		f.st, f.stErr = store.Open(ctx, cfg.DB)
		f.Debug().Debug("store open", "path", store.DisplayName(cfg.DB), "duration", time.Since(start), "err", f.stErr)
	})
	return f.st, f.stErr
}

// Debug is the --debug log: slog lines at debug level on standard error
// with --debug, nothing without.
func (f *Factory) Debug() *slog.Logger {
	f.debugOnce.Do(func() {
		if f.flagBool("debug") {
			f.debug = slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
		} else {
			f.debug = slog.New(slog.DiscardHandler)
		}
	})
	return f.debug
}

// Color says whether table headers are coloured: --color on always, off
// never, auto (the default) when standard output is a terminal and NO_COLOR
// is unset. An explicit --color on beats NO_COLOR, as no-color.org asks of
// command-line options.
func (f *Factory) Color() bool {
	switch f.colorMode() {
	case "on":
		return true
	case "off":
		return false
	}
	return f.IO.ColorEnabled()
}

func (f *Factory) colorMode() string {
	if f.Flags == nil {
		return "auto"
	}
	if fl := f.Flags.Lookup("color"); fl != nil {
		return fl.Value.String()
	}
	return "auto"
}

func (f *Factory) flagBool(name string) bool {
	if f.Flags == nil {
		return false
	}
	v, err := f.Flags.GetBool(name)
	return err == nil && v
}

// checkEndpointURL checks --endpoint-url as the AWS CLI does: an
// unparsable URL is a usage error (252).
func (f *Factory) checkEndpointURL() error {
	if raw, given := f.endpointFlag(); given {
		if err := ValidEndpointURL(raw); err != nil {
			return &UsageError{Err: fmt.Errorf("--endpoint-url: %w", err)}
		}
	}
	return nil
}

func (f *Factory) endpointFlag() (string, bool) {
	if f.Flags == nil {
		return "", false
	}
	fl := f.Flags.Lookup("endpoint-url")
	if fl == nil || !fl.Changed {
		return "", false
	}
	return fl.Value.String(), true
}

// EndpointURL is the plink API server the AWS action commands send their
// requests to instead of acting on the store: --endpoint-url, else
// AWS_ENDPOINT_URL (as the AWS CLI v2 reads it); "" for none.
func (f *Factory) EndpointURL() (string, error) {
	if raw, given := f.endpointFlag(); given {
		if err := ValidEndpointURL(raw); err != nil {
			return "", &UsageError{Err: fmt.Errorf("--endpoint-url: %w", err)}
		}
		return raw, nil
	}
	raw := os.Getenv("AWS_ENDPOINT_URL")
	if raw == "" {
		return "", nil
	}
	if err := ValidEndpointURL(raw); err != nil {
		return "", &ConfigError{Err: fmt.Errorf("AWS_ENDPOINT_URL: %w", err)}
	}
	return raw, nil
}

// APIClient is the client of the API server at endpoint acting as the
// configured caller. The access key is the config file's credential for
// that account and principal when there is one (with its secret, so a
// server that verifies signatures accepts it); else the account itself
// (the 12-digit convention plink's server follows: the account's root),
// signed with AWS_SECRET_ACCESS_KEY or "plink". A principal other than the
// root with no credential is refused: the server would act as the root.
func (f *Factory) APIClient(endpoint string) (*api.Client, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	caller := control.Caller{Account: cfg.Account, Principal: cfg.Principal, Region: cfg.Region}
	if err := caller.Validate(); err != nil {
		return nil, err
	}
	root := "arn:aws:iam::" + cfg.Account + ":root"
	principal := cfg.Principal
	if principal == root {
		principal = ""
	}
	keys := make([]string, 0, len(cfg.Credentials))
	for k := range cfg.Credentials {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := cfg.Credentials[k]
		p := c.Principal
		if p == root {
			p = ""
		}
		if c.Account == cfg.Account && p == principal {
			secret := c.Secret
			if secret == "" {
				secret = "plink"
			}
			return &api.Client{URL: endpoint, AccessKey: k, Secret: secret, Region: cfg.Region, Now: f.Now}, nil
		}
	}
	if principal != "" {
		return nil, &ConfigError{Err: fmt.Errorf("--endpoint-url: the config file has no credential (access key) for principal %s, "+
			"so the API server could not act as it: add one under credentials, or leave --principal out", cfg.Principal)}
	}
	secret := os.Getenv("AWS_SECRET_ACCESS_KEY")
	if secret == "" {
		secret = "plink"
	}
	return &api.Client{URL: endpoint, AccessKey: cfg.Account, Secret: secret, Region: cfg.Region, Now: f.Now}, nil
}

// ValidEndpointURL checks an --endpoint-url as the AWS CLI does: an
// absolute http or https URL with a host.
func ValidEndpointURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid endpoint %q: expected an http:// or https:// URL with a host", raw)
	}
	return nil
}

// Close releases what the factory opened.
func (f *Factory) Close() error {
	if f.st != nil {
		return f.st.Close()
	}
	return nil
}

// Logger returns a slog logger on standard error: text on a terminal (or
// when format is "text"), JSON when format is "json".
func (f *Factory) Logger(format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(f.IO.ErrOut, opts))
	}
	return slog.New(slog.NewTextHandler(f.IO.ErrOut, opts))
}

// Choice is a flag value that must be one of a few words (--color on, off
// or auto); anything else is a flag error, so a usage error.
type Choice struct {
	Value   string
	Allowed []string
}

func (c *Choice) String() string { return c.Value }
func (c *Choice) Type() string   { return "string" }
func (c *Choice) Set(s string) error {
	for _, a := range c.Allowed {
		if s == a {
			c.Value = s
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", s, strings.Join(c.Allowed, ", "))
}

// UsageError is bad command-line usage: exit 252 with the usage line.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ErrSilent means the command already reported its failure; exit 255.
var ErrSilent = errors.New("silent")

// NoArgs refuses positional arguments with a UsageError: the Args of
// commands that take none.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &UsageError{Err: fmt.Errorf("unknown argument %q for %q", args[0], cmd.CommandPath())}
	}
	return nil
}

// NoSubcommand is the Args of a command that only groups others: any
// argument is an unknown command, a UsageError.
func NoSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		// cobra defaults it only on its own path; SuggestionsFor with 0
		// would find prefixes but no typo (gett, descibe-endpoints).
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &UsageError{Err: errors.New(msg)}
}

// ConfigError is an invalid configuration (config file, profile, a setting
// of flags or environment): exit 253.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }
