package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gallerist/data"
)

// CatalogService implements data.CatalogService on SQLite: products,
// variants, collections (this file) and galleries (gallery.go).
type CatalogService struct {
	db     *DB
	media  *MediaService
	limits data.Limits
}

// NewCatalogService returns the catalog service. It creates media through
// media (for uploads straight into a gallery).
func NewCatalogService(db *DB, media *MediaService, limits data.Limits) *CatalogService {
	return &CatalogService{db: db, media: media, limits: limits}
}

var _ data.CatalogService = (*CatalogService)(nil)

const productColumns = `p.id, p.org_id, p.title, p.handle, p.status, p.gallery_version, p.created_at, p.updated_at,
	(SELECT COUNT(*) FROM gallery_images g WHERE g.product_id = p.id),
	(SELECT COUNT(*) FROM gallery_images g JOIN media m ON m.id = g.media_id WHERE g.product_id = p.id AND m.alt != ''),
	(SELECT COUNT(*) FROM gallery_images g JOIN media m ON m.id = g.media_id WHERE g.product_id = p.id AND m.kind = 'video'),
	(SELECT COUNT(*) FROM variants v WHERE v.product_id = p.id),
	(SELECT g.media_id FROM gallery_images g WHERE g.product_id = p.id ORDER BY g.position LIMIT 1)`

func scanProduct(row scanner) (*data.Product, int64, error) {
	var p data.Product
	var status string
	var created, updated int64
	var featured sql.NullInt64
	if err := row.Scan(&p.ID, &p.OrgID, &p.Title, &p.Handle, &status, &p.GalleryVersion, &created, &updated,
		&p.ImageCount, &p.AltCount, &p.VideoCount, &p.VariantCount, &featured); err != nil {
		return nil, 0, err
	}
	p.Status = data.ProductStatus(status)
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return &p, featured.Int64, nil
}

// findProducts runs a product query and fills each product's featured media item.
func findProducts(ctx context.Context, tx *sql.Tx, org int64, where []string, args []any, tail string, tailArgs ...any) ([]*data.Product, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+productColumns+` FROM products p WHERE `+strings.Join(where, " AND ")+` `+tail,
		append(args, tailArgs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*data.Product
	featured := map[*data.Product]int64{}
	for rows.Next() {
		p, fid, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		if fid != 0 {
			featured[p] = fid
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	ids := make([]int64, 0, len(featured))
	for _, id := range featured {
		ids = append(ids, id)
	}
	media, err := findMediaByIDs(ctx, tx, org, ids)
	if err != nil {
		return nil, err
	}
	for p, id := range featured {
		p.Featured = media[id]
	}
	return out, nil
}

// findMediaByIDs loads media items of the organization by id, with their renditions.
func findMediaByIDs(ctx context.Context, tx *sql.Tx, org int64, ids []int64) (map[int64]*data.Media, error) {
	out := make(map[int64]*data.Media, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+mediaColumns+` FROM media m WHERE m.org_id = ? AND m.id IN (SELECT value FROM json_each(?))`, org, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []*data.Media
	for rows.Next() {
		m, err := scanMedia(rows)
		if err != nil {
			return nil, err
		}
		out[m.ID] = m
		items = append(items, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// Lists show these as thumbnails: without renditions they would load
	// the originals (up to 25 MB each).
	return out, loadRenditions(ctx, tx, items)
}

func findProductByID(ctx context.Context, tx *sql.Tx, org, id int64) (*data.Product, error) {
	ps, err := findProducts(ctx, tx, org, []string{"p.org_id = ?", "p.id = ?"}, []any{org, id}, "")
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, data.NotFound("Product")
	}
	return ps[0], nil
}

// FindProductByID returns one of the organization's products.
func (s *CatalogService) FindProductByID(ctx context.Context, id int64) (*data.Product, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var p *data.Product
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		p, err = findProductByID(ctx, tx, org, id)
		return err
	})
	return p, err
}

// FindProducts lists products matching f, newest first, with the total before pagination.
func (s *CatalogService) FindProducts(ctx context.Context, f data.ProductFilter) ([]*data.Product, int, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, 0, err
	}
	where, args := []string{"p.org_id = ?"}, []any{org}
	if f.ID != 0 {
		where, args = append(where, "p.id = ?"), append(args, f.ID)
	}
	if f.Handle != "" {
		where, args = append(where, "p.handle = ?"), append(args, f.Handle)
	}
	if f.Status != "" {
		where, args = append(where, "p.status = ?"), append(args, f.Status)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + escapeLike(q) + "%"
		where, args = append(where, `(p.title LIKE ? ESCAPE '\' OR p.handle LIKE ? ESCAPE '\')`), append(args, like, like)
	}
	if f.SinceID != 0 {
		where, args = append(where, "p.id > ?"), append(args, f.SinceID)
	}
	order, err := listOrder(f.Sort, f.SinceID, productSortColumns, "p.id", "p.created_at DESC, p.id DESC")
	if err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = data.DefaultPage
	}
	var out []*data.Product
	var total int
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products p WHERE `+strings.Join(where, " AND "), args...).Scan(&total); err != nil {
			return err
		}
		out, err = findProducts(ctx, tx, org, where, args, `ORDER BY `+order+` LIMIT ? OFFSET ?`, limit, f.Offset)
		return err
	})
	return out, total, err
}

// The columns of ProductSortFields, VariantSortFields and CollectionSortFields.
var (
	productSortColumns = map[string]string{"created_at": "p.created_at", "updated_at": "p.updated_at",
		"title": "p.title COLLATE NOCASE", "handle": "p.handle", "id": "p.id"}
	variantSortColumns = map[string]string{"created_at": "v.created_at", "updated_at": "v.updated_at",
		"title": "v.title COLLATE NOCASE", "sku": "v.sku", "id": "v.id"}
	collectionSortColumns = map[string]string{"created_at": "c.created_at", "updated_at": "c.updated_at",
		"title": "c.title COLLATE NOCASE", "handle": "c.handle", "id": "c.id"}
)

// listOrder is a list's ORDER BY: ascending ids after a since_id cursor
// (which no other sort may accompany), else orderBy.
func listOrder(sort string, sinceID int64, cols map[string]string, idCol, def string) (string, error) {
	if sinceID != 0 {
		if sort != "" && sort != "id" {
			return "", data.ParamError("sort", "since_id lists in ascending id order; leave out sort.")
		}
		return idCol + " ASC", nil
	}
	return orderBy(sort, cols, idCol, def)
}

// uniqueHandle returns h if no row of table in the organization has it, else
// h-2, h-3, … (used when the handle was made from a title).
func uniqueHandle(ctx context.Context, tx *sql.Tx, table string, org int64, h string) (string, error) {
	for i := 1; ; i++ {
		cand := h
		if i > 1 {
			cand = fmt.Sprintf("%s-%d", h, i)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE org_id = ? AND handle = ?`, org, cand).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return cand, nil
		}
	}
}

func handleConflict(what, h string) error {
	return data.Errorf(data.ECConflict, "Another %s already has the handle %q; choose another.", what, h).With("field", "handle")
}

// CreateProduct creates a product.
func (s *CatalogService) CreateProduct(ctx context.Context, pc data.ProductCreate) (*data.Product, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	title, err := data.ValidateTitle(pc.Title)
	if err != nil {
		return nil, err
	}
	handle := ""
	if pc.Handle != "" {
		if handle, err = data.ValidateHandle(pc.Handle); err != nil {
			return nil, err
		}
	}
	status := data.StatusDraft
	if pc.Status != "" {
		if status, err = data.ParseProductStatus(string(pc.Status)); err != nil {
			return nil, err
		}
	}
	var p *data.Product
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if handle == "" {
			if handle, err = uniqueHandle(ctx, tx, "products", org, data.HandleFromTitle(title)); err != nil {
				return err
			}
		}
		now := ms(s.db.Now())
		res, err := tx.ExecContext(ctx, `INSERT INTO products (org_id, title, handle, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			org, title, handle, status, now, now)
		if isUniqueViolation(err) {
			return handleConflict("product", handle)
		}
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if p, err = findProductByID(ctx, tx, org, id); err != nil {
			return err
		}
		return recordEvent(ctx, tx, now, productEvent(org, data.EventProductCreated, id, productFields(p)))
	})
	return p, err
}

// productFields is what an event says about a product.
func productFields(p *data.Product) map[string]any {
	return map[string]any{"title": p.Title, "handle": p.Handle, "status": p.Status}
}

// UpdateProduct changes a product's title, handle or status.
func (s *CatalogService) UpdateProduct(ctx context.Context, id int64, upd data.ProductUpdate) (*data.Product, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if upd.Title == nil && upd.Handle == nil && upd.Status == nil {
		return nil, data.Errorf(data.ECEmptyUpdate, "Send at least one of title, handle or status.")
	}
	set, args := []string{}, []any{}
	if upd.Title != nil {
		t, err := data.ValidateTitle(*upd.Title)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "title = ?"), append(args, t)
	}
	if upd.Handle != nil {
		h, err := data.ValidateHandle(*upd.Handle)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "handle = ?"), append(args, h)
	}
	if upd.Status != nil {
		st, err := data.ParseProductStatus(string(*upd.Status))
		if err != nil {
			return nil, err
		}
		set, args = append(set, "status = ?"), append(args, st)
	}
	var p *data.Product
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		now := ms(s.db.Now())
		res, err := tx.ExecContext(ctx, `UPDATE products SET `+strings.Join(set, ", ")+`, updated_at = ? WHERE id = ? AND org_id = ?`,
			append(args, now, id, org)...)
		if isUniqueViolation(err) {
			return handleConflict("product", *upd.Handle)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return data.NotFound("Product")
		}
		if p, err = findProductByID(ctx, tx, org, id); err != nil {
			return err
		}
		changed := map[string]any{}
		for _, col := range set {
			name := strings.TrimSuffix(col, " = ?")
			changed[name] = productFields(p)[name]
		}
		return recordEvent(ctx, tx, now, productEvent(org, data.EventProductUpdated, id, changed))
	})
	return p, err
}

// DeleteProduct deletes a product with its variants and gallery entries; the
// media items stay in the library. Records of where force-deleted media were
// in this product are dropped, so a restore never lands in a later product
// that reuses the id.
func (s *CatalogService) DeleteProduct(ctx context.Context, id int64) error {
	org, err := orgID(ctx)
	if err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *sql.Tx) error {
		p, err := findProductByID(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM products WHERE id = ? AND org_id = ?`, id, org); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM detachments WHERE product_id = ? AND media_id IN (SELECT id FROM media WHERE org_id = ?)`, id, org)
		if err != nil {
			return err
		}
		return recordEvent(ctx, tx, ms(s.db.Now()), productEvent(org, data.EventProductDeleted, id, productFields(p)))
	})
}

// requireProduct checks that the product is the organization's.
func requireProduct(ctx context.Context, tx *sql.Tx, org, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products WHERE id = ? AND org_id = ?`, id, org).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return data.NotFound("Product")
	}
	return nil
}

// Variants.

const variantColumns = `v.id, v.org_id, v.product_id, v.title, v.sku, v.options, v.image_id, v.created_at, v.updated_at, g.media_id`

const variantFrom = ` FROM variants v LEFT JOIN gallery_images g ON g.id = v.image_id`

func findVariants(ctx context.Context, tx *sql.Tx, org int64, where []string, args []any, tail string, tailArgs ...any) ([]*data.Variant, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+variantColumns+variantFrom+` WHERE `+strings.Join(where, " AND ")+` `+tail, append(args, tailArgs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*data.Variant
	var mediaIDs []int64
	for rows.Next() {
		var v data.Variant
		var opts string
		var image, media sql.NullInt64
		var created, updated int64
		if err := rows.Scan(&v.ID, &v.OrgID, &v.ProductID, &v.Title, &v.SKU, &opts, &image, &created, &updated, &media); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(opts), &v.Options); err != nil || v.Options == nil {
			v.Options = map[string]string{}
		}
		v.ImageID = image.Int64
		v.CreatedAt, v.UpdatedAt = fromMS(created), fromMS(updated)
		if media.Valid {
			v.Media = &data.Media{ID: media.Int64}
			mediaIDs = append(mediaIDs, media.Int64)
		}
		out = append(out, &v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	media, err := findMediaByIDs(ctx, tx, org, mediaIDs)
	if err != nil {
		return nil, err
	}
	for _, v := range out {
		if v.Media != nil {
			v.Media = media[v.Media.ID]
		}
	}
	return out, nil
}

func findVariantByID(ctx context.Context, tx *sql.Tx, org, productID, id int64) (*data.Variant, error) {
	vs, err := findVariants(ctx, tx, org, []string{"v.org_id = ?", "v.product_id = ?", "v.id = ?"}, []any{org, productID, id}, "")
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		if err := requireProduct(ctx, tx, org, productID); err != nil {
			return nil, err
		}
		return nil, data.NotFound("Variant")
	}
	return vs[0], nil
}

// FindVariantByID returns one variant of one of the organization's products.
func (s *CatalogService) FindVariantByID(ctx context.Context, productID, id int64) (*data.Variant, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var v *data.Variant
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		v, err = findVariantByID(ctx, tx, org, productID, id)
		return err
	})
	return v, err
}

// FindVariants lists a product's variants, oldest first, with the total before pagination.
func (s *CatalogService) FindVariants(ctx context.Context, f data.VariantFilter) ([]*data.Variant, int, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, 0, err
	}
	where, args := []string{"v.org_id = ?", "v.product_id = ?"}, []any{org, f.ProductID}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + escapeLike(q) + "%"
		where, args = append(where, `(v.title LIKE ? ESCAPE '\' OR v.sku LIKE ? ESCAPE '\')`), append(args, like, like)
	}
	if f.SinceID != 0 {
		where, args = append(where, "v.id > ?"), append(args, f.SinceID)
	}
	order, err := listOrder(f.Sort, f.SinceID, variantSortColumns, "v.id", "v.id ASC")
	if err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = data.DefaultPage
	}
	var out []*data.Variant
	var total int
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		if err := requireProduct(ctx, tx, org, f.ProductID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM variants v WHERE `+strings.Join(where, " AND "), args...).Scan(&total); err != nil {
			return err
		}
		out, err = findVariants(ctx, tx, org, where, args, `ORDER BY `+order+` LIMIT ? OFFSET ?`, limit, f.Offset)
		return err
	})
	return out, total, err
}

func encodeOptions(opts map[string]string) (string, error) {
	if opts == nil {
		opts = map[string]string{}
	}
	b, err := json.Marshal(opts)
	return string(b), err
}

// CreateVariant adds a variant to a product.
func (s *CatalogService) CreateVariant(ctx context.Context, productID int64, vc data.VariantCreate) (*data.Variant, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	title, err := data.ValidateTitle(vc.Title)
	if err != nil {
		return nil, err
	}
	sku, err := data.ValidateSKU(vc.SKU)
	if err != nil {
		return nil, err
	}
	opts, err := data.ValidateOptions(vc.Options)
	if err != nil {
		return nil, err
	}
	optsJSON, err := encodeOptions(opts)
	if err != nil {
		return nil, err
	}
	var v *data.Variant
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if err := requireProduct(ctx, tx, org, productID); err != nil {
			return err
		}
		now := ms(s.db.Now())
		res, err := tx.ExecContext(ctx, `INSERT INTO variants (org_id, product_id, title, sku, options, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			org, productID, title, sku, optsJSON, now, now)
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if v, err = findVariantByID(ctx, tx, org, productID, id); err != nil {
			return err
		}
		return variantChanged(ctx, tx, org, productID, id, "created", now)
	})
	return v, err
}

// variantChanged records a change to one of a product's variants as
// product.updated, naming the variant and the change (created, updated,
// deleted, image).
func variantChanged(ctx context.Context, tx *sql.Tx, org, productID, variantID int64, change string, now int64) error {
	return recordEvent(ctx, tx, now, productEvent(org, data.EventProductUpdated, productID,
		map[string]any{"variant_id": variantID, "variant": change}))
}

// UpdateVariant changes a variant's title, SKU or options.
func (s *CatalogService) UpdateVariant(ctx context.Context, productID, id int64, upd data.VariantUpdate) (*data.Variant, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if upd.Title == nil && upd.SKU == nil && upd.Options == nil {
		return nil, data.Errorf(data.ECEmptyUpdate, "Send at least one of title, sku or options.")
	}
	set, args := []string{}, []any{}
	if upd.Title != nil {
		t, err := data.ValidateTitle(*upd.Title)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "title = ?"), append(args, t)
	}
	if upd.SKU != nil {
		sku, err := data.ValidateSKU(*upd.SKU)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "sku = ?"), append(args, sku)
	}
	if upd.Options != nil {
		opts, err := data.ValidateOptions(*upd.Options)
		if err != nil {
			return nil, err
		}
		j, err := encodeOptions(opts)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "options = ?"), append(args, j)
	}
	var v *data.Variant
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		now := ms(s.db.Now())
		res, err := tx.ExecContext(ctx, `UPDATE variants SET `+strings.Join(set, ", ")+`, updated_at = ? WHERE id = ? AND product_id = ? AND org_id = ?`,
			append(args, now, id, productID, org)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err := findVariantByID(ctx, tx, org, productID, id)
			return err
		}
		if v, err = findVariantByID(ctx, tx, org, productID, id); err != nil {
			return err
		}
		return variantChanged(ctx, tx, org, productID, id, "updated", now)
	})
	return v, err
}

// DeleteVariant deletes a variant (its image stays in the gallery).
func (s *CatalogService) DeleteVariant(ctx context.Context, productID, id int64) error {
	org, err := orgID(ctx)
	if err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM variants WHERE id = ? AND product_id = ? AND org_id = ?`, id, productID, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err := findVariantByID(ctx, tx, org, productID, id)
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM detachments WHERE variant_id = ? AND product_id = ?`, id, productID); err != nil {
			return err
		}
		return variantChanged(ctx, tx, org, productID, id, "deleted", ms(s.db.Now()))
	})
}

// SetVariantImage sets a variant's image to one of its product's gallery images (0 clears).
func (s *CatalogService) SetVariantImage(ctx context.Context, productID, variantID, imageID int64) (*data.Variant, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var v *data.Variant
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if _, err := findVariantByID(ctx, tx, org, productID, variantID); err != nil {
			return err
		}
		if imageID != 0 {
			var kind, filename string
			err := tx.QueryRowContext(ctx, `SELECT m.kind, m.filename FROM gallery_images g JOIN media m ON m.id = g.media_id
				WHERE g.id = ? AND g.product_id = ? AND g.org_id = ?`, imageID, productID, org).Scan(&kind, &filename)
			if errors.Is(err, sql.ErrNoRows) {
				return data.FieldError("image_id", "Image %d is not in this product's gallery; choose one of its gallery images.", imageID)
			}
			if err != nil {
				return err
			}
			if data.Kind(kind) != data.KindImage {
				return data.FieldError("image_id", "%s is %s %s; a variant's image must be one of the gallery's images.", filename, article(kind), kind).
					With("image_id", imageID)
			}
		}
		now := ms(s.db.Now())
		if _, err := tx.ExecContext(ctx, `UPDATE variants SET image_id = ?, updated_at = ? WHERE id = ? AND org_id = ?`,
			nullInt(imageID), now, variantID, org); err != nil {
			return err
		}
		if v, err = findVariantByID(ctx, tx, org, productID, variantID); err != nil {
			return err
		}
		return variantChanged(ctx, tx, org, productID, variantID, "image", now)
	})
	return v, err
}

// Collections.

const collectionColumns = `c.id, c.org_id, c.title, c.handle, c.media_id, c.created_at, c.updated_at`

func findCollections(ctx context.Context, tx *sql.Tx, org int64, where []string, args []any, tail string, tailArgs ...any) ([]*data.Collection, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+collectionColumns+` FROM collections c WHERE `+strings.Join(where, " AND ")+` `+tail, append(args, tailArgs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*data.Collection
	var mediaIDs []int64
	for rows.Next() {
		var c data.Collection
		var media sql.NullInt64
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.OrgID, &c.Title, &c.Handle, &media, &created, &updated); err != nil {
			return nil, err
		}
		c.MediaID = media.Int64
		c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
		if media.Valid {
			mediaIDs = append(mediaIDs, media.Int64)
		}
		out = append(out, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	media, err := findMediaByIDs(ctx, tx, org, mediaIDs)
	if err != nil {
		return nil, err
	}
	for _, c := range out {
		c.Media = media[c.MediaID]
	}
	return out, nil
}

func findCollectionByID(ctx context.Context, tx *sql.Tx, org, id int64) (*data.Collection, error) {
	cs, err := findCollections(ctx, tx, org, []string{"c.org_id = ?", "c.id = ?"}, []any{org, id}, "")
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, data.NotFound("Collection")
	}
	return cs[0], nil
}

// FindCollectionByID returns one of the organization's collections.
func (s *CatalogService) FindCollectionByID(ctx context.Context, id int64) (*data.Collection, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var c *data.Collection
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		c, err = findCollectionByID(ctx, tx, org, id)
		return err
	})
	return c, err
}

// FindCollections lists collections matching f, newest first, with the total before pagination.
func (s *CatalogService) FindCollections(ctx context.Context, f data.CollectionFilter) ([]*data.Collection, int, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, 0, err
	}
	where, args := []string{"c.org_id = ?"}, []any{org}
	if f.ID != 0 {
		where, args = append(where, "c.id = ?"), append(args, f.ID)
	}
	if f.Handle != "" {
		where, args = append(where, "c.handle = ?"), append(args, f.Handle)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + escapeLike(q) + "%"
		where, args = append(where, `(c.title LIKE ? ESCAPE '\' OR c.handle LIKE ? ESCAPE '\')`), append(args, like, like)
	}
	if f.SinceID != 0 {
		where, args = append(where, "c.id > ?"), append(args, f.SinceID)
	}
	order, err := listOrder(f.Sort, f.SinceID, collectionSortColumns, "c.id", "c.created_at DESC, c.id DESC")
	if err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = data.DefaultPage
	}
	var out []*data.Collection
	var total int
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM collections c WHERE `+strings.Join(where, " AND "), args...).Scan(&total); err != nil {
			return err
		}
		out, err = findCollections(ctx, tx, org, where, args, `ORDER BY `+order+` LIMIT ? OFFSET ?`, limit, f.Offset)
		return err
	})
	return out, total, err
}

// CreateCollection creates a collection, optionally with an image.
func (s *CatalogService) CreateCollection(ctx context.Context, cc data.CollectionCreate) (*data.Collection, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	title, err := data.ValidateTitle(cc.Title)
	if err != nil {
		return nil, err
	}
	handle := ""
	if cc.Handle != "" {
		if handle, err = data.ValidateHandle(cc.Handle); err != nil {
			return nil, err
		}
	}
	var c *data.Collection
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if cc.MediaID != 0 {
			if _, err := attachableMedia(ctx, tx, org, cc.MediaID, "media_id", data.KindImage); err != nil {
				return err
			}
		}
		if handle == "" {
			if handle, err = uniqueHandle(ctx, tx, "collections", org, data.HandleFromTitle(title)); err != nil {
				return err
			}
		}
		now := ms(s.db.Now())
		res, err := tx.ExecContext(ctx, `INSERT INTO collections (org_id, title, handle, media_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			org, title, handle, nullInt(cc.MediaID), now, now)
		if isUniqueViolation(err) {
			return handleConflict("collection", handle)
		}
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		c, err = findCollectionByID(ctx, tx, org, id)
		return err
	})
	return c, err
}

// UpdateCollection changes a collection's title or handle.
func (s *CatalogService) UpdateCollection(ctx context.Context, id int64, upd data.CollectionUpdate) (*data.Collection, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if upd.Title == nil && upd.Handle == nil {
		return nil, data.Errorf(data.ECEmptyUpdate, "Send at least one of title or handle.")
	}
	set, args := []string{}, []any{}
	if upd.Title != nil {
		t, err := data.ValidateTitle(*upd.Title)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "title = ?"), append(args, t)
	}
	if upd.Handle != nil {
		h, err := data.ValidateHandle(*upd.Handle)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "handle = ?"), append(args, h)
	}
	var c *data.Collection
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE collections SET `+strings.Join(set, ", ")+`, updated_at = ? WHERE id = ? AND org_id = ?`,
			append(args, ms(s.db.Now()), id, org)...)
		if isUniqueViolation(err) {
			return handleConflict("collection", *upd.Handle)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return data.NotFound("Collection")
		}
		c, err = findCollectionByID(ctx, tx, org, id)
		return err
	})
	return c, err
}

// DeleteCollection deletes a collection (its image stays in the library).
func (s *CatalogService) DeleteCollection(ctx context.Context, id int64) error {
	org, err := orgID(ctx)
	if err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM collections WHERE id = ? AND org_id = ?`, id, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return data.NotFound("Collection")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM detachments WHERE collection_id = ? AND media_id IN (SELECT id FROM media WHERE org_id = ?)`, id, org)
		return err
	})
}

// SetCollectionImage sets a collection's image to a live image of the library (0 clears).
func (s *CatalogService) SetCollectionImage(ctx context.Context, collectionID, mediaID int64) (*data.Collection, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var c *data.Collection
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if _, err := findCollectionByID(ctx, tx, org, collectionID); err != nil {
			return err
		}
		if mediaID != 0 {
			if _, err := attachableMedia(ctx, tx, org, mediaID, "media_id", data.KindImage); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE collections SET media_id = ?, updated_at = ? WHERE id = ? AND org_id = ?`,
			nullInt(mediaID), ms(s.db.Now()), collectionID, org); err != nil {
			return err
		}
		c, err = findCollectionByID(ctx, tx, org, collectionID)
		return err
	})
	return c, err
}

// attachableMedia returns a media item that may be attached: the
// organization's, live, of one of kinds (images, and videos in galleries).
// It runs in the transaction that attaches, so an item trashed concurrently
// can never end up attached.
func attachableMedia(ctx context.Context, tx *sql.Tx, org, id int64, field string, kinds ...data.Kind) (*data.Media, error) {
	m, err := findMediaByID(ctx, tx, org, id)
	if err != nil {
		if data.ErrorCode(err) == data.ECNotFound {
			return nil, data.Errorf(data.ECNotFound, "Media item %d not found.", id).With("field", field)
		}
		return nil, err
	}
	if m.DeletedAt != nil {
		return nil, data.FieldError(field, "%s is in the trash; restore it before using it.", m.Filename).With("media_id", id)
	}
	if !slices.Contains(kinds, m.Kind) {
		only := "only images can be used here"
		if len(kinds) > 1 {
			only = "product galleries hold images and videos only"
		}
		return nil, data.FieldError(field, "%s is %s %s; %s.", m.Filename, article(string(m.Kind)), m.Kind, only).With("media_id", id)
	}
	return m, nil
}
