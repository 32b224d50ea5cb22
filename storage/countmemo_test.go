package storage

import (
	"database/sql"
	"fmt"
	"testing"

	"gallerist/data"
)

// TestCountMemoNeverOverstates takes filters whose matches start above the
// count's cap down below it, one change at a time (a trash, a rename, a
// purge, an update by another program), and checks after each that every
// total is what counting the rows says: "more than 1,000" only while more
// than 1,000 match, the exact number after. It also checks that most of
// those answers came from kept counts, so the test is of them.
func TestCountMemoNeverOverstates(t *testing.T) {
	e := newTestEnv(t)
	const n = 1400
	e.seedNamed(t, n, "walnut-bowl-%d.jpg")
	filters := []struct {
		f     data.MediaFilter
		truth string
	}{
		{data.MediaFilter{Q: "walnut-b"}, `search LIKE '%walnut-b%'`},
		{data.MediaFilter{Q: "bowl"}, `search LIKE '%bowl%'`},
		{data.MediaFilter{SinceID: 3}, `id > 3`},
		{data.MediaFilter{Kind: data.KindImage, MissingAlt: true}, `kind = 'image' AND alt = ''`},
	}
	check := func(t *testing.T, step string) {
		t.Helper()
		for _, c := range filters {
			f := c.f
			f.Limit = 24
			_, total, err := e.media.FindMedia(e.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			want := data.Total{N: e.count(t, `SELECT COUNT(*) FROM media WHERE org_id = ? AND deleted_at IS NULL AND `+c.truth, e.org.ID), Exact: true}
			if want.N > data.MaxCountedTotal {
				want = data.Total{N: data.MaxCountedTotal}
			}
			if total != want {
				t.Fatalf("after %s, %+v: total %+v, but the rows say %+v", step, c.f, total, want)
			}
		}
	}
	check(t, "seeding")
	before := e.media.counts.used.Load()
	other, err := sql.Open("sqlite3", "file:"+e.db.path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := int64(1); i <= 420; i++ {
		var step string
		switch i % 4 {
		case 0:
			if err := e.media.TrashMedia(e.ctx, i, false); err != nil {
				t.Fatal(err)
			}
			step = fmt.Sprintf("trashing %d", i)
		case 1:
			name := fmt.Sprintf("oak-plate-%d.jpg", i)
			if _, err := e.media.UpdateMedia(e.ctx, i, data.MediaUpdate{Filename: &name}); err != nil {
				t.Fatal(err)
			}
			step = fmt.Sprintf("renaming %d", i)
		case 2:
			if err := e.media.TrashMedia(e.ctx, i, false); err != nil {
				t.Fatal(err)
			}
			if err := e.media.PurgeMedia(e.ctx, i); err != nil {
				t.Fatal(err)
			}
			step = fmt.Sprintf("purging %d", i)
		case 3:
			if _, err := other.Exec(`UPDATE media SET alt = 'set by a script', deleted_at = 1 WHERE id = ?`, i); err != nil {
				t.Fatal(err)
			}
			step = fmt.Sprintf("another program trashing %d", i)
		}
		check(t, step)
	}
	if used := e.media.counts.used.Load() - before; used < 420 {
		t.Fatalf("only %d of the totals above the cap came from kept counts", used)
	}
}

// TestKeptCountFilters checks which filters' counts may be kept: those on
// the media rows alone, and no others (a filter on galleries or uses, or
// one added to MediaFilter later, changes without media_changes hearing).
func TestKeptCountFilters(t *testing.T) {
	used := true
	for _, c := range []struct {
		f    data.MediaFilter
		keep bool
	}{
		{data.MediaFilter{Q: "mug", Kind: data.KindImage, MIMETypes: []string{"image/png"}, SinceID: 4, Deleted: data.DeletedInclude,
			MissingAlt: true, SHA256: "ab", ID: 3, Sort: "-id", Limit: 24, Offset: 48}, true},
		{data.MediaFilter{Q: "mug", ProductID: 2}, false},
		{data.MediaFilter{Q: "mug", Used: &used}, false},
	} {
		if got := keptCountFilter(c.f); got != c.keep {
			t.Errorf("%+v: kept %v, want %v", c.f, got, c.keep)
		}
	}
	if countKey("q", []any{"a\x00b"}) == countKey("q", []any{"a", "b"}) {
		t.Error("two lists of arguments name one count")
	}
}
