package storage

import (
	"database/sql"
	"math/rand/v2"
	"strings"
	"testing"

	"gallerist/data"
)

// FuzzSearchMatchesScan: whatever name and alt text an item is given, and
// whatever term is searched, the index answers what the full scan answers
// (page and total, in the live library and the trash), for the plan the
// counts pick and for the walk. The text is written the two ways it can be:
// through the service (which refuses or rewrites what it does not store),
// and as another program writes search (capitals, NULs; valid UTF-8: see
// the README's search section on text that is not), then indexed as the
// server indexes it. The terms are the fuzzed one, as the API passes it
// (data.ParseSearch), and a piece of the text cut where the fuzzer says, so
// terms that match are as common as terms that do not.
func FuzzSearchMatchesScan(f *testing.F) {
	for _, s := range []struct {
		name, alt, term string
		at, n           uint8
		raw             bool
	}{
		{"ceramic-mug-front.jpg", "A mug on a shelf", "mug", 0, 3, false},
		{"walnut-bowl-back-57.jpg", "", "-57.", 10, 7, false},
		{"IMG_0001.JPG", "Ünïcödé İstanbul ẞ 日本語 😀", "i̇", 20, 4, false},
		{"100%_sale.png", "o'brien (side) a\\b", "%_", 3, 2, false},
		{"x", "ab", "ab", 0, 1, true},
		{"MIXED Case", "tail\x00hidden", "hid", 5, 5, true},
		{"zz", "aaaaaaaaaaaa", "aaaa", 2, 8, false},
	} {
		f.Add(s.name, s.alt, s.term, s.at, s.n, s.raw)
	}
	e := newTestEnv(f)
	other, _ := e.otherOrg(f, "other")
	seedSearchRows(f, e, rand.New(rand.NewPCG(7, 8)), 300, other.ID)
	const id = 1 // the item the fuzzer writes; seedSearchRows leaves it live
	planned := rareLimit
	defer func(n int) { rareLimit, maxCountWalk = planned, n }(maxCountWalk)

	f.Fuzz(func(t *testing.T, name, alt, term string, at, n uint8, raw bool) {
		if raw {
			text := strings.ToValidUTF8(name+"\n"+alt, "\uFFFD")
			if err := e.db.update(e.ctx, func(tx *sql.Tx) error {
				// As another program writes it: the text changes, the
				// row is listed to index (migration 011's trigger).
				_, err := tx.Exec(`UPDATE media SET search = ? WHERE id = ?`, text, id)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.media.IndexPending(e.ctx, nil); err != nil {
				t.Fatal(err)
			}
		} else if _, err := e.media.UpdateMedia(e.ctx, id, data.MediaUpdate{Filename: &name, Alt: &alt}); err != nil && data.ErrorCode(err) != data.ECInvalidField {
			t.Fatalf("rename to %q, alt %q: %v", name, alt, err)
		}
		var text string
		if err := e.db.read.QueryRow(`SELECT search FROM media WHERE id = ?`, id).Scan(&text); err != nil {
			t.Fatal(err)
		}
		terms := []string{term}
		if r := []rune(GramTextOf(text)); len(r) > 0 {
			i := int(at) % len(r)
			cut := string(r[i:min(len(r), i+1+int(n)%9)])
			if n&0x80 != 0 {
				cut = strings.ToUpper(cut)
			}
			terms = append(terms, cut)
		}
		for _, q := range terms {
			q, err := data.ParseSearch(q)
			if err != nil || strings.TrimSpace(q) == "" {
				continue
			}
			// The counts' plan, every term answered from its list, every
			// term walked; counts walking to the end and cut short.
			for _, limit := range []func(int) int{planned, func(int) int { return 1 << 30 }, func(int) int { return 0 }} {
				rareLimit = limit
				for _, walk := range []int{20_000, 5} {
					maxCountWalk = walk
					for _, deleted := range []string{data.DeletedExclude, data.DeletedOnly} {
						e.checkTermMatchesScan(t, q, "fuzzed", deleted, walk > 1000)
					}
				}
			}
		}
	})
}
