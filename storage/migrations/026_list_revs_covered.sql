-- A list page kept by revision reads each item's id and rev only (the JSON
-- of items whose rev is kept is not read again: handlers/itemcache.go).
-- With rev in the indexes the pages are read by (created_at and id, the
-- default order; id, pages by since_id), the page is read from the index
-- alone, not from 24 rows each found in the table: at a million items the
-- page's SQL 36 µs to 25 µs. A change of rev rewrites the row's entries,
-- in the transaction of the change (migration 024's triggers bump rev).
DROP INDEX media_live_created;
CREATE INDEX media_live_created ON media(org_id, created_at, id, rev) WHERE deleted_at IS NULL;
DROP INDEX media_live_id;
CREATE INDEX media_live_id ON media(org_id, id, rev) WHERE deleted_at IS NULL;
