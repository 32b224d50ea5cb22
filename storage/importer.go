package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"

	"gallerist/data"
)

// Importer runs bulk imports from a folder or a zip: the CLI's, the API's
// and the admin UI's go through this one code. Files are named by product
// handle (red-mug.jpg, red-mug-2.jpg, red-mug_3.png) or listed in an
// import.csv (handle,position,file,alt); each is staged like an upload
// (same sniffing, size and pixel rules), files already in the library are
// reused, not copied, and each product's new images go to the end of its
// gallery in order.
type Importer struct {
	Media   data.MediaService
	Catalog data.CatalogService
	Staging *Staging
	Limits  data.Limits
	jobs    importJobs

	locksMu sync.Mutex
	locks   map[string]*productLock // "org/handle" → the real run importing into it
}

type productLock struct {
	ch      chan struct{}
	waiters int
}

// lockProduct waits, within ctx, until no other real run of this importer
// imports into the organization's product handle, and holds it.
func (im *Importer) lockProduct(ctx context.Context, handle string) (unlock func(), err error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%d/%s", org, handle)
	im.locksMu.Lock()
	if im.locks == nil {
		im.locks = map[string]*productLock{}
	}
	l := im.locks[key]
	if l == nil {
		l = &productLock{ch: make(chan struct{}, 1)}
		im.locks[key] = l
	}
	l.waiters++
	im.locksMu.Unlock()
	done := func() {
		im.locksMu.Lock()
		if l.waiters--; l.waiters == 0 {
			delete(im.locks, key)
		}
		im.locksMu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// NewImporter returns the importer over the given services.
func NewImporter(media data.MediaService, catalog data.CatalogService, staging *Staging, limits data.Limits) *Importer {
	im := &Importer{Media: media, Catalog: catalog, Staging: staging, Limits: limits}
	im.jobs.init()
	return im
}

// ImportCSVName is the CSV that, at the top of the folder, lists what to import.
const ImportCSVName = "import.csv"

// importRun is one run of an import.
type importRun struct {
	im   *Importer
	src  ImportSource
	opt  data.ImportOptions
	rep  *data.ImportReport
	seen map[string]int64 // sha256 → the media item made or found this run (0 in a dry run)
}

// Import imports src (or, with opt.DryRun, checks it and says what it
// would do) in ctx's organization; progress, if set, hears how many files
// of how many are done. Files that fail are in the report; the error is
// for what stops the whole import (scopes, the database).
func (im *Importer) Import(ctx context.Context, src ImportSource, opt data.ImportOptions, progress func(done, total int)) (*data.ImportReport, error) {
	if err := mayImport(ctx); err != nil {
		return nil, err
	}
	r := &importRun{im: im, src: src, opt: opt, seen: map[string]int64{},
		rep: &data.ImportReport{DryRun: opt.DryRun, CreateProducts: opt.CreateProducts, // lists are [] in JSON, never null
			CreatedProducts: []string{}, Products: []data.ImportProduct{}, Skipped: []data.ImportIssue{}, Failed: []data.ImportIssue{}}}
	r.rep.Skipped = append(r.rep.Skipped, src.Skipped()...)
	plan, err := r.plan(ctx)
	if err != nil {
		return nil, err
	}
	done := 0
	step := func() {
		done++
		if progress != nil {
			progress(done, len(plan))
		}
	}
	if progress != nil {
		progress(0, len(plan))
	}
	for i := 0; i < len(plan); {
		j := i
		for j < len(plan) && plan[j].Handle == plan[i].Handle {
			j++
		}
		if err := r.product(ctx, plan[i].Handle, plan[i:j], step); err != nil {
			return nil, err
		}
		i = j
	}
	return r.rep, nil
}

// mayImport: an import creates media and changes products, whichever door it comes through.
func mayImport(ctx context.Context) error {
	if err := data.RequireScope(ctx, data.ScopeMediaCreate, "importing media"); err != nil {
		return err
	}
	return data.RequireScope(ctx, data.ScopeProductsWrite, "importing into product galleries")
}

// plan reads the plan: the source's import.csv if it has one, else the file names.
func (r *importRun) plan(ctx context.Context) ([]data.ImportFile, error) {
	present := map[string]bool{}
	for _, f := range r.src.Files() {
		present[f.Path] = true
	}
	if present[ImportCSVName] {
		rc, err := r.src.Open(ImportCSVName)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		files, err := data.ParseImportCSV(io.LimitReader(rc, 16<<20))
		if err != nil {
			return nil, data.Errorf(data.ECInvalidField, "%s: %s", ImportCSVName, err.Error())
		}
		var out []data.ImportFile
		listed := map[string]bool{ImportCSVName: true}
		for _, f := range files {
			listed[f.Path] = true
			if !present[f.Path] {
				r.rep.Fail(f.Path, fmt.Sprintf("listed on line %d of %s, but not in the folder", f.Line, ImportCSVName))
				continue
			}
			out = append(out, f)
		}
		for _, f := range r.src.Files() {
			if !listed[f.Path] {
				r.rep.Skip(f.Path, "not listed in "+ImportCSVName)
			}
		}
		return out, nil
	}
	known := map[string]bool{}
	exists := func(h string) bool {
		if v, ok := known[h]; ok {
			return v
		}
		_, err := r.findProduct(ctx, h)
		known[h] = err == nil
		return known[h]
	}
	var names []string
	for _, f := range r.src.Files() {
		if data.IsMediaFileName(f.Path) {
			names = append(names, f.Path)
		} else {
			r.rep.Skip(f.Path, "not a media file")
		}
	}
	files, skipped := data.PlanImportNames(names, exists)
	for _, p := range skipped {
		r.rep.Skip(p, "no product handle in its name (name files like red-mug.jpg, red-mug-2.jpg)")
	}
	return files, nil
}

func (r *importRun) findProduct(ctx context.Context, handle string) (*data.Product, error) {
	ps, _, err := r.im.Catalog.FindProducts(ctx, data.ProductFilter{Handle: handle, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, data.NotFound("Product")
	}
	return ps[0], nil
}

// TitleFromHandle makes a created product's title: "red-mug" → "Red mug".
func TitleFromHandle(h string) string {
	t := strings.ReplaceAll(h, "-", " ")
	return strings.ToUpper(t[:1]) + t[1:]
}

// product imports one product's files, in order, at the end of its
// gallery. A real run holds the product's lock throughout, so a second
// import of the same files at once waits and then finds them in the
// gallery.
func (r *importRun) product(ctx context.Context, handle string, files []data.ImportFile, step func()) error {
	if !r.opt.DryRun {
		unlock, err := r.im.lockProduct(ctx, handle)
		if err != nil {
			return err
		}
		defer unlock()
	}
	rep := r.rep
	ip := data.ImportProduct{Handle: handle, Files: []data.ImportPlanFile{}}
	kept := 0 // files not skipped
	defer func() {
		if kept > 0 { // a product of documents alone is not in the plan: its files are in Skipped
			rep.Products = append(rep.Products, ip)
		}
	}()
	pr, err := r.findProduct(ctx, handle)
	missing := data.ErrorCode(err) == data.ECNotFound
	if err != nil && !missing {
		return err
	}
	warn := func(f data.ImportFile) string {
		if pr != nil {
			return ""
		}
		return data.PositionWarning(f, len(files))
	}
	position := 0
	skip := func(f data.ImportFile, reason string) {
		rep.Skip(f.Path, reason)
		ip.Files = append(ip.Files, data.ImportPlanFile{Path: f.Path, Alt: f.Alt, Status: data.ImportFileSkipped, Reason: reason})
	}
	if missing && !r.opt.CreateProducts {
		hint := r.opt.CreateHint
		if hint == "" {
			hint = "choose to create missing products"
		}
		for _, f := range files {
			step()
			if k := data.KindOfFileName(f.Path); k != "" && !slices.Contains(data.GalleryKinds, k) {
				skip(f, data.NotInGalleryReason(k))
				continue
			}
			kept++
			position++
			reason := fmt.Sprintf("there is no product %q (%s)", handle, hint)
			rep.Fail(f.Path, reason)
			ip.Files = append(ip.Files, data.ImportPlanFile{Path: f.Path, Position: position, Alt: f.Alt, Status: data.ImportFileFailed, Reason: reason, Warning: warn(f)})
		}
		return nil
	}
	inGallery := map[int64]bool{}
	readGallery := func() error {
		ip.ProductID, ip.Exists = pr.ID, true
		g, err := r.im.Catalog.FindGallery(ctx, pr.ID, data.GalleryFilter{})
		if err != nil {
			return err
		}
		for _, gi := range g.Images {
			inGallery[gi.MediaID] = true
		}
		return nil
	}
	if pr != nil {
		if err := readGallery(); err != nil {
			return err
		}
	}
	var attach []int // ip.Files indexes of the files to attach
	mine := map[string]string{}
	good := 0
	for _, f := range files {
		if k := data.KindOfFileName(f.Path); k != "" && !slices.Contains(data.GalleryKinds, k) {
			step() // decided by its name: not read, not uploaded
			skip(f, data.NotInGalleryReason(k))
			continue
		}
		id, sum, status, altNote, err := r.file(ctx, f)
		step()
		if reason, ok := errNotInGallery(err); ok {
			skip(f, reason)
			continue
		}
		kept++
		position++
		pf := data.ImportPlanFile{Path: f.Path, Position: position, Alt: f.Alt, Warning: warn(f)}
		if altNote != "" {
			pf.Alt, pf.Warning = "", strings.TrimPrefix(pf.Warning+"; "+altNote, "; ")
		}
		if err != nil {
			if data.ErrorCode(err) == data.ECInternal {
				return err
			}
			pf.Status, pf.Reason = data.ImportFileFailed, data.ErrorMessage(err)
			rep.Fail(f.Path, pf.Reason)
			ip.Files = append(ip.Files, pf)
			continue
		}
		good++
		pf.MediaID = id
		if first, dup := mine[sum]; dup {
			pf.Status, pf.Reason = data.ImportFileDuplicate, "the same content as "+first
			rep.Duplicates++
			ip.Files = append(ip.Files, pf)
			continue
		}
		mine[sum] = f.Path
		pf.Status = status
		attach = append(attach, len(ip.Files))
		ip.Files = append(ip.Files, pf)
	}
	if pr == nil && good > 0 {
		if rep.DryRun {
			rep.CreatedProducts = append(rep.CreatedProducts, handle)
			ip.Created = true
		} else {
			pr, err = r.im.Catalog.CreateProduct(ctx, data.ProductCreate{Title: TitleFromHandle(handle), Handle: handle})
			switch {
			case data.ErrorCode(err) == data.ECConflict:
				// Created meanwhile (another import of these files, a person):
				// use it, and leave out what is in its gallery by now.
				if pr, err = r.findProduct(ctx, handle); err != nil {
					return err
				}
				if err := readGallery(); err != nil {
					return err
				}
			case err != nil:
				return err
			default:
				rep.CreatedProducts = append(rep.CreatedProducts, handle)
				ip.Created, ip.ProductID = true, pr.ID
			}
		}
	}
	var ids []int64
	var attached []int
	for _, i := range attach {
		pf := &ip.Files[i]
		if pf.MediaID != 0 && inGallery[pf.MediaID] {
			pf.Status = data.ImportFileInGallery
			rep.AlreadyInGallery++
			continue
		}
		// Counted once each: new, reused (an item already in the library),
		// or in its gallery already (above), never two of them.
		if pf.Status == data.ImportFileNew {
			rep.Imported++
		} else {
			rep.Reused++
		}
		ids = append(ids, pf.MediaID)
		attached = append(attached, i)
	}
	if rep.DryRun || len(ids) == 0 {
		rep.Attached += len(ids)
		return nil
	}
	if _, err := r.im.Catalog.AttachMedia(ctx, pr.ID, data.GalleryAttach{MediaIDs: ids}); err != nil {
		if data.ErrorCode(err) == data.ECInternal {
			return err
		}
		reason := "could not be added to " + handle + ": " + data.ErrorMessage(err)
		for _, i := range attached {
			ip.Files[i].Status, ip.Files[i].Reason = data.ImportFileFailed, reason
			rep.Fail(ip.Files[i].Path, reason)
		}
		return nil
	}
	rep.Attached += len(ids)
	return nil
}

// errNotInGallery reports whether err is file's refusal of a kind galleries
// do not hold, and the reason to skip it with.
func errNotInGallery(err error) (string, bool) {
	var nk *notGalleryKind
	if errors.As(err, &nk) {
		return data.NotInGalleryReason(nk.kind), true
	}
	return "", false
}

// notGalleryKind is file's answer for bytes of a kind galleries do not
// hold (a PDF named .jpg): the file is skipped, not failed.
type notGalleryKind struct{ kind data.Kind }

func (e *notGalleryKind) Error() string { return data.NotInGalleryReason(e.kind) }

// file stages one file (the same checks as an upload) and creates its
// media item, or finds the item with the same bytes. In a dry run it only
// checks, and returns the existing item's id if there is one. status is
// data.ImportFileNew or data.ImportFileInLibrary.
//
// The CSV's alt text goes on a new item; on an item already in the library
// only if it has none and the principal may change alt text (media:update,
// as on every other door); altNote says when it was not set, and why.
func (r *importRun) file(ctx context.Context, f data.ImportFile) (id int64, sum, status, altNote string, err error) {
	rc, err := r.src.Open(f.Path)
	if err != nil {
		return 0, "", "", "", data.Errorf(data.ECBadRequest, "could not be read: %v", err)
	}
	st, err := r.im.Media.Stage(ctx, rc, path.Base(f.Path))
	rc.Close()
	if err != nil {
		return 0, "", "", "", err
	}
	if !slices.Contains(data.GalleryKinds, st.Kind) {
		r.im.Media.Discard(st)
		return 0, "", "", "", &notGalleryKind{kind: st.Kind}
	}
	sum = st.SHA256
	if id, ok := r.seen[sum]; ok { // an earlier file of this run had these bytes
		r.im.Media.Discard(st)
		return id, sum, data.ImportFileInLibrary, "", nil
	}
	if r.opt.DryRun {
		r.im.Media.Discard(st)
		same, _, err := r.im.Media.FindMedia(ctx, data.MediaFilter{SHA256: sum, Limit: 1})
		if err != nil {
			return 0, "", "", "", err
		}
		r.seen[sum] = 0
		if len(same) > 0 {
			r.seen[sum] = same[0].ID
			return same[0].ID, sum, data.ImportFileInLibrary, existingAltNote(ctx, f.Alt, same[0].Alt), nil
		}
		return 0, sum, data.ImportFileNew, "", nil
	}
	ms, err := r.im.Media.CreateMedia(ctx, data.MediaCreate{Files: []*data.Staged{st}, Alt: f.Alt, ReuseExisting: true})
	if err != nil {
		r.im.Media.Discard(st) // no request scope owns it in the CLI or a job
		return 0, "", "", "", err
	}
	m := ms[0]
	r.seen[sum] = m.ID
	if m.DuplicateOf == 0 {
		return m.ID, sum, data.ImportFileNew, "", nil
	}
	note := existingAltNote(ctx, f.Alt, m.Alt)
	if f.Alt != "" && note == "" { // the CSV's alt text for an item that has none yet
		if _, err := r.im.Media.UpdateMedia(ctx, m.ID, data.MediaUpdate{Alt: &f.Alt}); err != nil {
			return 0, "", "", "", err
		}
	}
	return m.ID, sum, data.ImportFileInLibrary, note, nil
}

// existingAltNote says why the CSV's alt text does not go on an item
// already in the library, or "" if it does (or there is none).
func existingAltNote(ctx context.Context, csvAlt, itemAlt string) string {
	switch {
	case csvAlt == "" || csvAlt == itemAlt:
		return ""
	case itemAlt != "":
		return "alt text not changed: the item in your library has its own"
	case data.RequireScope(ctx, data.ScopeMediaUpdate, "") != nil:
		return "alt text not set: the item is already in your library, and changing its alt text needs the media:update scope"
	}
	return ""
}
