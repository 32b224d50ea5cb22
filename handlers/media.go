package handlers

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/web"

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
	UsedBy      []UsageJSON `json:"used_by,omitempty"`
	DuplicateOf *int64      `json:"duplicate_of,omitempty"`
}

// mediaFields are the names fields= accepts.
var mediaFields = []string{"id", "kind", "filename", "original_filename", "mime_type", "size", "sha256", "width", "height",
	"duration_ms", "alt", "url", "download_url", "source_url", "created_by", "created_at", "updated_at", "deleted_at", "usage_count",
	"processing", "processing_error", "renditions", "srcset", "renditions_webp", "srcset_webp"}

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
	return f, fields, err
}

func (h *Handlers) handleMediaList(c *fiber.Ctx) error {
	f, fields, err := mediaFilter(c, defaultPage)
	if err != nil {
		return err
	}
	p, _ := web.PrincipalOf(c)
	return h.cachedJSON(c, p.OrgID, func() (any, error) {
		items, total, err := h.Media.FindMedia(c.UserContext(), f)
		if err != nil {
			return nil, err
		}
		return listOf(items, total, f.Limit, f.Offset, fields, func(m *data.Media) any { return h.mediaJSON(c, m) })
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

func (h *Handlers) handleMediaPatch(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Media item")
	if err != nil {
		return err
	}
	var body struct {
		Filename optionalString `json:"filename"`
		Alt      optionalString `json:"alt"`
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
	defer lockResource(kindMedia, id)()
	if err := precondition(c, "media item", func() (entityTag, error) { return h.currentMediaTag(c, id) }); err != nil {
		return err
	}
	if _, err := h.Media.UpdateMedia(c.UserContext(), id, upd); err != nil {
		return err
	}
	return h.sendMediaAfterWrite(c, id)
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
	return c.JSON(h.mediaJSON(c, m))
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
	if err := precondition(c, "media item", func() (entityTag, error) { return h.currentMediaTag(c, id) }); err != nil {
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
	if err := precondition(c, "media item", func() (entityTag, error) { return h.currentMediaTag(c, id) }); err != nil {
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
	up, err := h.readUpload(c, false)
	if err != nil {
		return err
	}
	defer up.discard(h.Media)
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

// upload is what an upload request carried: staged files plus form fields.
type upload struct {
	files  []*data.Staged
	alt    string
	fields map[string]json.RawMessage // JSON mode: the other fields, raw
	form   map[string]string          // multipart mode: the other fields
}

func (u *upload) discard(ms data.MediaService) {
	for _, f := range u.files {
		ms.Discard(f)
	}
}

// readUpload streams a multipart or JSON (base64 attachment) upload into
// staged files. extra allows fields beyond file/alt (e.g. position, media_id),
// which the caller validates.
func (h *Handlers) readUpload(c *fiber.Ctx, extra bool) (up *upload, err error) {
	up = &upload{form: map[string]string{}}
	defer func() {
		if err != nil {
			up.discard(h.Media)
		}
	}()
	ct := c.Get(fiber.HeaderContentType)
	mt, params, perr := mime.ParseMediaType(ct)
	if perr != nil {
		mt = ""
	}
	stream := web.Body(c)
	ctx := c.UserContext()
	switch mt {
	case "multipart/form-data":
		if params["boundary"] == "" {
			return up, data.Errorf(data.ECBadRequest, "The multipart body has no boundary.")
		}
		mr := multipart.NewReader(stream, params["boundary"])
		parts := 0
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return up, data.Errorf(data.ECBadRequest, "The multipart body is malformed: %s.", err.Error())
			}
			parts++
			if parts > h.Limits.MaxFilesPerRequest+20 {
				return up, data.Errorf(data.ECBadRequest, "Too many parts in the multipart body.")
			}
			name := part.FormName()
			switch {
			case name == "file" || name == "file[]" || name == "files":
				if len(up.files) >= h.Limits.MaxFilesPerRequest {
					return up, data.Errorf(data.ECTooManyFiles, "Send at most %d files per request.", h.Limits.MaxFilesPerRequest).
						With("max_files", h.Limits.MaxFilesPerRequest)
				}
				if err := mayCreateMedia(ctx); err != nil {
					return up, err
				}
				st, err := h.Media.Stage(ctx, &bodyReader{r: part}, part.FileName())
				if err != nil {
					return up, bodyError(err)
				}
				up.files = append(up.files, st)
			case name == web.CSRFField && parts == 1 && web.UsesSession(c):
				// The no-JavaScript form's token, already checked by web.CSRF.
			case name == "alt" || (extra && name != ""):
				b, err := io.ReadAll(io.LimitReader(part, 8<<10+1))
				if err != nil {
					return up, data.Errorf(data.ECBadRequest, "The multipart body is malformed.")
				}
				if len(b) > 8<<10 {
					return up, data.FieldError(name, "The %s field is too long.", name)
				}
				if _, dup := up.form[name]; dup {
					return up, data.FieldError(name, "The %s field appears twice.", name)
				}
				up.form[name] = string(b)
			default:
				return up, data.Errorf(data.ECUnknownField, "Unknown form field %q; send files as \"file\" and alt text as \"alt\".", name).With("field", name)
			}
			part.Close()
		}
		up.alt = up.form["alt"]
		if len(up.files) == 0 && !extra {
			return up, data.Errorf(data.ECMissingFile, "The request has no file; send one or more \"file\" parts.")
		}
	case "application/json":
		var staged *data.Staged
		fields, err := streamJSONObject(stream, "attachment", func(r io.Reader) error {
			if err := mayCreateMedia(ctx); err != nil {
				return err
			}
			st, err := h.Media.Stage(ctx, attachmentDecoder(&bodyReader{r: r}), "")
			if err != nil {
				err = bodyError(err)
				var ce base64.CorruptInputError
				if errors.As(err, &ce) {
					return data.Errorf(data.ECInvalidBase64, "attachment is not valid base64 at byte %d: %s", int64(ce), base64Expected).
						With("field", "attachment").With("offset", int64(ce))
				}
				return err
			}
			staged = st
			return nil
		}, 1<<20)
		if staged != nil {
			up.files = append(up.files, staged)
		}
		if err != nil {
			return up, err
		}
		up.fields = fields
		allowed := map[string]bool{"attachment": true, "filename": true, "alt": true, "urls": true}
		for _, k := range slices.Sorted(maps.Keys(fields)) { // the same field named every time
			if !allowed[k] && !extra {
				return up, data.Errorf(data.ECUnknownField, "Unknown field %q.", k).With("field", k)
			}
		}
		if raw, ok := fields["alt"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &up.alt); err != nil {
				return up, data.FieldError("alt", "alt must be a string.")
			}
		}
		if staged != nil {
			var name string
			if raw, ok := fields["filename"]; ok {
				if err := json.Unmarshal(raw, &name); err != nil {
					return up, data.FieldError("filename", "filename must be a string.")
				}
			}
			if clean := data.SanitizeFilename(name); clean != "" {
				staged.Filename, staged.OriginalFilename = clean, clean
			}
		}
		if raw, ok := fields["urls"]; ok && !extra {
			if staged != nil {
				return up, data.Errorf(data.ECBadRequest, "Send either an attachment or urls, not both.")
			}
			var urls []string
			if err := json.Unmarshal(raw, &urls); err != nil {
				return up, data.FieldError("urls", "urls must be a list of URL strings.")
			}
			return up, h.stageURLs(ctx, up, urls)
		}
		if staged == nil && !extra {
			return up, data.Errorf(data.ECMissingFile, "Send the file as base64 in \"attachment\" with a \"filename\", or upload it as multipart/form-data.")
		}
	case "application/x-www-form-urlencoded":
		// The admin UI's "Add from URL" form without JavaScript: urls, one per line.
		if extra {
			return up, data.Errorf(data.ECUnsupportedContent, "Send multipart/form-data or application/json here.")
		}
		if err := web.BufferBody(c, 64<<10); err != nil {
			return up, err
		}
		up.alt = string(c.Request().PostArgs().Peek("alt"))
		if err := h.stageURLs(ctx, up, strings.Fields(string(c.Request().PostArgs().Peek("urls")))); err != nil {
			return up, err
		}
	default:
		return up, data.Errorf(data.ECUnsupportedContent, "Send uploads as multipart/form-data (\"file\" parts) or application/json with a base64 \"attachment\".")
	}
	return up, nil
}

// base64Expected says what an attachment may be, for error messages.
const base64Expected = "expected the file's bytes in base64: the standard alphabet (A-Z, a-z, 0-9, + and /) or the URL-safe one " +
	"(- and _ instead of + and /), with or without = padding, line breaks allowed, optionally after a data: URL prefix such as \"data:image/png;base64,\"."

// attachmentDecoder decodes a base64 attachment as it streams in.
func attachmentDecoder(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, &base64Clean{r: r})
}

// base64Clean turns an attachment into padded standard base64 for
// base64.NewDecoder, checking it as it goes: an optional data: URL prefix
// ("data:image/png;base64,") is dropped, white space (wrapped lines) skipped,
// the URL-safe alphabet translated (an attachment uses one alphabet, not
// both), and missing padding added at the end. It checks what base64's
// stream decoder does not: that nothing follows the padding (the decoder
// decodes each chunk on its own) and that the input does not end mid-group
// (the decoder would end with io.ErrUnexpectedEOF, which Stage reads as a
// short file). Errors are a base64.CorruptInputError at the offset in the
// attachment string.
type base64Clean struct {
	r     io.Reader
	chunk [4096]byte
	buf   []byte // unread bytes of chunk
	rerr  error  // the error of the last read of r, once buf is used up
	eof   bool

	state   int    // b64Start, b64Prefix or b64Body
	held    []byte // b64Start: the first bytes, until they show whether a data: prefix starts
	replay  []byte // held bytes to feed again as body
	prefix  []byte // b64Prefix: the media type and parameters read so far
	off     int64  // bytes of the attachment consumed
	n       int64  // base64 characters out (padding included)
	pad     bool   // padding seen
	alpha   byte   // '+' standard or '-' URL-safe, once a character shows which
	padLeft int    // padding still to add at the end
	done    bool
	bad     error
}

const (
	b64Start = iota
	b64Prefix
	b64Body
)

// maxDataPrefix bounds the media type and parameters of a data: prefix.
const maxDataPrefix = 200

func (b *base64Clean) Read(p []byte) (int, error) {
	k := 0
	for k < len(p) {
		switch {
		case b.bad != nil:
			return k, b.bad
		case b.padLeft > 0:
			p[k] = '='
			k++
			b.padLeft--
			continue
		case b.done:
			if k > 0 {
				return k, nil
			}
			return 0, io.EOF
		}
		c, ok := b.next()
		if !ok {
			if k > 0 {
				return k, nil
			}
			if b.rerr != nil {
				return 0, b.rerr
			}
			if b.eof {
				b.finish()
				continue
			}
			n, err := b.r.Read(b.chunk[:])
			b.buf = b.chunk[:n]
			if errors.Is(err, io.EOF) {
				b.eof = true
			} else if err != nil {
				b.rerr = err
			}
			continue
		}
		if out, ok := b.feed(c); ok {
			p[k] = out
			k++
		}
	}
	return k, nil
}

// next is the next byte to feed: replayed ones first, then read ones.
func (b *base64Clean) next() (byte, bool) {
	if len(b.replay) > 0 {
		c := b.replay[0]
		b.replay = b.replay[1:]
		return c, true
	}
	if len(b.buf) > 0 {
		c := b.buf[0]
		b.buf = b.buf[1:]
		return c, true
	}
	return 0, false
}

func (b *base64Clean) corrupt() {
	b.bad = base64.CorruptInputError(b.off)
}

// feed takes one byte of the attachment and returns the base64 character
// it stands for, if any.
func (b *base64Clean) feed(c byte) (byte, bool) {
	switch b.state {
	case b64Start:
		b.held = append(b.held, c)
		if len(b.held) == 5 && strings.EqualFold(string(b.held), "data:") {
			b.state, b.off, b.held = b64Prefix, 5, nil
			return 0, false
		}
		if !strings.HasPrefix("data:", strings.ToLower(string(b.held))) {
			b.state, b.replay, b.held = b64Body, b.held, nil
		}
		return 0, false
	case b64Prefix:
		if c == ',' {
			if len(b.prefix) < 7 || !strings.EqualFold(string(b.prefix[len(b.prefix)-7:]), ";base64") {
				b.corrupt()
				return 0, false
			}
			b.state = b64Body
			b.off++
			return 0, false
		}
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&^_.+-/=;", c) >= 0
		if !ok || len(b.prefix) == maxDataPrefix+7 {
			b.corrupt()
			return 0, false
		}
		b.prefix = append(b.prefix, c)
		b.off++
		return 0, false
	}
	switch {
	case c == '\n' || c == '\r' || c == ' ' || c == '\t':
		b.off++
		return 0, false
	case c == '=':
		if b.n%4 < 2 {
			b.corrupt()
			return 0, false
		}
		b.pad = true
	case b.pad:
		b.corrupt()
		return 0, false
	case c == '+' || c == '/':
		if b.alpha == '-' {
			b.corrupt()
			return 0, false
		}
		b.alpha = '+'
	case c == '-' || c == '_':
		if b.alpha == '+' {
			b.corrupt()
			return 0, false
		}
		b.alpha = '-'
		if c == '-' {
			c = '+'
		} else {
			c = '/'
		}
	case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
	default:
		b.corrupt()
		return 0, false
	}
	b.off++
	b.n++
	return c, true
}

// finish ends the input: held bytes are body after all; a body that ends
// mid-group is padded if it had no padding and can be.
func (b *base64Clean) finish() {
	switch b.state {
	case b64Start:
		b.state, b.replay, b.held = b64Body, b.held, nil
		return
	case b64Prefix:
		b.corrupt()
		return
	}
	switch r := b.n % 4; {
	case r == 0:
	case b.pad || r == 1:
		b.corrupt()
		return
	default:
		b.padLeft = 4 - int(r)
		b.n += int64(b.padLeft)
	}
	b.done = true
}

// bodyReader marks errors that come from reading the request body, so a
// client that hangs up or sends a malformed body gets a 400, not a 500.
type bodyReader struct{ r io.Reader }

type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		var de *data.Error
		if !errors.As(err, &de) {
			err = &bodyReadError{err}
		}
	}
	return n, err
}

func bodyError(err error) error {
	var be *bodyReadError
	if errors.As(err, &be) {
		return data.Errorf(data.ECBadRequest, "The upload was cut off or is malformed (%s); send it again.", be.err.Error())
	}
	return err
}

// stageURLs checks an import's URLs (1 to MaxFilesPerRequest non-empty
// strings) and stages them through the one fetcher into up.
func (h *Handlers) stageURLs(ctx context.Context, up *upload, urls []string) error {
	if len(urls) == 0 || len(urls) > h.Limits.MaxFilesPerRequest {
		return data.FieldError("urls", "Send 1 to %d URLs per request.", h.Limits.MaxFilesPerRequest)
	}
	for _, u := range urls {
		if strings.TrimSpace(u) == "" || len(u) > 8192 {
			return data.FieldError("urls", "Every URL must be a non-empty http or https address.")
		}
	}
	if err := mayCreateMedia(ctx); err != nil {
		return err
	}
	var err error
	up.files, err = h.Media.StageURLs(ctx, urls)
	return err
}

// mayCreateMedia is checked before an upload is staged or a URL fetched: a
// principal without media:create (a products:write token adding to a
// gallery) is refused before any byte is read. The services check again.
func mayCreateMedia(ctx context.Context) error {
	return data.RequireScope(ctx, data.ScopeMediaCreate, "uploading or importing media")
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
}

func renditionsJSON(base string, m *data.Media) RenditionsJSON {
	j := RenditionsJSON{Processing: m.Processing, ProcessingError: optStr(m.ProcessingError)}
	j.Renditions, j.Srcset = renditionSet(base, m, false)
	if j.RenditionsWebP, j.SrcsetWebP = renditionSet(base, m, true); len(j.RenditionsWebP) == 0 {
		j.RenditionsWebP = nil
	}
	return j
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
