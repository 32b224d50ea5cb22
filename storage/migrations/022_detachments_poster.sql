-- A forced delete of an image chosen as a video's or document's poster
-- records which item it was the poster of, so restoring the image makes it
-- that item's poster again (as it puts a gallery image back in its gallery).
ALTER TABLE detachments ADD COLUMN poster_of INTEGER;
