-- The search index: every three-character window ("gram") of a media row's
-- search text (lower(filename || char(10) || alt), padded with two char(1)
-- so that every position, even the last, starts a gram). A term of three or
-- more characters is in a row's text only if all of its grams are; shorter
-- terms are a prefix of some gram. The grams narrow the candidates, and the
-- search text itself decides (see storage/search.go), so a stale posting
-- can cost time but never change an answer.
CREATE TABLE media_grams (
	org_id   INTEGER NOT NULL,
	gram     TEXT    NOT NULL,
	media_id INTEGER NOT NULL,
	PRIMARY KEY (org_id, gram, media_id)
) WITHOUT ROWID;

-- Rows whose search text is not indexed yet: written by another tool, or
-- restored from a backup older than the index. Searches consider them all;
-- the server indexes them in the background, and `gallerist reindex` does so
-- at once.
CREATE TABLE media_search_dirty (
	media_id INTEGER PRIMARY KEY
);
CREATE TRIGGER media_search_dirty_insert AFTER INSERT ON media BEGIN
	INSERT OR IGNORE INTO media_search_dirty (media_id) VALUES (NEW.id);
END;
CREATE TRIGGER media_search_dirty_update AFTER UPDATE OF search ON media BEGIN
	INSERT OR IGNORE INTO media_search_dirty (media_id) VALUES (NEW.id);
END;
CREATE TRIGGER media_search_dirty_delete AFTER DELETE ON media BEGIN
	DELETE FROM media_search_dirty WHERE media_id = OLD.id;
END;
INSERT INTO media_search_dirty (media_id) SELECT id FROM media;
