package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// Replacing an item's file, its previous files (versions), and its stable
// URL. A replacement is read exactly as an upload (readMultipart,
// readJSONBody: the same staging, sniffing and budgets), one file, with the
// item's filename and alt text changed only when the request sends them.

var (
	replaceForm = formSpec{fields: []string{"alt", "filename"}, may: mayReplaceMedia,
		unknown: "Unknown form field %q; send the new file as \"file\", and \"filename\" or \"alt\" to change them too."}
	replaceJSONFields = []string{"attachment", "filename", "alt"}
)

// mayReplaceMedia is checked before a replacement is staged.
func mayReplaceMedia(ctx context.Context) error {
	return data.RequireScope(ctx, data.ScopeMediaUpdate, "replacing the file of a media item")
}

// readReplace reads a replacement: multipart ("file", optional "filename"
// and "alt") or JSON (base64 "attachment", "filename" naming it and the
// item, "alt" string or null).
func (h *Handlers) readReplace(c *fiber.Ctx) (data.MediaReplace, error) {
	var r data.MediaReplace
	var files []*data.Staged
	switch mt, params := uploadType(c); mt {
	case "multipart/form-data":
		body, err := h.readMultipart(c, params["boundary"], replaceForm)
		if err != nil {
			return r, err
		}
		files = body.files
		if v, ok := body.form["filename"]; ok && v != "" {
			r.Filename = &v
		}
		if v, ok := body.form["alt"]; ok {
			r.Alt = &v
		}
	case "application/json":
		body, err := h.readJSONBody(c, replaceJSONFields, replaceForm)
		if err != nil {
			return r, err
		}
		if body.attachment != nil {
			files = []*data.Staged{body.attachment}
		}
		if _, ok := body.fields["filename"]; ok && body.attachment != nil && body.attachment.Filename != "" {
			r.Filename = &body.attachment.Filename
		}
		if _, ok := body.fields["alt"]; ok {
			r.Alt = &body.alt
		}
	default:
		return r, errUploadType
	}
	switch {
	case len(files) == 0:
		return r, data.Errorf(data.ECMissingFile, "The request has no file; send the new file as a \"file\" part, or as base64 in \"attachment\".")
	case len(files) > 1:
		return r, data.Errorf(data.ECTooManyFiles, "Send one file to replace an item's file.").With("max_files", 1)
	}
	r.File = files[0]
	return r, nil
}

func (h *Handlers) handleMediaReplace(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	defer lockResource(kindMedia, id)()
	if err := h.mediaPrecondition(c, id); err != nil {
		return err
	}
	r, err := h.readReplace(c)
	if err != nil {
		return err
	}
	if _, err := h.Media.ReplaceMedia(c.UserContext(), id, r); err != nil {
		return err
	}
	return h.sendMediaAfterWrite(c, id)
}

// VersionJSON is a previous file of a media item.
type VersionJSON struct {
	ID               int64   `json:"id"`
	MediaID          int64   `json:"media_id"`
	OriginalFilename string  `json:"original_filename"`
	MIMEType         string  `json:"mime_type"`
	Size             int64   `json:"size"`
	SHA256           string  `json:"sha256"`
	Width            *int    `json:"width"`
	Height           *int    `json:"height"`
	DurationMS       *int64  `json:"duration_ms"`
	UploadedAt       string  `json:"uploaded_at"`
	UploadedBy       string  `json:"uploaded_by"`
	ReplacedAt       string  `json:"replaced_at"`
	ReplacedBy       string  `json:"replaced_by"`
	Pinned           bool    `json:"pinned"`
	ExpiresAt        *string `json:"expires_at"`
}

// versionList is the versions list's spec: limit and offset only.
var versionList = listSpec{}

func (h *Handlers) versionJSON(v *data.MediaVersion) VersionJSON {
	j := VersionJSON{ID: v.ID, MediaID: v.MediaID, OriginalFilename: v.OriginalFilename, MIMEType: v.MIMEType, Size: v.Size,
		SHA256: v.SHA256, Width: optInt(v.Width), Height: optInt(v.Height),
		UploadedAt: web.FormatTime(v.UploadedAt), UploadedBy: v.UploadedBy,
		ReplacedAt: web.FormatTime(v.CreatedAt), ReplacedBy: v.CreatedBy, Pinned: v.Pinned}
	if !v.Pinned {
		exp := web.FormatTime(v.CreatedAt.Add(h.trashGrace()))
		j.ExpiresAt = &exp
	}
	if v.DurationMS > 0 {
		d := v.DurationMS
		j.DurationMS = &d
	}
	return j
}

func (h *Handlers) handleMediaVersions(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	lq, err := parseList(c, versionList, defaultPage, maxPage)
	if err != nil {
		return err
	}
	items, total, err := h.Media.FindMediaVersions(c.UserContext(), id, lq.Limit, lq.Offset)
	if err != nil {
		return err
	}
	return sendList(c, items, total, lq.Limit, lq.Offset, lq.Fields, func(v *data.MediaVersion) any { return h.versionJSON(v) })
}

func (h *Handlers) handleMediaVersionRestore(c *fiber.Ctx) error {
	id, vid, err := versionPath(c)
	if err != nil {
		return err
	}
	defer lockResource(kindMedia, id)()
	if err := h.mediaPrecondition(c, id); err != nil {
		return err
	}
	if _, err := h.Media.RestoreMediaVersion(c.UserContext(), id, vid); err != nil {
		return err
	}
	return h.sendMediaAfterWrite(c, id)
}

func (h *Handlers) handleMediaVersionPatch(c *fiber.Ctx) error {
	id, vid, err := versionPath(c)
	if err != nil {
		return err
	}
	defer lockResource(kindMedia, id)()
	if err := h.mediaPrecondition(c, id); err != nil {
		return err
	}
	var body struct {
		Pinned *bool `json:"pinned"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	if body.Pinned == nil {
		return data.Errorf(data.ECEmptyUpdate, "Send pinned: true to keep the version past the grace period, or false to let it expire.")
	}
	v, err := h.Media.PinMediaVersion(c.UserContext(), id, vid, *body.Pinned)
	if err != nil {
		return err
	}
	tag, err := h.currentMediaTag(c, id)
	if err := setTag(c, tag, err); err != nil {
		return err
	}
	return c.JSON(h.versionJSON(v))
}

// handleMediaVersionFile sends a version's bytes, as a download or (for
// the panel's thumbnails) inline; only to who may read the item.
func (h *Handlers) handleMediaVersionFile(download bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, vid, err := versionPath(c)
		if err != nil {
			return err
		}
		v, blob, err := h.Media.OpenMediaVersion(c.UserContext(), id, vid)
		if err != nil {
			return err
		}
		named := data.Media{Filename: v.OriginalFilename, MIMEType: v.MIMEType}
		return web.SendFile(c, web.FileResponse{Blob: blob, ContentType: v.MIMEType, ETag: v.SHA256,
			Attachment: download || !strings.HasPrefix(v.MIMEType, "image/"), Filename: named.DownloadName()})
	}
}

// versionPath reads /media/{id}/versions/{vid}.
func versionPath(c *fiber.Ctx) (id, vid int64, err error) {
	if id, err = pathID(c, "id", "Media item"); err != nil {
		return 0, 0, err
	}
	vid, err = pathID(c, "vid", "Version")
	return id, vid, err
}

// StableURL is the path of an item's stable URL.
func StableURL(id int64, key string) string { return "/m/" + itoa(id) + "/" + key }

// handleStableURL answers /m/{id}/{key} with a redirect to the item's
// current original, or with ?w= to its rendition of that width (the
// original while it is being made). Any wrong part is the same 404.
func (h *Handlers) handleStableURL(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	key := c.Params("key")
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != c.Params("id") || !fileKeyRE.MatchString(key) {
		return data.NotFound("File")
	}
	m, err := h.Media.FindStable(c.UserContext(), id, key)
	if err != nil {
		return err
	}
	target := FileURL(m)
	if w := c.Query("w"); w != "" {
		// An image's rendition of that width; a video's or document's is
		// its poster's (chosen or made), while it has one.
		pic := m
		if m.Kind != data.KindImage && m.Poster != nil && m.Poster.Item != nil {
			pic = m.Poster.Item
		}
		slot, err := strconv.Atoi(w)
		if err != nil || !data.IsRenditionWidth(slot) || pic.Kind != data.KindImage || pic.Processing == data.ProcessingFailed {
			return data.NotFound("File")
		}
		// A still made from the file has renditions only (the largest up to
		// the width is served); an image has its original while the width
		// is being made.
		made := pic != m && m.Poster.MediaID == 0
		target = ""
		if !made {
			target = FileURL(pic)
		}
		for _, r := range pic.Renditions {
			if r.Ext != "webp" && (r.Slot == slot || (made && r.Slot < slot)) {
				target = RenditionURL(pic, r)
			}
		}
		if target == "" {
			return data.NotFound("File")
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Redirect(h.baseURL(c)+target, http.StatusFound)
}

// The panel's side of the same services: Replace and a version's Restore.

// panelVersions is how many versions the detail panel lists.
const panelVersions = 10

// replaceAnswer is the JSON library.js reads after a replace from the
// panel: the panel again (with the tile behind it, out of band).
type replaceAnswer struct {
	Panel   string `json:"panel"`
	Message string `json:"message"`
}

// handleMediaReplaceForm takes the panel's Replace: one file from
// library.js (answered with JSON) or the plain form (a redirect to the
// item, or the error page). It reads the file with readReplace, the API's
// reader, and calls the same ReplaceMedia.
func (h *Handlers) handleMediaReplaceForm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return h.uploadFailed(c, err)
	}
	r, err := h.readReplace(c)
	if err != nil {
		return h.uploadFailed(c, err)
	}
	m, err := h.Media.ReplaceMedia(c.UserContext(), id, r)
	if err != nil {
		return h.uploadFailed(c, err)
	}
	msg := "Replaced the file. The previous one is under Versions."
	if !wantsJSON(c) {
		toast(c, web.Toast{Message: msg})
		return web.RedirectAfterPost(c, "/media/"+itoa(m.ID))
	}
	html, err := h.panelHTML(c, id, msg)
	if err != nil {
		return err
	}
	return c.JSON(replaceAnswer{Panel: html, Message: msg})
}

// handleMediaVersionRestoreForm is a version's Restore in the panel: the
// panel again for htmx, else a redirect to the item.
func (h *Handlers) handleMediaVersionRestoreForm(c *fiber.Ctx) error {
	id, vid, err := versionPath(c)
	if err != nil {
		return err
	}
	if _, err := h.Media.RestoreMediaVersion(c.UserContext(), id, vid); err != nil {
		return err
	}
	msg := "Restored the earlier file. The one it replaced is under Versions."
	return h.panelAfterChange(c, id, msg)
}

// handleMediaVersionPinForm is a version's Pin or Unpin in the panel
// (pinned=true or false): the panel again for htmx, else a redirect.
func (h *Handlers) handleMediaVersionPinForm(c *fiber.Ctx) error {
	id, vid, err := versionPath(c)
	if err != nil {
		return err
	}
	pinned := c.FormValue("pinned") == "true"
	if _, err := h.Media.PinMediaVersion(c.UserContext(), id, vid, pinned); err != nil {
		return err
	}
	msg := "Pinned: this version is kept until you unpin it."
	if !pinned {
		msg = "Unpinned: this version is removed " + views.Plural(int(h.trashGrace().Hours()/24), "day", "days") + " after it was replaced."
	}
	return h.panelAfterChange(c, id, msg)
}

// panelAfterChange answers a change made in the panel: the panel again,
// saying msg, for htmx; else msg as a toast on the item's page.
func (h *Handlers) panelAfterChange(c *fiber.Ctx, id int64, msg string) error {
	if !web.WantsFragment(c) {
		toast(c, web.Toast{Message: msg})
		return web.RedirectAfterPost(c, "/media/"+itoa(id))
	}
	html, err := h.panelHTML(c, id, msg)
	if err != nil {
		return err
	}
	c.Type("html")
	return c.SendString(html)
}

// panelHTML renders the detail panel of an item after a change, saying
// notice, with its tile in the grid behind, out of band.
func (h *Handlers) panelHTML(c *fiber.Ctx, id int64, notice string) (string, error) {
	d, err := h.mediaDetail(c, id)
	if err != nil {
		return "", err
	}
	d.Notice = notice
	d.Close = withQueryString("/media", listQueryFromCurrent(c))
	p := h.page(c, d.M.Filename, "library")
	panel, err := renderString(c, views.MediaPanel(p, d))
	if err != nil {
		return "", err
	}
	card, err := renderString(c, views.MediaCardOOB(p, d.M, withQueryString("/media/"+itoa(id), listQueryFromCurrent(c))))
	return panel + card, err
}
