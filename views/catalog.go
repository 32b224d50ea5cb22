package views

import (
	"net/url"
	"strconv"
	"strings"

	"gallerist/data"
)

// Products is the products list.
type Products struct {
	Items         []*data.Product
	Total         int
	Q, Status     string
	Limit, Offset int
}

// URL is the list URL with some parameters changed.
func (l *Products) URL(kv ...string) string {
	q := url.Values{}
	if l.Q != "" {
		q.Set("q", l.Q)
	}
	if l.Status != "" {
		q.Set("status", l.Status)
	}
	return withQuery("/products", q, kv...)
}

// AltCoverage says how many gallery images have alt text: "7 of 9 images have alt text".
func AltCoverage(p *data.Product) string {
	if p.ImageCount == 0 {
		return "No images yet"
	}
	if p.AltCount == p.ImageCount {
		if p.ImageCount == 1 {
			return "The image has alt text"
		}
		return "All " + strconv.Itoa(p.ImageCount) + " images have alt text"
	}
	if p.ImageCount == 1 {
		return "The image has no alt text"
	}
	verb := " images have alt text"
	if p.AltCount == 1 {
		verb = " images has alt text" // "1 of 6 images has alt text"
	}
	return strconv.Itoa(p.AltCount) + " of " + strconv.Itoa(p.ImageCount) + verb
}

func altPercent(p *data.Product) string {
	if p.ImageCount == 0 {
		return "0%"
	}
	return strconv.Itoa(p.AltCount*100/p.ImageCount) + "%"
}

func statusClass(s data.ProductStatus) string {
	switch s {
	case data.StatusActive:
		return "bg-green-100 text-green-800"
	case data.StatusArchived:
		return "bg-gray-200 text-gray-700"
	}
	return "bg-amber-100 text-amber-900"
}

func statusLabel(s data.ProductStatus) string {
	switch s {
	case data.StatusActive:
		return "Active"
	case data.StatusArchived:
		return "Archived"
	}
	return "Draft"
}

// ProductForm is the product create/edit form after an error.
type ProductForm struct {
	Title, Handle, Status string
	Error                 string
	Field                 string
}

func (f *ProductForm) err(field string) string {
	if f != nil && f.Field == field {
		return f.Error
	}
	return ""
}

// GalleryEditor is a product's page: details, the gallery in order, variants.
type GalleryEditor struct {
	Product  *data.Product
	Gallery  *data.Gallery
	Variants []*data.Variant
	Form     *ProductForm
	// MaxImages is the gallery's limit.
	MaxImages int
	// History is the product's latest changes (nil: not shown).
	History *History
}

func (g *GalleryEditor) imageLabel(gi *data.GalleryImage) string {
	return "Image " + strconv.Itoa(gi.Position) + " of " + strconv.Itoa(len(g.Gallery.Images))
}

// Count says what the gallery holds: "3 images", "2 images, 1 video",
// "1 video" (static/gallery.js says it the same way after a change).
func (g *GalleryEditor) Count() string {
	videos := 0
	for _, gi := range g.Gallery.Images {
		if gi.Media.Kind == data.KindVideo {
			videos++
		}
	}
	return galleryCount(len(g.Gallery.Images)-videos, videos)
}

// MediaCount says what items a gallery gets or holds, as Count does:
// "2 images", "1 image, 1 video".
func MediaCount(items []*data.Media) string {
	videos := 0
	for _, m := range items {
		if m.Kind == data.KindVideo {
			videos++
		}
	}
	return galleryCount(len(items)-videos, videos)
}

// GalleryImagesCount is MediaCount of gallery entries.
func GalleryImagesCount(gis []*data.GalleryImage) string {
	items := make([]*data.Media, 0, len(gis))
	for _, gi := range gis {
		items = append(items, gi.Media)
	}
	return MediaCount(items)
}

func galleryCount(images, videos int) string {
	switch {
	case videos == 0:
		return Plural(images, "image", "images")
	case images == 0:
		return Plural(videos, "video", "videos")
	}
	return Plural(images, "image", "images") + ", " + Plural(videos, "video", "videos")
}

// MissingAlt lists the gallery's images without alt text, in gallery order.
func (g *GalleryEditor) MissingAlt() []*data.GalleryImage {
	var out []*data.GalleryImage
	for _, gi := range g.Gallery.Images {
		if gi.Media.Kind == data.KindImage && strings.TrimSpace(gi.Media.Alt) == "" {
			out = append(out, gi)
		}
	}
	return out
}

// AltEditorURL opens the bulk alt text editor on the gallery's images
// without alt text, coming back to the gallery afterwards.
func (g *GalleryEditor) AltEditorURL() string {
	var ids []string
	for _, gi := range g.MissingAlt() {
		ids = append(ids, strconv.FormatInt(gi.MediaID, 10))
	}
	return "/media/alt?" + url.Values{"ids": {strings.Join(ids, ",")}, "return": {productURL(g.Product)}}.Encode()
}

// VariantsUsing lists the variants whose image is the gallery image.
func (g *GalleryEditor) VariantsUsing(imageID int64) []*data.Variant {
	var out []*data.Variant
	for _, v := range g.Variants {
		if v.ImageID == imageID {
			out = append(out, v)
		}
	}
	return out
}

// VariantNames lists variants' titles for a sentence: "Small, Large and XL".
func VariantNames(vs []*data.Variant) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Title
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// ImageByID returns the gallery image with the id, or nil.
func (g *GalleryEditor) ImageByID(id int64) *data.GalleryImage {
	for _, gi := range g.Gallery.Images {
		if gi.ID == id {
			return gi
		}
	}
	return nil
}

// Picker is the "Choose from library" dialog: library images to add to a
// product's gallery (several) or to set as a collection's image (one).
type Picker struct {
	Action string // where the form posts
	Self   string // the picker's own URL (for searching)
	Cancel string
	Q      string
	Items  []*data.Media
	Total  int
	// TotalExact is false when Total is only "more than" (see data.Total).
	TotalExact bool
	Taken      map[int64]bool // already in the gallery
	Multiple   bool
	Title      string
	// Offset and Limit are the page of the library shown.
	Offset, Limit int
}

// pickerPlaceholder and pickerLegend name what the picker offers: a
// gallery (Multiple) takes images and videos, a collection one image.
func pickerPlaceholder(pk *Picker) string {
	if pk.Multiple {
		return "Search images and videos by filename or alt text"
	}
	return "Search images by filename or alt text"
}

func pickerLegend(pk *Picker) string {
	if pk.Multiple {
		return "Images and videos"
	}
	return "Images"
}

// Collections is the collections list.
type Collections struct {
	Items []*data.Collection
	Total int
	Form  *ProductForm
}

// CollectionPage edits one collection.
type CollectionPage struct {
	C    *data.Collection
	Form *ProductForm
}

// HasNext tells whether another page of the library follows the picker's
// (never past the deepest offset a media list takes, data.MaxMediaOffset).
func (pk *Picker) HasNext() bool {
	if pk.Offset+len(pk.Items) > data.MaxMediaOffset {
		return false
	}
	if !pk.TotalExact {
		return len(pk.Items) == pk.Limit
	}
	return pk.Total > pk.Offset+len(pk.Items)
}
