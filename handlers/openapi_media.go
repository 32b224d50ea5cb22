package handlers

import (
	"maps"
	"slices"
	"strconv"

	"gallerist/data"
)

// usageSchema is one place a media item is used.
var usageSchema = obj{
	"type": "object", "required": []string{"type", "id", "title", "role"}, "additionalProperties": false,
	"properties": obj{
		"type":       obj{"type": "string", "enum": []string{"product", "variant", "collection", "video", "document"}, "description": "video and document: an image chosen as that item's poster (role poster)."},
		"id":         obj{"type": "integer", "description": "The product's, variant's, collection's, video's or document's id."},
		"title":      obj{"type": "string", "description": "The place's title; for a poster, the video's or document's filename."},
		"role":       obj{"type": "string", "enum": []string{"gallery", "variant_image", "collection_image", "poster"}},
		"position":   obj{"type": "integer", "minimum": 1, "description": "role gallery: the position in the gallery."},
		"product_id": obj{"type": "integer", "description": "type variant: the variant's product."},
	},
}

// listSchema is the list envelope of items.
func listSchema(item string) obj {
	return obj{
		"type": "object", "required": []string{"data", "total", "total_exact", "limit", "offset"}, "additionalProperties": false,
		"properties": obj{
			"data":        obj{"type": "array", "items": ref(item)},
			"total":       obj{"type": "integer", "minimum": 0, "description": "Items matching, before limit and offset. A media list whose filter matches more than " + strconv.Itoa(data.MaxCountedTotal) + " items (a search for a common term, say) is not counted to the end: total is then " + strconv.Itoa(data.MaxCountedTotal) + " and total_exact is false. A search for a term whose every three-letter piece is common may also stop counting sooner: total is then the matches found so far (perhaps fewer than " + strconv.Itoa(data.MaxCountedTotal) + ") and total_exact is false. The whole library and each kind are always counted exactly, but for one case: when items were removed between reading the page and counting, a total that would be less than the page shows is given as offset plus the page's items, with total_exact false."},
			"total_exact": obj{"type": "boolean", "description": "false when total is a floor (at least total items match): see total. Page with since_id to go through everything."},
			"limit":       obj{"type": "integer", "minimum": 1},
			"offset":      obj{"type": "integer", "minimum": 0},
		},
	}
}

// fileHeaders are the headers of a file answer.
func fileHeaders() obj {
	str := obj{"type": "string"}
	return obj{
		"ETag":                obj{"description": "Strong, names the file's bytes.", "schema": str},
		"Content-Disposition": obj{"description": "attachment, with the filename (RFC 5987).", "schema": str},
		"Accept-Ranges":       obj{"description": "bytes", "schema": str},
	}
}

// posterSchema is the poster of a video or document (PosterJSON).
var posterSchema = obj{
	"type":                 []string{"object", "null"},
	"additionalProperties": false,
	"required":             []string{"source", "media_id", "url", "width", "height", "renditions", "srcset"},
	"description": "Videos and documents: the image that stands for the item, or null (an image; a video or PDF whose poster is still being made or could not be made; no ffmpeg or pdftoppm on the server and none chosen). " +
		"A chosen poster (poster_id) wins over the one made from the file.",
	"properties": obj{
		"source": obj{"type": "string", "enum": []string{"frame", "page", "media"},
			"description": "frame: a video's first keyframe, made by ffmpeg; page: a PDF's first page, made by pdftoppm; media: the image item poster_id names."},
		"media_id":        obj{"type": []string{"integer", "null"}, "description": "The chosen image item (source media), else null."},
		"url":             obj{"type": "string", "format": "uri", "description": "The poster at its largest: the chosen item's original, or the made still's largest rendition."},
		"width":           obj{"type": "integer"},
		"height":          obj{"type": "integer"},
		"renditions":      renditionMap("The poster's rendition URLs, by width."),
		"srcset":          obj{"type": "string"},
		"renditions_webp": renditionMap("WebP renditions, where made."),
		"srcset_webp":     obj{"type": "string"},
	},
}

func init() {
	nullable := func(t string) obj { return obj{"type": []string{t, "null"}} }
	addSchemas(obj{
		"Media": obj{
			"type": "object",
			"required": []string{"id", "kind", "filename", "original_filename", "mime_type", "size", "sha256", "width", "height",
				"duration_ms", "alt", "url", "download_url", "source_url", "created_by", "created_at", "updated_at", "deleted_at", "usage_count",
				"processing", "processing_error", "renditions", "srcset", "focal_x", "focal_y", "poster_id", "poster"},
			"additionalProperties": false,
			"properties": obj{
				"id":                obj{"type": "integer", "minimum": 1},
				"kind":              obj{"type": "string", "enum": data.Kinds},
				"filename":          obj{"type": "string", "description": "Display name (sanitised, at most 255 bytes)."},
				"original_filename": obj{"type": "string"},
				"mime_type":         obj{"type": "string", "enum": data.MIMETypes, "description": "Sniffed from the bytes."},
				"size":              obj{"type": "integer", "minimum": 0, "description": "Bytes."},
				"sha256":            obj{"type": "string", "pattern": "^[0-9a-f]{64}$"},
				"width":             nullable("integer"),
				"height":            nullable("integer"),
				"duration_ms":       nullable("integer"),
				"alt":               nullable("string"),
				"url":               obj{"type": "string", "format": "uri", "description": "Public, content-addressed URL of the original (immutable)."},
				"download_url":      obj{"type": "string", "format": "uri", "description": "Authenticated download with Content-Disposition: attachment."},
				"source_url":        nullable("string"),
				"created_by":        obj{"type": "string"},
				"created_at":        obj{"type": "string", "format": "date-time"},
				"updated_at":        obj{"type": "string", "format": "date-time"},
				"deleted_at":        obj{"type": []string{"string", "null"}, "format": "date-time", "description": "When the item went to the trash; null for live items."},
				"usage_count":       obj{"type": "integer", "minimum": 0, "description": "Number of places the item is used."},
				"duplicate_of":      obj{"type": "integer", "description": "On creation: the id of an item with the same bytes already in the library."},
				"used_by":           obj{"type": "array", "items": ref("Usage"), "description": "On GET of one item: every place it is used."},
				"processing":        obj{"type": "string", "enum": processingStates},
				"processing_error":  nullable("string"),
				"renditions":        renditionMap("Rendition URLs; empty while a non-JPEG image is processing and for non-images."),
				"srcset":            obj{"type": "string", "description": "Ready-made srcset of the renditions."},
				"renditions_webp":   renditionMap("WebP renditions, where made."),
				"srcset_webp":       obj{"type": "string"},
				"poster_id":         obj{"type": []string{"integer", "null"}, "description": "Videos and documents: the image item chosen to stand for it (PATCH poster_id), or null."},
				"poster":            posterSchema,
				"stable_url": obj{"type": "string", "format": "uri", "description": "On single items (GET of one item, and the answers of writes to it): the item's stable URL, /m/{id}/{key}, " +
					"which answers 302 to its current original (and with ?w=N, N one of the rendition widths, to that rendition; to the original while it is being made), whatever file replaces it. " +
					"No login needed; key is an HMAC of the id under the organization's secret, and any wrong part answers the same 404 (id is spelled in decimal without leading zeros; GET and HEAD only). " +
					"Not on list items (fields=stable_url on a list is 400). url, by contrast, names these bytes: when the file is replaced, url, the renditions and the crops change, " +
					"and the old ones answer 404 at once (the previous file is a version, reachable only through the API), so link stable_url where a link must survive a replace."},
			},
		},
		"MediaList": listSchema("MediaFields"),
		"MediaCreated": obj{
			"type": "object", "required": []string{"media"}, "additionalProperties": false,
			"properties": obj{"media": obj{"type": "array", "items": ref("Media"), "minItems": 1}},
		},
		"Usage": usageSchema,
		"UsageList": obj{
			"type": "object", "required": []string{"used_by"}, "additionalProperties": false,
			"properties": obj{"used_by": obj{"type": "array", "items": ref("Usage")}},
		},
		"MediaVersion": obj{
			"type": "object", "additionalProperties": false,
			"description": "A previous file of a media item, kept (and restorable) until expires_at, then removed by garbage collection.",
			"required": []string{"id", "media_id", "original_filename", "mime_type", "size", "sha256", "width", "height", "duration_ms",
				"uploaded_at", "uploaded_by", "replaced_at", "replaced_by", "pinned", "expires_at"},
			"properties": obj{
				"id":                obj{"type": "integer", "minimum": 1},
				"media_id":          obj{"type": "integer", "minimum": 1},
				"original_filename": obj{"type": "string", "description": "The name the file was uploaded under."},
				"mime_type":         obj{"type": "string", "enum": data.MIMETypes},
				"size":              obj{"type": "integer", "minimum": 0, "description": "Bytes."},
				"sha256":            obj{"type": "string", "pattern": "^[0-9a-f]{64}$"},
				"width":             nullable("integer"),
				"height":            nullable("integer"),
				"duration_ms":       nullable("integer"),
				"uploaded_at":       obj{"type": "string", "format": "date-time", "description": "When this file became the item's file."},
				"uploaded_by":       obj{"type": "string", "description": "Who made it the item's file (user:… or token:…)."},
				"replaced_at":       obj{"type": "string", "format": "date-time", "description": "When another file replaced it."},
				"replaced_by":       obj{"type": "string", "description": "Who replaced it."},
				"pinned":            obj{"type": "boolean", "description": "Pinned versions are kept past the grace period, until unpinned (PATCH), restored, or the item is purged."},
				"expires_at":        obj{"type": []string{"string", "null"}, "format": "date-time", "description": "replaced_at plus the trash grace period: after it, garbage collection removes the version and its file. null while pinned."},
			},
		},
		"MediaVersionList": listSchema("MediaVersion"),
		"MediaPatch": obj{
			"type": "object", "additionalProperties": false, "minProperties": 1,
			"properties": obj{
				"filename": obj{"type": "string", "minLength": 1, "maxLength": 255},
				"alt":      obj{"type": []string{"string", "null"}, "maxLength": 1000, "description": "null or \"\" clears."},
				"poster_id": obj{"type": []string{"integer", "null"}, "minimum": 1,
					"description": "Videos and documents only: an image of your library (live) to stand for the item in grids, galleries and poster; null goes back to the poster made from the file, if any."},
				"focal_x": obj{"type": []string{"number", "null"}, "minimum": 0, "maximum": 1,
					"description": "With focal_y: the focal point crops are cut around, as fractions of the image from the top left. Both null clear it; one without the other is 422 invalid_field."},
				"focal_y": obj{"type": []string{"number", "null"}, "minimum": 0, "maximum": 1, "description": "See focal_x."},
			},
		},
	})
	id := idParam("id", "Media item id.")
	media := openapiSchemas["Media"].(obj)
	maps.Copy(media["properties"].(obj), focalProps())
	restored := maps.Clone(media)
	restored["properties"] = maps.Clone(media["properties"].(obj))
	restored["properties"].(obj)["not_restored"] = obj{"type": "array", "items": ref("Unrestored"),
		"description": "The places a forced delete took the item from that it could not go back to (empty when it went back everywhere)."}
	restored["required"] = append(slices.Clone(media["required"].([]string)), "not_restored")
	restored["description"] = "A restored media item, and where it could not go back to."
	unrestored := maps.Clone(usageSchema)
	unrestored["properties"] = maps.Clone(usageSchema["properties"].(obj))
	unrestored["properties"].(obj)["reason"] = obj{"type": "string", "enum": data.UnrestoredReasons,
		"description": "gallery_full: the gallery is at its image limit; taken: the variant or collection has another image now, or the video or document another poster; not_in_gallery: a variant's image whose item is not in the product's gallery; gone: the place (product, variant, collection, video or document) no longer exists."}
	unrestored["required"] = append(slices.Clone(usageSchema["required"].([]string)), "reason")
	addSchemas(obj{
		"MediaFields":   partialOf(media, "A Media item, or the subset of its properties named by fields."),
		"MediaRestored": restored,
		"Unrestored":    unrestored,
	})
	boolean := func(name, desc string) obj {
		return obj{"name": name, "in": "query", "description": desc + " true or false (1 or 0 also work; anything else is 400).", "schema": obj{"type": "boolean"}}
	}
	listParams := listParamDocs(mediaList, pageLimitDoc, maxPage)
	listParams[1] = obj{"name": "offset", "in": "query", "description": "Items to skip, at most " + strconv.Itoa(data.MaxMediaOffset) +
		" (more is 400 invalid_parameter: skipping costs as much as reading). Page with since_id to go further.",
		"schema": obj{"type": "integer", "minimum": 0, "maximum": data.MaxMediaOffset}}
	listParams = append(listParams,
		obj{"name": "kind", "in": "query", "schema": obj{"type": "string", "enum": data.Kinds}},
		commaListDoc("mime_type", "Only items of this sniffed type, or of any of a comma list (e.g. image/png,image/webp).", data.MIMETypes),
		obj{"name": "q", "in": "query", "description": "Case-insensitive substring of filename or alt text. " + qRule, "schema": obj{"type": "string", "maxLength": 200}},
		obj{"name": "deleted", "in": "query", "schema": obj{"type": "string", "enum": []string{"exclude", data.DeletedOnly, data.DeletedInclude}}, "description": "Default (exclude): the trash is left out; only: the trash alone; include: both."},
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
			"get": tagged(obj{
				"summary": "Get a media item", "operationId": "getMedia", "tags": []string{"media"},
				"description": "Scope media:read. Includes used_by. A trashed item answers 200 with deleted_at set (until it is purged: then 404). Another organization's id answers 404 like a missing one.",
				"parameters":  []obj{fieldsParamDoc(append(slices.Clone(mediaFields), "used_by"), "Fields to include (sparse object), comma-separated: those of a list item, and used_by.")},
				"responses":   respond("200", "The item, live or trashed.", ref("MediaFields"), errs("400", "401", "403", "404")),
			}),
			"patch": conditional(obj{
				"summary": "Rename, edit alt text or choose a poster", "operationId": "updateMedia", "tags": []string{"media"},
				"description": "Scope media:update. An empty body is 400; unknown fields 422.",
				"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": ref("MediaPatch")}}},
				"responses":   respond("200", "The updated item.", ref("Media"), errs("400", "401", "403", "404", "415", "422")),
			}, "IfMatch"),
			"delete": conditional(obj{
				"summary": "Trash or purge", "operationId": "deleteMedia", "tags": []string{"media"},
				"description": "Scope media:delete. Moves the item to the trash (soft delete, restorable for the grace period; answers 204 with no body; a later GET answers 200 with deleted_at set). " +
					"An item still in use answers 409 in_use with used_by unless force=true, which detaches it everywhere first (a restore puts it back). purge=true deletes a trashed item for good.",
				"parameters": []obj{
					boolean("force", "Detach from every product, variant and collection, then trash."),
					boolean("purge", "Delete a trashed item for good."),
				},
				"responses": respond("204", "Trashed (or purged).", nil, errs("400", "401", "403", "404", "409", "422")),
			}, "IfMatch"),
		},
		"/api/media/{id}/restore": obj{
			"parameters": []obj{id},
			"post": conditional(obj{
				"summary": "Restore from the trash", "operationId": "restoreMedia", "tags": []string{"media"},
				"description": "Scope media:delete. Takes the item out of the trash and puts a force-deleted item back where it was, where still possible; not_restored lists the places it could not go back to, and why (e.g. a gallery that is now full).",
				"responses":   respond("200", "The restored item.", ref("MediaRestored"), errs("401", "403", "404", "422")),
			}, "IfMatch"),
		},
		"/api/media/{id}/reprocess": obj{
			"parameters": []obj{id},
			"post": obj{
				"summary": "Make an image's renditions again", "operationId": "reprocessMedia", "tags": []string{"media"},
				"description": "Scope media:update. An image whose processing failed is queued again (processing pending, processing_error cleared, its attempts start over), with the organization's other failed items of the same bytes; any other item is left as it is. Answers the item as GET /api/media/{id} does.",
				"responses":   respond("200", "The item.", ref("MediaFields"), errs("401", "403", "404")),
			},
		},
		"/api/media/{id}/replace": obj{
			"parameters": []obj{id},
			"post": conditional(obj{
				"summary": "Replace the file", "operationId": "replaceMedia", "tags": []string{"media"},
				"description": "Scope media:update. Gives a live item a new file, read and checked exactly as an upload (same sniffing, size and pixel limits), keeping its id, " +
					"every gallery, variant and collection it is in (they show the new file at once), and its filename and alt text unless the request sends new ones. " +
					"The previous file becomes a version (GET /api/media/{id}/versions). url, sha256 and the renditions change (renditions are made again) and the old url, renditions and crops answer 404 at once; stable_url does not change. " +
					"A file of another kind (a PDF for an image) is 422 kind_mismatch, and nothing changes. multipart/form-data with one \"file\" part and optional \"filename\" and \"alt\"; " +
					"or JSON with a base64 \"attachment\", \"filename\" (names the file and the item) and \"alt\" (null clears).",
				"requestBody": obj{"required": true, "content": obj{
					"multipart/form-data": obj{"schema": obj{"type": "object", "required": []string{"file"}, "properties": obj{
						"file":     obj{"type": "string", "format": "binary"},
						"filename": obj{"type": "string", "maxLength": 255},
						"alt":      obj{"type": "string", "maxLength": 1000},
					}}},
					"application/json": obj{"schema": obj{"type": "object", "required": []string{"attachment"}, "additionalProperties": false, "properties": obj{
						"attachment": obj{"type": "string", "contentEncoding": "base64"},
						"filename":   obj{"type": "string", "maxLength": 255},
						"alt":        obj{"type": []string{"string", "null"}, "maxLength": 1000},
					}}},
				}},
				"responses": respond("200", "The item with its new file.", ref("Media"), errs("400", "401", "403", "404", "413", "415", "422")),
			}, "IfMatch"),
		},
		"/api/media/{id}/versions": obj{
			"parameters": []obj{id},
			"get": obj{
				"summary": "Previous files", "operationId": "listMediaVersions", "tags": []string{"media"},
				"description": "Scope media:read. The files the item had before it was replaced, newest first. Each is kept for the trash grace period after it was replaced (expires_at), then garbage collection removes it.",
				"parameters":  listParamDocs(versionList, pageLimitDoc, maxPage)[:2],
				"responses":   respond("200", "A page of versions.", ref("MediaVersionList"), errs("400", "401", "403", "404")),
			},
		},
		"/api/media/{id}/versions/{vid}": obj{
			"parameters": []obj{id, idParam("vid", "Version id.")},
			"patch": conditional(obj{
				"summary": "Pin or unpin a previous file", "operationId": "updateMediaVersion", "tags": []string{"media"},
				"description": "Scope media:update. pinned: true keeps the version (and its file) past the grace period, until unpinned; false lets it expire a grace period after it was replaced. " +
					"If-Match is compared with the item's ETag (GET /api/media/{id}): a version belongs to its item, and a replace or restore since the tag was read answers 412.",
				"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{
					"type": "object", "additionalProperties": false, "required": []string{"pinned"},
					"properties": obj{"pinned": obj{"type": "boolean"}},
				}}}},
				"responses": respond("200", "The version.", ref("MediaVersion"), errs("400", "401", "403", "404", "415", "422")),
			}, "IfMatch"),
		},
		"/api/media/{id}/versions/{vid}/restore": obj{
			"parameters": []obj{id, idParam("vid", "Version id.")},
			"post": conditional(obj{
				"summary": "Restore a previous file", "operationId": "restoreMediaVersion", "tags": []string{"media"},
				"description": "Scope media:update. Makes the version the item's file again; the current file becomes a version. Places, filename and alt text stay.",
				"responses":   respond("200", "The item with the restored file.", ref("Media"), errs("401", "403", "404")),
			}, "IfMatch"),
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
			"get": downloadOp("Download the original", "downloadMedia",
				"Scope media:read. The original bytes with Content-Disposition: attachment (RFC 5987 filename), a strong ETag (If-None-Match → 304) and Range (one range → 206; If-Range honoured; unsatisfiable → 416)."),
		},
		"/api/media/{id}/versions/{vid}/download": obj{
			"parameters": []obj{id, idParam("vid", "Version id.")},
			"get": downloadOp("Download a previous file", "downloadMediaVersion",
				"Scope media:read. A version's bytes, like the original's download (attachment, strong ETag, Range). Versions have no public URL: only this, with a token, "+
					"and the logged-in UI serve them."),
		},
		"/api/ping": obj{
			"get": obj{
				"summary": "Health check", "operationId": "ping", "security": []obj{}, "tags": []string{"meta"},
				"description": "No token needed.",
				"responses": obj{"200": obj{"description": "OK", "content": obj{"application/json": obj{"schema": obj{
					"type": "object", "required": []string{"ok"}, "additionalProperties": false, "properties": obj{"ok": obj{"type": "boolean", "const": true}}}}}}},
			},
		},
		"/api/openapi.json": obj{
			"get": obj{
				"summary": "This document", "operationId": "openapi", "security": []obj{}, "tags": []string{"meta"},
				"description": "No token needed. OpenAPI 3.1.",
				"responses":   obj{"200": obj{"description": "OpenAPI 3.1", "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}},
			},
		},
	})
}

// downloadOp is a file download's operation: the bytes, a range, 304, 416.
func downloadOp(summary, opID, desc string) obj {
	return obj{
		"summary": summary, "operationId": opID, "tags": []string{"media"}, "description": desc,
		"parameters": []obj{
			{"$ref": "#/components/parameters/IfNoneMatch"},
			{"name": "Range", "in": "header", "required": false, "schema": obj{"type": "string"}, "description": "One byte range, e.g. bytes=0-1023."},
			{"name": "If-Range", "in": "header", "required": false, "schema": obj{"type": "string"}, "description": "The ETag: the range only if the file is still that one."},
		},
		"responses": obj{
			"200": obj{"description": "The bytes.", "headers": fileHeaders(), "content": obj{"*/*": obj{"schema": obj{"type": "string", "format": "binary"}}}},
			"206": obj{"description": "A byte range.", "headers": fileHeaders(), "content": obj{"*/*": obj{"schema": obj{"type": "string", "format": "binary"}}}},
			"304": obj{"description": "Not modified."},
			"401": obj{"$ref": "#/components/responses/401"}, "403": obj{"$ref": "#/components/responses/403"}, "404": obj{"$ref": "#/components/responses/404"},
			"416": obj{"description": "Range not satisfiable.", "headers": obj{"Content-Range": obj{"description": "bytes */<size>", "schema": obj{"type": "string"}}}},
		},
	}
}

// qRule is what every q= refuses (data.ParseSearch), for the document.
const qRule = "At most 200 bytes, and no NUL character (400 invalid_parameter)."
