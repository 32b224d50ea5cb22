package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"
)

// MigrateOptions configure MigrateBlobs.
type MigrateOptions struct {
	// Progress, when set, is called after each key and when the copying ends.
	Progress func(Progress)
	// Workers is how many keys are copied at once (default 8: a remote
	// store is bound by round trips more than by bandwidth).
	Workers int
	// Spool is the local folder renditions are read into, to be hashed
	// before they are put (their keys do not name their bytes).
	Spool *Staging
}

// MigrateResult is what a migration did.
type MigrateResult struct {
	Originals, Renditions FileTotals // copied now
	Skipped               FileTotals // already in the target with the right size
	Replaced              []string   // keys the target had with a wrong size, put again
	// Missing are keys the database refers to that neither store has (a
	// purge while the migration listed, or files lost before it).
	Missing  []string
	Problems []string // keys that could not be copied, each with why
	Elapsed  time.Duration
}

// Bytes is what was copied now.
func (r *MigrateResult) Bytes() int64 { return r.Originals.Bytes + r.Renditions.Bytes }

// MigrateBlobs copies every original and rendition of src into dst through
// the BlobStore interface, for the instance whose data directory is dataDir
// (its database is only read: a server may be running on src meanwhile).
// A key dst already has with the same size is skipped, so a run after an
// interrupted one continues where it stopped, and a run after a complete
// one copies only what changed. Every copy is verified: an original must
// hash to its key (dst's Put refuses it otherwise), a rendition must have
// the size its database row gives, and its bytes are hashed as they are
// read and put with that hash. A key that fails is reported in Problems
// and nothing of it is left in dst; the other keys are still copied.
func MigrateBlobs(ctx context.Context, dataDir string, src, dst BlobStore, opt MigrateOptions) (*MigrateResult, error) {
	start := time.Now()
	if opt.Workers <= 0 {
		opt.Workers = 8
	}
	if opt.Spool == nil {
		return nil, errors.New("migrate: no spool folder")
	}
	db, err := openReadOnly(filepath.Join(dataDir, DBFileName), false)
	if err != nil {
		return nil, fmt.Errorf("no Gallerist database in %s: %w", dataDir, err)
	}
	defer db.Close()
	rows, err := migrateRows(ctx, db)
	if err != nil {
		return nil, err
	}
	have := map[string]int64{}
	if err := dst.List(ctx, "", func(b BlobInfo) error { have[b.Key] = b.Size; return nil }); err != nil {
		return nil, fmt.Errorf("list the target: %w", err)
	}
	res := &MigrateResult{}
	seen := map[string]bool{}
	replace := map[string]bool{}
	var jobs []fileJob
	err = src.List(ctx, "", func(b BlobInfo) error {
		seen[b.Key] = true
		if size, ok := have[b.Key]; ok && size == b.Size {
			res.Skipped.Count++
			res.Skipped.Bytes += b.Size
			return nil
		} else if ok {
			replace[b.Key] = true
		}
		j := fileJob{kind: kindBlob, key: b.Key, size: b.Size, want: b.Key}
		if !IsOriginalKey(b.Key) {
			j.kind, j.want = kindRendition, ""
		}
		jobs = append(jobs, j)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the source: %w", err)
	}
	for key := range rows {
		if _, there := have[key]; !seen[key] && !there {
			res.Missing = append(res.Missing, key)
		}
	}
	sort.Strings(res.Missing)
	// Originals first: a rendition is worth nothing without its original.
	sort.Slice(jobs, func(a, b int) bool {
		if jobs[a].kind != jobs[b].kind {
			return jobs[a].kind < jobs[b].kind
		}
		return jobs[a].key < jobs[b].key
	})
	m := &migrator{src: src, dst: dst, rows: rows, replace: replace, spool: opt.Spool}
	report := func(p Progress) {
		if opt.Progress != nil {
			p.Elapsed = time.Since(start)
			opt.Progress(p)
		}
	}
	err = eachFile(ctx, jobs, opt.Workers, "blobs", func(j fileJob, buf []byte) copyResult {
		return m.copy(ctx, j, buf)
	}, report, func(j fileJob, r copyResult) {
		switch {
		case r.err != nil:
			res.Problems = append(res.Problems, fmt.Sprintf("%s: %v", j.key, r.err))
		case j.kind == kindBlob:
			res.Originals.Count++
			res.Originals.Bytes += r.size
		default:
			res.Renditions.Count++
			res.Renditions.Bytes += r.size
		}
		if r.err == nil && replace[j.key] {
			res.Replaced = append(res.Replaced, j.key)
		}
	})
	res.Elapsed = time.Since(start)
	if err != nil {
		return res, err
	}
	sort.Strings(res.Problems)
	sort.Strings(res.Replaced)
	return res, nil
}

// migrateRows maps every key the database refers to (each media row's
// bytes, each rendition) to the size its row gives.
func migrateRows(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	jobs, err := snapshotFiles(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("read the database: %w", err)
	}
	rows := make(map[string]int64, len(jobs))
	for _, j := range jobs {
		rows[j.key] = j.size
	}
	return rows, nil
}

type migrator struct {
	src, dst BlobStore
	rows     map[string]int64
	replace  map[string]bool
	spool    *Staging
}

// copy copies one key and returns its size and SHA-256.
func (m *migrator) copy(ctx context.Context, j fileJob, buf []byte) copyResult {
	if want, ok := m.rows[j.key]; ok && want != j.size {
		what := "the original"
		if j.kind == kindRendition {
			what = "the rendition"
		}
		return copyResult{err: fmt.Errorf("%s has %d bytes in the source, its database row says %d: not copied (the source copy is damaged; `gallerist verify` tells more)", what, j.size, want)}
	}
	if m.replace[j.key] {
		// A put never replaces a key; this one has the wrong size in the target.
		if err := m.dst.Delete(ctx, j.key); err != nil {
			return copyResult{err: fmt.Errorf("remove the target's copy of the wrong size: %w", err)}
		}
	}
	r := copyBlob(ctx, m.src, m.dst, m.spool, j.key, j.size, buf)
	switch {
	case errors.Is(r.err, ErrBlobCorrupt) && j.kind == kindBlob:
		r.err = fmt.Errorf("the source's bytes do not hash to the key (%w): not copied", r.err)
	case errors.Is(r.err, ErrBlobCorrupt):
		r.err = fmt.Errorf("%w: not copied", r.err)
	}
	return r
}
