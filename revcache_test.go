package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRevCacheAnswersAsBuilt proves the answers kept by revision (media
// items' list JSON by media.rev, galleries by products.gallery_rev, bumped by
// migration 024's triggers) are never stale: after every kind of change,
// through the API and by another program writing the database, every list
// and gallery answers byte for byte (and tag for tag) what it answers built
// from the rows. Each step first lists everything with the kept answers on,
// so a change the triggers miss leaves a kept answer behind that the next
// comparison finds.
func TestRevCacheAnswersAsBuilt(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	e.startRenderer(t)
	e.app.handlers.SetAnswerCache(false)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	var products []int64
	lists := []string{"/api/media", "/api/media?limit=2", "/api/media?limit=2&offset=2", "/api/media?deleted=include",
		"/api/media?deleted=only", "/api/media?q=photo", "/api/media?sort=filename", "/api/media?used=true", "/api/media?used=false",
		"/api/media?kind=document", "/api/media?since_id=1&limit=3"}
	get := func(t *testing.T, path string) *resp {
		t.Helper()
		r := e.getJSON(t, path, tok)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		return r
	}
	kept := 0
	version := func(t *testing.T) int64 {
		t.Helper()
		v, err := e.app.handlers.Media.Version(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	check := func(t *testing.T, step string) {
		t.Helper()
		paths := slices.Clone(lists)
		for _, p := range products {
			paths = append(paths, fmt.Sprintf("/api/products/%d/images", p), fmt.Sprintf("/api/products/%d/images?limit=1&offset=1", p))
		}
		for _, p := range paths {
			// The pair of answers is compared only when no commit came
			// between them (the rendition worker runs beside).
			var kept0, built *resp
			for try := 0; ; try++ {
				v0 := version(t)
				kept0 = get(t, p) // from kept answers where their revisions still hold
				e.app.handlers.SetRevCache(false)
				built = get(t, p)
				e.app.handlers.SetRevCache(true)
				if version(t) == v0 {
					break
				}
				if try == 100 {
					t.Fatalf("after %s, %s: the database kept changing", step, p)
				}
			}
			if !bytes.Equal(kept0.Body, built.Body) || kept0.Header.Get("ETag") != built.Header.Get("ETag") {
				t.Fatalf("after %s, %s answered from kept answers\n%s (ETag %s)\nbut built from the rows\n%s (ETag %s)",
					step, p, kept0.Body, kept0.Header.Get("ETag"), built.Body, built.Header.Get("ETag"))
			}
			get(t, p) // keep this state's answers for the next step
		}
		kept++
	}
	ok := func(t *testing.T, r *resp, want int, what string) map[string]any {
		t.Helper()
		if r.Status != want {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
		if len(r.Body) == 0 {
			return nil
		}
		return r.json(t)
	}
	patch := func(t *testing.T, path string, body any) {
		t.Helper()
		ok(t, e.sendJSON(t, "PATCH", path, tok, body), 200, "PATCH "+path)
	}

	a := idOf(e.uploadOK(t, tok, "photo-a.jpg", jpg))
	b := idOf(e.uploadOK(t, tok, "photo-b.jpg", jpg)) // the same bytes: renditions shared
	png := idOf(e.uploadOK(t, tok, "photo-c.png", readFile(t, goImageTestdata("video-001.png"))))
	check(t, "uploads (pending)")
	for _, id := range []int64{a, b, png} {
		e.waitProcessed(t, tok, float64(id))
	}
	check(t, "renditions made")
	doc := idOf(e.uploadOK(t, tok, "manual.pdf", tinyPDF()))
	e.waitProcessed(t, tok, float64(doc))
	clip := idOf(e.uploadOK(t, tok, "clip.mp4", append(mp4Header(640, 360, 2500, 16), make([]byte, 16)...)))
	e.waitProcessed(t, tok, float64(clip))
	check(t, "a document and a video")

	patch(t, fmt.Sprintf("/api/media/%d", a), map[string]any{"alt": "A red mug"})
	check(t, "alt text")
	patch(t, fmt.Sprintf("/api/media/%d", b), map[string]any{"filename": "renamed-b.jpg"})
	check(t, "a rename")
	patch(t, fmt.Sprintf("/api/media/%d", a), map[string]any{"focal_x": 0.2, "focal_y": 0.7})
	check(t, "a focal point")

	p1, p2 := e.createProduct(t, tok, "Mug"), e.createProduct(t, tok, "Bowl")
	products = append(products, p1, p2)
	gA := idOf(e.attachOK(t, tok, p1, a))
	gB := idOf(e.attachOK(t, tok, p1, b))
	e.attachOK(t, tok, p2, a)
	e.attachOK(t, tok, p2, clip)
	check(t, "gallery attachments")
	ok(t, e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/images/reorder", p1), tok, map[string]any{"ids": []int64{gB, gA}}), 200, "reorder")
	check(t, "a reorder")
	patch(t, fmt.Sprintf("/api/products/%d", p1), map[string]any{"title": "Big mug"})
	check(t, "a product rename")

	v := idOf(ok(t, e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/variants", p1), tok, map[string]any{"title": "Large"}), 201, "variant"))
	vimg := fmt.Sprintf("/api/products/%d/variants/%d/image", p1, v)
	ok(t, e.sendJSON(t, "PUT", vimg, tok, map[string]any{"image_id": gB}), 200, "variant image")
	check(t, "a variant image")
	ok(t, e.sendJSON(t, "PUT", vimg, tok, map[string]any{"image_id": gA}), 200, "variant image moved")
	check(t, "a variant image moved")
	ok(t, e.sendJSON(t, "DELETE", fmt.Sprintf("/api/products/%d/variants/%d", p1, v), tok, nil), 204, "variant delete")
	check(t, "a variant deleted")

	col := idOf(ok(t, e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Summer", "media_id": png}), 201, "collection"))
	check(t, "a collection image")
	ok(t, e.sendJSON(t, "PUT", fmt.Sprintf("/api/collections/%d/image", col), tok, map[string]any{"media_id": b}), 200, "collection image")
	check(t, "a collection image changed")
	ok(t, e.sendJSON(t, "DELETE", fmt.Sprintf("/api/collections/%d", col), tok, nil), 204, "collection delete")
	check(t, "a collection deleted")

	patch(t, fmt.Sprintf("/api/media/%d", doc), map[string]any{"poster_id": png})
	patch(t, fmt.Sprintf("/api/media/%d", clip), map[string]any{"poster_id": png})
	check(t, "a chosen poster")
	patch(t, fmt.Sprintf("/api/media/%d", png), map[string]any{"focal_x": 0.5, "focal_y": 0.5})
	check(t, "the poster's focal point")
	e.replaceOK(t, tok, png, "poster-2.png", readFile(t, goImageTestdata("video-001.221212.png")))
	check(t, "the poster replaced")
	e.waitProcessed(t, tok, float64(png))
	check(t, "the poster's new renditions")
	ok(t, e.sendJSON(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", png), tok, nil), 204, "poster trashed")
	check(t, "the poster trashed")
	ok(t, e.sendJSON(t, "POST", fmt.Sprintf("/api/media/%d/restore", png), tok, nil), 200, "poster restored")
	check(t, "the poster restored")

	ok(t, e.sendJSON(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", a), tok, nil), 204, "forced delete")
	check(t, "a forced delete from two galleries")
	ok(t, e.sendJSON(t, "POST", fmt.Sprintf("/api/media/%d/restore", a), tok, nil), 200, "restore")
	check(t, "a restore into them")

	e.replaceOK(t, tok, b, "new-b.png", readFile(t, goImageTestdata("video-005.gray.png")))
	check(t, "a replace")
	e.waitProcessed(t, tok, float64(b))
	check(t, "the replacement's renditions")

	imgs, _, _ := e.gallery(t, tok, p1) // the restore attached a again, as a new gallery image
	ok(t, e.sendJSON(t, "DELETE", fmt.Sprintf("/api/products/%d/images/%d", p1, imgs[0]), tok, nil), 204, "detach")
	check(t, "a detach")
	ok(t, e.sendJSON(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", png), tok, nil), 204, "poster trashed again")
	check(t, "the poster of a gallery's video trashed")
	ok(t, e.sendJSON(t, "DELETE", fmt.Sprintf("/api/media/%d?purge=true", png), tok, nil), 204, "purge")
	check(t, "the poster purged")
	ok(t, e.sendJSON(t, "DELETE", fmt.Sprintf("/api/products/%d", p2), tok, nil), 204, "product delete")
	products = slices.DeleteFunc(products, func(p int64) bool { return p == p2 })
	check(t, "a product deleted with its gallery")

	patch(t, fmt.Sprintf("/api/media/%d", doc), map[string]any{"poster_id": a})
	e.attachOK(t, tok, p1, clip)
	p3 := e.createProduct(t, tok, "Plate")
	products = append(products, p3)
	check(t, "another poster, another attachment")

	// Another program writing the database (a script, an old build): the
	// triggers keep the revisions, not the server's code.
	other, err := sql.Open("sqlite3", "file:"+filepath.Join(e.dir, "gallerist.db")+"?_foreign_keys=on&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// The sqlite3 shell's default: foreign keys off, so deleting a row
	// clears nothing that points at it.
	noFK, err := sql.Open("sqlite3", "file:"+filepath.Join(e.dir, "gallerist.db")+"?_foreign_keys=off&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer noFK.Close()
	for _, q := range []string{
		fmt.Sprintf(`UPDATE media SET alt = 'Set by a script' WHERE id = %d`, b),
		fmt.Sprintf(`DELETE FROM renditions WHERE sha256 = (SELECT sha256 FROM media WHERE id = %d) AND slot = 100`, b),
		fmt.Sprintf(`INSERT INTO renditions SELECT sha256, 240, ext, mime_type, 150, 103, size, created_at FROM renditions
			WHERE sha256 = (SELECT sha256 FROM media WHERE id = %d) AND slot = 50`, b),
		fmt.Sprintf(`UPDATE renditions SET width = width - 1 WHERE sha256 = (SELECT sha256 FROM media WHERE id = %d) AND slot = 50`, b),
		fmt.Sprintf(`UPDATE gallery_images SET updated_at = updated_at + 1000 WHERE product_id = %d`, p1),
		fmt.Sprintf(`UPDATE products SET gallery_version = gallery_version + 1 WHERE id = %d`, p1),
		fmt.Sprintf(`DELETE FROM gallery_images WHERE product_id = %d AND media_id = %d`, p1, clip),
		fmt.Sprintf(`UPDATE gallery_images SET media_id = %d WHERE product_id = %d AND media_id = %d`, b, p1, a),
		fmt.Sprintf(`INSERT INTO variants (org_id, product_id, title, image_id, created_at, updated_at)
			SELECT org_id, product_id, 'Added by a script', id, 0, 0 FROM gallery_images WHERE product_id = %d`, p1),
		fmt.Sprintf(`UPDATE variants SET id = id + 100 WHERE product_id = %d`, p1),
		fmt.Sprintf(`UPDATE variants SET product_id = %d WHERE product_id = %d`, p3, p1),
		fmt.Sprintf(`no FK: DELETE FROM media WHERE id = %d`, a), // the poster of doc
		fmt.Sprintf(`no FK: DELETE FROM media WHERE id = %d`, b), // in p1's gallery
		fmt.Sprintf(`DELETE FROM gallery_images WHERE product_id = %d`, p1),
		fmt.Sprintf(`DELETE FROM media WHERE id = %d`, doc), // live, with a poster
	} {
		db := other
		if after, ok := strings.CutPrefix(q, "no FK: "); ok {
			db, q = noFK, after
		}
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		check(t, q)
	}
	if kept < 30 {
		t.Fatalf("only %d comparisons ran", kept)
	}
}

// TestAnswerRevsCoverColumns keeps migration 024's list of the media
// columns whose change bumps media.rev whole: a column added to media must
// be added there too (or to the ones left out, if no answer shows it).
func TestAnswerRevsCoverColumns(t *testing.T) {
	e := newTestEnv(t)
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.dir, "gallerist.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var trig string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'media_rev_update'`).Scan(&trig); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)AFTER UPDATE OF (.*?) ON media`).FindStringSubmatch(trig)
	if m == nil {
		t.Fatalf("no column list in %s", trig)
	}
	var listed []string
	for _, c := range strings.Split(m[1], ",") {
		listed = append(listed, strings.TrimSpace(c))
	}
	rows, err := db.Query(`SELECT name FROM pragma_table_info('media')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c != "search" && c != "rev" { // the index's text; the revision itself
			cols = append(cols, c)
		}
	}
	slices.Sort(cols)
	slices.Sort(listed)
	if !slices.Equal(cols, listed) {
		t.Fatalf("media's columns %v, but media_rev_update bumps rev for %v", cols, listed)
	}
}
