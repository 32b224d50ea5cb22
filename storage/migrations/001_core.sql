-- Core: organizations, API tokens, media.
-- Times are INTEGER milliseconds since the Unix epoch, UTC.

CREATE TABLE orgs (
	id         INTEGER PRIMARY KEY,
	slug       TEXT    NOT NULL UNIQUE,
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE tokens (
	id           INTEGER PRIMARY KEY,
	org_id       INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	prefix       TEXT    NOT NULL,
	secret_hash  TEXT    NOT NULL UNIQUE,
	scopes       TEXT    NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER,
	created_by   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE INDEX tokens_org ON tokens(org_id, id);

CREATE TABLE media (
	id                INTEGER PRIMARY KEY,
	org_id            INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	kind              TEXT    NOT NULL CHECK (kind IN ('image', 'video', 'audio', 'document')),
	filename          TEXT    NOT NULL,
	original_filename TEXT    NOT NULL,
	mime_type         TEXT    NOT NULL,
	size              INTEGER NOT NULL,
	sha256            TEXT    NOT NULL,
	width             INTEGER,
	height            INTEGER,
	duration_ms       INTEGER,
	alt               TEXT    NOT NULL DEFAULT '',
	source_url        TEXT    NOT NULL DEFAULT '',
	created_by        TEXT    NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	deleted_at        INTEGER,
	-- lower(filename || ' ' || alt), kept by the code that writes the row, for q= search
	search            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX media_live_created  ON media(org_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX media_live_kind     ON media(org_id, kind, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX media_live_filename ON media(org_id, filename COLLATE NOCASE, id) WHERE deleted_at IS NULL;
CREATE INDEX media_live_size     ON media(org_id, size, id) WHERE deleted_at IS NULL;
CREATE INDEX media_trash         ON media(org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX media_sha           ON media(sha256);
