package storage

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gallerist/data"
)

// walkWords are what the walk test's names and alt texts are made of:
// words that recur (so some grams are in most rows), unicode of several
// kinds, and LIKE's metacharacters.
var walkWords = []string{"mug", "ceramic", "front", "back", "mug-front", "café", "CAFÉ", "naïve", "日本語", "straße", "été",
	"100%", "under_score", "o'brien", "(side)", "😀", "İstanbul", "a\\b", "walnut", "bowl", "linen", "детали", "ǅemal", "x"}

func walkName(r *rand.Rand) string {
	seps := []string{"-", "_", " ", ".", ""}
	var b strings.Builder
	for i := range 1 + r.IntN(4) {
		if i > 0 {
			b.WriteString(seps[r.IntN(len(seps))])
		}
		b.WriteString(walkWords[r.IntN(len(walkWords))])
	}
	fmt.Fprintf(&b, "-%d.%s", r.IntN(500), []string{"jpg", "png", "mp4", "pdf"}[r.IntN(4)])
	return b.String()
}

func walkAlt(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return ""
	}
	words := make([]string, 1+r.IntN(6))
	for i := range words {
		words[i] = walkWords[r.IntN(len(walkWords))]
	}
	return strings.Join(words, " ")
}

// seedWalkRows inserts n rows through SQL, in time order (created_at grows
// with the id), one in ten in org other, some of them trashed, and indexes them.
func seedWalkRows(t *testing.T, e *testEnv, r *rand.Rand, n int, other int64) {
	t.Helper()
	kinds := []data.Kind{data.KindImage, data.KindImage, data.KindImage, data.KindVideo, data.KindDocument}
	err := e.db.update(context.Background(), func(tx *sql.Tx) error {
		for i := range n {
			org := e.org.ID
			if i%10 == 9 {
				org = other
			}
			name, alt := walkName(r), walkAlt(r)
			var deleted any
			if i%13 == 5 {
				deleted = 1700000000000 + int64(n+i)
			}
			// Now and then several rows arrive in the same millisecond.
			at := 1700000000000 + int64(i/3)*1000
			if _, err := tx.Exec(`INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256, alt,
				created_by, created_at, updated_at, deleted_at, search) VALUES (?, ?, ?, ?, 'image/jpeg', 1, ?, ?, 'seed', ?, ?, ?, ?)`,
				org, kinds[r.IntN(len(kinds))], name, name, fmt.Sprintf("%064x", i), alt, at, at, deleted, searchText(name, alt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.media.IndexPending(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// walkTerms are pieces (3 to 8 characters) of the rows' texts, some in
// another case, and fixed terms: common words, rare ones, none at all.
func walkTerms(t *testing.T, e *testEnv, r *rand.Rand, n int) []string {
	t.Helper()
	var texts []string
	rows, err := e.db.read.Query(`SELECT filename || char(10) || alt FROM media WHERE org_id = ?`, e.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, s)
	}
	rows.Close()
	terms := []string{"mug", "MUG", "front", "mug-front", ".jpg", "100%", "r_s", "o'b", "a\\b", "日本語", "café", "straße",
		"😀 m", "İst", "i̇st", "детали", "ǆem", "zzzz", "alnut bo"}
	for len(terms) < n {
		s := []rune(texts[r.IntN(len(texts))])
		l := 3 + r.IntN(6)
		if len(s) < l {
			continue
		}
		i := r.IntN(len(s) - l + 1)
		term := string(s[i : i+l])
		if len([]rune(strings.TrimSpace(term))) < 3 {
			continue
		}
		if r.IntN(4) == 0 {
			term = strings.ToUpper(term)
		}
		terms = append(terms, term)
	}
	return terms
}

// scanOrder is the answer to term and f without the service: the rows of
// the organization whose text matches, by plain SQL, in f's order.
func (e *testEnv) scanOrder(t *testing.T, term string, f data.MediaFilter) []int64 {
	t.Helper()
	cond := "deleted_at IS NULL"
	if f.Deleted == data.DeletedOnly {
		cond = "deleted_at IS NOT NULL"
	}
	args := []any{e.org.ID, "%" + escapeLike(strings.ToLower(strings.TrimSpace(term))) + "%"}
	if f.Kind != "" {
		cond, args = cond+" AND kind = ?", append(args, f.Kind)
	}
	if f.MissingAlt {
		cond += " AND kind = 'image' AND alt = ''"
	}
	if f.SinceID != 0 {
		cond, args = cond+" AND id > ?", append(args, f.SinceID)
	}
	order := map[string]string{"": "created_at DESC, id DESC", "-created_at": "created_at DESC, id DESC",
		"created_at": "created_at, id", "id": "id", "-id": "id DESC"}[f.Sort]
	return e.ids(t, `SELECT id FROM media WHERE org_id = ? AND search LIKE ? ESCAPE '\' AND `+cond+` ORDER BY `+order, args...)
}

// checkWalk compares, for every term, pages of several filters from e.media
// with the same pages from scan (which never walks postings) and with
// scanOrder: the same items, field for field, and the same totals. It
// returns how many pages e.media answered in id order (by id, or after a
// since_id) and in created_at order, and how many it walked.
func (e *testEnv) checkWalk(t *testing.T, scan *MediaService, terms []string) (byID, byCreated, walked int) {
	t.Helper()
	before := e.media.pagesWalked.Load()
	filters := []data.MediaFilter{
		{}, {Sort: "created_at"}, {Sort: "-id"}, {Sort: "id"},
		{Kind: data.KindImage, MissingAlt: true}, {Kind: data.KindVideo, Sort: "-id"}, {Deleted: data.DeletedOnly},
	}
	compare := func(term string, f data.MediaFilter, want []int64) {
		t.Helper()
		if f.SinceID != 0 || strings.HasSuffix(f.Sort, "id") {
			byID++
		} else {
			byCreated++
		}
		got, total, err := e.media.FindMedia(e.ctx, f)
		if err != nil {
			t.Fatalf("q=%q %+v: %v", term, f, err)
		}
		sgot, stotal, err := scan.FindMedia(e.ctx, f)
		if err != nil {
			t.Fatalf("scan q=%q %+v: %v", term, f, err)
		}
		if !reflect.DeepEqual(got, sgot) || total != stotal {
			t.Fatalf("q=%q %+v: %v (total %+v), the scan %v (total %+v)", term, f, mediaIDs(got), total, mediaIDs(sgot), stotal)
		}
		end := min(len(want), f.Offset+f.Limit)
		if !slices.Equal(mediaIDs(got), want[min(f.Offset, end):end]) {
			t.Fatalf("q=%q %+v: %v, plain SQL %v", term, f, mediaIDs(got), want[min(f.Offset, end):end])
		}
		// A floor is at most the matches, but for a page past the end when
		// the count stopped walking: walkedTotal raises it to the offset.
		floor := len(want)
		if len(got) == 0 && f.Offset > 0 {
			floor = max(floor, f.Offset)
		}
		if n := len(want); total.Exact && total.N != n || !total.Exact && (total.N > floor || total.N > data.MaxCountedTotal) {
			t.Fatalf("q=%q %+v: total %+v, %d match", term, f, total, n)
		}
	}
	for _, term := range terms {
		for i, f := range filters {
			f.Q, f.Limit = term, 6
			want := e.scanOrder(t, term, f)
			offsets := []int{0, max(0, len(want)-2)}
			if i == 0 {
				offsets = append(offsets, 6, len(want)+3) // the second page, and past the end
			}
			for _, off := range offsets {
				f.Offset = off
				compare(term, f, want)
			}
		}
		// Paging by since_id: pages of 5, each after the last id of the
		// page before, the first three and the last.
		all := e.scanOrder(t, term, data.MediaFilter{Sort: "id"})
		for _, i := range []int{0, 5, 10, max(15, len(all)-3)} {
			f := data.MediaFilter{Q: term, Limit: 5, Sort: "id"}
			if i > 0 {
				if i > len(all) {
					break
				}
				f.SinceID = all[i-1]
			}
			compare(term, f, all[i:])
		}
	}
	return byID, byCreated, int(e.media.pagesWalked.Load() - before)
}

// TestSearchWalkMatchesScan: pages walked from a gram's postings are the
// pages the scan finds, item for item, with the same totals, for generated
// names and alt texts, in every order the walk answers, filtered by kind,
// missing alt text and trash, by offset and by since_id. Walks stop when a
// row of the organization is out of time order (for the created_at orders)
// or a row is pending indexing (for all), and the scan answers the same.
func TestSearchWalkMatchesScan(t *testing.T) {
	e := newTestEnv(t)
	other, _ := e.otherOrg(t, "other")
	r := rand.New(rand.NewPCG(5, 6))
	seedWalkRows(t, e, r, 800, other.ID)
	terms := walkTerms(t, e, r, 70) // 19 fixed, 51 random
	// The fallbacks are checked on fewer terms (the fixed ones, and some).
	few := terms[:30]
	scan := NewMediaService(e.db, e.blobs, e.staging, data.DefaultLimits())
	scan.scanOnly = true
	inOrder := func() int { return e.count(t, `SELECT in_order FROM media_arrival WHERE org_id = ?`, e.org.ID) }

	t.Run("in order", func(t *testing.T) {
		if inOrder() != 1 {
			t.Fatal("the seeded rows are not in order")
		}
		if byID, byCreated, walked := e.checkWalk(t, scan, terms); walked != byID+byCreated {
			t.Fatalf("%d of %d pages walked, want all", walked, byID+byCreated)
		}
	})
	t.Run("in order, every term common", func(t *testing.T) {
		// Pages and counts as for terms whose every gram is in most rows:
		// the counts walk postings, and stop after 50.
		defer func(l func(int) int, w int) { rareLimit, maxCountWalk = l, w }(rareLimit, maxCountWalk)
		rareLimit, maxCountWalk = func(int) int { return 0 }, 50
		if byID, byCreated, walked := e.checkWalk(t, scan, terms); walked != byID+byCreated {
			t.Fatalf("%d of %d pages walked, want all", walked, byID+byCreated)
		}
	})
	t.Run("a row pending", func(t *testing.T) {
		// Written by another tool: not indexed, matches common terms.
		name := "mug-front-ceramic-café-日本語.jpg"
		if err := e.db.ExecForTest(`INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256,
			created_by, created_at, updated_at, search) VALUES (?, 'image', ?, ?, 'image/jpeg', 1, 'ff', 'tool', ?, ?, ?)`,
			e.org.ID, name, name, 1800000000000, 1800000000000, searchText(name, "")); err != nil {
			t.Fatal(err)
		}
		if byID, byCreated, walked := e.checkWalk(t, scan, few); walked != 0 {
			t.Fatalf("%d of %d pages walked with a row pending, want none", walked, byID+byCreated)
		}
		if _, err := e.media.IndexPending(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a row out of order", func(t *testing.T) {
		if err := e.db.ExecForTest(`UPDATE media SET created_at = created_at - 50000
			WHERE id = (SELECT id FROM media WHERE org_id = ? AND deleted_at IS NULL AND id > 400 LIMIT 1)`, e.org.ID); err != nil {
			t.Fatal(err)
		}
		if inOrder() != 0 {
			t.Fatal("an older created_at did not clear in_order")
		}
		if byID, byCreated, walked := e.checkWalk(t, scan, few); walked != byID {
			t.Fatalf("%d pages walked with a row out of order, want the %d in id order (not the %d by created_at)", walked, byID, byCreated)
		}
	})
}

// TestSearchWalkPlan: what walks and what does not (the page itself is
// checked by TestSearchWalkMatchesScan).
func TestSearchWalkPlan(t *testing.T) {
	e := newTestEnv(t)
	for _, name := range []string{"ceramic-mug-front.jpg", "ceramic-mug-back.jpg", "linen-mug.jpg"} {
		e.createMedia(t, e.ctx, name, jpegA)
	}
	p := e.createProduct(t, e.ctx, "Mug")
	for _, c := range []struct {
		f    data.MediaFilter
		walk bool
		n    int
	}{
		{data.MediaFilter{Q: "mug"}, true, 3},
		{data.MediaFilter{Q: "mug front"}, true, 0},
		{data.MediaFilter{Q: "mug-front", Sort: "-id"}, true, 1},
		{data.MediaFilter{Q: "mu"}, false, 3},                // no gram: no postings to walk
		{data.MediaFilter{Q: "mug", Sort: "size"}, false, 3}, // not id order
		{data.MediaFilter{Q: "mug", Sort: "filename"}, false, 3},
		{data.MediaFilter{Q: "mug", ProductID: p.ID}, false, 0},
		{data.MediaFilter{Q: "mug", ID: 2}, false, 1},
		{data.MediaFilter{Q: "mug", SHA256: shaOf(imageTestdata(t, jpegA))}, false, 3},
		{data.MediaFilter{Q: "mug", SinceID: 1}, true, 2},
	} {
		before := e.media.pagesWalked.Load()
		out, total, err := e.media.FindMedia(e.ctx, c.f)
		if err != nil {
			t.Fatalf("%+v: %v", c.f, err)
		}
		if walked := e.media.pagesWalked.Load() > before; walked != c.walk || len(out) != c.n || total != (data.Total{N: c.n, Exact: true}) {
			t.Errorf("%+v: walked %v, %d items, total %+v; want walked %v, %d items", c.f, walked, len(out), total, c.walk, c.n)
		}
	}
}

// TestMediaArrivalBackfill: migration 023 finds, from the rows there are,
// which organization's rows arrived in time order; the triggers then keep
// it: an insert in order keeps it, an older one or a changed created_at
// clears it.
func TestMediaArrivalBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gallerist.db")
	old := openDBBefore(t, path, 23)
	if _, err := old.Exec(`INSERT INTO orgs (id, slug, name, created_at, file_secret) VALUES
		(1, 'ordered', 'Ordered', 0, x'00'), (2, 'unordered', 'Unordered', 0, x'01'), (3, 'empty', 'Empty', 0, x'02')`); err != nil {
		t.Fatal(err)
	}
	// Org 1: created_at never goes down by id (ties too); org 2: row 6 is
	// older than row 4 before it. The orgs' rows interleave.
	for _, row := range [][3]int64{{1, 1, 100}, {2, 2, 100}, {3, 1, 100}, {4, 2, 300}, {5, 1, 200}, {6, 2, 250}, {7, 2, 400}, {8, 1, 900}} {
		if _, err := old.Exec(`INSERT INTO media (id, org_id, kind, filename, original_filename, mime_type, size, sha256, created_by, created_at, updated_at, search)
			VALUES (?, ?, 'image', 'a.jpg', 'a.jpg', 'image/jpeg', 1, 'aa', 'x', ?, ?, 'a.jpg')`, row[0], row[1], row[2], row[2]); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	db, err := OpenDB(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	arrival := func(when string, want string) {
		t.Helper()
		var got string
		if err := db.QueryRowForTest(`SELECT group_concat(org_id || ':' || last_id || ',' || last_created || ',' || in_order, ' ')
			FROM (SELECT * FROM media_arrival ORDER BY org_id)`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: media_arrival %q, want %q", when, got, want)
		}
	}
	arrival("after the backfill", "1:8,900,1 2:7,400,0")
	insert := func(org, at int64) {
		t.Helper()
		if err := db.ExecForTest(`INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256, created_by, created_at, updated_at, search)
			VALUES (?, 'image', 'b.jpg', 'b.jpg', 'image/jpeg', 1, 'bb', 'x', ?, ?, 'b.jpg')`, org, at, at); err != nil {
			t.Fatal(err)
		}
	}
	insert(1, 900)
	insert(3, 50)
	arrival("after inserts in order", "1:9,900,1 2:7,400,0 3:10,50,1")
	insert(3, 49)
	arrival("after an older insert", "1:9,900,1 2:7,400,0 3:11,50,0")
	if err := db.ExecForTest(`UPDATE media SET created_at = created_at, alt = 'x' WHERE org_id = 1`); err != nil {
		t.Fatal(err)
	}
	arrival("after an update that changes no time", "1:9,900,1 2:7,400,0 3:11,50,0")
	if err := db.ExecForTest(`UPDATE media SET created_at = 950 WHERE id = 5`); err != nil {
		t.Fatal(err)
	}
	arrival("after a changed created_at", "1:9,950,0 2:7,400,0 3:11,50,0")
}

// TestArrivalTimeClamp: after the clock steps back by up to
// maxClockStepBack, an upload is stamped with the organization's latest
// created_at, so its rows stay in time order; a bigger step back is stored
// as the clock says (and the rows are then out of order). Another
// organization's times do not count.
func TestArrivalTimeClamp(t *testing.T) {
	e := newTestEnv(t)
	start := e.clock.Now()
	a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
	e.clock.Set(start.Add(-maxClockStepBack))
	b := e.createMedia(t, e.ctx, "b.jpg", jpegA)
	other, octx := e.otherOrg(t, "other")
	o := e.createMedia(t, octx, "o.jpg", jpegA)
	e.clock.Set(start.Add(time.Second))
	c := e.createMedia(t, e.ctx, "c.jpg", jpegA)
	for _, c := range []struct {
		m    *data.Media
		want time.Time
	}{{a, start}, {b, start}, {o, start.Add(-maxClockStepBack)}, {c, start.Add(time.Second)}} {
		if !c.m.CreatedAt.Equal(c.want) || !c.m.UpdatedAt.Equal(c.want) {
			t.Errorf("%s: created %v, updated %v, want both %v", c.m.Filename, c.m.CreatedAt, c.m.UpdatedAt, c.want)
		}
	}
	if e.count(t, `SELECT in_order FROM media_arrival WHERE org_id = ?`, e.org.ID) != 1 {
		t.Fatal("clamped uploads left the rows out of order")
	}
	e.clock.Set(start.Add(time.Second - maxClockStepBack - time.Millisecond))
	d := e.createMedia(t, e.ctx, "d.jpg", jpegA)
	if !d.CreatedAt.Equal(e.clock.Now()) {
		t.Errorf("after a step back of more than %v: created %v, want the clock's %v", maxClockStepBack, d.CreatedAt, e.clock.Now())
	}
	if e.count(t, `SELECT in_order FROM media_arrival WHERE org_id = ?`, e.org.ID) != 0 {
		t.Error("an upload older than the rows before it left them in order")
	}
	if e.count(t, `SELECT in_order FROM media_arrival WHERE org_id = ?`, other.ID) != 1 {
		t.Error("another organization's upload put this one's rows out of order")
	}
}

// Reindex finds in_order again from the rows: a row whose created_at was
// changed (clearing it for good) but is still in order walks again after
// `gallerist reindex`, and a row really out of order keeps it cleared.
func TestReindexFindsArrivalOrderAgain(t *testing.T) {
	e := newTestEnv(t)
	for _, n := range []string{"a.jpg", "b.jpg", "c.jpg"} {
		e.createMedia(t, e.ctx, n, jpegA)
	}
	inOrder := func(t *testing.T) int {
		t.Helper()
		return e.count(t, `SELECT in_order FROM media_arrival WHERE org_id = ?`, e.org.ID)
	}
	last := e.ids(t, `SELECT MAX(id) FROM media`)[0]
	if err := e.db.ExecForTest(`UPDATE media SET created_at = created_at + 1 WHERE id = ?`, last); err != nil {
		t.Fatal(err)
	}
	if inOrder(t) != 0 {
		t.Fatal("a change of created_at left in_order set")
	}
	if _, err := e.media.Reindex(e.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if inOrder(t) != 1 {
		t.Fatal("reindex did not find the rows in order again")
	}
	if err := e.db.ExecForTest(`UPDATE media SET created_at = 0 WHERE id = ?`, last); err != nil {
		t.Fatal(err)
	}
	if _, err := e.media.Reindex(e.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if inOrder(t) != 0 {
		t.Fatal("reindex set in_order for rows out of order")
	}
}

// openDBBefore creates the database at path as the builds before migration
// version left it: every earlier migration applied and recorded, none
// after. The caller closes it, then opens it with OpenDB to migrate it.
func openDBBefore(t *testing.T, path string, version int) *sql.DB {
	t.Helper()
	old, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, _ := fs.Glob(migrationFS, "migrations/*.sql")
	slices.Sort(names)
	for _, n := range names {
		v, err := migrationVersion(filepath.Base(n))
		if err != nil {
			t.Fatal(err)
		}
		if v >= version {
			continue
		}
		body, _ := migrationFS.ReadFile(n)
		if _, err := old.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if _, err := old.Exec(`INSERT INTO migrations VALUES (?, ?, 0)`, v, filepath.Base(n)); err != nil {
			t.Fatal(err)
		}
	}
	return old
}
