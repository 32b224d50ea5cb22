package handlers

import (
	"regexp"
	"strconv"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

func (h *Handlers) fileRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/files/:name", Public: true, Handler: h.handleFileOriginal},
		{Method: "HEAD", Path: "/files/:name", Public: true, Handler: h.handleFileOriginal},
		{Method: "GET", Path: "/files/:sha/:file", Public: true, Handler: h.handleFileRendition},
		{Method: "HEAD", Path: "/files/:sha/:file", Public: true, Handler: h.handleFileRendition},
	}
}

var originalNameRE = regexp.MustCompile(`^([0-9a-f]{64})\.([a-z0-9]{1,5})$`)

// handleFileOriginal serves an original at its public, content-addressed URL.
// Images are shown inline; everything else downloads as an attachment.
func (h *Handlers) handleFileOriginal(c *fiber.Ctx) error {
	mm := originalNameRE.FindStringSubmatch(c.Params("name"))
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
		Blob: blob, ContentType: m.MIMEType, ETag: m.SHA256, Immutable: true,
		Attachment: m.Kind != data.KindImage, Filename: m.Filename,
	})
}

var (
	shaRE       = regexp.MustCompile(`^[0-9a-f]{64}$`)
	renditionRE = regexp.MustCompile(`^([0-9]{1,5})\.(jpg|png|webp)$`)
)

// handleFileRendition serves /files/{sha256}/{width}.{ext}: one of our widths
// only (400 otherwise: no arbitrary resizing), made on demand if missing.
func (h *Handlers) handleFileRendition(c *fiber.Ctx) error {
	sha := c.Params("sha")
	mm := renditionRE.FindStringSubmatch(c.Params("file"))
	if !shaRE.MatchString(sha) || mm == nil || h.Renditions == nil {
		return data.NotFound("File")
	}
	slot, _ := strconv.Atoi(mm[1])
	rd, blob, err := h.Renditions.OpenRendition(c.UserContext(), sha, slot, mm[2])
	if err != nil {
		return err
	}
	return web.SendFile(c, web.FileResponse{Blob: blob, ContentType: rd.MIMEType, ETag: sha + "-" + mm[1] + mm[2], Immutable: true})
}

// RenditionURL is the path of a rendition.
func RenditionURL(m *data.Media, r data.Rendition) string {
	return "/files/" + m.SHA256 + "/" + strconv.Itoa(r.Slot) + "." + r.Ext
}
