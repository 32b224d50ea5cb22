package handlers

import (
	"net/http"

	"gallerist/data"
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
