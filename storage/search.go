package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"
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

// gramsOf is a SELECT of (org_id, gram, media_id) for the rows cond selects.
func gramsOf(cond string) string {
	return `WITH RECURSIVE g(org, id, s, i) AS (
		SELECT org_id, id, search || char(1, 1), 1 FROM media WHERE ` + cond + `
		UNION ALL SELECT org, id, s, i + 1 FROM g WHERE i + 3 <= length(s))
		SELECT DISTINCT org, substr(s, i, 3), id FROM g`
}

// indexSearch indexes the search text of the rows ids name, as they are now.
func indexSearch(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids)
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO media_grams (org_id, gram, media_id) `+gramsOf("id IN "+in), args...); err != nil {
		return fmt.Errorf("index search text: %w", err)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM media_search_dirty WHERE media_id IN `+in, args...)
	return err
}

// unindexSearch removes the postings of the rows ids name, for their text
// as it is now: before the text changes or the row goes.
func unindexSearch(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids)
	_, err := tx.ExecContext(ctx, `DELETE FROM media_grams WHERE (org_id, gram, media_id) IN (`+gramsOf("id IN "+in)+`)`, args...)
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
}

func planSearch(q string) searchPlan {
	term := strings.ToLower(q)
	p := searchPlan{like: "%" + escapeLike(term) + "%"}
	r := []rune(term)
	if len(r) < 3 {
		p.prefix = term
		return p
	}
	seen := map[string]bool{}
	for i := 0; i+3 <= len(r); i++ {
		if g := string(r[i : i+3]); !seen[g] {
			seen[g] = true
			p.grams = append(p.grams, g)
		}
	}
	return p
}

// rareLimit is how many postings a gram may have for the search to be
// answered from its list (sorted in full); above it the rows are walked in
// the list's order and the text tested, which finds a page quickly because
// matches are common.
var rareLimit = 2000

// gramCond is the SQL condition on media_grams (aliased p) of one gram or prefix.
func gramCond(gram, prefix string) (string, []any) {
	if prefix != "" {
		return "p.gram >= ? AND p.gram < ?", []any{prefix, prefix + string(utf8.MaxRune)}
	}
	return "p.gram = ?", []any{gram}
}

// rarest finds the gram (or the prefix) with the fewest postings in org, if
// one has at most rareLimit; each is counted only up to rareLimit+1.
func (db *DB) rarest(ctx context.Context, org int64, p searchPlan) (cond string, args []any, ok bool, err error) {
	try := p.grams
	if p.prefix != "" {
		try = []string{""}
	}
	best := rareLimit + 1
	for _, g := range try {
		c, a := gramCond(g, p.prefix)
		var n int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM media_grams p WHERE p.org_id = ? AND `+c+` LIMIT ?)`,
			append(append([]any{org}, a...), rareLimit+1)...).Scan(&n); err != nil {
			return "", nil, false, err
		}
		if n < best {
			best, cond, args = n, c, a
		}
		if n == 0 {
			break
		}
	}
	return cond, args, best <= rareLimit, nil
}

// searchWhere is the WHERE condition (on media m) of a q= term for org: the
// text test, and when the index has a short list of candidates, that list
// (with the rows not indexed yet).
func (db *DB) searchWhere(ctx context.Context, org int64, q string) (string, []any, error) {
	p := planSearch(q)
	text := `m.search LIKE ? ESCAPE '\'`
	cond, args, rare, err := db.rarest(ctx, org, p)
	if err != nil || !rare {
		return text, []any{p.like}, err
	}
	return `m.id IN (SELECT p.media_id FROM media_grams p WHERE p.org_id = ? AND ` + cond + `
		UNION ALL SELECT media_id FROM media_search_dirty) AND ` + text,
		append(append([]any{org}, args...), p.like), nil
}

// reindexBatch is how many rows one indexing transaction takes, so the
// write lock is never held for long.
const reindexBatch = 500

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
			return done, nil
		}
	}
}

// PendingIndex counts the rows whose search text is not indexed yet.
func (s *MediaService) PendingIndex(ctx context.Context) (int, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM media_search_dirty`).Scan(&n)
	return n, err
}

// Reindex rebuilds the search index from the media rows: it forgets every
// posting, marks every row pending and indexes them (see IndexPending).
func (s *MediaService) Reindex(ctx context.Context, progress func(done, total int)) (int, error) {
	var total int
	err := s.db.update(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_grams`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO media_search_dirty (media_id) SELECT id FROM media`); err != nil {
			return err
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
