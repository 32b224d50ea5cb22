package main

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
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
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gallerist.db")+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM media_search_dirty`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
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
