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
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plink-dev/plink/internal/config"
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
}

// New returns a factory over the given streams.
func New(io *iostreams.IOStreams) *Factory {
	return &Factory{IO: io, Now: func() time.Time { return time.Now().UTC() }}
}

// Config loads the settings once.
func (f *Factory) Config() (*config.Config, error) {
	f.cfgOnce.Do(func() {
		f.cfg, f.cfgErr = config.Load(f.Flags)
		if f.cfgErr != nil {
			f.cfgErr = &ConfigError{Err: f.cfgErr}
		}
	})
	return f.cfg, f.cfgErr
}

// Store opens the store named by the config once.
func (f *Factory) Store(ctx context.Context) (*store.Store, error) {
	f.storeOnce.Do(func() {
		cfg, err := f.Config()
		if err != nil {
			f.stErr = err
			return
		}
		f.st, f.stErr = store.Open(ctx, cfg.DB)
	})
	return f.st, f.stErr
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
