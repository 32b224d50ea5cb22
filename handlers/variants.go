package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

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
