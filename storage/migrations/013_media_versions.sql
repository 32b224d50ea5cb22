-- Versions: the files a media item had before it was replaced (or before a
-- restore brought an older one back). The item keeps its id, places and alt
-- text; each row here is a previous file, kept (with its blob) for the trash
-- grace period after it stopped being current, then removed by GC, unless
-- pinned (kept until unpinned, restored or the item is purged).
CREATE TABLE media_versions (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id            INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	media_id          INTEGER NOT NULL, -- purge deletes an item's versions with it
	original_filename TEXT    NOT NULL,
	mime_type         TEXT    NOT NULL,
	size              INTEGER NOT NULL,
	sha256            TEXT    NOT NULL,
	width             INTEGER,
	height            INTEGER,
	duration_ms       INTEGER,
	-- when the file was made current, and by whom (the media row's created_by for the first file)
	uploaded_at       INTEGER NOT NULL,
	uploaded_by       TEXT    NOT NULL,
	-- when it stopped being current (the grace period runs from here), and who replaced it
	created_at        INTEGER NOT NULL,
	created_by        TEXT    NOT NULL,
	pinned            INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))
);
CREATE INDEX media_versions_media ON media_versions(media_id, id);
CREATE INDEX media_versions_sha ON media_versions(sha256);
CREATE INDEX media_versions_expiring ON media_versions(created_at, id) WHERE pinned = 0;
