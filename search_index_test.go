package main

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// unindexedRows puts n media rows into the data dir's database as another
// tool would (and as a database restored from before the index looks):
// rows with search text and no postings, marked pending by the triggers.
func unindexedRows(t *testing.T, dir string, n int, losePostings bool) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gallerist.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256, alt, created_by, created_at, updated_at, search)
		SELECT 1, 'image', 'tool-written-' || i || '.jpg', 'x.jpg', 'image/jpeg', 1, printf('%064x', i), 'Walnut tray ' || i,
			'tool', 1700000000000 + i, 1700000000000 + i, lower('tool-written-' || i || '.jpg' || char(10) || 'Walnut tray ' || i)
		FROM seq`, n); err != nil {
		t.Fatal(err)
	}
	if !losePostings {
		return
	}
	// And the postings of every row forgotten, as if the index were lost.
	if _, err := db.Exec(`DELETE FROM media_grams`); err != nil {
		t.Fatal(err)
	}
}

func pendingIndex(t *testing.T, dir string) int {
	t.Helper()
	return bkCount(t, dir, `SELECT COUNT(*) FROM media_search_dirty`)
}

// TestReindexCommand: `gallerist reindex` indexes rows another tool wrote
// and rebuilds lost postings; searches find them, the same before and after.
func TestReindexCommand(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	e.uploadOK(t, tok, "walnut-tray-front.png", pngOf(t, 1))
	unindexedRows(t, e.dir, 3000, false)
	search := func(q string) (total float64) {
		t.Helper()
		r := e.getJSON(t, "/api/media?limit=5&q="+url.QueryEscape(q), tok)
		if r.Status != 200 {
			t.Fatalf("search %q: %d %s", q, r.Status, r.Body)
		}
		return r.json(t)["total"].(float64)
	}
	terms := map[string]float64{"tool-written-2999.": 1, "walnut tray 1234": 1, "walnut-tray-front": 1, "tray 29": 111, "zz": 0}
	for q, want := range terms {
		if got := search(q); got != want {
			t.Fatalf("before reindexing, q=%q: total %v, want %v", q, got, want)
		}
	}
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"reindex", "--data", e.dir}, func(string) string { return "" }, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("reindex: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "Indexed the search text of 3,001 media items") {
		t.Fatalf("reindex said %q", out.String())
	}
	if n := pendingIndex(t, e.dir); n != 0 {
		t.Fatalf("%d rows still pending after reindex", n)
	}
	e.app.handlers.SetAnswerCache(false)
	for q, want := range terms {
		if got := search(q); got != want {
			t.Fatalf("after reindexing, q=%q: total %v, want %v", q, got, want)
		}
	}
}

// TestServerIndexesPendingRowsAtStart: the real server, started on a data
// dir whose index lost every posting and that holds rows another tool
// wrote, notices and indexes them in the background.
func TestServerIndexesPendingRowsAtStart(t *testing.T) {
	s := startBinary(t, buildBinary(t))
	s.upload(t, "walnut-tray-front.png", pngOf(t, 2))
	s.stop()
	unindexedRows(t, s.dir, 5000, true)
	s.start(t)
	deadline := time.Now().Add(2 * time.Minute)
	for pendingIndex(t, s.dir) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d rows still pending two minutes after start\n%s", pendingIndex(t, s.dir), s.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(s.log.String(), "indexed search text") {
		t.Fatalf("the server did not say it indexed:\n%s", s.log.String())
	}
	if !strings.Contains(s.log.String(), "rows without postings") {
		t.Fatalf("the server did not notice the lost postings:\n%s", s.log.String())
	}
	for _, q := range []string{"walnut tray 4321", "walnut-tray-front"} {
		st, body := s.request(t, "GET", "/api/media?limit=1&q="+url.QueryEscape(q), nil, "")
		if st != 200 || !strings.Contains(string(body), `"total":1`) {
			t.Fatalf("search %q after indexing: %d %s", q, st, body)
		}
	}
}

// TestTotalsAboveTheCount: a search matching more than
// data.MaxCountedTotal items says "more than" (API: total_exact false; the
// library: "1000+ items", pages without a last page number, Next while
// pages are full), the whole library is still counted exactly, and a
// narrow search gets its exact count.
func TestTotalsAboveTheCount(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	seedMedia(t, e, 1300) // "product-i.jpg", alt "Ceramic mug number i" on two in three
	e.app.handlers.SetAnswerCache(false)
	list := func(query string) (float64, bool, int) {
		t.Helper()
		r := e.getJSON(t, "/api/media?"+query, tok)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", query, r.Status, r.Body)
		}
		j := r.json(t)
		return j["total"].(float64), j["total_exact"].(bool), len(j["data"].([]any))
	}
	for _, c := range []struct {
		query string
		total float64
		exact bool
	}{
		{"limit=10", 1300, true},                     // the counters
		{"limit=10&q=product", 1000, false},          // every row
		{"limit=10&q=mug", 867, true},                // two in three: below the cap
		{"limit=10&q=number+12", 1 + 10 + 100, true}, // 12, 120-129, 1200-1299 but the multiples of 3
		{"limit=10&q=zzz", 0, true},
		{"limit=10&missing_alt=true", 433, true}, // every third: exactly counted below the cap
		{"limit=10&q=product&kind=image", 1000, false},
	} {
		total, exact, _ := list(c.query)
		want := c.total
		if c.query == "limit=10&q=number+12" {
			want = float64(len(numberTerms(1300, "12")))
		}
		if total != want || exact != c.exact {
			t.Errorf("%s: total %v exact %v, want %v %v", c.query, total, exact, want, c.exact)
		}
	}
	// Deep pages of a "more than" list go on while they are full.
	if _, _, n := list("limit=100&offset=1200&q=product"); n != 100 {
		t.Fatalf("offset 1200 of a 1300-match search: %d items", n)
	}

	c := loggedInClient(t, e)
	st, body := c.get(t, "/media?q=product")
	if st != 200 {
		t.Fatalf("library search: %d", st)
	}
	for _, want := range []string{"1–48 of 1000+ items", ">Page 1<", `rel="next"`} {
		if !strings.Contains(body, want) {
			t.Errorf("library search lacks %q", want)
		}
	}
	if strings.Contains(body, "Page 1 of") || strings.Contains(body, "1001") {
		t.Error("library search shows a count it did not make")
	}
	st, body = c.get(t, "/media?q=product&offset=1296")
	if st != 200 || !strings.Contains(body, "1297–1300 of 1000+ items") || strings.Contains(body, `rel="next"`) {
		t.Errorf("the last page of a 1000+ search: %d, range or Next wrong", st)
	}
	st, body = c.get(t, "/media")
	if st != 200 || !strings.Contains(body, "of 1,300 items") && !strings.Contains(body, "of 1300 items") {
		t.Errorf("the whole library is counted exactly: %d", st)
	}
}

// numberTerms lists the seeded rows (seedMedia) whose alt text holds "number <sub>".
func numberTerms(n int, sub string) []int {
	var out []int
	for i := 1; i <= n; i++ {
		if i%3 != 0 && strings.Contains("ceramic mug number "+strconv.Itoa(i), "number "+sub) {
			out = append(out, i)
		}
	}
	return out
}
