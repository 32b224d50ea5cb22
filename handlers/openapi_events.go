package handlers

import (
	"slices"
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
				"id": obj{"type": "integer", "minimum": 1, "description": "Ascending in the order changes committed; never reused. Not consecutive: ids are shared by all organizations, so gaps are normal; " +
					"compare ids, never count on the next one being id+1. (A webhook's ping body carries id 0.)"},
				"type": obj{"type": "string", "enum": data.EventTypes},
				"subject": obj{"type": "object", "additionalProperties": false, "required": []string{"type", "id"}, "properties": obj{
					"type": obj{"type": "string", "enum": []string{"media", "product"}, "description": "gallery.changed and product.* are about a product; media.* about a media item."},
					"id":   obj{"type": "integer", "minimum": 1},
				}},
				"actor":      obj{"type": "string", "description": "Who made the change: the user's email, token:NAME, or system (garbage collection)."},
				"created_at": obj{"type": "string", "format": "date-time"},
				"data": obj{"type": "object", "description": "What changed: media.created has filename, kind, mime_type, size, sha256; media.updated the fields set (filename, alt, focal, poster_id; with poster_id also poster_filename, and poster_trashed true when a forced delete of the poster cleared it or poster_restored true when restoring the poster set it again); " +
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
		"Webhook":        webhookSchema(false),
		"WebhookCreated": webhookSchema(true),
		"WebhookList":    listSchema("Webhook"),
		"WebhookDelivery": obj{
			"type": "object", "additionalProperties": false,
			"description": "One attempt to deliver an event (or a ping) to an endpoint.",
			"required":    []string{"id", "event_id", "event_type", "attempt", "max_attempts", "outcome", "status", "error", "response", "duration_ms", "next_attempt_at", "created_at"},
			"properties": obj{
				"id":           obj{"type": "integer", "minimum": 1},
				"event_id":     obj{"type": "integer", "minimum": 0, "description": "0 for a ping."},
				"event_type":   obj{"type": "string", "enum": append(slices.Clone(data.EventTypes), data.EventPing)},
				"attempt":      obj{"type": "integer", "minimum": 1, "description": "Which attempt at this event this was: 1 for the first, up to max_attempts."},
				"max_attempts": obj{"type": "integer", "minimum": 1, "description": "How many attempts the event gets in all (8 by default; 1 for a ping, which is never retried)."},
				"outcome":      obj{"type": "string", "enum": []string{data.DeliveryDelivered, data.DeliveryFailed, data.DeliveryGaveUp}, "description": "delivered (a 2xx answer); failed (retried later, except a ping); gave_up (the last attempt failed: the endpoint goes on with the next event)."},
				"status":       obj{"type": "integer", "minimum": 0, "description": "The HTTP status of the answer; 0 when none came (refused, unreachable, timed out)."},
				"error":        obj{"type": "string", "description": "Why the attempt failed; empty when delivered. No answer in time reads \"timed out after 15s\" (the server's --fetch-timeout)."},
				"response":     obj{"type": "string", "description": "The first " + strconv.Itoa(1024) + " bytes of the answer."},
				"duration_ms":  obj{"type": "integer", "minimum": 0},
				"next_attempt_at": obj{"type": []string{"string", "null"}, "format": "date-time",
					"description": "When a failed attempt is tried again; null when it is not (delivered, gave_up, or a ping)."},
				"created_at": obj{"type": "string", "format": "date-time"},
			},
		},
		"WebhookDeliveryList": listSchema("WebhookDelivery"),
	})
	hookID := idParam("id", "Webhook id.")
	addPaths(obj{
		"/api/webhooks": obj{
			"get": obj{
				"summary": "List webhooks", "operationId": "listWebhooks", "tags": []string{"webhooks"},
				"description": "Scope webhooks:manage. Every endpoint of the organization, oldest first (secrets are never shown again).",
				"responses":   respond("200", "The endpoints.", ref("WebhookList"), errs("401", "403")),
			},
			"post": obj{
				"summary": "Add a webhook", "operationId": "createWebhook", "tags": []string{"webhooks"},
				"description": "Scope webhooks:manage. The endpoint receives the events of the chosen types that happen from now on. " +
					"The URL must lead to a public internet address (the server's --fetch-allow lists exceptions, as for URL imports); otherwise 422 url_not_allowed. " +
					"Each delivery is a POST of the event (as GET /api/events shows it) with User-Agent Gallerist-Webhooks/1, X-Gallerist-Event (its type), X-Gallerist-Delivery (WEBHOOK-EVENT, the same on retries) and " +
					"X-Gallerist-Signature: t=UNIX_SECONDS,v1=HEX, HEX being hex(HMAC-SHA256(secret, UNIX_SECONDS + \".\" + raw body)). " +
					"A non-2xx answer, a redirect or no answer within the timeout is retried with exponential backoff (10 s, doubling); after 8 attempts the endpoint gives up on that event and goes on. " +
					"Deliveries to one endpoint are strictly in id order, one at a time: while an event is being retried, the later ones wait (about 21 minutes at most with the defaults); fix or delete a failing endpoint.",
				"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{
					"type": "object", "additionalProperties": false, "required": []string{"url", "events"},
					"properties": obj{
						"url":    obj{"type": "string", "maxLength": 2000, "description": "An http or https URL."},
						"events": obj{"type": "array", "minItems": 1, "items": obj{"type": "string", "enum": data.EventTypes}},
					},
				}}}},
				"responses": respond("201", "The endpoint, with its secret (shown once).", ref("WebhookCreated"), errs("401", "403", "409", "415", "422")),
			},
		},
		"/api/webhooks/{id}": obj{
			"parameters": []obj{hookID},
			"get": obj{
				"summary": "Get a webhook", "operationId": "getWebhook", "tags": []string{"webhooks"},
				"description": "Scope webhooks:manage.",
				"responses":   respond("200", "The endpoint.", ref("Webhook"), errs("401", "403", "404")),
			},
			"delete": obj{
				"summary": "Delete a webhook", "operationId": "deleteWebhook", "tags": []string{"webhooks"},
				"description": "Scope webhooks:manage. Deliveries stop; its delivery log goes with it.",
				"responses":   respond("204", "Deleted.", nil, errs("401", "403", "404")),
			},
		},
		"/api/webhooks/{id}/deliveries": obj{
			"parameters": []obj{hookID},
			"get": obj{
				"summary": "A webhook's delivery log", "operationId": "listWebhookDeliveries", "tags": []string{"webhooks"},
				"description": "Scope webhooks:manage. The latest attempts, newest first (the last 50 are kept).",
				"parameters":  []obj{{"name": "limit", "in": "query", "description": "Attempts to list, 1 to " + strconv.Itoa(maxPage) + ".", "schema": obj{"type": "integer", "minimum": 1, "maximum": maxPage}}},
				"responses":   respond("200", "The latest attempts.", ref("WebhookDeliveryList"), errs("400", "401", "403", "404")),
			},
		},
		"/api/webhooks/{id}/ping": obj{
			"parameters": []obj{hookID},
			"post": obj{
				"summary": "Send a test", "operationId": "pingWebhook", "tags": []string{"webhooks"},
				"description": "Scope webhooks:manage. Sends a ping event (type ping, signed like every delivery) now, once, and answers the attempt; the delivery log keeps it. " +
					"The ping's body has the shape of an event with id 0 (never a real event's id), type ping, the webhook as its subject and data {}; " +
					"its X-Gallerist-Delivery is WEBHOOK-ping-UNIX_MILLISECONDS, different for every test. A failed ping is not retried.",
				"responses": respond("200", "The attempt, whatever the endpoint answered.", ref("WebhookDelivery"), errs("401", "403", "404")),
			},
		},
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

// webhookSchema is an endpoint as the API shows it; withSecret is the answer
// that created it, the only one carrying the signing secret.
func webhookSchema(withSecret bool) obj {
	required := []string{"id", "url", "events", "last_event_id", "failed_attempts", "next_attempt_at", "created_by", "created_at"}
	props := obj{
		"id":              obj{"type": "integer", "minimum": 1},
		"url":             obj{"type": "string", "format": "uri"},
		"events":          obj{"type": "array", "minItems": 1, "items": obj{"type": "string", "enum": data.EventTypes}},
		"last_event_id":   obj{"type": "integer", "minimum": 0, "description": "The endpoint's cursor: every event up to this id was delivered or given up on."},
		"failed_attempts": obj{"type": "integer", "minimum": 0, "description": "Failed attempts at the next event (0 when none is being retried)."},
		"next_attempt_at": obj{"type": []string{"string", "null"}, "format": "date-time",
			"description": "When the event being retried is tried again; null when none is. Later events wait for it: deliveries to an endpoint are strictly in order."},
		"created_by": obj{"type": "string"},
		"created_at": obj{"type": "string", "format": "date-time"},
	}
	desc := "An endpoint that receives the events of the chosen types as signed JSON POSTs, in id order, one at a time."
	if withSecret {
		required = append(required, "secret")
		props["secret"] = obj{"type": "string", "description": "Keep it: X-Gallerist-Signature is HMAC-SHA256 with it, and it is never shown again."}
		desc = "The new endpoint with its signing secret: the only time the secret is shown."
	}
	return obj{"type": "object", "additionalProperties": false, "description": desc, "required": required, "properties": props}
}
