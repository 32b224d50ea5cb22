package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// catalogPageRoutes are the admin UI's product, gallery and collection pages.
// They call the same CatalogService methods as the /api handlers.
func (h *Handlers) catalogPageRoutes() []web.Route {
	read, write := data.ScopeProductsRead, data.ScopeProductsWrite
	page := func(method, path string, scope data.Scope, fn fiber.Handler) web.Route {
		return web.Route{Method: method, Path: path, Scope: scope, Handler: fn}
	}
	return []web.Route{
		page("GET", "/products", read, h.handleProductsPage),
		page("GET", "/products/new", write, h.handleProductNewPage),
		page("POST", "/products", write, h.handleProductCreateForm),
		page("GET", "/products/:id", read, h.handleGalleryEditor),
		page("POST", "/products/:id", write, h.handleProductUpdateForm),
		page("GET", "/products/:id/delete", write, h.handleProductDeleteConfirm),
		page("POST", "/products/:id/delete", write, h.handleProductDeleteForm),
		page("POST", "/products/:id/gallery/reorder", write, h.handleGalleryReorderForm),
		{Method: "POST", Path: "/products/:id/images/upload", Scope: write, Stream: true, Handler: h.handleGalleryUpload},
		page("POST", "/products/:id/images", write, h.handleGalleryAttachForm),
		page("GET", "/products/:id/picker", write, h.handleGalleryPicker),
		page("POST", "/products/:id/images/:image_id/move", write, h.handleGalleryMoveForm),
		page("POST", "/products/:id/images/:image_id/alt", write, h.handleGalleryAltForm),
		page("GET", "/products/:id/images/:image_id/detach", write, h.handleGalleryDetachConfirm),
		page("POST", "/products/:id/images/:image_id/detach", write, h.handleGalleryDetachForm),
		page("POST", "/products/:id/variants", write, h.handleVariantCreateForm),
		page("POST", "/products/:id/variants/:variant_id/image", write, h.handleVariantImageForm),

		page("GET", "/collections", read, h.handleCollectionsPage),
		page("POST", "/collections", write, h.handleCollectionCreateForm),
		page("GET", "/collections/:id", read, h.handleCollectionPage),
		page("POST", "/collections/:id", write, h.handleCollectionUpdateForm),
		page("GET", "/collections/:id/picker", write, h.handleCollectionPicker),
		page("POST", "/collections/:id/image", write, h.handleCollectionImageForm),
		page("GET", "/collections/:id/delete", write, h.handleCollectionDeleteConfirm),
		page("POST", "/collections/:id/delete", write, h.handleCollectionDeleteForm),
	}
}

const productsPageSize = 50

func (h *Handlers) handleProductsPage(c *fiber.Ctx) error {
	l := &views.Products{Q: strings.TrimSpace(c.Query("q")), Limit: productsPageSize}
	f := data.ProductFilter{Q: l.Q, Limit: productsPageSize}
	if s, err := data.ParseProductStatus(c.Query("status")); err == nil {
		f.Status, l.Status = s, string(s)
	}
	if n, err := strconv.Atoi(c.Query("offset")); err == nil && n > 0 {
		f.Offset, l.Offset = n, n
	}
	var err error
	if l.Items, l.Total, err = h.Catalog.FindProducts(c.UserContext(), f); err != nil {
		return err
	}
	return render(c, views.ProductsPage(h.page(c, "Products", "products"), l))
}

func (h *Handlers) handleProductNewPage(c *fiber.Ctx) error {
	return render(c, views.ProductNewPage(h.page(c, "Add product", "products"), &views.ProductForm{}))
}

// productForm reads the product form and says which field an error names.
func productForm(c *fiber.Ctx) *views.ProductForm {
	return &views.ProductForm{Title: c.FormValue("title"), Handle: c.FormValue("handle"), Status: c.FormValue("status")}
}

// formFieldError fills a form's error from a validation error; other errors are returned.
func formFieldError(err error, pf *views.ProductForm) error {
	var de *data.Error
	if !errors.As(err, &de) || (de.Code != data.ECInvalidField && de.Code != data.ECConflict) {
		return err
	}
	pf.Error = de.Message
	pf.Field, _ = de.Details["field"].(string)
	return nil
}

func (h *Handlers) handleProductCreateForm(c *fiber.Ctx) error {
	pf := productForm(c)
	pc := data.ProductCreate{Title: pf.Title, Handle: strings.TrimSpace(pf.Handle)}
	if pf.Status != "" {
		pc.Status = data.ProductStatus(pf.Status)
	}
	pr, err := h.Catalog.CreateProduct(c.UserContext(), pc)
	if err != nil {
		if ferr := formFieldError(err, pf); ferr != nil {
			return ferr
		}
		return web.Render(c, fiber.StatusUnprocessableEntity, views.ProductNewPage(h.page(c, "Add product", "products"), pf))
	}
	toast(c, web.Toast{Message: pr.Title + " created. Now add its images."})
	return web.RedirectAfterPost(c, "/products/"+itoa(pr.ID))
}

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
	return &views.GalleryEditor{Product: pr, Gallery: g, Variants: vs, MaxImages: h.Limits.MaxGalleryImages,
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

func (h *Handlers) handleProductUpdateForm(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	pf := productForm(c)
	status := data.ProductStatus(pf.Status)
	handle := strings.TrimSpace(pf.Handle)
	upd := data.ProductUpdate{Title: &pf.Title, Status: &status}
	if handle != "" {
		upd.Handle = &handle
	}
	pr, err := h.Catalog.UpdateProduct(c.UserContext(), pid, upd)
	if err != nil {
		if ferr := formFieldError(err, pf); ferr != nil {
			return ferr
		}
		g, gerr := h.galleryEditor(c, pid)
		if gerr != nil {
			return gerr
		}
		g.Form = pf
		p := h.page(c, g.Product.Title, "products")
		return web.Render(c, fiber.StatusUnprocessableEntity, views.GalleryEditorPage(p, g))
	}
	toast(c, web.Toast{Message: pr.Title + " saved."})
	return web.RedirectAfterPost(c, "/products/"+itoa(pid))
}

func (h *Handlers) handleProductDeleteConfirm(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	pr, err := h.Catalog.FindProductByID(c.UserContext(), pid)
	if err != nil {
		return err
	}
	p := h.page(c, "Delete "+pr.Title, "products")
	return h.confirmWith(c, fiber.StatusOK, p, views.DeleteProductConfirm(p, pr))
}

func (h *Handlers) handleProductDeleteForm(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	pr, err := h.Catalog.FindProductByID(c.UserContext(), pid)
	if err != nil {
		return err
	}
	if err := h.Catalog.DeleteProduct(c.UserContext(), pid); err != nil {
		return err
	}
	toast(c, web.Toast{Message: pr.Title + " deleted. Its images are still in your library."})
	return web.RedirectAfterPost(c, "/products")
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
		return c.JSON(fiber.Map{"version": version})
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
	msg := "Added " + views.Plural(len(added), "image", "images") + " to the gallery."
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
	f := data.MediaFilter{Kind: data.KindImage, Q: pk.Q, Limit: pk.Limit, Offset: pk.Offset}
	var err error
	pk.Items, pk.Total, err = h.Media.FindMedia(c.UserContext(), f)
	if err != nil {
		return err
	}
	if len(pk.Items) == 0 && pk.Offset > 0 && pk.Total > 0 {
		// Past the end (the library shrank): show the last page instead.
		pk.Offset = (pk.Total - 1) / pk.Limit * pk.Limit
		f.Offset = pk.Offset
		if pk.Items, pk.Total, err = h.Media.FindMedia(c.UserContext(), f); err != nil {
			return err
		}
	}
	p := h.page(c, pk.Title, "products")
	if web.WantsFragment(c) && c.Get("HX-Target") == "picker-results" {
		return render(c, views.PickerResults(p, pk))
	}
	return h.confirmWith(c, fiber.StatusOK, p, views.PickerBody(p, pk))
}

// galleryUploadResult is what a gallery upload answers app.js.
type galleryUploadResult struct {
	ID       int64  `json:"id"`
	Filename string `json:"filename"`
	HTML     string `json:"html"`
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
	up, err := h.readUpload(c, false)
	if err != nil {
		return h.uploadFailed(c, err)
	}
	defer up.discard(h.Media)
	pos, _ := strconv.Atoi(c.Query("position"))
	added, err := h.Catalog.AttachUploadAt(ctx, pid, data.MediaCreate{Files: up.files, Alt: up.alt}, data.GalleryAttach{Position: max(pos, 0), Clamp: true})
	if err != nil {
		return h.uploadFailed(c, err)
	}
	if !wantsJSON(c) {
		toast(c, web.Toast{Message: "Added " + views.Plural(len(added), "image", "images") + " to the gallery."})
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
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"items": out, "version": g.Gallery.Version})
}

func (h *Handlers) handleVariantCreateForm(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	v, err := h.Catalog.CreateVariant(c.UserContext(), pid, data.VariantCreate{Title: c.FormValue("title"), SKU: c.FormValue("sku")})
	if err != nil {
		if data.ErrorCode(err) != data.ECInvalidField && data.ErrorCode(err) != data.ECConflict {
			return err
		}
		toast(c, web.Toast{Message: data.ErrorMessage(err), Kind: "error"})
		return web.RedirectAfterPost(c, "/products/"+itoa(pid)+"#variants")
	}
	toast(c, web.Toast{Message: "Variant " + v.Title + " added."})
	return web.RedirectAfterPost(c, "/products/"+itoa(pid)+"#variant-"+itoa(v.ID))
}

func (h *Handlers) handleVariantImageForm(c *fiber.Ctx) error {
	pid, err := pathID(c, "id", "Product")
	if err != nil {
		return err
	}
	vid, err := pathID(c, "variant_id", "Variant")
	if err != nil {
		return err
	}
	imageID, _ := strconv.ParseInt(c.FormValue("image_id"), 10, 64)
	v, err := h.Catalog.SetVariantImage(c.UserContext(), pid, vid, imageID)
	if err != nil {
		return err
	}
	msg := "Image set for " + v.Title + "."
	if imageID == 0 {
		msg = v.Title + " has no image now."
	}
	toast(c, web.Toast{Message: msg})
	return web.RedirectAfterPost(c, "/products/"+itoa(pid)+"#variant-"+itoa(vid))
}

func (h *Handlers) handleCollectionsPage(c *fiber.Ctx) error {
	items, total, err := h.Catalog.FindCollections(c.UserContext(), data.CollectionFilter{Limit: 200})
	if err != nil {
		return err
	}
	return render(c, views.CollectionsPage(h.page(c, "Collections", "collections"), &views.Collections{Items: items, Total: total, Form: &views.ProductForm{}}))
}

func (h *Handlers) handleCollectionCreateForm(c *fiber.Ctx) error {
	pf := &views.ProductForm{Title: c.FormValue("title")}
	col, err := h.Catalog.CreateCollection(c.UserContext(), data.CollectionCreate{Title: pf.Title})
	if err != nil {
		if ferr := formFieldError(err, pf); ferr != nil {
			return ferr
		}
		if pf.Field == "" {
			pf.Field = "title"
		}
		items, total, ferr := h.Catalog.FindCollections(c.UserContext(), data.CollectionFilter{Limit: 200})
		if ferr != nil {
			return ferr
		}
		return web.Render(c, fiber.StatusUnprocessableEntity, views.CollectionsPage(h.page(c, "Collections", "collections"),
			&views.Collections{Items: items, Total: total, Form: pf}))
	}
	toast(c, web.Toast{Message: col.Title + " created. Choose its image."})
	return web.RedirectAfterPost(c, "/collections/"+itoa(col.ID))
}

func (h *Handlers) collectionPage(c *fiber.Ctx) (*views.CollectionPage, error) {
	id, err := pathID(c, "id", "Collection")
	if err != nil {
		return nil, err
	}
	col, err := h.Catalog.FindCollectionByID(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	return &views.CollectionPage{C: col, Form: &views.ProductForm{Title: col.Title, Handle: col.Handle}}, nil
}

func (h *Handlers) handleCollectionPage(c *fiber.Ctx) error {
	cp, err := h.collectionPage(c)
	if err != nil {
		return err
	}
	return render(c, views.CollectionEditPage(h.page(c, cp.C.Title, "collections"), cp))
}

func (h *Handlers) handleCollectionUpdateForm(c *fiber.Ctx) error {
	cp, err := h.collectionPage(c)
	if err != nil {
		return err
	}
	cp.Form = &views.ProductForm{Title: c.FormValue("title"), Handle: c.FormValue("handle")}
	handle := strings.TrimSpace(cp.Form.Handle)
	upd := data.CollectionUpdate{Title: &cp.Form.Title}
	if handle != "" {
		upd.Handle = &handle
	}
	col, err := h.Catalog.UpdateCollection(c.UserContext(), cp.C.ID, upd)
	if err != nil {
		if ferr := formFieldError(err, cp.Form); ferr != nil {
			return ferr
		}
		return web.Render(c, fiber.StatusUnprocessableEntity, views.CollectionEditPage(h.page(c, cp.C.Title, "collections"), cp))
	}
	toast(c, web.Toast{Message: col.Title + " saved."})
	return web.RedirectAfterPost(c, "/collections/"+itoa(col.ID))
}

func (h *Handlers) handleCollectionPicker(c *fiber.Ctx) error {
	cp, err := h.collectionPage(c)
	if err != nil {
		return err
	}
	id := itoa(cp.C.ID)
	return h.picker(c, &views.Picker{Action: "/collections/" + id + "/image", Self: "/collections/" + id + "/picker",
		Cancel: "/collections/" + id, Title: "Choose the image of " + cp.C.Title})
}

func (h *Handlers) handleCollectionImageForm(c *fiber.Ctx) error {
	cp, err := h.collectionPage(c)
	if err != nil {
		return err
	}
	mid, _ := strconv.ParseInt(c.FormValue("media_id"), 10, 64)
	col, err := h.Catalog.SetCollectionImage(c.UserContext(), cp.C.ID, mid)
	if err != nil {
		return err
	}
	msg := "Image of " + col.Title + " set."
	if mid == 0 {
		msg = col.Title + " has no image now."
	}
	toast(c, web.Toast{Message: msg})
	return web.RedirectAfterPost(c, "/collections/"+itoa(col.ID))
}

func (h *Handlers) handleCollectionDeleteConfirm(c *fiber.Ctx) error {
	cp, err := h.collectionPage(c)
	if err != nil {
		return err
	}
	p := h.page(c, "Delete "+cp.C.Title, "collections")
	return h.confirmWith(c, fiber.StatusOK, p, views.DeleteCollectionConfirm(p, cp))
}

func (h *Handlers) handleCollectionDeleteForm(c *fiber.Ctx) error {
	cp, err := h.collectionPage(c)
	if err != nil {
		return err
	}
	if err := h.Catalog.DeleteCollection(c.UserContext(), cp.C.ID); err != nil {
		return err
	}
	toast(c, web.Toast{Message: cp.C.Title + " deleted."})
	return web.RedirectAfterPost(c, "/collections")
}
