package storage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gallerist/data"
	"gallerist/storage/fetch"
)

// The delivery policy's defaults (WebhookService fields override them).
const (
	// DefaultWebhookAttempts is how many times an event is tried before the
	// endpoint gives up on it (the log says gave_up) and moves on.
	DefaultWebhookAttempts = 8
	// DefaultWebhookRetry is the wait after the first failure; it doubles
	// after each further one (10s, 20s, 40s … about 21 minutes in all).
	DefaultWebhookRetry = 10 * time.Second
	// maxWebhookRetry caps the wait between two attempts.
	maxWebhookRetry = time.Hour
	// DefaultWebhookPoll is how often the worker looks for new events.
	DefaultWebhookPoll = time.Second
	// webhookResponseBytes is how much of an answer the delivery log keeps.
	webhookResponseBytes = 1024
	// webhookLogRows is how many attempts the log keeps per endpoint.
	webhookLogRows = 50
	// maxWebhooks bounds an organization's endpoints.
	maxWebhooks = 20
	// maxWebhookURL bounds an endpoint's URL.
	maxWebhookURL = 2000
)

// WebhookService manages webhook endpoints and delivers the event log to
// them: each endpoint has a cursor in the log and receives, in id order,
// every event of the types it chose, one at a time; a failed delivery is
// retried with exponential backoff, and after Attempts tries the endpoint
// gives up on that event and goes on with the next.
//
// Attempts run in parallel, at most one per endpoint, and no more than the
// fetcher's post slots (fetch.Fetcher.PostSlots) in all and per
// organization: one organization's slow endpoints hold at most its share,
// and the others' deliveries go on meanwhile.
type WebhookService struct {
	db    *DB
	fetch *fetch.Fetcher
	q     deliveryQueue
	// Encode renders an event as the JSON body of a delivery (main sets it
	// to the API's shape of an event, so the feed and deliveries agree).
	Encode func(*data.Event) ([]byte, error)
	// Attempts, Retry and Poll: see the Default* constants (0: the default).
	Attempts int
	Retry    time.Duration
	Poll     time.Duration
}

// NewWebhookService returns the service; deliveries go through f, the
// SSRF-checked fetcher that URL imports use.
func NewWebhookService(db *DB, f *fetch.Fetcher) *WebhookService {
	return &WebhookService{db: db, fetch: f,
		Encode: func(ev *data.Event) ([]byte, error) { return json.Marshal(ev) }}
}

// Sign is the value of X-Gallerist-Signature for body sent at t:
// t=UNIX_SECONDS,v1=hex(HMAC-SHA256(secret, UNIX_SECONDS + "." + body)).
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// checkURL validates an endpoint's URL with the fetcher's rules.
func (s *WebhookService) checkURL(ctx context.Context, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", data.FieldError("url", "Give the endpoint's URL (http or https).")
	}
	if len(raw) > maxWebhookURL {
		return "", data.FieldError("url", "The URL is longer than %d characters.", maxWebhookURL)
	}
	if err := s.fetch.CheckURL(ctx, raw); err != nil {
		var fe *fetch.Error
		if errors.As(err, &fe) && fe.Code == fetch.CodeNotAllowed {
			return "", data.Errorf(data.ECURLNotAllowed, "%s", fe.Message).With("field", "url")
		}
		return "", data.Errorf(data.ECInvalidField, "%s", err.Error()).With("field", "url")
	}
	return raw, nil
}

// CreateWebhook adds an endpoint for the chosen event types. It receives
// the events that happen from now on. The signing secret is returned once.
func (s *WebhookService) CreateWebhook(ctx context.Context, wc data.WebhookCreate) (*data.Webhook, string, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := data.RequireScope(ctx, data.ScopeWebhooksManage, "adding a webhook"); err != nil {
		return nil, "", err
	}
	events, err := data.ValidateWebhookEvents(wc.Events)
	if err != nil {
		return nil, "", err
	}
	u, err := s.checkURL(ctx, wc.URL)
	if err != nil {
		return nil, "", err
	}
	var b [24]byte
	rand.Read(b[:])
	secret := "whsec_" + hex.EncodeToString(b[:])
	p, _ := data.PrincipalFrom(ctx)
	list, _ := json.Marshal(events)
	var w *data.Webhook
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks WHERE org_id = ?`, org).Scan(&n); err != nil {
			return err
		}
		if n >= maxWebhooks {
			return data.Errorf(data.ECConflict, "This store has %d webhooks, the most it may have; delete one first.", n)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO webhooks (org_id, url, events, secret, cursor, created_by, created_at)
			VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(id), 0) FROM events WHERE org_id = ?), ?, ?)`,
			org, u, string(list), secret, org, p.Actor, ms(s.db.Now()))
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		w, err = findWebhook(ctx, tx, org, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return w, secret, nil
}

const webhookColumns = `id, org_id, url, events, cursor, attempts, next_try_at, created_by, created_at`

func scanWebhook(row scanner) (*data.Webhook, error) {
	var w data.Webhook
	var events string
	var created, next int64
	if err := row.Scan(&w.ID, &w.OrgID, &w.URL, &events, &w.Cursor, &w.Attempts, &next, &w.CreatedBy, &created); err != nil {
		return nil, err
	}
	if w.Attempts > 0 && next > 0 {
		w.NextTryAt = fromMS(next)
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, err
	}
	w.CreatedAt = fromMS(created)
	return &w, nil
}

func findWebhook(ctx context.Context, tx *sql.Tx, org, id int64) (*data.Webhook, error) {
	w, err := scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ? AND org_id = ?`, id, org))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, data.NotFound("Webhook")
	}
	return w, err
}

// FindWebhooks lists the organization's endpoints, oldest first.
func (s *WebhookService) FindWebhooks(ctx context.Context) ([]*data.Webhook, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var out []*data.Webhook
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE org_id = ? ORDER BY id`, org)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			w, err := scanWebhook(rows)
			if err != nil {
				return err
			}
			out = append(out, w)
		}
		return rows.Err()
	})
	return out, err
}

// FindWebhookByID returns one of the organization's endpoints.
func (s *WebhookService) FindWebhookByID(ctx context.Context, id int64) (*data.Webhook, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var w *data.Webhook
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		w, err = findWebhook(ctx, tx, org, id)
		return err
	})
	return w, err
}

// DeleteWebhook removes an endpoint and its delivery log.
func (s *WebhookService) DeleteWebhook(ctx context.Context, id int64) error {
	org, err := orgID(ctx)
	if err != nil {
		return err
	}
	if err := data.RequireScope(ctx, data.ScopeWebhooksManage, "deleting a webhook"); err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ? AND org_id = ?`, id, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return data.NotFound("Webhook")
		}
		return nil
	})
}

const deliveryColumns = `id, webhook_id, event_id, event_type, attempt, outcome, status, error, response, duration_ms, next_attempt_at, created_at`

// FindDeliveries lists an endpoint's latest delivery attempts, newest first.
func (s *WebhookService) FindDeliveries(ctx context.Context, id int64, limit int) ([]*data.WebhookDelivery, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = data.DefaultPage
	}
	var out []*data.WebhookDelivery
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		if _, err := findWebhook(ctx, tx, org, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?`, id, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d data.WebhookDelivery
			var created, next int64
			if err := rows.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Attempt, &d.Outcome, &d.Status, &d.Error,
				&d.Response, &d.DurationMS, &next, &created); err != nil {
				return err
			}
			d.CreatedAt = fromMS(created)
			if next > 0 {
				d.NextAttemptAt = fromMS(next)
			}
			d.MaxAttempts = s.attempts()
			if d.EventType == data.EventPing {
				d.MaxAttempts = 1
			}
			out = append(out, &d)
		}
		return rows.Err()
	})
	return out, err
}

// Ping sends a ping event to the endpoint now (no retries) and returns the
// attempt, which the delivery log keeps like any other.
func (s *WebhookService) Ping(ctx context.Context, id int64) (*data.WebhookDelivery, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := data.RequireScope(ctx, data.ScopeWebhooksManage, "sending a test to a webhook"); err != nil {
		return nil, err
	}
	var h hook
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT id, org_id, url, secret FROM webhooks WHERE id = ? AND org_id = ?`, id, org).
			Scan(&h.id, &h.org, &h.url, &h.secret)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, data.NotFound("Webhook")
	}
	if err != nil {
		return nil, err
	}
	p, _ := data.PrincipalFrom(ctx)
	ev := &data.Event{OrgID: org, Type: data.EventPing, SubjectType: "webhook", SubjectID: id, Actor: p.Actor,
		Payload: json.RawMessage(`{}`), CreatedAt: s.db.Now()}
	deliveryID := fmt.Sprintf("%d-ping-%d", id, s.db.Now().UnixMilli())
	d, reason := s.send(ctx, h, ev, deliveryID)
	d.Attempt, d.MaxAttempts = 1, 1
	if d.Outcome != data.DeliveryDelivered {
		d.Outcome = data.DeliveryFailed
		s.logFailure(h, deliveryID, d, reason)
	}
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		return s.logDelivery(ctx, tx, d)
	})
	return d, err
}

// hook is what the worker needs of an endpoint.
type hook struct {
	id, org, cursor int64
	url, secret     string
	events          []string
	attempts        int
}

// send POSTs ev to h and describes the attempt (its outcome delivered or
// failed, before the retry policy decides). reason is d.Error without the
// endpoint's URL, which may carry a token: the one to log.
func (s *WebhookService) send(ctx context.Context, h hook, ev *data.Event, deliveryID string) (d *data.WebhookDelivery, reason string) {
	d = &data.WebhookDelivery{WebhookID: h.id, EventID: ev.ID, EventType: ev.Type, Outcome: data.DeliveryFailed}
	body, err := s.Encode(ev)
	if err != nil {
		d.Error = "the event could not be encoded"
		return d, d.Error
	}
	hdr := http.Header{
		"Content-Type":          {"application/json"},
		"X-Gallerist-Event":     {ev.Type},
		"X-Gallerist-Delivery":  {deliveryID},
		"X-Gallerist-Signature": {Sign(h.secret, s.db.Now(), body)},
	}
	res, err := s.fetch.Post(fetch.ForTenant(ctx, h.org), h.url, hdr, body, webhookResponseBytes)
	d.DurationMS = res.Duration.Milliseconds()
	d.Status = res.Status
	d.Response = validUTF8(res.Body)
	switch {
	case err != nil:
		d.Error, reason = err.Error(), "the delivery failed"
		var fe *fetch.Error
		if errors.As(err, &fe) {
			reason = strings.Replace(fe.Message, fe.URL, "the endpoint", 1)
		}
	case res.Status < 200 || res.Status > 299:
		d.Error = "the endpoint answered " + strconv.Itoa(res.Status) + " " + http.StatusText(res.Status)
		reason = d.Error
	default:
		d.Outcome = data.DeliveryDelivered
	}
	return d, reason
}

// validUTF8 is the start of an answer as text (invalid bytes replaced).
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// logDelivery records an attempt and keeps the endpoint's latest webhookLogRows.
func (s *WebhookService) logDelivery(ctx context.Context, tx *sql.Tx, d *data.WebhookDelivery) error {
	d.CreatedAt = s.db.Now()
	var next int64
	if !d.NextAttemptAt.IsZero() {
		next = ms(d.NextAttemptAt)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, attempt, outcome, status, error, response,
		duration_ms, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.WebhookID, d.EventID, d.EventType, d.Attempt, d.Outcome, d.Status, d.Error, d.Response,
		d.DurationMS, next, ms(d.CreatedAt))
	if err != nil {
		return err
	}
	d.ID, _ = res.LastInsertId()
	_, err = tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ? AND id <= (
		SELECT id FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, d.WebhookID, d.WebhookID, webhookLogRows)
	return err
}

func (s *WebhookService) attempts() int {
	if s.Attempts > 0 {
		return s.Attempts
	}
	return DefaultWebhookAttempts
}

// backoff is the wait after the n-th failed attempt (n from 1).
func (s *WebhookService) backoff(n int) time.Duration {
	d := s.Retry
	if d <= 0 {
		d = DefaultWebhookRetry
	}
	for i := 1; i < n && d < maxWebhookRetry; i++ {
		d *= 2
	}
	return min(d, maxWebhookRetry)
}

// due is an endpoint's next delivery: ev, or (ev without a type) only a
// cursor move past events of other types.
type due struct {
	h  hook
	ev *data.Event
}

// findDue lists, for every endpoint not in flight that is due (its retry
// wait is over) and has something after its cursor, in every organization,
// what to do next.
func (s *WebhookService) findDue(ctx context.Context) ([]due, error) {
	var work []due
	now := ms(s.db.Now())
	err := s.db.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, org_id, url, secret, events, cursor, attempts FROM webhooks WHERE next_try_at <= ? ORDER BY id`, now)
		if err != nil {
			return err
		}
		var hooks []hook
		for rows.Next() {
			var h hook
			var events string
			if err := rows.Scan(&h.id, &h.org, &h.url, &h.secret, &events, &h.cursor, &h.attempts); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(events), &h.events); err != nil {
				rows.Close()
				return err
			}
			if !s.q.inFlight(h.id) {
				hooks = append(hooks, h)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, h := range hooks {
			list, _ := json.Marshal(h.events)
			ev, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE org_id = ? AND id > ?
				AND type IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT 1`, h.org, h.cursor, string(list)))
			if errors.Is(err, sql.ErrNoRows) {
				// Nothing of its types: skip what this snapshot has (later
				// events get greater ids).
				var end int64
				if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM events WHERE org_id = ?`, h.org).Scan(&end); err != nil {
					return err
				}
				if end > h.cursor {
					work = append(work, due{h: h, ev: &data.Event{ID: end}})
				}
				continue
			}
			if err != nil {
				return err
			}
			work = append(work, due{h: h, ev: ev})
		}
		return nil
	})
	return work, err
}

// deliveryQueue tracks the attempts in flight: at most one per endpoint (so
// its events stay in order), and at most the fetcher's post slots in all
// and per organization, so attempts never queue for a slot (where the wait
// would count towards their timeout) and one organization cannot hold every
// slot.
type deliveryQueue struct {
	mu      sync.Mutex
	busy    map[int64]bool // endpoint ids
	orgs    map[int64]int  // attempts in flight per organization
	n       int
	changed chan struct{} // closed (and replaced) when an attempt ends
}

func (q *deliveryQueue) inFlight(hookID int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.busy[hookID]
}

// ended is closed when an attempt in flight now ends.
func (q *deliveryQueue) ended() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.changed == nil {
		q.changed = make(chan struct{})
	}
	return q.changed
}

// take marks h in flight if its endpoint, its organization and the total
// have room.
func (q *deliveryQueue) take(h hook, total, perOrg int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.busy[h.id] || q.n >= total || q.orgs[h.org] >= perOrg {
		return false
	}
	if q.busy == nil {
		q.busy, q.orgs = map[int64]bool{}, map[int64]int{}
	}
	q.busy[h.id] = true
	q.orgs[h.org]++
	q.n++
	return true
}

func (q *deliveryQueue) done(h hook) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.busy, h.id)
	if q.orgs[h.org]--; q.orgs[h.org] <= 0 {
		delete(q.orgs, h.org)
	}
	q.n--
	if q.changed != nil {
		close(q.changed)
		q.changed = nil
	}
}

// start runs w's attempt on its own goroutine if the queue has room for it,
// calling report with its outcome when it ends. Cursor moves run at once.
func (s *WebhookService) start(ctx context.Context, w due, wg *sync.WaitGroup, report func(int, error)) bool {
	if w.ev.Type == "" {
		report(s.attempt(ctx, w.h, w.ev))
		return true
	}
	total, perOrg := s.fetch.PostSlots()
	if !s.q.take(w.h, total, perOrg) {
		return false
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer s.q.done(w.h)
		report(s.attempt(ctx, w.h, w.ev))
	}()
	return true
}

// DeliverDue makes one delivery attempt for every endpoint that is due
// (its retry wait is over) and has an event of its types after its cursor,
// in every organization, waits for them, and reports how many attempts it
// made. Endpoints with nothing to send move their cursor to the end of the
// log.
func (s *WebhookService) DeliverDue(ctx context.Context) (int, error) {
	work, err := s.findDue(ctx)
	if err != nil {
		return 0, err
	}
	var (
		mu       sync.Mutex
		sent     int
		firstErr error
		wg       sync.WaitGroup
	)
	report := func(n int, err error) {
		mu.Lock()
		defer mu.Unlock()
		sent += n
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for len(work) > 0 && ctx.Err() == nil {
		ended := s.q.ended()
		var waiting []due
		for _, w := range work {
			if !s.start(ctx, w, &wg, report) {
				waiting = append(waiting, w)
			}
		}
		if work = waiting; len(work) > 0 {
			select {
			case <-ended:
			case <-ctx.Done():
			}
		}
	}
	wg.Wait()
	return sent, firstErr
}

// logFailure logs a failed attempt: which delivery, and what happens next.
// Neither the secret nor the body is logged, nor the URL (it may carry a
// token): the endpoint's id says which it is.
func (s *WebhookService) logFailure(h hook, deliveryID string, d *data.WebhookDelivery, reason string) {
	args := []any{"org", h.org, "webhook", h.id, "delivery", deliveryID, "event_type", d.EventType,
		"attempt", d.Attempt, "max_attempts", d.MaxAttempts}
	if d.Status != 0 {
		args = append(args, "status", d.Status)
	}
	if reason != "" {
		args = append(args, "error", reason)
	}
	switch {
	case !d.NextAttemptAt.IsZero():
		args = append(args, "next_attempt_at", d.NextAttemptAt.UTC().Format(time.RFC3339))
	case d.Outcome == data.DeliveryGaveUp:
		args = append(args, "next", "gave up on this event; going on with the next")
	default:
		args = append(args, "next", "not retried (a test)")
	}
	s.db.Log.Warn("webhook delivery failed", args...)
}

// attempt delivers ev to h once and records the outcome, moving the
// endpoint's cursor, or (for ev without a type) only moves the cursor past
// events of other types. It reports whether it made an attempt.
func (s *WebhookService) attempt(ctx context.Context, h hook, ev *data.Event) (int, error) {
	if ev.Type == "" {
		return 0, s.db.update(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE webhooks SET cursor = ? WHERE id = ? AND cursor = ?`, ev.ID, h.id, h.cursor)
			return err
		})
	}
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	deliveryID := fmt.Sprintf("%d-%d", h.id, ev.ID)
	d, reason := s.send(ctx, h, ev, deliveryID)
	if ctx.Err() != nil {
		return 0, ctx.Err() // stopping: this attempt does not count
	}
	d.Attempt, d.MaxAttempts = h.attempts+1, s.attempts()
	cursor, attempts, next := ev.ID, 0, int64(0)
	if d.Outcome != data.DeliveryDelivered {
		if d.Attempt >= s.attempts() {
			d.Outcome = data.DeliveryGaveUp
		} else {
			d.NextAttemptAt = s.db.Now().Add(s.backoff(d.Attempt))
			cursor, attempts, next = h.cursor, d.Attempt, ms(d.NextAttemptAt)
		}
		s.logFailure(h, deliveryID, d, reason)
	}
	return 1, s.db.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET cursor = ?, attempts = ?, next_try_at = ? WHERE id = ? AND cursor = ?`,
			cursor, attempts, next, h.id, h.cursor)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // deleted meanwhile
		}
		return s.logDelivery(ctx, tx, d)
	})
}

// Run delivers until ctx ends: it starts an attempt for every endpoint
// that is due as soon as the queue has room (an attempt that ends makes
// room, and its endpoint may have the next event), and otherwise looks again
// at the poll interval. Slow endpoints do not hold up the others' next
// events. A failing look is logged and retried at the next poll; it never
// stops the worker. Run returns once the attempts in flight have ended.
func (s *WebhookService) Run(ctx context.Context) {
	poll := s.Poll
	if poll <= 0 {
		poll = DefaultWebhookPoll
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	report := func(_ int, err error) {
		if err != nil && ctx.Err() == nil {
			s.db.Log.Error("webhook deliveries", "err", err)
		}
	}
	for {
		ended := s.q.ended()
		work, err := s.findDue(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.db.Log.Error("webhook deliveries", "err", err)
		}
		for _, w := range work {
			s.start(ctx, w, &wg, report)
		}
		select {
		case <-ctx.Done():
			return
		case <-ended:
		case <-t.C:
		}
	}
}
