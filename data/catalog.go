package data

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ProductStatus is a product's publication status.
type ProductStatus string

// The product statuses.
const (
	StatusDraft    ProductStatus = "draft"
	StatusActive   ProductStatus = "active"
	StatusArchived ProductStatus = "archived"
)

// ProductStatuses lists every status, in the order the UI shows them.
var ProductStatuses = []ProductStatus{StatusDraft, StatusActive, StatusArchived}

// ParseProductStatus validates a status name.
func ParseProductStatus(s string) (ProductStatus, error) {
	if slices.Contains(ProductStatuses, ProductStatus(s)) {
		return ProductStatus(s), nil
	}
	return "", FieldError("status", "Status must be draft, active or archived.")
}

// Product is an item of an organization's catalog. Its gallery is an ordered
// list of GalleryImages, position 1 being the featured image.
type Product struct {
	ID     int64
	OrgID  int64
	Title  string
	Handle string // unique per organization
	Status ProductStatus
	// GalleryVersion is bumped by every change to the gallery; it is the
	// gallery's ETag and the If-Match value of reorders.
	GalleryVersion int64
	CreatedAt      time.Time
	UpdatedAt      time.Time

	// Filled by FindProducts and FindProductByID:
	ImageCount   int    // images in the gallery (videos included)
	VideoCount   int    // of those, videos
	AltCount     int    // gallery images whose media item has alt text (coverage = AltCount/ImageCount)
	VariantCount int    // variants of the product
	Featured     *Media // the media item at position 1, nil for an empty gallery
}

// ProductSortFields are the fields a product list sorts by ("-" for descending).
var ProductSortFields = []string{"created_at", "updated_at", "title", "handle", "id"}

// VariantSortFields are the fields a variant list sorts by.
var VariantSortFields = []string{"id", "created_at", "updated_at", "title", "sku"}

// CollectionSortFields are the fields a collection list sorts by.
var CollectionSortFields = []string{"created_at", "updated_at", "title", "handle", "id"}

// GallerySortFields are the fields a gallery list sorts by.
var GallerySortFields = []string{"position", "id", "created_at"}

// ProductFilter selects products; the zero value lists all, newest first.
type ProductFilter struct {
	ID     int64
	Handle string
	Q      string        // case-insensitive substring of title or handle
	Status ProductStatus // "" for any
	Sort   string        // one of ProductSortFields, "-" prefix for descending; "" newest first
	// SinceID keeps ids greater than it, in ascending id order (Sort is then "" or "id").
	SinceID int64
	Limit   int
	Offset  int
}

// ProductCreate is a new product. An empty Handle is made from the title
// (made unique with a numeric suffix); an empty Status is draft.
type ProductCreate struct {
	Title  string
	Handle string
	Status ProductStatus
}

// ProductUpdate changes a product. Nil fields stay as they are.
type ProductUpdate struct {
	Title  *string
	Handle *string
	Status *ProductStatus
}

// Variant is a purchasable version of a product (a size, a colour), with an
// optional image chosen among its product's gallery images.
type Variant struct {
	ID        int64
	OrgID     int64
	ProductID int64
	Title     string
	SKU       string
	Options   map[string]string // e.g. {"Color": "Red", "Size": "M"}
	ImageID   int64             // a gallery image of the product; 0 for none
	Media     *Media            // the media item of ImageID (nil for none)
	CreatedAt time.Time
	UpdatedAt time.Time
}

// VariantFilter selects a product's variants, oldest first.
type VariantFilter struct {
	ProductID int64 // required
	Q         string
	Sort      string // one of VariantSortFields; "" oldest first
	SinceID   int64  // ids greater than it, ascending
	Limit     int
	Offset    int
}

// VariantCreate is a new variant.
type VariantCreate struct {
	Title   string
	SKU     string
	Options map[string]string
}

// VariantUpdate changes a variant. Nil fields stay as they are.
type VariantUpdate struct {
	Title   *string
	SKU     *string
	Options *map[string]string
}

// Collection is a named group of products with an optional image.
type Collection struct {
	ID        int64
	OrgID     int64
	Title     string
	Handle    string // unique per organization
	MediaID   int64  // 0 for none
	Media     *Media // the image (nil for none)
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CollectionFilter selects collections; the zero value lists all, newest first.
type CollectionFilter struct {
	ID      int64
	Handle  string
	Q       string
	Sort    string // one of CollectionSortFields; "" newest first
	SinceID int64  // ids greater than it, ascending
	Limit   int
	Offset  int
}

// CollectionCreate is a new collection; an empty Handle is made from the title.
type CollectionCreate struct {
	Title   string
	Handle  string
	MediaID int64 // optional image
}

// CollectionUpdate changes a collection. Nil fields stay as they are.
type CollectionUpdate struct {
	Title  *string
	Handle *string
}

// GalleryImage is one image of a product's gallery: an attachment of a media item.
type GalleryImage struct {
	ID         int64
	OrgID      int64
	ProductID  int64
	MediaID    int64
	Position   int     // 1-based, contiguous within the gallery
	VariantIDs []int64 // variants showing this image
	Media      *Media  // always filled
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// GalleryVersion is the product's gallery version after the call that returned the image.
	GalleryVersion int64
}

// GalleryFilter selects images of one gallery, in position order.
type GalleryFilter struct {
	// SinceID keeps image ids greater than it, in ascending id order whatever
	// the positions (a sync cursor); Sort is then "" or "id".
	SinceID  int64
	Sort     string // one of GallerySortFields; "" is position order
	Position int    // only the image at this position
	FileKey  string // only the image whose public URL names this file key (the API's src filter)
	Limit    int    // 0: the whole gallery
	Offset   int
}

// Gallery is a product's gallery (or the page of it a filter selected).
type Gallery struct {
	ProductID int64
	Version   int64
	// Rev is bumped with any change to what the gallery's list shows
	// (its rows, their variants, their media items and posters).
	Rev    int64
	Total  int // images matching the filter before pagination
	Images []*GalleryImage
}

// GalleryAttach adds existing media items to a gallery, all or nothing.
type GalleryAttach struct {
	MediaIDs []int64
	// Position of the first new image (1..n+1); the others shift. 0 appends.
	Position int
	// Clamp moves a Position outside 1..n+1 to the nearest end instead of
	// refusing it (an upload's intended place in a gallery that changed).
	Clamp bool
	// Alt, if set, becomes the alt text of every attached media item.
	Alt *string
}

// GalleryImageUpdate changes a gallery image. Nil fields stay as they are.
type GalleryImageUpdate struct {
	Position *int    // moves the image; the rest re-sequence
	Alt      *string // the media item's alt text ("" clears)
	// IfVersion, if not 0, must equal the gallery version (else ECPreconditionFailed).
	IfVersion int64
	// Replace is a full replacement (PUT): Position is required, and an Alt
	// equal to the current alt text is no change (so needs no media:update).
	Replace bool
}

// ImagePosition is one entry of a reorder given as positions.
type ImagePosition struct {
	ID       int64
	Position int
}

// OrderFromPositions turns a reorder given as positions (every image once, positions
// 1..n each once) into the full new order of image ids.
func OrderFromPositions(ps []ImagePosition) ([]int64, error) {
	ids := make([]int64, len(ps))
	for _, p := range ps {
		if p.Position < 1 || p.Position > len(ps) {
			return nil, FieldError("positions", "Position %d is out of range: give every image of the gallery once, with positions 1 to %d.", p.Position, len(ps))
		}
		if ids[p.Position-1] != 0 {
			return nil, FieldError("positions", "Position %d is given twice: give every image of the gallery once, with positions 1 to %d.", p.Position, len(ps))
		}
		ids[p.Position-1] = p.ID
	}
	return ids, nil
}

// CatalogService is the catalog: products, variants, collections and galleries.
// Every method scopes to the organization of the principal in ctx; another
// organization's ids answer ECNotFound like missing ones.
type CatalogService interface {
	CreateProduct(ctx context.Context, pc ProductCreate) (*Product, error)
	FindProductByID(ctx context.Context, id int64) (*Product, error)
	// FindProducts lists products with image counts, alt-text coverage and the
	// featured media item, and the total before pagination.
	FindProducts(ctx context.Context, f ProductFilter) ([]*Product, int, error)
	UpdateProduct(ctx context.Context, id int64, upd ProductUpdate) (*Product, error)
	// DeleteProduct deletes a product and its variants and detaches its gallery;
	// the media items stay in the library.
	DeleteProduct(ctx context.Context, id int64) error

	CreateVariant(ctx context.Context, productID int64, vc VariantCreate) (*Variant, error)
	FindVariantByID(ctx context.Context, productID, id int64) (*Variant, error)
	FindVariants(ctx context.Context, f VariantFilter) ([]*Variant, int, error)
	UpdateVariant(ctx context.Context, productID, id int64, upd VariantUpdate) (*Variant, error)
	DeleteVariant(ctx context.Context, productID, id int64) error
	// SetVariantImage sets a variant's image to one of its product's gallery
	// images; imageID 0 clears it.
	SetVariantImage(ctx context.Context, productID, variantID, imageID int64) (*Variant, error)

	CreateCollection(ctx context.Context, cc CollectionCreate) (*Collection, error)
	FindCollectionByID(ctx context.Context, id int64) (*Collection, error)
	FindCollections(ctx context.Context, f CollectionFilter) ([]*Collection, int, error)
	UpdateCollection(ctx context.Context, id int64, upd CollectionUpdate) (*Collection, error)
	DeleteCollection(ctx context.Context, id int64) error
	// SetCollectionImage sets a collection's image to a live image of the
	// library; mediaID 0 clears it.
	SetCollectionImage(ctx context.Context, collectionID, mediaID int64) (*Collection, error)

	// FindGallery returns a product's gallery images (with their media items)
	// in position order, and the gallery version.
	FindGallery(ctx context.Context, productID int64, f GalleryFilter) (*Gallery, error)
	// GalleryRev is Gallery.Rev, read alone: whether an answer kept for a
	// revision is still the gallery's.
	GalleryRev(ctx context.Context, productID int64) (int64, error)
	FindGalleryImage(ctx context.Context, productID, imageID int64) (*GalleryImage, error)
	// AttachMedia adds live images of the library to a gallery: ECConflict if
	// one is there already, ECGalleryFull past the limit, ECInvalidField for
	// non-images and trashed items. It returns the new images. Setting at.Alt
	// changes the media items' alt text, so it also needs ScopeMediaUpdate.
	AttachMedia(ctx context.Context, productID int64, at GalleryAttach) ([]*GalleryImage, error)
	// AttachUpload creates media items from staged files and attaches them
	// (mc.Alt is their alt text). If attaching fails, the new items are removed.
	// Creating media needs ScopeMediaCreate, whichever door it comes through.
	AttachUpload(ctx context.Context, productID int64, mc MediaCreate, position int) ([]*GalleryImage, error)
	// AttachUploadAt is AttachUpload with at's Position and Clamp.
	AttachUploadAt(ctx context.Context, productID int64, mc MediaCreate, at GalleryAttach) ([]*GalleryImage, error)
	// UpdateGalleryImage moves an image and/or changes its media item's alt
	// text; an alt change also needs ScopeMediaUpdate.
	UpdateGalleryImage(ctx context.Context, productID, imageID int64, upd GalleryImageUpdate) (*GalleryImage, error)
	// DetachImage removes an image from the gallery (the media item stays in
	// the library) and returns the new gallery version. ifVersion 0 skips the check.
	DetachImage(ctx context.Context, productID, imageID, ifVersion int64) (int64, error)
	// ReorderGallery sets the full order of a gallery. ids must be exactly a
	// permutation of the gallery's image ids (else ECInvalidField, nothing
	// changes); ifVersion, if not 0, must equal the gallery version (else
	// ECPreconditionFailed). It returns the new version and how many images moved.
	ReorderGallery(ctx context.Context, productID int64, ids []int64, ifVersion int64) (version int64, updated int, err error)
}

// MaxTitleRunes bounds product, variant and collection titles.
const MaxTitleRunes = 255

// ValidateTitle checks a product, variant or collection title.
func ValidateTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if title == "" {
		return "", FieldError("title", "Give a title.")
	}
	if !utf8.ValidString(title) {
		return "", FieldError("title", "Title must be valid UTF-8.")
	}
	for _, r := range title {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", FieldError("title", "Title may not contain control, format or line-break characters.")
		}
	}
	if n := utf8.RuneCountInString(title); n > MaxTitleRunes {
		return "", FieldError("title", "Title is %d characters; keep it to %d.", n, MaxTitleRunes)
	}
	return title, nil
}

var handleRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// MaxHandleBytes bounds handles.
const MaxHandleBytes = 100

// ValidateHandle checks a handle: lowercase letters, digits and single dashes.
func ValidateHandle(h string) (string, error) {
	h = strings.TrimSpace(h)
	if len(h) > MaxHandleBytes || !handleRE.MatchString(h) {
		return "", FieldError("handle", "Handle must be 1 to %d lowercase letters or digits, with single dashes between words (e.g. \"red-mug\").", MaxHandleBytes)
	}
	return h, nil
}

// HandleFromTitle makes a handle from a title ("Red Mug, 12 oz" → "red-mug-12-oz");
// "item" if the title has no letters or digits.
func HandleFromTitle(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			if f := foldASCII(r); f != "" {
				if dash && b.Len() > 0 {
					b.WriteByte('-')
				}
				dash = false
				b.WriteString(f)
			} else {
				dash = true
			}
		}
		if b.Len() >= MaxHandleBytes-8 {
			break
		}
	}
	if b.Len() == 0 {
		return "item"
	}
	return b.String()
}

// foldASCII maps common accented letters to ASCII so handles stay readable.
func foldASCII(r rune) string {
	const from, to = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿ", "aaaaaaceeeeiiiinooooouuuuyy"
	if i := strings.IndexRune(from, r); i >= 0 {
		return string([]rune(to)[utf8.RuneCountInString(from[:i])])
	}
	switch r {
	case 'ß':
		return "ss"
	case 'æ':
		return "ae"
	case 'ø':
		return "o"
	case 'œ':
		return "oe"
	}
	return ""
}

// MaxSKUBytes bounds SKUs.
const MaxSKUBytes = 100

// ValidateSKU checks a stock keeping unit: printable, no spaces at the ends.
func ValidateSKU(sku string) (string, error) {
	sku = strings.TrimSpace(sku)
	if len(sku) > MaxSKUBytes || !utf8.ValidString(sku) || strings.IndexFunc(sku, unicode.IsControl) >= 0 {
		return "", FieldError("sku", "SKU must be at most %d bytes of printable text.", MaxSKUBytes)
	}
	return sku, nil
}

// MaxVariantOptions bounds the options of a variant.
const MaxVariantOptions = 10

// ValidateOptions checks variant options: at most MaxVariantOptions names and
// values of 1 to 100 printable characters each.
func ValidateOptions(opts map[string]string) (map[string]string, error) {
	if len(opts) > MaxVariantOptions {
		return nil, FieldError("options", "A variant may have at most %d options.", MaxVariantOptions)
	}
	out := make(map[string]string, len(opts))
	for k, v := range opts {
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		for _, s := range []string{k, v} {
			if s == "" || utf8.RuneCountInString(s) > 100 || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
				return nil, FieldError("options", "Option names and values must be 1 to 100 printable characters (e.g. {\"Color\": \"Red\"}).")
			}
		}
		out[k] = v
	}
	return out, nil
}
