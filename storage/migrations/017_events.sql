-- Events: one row per change, written in the transaction of the change (an
-- outbox). The sync feed (GET /api/events), the history in the UI and the
-- webhook deliveries all read this one log. Ids are never reused, so a
-- consumer's "since_id" cursor is exact.
CREATE TABLE events (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id       INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	type         TEXT    NOT NULL, -- media.created, gallery.changed, ...
	subject_type TEXT    NOT NULL, -- media, product
	subject_id   INTEGER NOT NULL,
	actor        TEXT    NOT NULL, -- the user's email, "token:NAME", or "system" (GC)
	payload      TEXT    NOT NULL DEFAULT '{}', -- JSON: the changed fields and ids
	created_at   INTEGER NOT NULL
);
CREATE INDEX events_org ON events(org_id, id);
CREATE INDEX events_subject ON events(org_id, subject_type, subject_id, id);

-- Webhook endpoints. The secret signs deliveries, so it is stored as it is
-- (it must be recoverable) and never shown again after creation.
CREATE TABLE webhooks (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id        INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	url           TEXT    NOT NULL,
	events        TEXT    NOT NULL, -- JSON array of event types
	secret        TEXT    NOT NULL,
	-- the outbox position: every event with id <= cursor is delivered or given up
	cursor        INTEGER NOT NULL,
	-- the failed attempts at the event after the cursor, and when to try again
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_try_at   INTEGER NOT NULL DEFAULT 0,
	created_by    TEXT    NOT NULL,
	created_at    INTEGER NOT NULL
);
CREATE INDEX webhooks_org ON webhooks(org_id, id);

-- The delivery log: one row per attempt, the latest kept per endpoint.
CREATE TABLE webhook_deliveries (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	webhook_id   INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	event_id     INTEGER NOT NULL, -- 0 for a ping
	event_type   TEXT    NOT NULL,
	attempt      INTEGER NOT NULL,
	outcome      TEXT    NOT NULL CHECK (outcome IN ('delivered', 'failed', 'gave_up')),
	status       INTEGER NOT NULL, -- the HTTP status, 0 when none came
	error        TEXT    NOT NULL DEFAULT '',
	response     TEXT    NOT NULL DEFAULT '', -- the first bytes of the answer
	duration_ms  INTEGER NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);
