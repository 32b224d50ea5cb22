package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The sample planSearchWhere reads of a gram's list (the next bits of
// nextSampleSize of its postings, from both ends) is kept in memory and used again while the
// list keeps about the length it had: it is a cost estimate, as SQLite's
// own statistics are, so a sample gone stale can make a search slower,
// never its answer different (the list walked is still at most twice the
// shortest). Reading it again costs about 25 µs a gram at a million rows,
// a fifth of a selective term's request when every gram is sampled.

// sampleTTL is how long a kept sample is used at most.
const sampleTTL = 5 * time.Minute

// maxKeptSamples bounds the samples kept (each at most nextSampleSize
// values: 2 KB): when full, the oldest half goes.
const maxKeptSamples = 4096

type sampleKey struct {
	org  int64
	gram string
}

type keptSample struct {
	n    int       // the list's length when sampled (media_gram_counts)
	at   time.Time // when
	size int       // nextSampleSize then
	next []int64   // the bits of min(n, size) of its postings
}

type sampleCache struct {
	mu sync.Mutex
	m  map[sampleKey]keptSample
}

// fresh says whether s still stands for a list of n postings: sampled with
// today's sample size, not long ago, and of a list whose length has not
// changed by more than an eighth since (a list shorter than the sample
// was sampled whole, so any change to it counts).
func (s keptSample) fresh(n int, now time.Time) bool {
	if s.size != nextSampleSize || now.Sub(s.at) > sampleTTL || now.Before(s.at) {
		return false
	}
	if s.n < nextSampleSize || n < nextSampleSize {
		return n == s.n
	}
	d := n - s.n
	return -s.n/8 <= d && d <= s.n/8
}

func (c *sampleCache) get(k sampleKey, n int, now time.Time) ([]int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[k]
	if !ok || !s.fresh(n, now) {
		return nil, false
	}
	return s.next, true
}

func (c *sampleCache) put(k sampleKey, s keptSample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[sampleKey]keptSample{}
	}
	if len(c.m) >= maxKeptSamples {
		var ages []time.Time
		for _, v := range c.m {
			ages = append(ages, v.at)
		}
		mid := medianTime(ages)
		for k, v := range c.m {
			if !v.at.After(mid) {
				delete(c.m, k)
			}
		}
	}
	c.m[k] = s
}

func medianTime(ts []time.Time) time.Time {
	// Not exact (the sort would cost more than the eviction saves): the
	// mean of the oldest and newest splits a steady stream in half.
	lo, hi := ts[0], ts[0]
	for _, t := range ts {
		if t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	return lo.Add(hi.Sub(lo) / 2)
}

// gramSamples are the next bits of a sample of each gram's list in org (n[i] postings long by its count), kept or read: those not kept
// are read in one statement.
func (db *DB) gramSamples(ctx context.Context, org int64, grams []string, n []int) ([][]int64, error) {
	out, now := make([][]int64, len(grams)), db.Now()
	var missing []string
	at := map[string]int{}
	for i, g := range grams {
		if s, ok := db.samples.get(sampleKey{org, g}, n[i], now); ok {
			out[i] = s
			continue
		}
		at[g] = i
		missing = append(missing, g)
	}
	if len(missing) == 0 {
		return out, nil
	}
	// A list longer than a sample is sampled at both ends: its oldest
	// postings and its newest (which a page of the newest items walks
	// first), so names that changed over the years do not make it look
	// cheaper or dearer than it is at the end a page starts from. A
	// shorter list is read whole.
	var long, short []string
	for _, g := range missing {
		if n[at[g]] > nextSampleSize {
			long = append(long, g)
		} else {
			short = append(short, g)
		}
	}
	read := func(grams []string, first, last int) error {
		if len(grams) == 0 {
			return nil
		}
		list, err := json.Marshal(grams)
		if err != nil {
			return err
		}
		st, err := db.readStmt(ctx, `SELECT q.value, COALESCE((SELECT group_concat(nx) FROM (
				SELECT nx FROM (SELECT p.next AS nx FROM media_grams p WHERE p.org_id = ?2 AND p.gram = q.value ORDER BY p.media_id LIMIT ?3)
				UNION ALL SELECT nx FROM (SELECT p.next AS nx FROM media_grams p WHERE p.org_id = ?2 AND p.gram = q.value ORDER BY p.media_id DESC LIMIT ?4))), '')
			FROM json_each(?1) q`)
		if err != nil {
			return err
		}
		rows, err := st.QueryContext(ctx, string(list), org, first, last)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var gram, bits string
			if err := rows.Scan(&gram, &bits); err != nil {
				return err
			}
			i, ok := at[gram]
			if !ok {
				return fmt.Errorf("search plan: a sample of %q, not asked for", gram)
			}
			next := []int64{}
			if bits != "" {
				for f := range strings.SplitSeq(bits, ",") {
					v, err := strconv.ParseInt(f, 10, 64)
					if err != nil {
						return err
					}
					next = append(next, v)
				}
			}
			out[i] = next
			db.samples.put(sampleKey{org, gram}, keptSample{n: n[i], at: now, size: nextSampleSize, next: next})
		}
		return rows.Err()
	}
	if err := read(long, nextSampleSize-nextSampleSize/2, nextSampleSize/2); err != nil {
		return nil, err
	}
	if err := read(short, nextSampleSize, 0); err != nil {
		return nil, err
	}
	for _, g := range missing {
		if out[at[g]] == nil {
			return nil, fmt.Errorf("search plan: no sample of %q", g)
		}
	}
	return out, nil
}
