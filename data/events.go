package data

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The event types: every change to media, galleries and products writes one
// event in the transaction of the change. Bulk operations write one event per
// item, so a subject's history and a webhook consumer see each item alike.
const (
	EventMediaCreated   = "media.created"
	EventMediaUpdated   = "media.updated"  // filename or alt text changed
	EventMediaReplaced  = "media.replaced" // a new file (replace, or restore of a version)
	EventMediaTrashed   = "media.trashed"
	EventMediaRestored  = "media.restored"
	EventMediaPurged    = "media.purged"
	EventGalleryChanged = "gallery.changed" // subject: the product; payload: the new order
	EventProductCreated = "product.created"
	EventProductUpdated = "product.updated" // also its variants and their images
	EventProductDeleted = "product.deleted"
	// EventPing is sent by "Send test"; it is never written to the log.
	EventPing = "ping"
)

// EventTypes lists the event types the log holds (and webhooks subscribe to).
var EventTypes = []string{
	EventMediaCreated, EventMediaUpdated, EventMediaReplaced, EventMediaTrashed, EventMediaRestored, EventMediaPurged,
	EventGalleryChanged, EventProductCreated, EventProductUpdated, EventProductDeleted,
}

// Event is one change in an organization's log.
type Event struct {
	ID          int64
	OrgID       int64
	Type        string
	SubjectType string // "media" or "product"
	SubjectID   int64
	Actor       string // the user's email, "token:NAME", or "system"
	Payload     json.RawMessage
	CreatedAt   time.Time
}

// EventFilter selects events: ids after SinceID in ascending order (the sync
// feed), or with BeforeID set, ids before it newest first (history pages).
type EventFilter struct {
	SinceID     int64
	BeforeID    int64
	Limit       int // 0: DefaultPage
	Types       []string
	SubjectType string
	SubjectID   int64
}

// ParseEventFilter reads since_id, limit, type (comma-separated, repeatable)
// and subject (TYPE:ID) as GET /api/events takes them.
func ParseEventFilter(v url.Values) (EventFilter, error) {
	var f EventFilter
	if s := v.Get("since_id"); s != "" {
		id, err := ParseIDParam("since_id", s, 0)
		if err != nil {
			return f, err
		}
		f.SinceID = id
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPage {
			return f, ParamError("limit", "limit must be a whole number from 1 to %d.", MaxPage)
		}
		f.Limit = n
	}
	for _, list := range v["type"] {
		for _, t := range strings.Split(list, ",") {
			if t = strings.TrimSpace(t); t == "" {
				continue
			}
			if !slices.Contains(EventTypes, t) {
				return f, ParamError("type", "Unknown event type %q; the types are %s.", t, strings.Join(EventTypes, ", "))
			}
			f.Types = append(f.Types, t)
		}
	}
	if s := v.Get("subject"); s != "" {
		typ, id, ok := strings.Cut(s, ":")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || (typ != "media" && typ != "product") || err != nil || n < 1 {
			return f, ParamError("subject", "subject must be media:ID or product:ID, e.g. media:12.")
		}
		f.SubjectType, f.SubjectID = typ, n
	}
	return f, nil
}

// EventService reads the log.
type EventService interface {
	FindEvents(ctx context.Context, f EventFilter) ([]*Event, error)
}

// Webhook is an endpoint that receives an organization's events of the chosen types.
type Webhook struct {
	ID       int64
	OrgID    int64
	URL      string
	Events   []string
	Cursor   int64 // the last event delivered (or given up on)
	Attempts int   // failed attempts at the next event
	// NextTryAt is when the next event is tried again (zero when no
	// attempt failed).
	NextTryAt time.Time
	CreatedBy string
	CreatedAt time.Time
}

// WebhookCreate is what POST /api/webhooks takes.
type WebhookCreate struct {
	URL    string
	Events []string
}

// WebhookDelivery is one attempt to deliver an event (or a ping) to an endpoint.
type WebhookDelivery struct {
	ID        int64
	WebhookID int64
	EventID   int64 // 0 for a ping
	EventType string
	Attempt   int
	// MaxAttempts is how many attempts the event gets in all (1 for a ping).
	MaxAttempts int
	Outcome     string // delivered, failed (will retry), gave_up
	Status      int    // HTTP status; 0 when none came
	Error       string
	Response    string // the first bytes of the answer
	DurationMS  int64
	// NextAttemptAt is when a failed attempt is tried again; zero when it
	// is not (delivered, given up, or a ping).
	NextAttemptAt time.Time
	CreatedAt     time.Time
}

// The outcomes of a delivery attempt.
const (
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
	DeliveryGaveUp    = "gave_up"
)

// ValidateWebhookEvents checks a subscription: at least one known type, each once.
func ValidateWebhookEvents(types []string) ([]string, error) {
	var out []string
	for _, t := range types {
		if !slices.Contains(EventTypes, t) {
			return nil, FieldError("events", "Unknown event type %q; the types are %s.", t, strings.Join(EventTypes, ", "))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, FieldError("events", "Choose at least one event type: %s.", strings.Join(EventTypes, ", "))
	}
	return out, nil
}

// WebhookService manages an organization's webhook endpoints.
type WebhookService interface {
	// CreateWebhook adds an endpoint; the signing secret is returned once.
	CreateWebhook(ctx context.Context, wc WebhookCreate) (*Webhook, string, error)
	FindWebhooks(ctx context.Context) ([]*Webhook, error)
	FindWebhookByID(ctx context.Context, id int64) (*Webhook, error)
	DeleteWebhook(ctx context.Context, id int64) error
	// FindDeliveries lists an endpoint's latest delivery attempts, newest first.
	FindDeliveries(ctx context.Context, id int64, limit int) ([]*WebhookDelivery, error)
	// Ping sends a ping event to the endpoint now and returns the attempt.
	Ping(ctx context.Context, id int64) (*WebhookDelivery, error)
}
