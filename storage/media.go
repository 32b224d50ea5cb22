package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gallerist/data"
	"gallerist/storage/fetch"
)

// MediaService implements data.MediaService on SQLite and a BlobStore.
type MediaService struct {
	db      *DB
	blobs   BlobStore
	staging *Staging
	limits  data.Limits

	// Created, if set, is called after media rows commit (e.g. to queue renditions).
	Created func(ids []int64)
	// Fetcher imports media by URL (nil: importing is off).
	Fetcher *fetch.Fetcher
	// FetchesPerOrg bounds one organization's concurrent URL imports
	// (0: DefaultFetchesPerOrg), so one store cannot take every slot.
	FetchesPerOrg int
	fetchMu       sync.Mutex
	fetchSlots    map[int64]chan struct{}
	// StripLocation removes GPS and other location metadata from JPEG
	// originals at upload, losslessly.
	StripLocation bool
	// Stills says which videos and documents get a poster made from the
	// file (nil: none; their renditions are the poster's).
	Stills *Stills

	// scanOnly (tests) never walks a search term's postings for a page, and
	// pagesWalked counts the pages that were (see pageWalk).
	scanOnly    bool
	pagesWalked atomic.Int64
	counts      countMemo
}

// NewMediaService returns the media library service: uploads are staged
// in staging, then put into blobs.
func NewMediaService(db *DB, blobs BlobStore, staging *Staging, limits data.Limits) *MediaService {
	return &MediaService{db: db, blobs: blobs, staging: staging, limits: limits}
}

// Version changes whenever anything in the database changes (see DB.Version).
func (s *MediaService) Version(ctx context.Context) (int64, error) { return s.db.Version(ctx) }

const mediaColumns = `m.id, m.org_id, m.kind, m.filename, m.original_filename, m.mime_type, m.size, m.sha256,
	m.width, m.height, m.duration_ms, m.alt, m.source_url, m.created_by, m.created_at, m.updated_at, m.deleted_at,
	m.processing, m.processing_error, COALESCE(m.file_key, ''), m.focal_x, m.focal_y, COALESCE(m.poster_id, 0)`

// fileVersionSQL is an item's data.Media.FileVersion: the newest version
// row's id. Only single items carry an ETag, so only findMediaByID reads it,
// not every row of a list or gallery.
const fileVersionSQL = `COALESCE((SELECT MAX(mv.id) FROM media_versions mv WHERE mv.media_id = m.id), 0)`

// usageCountSQL counts every place a media item is used: gallery entries,
// variant images (which point at gallery entries), collection images, and
// the live videos and documents it is the chosen poster of.
const usageCountSQL = `(SELECT COUNT(*) FROM gallery_images g WHERE g.media_id = m.id)
	+ (SELECT COUNT(*) FROM variants v JOIN gallery_images g ON g.id = v.image_id WHERE g.media_id = m.id)
	+ (SELECT COUNT(*) FROM collections c WHERE c.media_id = m.id)
	+ (SELECT COUNT(*) FROM media pv WHERE pv.poster_id = m.id AND pv.deleted_at IS NULL)`

// usedSQL is true for a media item used anywhere usageCountSQL counts.
const usedSQL = `(EXISTS (SELECT 1 FROM gallery_images g WHERE g.media_id = m.id)
	OR EXISTS (SELECT 1 FROM collections c WHERE c.media_id = m.id)
	OR EXISTS (SELECT 1 FROM media pv WHERE pv.poster_id = m.id AND pv.deleted_at IS NULL))`

type scanner interface{ Scan(dest ...any) error }

func scanMedia(row scanner, extra ...any) (*data.Media, error) {
	var m data.Media
	var kind string
	var w, h, dur, deleted sql.NullInt64
	var created, updated int64
	var fx, fy sql.NullFloat64
	dest := []any{&m.ID, &m.OrgID, &kind, &m.Filename, &m.OriginalFilename, &m.MIMEType, &m.Size, &m.SHA256,
		&w, &h, &dur, &m.Alt, &m.SourceURL, &m.CreatedBy, &created, &updated, &deleted, &m.Processing, &m.ProcessingError, &m.FileKey, &fx, &fy, &m.PosterID}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	m.Kind = data.Kind(kind)
	m.Width, m.Height, m.DurationMS = int(w.Int64), int(h.Int64), dur.Int64
	m.CreatedAt, m.UpdatedAt, m.DeletedAt = fromMS(created), fromMS(updated), fromNullMS(deleted)
	if fx.Valid && fy.Valid {
		m.Focal = &data.FocalPoint{X: fx.Float64, Y: fy.Float64}
	}
	return &m, nil
}

func searchText(filename, alt string) string { return strings.ToLower(filename + "\n" + alt) }

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// CreateMedia adds staged files to the library in one transaction. The
// blobs are put into the store before that transaction, without the write
// lock (a 100 MB upload to a remote store takes seconds), under a lease: a
// committed blob_leases row that tells the garbage collector the bytes are
// about to be referenced (see blobNeeded). The rows then commit with the
// leases' release; if anything fails, the blobs this call stored and that
// no row or other lease needs are removed again under the lock.
func (s *MediaService) CreateMedia(ctx context.Context, mc data.MediaCreate) ([]*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	p, _ := data.PrincipalFrom(ctx)
	alt, err := data.ValidateAlt(mc.Alt)
	if err != nil {
		return nil, err
	}
	if len(mc.Files) == 0 {
		return nil, data.Errorf(data.ECMissingFile, "Send at least one file.")
	}
	for _, st := range mc.Files {
		if tmp, _ := st.Handle.(string); tmp == "" {
			return nil, errors.New("staged file was discarded")
		}
	}
	var out []*data.Media
	var created []string // blobs this call stored
	lease, err := s.db.takeLeases(ctx, stagedSums(mc.Files))
	if err == nil {
		created, err = s.putAll(ctx, mc.Files)
	}
	if err == nil {
		out, err = s.insertMedia(ctx, org, p.Actor, alt, mc, lease)
	}
	if err != nil {
		for _, st := range mc.Files {
			s.Discard(st)
		}
		s.dropUploaded(ctx, lease, created)
		return nil, err
	}
	if s.Created != nil {
		var ids []int64
		for _, m := range out {
			if m.DuplicateOf != m.ID {
				ids = append(ids, m.ID)
			}
		}
		s.Created(ids)
	}
	return out, nil
}

func stagedSums(files []*data.Staged) []string {
	out := make([]string, len(files))
	for i, st := range files {
		out[i] = st.SHA256
	}
	return out
}

// putAll puts each staged file into the blob store, and reports the keys it
// stored anew (bytes already there are left as they are).
func (s *MediaService) putAll(ctx context.Context, files []*data.Staged) ([]string, error) {
	var created []string
	for _, st := range files {
		tmp, _ := st.Handle.(string)
		isNew, err := putStaged(ctx, s.blobs, st.SHA256, tmp, st.Size, st.SHA256)
		st.Handle = ""
		if err != nil {
			return created, fmt.Errorf("store blob: %w", diskFull(err))
		}
		if isNew {
			created = append(created, st.SHA256)
		}
	}
	return created, nil
}

// insertMedia writes the rows of files whose blobs are stored, and releases
// the lease that kept those blobs from the collector, in one transaction.
func (s *MediaService) insertMedia(ctx context.Context, org int64, actor, alt string, mc data.MediaCreate, lease int64) ([]*data.Media, error) {
	var out []*data.Media
	err := s.db.update(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		now := ms(s.db.Now())
		created, err := arrivalTime(ctx, tx, org, now)
		if err != nil {
			return err
		}
		secret, err := orgFileSecret(ctx, tx, org)
		if err != nil {
			return err
		}
		for _, st := range mc.Files {
			var dup sql.NullInt64
			// The same bytes, or the same source URL imported before, offer the existing item.
			if err := tx.QueryRowContext(ctx, `SELECT MIN(id) FROM media WHERE org_id = ? AND deleted_at IS NULL
				AND (sha256 = ? OR (? != '' AND source_url = ?))`,
				org, st.SHA256, st.SourceURL, st.SourceURL).Scan(&dup); err != nil {
				return err
			}
			if mc.ReuseExisting && dup.Valid {
				m, err := findMediaByID(ctx, tx, org, dup.Int64)
				if err != nil {
					return err
				}
				m.DuplicateOf = m.ID
				out = append(out, m)
				continue
			}
			processing, err := queueRenditions(ctx, tx, org, st, now, s.Stills)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256,
				width, height, duration_ms, alt, source_url, created_by, created_at, updated_at, search, processing, file_key)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				org, st.Kind, st.Filename, st.OriginalFilename, st.MIMEType, st.Size, st.SHA256,
				nullInt(int64(st.Width)), nullInt(int64(st.Height)), nullInt(st.DurationMS), alt, st.SourceURL, actor, created, created,
				searchText(st.Filename, alt), processing, fileKey(secret, st.SHA256))
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			if err := indexSearch(ctx, tx, id); err != nil {
				return err
			}
			m, err := findMediaByID(ctx, tx, org, id)
			if err != nil {
				return err
			}
			if err := recordEvent(ctx, tx, now, mediaEvent(org, data.EventMediaCreated, id, fileFields(m))); err != nil {
				return err
			}
			m.DuplicateOf = dup.Int64
			out = append(out, m)
		}
		return releaseLease(ctx, tx, lease)
	})
	return out, err
}

// maxClockStepBack is how far the wall clock may have stepped back (an NTP
// correction) for a new row still to be stamped with the organization's
// latest created_at instead: rows then keep arriving in time order, and
// searches keep walking postings (see migration 023). A longer step back is
// a clock set wrong, and the row is stamped as the clock says.
const maxClockStepBack = 60 * time.Second

// arrivalTime is the created_at of a row org adds at now (milliseconds):
// now, or the organization's latest created_at when now is at most
// maxClockStepBack before it.
func arrivalTime(ctx context.Context, tx *sql.Tx, org, now int64) (int64, error) {
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT last_created FROM media_arrival WHERE org_id = ?`, org).Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return now, nil
	case err != nil:
		return 0, err
	case last > now && last-now <= maxClockStepBack.Milliseconds():
		return last, nil
	}
	return now, nil
}

// queueRenditions decides an item's processing state: images whose bytes
// this organization already has processed take that state; other images are
// queued (persisted, so a restart resumes them), even when another
// organization holds the same bytes, so nothing of theirs shows through;
// videos and PDFs are queued the same way when stills makes their poster;
// everything else has nothing to make. Uploading bytes again whose
// processing failed is a retry: the failure may have been the server's
// (before store outages were waited out, one failed items for good), so
// they are queued again, and the organization's failed items with them
// wait for the new attempt.
func queueRenditions(ctx context.Context, tx *sql.Tx, org int64, st *data.Staged, now int64, stills *Stills) (string, error) {
	if st.Kind != data.KindImage && !stills.Makes(st.MIMEType) {
		return data.ProcessingReady, nil
	}
	var state string
	err := tx.QueryRowContext(ctx, `SELECT processing FROM media WHERE sha256 = ? AND org_id = ? AND processing != 'pending'
		AND NOT EXISTS (SELECT 1 FROM rendition_jobs WHERE sha256 = ?) ORDER BY id DESC LIMIT 1`, st.SHA256, org, st.SHA256).Scan(&state)
	switch {
	case err == nil && state != data.ProcessingFailed:
		return state, nil
	case err == nil:
		if _, err := tx.ExecContext(ctx, `UPDATE media SET processing = 'pending', processing_error = '' WHERE sha256 = ? AND org_id = ? AND processing = 'failed'`,
			st.SHA256, org); err != nil {
			return "", err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO rendition_jobs (sha256, mime_type, created_at) VALUES (?, ?, ?)`, st.SHA256, st.MIMEType, now)
	return data.ProcessingPending, err
}

func findMediaByID(ctx context.Context, tx *sql.Tx, org, id int64) (*data.Media, error) {
	var uc int
	var fv int64
	m, err := scanMedia(tx.QueryRowContext(ctx, `SELECT `+mediaColumns+`, `+usageCountSQL+`, `+fileVersionSQL+` FROM media m WHERE m.id = ? AND m.org_id = ?`, id, org),
		&uc, &fv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, data.NotFound("Media item")
	}
	if err != nil {
		return nil, err
	}
	m.UsageCount, m.FileVersion = uc, fv
	return m, loadRenditions(ctx, tx, []*data.Media{m})
}

// FindMediaByID returns one of the organization's media items (live or trashed).
func (s *MediaService) FindMediaByID(ctx context.Context, id int64) (*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var m *data.Media
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		m, err = findMediaByID(ctx, tx, org, id)
		return err
	})
	return m, err
}

// FindMedia lists media matching f, with the total count before pagination.
func (s *MediaService) FindMedia(ctx context.Context, f data.MediaFilter) ([]*data.Media, data.Total, error) {
	page, total, err := s.findMedia(ctx, f, nil)
	out := make([]*data.Media, len(page))
	for i, r := range page {
		out[i] = r.Media
	}
	return out, total, err
}

// FindMediaRevs is FindMedia for a caller that keeps items by revision
// (media.rev, migration 024): the page is read as ids and revisions, and
// only the items have says the caller lacks at their revision are read
// whole, in the same transaction; the others are given without Media.
func (s *MediaService) FindMediaRevs(ctx context.Context, f data.MediaFilter, have func(id, rev int64) bool) ([]data.MediaRev, data.Total, error) {
	return s.findMedia(ctx, f, have)
}

// mediaRevColumns are what FindMediaRevs reads of the items it reads whole.
const mediaRevColumns = mediaColumns + `, ` + usageCountSQL + `, m.rev`

func (s *MediaService) findMedia(ctx context.Context, f data.MediaFilter, have func(id, rev int64) bool) ([]data.MediaRev, data.Total, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, data.Total{}, err
	}
	if f.Offset > data.MaxMediaOffset {
		return nil, data.Total{}, data.ParamError("offset", "offset can be at most %d in a media list; to go through more, page with since_id (the last id of the page before).", data.MaxMediaOffset)
	}
	where, args := []string{"m.org_id = ?"}, []any{org}
	var search *searchWhere
	switch f.Deleted {
	case data.DeletedOnly:
		where = append(where, "m.deleted_at IS NOT NULL")
	case data.DeletedInclude:
	default:
		where = append(where, "m.deleted_at IS NULL")
	}
	if f.ID != 0 {
		where, args = append(where, "m.id = ?"), append(args, f.ID)
	}
	if f.Kind != "" {
		where, args = append(where, "m.kind = ?"), append(args, f.Kind)
	}
	if len(f.MIMETypes) > 0 {
		where = append(where, "m.mime_type IN (?"+strings.Repeat(", ?", len(f.MIMETypes)-1)+")")
		for _, t := range f.MIMETypes {
			args = append(args, t)
		}
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		sw, err := s.db.planSearchWhere(ctx, org, q)
		if err != nil {
			return nil, data.Total{}, err
		}
		sw.at, sw.argsAt = len(where), len(args)
		where, args = append(where, sw.cond), append(args, sw.args...)
		if sw.rare {
			where[0] = "+m.org_id = ?" // fetch the candidates by id, not by walking the organization's index
		}
		search = &sw
	}
	if f.SinceID != 0 {
		where, args = append(where, "m.id > ?"), append(args, f.SinceID)
	}
	if f.ProductID != 0 {
		where, args = append(where, "m.id IN (SELECT media_id FROM gallery_images WHERE product_id = ? AND org_id = ?)"), append(args, f.ProductID, org)
	}
	if f.Used != nil {
		cond := usedSQL
		if !*f.Used {
			cond = "NOT " + cond
		}
		where = append(where, cond)
	}
	if f.MissingAlt {
		where = append(where, "m.kind = 'image' AND m.alt = ''")
	}
	if f.SHA256 != "" {
		where, args = append(where, "m.sha256 = ?"), append(args, f.SHA256)
	}
	order, orderArgs, err := mediaOrder(f)
	if err != nil {
		return nil, data.Total{}, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = data.DefaultPage
	}
	w := strings.Join(where, " AND ")
	countSQL, countArgs, counted := s.countQuery(org, f, w, args, search)
	// Prepare before taking a connection for the transaction: preparing needs
	// a connection of its own, and a pool full of waiting transactions would
	// never give it one.
	countStmt, err := s.db.readStmt(ctx, countSQL)
	if err != nil {
		return nil, data.Total{}, err
	}
	cols := mediaColumns + `, ` + usageCountSQL
	if have != nil {
		cols = `m.id, m.rev`
	}
	pageStmt, err := s.db.readStmt(ctx, `SELECT `+cols+` FROM media m WHERE `+w+
		` ORDER BY `+order+` LIMIT ? OFFSET ?`)
	if err != nil {
		return nil, data.Total{}, err
	}
	pageArgs := append(append(append([]any{}, args...), orderArgs...), limit, f.Offset)
	var walk *pageWalk
	var walkStmt, walkableStmt, walkCountStmt *sql.Stmt
	if search != nil && !s.scanOnly {
		walk = search.walkPage(org, f, cols, where, args)
	}
	if walk != nil {
		if walkStmt, err = s.db.readStmt(ctx, walk.sql); err != nil {
			return nil, data.Total{}, err
		}
		if walkableStmt, err = s.db.readStmt(ctx, walkableSQL); err != nil {
			return nil, data.Total{}, err
		}
		if walk.count != "" {
			if walkCountStmt, err = s.db.readStmt(ctx, walk.count); err != nil {
				return nil, data.Total{}, err
			}
		}
	}
	rendStmt, err := s.db.readStmt(ctx, renditionsOfSQL)
	if err != nil {
		return nil, data.Total{}, err
	}
	changesStmt, err := s.db.readStmt(ctx, changesSQL)
	if err != nil {
		return nil, data.Total{}, err
	}
	var wholeStmt *sql.Stmt
	if have != nil {
		if wholeStmt, err = s.db.readStmt(ctx, `SELECT `+mediaRevColumns+` FROM media m WHERE m.org_id = ? AND m.id IN (SELECT value FROM json_each(?))`); err != nil {
			return nil, data.Total{}, err
		}
	}
	var out []data.MediaRev
	var total int
	var walkCut, pageEnds, floor bool
	// read reads the page and its total in tx, or, when tx is nil (a list
	// not walked, for a caller keeping items by revision), each in a
	// statement of its own: saving the transaction's BEGIN and ROLLBACK
	// (about 30 µs of a list's 200) when every item is kept. A commit
	// between the two can then make the total differ by what it changed,
	// as it would a moment later anyway; a page with an item not kept is
	// read again in a transaction, so an item read whole is of the page's
	// snapshot.
	read := func(tx *sql.Tx) error {
		stmt := func(st *sql.Stmt) *sql.Stmt {
			if tx == nil {
				return st
			}
			return tx.StmtContext(ctx, st)
		}
		out, total, walkCut, pageEnds, floor = nil, 0, false, false, false
		page, pargs, count, cargs, countQ := pageStmt, pageArgs, countStmt, countArgs, countSQL
		if walk != nil {
			var inOrder, indexed bool
			if err := stmt(walkableStmt).QueryRowContext(ctx, org).Scan(&inOrder, &indexed); err != nil {
				return err
			}
			if indexed && (inOrder || !walk.byCreated) {
				page, pargs = walkStmt, append(append([]any{}, walk.args...), limit, f.Offset)
				s.pagesWalked.Add(1)
				if walkCountStmt != nil {
					count, cargs, countQ = walkCountStmt, walk.countArgs, walk.count
				}
			}
		}
		rows, err := stmt(page).QueryContext(ctx, pargs...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if have != nil {
				var r data.MediaRev
				if err := rows.Scan(&r.ID, &r.Rev); err != nil {
					return err
				}
				out = append(out, r)
				continue
			}
			var uc int
			m, err := scanMedia(rows, &uc)
			if err != nil {
				return err
			}
			m.UsageCount = uc
			out = append(out, data.MediaRev{ID: m.ID, Media: m})
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		// A page that is not full, and not past the end, ends the list: its
		// end is the total, exactly, and nothing is counted (a capped count
		// would say "more than" above MaxCountedTotal, so it still runs).
		got := len(out)
		pageEnds = got < limit && (got > 0 || f.Offset == 0) && (!counted || f.Offset+got <= data.MaxCountedTotal)
		// Read without a transaction, a page past the end is read again in
		// one, so its total cannot say items are where it found none.
		if tx == nil && (got == 0 && f.Offset > 0 || slices.ContainsFunc(out, func(r data.MediaRev) bool { return !have(r.ID, r.Rev) })) {
			return errNotAllKept
		}
		if !pageEnds {
			// A capped count above the cap is kept while the changes since
			// cannot have brought it down to the cap (countmemo.go).
			var memoKey [32]byte
			var changes int64
			kept, keep := false, false
			if counted && keptCountFilter(f) {
				if err := stmt(changesStmt).QueryRowContext(ctx, org).Scan(&changes); err != nil {
					return err
				}
				memoKey, keep = countKey(countQ, cargs), true
				kept = s.counts.stillAbove(memoKey, changes)
			}
			if kept {
				total = data.MaxCountedTotal + 1
			} else {
				if err := stmt(count).QueryRowContext(ctx, cargs...).Scan(&total, &walkCut); err != nil {
					return err
				}
				if keep {
					s.counts.keep(memoKey, total, changes)
				}
			}
		}
		if tx == nil {
			// The page and its total were read at two moments: a total
			// below what the page shows says "at least the page" (a floor).
			floor = total < f.Offset+got
			return nil
		}
		if have != nil {
			return readMissing(ctx, tx, wholeStmt, rendStmt, org, out, have)
		}
		items := make([]*data.Media, len(out))
		for i, r := range out {
			items[i] = r.Media
		}
		return loadRenditionsWith(ctx, tx, rendStmt, items)
	}
	err = errNotAllKept
	if have != nil && walk == nil {
		err = read(nil)
	}
	if errors.Is(err, errNotAllKept) {
		err = s.db.view(ctx, read)
	}
	if err != nil {
		return nil, data.Total{}, err
	}
	if pageEnds {
		return out, data.Total{N: f.Offset + len(out), Exact: true}, nil
	}
	if floor {
		return out, data.Total{N: f.Offset + len(out)}, nil
	}
	if counted && total > data.MaxCountedTotal {
		return out, data.Total{N: data.MaxCountedTotal}, nil
	}
	if walkCut {
		return out, walkedTotal(total, f.Offset, limit, len(out)), nil
	}
	return out, data.Total{N: total, Exact: true}, nil
}

// errNotAllKept ends a page read without a transaction: an item is not
// kept by the caller.
var errNotAllKept = errors.New("not every item is kept")

// readMissing reads whole, through whole (a statement of mediaRevColumns by
// a JSON list of ids), the items of page have says the caller lacks.
func readMissing(ctx context.Context, tx *sql.Tx, whole, rend *sql.Stmt, org int64, page []data.MediaRev, have func(id, rev int64) bool) error {
	var ids []int64
	at := map[int64]int{}
	for i, r := range page {
		if !have(r.ID, r.Rev) {
			ids, at[r.ID] = append(ids, r.ID), i
		}
	}
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := tx.StmtContext(ctx, whole).QueryContext(ctx, org, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	items := make([]*data.Media, 0, len(ids))
	for rows.Next() {
		var uc int
		var rev int64
		m, err := scanMedia(rows, &uc, &rev)
		if err != nil {
			return err
		}
		m.UsageCount = uc
		page[at[m.ID]].Media = m
		items = append(items, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	return loadRenditionsWith(ctx, tx, rend, items)
}

// walkedTotal is the total of a common term whose count stopped walking
// with found matches: a floor, raised to what the page shows (the page
// walks in its own order and may find matches the count did not reach);
// a page that is not full, and not past the end, ends the list, so its end
// is the exact total.
func walkedTotal(found, offset, limit, got int) data.Total {
	if got < limit && (got > 0 || offset == 0) {
		return data.Total{N: offset + got, Exact: true}
	}
	return data.Total{N: max(found, offset+got)}
}

// mediaSortColumns are the columns of MediaSortFields but position.
var mediaSortColumns = map[string]string{"created_at": "m.created_at", "filename": "m.filename COLLATE NOCASE", "size": "m.size", "id": "m.id"}

// mediaOrder is the ORDER BY of a media list: newest first by default, id
// order after a since_id cursor, gallery order for position (which needs a
// product), ties by id in the same direction.
func mediaOrder(f data.MediaFilter) (string, []any, error) {
	if f.SinceID != 0 {
		order, err := listOrder(f.Sort, f.SinceID, mediaSortColumns, "m.id", "")
		return order, nil, err
	}
	if field, desc := data.SortOrder(f.Sort); field == "position" {
		if f.ProductID == 0 {
			return "", nil, data.ParamError("sort", "sort=position is the order of a product's gallery; send product_id too.")
		}
		dir := sqlDir(desc)
		return "(SELECT gp.position FROM gallery_images gp WHERE gp.product_id = ? AND gp.media_id = m.id) " + dir + ", m.id " + dir,
			[]any{f.ProductID}, nil
	}
	order, err := orderBy(f.Sort, mediaSortColumns, "m.id", "m.created_at DESC, m.id DESC")
	return order, nil, err
}

// orderBy turns a validated sort value ("size", "-created_at") into an
// ORDER BY clause over cols, ties broken by idCol in the same direction; def
// is the order when sort is "".
func orderBy(sort string, cols map[string]string, idCol, def string) (string, error) {
	if sort == "" {
		return def, nil
	}
	field, desc := data.SortOrder(sort)
	col, ok := cols[field]
	if !ok {
		return "", data.ParamError("sort", "sort cannot be %q here.", sort)
	}
	if col == idCol {
		return idCol + " " + sqlDir(desc), nil
	}
	return col + " " + sqlDir(desc) + ", " + idCol + " " + sqlDir(desc), nil
}

func sqlDir(desc bool) string {
	if desc {
		return "DESC"
	}
	return "ASC"
}

// countQuery is the query counting the items a filter selects. Totals of the
// plain library (optionally by kind, live or trashed) come from trigger-kept
// counters; any other filter counts rows only up to countTo, a little past
// data.MaxCountedTotal so that countMemo can keep a "more than" (a common
// search term from the first postings of its rarest gram's list), so no
// request counts a million rows: capped says so. The query's second
// column is 1 when a common term's count stopped walking before the end.
func (s *MediaService) countQuery(org int64, f data.MediaFilter, where string, args []any, search *searchWhere) (q string, qargs []any, capped bool) {
	switch {
	case f.CountedByKind():
		q, qargs = countByKind(org, f)
		return q, qargs, false
	case search != nil && !search.rare:
		q, qargs = search.countCommonSQL(org, where, args)
		return q, qargs, true
	}
	return `SELECT COUNT(*), 0 FROM (SELECT 1 FROM media m WHERE ` + where + ` LIMIT ?)`, append(slices.Clone(args), countTo), true
}

// countByKind answers a list's total from the counters media_counts keeps.
func countByKind(org int64, f data.MediaFilter) (string, []any) {
	cw, cargs := []string{"org_id = ?"}, []any{org}
	switch f.Deleted {
	case data.DeletedOnly:
		cw = append(cw, "trashed = 1")
	case data.DeletedInclude:
	default:
		cw = append(cw, "trashed = 0")
	}
	if f.Kind != "" {
		cw, cargs = append(cw, "kind = ?"), append(cargs, f.Kind)
	}
	return `SELECT COALESCE(SUM(n), 0), 0 FROM media_counts WHERE ` + strings.Join(cw, " AND "), cargs
}

// UpdateMedia changes a live item's filename, alt text or focal point.
func (s *MediaService) UpdateMedia(ctx context.Context, id int64, upd data.MediaUpdate) (*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if upd.Filename == nil && upd.Alt == nil && !upd.SetFocal && upd.PosterID == nil {
		return nil, data.Errorf(data.ECEmptyUpdate, "Send at least one of filename, alt, focal_x and focal_y, or poster_id.")
	}
	upd, err = validMediaUpdate(upd)
	if err != nil {
		return nil, err
	}
	var m *data.Media
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		cur, err := findLiveMedia(ctx, tx, org, id, "to edit it")
		if err != nil {
			return err
		}
		if err := s.writeMediaUpdate(ctx, tx, cur, upd); err != nil {
			return err
		}
		if upd.PosterID != nil {
			if err := s.setPoster(ctx, tx, cur, *upd.PosterID); err != nil {
				return err
			}
		}
		m, err = findMediaByID(ctx, tx, org, id)
		return err
	})
	return m, err
}

// findLiveMedia finds an item that is not in the trash; a trashed one is
// not found, with a message saying to restore it first (then: "to edit it").
func findLiveMedia(ctx context.Context, tx *sql.Tx, org, id int64, then string) (*data.Media, error) {
	m, err := findMediaByID(ctx, tx, org, id)
	if err == nil && m.DeletedAt != nil {
		return nil, data.Errorf(data.ECNotFound, "Media item not found (it is in the trash; restore it %s).", then)
	}
	return m, err
}

// validMediaUpdate checks the filename and alt text an update sets, and
// returns it with them as they will be stored.
func validMediaUpdate(upd data.MediaUpdate) (data.MediaUpdate, error) {
	if upd.Filename != nil {
		v, err := data.ValidateFilename(*upd.Filename)
		if err != nil {
			return upd, err
		}
		upd.Filename = &v
	}
	if upd.Alt != nil {
		v, err := data.ValidateAlt(*upd.Alt)
		if err != nil {
			return upd, err
		}
		upd.Alt = &v
	}
	if upd.SetFocal && upd.Focal != nil {
		if err := upd.Focal.Validate(); err != nil {
			return upd, err
		}
	}
	return upd, nil
}

// writeMediaUpdate sets the validated filename, alt text and focal point of
// upd (nil, or SetFocal false: unchanged) on the item cur, and its search
// text; nothing when upd sets none.
func (s *MediaService) writeMediaUpdate(ctx context.Context, tx *sql.Tx, cur *data.Media, upd data.MediaUpdate) error {
	if upd.Filename == nil && upd.Alt == nil && !upd.SetFocal {
		return nil
	}
	changed := map[string]any{}
	if upd.Filename != nil {
		cur.Filename = *upd.Filename
		changed["filename"] = cur.Filename
	}
	if upd.Alt != nil {
		cur.Alt = *upd.Alt
		changed["alt"] = cur.Alt
	}
	if upd.SetFocal {
		if upd.Focal != nil && cur.Kind != data.KindImage {
			return data.FieldError("focal_x", "%s is %s %s; only images have a focal point (crops are made of images).", cur.Filename, article(string(cur.Kind)), cur.Kind)
		}
		cur.Focal = upd.Focal
		if cur.Focal != nil {
			changed["focal"] = map[string]float64{"x": cur.Focal.X, "y": cur.Focal.Y}
		} else {
			changed["focal"] = nil
		}
	}
	var fx, fy sql.NullFloat64
	if cur.Focal != nil {
		fx, fy = sql.NullFloat64{Float64: cur.Focal.X, Valid: true}, sql.NullFloat64{Float64: cur.Focal.Y, Valid: true}
	}
	now := ms(s.db.Now())
	if _, err := tx.ExecContext(ctx, `UPDATE media SET filename = ?, alt = ?, focal_x = ?, focal_y = ?, updated_at = ? WHERE id = ? AND org_id = ?`,
		cur.Filename, cur.Alt, fx, fy, now, cur.ID, cur.OrgID); err != nil {
		return err
	}
	if err := recordEvent(ctx, tx, now, mediaEvent(cur.OrgID, data.EventMediaUpdated, cur.ID, changed)); err != nil {
		return err
	}
	return setSearch(ctx, tx, cur.ID, searchText(cur.Filename, cur.Alt))
}

// setPoster makes the live image posterID of cur's organization stand for
// cur, a video or a document (0: none, the made still shows again).
func (s *MediaService) setPoster(ctx context.Context, tx *sql.Tx, cur *data.Media, posterID int64) error {
	if !slices.Contains(data.PosterKinds, cur.Kind) {
		return data.FieldError("poster_id", "%s is %s %s; only videos and documents have a poster.", cur.Filename, article(string(cur.Kind)), cur.Kind)
	}
	if posterID < 0 {
		return data.FieldError("poster_id", "poster_id is the id of an image in your library, or null for none.")
	}
	var posterName string
	if posterID != 0 {
		p, err := findMediaByID(ctx, tx, cur.OrgID, posterID)
		if data.ErrorCode(err) == data.ECNotFound {
			return data.Errorf(data.ECNotFound, "Media item %d not found.", posterID).With("field", "poster_id")
		}
		if err != nil {
			return err
		}
		if p.DeletedAt != nil {
			return data.FieldError("poster_id", "%s is in the trash; restore it before using it as a poster.", p.Filename).With("media_id", posterID)
		}
		if p.Kind != data.KindImage {
			return data.FieldError("poster_id", "%s is %s %s; a poster must be an image.", p.Filename, article(string(p.Kind)), p.Kind).With("media_id", posterID)
		}
		posterName = p.Filename
	}
	now := ms(s.db.Now())
	if _, err := tx.ExecContext(ctx, `UPDATE media SET poster_id = ?, updated_at = ? WHERE id = ? AND org_id = ?`,
		nullInt(posterID), now, cur.ID, cur.OrgID); err != nil {
		return err
	}
	payload := map[string]any{"poster_id": nil} // null: none chosen
	if posterID != 0 {
		payload["poster_id"], payload["poster_filename"] = posterID, posterName
	}
	return recordEvent(ctx, tx, now, mediaEvent(cur.OrgID, data.EventMediaUpdated, cur.ID, payload))
}

// Usage lists every place a media item is used.
func (s *MediaService) Usage(ctx context.Context, id int64) ([]data.Usage, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var out []data.Usage
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		if _, err := findMediaByID(ctx, tx, org, id); err != nil {
			return err
		}
		out, err = findUsage(ctx, tx, org, id)
		return err
	})
	return out, err
}

func findUsage(ctx context.Context, tx *sql.Tx, org, mediaID int64) ([]data.Usage, error) {
	out := []data.Usage{}
	rows, err := tx.QueryContext(ctx, `
		SELECT 'product', p.id, p.title, 'gallery', g.position, 0,
			(SELECT f.media_id FROM gallery_images f WHERE f.product_id = p.id ORDER BY f.position LIMIT 1), 0
			FROM gallery_images g JOIN products p ON p.id = g.product_id
			WHERE g.media_id = ? AND g.org_id = ?
		UNION ALL
		SELECT 'variant', v.id, p.title || ' / ' || v.title, 'variant_image', 0, p.id,
			(SELECT f.media_id FROM gallery_images f WHERE f.product_id = p.id ORDER BY f.position LIMIT 1), 0
			FROM variants v JOIN gallery_images g ON g.id = v.image_id JOIN products p ON p.id = v.product_id
			WHERE g.media_id = ? AND v.org_id = ?
		UNION ALL
		SELECT 'collection', c.id, c.title, 'collection_image', 0, 0, c.media_id, 0 FROM collections c WHERE c.media_id = ? AND c.org_id = ?
		UNION ALL
		SELECT pv.kind, pv.id, pv.filename, 'poster', 0, 0, NULL, 1 FROM media pv
			WHERE pv.poster_id = ? AND pv.org_id = ? AND pv.deleted_at IS NULL
		ORDER BY 8, 1 DESC, 2`, mediaID, org, mediaID, org, mediaID, org, mediaID, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u data.Usage
		var pic sql.NullInt64
		var poster bool // the places that come last: videos and documents it is the poster of
		if err := rows.Scan(&u.Type, &u.ID, &u.Title, &u.Role, &u.Position, &u.ProductID, &pic, &poster); err != nil {
			return nil, err
		}
		u.PictureID = pic.Int64
		out = append(out, u)
	}
	return out, rows.Err()
}

// TrashMedia moves a live item to the trash. An item in use answers in_use with
// its usage unless force is set; force records where it was (for restore),
// detaches it everywhere and re-sequences the galleries it leaves, all in the
// same transaction.
func (s *MediaService) TrashMedia(ctx context.Context, id int64, force bool) error {
	org, err := orgID(ctx)
	if err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *sql.Tx) error {
		m, err := findMediaByID(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if m.DeletedAt != nil {
			return data.Errorf(data.ECNotFound, "Media item not found (it is already in the trash).")
		}
		used, err := findUsage(ctx, tx, org, id)
		if err != nil {
			return err
		}
		now := ms(s.db.Now())
		if len(used) > 0 {
			if !force {
				return data.Errorf(data.ECInUse, "%s is still used in %s. Remove it from there first, or delete with force=true to remove it everywhere.",
					m.Filename, data.DescribeUsage(used)).With("used_by", used)
			}
			if err := detachEverywhere(ctx, tx, m, now); err != nil {
				return err
			}
		}
		return trashRow(ctx, tx, m, now, len(used) > 0)
	})
}

// trashRow moves a live item to the trash and records it; detached says a
// forced delete took it out of the places that used it.
func trashRow(ctx context.Context, tx *sql.Tx, m *data.Media, now int64, detached bool) error {
	if _, err := tx.ExecContext(ctx, `UPDATE media SET deleted_at = ?, updated_at = ? WHERE id = ? AND org_id = ?`, now, now, m.ID, m.OrgID); err != nil {
		return err
	}
	return recordEvent(ctx, tx, now, mediaEvent(m.OrgID, data.EventMediaTrashed, m.ID, map[string]any{"filename": m.Filename, "detached": detached}))
}

// restoreRow takes an item out of the trash, puts it back where a forced
// delete took it from, and records it; it returns the places it could not
// go back to.
func restoreRow(ctx context.Context, tx *sql.Tx, m *data.Media, now int64, maxImages int) ([]data.Unrestored, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE media SET deleted_at = NULL, updated_at = ? WHERE id = ? AND org_id = ?`, now, m.ID, m.OrgID); err != nil {
		return nil, err
	}
	missed, err := reattachReport(ctx, tx, m, now, maxImages)
	if err != nil {
		return nil, err
	}
	payload := map[string]any{"filename": m.Filename}
	if len(missed) > 0 {
		payload["not_restored"] = unrestoredPayload(missed)
	}
	return missed, recordEvent(ctx, tx, now, mediaEvent(m.OrgID, data.EventMediaRestored, m.ID, payload))
}

// unrestoredPayload is what a media.restored event says of the places a
// restore could not put the item back in: the fields and names the API's
// restore answer has (type, id, title, role, position, product_id, reason).
func unrestoredPayload(missed []data.Unrestored) []map[string]any {
	out := make([]map[string]any, 0, len(missed))
	for _, u := range missed {
		p := map[string]any{"type": u.Type, "id": u.ID, "title": u.Title, "role": u.Role, "reason": u.Reason}
		if u.Role == "gallery" {
			p["position"] = u.Position
		}
		if u.Type == "variant" {
			p["product_id"] = u.ProductID
		}
		out = append(out, p)
	}
	return out
}

// fileFields is what an event says about an item's file.
func fileFields(m *data.Media) map[string]any {
	return map[string]any{"filename": m.Filename, "kind": m.Kind, "mime_type": m.MIMEType, "size": m.Size, "sha256": m.SHA256}
}

func detachEverywhere(ctx context.Context, tx *sql.Tx, m *data.Media, now int64) error {
	org, mediaID := m.OrgID, m.ID
	stmts := []string{
		`INSERT INTO detachments (media_id, product_id, position, created_at)
			SELECT media_id, product_id, position, ? FROM gallery_images WHERE media_id = ? AND org_id = ?`,
		`INSERT INTO detachments (media_id, variant_id, product_id, created_at)
			SELECT g.media_id, v.id, v.product_id, ? FROM variants v JOIN gallery_images g ON g.id = v.image_id WHERE g.media_id = ? AND v.org_id = ?`,
		`INSERT INTO detachments (media_id, collection_id, created_at)
			SELECT media_id, id, ? FROM collections WHERE media_id = ? AND org_id = ?`,
		`INSERT INTO detachments (media_id, poster_of, created_at)
			SELECT poster_id, id, ? FROM media WHERE poster_id = ? AND org_id = ? AND deleted_at IS NULL`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, now, mediaID, org); err != nil {
			return err
		}
	}
	if err := clearPosterOf(ctx, tx, m, now, "poster_trashed"); err != nil {
		return err
	}
	products, err := queryIDs(ctx, tx, `SELECT product_id FROM gallery_images WHERE media_id = ? AND org_id = ?`, mediaID, org)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM gallery_images WHERE media_id = ? AND org_id = ?`, mediaID, org); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE collections SET media_id = NULL, updated_at = ? WHERE media_id = ? AND org_id = ?`, now, mediaID, org); err != nil {
		return err
	}
	for _, p := range products {
		if err := resequenceGallery(ctx, tx, p, now); err != nil {
			return err
		}
	}
	return nil
}

// clearPosterOf makes the videos and documents that have the image m as
// their poster show their own still (or none) instead, recording each
// change: the live ones when m goes to the trash (why "poster_trashed"),
// every one when m is purged ("poster_purged").
func clearPosterOf(ctx context.Context, tx *sql.Tx, m *data.Media, now int64, why string) error {
	live := " AND deleted_at IS NULL"
	if why == "poster_purged" {
		live = ""
	}
	ids, err := queryIDs(ctx, tx, `UPDATE media SET poster_id = NULL, updated_at = ?
		WHERE poster_id = ? AND org_id = ?`+live+` RETURNING id`, now, m.ID, m.OrgID)
	if err != nil {
		return err
	}
	slices.Sort(ids)
	for _, id := range ids {
		payload := map[string]any{"poster_id": nil, "poster_filename": m.Filename, why: true}
		if err := recordEvent(ctx, tx, now, mediaEvent(m.OrgID, data.EventMediaUpdated, id, payload)); err != nil {
			return err
		}
	}
	return nil
}

// queryIDs runs a query (or a statement with RETURNING) of one integer
// column and returns its values.
func queryIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// resequenceGallery renumbers a product's gallery 1..n in its current order and bumps its version.
func resequenceGallery(ctx context.Context, tx *sql.Tx, productID, now int64) error {
	if _, err := tx.ExecContext(ctx, `
		WITH ordered AS (SELECT id, ROW_NUMBER() OVER (ORDER BY position, id) AS rn FROM gallery_images WHERE product_id = ?)
		UPDATE gallery_images SET position = (SELECT rn FROM ordered WHERE ordered.id = gallery_images.id)
		WHERE product_id = ? AND position != (SELECT rn FROM ordered WHERE ordered.id = gallery_images.id)`, productID, productID); err != nil {
		return err
	}
	_, err := bumpGallery(ctx, tx, productID, now)
	return err
}

// ReprocessMedia queues a failed image's renditions again, as uploading
// its bytes again would (queueRenditions): its attempts start over.
func (s *MediaService) ReprocessMedia(ctx context.Context, id int64) error {
	org, err := orgID(ctx)
	if err != nil {
		return err
	}
	queued := false
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		m, err := findMediaByID(ctx, tx, org, id)
		if err != nil || m.Processing != data.ProcessingFailed || m.DeletedAt != nil {
			return err
		}
		queued = true
		_, err = queueRenditions(ctx, tx, org, &data.Staged{Kind: m.Kind, SHA256: m.SHA256, MIMEType: m.MIMEType}, ms(s.db.Now()), s.Stills)
		return err
	})
	if err == nil && queued && s.Created != nil {
		s.Created([]int64{id})
	}
	return err
}

// bumpGallery is the one step after every change to a product's gallery:
// it bumps the gallery's version (its ETag) and records gallery.changed
// with the new order of media ids.
func bumpGallery(ctx context.Context, tx *sql.Tx, productID, now int64) (version int64, err error) {
	var org int64
	var order string
	if err := tx.QueryRowContext(ctx, `UPDATE products SET gallery_version = gallery_version + 1, updated_at = ? WHERE id = ?
		RETURNING org_id, gallery_version`, now, productID).Scan(&org, &version); err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(json_group_array(media_id), '[]') FROM
		(SELECT media_id FROM gallery_images WHERE product_id = ? ORDER BY position, id)`, productID).Scan(&order); err != nil {
		return 0, err
	}
	return version, recordEvent(ctx, tx, now, productEvent(org, data.EventGalleryChanged, productID,
		map[string]any{"gallery_version": version, "media_ids": json.RawMessage(order)}))
}

// RestoreMedia takes an item out of the trash and puts it back where a forced
// delete took it from: the same galleries at the same positions (where the
// product still exists and has room), variant and collection images where
// they are still empty. The places it could not go back to are listed in the
// returned item's NotRestored.
func (s *MediaService) RestoreMedia(ctx context.Context, id int64) (*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var m *data.Media
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		cur, err := findMediaByID(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if cur.DeletedAt == nil {
			return data.Errorf(data.ECNotTrashed, "%s is not in the trash.", cur.Filename)
		}
		missed, err := restoreRow(ctx, tx, cur, ms(s.db.Now()), s.limits.MaxGalleryImages)
		if err != nil {
			return err
		}
		if m, err = findMediaByID(ctx, tx, org, id); err != nil {
			return err
		}
		m.NotRestored = missed
		return nil
	})
	return m, err
}

// detachment is a place a forced delete took an item from.
type detachment struct {
	productID, position, variantID, collectionID, posterOf sql.NullInt64
}

// reattachReport puts an item back where its detachments say, and returns the places it could not.
func reattachReport(ctx context.Context, tx *sql.Tx, m *data.Media, now int64, maxImages int) ([]data.Unrestored, error) {
	org, mediaID, filename := m.OrgID, m.ID, m.Filename
	rows, err := tx.QueryContext(ctx, `SELECT product_id, position, variant_id, collection_id, poster_of FROM detachments WHERE media_id = ? ORDER BY id`, mediaID)
	if err != nil {
		return nil, err
	}
	var dets []detachment
	for rows.Next() {
		var d detachment
		if err := rows.Scan(&d.productID, &d.position, &d.variantID, &d.collectionID, &d.posterOf); err != nil {
			rows.Close()
			return nil, err
		}
		dets = append(dets, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Galleries first, so variant images find their gallery image whatever
	// order the detachments were written in.
	sort.SliceStable(dets, func(i, j int) bool { return !dets[i].variantID.Valid && dets[j].variantID.Valid })
	var missed []data.Unrestored
	for _, d := range dets {
		var u *data.Unrestored
		var err error
		switch {
		case d.variantID.Valid:
			u, err = reattachVariant(ctx, tx, org, mediaID, now, d)
		case d.collectionID.Valid:
			u, err = reattachCollection(ctx, tx, org, mediaID, now, d)
		case d.posterOf.Valid:
			u, err = reattachPoster(ctx, tx, org, mediaID, now, filename, d)
		case d.productID.Valid:
			u, err = reattachGallery(ctx, tx, org, mediaID, now, maxImages, d)
		}
		if err != nil {
			return nil, err
		}
		if u != nil {
			missed = append(missed, *u)
		}
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM detachments WHERE media_id = ?`, mediaID)
	return missed, err
}

func reattachGallery(ctx context.Context, tx *sql.Tx, org, mediaID, now int64, maxImages int, d detachment) (*data.Unrestored, error) {
	pid := d.productID.Int64
	u := &data.Unrestored{Usage: data.Usage{Type: "product", ID: pid, Role: "gallery", Position: int(d.position.Int64)}}
	err := tx.QueryRowContext(ctx, `SELECT title FROM products WHERE id = ? AND org_id = ?`, pid, org).Scan(&u.Title)
	if errors.Is(err, sql.ErrNoRows) {
		u.Reason = data.UnrestoredGone
		return u, nil
	}
	if err != nil {
		return nil, err
	}
	var n, there int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(media_id = ?), 0) FROM gallery_images WHERE product_id = ?`, mediaID, pid).Scan(&n, &there); err != nil {
		return nil, err
	}
	if there > 0 {
		return nil, nil
	}
	if n >= maxImages {
		u.Reason = data.UnrestoredGalleryFull
		return u, nil
	}
	pos := min(max(int(d.position.Int64), 1), n+1)
	if _, err := tx.ExecContext(ctx, `UPDATE gallery_images SET position = position + 1 WHERE product_id = ? AND position >= ?`, pid, pos); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gallery_images (org_id, product_id, media_id, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		org, pid, mediaID, pos, now, now); err != nil {
		return nil, err
	}
	return nil, resequenceGallery(ctx, tx, pid, now)
}

func reattachVariant(ctx context.Context, tx *sql.Tx, org, mediaID, now int64, d detachment) (*data.Unrestored, error) {
	u := &data.Unrestored{Usage: data.Usage{Type: "variant", ID: d.variantID.Int64, Role: "variant_image", ProductID: d.productID.Int64}}
	var image sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT title, product_id, image_id FROM variants WHERE id = ? AND org_id = ?`, d.variantID.Int64, org).
		Scan(&u.Title, &u.ProductID, &image)
	if errors.Is(err, sql.ErrNoRows) {
		u.Reason = data.UnrestoredGone
		return u, nil
	}
	if err != nil {
		return nil, err
	}
	var gid int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM gallery_images WHERE product_id = ? AND media_id = ?`, u.ProductID, mediaID).Scan(&gid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		u.Reason = data.UnrestoredNotInGallery
		return u, nil
	case err != nil:
		return nil, err
	case image.Valid && image.Int64 == gid:
		return nil, nil
	case image.Valid:
		u.Reason = data.UnrestoredTaken
		return u, nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE variants SET image_id = ?, updated_at = ? WHERE id = ? AND org_id = ?`, gid, now, d.variantID.Int64, org)
	return nil, err
}

func reattachCollection(ctx context.Context, tx *sql.Tx, org, mediaID, now int64, d detachment) (*data.Unrestored, error) {
	u := &data.Unrestored{Usage: data.Usage{Type: "collection", ID: d.collectionID.Int64, Role: "collection_image"}}
	var image sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT title, media_id FROM collections WHERE id = ? AND org_id = ?`, d.collectionID.Int64, org).Scan(&u.Title, &image)
	if errors.Is(err, sql.ErrNoRows) {
		u.Reason = data.UnrestoredGone
		return u, nil
	}
	if err != nil {
		return nil, err
	}
	if image.Valid {
		if image.Int64 == mediaID {
			return nil, nil
		}
		u.Reason = data.UnrestoredTaken
		return u, nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE collections SET media_id = ?, updated_at = ? WHERE id = ? AND org_id = ?`, mediaID, now, d.collectionID.Int64, org)
	return nil, err
}

// reattachPoster makes the item the poster of the video or document it was
// the poster of again, unless that one has another poster now. (Purging
// that one drops the detachment, as deleting a product drops its own.)
func reattachPoster(ctx context.Context, tx *sql.Tx, org, mediaID, now int64, filename string, d detachment) (*data.Unrestored, error) {
	u := &data.Unrestored{Usage: data.Usage{ID: d.posterOf.Int64, Role: "poster"}}
	var poster sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT kind, filename, poster_id FROM media WHERE id = ? AND org_id = ?`, d.posterOf.Int64, org).Scan(&u.Type, &u.Title, &poster)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if poster.Valid {
		if poster.Int64 == mediaID {
			return nil, nil
		}
		u.Reason = data.UnrestoredTaken
		return u, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE media SET poster_id = ?, updated_at = ? WHERE id = ? AND org_id = ?`, mediaID, now, d.posterOf.Int64, org); err != nil {
		return nil, err
	}
	return nil, recordEvent(ctx, tx, now, mediaEvent(org, data.EventMediaUpdated, d.posterOf.Int64, map[string]any{"poster_id": mediaID, "poster_filename": filename, "poster_restored": true}))
}

// PurgeMedia deletes a trashed item for good, and its blob if no other row needs it.
func (s *MediaService) PurgeMedia(ctx context.Context, id int64) error {
	org, err := orgID(ctx)
	if err != nil {
		return err
	}
	var freed []string
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		m, err := findMediaByID(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if m.DeletedAt == nil {
			return data.Errorf(data.ECNotTrashed, "%s is not in the trash; delete it first, then purge it.", m.Filename)
		}
		freed, err = s.purgeRows(ctx, tx, []*data.Media{m})
		return err
	})
	if err != nil {
		return err
	}
	s.freeBlobs(ctx, freed)
	return nil
}

// purgeRows deletes media rows and their versions, and the rendition rows and queued jobs of
// bytes no remaining row has, which it returns: their files are deleted by
// freeBlobs once this transaction has committed, never before, so an
// interruption leaves orphan files (which GC removes), never rows without
// files.
func (s *MediaService) purgeRows(ctx context.Context, tx *sql.Tx, items []*data.Media) ([]string, error) {
	var freed []string
	for _, m := range items {
		if err := unindexSearch(ctx, tx, m.ID); err != nil {
			return nil, err
		}
		if err := clearPosterOf(ctx, tx, m, ms(s.db.Now()), "poster_purged"); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM media WHERE id = ?`, m.ID); err != nil {
			return nil, err
		}
		// A trashed image that was its poster has no place to go back to now.
		if _, err := tx.ExecContext(ctx, `DELETE FROM detachments WHERE poster_of = ?`, m.ID); err != nil {
			return nil, err
		}
		if err := recordEvent(ctx, tx, ms(s.db.Now()), mediaEvent(m.OrgID, data.EventMediaPurged, m.ID, map[string]any{"filename": m.Filename, "sha256": m.SHA256})); err != nil {
			return nil, err
		}
		versions, err := dropVersionRows(ctx, tx, m.ID)
		if err != nil {
			return nil, err
		}
		for _, sha := range append([]string{m.SHA256}, versions...) {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM media WHERE sha256 = ?`, sha).Scan(&n); err != nil {
				return nil, err
			}
			if n > 0 || slices.Contains(freed, sha) {
				continue
			}
			for _, q := range []string{`DELETE FROM renditions WHERE sha256 = ?`, `DELETE FROM rendition_jobs WHERE sha256 = ?`} {
				if _, err := tx.ExecContext(ctx, q, sha); err != nil {
					return nil, err
				}
			}
			freed = append(freed, sha) // freeBlobs keeps what versions of other items still need
		}
	}
	return freed, nil
}

// freeBlobs deletes the files of bytes that purgeRows freed, after its
// transaction committed. It holds the write lock while it checks again that
// no row has those bytes and no upload holds a lease on them, and deletes
// them (the invariant is in leases.go): an upload of the same bytes either
// took its lease first and keeps the file, or stores it anew afterwards. A file that cannot
// be deleted is logged and left for GC: the rows are gone either way. It runs
// to the end even when ctx is cancelled (the caller was told it is done),
// and reports the blobs it deleted. The deletes (network round trips on S3)
// must happen under the lock, so each transaction takes gcBatch of them at
// most: a purge of many rows never stalls uploads for long.
func (s *MediaService) freeBlobs(ctx context.Context, shas []string) (deleted []string) {
	ctx = context.WithoutCancel(ctx)
	for start := 0; start < len(shas); start += gcBatch {
		deleted = append(deleted, s.freeBlobBatch(ctx, shas[start:min(start+gcBatch, len(shas))])...)
	}
	return deleted
}

// freeBlobBatch is one transaction of freeBlobs.
func (s *MediaService) freeBlobBatch(ctx context.Context, shas []string) (deleted []string) {
	err := s.db.update(ctx, func(tx *sql.Tx) error {
		deleted = deleted[:0]
		// While a backup holds file deletion, the files stay as orphans.
		held, err := s.db.filesHeld(ctx, tx)
		if err != nil {
			return err
		}
		for _, sha := range shas {
			needed, err := s.db.blobNeeded(ctx, tx, sha)
			if err != nil {
				return err
			}
			if needed {
				continue
			}
			// A rendition the worker stored meanwhile goes too.
			if _, err := tx.ExecContext(ctx, `DELETE FROM renditions WHERE sha256 = ?`, sha); err != nil {
				return err
			}
			if held {
				continue
			}
			if err := deleteRenditions(ctx, s.blobs, sha); err != nil {
				s.db.Log.Warn("delete renditions of purged bytes (GC retries)", "sha256", sha, "err", err)
			}
			if err := s.deleteFreed(ctx, sha); err != nil && !errors.Is(err, ErrBlobNotFound) {
				s.db.Log.Warn("delete blob of purged bytes (GC retries)", "sha256", sha, "err", err)
				continue
			}
			deleted = append(deleted, sha)
		}
		return nil
	})
	if err != nil {
		s.db.Log.Warn("delete files of purged bytes (GC retries)", "err", err)
		return nil
	}
	return deleted
}

// OpenOriginal opens the original bytes of one of the organization's items.
func (s *MediaService) OpenOriginal(ctx context.Context, id int64) (*data.Media, data.Blob, error) {
	m, err := s.FindMediaByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.blobs.Open(ctx, m.SHA256)
	if errors.Is(err, ErrBlobNotFound) {
		Stats.BlobMissing(s.db.Log, s.blobs, m.SHA256)
		return nil, nil, data.Errorf(data.ECNotFound, "The file of %s is missing from storage.", m.Filename)
	}
	return m, b, err
}

// FindPublic finds the oldest live item whose file key is key.
func (s *MediaService) FindPublic(ctx context.Context, key string) (*data.Media, error) {
	var m *data.Media
	err := s.db.view(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = scanMedia(tx.QueryRowContext(ctx, `SELECT `+mediaColumns+` FROM media m WHERE m.file_key = ? AND m.deleted_at IS NULL ORDER BY m.id LIMIT 1`, key))
		if errors.Is(err, sql.ErrNoRows) {
			return data.NotFound("File")
		}
		return err
	})
	return m, err
}

// FindPublicCrop finds the oldest live item whose file key is key and
// whose focal point is crop's (in thousandths, centred when unset, as
// data.CropOf spells it): items with the same bytes share a key and may
// each have a point of their own, and every one of them has its crops.
// The key is one organization's (an HMAC under its secret), so another's
// items never match. It uses the index on file_key; gc keeps the crops of
// every point an item with the bytes has (see staleCropSQL).
func (s *MediaService) FindPublicCrop(ctx context.Context, key string, crop data.Crop) (*data.Media, error) {
	var m *data.Media
	err := s.db.view(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = scanMedia(tx.QueryRowContext(ctx, `SELECT `+mediaColumns+` FROM media m WHERE m.file_key = ? AND m.deleted_at IS NULL
			AND COALESCE(CAST(round(m.focal_x * 1000) AS INTEGER), 500) = ? AND COALESCE(CAST(round(m.focal_y * 1000) AS INTEGER), 500) = ?
			ORDER BY m.id LIMIT 1`, key, crop.FX, crop.FY))
		if errors.Is(err, sql.ErrNoRows) {
			return data.NotFound("File")
		}
		return err
	})
	return m, err
}

// OpenPublic opens the original a public URL names.
func (s *MediaService) OpenPublic(ctx context.Context, key string) (*data.Media, data.Blob, error) {
	m, err := s.FindPublic(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.blobs.Open(ctx, m.SHA256)
	if errors.Is(err, ErrBlobNotFound) {
		Stats.BlobMissing(s.db.Log, s.blobs, m.SHA256)
		return nil, nil, data.NotFound("File")
	}
	return m, b, err
}

// LegacyFileKey maps a content hash (wave 1's public URLs) to the file key
// of the oldest live item with those bytes, while there is one organization.
func (s *MediaService) LegacyFileKey(ctx context.Context, sha string) (string, error) {
	var key string
	err := s.db.read.QueryRowContext(ctx, `SELECT COALESCE(m.file_key, '') FROM media m WHERE m.sha256 = ? AND m.deleted_at IS NULL
		AND (SELECT COUNT(*) FROM orgs) = 1 ORDER BY m.id LIMIT 1`, sha).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && key == "") {
		return "", data.NotFound("File")
	}
	return key, err
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
