package handlers

import (
	"encoding/json"
	"math"
	"net/url"

	"gallerist/data"
	"gallerist/views"
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

// historyShown is how many changes the detail panel and the product page
// show, and each "Show more" adds.
const historyShown = 5

// history is the latest changes to one media item or product, older than
// the event before (0: from the newest), or nil when the principal may not
// read the log.
func (h *Handlers) history(c *fiber.Ctx, subjectType string, id, before int64) (*views.History, error) {
	if p, _ := data.PrincipalFrom(c.UserContext()); !p.Can(data.ScopeEventsRead) {
		return nil, nil
	}
	if before == 0 {
		before = math.MaxInt64
	}
	evs, err := h.Events.FindEvents(c.UserContext(), data.EventFilter{SubjectType: subjectType, SubjectID: id, BeforeID: before, Limit: historyShown + 1})
	if err != nil {
		return nil, err
	}
	hist := &views.History{Events: evs}
	if len(evs) > historyShown {
		hist.Events = evs[:historyShown]
		hist.More = withQueryString("/history", url.Values{"subject": {subjectType + ":" + itoa(id)}, "before": {itoa(evs[historyShown-1].ID)}})
	}
	return hist, nil
}

// handleHistoryPage is "Show more" of a history: the next entries for htmx,
// else a page with them.
func (h *Handlers) handleHistoryPage(c *fiber.Ctx) error {
	f, err := data.ParseEventFilter(queryValues(c))
	if err != nil {
		return err
	}
	if f.SubjectType == "" {
		return data.ParamError("subject", "Say whose history to show: subject=media:ID or product:ID.")
	}
	var before int64
	if s := c.Query("before"); s != "" {
		if before, err = data.ParseIDParam("before", s, 1); err != nil {
			return err
		}
	}
	var title, back string
	switch f.SubjectType {
	case "media":
		m, err := h.Media.FindMediaByID(c.UserContext(), f.SubjectID)
		if err != nil {
			return err
		}
		title, back = "History of "+m.Filename, "/media/"+itoa(m.ID)
	default:
		pr, err := h.Catalog.FindProductByID(c.UserContext(), f.SubjectID)
		if err != nil {
			return err
		}
		title, back = "History of "+pr.Title, "/products/"+itoa(pr.ID)
	}
	hist, err := h.history(c, f.SubjectType, f.SubjectID, before)
	if err != nil {
		return err
	}
	p := h.page(c, title, "")
	if web.WantsFragment(c) {
		return render(c, views.HistoryItems(p, hist))
	}
	return render(c, views.HistoryPage(p, title, back, hist))
}
