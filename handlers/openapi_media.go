package handlers

import (
	"maps"
	"strings"

	"gallerist/data"
)

func init() {
	nullable := func(t string) obj { return obj{"type": []string{t, "null"}} }
	addSchemas(obj{
		"Media": obj{
			"type": "object",
			"required": []string{"id", "kind", "filename", "original_filename", "mime_type", "size", "sha256", "width", "height",
				"duration_ms", "alt", "url", "download_url", "source_url", "created_by", "created_at", "updated_at", "deleted_at", "usage_count",
				"processing", "processing_error", "renditions", "srcset"},
			"additionalProperties": true,
			"properties": obj{
				"id":                obj{"type": "integer"},
				"kind":              obj{"type": "string", "enum": data.Kinds},
				"filename":          obj{"type": "string", "description": "Display name (sanitised, at most 255 bytes)."},
				"original_filename": obj{"type": "string"},
				"mime_type":         obj{"type": "string", "description": "Sniffed from the bytes."},
				"size":              obj{"type": "integer", "description": "Bytes."},
				"sha256":            obj{"type": "string", "pattern": "^[0-9a-f]{64}$"},
				"width":             nullable("integer"),
				"height":            nullable("integer"),
				"duration_ms":       nullable("integer"),
				"alt":               nullable("string"),
				"url":               obj{"type": "string", "description": "Public, content-addressed URL of the original (immutable)."},
				"download_url":      obj{"type": "string", "description": "Authenticated download with Content-Disposition: attachment."},
				"source_url":        nullable("string"),
				"created_by":        obj{"type": "string"},
				"created_at":        obj{"type": "string", "format": "date-time"},
				"updated_at":        obj{"type": "string", "format": "date-time"},
				"deleted_at":        obj{"type": []string{"string", "null"}, "format": "date-time", "description": "When the item went to the trash; null for live items."},
				"usage_count":       obj{"type": "integer", "description": "Number of places the item is used."},
				"duplicate_of":      obj{"type": "integer", "description": "On creation: the id of an item with the same bytes already in the library."},
				"used_by":           obj{"type": "array", "items": ref("Usage")},
				"processing":        obj{"type": "string", "enum": []string{"pending", "ready", "failed"}},
				"processing_error":  nullable("string"),
				"renditions":        obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "Rendition URLs by width (50, 100, 240, 320, 480, 640, 1024; never upscaled); empty while a non-JPEG image is processing and for non-images."},
				"srcset":            obj{"type": "string", "description": "Ready-made srcset of the renditions."},
				"renditions_webp":   obj{"type": "object", "additionalProperties": obj{"type": "string"}},
				"srcset_webp":       obj{"type": "string"},
			},
		},
		"MediaList": obj{
			"type": "object", "required": []string{"data", "total", "limit", "offset"},
			"properties": obj{
				"data":   obj{"type": "array", "items": obj{"type": "object", "description": "A Media object, or the subset named by fields."}},
				"total":  obj{"type": "integer"},
				"limit":  obj{"type": "integer"},
				"offset": obj{"type": "integer"},
			},
		},
		"MediaRestored": obj{
			"allOf": []obj{ref("Media"), {
				"type": "object", "required": []string{"not_restored"},
				"properties": obj{"not_restored": obj{"type": "array", "items": ref("Unrestored"),
					"description": "The places a forced delete took the item from that it could not go back to (empty when it went back everywhere)."}},
			}},
		},
		"Unrestored": obj{
			"allOf": []obj{ref("Usage"), {
				"type": "object", "required": []string{"reason"},
				"properties": obj{"reason": obj{"type": "string", "enum": data.UnrestoredReasons,
					"description": "gallery_full: the gallery is at its image limit; taken: the variant or collection has another image now; not_in_gallery: a variant's image whose item is not in the product's gallery; gone: the place no longer exists."}},
			}},
		},
		"MediaCreated": obj{
			"type": "object", "required": []string{"media"},
			"properties": obj{"media": obj{"type": "array", "items": ref("Media")}},
		},
		"Usage": obj{
			"type": "object", "required": []string{"type", "id", "title", "role"},
			"properties": obj{
				"type":       obj{"type": "string", "enum": []string{"product", "variant", "collection"}},
				"id":         obj{"type": "integer"},
				"title":      obj{"type": "string"},
				"role":       obj{"type": "string", "enum": []string{"gallery", "variant_image", "collection_image"}},
				"position":   obj{"type": "integer"},
				"product_id": obj{"type": "integer"},
			},
		},
		"UsageList": obj{
			"type": "object", "required": []string{"used_by"},
			"properties": obj{"used_by": obj{"type": "array", "items": ref("Usage")}},
		},
		"MediaPatch": obj{
			"type": "object", "additionalProperties": false, "minProperties": 1,
			"properties": obj{
				"filename": obj{"type": "string", "minLength": 1, "maxLength": 255},
				"alt":      obj{"type": []string{"string", "null"}, "maxLength": 1000, "description": "null or \"\" clears."},
			},
		},
	})
	id := param("id", "path", "integer", "Media item id.", true)
	partial := maps.Clone(openapiSchemas["Media"].(obj))
	delete(partial, "required")
	partial["description"] = "A Media item, or the subset of its properties named by fields."
	addSchemas(obj{"MediaFields": partial})
	boolean := func(name, desc string) obj {
		return obj{"name": name, "in": "query", "description": desc + " true or false (1 or 0 also work; anything else is 400).", "schema": obj{"type": "boolean"}}
	}
	listParams := append(listParamDocs(mediaList, "1-100, default 24.", maxPage),
		obj{"name": "kind", "in": "query", "schema": obj{"type": "string", "enum": data.Kinds}},
		obj{"name": "mime_type", "in": "query", "schema": obj{"type": "string"},
			"description": "Only items of this sniffed type, or of any of a comma list (e.g. image/png,image/webp), among: " + strings.Join(data.MIMETypes, ", ") + "."},
		obj{"name": "q", "in": "query", "description": "Case-insensitive substring of filename or alt text.", "schema": obj{"type": "string", "maxLength": 200}},
		obj{"name": "deleted", "in": "query", "schema": obj{"type": "string", "enum": []string{"only", "include"}}, "description": "Default: the trash is excluded."},
		obj{"name": "product_id", "in": "query", "description": "Only media in this product's gallery; with it, sort=position is the gallery order.",
			"schema": obj{"type": "integer", "minimum": 1}},
		boolean("used", "true: used somewhere; false: used nowhere."),
		boolean("missing_alt", "Only images without alt text."),
	)
	addPaths(obj{
		"/api/media": obj{
			"get": obj{
				"summary": "List media", "operationId": "listMedia", "tags": []string{"media"},
				"description": "Scope media:read. Newest first by default.",
				"parameters":  listParams,
				"responses":   respond("200", "A page of media.", ref("MediaList"), errs("400", "401", "403")),
			},
			"post": obj{
				"summary": "Upload media", "operationId": "createMedia", "tags": []string{"media"},
				"description": "Scope media:create. multipart/form-data with up to 10 \"file\" parts and an optional \"alt\"; or JSON with a base64 \"attachment\" and \"filename\" " +
					"(standard or URL-safe alphabet, padding optional, line breaks allowed, optionally after a data: URL prefix such as \"data:image/png;base64,\"; anything else is 400 invalid_base64 with the offset); or JSON {\"urls\": [...]} to import. All or nothing. Bytes are sniffed; limits per kind: image 25 MB, document 20 MB, video 100 MB, audio 50 MB (configurable); images at most 50 megapixels and 16384 px a side.",
				"requestBody": obj{"required": true, "content": obj{
					"multipart/form-data": obj{"schema": obj{"type": "object", "properties": obj{
						"file": obj{"type": "array", "items": obj{"type": "string", "format": "binary"}, "maxItems": 10},
						"alt":  obj{"type": "string"},
					}}},
					"application/json": obj{"schema": obj{"type": "object", "additionalProperties": false, "properties": obj{
						"attachment": obj{"type": "string", "contentEncoding": "base64"},
						"filename":   obj{"type": "string"},
						"alt":        obj{"type": []string{"string", "null"}},
						"urls":       obj{"type": "array", "items": obj{"type": "string", "format": "uri"}, "minItems": 1, "maxItems": 10},
					}}},
				}},
				"responses": respond("201", "The created items.", ref("MediaCreated"), errs("400", "401", "403", "413", "415", "422")),
			},
		},
		"/api/media/{id}": obj{
			"parameters": []obj{id},
			"get": obj{
				"summary": "Get a media item", "operationId": "getMedia", "tags": []string{"media"},
				"description": "Scope media:read. Includes used_by. A trashed item answers 200 with deleted_at set (until it is purged: then 404). Another organization's id answers 404 like a missing one.",
				"parameters":  []obj{param("fields", "query", "string", "Comma-separated fields to include (sparse object): those of a list item, and used_by.", false)},
				"responses":   respond("200", "The item, live or trashed.", ref("MediaFields"), errs("400", "401", "403", "404")),
			},
			"patch": obj{
				"summary": "Rename or edit alt text", "operationId": "updateMedia", "tags": []string{"media"},
				"description": "Scope media:update. An empty body is 400; unknown fields 422.",
				"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": ref("MediaPatch")}}},
				"responses":   respond("200", "The updated item.", ref("Media"), errs("400", "401", "403", "404", "415", "422")),
			},
			"delete": obj{
				"summary": "Trash or purge", "operationId": "deleteMedia", "tags": []string{"media"},
				"description": "Scope media:delete. Moves the item to the trash (soft delete, restorable for the grace period; answers 204 with no body; a later GET answers 200 with deleted_at set). " +
					"An item still in use answers 409 in_use with used_by unless force=true, which detaches it everywhere first (a restore puts it back). purge=true deletes a trashed item for good.",
				"parameters": []obj{
					boolean("force", "Detach from every product, variant and collection, then trash."),
					boolean("purge", "Delete a trashed item for good."),
				},
				"responses": respond("204", "Trashed (or purged).", nil, errs("400", "401", "403", "404", "409", "422")),
			},
		},
		"/api/media/{id}/restore": obj{
			"parameters": []obj{id},
			"post": obj{
				"summary": "Restore from the trash", "operationId": "restoreMedia", "tags": []string{"media"},
				"description": "Scope media:delete. Takes the item out of the trash and puts a force-deleted item back where it was, where still possible; not_restored lists the places it could not go back to, and why (e.g. a gallery that is now full).",
				"responses":   respond("200", "The restored item.", ref("MediaRestored"), errs("401", "403", "404", "422")),
			},
		},
		"/api/media/{id}/usage": obj{
			"parameters": []obj{id},
			"get": obj{
				"summary": "Where an item is used", "operationId": "mediaUsage", "tags": []string{"media"},
				"description": "Scope media:read.",
				"responses":   respond("200", "Every place the item is used.", ref("UsageList"), errs("401", "403", "404")),
			},
		},
		"/api/media/{id}/download": obj{
			"parameters": []obj{id},
			"head": obj{
				"summary": "Size and validators of the original", "operationId": "headMedia", "tags": []string{"media"},
				"description": "Scope media:read. Like GET without the body.",
				"responses": obj{
					"200": obj{"description": "Headers only."}, "206": obj{"description": "A byte range."}, "304": obj{"description": "Not modified."},
					"401": obj{"description": "No or bad token."}, "403": obj{"description": "Missing scope."}, "404": obj{"description": "Not found."},
				},
			},
			"get": obj{
				"summary": "Download the original", "operationId": "downloadMedia", "tags": []string{"media"},
				"description": "Scope media:read. The original bytes with Content-Disposition: attachment (RFC 5987 filename), ETag, Range.",
				"responses": obj{
					"200": obj{"description": "The bytes.", "content": obj{"*/*": obj{"schema": obj{"type": "string", "format": "binary"}}}},
					"206": obj{"description": "A byte range."},
					"304": obj{"description": "Not modified."},
					"401": obj{"$ref": "#/components/responses/401"}, "403": obj{"$ref": "#/components/responses/403"}, "404": obj{"$ref": "#/components/responses/404"},
				},
			},
		},
		"/api/ping": obj{
			"get": obj{
				"summary": "Health check", "operationId": "ping", "security": []obj{},
				"responses": obj{"200": obj{"description": "OK", "content": obj{"application/json": obj{"schema": obj{"type": "object", "properties": obj{"ok": obj{"type": "boolean"}}}}}}},
			},
		},
		"/api/openapi.json": obj{
			"get": obj{
				"summary": "This document", "operationId": "openapi", "security": []obj{},
				"responses": obj{"200": obj{"description": "OpenAPI 3.1", "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}},
			},
		},
	})
}
