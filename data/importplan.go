package data

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bulk import: a folder (or zip) of files named by product handle, or a CSV
// listing them, becomes an ordered list of images per product.

// ImportFile is one file to import: where it is (a path inside the folder or
// zip, with "/" separators), the product it belongs to, its place among that
// product's new images, and its alt text (from the CSV only).
type ImportFile struct {
	Path     string
	Handle   string
	Position int // 1-based order among the product's imported files
	Alt      string
	Line     int // the CSV line, 0 when named by its file name
	// NameNumber is the number read from the file name as its place
	// ("tshirt-2024.jpg": 2024), 0 when there is none or a CSV lists it.
	NameNumber int
}

// MaxImportFiles bounds one import.
const MaxImportFiles = 10000

// ParseImportName reads a product handle and a position from a file name:
// "red-mug.jpg" is red-mug's first image, "red-mug-2.jpg" and
// "red-mug_2.jpg" its second. known reports whether a handle names an
// existing product: a name whose whole stem is a known handle ("mug-2" when
// a product mug-2 exists) keeps it, so handles that end in a number still
// work. ok is false for names with no usable handle (hidden files, names
// that are not handles once lowercased).
func ParseImportName(name string, known func(handle string) bool) (handle string, position int, ok bool) {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if strings.HasPrefix(base, ".") || !utf8.ValidString(base) {
		return "", 0, false
	}
	stem := strings.ToLower(strings.TrimSuffix(base, path.Ext(base)))
	if known != nil && len(stem) <= MaxHandleBytes && handleRE.MatchString(stem) && known(stem) {
		return stem, 1, true
	}
	position = 1
	if i := strings.LastIndexAny(stem, "-_"); i > 0 {
		if n, err := strconv.Atoi(stem[i+1:]); err == nil && n >= 1 && n <= MaxImportFiles && stem[i+1] != '0' {
			stem, position = stem[:i], n
		}
	}
	stem = strings.ReplaceAll(stem, "_", "-")
	if len(stem) > MaxHandleBytes || !handleRE.MatchString(stem) {
		return "", 0, false
	}
	return stem, position, true
}

// IsMediaFileName reports whether a file name's extension is one of an
// accepted media type (the bytes decide in the end; this only keeps notes,
// spreadsheets of prices and the like out of an import plan).
func IsMediaFileName(name string) bool {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	for _, t := range MIMETypes {
		if want := ExtForMIME(t); want != "" && extMatches(ext, want) {
			return true
		}
	}
	return false
}

// KindOfFileName is the kind a file name's extension says, when every type
// it may be is of that one kind ("" otherwise: .mp4 is a video or audio;
// the bytes decide).
func KindOfFileName(name string) Kind {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	var kind Kind
	for _, t := range FileTypes {
		if extMatches(ext, t.Ext) {
			if kind != "" && kind != t.Kind {
				return ""
			}
			kind = t.Kind
		}
	}
	return kind
}

// NotInGalleryReason is why an import leaves out a file of kind k (a
// document, an audio file): galleries hold images and videos only.
func NotInGalleryReason(k Kind) string {
	what := k.Plural()
	if k == KindAudio {
		what = "audio files"
	}
	return what + " cannot go in a gallery (galleries hold images and videos); not uploaded"
}

// PositionWarning is the warning on a file of a new product whose name
// ends in a number read as its place though it hardly is one: more than
// the product's count files, and the only one or 100 and over (a year, a
// size). It names the file name that keeps the number in the handle.
func PositionWarning(f ImportFile, count int) string {
	n := f.NameNumber
	if n <= count || (count > 1 && n < 100) {
		return ""
	}
	base := path.Base(f.Path)
	ext := path.Ext(base)
	return fmt.Sprintf("%d read as a position; name it %s-1%s to keep %d in the handle", n, strings.TrimSuffix(base, ext), ext, n)
}

// PlanImportNames orders files named by handle: per product by the number
// in their name (ties by name), products by handle. Names without a handle
// come back in skipped.
func PlanImportNames(paths []string, known func(string) bool) (files []ImportFile, skipped []string) {
	for _, p := range paths {
		h, pos, ok := ParseImportName(p, known)
		if !ok {
			skipped = append(skipped, p)
			continue
		}
		f := ImportFile{Path: p, Handle: h, Position: pos}
		base := path.Base(strings.ReplaceAll(p, "\\", "/"))
		if stem := strings.ReplaceAll(strings.ToLower(strings.TrimSuffix(base, path.Ext(base))), "_", "-"); h != stem {
			f.NameNumber = pos // a number was read off the name (red-mug-1.jpg: 1)
		}
		files = append(files, f)
	}
	slices.SortStableFunc(files, func(a, b ImportFile) int {
		if c := strings.Compare(a.Handle, b.Handle); c != 0 {
			return c
		}
		if a.Position != b.Position {
			return a.Position - b.Position
		}
		return strings.Compare(a.Path, b.Path)
	})
	renumber(files)
	return files, skipped
}

// renumber makes positions the order itself (1, 2, 3… per product, in the
// sorted list), closing gaps and ties.
func renumber(files []ImportFile) {
	for i := range files {
		if i > 0 && files[i-1].Handle == files[i].Handle {
			files[i].Position = files[i-1].Position + 1
		} else {
			files[i].Position = 1
		}
	}
}

// ParseImportCSV reads a CSV of handle,position,file,alt (a header row
// naming those columns, in any order; alt and position may be left out).
// Errors name the line. The files come back ordered as PlanImportNames
// orders them.
func ParseImportCSV(r io.Reader) ([]ImportFile, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: the CSV needs a header row naming handle, file (and position, alt): %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("line 1: the column %q appears twice", h)
		}
		col[h] = i
	}
	for _, need := range []string{"handle", "file"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("line 1: the CSV has no %q column (columns: handle, position, file, alt)", need)
		}
	}
	for name := range col {
		if !slices.Contains([]string{"handle", "position", "file", "alt"}, name) {
			return nil, fmt.Errorf("line 1: unknown column %q (columns: handle, position, file, alt)", name)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var files []ImportFile
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos needs a record; a malformed one has none (fuzzing found
			// the panic), so the line comes from the parse error.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(files) == MaxImportFiles {
			return nil, fmt.Errorf("line %d: an import takes at most %d files", line, MaxImportFiles)
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		f := ImportFile{Handle: strings.ToLower(get(rec, "handle")), Path: get(rec, "file"), Alt: get(rec, "alt"), Line: line}
		if _, err := ValidateHandle(f.Handle); err != nil {
			return nil, fmt.Errorf("line %d: %q is not a product handle (lowercase letters, digits and dashes)", line, f.Handle)
		}
		p := strings.ReplaceAll(f.Path, "\\", "/") // checked as it will be used (fuzzing: "\\.jpg" is "/.jpg")
		if p == "" || strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") {
			return nil, fmt.Errorf("line %d: the file %q must be a path inside the import folder", line, f.Path)
		}
		f.Path = p
		if p := get(rec, "position"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > MaxImportFiles {
				return nil, fmt.Errorf("line %d: position %q must be a whole number from 1", line, p)
			}
			f.Position = n
		} else {
			f.Position = MaxImportFiles + 1 // after the numbered ones, in file order
		}
		if f.Alt, err = ValidateAlt(f.Alt); err != nil {
			return nil, fmt.Errorf("line %d: %s", line, ErrorMessage(err))
		}
		files = append(files, f)
	}
	slices.SortStableFunc(files, func(a, b ImportFile) int {
		if c := strings.Compare(a.Handle, b.Handle); c != 0 {
			return c
		}
		return a.Position - b.Position
	})
	renumber(files)
	return files, nil
}

// MaxImportBytes is the default bound of one zip import, both of the zip
// itself and of everything it expands to (Limits.MaxImportBytes).
const MaxImportBytes = 2 << 30

// ImportOptions say how an import runs: DryRun checks every file and
// changes nothing; CreateProducts creates the products named in the files
// that do not exist yet (else their files fail).
type ImportOptions struct {
	DryRun         bool `json:"dry_run"`
	CreateProducts bool `json:"create_products"`
	// CreateHint ends the reason of files whose product is missing: how to
	// create it from where the import was started ("pass --create-products").
	CreateHint string `json:"-"`
}

// ImportIssue is a file an import skipped or that failed, and why.
type ImportIssue struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// The states of a file in an import's plan or result.
const (
	ImportFileNew       = "new"        // a new media item (would be) made from it
	ImportFileInLibrary = "in_library" // its bytes are in the library already: that item is attached
	ImportFileInGallery = "in_gallery" // that item is in the product's gallery already: nothing to do
	ImportFileDuplicate = "duplicate"  // the same bytes as an earlier file of the product in this import
	ImportFileFailed    = "failed"     // refused (Reason says why)
	ImportFileSkipped   = "skipped"    // left out, not uploaded (Reason says why): a document, say
)

// ImportPlanFile is one file of a product in an import's plan or result.
type ImportPlanFile struct {
	Path     string `json:"path"`
	Position int    `json:"position"`
	Alt      string `json:"alt,omitempty"`
	Status   string `json:"status"`
	MediaID  int64  `json:"media_id,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Warning is about how the file was read, for the merchant to check:
	// a number in its name taken as its place ("2024 read as a position").
	Warning string `json:"warning,omitempty"`
}

// ImportProduct is what an import does to one product: whether it exists
// (or was, or would be, created) and its files in gallery order.
type ImportProduct struct {
	Handle    string           `json:"handle"`
	ProductID int64            `json:"product_id,omitempty"`
	Exists    bool             `json:"exists"`
	Created   bool             `json:"created"`
	Files     []ImportPlanFile `json:"files"`
}

// ImportReport is what an import did or, in a dry run, would do.
type ImportReport struct {
	DryRun           bool            `json:"dry_run"`
	CreateProducts   bool            `json:"create_products"`
	Imported         int             `json:"imported"`           // new media items
	Reused           int             `json:"reused"`             // files already in the library, attached as they were
	Attached         int             `json:"attached"`           // gallery places added
	AlreadyInGallery int             `json:"already_in_gallery"` // files whose item was in that gallery already
	Duplicates       int             `json:"duplicates"`         // files with the same bytes as an earlier one of their product
	CreatedProducts  []string        `json:"created_products"`
	Products         []ImportProduct `json:"products"`
	Skipped          []ImportIssue   `json:"skipped"` // not media, nested zips, no product handle in the name, too large
	Failed           []ImportIssue   `json:"failed"`
}

// Fail records that the file at p failed, and why.
func (r *ImportReport) Fail(p, reason string) {
	r.Failed = append(r.Failed, ImportIssue{Path: p, Reason: reason})
}

// Skip records that the file at p was left out, and why.
func (r *ImportReport) Skip(p, reason string) {
	r.Skipped = append(r.Skipped, ImportIssue{Path: p, Reason: reason})
}

// The states of an import job of the admin UI.
const (
	ImportChecking = "checking" // the dry run is running
	ImportPlanned  = "planned"  // the dry run is done: Plan says what an import would do
	ImportRunning  = "running"
	ImportDone     = "done" // Report says what it did
	ImportFailed   = "failed"
)

// ImportJob is a zip import of the admin UI: uploaded, dry-run, then run,
// in the background, with its progress. Jobs live in the server's memory.
type ImportJob struct {
	ID       string
	Filename string
	State    string
	Done     int // files handled so far
	Total    int
	Options  ImportOptions
	Plan     *ImportReport // the dry run's
	Report   *ImportReport // the real run's
	Error    string        // why the job failed
	Created  time.Time     // when its zip was uploaded
	Expires  time.Time     // when it is forgotten if left as it is (zero while it runs)
}

// ImportService runs bulk imports from a zip: the API's in one request,
// the admin UI's as a job it polls. Every zip is checked before any work
// (size, entries, names, expansion); a refused zip leaves nothing behind.
type ImportService interface {
	// ImportZip reads a zip from r and imports it (or dry-runs it) at once.
	ImportZip(ctx context.Context, r io.Reader, filename string, opt ImportOptions) (*ImportReport, error)
	// StartImport reads a zip from r, checks it and starts its dry run.
	StartImport(ctx context.Context, r io.Reader, filename string) (*ImportJob, error)
	// RunImport starts the real run of a planned job.
	RunImport(ctx context.Context, id string, opt ImportOptions) (*ImportJob, error)
	// FindImport returns a snapshot of one of the organization's jobs.
	FindImport(ctx context.Context, id string) (*ImportJob, error)
	// ListImports lists the organization's jobs that hold a zip (checking,
	// planned or running), newest first.
	ListImports(ctx context.Context) ([]ImportJob, error)
	// CancelImport forgets a job that is not importing (a dry run still
	// checking stops), and its zip.
	CancelImport(ctx context.Context, id string) error
}
