-- Focal points: where the subject of an image is, as fractions of its
-- (EXIF-oriented) width and height from the top left, so that fixed-ratio
-- crops keep it in the frame. Both or neither: an item without one is
-- cropped around its centre. (focal_y's check covers the pair: a column
-- check may name another column, and focal_x exists when it is added.)
ALTER TABLE media ADD COLUMN focal_x REAL CHECK (focal_x BETWEEN 0 AND 1);
ALTER TABLE media ADD COLUMN focal_y REAL CHECK (
	(focal_x IS NULL AND focal_y IS NULL)
	OR (focal_x IS NOT NULL AND focal_y IS NOT NULL AND focal_y BETWEEN 0 AND 1));
