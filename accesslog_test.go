package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// jsonLines parses a JSON log, one object per line.
func jsonLines(t testing.TB, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// Issue 13, part 2, item 7: one access-log line per request, with the route
// pattern (never the path's ids or file keys), the status the client got
// (errors included), the duration, the actor, and the request id that the
// answer echoes.
func TestAccessLog(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	id := idOf(e.uploadOK(t, tok, "a.png", realPNG(t, 8, 8)))
	var buf syncBuffer
	srv := newServer(e.app, e.cfg, slog.New(slog.NewJSONHandler(&buf, nil)))
	send := func(method, path, reqID string) string {
		t.Helper()
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if reqID != "" {
			req.Header.Set("X-Request-Id", reqID)
		}
		res, err := srv.App.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header.Get("X-Request-Id")
	}
	if got := send("GET", fmt.Sprintf("/api/media/%d", id), "shop-42.a_b"); got != "shop-42.a_b" {
		t.Errorf("a sane request id is echoed: %q", got)
	}
	generated := send("GET", "/api/media/999999", "bad id\twith\"quotes")
	if len(generated) != 16 || strings.ContainsAny(generated, " \t\"") {
		t.Errorf("an insane request id is replaced: %q", generated)
	}
	send("DELETE", "/api/ping", "")
	lines := jsonLines(t, buf.String())
	want := []struct {
		route  string
		status float64
	}{{"/api/media/:id", 200}, {"/api/media/:id", 404}, {"", 405}}
	var reqs []map[string]any
	for _, l := range lines {
		if l["msg"] == "request" {
			reqs = append(reqs, l)
		}
	}
	if len(reqs) != len(want) {
		t.Fatalf("%d request lines, want %d:\n%v", len(reqs), len(want), lines)
	}
	for i, w := range want {
		l := reqs[i]
		if l["status"] != w.status || (w.status == 200 && l["bytes"].(float64) < 100) || (w.route != "" && l["route"] != w.route) || l["duration"] == nil || l["request_id"] == "" {
			t.Errorf("line %d: %v, want route %q status %v", i, l, w.route, w.status)
		}
		if w.status != 405 && (l["actor"] != "token:test" || l["org"] == nil) {
			t.Errorf("line %d names no actor: %v", i, l)
		}
		if strings.Contains(fmt.Sprint(l), "999999") || strings.Contains(fmt.Sprint(l), fmt.Sprintf("/api/media/%d", id)) {
			t.Errorf("line %d carries the raw path: %v", i, l)
		}
	}
	if reqs[1]["request_id"] != generated {
		t.Errorf("the log's request id %v is not the one answered %q", reqs[1]["request_id"], generated)
	}
}
