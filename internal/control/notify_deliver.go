package control

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/plink-dev/plink/internal/escape"
	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// How connection notifications reach http(s):// and file:// targets:
//
//  1. The state change writes one outbox row per delivery in its own
//     transaction (recordEvent), claimed by the committing process for a
//     while, so nothing is lost if that process dies after the commit.
//  2. After the commit the command tries all of them at once, within one
//     budget for all (DeliveryPolicy.Budget), and settles each row:
//     delivered rows are deleted, failed ones rescheduled with backoff.
//  3. `plink serve` runs Outbox.DeliverDue in a loop: it claims the rows
//     that are due (or whose claim ran out) and tries them again, until
//     they are delivered or given up (too many attempts, too old, or a
//     target that cannot work); giving up records a Notification.Failed
//     event and logs a warning.
//
// Every failed attempt is logged at WARN; the first failed attempt of a
// delivery records a Notification.Retrying event, so `plink events` shows
// failures even when no `plink serve` runs. Messages to one target go in
// order, one at a time; different targets are tried concurrently.

// DeliveryPolicy bounds the delivery of connection notifications. Zero
// fields take the defaults.
type DeliveryPolicy struct {
	// Budget is how long a command that changed an endpoint waits for all
	// of its deliveries together (default 2 s), however many targets.
	Budget time.Duration
	// Timeout bounds one retry by `plink serve` (default 10 s).
	Timeout time.Duration
	// Backoff is the delay before the first retry; it doubles after each
	// failed attempt up to MaxBackoff (defaults 1 s and 5 min).
	Backoff, MaxBackoff time.Duration
	// A delivery is given up after MaxAttempts attempts or once older than
	// MaxAge (defaults 10 and 1 h).
	MaxAttempts int
	MaxAge      time.Duration
	// MaxPending bounds the outbox (default 10,000): beyond it the oldest
	// deliveries are dropped, each with a Notification.Failed event.
	MaxPending int
	// Workers is how many targets are tried at once (default 16).
	Workers int
}

// WithDeliveryPolicy bounds how the API delivers connection notifications.
func WithDeliveryPolicy(p DeliveryPolicy) Option { return func(a *API) { a.notify = p } }

// Defaults of DeliveryPolicy.
const (
	DefaultDeliveryBudget  = 2 * time.Second
	DefaultDeliveryTimeout = 10 * time.Second
	DefaultMaxPending      = 10000
)

func (p DeliveryPolicy) withDefaults() DeliveryPolicy {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&p.Budget, DefaultDeliveryBudget)
	def(&p.Timeout, DefaultDeliveryTimeout)
	def(&p.Backoff, time.Second)
	def(&p.MaxBackoff, 5*time.Minute)
	def(&p.MaxAge, time.Hour)
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 10
	}
	if p.MaxPending <= 0 {
		p.MaxPending = DefaultMaxPending
	}
	if p.Workers <= 0 {
		p.Workers = 16
	}
	return p
}

// claimMargin is how much longer than its own time budget a process holds
// the deliveries it tries, so it can record the results before anyone else
// may take them over.
const claimMargin = 30 * time.Second

// retryBatch is how many due deliveries one DeliverDue claims.
const retryBatch = 100

// Outbox delivers connection notifications from the store's outbox. The
// API uses one after each commit; `plink serve` calls DeliverDue to retry.
// Its schedule uses the wall clock every process on the store shares.
type Outbox struct {
	st     *store.Store
	log    *slog.Logger
	policy DeliveryPolicy
	client *http.Client
	now    func() time.Time
}

// NewOutbox returns an Outbox on st that logs to log.
func NewOutbox(st *store.Store, log *slog.Logger, p DeliveryPolicy) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	// A redirect is not followed (it would turn the POST into a GET
	// without the message): a 3xx answer is a failed attempt.
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Outbox{st: st, log: log, policy: p.withDefaults(), client: client, now: func() time.Time { return time.Now().UTC() }}
}

// Policy is the outbox's policy with defaults filled in.
func (o *Outbox) Policy() DeliveryPolicy { return o.policy }

// delivery is one outbox row a command wrote: held by it, queued behind
// older messages to the same target (left to `plink serve`), or pushed
// out of a full outbox (dropped).
type delivery struct {
	row             store.Delivery
	queued, dropped bool
}

// enqueue writes the delivery of body to n's target in tx, held by claim
// for the budget of the command. It returns the delivery and any older
// ones the full outbox dropped (already recorded as Notification.Failed
// events).
func (o *Outbox) enqueue(tx *store.Tx, claim string, n store.Notification, event, endpointID, body string) ([]delivery, error) {
	now := o.now()
	d := store.Delivery{NotificationID: n.ID, Account: n.Account, ServiceID: n.ServiceID, EndpointID: n.EndpointID,
		Event: event, VpcEndpointID: endpointID, Target: n.ARN, Body: body, CreatedAt: timestamp(now),
		NextAttemptAt: timestamp(now), Claim: claim, ClaimedUntil: timestamp(now.Add(o.policy.Budget + claimMargin))}
	id, queued, dropped, err := tx.EnqueueDelivery(d, o.policy.MaxPending)
	if err != nil {
		return nil, err
	}
	d.ID = id
	out := []delivery{{row: d, queued: queued}}
	if queued {
		d.Claim = ""
		if err := tx.InsertEventQuiet(o.failedEvent(d, "Notification.Retrying", queuedReason, timestamp(now))); err != nil {
			return nil, err
		}
	}
	for _, x := range dropped {
		reason := fmt.Sprintf("dropped: the outbox holds at most %d undelivered notifications (run `plink serve` to deliver them)", o.policy.MaxPending)
		if err := tx.InsertEventQuiet(o.failedEvent(x, "Notification.Failed", reason, "")); err != nil {
			return nil, err
		}
		out = append(out, delivery{row: x, dropped: true})
	}
	return out, nil
}

// queuedReason says why a message was not tried at once.
const queuedReason = "waiting behind an undelivered message to the same target (plink serve delivers them in order)"

// sendNow tries the deliveries a command just committed, all within the
// budget, and records the results. It never fails the command.
func (o *Outbox) sendNow(ctx context.Context, ds []delivery) {
	var rows []store.Delivery
	for _, d := range ds {
		if d.dropped {
			o.log.Warn("connection notification dropped: the outbox is full", "notification", d.row.NotificationID,
				"target", d.row.Target, "event", d.row.Event, "endpoint", d.row.VpcEndpointID, "max_pending", o.policy.MaxPending)
			continue
		}
		if d.queued {
			o.log.Warn("connection notification not delivered: "+queuedReason, "notification", d.row.NotificationID,
				"target", d.row.Target, "event", d.row.Event, "endpoint", d.row.VpcEndpointID)
			continue
		}
		rows = append(rows, d.row)
	}
	if len(rows) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, o.policy.Budget)
	defer cancel()
	results := o.attempt(ctx, rows, o.policy.Budget)
	o.settle(context.WithoutCancel(ctx), results)
}

// DeliverDue claims the deliveries that are due (and those whose claim ran
// out), tries them and records the results. more says that more were due
// than one call takes.
func (o *Outbox) DeliverDue(ctx context.Context) (more bool, err error) {
	now := o.now()
	claim := names.RandomHex(16)
	window := 2 * o.policy.Timeout
	var rows []store.Delivery
	err = o.st.Write(ctx, func(tx *store.Tx) error {
		rows, err = tx.ClaimDueDeliveries(claim, timestamp(now), timestamp(now.Add(window+claimMargin)), retryBatch)
		return err
	})
	if err != nil || len(rows) == 0 {
		return false, err
	}
	var todo []store.Delivery
	var results []result
	for _, r := range rows {
		if created, err := time.Parse(time.RFC3339, r.CreatedAt); err == nil && now.Sub(created) > o.policy.MaxAge {
			results = append(results, result{d: r, expired: true})
			continue
		}
		todo = append(todo, r)
	}
	actx, cancel := context.WithTimeout(ctx, window)
	results = append(results, o.attempt(actx, todo, o.policy.Timeout)...)
	cancel()
	removed := o.settle(context.WithoutCancel(ctx), results)
	// A message delivered or given up may have been the head of its
	// target's queue: the next one is due now.
	return len(rows) == retryBatch || removed > 0, nil
}

// NextDue is when the next delivery is due: zero when the outbox is
// empty, a time at or before now when one is due already.
func (o *Outbox) NextDue(ctx context.Context) (time.Time, error) {
	var s string
	err := o.st.Read(ctx, func(tx *store.Tx) error {
		var err error
		s, err = tx.NextDeliveryDue(timestamp(o.now()))
		return err
	})
	if err != nil || s == "" {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339, s)
}

// result is what became of one claimed delivery.
type result struct {
	d       store.Delivery
	tried   bool
	err     error
	expired bool      // older than MaxAge: given up untried
	after   time.Time // untried because an earlier message to its target failed: not before this
}

// attempt tries rows, one target at a time in order and up to Workers
// targets at once, each attempt bounded by timeout and all by ctx. A
// failure stops that target's later messages for this round (order).
func (o *Outbox) attempt(ctx context.Context, rows []store.Delivery, timeout time.Duration) []result {
	byTarget := map[string][]int{}
	var targets []string
	for i, r := range rows {
		if _, ok := byTarget[r.Target]; !ok {
			targets = append(targets, r.Target)
		}
		byTarget[r.Target] = append(byTarget[r.Target], i)
	}
	results := make([]result, len(rows))
	for i, r := range rows {
		results[i].d = r
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < min(o.policy.Workers, len(targets)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				failed := false
				var next time.Time
				for _, i := range byTarget[t] {
					if failed {
						results[i].after = next
						continue
					}
					if ctx.Err() != nil {
						break // out of time: the rest stay due
					}
					err := o.deliverOne(ctx, rows[i], timeout)
					if err != nil && errors.Is(ctx.Err(), context.Canceled) {
						break // stopped (shutdown, interrupt): no attempt; it stays due
					}
					results[i].tried, results[i].err = true, err
					if err != nil {
						failed = true
						next = o.now().Add(o.backoff(rows[i].Attempts + 1))
					}
				}
			}
		}()
	}
	for _, t := range targets {
		work <- t
	}
	close(work)
	wg.Wait()
	return results
}

// deliverOne sends one message: a POST to an http(s) URL or a line
// appended to a file.
func (o *Outbox) deliverOne(ctx context.Context, d store.Delivery, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case strings.HasPrefix(d.Target, "file://"):
		return appendLine(strings.TrimPrefix(d.Target, "file://"), d.Body)
	case strings.HasPrefix(d.Target, "http://"), strings.HasPrefix(d.Target, "https://"):
		return o.post(ctx, d.Target, d.Body)
	}
	return permanent{fmt.Errorf("unsupported target %q", d.Target)}
}

func (o *Outbox) post(ctx context.Context, target, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewBufferString(body))
	if err != nil {
		return permanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "plink-notification")
	resp, err := o.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("no answer from %s within the time allowed: %w", target, err)
		}
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return fmt.Errorf("%s answered %s", target, hookText(resp.Status))
	}
	return nil
}

// hookText is what a hook sent (its status line) made fit for an event and
// a log: control characters escaped, at most 200 bytes.
func hookText(s string) string {
	const most = 200
	if len(s) > most {
		s = strings.ToValidUTF8(s[:most], "") + "..."
	}
	return escape.Control(s)
}

// appendLine appends line to the file at path, creating it (0600) if
// needed. The path is checked again first (it may have changed since the
// notification was created) and the opened file must be a regular file;
// O_NONBLOCK keeps a FIFO put there meanwhile from blocking the open.
func appendLine(path, line string) error {
	if err := checkFileTarget(path); err != nil {
		return permanent{err}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0o600)
	if err != nil {
		return err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = permanent{fmt.Errorf("%s is not a regular file", path)}
		}
		return err
	}
	if _, err := f.Write([]byte(line + "\n")); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// permanent marks an error retrying cannot cure: the delivery is given up
// at once.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// backoff is the delay after the given number of failed attempts.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.policy.Backoff
	for i := 1; i < attempts && d < o.policy.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.policy.MaxBackoff)
}

// settle records the results in one transaction: delivered rows go,
// failed ones are rescheduled or given up, untried ones are released. It
// returns how many rows left the outbox (delivered or given up).
func (o *Outbox) settle(ctx context.Context, results []result) (removed int) {
	if len(results) == 0 {
		return 0
	}
	now := o.now()
	type logLine struct {
		msg  string
		args []any
	}
	var logs []logLine
	err := o.st.Write(ctx, func(tx *store.Tx) error {
		logs, removed = logs[:0], 0
		for _, r := range results {
			d := r.d
			var err error
			gone := true // the row leaves the outbox
			switch {
			case r.expired:
				reason := fmt.Sprintf("not delivered within %v", o.policy.MaxAge)
				if d.LastError != "" {
					reason += " (last error: " + d.LastError + ")"
				}
				err = o.giveUp(tx, d, d.Attempts, reason)
				logs = append(logs, logLine{"connection notification given up", o.logArgs(d, d.Attempts, reason)})
			case r.tried && r.err == nil:
				err = tx.DeleteDelivery(d.ID, d.Claim)
			case r.tried:
				attempts := d.Attempts + 1
				reason := r.err.Error()
				created, _ := time.Parse(time.RFC3339, d.CreatedAt)
				next := now.Add(o.backoff(attempts))
				switch {
				case isPermanent(r.err):
					err = o.giveUp(tx, d, attempts, reason)
					logs = append(logs, logLine{"connection notification given up: the target cannot work", o.logArgs(d, attempts, reason)})
				case attempts >= o.policy.MaxAttempts || next.Sub(created) > o.policy.MaxAge:
					reason = fmt.Sprintf("%s (after %d attempts)", reason, attempts)
					err = o.giveUp(tx, d, attempts, reason)
					logs = append(logs, logLine{"connection notification given up", o.logArgs(d, attempts, reason)})
				default:
					gone = false
					err = tx.RescheduleDelivery(d.ID, d.Claim, attempts, timestamp(next), reason)
					if err == nil && attempts == 1 {
						d.Attempts = attempts
						err = tx.InsertEventQuiet(o.failedEvent(d, "Notification.Retrying", reason, timestamp(next)))
					}
					logs = append(logs, logLine{"connection notification not delivered; will retry",
						append(o.logArgs(d, attempts, reason), "next_attempt", timestamp(next))})
				}
			default: // untried: due again at once, or after its target's retry
				gone = false
				next := now
				if !r.after.IsZero() {
					next = r.after
				}
				err = tx.RescheduleDelivery(d.ID, d.Claim, d.Attempts, timestamp(next), d.LastError)
			}
			if errors.Is(err, store.ErrNotClaimed) {
				logs = append(logs, logLine{"connection notification result not recorded: the delivery was taken over or deleted meanwhile",
					[]any{"notification", d.NotificationID, "target", d.Target}})
				continue
			}
			if err != nil {
				return err
			}
			if gone {
				removed++
			}
		}
		return nil
	})
	if err != nil {
		removed = 0
		o.log.Warn("recording connection notification results; `plink serve` will retry them", "err", err)
	}
	for _, l := range logs {
		o.log.Warn(l.msg, l.args...)
	}
	return removed
}

func (o *Outbox) logArgs(d store.Delivery, attempts int, reason string) []any {
	return []any{"notification", d.NotificationID, "target", d.Target, "event", d.Event, "endpoint", d.VpcEndpointID,
		"attempts", attempts, "err", reason}
}

// giveUp deletes a delivery and records why with a Notification.Failed
// event.
func (o *Outbox) giveUp(tx *store.Tx, d store.Delivery, attempts int, reason string) error {
	if err := tx.DeleteDelivery(d.ID, d.Claim); err != nil {
		return err
	}
	d.Attempts = attempts
	return tx.InsertEventQuiet(o.failedEvent(d, "Notification.Failed", reason, ""))
}

// deliveryDetail is the Detail of Notification.Retrying and .Failed
// events.
type deliveryDetail struct {
	Target        string `json:"Target"`
	Event         string `json:"Event"`
	VpcEndpointID string `json:"VpcEndpointId"`
	Attempts      int    `json:"Attempts"`
	Reason        string `json:"Reason"`
	NextAttempt   string `json:"NextAttempt,omitempty"`
	Enqueued      string `json:"Enqueued"`
}

// failedEvent is an event about d, seen by the notification's owner (it
// carries the notification's own service or endpoint, never the other
// side's).
func (o *Outbox) failedEvent(d store.Delivery, typ, reason, next string) store.Event {
	return store.Event{Time: timestamp(o.now()), Account: d.Account, Type: typ, ResourceID: d.Target,
		ServiceID: d.ServiceID, EndpointID: d.EndpointID, NotificationID: d.NotificationID,
		Detail: mustJSON(deliveryDetail{Target: d.Target, Event: d.Event, VpcEndpointID: d.VpcEndpointID,
			Attempts: d.Attempts, Reason: reason, NextAttempt: next, Enqueued: d.CreatedAt})}
}
