-- Pages by since_id list an organization's live items in id order. Without
-- an index on (org_id, id) SQLite walked another index of the organization
-- and sorted every row to find the next page: 150 ms at 100,000 items, and
-- growing with the library; with it, each page is a range of this index.
CREATE INDEX media_live_id ON media(org_id, id) WHERE deleted_at IS NULL;
