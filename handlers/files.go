package handlers

import (
	"regexp"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

func (h *Handlers) fileRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/files/:name", Public: true, Handler: h.handleFileOriginal},
		{Method: "HEAD", Path: "/files/:name", Public: true, Handler: h.handleFileOriginal},
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
