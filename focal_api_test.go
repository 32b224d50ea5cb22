package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gallerist/data"
	"gallerist/data/render/rendertest"
	"gallerist/storage"
)

// decodeCrop fetches a crop URL and decodes it.
func (e *testEnv) decodeCrop(t *testing.T, u string) image.Image {
	t.Helper()
	r := e.do(t, "GET", pathOf(u), "", nil, "")
	if r.Status != 200 || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("GET %s: %d %v", u, r.Status, r.Header)
	}
	m, _, err := image.Decode(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return m
}

func cropURLOf(t *testing.T, m map[string]any, ratio, width string) string {
	t.Helper()
	crops, _ := m["crops"].(map[string]any)
	u, _ := crops[ratio].(map[string]any)[width].(string)
	if u == "" {
		t.Fatalf("no %s crop at %s in %v", ratio, width, m["crops"])
	}
	return u
}

// TestFocalPointCrops: a red dot on white at 80%, 30% of a wide PNG; with
// the focal point set there, the 1:1 and 16:9 crops (decoded) hold the dot;
// without one, the square centre crop cuts it off. A new focal point gives
// new crop URLs and the old ones 404; bad focal points are 422 naming the
// field and change nothing; sizes outside the allow-list are 404.
func TestFocalPointCrops(t *testing.T) {
	e := newTestEnv(t)
	e.startRenderer(t)
	tok := e.token(t, 0)
	// 1600×600: the square window is 600 wide; the dot at x=1280 is outside
	// the centre one (500..1100), and 16:9 is 1067 wide (267..1333 centred).
	src := rendertest.Dot(1600, 600, 0.8, 0.3, 24, "png")
	up := e.uploadOK(t, tok, "dot.png", src)
	id := up["id"].(float64)
	m := e.waitProcessed(t, tok, id)
	path := fmt.Sprintf("/api/media/%d", int64(id))
	if m["focal_x"] != nil || m["focal_y"] != nil {
		t.Fatalf("new item has a focal point: %v %v", m["focal_x"], m["focal_y"])
	}
	centre := cropURLOf(t, m, "1:1", "480")
	if !strings.HasSuffix(centre, "/480x480-500-500.jpg") {
		t.Fatalf("centre crop URL %s", centre)
	}
	if _, _, n := rendertest.FindDot(e.decodeCrop(t, centre)); n != 0 {
		t.Fatalf("the centre square crop holds %d red pixels; the dot at 80%% should be cut off", n)
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			body, field string
		}{
			{`{"focal_x": 1.2, "focal_y": 0.5}`, "focal_x"},
			{`{"focal_x": 0.5, "focal_y": -0.01}`, "focal_y"},
			{`{"focal_x": 0.5}`, "focal_y"},
			{`{"focal_y": 0.5}`, "focal_x"},
			{`{"focal_x": 0.5, "focal_y": null}`, "focal_y"},
			{`{"focal_y": null}`, "focal_x"},
			{`{"focal_x": null}`, "focal_y"},
			{`{"focal_x": "0.5", "focal_y": 0.5}`, "focal_x"},
		} {
			r := e.sendJSON(t, "PATCH", path, tok, tc.body)
			if r.Status != 422 || r.errCode(t) != "invalid_field" || errField(t, r) != tc.field {
				t.Fatalf("%s: %d %s", tc.body, r.Status, r.Body)
			}
		}
		if got := e.getJSON(t, path, tok).json(t); got["focal_x"] != nil || got["updated_at"] != m["updated_at"] {
			t.Fatalf("a refused PATCH changed the item: %v %v", got["focal_x"], got["updated_at"])
		}
	})

	var square, wide string
	before := e.getJSON(t, path, tok).Header.Get("ETag")
	t.Run("OK", func(t *testing.T) {
		r := e.sendJSON(t, "PATCH", path, tok, `{"focal_x": 0.8, "focal_y": 0.3}`)
		if r.Status != 200 {
			t.Fatalf("PATCH: %d %s", r.Status, r.Body)
		}
		m := r.json(t)
		if m["focal_x"] != 0.8 || m["focal_y"] != 0.3 {
			t.Fatalf("focal %v %v", m["focal_x"], m["focal_y"])
		}
		// The focal point is part of the item's version: an editor holding
		// the tag from before it moved is told (412), and nothing changes.
		if r := e.do(t, "PATCH", path, tok, strings.NewReader(`{"focal_x": 0.1, "focal_y": 0.1}`), "application/json", "If-Match", before); r.Status != 412 {
			t.Fatalf("PATCH with the tag from before the focal point moved: %d", r.Status)
		}
		square, wide = cropURLOf(t, m, "1:1", "480"), cropURLOf(t, m, "16:9", "640")
		if !strings.HasSuffix(square, "/480x480-800-300.jpg") || !strings.HasSuffix(wide, "/640x360-800-300.jpg") {
			t.Fatalf("crop URLs %s %s", square, wide)
		}
		for _, tc := range []struct {
			u    string
			w, h int
		}{{square, 480, 480}, {wide, 640, 360}, {cropURLOf(t, m, "4:5", "320"), 320, 400}} {
			img := e.decodeCrop(t, tc.u)
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("%s is %v, want %dx%d", tc.u, b, tc.w, tc.h)
			}
			x, y, n := rendertest.FindDot(img)
			// The dot (48 px across in the original) is whole and away from the edges.
			if n < 100 || x < 5 || y < 5 || x > float64(tc.w-5) || y > float64(tc.h-5) {
				t.Fatalf("%s: dot at (%.0f, %.0f), %d px", tc.u, x, y, n)
			}
		}
		// The list and fields= show the same.
		l := e.getJSON(t, "/api/media?fields=id,focal_x,focal_y,crops", tok).json(t)["data"].([]any)[0].(map[string]any)
		if len(l) != 4 || l["focal_x"] != 0.8 || cropURLOf(t, l, "1:1", "480") != square {
			t.Fatalf("fields=: %v", l)
		}
		// The centre crop is gone with the centre: its URL names a focal point the item no longer has.
		if r := e.do(t, "GET", pathOf(centre), "", nil, ""); r.Status != 404 {
			t.Fatalf("old crop URL: %d", r.Status)
		}
	})

	// Another store with the same bytes and no focal point: its crops are
	// its own (centred), and this store's focal crop is not found under its key.
	t.Run("OtherStore", func(t *testing.T) {
		other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
		if err != nil {
			t.Fatal(err)
		}
		otok := e.token(t, other.ID)
		theirs := e.waitProcessed(t, otok, e.uploadOK(t, otok, "copy.png", src)["id"].(float64))
		if theirs["focal_x"] != nil {
			t.Fatalf("the other store sees a focal point: %v", theirs["focal_x"])
		}
		tc := cropURLOf(t, theirs, "1:1", "480")
		if !strings.HasSuffix(tc, "/480x480-500-500.jpg") {
			t.Fatalf("their crop %s", tc)
		}
		if _, _, n := rendertest.FindDot(e.decodeCrop(t, tc)); n != 0 {
			t.Fatalf("their centre crop holds the dot (%d px)", n)
		}
		ours := strings.Split(pathOf(square), "/")[3]
		theirKey := strings.Split(pathOf(tc), "/")[2]
		if r := e.do(t, "GET", "/files/"+theirKey+"/"+ours, "", nil, ""); r.Status != 404 {
			t.Fatalf("our focal crop under their key: %d", r.Status)
		}
	})

	// A tiny image: one crop per ratio, its window's own size, never upscaled.
	t.Run("Tiny", func(t *testing.T) {
		tiny := e.waitProcessed(t, tok, e.uploadOK(t, tok, "tiny.png", rendertest.Dot(30, 20, 0.9, 0.9, 2, "png"))["id"].(float64))
		for ratio, size := range map[string][2]int{"1:1": {20, 20}, "16:9": {30, 17}} {
			crops := tiny["crops"].(map[string]any)[ratio].(map[string]any)
			if len(crops) != 1 {
				t.Fatalf("%s crops of 30×20: %v", ratio, crops)
			}
			img := e.decodeCrop(t, cropURLOf(t, tiny, ratio, "50"))
			if b := img.Bounds(); b.Dx() != size[0] || b.Dy() != size[1] {
				t.Fatalf("%s crop of 30×20 is %v, want %v", ratio, b, size)
			}
		}
		// Purged, its crops go with its renditions: rows and files.
		sha, tid := tiny["sha256"].(string), int64(tiny["id"].(float64))
		e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", tid), tok, nil, "")
		if r := e.do(t, "GET", pathOf(cropURLOf(t, tiny, "1:1", "50")), "", nil, ""); r.Status != 404 {
			t.Fatalf("trashed item's crop served: %d", r.Status)
		}
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?purge=true", tid), tok, nil, ""); r.Status != 204 {
			t.Fatalf("purge: %d", r.Status)
		}
		var n int
		e.app.db.QueryRowForTest("SELECT COUNT(*) FROM renditions WHERE sha256 = ?", sha).Scan(&n)
		if left := e.storeKeys(t, sha+"/"); len(left) != 0 || n != 0 {
			t.Fatalf("after purge: files %v, %d rows", left, n)
		}
	})

	t.Run("ErrNotAllowed", func(t *testing.T) {
		key := strings.Split(pathOf(square), "/")[2]
		for _, name := range []string{"500x500-800-300.jpg", "480x481-800-300.jpg", "480x480-800-300.webp", "480x480-800-301.jpg",
			"480x480-0800-300.jpg", "1024x1024-800-300.jpg", "480x480-800-300.png", "480x480.jpg"} {
			if r := e.do(t, "GET", "/files/"+key+"/"+name, "", nil, ""); r.Status != 404 {
				t.Fatalf("%s: %d", name, r.Status)
			}
		}
	})

	t.Run("Clear", func(t *testing.T) {
		r := e.sendJSON(t, "PATCH", path, tok, `{"focal_x": null, "focal_y": null}`)
		if r.Status != 200 || r.json(t)["focal_x"] != nil {
			t.Fatalf("clear: %d %s", r.Status, r.Body)
		}
		if got := cropURLOf(t, r.json(t), "1:1", "480"); got != centre {
			t.Fatalf("after clearing, %s, want the centre crop %s again", got, centre)
		}
		if r := e.do(t, "GET", pathOf(square), "", nil, ""); r.Status != 404 {
			t.Fatalf("crop of the cleared focal point: %d", r.Status)
		}
	})

	// A replaced file keeps the item's focal point: the new file's crops are
	// cut around it, under the new file's key.
	t.Run("Replace", func(t *testing.T) {
		if r := e.sendJSON(t, "PATCH", path, tok, `{"focal_x": 0.8, "focal_y": 0.3}`); r.Status != 200 {
			t.Fatalf("PATCH: %d", r.Status)
		}
		e.replaceOK(t, tok, int64(id), "dot-v2.png", rendertest.Dot(1600, 600, 0.8, 0.3, 30, "png"))
		m := e.waitProcessed(t, tok, id)
		if m["focal_x"] != 0.8 || m["focal_y"] != 0.3 {
			t.Fatalf("focal after replace: %v %v", m["focal_x"], m["focal_y"])
		}
		u := cropURLOf(t, m, "1:1", "480")
		if u == square || !strings.HasSuffix(u, "/480x480-800-300.jpg") {
			t.Fatalf("crop after replace %s (before: %s)", u, square)
		}
		if _, _, n := rendertest.FindDot(e.decodeCrop(t, u)); n < 100 {
			t.Fatalf("the new file's square crop misses the dot (%d px)", n)
		}
	})

	// Crops are stored as renditions: verify finds each file with its row.
	t.Run("Verify", func(t *testing.T) {
		rep, err := storage.Verify(context.Background(), e.dir, storage.VerifyOptions{})
		if err != nil || !rep.Clean() || len(rep.Warnings) > 0 || rep.OrphanRenditions != 0 || rep.Renditions < 7+4 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}

// TestUIFocalForm: the detail panel's focal form without JavaScript (a
// plain post, then a redirect with a toast) and with htmx (the form back
// with Saved, or 422 with the reason); a refused value changes nothing.
func TestUIFocalForm(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	up := e.uploadOK(t, e.token(t, 0), "dot.png", rendertest.Dot(200, 100, 0.8, 0.3, 5, "png"))
	id := int64(up["id"].(float64))
	path := fmt.Sprintf("/media/%d", id)
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "test"})
	if st, body := c.get(t, path); st != 200 || !strings.Contains(body, `id="focal-form"`) || !strings.Contains(body, "not set (crops are centred)") {
		t.Fatalf("panel: %d, focal form shown: %v", st, strings.Contains(body, "focal-form"))
	}
	if st, _ := c.post(t, path+"/focal", url.Values{"focal_x": {"0.25"}, "focal_y": {"0.75"}}); st != http.StatusSeeOther {
		t.Fatalf("plain post: %d", st)
	}
	if m, _ := e.app.media.FindMediaByID(ctx, id); m.Focal == nil || *m.Focal != (data.FocalPoint{X: 0.25, Y: 0.75}) {
		t.Fatalf("saved focal %v", m.Focal)
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"focal_x": {"abc"}, "focal_y": {"0.5"}}, "focal_x must be a number from 0"},
		{url.Values{"focal_x": {"0.5"}, "focal_y": {"2"}}, "focal_y must be a number from 0"},
		{url.Values{"focal_x": {"0.5"}}, "Send focal_y with focal_x"},
		{url.Values{}, "Click the picture where the product is"},
	} {
		st, body := c.post(t, path+"/focal", tc.form, "HX-Request", "true")
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, "25.0% across, 75.0% down") {
			t.Fatalf("%v: %d %s", tc.form, st, body)
		}
	}
	st, body := c.post(t, path+"/focal", url.Values{"clear": {"1"}}, "HX-Request", "true")
	if st != 200 || !strings.Contains(body, "data-saved") || !strings.Contains(body, "not set (crops are centred)") {
		t.Fatalf("clear: %d %s", st, body)
	}
	if m, _ := e.app.media.FindMediaByID(ctx, id); m.Focal != nil {
		t.Fatalf("focal after clear %v", *m.Focal)
	}
}

// Review 16, B6: only images have a focal point; a PDF's PATCH with one
// is 422 invalid_field and changes nothing (null, clearing, is accepted).
func TestFocalPointOnlyOnImages(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	id := idOf(e.uploadOK(t, tok, "spec.pdf", realPDF(t)))
	path := fmt.Sprintf("/api/media/%d", id)
	r := e.sendJSON(t, "PATCH", path, tok, map[string]any{"focal_x": 0.2, "focal_y": 0.4})
	if r.Status != 422 || r.errCode(t) != "invalid_field" || !strings.Contains(string(r.Body), "only images have a focal point") {
		t.Fatalf("focal on a PDF: %d %s", r.Status, r.Body)
	}
	if got := e.getJSON(t, path, tok).json(t); got["focal_x"] != nil {
		t.Fatalf("focal stored: %v", got)
	}
	if r := e.sendJSON(t, "PATCH", path, tok, map[string]any{"focal_x": nil, "focal_y": nil}); r.Status != 200 {
		t.Fatalf("clearing on a PDF: %d %s", r.Status, r.Body)
	}
}

// cropKeys are the stored crops of the bytes sha, sorted.
func (e *testEnv) cropKeys(t *testing.T, sha string) []string {
	t.Helper()
	var out []string
	for _, k := range e.storeKeys(t, sha+"/") {
		n, _, _ := strings.Cut(strings.TrimPrefix(k, sha+"/"), ".")
		if slot, err := strconv.Atoi(n); err == nil && data.IsCropSlot(slot) {
			out = append(out, k)
		}
	}
	return out
}

// Review 16, B7: every focal point makes new crops; those of the focal
// points an item no longer has are collected by gc once the change is
// older than the grace period (listed by --dry-run, counted in the
// report); the current ones stay and are served.
func TestFocalStaleCropsGC(t *testing.T) {
	e := newTestEnv(t)
	t0 := time.Now().Add(-30 * 24 * time.Hour).UTC()
	clock := e.useClock(t0)
	e.startRenderer(t)
	tok := e.token(t, 0)
	src := rendertest.Dot(1600, 600, 0.8, 0.3, 24, "png")
	id := e.uploadOK(t, tok, "dot.png", src)["id"].(float64)
	sha := e.waitProcessed(t, tok, id)["sha256"].(string)
	path := fmt.Sprintf("/api/media/%d", int64(id))
	var current string
	for _, f := range []string{"0.1", "0.5", "0.8"} {
		r := e.sendJSON(t, "PATCH", path, tok, `{"focal_x": `+f+`, "focal_y": 0.3}`)
		if r.Status != 200 {
			t.Fatalf("PATCH: %d %s", r.Status, r.Body)
		}
		current = cropURLOf(t, r.json(t), "16:9", "640")
		e.decodeCrop(t, current)
	}
	all := e.cropKeys(t, sha)
	if len(all) != 3 {
		t.Fatalf("crops stored: %v", all)
	}
	ctx := context.Background()
	clock.Advance(24 * time.Hour)
	t.Run("kept within the grace period", func(t *testing.T) {
		rep, err := e.app.media.CollectGarbage(ctx, false, 7*24*time.Hour)
		if err != nil || len(rep.Crops) != 0 || len(e.cropKeys(t, sha)) != 3 {
			t.Fatalf("gc a day after: %v %v", err, rep.Crops)
		}
	})
	var stale []string
	for _, k := range all {
		if !strings.Contains(k, "/"+strconv.Itoa(data.CropOf(data.CropRatios[2], 640, &data.FocalPoint{X: 0.8, Y: 0.3}).StorageSlot())+".") {
			stale = append(stale, k)
		}
	}
	if len(stale) != 2 {
		t.Fatalf("the current crop is not among %v (ratio %v)", all, data.CropRatios)
	}
	env := e.getenv()
	t.Run("dry run lists them", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(ctx, []string{"gc", "--dry-run", "--data", e.dir, "--trash-days", "7"}, env, nil, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		for _, k := range stale {
			if !strings.Contains(out.String(), "crop "+k+"\n") {
				t.Fatalf("dry run does not list %s:\n%s", k, out.String())
			}
		}
		if !strings.Contains(out.String(), "Would remove 2 crops of focal points changed more than 7 days ago.") || len(e.cropKeys(t, sha)) != 3 {
			t.Fatalf("dry run:\n%s", out.String())
		}
	})
	t.Run("gc removes them", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(ctx, []string{"gc", "--data", e.dir, "--trash-days", "7"}, env, nil, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "Removed 2 crops") {
			t.Fatalf("gc:\n%s", out.String())
		}
		if left := e.cropKeys(t, sha); len(left) != 1 || slices.Contains(stale, left[0]) {
			t.Fatalf("crops left: %v", left)
		}
		e.decodeCrop(t, current)
	})
}

// Security review, crops 1: uploads do not dedupe, so two items of one
// store can hold the same bytes (one file key) with focal points of their
// own; each item's listed crop URLs are served, cut around its own point,
// also after a replace with bytes the store already has. A focal point no
// live item with those bytes has is not found, nor is one only a trashed
// item or another store's item with the same bytes has.
func TestFocalCropsSharedBytes(t *testing.T) {
	e := newTestEnv(t)
	clock := e.useClock(time.Now().Add(-30 * 24 * time.Hour).UTC())
	e.startRenderer(t)
	tok := e.token(t, 0)
	src := rendertest.Dot(1600, 600, 0.8, 0.3, 24, "png")
	setFocal := func(t *testing.T, tok string, id float64, x, y string) map[string]any {
		t.Helper()
		r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", int64(id)), tok, `{"focal_x": `+x+`, "focal_y": `+y+`}`)
		if r.Status != 200 {
			t.Fatalf("PATCH %v: %d %s", id, r.Status, r.Body)
		}
		return e.getJSON(t, fmt.Sprintf("/api/media/%d", int64(id)), tok).json(t)
	}
	// checkCrops fetches m's listed crops: each its size, the dot in the
	// square one only when m's focal point is on it.
	checkCrops := func(t *testing.T, m map[string]any, dotInSquare bool) {
		t.Helper()
		for _, tc := range []struct {
			ratio, width string
			w, h         int
		}{{"1:1", "50", 50, 50}, {"1:1", "480", 480, 480}, {"16:9", "640", 640, 360}, {"4:5", "320", 320, 400}} {
			u := cropURLOf(t, m, tc.ratio, tc.width)
			img := e.decodeCrop(t, u)
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("%s is %v, want %dx%d", u, b, tc.w, tc.h)
			}
			if tc.width == "480" {
				if _, _, n := rendertest.FindDot(img); (n >= 100) != dotInSquare {
					t.Fatalf("%s (focal %v, %v) holds %d red pixels", u, m["focal_x"], m["focal_y"], n)
				}
			}
		}
	}
	a := e.waitProcessed(t, tok, e.uploadOK(t, tok, "a.png", src)["id"].(float64))
	b := e.waitProcessed(t, tok, e.uploadOK(t, tok, "a-again.png", src)["id"].(float64))
	a = setFocal(t, tok, a["id"].(float64), "0.8", "0.3")
	b = setFocal(t, tok, b["id"].(float64), "0.3", "0.3")
	keyOf := func(m map[string]any) string { return strings.Split(pathOf(cropURLOf(t, m, "1:1", "50")), "/")[2] }
	key := keyOf(a)
	if keyOf(b) != key {
		t.Fatalf("same bytes, file keys %s and %s", key, keyOf(b))
	}
	get := func(key, name string) int { return e.do(t, "GET", "/files/"+key+"/"+name, "", nil, "").Status }

	t.Run("OK", func(t *testing.T) {
		checkCrops(t, a, true)
		checkCrops(t, b, false)
	})
	t.Run("ErrNoItemHasIt", func(t *testing.T) {
		for _, name := range []string{"480x480-500-500.jpg", "480x480-100-100.jpg", "480x480-300-800.jpg", "640x360-800-301.jpg"} {
			if st := get(key, name); st != 404 {
				t.Fatalf("%s, a focal point no item has: %d", name, st)
			}
		}
	})
	// Another store's item with the same bytes and a focal point of its
	// own: its crops are served under its key only, and ours not under it.
	t.Run("ErrOtherStore", func(t *testing.T) {
		other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
		if err != nil {
			t.Fatal(err)
		}
		otok := e.token(t, other.ID)
		theirs := e.waitProcessed(t, otok, e.uploadOK(t, otok, "copy.png", src)["id"].(float64))
		theirs = setFocal(t, otok, theirs["id"].(float64), "0.6", "0.6")
		theirKey := keyOf(theirs)
		if theirKey == key {
			t.Fatalf("two stores share the file key %s", key)
		}
		e.decodeCrop(t, cropURLOf(t, theirs, "1:1", "480"))
		if st := get(key, "480x480-600-600.jpg"); st != 404 {
			t.Fatalf("their focal point under our key: %d", st)
		}
		if st := get(theirKey, "480x480-800-300.jpg"); st != 404 {
			t.Fatalf("our focal point under their key: %d", st)
		}
	})
	// Replaced with bytes the store already has, an item's crops are cut
	// around its own focal point under the shared key.
	t.Run("ReplaceWithSharedBytes", func(t *testing.T) {
		c := e.waitProcessed(t, tok, e.uploadOK(t, tok, "c.png", rendertest.Dot(1200, 800, 0.5, 0.5, 10, "png"))["id"].(float64))
		setFocal(t, tok, c["id"].(float64), "0.75", "0.35")
		e.replaceOK(t, tok, idOf(c), "c-v2.png", src)
		c = e.waitProcessed(t, tok, c["id"].(float64))
		if keyOf(c) != key || !strings.HasSuffix(cropURLOf(t, c, "1:1", "480"), "/480x480-750-350.jpg") {
			t.Fatalf("after replace: %s", cropURLOf(t, c, "1:1", "480"))
		}
		checkCrops(t, c, true)
	})
	// gc keeps the crops of every focal point an item with the bytes has,
	// so none served goes.
	t.Run("GCKeepsThem", func(t *testing.T) {
		sha := a["sha256"].(string)
		before := e.cropKeys(t, sha)
		clock.Advance(10 * 24 * time.Hour)
		rep, err := e.app.media.CollectGarbage(context.Background(), false, 7*24*time.Hour)
		if err != nil || len(rep.Crops) != 0 || !slices.Equal(e.cropKeys(t, sha), before) || len(before) < 8 {
			t.Fatalf("gc: %v, removed %v of %v", err, rep.Crops, before)
		}
		checkCrops(t, a, true)
		checkCrops(t, b, false)
	})
	// A trashed item's focal point no longer counts; the other item's stays.
	t.Run("ErrTrashed", func(t *testing.T) {
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", idOf(b)), tok, nil, ""); r.Status != 204 {
			t.Fatalf("trash: %d %s", r.Status, r.Body)
		}
		if st := get(key, "480x480-300-300.jpg"); st != 404 {
			t.Fatalf("trashed item's crop: %d", st)
		}
		checkCrops(t, a, true)
	})
}
