package handlers

import "gallerist/data"

func init() {
	issue := obj{"type": "object", "required": []string{"path", "reason"}, "additionalProperties": false,
		"properties": obj{"path": obj{"type": "string"}, "reason": obj{"type": "string"}}}
	count := func(desc string) obj { return obj{"type": "integer", "minimum": 0, "description": desc} }
	addSchemas(obj{
		"ImportIssue": issue,
		"ImportPlanFile": obj{
			"type": "object", "required": []string{"path", "position", "status"}, "additionalProperties": false,
			"properties": obj{
				"path":     obj{"type": "string", "description": "The file's path inside the zip."},
				"position": obj{"type": "integer", "minimum": 0, "description": "Its place among the product's imported files; 0 for a skipped file (it takes no place)."},
				"alt":      obj{"type": "string", "description": "Alt text from import.csv."},
				"status": obj{"type": "string", "enum": []string{data.ImportFileNew, data.ImportFileInLibrary, data.ImportFileInGallery, data.ImportFileDuplicate, data.ImportFileFailed, data.ImportFileSkipped},
					"description": "new: a new media item; in_library: its bytes are in the library, that item is attached; in_gallery: that item is in the gallery already; duplicate: the same bytes as an earlier file of the product; failed: see reason; skipped: left out, not uploaded (a document or audio file: galleries hold images and videos), see reason; it is in the report's skipped too."},
				"media_id": obj{"type": "integer", "description": "The media item (absent for new files in a dry run)."},
				"reason":   obj{"type": "string"},
				"warning":  obj{"type": "string", "description": "How the file was read, to check: a number at the end of a new product's file name read as its place (\"2024 read as a position; name it tshirt-2024-1.jpg to keep 2024 in the handle\")."},
			},
		},
		"ImportProduct": obj{
			"type": "object", "required": []string{"handle", "exists", "created", "files"}, "additionalProperties": false,
			"properties": obj{
				"handle":     obj{"type": "string"},
				"product_id": obj{"type": "integer"},
				"exists":     obj{"type": "boolean", "description": "The product existed before the import."},
				"created":    obj{"type": "boolean", "description": "The import created it (in a dry run: would)."},
				"files":      obj{"type": "array", "items": ref("ImportPlanFile"), "description": "In gallery order."},
			},
		},
		"ImportReport": obj{
			"type": "object", "additionalProperties": false,
			"required": []string{"dry_run", "create_products", "imported", "reused", "attached", "already_in_gallery", "duplicates",
				"created_products", "products", "skipped", "failed"},
			"properties": obj{
				"dry_run":            obj{"type": "boolean"},
				"create_products":    obj{"type": "boolean"},
				"imported":           count("New media items."),
				"reused":             count("Files whose bytes were in the library already, attached as that item."),
				"attached":           count("Gallery places added."),
				"already_in_gallery": count("Files whose item was in that product's gallery already."),
				"duplicates":         count("Files with the same bytes as an earlier file of their product, left out."),
				"created_products":   obj{"type": "array", "items": obj{"type": "string"}},
				"products":           obj{"type": "array", "items": ref("ImportProduct")},
				"skipped":            obj{"type": "array", "items": ref("ImportIssue"), "description": "Not media, documents and audio (galleries hold images and videos), files an import.csv does not list, nested zips, links, no handle in the name, over the size limit."},
				"failed":             obj{"type": "array", "items": ref("ImportIssue")},
			},
		},
	})
	addPaths(obj{
		"/api/imports": obj{
			"post": obj{
				"summary": "Import a zip into product galleries", "operationId": "createImport", "tags": []string{"products"},
				alsoRequired: []string{string(data.ScopeProductsWrite)},
				"description": "Scopes media:create and products:write (403 missing_scope without either, before the body is read). The body is a zip of files named by product handle " +
					"(red-mug.jpg, red-mug-2.jpg, red-mug_3.png: the number is the place) or listed in an import.csv (handle,position,file,alt). Each file is checked as an upload is; " +
					"each product's files go to the end of its gallery in order; files already in the library are attached, not copied. " +
					"The zip is checked before any work and refused whole, changing nothing: larger than --import-max-mb (2 GB) or expanding beyond it (413 too_large), " +
					"more than 10000 entries (400 too_many_files), not a zip, an entry named outside the zip (../, absolute, backslashes), two entries of one name, " +
					"or an entry that expands beyond its declared size or fails its checksum (422 corrupt_file). Nested zips and links are skipped; so are documents and audio files, each on its own " +
					"(the product's other files still land), and, with an import.csv, the files it does not list. Two imports into one product at once take turns: the later finds the files in the gallery. " +
					"Files that fail (missing product without create_products, bad bytes) are listed with their reason; the rest still land.",
				"parameters": []obj{
					param("dry_run", "query", "boolean", "Check every file and answer what would happen; change nothing.", false),
					param("create_products", "query", "boolean", "Create the products named in the files that do not exist yet (title from the handle).", false),
				},
				"requestBody": obj{"required": true, "content": obj{
					"application/zip":          obj{"schema": obj{"type": "string", "format": "binary"}},
					"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}},
				}},
				"responses": respond("200", "What the import did (or, with dry_run, would do).", ref("ImportReport"), errs("400", "401", "403", "413", "415", "422")),
			},
		},
	})
}
