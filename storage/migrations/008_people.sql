-- People: an optional name and the last login of each user, and invite links.
-- An invited user has an empty password_hash until they accept their invite.

ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_login_at INTEGER;

CREATE TABLE invites (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id      INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	-- sha256 of the link's secret; the secret itself is shown once
	secret_hash TEXT    NOT NULL UNIQUE,
	created_by  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
);
CREATE INDEX invites_user ON invites(user_id, org_id);
