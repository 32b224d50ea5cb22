package main

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gallerist/data"
	"gallerist/storage"
)

// importSource is a folder or a zip file of media to import.
type importSource interface {
	// Files lists the regular files ("/"-separated paths, sorted), hidden
	// ones and folders (.git, __MACOSX) left out.
	Files() []importEntry
	Open(p string) (io.ReadCloser, error)
	Close() error
}

type importEntry struct {
	Path string
	Size int64
}

func hiddenPath(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".") || part == "__MACOSX" {
			return true
		}
	}
	return false
}

type dirSource struct {
	root  string
	files []importEntry
}

func openDirSource(root string) (*dirSource, error) {
	d := &dirSource{root: root}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel != "." && hiddenPath(rel) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil // folders, and links that could point anywhere
		}
		if len(d.files) == data.MaxImportFiles {
			return fmt.Errorf("%s holds more than %d files; import it in parts", root, data.MaxImportFiles)
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		d.files = append(d.files, importEntry{Path: rel, Size: info.Size()})
		return nil
	})
	return d, err
}

func (d *dirSource) Files() []importEntry { return d.files }
func (d *dirSource) Open(p string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(d.root, filepath.FromSlash(p)))
}
func (d *dirSource) Close() error { return nil }

type zipSource struct {
	r     *zip.ReadCloser
	files []importEntry
	byKey map[string]*zip.File
}

func openZipSource(name string) (*zipSource, error) {
	r, err := zip.OpenReader(name)
	if err != nil {
		return nil, fmt.Errorf("%s is not a zip file we can read: %w", name, err)
	}
	z := &zipSource{r: r, byKey: map[string]*zip.File{}}
	for _, f := range r.File {
		p := strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(f.Name, "\\", "/")), "/")
		if f.FileInfo().IsDir() || !f.Mode().IsRegular() || p == "" || hiddenPath(p) {
			continue
		}
		if _, dup := z.byKey[p]; dup {
			continue
		}
		if len(z.files) == data.MaxImportFiles {
			r.Close()
			return nil, fmt.Errorf("%s holds more than %d files; import it in parts", name, data.MaxImportFiles)
		}
		z.byKey[p] = f
		z.files = append(z.files, importEntry{Path: p, Size: int64(min(f.UncompressedSize64, 1<<62))})
	}
	slices.SortFunc(z.files, func(a, b importEntry) int { return strings.Compare(a.Path, b.Path) })
	return z, nil
}

func (z *zipSource) Files() []importEntry { return z.files }
func (z *zipSource) Open(p string) (io.ReadCloser, error) {
	f, ok := z.byKey[p]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return f.Open() // Stage bounds what it reads by the size limits, whatever the entry claims
}
func (z *zipSource) Close() error { return z.r.Close() }

func openImportSource(name string) (importSource, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return openDirSource(name)
	}
	return openZipSource(name)
}

// importReport is what an import did (or, in a dry run, would do).
type importReport struct {
	dryRun          bool
	imported        int // new media items
	reused          int // files already in the library, attached as they were
	attached        int // gallery places added
	already         int // files whose item was already in that gallery
	createdProducts []string
	failed          []string // "path: reason"
	skipped         []string // not media, or no product handle in the name
}

func (r *importReport) fail(p, reason string) { r.failed = append(r.failed, p+": "+reason) }

func (r *importReport) write(w io.Writer) {
	verb := func(done, would string) string {
		if r.dryRun {
			return would
		}
		return done
	}
	fmt.Fprintf(w, "%s %s into galleries: %d new, %d already in the library.\n", verb("Imported", "Would import"),
		plural(r.attached, "file"), r.imported, r.reused)
	if len(r.createdProducts) > 0 {
		fmt.Fprintf(w, "%s %s: %s.\n", verb("Created", "Would create"), plural(len(r.createdProducts), "product"), strings.Join(r.createdProducts, ", "))
	}
	if r.already > 0 {
		fmt.Fprintf(w, "%s already in their product's gallery.\n", plural(r.already, "file was", "files were"))
	}
	if len(r.skipped) > 0 {
		fmt.Fprintf(w, "Skipped %s (not a media file, or no product handle in its name):\n", plural(len(r.skipped), "file"))
		for _, s := range r.skipped {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	if len(r.failed) > 0 {
		fmt.Fprintf(w, "%s:\n", plural(len(r.failed), "file failed", "files failed"))
		for _, f := range r.failed {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	if r.dryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
	}
}

// importCSVName is the CSV that, at the top of the folder, lists what to import.
const importCSVName = "import.csv"

// planImport reads the plan: the folder's import.csv if it has one, else
// the file names.
func planImport(ctx context.Context, a *app, src importSource, rep *importReport) ([]data.ImportFile, error) {
	sizes := map[string]bool{}
	for _, f := range src.Files() {
		sizes[f.Path] = true
	}
	if sizes[importCSVName] {
		rc, err := src.Open(importCSVName)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		files, err := data.ParseImportCSV(io.LimitReader(rc, 16<<20))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", importCSVName, err)
		}
		var out []data.ImportFile
		for _, f := range files {
			if !sizes[f.Path] {
				rep.fail(f.Path, fmt.Sprintf("listed on line %d of %s, but not in the folder", f.Line, importCSVName))
				continue
			}
			out = append(out, f)
		}
		return out, nil
	}
	known := map[string]bool{}
	exists := func(h string) bool {
		if v, ok := known[h]; ok {
			return v
		}
		_, err := findProductByHandle(ctx, a, h)
		known[h] = err == nil
		return known[h]
	}
	var names []string
	for _, f := range src.Files() {
		if data.IsMediaFileName(f.Path) {
			names = append(names, f.Path)
		} else {
			rep.skipped = append(rep.skipped, f.Path)
		}
	}
	files, skipped := data.PlanImportNames(names, exists)
	rep.skipped = append(rep.skipped, skipped...)
	return files, nil
}

func findProductByHandle(ctx context.Context, a *app, handle string) (*data.Product, error) {
	ps, _, err := a.catalog.FindProducts(ctx, data.ProductFilter{Handle: handle, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, data.NotFound("Product")
	}
	return ps[0], nil
}

// titleFromHandle makes a created product's title: "red-mug" → "Red mug".
func titleFromHandle(h string) string {
	t := strings.ReplaceAll(h, "-", " ")
	return strings.ToUpper(t[:1]) + t[1:]
}

// importProduct imports one product's files, in order, at the end of its gallery.
func importProduct(ctx context.Context, a *app, src importSource, handle string, files []data.ImportFile, create bool,
	rep *importReport, progress func(n int64)) error {
	pr, err := findProductByHandle(ctx, a, handle)
	switch {
	case data.ErrorCode(err) == data.ECNotFound && !create:
		for _, f := range files {
			rep.fail(f.Path, fmt.Sprintf("there is no product %q (pass --create-products to create it)", handle))
			progress(0)
		}
		return nil
	case data.ErrorCode(err) == data.ECNotFound:
		pr = nil // created below, once one of its files is good
	case err != nil:
		return err
	}
	inGallery := map[int64]bool{}
	if pr != nil {
		g, err := a.catalog.FindGallery(ctx, pr.ID, data.GalleryFilter{})
		if err != nil {
			return err
		}
		for _, gi := range g.Images {
			inGallery[gi.MediaID] = true
		}
	}
	var ids []int64
	good := 0
	for _, f := range files {
		id, err := importFile(ctx, a, src, f, rep)
		progress(1)
		if err != nil {
			if data.ErrorCode(err) == data.ECInternal {
				return err
			}
			rep.fail(f.Path, data.ErrorMessage(err))
			continue
		}
		good++
		switch {
		case id != 0 && inGallery[id]:
			rep.already++
		case id != 0 && !slices.Contains(ids, id):
			ids = append(ids, id)
		case id == 0 && rep.dryRun:
			rep.attached++ // a new item a real run would attach
		}
	}
	if pr == nil && good > 0 {
		rep.createdProducts = append(rep.createdProducts, handle)
		if !rep.dryRun {
			if pr, err = a.catalog.CreateProduct(ctx, data.ProductCreate{Title: titleFromHandle(handle), Handle: handle}); err != nil {
				return err
			}
		}
	}
	if rep.dryRun {
		rep.attached += len(ids)
		return nil
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := a.catalog.AttachMedia(ctx, pr.ID, data.GalleryAttach{MediaIDs: ids}); err != nil {
		if data.ErrorCode(err) == data.ECInternal {
			return err
		}
		for _, f := range files {
			rep.fail(f.Path, "could not be added to "+handle+": "+data.ErrorMessage(err))
		}
		return nil
	}
	rep.attached += len(ids)
	return nil
}

// importFile stages one file (the same checks as an upload) and creates
// its media item, or finds the item with the same bytes. In a dry run it
// only checks, and returns the existing item's id if there is one.
func importFile(ctx context.Context, a *app, src importSource, f data.ImportFile, rep *importReport) (int64, error) {
	rc, err := src.Open(f.Path)
	if err != nil {
		return 0, data.Errorf(data.ECBadRequest, "could not be read: %v", err)
	}
	st, err := a.media.Stage(ctx, rc, path.Base(f.Path))
	rc.Close()
	if err != nil {
		return 0, err
	}
	if rep.dryRun {
		defer a.media.Discard(st)
		same, _, err := a.media.FindMedia(ctx, data.MediaFilter{SHA256: st.SHA256, Limit: 1})
		if err != nil {
			return 0, err
		}
		if len(same) > 0 {
			rep.reused++
			return same[0].ID, nil
		}
		rep.imported++
		return 0, nil
	}
	ms, err := a.media.CreateMedia(ctx, data.MediaCreate{Files: []*data.Staged{st}, Alt: f.Alt, ReuseExisting: true})
	if err != nil {
		return 0, err
	}
	m := ms[0]
	if m.DuplicateOf == 0 {
		rep.imported++
		return m.ID, nil
	}
	rep.reused++
	if f.Alt != "" && m.Alt == "" { // the CSV's alt text for an item that has none yet
		if _, err := a.media.UpdateMedia(ctx, m.ID, data.MediaUpdate{Alt: &f.Alt}); err != nil {
			return 0, err
		}
	}
	return m.ID, nil
}

// runImport is `gallerist import`: a folder or zip of files named by product
// handle (red-mug.jpg, red-mug-2.jpg, red-mug_3.png), or listed in its
// import.csv (handle,position,file,alt), added to those products' galleries
// in order. Files already in the library are reused, not copied.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config{limits: data.DefaultLimits()}
	fs := newFlags("import", getenv, &cfg, append([]setting{dataSetting}, blobSettings...)...)
	orgSlug := fs.String("org", data.DefaultOrgSlug, "organization slug")
	create := fs.Bool("create-products", false, "create products named in the files that do not exist yet")
	dryRun := fs.Bool("dry-run", false, "check every file and say what would happen; change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("import needs one folder or zip file: gallerist import [--create-products] [--dry-run] PATH")
	}
	src, err := openImportSource(fs.Arg(0))
	if err != nil {
		return err
	}
	defer src.Close()
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	if _, err := a.checkStore(ctx, cfg.blobs, "import"); err != nil {
		return err
	}
	org, err := a.orgs.FindOrgBySlug(ctx, *orgSlug)
	if err != nil {
		return cliError(err)
	}
	pctx := data.WithPrincipal(ctx, data.Principal{OrgID: org.ID, Actor: "cli:import", Role: data.RoleOwner, Scopes: data.RoleOwner.Scopes()})
	rep := &importReport{dryRun: *dryRun}
	plan, err := planImport(pctx, a, src, rep)
	if err != nil {
		return err
	}
	bar := newProgressLine(stderr, "import")
	start, done := time.Now(), int64(0)
	progress := func(n int64) {
		done += n
		bar.update(storage.Progress{Phase: "files", Files: done, TotalFiles: int64(len(plan)), Elapsed: time.Since(start)})
	}
	for i := 0; i < len(plan); {
		j := i
		for j < len(plan) && plan[j].Handle == plan[i].Handle {
			j++
		}
		if err := importProduct(pctx, a, src, plan[i].Handle, plan[i:j], *create, rep, progress); err != nil {
			return err
		}
		i = j
	}
	bar.update(storage.Progress{Phase: "files", Files: done, TotalFiles: int64(len(plan)), Elapsed: time.Since(start), Done: true})
	rep.write(stdout)
	if len(rep.failed) > 0 {
		return fmt.Errorf("%s failed (listed above)", plural(len(rep.failed), "file"))
	}
	return nil
}
