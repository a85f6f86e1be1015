// Package events holds plink's events command: the connection events that
// concern the caller's account, from the store's event log.
package events

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/cmd/plink/cli/resources"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/output"
)

// minEventsInterval is the shortest --interval events --watch takes.
const minEventsInterval = 10 * time.Millisecond

// formats are the -o values events takes: json is one object a line.
var formats = []string{"json", "table", "wide"}

// NewCmdEvents returns plink events.
func NewCmdEvents(f *cmdutil.Factory) *cobra.Command {
	var watch bool
	var after int64
	var interval, timeout time.Duration
	cmd := &cobra.Command{
		Use:   "events [--watch] [--after SEQ] [-o json|table|wide]",
		Short: "Print the connection events that concern your account, one JSON object per line",
		Long: `Print the connection events that concern your account (as the caller of a
connection, or as the owner of its endpoint or service): one JSON object per
line, or with -o table (or wide) a table, SEQ first.

--watch keeps printing new events as they are committed, until interrupted
(exit 0) or --timeout: the store signals each change, so nothing polls it
in a loop.
--interval is only the period of the fallback check, for a store on a file
system that sends no change notifications.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A zero or tiny interval would poll the store in a busy loop.
			if interval < minEventsInterval {
				return &cmdutil.UsageError{Err: fmt.Errorf("--interval must be at least %v, not %v", minEventsInterval, interval)}
			}
			if timeout < 0 {
				return &cmdutil.UsageError{Err: fmt.Errorf("--timeout must be 0 (none) or more, not %v", timeout)}
			}
			if after < 0 {
				return &cmdutil.UsageError{Err: fmt.Errorf("--after must be a sequence number (0 or more), not %d", after)}
			}
			format := "json"
			if fl := cmd.Flags().Lookup("output"); fl != nil && fl.Changed {
				format = fl.Value.String()
			}
			if !slices.Contains(formats, format) {
				return &cmdutil.UsageError{Err: fmt.Errorf("--output %q: events takes one of %s", format, strings.Join(formats, ", "))}
			}
			api, err := f.API(cmd.Context())
			if err != nil {
				return err
			}
			st, err := f.Store(cmd.Context())
			if err != nil {
				return err
			}
			var feed <-chan int64
			var deadline <-chan time.Time
			if watch {
				feed = st.Changes(cmd.Context(), interval)
				if timeout > 0 {
					t := time.NewTimer(timeout)
					defer t.Stop()
					deadline = t.C
				}
			}
			p := &printer{out: f.IO.Out, format: format, color: f.Color()}
			for {
				evs, err := api.Events(cmd.Context(), after, 1000)
				if err != nil {
					if cmd.Context().Err() != nil {
						return nil
					}
					return err
				}
				if err := p.print(evs); err != nil {
					return err
				}
				if len(evs) > 0 {
					after = evs[len(evs)-1].Seq
				}
				if len(evs) == 1000 {
					continue // more are waiting
				}
				if !watch {
					if p.format != "json" && !p.header {
						// A table of nothing would be silence; JSON lines stay empty for scripts.
						fmt.Fprintf(f.IO.ErrOut, "No events found for account %s (events are what concerns your services and endpoints; plink get events -A lists every account's).\n", api.Caller().Account)
					}
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-deadline:
					return nil
				case <-feed:
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "keep printing new events until interrupted")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "with --watch, stop after this long and exit 0 (0: never)")
	cmd.Flags().Int64Var(&after, "after", 0, "print only events after this sequence number")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "with --watch, the fallback check's period where the file system sends no change notifications (at least 10ms)")
	return cmdutil.OutputFormats(cmd, formats...)
}

// printer prints batches of events: JSON lines, or one table whose header
// comes with the first rows.
type printer struct {
	out    io.Writer
	format string
	color  bool
	header bool // printed already
}

func (p *printer) print(evs []control.EventRecord) error {
	if p.format == "json" {
		enc := json.NewEncoder(p.out)
		for _, e := range evs {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	if len(evs) == 0 {
		return nil
	}
	wide := p.format == "wide"
	var headers []string
	if !p.header {
		headers = []string{"SEQ"}
		for _, c := range resources.EventColumns {
			if !c.Wide || wide {
				headers = append(headers, c.Header)
			}
		}
		p.header = true
	}
	rows := make([][]string, 0, len(evs))
	for _, e := range evs {
		it := resources.EventItem(e)
		row := []string{it.ID}
		for i, c := range resources.EventColumns {
			if !c.Wide || wide {
				row = append(row, it.Cells[i])
			}
		}
		rows = append(rows, row)
	}
	return output.WriteRows(p.out, p.color, headers, rows)
}
