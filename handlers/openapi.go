package handlers

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// obj is a JSON object in the OpenAPI document.
type obj = map[string]any

// openapiParts are contributed by each resource's file (openapi_*.go) at init,
// so the document lives next to the handlers it describes.
var (
	openapiPaths   = obj{}
	openapiSchemas = obj{}
)

func addPaths(p obj)   { maps.Copy(openapiPaths, p) }
func addSchemas(s obj) { maps.Copy(openapiSchemas, s) }

var (
	openapiOnce sync.Once
	openapiJSON []byte
)

// OpenAPIDocument returns the OpenAPI 3.1 document describing everything under /api.
func OpenAPIDocument() []byte {
	openapiOnce.Do(func() {
		schemas := obj{}
		maps.Copy(schemas, openapiSchemas)
		decorateOperations(openapiPaths)
		responses := usedResponses(openapiPaths)
		for status, codes := range errorStatuses() {
			if _, used := responses[strconv.Itoa(status)]; used {
				schemas["Error"+strconv.Itoa(status)] = errorSchema(codes)
			}
		}
		doc := obj{
			"openapi": "3.1.0",
			"info": obj{
				"title":       "Gallerist API",
				"version":     "1.0.0",
				"description": apiDescription,
			},
			"servers":       []obj{{"url": "/"}},
			"security":      []obj{{"bearer": []string{}}},
			"tags":          apiTags(),
			"paths":         openapiPaths,
			"x-error-codes": web.ErrorCodes(),
			"components": obj{
				"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "description": "An API token: Authorization: Bearer <token>."}},
				"schemas":         schemas,
				"responses":       responses,
				"headers":         sharedHeaders(),
				"parameters":      sharedParameters(),
			},
		}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			panic(err)
		}
		openapiJSON = b
	})
	return openapiJSON
}

const apiDescription = "Product media: a media library, products, galleries and safe delete. Authenticate with \"Authorization: Bearer <token>\". " +
	"Errors are {\"error\": {\"code\", \"message\", ...}}; each response lists the codes it can carry, and the code → status table is in x-error-codes. " +
	"Details name what an error is about: field for a body field, parameter for a query parameter. " +
	"Query parameters an operation does not list are refused (400 unknown_parameter, with a hint for other APIs' spellings such as page or search), as are parameters given twice. " +
	"Every list takes limit, offset, since_id, sort and fields with the same meaning; since_id is a sync cursor (ids greater than it, in ascending id order) and cannot be combined with another sort. " +
	"Boolean parameters are true or false (1 or 0 also work; anything else, yes included, is 400). " +
	"Request bodies are one JSON object: anything else (an array, a string, a number, null) is 400 invalid_json; unknown fields are 422 unknown_field. " +
	"A documented path asked with a method it does not list answers 405 method_not_allowed with an Allow header; OPTIONS answers 204 with Allow (and the CORS preflight, for the origins --cors-origins lists). HEAD works wherever GET does. " +
	"Each 201 carries Location, the path of the created resource (for several media items created at once, the first; each item carries its id). " +
	"Single media items, products, variants and collections, and galleries carry a weak ETag, W/\"<kind><id>-<digest>-<version>\": " +
	"If-None-Match with it answers 304 when nothing the answer shows has changed (the digest covers every field); If-Match on PATCH, PUT and DELETE compares the version, " +
	"the state of what a write changes (a gallery's gallery_version; a hash of the writable fields elsewhere), and a stale one answers 412 precondition_failed with the current ETag. " +
	"Each operation names the token scope it needs in security and x-required-scopes (from the routes table); where the body decides " +
	"(creating media or changing alt text through a gallery), x-conditional-scopes names the extra scope and when. " +
	"A missing scope answers 403 missing_scope with required_scope."

func apiTags() []obj {
	return []obj{
		{"name": "media", "description": "The media library: upload, import, alt text, trash and restore."},
		{"name": "products", "description": "Products."},
		{"name": "variants", "description": "A product's variants and their images."},
		{"name": "galleries", "description": "A product's ordered gallery of images."},
		{"name": "collections", "description": "Collections and their images."},
		{"name": "events", "description": "The log of changes: a sync feed of every change to media, galleries and products."},
		{"name": "webhooks", "description": "Endpoints that receive events as signed JSON POSTs, and their delivery logs."},
		{"name": "meta", "description": "Health check, this document, and the methods of a path."},
	}
}

var routeParamRE = regexp.MustCompile(`:([a-z_]+)`)

// docPath is a route's path as the document names it (/api/media/{id}).
func docPath(route string) string { return routeParamRE.ReplaceAllString(route, "{$1}") }

// alsoRequired is the key an operation's description puts the scopes its
// handler asks besides the routes table's under (merged into security and
// x-required-scopes).
const alsoRequired = "x-also-required-scopes"

// decorateOperations completes each /api operation from the one routes
// table: the scope it needs (security, as role names on a bearer scheme,
// which OpenAPI 3.1 allows, and x-required-scopes), the error answers every
// request can get, Location on 201; then a HEAD operation for every GET and
// an OPTIONS operation on every path.
func decorateOperations(paths obj) {
	for _, r := range (&Handlers{}).apiRoutes() {
		if r.Method == fiber.MethodHead {
			continue // made from the GET below
		}
		item, _ := paths[docPath(r.Path)].(obj)
		op, _ := item[strings.ToLower(r.Method)].(obj)
		if op == nil {
			continue // TestOpenAPIDescribesEveryRoute reports it
		}
		res := op["responses"].(obj)
		add := func(statuses ...string) {
			for _, s := range statuses {
				if _, has := res[s]; !has {
					res[s] = obj{"$ref": "#/components/responses/" + s}
				}
			}
		}
		// Any request: unknown query parameters, a compressed or oversized
		// body, oversized headers, a failure of ours.
		add("400", "413", "415", "431", "500")
		if !r.Public {
			add("401")
		}
		if strings.Contains(r.Path, ":") {
			add("404")
		}
		if op["requestBody"] != nil {
			add("408", "422")
		}
		if r.Scope != "" {
			add("403")
			scopes := []string{string(r.Scope)}
			// An operation whose handler always asks a second scope too
			// (an import creates media and changes products) says so.
			if also, ok := op[alsoRequired].([]string); ok {
				scopes = append(scopes, also...)
				delete(op, alsoRequired)
			}
			op["security"] = []obj{{"bearer": scopes}}
			op["x-required-scopes"] = scopes
		}
		if r.Method != fiber.MethodGet {
			add("507") // any write can meet a full disk
		}
		if r.Stream || strings.HasSuffix(r.Path, "/download") {
			add("503") // an upload a shutdown, and a file the store being away
		}
		if created, ok := res["201"].(obj); ok {
			headers, _ := created["headers"].(obj)
			if headers == nil {
				headers = obj{}
			}
			headers["Location"] = obj{"$ref": "#/components/headers/Location"}
			created["headers"] = headers
		}
	}
	for path, v := range paths {
		item := v.(obj)
		if get, ok := item["get"].(obj); ok {
			item["head"] = headOf(get)
		}
		item["options"] = optionsOf(path)
	}
}

// headOf is the HEAD operation of a GET: the same parameters, statuses and
// headers, no bodies.
func headOf(get obj) obj {
	var op obj
	b, _ := json.Marshal(get)
	json.Unmarshal(b, &op)
	id := op["operationId"].(string)
	op["operationId"] = "head" + strings.ToUpper(id[:1]) + id[1:]
	op["summary"] = op["summary"].(string) + " (headers only)"
	desc, _ := op["description"].(string)
	op["description"] = strings.TrimSpace("Like GET, without the body. " + desc)
	responses := obj{}
	shared := sharedResponses()
	for status, v := range op["responses"].(obj) {
		r := v.(obj)
		if ref, ok := r["$ref"].(string); ok {
			r = shared[strings.TrimPrefix(ref, "#/components/responses/")].(obj)
		}
		out := obj{"description": r["description"]}
		if h, ok := r["headers"]; ok {
			out["headers"] = h
		}
		responses[status] = out
	}
	op["responses"] = responses
	return op
}

// optionsOf documents OPTIONS on a path: the methods it takes, and the CORS preflight.
func optionsOf(path string) obj {
	name := "options"
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		seg = strings.Trim(seg, "{}.")
		for _, w := range strings.FieldsFunc(seg, func(r rune) bool { return r == '_' || r == '.' }) {
			name += strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return obj{
		"summary": "Methods of this path", "operationId": name, "tags": []string{"meta"}, "security": []obj{},
		"description": "No token needed. Answers 204 with Allow; for an origin --cors-origins lists, also the CORS preflight answer (Access-Control-Allow-Methods, -Headers, -Max-Age).",
		"responses": obj{
			"204": obj{"description": "The methods this path takes.", "headers": obj{"Allow": obj{"$ref": "#/components/headers/Allow"}}},
			"431": obj{"$ref": "#/components/responses/431"},
			"500": obj{"$ref": "#/components/responses/500"},
		},
	}
}

// errorStatuses are the statuses errors can have, from the one code → status table.
func errorStatuses() map[int][]string {
	out := map[int][]string{}
	for code, status := range web.ErrorCodes() {
		out[status] = append(out[status], code)
	}
	for _, codes := range out {
		sort.Strings(codes)
	}
	return out
}

// usedResponses are the shared responses the operations use, and 405 and
// 501 (which no operation answers: a method a path does not list does, and
// a method the server does not know).
func usedResponses(paths obj) obj {
	b, _ := json.Marshal(paths)
	all := sharedResponses()
	out := obj{"405": all["405"], "501": all["501"]}
	for status, r := range all {
		if strings.Contains(string(b), `"#/components/responses/`+status+`"`) {
			out[status] = r
		}
	}
	return out
}

// errorSchema is the error shape, its code one of codes.
func errorSchema(codes []string) obj {
	scopes := make([]string, len(data.AllTokenScopes))
	for i, s := range data.AllTokenScopes {
		scopes[i] = string(s.Scope)
	}
	str := func(desc string) obj { return obj{"type": "string", "description": desc} }
	integer := func(desc string) obj { return obj{"type": "integer", "description": desc} }
	ints := func(desc string) obj {
		return obj{"type": "array", "items": obj{"type": "integer"}, "description": desc}
	}
	strs := func(desc string) obj {
		return obj{"type": "array", "items": obj{"type": "string"}, "description": desc}
	}
	return obj{
		"type": "object", "required": []string{"error"}, "additionalProperties": false,
		"properties": obj{"error": obj{
			"type": "object", "required": []string{"code", "message"}, "additionalProperties": false,
			"properties": obj{
				"code":               obj{"type": "string", "enum": codes, "description": "Stable, documented error code."},
				"message":            str("A sentence a person can act on; may change."),
				"field":              str("The body field the error is about."),
				"parameter":          str("The query parameter the error is about (invalid_parameter, unknown_parameter)."),
				"hint":               str("unknown_parameter: what to send instead, for another API's spelling."),
				"use":                strs("unknown_parameter: this API's parameters for what was meant."),
				"known_parameters":   strs("unknown_parameter: every query parameter the endpoint takes."),
				"allow":              str("method_not_allowed: the methods the path takes, as the Allow header lists them."),
				"required_scope":     obj{"type": "string", "enum": scopes, "description": "missing_scope, forbidden: the scope the request needs."},
				"used_by":            obj{"type": "array", "items": ref("Usage"), "description": "in_use: where the item is still used."},
				"kind":               obj{"type": "string", "enum": data.Kinds, "description": "kind_mismatch: the item's kind, which a replacement must have."},
				"detected_kind":      obj{"type": "string", "enum": data.Kinds, "description": "kind_mismatch: the kind of the file sent."},
				"gallery_version":    integer("precondition_failed on a gallery: its current version."),
				"max_images":         integer("gallery_full: the most images a gallery holds."),
				"max_files":          integer("too_many_files: the most files one request may carry."),
				"image_id":           integer("conflict: the gallery image that already shows the item."),
				"media_id":           integer("The media item the error is about."),
				"missing_ids":        ints("A reorder: the gallery's image ids it left out."),
				"repeated_ids":       ints("A reorder: the image ids it named more than once."),
				"unknown_ids":        ints("A reorder: the ids it named that are not images of this gallery."),
				"filename":           str("The file the error is about."),
				"width":              integer("too_many_pixels: the image's width."),
				"height":             integer("too_many_pixels: the image's height."),
				"detected":           str("unsupported_type: what the bytes were found to be, in words."),
				"detected_mime_type": str("unsupported_type: the type sniffed from the bytes."),
				"limit_bytes":        integer("too_large: the size limit that applies."),
				"url":                str("An import: the URL the error is about."),
				"entry":              str("A zip import: the zip entry the error is about."),
				"offset":             integer("invalid_base64: the offset of the first bad character in the attachment."),
			},
		}},
	}
}

// sharedResponses are the error answers by status (each listing the codes
// it can carry), and 304.
func sharedResponses() obj {
	out := obj{"304": obj{"description": "Not modified: If-None-Match names the current ETag.",
		"headers": obj{"ETag": obj{"$ref": "#/components/headers/ETag"}}}}
	for status, codes := range errorStatuses() {
		r := obj{
			"description": http.StatusText(status) + ": " + strings.Join(codes, ", ") + ".",
			"content":     obj{"application/json": obj{"schema": ref("Error" + strconv.Itoa(status))}},
		}
		switch status {
		case http.StatusUnauthorized:
			r["headers"] = obj{"WWW-Authenticate": obj{"description": "Bearer realm=\"gallerist\"", "schema": obj{"type": "string"}}}
		case http.StatusMethodNotAllowed:
			r["headers"] = obj{"Allow": obj{"$ref": "#/components/headers/Allow"}}
		case http.StatusPreconditionFailed:
			r["headers"] = obj{"ETag": obj{"$ref": "#/components/headers/ETag"}}
		case http.StatusServiceUnavailable:
			r["headers"] = obj{"Retry-After": obj{"description": "Seconds to wait before retrying.", "schema": obj{"type": "integer"}}}
		}
		out[strconv.Itoa(status)] = r
	}
	return out
}

func sharedHeaders() obj {
	return obj{
		"ETag": obj{"description": "The resource's weak entity tag, W/\"<kind><id>-<digest>-<version>\": send it back in If-None-Match (304 when unchanged) or If-Match (412 when what a write changes has changed).",
			"schema": obj{"type": "string", "pattern": `^W/"[a-z][0-9]+-[0-9a-f]+-[0-9a-z]+"$`}},
		"Location": obj{"description": "The path of the created resource (for several media items, the first).", "schema": obj{"type": "string", "format": "uri-reference"}},
		"Allow":    obj{"description": "The methods the path takes, e.g. \"DELETE, GET, HEAD, PATCH\".", "schema": obj{"type": "string"}},
	}
}

func sharedParameters() obj {
	return obj{
		"IfNoneMatch": obj{"name": "If-None-Match", "in": "header", "required": false, "schema": obj{"type": "string"},
			"description": "An ETag this answer gave (or a list, or *): 304 with no body when the answer would be the same."},
		"IfMatch": obj{"name": "If-Match", "in": "header", "required": false, "schema": obj{"type": "string"},
			"description": "The ETag the resource had when read (or a list, or *): when what this write changes has changed since, 412 precondition_failed with the current ETag, and nothing changes."},
		"GalleryIfMatch": obj{"name": "If-Match", "in": "header", "required": false, "schema": obj{"type": "string"},
			"description": "The gallery's ETag (or its bare gallery_version): a stale one answers 412 precondition_failed with the current ETag, and nothing changes. Only the version (order and membership) is compared; alt text is the media item's (guard it with the item's ETag)."},
	}
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// errs references the shared error responses.
func errs(statuses ...string) obj {
	out := obj{}
	for _, s := range statuses {
		out[s] = obj{"$ref": "#/components/responses/" + s}
	}
	return out
}

// respond merges a success response into error responses.
func respond(status string, desc string, schema any, errors obj) obj {
	r := obj{"description": desc}
	if schema != nil {
		r["content"] = obj{"application/json": obj{"schema": schema}}
	}
	out := obj{status: r}
	maps.Copy(out, errors)
	return out
}

// tagged documents a GET of a resource with an ETag: If-None-Match, 304,
// and the ETag header on 200.
func tagged(op obj) obj {
	op["parameters"] = append(opParams(op), obj{"$ref": "#/components/parameters/IfNoneMatch"})
	res := op["responses"].(obj)
	res["200"].(obj)["headers"] = obj{"ETag": obj{"$ref": "#/components/headers/ETag"}}
	res["304"] = obj{"$ref": "#/components/responses/304"}
	return op
}

// conditional documents a write guarded by If-Match (the resource's, or
// the gallery's): 412, and the ETag header on its success answer.
func conditional(op obj, ifMatch string) obj {
	op["parameters"] = append(opParams(op), obj{"$ref": "#/components/parameters/" + ifMatch})
	res := op["responses"].(obj)
	for status, v := range res {
		if r, ok := v.(obj); ok && status[0] == '2' {
			if status != "204" || ifMatch == "GalleryIfMatch" {
				r["headers"] = obj{"ETag": obj{"$ref": "#/components/headers/ETag"}}
			}
		}
	}
	res["412"] = obj{"$ref": "#/components/responses/412"}
	return op
}

// withETag documents the ETag header on a success answer.
func withETag(res obj, status string) obj {
	res[status].(obj)["headers"] = obj{"ETag": obj{"$ref": "#/components/headers/ETag"}}
	return res
}

func opParams(op obj) []obj {
	ps, _ := op["parameters"].([]obj)
	return ps
}

// listParamDocs documents the shared list parameters of spec: limit from 1
// to maxLimit (defLimit when absent), offset, since_id, sort and fields.
func listParamDocs(spec listSpec, limitDesc string, maxLimit int) []obj {
	sorts := make([]string, 0, 2*len(spec.sorts))
	for _, f := range spec.sorts {
		sorts = append(sorts, f, "-"+f)
	}
	return []obj{
		{"name": "limit", "in": "query", "description": limitDesc, "schema": obj{"type": "integer", "minimum": 1, "maximum": maxLimit}},
		{"name": "offset", "in": "query", "description": "Items to skip.", "schema": obj{"type": "integer", "minimum": 0}},
		{"name": "since_id", "in": "query", "description": "Sync cursor: only ids greater than this, in ascending id order (whatever the default order). Not with sort (other than id).",
			"schema": obj{"type": "integer", "minimum": 0}},
		{"name": "sort", "in": "query", "description": "A field, or -field for descending; ties by id.", "schema": obj{"type": "string", "enum": sorts}},
		fieldsParamDoc(spec.fields, "Fields to include (sparse objects), comma-separated."),
	}
}

// fieldsParamDoc documents fields=: a comma list of the closed set names.
func fieldsParamDoc(names []string, desc string) obj {
	return obj{"name": "fields", "in": "query", "description": desc, "style": "form", "explode": false,
		"schema": obj{"type": "array", "minItems": 1, "items": obj{"type": "string", "enum": slices.Clone(names)}}}
}

// commaListDoc documents a query parameter taking one or a comma list of values.
func commaListDoc(name, desc string, values []string) obj {
	return obj{"name": name, "in": "query", "description": desc, "style": "form", "explode": false,
		"schema": obj{"type": "array", "minItems": 1, "items": obj{"type": "string", "enum": slices.Clone(values)}}}
}

func param(name, in, typ, desc string, required bool) obj {
	return obj{"name": name, "in": in, "required": required, "description": desc, "schema": obj{"type": typ}}
}

// idParam documents a path id: ids are 1 or more (anything else is the same 404 as a missing row).
func idParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc + " Anything but a positive id answers 404, like a missing one.",
		"schema": obj{"type": "integer", "minimum": 1}}
}

// enumOf turns a list of typed strings into the strings an enum lists.
func enumOf[S ~string](values []S) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// renditionMap is the schema of a {"320": url} map of renditions.
func renditionMap(desc string) obj {
	widths := make([]string, len(data.RenditionWidths))
	for i, w := range data.RenditionWidths {
		widths[i] = strconv.Itoa(w)
	}
	return obj{"type": "object", "propertyNames": obj{"enum": widths}, "additionalProperties": obj{"type": "string", "format": "uri"},
		"description": desc + " Keyed by width (" + strings.Join(widths, ", ") + "; never upscaled)."}
}

// focalProps are the focal point and crops of an image, as media items and
// gallery images both show them.
func focalProps() obj {
	coord := func(axis string) obj {
		return obj{"type": []string{"number", "null"}, "minimum": 0, "maximum": 1,
			"description": "The focal point's " + axis + ", as a fraction of the image (0 to 1); null when none is set (crops are then centred). Set with PATCH /api/media/{id}."}
	}
	ratios := make([]string, len(data.CropRatios))
	for i, r := range data.CropRatios {
		ratios[i] = r.Name
	}
	return obj{
		"focal_x": coord("x (from the left)"),
		"focal_y": coord("y (from the top)"),
		"crops": obj{"type": "object", "propertyNames": obj{"enum": ratios}, "additionalProperties": renditionMap("Crop URLs at this ratio."),
			"description": "Processed images: crops at each ratio (" + strings.Join(ratios, ", ") + "), by width, cut around the focal point " +
				"(the largest window of the ratio inside the image, moved inside at the edges): /files/{key}/{w}x{h}-{fx}-{fy}.{ext}, " +
				"fx and fy in thousandths. A crop URL names its focal point, so moving the point gives new URLs; the old ones answer 404."},
	}
}

// processingStates are the values of processing.
var processingStates = []string{data.ProcessingPending, data.ProcessingReady, data.ProcessingFailed}

// partialOf is schema with every property optional: what fields= returns.
func partialOf(schema obj, desc string) obj {
	p := maps.Clone(schema)
	delete(p, "required")
	p["description"] = desc
	return p
}

func (h *Handlers) handleOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(OpenAPIDocument())
}
