package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// MediaJSON is a media item as the API shows it.
type MediaJSON struct {
	ID               int64     `json:"id"`
	Kind             data.Kind `json:"kind"`
	Filename         string    `json:"filename"`
	OriginalFilename string    `json:"original_filename"`
	MIMEType         string    `json:"mime_type"`
	Size             int64     `json:"size"`
	SHA256           string    `json:"sha256"`
	Width            *int      `json:"width"`
	Height           *int      `json:"height"`
	DurationMS       *int64    `json:"duration_ms"`
	Alt              *string   `json:"alt"`
	URL              string    `json:"url"`
	DownloadURL      string    `json:"download_url"`
	SourceURL        *string   `json:"source_url"`
	CreatedBy        string    `json:"created_by"`
	CreatedAt        string    `json:"created_at"`
	UpdatedAt        string    `json:"updated_at"`
	DeletedAt        *string   `json:"deleted_at"`
	UsageCount       int       `json:"usage_count"`
	RenditionsJSON
	// PosterID is the image chosen to stand for a video or document.
	PosterID    *int64      `json:"poster_id"`
	Poster      *PosterJSON `json:"poster"`
	UsedBy      []UsageJSON `json:"used_by,omitempty"`
	DuplicateOf *int64      `json:"duplicate_of,omitempty"`
	// StableURL redirects to the current file, whatever replaces it (single items only).
	StableURL string `json:"stable_url,omitempty"`
}

// mediaFields are the names fields= accepts.
var mediaFields = []string{"id", "kind", "filename", "original_filename", "mime_type", "size", "sha256", "width", "height",
	"duration_ms", "alt", "url", "download_url", "source_url", "created_by", "created_at", "updated_at", "deleted_at", "usage_count",
	"processing", "processing_error", "renditions", "srcset", "renditions_webp", "srcset_webp", "stable_url", "focal_x", "focal_y", "crops", "poster_id", "poster"}

// mediaListFields are the names a list's fields= accepts: stable_url is
// only on single items.
var mediaListFields = slices.DeleteFunc(slices.Clone(mediaFields), func(f string) bool { return f == "stable_url" })

// UsageJSON is one place a media item is used.
type UsageJSON struct {
	Type      string `json:"type"`
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Role      string `json:"role"`
	Position  *int   `json:"position,omitempty"`
	ProductID *int64 `json:"product_id,omitempty"`
}

func usageJSON(us []data.Usage) []UsageJSON {
	out := make([]UsageJSON, 0, len(us))
	for _, u := range us {
		j := UsageJSON{Type: u.Type, ID: u.ID, Title: u.Title, Role: u.Role}
		if u.Role == "gallery" {
			p := u.Position
			j.Position = &p
		}
		if u.Type == "variant" {
			pid := u.ProductID
			j.ProductID = &pid
		}
		out = append(out, j)
	}
	return out
}

func optInt(v int) *int {
	if v == 0 {
		return nil
	}
	return &v
}

func optStr(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// FileURL is the public URL path of a media item's original: named by its
// organization's file key, so it is as immutable as the bytes.
func FileURL(m *data.Media) string { return "/files/" + m.FileKey + "." + m.Ext() }

func (h *Handlers) mediaJSON(c *fiber.Ctx, m *data.Media) MediaJSON {
	base := h.baseURL(c)
	j := MediaJSON{
		ID: m.ID, Kind: m.Kind, Filename: m.Filename, OriginalFilename: m.OriginalFilename, MIMEType: m.MIMEType,
		Size: m.Size, SHA256: m.SHA256, Width: optInt(m.Width), Height: optInt(m.Height), Alt: optStr(m.Alt),
		URL: base + FileURL(m), DownloadURL: base + "/api/media/" + itoa(m.ID) + "/download",
		SourceURL: optStr(m.SourceURL), CreatedBy: m.CreatedBy,
		CreatedAt: web.FormatTime(m.CreatedAt), UpdatedAt: web.FormatTime(m.UpdatedAt), UsageCount: m.UsageCount,
	}
	if m.DurationMS > 0 {
		d := m.DurationMS
		j.DurationMS = &d
	}
	j.RenditionsJSON = renditionsJSON(base, m)
	if m.PosterID != 0 {
		p := m.PosterID
		j.PosterID = &p
	}
	j.Poster = posterJSON(base, m)
	if m.DeletedAt != nil {
		s := web.FormatTime(*m.DeletedAt)
		j.DeletedAt = &s
	}
	if m.DuplicateOf != 0 {
		d := m.DuplicateOf
		j.DuplicateOf = &d
	}
	return j
}

// MediaFilterFromQuery parses the list parameters shared by the API and the
// UI (the API also refuses parameters mediaList does not declare).
func MediaFilterFromQuery(c *fiber.Ctx, defLimit int) (data.MediaFilter, error) {
	f, _, err := mediaFilter(c, defLimit)
	return f, err
}

func mediaFilter(c *fiber.Ctx, defLimit int) (data.MediaFilter, []string, error) {
	f, err := data.ParseMediaFilter(queryValues(c))
	if err != nil {
		return f, nil, err
	}
	f.Limit = cmp.Or(f.Limit, defLimit)
	fields, err := fieldsParam(c, mediaList.fields)
	if err != nil && slices.Contains(strings.Split(strings.ReplaceAll(c.Query("fields"), " ", ""), ","), "stable_url") {
		err = paramError("fields", "stable_url is only on single items (GET /api/media/{id}); lists leave it out, so ask for it there.")
	}
	return f, fields, err
}

func (h *Handlers) handleMediaList(c *fiber.Ctx) error {
	f, fields, err := mediaFilter(c, defaultPage)
	if err != nil {
		return err
	}
	p, _ := web.PrincipalOf(c)
	return h.cachedJSON(c, p.OrgID, func() (any, error) {
		if len(fields) == 0 && !h.noRevs.Load() {
			return h.mediaListByRev(c, f)
		}
		items, total, err := h.Media.FindMedia(c.UserContext(), f)
		if err != nil {
			return nil, err
		}
		l, err := listOf(items, total.N, f.Limit, f.Offset, fields, func(m *data.Media) any { return h.mediaJSON(c, m) })
		l.TotalExact = total.Exact // false: "more than" (see data.Total)
		return l, err
	})
}

func (h *Handlers) handleMediaGet(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	fields, err := fieldsParam(c, append(mediaFields, "used_by"))
	if err != nil {
		return err
	}
	m, err := h.Media.FindMediaByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	used, err := h.Media.Usage(c.UserContext(), id)
	if err != nil {
		return err
	}
	tag, err := h.mediaTag(c, m, used)
	if err != nil {
		return err
	}
	j := h.mediaJSON(c, m)
	j.UsedBy = usageJSON(used)
	if j.StableURL, err = h.stableURL(c, m); err != nil {
		return err
	}
	v, err := sparse(withUsedBy(j), fields)
	if err != nil {
		return err
	}
	return sendTagged(c, tag, v)
}

// withUsedBy makes used_by always present on single objects (omitempty hides an empty list).
func withUsedBy(j MediaJSON) any {
	type alias MediaJSON
	return struct {
		alias
		UsedBy []UsageJSON `json:"used_by"`
	}{alias(j), j.UsedBy}
}

// handleMediaReprocess queues a failed image's renditions again and
// answers the item as GET does (pending, or unchanged if it had not failed).
func (h *Handlers) handleMediaReprocess(c *fiber.Ctx) error {
	if _, err := h.reprocess(c); err != nil {
		return err
	}
	return h.handleMediaGet(c)
}

// reprocess queues the path's item again (the API's and the page's).
func (h *Handlers) reprocess(c *fiber.Ctx) (int64, error) {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return 0, err
	}
	return id, h.Media.ReprocessMedia(c.UserContext(), id)
}

func (h *Handlers) handleMediaUsage(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	used, err := h.Media.Usage(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"used_by": usageJSON(used)})
}

// optionalString tells an absent field from null from a value.
type optionalString struct {
	Set   bool
	Null  bool
	Value string
}

func (o *optionalString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// optionalInt tells an absent field from null (Value 0) from a number; a sent
// 0, which is no id, reads as -1 so the service refuses it like any negative.
type optionalInt struct {
	Set   bool
	Value int64
}

func (o *optionalInt) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		return nil
	}
	if err := json.Unmarshal(b, &o.Value); err != nil {
		return err // a type error names the field (jsonError)
	}
	if o.Value == 0 { // 0 is no id; null says "none"
		o.Value = -1
	}
	return nil
}

func (h *Handlers) handleMediaPatch(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	var body struct {
		Filename optionalString    `json:"filename"`
		Alt      optionalString    `json:"alt"`
		FocalX   optional[float64] `json:"focal_x"`
		FocalY   optional[float64] `json:"focal_y"`
		PosterID optionalInt       `json:"poster_id"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	var upd data.MediaUpdate
	if body.Filename.Set {
		if body.Filename.Null {
			return data.FieldError("filename", "filename cannot be null.")
		}
		upd.Filename = &body.Filename.Value
	}
	if body.Alt.Set {
		upd.Alt = &body.Alt.Value
	}
	if body.PosterID.Set {
		p := body.PosterID.Value // null: 0, none
		upd.PosterID = &p
	}
	focal := data.FocalInput{XSet: body.FocalX.Set, YSet: body.FocalY.Set}
	if body.FocalX.Set && !body.FocalX.Null {
		focal.X = &body.FocalX.Value
	}
	if body.FocalY.Set && !body.FocalY.Null {
		focal.Y = &body.FocalY.Value
	}
	if upd.SetFocal, upd.Focal, err = focal.Update(); err != nil {
		return err
	}
	defer lockResource(kindMedia, id)()
	if err := h.mediaPrecondition(c, id); err != nil {
		return err
	}
	if _, err := h.Media.UpdateMedia(c.UserContext(), id, upd); err != nil {
		return err
	}
	return h.sendMediaAfterWrite(c, id)
}

// mediaPrecondition checks a write's If-Match against the item's current tag.
func (h *Handlers) mediaPrecondition(c *fiber.Ctx, id int64) error {
	return precondition(c, "media item", func() (entityTag, error) { return h.currentMediaTag(c, id) })
}

// sendMediaAfterWrite answers a write with the item as it now is (as a
// list shows it) and its tag.
func (h *Handlers) sendMediaAfterWrite(c *fiber.Ctx, id int64) error {
	m, err := h.Media.FindMediaByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	used, err := h.Media.Usage(c.UserContext(), id)
	if err != nil {
		return err
	}
	tag, err := h.mediaTag(c, m, used)
	if err := setTag(c, tag, err); err != nil {
		return err
	}
	j := h.mediaJSON(c, m)
	if j.StableURL, err = h.stableURL(c, m); err != nil {
		return err
	}
	return c.JSON(j)
}

// stableURL is the absolute stable URL of a live item ("" in the trash).
func (h *Handlers) stableURL(c *fiber.Ctx, m *data.Media) (string, error) {
	if m.DeletedAt != nil {
		return "", nil
	}
	key, err := h.Media.StableKey(c.UserContext(), m.ID)
	if err != nil {
		return "", err
	}
	return h.baseURL(c) + StableURL(m.ID, key), nil
}

func (h *Handlers) handleMediaDelete(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	force, err := queryBool(c, "force")
	if err != nil {
		return err
	}
	purge, err := queryBool(c, "purge")
	if err != nil {
		return err
	}
	defer lockResource(kindMedia, id)()
	if err := h.mediaPrecondition(c, id); err != nil {
		return err
	}
	if purge != nil && *purge {
		err = h.Media.PurgeMedia(c.UserContext(), id)
	} else {
		err = h.Media.TrashMedia(c.UserContext(), id, force != nil && *force)
	}
	if err != nil {
		var de *data.Error
		if errors.As(err, &de) && de.Code == data.ECInUse {
			if used, ok := de.Details["used_by"].([]data.Usage); ok {
				return de.With("used_by", usageJSON(used))
			}
		}
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (h *Handlers) handleMediaRestore(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	defer lockResource(kindMedia, id)()
	if err := h.mediaPrecondition(c, id); err != nil {
		return err
	}
	m, err := h.Media.RestoreMedia(c.UserContext(), id)
	if err != nil {
		return err
	}
	tag, err := h.currentMediaTag(c, id)
	if err := setTag(c, tag, err); err != nil {
		return err
	}
	missed := make([]UnrestoredJSON, 0, len(m.NotRestored))
	for _, u := range m.NotRestored {
		missed = append(missed, UnrestoredJSON{UsageJSON: usageJSON([]data.Usage{u.Usage})[0], Reason: u.Reason})
	}
	type alias MediaJSON
	return c.JSON(struct {
		alias
		NotRestored []UnrestoredJSON `json:"not_restored"`
	}{alias(h.mediaJSON(c, m)), missed})
}

// UnrestoredJSON is a place a restore could not put an item back, and why.
type UnrestoredJSON struct {
	UsageJSON
	Reason string `json:"reason"`
}

func (h *Handlers) handleMediaCreate(c *fiber.Ctx) error {
	up, err := h.readUpload(c)
	if err != nil {
		return err
	}
	items, err := h.Media.CreateMedia(c.UserContext(), data.MediaCreate{Files: up.files, Alt: up.alt})
	if err != nil {
		return err
	}
	out := make([]MediaJSON, len(items))
	for i, m := range items {
		out[i] = h.mediaJSON(c, m)
	}
	if len(items) > 0 { // several files: Location names the first; each item carries its id
		c.Location("/api/media/" + itoa(items[0].ID))
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"media": out})
}

// RenditionsJSON is an image's processing state and rendition URLs, as media
// items and gallery images both show them.
type RenditionsJSON struct {
	Processing      string            `json:"processing"`
	ProcessingError *string           `json:"processing_error"`
	Renditions      map[string]string `json:"renditions"`
	Srcset          string            `json:"srcset"`
	RenditionsWebP  map[string]string `json:"renditions_webp,omitempty"`
	SrcsetWebP      string            `json:"srcset_webp,omitempty"`
	// FocalX and FocalY are the focal point (null: crops are centred).
	FocalX *float64 `json:"focal_x"`
	FocalY *float64 `json:"focal_y"`
	// Crops are the fixed-ratio crops around the focal point, by ratio
	// ("1:1") and width ("640"), once the image is processed.
	Crops map[string]map[string]string `json:"crops,omitempty"`
}

func renditionsJSON(base string, m *data.Media) RenditionsJSON {
	j := RenditionsJSON{Processing: m.Processing, ProcessingError: optStr(m.ProcessingError)}
	j.Renditions, j.Srcset = renditionSet(base, m, false)
	if j.RenditionsWebP, j.SrcsetWebP = renditionSet(base, m, true); len(j.RenditionsWebP) == 0 {
		j.RenditionsWebP = nil
	}
	if m.Focal != nil {
		x, y := m.Focal.X, m.Focal.Y
		j.FocalX, j.FocalY = &x, &y
	}
	j.Crops = cropSet(base, m)
	return j
}

// PosterJSON is the image that stands for a video or a document: a still
// the server made from the file ("frame": a video's first keyframe,
// "page": a PDF's first page) or the image item chosen by poster_id ("media").
type PosterJSON struct {
	Source         string            `json:"source"`
	MediaID        *int64            `json:"media_id"`
	URL            string            `json:"url"`
	Width          int               `json:"width"`
	Height         int               `json:"height"`
	Renditions     map[string]string `json:"renditions"`
	Srcset         string            `json:"srcset"`
	RenditionsWebP map[string]string `json:"renditions_webp,omitempty"`
	SrcsetWebP     string            `json:"srcset_webp,omitempty"`
}

// posterJSON is m's poster (nil: none yet, or not a video or document).
func posterJSON(base string, m *data.Media) *PosterJSON {
	p := m.Poster
	if p == nil || p.Item == nil {
		return nil
	}
	r := renditionsJSON(base, p.Item)
	j := &PosterJSON{Source: "frame", Width: p.Item.Width, Height: p.Item.Height,
		Renditions: r.Renditions, Srcset: r.Srcset, RenditionsWebP: r.RenditionsWebP, SrcsetWebP: r.SrcsetWebP}
	if m.Kind == data.KindDocument {
		j.Source = "page"
	}
	if p.MediaID != 0 {
		id := p.MediaID
		j.Source, j.MediaID, j.URL = "media", &id, base+FileURL(p.Item)
	} else {
		// The largest rendition in the primary format: the still itself.
		for _, rd := range p.Item.Renditions {
			if rd.Ext != "webp" {
				j.URL = base + RenditionURL(p.Item, rd)
			}
		}
	}
	return j
}

// cropSet lists an image's crops, in the format of its renditions (JPEG,
// or PNG for a transparent original; crops have no WebP).
func cropSet(base string, m *data.Media) map[string]map[string]string {
	if m.Kind != data.KindImage || m.Processing != data.ProcessingReady || m.Width == 0 || m.Height == 0 {
		return nil
	}
	ext := ""
	for _, r := range m.Renditions {
		if r.Ext != "webp" {
			ext = r.Ext
			break
		}
	}
	if ext == "" {
		return nil
	}
	out := map[string]map[string]string{}
	for _, r := range data.CropRatios {
		urls := map[string]string{}
		for _, slot := range data.CropSlots(m.Width, m.Height, r) {
			urls[strconv.Itoa(slot)] = base + CropURL(m, r, slot, ext)
		}
		out[r.Name] = urls
	}
	return out
}

// renditionSet builds the {"320": url} map and the srcset string of an
// item's renditions in the primary format (JPEG or PNG) or in WebP.
func renditionSet(base string, m *data.Media, webp bool) (map[string]string, string) {
	urls := map[string]string{}
	var srcset []string
	for _, r := range m.Renditions {
		if (r.Ext == "webp") != webp {
			continue
		}
		u := base + RenditionURL(m, r)
		urls[strconv.Itoa(r.Slot)] = u
		srcset = append(srcset, u+" "+strconv.Itoa(r.Width)+"w")
	}
	return urls, strings.Join(srcset, ", ")
}

// The library's pages: the admin UI's side of the same MediaService.

// libraryPageSize is how many items a library page shows.
const libraryPageSize = 48

func (h *Handlers) libraryFromQuery(c *fiber.Ctx) (*views.Library, error) {
	f, err := MediaFilterFromQuery(c, 0) // Limit stays 0 when the URL has none, so links leave it out
	if err != nil {
		return nil, err
	}
	f.Deleted = data.DeletedExclude
	q := f
	q.Limit = cmp.Or(f.Limit, libraryPageSize)
	items, total, err := h.Media.FindMedia(c.UserContext(), q)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 && total.N > 0 && q.Offset > 0 {
		// Past the end (the last page's items were just deleted): show the last page.
		q.Offset = (total.N - 1) / q.Limit * q.Limit
		if items, total, err = h.Media.FindMedia(c.UserContext(), q); err != nil {
			return nil, err
		}
		f.Offset = q.Offset
	}
	l := &views.Library{MediaFilter: f, PageSize: q.Limit, Items: items, Total: total.N, TotalExact: total.Exact}
	l.Filtered = f.Q != "" || f.Kind != "" || f.Used != nil || f.MissingAlt
	return l, nil
}

// handleLibrary shows the library; a search from the toolbar gets just the results.
func (h *Handlers) handleLibrary(c *fiber.Ctx) error {
	l, err := h.libraryFromQuery(c)
	if err != nil {
		return err
	}
	p := h.page(c, "Library", "library")
	if web.WantsFragment(c) && c.Get("HX-Target") == "library-results" {
		return render(c, views.LibraryResults(p, l))
	}
	return render(c, views.LibraryPage(p, l))
}

func (h *Handlers) mediaDetail(c *fiber.Ctx, id int64) (*views.MediaDetail, error) {
	m, err := h.Media.FindMediaByID(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if m.DeletedAt != nil {
		return nil, data.Errorf(data.ECNotFound, "%s is in the trash. Restore it from the Trash page to see it here.", m.Filename)
	}
	used, err := h.Media.Usage(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	h.loadPictures(c, m, used)
	d := &views.MediaDetail{M: m, Usage: used}
	if slices.Contains(data.PosterKinds, m.Kind) && data.RequireScope(c.UserContext(), data.ScopeMediaUpdate, "choosing a poster") == nil {
		if d.PosterChoices, _, err = h.Media.FindMedia(c.UserContext(), data.MediaFilter{Kind: data.KindImage, Limit: posterChoices}); err != nil {
			return nil, err
		}
	}
	limit := panelVersions
	if d.AllVersions = c.Query("versions") == "all"; d.AllVersions {
		limit = maxPage
	}
	if d.Versions, d.VersionTotal, err = h.Media.FindMediaVersions(c.UserContext(), id, limit, 0); err != nil {
		return nil, err
	}
	if d.StableURL, err = h.stableURL(c, m); err != nil {
		return nil, err
	}
	if d.History, err = h.history(c, "media", id, 0); err != nil {
		return nil, err
	}
	return d, nil
}

// loadPictures fills in the picture of each place an item is used, so lists
// of places show a thumbnail of where (the product's featured image).
func (h *Handlers) loadPictures(c *fiber.Ctx, m *data.Media, used []data.Usage) {
	seen := map[int64]*data.Media{m.ID: m}
	for i := range used {
		id := used[i].PictureID
		if id == 0 {
			continue
		}
		if _, ok := seen[id]; !ok {
			pic, err := h.Media.FindMediaByID(c.UserContext(), id)
			if err != nil {
				pic = nil // a picture is a nicety: the list works without it
			}
			seen[id] = pic
		}
		used[i].Picture = seen[id]
	}
}

// handleMediaPage is the detail panel of an item: a fragment for htmx, else
// the library with the panel open (so the URL can be bookmarked or reloaded).
func (h *Handlers) handleMediaPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	d, err := h.mediaDetail(c, id)
	if err != nil {
		return err
	}
	p := h.page(c, d.M.Filename, "library")
	if web.WantsFragment(c) {
		d.Close = withQueryString("/media", listQueryFromCurrent(c))
		return render(c, views.MediaPanel(p, d))
	}
	l, err := h.libraryFromQuery(c)
	if err != nil {
		return err
	}
	d.Close = l.URL()
	l.Detail = d
	return render(c, views.LibraryPage(p, l))
}

func withQueryString(path string, q url.Values) string {
	q.Del("return")
	if s := q.Encode(); s != "" {
		return path + "?" + s
	}
	return path
}

// mediaField saves one inline-edited field (alt text, filename or focal
// point) through the same UpdateMedia the API's PATCH uses.
func (h *Handlers) mediaField(c *fiber.Ctx, field string) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	value := c.FormValue(field)
	var upd data.MediaUpdate
	switch field {
	case "alt":
		upd.Alt = &value
	case "focal":
		upd.SetFocal, upd.Focal, err = focalForm(c)
	default:
		upd.Filename = &value
	}
	var m *data.Media
	if err == nil {
		m, err = h.Media.UpdateMedia(c.UserContext(), id, upd)
	}
	st := views.FieldState{Value: value, Saved: err == nil}
	if err != nil {
		if code := data.ErrorCode(err); code != data.ECInvalidField {
			return err
		}
		st.Error = data.ErrorMessage(err)
		if m, err = h.Media.FindMediaByID(c.UserContext(), id); err != nil {
			return err
		}
	}
	if !web.WantsFragment(c) {
		if st.Error != "" {
			return data.FieldError(field, "%s", st.Error)
		}
		label := "Alt text saved."
		if field == "focal" {
			label = "Focal point saved."
			if m.Focal == nil {
				label = "Focal point cleared: crops are centred."
			}
		}
		if field == "filename" {
			label = "Renamed to " + m.Filename + "."
		}
		toast(c, web.Toast{Message: label})
		return web.RedirectAfterPost(c, "/media/"+itoa(id))
	}
	p := h.page(c, m.Filename, "library")
	status := fiber.StatusOK
	if st.Error != "" {
		status = fiber.StatusUnprocessableEntity
	}
	c.Status(status)
	var field1 web.Component
	switch field {
	case "alt":
		field1 = views.AltTextField(p, m, st)
	case "focal":
		field1 = views.FocalField(p, m, st)
	default:
		field1 = views.RenameField(p, m, st)
	}
	if err := web.Render(c, status, field1); err != nil {
		return err
	}
	if st.Saved {
		// The tile in the grid behind the panel shows the new name and alt state.
		href := withQueryString("/media/"+itoa(m.ID), listQueryFromCurrent(c))
		if err := views.MediaCardOOB(p, m, href).Render(c.UserContext(), c.Response().BodyWriter()); err != nil {
			return err
		}
		// The panel's history gains the change at once.
		if hist, err := h.history(c, "media", m.ID, 0); err != nil {
			return err
		} else if hist != nil {
			if err := views.HistorySection(p, hist, true).Render(c.UserContext(), c.Response().BodyWriter()); err != nil {
				return err
			}
		}
		if field == "filename" {
			// The panel's heading names the item too.
			return views.PanelTitle(m.Filename, true).Render(c.UserContext(), c.Response().BodyWriter())
		}
	}
	return nil
}

func (h *Handlers) handleMediaAltForm(c *fiber.Ctx) error    { return h.mediaField(c, "alt") }
func (h *Handlers) handleMediaRenameForm(c *fiber.Ctx) error { return h.mediaField(c, "filename") }
func (h *Handlers) handleMediaFocalForm(c *fiber.Ctx) error  { return h.mediaField(c, "focal") }

// focalForm reads the detail panel's focal point form: clear, or focal_x
// and focal_y (as the API takes them, checked by data.FocalInput).
func focalForm(c *fiber.Ctx) (bool, *data.FocalPoint, error) {
	if c.FormValue("clear") != "" {
		return true, nil, nil
	}
	in := data.FocalInput{XSet: true, YSet: true}
	for _, f := range []struct {
		name string
		to   **float64
	}{{"focal_x", &in.X}, {"focal_y", &in.Y}} {
		s := strings.TrimSpace(c.FormValue(f.name))
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			v = math.NaN() // refused by FocalPoint.Validate, with its message
		}
		*f.to = &v
	}
	if in.X == nil && in.Y == nil {
		return false, nil, data.FieldError("focal_x", "Click the picture where the product is to set a focal point.")
	}
	return in.Update()
}

// posterChoices is how many of the newest images the panel offers as a poster.
const posterChoices = 24

// handleMediaPosterForm sets (or with clear, or none chosen, clears) a
// video's or document's chosen poster from the panel.
func (h *Handlers) handleMediaPosterForm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	var poster int64
	if v := c.FormValue("poster_id"); v != "" && c.FormValue("clear") != "true" {
		if poster, err = strconv.ParseInt(v, 10, 64); err != nil || poster <= 0 {
			return data.FieldError("poster_id", "Choose one of the images shown.")
		}
	}
	if _, err := h.Media.UpdateMedia(c.UserContext(), id, data.MediaUpdate{PosterID: &poster}); err != nil {
		return err
	}
	msg := "Poster chosen."
	if poster == 0 {
		msg = "Chosen poster removed."
	}
	return h.panelAfterChange(c, id, msg)
}

// confirmWith renders a confirmation: a modal dialog for htmx, else a page.
func (h *Handlers) confirmWith(c *fiber.Ctx, status int, p *views.Page, body templ.Component) error {
	outer := views.ConfirmPage(p)
	if web.WantsFragment(c) {
		outer = views.ConfirmDialog()
	}
	return web.Render(c, status, templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return outer.Render(templ.WithChildren(ctx, body), w)
	}))
}

func (h *Handlers) handleMediaDeleteConfirm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	d, err := h.mediaDetail(c, id)
	if err != nil {
		return err
	}
	ret := returnTo(c, "/media")
	p := h.page(c, "Delete "+d.M.Filename, "library")
	return h.confirmWith(c, fiber.StatusOK, p, views.DeleteConfirm(p, d.M, d.Usage, ret))
}

func (h *Handlers) handleMediaDeleteForm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	m, err := h.Media.FindMediaByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	ret := returnTo(c, "/media")
	if ret == "/media/"+itoa(id) || strings.HasPrefix(ret, "/media/"+itoa(id)+"?") {
		u, _ := url.Parse(ret)
		ret = withQueryString("/media", u.Query())
	}
	err = h.Media.TrashMedia(c.UserContext(), id, c.FormValue("force") == "true")
	if data.ErrorCode(err) == data.ECInUse {
		// It became used since the dialog opened: ask again, naming the places.
		used, uerr := h.Media.Usage(c.UserContext(), id)
		if uerr != nil {
			return uerr
		}
		p := h.page(c, "Delete "+m.Filename, "library")
		return h.confirmWith(c, fiber.StatusConflict, p, views.DeleteConfirm(p, m, used, ret))
	}
	if err != nil {
		return err
	}
	toast(c, web.Toast{Message: m.Filename + " deleted", Action: "Undo", ActionURL: "/media/" + itoa(id) + "/restore"})
	return web.RedirectAfterPost(c, ret)
}

func (h *Handlers) handleMediaRestoreForm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	m, err := h.Media.RestoreMedia(c.UserContext(), id)
	if err != nil {
		return err
	}
	toast(c, web.Toast{Message: m.Filename + " restored" + views.NotRestoredText(m.NotRestored), Link: "View", LinkURL: "/media/" + itoa(id)})
	return web.RedirectAfterPost(c, returnTo(c, "/media"))
}

// handleMediaReprocessForm is the detail page's "Try again" for an image
// whose thumbnails could not be made.
func (h *Handlers) handleMediaReprocessForm(c *fiber.Ctx) error {
	id, err := h.reprocess(c)
	if err != nil {
		return err
	}
	toast(c, web.Toast{Message: "Making the thumbnails again."})
	return web.RedirectAfterPost(c, "/media/"+itoa(id))
}

func (h *Handlers) handleMediaPurgeConfirm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	m, err := h.Media.FindMediaByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	if m.DeletedAt == nil {
		return data.Errorf(data.ECNotTrashed, "%s is not in the trash; delete it first.", m.Filename)
	}
	p := h.page(c, "Delete "+m.Filename+" forever", "trash")
	return h.confirmWith(c, fiber.StatusOK, p, views.PurgeConfirm(p, m))
}

func (h *Handlers) handleMediaPurgeForm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	m, err := h.Media.FindMediaByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := h.Media.PurgeMedia(c.UserContext(), id); err != nil {
		return err
	}
	toast(c, web.Toast{Message: m.Filename + " deleted forever"})
	return web.RedirectAfterPost(c, "/trash")
}

// handleMediaOriginal sends an item's original to a logged-in user: as a
// download, or inline (players, and thumbnails of trashed images).
func (h *Handlers) handleMediaOriginal(download bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id", "Media item")
		if err != nil {
			return err
		}
		m, blob, err := h.Media.OpenOriginal(c.UserContext(), id)
		if err != nil {
			return err
		}
		return web.SendFile(c, web.FileResponse{Blob: blob, ContentType: m.MIMEType, ETag: m.SHA256,
			Attachment: download || m.Kind == data.KindDocument, Filename: m.DownloadName()})
	}
}

func (h *Handlers) handleTrash(c *fiber.Ctx) error {
	items, total, err := h.Media.FindMedia(c.UserContext(), data.MediaFilter{Deleted: data.DeletedOnly, Limit: 500})
	if err != nil {
		return err
	}
	slices.SortStableFunc(items, func(a, b *data.Media) int {
		return b.DeletedAt.Compare(*a.DeletedAt)
	})
	p := h.page(c, "Trash", "trash")
	return render(c, views.TrashPage(p, &views.Trash{Items: items, Total: total.N, Now: h.now(), Grace: h.trashGrace()}))
}

// handleLibraryUpload takes files from the dropzone and the Upload button
// (app.js sends one file per request and reads JSON) or from the plain form.
// It uses readUpload and CreateMedia, the API's validation path. A file whose
// bytes are already in the library is not added twice: the answer links to the
// existing item.
func (h *Handlers) handleLibraryUpload(c *fiber.Ctx) error {
	up, err := h.readUpload(c)
	if err != nil {
		return h.uploadFailed(c, err)
	}
	ctx := c.UserContext()
	items, err := h.Media.CreateMedia(ctx, data.MediaCreate{Files: up.files, Alt: up.alt, ReuseExisting: true})
	if err != nil {
		return h.uploadFailed(c, err)
	}
	p := h.page(c, "Library", "library")
	var out []uploadResult
	for _, m := range items {
		r := uploadResult{ID: m.ID, Filename: m.Filename}
		if m.DuplicateOf != 0 {
			r.ID, r.DuplicateOf, r.DuplicateURL = 0, m.DuplicateOf, "/media/"+itoa(m.DuplicateOf)
			r.Message = "Already in your library"
		} else if r.HTML, err = renderString(c, views.MediaCard(p, m, "/media/"+itoa(m.ID))); err != nil {
			return err
		}
		out = append(out, r)
	}
	if wantsJSON(c) {
		return c.Status(fiber.StatusCreated).JSON(libraryUploadAnswer{Items: out})
	}
	added, dups := 0, 0
	for _, r := range out {
		if r.DuplicateOf != 0 {
			dups++
		} else {
			added++
		}
	}
	msg := "Uploaded " + views.Plural(added, "file", "files") + "."
	if dups > 0 {
		msg += " " + views.Plural(dups, "file was", "files were") + " already in your library."
	}
	toast(c, web.Toast{Message: msg})
	return web.RedirectAfterPost(c, "/media")
}

// uploadFailed answers a failed upload. The rest of the body is read first
// (within the size limits) so the browser gets the answer rather than a reset
// connection while it is still sending.
func (h *Handlers) uploadFailed(c *fiber.Ctx, err error) error {
	if n, _ := io.Copy(io.Discard, io.LimitReader(web.Body(c), h.Limits.MaxAnyBytes()+1<<20)); n > h.Limits.MaxAnyBytes() {
		c.Set(fiber.HeaderConnection, "close")
	}
	if !wantsJSON(c) {
		return err
	}
	e := web.AsDataError(err)
	if web.StatusFor(e.Code) >= 500 {
		return err // logged and answered by the error handler
	}
	return web.WriteJSONError(c, e)
}
