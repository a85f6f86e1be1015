-- plink store, schema 2: the notification outbox.
--
-- A connection notification to an http(s):// or file:// target is written
-- here in the same transaction as the state change it reports, so nothing
-- is lost when the process dies after the commit. The committing command
-- tries it at once (it holds the row's claim while it does); what it could
-- not deliver, `plink serve` retries with backoff, oldest first and one
-- at a time per target (messages to one target arrive in order). A row is
-- deleted once delivered or given up (giving up records a
-- Notification.Failed event).

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id TEXT NOT NULL,
    account         TEXT NOT NULL,             -- the notification's owner
    service_id      TEXT NOT NULL DEFAULT '',  -- what the notification watches
    endpoint_id     TEXT NOT NULL DEFAULT '',
    event           TEXT NOT NULL,             -- Connect | Accept | Reject | Delete
    vpc_endpoint_id TEXT NOT NULL,             -- the endpoint the event is about
    target          TEXT NOT NULL,             -- http(s)://... or file://...
    body            TEXT NOT NULL,             -- the JSON message
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claim           TEXT NOT NULL DEFAULT '',  -- who is delivering it ('' = nobody)
    claimed_until   TEXT NOT NULL DEFAULT '',  -- until when the claim holds
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_attempt_at);
CREATE INDEX outbox_notification ON outbox (notification_id);
CREATE INDEX outbox_target ON outbox (target, id);
