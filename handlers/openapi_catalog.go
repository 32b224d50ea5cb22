package handlers

import (
	"maps"

	"gallerist/data"
)

func init() {
	nullable := func(t string) obj { return obj{"type": []string{t, "null"}} }
	dateTime := obj{"type": "string", "format": "date-time"}
	list := listSchema
	statuses := enumOf(data.ProductStatuses)
	addSchemas(obj{
		"ImageRef": obj{
			"type": "object", "required": []string{"media_id", "src", "alt", "width", "height"}, "additionalProperties": false,
			"description": "A media item used as an image.",
			"properties": obj{
				"media_id": obj{"type": "integer"},
				"src":      obj{"type": "string", "format": "uri", "description": "Public URL of the original."},
				"alt":      nullable("string"),
				"width":    nullable("integer"),
				"height":   nullable("integer"),
			},
		},
		"Product": obj{
			"type": "object",
			"required": []string{"id", "title", "handle", "status", "image_count", "images_with_alt", "variant_count",
				"featured_image", "gallery_version", "created_at", "updated_at"},
			"additionalProperties": false,
			"properties": obj{
				"id":              obj{"type": "integer"},
				"title":           obj{"type": "string", "maxLength": 255},
				"handle":          obj{"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "description": "Unique in the organization."},
				"status":          obj{"type": "string", "enum": statuses},
				"image_count":     obj{"type": "integer", "minimum": 0, "description": "Images in the gallery."},
				"images_with_alt": obj{"type": "integer", "minimum": 0, "description": "Gallery images whose media item has alt text."},
				"variant_count":   obj{"type": "integer", "minimum": 0},
				"featured_image":  obj{"oneOf": []obj{ref("ImageRef"), {"type": "null"}}, "description": "The image at position 1."},
				"gallery_version": obj{"type": "integer", "minimum": 1, "description": "Bumped by every change of the gallery's order or membership; the version part of the gallery's ETag, and what its If-Match compares."},
				"created_at":      dateTime,
				"updated_at":      dateTime,
			},
		},
		"ProductList": list("ProductFields"),
		"ProductCreate": obj{
			"type": "object", "additionalProperties": false, "required": []string{"title"},
			"properties": obj{
				"title":  obj{"type": "string", "minLength": 1, "maxLength": 255},
				"handle": obj{"type": "string", "description": "Default: made from the title, unique."},
				"status": obj{"type": "string", "enum": statuses, "description": "Default draft."},
			},
		},
		"ProductPatch": obj{
			"type": "object", "additionalProperties": false, "minProperties": 1,
			"properties": obj{
				"title":  obj{"type": "string", "minLength": 1, "maxLength": 255},
				"handle": obj{"type": "string"},
				"status": obj{"type": "string", "enum": statuses},
			},
		},
		"Variant": obj{
			"type":                 "object",
			"required":             []string{"id", "product_id", "title", "sku", "options", "image_id", "image", "created_at", "updated_at"},
			"additionalProperties": false,
			"properties": obj{
				"id":         obj{"type": "integer"},
				"product_id": obj{"type": "integer"},
				"title":      obj{"type": "string"},
				"sku":        obj{"type": "string"},
				"options":    obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "e.g. {\"Color\": \"Red\"}"},
				"image_id":   obj{"type": []string{"integer", "null"}, "description": "One of the product's gallery images."},
				"image":      obj{"oneOf": []obj{ref("ImageRef"), {"type": "null"}}},
				"created_at": dateTime,
				"updated_at": dateTime,
			},
		},
		"VariantList": list("VariantFields"),
		"VariantCreate": obj{
			"type": "object", "additionalProperties": false, "required": []string{"title"},
			"properties": obj{
				"title":   obj{"type": "string", "minLength": 1, "maxLength": 255},
				"sku":     obj{"type": "string", "maxLength": 100},
				"options": obj{"type": "object", "additionalProperties": obj{"type": "string"}, "maxProperties": 10},
			},
		},
		"VariantPatch": obj{
			"type": "object", "additionalProperties": false, "minProperties": 1,
			"properties": obj{
				"title":   obj{"type": "string", "minLength": 1, "maxLength": 255},
				"sku":     obj{"type": []string{"string", "null"}},
				"options": obj{"type": "object", "additionalProperties": obj{"type": "string"}, "maxProperties": 10},
			},
		},
		"Collection": obj{
			"type":                 "object",
			"required":             []string{"id", "title", "handle", "media_id", "image", "created_at", "updated_at"},
			"additionalProperties": false,
			"properties": obj{
				"id":         obj{"type": "integer"},
				"title":      obj{"type": "string"},
				"handle":     obj{"type": "string"},
				"media_id":   nullable("integer"),
				"image":      obj{"oneOf": []obj{ref("ImageRef"), {"type": "null"}}},
				"created_at": dateTime,
				"updated_at": dateTime,
			},
		},
		"CollectionList": list("CollectionFields"),
		"CollectionCreate": obj{
			"type": "object", "additionalProperties": false, "required": []string{"title"},
			"properties": obj{
				"title":    obj{"type": "string", "minLength": 1, "maxLength": 255},
				"handle":   obj{"type": "string"},
				"media_id": obj{"type": []string{"integer", "null"}, "description": "A live image of the library."},
			},
		},
		"CollectionPatch": obj{
			"type": "object", "additionalProperties": false, "minProperties": 1,
			"properties": obj{
				"title":  obj{"type": "string", "minLength": 1, "maxLength": 255},
				"handle": obj{"type": "string"},
			},
		},
		"GalleryImage": obj{
			"type": "object",
			"required": []string{"id", "product_id", "media_id", "position", "alt", "src", "width", "height", "mime_type", "kind",
				"variant_ids", "created_at", "updated_at", "processing", "processing_error", "renditions", "srcset", "focal_x", "focal_y", "poster"},
			"additionalProperties": false,
			"properties": obj{
				"processing":       obj{"type": "string", "enum": processingStates},
				"processing_error": nullable("string"),
				"renditions":       renditionMap("Rendition URLs."),
				"srcset":           obj{"type": "string"},
				"renditions_webp":  renditionMap("WebP renditions, where made."),
				"srcset_webp":      obj{"type": "string"},
				"id":               obj{"type": "integer"},
				"product_id":       obj{"type": "integer"},
				"media_id":         obj{"type": "integer"},
				"position":         obj{"type": "integer", "minimum": 1, "description": "1-based and contiguous; 1 is the featured image."},
				"alt":              obj{"type": []string{"string", "null"}, "description": "The media item's alt text."},
				"src":              obj{"type": "string", "format": "uri", "description": "Public URL of the original."},
				"width":            nullable("integer"),
				"height":           nullable("integer"),
				"mime_type":        obj{"type": "string", "enum": data.MIMETypes},
				"kind":             obj{"type": "string", "enum": data.GalleryKinds, "description": "The media item's kind: galleries hold images and videos."},
				"poster":           posterSchema,
				"variant_ids":      obj{"type": "array", "items": obj{"type": "integer"}, "description": "Variants showing this image."},
				"created_at":       dateTime,
				"updated_at":       dateTime,
			},
		},
		"GalleryImageList": list("GalleryImageFields"),
		"GalleryImagePatch": obj{
			"type": "object", "additionalProperties": false, "minProperties": 1,
			"properties": obj{
				"position": obj{"type": "integer", "minimum": 1, "description": "Moves the image; the others re-sequence."},
				"alt":      obj{"type": []string{"string", "null"}, "maxLength": 1000, "description": "Sets the media item's alt text; null or \"\" clears."},
			},
		},
		"GalleryImagePut": obj{
			"type": "object", "additionalProperties": false, "required": []string{"position"},
			"properties": obj{
				"position":         obj{"type": "integer", "minimum": 1, "description": "Moves the image; the others re-sequence."},
				"alt":              obj{"type": []string{"string", "null"}, "maxLength": 1000, "description": "The media item's alt text; absent, null or \"\" clears it."},
				"id":               obj{"type": "integer", "description": "Read-only: this image's id, if sent."},
				"product_id":       obj{"type": "integer", "description": "Read-only: this image's product, if sent."},
				"media_id":         obj{"type": "integer", "description": "Read-only: this image's media item, if sent."},
				"src":              obj{"type": "string", "description": "Read-only: this image's src, if sent."},
				"width":            obj{"description": "Read-only, ignored."},
				"height":           obj{"description": "Read-only, ignored."},
				"mime_type":        obj{"description": "Read-only, ignored."},
				"variant_ids":      obj{"description": "Read-only, ignored."},
				"created_at":       obj{"description": "Read-only, ignored."},
				"updated_at":       obj{"description": "Read-only, ignored."},
				"processing":       obj{"description": "Read-only, ignored."},
				"processing_error": obj{"description": "Read-only, ignored."},
				"renditions":       obj{"description": "Read-only, ignored."},
				"srcset":           obj{"description": "Read-only, ignored."},
				"renditions_webp":  obj{"description": "Read-only, ignored."},
				"srcset_webp":      obj{"description": "Read-only, ignored."},
				"kind":             obj{"description": "Read-only, ignored."},
				"poster":           obj{"description": "Read-only, ignored."},
				"focal_x":          obj{"description": "Read-only, ignored (set it on the media item)."},
				"focal_y":          obj{"description": "Read-only, ignored (set it on the media item)."},
				"crops":            obj{"description": "Read-only, ignored."},
			},
		},
		"GalleryReorder": obj{
			"type": "object", "additionalProperties": false,
			"description": "Exactly one of ids (the full new order) or positions (every image once, positions 1..n).",
			"properties": obj{
				"ids": obj{"type": "array", "items": obj{"type": "integer"}},
				"positions": obj{"type": "array", "items": obj{
					"type": "object", "additionalProperties": false, "required": []string{"id", "position"},
					"properties": obj{"id": obj{"type": "integer"}, "position": obj{"type": "integer", "minimum": 1}},
				}},
			},
		},
		"GalleryReordered": obj{
			"type": "object", "required": []string{"success", "updated"}, "additionalProperties": false,
			"properties": obj{
				"success": obj{"type": "boolean", "const": true},
				"updated": obj{"type": "integer", "description": "Images whose position changed."},
			},
		},
	})

	maps.Copy(openapiSchemas["GalleryImage"].(obj)["properties"].(obj), focalProps())
	// The same objects with every property optional: what fields= returns.
	for _, name := range []string{"Product", "Variant", "Collection", "GalleryImage"} {
		addSchemas(obj{name + "Fields": partialOf(openapiSchemas[name].(obj), "A "+name+", or the subset of its properties named by fields.")})
	}

	pid := idParam("id", "Product id.")
	vid := idParam("vid", "Variant id.")
	iid := idParam("image_id", "Gallery image id.")
	cid := idParam("id", "Collection id.")
	q := func(desc string) obj {
		return obj{"name": "q", "in": "query", "description": desc + " " + qRule, "schema": obj{"type": "string", "maxLength": 200}}
	}
	handle := func(what string) obj {
		return param("handle", "query", "string", "Only the "+what+" with this handle.", false)
	}
	productParams := append(listParamDocs(productList, pageLimitDoc, maxPage),
		q("Case-insensitive substring of title or handle."),
		obj{"name": "status", "in": "query", "schema": obj{"type": "string", "enum": statuses}},
		handle("product"))
	variantParams := append(listParamDocs(variantList, pageLimitDoc, maxPage), q("Case-insensitive substring of title or SKU."))
	collectionParams := append(listParamDocs(collectionList, pageLimitDoc, maxPage),
		q("Case-insensitive substring of title or handle."), handle("collection"))
	galleryParams := append(listParamDocs(galleryList, "1 to the gallery limit (250, configurable); default: the whole gallery.", data.DefaultLimits().MaxGalleryImages),
		obj{"name": "position", "in": "query", "description": "Only the image at this position.", "schema": obj{"type": "integer", "minimum": 1, "maximum": data.DefaultLimits().MaxGalleryImages}},
		param("src", "query", "string", "Only the image with this src (public file URL).", false))
	fields := func(names []string) obj {
		return fieldsParamDoc(names, "Fields to include (sparse object), comma-separated.")
	}
	jsonBody := func(schema string) obj {
		return obj{"required": true, "content": obj{"application/json": obj{"schema": ref(schema)}}}
	}
	tags := func(t string) []string { return []string{t} }

	addPaths(obj{
		"/api/products": obj{
			"get": obj{
				"summary": "List products", "operationId": "listProducts", "tags": tags("products"),
				"description": "Scope products:read. Newest first, with image counts, alt-text coverage and the featured image.",
				"parameters":  productParams,
				"responses":   respond("200", "A page of products.", ref("ProductList"), errs("400", "401", "403")),
			},
			"post": obj{
				"summary": "Create a product", "operationId": "createProduct", "tags": tags("products"),
				"description": "Scope products:write. A handle another product has answers 409 conflict.",
				"requestBody": jsonBody("ProductCreate"),
				"responses":   respond("201", "The product.", ref("Product"), errs("400", "401", "403", "409", "415", "422")),
			},
		},
		"/api/products/{id}": obj{
			"parameters": []obj{pid},
			"get": obj{
				"summary": "Get a product", "operationId": "getProduct", "tags": tags("products"),
				"description": "Scope products:read. Another organization's id answers 404 like a missing one.",
				"parameters":  []obj{fields(productFields)},
				"responses":   respond("200", "The product.", ref("ProductFields"), errs("400", "401", "403", "404")),
			},
			"patch": obj{
				"summary": "Change a product", "operationId": "updateProduct", "tags": tags("products"),
				"description": "Scope products:write.",
				"requestBody": jsonBody("ProductPatch"),
				"responses":   respond("200", "The product.", ref("Product"), errs("400", "401", "403", "404", "409", "415", "422")),
			},
			"delete": obj{
				"summary": "Delete a product", "operationId": "deleteProduct", "tags": tags("products"),
				"description": "Scope products:write. Deletes its variants and detaches its gallery; the media items stay in the library.",
				"responses":   respond("204", "Deleted.", nil, errs("401", "403", "404")),
			},
		},
		"/api/products/{id}/variants": obj{
			"parameters": []obj{pid},
			"get": obj{
				"summary": "List a product's variants", "operationId": "listVariants", "tags": tags("variants"),
				"description": "Scope products:read. Oldest first.",
				"parameters":  variantParams,
				"responses":   respond("200", "A page of variants.", ref("VariantList"), errs("400", "401", "403", "404")),
			},
			"post": obj{
				"summary": "Create a variant", "operationId": "createVariant", "tags": tags("variants"),
				"description": "Scope products:write.",
				"requestBody": jsonBody("VariantCreate"),
				"responses":   respond("201", "The variant.", ref("Variant"), errs("400", "401", "403", "404", "415", "422")),
			},
		},
		"/api/products/{id}/variants/{vid}": obj{
			"parameters": []obj{pid, vid},
			"get": obj{
				"summary": "Get a variant", "operationId": "getVariant", "tags": tags("variants"),
				"description": "Scope products:read.",
				"parameters":  []obj{fields(variantFields)},
				"responses":   respond("200", "The variant.", ref("VariantFields"), errs("400", "401", "403", "404")),
			},
			"patch": obj{
				"summary": "Change a variant", "operationId": "updateVariant", "tags": tags("variants"),
				"description": "Scope products:write.",
				"requestBody": jsonBody("VariantPatch"),
				"responses":   respond("200", "The variant.", ref("Variant"), errs("400", "401", "403", "404", "415", "422")),
			},
			"delete": obj{
				"summary": "Delete a variant", "operationId": "deleteVariant", "tags": tags("variants"),
				"description": "Scope products:write. Its image stays in the gallery.",
				"responses":   respond("204", "Deleted.", nil, errs("401", "403", "404")),
			},
		},
		"/api/products/{id}/variants/{vid}/image": obj{
			"parameters": []obj{pid, vid},
			"put": obj{
				"summary": "Set a variant's image", "operationId": "setVariantImage", "tags": tags("variants"),
				"description": "Scope products:write. {\"image_id\": X} (one of the product's gallery images) or {\"image_id\": null}.",
				"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{
					"type": "object", "additionalProperties": false, "required": []string{"image_id"},
					"properties": obj{"image_id": obj{"type": []string{"integer", "null"}}},
				}}}},
				"responses": respond("200", "The variant.", ref("Variant"), errs("400", "401", "403", "404", "415", "422")),
			},
		},
		"/api/products/{id}/images": obj{
			"parameters": []obj{pid},
			"get": obj{
				"summary": "List a product's gallery", "operationId": "listProductImages", "tags": tags("galleries"),
				"description": "Scope products:read. In position order (sort=position), unless sorted otherwise; since_id lists by ascending image id whatever the positions. " +
					"The ETag (the gallery's, when the answer is the whole gallery) changes when any image's position, alt text or processing changes; If-None-Match with it answers 304 while nothing did.",
				"parameters": galleryParams,
				"responses":  withETag(respond("200", "A page of the gallery.", ref("GalleryImageList"), errs("400", "401", "403", "404")), "200"),
			},
			"post": obj{
				"summary": "Add an image", "operationId": "addProductImage", "tags": tags("galleries"),
				"description": "Scope products:write. Attach a library item ({\"media_id\": 12}), or upload and attach in one step " +
					"(multipart \"file\", or JSON base64 \"attachment\" + \"filename\" (standard or URL-safe base64, padding optional, optionally after a data:image/...;base64, prefix), or {\"src\": URL} to import), with an optional position (the images from there shift) " +
					"and alt (the media item's alt text). Only live images; each item at most once per gallery (409 conflict); " +
					"at most 250 images (configurable; 422 gallery_full). Creating media this way also needs media:create, and alt with a media_id " +
					"(which changes that item's alt text) also needs media:update, as through /api/media: without them 403 missing_scope, before anything is read or fetched.",
				"x-conditional-scopes": obj{
					string(data.ScopeMediaCreate): "with a file, an attachment or src (the request creates a media item)",
					string(data.ScopeMediaUpdate): "with media_id and alt (the request changes an existing item's alt text)",
				},
				"requestBody": obj{"required": true, "content": obj{
					"application/json": obj{"schema": obj{"type": "object", "additionalProperties": false, "properties": obj{
						"media_id":   obj{"type": "integer"},
						"src":        obj{"type": "string", "format": "uri", "description": "Import the image from this http(s) URL (through the SSRF-safe fetcher)."},
						"attachment": obj{"type": "string", "contentEncoding": "base64"},
						"filename":   obj{"type": "string"},
						"position":   obj{"type": "integer", "minimum": 1},
						"alt":        obj{"type": []string{"string", "null"}},
					}}},
					"multipart/form-data": obj{"schema": obj{"type": "object", "properties": obj{
						"file":     obj{"type": "string", "format": "binary"},
						"media_id": obj{"type": "integer"},
						"src":      obj{"type": "string"},
						"position": obj{"type": "integer"},
						"alt":      obj{"type": "string"},
					}}},
				}},
				"responses": withETag(respond("201", "The new image.", ref("GalleryImage"), errs("400", "401", "403", "404", "409", "413", "415", "422")), "201"),
			},
		},
		"/api/products/{id}/images/reorder": obj{
			"parameters": []obj{pid},
			"post": obj{
				"summary": "Reorder a gallery", "operationId": "reorderProductImages", "tags": tags("galleries"),
				"description": "Scope products:write. Anything but exactly a permutation of the gallery is 422 and changes nothing; the error's field is the one sent (ids or positions).",
				"requestBody": jsonBody("GalleryReorder"),
				"responses":   withETag(respond("200", "Reordered.", ref("GalleryReordered"), errs("400", "401", "403", "404", "412", "415", "422")), "200"),
			},
		},
		"/api/products/{id}/images/{image_id}": obj{
			"parameters": []obj{pid, iid},
			"get": obj{
				"summary": "Get a gallery image", "operationId": "getProductImage", "tags": tags("galleries"),
				"description": "Scope products:read.",
				"parameters":  []obj{fields(galleryImageFields)},
				"responses":   withETag(respond("200", "The image.", ref("GalleryImageFields"), errs("400", "401", "403", "404")), "200"),
			},
			"patch": obj{
				"summary": "Move an image or edit its alt text", "operationId": "updateProductImage", "tags": tags("galleries"),
				"description":          "Scope products:write; changing alt (the media item's alt text) also needs media:update (403 missing_scope without it).",
				"x-conditional-scopes": obj{string(data.ScopeMediaUpdate): "with alt"},
				"requestBody":          jsonBody("GalleryImagePatch"),
				"responses":            withETag(respond("200", "The image.", ref("GalleryImage"), errs("400", "401", "403", "404", "412", "415", "422")), "200"),
			},
			"put": obj{
				"summary": "Replace an image's position and alt text", "operationId": "replaceProductImage", "tags": tags("galleries"),
				"description": "Scope products:write. A full replacement of the writable fields: position is required, and alt absent or null clears the alt text. " +
					"The read-only fields of a GalleryImage may be sent back as a GET gave them: id, product_id, media_id and src must name this image (else 422 invalid_field); the others are ignored. " +
					"Changing the alt text (to a value other than the current one) also needs media:update (403 missing_scope without it).",
				"x-conditional-scopes": obj{string(data.ScopeMediaUpdate): "when alt differs from the current alt text"},
				"requestBody":          jsonBody("GalleryImagePut"),
				"responses":            withETag(respond("200", "The image.", ref("GalleryImage"), errs("400", "401", "403", "404", "412", "415", "422")), "200"),
			},
			"delete": obj{
				"summary": "Detach an image", "operationId": "deleteProductImage", "tags": tags("galleries"),
				"description": "Scope products:write. The media item stays in the library; variants showing the image lose it.",
				"responses":   withETag(respond("204", "Detached.", nil, errs("401", "403", "404", "412")), "204"),
			},
		},
		"/api/collections": obj{
			"get": obj{
				"summary": "List collections", "operationId": "listCollections", "tags": tags("collections"),
				"description": "Scope products:read. Newest first.",
				"parameters":  collectionParams,
				"responses":   respond("200", "A page of collections.", ref("CollectionList"), errs("400", "401", "403")),
			},
			"post": obj{
				"summary": "Create a collection", "operationId": "createCollection", "tags": tags("collections"),
				"description": "Scope products:write.",
				"requestBody": jsonBody("CollectionCreate"),
				"responses":   respond("201", "The collection.", ref("Collection"), errs("400", "401", "403", "404", "409", "415", "422")),
			},
		},
		"/api/collections/{id}": obj{
			"parameters": []obj{cid},
			"get": obj{
				"summary": "Get a collection", "operationId": "getCollection", "tags": tags("collections"),
				"description": "Scope products:read.",
				"parameters":  []obj{fields(collectionFields)},
				"responses":   respond("200", "The collection.", ref("CollectionFields"), errs("400", "401", "403", "404")),
			},
			"patch": obj{
				"summary": "Change a collection", "operationId": "updateCollection", "tags": tags("collections"),
				"description": "Scope products:write.",
				"requestBody": jsonBody("CollectionPatch"),
				"responses":   respond("200", "The collection.", ref("Collection"), errs("400", "401", "403", "404", "409", "415", "422")),
			},
			"delete": obj{
				"summary": "Delete a collection", "operationId": "deleteCollection", "tags": tags("collections"),
				"description": "Scope products:write. Its image stays in the library.",
				"responses":   respond("204", "Deleted.", nil, errs("401", "403", "404")),
			},
		},
		"/api/collections/{id}/image": obj{
			"parameters": []obj{cid},
			"put": obj{
				"summary": "Set a collection's image", "operationId": "setCollectionImage", "tags": tags("collections"),
				"description": "Scope products:write. {\"media_id\": X} (a live image of the library) or {\"media_id\": null}.",
				"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{
					"type": "object", "additionalProperties": false, "required": []string{"media_id"},
					"properties": obj{"media_id": obj{"type": []string{"integer", "null"}}},
				}}}},
				"responses": respond("200", "The collection.", ref("Collection"), errs("400", "401", "403", "404", "415", "422")),
			},
		},
	})

	// ETags: single resources and galleries; If-Match on their writes.
	for _, item := range openapiPaths {
		for _, v := range item.(obj) {
			op, ok := v.(obj)
			if !ok {
				continue
			}
			switch op["operationId"] {
			case "getProduct", "getVariant", "getCollection", "listProductImages", "getProductImage":
				tagged(op)
			case "updateProduct", "deleteProduct", "updateVariant", "deleteVariant", "setVariantImage",
				"updateCollection", "deleteCollection", "setCollectionImage":
				conditional(op, "IfMatch")
			case "reorderProductImages", "updateProductImage", "replaceProductImage", "deleteProductImage":
				conditional(op, "GalleryIfMatch")
			}
		}
	}
}
