package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

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
	Kind       string  `json:"kind"`
	VariantIDs []int64 `json:"variant_ids"`
	CreatedAt  string  `json:"created_at"`
	UpdatedAt  string  `json:"updated_at"`

	RenditionsJSON
	Poster *PosterJSON `json:"poster"`
}

var galleryImageFields = []string{"id", "product_id", "media_id", "position", "alt", "src", "width", "height", "mime_type", "kind",
	"variant_ids", "created_at", "updated_at", "processing", "processing_error", "renditions", "srcset", "renditions_webp", "srcset_webp",
	"focal_x", "focal_y", "crops", "poster"}

func (h *Handlers) galleryImageJSON(base string, gi *data.GalleryImage) GalleryImageJSON {
	j := GalleryImageJSON{ID: gi.ID, ProductID: gi.ProductID, MediaID: gi.MediaID, Position: gi.Position,
		VariantIDs: gi.VariantIDs, CreatedAt: web.FormatTime(gi.CreatedAt), UpdatedAt: web.FormatTime(gi.UpdatedAt)}
	if m := gi.Media; m != nil {
		j.Alt, j.Src, j.Width, j.Height, j.MIMEType = optStr(m.Alt), base+FileURL(m), optInt(m.Width), optInt(m.Height), m.MIMEType
		j.RenditionsJSON = renditionsJSON(base, m)
		j.Kind, j.Poster = string(m.Kind), posterJSON(base, m)
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
	key := newGalleryKey(p.OrgID, pid, f, lq.Fields)
	if !h.noRevs.Load() {
		if sent, err := h.keptGallery(c, key); sent || err != nil {
			if err != nil {
				return err
			}
			return revalidate(c)
		}
	}
	err = h.cachedJSON(c, p.OrgID, func() (any, error) {
		g, err := h.Catalog.FindGallery(c.UserContext(), pid, f)
		if err != nil {
			return nil, err
		}
		// The whole gallery's tag when this is the whole gallery; a page's
		// names its images. The images' JSON is built once, for the tag and
		// the answer.
		base := h.baseURL(c)
		items := h.galleryImagesJSON(base, g.Images)
		d, err := hashJSON(items)
		if err != nil {
			return nil, err
		}
		tag := galleryTag(pid, g.Version, d)
		c.Set(fiber.HeaderETag, tag)
		l, err := listOf(items, g.Total, f.Limit, f.Offset, lq.Fields, func(gi GalleryImageJSON) any { return gi })
		if err != nil || h.noRevs.Load() {
			return l, err
		}
		// Kept for the revision read with the rows, so never older than it.
		body, err := json.Marshal(l)
		if err != nil {
			return nil, err
		}
		h.galleries.put(key, revEntry{rev: g.Rev, base: base, body: body, etag: tag})
		return rawJSON(body), nil
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
	add, err := h.readGalleryAdd(c)
	if err != nil {
		return err
	}
	imgs, err := h.attachGalleryAdd(c.UserContext(), pid, add)
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

// attachGalleryAdd attaches what an addition carries: its one file (upload
// or import) or its library item.
func (h *Handlers) attachGalleryAdd(ctx context.Context, pid int64, add galleryAdd) ([]*data.GalleryImage, error) {
	switch {
	case len(add.files) > 1:
		return nil, data.Errorf(data.ECTooManyFiles, "Send one file per request to add to a gallery.").With("max_files", 1)
	case len(add.files) == 1 && add.mediaID != 0:
		return nil, data.FieldError("media_id", "Send either media_id (an item of the library) or a file to upload, not both.")
	case len(add.files) == 1:
		alt := ""
		if add.alt != nil {
			alt = *add.alt
		}
		return h.Catalog.AttachUpload(ctx, pid, data.MediaCreate{Files: add.files, Alt: alt}, add.position)
	case add.mediaID != 0:
		return h.Catalog.AttachMedia(ctx, pid, data.GalleryAttach{MediaIDs: []int64{add.mediaID}, Position: add.position, Alt: add.alt})
	}
	return nil, data.Errorf(data.ECMissingFile, "Send {\"media_id\": ID} to add an item of the library, {\"src\": URL} to import one, or a file (multipart \"file\", or base64 \"attachment\" with \"filename\").")
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
		Kind            json.RawMessage `json:"kind"`
		Poster          json.RawMessage `json:"poster"`
		FocalX          json.RawMessage `json:"focal_x"`
		FocalY          json.RawMessage `json:"focal_y"`
		Crops           json.RawMessage `json:"crops"`
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

// The gallery editor: the admin UI's side of the same CatalogService calls.

// variantsShown is how many of a product's variants its pages load.
const variantsShown = 100

func (h *Handlers) galleryEditor(c *fiber.Ctx, pid int64) (*views.GalleryEditor, error) {
	ctx := c.UserContext()
	pr, err := h.Catalog.FindProductByID(ctx, pid)
	if err != nil {
		return nil, err
	}
	g, err := h.Catalog.FindGallery(ctx, pid, data.GalleryFilter{})
	if err != nil {
		return nil, err
	}
	vs, _, err := h.Catalog.FindVariants(ctx, data.VariantFilter{ProductID: pid, Limit: variantsShown})
	if err != nil {
		return nil, err
	}
	hist, err := h.history(c, "product", pid, 0)
	if err != nil {
		return nil, err
	}
	return &views.GalleryEditor{Product: pr, Gallery: g, Variants: vs, MaxImages: h.Limits.MaxGalleryImages, History: hist,
		Form: &views.ProductForm{Title: pr.Title, Handle: pr.Handle, Status: string(pr.Status)}}, nil
}

func (h *Handlers) handleGalleryEditor(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	g, err := h.galleryEditor(c, pid)
	if err != nil {
		return err
	}
	p := h.page(c, g.Product.Title, "products")
	return render(c, views.GalleryEditorPage(p, g))
}

// galleryConflict is the answer to a stale gallery version, in plain words.
var galleryConflict = data.Errorf(data.ECPreconditionFailed, "This gallery changed in another tab: reload to see the current order.")

func formVersion(c *fiber.Ctx) int64 {
	v, _ := strconv.ParseInt(c.FormValue("version"), 10, 64)
	return v
}

// galleryAnswer answers a gallery change: JSON with the new version for
// app.js, or back to the editor for a plain form.
func (h *Handlers) galleryAnswer(c *fiber.Ctx, pid, version int64, anchor, msg string) error {
	if wantsJSON(c) {
		return c.JSON(galleryVersionAnswer{Version: version})
	}
	if msg != "" {
		toast(c, web.Toast{Message: msg})
	}
	return web.RedirectAfterPost(c, "/products/"+itoa(pid)+anchor)
}

func galleryError(err error) error {
	if data.ErrorCode(err) == data.ECPreconditionFailed {
		return galleryConflict
	}
	return err
}

// handleGalleryReorderForm saves a new order (drag and drop, keyboard) with
// the version the page had, through the same ReorderGallery as the API.
func (h *Handlers) handleGalleryReorderForm(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	var ids []int64
	for _, s := range strings.Split(c.FormValue("ids"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return data.FieldError("ids", "ids must be image ids separated by commas.")
		}
		ids = append(ids, id)
	}
	version := formVersion(c)
	if version <= 0 {
		return data.FieldError("version", "Send the gallery version the page was showing.")
	}
	v, _, err := h.Catalog.ReorderGallery(c.UserContext(), pid, ids, version)
	if err != nil {
		return galleryError(err)
	}
	return h.galleryAnswer(c, pid, v, "", "Order saved.")
}

func (h *Handlers) handleGalleryMoveForm(c *fiber.Ctx) error {
	pid, iid, err := imagePath(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	gi, err := h.Catalog.FindGalleryImage(ctx, pid, iid)
	if err != nil {
		return err
	}
	pr, err := h.Catalog.FindProductByID(ctx, pid)
	if err != nil {
		return err
	}
	pos := gi.Position
	switch c.FormValue("move") {
	case "start":
		pos = 1
	case "earlier":
		pos = max(1, pos-1)
	case "later":
		pos = min(pr.ImageCount, pos+1)
	case "end":
		pos = pr.ImageCount
	default:
		// "Move to position…": a number past either end means that end.
		n, err := strconv.Atoi(strings.TrimSpace(c.FormValue("position")))
		if err != nil {
			return data.FieldError("position", "Type the position to move %s to, a number from 1 to %d.", gi.Media.Filename, pr.ImageCount)
		}
		pos = min(max(n, 1), pr.ImageCount)
	}
	moved, err := h.Catalog.UpdateGalleryImage(ctx, pid, iid, data.GalleryImageUpdate{Position: &pos, IfVersion: formVersion(c)})
	if err != nil {
		return galleryError(err)
	}
	return h.galleryAnswer(c, pid, moved.GalleryVersion, "#image-"+itoa(iid),
		gi.Media.Filename+" moved to position "+strconv.Itoa(moved.Position)+".")
}

func (h *Handlers) handleGalleryAltForm(c *fiber.Ctx) error {
	pid, iid, err := imagePath(c)
	if err != nil {
		return err
	}
	alt := c.FormValue("alt")
	gi, err := h.Catalog.UpdateGalleryImage(c.UserContext(), pid, iid, data.GalleryImageUpdate{Alt: &alt})
	st := views.FieldState{Value: alt, Saved: err == nil}
	if err != nil {
		if data.ErrorCode(err) != data.ECInvalidField {
			return err
		}
		st.Error = data.ErrorMessage(err)
		if gi, err = h.Catalog.FindGalleryImage(c.UserContext(), pid, iid); err != nil {
			return err
		}
	}
	if !web.WantsFragment(c) {
		if st.Error != "" {
			return data.FieldError("alt", "%s", st.Error)
		}
		toast(c, web.Toast{Message: "Alt text of " + gi.Media.Filename + " saved."})
		return web.RedirectAfterPost(c, "/products/"+itoa(pid)+"#image-"+itoa(iid))
	}
	status := fiber.StatusOK
	if st.Error != "" {
		status = fiber.StatusUnprocessableEntity
	}
	return web.Render(c, status, views.GalleryAltField(h.page(c, "", "products"), &data.Product{ID: pid}, gi, st))
}

func (h *Handlers) handleGalleryDetachForm(c *fiber.Ctx) error {
	pid, iid, err := imagePath(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	gi, err := h.Catalog.FindGalleryImage(ctx, pid, iid)
	if err != nil {
		return err
	}
	// The variants showing it lose it; Undo gives it back to them too.
	vs, _, err := h.Catalog.FindVariants(ctx, data.VariantFilter{ProductID: pid, Limit: variantsShown})
	if err != nil {
		return err
	}
	undo := url.Values{"media_id": {itoa(gi.MediaID)}, "position": {strconv.Itoa(gi.Position)}}
	for _, v := range vs {
		if v.ImageID == iid {
			undo.Add("variant_id", itoa(v.ID))
		}
	}
	if _, err := h.Catalog.DetachImage(ctx, pid, iid, 0); err != nil {
		return err
	}
	toast(c, web.Toast{Message: gi.Media.Filename + " removed from the gallery (it stays in your library)", Action: "Undo",
		ActionURL: "/products/" + itoa(pid) + "/images?" + undo.Encode()})
	return web.RedirectAfterPost(c, "/products/"+itoa(pid))
}

// handleGalleryDetachConfirm asks before removing an image that variants show.
func (h *Handlers) handleGalleryDetachConfirm(c *fiber.Ctx) error {
	pid, iid, err := imagePath(c)
	if err != nil {
		return err
	}
	g, err := h.galleryEditor(c, pid)
	if err != nil {
		return err
	}
	gi := g.ImageByID(iid)
	if gi == nil {
		return data.NotFound("Gallery image")
	}
	p := h.page(c, "Remove "+gi.Media.Filename, "products")
	return h.confirmWith(c, fiber.StatusOK, p, views.DetachImageConfirm(p, g, gi))
}

// handleGalleryAttachForm adds library images (the picker, or Undo of a removal).
func (h *Handlers) handleGalleryAttachForm(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	// The ids are added in the order posted (the picker posts them in the
	// order they were ticked); one named twice counts once, where it came first.
	var ids []int64
	seen := map[int64]bool{}
	args := [][]byte{}
	args = append(args, c.Request().PostArgs().PeekMulti("media_id")...)
	args = append(args, c.Request().URI().QueryArgs().PeekMulti("media_id")...)
	for _, v := range args {
		if id, err := strconv.ParseInt(string(v), 10, 64); err == nil && id > 0 && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		toast(c, web.Toast{Message: "Choose at least one image to add.", Kind: "error"})
		return web.RedirectAfterPost(c, "/products/"+itoa(pid))
	}
	pos, _ := strconv.Atoi(c.Query("position", c.FormValue("position")))
	added, err := h.Catalog.AttachMedia(c.UserContext(), pid, data.GalleryAttach{MediaIDs: ids, Position: pos})
	if err != nil {
		return err
	}
	msg := "Added " + views.GalleryImagesCount(added) + " to the gallery."
	if pos > 0 && len(added) == 1 {
		msg = added[0].Media.Filename + " is back in the gallery."
		// Undo of a removal: the variants that showed it show it again,
		// unless one was given another image meanwhile.
		back, err := h.restoreVariantImages(c, pid, added[0].ID)
		if err != nil {
			return err
		}
		if back > 0 {
			msg = added[0].Media.Filename + " is back in the gallery and on " + views.Plural(back, "variant", "variants") + "."
		}
	}
	toast(c, web.Toast{Message: msg})
	return web.RedirectAfterPost(c, "/products/"+itoa(pid))
}

// restoreVariantImages gives the gallery image back to the variants an
// Undo names (variant_id), those that still have no image.
func (h *Handlers) restoreVariantImages(c *fiber.Ctx, pid, imageID int64) (int, error) {
	n := 0
	for _, v := range c.Request().URI().QueryArgs().PeekMulti("variant_id") {
		vid, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || vid <= 0 {
			continue
		}
		cur, err := h.Catalog.FindVariantByID(c.UserContext(), pid, vid)
		if data.ErrorCode(err) == data.ECNotFound {
			continue // deleted since
		}
		if err != nil {
			return n, err
		}
		if cur.ImageID != 0 {
			continue
		}
		if _, err := h.Catalog.SetVariantImage(c.UserContext(), pid, vid, imageID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (h *Handlers) handleGalleryPicker(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	g, err := h.Catalog.FindGallery(ctx, pid, data.GalleryFilter{})
	if err != nil {
		return err
	}
	pk := &views.Picker{Action: "/products/" + itoa(pid) + "/images", Self: "/products/" + itoa(pid) + "/picker",
		Cancel: "/products/" + itoa(pid), Multiple: true, Title: "Choose from library", Taken: map[int64]bool{}}
	for _, gi := range g.Images {
		pk.Taken[gi.MediaID] = true
	}
	return h.picker(c, pk)
}

// pickerPageSize is how many library images one page of the picker shows.
const pickerPageSize = 60

func (h *Handlers) picker(c *fiber.Ctx, pk *views.Picker) error {
	pk.Q = strings.TrimSpace(c.Query("q"))
	if len(pk.Q) > 200 {
		pk.Q = pk.Q[:200]
	}
	pk.Limit = pickerPageSize
	if n, err := strconv.Atoi(c.Query("offset")); err == nil && n > 0 {
		pk.Offset = n
	}
	var types []string // what a gallery holds: images and videos
	for _, k := range data.GalleryKinds {
		types = append(types, k.Types()...)
	}
	f := data.MediaFilter{MIMETypes: types, Q: pk.Q, Limit: pk.Limit}
	find := func() error {
		var total data.Total
		var err error
		f.Offset = pk.Offset
		pk.Items, total, err = h.Media.FindMedia(c.UserContext(), f)
		pk.Total, pk.TotalExact = total.N, total.Exact
		return err
	}
	if err := find(); err != nil {
		return err
	}
	if len(pk.Items) == 0 && pk.Offset > 0 && pk.Total > 0 {
		// Past the end (the library shrank): show the last page instead.
		pk.Offset = (pk.Total - 1) / pk.Limit * pk.Limit
		if err := find(); err != nil {
			return err
		}
	}
	p := h.page(c, pk.Title, "products")
	if web.WantsFragment(c) && c.Get("HX-Target") == "picker-results" {
		return render(c, views.PickerResults(p, pk))
	}
	return h.confirmWith(c, fiber.StatusOK, p, views.PickerBody(p, pk))
}

// handleGalleryUpload uploads files straight into a gallery, through
// readUpload and the same AttachUpload the API uses: at ?position= (the
// place the page showed the upload at, clamped to the gallery), else appended.
func (h *Handlers) handleGalleryUpload(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return h.uploadFailed(c, err)
	}
	ctx := c.UserContext()
	if _, err := h.Catalog.FindProductByID(ctx, pid); err != nil {
		return h.uploadFailed(c, err)
	}
	up, err := h.readUpload(c)
	if err != nil {
		return h.uploadFailed(c, err)
	}
	pos, _ := strconv.Atoi(c.Query("position"))
	added, err := h.Catalog.AttachUploadAt(ctx, pid, data.MediaCreate{Files: up.files, Alt: up.alt}, data.GalleryAttach{Position: max(pos, 0), Clamp: true})
	if err != nil {
		return h.uploadFailed(c, err)
	}
	if !wantsJSON(c) {
		toast(c, web.Toast{Message: "Added " + views.GalleryImagesCount(added) + " to the gallery."})
		return web.RedirectAfterPost(c, "/products/"+itoa(pid))
	}
	g, err := h.galleryEditor(c, pid)
	if err != nil {
		return err
	}
	p := h.page(c, g.Product.Title, "products")
	out := []galleryUploadResult{}
	for _, a := range added {
		gi := a
		if cur := g.ImageByID(a.ID); cur != nil {
			gi = cur
		}
		html, err := renderString(c, views.GalleryTile(p, g, gi))
		if err != nil {
			return err
		}
		out = append(out, galleryUploadResult{ID: a.ID, Filename: a.Media.Filename, HTML: html})
	}
	return c.Status(fiber.StatusCreated).JSON(galleryUploadAnswer{Items: out, Version: g.Gallery.Version})
}
