package storage

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gallerist/data"
)

// searchAlphabet mixes what names and alt texts hold: ASCII of both cases,
// digits, LIKE's own metacharacters, punctuation, accented and CJK letters,
// an emoji, and letters whose lower case changes length (İ, ẞ).
var searchAlphabet = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.%\\'()éÉßçøÅ日本語😀İẞ")

func randomText(r *rand.Rand, min, max int) string {
	n := min + r.IntN(max-min+1)
	var b strings.Builder
	for range n {
		// Mostly lower-case letters, so terms of several letters recur.
		if r.IntN(4) > 0 {
			b.WriteRune(rune('a' + r.IntN(6)))
		} else {
			b.WriteRune(searchAlphabet[r.IntN(len(searchAlphabet))])
		}
	}
	return b.String()
}

// seedSearchRows inserts rows straight into the table (as another tool
// would: not indexed), then has some renamed and re-described, some trashed
// and some purged through the service, and some in another organization.
func seedSearchRows(t testing.TB, e *testEnv, r *rand.Rand, n int, otherOrg int64) {
	t.Helper()
	err := e.db.update(context.Background(), func(tx *sql.Tx) error {
		for i := range n {
			org := e.org.ID
			if i%10 == 9 {
				org = otherOrg
			}
			name := randomText(r, 1, 20) + ".jpg"
			alt := ""
			if r.IntN(3) > 0 {
				alt = randomText(r, 0, 40)
			}
			if _, err := tx.Exec(`INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256, alt,
				created_by, created_at, updated_at, search) VALUES (?, 'image', ?, ?, 'image/jpeg', 1, ?, ?, 'seed', ?, ?, ?)`,
				org, name, name, fmt.Sprintf("%064x", i), alt, 1700000000000+i, 1700000000000+i, searchText(name, alt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pending, err := e.media.PendingIndex(e.ctx); err != nil || pending != n {
		t.Fatalf("%d rows pending indexing (%v), want the %d inserted", pending, err, n)
	}
	if done, err := e.media.IndexPending(context.Background(), nil); err != nil || done != n {
		t.Fatalf("indexed %d (%v), want %d", done, err, n)
	}
	for id := int64(1); id <= int64(n); id += 7 {
		name, alt := randomText(r, 1, 12)+".png", randomText(r, 0, 30)
		name = data.SanitizeFilename(name) // as an upload would name it
		if _, err := e.media.UpdateMedia(e.ctx, id, data.MediaUpdate{Filename: &name, Alt: &alt}); err != nil && data.ErrorCode(err) != data.ECNotFound {
			t.Fatal(err)
		}
	}
	for id := int64(3); id <= int64(n); id += 11 {
		if err := e.media.TrashMedia(e.ctx, id, true); err != nil && data.ErrorCode(err) != data.ECNotFound {
			t.Fatal(err)
		}
		if id%2 == 1 {
			if err := e.media.PurgeMedia(e.ctx, id); err != nil && data.ErrorCode(err) != data.ECNotFound {
				t.Fatal(err)
			}
		}
	}
}

// scanIDs is today's answer without the index: every row's text tested.
func (e *testEnv) scanIDs(t *testing.T, org int64, term string, deleted string) []int64 {
	t.Helper()
	cond := "deleted_at IS NULL"
	if deleted == data.DeletedOnly {
		cond = "deleted_at IS NOT NULL"
	}
	return e.ids(t, `SELECT id FROM media WHERE org_id = ? AND `+cond+` AND search LIKE ? ESCAPE '\' ORDER BY id`,
		org, "%"+escapeLike(strings.ToLower(term))+"%")
}

func (e *testEnv) searchIDs(t *testing.T, term string, deleted string) ([]int64, data.Total) {
	t.Helper()
	ms, total, err := e.media.FindMedia(e.ctx, data.MediaFilter{Q: term, Deleted: deleted, Limit: 100000, Sort: "id"})
	if err != nil {
		t.Fatalf("search %q: %v", term, err)
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids, total
}

// searchTerms are random pieces of the rows' texts (1 to 8 characters, in
// another case, too), random strings, and LIKE's metacharacters.
func searchTerms(t *testing.T, e *testEnv, r *rand.Rand, n int) []string {
	t.Helper()
	var texts []string
	rows, err := e.db.read.Query(`SELECT filename || char(10) || alt FROM media`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		texts = append(texts, s)
	}
	rows.Close()
	terms := []string{"%", "_", "\\", "%_", "a%b", ".jpg", "ß", "İ", "i̇", "日本", "😀", "é", "É", "'", "()", "x", "zzzzzzzz"}
	for len(terms) < n {
		s := []rune(texts[r.IntN(len(texts))])
		l := 1 + r.IntN(8)
		if len(s) < l {
			continue
		}
		i := r.IntN(len(s) - l + 1)
		term := string(s[i : i+l])
		switch r.IntN(4) {
		case 0:
			term = strings.ToUpper(term)
		case 1:
			term = randomText(r, 1, 5)
		}
		terms = append(terms, term)
	}
	return terms
}

// TestSearchMatchesScan: answers from the index are the full scan's, for
// every term, in the live library and the trash, whichever way the index
// answers (from a gram's list or by walking the rows).
func TestSearchMatchesScan(t *testing.T) {
	e := newTestEnv(t)
	other, _ := e.otherOrg(t, "other")
	r := rand.New(rand.NewPCG(1, 2))
	seedSearchRows(t, e, r, 1500, other.ID)
	terms := searchTerms(t, e, r, 400)
	defer func(l func(int) int) { rareLimit = l }(rareLimit)
	for _, limit := range []int{0, 30, 2000} {
		rareLimit = func(int) int { return limit }
		for _, deleted := range []string{data.DeletedExclude, data.DeletedOnly} {
			for _, term := range terms {
				want := e.scanIDs(t, e.org.ID, strings.TrimSpace(term), deleted)
				got, total := e.searchIDs(t, term, deleted)
				if strings.TrimSpace(term) == "" {
					continue
				}
				// Above MaxCountedTotal a total may say "more than" instead.
				totalOK := total == data.Total{N: len(want), Exact: true} ||
					(len(want) > data.MaxCountedTotal && total == data.Total{N: data.MaxCountedTotal})
				if !slices.Equal(got, want) || !totalOK {
					t.Fatalf("rare limit %d, deleted %v, q=%q: index answers %d rows (total %+v), the scan %d\nonly index: %v\nonly scan: %v",
						limit, deleted, term, len(got), total, len(want), minus(got, want), minus(want, got))
				}
			}
		}
	}
}

func minus(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// TestGramCountsFollowPostings: media_gram_counts says how many postings
// each gram has, through indexing, renames, trash, purge and a reindex
// (the triggers of migration 015), so searches plan from true counts.
func TestGramCountsFollowPostings(t *testing.T) {
	e := newTestEnv(t)
	other, _ := e.otherOrg(t, "other")
	seedSearchRows(t, e, rand.New(rand.NewPCG(3, 4)), 600, other.ID)
	e.checkGramCounts(t, "after indexing, renames and purges")
	if _, err := e.media.Reindex(e.ctx, nil); err != nil {
		t.Fatal(err)
	}
	e.checkGramCounts(t, "after a reindex")
}

func (e *testEnv) checkGramCounts(t *testing.T, when string) {
	t.Helper()
	if n := e.count(t, `SELECT COUNT(*) FROM media_grams`); n == 0 {
		t.Fatalf("%s: no postings at all", when)
	}
	// Both directions: every gram's postings counted right, and no count
	// above zero for a gram without postings.
	if n := e.count(t, `SELECT COUNT(*) FROM (SELECT org_id, gram, COUNT(*) AS n FROM media_grams GROUP BY org_id, gram) p
		LEFT JOIN media_gram_counts c USING (org_id, gram) WHERE c.n IS NOT p.n`); n != 0 {
		t.Fatalf("%s: %d grams counted wrong", when, n)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM media_gram_counts c WHERE c.n != 0 AND NOT EXISTS
		(SELECT 1 FROM media_grams p WHERE p.org_id = c.org_id AND p.gram = c.gram)`); n != 0 {
		t.Fatalf("%s: %d grams without postings counted", when, n)
	}
}

// TestNextBitsCoverText: every posting's next has the bit of each
// character that follows its gram in its row's text (migration 025), after
// indexing, edits through the service, texts rewritten by another program
// (whose old postings stay and gain bits), and the refresh of postings that
// predate next; searches answer as the scan does at each step. And the bit
// Go gives a term's character is the one SQL gives it in a text.
func TestNextBitsCoverText(t *testing.T) {
	e := newTestEnv(t)
	other, _ := e.otherOrg(t, "other")
	r := rand.New(rand.NewPCG(5, 6))
	seedSearchRows(t, e, r, 800, other.ID)
	for id := int64(2); id <= 800; id += 9 {
		if err := e.db.update(e.ctx, func(tx *sql.Tx) error {
			// As another program may write it: capitals, now and then a NUL.
			text := randomText(r, 1, 30)
			if id%4 == 2 {
				text += "\x00" + randomText(r, 1, 10)
			}
			_, err := tx.Exec(`UPDATE media SET search = ? WHERE id = ?`, text, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.media.IndexPending(e.ctx, nil); err != nil {
		t.Fatal(err)
	}
	terms := searchTerms(t, e, r, 200)
	e.checkNextBits(t, "after edits by the service and by another program", false)
	e.checkSearchesMatchScan(t, terms, "after edits")

	// As migration 025 leaves a store indexed before it: every posting
	// followed by anything, every row to refresh.
	if err := e.db.update(e.ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE media_grams SET next = 32767`); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO media_grams_stale (media_id) SELECT id FROM media`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.checkSearchesMatchScan(t, terms, "with postings that predate next")
	if _, err := e.media.IndexPending(e.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := e.media.StaleNext(e.ctx); err != nil || n != 0 {
		t.Fatalf("%d rows left to refresh (%v)", n, err)
	}
	e.checkNextBits(t, "after the refresh", true)
	e.checkSearchesMatchScan(t, terms, "after the refresh")

	for _, c := range searchAlphabet {
		var bit int64
		if err := e.db.read.QueryRow(`SELECT 1 << (unicode(lower(?)) % 15)`, string(c)).Scan(&bit); err != nil {
			t.Fatal(err)
		}
		if nextBit(c) != bit {
			t.Fatalf("%q: Go gives bit %b, SQL %b", c, nextBit(c), bit)
		}
	}
}

// checkNextBits checks each posting of each row's text as it is now: the
// posting is there, with the bits of what follows the gram (and, if exact,
// no others).
func (e *testEnv) checkNextBits(t *testing.T, when string, exact bool) {
	t.Helper()
	type key struct {
		org, id int64
		gram    string
	}
	postings := map[key]int64{}
	rows, err := e.db.read.Query(`SELECT org_id, gram, media_id, next FROM media_grams`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k key
		var next int64
		if err := rows.Scan(&k.org, &k.gram, &k.id, &next); err != nil {
			t.Fatal(err)
		}
		postings[k] = next
	}
	rows.Close()
	rows, err = e.db.read.Query(`SELECT org_id, id, search FROM media WHERE id NOT IN (SELECT media_id FROM media_search_dirty)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checked := 0
	for rows.Next() {
		var org, id int64
		var search string
		if err := rows.Scan(&org, &id, &search); err != nil {
			t.Fatal(err)
		}
		want := PostingsOf(search)
		for g, bits := range want {
			got, ok := postings[key{org, id, g}]
			switch {
			case !ok:
				t.Fatalf("%s: row %d has no posting of %q", when, id, g)
			case got&bits != bits:
				t.Fatalf("%s: row %d's posting of %q has bits %b, lacks some of %b (text %q)", when, id, g, got, bits, search)
			case exact && got != bits:
				t.Fatalf("%s: row %d's posting of %q has bits %b, want exactly %b (text %q)", when, id, g, got, bits, search)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatalf("%s: no posting checked", when)
	}
}

// checkSearchesMatchScan searches each term (by id, live items) and
// compares the answer with the scan's.
func (e *testEnv) checkSearchesMatchScan(t *testing.T, terms []string, when string) {
	t.Helper()
	for _, term := range terms {
		e.checkTermMatchesScan(t, term, when, data.DeletedExclude, true)
	}
}

// checkTermMatchesScan searches term among live items (deleted
// DeletedExclude) or the trash (DeletedOnly) and compares the answer and
// the totals of short pages with the scan's. A total is exact (or says
// "more than MaxCountedTotal") when exact is set; otherwise it may also be
// a floor, as a count cut short gives (maxCountWalk), never above the
// scan's count nor below the page.
func (e *testEnv) checkTermMatchesScan(t *testing.T, term, when, deleted string, exact bool) {
	t.Helper()
	if strings.TrimSpace(term) == "" {
		return
	}
	want := e.scanIDs(t, e.org.ID, strings.TrimSpace(term), deleted)
	if got, _ := e.searchIDs(t, term, deleted); !slices.Equal(got, want) {
		t.Fatalf("%s: q=%q (deleted %q): index answers %d rows, the scan %d\nonly index: %v\nonly scan: %v", when, term, deleted, len(got), len(want), minus(got, want), minus(want, got))
	}
	// A short page has its total counted (the whole list's is the page's
	// own): as the scan counts it, in every plan.
	for _, sort := range []string{"id", ""} {
		page, total, err := e.media.FindMedia(e.ctx, data.MediaFilter{Q: term, Deleted: deleted, Limit: 3, Sort: sort})
		counted := data.Total{N: len(want), Exact: true}
		if len(want) > data.MaxCountedTotal {
			counted = data.Total{N: data.MaxCountedTotal}
		}
		floor := !exact && !total.Exact && len(page) <= total.N && total.N <= len(want)
		if err != nil || total != counted && !floor {
			t.Fatalf("%s: q=%q (deleted %q), a page of 3 sorted by %q: total %+v (%v), the scan %d", when, term, deleted, sort, total, err, len(want))
		}
	}
}

// TestUpgradeTo025: a store indexed before migration 025 opens with every
// posting followed by anything and every row listed to refresh (one row
// pending indexing, which IndexPending indexes first); its searches are the
// scan's before and after the refresh, which leaves every bit exact.
func TestUpgradeTo025(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gallerist.db")
	old := openDBBefore(t, path, 25)
	if _, err := old.Exec(`INSERT INTO orgs (id, slug, name, created_at, file_secret) VALUES (1, 'default', 'Default', 0, x'00')`); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	const n = 600
	for i := 1; i <= n; i++ {
		name, alt := randomText(r, 1, 20)+".jpg", randomText(r, 0, 30)
		if _, err := old.Exec(`INSERT INTO media (id, org_id, kind, filename, original_filename, mime_type, size, sha256, alt, created_by, created_at, updated_at, search)
			VALUES (?, 1, 'image', ?, ?, 'image/jpeg', 1, ?, ?, 'x', ?, ?, ?)`, i, name, name, fmt.Sprintf("%064x", i), alt, i, i, searchText(name, alt)); err != nil {
			t.Fatal(err)
		}
	}
	// Indexed as the build before 025 indexed (all but the last row).
	if _, err := old.Exec(`INSERT OR IGNORE INTO media_grams (org_id, gram, media_id) WITH RECURSIVE g(org, id, s, i) AS (
		SELECT org_id, id, search || char(1, 1), 1 FROM media WHERE id < ?
		UNION ALL SELECT org, id, s, i + 1 FROM g WHERE i + 3 <= length(s))
		SELECT DISTINCT org, substr(s, i, 3), id FROM g`, n); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`DELETE FROM media_search_dirty WHERE media_id < ?`, n); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := OpenDB(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, staging := openLocalBlobs(t, dir)
	e := &testEnv{dir: dir, db: db, blobs: blobs, staging: staging, orgs: NewOrgService(db), media: NewMediaService(db, blobs, staging, data.DefaultLimits())}
	if e.org, err = e.orgs.EnsureDefaultOrg(context.Background()); err != nil || e.org.ID != 1 {
		t.Fatalf("default org %+v (%v)", e.org, err)
	}
	e.ctx = actingIn(e.org.ID)
	if stale, err := e.media.StaleNext(e.ctx); err != nil || stale != n {
		t.Fatalf("%d rows to refresh (%v), want all %d", stale, err, n)
	}
	if c := e.count(t, `SELECT COUNT(*) FROM media_grams WHERE next != 32767`); c != 0 {
		t.Fatalf("%d old postings without every bit", c)
	}
	terms := searchTerms(t, e, r, 150)
	e.checkSearchesMatchScan(t, terms, "before the refresh")
	if done, err := e.media.IndexPending(e.ctx, nil); err != nil || done != 1 {
		t.Fatalf("indexed %d (%v), want the 1 row pending", done, err)
	}
	if stale, err := e.media.StaleNext(e.ctx); err != nil || stale != 0 {
		t.Fatalf("%d rows still to refresh (%v)", stale, err)
	}
	e.checkNextBits(t, "after the refresh", true)
	e.checkSearchesMatchScan(t, terms, "after the refresh")
}
