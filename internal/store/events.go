package store

import (
	"database/sql"
	"errors"
	"math"
	"strings"
)

// Notification is a row of notifications.
type Notification struct {
	ID, Account, Region, ServiceID, EndpointID, ARN string
	Events                                          []string
	State, CreatedAt                                string
}

// Event is a row of events: one state change.
type Event struct {
	Seq                             int64
	Time, Account, Type, ResourceID string
	ServiceID, EndpointID, State    string
	NotificationID                  string
	Detail                          string // JSON
}

// InsertNotification adds a notification.
func (t *Tx) InsertNotification(n Notification) error {
	_, err := t.exec(`INSERT INTO notifications (id, account, region, service_id, endpoint_id, arn, events, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.Account, n.Region, n.ServiceID, n.EndpointID, n.ARN, strings.Join(n.Events, ","), n.State, n.CreatedAt)
	return err
}

// UpdateNotification writes a notification's target and events.
func (t *Tx) UpdateNotification(n Notification) error {
	_, err := t.exec(`UPDATE notifications SET arn = ?, events = ? WHERE id = ?`, n.ARN, strings.Join(n.Events, ","), n.ID)
	return err
}

// DeleteNotification removes a notification.
func (t *Tx) DeleteNotification(id string) error {
	_, err := t.exec(`DELETE FROM notifications WHERE id = ?`, id)
	return err
}

func (t *Tx) notifications(q string, args ...any) ([]Notification, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var ev string
		if err := rows.Scan(&n.ID, &n.Account, &n.Region, &n.ServiceID, &n.EndpointID, &n.ARN, &ev, &n.State, &n.CreatedAt); err != nil {
			return nil, err
		}
		n.Events = strings.Split(ev, ",")
		out = append(out, n)
	}
	return out, rows.Err()
}

const notificationCols = `id, account, region, service_id, endpoint_id, arn, events, state, created_at`

// Notifications lists an account's notifications; ids narrows the list.
func (t *Tx) Notifications(account, region string, ids []string) ([]Notification, error) {
	q, args := inList(`SELECT `+notificationCols+` FROM notifications WHERE account = ? AND region = ?`, "id", ids, []any{account, region})
	return t.notifications(q+` ORDER BY created_at, id`, args...)
}

// Notification returns one notification by ID.
func (t *Tx) Notification(id string) (Notification, error) {
	return first(t.notifications(`SELECT `+notificationCols+` FROM notifications WHERE id = ?`, id))
}

// NotificationsFor lists the notifications watching a service or an endpoint.
func (t *Tx) NotificationsFor(serviceID, endpointID string) ([]Notification, error) {
	return t.notifications(`SELECT `+notificationCols+` FROM notifications WHERE (service_id <> '' AND service_id = ?) OR (endpoint_id <> '' AND endpoint_id = ?) ORDER BY id`, serviceID, endpointID)
}

// InsertEvent records a state change.
func (t *Tx) InsertEvent(e Event) error {
	if e.Detail == "" {
		e.Detail = "{}"
	}
	_, err := t.exec(`INSERT INTO events (time, account, type, resource_id, service_id, endpoint_id, state, notification_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time, e.Account, e.Type, e.ResourceID, e.ServiceID, e.EndpointID, e.State, e.NotificationID, e.Detail)
	return err
}

// Events lists events after seq that concern account (caused by it, or on
// an endpoint or service it owns), oldest first, at most limit (<= 0: all).
func (t *Tx) Events(account string, after int64, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = math.MaxInt64 // no limit (PostgreSQL refuses SQLite's -1)
	}
	rows, err := t.query(`SELECT seq, time, account, type, resource_id, service_id, endpoint_id, state, notification_id, detail FROM events
		WHERE seq > ? AND (account = ? OR service_id IN (SELECT id FROM services WHERE account = ?)
		OR endpoint_id IN (SELECT id FROM endpoints WHERE account = ?) OR detail LIKE ?) ORDER BY seq LIMIT ?`,
		after, account, account, account, `%"Accounts":%"`+account+`"%`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.Seq, &e.Time, &e.Account, &e.Type, &e.ResourceID, &e.ServiceID, &e.EndpointID, &e.State, &e.NotificationID, &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastEventSeq is the newest event's sequence number.
func (t *Tx) LastEventSeq() (int64, error) {
	var n sql.NullInt64
	err := t.queryRow(`SELECT max(seq) FROM events`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n.Int64, err
}
