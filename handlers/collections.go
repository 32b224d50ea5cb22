package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// CollectionJSON is a collection as the API shows it.
type CollectionJSON struct {
	ID        int64          `json:"id"`
	Title     string         `json:"title"`
	Handle    string         `json:"handle"`
	MediaID   *int64         `json:"media_id"`
	Image     *FeaturedImage `json:"image"`
	CreatedAt string         `json:"created_at"`
	UpdatedAt string         `json:"updated_at"`
}

var collectionFields = []string{"id", "title", "handle", "media_id", "image", "created_at", "updated_at"}

func (h *Handlers) collectionJSON(c *fiber.Ctx, col *data.Collection) CollectionJSON {
	j := CollectionJSON{ID: col.ID, Title: col.Title, Handle: col.Handle, Image: h.imageRef(c, col.Media),
		CreatedAt: web.FormatTime(col.CreatedAt), UpdatedAt: web.FormatTime(col.UpdatedAt)}
	if col.MediaID != 0 {
		id := col.MediaID
		j.MediaID = &id
	}
	return j
}

func (h *Handlers) handleCollectionList(c *fiber.Ctx) error {
	lq, err := parseList(c, collectionList, defaultPage, maxPage)
	if err != nil {
		return err
	}
	f := data.CollectionFilter{Limit: lq.Limit, Offset: lq.Offset, SinceID: lq.SinceID, Sort: lq.Sort}
	if f.Q, err = searchParam(c); err != nil {
		return err
	}
	f.Handle = c.Query("handle")
	items, total, err := h.Catalog.FindCollections(c.UserContext(), f)
	if err != nil {
		return err
	}
	return sendList(c, items, total, f.Limit, f.Offset, lq.Fields, func(col *data.Collection) any { return h.collectionJSON(c, col) })
}

func (h *Handlers) handleCollectionGet(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Collection")
	if err != nil {
		return err
	}
	fields, err := fieldsParam(c, collectionFields)
	if err != nil {
		return err
	}
	col, err := h.Catalog.FindCollectionByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	tag, err := h.collectionTag(c, col)
	if err != nil {
		return err
	}
	v, err := sparse(h.collectionJSON(c, col), fields)
	if err != nil {
		return err
	}
	return sendTagged(c, tag, v)
}

func (h *Handlers) handleCollectionCreate(c *fiber.Ctx) error {
	var body struct {
		Title   string `json:"title"`
		Handle  string `json:"handle"`
		MediaID *int64 `json:"media_id"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	cc := data.CollectionCreate{Title: body.Title, Handle: body.Handle}
	if body.MediaID != nil {
		if *body.MediaID <= 0 {
			return data.FieldError("media_id", "media_id must be the id of an image, or null.")
		}
		cc.MediaID = *body.MediaID
	}
	col, err := h.Catalog.CreateCollection(c.UserContext(), cc)
	if err != nil {
		return err
	}
	tag, err := h.collectionTag(c, col)
	if err := setTag(c, tag, err); err != nil {
		return err
	}
	c.Location("/api/collections/" + itoa(col.ID))
	return c.Status(http.StatusCreated).JSON(h.collectionJSON(c, col))
}

func (h *Handlers) handleCollectionPatch(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Collection")
	if err != nil {
		return err
	}
	var body struct {
		Title  optionalString `json:"title"`
		Handle optionalString `json:"handle"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	var upd data.CollectionUpdate
	if upd.Title, err = notNull("title", body.Title); err != nil {
		return err
	}
	if upd.Handle, err = notNull("handle", body.Handle); err != nil {
		return err
	}
	defer lockResource(kindCollection, id)()
	if err := precondition(c, "collection", func() (entityTag, error) { return h.currentCollectionTag(c, id) }); err != nil {
		return err
	}
	if _, err := h.Catalog.UpdateCollection(c.UserContext(), id, upd); err != nil {
		return err
	}
	return h.sendCollectionAfterWrite(c, id)
}

// sendCollectionAfterWrite answers a write with the collection as it now is and its tag.
func (h *Handlers) sendCollectionAfterWrite(c *fiber.Ctx, id int64) error {
	col, err := h.Catalog.FindCollectionByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	tag, err := h.collectionTag(c, col)
	if err := setTag(c, tag, err); err != nil {
		return err
	}
	return c.JSON(h.collectionJSON(c, col))
}

func (h *Handlers) handleCollectionDelete(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Collection")
	if err != nil {
		return err
	}
	defer lockResource(kindCollection, id)()
	if err := precondition(c, "collection", func() (entityTag, error) { return h.currentCollectionTag(c, id) }); err != nil {
		return err
	}
	if err := h.Catalog.DeleteCollection(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (h *Handlers) handleCollectionImage(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Collection")
	if err != nil {
		return err
	}
	var body struct {
		MediaID optionalID `json:"media_id"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	mediaID, err := requiredID("media_id", body.MediaID)
	if err != nil {
		return err
	}
	defer lockResource(kindCollection, id)()
	if err := precondition(c, "collection", func() (entityTag, error) { return h.currentCollectionTag(c, id) }); err != nil {
		return err
	}
	if _, err := h.Catalog.SetCollectionImage(c.UserContext(), id, mediaID); err != nil {
		return err
	}
	return h.sendCollectionAfterWrite(c, id)
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
