package store

import (
	"database/sql"
	"errors"
)

// Delivery is a row of the outbox: one connection notification message
// waiting to reach an http(s):// or file:// target. Times are timestamps
// as everywhere in the store (RFC 3339, UTC, milliseconds), so they
// compare as text.
type Delivery struct {
	ID             int64
	NotificationID string
	Account        string // the notification's owner
	ServiceID      string // what the notification watches
	EndpointID     string
	Event          string // Connect | Accept | Reject | Delete
	VpcEndpointID  string // the endpoint the event is about
	Target, Body   string
	CreatedAt      string
	Attempts       int
	NextAttemptAt  string
	Claim          string // who is delivering it; '' = nobody
	ClaimedUntil   string
	LastError      string
}

const deliveryCols = `id, notification_id, account, service_id, endpoint_id, event, vpc_endpoint_id, target, body,
	created_at, attempts, next_attempt_at, claim, claimed_until, last_error`

// The outbox is the data plane's own bookkeeping, like target health: its
// writes do not move the revision serve watches (execQuiet). Only
// EnqueueDelivery runs inside a state change, which moves it anyway.

// execQuiet runs a statement of a write transaction without moving the
// revision.
func (t *Tx) execQuiet(query string, args ...any) (sql.Result, error) {
	if !t.write {
		return nil, errors.New("store: write in a read transaction")
	}
	t.quiet = true
	return t.tx.ExecContext(t.ctx, t.sql(query), args...)
}

// EnqueueDelivery adds d to the outbox, held by d.Claim, and returns its
// ID. Messages to one target go in order after a failure: when an older
// message to d's target waits for a retry (nobody holds it, or its
// holder's claim ran out) or is being retried (attempted before), d is
// added unclaimed, queued behind it, and queued is true. (A first attempt
// another process is making right now does not hold d back: concurrent
// changes have no order to keep.) When more
// than max deliveries are then pending, the oldest are removed to make
// room and returned, so the caller can record that they were dropped.
func (t *Tx) EnqueueDelivery(d Delivery, max int) (id int64, queued bool, dropped []Delivery, err error) {
	var older int
	if err := t.queryRow(`SELECT count(*) FROM outbox WHERE target = ? AND (claim = '' OR claimed_until < ? OR attempts > 0)`,
		d.Target, d.CreatedAt).Scan(&older); err != nil {
		return 0, false, nil, err
	}
	if older > 0 {
		d.Claim, d.ClaimedUntil, queued = "", "", true
	}
	if !t.write {
		return 0, false, nil, errors.New("store: write in a read transaction")
	}
	// RETURNING rather than LastInsertId, which PostgreSQL's driver lacks.
	if err := t.queryRow(`INSERT INTO outbox (notification_id, account, service_id, endpoint_id, event, vpc_endpoint_id,
		target, body, created_at, attempts, next_attempt_at, claim, claimed_until, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.NotificationID, d.Account, d.ServiceID, d.EndpointID, d.Event, d.VpcEndpointID, d.Target, d.Body,
		d.CreatedAt, d.Attempts, d.NextAttemptAt, d.Claim, d.ClaimedUntil, d.LastError).Scan(&id); err != nil {
		return 0, false, nil, err
	}
	var n int
	if err := t.queryRow(`SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		return 0, false, nil, err
	}
	if n <= max {
		return id, queued, nil, nil
	}
	if dropped, err = t.deliveries(`SELECT `+deliveryCols+` FROM outbox ORDER BY id LIMIT ?`, n-max); err != nil {
		return 0, false, nil, err
	}
	for _, o := range dropped {
		if _, err := t.execQuiet(`DELETE FROM outbox WHERE id = ?`, o.ID); err != nil {
			return 0, false, nil, err
		}
	}
	return id, queued, dropped, nil
}

// ClaimDueDeliveries claims for claim, until until, at most limit
// deliveries that are due at now and that nobody holds (or whose holder's
// claim has run out), oldest first, and only the oldest of each target
// (messages to one target go in order). The claim is what keeps two
// processes from delivering the same message: only the holder may settle
// the row.
func (t *Tx) ClaimDueDeliveries(claim, now, until string, limit int) ([]Delivery, error) {
	ds, err := t.deliveries(`SELECT `+deliveryCols+` FROM outbox WHERE next_attempt_at <= ? AND claimed_until < ?
		AND NOT EXISTS (SELECT 1 FROM outbox AS older WHERE older.target = outbox.target AND older.id < outbox.id)
		ORDER BY id LIMIT ?`, now, now, limit)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		if _, err := t.execQuiet(`UPDATE outbox SET claim = ?, claimed_until = ? WHERE id = ?`, claim, until, ds[i].ID); err != nil {
			return nil, err
		}
		ds[i].Claim, ds[i].ClaimedUntil = claim, until
	}
	return ds, nil
}

// ErrNotClaimed says a delivery is no longer held by the claim that tried
// to settle it (its claim ran out and another process took it, or it was
// deleted with its notification).
var ErrNotClaimed = errors.New("store: delivery not held by this claim")

// DeleteDelivery removes a delivery its claim holder delivered or gave up.
func (t *Tx) DeleteDelivery(id int64, claim string) error {
	return t.settle(`DELETE FROM outbox WHERE id = ? AND claim = ?`, id, claim)
}

// RescheduleDelivery releases a claimed delivery for another attempt at
// next, with its attempt count and last error.
func (t *Tx) RescheduleDelivery(id int64, claim string, attempts int, next, lastErr string) error {
	return t.settle(`UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, claim = '', claimed_until = ''
		WHERE id = ? AND claim = ?`, attempts, next, lastErr, id, claim)
}

// settle runs a statement that must change the one row its claim holds.
func (t *Tx) settle(query string, args ...any) error {
	res, err := t.execQuiet(query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotClaimed
	}
	return nil
}

// InsertEventQuiet records an event of the outbox (a delivery failed or was
// given up) without moving the revision.
func (t *Tx) InsertEventQuiet(e Event) error {
	if e.Detail == "" {
		e.Detail = "{}"
	}
	_, err := t.execQuiet(`INSERT INTO events (time, account, type, resource_id, service_id, endpoint_id, state, notification_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time, e.Account, e.Type, e.ResourceID, e.ServiceID, e.EndpointID, e.State, e.NotificationID, e.Detail)
	return err
}

// DeleteDeliveriesOf removes the pending deliveries of a notification (it
// is being deleted).
func (t *Tx) DeleteDeliveriesOf(notificationID string) error {
	_, err := t.execQuiet(`DELETE FROM outbox WHERE notification_id = ?`, notificationID)
	return err
}

// Deliveries lists the outbox, oldest first.
func (t *Tx) Deliveries() ([]Delivery, error) {
	return t.deliveries(`SELECT ` + deliveryCols + ` FROM outbox ORDER BY id`)
}

// NextDeliveryDue is when the next delivery ClaimDueDeliveries can take
// is due: the earliest of the oldest delivery of each target, once its
// claim (if any) has run out. It is at or after now; "" when the outbox
// is empty.
func (t *Tx) NextDeliveryDue(now string) (string, error) {
	var s sql.NullString
	err := t.queryRow(`SELECT min(CASE WHEN claimed_until > next_attempt_at THEN claimed_until ELSE next_attempt_at END) FROM outbox
		WHERE NOT EXISTS (SELECT 1 FROM outbox AS older WHERE older.target = outbox.target AND older.id < outbox.id)`).Scan(&s)
	if err != nil {
		return "", err
	}
	if !s.Valid {
		return "", nil
	}
	return max(s.String, now), nil
}

func (t *Tx) deliveries(q string, args ...any) ([]Delivery, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.ID, &d.NotificationID, &d.Account, &d.ServiceID, &d.EndpointID, &d.Event, &d.VpcEndpointID,
			&d.Target, &d.Body, &d.CreatedAt, &d.Attempts, &d.NextAttemptAt, &d.Claim, &d.ClaimedUntil, &d.LastError); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
