// Package handlers holds Gallerist's HTTP handlers, one file per resource,
// HTML and /api side by side. They are thin: parse, call a service, render.
package handlers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// Deps are the services the handlers use.
type Deps struct {
	Media data.MediaService
	Auth  data.AuthService
	// Renditions serves resized images (nil: originals only).
	Renditions data.RenditionService
	Catalog    data.CatalogService
	Imports    data.ImportService
	Limits     data.Limits
	// Events is the log of changes; Webhooks its subscribers.
	Events   data.EventService
	Webhooks data.WebhookService

	// Users and Sessions serve the admin UI's accounts; TrashGrace is how long trashed media stay restorable.
	Users      data.UserService
	Sessions   *web.Sessions
	TrashGrace time.Duration

	// Now is the one clock (main threads the database's through; nil:
	// time.Now): days left in the trash, token expiry.
	Now func() time.Time

	// PublicURL, if set, is the absolute base of file URLs ("https://cdn.example.com");
	// otherwise URLs are built from the request's scheme and host.
	PublicURL string
}

// Handlers holds the dependencies of every handler.
type Handlers struct {
	Deps
	answers   answerCache
	noAnswers atomic.Bool
	items     revCache[int64]      // media items' list JSON by media.rev
	galleries revCache[galleryKey] // gallery answers by products.gallery_rev
	noRevs    atomic.Bool
}

// now reads the clock.
func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// New returns the handlers.
func New(d Deps) *Handlers {
	h := &Handlers{Deps: d}
	h.items.max, h.galleries.max = itemCacheBytes, galleryCacheBytes
	return h
}

// handlePing is the trivial JSON endpoint benchmarks compare against.
func (h *Handlers) handlePing(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"ok": true})
}

// List is the envelope of every list.
type List[T any] struct {
	Data  []T `json:"data"`
	Total int `json:"total"`
	// TotalExact is false when total is a floor: a media list whose filter
	// matches more than data.MaxCountedTotal items says so, and total is
	// data.MaxCountedTotal ("1,000+"), rather than count a million rows.
	TotalExact bool `json:"total_exact"`
	Limit      int  `json:"limit"`
	Offset     int  `json:"offset"`
}

// The list parameters every list takes, with the same meaning everywhere.
var sharedListParams = []string{"limit", "offset", "since_id", "sort", "fields"}

// listSpec declares one list's query parameters: the shared ones (with the
// list's sort fields and fields= names) and its own filters.
type listSpec struct {
	sorts   []string
	fields  []string
	filters []string
	// gallery lists default to the whole gallery, up to the gallery limit;
	// other lists to defaultPage of at most maxPage.
	gallery bool
}

func (s listSpec) params() []string { return append(slices.Clone(sharedListParams), s.filters...) }

// The lists of the API.
var (
	mediaList = listSpec{sorts: data.MediaSortFields, fields: mediaListFields,
		filters: []string{"q", "kind", "mime_type", "deleted", "product_id", "used", "missing_alt"}}
	productList    = listSpec{sorts: data.ProductSortFields, fields: productFields, filters: []string{"q", "status", "handle"}}
	variantList    = listSpec{sorts: data.VariantSortFields, fields: variantFields, filters: []string{"q"}}
	collectionList = listSpec{sorts: data.CollectionSortFields, fields: collectionFields, filters: []string{"q", "handle"}}
	galleryList    = listSpec{sorts: data.GallerySortFields, fields: galleryImageFields, filters: []string{"position", "src"}, gallery: true}
)

// listQuery is what the shared list parameters asked for.
type listQuery struct {
	Limit, Offset int
	SinceID       int64
	Sort          string // "id" after since_id
	Fields        []string
}

// parseList reads the shared list parameters of spec: limit (1 to maxLimit,
// default defLimit), offset (0 or more), since_id (0 or more: ids greater,
// ascending, so never with another sort), sort (one of spec's fields, "-"
// for descending) and fields (a comma list of spec's names).
func parseList(c *fiber.Ctx, spec listSpec, defLimit, maxLimit int) (listQuery, error) {
	lp, err := data.ParseListPage(queryValues(c), spec.sorts, maxLimit)
	q := listQuery{Limit: cmp.Or(lp.Limit, defLimit), Offset: lp.Offset, SinceID: lp.SinceID, Sort: lp.Sort}
	if err != nil {
		return q, err
	}
	if q.Fields, err = fieldsParam(c, spec.fields); err != nil {
		return q, err
	}
	return q, nil
}

// queryValues are the request's query parameters, decoded as c.Query does.
func queryValues(c *fiber.Ctx) url.Values {
	v := url.Values{}
	for k, val := range c.Context().QueryArgs().All() {
		v.Add(string(k), string(val))
	}
	return v
}

// defaultPage is the default limit of the non-gallery lists; maxPage their largest.
const (
	defaultPage = data.DefaultPage
	maxPage     = data.MaxPage
)

// pageLimitDoc documents limit= on the non-gallery lists.
var pageLimitDoc = fmt.Sprintf("1-%d, default %d.", maxPage, defaultPage)

func paramError(name, msg string) *data.Error { return data.ParamError(name, "%s", msg) }

// queryID parses an id parameter: a whole number from min (0 for cursors,
// 1 for ids); 0 when absent.
func queryID(c *fiber.Ctx, name string, min int64) (int64, error) {
	return data.ParseIDParam(name, c.Query(name), min)
}

// queryBool parses a boolean parameter: true or 1, false or 0 (any other
// spelling, "yes" included, is refused); nil when absent.
func queryBool(c *fiber.Ctx, name string) (*bool, error) {
	return data.ParseBoolParam(name, c.Query(name))
}

// strictQuery refuses the query parameters an endpoint does not take (400
// unknown_parameter, with a hint for other APIs' spellings) and parameters
// given twice, before the handler runs.
func strictQuery(allowed []string, next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		seen := map[string]bool{}
		for k := range c.Context().QueryArgs().All() {
			name := string(k)
			switch {
			case !slices.Contains(allowed, name):
				return unknownParam(name, allowed)
			case seen[name]:
				return paramError(name, fmt.Sprintf("%s is given twice; send it once (a comma list where several values are allowed).", name))
			}
			seen[name] = true
		}
		return next(c)
	}
}

// paramHint is what another API's parameter is called here.
type paramHint struct {
	use  []string // our parameters (the hint applies where the endpoint takes them)
	hint string
}

// paramHints maps the spellings of the seed vendors' APIs (and common ones)
// to ours.
var paramHints = map[string]paramHint{
	"query":           {[]string{"q"}, "Search with q."},
	"search":          {[]string{"q"}, "Search with q."},
	"filter":          {[]string{"q"}, "Search with q."},
	"page":            {[]string{"limit", "offset"}, "Page with limit and offset: offset = (page - 1) × limit."},
	"per_page":        {[]string{"limit"}, "Set the page size with limit (1 to 100)."},
	"page_size":       {[]string{"limit"}, "Set the page size with limit (1 to 100)."},
	"pagesize":        {[]string{"limit"}, "Set the page size with limit (1 to 100)."},
	"$limit":          {[]string{"limit"}, "Set the page size with limit (1 to 100)."},
	"$skip":           {[]string{"offset"}, "Skip items with offset."},
	"skip":            {[]string{"offset"}, "Skip items with offset."},
	"$sort":           {[]string{"sort"}, "Sort with sort=field, or sort=-field for descending."},
	"sort_by":         {[]string{"sort"}, "Sort with sort=field, or sort=-field for descending."},
	"order":           {[]string{"sort"}, "Sort with sort=field, or sort=-field for descending."},
	"order_by":        {[]string{"sort"}, "Sort with sort=field, or sort=-field for descending."},
	"type":            {[]string{"kind"}, "Filter by kind (image, video, audio, document)."},
	"media_type":      {[]string{"kind"}, "Filter by kind (image, video, audio, document)."},
	"file_type":       {[]string{"mime_type"}, "Filter by mime_type (e.g. image/png, or a comma list)."},
	"content_type":    {[]string{"mime_type"}, "Filter by mime_type (e.g. image/png, or a comma list)."},
	"product":         {[]string{"product_id"}, "Filter by product_id."},
	"organization_id": {nil, "Leave it out: the token's organization is always the one used."},
	"with_count":      {nil, "Leave it out: total is always in the answer."},
}

func unknownParam(name string, allowed []string) error {
	e := data.Errorf(data.ECUnknownParameter, "Unknown query parameter %q.", name).With("parameter", name).With("known_parameters", allowed)
	if len(allowed) == 0 {
		e = data.Errorf(data.ECUnknownParameter, "Unknown query parameter %q: this endpoint takes none.", name).With("parameter", name).With("known_parameters", []string{})
	}
	key := strings.ToLower(name)
	if i := strings.IndexByte(key, '['); i > 0 { // $sort[position]=1, filter[name]=x: Feathers and JSON:API spellings
		key = key[:i]
	}
	h, ok := paramHints[key]
	if !ok {
		return e
	}
	for _, u := range h.use {
		if !slices.Contains(allowed, u) {
			return e
		}
	}
	e.Message += " " + h.hint
	e = e.With("hint", h.hint)
	if len(h.use) > 0 {
		e = e.With("use", h.use)
	}
	return e
}

// pathID parses a numeric path parameter; anything else is the same 404 as a missing row.
func pathID(c *fiber.Ctx, name, what string) (int64, error) {
	n, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, data.NotFound(what)
	}
	return n, nil
}

// fieldsParam parses fields=a,b and checks each against the allowed names.
func fieldsParam(c *fiber.Ctx, allowed []string) ([]string, error) {
	v := c.Query("fields")
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(allowed, f) {
			return nil, paramError("fields", fmt.Sprintf("Unknown field %q in fields; known fields: %s.", f, strings.Join(allowed, ", ")))
		}
		out = append(out, f)
	}
	return out, nil
}

// sparse keeps only the named fields of a JSON-able value (all when fields is empty).
func sparse(v any, fields []string) (any, error) {
	if len(fields) == 0 {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(fields))
	for _, f := range fields {
		if raw, ok := m[f]; ok {
			out[f] = raw
		}
	}
	return out, nil
}

// decodeStrict decodes a JSON body into v: anything but one JSON object
// (an array, a string, a number, null) or malformed JSON is 400
// invalid_json; unknown fields are 422 unknown_field and values of the wrong
// type 422 invalid_field, each naming the field. The body was bounded by the
// web layer.
func decodeStrict(c *fiber.Ctx, v any) error {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return data.Errorf(data.ECEmptyUpdate, "The request body is empty; send a JSON object.")
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return data.Errorf(data.ECUnsupportedContent, "Send the body as application/json.")
	}
	if err := requireObject(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return data.Errorf(data.ECInvalidJSON, "Unexpected data after the JSON object.")
	}
	return nil
}

// requireObject refuses a body that is valid JSON but not an object.
func requireObject(body []byte) error {
	if body[0] == '{' {
		return nil
	}
	if !json.Valid(body) {
		return data.Errorf(data.ECInvalidJSON, "The request body is not valid JSON; send a JSON object ({...}).")
	}
	return data.Errorf(data.ECInvalidJSON, "The request body is %s; send a JSON object ({...}).", jsonKind(body[0]))
}

// jsonKind names the kind of JSON value that starts with c, for messages.
func jsonKind(c byte) string {
	switch c {
	case '[':
		return "a JSON array"
	case '"':
		return "a JSON string"
	case 't', 'f':
		return "a JSON boolean"
	case 'n':
		return "JSON null"
	}
	return "a JSON number"
}

func jsonError(err error) error {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		if ute.Field == "" {
			return data.Errorf(data.ECInvalidJSON, "The request body is %s; send a JSON object ({...}).", ute.Value)
		}
		if n, ok := strings.CutPrefix(ute.Value, "number "); ok { // a number the type cannot hold
			return data.Errorf(data.ECInvalidField, "The field %q must be %s; %s is out of its range.", ute.Field, jsonTypeName(ute.Type), n).With("field", ute.Field)
		}
		return data.Errorf(data.ECInvalidField, "The field %q must be %s, not %s.", ute.Field, jsonTypeName(ute.Type), ute.Value).With("field", ute.Field)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		return data.Errorf(data.ECInvalidJSON, "The request body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		f := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return data.Errorf(data.ECUnknownField, "Unknown field %q.", f).With("field", f)
	}
	return data.Errorf(data.ECInvalidJSON, "The request body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonTypeName says what JSON a Go type takes, in words (never a Go type name).
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		if t.Elem().Kind() == reflect.String {
			return "an object of strings"
		}
		return "an object"
	}
	return "an object"
}

// baseURL is the absolute base for URLs in responses.
func (h *Handlers) baseURL(c *fiber.Ctx) string {
	if h.PublicURL != "" {
		return strings.TrimRight(h.PublicURL, "/")
	}
	return c.BaseURL()
}

// sendList renders a list envelope, each item made sparse by fields.
func sendList[T any](c *fiber.Ctx, items []T, total, limit, offset int, fields []string, render func(T) any) error {
	out, err := listOf(items, total, limit, offset, fields, render)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// listOf renders items into the list envelope, each cut to fields (all when empty).
func listOf[T any](items []T, total, limit, offset int, fields []string, render func(T) any) (List[any], error) {
	out := List[any]{Data: make([]any, 0, len(items)), Total: total, TotalExact: true, Limit: limit, Offset: offset}
	for _, it := range items {
		v, err := sparse(render(it), fields)
		if err != nil {
			return out, err
		}
		out.Data = append(out.Data, v)
	}
	return out, nil
}

func searchParam(c *fiber.Ctx) (string, error) {
	return data.ParseSearch(c.Query("q"))
}
