package handlers

import (
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/views"

	"github.com/gofiber/fiber/v2"
)

// maxStatusIDs bounds one status request: a page shows at most this many
// items waiting for thumbnails (the library's largest page is 100).
const maxStatusIDs = 100

// handleMediaStatus answers the thumbnail state of the items a page is
// waiting for (?ids=1,2,3), so tiles, gallery images and the detail panel
// clear "Making thumbnails…" without a reload. Ids that are not the
// viewer's organization's, or are gone, are left out, exactly like ids that
// never existed.
func (h *Handlers) handleMediaStatus(c *fiber.Ctx) error {
	var ids []int64
	for s := range strings.SplitSeq(c.Query("ids"), ",") {
		if s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return data.Errorf(data.ECBadRequest, "ids must be a comma-separated list of media ids.").With("parameter", "ids")
		}
		if len(ids) == maxStatusIDs {
			return data.Errorf(data.ECBadRequest, "Ask for at most %d ids at once.", maxStatusIDs).With("parameter", "ids")
		}
		ids = append(ids, id)
	}
	items := []mediaStatus{}
	for _, id := range ids {
		m, err := h.Media.FindMediaByID(c.UserContext(), id)
		if data.ErrorCode(err) == data.ECNotFound {
			continue
		}
		if err != nil {
			return err
		}
		st := mediaStatus{ID: m.ID, Processing: m.Processing, Error: m.ProcessingError, Renditions: []statusRendition{}}
		shown := m // a video's or document's tile shows its poster's renditions
		if m.Poster != nil && m.Poster.Item != nil {
			shown = m.Poster.Item
		}
		for _, r := range shown.Renditions {
			if r.Ext != "webp" {
				st.Renditions = append(st.Renditions, statusRendition{URL: RenditionURL(shown, r), Width: r.Width})
			}
		}
		st.Summary = views.Plural(len(st.Renditions), "size", "sizes") + " ready"
		items = append(items, st)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(mediaStatusAnswer{Items: items})
}
