package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// An upload comes in one of three body kinds, each read by one function:
// multipart/form-data with "file" parts (readMultipart), JSON with the file
// as a base64 "attachment" (readJSONBody), or URLs to import, in JSON "urls"
// or the no-JavaScript form's "urls" lines (stageURLs). Files are staged as
// they stream in; the request's staging scope (data.WithStaging) discards
// whatever does not end up in the library, so none of this discards.
//
// Two requests are read from them: mediaUpload (the library's uploads, also
// a gallery editor's upload) and galleryAdd (POST /api/products/:id/images,
// which also names a library item, an import URL and a position).

// mediaUpload is what an upload to the library carries.
type mediaUpload struct {
	files []*data.Staged
	alt   string
}

// galleryAdd is what an addition to a gallery carries: a library item
// (mediaID), or a file (files, at most one) or a URL to import (src, staged
// into files by readGalleryAdd); a position (0: at the end); alt text (nil:
// not given).
type galleryAdd struct {
	files    []*data.Staged
	mediaID  int64
	position int
	alt      *string
	src      string
}

// formSpec is what a multipart upload takes besides its files.
type formSpec struct {
	fields  []string // text fields, each at most once, 8 KiB at most
	unknown string   // the message refusing any other field (%q: its name)
	// may is checked before a file is staged: the principal may send one
	// here (mayCreateMedia when nil).
	may func(context.Context) error
}

var (
	mediaForm = formSpec{fields: []string{"alt"},
		unknown: "Unknown form field %q; send files as \"file\" and alt text as \"alt\"."}
	galleryForm = formSpec{fields: []string{"alt", "position", "media_id", "src"},
		unknown: "Unknown form field %q; send \"file\", \"src\", \"alt\", \"position\" or \"media_id\"."}

	// The fields of JSON uploads ("attachment", "filename" and "alt" are every upload's).
	mediaJSONFields   = []string{"attachment", "filename", "alt", "urls"}
	galleryJSONFields = []string{"attachment", "filename", "alt", "position", "media_id", "src"}
)

const (
	maxFormField = 8 << 10
	maxURLForm   = 64 << 10
)

var errUploadType = data.Errorf(data.ECUnsupportedContent, "Send uploads as multipart/form-data (\"file\" parts) or application/json with a base64 \"attachment\".")

// uploadType is the request's media type and its parameters ("" when
// missing or malformed).
func uploadType(c *fiber.Ctx) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil {
		return "", nil
	}
	return mt, params
}

// readUpload reads an upload to the library in any of the three body kinds.
func (h *Handlers) readUpload(c *fiber.Ctx) (mediaUpload, error) {
	mt, params := uploadType(c)
	switch mt {
	case "multipart/form-data":
		body, err := h.readMultipart(c, params["boundary"], mediaForm)
		if err != nil {
			return mediaUpload{}, err
		}
		if len(body.files) == 0 {
			return mediaUpload{}, data.Errorf(data.ECMissingFile, "The request has no file; send one or more \"file\" parts.")
		}
		return mediaUpload{files: body.files, alt: body.form["alt"]}, nil
	case "application/json":
		return h.readMediaJSON(c)
	case "application/x-www-form-urlencoded":
		return h.readURLForm(c)
	}
	return mediaUpload{}, errUploadType
}

// readMediaJSON reads a JSON upload to the library: an attachment, or urls
// to import.
func (h *Handlers) readMediaJSON(c *fiber.Ctx) (mediaUpload, error) {
	body, err := h.readJSONBody(c, mediaJSONFields, mediaForm)
	if err != nil {
		return mediaUpload{}, err
	}
	up := mediaUpload{alt: body.alt}
	raw, hasURLs := body.fields["urls"]
	switch {
	case hasURLs && body.attachment != nil:
		return up, data.Errorf(data.ECBadRequest, "Send either an attachment or urls, not both.")
	case hasURLs:
		var urls []string
		if err := json.Unmarshal(raw, &urls); err != nil {
			return up, data.FieldError("urls", "urls must be a list of URL strings.")
		}
		up.files, err = h.stageURLs(c.UserContext(), urls)
		return up, err
	case body.attachment == nil:
		return up, data.Errorf(data.ECMissingFile, "Send the file as base64 in \"attachment\" with a \"filename\", or upload it as multipart/form-data.")
	}
	up.files = []*data.Staged{body.attachment}
	return up, nil
}

// readURLForm reads the admin UI's "Add from URL" form posted without
// JavaScript: urls, one per line, and alt.
func (h *Handlers) readURLForm(c *fiber.Ctx) (mediaUpload, error) {
	if err := web.BufferBody(c, maxURLForm); err != nil {
		return mediaUpload{}, err
	}
	args := c.Request().PostArgs()
	up := mediaUpload{alt: string(args.Peek("alt"))}
	var err error
	up.files, err = h.stageURLs(c.UserContext(), strings.Fields(string(args.Peek("urls"))))
	return up, err
}

// readGalleryAdd reads an addition to a gallery, multipart or JSON, and
// stages its src, if any.
func (h *Handlers) readGalleryAdd(c *fiber.Ctx) (galleryAdd, error) {
	var add galleryAdd
	var err error
	switch mt, params := uploadType(c); mt {
	case "multipart/form-data":
		add, err = h.readGalleryMultipart(c, params["boundary"])
	case "application/json":
		add, err = h.readGalleryJSON(c)
	case "application/x-www-form-urlencoded":
		return add, data.Errorf(data.ECUnsupportedContent, "Send multipart/form-data or application/json here.")
	default:
		return add, errUploadType
	}
	if err != nil || add.src == "" {
		return add, err
	}
	if len(add.files) > 0 || add.mediaID != 0 {
		return add, data.FieldError("src", "Send one of media_id, a file, or src.")
	}
	if strings.TrimSpace(add.src) == "" || len(add.src) > 8192 {
		return add, data.FieldError("src", "src must be the http or https URL of an image.")
	}
	if err := mayCreateMedia(c.UserContext()); err != nil {
		return add, err
	}
	add.files, err = h.Media.StageURLs(c.UserContext(), []string{add.src})
	return add, err
}

func (h *Handlers) readGalleryMultipart(c *fiber.Ctx, boundary string) (galleryAdd, error) {
	body, err := h.readMultipart(c, boundary, galleryForm)
	if err != nil {
		return galleryAdd{}, err
	}
	add := galleryAdd{files: body.files, src: body.form["src"]}
	if v, ok := body.form["alt"]; ok {
		add.alt = &v
	}
	if v, ok := body.form["media_id"]; ok {
		if add.mediaID, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil || add.mediaID <= 0 {
			return add, data.FieldError("media_id", "media_id must be the id of a media item.")
		}
	}
	if v, ok := body.form["position"]; ok {
		if add.position, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || add.position < 1 {
			return add, data.FieldError("position", "position must be a whole number from 1.")
		}
	}
	return add, nil
}

func (h *Handlers) readGalleryJSON(c *fiber.Ctx) (galleryAdd, error) {
	body, err := h.readJSONBody(c, galleryJSONFields, galleryForm)
	if err != nil {
		return galleryAdd{}, err
	}
	var add galleryAdd
	if body.attachment != nil {
		add.files = []*data.Staged{body.attachment}
	}
	if raw, ok := body.fields["media_id"]; ok {
		if err := json.Unmarshal(raw, &add.mediaID); err != nil || add.mediaID <= 0 {
			return add, data.FieldError("media_id", "media_id must be the id of a media item.")
		}
	}
	if raw, ok := body.fields["position"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &add.position); err != nil || add.position < 1 {
			return add, data.FieldError("position", "position must be a whole number from 1.")
		}
	}
	if _, ok := body.fields["alt"]; ok {
		add.alt = &body.alt // null clears
	}
	if raw, ok := body.fields["src"]; ok {
		if err := json.Unmarshal(raw, &add.src); err != nil || strings.TrimSpace(add.src) == "" {
			return add, data.FieldError("src", "src must be the http or https URL of an image.")
		}
	}
	return add, nil
}

// multipartBody is a multipart upload: its staged files and text fields.
type multipartBody struct {
	files []*data.Staged
	form  map[string]string
}

// readMultipart streams a multipart/form-data body, staging "file" parts
// ("file[]" and "files" too) as they arrive, up to MaxFilesPerRequest, and
// reading the text fields of spec; any other field is refused.
func (h *Handlers) readMultipart(c *fiber.Ctx, boundary string, spec formSpec) (multipartBody, error) {
	body := multipartBody{form: map[string]string{}}
	if boundary == "" {
		return body, data.Errorf(data.ECBadRequest, "The multipart body has no boundary.")
	}
	mr := multipart.NewReader(web.Body(c), boundary)
	for n := 1; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return body, nil
		}
		if err != nil {
			return body, data.Errorf(data.ECBadRequest, "The multipart body is malformed: %s.", err.Error())
		}
		if n > h.Limits.MaxFilesPerRequest+20 {
			return body, data.Errorf(data.ECBadRequest, "Too many parts in the multipart body.")
		}
		if err := h.readPart(c, part, n, spec, &body); err != nil {
			return body, err
		}
		part.Close()
	}
}

// readPart reads the nth part of a multipart upload into body.
func (h *Handlers) readPart(c *fiber.Ctx, part *multipart.Part, n int, spec formSpec, body *multipartBody) error {
	switch name := part.FormName(); {
	case name == "file" || name == "file[]" || name == "files":
		if len(body.files) >= h.Limits.MaxFilesPerRequest {
			return data.Errorf(data.ECTooManyFiles, "Send at most %d files per request.", h.Limits.MaxFilesPerRequest).
				With("max_files", h.Limits.MaxFilesPerRequest)
		}
		if err := spec.mayStage(c.UserContext()); err != nil {
			return err
		}
		st, err := h.Media.Stage(c.UserContext(), &bodyReader{r: part}, part.FileName())
		if err != nil {
			return bodyError(err)
		}
		body.files = append(body.files, st)
	case name == web.CSRFField && n == 1 && web.UsesSession(c):
		// The no-JavaScript form's token, already checked by web.CSRF.
	case slices.Contains(spec.fields, name):
		b, err := io.ReadAll(io.LimitReader(part, maxFormField+1))
		if err != nil {
			return data.Errorf(data.ECBadRequest, "The multipart body is malformed.")
		}
		if len(b) > maxFormField {
			return data.FieldError(name, "The %s field is too long.", name)
		}
		if _, dup := body.form[name]; dup {
			return data.FieldError(name, "The %s field appears twice.", name)
		}
		body.form[name] = string(b)
	default:
		return data.Errorf(data.ECUnknownField, spec.unknown, name).With("field", name)
	}
	return nil
}

// jsonBody is a JSON upload: its attachment, staged as it streamed in (nil
// without one), its alt text, and every field, raw.
type jsonBody struct {
	attachment *data.Staged
	alt        string
	fields     map[string]json.RawMessage
}

// readJSONBody streams a JSON upload whose fields are among allowed: a
// base64 "attachment" is staged as it arrives, named by "filename"; "alt"
// is a string or null.
func (h *Handlers) readJSONBody(c *fiber.Ctx, allowed []string, spec formSpec) (jsonBody, error) {
	var body jsonBody
	ctx := c.UserContext()
	fields, err := streamJSONObject(web.Body(c), "attachment", func(r io.Reader) error {
		if err := spec.mayStage(ctx); err != nil {
			return err
		}
		var err error
		body.attachment, err = h.stageAttachment(ctx, r)
		return err
	}, 1<<20)
	if err != nil {
		return body, err
	}
	body.fields = fields
	for _, k := range slices.Sorted(maps.Keys(fields)) { // the same field named every time
		if !slices.Contains(allowed, k) {
			return body, data.Errorf(data.ECUnknownField, "Unknown field %q.", k).With("field", k)
		}
	}
	if raw, ok := fields["alt"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &body.alt); err != nil {
			return body, data.FieldError("alt", "alt must be a string.")
		}
	}
	if body.attachment == nil {
		return body, nil
	}
	var name string
	if raw, ok := fields["filename"]; ok {
		if err := json.Unmarshal(raw, &name); err != nil {
			return body, data.FieldError("filename", "filename must be a string.")
		}
	}
	if clean := data.SanitizeFilename(name); clean != "" {
		body.attachment.Filename, body.attachment.OriginalFilename = clean, clean
	}
	return body, nil
}

// stageAttachment stages a base64 attachment as it streams in.
func (h *Handlers) stageAttachment(ctx context.Context, r io.Reader) (*data.Staged, error) {
	st, err := h.Media.Stage(ctx, attachmentDecoder(&bodyReader{r: r}), "")
	if err == nil {
		return st, nil
	}
	err = bodyError(err)
	var ce base64.CorruptInputError
	if errors.As(err, &ce) {
		return nil, data.Errorf(data.ECInvalidBase64, "attachment is not valid base64 at byte %d: %s", int64(ce), base64Expected).
			With("field", "attachment").With("offset", int64(ce))
	}
	return nil, err
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
// strings) and stages them through the one fetcher.
func (h *Handlers) stageURLs(ctx context.Context, urls []string) ([]*data.Staged, error) {
	if len(urls) == 0 || len(urls) > h.Limits.MaxFilesPerRequest {
		return nil, data.FieldError("urls", "Send 1 to %d URLs per request.", h.Limits.MaxFilesPerRequest)
	}
	for _, u := range urls {
		if strings.TrimSpace(u) == "" || len(u) > 8192 {
			return nil, data.FieldError("urls", "Every URL must be a non-empty http or https address.")
		}
	}
	if err := mayCreateMedia(ctx); err != nil {
		return nil, err
	}
	return h.Media.StageURLs(ctx, urls)
}

func (s formSpec) mayStage(ctx context.Context) error {
	if s.may != nil {
		return s.may(ctx)
	}
	return mayCreateMedia(ctx)
}

// mayCreateMedia is checked before an upload is staged or a URL fetched: a
// principal without media:create (a products:write token adding to a
// gallery) is refused before any byte is read. The services check again.
func mayCreateMedia(ctx context.Context) error {
	return data.RequireScope(ctx, data.ScopeMediaCreate, "uploading or importing media")
}
