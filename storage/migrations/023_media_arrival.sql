-- Whether each organization's media rows arrived in time order: in_order
-- is 1 while every row has a created_at no earlier than every row of a
-- smaller id in the organization. Then "ORDER BY created_at DESC, id DESC"
-- (the library's default) is "ORDER BY id DESC", and a search can walk a
-- gram's postings (kept in media_id order) for its page instead of testing
-- rows in created_at order (see storage/search.go). Uploads stamp created_at
-- no earlier than last_created after a small clock step back (arrivalTime),
-- so in_order stays 1 in a live store; an insert out of order, or a change
-- to a row's id, org_id or created_at, clears it for good, and searches sort
-- as before. last_id and last_created are the largest of the organization's
-- (rows purged since included: the next row only needs to come after them).
CREATE TABLE media_arrival (
	org_id       INTEGER PRIMARY KEY,
	last_id      INTEGER NOT NULL,
	last_created INTEGER NOT NULL,
	in_order     INTEGER NOT NULL
);
CREATE TRIGGER media_arrival_insert AFTER INSERT ON media BEGIN
	INSERT INTO media_arrival (org_id, last_id, last_created, in_order) VALUES (NEW.org_id, NEW.id, NEW.created_at, 1)
		ON CONFLICT (org_id) DO UPDATE SET
			in_order = in_order AND NEW.id > last_id AND NEW.created_at >= last_created,
			last_id = max(last_id, NEW.id),
			last_created = max(last_created, NEW.created_at);
END;
CREATE TRIGGER media_arrival_update AFTER UPDATE OF id, org_id, created_at ON media
	WHEN OLD.id IS NOT NEW.id OR OLD.org_id IS NOT NEW.org_id OR OLD.created_at IS NOT NEW.created_at
BEGIN
	UPDATE media_arrival SET in_order = 0 WHERE org_id = OLD.org_id;
	INSERT INTO media_arrival (org_id, last_id, last_created, in_order) VALUES (NEW.org_id, NEW.id, NEW.created_at, 0)
		ON CONFLICT (org_id) DO UPDATE SET
			in_order = 0,
			last_id = max(last_id, NEW.id),
			last_created = max(last_created, NEW.created_at);
END;
-- The rows there are: out of order where some row's created_at is below
-- that of the row before it by id.
INSERT INTO media_arrival (org_id, last_id, last_created, in_order)
	SELECT org_id, MAX(id), MAX(created_at), MIN(prev IS NULL OR created_at >= prev)
	FROM (SELECT org_id, id, created_at, LAG(created_at) OVER (PARTITION BY org_id ORDER BY id) AS prev FROM media)
	GROUP BY org_id;
