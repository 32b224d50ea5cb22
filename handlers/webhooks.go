package handlers

import (
	"net/http"

	"gallerist/data"
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
	CreatedBy   string   `json:"created_by"`
	CreatedAt   string   `json:"created_at"`
	Secret      string   `json:"secret,omitempty"`
}

// DeliveryJSON is one attempt to deliver an event to an endpoint.
type DeliveryJSON struct {
	ID         int64  `json:"id"`
	EventID    int64  `json:"event_id"`
	EventType  string `json:"event_type"`
	Attempt    int    `json:"attempt"`
	Outcome    string `json:"outcome"`
	Status     int    `json:"status"`
	Error      string `json:"error"`
	Response   string `json:"response"`
	DurationMS int64  `json:"duration_ms"`
	CreatedAt  string `json:"created_at"`
}

func webhookJSON(w *data.Webhook) WebhookJSON {
	return WebhookJSON{ID: w.ID, URL: w.URL, Events: w.Events, LastEventID: w.Cursor, Retrying: w.Attempts,
		CreatedBy: w.CreatedBy, CreatedAt: web.FormatTime(w.CreatedAt)}
}

func deliveryJSON(d *data.WebhookDelivery) DeliveryJSON {
	return DeliveryJSON{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt, Outcome: d.Outcome,
		Status: d.Status, Error: d.Error, Response: d.Response, DurationMS: d.DurationMS, CreatedAt: web.FormatTime(d.CreatedAt)}
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
