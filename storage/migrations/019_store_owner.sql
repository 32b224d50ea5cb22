-- Which blob store this database owns. lineage is this database's own id:
-- a restore gives the restored copy a new one, so a copy never passes for the
-- database it was taken from. store is the store the server last started
-- with ("local", or the s3:// URL without credentials; "" until a server
-- starts); next_store is where `blobs migrate` last copied every file to,
-- the one store a server may switch to. A bucket prefix a server uses holds
-- an owner object (PREFIX/.gallerist-owner) naming the lineage that owns it:
-- garbage collection deletes nothing in a store another lineage owns.
CREATE TABLE store_owner (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	lineage    TEXT    NOT NULL,
	store      TEXT    NOT NULL DEFAULT '',
	next_store TEXT    NOT NULL DEFAULT ''
);
INSERT INTO store_owner (id, lineage) VALUES (1, lower(hex(randomblob(16))));
