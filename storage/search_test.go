package storage

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
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
func seedSearchRows(t *testing.T, e *testEnv, r *rand.Rand, n int, otherOrg int64) {
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
