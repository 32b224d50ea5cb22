package handlers

import (
	"encoding/json"
	"maps"
	"regexp"
	"sort"
	"strings"
	"sync"

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
		codes := web.ErrorCodes()
		names := make([]string, 0, len(codes))
		for k := range codes {
			names = append(names, k)
		}
		sort.Strings(names)
		schemas := obj{
			"Error": obj{
				"type": "object", "required": []string{"error"}, "additionalProperties": false,
				"properties": obj{"error": obj{
					"type": "object", "required": []string{"code", "message"},
					"properties": obj{
						"code":             obj{"type": "string", "enum": names, "description": "Stable, documented error code."},
						"message":          obj{"type": "string", "description": "A sentence a person can act on; may change."},
						"field":            obj{"type": "string", "description": "The body field the error is about."},
						"parameter":        obj{"type": "string", "description": "The query parameter the error is about (invalid_parameter, unknown_parameter)."},
						"hint":             obj{"type": "string", "description": "unknown_parameter: what to send instead, for another API's spelling."},
						"use":              obj{"type": "array", "items": obj{"type": "string"}, "description": "unknown_parameter: this API's parameters for what was meant."},
						"known_parameters": obj{"type": "array", "items": obj{"type": "string"}, "description": "unknown_parameter: every query parameter the endpoint takes."},
					},
					"additionalProperties": true,
				}},
			},
		}
		maps.Copy(schemas, openapiSchemas)
		addRouteScopes(openapiPaths)
		doc := obj{
			"openapi": "3.1.0",
			"info": obj{
				"title":       "Gallerist API",
				"version":     "1.0.0",
				"description": apiDescription,
			},
			"servers":       []obj{{"url": "/"}},
			"security":      []obj{{"bearer": []string{}}},
			"paths":         openapiPaths,
			"x-error-codes": codes,
			"components": obj{
				"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}},
				"schemas":         schemas,
				"responses":       errorResponses(),
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
	"Errors are {\"error\": {\"code\", \"message\", ...}}; the code → status table is in x-error-codes. " +
	"Details name what an error is about: field for a body field, parameter for a query parameter. " +
	"Query parameters an operation does not list are refused (400 unknown_parameter, with a hint for other APIs' spellings such as page or search), as are parameters given twice. " +
	"Every list takes limit, offset, since_id, sort and fields with the same meaning; since_id is a sync cursor (ids greater than it, in ascending id order) and cannot be combined with another sort. " +
	"Boolean parameters are true or false (1 or 0 also work; anything else, yes included, is 400). " +
	"Request bodies are one JSON object: anything else (an array, a string, a number, null) is 400 invalid_json; unknown fields are 422 unknown_field. " +
	"Each operation names the token scope it needs in security and x-required-scopes (from the routes table); where the body decides " +
	"(creating media or changing alt text through a gallery), x-conditional-scopes names the extra scope and when. " +
	"A missing scope answers 403 missing_scope with required_scope."

// addRouteScopes writes each /api route's scope, from the one routes table,
// into its operation: security (role names on a bearer scheme, as OpenAPI
// 3.1 allows) and x-required-scopes.
func addRouteScopes(paths obj) {
	for _, r := range (&Handlers{}).apiRoutes() {
		item, _ := paths[routeParamRE.ReplaceAllString(r.Path, "{$1}")].(obj)
		op, _ := item[strings.ToLower(r.Method)].(obj)
		if op == nil || !r.API {
			continue
		}
		if res, ok := op["responses"].(obj); ok {
			if _, has := res["400"]; !has { // unknown query parameters are refused everywhere
				res["400"] = obj{"$ref": "#/components/responses/400"}
			}
		}
		if r.Scope == "" {
			continue
		}
		op["security"] = []obj{{"bearer": []string{string(r.Scope)}}}
		op["x-required-scopes"] = []string{string(r.Scope)}
		if res, ok := op["responses"].(obj); ok && r.Method != "GET" && r.Method != "HEAD" {
			// Any write can meet a full disk, and an upload a shutdown.
			res["507"] = obj{"$ref": "#/components/responses/507"}
			if r.Stream {
				res["503"] = obj{"$ref": "#/components/responses/503"}
			}
		}
	}
}

var routeParamRE = regexp.MustCompile(`:([a-z_]+)`)

func errorResponses() obj {
	out := obj{}
	for _, s := range []string{"400", "401", "403", "404", "409", "412", "413", "415", "422", "429", "500", "503", "507"} {
		out[s] = obj{"description": "Error " + s, "content": obj{"application/json": obj{"schema": ref("Error")}}}
	}
	return out
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
		{"name": "fields", "in": "query", "description": "Comma-separated fields to include (sparse objects), among: " + strings.Join(spec.fields, ", ") + ".",
			"schema": obj{"type": "string"}},
	}
}

func param(name, in, typ, desc string, required bool) obj {
	return obj{"name": name, "in": in, "required": required, "description": desc, "schema": obj{"type": typ}}
}

func (h *Handlers) handleOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(OpenAPIDocument())
}
