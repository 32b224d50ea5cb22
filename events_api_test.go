package main

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"gallerist/data"
)

// feed reads GET /api/events with the query and returns "type subject:id"
// lines, has_more and next_since_id.
func (e *testEnv) feed(t testing.TB, tok, query string) ([]string, bool, int64) {
	t.Helper()
	r := e.getJSON(t, "/api/events"+query, tok)
	if r.Status != 200 {
		t.Fatalf("GET /api/events%s: %d %s", query, r.Status, r.Body)
	}
	m := r.json(t)
	out := []string{}
	for _, v := range m["data"].([]any) {
		ev := v.(map[string]any)
		s := ev["subject"].(map[string]any)
		out = append(out, fmt.Sprintf("%s %s:%d", ev["type"], s["type"], int64(s["id"].(float64))))
	}
	return out, m["has_more"].(bool), int64(m["next_since_id"].(float64))
}

// TestEventsAPI drives changes through the API and reads them back from the
// sync feed: id order, pages that neither skip nor repeat, filters, the
// actor, tenancy and the scope.
func TestEventsAPI(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	jpg := readFile(t, goImageTestdata("video-001.q50.420.jpeg"))
	png := readFile(t, goImageTestdata("video-001.png"))
	a := idOf(e.uploadOK(t, tok, "a.jpg", jpg))
	b := idOf(e.uploadOK(t, tok, "b.png", png))
	if r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", a), tok, map[string]any{"alt": "A mug"}); r.Status != 200 {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	p := e.createProduct(t, tok, "Mug")
	e.attachOK(t, tok, p, a)
	if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", b), tok, nil, ""); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	want := []string{
		fmt.Sprintf("media.created media:%d", a), fmt.Sprintf("media.created media:%d", b),
		fmt.Sprintf("media.updated media:%d", a), fmt.Sprintf("product.created product:%d", p),
		fmt.Sprintf("gallery.changed product:%d", p), fmt.Sprintf("media.trashed media:%d", b),
	}
	all, more, last := e.feed(t, tok, "")
	if !slices.Equal(all, want) || more {
		t.Fatalf("feed = %q (more %v), want %q", all, more, want)
	}

	t.Run("Pages", func(t *testing.T) {
		var got []string
		var since int64
		for range 10 {
			page, more, next := e.feed(t, tok, fmt.Sprintf("?limit=4&since_id=%d", since))
			got, since = append(got, page...), next
			if !more {
				break
			}
		}
		if !slices.Equal(got, want) || since != last {
			t.Fatalf("pages = %q up to %d, want %q up to %d", got, since, want, last)
		}
		// At the end the cursor stays: polling again answers nothing new.
		if page, more, next := e.feed(t, tok, fmt.Sprintf("?since_id=%d", last)); len(page) != 0 || more || next != last {
			t.Fatalf("after the end: %q %v %d", page, more, next)
		}
	})
	t.Run("Filters", func(t *testing.T) {
		got, _, _ := e.feed(t, tok, fmt.Sprintf("?subject=media:%d", a))
		if !slices.Equal(got, []string{want[0], want[2]}) {
			t.Fatalf("subject filter: %q", got)
		}
		got, _, _ = e.feed(t, tok, "?type=media.trashed,product.created")
		if !slices.Equal(got, []string{want[3], want[5]}) {
			t.Fatalf("type filter: %q", got)
		}
	})
	t.Run("Actor", func(t *testing.T) {
		ev := e.getJSON(t, "/api/events?limit=1", tok).json(t)["data"].([]any)[0].(map[string]any)
		if ev["actor"] != "token:test" || ev["data"].(map[string]any)["filename"] != "a.jpg" {
			t.Fatalf("first event: %v", ev)
		}
	})
	t.Run("BadParameters", func(t *testing.T) {
		for _, q := range []string{"?since_id=-1", "?limit=0", "?limit=101", "?type=media.exploded", "?subject=media", "?subject=user:1", "?offset=3"} {
			r := e.getJSON(t, "/api/events"+q, tok)
			if r.Status != 400 {
				t.Errorf("%s: %d %s", q, r.Status, r.Body)
			}
		}
	})
	t.Run("OtherOrganization", func(t *testing.T) {
		other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
		if err != nil {
			t.Fatal(err)
		}
		otok := e.token(t, other.ID)
		if got, _, _ := e.feed(t, otok, ""); len(got) != 0 {
			t.Fatalf("org b sees %q", got)
		}
		if got, _, _ := e.feed(t, otok, fmt.Sprintf("?subject=media:%d", a)); len(got) != 0 {
			t.Fatalf("org b sees %q by subject", got)
		}
		idOf(e.uploadOK(t, otok, "mine.jpg", jpg))
		if got, _, _ := e.feed(t, tok, fmt.Sprintf("?since_id=%d", last)); len(got) != 0 {
			t.Fatalf("org a sees org b's upload: %q", got)
		}
	})
	t.Run("MissingScope", func(t *testing.T) {
		r := e.getJSON(t, "/api/events", e.tokenWithout(t, data.ScopeEventsRead))
		if r.Status != 403 || r.errCode(t) != "missing_scope" {
			t.Fatalf("without events:read: %d %s", r.Status, r.Body)
		}
	})
}
