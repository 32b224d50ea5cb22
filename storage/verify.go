package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Progress, when set, is called after each blob hashed and when a phase ends.
	Progress func(Progress)
	// Workers is how many blobs are hashed at once (default 4).
	Workers int
	// Blobs is the store the instance keeps its files in (nil: the local
	// folders of the data directory); every file is read through it.
	Blobs BlobStore
}

// VerifyReport is what Verify found. Problems are errors (the instance is
// not clean); Warnings are legal leftovers, such as orphan files that an
// interruption left and a later GC removes.
type VerifyReport struct {
	Problems []string
	Warnings []string

	Media            int64 // media rows, live and trashed
	Versions         int64 // previous files of replaced items (media_versions rows)
	Products         int64 // products with a gallery
	Blobs            int64 // distinct blobs hashed
	BlobBytes        int64
	Renditions       int64 // rendition rows whose files were found
	OrphanBlobs      int64 // blob files no media row refers to
	OrphanRenditions int64 // rendition files no rendition row refers to
	Elapsed          time.Duration
}

// Clean reports whether Verify found no problems.
func (r *VerifyReport) Clean() bool { return len(r.Problems) == 0 }

// Verify checks the instance in dataDir without writing anything (the
// database is opened read-only, so a server may be running on it): SQLite's
// integrity and foreign key checks, that every gallery's positions are
// 1..n, that every media row's blob exists, has the row's size and hashes to
// its name, that every rendition row's file exists, and which blob and
// rendition files no row refers to (warnings). Files are listed and read
// through the instance's store (opt.Blobs), local or a bucket alike; the
// store is only read. The rows are read in one
// snapshot; a file found missing is a problem only if, checked again
// against the latest committed state with no commit in between, a row still
// needs it (a server may purge while Verify runs). It returns an error only
// when it cannot check at all.
func Verify(ctx context.Context, dataDir string, opt VerifyOptions) (*VerifyReport, error) {
	start := time.Now()
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	db, err := openReadOnly(filepath.Join(dataDir, DBFileName), false)
	if err != nil {
		return nil, fmt.Errorf("open the database in %s: %w", dataDir, err)
	}
	defer db.Close()
	rep := &VerifyReport{}
	report := func(p Progress) {
		if opt.Progress != nil {
			p.Elapsed = time.Since(start)
			opt.Progress(p)
		}
	}

	// Everything read from the database comes from one snapshot.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	blobs, rends, err := verifyRows(ctx, tx, rep)
	if err != nil {
		return nil, err
	}
	tx.Rollback()

	// The latest committed state, for checking again what looks wrong.
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	confirm := func(needed func() (bool, error), gone func() bool) (bool, error) {
		for try := 0; try < 5; try++ {
			var v1, v2 int64
			if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v1); err != nil {
				return false, err
			}
			need, err := needed()
			if err != nil || !need {
				return false, err
			}
			g := gone()
			if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v2); err != nil {
				return false, err
			}
			if v1 == v2 {
				return g, nil
			}
		}
		return gone(), nil
	}
	mediaNeeds := func(sha string) func() (bool, error) {
		return func() (bool, error) {
			var need bool
			err := conn.QueryRowContext(ctx, `SELECT `+blobRefSQL, sha, sha).Scan(&need)
			return need, err
		}
	}
	store := opt.Blobs
	if store == nil {
		store = &LocalBlobs{root: dataDir}
	}
	// absent reports whether key is missing from the store now.
	absent := func(key string) func() bool {
		return func() bool {
			_, err := store.Stat(ctx, key)
			return isMissing(err)
		}
	}

	// What the store holds, listed once: renditions are checked against
	// it (a listing, not a request per file) and the rest are orphans.
	listed := map[string]int64{} // key → its size in the listing
	if err := store.List(ctx, "", func(b BlobInfo) error {
		listed[b.Key] = b.Size
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list %s: %w", store, err)
	}

	// Blobs: present, the right size, hashing to their names, each read
	// through the store.
	var jobs []fileJob
	for sha, b := range blobs {
		jobs = append(jobs, fileJob{kind: kindBlob, key: sha, size: b.size})
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].key < jobs[j].key })
	var missing []fileJob
	err = eachFile(ctx, jobs, opt.Workers, "blobs", func(j fileJob, buf []byte) copyResult {
		return hashBlob(ctx, store, j.key, buf)
	}, report, func(j fileJob, o copyResult) {
		b := blobs[j.key]
		switch {
		case isMissing(o.err):
			missing = append(missing, j)
		case o.err != nil:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: blob %s cannot be read (%s): %v", b.media, j.key, store.Location(j.key), o.err))
		case o.sum != j.key && o.size != b.size:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: blob %s is %d bytes, the database says %s: it was truncated or replaced (%s)",
				b.media, j.key, o.size, b.sizes(), store.Location(j.key)))
		case o.sum != j.key:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: blob %s is corrupt: its content hashes to %s (%s)", b.media, j.key, o.sum, store.Location(j.key)))
		default:
			rep.Blobs++
			rep.BlobBytes += o.size
			if o.size != b.size || b.minSize != b.size {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: the database says %s bytes, blob %s has %d", b.media, b.sizes(), j.key, o.size))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for _, j := range missing {
		gone, err := confirm(mediaNeeds(j.key), absent(j.key))
		if err != nil {
			return nil, err
		}
		if gone {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: blob %s is missing (%s)", blobs[j.key].media, j.key, store.Location(j.key)))
		}
	}

	// Renditions: every row's file is there, the size its row records.
	for key, size := range rends {
		if got, ok := listed[key]; ok {
			rep.Renditions++
			if got != size {
				sha, name, _ := strings.Cut(key, "/")
				rep.Problems = append(rep.Problems, fmt.Sprintf("rendition %s of %s is %d bytes, the database says %d: it was truncated or replaced (%s)",
					name, renditionOf(blobs, sha), got, size, store.Location(key)))
			}
			continue
		}
		sha, name, _ := strings.Cut(key, "/")
		gone, err := confirm(func() (bool, error) {
			var n int
			err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM renditions r WHERE r.sha256 = ? AND r.slot || '.' || r.ext = ?
				AND EXISTS (SELECT 1 FROM media m WHERE m.sha256 = r.sha256)`, sha, name).Scan(&n)
			return n > 0, err
		}, absent(key))
		if err != nil {
			return nil, err
		}
		if gone {
			rep.Problems = append(rep.Problems, fmt.Sprintf("rendition %s of %s is missing (%s)", name, renditionOf(blobs, sha), store.Location(key)))
		} else {
			rep.Renditions++
		}
	}

	// Orphans: files no row refers to (a warning: a later GC removes them).
	keys := make([]string, 0, len(listed))
	for key := range listed {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if IsOriginalKey(key) {
			if _, ok := blobs[key]; ok {
				continue
			}
			if need, err := mediaNeeds(key)(); err != nil || need {
				if err != nil {
					return nil, err
				}
				continue // uploaded after the snapshot
			}
			rep.OrphanBlobs++
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("orphan blob %s: no media row has these bytes (gc removes it after an hour)", store.Location(key)))
			continue
		}
		if _, ok := rends[key]; ok {
			continue
		}
		sha, name, _ := strings.Cut(key, "/")
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM renditions WHERE sha256 = ? AND slot || '.' || ext = ?`, sha, name).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			continue // made after the snapshot
		}
		rep.OrphanRenditions++
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("orphan rendition %s: no rendition row refers to it (gc removes it)", store.Location(key)))
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// blobRows are the media rows sharing one blob.
// readBlobRows reads the blobs a query's rows refer to (sha256, rows, the
// largest and smallest size, names) into blobs, counting the rows in n;
// bytes already in blobs keep what was read first. label starts the names.
func readBlobRows(ctx context.Context, tx *sql.Tx, query, label string, n *int64, blobs map[string]blobRows, rep *VerifyReport) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sha, names string
		var k int64
		var b blobRows
		if err := rows.Scan(&sha, &k, &b.size, &b.minSize, &names); err != nil {
			return err
		}
		*n += k
		if _, ok := blobs[sha]; ok {
			continue
		}
		if len(names) > 200 {
			names = names[:200] + "…"
		}
		b.media = label + names
		if !keyRE.MatchString(sha) || strings.Contains(sha, "/") {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: malformed sha256 %q", b.media, sha))
			continue
		}
		blobs[sha] = b
	}
	return rows.Err()
}

type blobRows struct {
	size, minSize int64 // the largest and smallest size the rows give
	media         string
}

func (b blobRows) sizes() string {
	if b.size == b.minSize {
		return fmt.Sprint(b.size)
	}
	return fmt.Sprintf("%d to %d", b.minSize, b.size)
}

// verifyRows runs the database checks and returns the blobs (by hash) and
// renditions (by key) the rows refer to.
func verifyRows(ctx context.Context, tx *sql.Tx, rep *VerifyReport) (map[string]blobRows, map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, `PRAGMA integrity_check(50)`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if s != "ok" {
			rep.Problems = append(rep.Problems, "integrity check: "+s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}

	rows, err = tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			rows.Close()
			return nil, nil, err
		}
		rep.Problems = append(rep.Problems, fmt.Sprintf("foreign key: %s row %d refers to a missing %s row", table, rowid.Int64, parent))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}

	rows, err = tx.QueryContext(ctx, `SELECT product_id, COUNT(*), MIN(position), MAX(position), COUNT(DISTINCT position),
		group_concat(position, ', ') FROM (SELECT product_id, position FROM gallery_images ORDER BY product_id, position)
		GROUP BY product_id`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var pid, n, lo, hi, distinct int64
		var positions string
		if err := rows.Scan(&pid, &n, &lo, &hi, &distinct, &positions); err != nil {
			rows.Close()
			return nil, nil, err
		}
		rep.Products++
		if lo != 1 || hi != n || distinct != n {
			if len(positions) > 200 {
				positions = positions[:200] + "…"
			}
			rep.Problems = append(rep.Problems, fmt.Sprintf("product %d: gallery positions are %s; they must be 1 to %d, each once", pid, positions, n))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}

	blobs := map[string]blobRows{}
	err = readBlobRows(ctx, tx, `SELECT sha256, COUNT(*), MAX(size), MIN(size), group_concat(id || ' (' || filename || ')', ', ')
		FROM (SELECT sha256, id, size, filename FROM media ORDER BY sha256, id) GROUP BY sha256`, "media ", &rep.Media, blobs, rep)
	if err != nil {
		return nil, nil, err
	}
	// Versions' blobs (kept for the grace period) are checked like the rows'.
	err = readBlobRows(ctx, tx, `SELECT sha256, COUNT(*), MAX(size), MIN(size), group_concat(DISTINCT media_id)
		FROM media_versions GROUP BY sha256`, "previous files of media ", &rep.Versions, blobs, rep)
	if err != nil {
		return nil, nil, err
	}

	rends := map[string]int64{} // key → the size its row records
	rows, err = tx.QueryContext(ctx, `SELECT sha256 || '/' || slot || '.' || ext, size FROM renditions`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var size int64
		if err := rows.Scan(&key, &size); err != nil {
			return nil, nil, err
		}
		if !keyRE.MatchString(key) || !strings.Contains(key, "/") {
			rep.Problems = append(rep.Problems, fmt.Sprintf("rendition row with a malformed key %q", key))
			continue
		}
		rends[key] = size
	}
	return blobs, rends, rows.Err()
}

// hashBlob reads key through store and returns its size and SHA-256.
// renditionOf names the rows a rendition's original belongs to, for messages.
func renditionOf(blobs map[string]blobRows, sha string) string {
	if of := blobs[sha].media; of != "" {
		return of
	}
	return "bytes " + sha
}

func hashBlob(ctx context.Context, store BlobStore, key string, buf []byte) copyResult {
	r, err := store.Open(ctx, key)
	if err != nil {
		return copyResult{err: err}
	}
	defer r.Close()
	n, sum, err := hashReader(r, buf)
	return copyResult{size: n, sum: sum, err: err}
}
