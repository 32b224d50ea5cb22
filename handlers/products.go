package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// catalogRoutes are the /api routes of products, variants, collections and galleries.
func (h *Handlers) catalogRoutes() []endpoint {
	read, write := data.ScopeProductsRead, data.ScopeProductsWrite
	return []endpoint{
		apiRoute("GET", "/api/products", read, h.handleProductList, productList.params()...),
		apiRoute("POST", "/api/products", write, h.handleProductCreate),
		apiRoute("GET", "/api/products/:id", read, h.handleProductGet, "fields"),
		apiRoute("PATCH", "/api/products/:id", write, h.handleProductPatch),
		apiRoute("DELETE", "/api/products/:id", write, h.handleProductDelete),

		apiRoute("GET", "/api/products/:id/variants", read, h.handleVariantList, variantList.params()...),
		apiRoute("POST", "/api/products/:id/variants", write, h.handleVariantCreate),
		apiRoute("GET", "/api/products/:id/variants/:vid", read, h.handleVariantGet, "fields"),
		apiRoute("PATCH", "/api/products/:id/variants/:vid", write, h.handleVariantPatch),
		apiRoute("DELETE", "/api/products/:id/variants/:vid", write, h.handleVariantDelete),
		apiRoute("PUT", "/api/products/:id/variants/:vid/image", write, h.handleVariantImage),

		apiRoute("GET", "/api/products/:id/images", read, h.handleGalleryList, galleryList.params()...),
		streamed(apiRoute("POST", "/api/products/:id/images", write, h.handleGalleryAdd)),
		apiRoute("POST", "/api/products/:id/images/reorder", write, h.handleGalleryReorder),
		apiRoute("GET", "/api/products/:id/images/:image_id", read, h.handleGalleryImageGet, "fields"),
		apiRoute("PATCH", "/api/products/:id/images/:image_id", write, h.handleGalleryImagePatch),
		apiRoute("PUT", "/api/products/:id/images/:image_id", write, h.handleGalleryImagePut),
		apiRoute("DELETE", "/api/products/:id/images/:image_id", write, h.handleGalleryImageDelete),

		apiRoute("GET", "/api/collections", read, h.handleCollectionList, collectionList.params()...),
		apiRoute("POST", "/api/collections", write, h.handleCollectionCreate),
		apiRoute("GET", "/api/collections/:id", read, h.handleCollectionGet, "fields"),
		apiRoute("PATCH", "/api/collections/:id", write, h.handleCollectionPatch),
		apiRoute("DELETE", "/api/collections/:id", write, h.handleCollectionDelete),
		apiRoute("PUT", "/api/collections/:id/image", write, h.handleCollectionImage),
	}
}

// ProductJSON is a product as the API shows it.
type ProductJSON struct {
	ID             int64          `json:"id"`
	Title          string         `json:"title"`
	Handle         string         `json:"handle"`
	Status         string         `json:"status"`
	ImageCount     int            `json:"image_count"`
	ImagesWithAlt  int            `json:"images_with_alt"`
	VariantCount   int            `json:"variant_count"`
	FeaturedImage  *FeaturedImage `json:"featured_image"`
	GalleryVersion int64          `json:"gallery_version"`
	CreatedAt      string         `json:"created_at"`
	UpdatedAt      string         `json:"updated_at"`
}

// FeaturedImage is a short description of a media item used as an image.
type FeaturedImage struct {
	MediaID int64   `json:"media_id"`
	Src     string  `json:"src"`
	Alt     *string `json:"alt"`
	Width   *int    `json:"width"`
	Height  *int    `json:"height"`
}

var productFields = []string{"id", "title", "handle", "status", "image_count", "images_with_alt", "variant_count",
	"featured_image", "gallery_version", "created_at", "updated_at"}

func (h *Handlers) imageRef(c *fiber.Ctx, m *data.Media) *FeaturedImage {
	if m == nil {
		return nil
	}
	return &FeaturedImage{MediaID: m.ID, Src: h.baseURL(c) + FileURL(m), Alt: optStr(m.Alt), Width: optInt(m.Width), Height: optInt(m.Height)}
}

func (h *Handlers) productJSON(c *fiber.Ctx, p *data.Product) ProductJSON {
	return ProductJSON{
		ID: p.ID, Title: p.Title, Handle: p.Handle, Status: string(p.Status),
		ImageCount: p.ImageCount, ImagesWithAlt: p.AltCount, VariantCount: p.VariantCount,
		FeaturedImage: h.imageRef(c, p.Featured), GalleryVersion: p.GalleryVersion,
		CreatedAt: web.FormatTime(p.CreatedAt), UpdatedAt: web.FormatTime(p.UpdatedAt),
	}
}

// sendList renders a list envelope, each item made sparse by fields.
func sendList[T any](c *fiber.Ctx, items []T, total, limit, offset int, fields []string, render func(T) any) error {
	out, err := listOf(items, total, limit, offset, fields, render)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// listOf renders items into the list envelope, each cut to fields (all when empty).
func listOf[T any](items []T, total, limit, offset int, fields []string, render func(T) any) (List[any], error) {
	out := List[any]{Data: make([]any, 0, len(items)), Total: total, Limit: limit, Offset: offset}
	for _, it := range items {
		v, err := sparse(render(it), fields)
		if err != nil {
			return out, err
		}
		out.Data = append(out.Data, v)
	}
	return out, nil
}

func searchParam(c *fiber.Ctx) (string, error) {
	return data.ParseSearch(c.Query("q"))
}

func (h *Handlers) handleProductList(c *fiber.Ctx) error {
	lq, err := parseList(c, productList, defaultPage, maxPage)
	if err != nil {
		return err
	}
	f := data.ProductFilter{Limit: lq.Limit, Offset: lq.Offset, SinceID: lq.SinceID, Sort: lq.Sort}
	if f.Q, err = searchParam(c); err != nil {
		return err
	}
	if s := c.Query("status"); s != "" {
		st, err := data.ParseProductStatus(s)
		if err != nil {
			return paramError("status", "status must be draft, active or archived.")
		}
		f.Status = st
	}
	f.Handle = c.Query("handle")
	items, total, err := h.Catalog.FindProducts(c.UserContext(), f)
	if err != nil {
		return err
	}
	return sendList(c, items, total, f.Limit, f.Offset, lq.Fields, func(p *data.Product) any { return h.productJSON(c, p) })
}

func (h *Handlers) handleProductGet(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	fields, err := fieldsParam(c, productFields)
	if err != nil {
		return err
	}
	p, err := h.Catalog.FindProductByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	tag, err := h.productTag(c, p)
	if err != nil {
		return err
	}
	v, err := sparse(h.productJSON(c, p), fields)
	if err != nil {
		return err
	}
	return sendTagged(c, tag, v)
}

func (h *Handlers) handleProductCreate(c *fiber.Ctx) error {
	var body struct {
		Title  string `json:"title"`
		Handle string `json:"handle"`
		Status string `json:"status"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	p, err := h.Catalog.CreateProduct(c.UserContext(), data.ProductCreate{Title: body.Title, Handle: body.Handle, Status: data.ProductStatus(body.Status)})
	if err != nil {
		return err
	}
	tag, err := h.productTag(c, p)
	if err := setTag(c, tag, err); err != nil {
		return err
	}
	c.Location("/api/products/" + itoa(p.ID))
	return c.Status(http.StatusCreated).JSON(h.productJSON(c, p))
}

// notNull returns the value of an optional field that may not be null.
func notNull(name string, o optionalString) (*string, error) {
	if !o.Set {
		return nil, nil
	}
	if o.Null {
		return nil, data.FieldError(name, "%s cannot be null.", name)
	}
	return &o.Value, nil
}

func (h *Handlers) handleProductPatch(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	var body struct {
		Title  optionalString `json:"title"`
		Handle optionalString `json:"handle"`
		Status optionalString `json:"status"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	var upd data.ProductUpdate
	if upd.Title, err = notNull("title", body.Title); err != nil {
		return err
	}
	if upd.Handle, err = notNull("handle", body.Handle); err != nil {
		return err
	}
	st, err := notNull("status", body.Status)
	if err != nil {
		return err
	}
	if st != nil {
		s := data.ProductStatus(*st)
		upd.Status = &s
	}
	defer lockResource(kindProduct, id)()
	if err := precondition(c, "product", func() (entityTag, error) { return h.currentProductTag(c, id) }); err != nil {
		return err
	}
	if _, err := h.Catalog.UpdateProduct(c.UserContext(), id, upd); err != nil {
		return err
	}
	p, err := h.Catalog.FindProductByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	tag, err := h.productTag(c, p)
	if err := setTag(c, tag, err); err != nil {
		return err
	}
	return c.JSON(h.productJSON(c, p))
}

func (h *Handlers) handleProductDelete(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	defer lockResource(kindProduct, id)()
	if err := precondition(c, "product", func() (entityTag, error) { return h.currentProductTag(c, id) }); err != nil {
		return err
	}
	if err := h.Catalog.DeleteProduct(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// Variants.

// VariantJSON is a variant as the API shows it.
type VariantJSON struct {
	ID        int64             `json:"id"`
	ProductID int64             `json:"product_id"`
	Title     string            `json:"title"`
	SKU       string            `json:"sku"`
	Options   map[string]string `json:"options"`
	ImageID   *int64            `json:"image_id"`
	Image     *FeaturedImage    `json:"image"`
	CreatedAt string            `json:"created_at"`
	UpdatedAt string            `json:"updated_at"`
}

var variantFields = []string{"id", "product_id", "title", "sku", "options", "image_id", "image", "created_at", "updated_at"}

func (h *Handlers) variantJSON(c *fiber.Ctx, v *data.Variant) VariantJSON {
	j := VariantJSON{ID: v.ID, ProductID: v.ProductID, Title: v.Title, SKU: v.SKU, Options: v.Options,
		Image: h.imageRef(c, v.Media), CreatedAt: web.FormatTime(v.CreatedAt), UpdatedAt: web.FormatTime(v.UpdatedAt)}
	if v.ImageID != 0 {
		id := v.ImageID
		j.ImageID = &id
	}
	if j.Options == nil {
		j.Options = map[string]string{}
	}
	return j
}

func variantPath(c *fiber.Ctx) (productID, variantID int64, err error) {
	if productID, err = pathID(c, "id", "Product"); err != nil {
		return 0, 0, err
	}
	variantID, err = pathID(c, "vid", "Variant")
	return productID, variantID, err
}

func (h *Handlers) handleVariantList(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	lq, err := parseList(c, variantList, defaultPage, maxPage)
	if err != nil {
		return err
	}
	f := data.VariantFilter{ProductID: pid, Limit: lq.Limit, Offset: lq.Offset, SinceID: lq.SinceID, Sort: lq.Sort}
	if f.Q, err = searchParam(c); err != nil {
		return err
	}
	items, total, err := h.Catalog.FindVariants(c.UserContext(), f)
	if err != nil {
		return err
	}
	return sendList(c, items, total, f.Limit, f.Offset, lq.Fields, func(v *data.Variant) any { return h.variantJSON(c, v) })
}

func (h *Handlers) handleVariantGet(c *fiber.Ctx) error {
	pid, vid, err := variantPath(c)
	if err != nil {
		return err
	}
	fields, err := fieldsParam(c, variantFields)
	if err != nil {
		return err
	}
	v, err := h.Catalog.FindVariantByID(c.UserContext(), pid, vid)
	if err != nil {
		return err
	}
	tag, err := h.variantTag(c, v)
	if err != nil {
		return err
	}
	out, err := sparse(h.variantJSON(c, v), fields)
	if err != nil {
		return err
	}
	return sendTagged(c, tag, out)
}

func (h *Handlers) handleVariantCreate(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	var body struct {
		Title   string            `json:"title"`
		SKU     string            `json:"sku"`
		Options map[string]string `json:"options"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	v, err := h.Catalog.CreateVariant(c.UserContext(), pid, data.VariantCreate{Title: body.Title, SKU: body.SKU, Options: body.Options})
	if err != nil {
		return err
	}
	tag, err := h.variantTag(c, v)
	if err := setTag(c, tag, err); err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/products/%d/variants/%d", pid, v.ID))
	return c.Status(http.StatusCreated).JSON(h.variantJSON(c, v))
}

func (h *Handlers) handleVariantPatch(c *fiber.Ctx) error {
	pid, vid, err := variantPath(c)
	if err != nil {
		return err
	}
	var body struct {
		Title   optionalString     `json:"title"`
		SKU     optionalString     `json:"sku"`
		Options *map[string]string `json:"options"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	var upd data.VariantUpdate
	if upd.Title, err = notNull("title", body.Title); err != nil {
		return err
	}
	if body.SKU.Set {
		sku := body.SKU.Value // null clears
		upd.SKU = &sku
	}
	upd.Options = body.Options
	defer lockResource(kindVariant, vid)()
	if err := precondition(c, "variant", func() (entityTag, error) { return h.currentVariantTag(c, pid, vid) }); err != nil {
		return err
	}
	if _, err := h.Catalog.UpdateVariant(c.UserContext(), pid, vid, upd); err != nil {
		return err
	}
	return h.sendVariantAfterWrite(c, pid, vid)
}

// sendVariantAfterWrite answers a write with the variant as it now is and its tag.
func (h *Handlers) sendVariantAfterWrite(c *fiber.Ctx, pid, vid int64) error {
	v, err := h.Catalog.FindVariantByID(c.UserContext(), pid, vid)
	if err != nil {
		return err
	}
	tag, err := h.variantTag(c, v)
	if err := setTag(c, tag, err); err != nil {
		return err
	}
	return c.JSON(h.variantJSON(c, v))
}

func (h *Handlers) handleVariantDelete(c *fiber.Ctx) error {
	pid, vid, err := variantPath(c)
	if err != nil {
		return err
	}
	defer lockResource(kindVariant, vid)()
	if err := precondition(c, "variant", func() (entityTag, error) { return h.currentVariantTag(c, pid, vid) }); err != nil {
		return err
	}
	if err := h.Catalog.DeleteVariant(c.UserContext(), pid, vid); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// optionalID tells an absent field from null from an id.
type optionalID struct {
	Set   bool
	Value int64 // 0 for null
}

func (o *optionalID) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// requiredID returns the id of a field that must be present (null gives 0).
func requiredID(name string, o optionalID) (int64, error) {
	if !o.Set {
		return 0, data.FieldError(name, "Send %s: an id, or null to clear.", name)
	}
	if o.Value < 0 {
		return 0, data.FieldError(name, "%s must be a positive id or null.", name)
	}
	return o.Value, nil
}

func (h *Handlers) handleVariantImage(c *fiber.Ctx) error {
	pid, vid, err := variantPath(c)
	if err != nil {
		return err
	}
	var body struct {
		ImageID optionalID `json:"image_id"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	imageID, err := requiredID("image_id", body.ImageID)
	if err != nil {
		return err
	}
	defer lockResource(kindVariant, vid)()
	if err := precondition(c, "variant", func() (entityTag, error) { return h.currentVariantTag(c, pid, vid) }); err != nil {
		return err
	}
	if _, err := h.Catalog.SetVariantImage(c.UserContext(), pid, vid, imageID); err != nil {
		return err
	}
	return h.sendVariantAfterWrite(c, pid, vid)
}

// Gallery images.

// GalleryImageJSON is an image of a product's gallery as the API shows it.
type GalleryImageJSON struct {
	ID         int64   `json:"id"`
	ProductID  int64   `json:"product_id"`
	MediaID    int64   `json:"media_id"`
	Position   int     `json:"position"`
	Alt        *string `json:"alt"`
	Src        string  `json:"src"`
	Width      *int    `json:"width"`
	Height     *int    `json:"height"`
	MIMEType   string  `json:"mime_type"`
	VariantIDs []int64 `json:"variant_ids"`
	CreatedAt  string  `json:"created_at"`
	UpdatedAt  string  `json:"updated_at"`

	RenditionsJSON
}

var galleryImageFields = []string{"id", "product_id", "media_id", "position", "alt", "src", "width", "height", "mime_type",
	"variant_ids", "created_at", "updated_at", "processing", "processing_error", "renditions", "srcset", "renditions_webp", "srcset_webp"}

func (h *Handlers) galleryImageJSON(base string, gi *data.GalleryImage) GalleryImageJSON {
	j := GalleryImageJSON{ID: gi.ID, ProductID: gi.ProductID, MediaID: gi.MediaID, Position: gi.Position,
		VariantIDs: gi.VariantIDs, CreatedAt: web.FormatTime(gi.CreatedAt), UpdatedAt: web.FormatTime(gi.UpdatedAt)}
	if m := gi.Media; m != nil {
		j.Alt, j.Src, j.Width, j.Height, j.MIMEType = optStr(m.Alt), base+FileURL(m), optInt(m.Width), optInt(m.Height), m.MIMEType
		j.RenditionsJSON = renditionsJSON(base, m)
	}
	if j.VariantIDs == nil {
		j.VariantIDs = []int64{}
	}
	return j
}

// galleryIfMatchRE reads the gallery version out of an If-Match tag: the
// gallery's ETag (W/"g<product>-<digest>-<version>"), the older
// W/"g<product>-<version>", or a bare version.
var galleryIfMatchRE = regexp.MustCompile(`^(?:W/)?"?(?:g(\d+)-(?:[0-9a-f]+-)?)?(\d+)"?$`)

// ifMatchVersion reads If-Match: 0 when absent or "*", the gallery version of
// the first tag naming this product's gallery, and -1 (matching nothing)
// when no tag does. Only the version is compared: a gallery's If-Match
// guards its order and membership; alt text is the media item's (guard it
// with the item's ETag on PATCH /api/media/{id}).
func ifMatchVersion(c *fiber.Ctx, productID int64) int64 {
	h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	if h == "" || h == "*" {
		return 0
	}
	for _, tag := range strings.Split(h, ",") {
		m := galleryIfMatchRE.FindStringSubmatch(strings.TrimSpace(tag))
		if m == nil || (m[1] != "" && m[1] != strconv.FormatInt(productID, 10)) {
			continue
		}
		if v, err := strconv.ParseInt(m[2], 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return -1
}

func imagePath(c *fiber.Ctx) (productID, imageID int64, err error) {
	if productID, err = pathID(c, "id", "Product"); err != nil {
		return 0, 0, err
	}
	imageID, err = pathID(c, "image_id", "Gallery image")
	return productID, imageID, err
}

var srcRE = regexp.MustCompile(`/files/([0-9a-f]{32})\.[a-z0-9]{1,5}$`)

func (h *Handlers) handleGalleryList(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	lq, err := parseList(c, galleryList, h.Limits.MaxGalleryImages, h.Limits.MaxGalleryImages)
	if err != nil {
		return err
	}
	f := data.GalleryFilter{Limit: lq.Limit, Offset: lq.Offset, SinceID: lq.SinceID, Sort: lq.Sort}
	pos, err := queryID(c, "position", 1)
	if err != nil {
		return err
	}
	if pos > int64(h.Limits.MaxGalleryImages) {
		return paramError("position", fmt.Sprintf("position must be from 1 to %d.", h.Limits.MaxGalleryImages))
	}
	f.Position = int(pos)
	if src := c.Query("src"); src != "" {
		if m := srcRE.FindStringSubmatch(strings.SplitN(src, "?", 2)[0]); m != nil {
			f.FileKey = m[1]
		} else {
			f.FileKey = "-" // not one of our file URLs: matches nothing
		}
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	p, _ := web.PrincipalOf(c)
	err = h.cachedJSON(c, p.OrgID, func() (any, error) {
		g, err := h.Catalog.FindGallery(c.UserContext(), pid, f)
		if err != nil {
			return nil, err
		}
		base := h.baseURL(c)
		// The whole gallery's tag when this is the whole gallery; a page's names its images.
		d, err := h.galleryDigest(base, g.Images)
		if err != nil {
			return nil, err
		}
		c.Set(fiber.HeaderETag, galleryTag(pid, g.Version, d))
		return listOf(g.Images, g.Total, f.Limit, f.Offset, lq.Fields, func(gi *data.GalleryImage) any { return h.galleryImageJSON(base, gi) })
	})
	if err != nil {
		return err
	}
	return revalidate(c)
}

func (h *Handlers) handleGalleryImageGet(c *fiber.Ctx) error {
	pid, iid, err := imagePath(c)
	if err != nil {
		return err
	}
	fields, err := fieldsParam(c, galleryImageFields)
	if err != nil {
		return err
	}
	// One read for the image and the gallery's tag, so they agree.
	g, tag, err := h.wholeGallery(c, pid)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(g.Images, func(gi *data.GalleryImage) bool { return gi.ID == iid })
	if i < 0 {
		return data.NotFound("Gallery image")
	}
	c.Set(fiber.HeaderETag, tag)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if noneMatch(c, tag) {
		return notModified(c)
	}
	v, err := sparse(h.galleryImageJSON(h.baseURL(c), g.Images[i]), fields)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// handleGalleryAdd attaches a library item ({"media_id": 12}), or uploads a
// file (multipart "file", or JSON base64 "attachment" + "filename") or
// imports one ({"src": URL}) and attaches it, at an optional position, with
// optional alt text.
func (h *Handlers) handleGalleryAdd(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	// Answer a missing product or a full gallery before reading an upload.
	p, err := h.Catalog.FindProductByID(c.UserContext(), pid)
	if err != nil {
		return err
	}
	if p.ImageCount >= h.Limits.MaxGalleryImages {
		return data.Errorf(data.ECGalleryFull, "This product's gallery has %d images and holds at most %d; remove some before adding more.",
			p.ImageCount, h.Limits.MaxGalleryImages).With("max_images", h.Limits.MaxGalleryImages)
	}
	up, err := h.readUpload(c, true)
	if err != nil {
		return err
	}
	defer up.discard(h.Media)
	var mediaID int64
	var position int
	var alt *string
	var src string
	if up.fields != nil { // JSON
		for _, k := range slices.Sorted(maps.Keys(up.fields)) { // the same field named every time
			switch k {
			case "attachment", "filename", "alt", "position", "media_id", "src":
			default:
				return data.Errorf(data.ECUnknownField, "Unknown field %q.", k).With("field", k)
			}
		}
		if raw, ok := up.fields["media_id"]; ok {
			if err := json.Unmarshal(raw, &mediaID); err != nil || mediaID <= 0 {
				return data.FieldError("media_id", "media_id must be the id of a media item.")
			}
		}
		if raw, ok := up.fields["position"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &position); err != nil || position < 1 {
				return data.FieldError("position", "position must be a whole number from 1.")
			}
		}
		if _, ok := up.fields["alt"]; ok {
			a := up.alt // readUpload parsed it; null clears
			alt = &a
		}
		if raw, ok := up.fields["src"]; ok {
			if err := json.Unmarshal(raw, &src); err != nil || strings.TrimSpace(src) == "" {
				return data.FieldError("src", "src must be the http or https URL of an image.")
			}
		}
	} else { // multipart
		for _, k := range slices.Sorted(maps.Keys(up.form)) {
			v := up.form[k]
			switch k {
			case "alt":
				a := v
				alt = &a
			case "position":
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < 1 {
					return data.FieldError("position", "position must be a whole number from 1.")
				}
				position = n
			case "media_id":
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil || n <= 0 {
					return data.FieldError("media_id", "media_id must be the id of a media item.")
				}
				mediaID = n
			case "src":
				src = v
			default:
				return data.Errorf(data.ECUnknownField, "Unknown form field %q; send \"file\", \"src\", \"alt\", \"position\" or \"media_id\".", k).With("field", k)
			}
		}
	}
	if src != "" {
		if len(up.files) > 0 || mediaID != 0 {
			return data.FieldError("src", "Send one of media_id, a file, or src.")
		}
		if strings.TrimSpace(src) == "" || len(src) > 8192 {
			return data.FieldError("src", "src must be the http or https URL of an image.")
		}
		if err := mayCreateMedia(c.UserContext()); err != nil {
			return err
		}
		if up.files, err = h.Media.StageURLs(c.UserContext(), []string{src}); err != nil {
			return err
		}
	}
	var imgs []*data.GalleryImage
	switch {
	case len(up.files) > 1:
		return data.Errorf(data.ECTooManyFiles, "Send one file per request to add to a gallery.").With("max_files", 1)
	case len(up.files) == 1 && mediaID != 0:
		return data.FieldError("media_id", "Send either media_id (an item of the library) or a file to upload, not both.")
	case len(up.files) == 1:
		imgs, err = h.Catalog.AttachUpload(c.UserContext(), pid, data.MediaCreate{Files: up.files, Alt: up.alt}, position)
	case mediaID != 0:
		imgs, err = h.Catalog.AttachMedia(c.UserContext(), pid, data.GalleryAttach{MediaIDs: []int64{mediaID}, Position: position, Alt: alt})
	default:
		return data.Errorf(data.ECMissingFile, "Send {\"media_id\": ID} to add an item of the library, {\"src\": URL} to import one, or a file (multipart \"file\", or base64 \"attachment\" with \"filename\").")
	}
	if err != nil {
		return err
	}
	gi := imgs[0]
	if err := h.setGalleryTag(c, pid, gi.GalleryVersion); err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/products/%d/images/%d", pid, gi.ID))
	return c.Status(http.StatusCreated).JSON(h.galleryImageJSON(h.baseURL(c), gi))
}

func (h *Handlers) handleGalleryImagePatch(c *fiber.Ctx) error {
	pid, iid, err := imagePath(c)
	if err != nil {
		return err
	}
	var body struct {
		Position *int           `json:"position"`
		Alt      optionalString `json:"alt"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	upd := data.GalleryImageUpdate{Position: body.Position, IfVersion: ifMatchVersion(c, pid)}
	if body.Alt.Set {
		upd.Alt = &body.Alt.Value
	}
	gi, err := h.Catalog.UpdateGalleryImage(c.UserContext(), pid, iid, upd)
	if err != nil {
		return h.withGalleryTag(c, pid, err)
	}
	if err := h.setGalleryTag(c, pid, gi.GalleryVersion); err != nil {
		return err
	}
	return c.JSON(h.galleryImageJSON(h.baseURL(c), gi))
}

func (h *Handlers) handleGalleryImageDelete(c *fiber.Ctx) error {
	pid, iid, err := imagePath(c)
	if err != nil {
		return err
	}
	version, err := h.Catalog.DetachImage(c.UserContext(), pid, iid, ifMatchVersion(c, pid))
	if err != nil {
		return h.withGalleryTag(c, pid, err)
	}
	if err := h.setGalleryTag(c, pid, version); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// optional tells an absent field from null from a value, decoding the
// value as strictly as the body (unknown fields refused).
type optional[T any] struct {
	Set, Null bool
	Value     T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&o.Value)
}

// imagePosition is one entry of a reorder given as positions.
type imagePosition struct {
	ID       int64 `json:"id"`
	Position int   `json:"position"`
}

func (h *Handlers) handleGalleryReorder(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	var body struct {
		IDs       optional[[]int64]         `json:"ids"`
		Positions optional[[]imagePosition] `json:"positions"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	field := "ids"
	switch {
	case body.IDs.Set && body.Positions.Set:
		return data.FieldError("ids", "Send either ids (the full new order) or positions, not both.")
	case body.Positions.Set:
		field = "positions"
		if body.Positions.Null {
			return data.FieldError("positions", "positions cannot be null; send every image of the gallery once as {\"id\", \"position\"}.")
		}
	case !body.IDs.Set:
		return data.FieldError("ids", "Send ids (every image id of the gallery in the new order) or positions ([{\"id\", \"position\"}, ...]).")
	case body.IDs.Null:
		return data.FieldError("ids", "ids cannot be null; send every image id of the gallery in the new order.")
	}
	ids := body.IDs.Value
	if field == "positions" {
		ps := make([]data.ImagePosition, len(body.Positions.Value))
		for i, p := range body.Positions.Value {
			ps[i] = data.ImagePosition{ID: p.ID, Position: p.Position}
		}
		if ids, err = data.OrderFromPositions(ps); err != nil {
			return err
		}
	}
	if ids == nil {
		ids = []int64{}
	}
	version, updated, err := h.Catalog.ReorderGallery(c.UserContext(), pid, ids, ifMatchVersion(c, pid))
	if err != nil {
		return h.withGalleryTag(c, pid, renameField(err, "ids", field))
	}
	if err := h.setGalleryTag(c, pid, version); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"success": true, "updated": updated})
}

// renameField reports an error about field from as one about field to (the
// name the client used).
func renameField(err error, from, to string) error {
	var de *data.Error
	if from == to || !errors.As(err, &de) || de.Details["field"] != from {
		return err
	}
	return de.With("field", to)
}

// handleGalleryImagePut replaces an image's writable fields: position
// (required) and alt (absent or null clears it). The read-only fields of a
// GalleryImage may come back as GET gave them: id, product_id, media_id and
// src must name this image; the others are ignored.
func (h *Handlers) handleGalleryImagePut(c *fiber.Ctx) error {
	pid, iid, err := imagePath(c)
	if err != nil {
		return err
	}
	var body struct {
		Position optional[int]  `json:"position"`
		Alt      optionalString `json:"alt"`

		ID        optional[int64]  `json:"id"`
		ProductID optional[int64]  `json:"product_id"`
		MediaID   optional[int64]  `json:"media_id"`
		Src       optional[string] `json:"src"`

		// Derived, read-only fields: accepted as GET gave them, ignored.
		Width           json.RawMessage `json:"width"`
		Height          json.RawMessage `json:"height"`
		MIMEType        json.RawMessage `json:"mime_type"`
		VariantIDs      json.RawMessage `json:"variant_ids"`
		CreatedAt       json.RawMessage `json:"created_at"`
		UpdatedAt       json.RawMessage `json:"updated_at"`
		Processing      json.RawMessage `json:"processing"`
		ProcessingError json.RawMessage `json:"processing_error"`
		Renditions      json.RawMessage `json:"renditions"`
		Srcset          json.RawMessage `json:"srcset"`
		RenditionsWebP  json.RawMessage `json:"renditions_webp"`
		SrcsetWebP      json.RawMessage `json:"srcset_webp"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	if !body.Position.Set || body.Position.Null {
		return data.FieldError("position", "PUT replaces position and alt: send position (1 to the gallery's size); to change one field only, use PATCH.")
	}
	cur, err := h.Catalog.FindGalleryImage(c.UserContext(), pid, iid)
	if err != nil {
		return err
	}
	if err := sameIdentity(body.ID, body.ProductID, body.MediaID, body.Src, cur); err != nil {
		return err
	}
	alt := ""
	if body.Alt.Set && !body.Alt.Null {
		alt = body.Alt.Value
	}
	pos := body.Position.Value
	upd := data.GalleryImageUpdate{Position: &pos, Alt: &alt, Replace: true, IfVersion: ifMatchVersion(c, pid)}
	gi, err := h.Catalog.UpdateGalleryImage(c.UserContext(), pid, iid, upd)
	if err != nil {
		return h.withGalleryTag(c, pid, err)
	}
	if err := h.setGalleryTag(c, pid, gi.GalleryVersion); err != nil {
		return err
	}
	return c.JSON(h.galleryImageJSON(h.baseURL(c), gi))
}

// sameIdentity checks the read-only identity fields of a PUT against the image.
func sameIdentity(id, productID, mediaID optional[int64], src optional[string], cur *data.GalleryImage) error {
	for _, f := range []struct {
		name string
		v    optional[int64]
		want int64
	}{{"id", id, cur.ID}, {"product_id", productID, cur.ProductID}, {"media_id", mediaID, cur.MediaID}} {
		if f.v.Set && (f.v.Null || f.v.Value != f.want) {
			return data.FieldError(f.name, "%s is read-only: it must be %d (this image's) or left out.", f.name, f.want)
		}
	}
	if src.Set {
		m := srcRE.FindStringSubmatch(strings.SplitN(src.Value, "?", 2)[0])
		if src.Null || m == nil || cur.Media == nil || m[1] != cur.Media.FileKey {
			return data.FieldError("src", "src is read-only: send the image's own src or leave it out; to show another image, add it and detach this one.")
		}
	}
	return nil
}
