-- Leases on blobs being uploaded: a blob is put into the store before the
-- transaction that inserts its media row (so a slow remote store never holds
-- the write lock). While a lease is live the garbage collector keeps the
-- bytes, even with no row referring to them yet.
CREATE TABLE blob_leases (
	id         INTEGER PRIMARY KEY,
	lease      INTEGER NOT NULL,
	sha256     TEXT    NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX blob_leases_sha256 ON blob_leases (sha256);
CREATE INDEX blob_leases_lease ON blob_leases (lease);
