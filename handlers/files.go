package handlers

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

var (
	originalNameRE = regexp.MustCompile(`^([0-9a-f]{32})\.([a-z0-9]{1,5})$`)
	legacyNameRE   = regexp.MustCompile(`^([0-9a-f]{64})\.([a-z0-9]{1,5})$`)
	fileKeyRE      = regexp.MustCompile(`^[0-9a-f]{32}$`)
	legacyKeyRE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	renditionRE    = regexp.MustCompile(`^([1-9][0-9]{0,4})\.(jpg|png|webp)$`) // one spelling per width
	cropRE         = regexp.MustCompile(`^([0-9x-]{1,40})\.(jpg|png)$`)        // data.ParseCropName checks the name
)

// handleFileOriginal serves an original at its public URL, named by the
// organization's file key. Images are shown inline; everything else
// downloads as an attachment, under the organization's own file name.
func (h *Handlers) handleFileOriginal(c *fiber.Ctx) error {
	if !canonicalFilePath(c) {
		return data.NotFound("File")
	}
	name := c.Params("name")
	if mm := legacyNameRE.FindStringSubmatch(name); mm != nil {
		return h.redirectLegacy(c, mm[1], "."+mm[2])
	}
	mm := originalNameRE.FindStringSubmatch(name)
	if mm == nil {
		return data.NotFound("File")
	}
	m, blob, err := h.Media.OpenPublic(c.UserContext(), mm[1])
	if err != nil {
		return err
	}
	if m.Ext() != mm[2] {
		blob.Close()
		return data.NotFound("File")
	}
	return web.SendFile(c, web.FileResponse{
		Blob: blob, ContentType: m.MIMEType, ETag: m.FileKey, Immutable: true, Modified: m.CreatedAt,
		Attachment: m.Kind != data.KindImage, Filename: m.DownloadName(), Public: true,
	})
}

// canonicalFilePath reports whether the request names a file the one way
// its URL is written: routing ignores a trailing slash and the case of
// /files/, and a cache (a CDN's, a browser's) would keep each spelling
// apart, so the others are not found.
func canonicalFilePath(c *fiber.Ctx) bool {
	p := c.Path()
	return strings.HasPrefix(p, "/files/") && !strings.HasSuffix(p, "/")
}

// redirectLegacy sends a wave-1 URL (named by content hash) to today's,
// while the install has one organization; otherwise it is not found.
func (h *Handlers) redirectLegacy(c *fiber.Ctx, sha, rest string) error {
	key, err := h.Media.LegacyFileKey(c.UserContext(), sha)
	if err != nil {
		return err
	}
	return c.Redirect("/files/"+key+rest, fiber.StatusMovedPermanently)
}

// handleFileRendition serves /files/{key}/{width}.{ext}: one of our widths,
// in a format made for that image, only (404 otherwise: no arbitrary
// resizing, no decoding on request), made on demand for a JPEG still queued.
func (h *Handlers) handleFileRendition(c *fiber.Ctx) error {
	if !canonicalFilePath(c) {
		return data.NotFound("File")
	}
	key := c.Params("key")
	mm := renditionRE.FindStringSubmatch(c.Params("file"))
	if mm == nil && h.Renditions != nil {
		if cm := cropRE.FindStringSubmatch(c.Params("file")); cm != nil {
			return h.fileCrop(c, key, cm[1], cm[2])
		}
	}
	if mm == nil || h.Renditions == nil {
		return data.NotFound("File")
	}
	if legacyKeyRE.MatchString(key) {
		return h.redirectLegacy(c, key, "/"+mm[0])
	}
	if !fileKeyRE.MatchString(key) {
		return data.NotFound("File")
	}
	m, err := h.Media.FindPublic(c.UserContext(), key)
	if err != nil {
		return err
	}
	if m.Processing == data.ProcessingFailed { // (a video's or a PDF's renditions are its made poster's)
		return data.NotFound("File")
	}
	slot, _ := strconv.Atoi(mm[1])
	rd, blob, err := h.Renditions.OpenRendition(c.UserContext(), m.SHA256, slot, mm[2])
	if err != nil {
		return err
	}
	return web.SendFile(c, web.FileResponse{Blob: blob, ContentType: rd.MIMEType, ETag: key + "-" + mm[1] + mm[2], Immutable: true, Modified: m.CreatedAt, Public: true})
}

// fileCrop serves /files/{key}/{w}x{h}-{fx}-{fy}.{ext}: a crop at one of
// data.CropRatios and one of the widths the image has, around the current
// focal point of a live item with those bytes only (a crop for a point no
// such item has is not found), so a public URL can never make the server
// cut an arbitrary crop.
func (h *Handlers) fileCrop(c *fiber.Ctx, key, name, ext string) error {
	crop, ok := data.ParseCropName(name)
	if !ok || !fileKeyRE.MatchString(key) {
		return data.NotFound("File")
	}
	m, err := h.Media.FindPublicCrop(c.UserContext(), key, crop)
	if err != nil {
		return err
	}
	if m.Kind != data.KindImage || m.Processing != data.ProcessingReady ||
		data.CropOf(crop.Ratio, crop.Slot, m.Focal) != crop || !slices.Contains(data.CropSlots(m.Width, m.Height, crop.Ratio), crop.Slot) {
		return data.NotFound("File")
	}
	rd, blob, err := h.Renditions.OpenCrop(c.UserContext(), m.SHA256, m.MIMEType, crop, ext)
	if err != nil {
		return err
	}
	return web.SendFile(c, web.FileResponse{Blob: blob, ContentType: rd.MIMEType, ETag: key + "-" + name + ext, Immutable: true, Modified: m.CreatedAt})
}

// CropURL is the path of an item's crop at ratio and slot, around its
// current focal point.
func CropURL(m *data.Media, r data.CropRatio, slot int, ext string) string {
	return "/files/" + m.FileKey + "/" + data.CropOf(r, slot, m.Focal).Name() + "." + ext
}

// RenditionURL is the path of a rendition.
func RenditionURL(m *data.Media, r data.Rendition) string {
	return "/files/" + m.FileKey + "/" + strconv.Itoa(r.Slot) + "." + r.Ext
}
