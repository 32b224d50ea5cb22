-- Renditions: resized copies of images, shared by every row with the same bytes.

ALTER TABLE media ADD COLUMN processing TEXT NOT NULL DEFAULT 'ready'
	CHECK (processing IN ('pending', 'ready', 'failed'));
ALTER TABLE media ADD COLUMN processing_error TEXT NOT NULL DEFAULT '';

-- One row per rendition made. slot is the width asked for (one of our widths);
-- width/height are the pixels made (smaller than slot for narrow originals).
CREATE TABLE renditions (
	sha256     TEXT    NOT NULL,
	slot       INTEGER NOT NULL,
	ext        TEXT    NOT NULL,
	mime_type  TEXT    NOT NULL,
	width      INTEGER NOT NULL,
	height     INTEGER NOT NULL,
	size       INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (sha256, slot, ext)
) WITHOUT ROWID;

-- The persisted queue of originals whose renditions are still to be made, so
-- a restart resumes unfinished work.
CREATE TABLE rendition_jobs (
	sha256     TEXT    PRIMARY KEY,
	mime_type  TEXT    NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
