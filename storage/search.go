package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gallerist/data"
)

// The search index (migration 011): media_grams holds every three-character
// window of each row's search text, padded at the end with two char(1), so
// every position starts a gram. The grams only narrow the candidates: the
// row's search text decides, with the same LIKE as a full scan, so answers
// are the scan's answers (TestSearchMatchesScan checks it).
//
// Grams are cut by SQL (substr counts characters, as Go counts runes), in
// the transaction that writes the text, so the index and the rows commit
// together and the rebuild (`gallerist reindex`) uses the very same code.

// gramsOf is a SELECT of (org, gram, id, next) for the rows cond selects:
// next has nextBit(c) for every character c that follows the gram somewhere
// in the row's text (migration 025). SUM(DISTINCT) of powers of two is
// their OR.
func gramsOf(cond string) string {
	return `WITH RECURSIVE g(org, id, s, i) AS (
		SELECT org_id, id, ` + gramText("search") + ` || char(1, 1), 1 FROM media WHERE ` + cond + `
		UNION ALL SELECT org, id, s, i + 1 FROM g WHERE i + 3 <= length(s))
		SELECT org, substr(s, i, 3) AS gram, id, COALESCE(SUM(DISTINCT 1 << (unicode(lower(substr(s, i + 3, 1))) % ` + strconv.Itoa(nextBuckets) + `)), 0) AS next
		FROM g GROUP BY 1, 2, 3`
}

// gramText is the text the grams of col are cut from: lower-cased (ASCII,
// as lower() does: the text another program writes may have capitals, which
// LIKE matches), and only up to a NUL, where LIKE stops reading a text too
// (printf's %s stops there; length() and substr() would, and the padding
// after it would be lost). No term has a NUL: data.ParseSearch refuses it.
func gramText(col string) string {
	return `lower(printf('%s', ` + col + `))`
}

// nextBuckets is how many bits a posting's next has: a character's bit is
// its code point modulo this (after lower(), which lowers ASCII only), so
// digits, '.', '-' and space each have a bit of their own ('_' shares the
// bit of '2'). Fifteen bits keep next within two bytes of each posting.
const nextBuckets = 15

// nextBit is the bit of next for a character of a term (lower-cased, as
// planSearch has it): the bit gramsOf gives the same character in a text,
// for every character LIKE matches with it (ASCII lowered by lower(),
// anything else itself).
func nextBit(r rune) int64 {
	if 'A' <= r && r <= 'Z' {
		r += 'a' - 'A'
	}
	return 1 << (int64(r) % nextBuckets)
}

// GramTextOf is what gramText makes of a text, in Go: ASCII lowered, up to
// a NUL.
func GramTextOf(s string) string {
	s, _, _ = strings.Cut(s, "\x00")
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// PostingsOf is what gramsOf makes of one row's search text, in Go: each
// gram and its next bits. The index holds these postings for every row not
// pending indexing, with these bits or more (exactly these once the row's
// postings are refreshed); tests check it row by row.
func PostingsOf(text string) map[string]int64 {
	s := []rune(GramTextOf(text) + "\x01\x01")
	out := map[string]int64{}
	for i := 0; i+3 <= len(s); i++ {
		g := string(s[i : i+3])
		bits := out[g]
		if i+3 < len(s) {
			bits |= nextBit(s[i+3])
		}
		out[g] = bits
	}
	return out
}

// indexSearch indexes the search text of the rows ids name, as they are
// now. A posting already there (text indexed before and not unindexed:
// written by another tool) keeps its bits and gains the new ones, so next
// stays a superset of what follows the gram.
func indexSearch(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids)
	if _, err := tx.ExecContext(ctx, `INSERT INTO media_grams (org_id, gram, media_id, next) SELECT * FROM (`+gramsOf("id IN "+in)+`) WHERE true
		ON CONFLICT (org_id, gram, media_id) DO UPDATE SET next = next | excluded.next`, args...); err != nil {
		return fmt.Errorf("index search text: %w", err)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM media_search_dirty WHERE media_id IN `+in, args...)
	return err
}

// refreshNext works out next again for the postings of the rows ids name
// (rows listed in media_grams_stale, whose postings predate next; none
// pending indexing, so their text is indexed as it is now): each posting of
// a gram of the text gets exactly the bits of what follows it there. A
// posting of a gram the text no longer has (left by another program's
// rewrite) keeps every bit: it costs time, never an answer.
func refreshNext(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids)
	if _, err := tx.ExecContext(ctx, `UPDATE media_grams AS p SET next = g.next FROM (`+gramsOf("id IN "+in)+`) AS g
		WHERE p.org_id = g.org AND p.gram = g.gram AND p.media_id = g.id`, args...); err != nil {
		return fmt.Errorf("refresh search postings: %w", err)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM media_grams_stale WHERE media_id IN `+in, args...)
	return err
}

// unindexSearch removes the postings of the rows ids name, for their text
// as it is now: before the text changes or the row goes.
func unindexSearch(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids)
	_, err := tx.ExecContext(ctx, `DELETE FROM media_grams WHERE (org_id, gram, media_id) IN (SELECT org, gram, id FROM (`+gramsOf("id IN "+in)+`))`, args...)
	return err
}

// setSearch gives a row a new search text, keeping the index in step.
func setSearch(ctx context.Context, tx *sql.Tx, id int64, text string) error {
	if err := unindexSearch(ctx, tx, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE media SET search = ? WHERE id = ?`, text, id); err != nil {
		return err
	}
	return indexSearch(ctx, tx, id)
}

func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(?" + strings.Repeat(", ?", len(ids)-1) + ")", args
}

// searchPlan is how one q= term is answered.
type searchPlan struct {
	like string // the LIKE pattern every answer's text matches
	// grams the text of every answer has (terms of 3+ characters), or
	// prefix, which starts one of its grams (shorter terms).
	grams  []string
	prefix string
	// next is, for each gram, the bits (nextBit) of the characters that
	// follow it in the term: a row has the term only if its posting of
	// the gram has them all. 0 for a gram that ends the term.
	next map[string]int64
}

func planSearch(q string) searchPlan {
	term := strings.ToLower(q)
	p := searchPlan{like: "%" + escapeLike(term) + "%"}
	r := []rune(term)
	if len(r) < 3 {
		p.prefix = term
		return p
	}
	p.next = map[string]int64{}
	for i := 0; i+3 <= len(r); i++ {
		g := string(r[i : i+3])
		bits, seen := p.next[g]
		if !seen {
			p.grams = append(p.grams, g)
		}
		if i+3 < len(r) {
			bits |= nextBit(r[i+3])
		}
		p.next[g] = bits
	}
	p.grams = spread(p.grams, maxProbedGrams)
	return p
}

// maxProbedGrams bounds the grams of a term whose postings are counted to
// pick the rarest: a 200-character term would otherwise probe 198 lists.
// Any of a term's grams names all the candidates (every answer has them
// all), so probing fewer only may pick a longer list.
const maxProbedGrams = 8

// spread keeps n of list, first and last included, evenly spaced (grams
// far apart in a term say more together than neighbours).
func spread(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	out := make([]string, n)
	for i := range out {
		out[i] = list[i*(len(list)-1)/(n-1)]
	}
	return out
}

// minRareLimit is the least number of postings a gram may have for a
// search to be answered from its list; see rareLimit.
const minRareLimit = 2000

// rareLimit is how many postings the rarest gram may have for the search to
// be answered from its list: every candidate fetched, tested and sorted.
// Above it the rows are walked in the list's order and tested until a page
// is full, about 24·live/postings rows. The two costs meet near
// sqrt(24·live) when every posting matches, so that is the limit (at least
// minRareLimit). But a term can be much rarer than each of its grams
// ("-4242." in a million names: every gram has 10,000 postings, the term a
// handful of rows), and then the walk tests every row; the list costs at
// most its length. So the limit is at least a fiftieth of the rows: no
// list answer costs more than 2% of a scan, and a selective term never
// costs a whole one.
var rareLimit = func(live int) int {
	return max(int(math.Sqrt(24*float64(live))), minRareLimit, live/50)
}

// gramCond is the SQL condition on media_grams (aliased p) of one gram or prefix.
func gramCond(gram, prefix string) (string, []any) {
	if prefix != "" {
		return "p.gram >= ? AND p.gram < ?", []any{prefix, prefix + string(utf8.MaxRune)}
	}
	return "p.gram = ?", []any{gram}
}

// maskCond is the condition on a posting (aliased alias) of having the bits
// next ("" for none).
func maskCond(alias string, next int64) (string, []any) {
	if next == 0 {
		return "", nil
	}
	return "(" + alias + ".next & ?) = ?", []any{next, next}
}

// and joins SQL conditions, leaving out empty ones.
func and(conds ...string) string {
	return strings.Join(slices.DeleteFunc(conds, func(c string) bool { return c == "" }), " AND ")
}

// maxWalkedSpread is how many times the shortest list's length a walked
// list may have (see planSearchWhere).
const maxWalkedSpread = 4

// nextSampleSize is how many of a gram's postings planSearchWhere reads
// (half its oldest, half its newest: searchsample.go) to tell how many of
// them have the bits the term needs (a variable for tests).
var nextSampleSize = 256

// searchWhere is how FindMedia answers one q= term in org.
type searchWhere struct {
	cond string // the WHERE condition on media m
	args []any
	// rare: cond names the candidates (the rarest gram's list and the rows
	// not indexed yet), so the list is fetched by id, not walked.
	rare bool
	// gram and gramArgs are the shortest list's condition on media_grams p
	// (its gram, or the prefix), and mask and maskArgs the bits its
	// postings need: the list a rare term's candidates come from.
	gram     string
	gramArgs []any
	mask     string
	maskArgs []any
	// walkGram and walkArgs are the condition on p (gram and bits) of the
	// list a page walks: byRarity[0]'s.
	walkGram string
	walkArgs []any
	// countGram and countArgs (the gram or prefix), countMask and
	// countMaskArgs (its bits) are the list a count walks: the walked list
	// when a count can walk all of it, else the shortest (so a count
	// reaches the end wherever it did before next existed).
	countGram     string
	countArgs     []any
	countMask     string
	countMaskArgs []any
	// repeats: gram is a range of grams (a prefix), whose postings may name
	// a row more than once.
	repeats bool
	// byRarity are the term's probed grams, the cheapest list to walk
	// first (see planSearchWhere; none for a term under three characters),
	// next the bits of each (planSearch), and textCond the test of the text
	// alone (textArgs its argument), for a page walked from postings.
	byRarity []string
	next     map[string]int64
	textCond string
	textArgs []any
	// at and argsAt are where FindMedia put cond and args in its lists.
	at, argsAt int
	// postings is how many the shortest list (or the prefix) has, by the
	// counts.
	postings int
}

// planSearchWhere finds the gram (or the prefix) with the fewest postings
// in org and makes the condition: the text test, with the candidates when
// that gram's list is short.
func (db *DB) planSearchWhere(ctx context.Context, org int64, q string) (searchWhere, error) {
	// The plan's statements are prepared once (readStmt): preparing them
	// was a twentieth of a selective term's request.
	query := func(q string, args ...any) (*sql.Rows, error) {
		st, err := db.readStmt(ctx, q)
		if err != nil {
			return nil, err
		}
		return st.QueryContext(ctx, args...)
	}
	sum := func(q string, args ...any) (int, error) {
		st, err := db.readStmt(ctx, q)
		if err != nil {
			return 0, err
		}
		var n int
		err = st.QueryRowContext(ctx, args...).Scan(&n)
		return n, err
	}
	p := planSearch(q)
	text := searchWhere{cond: `m.search LIKE ? ESCAPE '\'`, args: []any{p.like}}
	text.textCond, text.textArgs = text.cond, text.args
	live, err := sum(`SELECT COALESCE(SUM(n), 0) FROM media_counts WHERE org_id = ?`, org)
	if err != nil {
		return text, err
	}
	limit := rareLimit(live)
	// The counts of media_gram_counts pick the gram (migration 015): the
	// rarest of the term's, or, for a prefix, the sum over the grams it
	// starts (postings, which may name a row more than once, as the list
	// read is). The gram walked is the one whose list costs least: for a
	// gram followed by a character in the term, the share of its postings
	// with that character's bit (migration 025), estimated from a sample
	// of nextSampleSize postings (of the 11,111 postings of "-57" at a
	// million rows, one is followed by "."), plus a sixth of all its
	// postings.
	best, c, a := 0, "", []any(nil)
	if p.prefix != "" {
		c, a = gramCond("", p.prefix)
		if best, err = sum(`SELECT COALESCE(SUM(n), 0) FROM media_gram_counts p WHERE p.org_id = ? AND `+c, append([]any{org}, a...)...); err != nil {
			return text, err
		}
	} else {
		list, err := json.Marshal(p.grams)
		if err != nil {
			return text, err
		}
		rows, err := query(`SELECT COALESCE(c.n, 0) FROM json_each(?) q LEFT JOIN media_gram_counts c ON c.org_id = ? AND c.gram = q.value ORDER BY q.key`, string(list), org)
		if err != nil {
			return text, err
		}
		counts := make([]int, 0, len(p.grams))
		for rows.Next() {
			var n int
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return text, err
			}
			counts = append(counts, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return text, err
		}
		if len(counts) != len(p.grams) {
			return text, fmt.Errorf("search plan: %d counts for %d grams", len(counts), len(p.grams))
		}
		type rarity struct {
			gram      string
			cost, raw int
		}
		// The samples: min(n, nextSampleSize) of the list's postings (the
		// counts are exact; kept in memory, see searchsample.go), of the
		// grams followed by a character in the term.
		var sampled []string
		var sampledN []int
		for i, gram := range p.grams {
			if p.next[gram] != 0 && counts[i] > 0 {
				sampled, sampledN = append(sampled, gram), append(sampledN, counts[i])
			}
		}
		samples, err := db.gramSamples(ctx, org, sampled, sampledN)
		if err != nil {
			return text, err
		}
		var found []rarity
		for i, gram := range p.grams {
			n, m := counts[i], p.next[gram]
			size, have := min(n, nextSampleSize), min(n, nextSampleSize)
			if j := slices.Index(sampled, gram); j >= 0 {
				size, have = len(samples[j]), 0
				for _, next := range samples[j] {
					if next&m == m {
						have++
					}
				}
			}
			// What reading the gram's list costs, in postings fetched: each
			// posting with the bits is a row read or an index probe; each
			// posting walked past costs about a sixth of that (its bits
			// tested: 0.095 µs against 0.55 µs for a probe, at a million
			// rows), so "jpg" followed by "x" in no row still costs its
			// million postings' walk.
			with := 0
			if size > 0 {
				with = int((int64(n)*int64(have) + int64(size) - 1) / int64(size))
			}
			found = append(found, rarity{gram, with + n/6, n})
		}
		// A sample can mislead (a gram whose postings at both ends of its
		// list are unlike those between: names that changed over the
		// years), so no gram is walked whose list is more than
		// maxWalkedSpread times the shortest: at worst a walk reads that
		// many times the postings it read before next existed. The
		// shortest list's own length (not a cost) decides the plan below,
		// so a list answer stays bounded as before.
		short := slices.MinFunc(found, func(x, y rarity) int { return x.raw - y.raw })
		tooLong := func(r rarity) int {
			if r.raw > maxWalkedSpread*short.raw {
				return 1
			}
			return 0
		}
		slices.SortStableFunc(found, func(x, y rarity) int { return cmp.Or(tooLong(x)-tooLong(y), x.cost-y.cost) })
		for _, r := range found {
			text.byRarity = append(text.byRarity, r.gram)
		}
		text.next = p.next
		w, wa := gramCond(text.byRarity[0], "")
		m, ma := maskCond("p", p.next[text.byRarity[0]])
		text.walkGram, text.walkArgs = and(w, m), append(wa, ma...)
		best = short.raw
		c, a = gramCond(short.gram, "")
		text.mask, text.maskArgs = maskCond("p", p.next[short.gram])
		// A count walks the walked list when it can walk all of it (so
		// its total is exact wherever the shortest list's would be),
		// else the shortest, as far as maxCountWalk.
		text.countGram, text.countArgs, text.countMask, text.countMaskArgs = c, a, text.mask, text.maskArgs
		if found[0].raw <= maxCountWalk {
			text.countGram, text.countArgs = w, wa
			text.countMask, text.countMaskArgs = m, ma
		}
	}
	if p.prefix != "" {
		text.countGram, text.countArgs = c, a
	}
	text.gram, text.gramArgs, text.repeats, text.postings = c, a, p.prefix != "", best
	if best > limit {
		return text, nil
	}
	text.rare = true
	text.cond = `m.id IN (SELECT p.media_id FROM media_grams p WHERE ` + and("p.org_id = ?", text.gram, text.mask) + `
		UNION ALL SELECT media_id FROM media_search_dirty) AND ` + text.cond
	text.args = append(append(append([]any{org}, text.gramArgs...), text.maskArgs...), p.like)
	return text, nil
}

// maxPrefilterGrams is how many more of a walked term's grams (the next
// rarest) each posting is checked for in the index before its row's text is
// tested: a probe of media_grams' primary key is cheaper than reading the
// row and matching its text, and rows without one of the term's grams
// cannot match.
const maxPrefilterGrams = 3

// pageWalk is a page read from the postings of the term's rarest gram in
// media_id order (the primary key's: an index walk that stops when the page
// is full), each posting's row tested as the scan tests it. The page is
// the scan's when the page's order is the id order: sorting by id, paging
// by since_id, or sorting by created_at while the organization's rows
// arrived in time order (byCreated: see migration 023), and when every
// row's text is indexed (no row pending in media_search_dirty).
//
// A walked page's total, when it is counted, streams the same postings
// (countCommonSQL), also for a rare term whose list the count reads whole,
// where the rare plan's count first copies every candidate into a
// temporary table (walnut-b at 100,000 rows, the whole search: 1.86 ms
// before, 1.75 ms after, best of 30; the rows' text tests are the rest).
type pageWalk struct {
	sql       string
	args      []any // all but LIMIT and OFFSET
	byCreated bool
	// count and countArgs count the page's filter, "" for the count the
	// scan makes.
	count     string
	countArgs []any
}

// walkPage is the walk of f's page (nil when f's page cannot be walked),
// reading cols of media m: where and args are FindMedia's conditions on media m, with sw's among them.
func (sw *searchWhere) walkPage(org int64, f data.MediaFilter, cols string, where []string, args []any) *pageWalk {
	if len(sw.byRarity) == 0 || f.ProductID != 0 || f.ID != 0 || f.SHA256 != "" {
		return nil
	}
	walk := &pageWalk{}
	var desc bool
	switch {
	case f.SinceID != 0: // ascending ids (mediaOrder checked the sort)
	case f.Sort == "id":
	case f.Sort == "-id":
		desc = true
	case f.Sort == "" || f.Sort == "-created_at":
		walk.byCreated, desc = true, true
	case f.Sort == "created_at":
		walk.byCreated = true
	default:
		return nil
	}
	head := []string{"p.org_id = ?", sw.walkGram}
	walk.args = append([]any{org}, sw.walkArgs...)
	if f.SinceID != 0 {
		head, walk.args = append(head, "p.media_id > ?"), append(walk.args, f.SinceID)
	}
	for _, g := range sw.byRarity[1:min(len(sw.byRarity), 1+maxPrefilterGrams)] {
		m, ma := maskCond("q", sw.next[g])
		head = append(head, "EXISTS (SELECT 1 FROM media_grams q WHERE "+and("q.org_id = p.org_id AND q.gram = ? AND q.media_id = p.media_id", m)+")")
		walk.args = append(append(walk.args, g), ma...)
	}
	// The candidates are the postings walked: only the text test stays of
	// sw's condition.
	w := slices.Clone(where)
	w[sw.at] = sw.textCond
	wargs := append(append(slices.Clone(args[:sw.argsAt]), sw.textArgs...), args[sw.argsAt+len(sw.args):]...)
	walk.args = append(walk.args, wargs...)
	walk.sql = `SELECT ` + cols + ` FROM media_grams p CROSS JOIN media m ON m.id = p.media_id
		WHERE ` + strings.Join(append(head, w...), " AND ") + ` ORDER BY p.media_id ` + sqlDir(desc) + ` LIMIT ? OFFSET ?`
	// A rare list longer than the count's walk (counts that are off, or
	// rareLimit above maxCountWalk) is counted as the scan counts it, to
	// the end: the walk would make its total a floor.
	if !sw.rare || sw.postings <= maxCountWalk {
		walk.count, walk.countArgs = sw.countCommonSQL(org, strings.Join(w, " AND "), wargs)
	}
	return walk
}

// walkableSQL says, in the page's read transaction, whether the
// organization's rows are in time order and whether every row's text is
// indexed (see pageWalk).
const walkableSQL = `SELECT COALESCE((SELECT in_order FROM media_arrival WHERE org_id = ?), 1),
	NOT EXISTS (SELECT 1 FROM media_search_dirty)`

// maxCountWalk bounds the postings of the rarest gram a count walks (a
// variable for tests): when every gram of a term is common but few rows (or
// none) have the term, a count to the end would test every row of the
// organization.
var maxCountWalk = 20_000

// countCommonSQL counts, up to countTo, the matches of a
// common term among the first maxCountWalk postings of its rarest gram's
// list (most postings of which match), plus the rows not indexed yet;
// where is the list's whole condition. Its second column is 1 when the
// list is longer than the walk: fewer matches than data.MaxCountedTotal+1
// are then a floor, not the total (a count that reached the cap is capped
// anyway, so the list is not measured then).
//
// Each posting's row is tested in a correlated EXISTS, not joined: SQLite
// reads a LIMITed subquery joined to another table into a temporary table
// first (every one of maxCountWalk postings, 20,000 at a million rows),
// but streams it when it is the query's only table, so the count stops at
// the cap. One gram's postings name distinct rows (its primary key), so
// only a prefix's walk needs DISTINCT. At 100,000 rows, a three-letter
// common term: 5.3 ms before, 0.5 ms after.
func (sw searchWhere) countCommonSQL(org int64, where string, args []any) (string, []any) {
	walk := `SELECT p.media_id FROM media_grams p WHERE p.org_id = ? AND ` + sw.countGram + ` LIMIT ?`
	if sw.countMask != "" {
		// The walk's LIMIT bounds the postings read, those without the
		// bits too: they are passed over after it.
		walk = `SELECT p.media_id FROM (SELECT p.media_id, p.next FROM media_grams p WHERE p.org_id = ? AND ` + sw.countGram + ` LIMIT ?) p WHERE ` + sw.countMask
	}
	if sw.repeats {
		walk = `SELECT DISTINCT media_id FROM (` + walk + `)`
	}
	q := `SELECT n, CASE WHEN n > ? THEN 0 ELSE
			(SELECT COUNT(*) FROM (SELECT 1 FROM media_grams p WHERE p.org_id = ? AND ` + sw.countGram + ` LIMIT ?)) > ? END
		FROM (SELECT
			(SELECT COUNT(*) FROM (SELECT 1 FROM (` + walk + `) w
				WHERE w.media_id NOT IN (SELECT media_id FROM media_search_dirty)
					AND EXISTS (SELECT 1 FROM media m WHERE m.id = w.media_id AND ` + where + `) LIMIT ?))
			+ (SELECT COUNT(*) FROM media_search_dirty d CROSS JOIN media m ON m.id = d.media_id WHERE ` + where + `) AS n)`
	a := []any{data.MaxCountedTotal}
	a = append(append(append(a, org), sw.countArgs...), maxCountWalk+1, maxCountWalk)
	a = append(append(append(append(a, org), sw.countArgs...), maxCountWalk), sw.countMaskArgs...)
	a = append(append(a, args...), countTo)
	a = append(a, args...)
	return q, a
}

// reindexBatch is how many rows one indexing transaction takes, so the
// write lock is never held for long.
const reindexBatch = 2000

// IndexPending indexes the rows whose search text is not indexed yet (see
// media_search_dirty), in short transactions, and reports how many it did;
// progress, if set, is told after each batch. Searches are right meanwhile,
// only slower.
func (s *MediaService) IndexPending(ctx context.Context, progress func(done int)) (int, error) {
	done := 0
	for {
		var ids []int64
		err := s.db.update(ctx, func(tx *sql.Tx) error {
			ids = ids[:0]
			rows, err := tx.QueryContext(ctx, `SELECT media_id FROM media_search_dirty LIMIT ?`, reindexBatch)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			return indexSearch(ctx, tx, ids...)
		})
		if err != nil {
			return done, err
		}
		done += len(ids)
		if progress != nil && len(ids) > 0 {
			progress(done)
		}
		if len(ids) < reindexBatch {
			break
		}
	}
	return done, s.refreshStale(ctx)
}

// refreshStale works out the bits of the postings written before they had
// any (media_grams_stale, migration 025), in short transactions, for the
// rows not pending indexing (IndexPending indexes those first).
func (s *MediaService) refreshStale(ctx context.Context) error {
	for {
		var n int
		err := s.db.update(ctx, func(tx *sql.Tx) error {
			// A row pending indexing waits: IndexPending indexes it first
			// (its new postings gain their bits), and a later refresh
			// works out the rest.
			ids, err := queryIDs(ctx, tx, `SELECT media_id FROM media_grams_stale
				WHERE media_id NOT IN (SELECT media_id FROM media_search_dirty) LIMIT ?`, reindexBatch)
			n = len(ids)
			if err != nil {
				return err
			}
			return refreshNext(ctx, tx, ids...)
		})
		if err != nil || n < reindexBatch {
			return err
		}
	}
}

// StaleNext counts the rows whose postings predate next (migration 025).
func (s *MediaService) StaleNext(ctx context.Context) (int, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM media_grams_stale`).Scan(&n)
	return n, err
}

// MarkUnindexed finds rows that have no postings and are not marked
// pending (an index lost or damaged by hand, a database pieced together by
// other tools) and marks them pending, in batches of rows by id. Every
// indexed row has the gram its text starts with, so one lookup per row tells.
func (s *MediaService) MarkUnindexed(ctx context.Context) (int, error) {
	var maxID int64
	if err := s.db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM media`).Scan(&maxID); err != nil {
		return 0, err
	}
	const step = 50_000
	marked := 0
	for from := int64(0); from < maxID; from += step {
		err := s.db.update(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO media_search_dirty (media_id)
				SELECT id FROM media m WHERE id > ? AND id <= ? AND NOT EXISTS (SELECT 1 FROM media_grams p
					WHERE p.org_id = m.org_id AND p.gram = substr(`+gramText("m.search")+` || char(1, 1), 1, 3) AND p.media_id = m.id)`, from, from+step)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			marked += int(n)
			return nil
		})
		if err != nil {
			return marked, err
		}
	}
	return marked, nil
}

// PendingIndex counts the rows whose search text is not indexed yet.
func (s *MediaService) PendingIndex(ctx context.Context) (int, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM media_search_dirty`).Scan(&n)
	return n, err
}

// recomputeArrivalSQL fills media_arrival from the rows there are, as
// migration 023's backfill does.
const recomputeArrivalSQL = `INSERT INTO media_arrival (org_id, last_id, last_created, in_order)
	SELECT org_id, MAX(id), MAX(created_at), MIN(prev IS NULL OR created_at >= prev)
	FROM (SELECT org_id, id, created_at, LAG(created_at) OVER (PARTITION BY org_id ORDER BY id) AS prev FROM media)
	GROUP BY org_id`

// Reindex rebuilds the search index from the media rows: it forgets every
// posting, marks every row pending and indexes them (see IndexPending); it
// also finds again whether each organization's rows are in time order.
func (s *MediaService) Reindex(ctx context.Context, progress func(done, total int)) (int, error) {
	var total int
	err := s.db.update(ctx, func(tx *sql.Tx) error {
		// The counts go first: the trigger then has nothing to count down
		// for each posting deleted (half the time of the delete).
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_gram_counts`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_grams`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_grams_stale`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO media_search_dirty (media_id) SELECT id FROM media`); err != nil {
			return err
		}
		// Whether each organization's rows are in time order, found again
		// from the rows (as migration 023 did): a store whose out-of-order
		// rows are gone, or were put right, walks postings again.
		for _, q := range []string{`DELETE FROM media_arrival`, recomputeArrivalSQL} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM media_search_dirty`).Scan(&total)
	})
	if err != nil {
		return 0, err
	}
	return s.IndexPending(ctx, func(done int) {
		if progress != nil {
			progress(done, total)
		}
	})
}
