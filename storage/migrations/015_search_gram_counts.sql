-- How many postings each gram has, per organization, kept by triggers on
-- media_grams in the same transaction. A search picks the gram whose list
-- to read from these counts: one lookup per gram, where counting a common
-- gram's postings read up to 20,000 index entries (1.3 ms) for each gram of
-- the term. The counts only choose a plan: the answers come from the
-- postings and the rows themselves, so a count that is off costs time,
-- never a wrong answer.
CREATE TABLE media_gram_counts (
	org_id INTEGER NOT NULL,
	gram   TEXT    NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (org_id, gram)
) WITHOUT ROWID;
CREATE TRIGGER media_grams_count_insert AFTER INSERT ON media_grams BEGIN
	INSERT INTO media_gram_counts (org_id, gram, n) VALUES (NEW.org_id, NEW.gram, 1)
		ON CONFLICT (org_id, gram) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER media_grams_count_delete AFTER DELETE ON media_grams BEGIN
	UPDATE media_gram_counts SET n = n - 1 WHERE org_id = OLD.org_id AND gram = OLD.gram;
END;
INSERT INTO media_gram_counts (org_id, gram, n)
	SELECT org_id, gram, COUNT(*) FROM media_grams GROUP BY org_id, gram;
