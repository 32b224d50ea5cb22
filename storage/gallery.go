package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"gallerist/data"
)

const galleryImageColumns = mediaColumns + `, g.id, g.org_id, g.product_id, g.position, g.created_at, g.updated_at`

func scanGalleryImage(row scanner) (*data.GalleryImage, error) {
	var gi data.GalleryImage
	var created, updated int64
	m, err := scanMedia(row, &gi.ID, &gi.OrgID, &gi.ProductID, &gi.Position, &created, &updated)
	if err != nil {
		return nil, err
	}
	gi.Media, gi.MediaID = m, m.ID
	gi.CreatedAt, gi.UpdatedAt = fromMS(created), fromMS(updated)
	return &gi, nil
}

// findGalleryImages lists images of one product's gallery with their media
// items and the variants that show them.
func findGalleryImages(ctx context.Context, tx *sql.Tx, productID int64, where []string, args []any, tail string, tailArgs ...any) ([]*data.GalleryImage, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+galleryImageColumns+` FROM gallery_images g JOIN media m ON m.id = g.media_id
		WHERE `+strings.Join(where, " AND ")+` `+tail, append(args, tailArgs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*data.GalleryImage
	byID := map[int64]*data.GalleryImage{}
	for rows.Next() {
		gi, err := scanGalleryImage(rows)
		if err != nil {
			return nil, err
		}
		gi.VariantIDs = []int64{}
		out = append(out, gi)
		byID[gi.ID] = gi
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	media := make([]*data.Media, 0, len(out))
	for _, gi := range out {
		if gi.Media != nil {
			media = append(media, gi.Media)
		}
	}
	if err := loadRenditions(ctx, tx, media); err != nil {
		return nil, err
	}
	vrows, err := tx.QueryContext(ctx, `SELECT id, image_id FROM variants WHERE product_id = ? AND image_id IS NOT NULL ORDER BY id`, productID)
	if err != nil {
		return nil, err
	}
	defer vrows.Close()
	for vrows.Next() {
		var vid, imageID int64
		if err := vrows.Scan(&vid, &imageID); err != nil {
			return nil, err
		}
		if gi := byID[imageID]; gi != nil {
			gi.VariantIDs = append(gi.VariantIDs, vid)
		}
	}
	return out, vrows.Err()
}

// galleryState returns a product's gallery version and image count, or ECNotFound.
func galleryState(ctx context.Context, tx *sql.Tx, org, productID int64) (version int64, count int, err error) {
	err = tx.QueryRowContext(ctx, `SELECT p.gallery_version, (SELECT COUNT(*) FROM gallery_images g WHERE g.product_id = p.id)
		FROM products p WHERE p.id = ? AND p.org_id = ?`, productID, org).Scan(&version, &count)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, data.NotFound("Product")
	}
	return version, count, err
}

// checkVersion compares an If-Match gallery version (0: no check) with the current one.
func checkVersion(current, want int64) error {
	if want == 0 || want == current {
		return nil
	}
	return data.Errorf(data.ECPreconditionFailed,
		"This gallery changed since it was loaded (someone else, or another tab, changed it). Reload it and try again.").
		With("gallery_version", current)
}

func findGalleryImage(ctx context.Context, tx *sql.Tx, org, productID, imageID int64) (*data.GalleryImage, error) {
	version, _, err := galleryState(ctx, tx, org, productID)
	if err != nil {
		return nil, err
	}
	imgs, err := findGalleryImages(ctx, tx, productID, []string{"g.product_id = ?", "g.id = ?"}, []any{productID, imageID}, "")
	if err != nil {
		return nil, err
	}
	if len(imgs) == 0 {
		return nil, data.NotFound("Gallery image")
	}
	imgs[0].GalleryVersion = version
	return imgs[0], nil
}

// FindGalleryImage returns one image of one of the organization's products.
func (s *CatalogService) FindGalleryImage(ctx context.Context, productID, imageID int64) (*data.GalleryImage, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var gi *data.GalleryImage
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		gi, err = findGalleryImage(ctx, tx, org, productID, imageID)
		return err
	})
	return gi, err
}

// gallerySortColumns are the columns of GallerySortFields.
var gallerySortColumns = map[string]string{"position": "g.position", "id": "g.id", "created_at": "g.created_at"}

// FindGallery returns a product's gallery images in position order (or f's
// sort; ascending ids after f.SinceID), filtered and paginated by f, with the
// gallery version.
func (s *CatalogService) FindGallery(ctx context.Context, productID int64, f data.GalleryFilter) (*data.Gallery, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	where, args := []string{"g.product_id = ?"}, []any{productID}
	if f.SinceID != 0 {
		where, args = append(where, "g.id > ?"), append(args, f.SinceID)
	}
	if f.Position != 0 {
		where, args = append(where, "g.position = ?"), append(args, f.Position)
	}
	if f.FileKey != "" {
		where, args = append(where, "m.file_key = ?"), append(args, f.FileKey)
	}
	order, err := listOrder(f.Sort, f.SinceID, gallerySortColumns, "g.id", "g.position, g.id")
	if err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	g := &data.Gallery{ProductID: productID}
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		var err error
		if g.Version, g.Total, err = galleryState(ctx, tx, org, productID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT gallery_rev FROM products WHERE id = ?`, productID).Scan(&g.Rev); err != nil {
			return err
		}
		if len(where) > 1 {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM gallery_images g JOIN media m ON m.id = g.media_id WHERE `+
				strings.Join(where, " AND "), args...).Scan(&g.Total); err != nil {
				return err
			}
		}
		g.Images, err = findGalleryImages(ctx, tx, productID, where, args, `ORDER BY `+order+` LIMIT ? OFFSET ?`, limit, f.Offset)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, gi := range g.Images {
		gi.GalleryVersion = g.Version
	}
	return g, nil
}

// GalleryRev is the revision of a product's gallery (products.gallery_rev,
// migration 024): bumped with any change to what its list shows.
func (s *CatalogService) GalleryRev(ctx context.Context, productID int64) (int64, error) {
	org, err := orgID(ctx)
	if err != nil {
		return 0, err
	}
	stmt, err := s.db.readStmt(ctx, `SELECT gallery_rev FROM products WHERE id = ? AND org_id = ?`)
	if err != nil {
		return 0, err
	}
	var rev int64
	err = stmt.QueryRowContext(ctx, productID, org).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, data.NotFound("Product")
	}
	return rev, err
}

// AttachMedia adds live images of the library to a product's gallery at
// at.Position (appending when 0), shifting the images after it, all or
// nothing. The checks that the items are live images run in the same
// transaction as the insert, so a concurrent forced delete either sees the
// new attachment (and detaches it) or makes this attach fail. Setting the
// items' alt text on the way needs media:update.
func (s *CatalogService) AttachMedia(ctx context.Context, productID int64, at data.GalleryAttach) ([]*data.GalleryImage, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if len(at.MediaIDs) == 0 {
		return nil, data.FieldError("media_id", "Name at least one media item to attach.")
	}
	seen := map[int64]bool{}
	for _, id := range at.MediaIDs {
		if id <= 0 {
			return nil, data.FieldError("media_id", "Media ids are positive whole numbers.")
		}
		if seen[id] {
			return nil, data.FieldError("media_id", "Media item %d is named twice; a gallery holds each item once.", id)
		}
		seen[id] = true
	}
	var alt string
	if at.Alt != nil {
		if err := data.RequireScope(ctx, data.ScopeMediaUpdate, "setting the alt text of a media item"); err != nil {
			return nil, err
		}
		if alt, err = data.ValidateAlt(*at.Alt); err != nil {
			return nil, err
		}
	}
	var out []*data.GalleryImage
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		_, n, err := galleryState(ctx, tx, org, productID)
		if err != nil {
			return err
		}
		pos := at.Position
		if pos == 0 || (at.Clamp && pos > n+1) {
			pos = n + 1
		}
		if at.Clamp && pos < 1 {
			pos = 1
		}
		if pos < 1 || pos > n+1 {
			return data.FieldError("position", "Position must be from 1 to %d (the end of the gallery).", n+1)
		}
		for _, id := range at.MediaIDs {
			m, err := attachableMedia(ctx, tx, org, id, "media_id", data.GalleryKinds...)
			if err != nil {
				return err
			}
			var existing int64
			err = tx.QueryRowContext(ctx, `SELECT id FROM gallery_images WHERE product_id = ? AND media_id = ?`, productID, id).Scan(&existing)
			if err == nil {
				return data.Errorf(data.ECConflict, "%s is already in this product's gallery (at image %d); a gallery holds each item once.", m.Filename, existing).
					With("field", "media_id").With("image_id", existing)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if limit := s.limits.MaxGalleryImages; n+len(at.MediaIDs) > limit {
			return data.Errorf(data.ECGalleryFull, "This product's gallery has %d images and holds at most %d; remove some before adding more.", n, limit).
				With("max_images", limit)
		}
		now := ms(s.db.Now())
		if _, err := tx.ExecContext(ctx, `UPDATE gallery_images SET position = position + ?, updated_at = ? WHERE product_id = ? AND position >= ?`,
			len(at.MediaIDs), now, productID, pos); err != nil {
			return err
		}
		ids := make([]int64, 0, len(at.MediaIDs))
		for i, mid := range at.MediaIDs {
			res, err := tx.ExecContext(ctx, `INSERT INTO gallery_images (org_id, product_id, media_id, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				org, productID, mid, pos+i, now, now)
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			ids = append(ids, id)
			if at.Alt != nil {
				if err := setAlt(ctx, tx, org, mid, alt, now); err != nil {
					return err
				}
			}
		}
		if err := resequenceGallery(ctx, tx, productID, now); err != nil {
			return err
		}
		out, err = findImagesByIDs(ctx, tx, org, productID, ids)
		return err
	})
	return out, err
}

// setAlt sets a media item's alt text (and its search text).
func setAlt(ctx context.Context, tx *sql.Tx, org, mediaID int64, alt string, now int64) error {
	var filename string
	if err := tx.QueryRowContext(ctx, `SELECT filename FROM media WHERE id = ? AND org_id = ?`, mediaID, org).Scan(&filename); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE media SET alt = ?, updated_at = ? WHERE id = ? AND org_id = ?`,
		alt, now, mediaID, org); err != nil {
		return err
	}
	if err := recordEvent(ctx, tx, now, mediaEvent(org, data.EventMediaUpdated, mediaID, map[string]string{"alt": alt})); err != nil {
		return err
	}
	return setSearch(ctx, tx, mediaID, searchText(filename, alt))
}

// findImagesByIDs returns gallery images in the order of ids, with the gallery version.
func findImagesByIDs(ctx context.Context, tx *sql.Tx, org, productID int64, ids []int64) ([]*data.GalleryImage, error) {
	version, _, err := galleryState(ctx, tx, org, productID)
	if err != nil {
		return nil, err
	}
	list, _ := json.Marshal(ids)
	imgs, err := findGalleryImages(ctx, tx, productID, []string{"g.product_id = ?", "g.id IN (SELECT value FROM json_each(?))"}, []any{productID, string(list)}, "")
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*data.GalleryImage, len(imgs))
	for _, gi := range imgs {
		gi.GalleryVersion = version
		byID[gi.ID] = gi
	}
	out := make([]*data.GalleryImage, 0, len(ids))
	for _, id := range ids {
		if gi := byID[id]; gi != nil {
			out = append(out, gi)
		}
	}
	return out, nil
}

// AttachUpload creates media items from staged files and attaches them to a
// product's gallery. Creating runs in the media service's transaction; if the
// attach then fails (the product is gone, the gallery filled up), the new
// items are removed again, so the request changes nothing. It needs
// media:create besides the products:write of the gallery route.
func (s *CatalogService) AttachUpload(ctx context.Context, productID int64, mc data.MediaCreate, position int) ([]*data.GalleryImage, error) {
	return s.AttachUploadAt(ctx, productID, mc, data.GalleryAttach{Position: position})
}

// AttachUploadAt is AttachUpload with the attach options (position and
// clamping) of at; its MediaIDs are the new items.
func (s *CatalogService) AttachUploadAt(ctx context.Context, productID int64, mc data.MediaCreate, at data.GalleryAttach) ([]*data.GalleryImage, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := data.RequireScope(ctx, data.ScopeMediaCreate, "uploading or importing media into a gallery"); err != nil {
		return nil, err
	}
	items, err := s.media.CreateMedia(ctx, mc)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(items))
	for i, m := range items {
		ids[i] = m.ID
	}
	imgs, err := s.AttachMedia(ctx, productID, data.GalleryAttach{MediaIDs: ids, Position: at.Position, Clamp: at.Clamp})
	if err != nil {
		if rerr := s.removeUnused(context.WithoutCancel(ctx), org, items); rerr != nil {
			s.db.Log.Error("remove media of a failed gallery upload", "err", rerr)
		}
		return nil, err
	}
	return imgs, nil
}

// removeUnused deletes just-created media items that nothing uses, and their
// blobs if no other row needs them.
func (s *CatalogService) removeUnused(ctx context.Context, org int64, items []*data.Media) error {
	var freed []string
	err := s.db.update(ctx, func(tx *sql.Tx) error {
		var unused []*data.Media
		for _, m := range items {
			used, err := findUsage(ctx, tx, org, m.ID)
			if err != nil {
				return err
			}
			if len(used) == 0 {
				unused = append(unused, m)
			}
		}
		var err error
		freed, err = s.media.purgeRows(ctx, tx, unused)
		return err
	})
	if err == nil {
		s.media.freeBlobs(ctx, freed)
	}
	return err
}

// UpdateGalleryImage moves an image (re-sequencing the rest) and/or sets its
// media item's alt text (which needs media:update), in one transaction.
func (s *CatalogService) UpdateGalleryImage(ctx context.Context, productID, imageID int64, upd data.GalleryImageUpdate) (*data.GalleryImage, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if upd.Position == nil && upd.Alt == nil {
		return nil, data.Errorf(data.ECEmptyUpdate, "Send at least one of position or alt.")
	}
	if upd.Replace && upd.Position == nil {
		return nil, data.FieldError("position", "A full replacement needs position.")
	}
	var alt string
	if upd.Alt != nil {
		if !upd.Replace {
			if err := data.RequireScope(ctx, data.ScopeMediaUpdate, "editing the alt text of a media item"); err != nil {
				return nil, err
			}
		}
		if alt, err = data.ValidateAlt(*upd.Alt); err != nil {
			return nil, err
		}
	}
	var gi *data.GalleryImage
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		version, n, err := galleryState(ctx, tx, org, productID)
		if err != nil {
			return err
		}
		cur, err := findGalleryImage(ctx, tx, org, productID, imageID)
		if err != nil {
			return err
		}
		if err := checkVersion(version, upd.IfVersion); err != nil {
			return err
		}
		setAltText := upd.Alt != nil && (!upd.Replace || cur.Media == nil || alt != cur.Media.Alt)
		if setAltText && upd.Replace {
			if err := data.RequireScope(ctx, data.ScopeMediaUpdate, "changing the alt text of a media item"); err != nil {
				return err
			}
		}
		now := ms(s.db.Now())
		if upd.Position != nil && *upd.Position != cur.Position {
			to, from := *upd.Position, cur.Position
			if to < 1 || to > n {
				return data.FieldError("position", "Position must be from 1 to %d.", n)
			}
			shift, lo, hi := 1, to, from-1
			if to > from {
				shift, lo, hi = -1, from+1, to
			}
			if _, err := tx.ExecContext(ctx, `UPDATE gallery_images SET position = position + ?, updated_at = ? WHERE product_id = ? AND position BETWEEN ? AND ?`,
				shift, now, productID, lo, hi); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE gallery_images SET position = ?, updated_at = ? WHERE id = ?`, to, now, imageID); err != nil {
				return err
			}
			if err := resequenceGallery(ctx, tx, productID, now); err != nil {
				return err
			}
		}
		if setAltText {
			if err := setAlt(ctx, tx, org, cur.MediaID, alt, now); err != nil {
				return err
			}
		}
		gi, err = findGalleryImage(ctx, tx, org, productID, imageID)
		return err
	})
	return gi, err
}

// DetachImage removes an image from a gallery (variants showing it lose
// their image; the media item stays in the library) and re-sequences the rest.
func (s *CatalogService) DetachImage(ctx context.Context, productID, imageID, ifVersion int64) (int64, error) {
	org, err := orgID(ctx)
	if err != nil {
		return 0, err
	}
	var version int64
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		cur, _, err := galleryState(ctx, tx, org, productID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM gallery_images WHERE id = ? AND product_id = ? AND org_id = ?`, imageID, productID, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return data.NotFound("Gallery image")
		}
		if err := checkVersion(cur, ifVersion); err != nil {
			return err
		}
		if err := resequenceGallery(ctx, tx, productID, ms(s.db.Now())); err != nil {
			return err
		}
		version, _, err = galleryState(ctx, tx, org, productID)
		return err
	})
	return version, err
}

// ReorderGallery sets the full order of a gallery in one statement. ids must
// be exactly a permutation of the gallery's image ids.
func (s *CatalogService) ReorderGallery(ctx context.Context, productID int64, ids []int64, ifVersion int64) (int64, int, error) {
	org, err := orgID(ctx)
	if err != nil {
		return 0, 0, err
	}
	var version int64
	var updated int
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		cur, n, err := galleryState(ctx, tx, org, productID)
		if err != nil {
			return err
		}
		if err := checkVersion(cur, ifVersion); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM gallery_images WHERE product_id = ?`, productID)
		if err != nil {
			return err
		}
		current := make(map[int64]bool, n)
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			current[id] = false
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := checkPermutation(current, ids); err != nil {
			return err
		}
		list, _ := json.Marshal(ids)
		now := ms(s.db.Now())
		// The new order is one JSON array, materialized first so the update
		// looks each row up by primary key (json_each as the inner loop of a
		// join would re-read the array for every row).
		res, err := tx.ExecContext(ctx, `WITH o(id, pos) AS MATERIALIZED (SELECT value, key + 1 FROM json_each(?))
			UPDATE gallery_images SET position = o.pos, updated_at = ?
			FROM o WHERE gallery_images.id = o.id AND gallery_images.product_id = ? AND gallery_images.position != o.pos`,
			string(list), now, productID)
		if err != nil {
			return err
		}
		n64, _ := res.RowsAffected()
		updated = int(n64)
		version = cur
		if updated > 0 {
			// ids is a permutation, so the positions are 1..n already: no re-sequencing.
			version, err = bumpGallery(ctx, tx, productID, now)
		}
		return err
	})
	return version, updated, err
}

// checkPermutation checks that ids names every key of current exactly once.
func checkPermutation(current map[int64]bool, ids []int64) error {
	var unknown, twice []int64
	for _, id := range ids {
		seen, ok := current[id]
		switch {
		case !ok:
			unknown = append(unknown, id)
		case seen:
			twice = append(twice, id)
		default:
			current[id] = true
		}
	}
	var missing []int64
	for id, seen := range current {
		if !seen {
			missing = append(missing, id)
		}
	}
	if len(unknown) == 0 && len(twice) == 0 && len(missing) == 0 {
		return nil
	}
	e := data.FieldError("ids", "Give every image of the gallery exactly once (%d images; got %d ids, %d unknown, %d repeated, %d missing). Nothing was changed.",
		len(current), len(ids), len(unknown), len(twice), len(missing))
	if len(unknown) > 0 {
		e = e.With("unknown_ids", unknown)
	}
	if len(twice) > 0 {
		e = e.With("repeated_ids", twice)
	}
	if len(missing) > 0 {
		e = e.With("missing_ids", missing)
	}
	return e
}
