-- Revisions of what the API shows, so answers can be kept per item and per
-- gallery, and be known current by reading one number instead of rebuilding
-- them (handlers/itemcache.go). Triggers bump them in the same transaction as
-- any change to what they cover, whoever writes the rows.
--
-- media.rev covers an item's JSON in a list: its own columns (all but search,
-- the index's text, which reindexing rewrites), its usage count (gallery
-- entries, variant images, collections, the live videos and documents it is
-- the poster of), its renditions (by its bytes), and, for a video or
-- document, the image chosen as its poster.
--
-- products.gallery_rev covers a product's gallery as GET
-- /api/products/{id}/images shows it: its rows, their variants, the product
-- row, and every media.rev of its images (and of their chosen posters).
ALTER TABLE media ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN gallery_rev INTEGER NOT NULL DEFAULT 0;

-- Every column but search and rev (TestAnswerRevsCoverColumns keeps this list
-- whole when a column is added). A video's or document's poster image counts
-- it as a use while it is live.
CREATE TRIGGER media_rev_update AFTER UPDATE OF id, org_id, kind, filename, original_filename, mime_type, size, sha256,
	width, height, duration_ms, alt, source_url, created_by, created_at, updated_at, deleted_at,
	processing, processing_error, file_key, focal_x, focal_y, poster_id ON media
	WHEN NEW.rev = OLD.rev
BEGIN
	UPDATE media SET rev = rev + 1 WHERE id = NEW.id;
	UPDATE media SET rev = rev + 1 WHERE id IN (OLD.poster_id, NEW.poster_id)
		AND (OLD.poster_id IS NOT NEW.poster_id OR OLD.deleted_at IS NOT NEW.deleted_at);
END;
-- A deleted row was a use of its poster; and, where foreign keys are off (the
-- sqlite3 shell's default), nothing clears the rows pointing at it: the
-- items it was the poster of and the galleries it was in hear of it here.
CREATE TRIGGER media_rev_delete AFTER DELETE ON media BEGIN
	UPDATE media SET rev = rev + 1 WHERE id = OLD.poster_id OR poster_id = OLD.id;
	UPDATE products SET gallery_rev = gallery_rev + 1 WHERE id IN (SELECT product_id FROM gallery_images WHERE media_id = OLD.id);
END;
-- A new revision reaches the videos and documents showing the item as their
-- poster, and the galleries showing either.
CREATE TRIGGER media_rev_spread AFTER UPDATE OF rev ON media BEGIN
	UPDATE media SET rev = rev + 1 WHERE poster_id = NEW.id;
	UPDATE products SET gallery_rev = gallery_rev + 1 WHERE id IN (
		SELECT product_id FROM gallery_images WHERE media_id = NEW.id
		UNION SELECT g.product_id FROM media v JOIN gallery_images g ON g.media_id = v.id WHERE v.poster_id = NEW.id);
END;

CREATE TRIGGER products_gallery_rev AFTER UPDATE ON products WHEN NEW.gallery_rev = OLD.gallery_rev BEGIN
	UPDATE products SET gallery_rev = gallery_rev + 1 WHERE id = NEW.id;
END;

-- A new row's product hears of it through media_rev_spread (the row is
-- there by then); a deleted row's does not, so it is bumped here.
CREATE TRIGGER gallery_images_rev_insert AFTER INSERT ON gallery_images BEGIN
	UPDATE media SET rev = rev + 1 WHERE id = NEW.media_id;
END;
CREATE TRIGGER gallery_images_rev_update AFTER UPDATE ON gallery_images BEGIN
	UPDATE media SET rev = rev + 1 WHERE id IN (OLD.media_id, NEW.media_id) AND OLD.media_id IS NOT NEW.media_id;
	UPDATE products SET gallery_rev = gallery_rev + 1 WHERE id IN (OLD.product_id, NEW.product_id);
END;
CREATE TRIGGER gallery_images_rev_delete AFTER DELETE ON gallery_images BEGIN
	UPDATE media SET rev = rev + 1 WHERE id = OLD.media_id;
	UPDATE products SET gallery_rev = gallery_rev + 1 WHERE id = OLD.product_id;
END;

-- A variant shows in its image's variant_ids (and counts as a use of the
-- image's item); the item's new revision reaches the gallery.
CREATE TRIGGER variants_rev_insert AFTER INSERT ON variants BEGIN
	UPDATE media SET rev = rev + 1 WHERE id = (SELECT media_id FROM gallery_images WHERE id = NEW.image_id);
END;
CREATE TRIGGER variants_rev_update AFTER UPDATE OF id, image_id, product_id ON variants
	WHEN OLD.id IS NOT NEW.id OR OLD.image_id IS NOT NEW.image_id OR OLD.product_id IS NOT NEW.product_id
BEGIN
	UPDATE media SET rev = rev + 1 WHERE id IN (SELECT media_id FROM gallery_images WHERE id IN (OLD.image_id, NEW.image_id));
END;
CREATE TRIGGER variants_rev_delete AFTER DELETE ON variants BEGIN
	UPDATE media SET rev = rev + 1 WHERE id = (SELECT media_id FROM gallery_images WHERE id = OLD.image_id);
END;

CREATE TRIGGER collections_rev_insert AFTER INSERT ON collections BEGIN
	UPDATE media SET rev = rev + 1 WHERE id = NEW.media_id;
END;
CREATE TRIGGER collections_rev_update AFTER UPDATE OF media_id ON collections WHEN OLD.media_id IS NOT NEW.media_id BEGIN
	UPDATE media SET rev = rev + 1 WHERE id IN (OLD.media_id, NEW.media_id);
END;
CREATE TRIGGER collections_rev_delete AFTER DELETE ON collections BEGIN
	UPDATE media SET rev = rev + 1 WHERE id = OLD.media_id;
END;

-- Renditions are by bytes, shared by every item holding them; crops (slots
-- from data.CropSlotBase) are made on demand and show in no answer.
CREATE TRIGGER renditions_rev_insert AFTER INSERT ON renditions WHEN NEW.slot < 1000000000000 BEGIN
	UPDATE media SET rev = rev + 1 WHERE sha256 = NEW.sha256;
END;
CREATE TRIGGER renditions_rev_update AFTER UPDATE ON renditions BEGIN
	UPDATE media SET rev = rev + 1 WHERE sha256 IN (OLD.sha256, NEW.sha256);
END;
CREATE TRIGGER renditions_rev_delete AFTER DELETE ON renditions WHEN OLD.slot < 1000000000000 BEGIN
	UPDATE media SET rev = rev + 1 WHERE sha256 = OLD.sha256;
END;

-- How many times each organization's media rows changed (added, removed,
-- any column but rev written), so a count of "more than 1,000" can be kept:
-- each change moves a filter's matches by at most one, so a count of n
-- matches made when the counter read c still says more than 1,000 while
-- n - (counter - c) is (storage/countmemo.go).
CREATE TABLE media_changes (
	org_id INTEGER PRIMARY KEY,
	n      INTEGER NOT NULL
);
CREATE TRIGGER media_changes_insert AFTER INSERT ON media BEGIN
	INSERT INTO media_changes (org_id, n) VALUES (NEW.org_id, 1) ON CONFLICT (org_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER media_changes_delete AFTER DELETE ON media BEGIN
	INSERT INTO media_changes (org_id, n) VALUES (OLD.org_id, 1) ON CONFLICT (org_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER media_changes_update AFTER UPDATE OF id, org_id, kind, filename, original_filename, mime_type, size, sha256,
	width, height, duration_ms, alt, source_url, created_by, created_at, updated_at, deleted_at,
	processing, processing_error, file_key, focal_x, focal_y, poster_id ON media
BEGIN
	INSERT INTO media_changes (org_id, n) VALUES (NEW.org_id, 1) ON CONFLICT (org_id) DO UPDATE SET n = n + 1;
	INSERT INTO media_changes (org_id, n) SELECT OLD.org_id, 1 WHERE OLD.org_id IS NOT NEW.org_id
		ON CONFLICT (org_id) DO UPDATE SET n = n + 1;
END;
-- The index's text, rewritten by reindexing: a change only when it differs.
CREATE TRIGGER media_changes_search AFTER UPDATE OF search ON media WHEN OLD.search IS NOT NEW.search BEGIN
	INSERT INTO media_changes (org_id, n) VALUES (NEW.org_id, 1) ON CONFLICT (org_id) DO UPDATE SET n = n + 1;
END;
