// Package events holds plink's events command: the connection events that
// concern the caller's account, from the store's event log.
package events

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
)

// minEventsInterval is the shortest --interval events --watch takes.
const minEventsInterval = 10 * time.Millisecond

// NewCmdEvents returns plink events.
func NewCmdEvents(f *cmdutil.Factory) *cobra.Command {
	var watch bool
	var after int64
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "events [--watch] [--after SEQ]",
		Short: "Print the connection events that concern your account, one JSON object per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A zero or tiny interval would poll the store in a busy loop.
			if interval < minEventsInterval {
				return &cmdutil.UsageError{Err: fmt.Errorf("--interval must be at least %v, not %v", minEventsInterval, interval)}
			}
			if after < 0 {
				return &cmdutil.UsageError{Err: fmt.Errorf("--after must be a sequence number (0 or more), not %d", after)}
			}
			api, err := f.API(cmd.Context())
			if err != nil {
				return err
			}
			enc := json.NewEncoder(f.IO.Out)
			for {
				evs, err := api.Events(cmd.Context(), after, 1000)
				if err != nil {
					if cmd.Context().Err() != nil {
						return nil
					}
					return err
				}
				for _, e := range evs {
					if err := enc.Encode(e); err != nil {
						return err
					}
					after = e.Seq
				}
				if !watch {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "keep printing new events until interrupted")
	cmd.Flags().Int64Var(&after, "after", 0, "print only events after this sequence number")
	cmd.Flags().DurationVar(&interval, "interval", 200*time.Millisecond, "how often --watch polls (at least 10ms)")
	return cmd
}
