-- Live and trashed item counts per organization and kind, kept by triggers, so
-- list totals do not count 100,000 rows on every request.
CREATE INDEX media_live_search ON media(org_id, search) WHERE deleted_at IS NULL;

CREATE TABLE media_counts (
	org_id  INTEGER NOT NULL,
	kind    TEXT    NOT NULL,
	trashed INTEGER NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (org_id, kind, trashed)
) WITHOUT ROWID;

INSERT INTO media_counts (org_id, kind, trashed, n)
	SELECT org_id, kind, deleted_at IS NOT NULL, COUNT(*) FROM media GROUP BY 1, 2, 3;

CREATE TRIGGER media_counts_insert AFTER INSERT ON media BEGIN
	INSERT INTO media_counts (org_id, kind, trashed, n) VALUES (NEW.org_id, NEW.kind, NEW.deleted_at IS NOT NULL, 1)
		ON CONFLICT (org_id, kind, trashed) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER media_counts_delete AFTER DELETE ON media BEGIN
	UPDATE media_counts SET n = n - 1
		WHERE org_id = OLD.org_id AND kind = OLD.kind AND trashed = (OLD.deleted_at IS NOT NULL);
END;

CREATE TRIGGER media_counts_update AFTER UPDATE OF org_id, kind, deleted_at ON media
	WHEN OLD.org_id != NEW.org_id OR OLD.kind != NEW.kind OR (OLD.deleted_at IS NULL) != (NEW.deleted_at IS NULL)
BEGIN
	UPDATE media_counts SET n = n - 1
		WHERE org_id = OLD.org_id AND kind = OLD.kind AND trashed = (OLD.deleted_at IS NOT NULL);
	INSERT INTO media_counts (org_id, kind, trashed, n) VALUES (NEW.org_id, NEW.kind, NEW.deleted_at IS NOT NULL, 1)
		ON CONFLICT (org_id, kind, trashed) DO UPDATE SET n = n + 1;
END;
