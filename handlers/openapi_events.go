package handlers

import (
	"strconv"

	"gallerist/data"
)

// The document's part for the log of changes and webhooks (events.go, webhooks.go).
func init() {
	addSchemas(obj{
		"Event": obj{
			"type": "object", "additionalProperties": false,
			"description": "One change, written in the transaction of the change. Bulk operations write one event per item.",
			"required":    []string{"id", "type", "subject", "actor", "created_at", "data"},
			"properties": obj{
				"id":   obj{"type": "integer", "minimum": 1, "description": "Ascending in the order changes committed; never reused."},
				"type": obj{"type": "string", "enum": data.EventTypes},
				"subject": obj{"type": "object", "additionalProperties": false, "required": []string{"type", "id"}, "properties": obj{
					"type": obj{"type": "string", "enum": []string{"media", "product"}, "description": "gallery.changed and product.* are about a product; media.* about a media item."},
					"id":   obj{"type": "integer", "minimum": 1},
				}},
				"actor":      obj{"type": "string", "description": "Who made the change: the user's email, token:NAME, or system (garbage collection)."},
				"created_at": obj{"type": "string", "format": "date-time"},
				"data": obj{"type": "object", "description": "What changed: media.created has filename, kind, mime_type, size, sha256; media.updated the fields set (filename, alt); " +
					"media.replaced the new file (original_filename, mime_type, size, sha256) and previous_sha256; media.trashed filename and detached; media.restored filename and not_restored (if any); " +
					"media.purged filename and sha256; gallery.changed gallery_version and media_ids in gallery order; product.created and product.deleted title, handle, status; " +
					"product.updated the fields set, or variant_id and variant (created, updated, deleted, image)."},
			},
		},
		"EventFeed": obj{
			"type": "object", "additionalProperties": false,
			"required": []string{"data", "limit", "has_more", "next_since_id"},
			"properties": obj{
				"data":          obj{"type": "array", "items": ref("Event")},
				"limit":         obj{"type": "integer", "minimum": 1, "maximum": maxPage},
				"has_more":      obj{"type": "boolean", "description": "More events follow: ask again with since_id=next_since_id at once."},
				"next_since_id": obj{"type": "integer", "minimum": 0, "description": "The id of the last event in data (since_id when data is empty): the cursor to ask with next."},
			},
		},
	})
	addPaths(obj{
		"/api/events": obj{
			"get": obj{
				"summary": "The log of changes (sync feed)", "operationId": "listEvents", "tags": []string{"events"},
				"description": "Scope events:read. Events of the organization in id order, after since_id. Keep next_since_id and ask with it again: every change is seen once, in commit order, " +
					"also across restarts (ids are never reused). The same log drives webhooks and the history in the admin UI.",
				"parameters": []obj{
					{"name": "since_id", "in": "query", "description": "Only events with a greater id (0, the default: from the start).", "schema": obj{"type": "integer", "minimum": 0}},
					{"name": "limit", "in": "query", "description": "Events per page, 1 to " + strconv.Itoa(maxPage) + " (default " + strconv.Itoa(defaultPage) + ").",
						"schema": obj{"type": "integer", "minimum": 1, "maximum": maxPage}},
					commaListDoc("type", "Only these event types, comma-separated.", data.EventTypes),
					{"name": "subject", "in": "query", "description": "Only events about one media item or product: media:ID or product:ID.",
						"schema": obj{"type": "string", "pattern": "^(media|product):[1-9][0-9]*$"}},
				},
				"responses": respond("200", "A page of events.", ref("EventFeed"), errs("400", "401", "403")),
			},
		},
	})
}
