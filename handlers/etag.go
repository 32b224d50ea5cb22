package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gallerist/data"

	"github.com/gofiber/fiber/v2"
)

// Entity tags of the API's single resources and galleries, and the
// conditional requests they serve. Every tag is weak and has two parts:
//
//	W/"<kind><id>-<digest>-<version>"
//
// digest is a hash of the whole answer (every field, whatever fields= asks
// for): it changes whenever anything the answer shows changes (an image
// finishing processing, a new use, a changed alt text), so If-None-Match,
// which compares whole tags, answers 304 only when the answer would be the
// same. version is the state of what a client can write: a hash of the
// fields PATCH and PUT change (media: filename, alt, focal point, the trash
// and the file, which replace and restore change; products:
// title, handle, status; variants: title, sku, options, image; collections:
// title, handle, image), and a gallery's gallery_version (bumped by every
// change of its order or membership). If-Match compares only the version, so
// a write is refused with 412 when someone changed what it would overwrite,
// not when a derived field moved. Weak, because one tag goes with every
// representation of a state (each fields= subset, HEAD and GET alike).
const (
	kindMedia      = 'm'
	kindProduct    = 'p'
	kindVariant    = 'v'
	kindCollection = 'c'
	kindGallery    = 'g'
)

// entityTag is a resource's tag, in its parts.
type entityTag struct {
	kind    byte
	id      int64
	digest  string
	version string
}

func (t entityTag) String() string {
	return fmt.Sprintf(`W/"%c%d-%s-%s"`, t.kind, t.id, t.digest, t.version)
}

// newTag makes the tag of a resource from its whole answer and its writable state.
func newTag(kind byte, id int64, answer, writable any) (entityTag, error) {
	d, err := hashJSON(answer)
	if err != nil {
		return entityTag{}, err
	}
	v, err := hashJSON(writable)
	if err != nil {
		return entityTag{}, err
	}
	return entityTag{kind: kind, id: id, digest: d, version: v[:8]}, nil
}

// hashJSON is a short, stable hash of v's JSON.
func hashJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// galleryTag is a gallery's tag: its version, and the digest of its images
// (the answer of a whole-gallery list, in position order).
func galleryTag(productID, version int64, digest string) string {
	return entityTag{kind: kindGallery, id: productID, digest: digest, version: strconv.FormatInt(version, 10)}.String()
}

var tagRE = regexp.MustCompile(`^(?:W/)?"([a-z])(\d+)-([0-9a-f]+)-([0-9a-z]+)"$`)

// headerTags splits an If-Match or If-None-Match list (our tags hold no commas).
func headerTags(h string) []string {
	var out []string
	for _, t := range strings.Split(h, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// noneMatch tells whether If-None-Match names tag (weak comparison) or is "*".
func noneMatch(c *fiber.Ctx, tag string) bool {
	h := c.Get(fiber.HeaderIfNoneMatch)
	if h == "" {
		return false
	}
	for _, t := range headerTags(h) {
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
			return true
		}
	}
	return false
}

// notModified answers 304 (the ETag header set, no body).
func notModified(c *fiber.Ctx) error {
	c.Status(fiber.StatusNotModified)
	c.Response().ResetBody()
	return nil
}

// sendTagged answers v with its tag: 304 when If-None-Match names it.
func sendTagged(c *fiber.Ctx, tag entityTag, v any) error {
	c.Set(fiber.HeaderETag, tag.String())
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if noneMatch(c, tag.String()) {
		return notModified(c)
	}
	return c.JSON(v)
}

// revalidate turns an answer already made (a cached list) into 304 when
// If-None-Match names the ETag it carries.
func revalidate(c *fiber.Ctx) error {
	if tag := c.GetRespHeader(fiber.HeaderETag); tag != "" && c.Response().StatusCode() == fiber.StatusOK && noneMatch(c, tag) {
		return notModified(c)
	}
	return nil
}

// matches tells whether an If-Match value names the current state: "*", or
// a tag of this resource with the current version (its digest may differ).
func (t entityTag) matches(ifMatch string) bool {
	for _, s := range headerTags(ifMatch) {
		if s == "*" {
			return true
		}
		m := tagRE.FindStringSubmatch(s)
		if m != nil && m[1][0] == t.kind && m[2] == strconv.FormatInt(t.id, 10) && m[4] == t.version {
			return true
		}
	}
	return false
}

// precondition checks If-Match (when sent) against the resource's current
// tag, which current makes: a mismatch is 412 precondition_failed carrying
// the current ETag.
func precondition(c *fiber.Ctx, what string, current func() (entityTag, error)) error {
	h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	if h == "" {
		return nil
	}
	tag, err := current()
	if err != nil {
		return err
	}
	if tag.matches(h) {
		return nil
	}
	c.Set(fiber.HeaderETag, tag.String())
	return data.Errorf(data.ECPreconditionFailed,
		"This %s changed since it was read (If-Match does not name its current ETag); read it again, then retry with the ETag it answers.", what)
}

// resourceLocks make an API write's If-Match check and the write one step:
// every /api write of a media item, product, variant or collection holds the
// lock of that resource from the check until its answer is made.
var resourceLocks [64]sync.Mutex

func lockResource(kind byte, id int64) func() {
	h := fnv.New32a()
	fmt.Fprintf(h, "%c%d", kind, id)
	mu := &resourceLocks[h.Sum32()%uint32(len(resourceLocks))]
	mu.Lock()
	return mu.Unlock
}

// Tags of each kind of resource.

func (h *Handlers) mediaTag(c *fiber.Ctx, m *data.Media, used []data.Usage) (entityTag, error) {
	j := h.mediaJSON(c, m)
	j.UsedBy = usageJSON(used)
	return newTag(kindMedia, m.ID, withUsedBy(j), []any{m.Filename, m.Alt, m.DeletedAt, m.Focal, m.SHA256, m.FileVersion})
}

// currentMediaTag loads an item and its uses and makes its tag.
func (h *Handlers) currentMediaTag(c *fiber.Ctx, id int64) (entityTag, error) {
	m, err := h.Media.FindMediaByID(c.UserContext(), id)
	if err != nil {
		return entityTag{}, err
	}
	used, err := h.Media.Usage(c.UserContext(), id)
	if err != nil {
		return entityTag{}, err
	}
	return h.mediaTag(c, m, used)
}

func (h *Handlers) productTag(c *fiber.Ctx, p *data.Product) (entityTag, error) {
	return newTag(kindProduct, p.ID, h.productJSON(c, p), []any{p.Title, p.Handle, p.Status})
}

func (h *Handlers) currentProductTag(c *fiber.Ctx, id int64) (entityTag, error) {
	p, err := h.Catalog.FindProductByID(c.UserContext(), id)
	if err != nil {
		return entityTag{}, err
	}
	return h.productTag(c, p)
}

func (h *Handlers) variantTag(c *fiber.Ctx, v *data.Variant) (entityTag, error) {
	return newTag(kindVariant, v.ID, h.variantJSON(c, v), []any{v.Title, v.SKU, v.Options, v.ImageID})
}

func (h *Handlers) currentVariantTag(c *fiber.Ctx, productID, id int64) (entityTag, error) {
	v, err := h.Catalog.FindVariantByID(c.UserContext(), productID, id)
	if err != nil {
		return entityTag{}, err
	}
	return h.variantTag(c, v)
}

func (h *Handlers) collectionTag(c *fiber.Ctx, col *data.Collection) (entityTag, error) {
	return newTag(kindCollection, col.ID, h.collectionJSON(c, col), []any{col.Title, col.Handle, col.MediaID})
}

func (h *Handlers) currentCollectionTag(c *fiber.Ctx, id int64) (entityTag, error) {
	col, err := h.Catalog.FindCollectionByID(c.UserContext(), id)
	if err != nil {
		return entityTag{}, err
	}
	return h.collectionTag(c, col)
}

// setTag sets the ETag of a write's answer (tag's error, if any, is the answer's).
func setTag(c *fiber.Ctx, tag entityTag, err error) error {
	if err == nil {
		c.Set(fiber.HeaderETag, tag.String())
	}
	return err
}

// galleryDigest is the digest part of a gallery's tag: a hash of its images'
// answers, in the order given.
func (h *Handlers) galleryDigest(base string, imgs []*data.GalleryImage) (string, error) {
	return hashJSON(h.galleryImagesJSON(base, imgs))
}

// galleryImagesJSON is the JSON of gallery images, in their order.
func (h *Handlers) galleryImagesJSON(base string, imgs []*data.GalleryImage) []GalleryImageJSON {
	out := make([]GalleryImageJSON, len(imgs))
	for i, gi := range imgs {
		out[i] = h.galleryImageJSON(base, gi)
	}
	return out
}

// wholeGallery loads a product's whole gallery in position order with its tag.
func (h *Handlers) wholeGallery(c *fiber.Ctx, productID int64) (*data.Gallery, string, error) {
	g, err := h.Catalog.FindGallery(c.UserContext(), productID, data.GalleryFilter{})
	if err != nil {
		return nil, "", err
	}
	d, err := h.galleryDigest(h.baseURL(c), g.Images)
	if err != nil {
		return nil, "", err
	}
	return g, galleryTag(productID, g.Version, d), nil
}

// setGalleryTag sets the ETag of a gallery write's answer: the version the
// write left (what If-Match will compare) and the digest of the gallery as
// it is now.
func (h *Handlers) setGalleryTag(c *fiber.Ctx, productID, version int64) error {
	g, err := h.Catalog.FindGallery(c.UserContext(), productID, data.GalleryFilter{})
	if err != nil {
		return err
	}
	d, err := h.galleryDigest(h.baseURL(c), g.Images)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, galleryTag(productID, version, d))
	return nil
}

// withGalleryTag adds the gallery's current ETag to a 412 answer.
func (h *Handlers) withGalleryTag(c *fiber.Ctx, productID int64, err error) error {
	if data.ErrorCode(err) == data.ECPreconditionFailed {
		if _, tag, lerr := h.wholeGallery(c, productID); lerr == nil {
			c.Set(fiber.HeaderETag, tag)
		}
	}
	return err
}
