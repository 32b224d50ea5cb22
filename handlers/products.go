package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

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

// The admin UI's product pages call the same CatalogService methods as the
// /api handlers above.

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
