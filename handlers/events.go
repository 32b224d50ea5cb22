package handlers

import (
	"encoding/json"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// EventJSON is one change in the log, as GET /api/events lists it and as a
// webhook delivery carries it.
type EventJSON struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	Subject   EventSubject    `json:"subject"`
	Actor     string          `json:"actor"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// EventSubject is what an event is about.
type EventSubject struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// EventFeed is a page of the sync feed: page on with since_id=next_since_id
// while has_more is true; at the end, poll again with the same cursor.
type EventFeed struct {
	Data        []EventJSON `json:"data"`
	Limit       int         `json:"limit"`
	HasMore     bool        `json:"has_more"`
	NextSinceID int64       `json:"next_since_id"`
}

// NewEventJSON is ev as the API shows it.
func NewEventJSON(ev *data.Event) EventJSON {
	return EventJSON{ID: ev.ID, Type: ev.Type, Subject: EventSubject{Type: ev.SubjectType, ID: ev.SubjectID},
		Actor: ev.Actor, CreatedAt: web.FormatTime(ev.CreatedAt), Data: ev.Payload}
}

var eventListParams = []string{"since_id", "limit", "type", "subject"}

func (h *Handlers) handleEventList(c *fiber.Ctx) error {
	f, err := data.ParseEventFilter(queryValues(c))
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = defaultPage
	}
	limit := f.Limit
	f.Limit++ // one more says whether there is a next page
	evs, err := h.Events.FindEvents(c.UserContext(), f)
	if err != nil {
		return err
	}
	feed := EventFeed{Data: []EventJSON{}, Limit: limit, NextSinceID: f.SinceID}
	if len(evs) > limit {
		evs, feed.HasMore = evs[:limit], true
	}
	for _, ev := range evs {
		feed.Data = append(feed.Data, NewEventJSON(ev))
		feed.NextSinceID = ev.ID
	}
	return c.JSON(feed)
}
