package data

import (
	"context"
	"fmt"
	"io"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Media is an item of an organization's library.
type Media struct {
	ID               int64
	OrgID            int64
	Kind             Kind
	Filename         string // display name, sanitised
	OriginalFilename string // as the client sent it (sanitised the same way)
	MIMEType         string // sniffed from the bytes
	Size             int64
	SHA256           string // hex; also the blob key
	// FileKey names the organization's copy of these bytes in public URLs
	// (/files/{FileKey}.{ext}): stable, unguessable, and different in every
	// organization, so URLs tell nothing about what other organizations hold.
	FileKey string
	// FileVersion moves on every change of the file (replace, restore): the
	// id of the newest version row (ids are never reused), 0 if the item was
	// never replaced. It is part of what If-Match compares.
	FileVersion   int64
	Width, Height int   // images and video, after EXIF orientation; 0 if unknown
	DurationMS    int64 // video and audio; 0 if unknown
	Alt           string
	Focal         *FocalPoint // nil: crops are centred
	SourceURL     string
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DeletedAt     *time.Time

	// DuplicateOf is set on creation when the same bytes were already in the library.
	DuplicateOf int64
	// UsageCount is the number of live attachments (filled by list queries).
	UsageCount int

	// Processing is ProcessingPending until an image's renditions are made.
	Processing      string
	ProcessingError string
	// Renditions made so far, by slot (filled for images).
	Renditions []Rendition
	// PosterID is the image the merchant chose to stand for a video or a
	// document (0: none chosen).
	PosterID int64
	// Poster is what stands for a video or a document (filled with
	// Renditions; nil: nothing yet): the chosen image while it is live,
	// else the still the server made from the file itself.
	Poster *Poster

	// NotRestored is filled by RestoreMedia: the places a forced delete took
	// the item from that it could not go back to.
	NotRestored []Unrestored
}

// Unrestored is a place a restored item could not be put back, and why.
type Unrestored struct {
	Usage
	Reason string // one of the UnrestoredReasons
}

// Why a restore could not put an item back in a place.
const (
	UnrestoredGalleryFull  = "gallery_full"   // the product's gallery is at its image limit
	UnrestoredTaken        = "taken"          // the variant or collection has another image now
	UnrestoredNotInGallery = "not_in_gallery" // a variant's image: the item is not in its product's gallery
	UnrestoredGone         = "gone"           // the product, variant or collection no longer exists
)

// UnrestoredReasons lists every reason, for documentation.
var UnrestoredReasons = []string{UnrestoredGalleryFull, UnrestoredTaken, UnrestoredNotInGallery, UnrestoredGone}

// Processing states of a media item.
const (
	ProcessingPending = "pending"
	ProcessingReady   = "ready"
	ProcessingFailed  = "failed"
)

// RenditionWidths are the widths renditions are made at (never upscaled).
var RenditionWidths = []int{50, 100, 240, 320, 480, 640, 1024}

// IsRenditionWidth reports whether w is one of RenditionWidths.
func IsRenditionWidth(w int) bool {
	return slices.Contains(RenditionWidths, w)
}

// RenditionSlots are the widths an image of the given width gets: every
// RenditionWidth up to it, or the smallest one (made at the original's size)
// for an image narrower than that.
func RenditionSlots(width int) []int {
	var out []int
	for _, w := range RenditionWidths {
		if w <= width {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		out = []int{RenditionWidths[0]}
	}
	return out
}

// DescribeUsage says where an item is used, in plain words: "2 products and 1 collection".
func DescribeUsage(used []Usage) string {
	ids := map[string]map[int64]bool{}
	for _, u := range used {
		if ids[u.Type] == nil {
			ids[u.Type] = map[int64]bool{}
		}
		ids[u.Type][u.ID] = true
	}
	var parts []string
	for _, t := range []string{"product", "variant", "collection", string(KindVideo), string(KindDocument)} {
		switch n := len(ids[t]); n {
		case 0:
		case 1:
			parts = append(parts, "1 "+t)
		default:
			parts = append(parts, fmt.Sprintf("%d %ss", n, t))
		}
	}
	switch len(parts) {
	case 0:
		return "nothing"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// Poster is the image that stands for a video (a frame) or a document (its
// first page) in grids, galleries and the API.
type Poster struct {
	// MediaID is the chosen image item; 0 for a still made from the file.
	MediaID int64
	// Item is the poster as an image: the chosen item, or for a made still
	// the video or document's own FileKey with the still's renditions.
	Item *Media
}

// PosterKinds are the kinds that have posters.
var PosterKinds = []Kind{KindVideo, KindDocument}

// GalleryKinds are the kinds a product gallery holds.
var GalleryKinds = []Kind{KindImage, KindVideo}

// Rendition is a resized copy of an image, served at /files/{sha256}/{slot}.{ext}.
type Rendition struct {
	Slot          int // the width asked for
	Width, Height int // the pixels made
	Ext, MIMEType string
}

// Ext is the canonical file extension for the media's type.
func (m *Media) Ext() string { return ExtForMIME(m.MIMEType) }

// DownloadName is the filename to save the item under: its display name,
// with an extension that matches the sniffed type, so "x.html" holding a
// JPEG downloads as "x.jpg" and never opens as a web page. An extension that
// already matches (in any case, or a common spelling such as ".jpeg") is
// kept; one that does not is replaced when it looks like an extension
// (1 to 5 ASCII letters and digits, at least one a letter) and otherwise the
// right one is appended ("Summer.2024" → "Summer.2024.jpg"). The result is
// at most MaxFilenameBytes long.
func (m *Media) DownloadName() string {
	ext := m.Ext()
	name := m.Filename
	if name == "" {
		name = "file"
	}
	cur := path.Ext(name)
	if cur != "" && extMatches(strings.ToLower(cur[1:]), ext) {
		return name
	}
	base := name
	if looksLikeExt(cur) {
		base = strings.TrimSuffix(name, cur)
	}
	base = strings.TrimRight(base, ". ")
	if base == "" {
		base = "file"
	}
	if room := MaxFilenameBytes - len(ext) - 1; len(base) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		base = base[:cut]
	}
	return base + "." + ext
}

// extAliases are other spellings of a canonical extension that a download
// may keep.
var extAliases = map[string][]string{
	"jpg": {"jpeg", "jpe", "jfif"},
	"mov": {"qt"},
	"m4a": {"mp4"},
}

func extMatches(have, want string) bool {
	return have == want || slices.Contains(extAliases[want], have)
}

// looksLikeExt reports whether ext (with its dot) is 1 to 5 ASCII letters
// and digits with at least one letter.
func looksLikeExt(ext string) bool {
	if len(ext) < 2 || len(ext) > 6 {
		return false
	}
	letter := false
	for _, c := range []byte(ext[1:]) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letter
}

// Deleted filter values for media lists.
const (
	DeletedExclude = ""        // live items only (the default)
	DeletedOnly    = "only"    // the trash
	DeletedInclude = "include" // both
)

// MediaSortFields are the fields a media list sorts by ("-" prefix for
// descending); "position" (gallery order) needs MediaFilter.ProductID.
var MediaSortFields = []string{"created_at", "filename", "size", "id", "position"}

// ValidSort reports whether s is one of fields, optionally with a leading "-".
func ValidSort(s string, fields []string) bool {
	return slices.Contains(fields, strings.TrimPrefix(s, "-"))
}

// SortOrder splits a sort value into its field and direction ("-size" →
// "size", true).
func SortOrder(s string) (field string, desc bool) {
	return strings.TrimPrefix(s, "-"), strings.HasPrefix(s, "-")
}

// MediaFilter selects media; the zero value lists the live library, newest first.
type MediaFilter struct {
	ID        int64
	Kind      Kind
	MIMETypes []string // any of these sniffed types (empty: any)
	Q         string   // case-insensitive substring of filename or alt
	Sort      string   // one of MediaSortFields; "-" prefix for descending
	// SinceID keeps ids greater than it, in ascending id order (a sync
	// cursor); Sort is then empty or "id".
	SinceID    int64
	Deleted    string // DeletedExclude, DeletedOnly, DeletedInclude
	ProductID  int64  // media in this product's gallery
	Used       *bool  // true: used somewhere; false: used nowhere
	MissingAlt bool   // images without alt text
	SHA256     string // the items with exactly these bytes
	Limit      int
	Offset     int
}

// CountedByKind reports whether the filter selects by nothing but kind and
// trash state, so that the counters kept per kind can answer its total
// instead of counting rows. It is positive on purpose: a field added to
// MediaFilter makes it false until the counters learn that field, so a
// total can be slow but never wrong.
func (f MediaFilter) CountedByKind() bool {
	f.Q = strings.TrimSpace(f.Q)
	plain := MediaFilter{Kind: f.Kind, Deleted: f.Deleted, Sort: f.Sort, Limit: f.Limit, Offset: f.Offset}
	return reflect.DeepEqual(f, plain)
}

// MediaUpdate changes editable metadata. Nil fields stay as they are.
type MediaUpdate struct {
	Filename *string
	Alt      *string // "" clears
	// PosterID chooses the image that stands for a video or a document (0 clears).
	PosterID *int64
	// SetFocal changes the focal point to Focal (nil clears it).
	SetFocal bool
	Focal    *FocalPoint
}

// Limits are the upload rules; all configurable.
type Limits struct {
	// KindBytes is the size limit of each kind (DefaultLimits fills in
	// every kind of KindTable).
	KindBytes          map[Kind]int64
	MaxPixels          int64 // width*height
	MaxSide            int   // either side, in pixels
	MaxFilesPerRequest int
	MaxGalleryImages   int
	// MaxImportBytes bounds a zip import: the zip, and all it expands to.
	MaxImportBytes int64
}

// DefaultLimits are the limits when nothing is configured.
func DefaultLimits() Limits {
	l := Limits{
		KindBytes:          map[Kind]int64{},
		MaxPixels:          50_000_000,
		MaxSide:            16384,
		MaxFilesPerRequest: 10,
		MaxGalleryImages:   250,
		MaxImportBytes:     MaxImportBytes,
	}
	for _, k := range KindTable {
		l.KindBytes[k.Kind] = k.MaxBytes
	}
	return l
}

// MaxBytes is the size limit for a kind.
func (l Limits) MaxBytes(k Kind) int64 { return l.KindBytes[k] }

// MaxAnyBytes is the largest per-kind limit.
func (l Limits) MaxAnyBytes() int64 {
	var n int64
	for _, b := range l.KindBytes {
		n = max(n, b)
	}
	return n
}

// HumanBytes formats a size for people: "25 MB", "1.5 KB".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string("KMGTPE"[exp]) + "B"
}

// MaxFilenameBytes bounds display filenames.
const MaxFilenameBytes = 255

// MaxAltRunes bounds alt text.
const MaxAltRunes = 1000

// SanitizeFilename makes a client-supplied name safe to show and to send back in
// Content-Disposition: only the last path element, no control, format (bidi) or
// separator characters, trimmed, at most MaxFilenameBytes bytes of valid UTF-8.
// It returns "" when nothing usable is left.
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '/' || r == '\\':
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
			continue
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	// Only ' ' is left of white space: trim it and dots together, so
	// "photo. ." is "photo", not "photo." (and a second pass changes nothing).
	out := strings.Trim(b.String(), ". ")
	if len(out) > MaxFilenameBytes {
		ext := path.Ext(out)
		if len(ext) > 16 || !utf8.ValidString(ext) {
			ext = ""
		}
		cut := MaxFilenameBytes - len(ext)
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = strings.TrimRight(out[:cut], ". ") + ext
	}
	return out
}

// ValidateFilename checks a display filename set by an update.
func ValidateFilename(name string) (string, error) {
	clean := SanitizeFilename(name)
	if clean == "" {
		return "", FieldError("filename", "Filename must contain at least one visible character.")
	}
	if clean != strings.TrimSpace(name) {
		return "", FieldError("filename", "Filename may not contain slashes, control or direction-changing characters, and must be at most %d bytes.", MaxFilenameBytes)
	}
	return clean, nil
}

// ValidateAlt checks alt text.
func ValidateAlt(alt string) (string, error) {
	alt = strings.TrimSpace(alt)
	if !utf8.ValidString(alt) {
		return "", FieldError("alt", "Alt text must be valid UTF-8.")
	}
	for _, r := range alt {
		if unicode.IsControl(r) {
			return "", FieldError("alt", "Alt text may not contain control characters or line breaks.")
		}
	}
	if n := utf8.RuneCountInString(alt); n > MaxAltRunes {
		return "", FieldError("alt", "Alt text is %d characters; keep it under %d (about 125 reads best).", n, MaxAltRunes)
	}
	return alt, nil
}

// Staged is an uploaded file that has been streamed to temporary storage,
// hashed, sniffed and probed, but is not yet in the library.
type Staged struct {
	OriginalFilename string
	Filename         string
	Kind             Kind
	MIMEType         string
	Size             int64
	SHA256           string
	Width, Height    int
	DurationMS       int64
	SourceURL        string

	// Handle is the store's own reference to the temporary file.
	Handle any
}

// MediaCreate is a request to add staged files to the library, all or nothing.
type MediaCreate struct {
	Files []*Staged
	Alt   string
	// ReuseExisting answers a file whose bytes are already in the library
	// (live, not trashed) with that item, DuplicateOf set to its own id,
	// instead of adding a second copy; its staged file is discarded.
	ReuseExisting bool
}

// MediaReplace is a request to give an item a new file: File becomes its
// current file (the old one becomes a version); Filename and Alt change
// only when set.
type MediaReplace struct {
	File     *Staged
	Filename *string
	Alt      *string
}

// MediaVersion is a file a media item had before it was replaced: kept,
// with its blob, for the trash grace period after it stopped being current.
type MediaVersion struct {
	ID               int64
	MediaID          int64
	OriginalFilename string
	MIMEType         string
	Size             int64
	SHA256           string
	Width, Height    int
	DurationMS       int64
	// UploadedAt/UploadedBy: when this file became current, and by whom.
	UploadedAt time.Time
	UploadedBy string
	// CreatedAt/CreatedBy: when it stopped being current (was replaced), and by whom.
	CreatedAt time.Time
	CreatedBy string
	// Pinned versions are kept past the grace period, until unpinned.
	Pinned bool
}

// MediaService is the media library.
type MediaService interface {
	// Stage streams src to temporary storage, enforcing type, size and pixel rules.
	// Within a staging scope (WithStaging: every authenticated request has
	// one) the scope discards what is not passed to CreateMedia; otherwise
	// the caller must Discard it.
	Stage(ctx context.Context, src io.Reader, filename string) (*Staged, error)
	// StageURLs imports URLs through the server's one fetcher and stages each
	// like an upload, all or nothing.
	StageURLs(ctx context.Context, urls []string) ([]*Staged, error)
	// Discard removes a staged file that was not created (a no-op after CreateMedia).
	Discard(s *Staged)
	CreateMedia(ctx context.Context, mc MediaCreate) ([]*Media, error)
	FindMediaByID(ctx context.Context, id int64) (*Media, error)
	// FindMedia lists media matching f, with the total before pagination
	// (counted up to MaxCountedTotal where the counters cannot answer).
	FindMedia(ctx context.Context, f MediaFilter) ([]*Media, Total, error)
	// FindMediaRevs is FindMedia for a caller keeping items by revision:
	// the page's ids and revisions, with Media read only for the items
	// have(id, rev) is false for.
	FindMediaRevs(ctx context.Context, f MediaFilter, have func(id, rev int64) bool) ([]MediaRev, Total, error)
	UpdateMedia(ctx context.Context, id int64, upd MediaUpdate) (*Media, error)
	// TrashMedia moves an item to the trash; force detaches it everywhere first.
	TrashMedia(ctx context.Context, id int64, force bool) error
	RestoreMedia(ctx context.Context, id int64) (*Media, error)
	// ReprocessMedia queues the renditions of an image whose processing
	// failed again (with the organization's other failed items of the
	// same bytes); for any other item it changes nothing.
	ReprocessMedia(ctx context.Context, id int64) error
	// Usage lists every place the item is used.
	Usage(ctx context.Context, id int64) ([]Usage, error)
	// PurgeMedia removes a trashed item for good, with its versions (blobs
	// go when nothing needs them).
	PurgeMedia(ctx context.Context, id int64) error

	// ReplaceMedia gives a live item a new file of the same kind (422
	// kind_mismatch otherwise, nothing changed): its id, places and alt text
	// stay, its previous file becomes a version.
	ReplaceMedia(ctx context.Context, id int64, r MediaReplace) (*Media, error)
	// FindMediaVersions lists an item's previous files, newest first, with their total.
	FindMediaVersions(ctx context.Context, id int64, limit, offset int) ([]*MediaVersion, int, error)
	// RestoreMediaVersion makes a version the item's current file again;
	// the current file becomes a version.
	RestoreMediaVersion(ctx context.Context, id, versionID int64) (*Media, error)
	// PinMediaVersion keeps a version past the grace period (pinned), or
	// lets it expire again (not pinned).
	PinMediaVersion(ctx context.Context, id, versionID int64, pinned bool) (*MediaVersion, error)
	// OpenMediaVersion opens the bytes of one of an item's versions (for
	// logged-in users and tokens only: versions have no public URL).
	OpenMediaVersion(ctx context.Context, id, versionID int64) (*MediaVersion, Blob, error)
	// StableKey is the key of an item's stable URL (/m/{id}/{key}): an HMAC
	// of its id under its organization's file secret.
	StableKey(ctx context.Context, id int64) (string, error)
	// FindStable finds the live item a stable URL names (any organization;
	// not found unless key is its StableKey).
	FindStable(ctx context.Context, id int64, key string) (*Media, error)

	// Bulk actions: each call is one transaction over all the items, which
	// come back in the order of ids (unknown and other organizations' ids
	// are left out, as if they did not exist).
	FindMediaByIDs(ctx context.Context, ids []int64) ([]*Media, error)
	UsageOf(ctx context.Context, ids []int64) (map[int64][]Usage, error)
	TrashMediaBulk(ctx context.Context, ids []int64, force bool) ([]*Media, error)
	RestoreMediaBulk(ctx context.Context, ids []int64) ([]*Media, error)
	PurgeMediaBulk(ctx context.Context, ids []int64) ([]*Media, error)
	// OpenOriginal opens the original bytes of one of the org's items.
	OpenOriginal(ctx context.Context, id int64) (*Media, Blob, error)
	// Version changes whenever anything stored changes, in any process;
	// caches of answers key on it.
	Version(ctx context.Context) (int64, error)
	// FindPublic finds the live item a public URL's file key names (any
	// organization: public URLs need no login).
	FindPublic(ctx context.Context, fileKey string) (*Media, error)
	// FindPublicCrop finds the live item a public crop URL names: one with
	// the file key whose focal point is the crop's (of several items with
	// the same bytes, any of them).
	FindPublicCrop(ctx context.Context, fileKey string, crop Crop) (*Media, error)
	// OpenPublic is FindPublic, then opens its original bytes.
	OpenPublic(ctx context.Context, fileKey string) (*Media, Blob, error)
	// LegacyFileKey maps a wave-1 public URL's content hash to today's file
	// key, only while one organization exists (with several, answering
	// would tell one what another holds): not found otherwise.
	LegacyFileKey(ctx context.Context, sha256 string) (string, error)
}

// MaxCountedTotal is how far a filtered list's total is counted: beyond it
// counting would cost more than the page (a million rows for a common
// term), so a list says "more than MaxCountedTotal" instead. The whole
// library and each kind are always counted exactly (by counters).
const MaxCountedTotal = 1000

// MediaRev is an item of a page listed by revision: its id, its revision
// (bumped with any change to what the API shows of it), and the item when
// the lister read it whole.
type MediaRev struct {
	ID, Rev int64
	Media   *Media
}

// Total is how many items a list's filter matches, before pagination.
type Total struct {
	N int
	// Exact is false when counting stopped, and N is a floor: at least N
	// match. N is MaxCountedTotal when more than that match; it can be less
	// when a search for a term whose every three-letter piece is common
	// stopped before it found MaxCountedTotal matches.
	Exact bool
}

// RangeLimiter is a Blob that reads a range best when told where it ends:
// a remote store then requests exactly those bytes, not the rest of the
// object (a "bytes=0-0" probe of a video must not start a whole download).
type RangeLimiter interface {
	// LimitRange says that reads from the current offset stop before end.
	LimitRange(end int64)
}

// Redirector is a Blob whose store can let clients fetch its bytes
// themselves (serve's --blobs-redirect): from a short-lived presigned URL
// or a CDN, so the server answers a redirect instead of streaming them.
type Redirector interface {
	// Redirect returns where a client gets the bytes (with a HEAD request
	// when head is set), served with this Content-Type and
	// Content-Disposition, and how long that answer may be cached; "" when
	// the store does not redirect.
	Redirect(head bool, contentType, disposition string) (location string, cacheFor time.Duration, err error)
}

// MaxMediaOffset is the largest offset a media list takes: skipping rows
// costs as much as reading them, so deep pages are reached with since_id.
const MaxMediaOffset = 10_000

// Blob is an open stored file.
type Blob interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// Usage is one place a media item is used.
type Usage struct {
	Type      string // "product", "variant", "collection", or "video" or "document" (role "poster")
	ID        int64  // the product's, variant's, collection's, video's or document's id
	Title     string // its title (a video's or document's filename)
	Role      string // "gallery", "variant_image", "collection_image" or "poster"
	Position  int    // gallery position (role "gallery")
	ProductID int64  // the variant's product (type "variant")

	// PictureID is the media item that pictures the place: a product's (or a
	// variant's product's) featured image, a collection's image. 0 if none.
	PictureID int64
	// Picture is that item, where a caller loaded it (the admin UI does).
	Picture *Media
}

// RenditionService serves renditions, making a missing one on demand.
type RenditionService interface {
	OpenRendition(ctx context.Context, sha256 string, slot int, ext string) (*Rendition, Blob, error)
	// OpenCrop opens a fixed-ratio crop of a processed image (its type is
	// mime), making it on demand, under the same budgets, the first time.
	OpenCrop(ctx context.Context, sha256, mime string, crop Crop, ext string) (*Rendition, Blob, error)
}
