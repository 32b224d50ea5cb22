package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gallerist/data"
)

// receiver is a webhook endpoint on 127.0.0.2 (the address the tests'
// fetch allow-list lets through) that records what it gets and answers the
// statuses it is told, in turn (the last one from then on).
type receiver struct {
	url string
	mu  sync.Mutex
	got []received
	// answers are the statuses to answer, in turn; the last repeats.
	answers []int
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	t.Helper()
	if len(answers) == 0 {
		answers = []int{200}
	}
	r := &receiver{answers: answers}
	r.url = origin(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: b})
		status := r.answers[min(len(r.got), len(r.answers))-1]
		r.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", status)
	})) + "/hook"
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// verifySignature checks X-Gallerist-Signature as a receiver would.
func verifySignature(secret string, header http.Header, body []byte) (time.Time, bool) {
	var ts, sig string
	for _, part := range strings.Split(header.Get("X-Gallerist-Signature"), ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(mac.Sum(nil))
	var sec int64
	fmt.Sscan(ts, &sec)
	return time.Unix(sec, 0), ts != "" && hmac.Equal([]byte(sig), []byte(want))
}

// createHook adds a webhook through the API and returns its id and secret.
func (e *testEnv) createHook(t testing.TB, tok, url string, events ...string) (int64, string) {
	t.Helper()
	r := e.sendJSON(t, "POST", "/api/webhooks", tok, map[string]any{"url": url, "events": events})
	if r.Status != 201 {
		t.Fatalf("create webhook: %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	if r.Header.Get("Location") != fmt.Sprintf("/api/webhooks/%d", idOf(m)) {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	return idOf(m), m["secret"].(string)
}

// deliver runs one round of the delivery worker and returns the attempts made.
func (e *testEnv) deliver(t testing.TB) int {
	t.Helper()
	n, err := e.app.webhooks.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// deliveries lists a webhook's delivery log, newest first, as "outcome status attempt".
func (e *testEnv) deliveries(t testing.TB, tok string, id int64) ([]string, []map[string]any) {
	t.Helper()
	r := e.getJSON(t, fmt.Sprintf("/api/webhooks/%d/deliveries", id), tok)
	if r.Status != 200 {
		t.Fatalf("deliveries: %d %s", r.Status, r.Body)
	}
	var lines []string
	var rows []map[string]any
	for _, v := range r.json(t)["data"].([]any) {
		d := v.(map[string]any)
		lines = append(lines, fmt.Sprintf("%s %v %v", d["outcome"], d["status"], d["attempt"]))
		rows = append(rows, d)
	}
	return lines, rows
}

// TestWebhookDelivery: an endpoint receives the events of its types, signed
// so the receiver can verify them, with the event's type and a delivery id,
// and the body is the event as the feed shows it.
func TestWebhookDelivery(t *testing.T) {
	e := newTestEnv(t, allowOnly127002)
	clock := e.useClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	tok := e.token(t, 0)
	rcv := newReceiver(t)
	id, secret := e.createHook(t, tok, rcv.url, data.EventMediaCreated, data.EventMediaUpdated)
	if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
		t.Fatalf("secret %q", secret)
	}
	list := e.getJSON(t, "/api/webhooks", tok)
	if strings.Contains(string(list.Body), secret) || len(list.json(t)["data"].([]any)) != 1 {
		t.Fatalf("list shows the secret or not the hook: %s", list.Body)
	}
	if n := e.deliver(t); n != 0 {
		t.Fatalf("%d attempts before any event", n)
	}

	m := idOf(e.uploadOK(t, tok, "a.jpg", readFile(t, goImageTestdata("video-001.q50.420.jpeg"))))
	e.createProduct(t, tok, "Mug") // not subscribed: skipped
	if r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", m), tok, map[string]any{"alt": "A mug"}); r.Status != 200 {
		t.Fatalf("patch: %d", r.Status)
	}
	for e.deliver(t) > 0 {
	}
	got := rcv.requests()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(got))
	}
	feed := e.getJSON(t, "/api/events?type=media.created,media.updated", tok).json(t)["data"].([]any)
	for i, req := range got {
		at, ok := verifySignature(secret, req.header, req.body)
		if !ok || !at.Equal(clock.Now().Truncate(time.Second)) {
			t.Fatalf("request %d: signature %q does not verify (at %v)", i, req.header.Get("X-Gallerist-Signature"), at)
		}
		if _, ok := verifySignature("whsec_wrong", req.header, req.body); ok {
			t.Fatal("a wrong secret verifies")
		}
		want, _ := json.Marshal(feed[i])
		var body any
		json.Unmarshal(req.body, &body)
		gotJSON, _ := json.Marshal(body)
		if string(gotJSON) != string(want) {
			t.Fatalf("request %d body %s, want the feed's %s", i, req.body, want)
		}
		ev := feed[i].(map[string]any)
		if req.header.Get("X-Gallerist-Event") != ev["type"] || req.header.Get("X-Gallerist-Delivery") != fmt.Sprintf("%d-%v", id, ev["id"]) ||
			req.header.Get("Content-Type") != "application/json" {
			t.Fatalf("request %d headers %v", i, req.header)
		}
	}
	lines, rows := e.deliveries(t, tok, id)
	if strings.Join(lines, "; ") != "delivered 200 1; delivered 200 1" || rows[0]["response"] != "answer 200" {
		t.Fatalf("delivery log %q %v", lines, rows)
	}
	hook := e.getJSON(t, fmt.Sprintf("/api/webhooks/%d", id), tok).json(t)
	if hook["last_event_id"].(float64) < feed[1].(map[string]any)["id"].(float64) {
		t.Fatalf("cursor %v behind the delivered events", hook["last_event_id"])
	}

	t.Run("Ping", func(t *testing.T) {
		r := e.sendJSON(t, "POST", fmt.Sprintf("/api/webhooks/%d/ping", id), tok, nil)
		if r.Status != 200 || r.json(t)["outcome"] != "delivered" || r.json(t)["event_type"] != "ping" {
			t.Fatalf("ping: %d %s", r.Status, r.Body)
		}
		last := rcv.requests()[len(rcv.requests())-1]
		if _, ok := verifySignature(secret, last.header, last.body); !ok || last.header.Get("X-Gallerist-Event") != "ping" {
			t.Fatalf("ping request %v %s", last.header, last.body)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/webhooks/%d", id), tok, nil, ""); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		before := len(rcv.requests())
		e.uploadOK(t, tok, "b.png", readFile(t, goImageTestdata("video-001.png")))
		if n := e.deliver(t); n != 0 || len(rcv.requests()) != before {
			t.Fatalf("a deleted hook got %d deliveries", n)
		}
		if r := e.getJSON(t, fmt.Sprintf("/api/webhooks/%d", id), tok); r.Status != 404 {
			t.Fatalf("get deleted: %d", r.Status)
		}
	})
}

// TestWebhookRetries: a 500 is retried after the backoff (not before), and
// success ends the retries; an endpoint that keeps failing is given up on
// after the last attempt, and the next event is delivered.
func TestWebhookRetries(t *testing.T) {
	e := newTestEnv(t, allowOnly127002)
	clock := e.useClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	e.app.webhooks.Attempts, e.app.webhooks.Retry = 3, 10*time.Second
	tok := e.token(t, 0)
	jpg := readFile(t, goImageTestdata("video-001.q50.420.jpeg"))

	t.Run("SucceedsAfter500s", func(t *testing.T) {
		rcv := newReceiver(t, 500, 500, 200)
		id, _ := e.createHook(t, tok, rcv.url, data.EventMediaCreated)
		m := idOf(e.uploadOK(t, tok, "a.jpg", jpg))
		if n := e.deliver(t); n != 1 {
			t.Fatalf("first round: %d attempts", n)
		}
		if n := e.deliver(t); n != 0 {
			t.Fatalf("retried before the backoff: %d attempts", n)
		}
		clock.Advance(10 * time.Second)
		e.deliver(t)
		clock.Advance(19 * time.Second)
		if n := e.deliver(t); n != 0 {
			t.Fatalf("the second wait did not double: %d attempts", n)
		}
		clock.Advance(time.Second)
		e.deliver(t)
		lines, rows := e.deliveries(t, tok, id)
		if strings.Join(lines, "; ") != "delivered 200 3; failed 500 2; failed 500 1" || rows[1]["response"] != "answer 500" ||
			rows[1]["error"] != "the endpoint answered 500 Internal Server Error" || rows[0]["event_id"] != rows[2]["event_id"] {
			t.Fatalf("delivery log %q %v", lines, rows)
		}
		reqs := rcv.requests()
		if len(reqs) != 3 || reqs[0].header.Get("X-Gallerist-Delivery") != reqs[2].header.Get("X-Gallerist-Delivery") {
			t.Fatalf("%d requests; the delivery id must stay across retries", len(reqs))
		}
		var body map[string]any
		json.Unmarshal(reqs[2].body, &body)
		if body["subject"].(map[string]any)["id"].(float64) != float64(m) {
			t.Fatalf("body %s", reqs[2].body)
		}
		e.do(t, "DELETE", fmt.Sprintf("/api/webhooks/%d", id), tok, nil, "")
	})
	t.Run("GivesUp", func(t *testing.T) {
		rcv := newReceiver(t, 500)
		id, _ := e.createHook(t, tok, rcv.url, data.EventMediaCreated, data.EventMediaTrashed)
		m := idOf(e.uploadOK(t, tok, "b.png", readFile(t, goImageTestdata("video-001.png"))))
		for range 3 {
			e.deliver(t)
			clock.Advance(time.Hour)
		}
		rcv.mu.Lock()
		rcv.answers = []int{204}
		rcv.mu.Unlock()
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", m), tok, nil, ""); r.Status != 204 {
			t.Fatalf("delete: %d", r.Status)
		}
		for e.deliver(t) > 0 {
		}
		lines, _ := e.deliveries(t, tok, id)
		if strings.Join(lines, "; ") != "delivered 204 1; gave_up 500 3; failed 500 2; failed 500 1" {
			t.Fatalf("delivery log %q", lines)
		}
		if last := rcv.requests()[len(rcv.requests())-1]; last.header.Get("X-Gallerist-Event") != "media.trashed" {
			t.Fatalf("after giving up, got %s", last.header.Get("X-Gallerist-Event"))
		}
	})
}

// TestWebhookRefusesPrivateAddresses: a URL to a private address is
// refused when the webhook is added (422 url_not_allowed, nothing stored),
// and at delivery (where a stored one is never connected to).
func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	e := newTestEnv(t, allowOnly127002)
	tok := e.token(t, 0)
	var hits atomic.Int64
	canary := origin(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	for _, u := range []string{canary + "/hook", "http://10.1.2.3/hook", "http://[::1]:8080/", "http://localhost/", "ftp://127.0.0.2/", "not a url"} {
		r := e.sendJSON(t, "POST", "/api/webhooks", tok, map[string]any{"url": u, "events": []string{"media.created"}})
		if r.Status != 422 || r.errCode(t) != "url_not_allowed" || errField(t, r) != "url" {
			t.Errorf("%s: %d %s", u, r.Status, r.Body)
		}
	}
	for _, body := range []map[string]any{
		{"url": newReceiver(t).url, "events": []string{}},
		{"url": newReceiver(t).url, "events": []string{"media.exploded"}},
		{"url": "", "events": []string{"media.created"}},
	} {
		if r := e.sendJSON(t, "POST", "/api/webhooks", tok, body); r.Status != 422 {
			t.Errorf("%v: %d %s", body, r.Status, r.Body)
		}
	}
	var n int
	e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM webhooks`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d webhooks stored from refused requests", n)
	}
	msg := e.sendJSON(t, "POST", "/api/webhooks", tok, map[string]any{"url": canary + "/hook", "events": []string{"media.created"}}).json(t)["error"].(map[string]any)["message"]
	if msg != "Cannot deliver to "+canary+"/hook: it does not lead to a public internet address." {
		t.Fatalf("message %q", msg)
	}

	// A stored URL (allowed when it was added, say) is checked again at delivery.
	if err := e.app.db.ExecForTest(`INSERT INTO webhooks (org_id, url, events, secret, cursor, created_by, created_at)
		VALUES (?, ?, '["media.created"]', 'secret', 0, 'test', 0)`, e.app.defOrg.ID, canary+"/hook"); err != nil {
		t.Fatal(err)
	}
	e.uploadOK(t, tok, "a.jpg", readFile(t, goImageTestdata("video-001.q50.420.jpeg")))
	e.deliver(t)
	var id int64
	e.app.db.QueryRowForTest(`SELECT MAX(id) FROM webhooks`).Scan(&id)
	_, rows := e.deliveries(t, tok, id)
	if len(rows) != 1 || rows[0]["status"] != 0.0 || !strings.Contains(rows[0]["error"].(string), "does not lead to a public internet address") || hits.Load() != 0 {
		t.Fatalf("delivery to a private address: %v (canary hits %d)", rows, hits.Load())
	}
}

// TestWebhookAccess: webhooks:manage is needed (owners have it, editors do
// not), and one organization's webhooks are invisible to another.
func TestWebhookAccess(t *testing.T) {
	e := newTestEnv(t, allowOnly127002)
	tok := e.token(t, 0)
	id, _ := e.createHook(t, tok, newReceiver(t).url, data.EventMediaCreated)
	if !slices.Contains(data.RoleOwner.Scopes(), data.ScopeWebhooksManage) || slices.Contains(data.RoleEditor.Scopes(), data.ScopeWebhooksManage) {
		t.Fatal("webhooks:manage should be the owners'")
	}
	noHooks := e.tokenWithout(t, data.ScopeWebhooksManage)
	for _, path := range []string{"/api/webhooks", fmt.Sprintf("/api/webhooks/%d", id), fmt.Sprintf("/api/webhooks/%d/deliveries", id)} {
		if r := e.getJSON(t, path, noHooks); r.Status != 403 || r.errCode(t) != "missing_scope" {
			t.Errorf("%s without the scope: %d", path, r.Status)
		}
	}
	other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
	if err != nil {
		t.Fatal(err)
	}
	otok := e.token(t, other.ID)
	if r := e.getJSON(t, "/api/webhooks", otok); len(r.json(t)["data"].([]any)) != 0 {
		t.Fatalf("org b lists org a's webhooks: %s", r.Body)
	}
	for _, req := range [][2]string{{"GET", fmt.Sprintf("/api/webhooks/%d", id)}, {"GET", fmt.Sprintf("/api/webhooks/%d/deliveries", id)},
		{"POST", fmt.Sprintf("/api/webhooks/%d/ping", id)}, {"DELETE", fmt.Sprintf("/api/webhooks/%d", id)}} {
		if r := e.do(t, req[0], req[1], otok, nil, ""); r.Status != 404 {
			t.Errorf("org b %s %s: %d", req[0], req[1], r.Status)
		}
	}
}

// TestWebhookWorker: the worker serve starts delivers on its own and stops
// when told, also while an endpoint hangs.
func TestWebhookWorker(t *testing.T) {
	e := newTestEnv(t, allowOnly127002)
	e.app.webhooks.Poll = 20 * time.Millisecond
	tok := e.token(t, 0)
	rcv := newReceiver(t)
	e.createHook(t, tok, rcv.url, data.EventProductCreated)
	stop := startWebhooks(context.Background(), e.app)
	e.createProduct(t, tok, "Mug")
	deadline := time.Now().Add(10 * time.Second)
	for len(rcv.requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker delivered nothing in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	hang := make(chan struct{})
	slow := origin(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer close(hang)
	e.createHook(t, tok, slow+"/hook", data.EventProductCreated)
	e.createProduct(t, tok, "Cup")
	time.Sleep(50 * time.Millisecond) // let the worker start the hanging attempt
	stop()
	stop() // twice is fine
}

// TestServeDeliversWebhooks: the real binary's serve runs the delivery
// worker (through --fetch-allow, like imports) and stops cleanly with it.
func TestServeDeliversWebhooks(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	out, err := exec.Command(bin, "token", "create", "--data", dir, "--name", "hooks",
		"--scopes", "media:read,media:create,events:read,webhooks:manage").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	s := &server{bin: bin, dir: dir, token: lines[len(lines)-1], args: []string{"--fetch-allow", "127.0.0.2/32"}, log: &syncBuffer{}}
	s.start(t)
	t.Cleanup(s.stop)
	rcv := newReceiver(t)
	st, body := s.request(t, "POST", "/api/webhooks", strings.NewReader(`{"url": "`+rcv.url+`", "events": ["media.created"]}`), "application/json")
	if st != 201 {
		t.Fatalf("create webhook: %d %s", st, body)
	}
	var hook struct{ Secret string }
	json.Unmarshal(body, &hook)
	id := s.upload(t, "a.jpg", readFile(t, goImageTestdata("video-001.q50.420.jpeg")))
	deadline := time.Now().Add(15 * time.Second)
	for len(rcv.requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no delivery in 15s; server log:\n%s", s.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := rcv.requests()[0]
	var ev map[string]any
	json.Unmarshal(got.body, &ev)
	if _, ok := verifySignature(hook.Secret, got.header, got.body); !ok || ev["type"] != "media.created" || ev["subject"].(map[string]any)["id"] != id {
		t.Fatalf("delivery %v %s", got.header, got.body)
	}
	s.stop()
	if code := s.cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(s.log.String(), "stopped") {
		t.Fatalf("exit %d; log:\n%s", code, s.log)
	}
}

// TestWebhookSlowEndpointDoesNotBlockOthers: while one endpoint hangs, the
// others of the same round are delivered to.
func TestWebhookSlowEndpointDoesNotBlockOthers(t *testing.T) {
	e := newTestEnv(t, allowOnly127002)
	tok := e.token(t, 0)
	hang := make(chan struct{})
	var hung atomic.Int64
	slow := origin(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung.Add(1)
		<-hang
	}))
	defer close(hang)
	e.createHook(t, tok, slow+"/hook", data.EventProductCreated)
	fast := newReceiver(t)
	e.createHook(t, tok, fast.url, data.EventProductCreated)
	e.createProduct(t, tok, "Mug")
	done := make(chan int)
	go func() {
		n, _ := e.app.webhooks.DeliverDue(context.Background())
		done <- n
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(fast.requests()) == 0 || hung.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("fast endpoint got %d requests while the slow one hung (%d)", len(fast.requests()), hung.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := <-done; n != 2 { // the slow one times out (--fetch-timeout) and counts as a failed attempt
		t.Fatalf("%d attempts in the round, want 2", n)
	}
}

// slowEndpoints is an origin on 127.0.0.2 that answers no request until the
// test ends (or the sender gives up); it counts the requests that arrived
// and those that ended.
type slowEndpoints struct {
	url            string
	arrived, ended atomic.Int64
	hang           chan struct{}
}

func newSlowEndpoints(t *testing.T) *slowEndpoints {
	t.Helper()
	s := &slowEndpoints{hang: make(chan struct{})}
	s.url = origin(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.arrived.Add(1)
		defer s.ended.Add(1)
		select {
		case <-s.hang:
		case <-r.Context().Done():
		}
	}))
	return s
}

// waitUntil polls cond (a generous bound, not a timing assertion).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// twoStores is a server whose default organization (A) has five webhooks on
// endpoints that hang (within a timeout longer than any test), already
// being delivered to by the running worker, and a second organization (B)
// with a token. release ends the hanging (also done at cleanup).
func twoStores(t *testing.T) (e *testEnv, slow *slowEndpoints, theirs string, release func()) {
	t.Helper()
	e = newTestEnv(t, func(c *config) {
		allowOnly127002(c)
		c.fetch.Timeout = 10 * time.Minute
	})
	e.app.webhooks.Poll = 20 * time.Millisecond
	mine := e.token(t, 0)
	slow = newSlowEndpoints(t)
	for i := range 5 {
		e.createHook(t, mine, fmt.Sprintf("%s/hook-%d", slow.url, i), data.EventProductCreated)
	}
	other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
	if err != nil {
		t.Fatal(err)
	}
	theirs = e.token(t, other.ID)
	stop := startWebhooks(context.Background(), e.app)
	release = sync.OnceFunc(func() { close(slow.hang) })
	t.Cleanup(func() {
		release()
		stop()
	})
	e.createProduct(t, mine, "Mug")
	waitUntil(t, "store A's deliveries to hang", func() bool { return slow.arrived.Load() >= 2 })
	return e, slow, theirs, release
}

// TestWebhooksAreFairAcrossStores: one organization's hanging endpoints hold
// at most its share of the delivery slots, so another organization's
// delivery, of an event that happened after they started hanging, arrives
// before any of them ends (issue 16: it waited 27 s for them).
func TestWebhooksAreFairAcrossStores(t *testing.T) {
	e, slow, theirs, _ := twoStores(t)
	var endedAtArrival atomic.Int64
	endedAtArrival.Store(-1)
	fast := origin(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		endedAtArrival.CompareAndSwap(-1, slow.ended.Load())
	}))
	e.createHook(t, theirs, fast+"/hook", data.EventProductCreated)
	e.createProduct(t, theirs, "Cup")
	waitUntil(t, "store B's delivery", func() bool { return endedAtArrival.Load() >= 0 })
	if n := endedAtArrival.Load(); n != 0 {
		t.Fatalf("store B's delivery arrived after %d of store A's hanging ones ended", n)
	}
	_, perOrg := e.app.media.Fetcher.PostSlots()
	if n := slow.arrived.Load(); n != int64(perOrg) {
		t.Fatalf("store A had %d deliveries in flight, want its share, %d", n, perOrg)
	}
}

// TestURLImportWhileWebhooksHang: hanging webhook endpoints take no
// download slot: another organization's URL import, and the same
// organization's, go through before any of them ends (issue 16: 8 s).
func TestURLImportWhileWebhooksHang(t *testing.T) {
	e, slow, theirs, release := twoStores(t)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	base := origin(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(jpg)
	}))
	for _, tok := range []string{theirs, e.token(t, 0)} {
		// On its own goroutine: where the import waits for the hanging
		// deliveries, the test ends it (by releasing them) and fails.
		done := make(chan string, 1)
		go func() {
			req := httptest.NewRequest("POST", "/api/media", strings.NewReader(`{"urls": ["`+base+`/quick.jpg"]}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := e.srv.App.Test(req, -1)
			if err != nil {
				done <- err.Error()
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			done <- fmt.Sprintf("%d %s", res.StatusCode, b)
		}()
		select {
		case got := <-done:
			if !strings.HasPrefix(got, "201 ") {
				t.Fatalf("import: %s", got)
			}
		case <-time.After(30 * time.Second):
			release()
			<-done
			t.Fatal("the import waited 30s for the hanging deliveries")
		}
	}
	if n := slow.ended.Load(); n != 0 {
		t.Fatalf("the imports went through only after %d hanging deliveries ended", n)
	}
}

// TestWebhookFailuresAreLoggedAndShown: each failed attempt is logged
// (organization, endpoint, delivery, attempt, status or error, next
// attempt; never the secret, the body or the URL's token), and the delivery
// log (API and Settings › Webhooks) says which attempt it was, when the next
// one is, and that a timeout timed out.
func TestWebhookFailuresAreLoggedAndShown(t *testing.T) {
	e := newTestEnv(t, func(c *config) {
		allowOnly127002(c)
		c.fetch.Timeout = 500 * time.Millisecond
	})
	clock := e.useClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	logs := &syncBuffer{}
	e.app.db.Log = slog.New(slog.NewJSONHandler(logs, nil))
	e.app.webhooks.Attempts = 2
	tok := e.token(t, 0)
	rcv := newReceiver(t, 500)
	id, secret := e.createHook(t, tok, rcv.url+"?token=urltoken123", data.EventProductCreated)
	e.createProduct(t, tok, "Secret Mug Title")
	e.deliver(t)

	type logLine struct {
		Msg, Delivery, Error, Next string
		Org, Webhook, Attempt      int64
		MaxAttempts                int64  `json:"max_attempts"`
		Status                     int64  `json:"status"`
		NextAttemptAt              string `json:"next_attempt_at"`
	}
	failures := func() []logLine {
		var out []logLine
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var ll logLine
			if json.Unmarshal([]byte(l), &ll) == nil && ll.Msg == "webhook delivery failed" {
				out = append(out, ll)
			}
		}
		return out
	}
	evID := e.getJSON(t, "/api/events?type=product.created", tok).json(t)["data"].([]any)[0].(map[string]any)["id"]
	got := failures()
	want := logLine{Msg: "webhook delivery failed", Delivery: fmt.Sprintf("%d-%v", id, evID), Error: "the endpoint answered 500 Internal Server Error",
		Org: e.app.defOrg.ID, Webhook: id, Attempt: 1, MaxAttempts: 2, Status: 500, NextAttemptAt: "2026-05-01T12:00:10Z"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("logged %+v, want %+v; log:\n%s", got, want, logs)
	}
	_, rows := e.deliveries(t, tok, id)
	if rows[0]["attempt"] != 1.0 || rows[0]["max_attempts"] != 2.0 || rows[0]["next_attempt_at"] != "2026-05-01T12:00:10.000Z" {
		t.Fatalf("delivery %v", rows[0])
	}
	if hook := e.getJSON(t, fmt.Sprintf("/api/webhooks/%d", id), tok).json(t); hook["next_attempt_at"] != "2026-05-01T12:00:10.000Z" {
		t.Fatalf("webhook %v", hook)
	}
	c := loggedInClient(t, e)
	if _, page := c.get(t, "/settings/webhooks"); !strings.Contains(page, "attempt 1 of 2") ||
		!strings.Contains(page, "Next attempt 1 May 2026, 12:00:10 UTC; later events wait for it.") {
		t.Fatalf("settings page does not show the attempt and the next one:\n%s", page)
	}

	clock.Advance(10 * time.Second)
	e.deliver(t)
	got = failures()
	if len(got) != 2 || got[1].Attempt != 2 || got[1].NextAttemptAt != "" || !strings.Contains(got[1].Next, "gave up") {
		t.Fatalf("logged %+v", got)
	}
	if _, rows := e.deliveries(t, tok, id); rows[0]["outcome"] != "gave_up" || rows[0]["next_attempt_at"] != nil {
		t.Fatalf("delivery %v", rows[0])
	}

	t.Run("TimedOut", func(t *testing.T) {
		slow := newSlowEndpoints(t)
		defer close(slow.hang)
		hid, _ := e.createHook(t, tok, slow.url+"/hook", data.EventProductCreated)
		e.createProduct(t, tok, "Cup")
		e.deliver(t)
		_, rows := e.deliveries(t, tok, hid)
		if msg := "Could not deliver to " + slow.url + "/hook: timed out after 500ms."; len(rows) != 1 || rows[0]["error"] != msg || rows[0]["status"] != 0.0 {
			t.Fatalf("delivery %v", rows)
		}
		if l := failures(); l[len(l)-1].Error != "Could not deliver to the endpoint: timed out after 500ms." {
			t.Fatalf("logged %+v", l[len(l)-1])
		}
		if _, page := c.get(t, "/settings/webhooks"); !strings.Contains(page, "timed out after 500ms") {
			t.Fatalf("settings page does not say it timed out:\n%s", page)
		}
	})
	t.Run("Ping", func(t *testing.T) {
		r := e.sendJSON(t, "POST", fmt.Sprintf("/api/webhooks/%d/ping", id), tok, nil)
		d := r.json(t)
		if d["outcome"] != "failed" || d["attempt"] != 1.0 || d["max_attempts"] != 1.0 || d["next_attempt_at"] != nil {
			t.Fatalf("ping %s", r.Body)
		}
		l := failures()
		if last := l[len(l)-1]; last.Webhook != id || !strings.HasPrefix(last.Delivery, fmt.Sprintf("%d-ping-", id)) || !strings.Contains(last.Next, "not retried") {
			t.Fatalf("logged %+v", last)
		}
	})
	for _, leak := range []string{secret, "Secret Mug Title", "urltoken123", "answer 500"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("the log shows %q:\n%s", leak, logs)
		}
	}
}
