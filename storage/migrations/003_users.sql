-- Accounts: people who log in to the admin UI, and their role in each organization.

CREATE TABLE users (
	id              INTEGER PRIMARY KEY,
	email           TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	password_hash   TEXT    NOT NULL,
	-- bumped by logout; a session cookie carrying an older version is refused
	session_version INTEGER NOT NULL DEFAULT 1,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);

CREATE TABLE memberships (
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	org_id     INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	role       TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, org_id)
);
CREATE INDEX memberships_org ON memberships(org_id, user_id);
