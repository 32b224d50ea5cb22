-- Which characters follow each posting's gram in its row's text: bit
-- (c % 15) of next for every character c (lower-cased as lower() does) that
-- follows one of the gram's places. A term's gram followed in the term by c
-- can only be in rows whose posting has c's bit, so a search walks or reads
-- only the postings with the bits of its term (see storage/search.go):
-- "-57." has two grams, each in one name in a hundred at a million rows, and
-- the posting of "-57" followed by "." is in one. next may name more
-- characters than follow (bits are shared; a posting kept across an edit
-- keeps its old bits too), never fewer, so it narrows the candidates and
-- never changes an answer.
--
-- Postings written before this have every bit (32767: followed by anything)
-- and every row is listed in media_grams_stale, whose bits the server works
-- out in the background at start (IndexPending: rows pending indexing once
-- indexed); searches are right meanwhile, only not narrowed.
ALTER TABLE media_grams ADD COLUMN next INTEGER NOT NULL DEFAULT 32767;
CREATE TABLE media_grams_stale (
	media_id INTEGER PRIMARY KEY
);
INSERT INTO media_grams_stale (media_id) SELECT id FROM media;
