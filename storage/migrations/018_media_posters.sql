-- Posters: the image a merchant chose to stand for a video or a document
-- (another item of the same organization's library). Purging that image
-- forgets the choice; a poster the server made from the file itself lives
-- in renditions, under the item's own bytes.
ALTER TABLE media ADD COLUMN poster_id INTEGER REFERENCES media(id) ON DELETE SET NULL;
CREATE INDEX media_poster ON media(poster_id) WHERE poster_id IS NOT NULL;
