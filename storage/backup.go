package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// DBFileName is the name of the SQLite file in a data directory.
const DBFileName = "gallerist.db"

// ManifestName is the name of a backup's manifest. A backup directory
// without one is incomplete (an interrupted backup never writes it).
const ManifestName = "manifest.json"

// BackupFormat and BackupVersion identify the layout of a backup directory:
// gallerist.db (a self-contained SQLite file), blobs/ and renditions/ laid
// out as in a data directory, the session keys, and manifest.json.
const (
	BackupFormat  = "gallerist-backup"
	BackupVersion = 1
)

// HoldTTL is how long a backup's hold on file deletion lasts unless renewed;
// a running backup renews it every HoldTTL/6, so only a backup that was
// killed (or stopped for that long) lets it expire.
const HoldTTL = time.Hour

// sessionKeyFiles are the files beside the database a backup keeps, so
// people stay logged in across a restore.
var sessionKeyFiles = []string{"session_hash.key", "session_block.key"}

// HoldFiles records a hold on file deletion that expires after ttl: until it
// is released or expires, purges and garbage collection delete rows but no
// files (see filesHeld). It returns the hold's id.
func (db *DB) HoldFiles(ctx context.Context, reason string, ttl time.Duration) (int64, error) {
	var id int64
	err := db.update(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		// Holds of backups that were killed long ago are forgotten.
		if _, err := tx.ExecContext(ctx, `DELETE FROM gc_holds WHERE expires_at < ?`, ms(now.Add(-24*time.Hour))); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO gc_holds (reason, created_at, expires_at) VALUES (?, ?, ?)`,
			reason, ms(now), ms(now.Add(ttl)))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// RenewHold moves a hold's expiry to ttl from now. It fails if the hold is
// gone or had already expired (files may have been deleted meanwhile).
func (db *DB) RenewHold(ctx context.Context, id int64, ttl time.Duration) error {
	return db.update(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		res, err := tx.ExecContext(ctx, `UPDATE gc_holds SET expires_at = ? WHERE id = ? AND expires_at > ?`, ms(now.Add(ttl)), id, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("the hold on file deletion (%d) expired before it was renewed", id)
		}
		return nil
	})
}

// ReleaseHold removes a hold.
func (db *DB) ReleaseHold(ctx context.Context, id int64) error {
	return db.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM gc_holds WHERE id = ?`, id)
		return err
	})
}

// filesHeld reports whether an unexpired hold forbids deleting files. The
// code that deletes blob and rendition files calls it inside the write
// transaction that deletes them: a backup's hold commits before its
// snapshot is taken, so every deletion either ran before the snapshot (and
// the snapshot has no row needing the file) or sees the hold.
func (db *DB) filesHeld(ctx context.Context, tx *sql.Tx) (bool, error) {
	var held bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM gc_holds WHERE expires_at > ?)`, ms(db.Now())).Scan(&held)
	return held, err
}

// Manifest describes a backup: what the database holds and every file with
// its size and SHA-256.
type Manifest struct {
	Format    string           `json:"format"`
	Version   int              `json:"version"`
	CreatedAt string           `json:"created_at"` // RFC 3339, UTC, when the database snapshot was taken
	Source    string           `json:"source"`     // the data directory backed up
	Database  ManifestFile     `json:"database"`
	Counts    map[string]int64 `json:"counts"` // rows per table, and media_trashed
	// Blobs and Renditions total the files of each kind listed in Files.
	Blobs      FileTotals `json:"blobs"`
	Renditions FileTotals `json:"renditions"`
	// DroppedRenditions are renditions ("<sha256>/<slot>.<ext>") whose files
	// were gone when they were copied; their rows were removed from the
	// snapshot, and the restored server makes them again when asked.
	DroppedRenditions []string       `json:"dropped_renditions,omitempty"`
	Files             []ManifestFile `json:"files"`
}

// FileTotals counts files and their bytes.
type FileTotals struct {
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}

// ManifestFile is one file of a backup, by slash-separated path inside it.
type ManifestFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Progress is how far a backup, restore or verify has come; Files and
// Bytes count what is done of TotalFiles and TotalBytes (TotalBytes may be
// an estimate from the database's sizes).
type Progress struct {
	Phase      string // "database", "files" (backup, restore) or "blobs" (verify)
	Files      int64
	TotalFiles int64
	Bytes      int64
	TotalBytes int64
	Elapsed    time.Duration
	Done       bool // the phase is finished
}

// BackupOptions configure Backup.
type BackupOptions struct {
	// Progress, when set, is called after each file and when a phase ends.
	Progress func(Progress)
	// Workers is how many files are copied at once (default 4).
	Workers int
	// Blobs is the store the instance keeps its files in (nil: the local
	// folders of the data directory); the backup copies them from there.
	Blobs BlobStore
	// AccessKey and SecretKey sign in to the bucket of an s3:// destination.
	AccessKey, SecretKey string

	afterSnapshot func() // tests: runs between the snapshot and the copying of files
}

// BackupResult is what a backup wrote.
type BackupResult struct {
	Manifest *Manifest
	Elapsed  time.Duration
	Bytes    int64 // database and files
	Warnings []string
}

// countTables are the tables whose rows a manifest counts.
var countTables = []string{"orgs", "users", "memberships", "tokens", "media", "products", "variants",
	"gallery_images", "collections", "detachments", "renditions", "rendition_jobs"}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// snapshotCounts counts the rows of countTables, and trashed media.
func snapshotCounts(ctx context.Context, q queryer) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range countTables {
		var n int64
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	var n int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM media WHERE deleted_at IS NOT NULL`).Scan(&n); err != nil {
		return nil, err
	}
	out["media_trashed"] = n
	return out, nil
}

// Backup writes a consistent snapshot of the instance in dataDir (running or
// not) into dest, which must not exist or be empty: the database through
// SQLite's online backup API, then every blob and rendition file the
// snapshot's rows refer to, each blob's content checked against its name,
// then manifest.json. Before the snapshot it takes a hold on file deletion
// (released at the end), so neither the server nor `gallerist gc` deletes a
// file the snapshot needs while it is copied. On failure nothing is left in
// dest; a backup directory with a manifest is complete.
func Backup(ctx context.Context, dataDir, dest string, opt BackupOptions) (res *BackupResult, err error) {
	start := time.Now()
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	dbPath := filepath.Join(dataDir, DBFileName)
	if _, err := os.Stat(dbPath); err != nil {
		return nil, fmt.Errorf("no Gallerist database in %s: %w", dataDir, err)
	}
	if same, _ := sameDir(dataDir, dest); same {
		return nil, errors.New("the backup must go to a new directory, not the data directory")
	}
	if dest == "" {
		return nil, errors.New("--to is required")
	}
	area, err := openBackupArea(dest, opt.AccessKey, opt.SecretKey)
	if err != nil {
		return nil, err
	}
	cleanup, err := area.create(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()

	db, err := OpenDB(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	hold, err := db.HoldFiles(ctx, "backup to "+dest, HoldTTL)
	if err != nil {
		return nil, fmt.Errorf("hold file deletion: %w", err)
	}
	defer func() {
		if err := db.ReleaseHold(context.WithoutCancel(ctx), hold); err != nil {
			db.Log.Warn("release the backup's hold on file deletion (it expires by itself)", "hold", hold, "err", err)
		}
	}()
	renewCtx, stopRenew := context.WithCancel(ctx)
	var renewWG sync.WaitGroup
	renewWG.Add(1)
	go func() {
		defer renewWG.Done()
		t := time.NewTicker(HoldTTL / 6)
		defer t.Stop()
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
				if err := db.RenewHold(renewCtx, hold, HoldTTL); err != nil && renewCtx.Err() == nil {
					db.Log.Warn("renew the backup's hold on file deletion", "err", err)
				}
			}
		}
	}()
	defer func() { stopRenew(); renewWG.Wait() }()

	res = &BackupResult{}
	source, _ := filepath.Abs(dataDir)
	m := &Manifest{Format: BackupFormat, Version: BackupVersion, Source: source}
	report := func(p Progress) {
		if opt.Progress != nil {
			p.Elapsed = time.Since(start)
			opt.Progress(p)
		}
	}

	// The snapshot.
	snapPath := area.localDB()
	if snapPath == "" {
		// A bucket: the snapshot is staged in the data dir's temp folder.
		tmp, err := os.MkdirTemp(filepath.Join(dataDir, "tmp"), "backup-")
		if errors.Is(err, fs.ErrNotExist) {
			tmp, err = os.MkdirTemp("", "gallerist-backup-")
		}
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		snapPath = filepath.Join(tmp, DBFileName)
	}
	m.CreatedAt = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	if err := snapshotDB(ctx, db, snapPath); err != nil {
		return nil, fmt.Errorf("snapshot the database: %w", err)
	}
	if opt.afterSnapshot != nil {
		opt.afterSnapshot()
	}
	snap, err := openSnapshot(snapPath)
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	if st, err := os.Stat(snapPath); err == nil {
		report(Progress{Phase: "database", Files: 1, TotalFiles: 1, Bytes: st.Size(), TotalBytes: st.Size(), Done: true})
	}

	// The files its rows refer to.
	jobs, err := snapshotFiles(ctx, snap)
	if err != nil {
		return nil, err
	}
	src := opt.Blobs
	if src == nil {
		src = &LocalBlobs{root: dataDir}
	}
	for _, name := range sessionKeyFiles {
		if st, err := os.Stat(filepath.Join(dataDir, name)); err == nil && st.Mode().IsRegular() {
			jobs = append(jobs, fileJob{kind: kindKey, key: name, size: st.Size()})
		}
	}
	var problems []string
	var dropped []fileJob
	err = eachFile(ctx, jobs, opt.Workers, "files", func(j fileJob, buf []byte) copyResult {
		var in io.ReadCloser
		var err error
		if j.kind == kindKey {
			in, err = os.Open(filepath.Join(dataDir, j.key))
		} else {
			// Read through the store (local or a bucket), written straight
			// to the backup (each file of a directory fsynced, the folders
			// at the end).
			in, err = src.Open(ctx, j.key)
		}
		if err != nil {
			return copyResult{err: err}
		}
		defer in.Close()
		return area.write(ctx, j.relPath(), in, j.size, j.want, buf)
	}, report, func(j fileJob, r copyResult) {
		switch {
		case r.err == nil:
			res.Bytes += r.size
			mf := ManifestFile{Path: j.relPath(), Size: r.size, SHA256: r.sum}
			m.Files = append(m.Files, mf)
			if j.kind == kindBlob {
				m.Blobs.Count++
				m.Blobs.Bytes += r.size
			} else if j.kind == kindRendition {
				m.Renditions.Count++
				m.Renditions.Bytes += r.size
			}
		case j.kind == kindRendition && isMissing(r.err):
			dropped = append(dropped, j)
		case isMissing(r.err):
			problems = append(problems, fmt.Sprintf("%s: blob %s is missing", mediaOf(ctx, snap, j.key), j.key))
		case errors.Is(r.err, errHashMismatch):
			problems = append(problems, fmt.Sprintf("%s: blob %s is corrupt: %v", mediaOf(ctx, snap, j.key), j.key, r.err))
		default:
			problems = append(problems, fmt.Sprintf("copy %s: %v", j.relPath(), r.err))
		}
	})
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, problemsError("the backup was not written", problems)
	}
	// Renditions whose files went meanwhile (made again on demand) leave the snapshot.
	for _, j := range dropped {
		sha, name, _ := strings.Cut(j.key, "/")
		var slot int
		var ext string
		if _, err := fmt.Sscanf(strings.Replace(name, ".", " ", 1), "%d %s", &slot, &ext); err != nil {
			return nil, fmt.Errorf("rendition %s: %w", j.key, err)
		}
		if _, err := snap.ExecContext(ctx, `DELETE FROM renditions WHERE sha256 = ? AND slot = ? AND ext = ?`, sha, slot, ext); err != nil {
			return nil, err
		}
		m.DroppedRenditions = append(m.DroppedRenditions, j.key)
		res.Warnings = append(res.Warnings, fmt.Sprintf("rendition %s was gone when it was copied (a purge while the backup ran, or lost before); it is left out of the backup, and the restored server makes it again when asked", j.key))
	}
	if m.Counts, err = snapshotCounts(ctx, snap); err != nil {
		return nil, err
	}
	if err := snap.Close(); err != nil {
		return nil, err
	}
	size, sum, err := hashFile(snapPath)
	if err != nil {
		return nil, err
	}
	if area.localDB() == "" {
		if err := uploadFile(ctx, area, snapPath, sum); err != nil {
			return nil, fmt.Errorf("write the database: %w", err)
		}
	}
	res.Bytes += size
	m.Database = ManifestFile{Path: DBFileName, Size: size, SHA256: sum}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := area.seal(ctx, append(b, '\n')); err != nil {
		return nil, err
	}
	res.Manifest = m
	res.Elapsed = time.Since(start)
	return res, nil
}

// snapshotDB copies the database into a new file at dst with SQLite's
// online backup API, in one step (so the copy is one consistent snapshot,
// taken under a read transaction, which never blocks the server's writes in
// WAL mode), and makes the copy a self-contained rollback-journal file.
func snapshotDB(ctx context.Context, db *DB, dst string) error {
	src, err := db.read.Conn(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	out, err := sql.Open("sqlite3", "file:"+dst+"?_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer out.Close()
	out.SetMaxOpenConns(1)
	dc, err := out.Conn(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	err = dc.Raw(func(d any) error {
		return src.Raw(func(s any) error {
			dconn, ok1 := d.(*sqlite3.SQLiteConn)
			sconn, ok2 := s.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return errors.New("not a SQLite connection")
			}
			b, err := dconn.Backup("main", sconn, "main")
			if err != nil {
				return err
			}
			for {
				done, err := b.Step(-1)
				if err != nil {
					b.Finish()
					return err
				}
				if done {
					break
				}
				// Busy or locked: try again shortly.
				select {
				case <-ctx.Done():
					b.Finish()
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
			return b.Finish()
		})
	})
	if err != nil {
		return err
	}
	// The copy carries the source's WAL flag; a backup is one file.
	var mode string
	if err := dc.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil {
		return err
	}
	if err := dc.Close(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, 0o600)
}

// openSnapshot opens a backup's database file (not in WAL mode) for reading
// and the few changes a backup makes to it.
func openSnapshot(p string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "FULL")
	db, err := sql.Open("sqlite3", "file:"+p+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// openReadOnly opens a database that must not be written: a backup's (not
// in WAL mode and not changing: immutable) or a data directory's, possibly
// in use by a server.
func openReadOnly(p string, immutable bool) (*sql.DB, error) {
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("no database: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "10000")
	q.Set("_query_only", "true")
	if immutable {
		q.Set("immutable", "1")
	}
	db, err := sql.Open("sqlite3", "file:"+p+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	return db, nil
}

type fileKind int

const (
	kindBlob fileKind = iota
	kindRendition
	kindKey
)

// fileJob is one file to copy or check: a blob or rendition key, or the
// name of a key file.
type fileJob struct {
	kind fileKind
	key  string
	size int64 // expected, from the database (for progress)
	want string
}

// relPath is the job's slash-separated path inside a data or backup directory.
func (j fileJob) relPath() string {
	switch j.kind {
	case kindBlob:
		return path.Join("blobs", j.key[0:2], j.key[2:4], j.key)
	case kindRendition:
		return path.Join("renditions", j.key[0:2], j.key[2:4], j.key)
	}
	return j.key
}

// snapshotFiles lists the files a database's rows refer to: the blob of
// every media row's bytes, live or trashed, and of every version, and
// every rendition.
func snapshotFiles(ctx context.Context, db *sql.DB) ([]fileJob, error) {
	var jobs []fileJob
	rows, err := db.QueryContext(ctx, `SELECT sha256, MAX(size) FROM
		(SELECT sha256, size FROM media UNION ALL SELECT sha256, size FROM media_versions) GROUP BY sha256 ORDER BY sha256`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		j := fileJob{kind: kindBlob}
		if err := rows.Scan(&j.key, &j.size); err != nil {
			rows.Close()
			return nil, err
		}
		if !keyRE.MatchString(j.key) || strings.Contains(j.key, "/") {
			rows.Close()
			return nil, fmt.Errorf("a media row has a malformed sha256 %q", j.key)
		}
		j.want = j.key
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, `SELECT sha256 || '/' || slot || '.' || ext, size FROM renditions ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		j := fileJob{kind: kindRendition}
		if err := rows.Scan(&j.key, &j.size); err != nil {
			return nil, err
		}
		if !keyRE.MatchString(j.key) || !strings.Contains(j.key, "/") {
			return nil, fmt.Errorf("a rendition row has a malformed key %q", j.key)
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// mediaOf names the media rows with some bytes, for messages.
func mediaOf(ctx context.Context, db *sql.DB, sha string) string {
	rows, err := db.QueryContext(ctx, `SELECT id, filename FROM media WHERE sha256 = ? ORDER BY id LIMIT 4`, sha)
	if err != nil {
		return "media"
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var id int64
		var name string
		if rows.Scan(&id, &name) == nil {
			parts = append(parts, fmt.Sprintf("%d (%s)", id, name))
		}
	}
	if len(parts) == 0 {
		return "media"
	}
	return "media " + strings.Join(parts, ", ")
}

var errHashMismatch = errors.New("content does not match its SHA-256")

// isMissing reports whether err says a file or blob is not there.
func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrBlobNotFound)
}

type copyResult struct {
	size int64
	sum  string
	err  error
}

// eachFile runs work on every job with workers goroutines (each with its
// own 256 KB buffer) and calls done, then progress, on the calling
// goroutine with each result as it comes. It returns early only when ctx is
// cancelled.
func eachFile(ctx context.Context, jobs []fileJob, workers int, phase string, work func(fileJob, []byte) copyResult,
	progress func(Progress), done func(fileJob, copyResult)) error {
	var total int64
	for _, j := range jobs {
		total += j.size
	}
	type out struct {
		j fileJob
		r copyResult
	}
	in := make(chan fileJob)
	results := make(chan out)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for j := range in {
				results <- out{j, work(j, buf)}
			}
		}()
	}
	go func() {
		defer close(in)
		for _, j := range jobs {
			select {
			case in <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	p := Progress{Phase: phase, TotalFiles: int64(len(jobs)), TotalBytes: total}
	for o := range results {
		p.Files++
		p.Bytes += o.r.size
		done(o.j, o.r)
		progress(p)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p.Done = true
	progress(p)
	return nil
}

// copyVerifiedFrom copies in to a new file dst (making its folder), fsyncs
// it and returns its size and SHA-256, which must be want if want is set
// (dst is removed otherwise).
func copyVerifiedFrom(in io.Reader, dst, want string, buf []byte, dirs *sync.Map) copyResult {
	dir := filepath.Dir(dst)
	if _, ok := dirs.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return copyResult{err: err}
		}
		dirs.Store(dir, true)
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return copyResult{err: err}
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), in, buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err == nil && want != "" && sum != want {
		err = fmt.Errorf("%w: it hashes to %s", errHashMismatch, sum)
	}
	if err != nil {
		os.Remove(dst)
		return copyResult{err: err}
	}
	return copyResult{size: n, sum: sum}
}

// hashFile returns a file's size and SHA-256.
func hashFile(p string) (int64, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	return hashReader(f, nil)
}

// hashReader returns the size and SHA-256 of what r yields, read with buf
// (nil: a buffer of io.Copy's).
func hashReader(r io.Reader, buf []byte) (int64, string, error) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, r, buf)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// syncTree fsyncs every folder under (and including) root, so the names of
// the files written into them are durable.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		return syncDir(p)
	})
}

func syncDir(p string) error {
	d, err := os.Open(p)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// writeManifest writes manifest.json durably, last: its presence marks a
// complete backup.
func writeManifest(dir string, b []byte) error {
	tmp := filepath.Join(dir, ManifestName+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ManifestName)); err != nil {
		return err
	}
	return syncDir(dir)
}

// makeEmptyDir makes dir for a backup or restore: it must not exist, or be
// an empty folder. The returned cleanup removes what was written into it
// (and dir itself if it was made here).
func makeEmptyDir(dir, flag string) (cleanup func(), err error) {
	if dir == "" {
		return nil, fmt.Errorf("%s is required", flag)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
		return func() { os.RemoveAll(dir) }, nil
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", flag, dir, err)
	case len(entries) > 0:
		return nil, fmt.Errorf("%s %s exists and is not empty; give a new directory (nothing was changed)", flag, dir)
	}
	return func() {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}, nil
}

// sameDir reports whether a and b name the same existing folder.
func sameDir(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// problemsError lists problems in one error, the first 20 in full.
func problemsError(what string, problems []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem", what, len(problems))
	if len(problems) != 1 {
		b.WriteString("s")
	}
	for i, p := range problems {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … and %d more", len(problems)-20)
			break
		}
		b.WriteString("\n  " + p)
	}
	return errors.New(b.String())
}

// RestoreOptions configure Restore.
type RestoreOptions struct {
	Progress func(Progress)
	Workers  int // files copied at once (default 4)
	// AccessKey and SecretKey sign in to the bucket of an s3:// source.
	AccessKey, SecretKey string
}

// RestoreResult is what a restore wrote.
type RestoreResult struct {
	Manifest *Manifest
	Elapsed  time.Duration
	Bytes    int64
}

var (
	blobPathRE      = regexp.MustCompile(`^blobs/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})$`)
	renditionPathRE = regexp.MustCompile(`^renditions/([0-9a-f]{2})/([0-9a-f]{2})/(([0-9a-f]{64})/[0-9a-z]+\.[a-z0-9]+)$`)
)

// ReadManifest reads and checks the shape of a backup's manifest.
func ReadManifest(from string) (*Manifest, error) {
	return readManifest(context.Background(), &dirArea{dir: from})
}

func readManifest(ctx context.Context, from backupArea) (*Manifest, error) {
	b, err := readArea(ctx, from, ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no %s: it is not a complete Gallerist backup (an interrupted backup writes none)", from, ManifestName)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s is not a valid manifest: %w", ManifestName, err)
	}
	if m.Format != BackupFormat {
		return nil, fmt.Errorf("%s is not a Gallerist backup manifest (format %q)", ManifestName, m.Format)
	}
	if m.Version != BackupVersion {
		return nil, fmt.Errorf("this backup has format version %d; this gallerist reads version %d", m.Version, BackupVersion)
	}
	if m.Database.Path != DBFileName {
		return nil, fmt.Errorf("the manifest names the database %q; want %q", m.Database.Path, DBFileName)
	}
	return &m, nil
}

// manifestJobs checks every path the manifest lists (only blobs, renditions
// and session keys, each once: a tampered manifest must not write outside
// the new data directory) and turns them into jobs.
func manifestJobs(m *Manifest) ([]fileJob, error) {
	seen := map[string]bool{}
	var jobs []fileJob
	var blobs, rends FileTotals
	for _, f := range m.Files {
		if seen[f.Path] {
			return nil, fmt.Errorf("the manifest lists %s twice", f.Path)
		}
		seen[f.Path] = true
		if len(f.SHA256) != 64 {
			return nil, fmt.Errorf("the manifest has no SHA-256 for %s", f.Path)
		}
		j := fileJob{size: f.Size, want: f.SHA256}
		if g := blobPathRE.FindStringSubmatch(f.Path); g != nil && g[1]+g[2] == g[3][:4] && f.SHA256 == g[3] {
			j.kind, j.key = kindBlob, g[3]
			blobs.Count++
			blobs.Bytes += f.Size
		} else if g := renditionPathRE.FindStringSubmatch(f.Path); g != nil && g[1]+g[2] == g[4][:4] {
			j.kind, j.key = kindRendition, g[3]
			rends.Count++
			rends.Bytes += f.Size
		} else if f.Path == sessionKeyFiles[0] || f.Path == sessionKeyFiles[1] {
			j.kind, j.key = kindKey, f.Path
		} else {
			return nil, fmt.Errorf("the manifest lists an unexpected file %q", f.Path)
		}
		jobs = append(jobs, j)
	}
	if blobs != m.Blobs || rends != m.Renditions {
		return nil, fmt.Errorf("the manifest's totals (blobs %+v, renditions %+v) do not match its files (blobs %+v, renditions %+v)",
			m.Blobs, m.Renditions, blobs, rends)
	}
	return jobs, nil
}

// checkBackupDB checks a backup's database (copied to p) against its
// manifest: its hash, SQLite's quick check, the row counts, and that every
// file its rows need is listed.
func checkBackupDB(ctx context.Context, p string, m *Manifest, jobs []fileJob) error {
	size, sum, err := hashFile(p)
	if err != nil {
		return fmt.Errorf("the backup's database: %w", err)
	}
	if size != m.Database.Size || sum != m.Database.SHA256 {
		return fmt.Errorf("the backup's database does not match the manifest (%d bytes, SHA-256 %s; the manifest says %d bytes, %s)",
			size, sum, m.Database.Size, m.Database.SHA256)
	}
	db, err := openReadOnly(p, true)
	if err != nil {
		return err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&ok); err != nil {
		return fmt.Errorf("the backup's database: %w", err)
	}
	if ok != "ok" {
		return fmt.Errorf("the backup's database is damaged: %s", ok)
	}
	counts, err := snapshotCounts(ctx, db)
	if err != nil {
		return err
	}
	for k, v := range counts {
		if m.Counts[k] != v {
			return fmt.Errorf("the backup's database has %d %s; the manifest says %d", v, k, m.Counts[k])
		}
	}
	if len(counts) != len(m.Counts) {
		return fmt.Errorf("the manifest counts tables the database does not have")
	}
	listed := map[string]bool{}
	for _, j := range jobs {
		if j.kind != kindKey {
			listed[j.key] = true
		}
	}
	need, err := snapshotFiles(ctx, db)
	if err != nil {
		return err
	}
	var missing []string
	for _, j := range need {
		if !listed[j.key] {
			missing = append(missing, j.relPath()+" (a row needs it, the manifest does not list it)")
		}
	}
	if len(missing) > 0 {
		return problemsError("the backup is incomplete", missing)
	}
	return nil
}

// Restore checks the backup in from against its manifest and copies it into
// dataDir, which must not exist or be empty: every file is hashed as it is
// copied and must match the manifest, files and folders are fsynced, and the
// database is put in place last. On failure nothing is left in dataDir.
func Restore(ctx context.Context, from, dataDir string, opt RestoreOptions) (res *RestoreResult, err error) {
	start := time.Now()
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	area, err := openBackupArea(from, opt.AccessKey, opt.SecretKey)
	if err != nil {
		return nil, err
	}
	m, err := readManifest(ctx, area)
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("--data %s exists and is not empty; restore into a new directory (nothing was changed)", dataDir)
	}
	jobs, err := manifestJobs(m)
	if err != nil {
		return nil, err
	}
	report := func(p Progress) {
		if opt.Progress != nil {
			p.Elapsed = time.Since(start)
			opt.Progress(p)
		}
	}
	cleanup, err := makeEmptyDir(dataDir, "--data")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	res = &RestoreResult{Manifest: m}
	// The database first, under a name no server opens.
	pending := filepath.Join(dataDir, DBFileName+".restoring")
	dirs := &sync.Map{}
	r := copyFromArea(ctx, area, DBFileName, pending, "", make([]byte, 256<<10), dirs)
	if r.err != nil {
		return nil, fmt.Errorf("copy the database: %w", r.err)
	}
	if err := checkBackupDB(ctx, pending, m, jobs); err != nil {
		return nil, err
	}
	res.Bytes += r.size
	report(Progress{Phase: "database", Files: 1, TotalFiles: 1, Bytes: r.size, TotalBytes: r.size, Done: true})
	dst := &LocalBlobs{root: dataDir}
	var problems []string
	err = eachFile(ctx, jobs, opt.Workers, "files", func(j fileJob, buf []byte) copyResult {
		d := filepath.Join(dataDir, j.key)
		if j.kind != kindKey {
			d, _ = dst.path(j.key)
		}
		return copyFromArea(ctx, area, j.relPath(), d, j.want, buf, dirs)
	}, report, func(j fileJob, r copyResult) {
		switch {
		case r.err == nil && r.size != j.size:
			problems = append(problems, fmt.Sprintf("%s has %d bytes; the manifest says %d", j.relPath(), r.size, j.size))
		case r.err == nil:
			res.Bytes += r.size
		case errors.Is(r.err, fs.ErrNotExist):
			problems = append(problems, fmt.Sprintf("%s is missing from the backup", j.relPath()))
		case errors.Is(r.err, errHashMismatch):
			problems = append(problems, fmt.Sprintf("%s does not match the manifest: %v (the manifest says %s)", j.relPath(), r.err, j.want))
		default:
			problems = append(problems, fmt.Sprintf("copy %s: %v", j.relPath(), r.err))
		}
	})
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, problemsError("the backup does not match its manifest; nothing was restored", problems)
	}
	if err := syncTree(dataDir); err != nil {
		return nil, err
	}
	if err := os.Rename(pending, filepath.Join(dataDir, DBFileName)); err != nil {
		return nil, err
	}
	if err := syncDir(dataDir); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	return res, nil
}
