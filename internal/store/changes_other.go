//go:build !linux

package store

import (
	"context"
	"time"
)

// watchFiles polls: this platform's file notifications are not wired up.
func (s *Store) watchFiles(ctx context.Context, poll time.Duration, check func()) {
	pollLoop(ctx, poll, check)
}
