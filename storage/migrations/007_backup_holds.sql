-- Holds on file deletion: while an unexpired hold exists, purges and GC still
-- delete rows but leave every blob and rendition file in place (they become
-- orphans that a later GC removes). A backup takes one before it snapshots
-- the database, so every file its snapshot refers to stays until it is
-- copied; the expiry frees the hold of a backup that was killed.
CREATE TABLE gc_holds (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	reason     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
