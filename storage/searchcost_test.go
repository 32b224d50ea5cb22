package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gallerist/data"
)

// seedCommonGrams inserts n rows named abc-bcd-N.jpg: every gram of "abcd"
// is in every row, and "abcd" in none.
func (e *testEnv) seedCommonGrams(t testing.TB, n int) {
	t.Helper()
	e.seedNamed(t, n, "abc-bcd-%d.jpg")
}

// seedNamed inserts n image rows named by format (with the row's number
// from 0), without alt text, in time order, and indexes them.
func (e *testEnv) seedNamed(t testing.TB, n int, format string) {
	t.Helper()
	err := e.db.update(context.Background(), func(tx *sql.Tx) error {
		for i := range n {
			name := fmt.Sprintf(format, i)
			if _, err := tx.Exec(`INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256,
				created_by, created_at, updated_at, search) VALUES (?, 'image', ?, ?, 'image/jpeg', 1, ?, 'seed', ?, ?, ?)`,
				e.org.ID, name, name, fmt.Sprintf("%064x", i), 1700000000000+i, 1700000000000+i, searchText(name, "")); err != nil {
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

// TestSearchCostMeasure is a measurement, not a check (GALLERIST_MEASURE=1):
// searches a client can make slow on purpose, on 200,000 rows.
func TestSearchCostMeasure(t *testing.T) {
	if os.Getenv("GALLERIST_MEASURE") == "" {
		t.Skip("set GALLERIST_MEASURE=1 to measure")
	}
	e := newTestEnv(t)
	e.seedCommonGrams(t, 200_000)
filters:
	for _, f := range []data.MediaFilter{{Q: "abcd"}, {Q: "abc", Offset: 9950}, {Q: "abc", Offset: 190000}} {
		best := time.Hour
		var total data.Total
		var n int
		for range 5 {
			start := time.Now()
			out, tot, err := e.media.FindMedia(e.ctx, f)
			if err != nil {
				t.Logf("q=%s offset=%d: %v", f.Q, f.Offset, err)
				continue filters
			}
			best, total, n = min(best, time.Since(start)), tot, len(out)
		}
		t.Logf("q=%s offset=%d: best of 5 %v, %d items, total %+v", f.Q, f.Offset, best, n, total)
	}
}

// TestSearchCountStopsWalking: when every gram of a term is common, and
// so is each gram followed by the character the term has after it, the
// count walks at most maxCountWalk postings of the rarest; matches beyond
// the walk make the total a floor (never a wrong exact number), raised to
// what the page shows, and exact again when the page ends the list.
func TestSearchCountStopsWalking(t *testing.T) {
	defer func(l func(int) int, w int) { rareLimit, maxCountWalk = l, w }(rareLimit, maxCountWalk)
	rareLimit = func(int) int { return 10 }
	maxCountWalk = 50
	e := newTestEnv(t)
	e.seedNamed(t, 200, "abcd_bcde_cde-%d.jpg") // "abcde"'s grams, each followed as in it, but not the term
	var want []int64
	for _, name := range []string{"x-abcde-1.jpg", "x-abcde-2.jpg", "x-abcde-3.jpg", "x-abcde-4.jpg", "x-abcde-5.jpg"} {
		want = append(want, e.createMedia(t, e.ctx, name, jpegA).ID)
	}
	_, total, err := e.media.FindMedia(e.ctx, data.MediaFilter{Q: "abcde", Limit: 2})
	if err != nil || total != (data.Total{N: 2}) {
		t.Fatalf("a full page of 2: total %+v (%v), want at least 2, inexact", total, err)
	}
	out, total, err := e.media.FindMedia(e.ctx, data.MediaFilter{Q: "abcde", Limit: 10})
	if err != nil || total != (data.Total{N: 5, Exact: true}) || len(out) != len(want) {
		t.Fatalf("the whole list: %d items, total %+v (%v), want 5 exactly", len(out), total, err)
	}
	maxCountWalk = 1000
	if _, total, err := e.media.FindMedia(e.ctx, data.MediaFilter{Q: "abcde", Limit: 2}); err != nil || total != (data.Total{N: 5, Exact: true}) {
		t.Fatalf("a walk to the end: total %+v (%v), want 5 exactly", total, err)
	}
}

// TestSearchProbesFewGrams: a long term probes maxProbedGrams of its grams
// (its ten distinct ones here, abc to jab), and is still found.
func TestSearchProbesFewGrams(t *testing.T) {
	term := strings.Repeat("abcdefghij", 20)
	p := planSearch(term)
	if len(p.grams) != maxProbedGrams || p.grams[0] != "abc" || p.grams[len(p.grams)-1] != "jab" {
		t.Fatalf("%d grams %v of a 200-character term, want %d from first to last", len(p.grams), p.grams, maxProbedGrams)
	}
	e := newTestEnv(t)
	m := e.createMedia(t, e.ctx, term[:100]+".jpg", jpegA)
	out, _, err := e.media.FindMedia(e.ctx, data.MediaFilter{Q: term[5:95]})
	if err != nil || len(out) != 1 || out[0].ID != m.ID {
		t.Fatalf("search for a long term: %v %v", out, err)
	}
}

// TestMediaOffsetCap: a media list skips at most MaxMediaOffset items.
func TestMediaOffsetCap(t *testing.T) {
	e := newTestEnv(t)
	if _, _, err := e.media.FindMedia(e.ctx, data.MediaFilter{Offset: data.MaxMediaOffset}); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.media.FindMedia(e.ctx, data.MediaFilter{Offset: data.MaxMediaOffset + 1})
	wantError(t, err, data.ECInvalidParameter, "offset can be at most 10000 in a media list; to go through more, page with since_id (the last id of the page before).")
}

// TestSearchPlanDistrustsItsSample: a gram whose postings at both ends of
// its list are unlike those between (names that changed, and changed back)
// looks cheap to its sample; no list more than maxWalkedSpread times the
// shortest is walked, so "abcd" walks "bcd"'s 120 postings, not "abc"'s 705
// (of which the oldest 13 and the newest 12 are followed by x, the rest by
// s, whose bit is d's), and finds its matches.
func TestSearchPlanDistrustsItsSample(t *testing.T) {
	defer func(n int) { nextSampleSize = n }(nextSampleSize)
	nextSampleSize = 25
	e := newTestEnv(t)
	e.seedNamed(t, 13, "abcx-%d.jpg")
	e.seedNamed(t, 675, "abcs-%d.jpg")
	e.seedNamed(t, 115, "zbcd-%d.jpg")
	var want []int64
	for i := range 5 {
		want = append(want, e.createMedia(t, e.ctx, fmt.Sprintf("abcd-%d.jpg", i), jpegA).ID)
	}
	e.seedNamed(t, 12, "abcx-late-%d.jpg")
	if nextBit('s') != nextBit('d') {
		t.Fatal("s and d no longer share a bit: pick another letter")
	}
	sw, err := e.db.planSearchWhere(e.ctx, e.org.ID, "abcd")
	if err != nil || sw.byRarity[0] != "bcd" {
		t.Fatalf("plan %v (%v), want bcd walked", sw.byRarity, err)
	}
	out, total, err := e.media.FindMedia(e.ctx, data.MediaFilter{Q: "abcd", Sort: "id"})
	if err != nil || len(out) != len(want) || total != (data.Total{N: 5, Exact: true}) {
		t.Fatalf("search: %d items, total %+v (%v), want the %d", len(out), total, err, len(want))
	}
}

// TestSearchCountWalksTheShortestList: the page may walk another gram's
// list (cheaper by its sample), but the count walks the shortest, as it did
// before next existed, so a total the shortest list holds stays exact: here
// "abc"'s sample says none of its 304 postings is followed by d (its oldest
// three and its newest are followed by e, the rest by s, whose bit is d's,
// or by d), so the page
// walks it, and a count along it would stop after maxCountWalk postings
// with the bits, short of the ten matches.
func TestSearchCountWalksTheShortestList(t *testing.T) {
	defer func(n, w int, l func(int) int) { nextSampleSize, maxCountWalk, rareLimit = n, w, l }(nextSampleSize, maxCountWalk, rareLimit)
	nextSampleSize, maxCountWalk = 3, 200
	rareLimit = func(int) int { return 10 } // a common term: walked, its total counted along a list
	e := newTestEnv(t)
	e.seedNamed(t, 3, "abce-%d.jpg")
	e.seedNamed(t, 288, "abcs-%d.jpg")
	e.seedNamed(t, 141, "zbcd-%d.jpg")
	for i := range 10 {
		e.createMedia(t, e.ctx, fmt.Sprintf("abcd-%d.jpg", i), jpegA)
	}
	e.seedNamed(t, 1, "abce-late-%d.jpg")
	sw, err := e.db.planSearchWhere(e.ctx, e.org.ID, "abcd")
	if err != nil || sw.byRarity[0] != "abc" {
		t.Fatalf("plan %v (%v), want abc walked (the sample misleads)", sw.byRarity, err)
	}
	out, total, err := e.media.FindMedia(e.ctx, data.MediaFilter{Q: "abcd", Limit: 5})
	if err != nil || len(out) != 5 || total != (data.Total{N: 10, Exact: true}) {
		t.Fatalf("a page of 5: %d items, total %+v (%v), want 10 exactly", len(out), total, err)
	}
}

// TestSearchKeepsItsSamples: the plan's sample of a list is read once and
// kept while the list keeps its length, for sampleTTL at most; a kept
// sample gone stale costs time, never an answer. "abc" is followed by x in
// its sample, so "abcd" walks it (cheapest); once its postings say they
// may be followed by anything, the kept sample still says x (and the
// answer is still the scan's), until it expires or the list grows by more
// than an eighth.
func TestSearchKeepsItsSamples(t *testing.T) {
	defer func(l func(int) int) { rareLimit = l }(rareLimit)
	rareLimit = func(int) int { return 10 } // walked, so the plan's order is the walk's
	e := newTestEnv(t)
	e.seedNamed(t, 300, "abcx-%d.jpg")
	e.seedNamed(t, 195, "zbcd-%d.jpg")
	for i := range 5 {
		e.createMedia(t, e.ctx, fmt.Sprintf("abcd-%d.jpg", i), jpegA)
	}
	walked := func(when string) string {
		t.Helper()
		sw, err := e.db.planSearchWhere(e.ctx, e.org.ID, "abcd")
		if err != nil {
			t.Fatal(err)
		}
		e.checkTermMatchesScan(t, "abcd", when, data.DeletedExclude, true)
		return sw.byRarity[0]
	}
	if g := walked("sampled"); g != "abc" {
		t.Fatalf("walks %q, want abc (its sample: followed by x)", g)
	}
	if err := e.db.ExecForTest(`UPDATE media_grams SET next = 32767 WHERE gram = 'abc'`); err != nil {
		t.Fatal(err)
	}
	if g := walked("with the sample kept"); g != "abc" {
		t.Fatalf("walks %q with the sample kept, want abc", g)
	}
	e.clock.Advance(sampleTTL + time.Second)
	if g := walked("sampled again after sampleTTL"); g != "bcd" {
		t.Fatalf("walks %q after sampleTTL, want bcd (abc's new sample: followed by anything)", g)
	}

	// A list that grows by more than an eighth is sampled again. (The
	// bits made exact again first, by the refresh after an upgrade.)
	if err := e.db.ExecForTest(`INSERT INTO media_grams_stale (media_id) SELECT id FROM media`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.media.IndexPending(e.ctx, nil); err != nil {
		t.Fatal(err)
	}
	e.seedNamed(t, 30, "abcx-more-%d.jpg") // 305 postings to 335: an eighth is 38
	if g := walked("grown by less than an eighth"); g != "bcd" {
		t.Fatalf("walks %q after a small change, want bcd (the kept sample)", g)
	}
	e.seedNamed(t, 20, "abcx-most-%d.jpg") // 355: more than an eighth
	if g := walked("grown by more than an eighth"); g != "abc" {
		t.Fatalf("walks %q after the list grew by more than an eighth, want abc (sampled again)", g)
	}
}

// TestKeptSampleFresh: the rules by which a kept sample stands for a list.
func TestKeptSampleFresh(t *testing.T) {
	at := time.Unix(1700000000, 0)
	for _, c := range []struct {
		sampled, now int
		after        time.Duration
		size         int
		want         bool
	}{
		{1000, 1000, 0, nextSampleSize, true},
		{1000, 1125, time.Minute, nextSampleSize, true},
		{1000, 875, time.Minute, nextSampleSize, true},
		{1000, 1126, 0, nextSampleSize, false},
		{1000, 874, 0, nextSampleSize, false},
		{1000, 1000, sampleTTL + time.Second, nextSampleSize, false},
		{1000, 1000, -time.Second, nextSampleSize, false}, // the clock went back
		{1000, 1000, 0, nextSampleSize / 2, false},        // another sample size
		{100, 100, 0, nextSampleSize, true},               // sampled whole
		{100, 101, 0, nextSampleSize, false},
		{300, 250, 0, nextSampleSize, false}, // now shorter than a sample
	} {
		s := keptSample{n: c.sampled, at: at, size: c.size}
		if got := s.fresh(c.now, at.Add(c.after)); got != c.want {
			t.Errorf("sampled at %d postings, now %d, %v later, sample size %d: fresh %v, want %v", c.sampled, c.now, c.after, c.size, got, c.want)
		}
	}
}

// TestSampleCacheBounded: at most maxKeptSamples samples are kept; when
// full, the older ones go and the newest stay.
func TestSampleCacheBounded(t *testing.T) {
	var c sampleCache
	at := time.Unix(1700000000, 0)
	for i := range 3 * maxKeptSamples {
		c.put(sampleKey{1, strconv.Itoa(i)}, keptSample{n: 1000, at: at.Add(time.Duration(i) * time.Millisecond), size: nextSampleSize})
		if len(c.m) > maxKeptSamples {
			t.Fatalf("%d samples kept after %d put, want at most %d", len(c.m), i+1, maxKeptSamples)
		}
	}
	last := 3*maxKeptSamples - 1
	if _, ok := c.get(sampleKey{1, strconv.Itoa(last)}, 1000, at.Add(time.Duration(last)*time.Millisecond)); !ok {
		t.Fatal("the newest sample is not kept")
	}
	if _, ok := c.get(sampleKey{2, strconv.Itoa(last)}, 1000, at.Add(time.Duration(last)*time.Millisecond)); ok {
		t.Fatal("another organization's sample answered")
	}
}

// TestSearchSamplesBothEnds: a list is sampled at its oldest and its newest
// postings, so a gram whose old names were unlike today's is judged by
// both: "abc"'s oldest 300 postings are followed by x, its newest 305 by s
// (d's bit) or d, so walking it would test 305 rows, and "abcd" walks
// "bcd"'s 205 postings instead (a sample of the oldest alone said abc's
// walk tests none).
func TestSearchSamplesBothEnds(t *testing.T) {
	e := newTestEnv(t)
	e.seedNamed(t, 300, "abcx-%d.jpg")
	e.seedNamed(t, 200, "zbcd-%d.jpg")
	e.seedNamed(t, 300, "abcs-%d.jpg")
	for i := range 5 {
		e.createMedia(t, e.ctx, fmt.Sprintf("abcd-%d.jpg", i), jpegA)
	}
	sw, err := e.db.planSearchWhere(e.ctx, e.org.ID, "abcd")
	if err != nil || sw.byRarity[0] != "bcd" {
		t.Fatalf("plan %v (%v), want bcd walked", sw.byRarity, err)
	}
	e.checkTermMatchesScan(t, "abcd", "sampled at both ends", data.DeletedExclude, true)
}

// TestSearchCountWalksTheWalkedList: a count walks the list the page walks
// when it can walk all of it (its total is then exact, as the shortest
// list's would be): "abcd" walks "abc"'s 600 postings, 20 of them followed
// by d, and its count tests those 20 rows, not the 200 of "bcd", the
// shortest list. Past maxCountWalk it counts along the shortest again.
func TestSearchCountWalksTheWalkedList(t *testing.T) {
	defer func(w int, l func(int) int) { maxCountWalk, rareLimit = w, l }(maxCountWalk, rareLimit)
	rareLimit = func(int) int { return 10 } // a common term: walked, its total counted along a list
	e := newTestEnv(t)
	e.seedNamed(t, 580, "abcx-%d.jpg")
	e.seedNamed(t, 180, "zbcd-%d.jpg")
	for i := range 20 {
		e.createMedia(t, e.ctx, fmt.Sprintf("abcd-%d.jpg", i), jpegA)
	}
	for _, c := range []struct {
		walk  int
		count string
	}{{20_000, "abc"}, {599, "bcd"}} {
		maxCountWalk = c.walk
		sw, err := e.db.planSearchWhere(e.ctx, e.org.ID, "abcd")
		if err != nil || sw.byRarity[0] != "abc" || len(sw.countArgs) != 1 || sw.countArgs[0] != c.count {
			t.Fatalf("maxCountWalk %d: walks %v, counts along %v (%v), want abc walked and %s counted", c.walk, sw.byRarity, sw.countArgs, err, c.count)
		}
		_, total, err := e.media.FindMedia(e.ctx, data.MediaFilter{Q: "abcd", Limit: 5})
		if err != nil || total != (data.Total{N: 20, Exact: true}) {
			t.Fatalf("maxCountWalk %d: total %+v (%v), want 20 exactly", c.walk, total, err)
		}
	}
}
