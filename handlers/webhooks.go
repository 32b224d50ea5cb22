package handlers

import (
	"net/http"
	"time"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// WebhookJSON is an endpoint; Secret only in the answer that created it.
type WebhookJSON struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	LastEventID int64    `json:"last_event_id"`
	Retrying    int      `json:"failed_attempts"`
	NextAttempt *string  `json:"next_attempt_at"`
	CreatedBy   string   `json:"created_by"`
	CreatedAt   string   `json:"created_at"`
	Secret      string   `json:"secret,omitempty"`
}

// DeliveryJSON is one attempt to deliver an event to an endpoint.
type DeliveryJSON struct {
	ID          int64   `json:"id"`
	EventID     int64   `json:"event_id"`
	EventType   string  `json:"event_type"`
	Attempt     int     `json:"attempt"`
	MaxAttempts int     `json:"max_attempts"`
	Outcome     string  `json:"outcome"`
	Status      int     `json:"status"`
	Error       string  `json:"error"`
	Response    string  `json:"response"`
	DurationMS  int64   `json:"duration_ms"`
	NextAttempt *string `json:"next_attempt_at"`
	CreatedAt   string  `json:"created_at"`
}

// optionalTime is t for JSON, or null when t is zero.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := web.FormatTime(t)
	return &s
}

func webhookJSON(w *data.Webhook) WebhookJSON {
	return WebhookJSON{ID: w.ID, URL: w.URL, Events: w.Events, LastEventID: w.Cursor, Retrying: w.Attempts,
		NextAttempt: optionalTime(w.NextTryAt), CreatedBy: w.CreatedBy, CreatedAt: web.FormatTime(w.CreatedAt)}
}

func deliveryJSON(d *data.WebhookDelivery) DeliveryJSON {
	return DeliveryJSON{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt, MaxAttempts: d.MaxAttempts,
		Outcome: d.Outcome, Status: d.Status, Error: d.Error, Response: d.Response, DurationMS: d.DurationMS,
		NextAttempt: optionalTime(d.NextAttemptAt), CreatedAt: web.FormatTime(d.CreatedAt)}
}

func (h *Handlers) handleWebhookCreate(c *fiber.Ctx) error {
	var body struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	w, secret, err := h.Webhooks.CreateWebhook(c.UserContext(), data.WebhookCreate{URL: body.URL, Events: body.Events})
	if err != nil {
		return err
	}
	j := webhookJSON(w)
	j.Secret = secret
	c.Location("/api/webhooks/" + itoa(w.ID))
	return c.Status(http.StatusCreated).JSON(j)
}

func (h *Handlers) handleWebhookList(c *fiber.Ctx) error {
	hooks, err := h.Webhooks.FindWebhooks(c.UserContext())
	if err != nil {
		return err
	}
	return sendList(c, hooks, len(hooks), maxPage, 0, nil, func(w *data.Webhook) any { return webhookJSON(w) })
}

func (h *Handlers) handleWebhookGet(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Webhook")
	if err != nil {
		return err
	}
	w, err := h.Webhooks.FindWebhookByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(webhookJSON(w))
}

func (h *Handlers) handleWebhookDelete(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Webhook")
	if err != nil {
		return err
	}
	if err := h.Webhooks.DeleteWebhook(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (h *Handlers) handleWebhookDeliveries(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Webhook")
	if err != nil {
		return err
	}
	lq, err := parseList(c, listSpec{}, defaultPage, maxPage)
	if err != nil {
		return err
	}
	ds, err := h.Webhooks.FindDeliveries(c.UserContext(), id, lq.Limit)
	if err != nil {
		return err
	}
	return sendList(c, ds, len(ds), lq.Limit, 0, nil, func(d *data.WebhookDelivery) any { return deliveryJSON(d) })
}

func (h *Handlers) handleWebhookPing(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Webhook")
	if err != nil {
		return err
	}
	d, err := h.Webhooks.Ping(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(deliveryJSON(d))
}

// webhookDeliveriesShown is how many attempts the settings page lists per endpoint.
const webhookDeliveriesShown = 3

func (h *Handlers) webhooksModel(c *fiber.Ctx) (*views.Webhooks, error) {
	list, err := h.Webhooks.FindWebhooks(c.UserContext())
	if err != nil {
		return nil, err
	}
	w := &views.Webhooks{List: list, Deliveries: map[int64][]*data.WebhookDelivery{}}
	for _, hk := range list {
		if w.Deliveries[hk.ID], err = h.Webhooks.FindDeliveries(c.UserContext(), hk.ID, webhookDeliveriesShown); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (h *Handlers) handleWebhooksPage(c *fiber.Ctx) error {
	w, err := h.webhooksModel(c)
	if err != nil {
		return err
	}
	return render(c, views.WebhooksPage(h.page(c, "Webhooks", "settings"), w))
}

// handleWebhookCreateForm adds an endpoint through the same service the API
// uses and shows its secret, once, on the page it answers.
func (h *Handlers) handleWebhookCreateForm(c *fiber.Ctx) error {
	var events []string
	for _, v := range c.Request().PostArgs().PeekMulti("events") {
		events = append(events, string(v))
	}
	url := c.FormValue("url")
	hk, secret, err := h.Webhooks.CreateWebhook(c.UserContext(), data.WebhookCreate{URL: url, Events: events})
	w, lerr := h.webhooksModel(c)
	if lerr != nil {
		return lerr
	}
	p := h.page(c, "Webhooks", "settings")
	if err != nil {
		switch data.ErrorCode(err) {
		case data.ECInvalidField, data.ECURLNotAllowed, data.ECConflict:
		default:
			return err
		}
		w.URL, w.Events, w.Error = url, events, data.ErrorMessage(err)
		if w.Events == nil {
			w.Events = []string{}
		}
		return web.Render(c, fiber.StatusUnprocessableEntity, views.WebhooksPage(p, w))
	}
	w.Created, w.Secret = hk, secret
	return web.Render(c, fiber.StatusCreated, views.WebhooksPage(p, w))
}

// handleWebhookPingForm sends a test and shows the endpoint's answer.
func (h *Handlers) handleWebhookPingForm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Webhook")
	if err != nil {
		return err
	}
	d, err := h.Webhooks.Ping(c.UserContext(), id)
	if err != nil {
		return err
	}
	w, err := h.webhooksModel(c)
	if err != nil {
		return err
	}
	w.Tested, w.Test = id, d
	return render(c, views.WebhooksPage(h.page(c, "Webhooks", "settings"), w))
}

func (h *Handlers) handleWebhookDeleteConfirm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Webhook")
	if err != nil {
		return err
	}
	hk, err := h.Webhooks.FindWebhookByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	p := h.page(c, "Delete webhook", "settings")
	return h.confirmWith(c, fiber.StatusOK, p, views.WebhookDeleteConfirm(p, hk))
}

func (h *Handlers) handleWebhookDeleteForm(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "Webhook")
	if err != nil {
		return err
	}
	if err := h.Webhooks.DeleteWebhook(c.UserContext(), id); err != nil {
		return err
	}
	toast(c, web.Toast{Message: "Webhook deleted"})
	return web.RedirectAfterPost(c, "/settings/webhooks")
}
