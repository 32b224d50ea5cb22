package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gallerist/data"
)

type apiRoute struct {
	method, path string
	scope        data.Scope
	body         string
}

func mediaRoutes(id int64) []apiRoute {
	p := fmt.Sprintf("/api/media/%d", id)
	return []apiRoute{
		{"GET", p, data.ScopeMediaRead, ""},
		{"PATCH", p, data.ScopeMediaUpdate, `{"alt": "stolen"}`},
		{"DELETE", p, data.ScopeMediaDelete, ""},
		{"DELETE", p + "?force=true", data.ScopeMediaDelete, ""},
		{"DELETE", p + "?purge=true", data.ScopeMediaDelete, ""},
		{"POST", p + "/restore", data.ScopeMediaDelete, ""},
		{"GET", p + "/usage", data.ScopeMediaRead, ""},
		{"GET", p + "/download", data.ScopeMediaRead, ""},
		{"HEAD", p + "/download", data.ScopeMediaRead, ""},
	}
}

// TestOrganizationIsolation: another organization's ids answer exactly like
// nonexistent ones, and nothing changes.
func TestOrganizationIsolation(t *testing.T) {
	e := newTestEnv(t)
	other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
	if err != nil {
		t.Fatal(err)
	}
	mine := e.token(t, 0)
	theirs := e.token(t, other.ID)
	m := e.uploadOK(t, mine, "front.jpg", readFile(t, goImageTestdata("video-001.jpeg")))
	id := int64(m["id"].(float64))
	// A trashed item too, so restore/purge have something to find.
	t2 := e.uploadOK(t, mine, "gone.png", realPNG(t, 9, 9))
	tid := int64(t2["id"].(float64))
	if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", tid), mine, nil, ""); r.Status != 204 {
		t.Fatal(r.Status)
	}

	for _, target := range []int64{id, tid} {
		missing := mediaRoutes(999999)
		for i, rt := range mediaRoutes(target) {
			before := e.snapshot(t)
			var body = strings.NewReader(rt.body)
			got := e.do(t, rt.method, rt.path, theirs, body, "application/json")
			want := e.do(t, missing[i].method, missing[i].path, theirs, strings.NewReader(rt.body), "application/json")
			if got.Status != 404 || got.Status != want.Status || string(got.Body) != string(want.Body) {
				t.Errorf("%s %s as another org: %d %s; nonexistent id: %d %s", rt.method, rt.path, got.Status, got.Body, want.Status, want.Body)
			}
			if e.snapshot(t) != before {
				t.Errorf("%s %s as another org changed state", rt.method, rt.path)
			}
		}
	}
	r := e.getJSON(t, "/api/media?deleted=include", theirs)
	if r.json(t)["total"] != 0.0 {
		t.Fatalf("other org lists my media: %s", r.Body)
	}
	var alt string
	e.app.db.QueryRowForTest("SELECT alt FROM media WHERE id = ?", id).Scan(&alt)
	if alt != "" {
		t.Fatalf("alt changed by another org: %q", alt)
	}
}

// TestScopeMatrix: every route, with a token holding every scope but the one it needs, answers 403 naming it.
func TestScopeMatrix(t *testing.T) {
	e := newTestEnv(t)
	all := e.token(t, 0)
	m := e.uploadOK(t, all, "front.jpg", readFile(t, goImageTestdata("video-001.jpeg")))
	routes := append(mediaRoutes(int64(m["id"].(float64))),
		apiRoute{"GET", "/api/media", data.ScopeMediaRead, ""},
		apiRoute{"POST", "/api/media", data.ScopeMediaCreate, `{"filename": "a.png", "attachment": "iVBORw0KGgo="}`},
	)
	for _, rt := range routes {
		tok := e.tokenWithout(t, rt.scope)
		before := e.snapshot(t)
		r := e.do(t, rt.method, rt.path, tok, strings.NewReader(rt.body), "application/json")
		if r.Status != 403 {
			t.Errorf("%s %s without %s: %d %s", rt.method, rt.path, rt.scope, r.Status, r.Body)
			continue
		}
		if rt.method != "HEAD" {
			if r.errCode(t) != data.ECMissingScope || !strings.Contains(string(r.Body), string(rt.scope)) {
				t.Errorf("%s %s: %s", rt.method, rt.path, r.Body)
			}
		}
		if e.snapshot(t) != before {
			t.Errorf("%s %s without scope changed state", rt.method, rt.path)
		}
		// No token, a malformed one, a revoked one: 401.
		for _, bad := range []string{"", "gal_nope", "Basic abc"} {
			if r := e.do(t, rt.method, rt.path, bad, strings.NewReader(rt.body), "application/json"); r.Status != 401 {
				t.Errorf("%s %s with token %q: %d", rt.method, rt.path, bad, r.Status)
			}
		}
	}
}

func TestTokenRevokedAndExpired(t *testing.T) {
	e := newTestEnv(t)
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "test"})
	tok, secret, err := e.app.auth.CreateToken(ctx, "ci", []data.Scope{data.ScopeMediaRead}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.getJSON(t, "/api/media", secret); r.Status != 200 {
		t.Fatalf("fresh token: %d", r.Status)
	}
	if err := e.app.auth.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.getJSON(t, "/api/media", secret); r.Status != 401 || r.errCode(t) != data.ECUnauthorized || r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("revoked token: %d %s", r.Status, r.Body)
	}
	now := e.app.db.Now()
	later := now.Add(48 * 3600e9)
	_, secret2, err := e.app.auth.CreateToken(ctx, "short", []data.Scope{data.ScopeMediaRead}, &later)
	if err != nil {
		t.Fatal(err)
	}
	e.app.db.Now = func() time.Time { return later.Add(1) }
	if r := e.getJSON(t, "/api/media", secret2); r.Status != 401 {
		t.Fatalf("expired token: %d", r.Status)
	}
}

// TestProcessingStateIsPerOrganization: uploading bytes another organization
// already has processed must look exactly like a first upload (pending, no
// renditions yet), so nobody learns what others hold.
func TestProcessingStateIsPerOrganization(t *testing.T) {
	e := newTestEnv(t)
	e.startRenderer(t)
	mine := e.token(t, 0)
	other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
	if err != nil {
		t.Fatal(err)
	}
	theirs := e.token(t, other.ID)
	png := readFile(t, goImageTestdata("video-001.png"))
	first := e.uploadOK(t, theirs, "theirs.png", png)
	if got := e.waitProcessed(t, theirs, first["id"].(float64)); got["processing"] != "ready" {
		t.Fatalf("their item: %v", got["processing"])
	}
	m := e.uploadOK(t, mine, "mine.png", png)
	if m["processing"] != "pending" || len(m["renditions"].(map[string]any)) != 0 {
		t.Fatalf("my first upload of bytes another store has: processing %v, renditions %v", m["processing"], m["renditions"])
	}
	if got := e.waitProcessed(t, mine, m["id"].(float64)); got["processing"] != "ready" || len(got["renditions"].(map[string]any)) == 0 {
		t.Fatalf("mine after processing: %v %v", got["processing"], got["renditions"])
	}
}

// TestPublicURLsPerOrganization: public file URLs are named by each
// organization's own key, so the same bytes have a different URL in every
// store, a URL shows only its own store's file name, and a content hash
// tells nobody whether some store holds those bytes.
func TestPublicURLsPerOrganization(t *testing.T) {
	e := newTestEnv(t)
	e.startRenderer(t)
	mine := e.token(t, 0)
	pdf := realPDF(t)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	sha := fmt.Sprintf("%x", sha256.Sum256(pdf))

	clock := e.useClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))

	// While the install has one store, wave 1's hash URLs redirect.
	solo := e.uploadOK(t, mine, "price-list.pdf", pdf)
	if r := e.do(t, "GET", "/files/"+sha+".pdf", "", nil, ""); r.Status != 301 || r.Header.Get("Location") != pathOf(solo["url"].(string)) {
		t.Fatalf("legacy URL with one store: %d %q", r.Status, r.Header.Get("Location"))
	}

	other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
	if err != nil {
		t.Fatal(err)
	}
	theirs := e.token(t, other.ID)
	clock.Advance(24 * time.Hour) // the second store's copy is a day younger
	secret := e.uploadOK(t, theirs, "acquisition-terms.pdf", pdf)
	if solo["url"] == secret["url"] {
		t.Fatalf("two stores share a public URL: %v", solo["url"])
	}
	for _, tc := range []struct {
		item map[string]any
		name string
	}{{solo, "price-list.pdf"}, {secret, "acquisition-terms.pdf"}} {
		r := e.do(t, "GET", pathOf(tc.item["url"].(string)), "", nil, "")
		if r.Status != 200 || !bytes.Equal(r.Body, pdf) {
			t.Fatalf("%s: %d", tc.name, r.Status)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, tc.name) {
			t.Fatalf("%s is served as %q", tc.name, cd)
		}
		if strings.Contains(r.Header.Get("ETag"), sha) {
			t.Fatalf("the ETag gives the content hash away: %s", r.Header.Get("ETag"))
		}
		// Last-Modified is the item's own time, not the shared blob's.
		if lm, want := r.Header.Get("Last-Modified"), tc.item["created_at"].(string)[:10]; lm != mustParse(t, tc.item["created_at"].(string)).Format(http.TimeFormat) {
			t.Fatalf("%s: Last-Modified %q, want the item's own time (%s)", tc.name, lm, want)
		}
	}
	// With two stores, a hash URL answers like any unknown file, whether
	// or not some store holds the bytes.
	missing := fmt.Sprintf("%x", sha256.Sum256([]byte("nobody has this")))
	for _, p := range []string{"/files/" + sha + ".pdf", "/files/" + missing + ".pdf", "/files/" + sha + "/100.jpg"} {
		if r := e.do(t, "GET", p, "", nil, ""); r.Status != 404 {
			t.Fatalf("%s with two stores: %d %s", p, r.Status, r.Body)
		}
	}

	// Renditions are named by the key too, and only the made width and format exist.
	img := e.uploadOK(t, theirs, "photo.jpg", jpg)
	ready := e.waitProcessed(t, theirs, img["id"].(float64))
	rends := ready["renditions"].(map[string]any)
	if len(rends) == 0 {
		t.Fatalf("no renditions: %v", ready)
	}
	unknown := e.do(t, "GET", "/files/00000000000000000000000000000000/100.jpg", "", nil, "")
	for _, u := range rends {
		p := pathOf(u.(string))
		if r := e.do(t, "GET", p, "", nil, ""); r.Status != 200 {
			t.Fatalf("%s: %d", p, r.Status)
		}
		before := e.snapshot(t)
		dir := p[:strings.LastIndex(p, "/")]
		for _, bad := range []string{strings.Replace(p, ".jpg", ".png", 1), strings.Replace(p, ".jpg", ".webp", 1),
			dir + "/0100.jpg", dir + "/050.jpg", dir + "/321.jpg"} {
			// Not made reads exactly like not there: a URL tells nothing more.
			if r := e.do(t, "GET", bad, "", nil, ""); r.Status != 404 || !bytes.Equal(r.Body, unknown.Body) {
				t.Fatalf("a rendition not made, %s: %d %s (unknown key: %s)", bad, r.Status, r.Body, unknown.Body)
			}
		}
		if after := e.snapshot(t); after != before {
			t.Fatalf("asking for a format not made stored something:\n%s\n%s", before, after)
		}
	}
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}
