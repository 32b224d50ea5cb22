package views

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"gallerist/data"
)

// Library is the media library page: the list's filter as its URL gave
// it, one page of items, and the detail panel when an item is open.
type Library struct {
	// MediaFilter is what the URL asked for (Limit 0 when it did not say;
	// Offset moved back to the last page when the URL's was past the end);
	// its Values are the parameters of every link of the page.
	data.MediaFilter
	PageSize int // items per page: the URL's limit or the library's own
	Items    []*data.Media
	Total    int
	// TotalExact is false when Total is only "more than" (see data.Total).
	TotalExact bool
	// Filtered is true when any filter narrows the list (for the empty state).
	Filtered bool
	Detail   *MediaDetail
}

// Unused is true when the list shows only items used nowhere.
func (l *Library) Unused() bool { return l.Used != nil && !*l.Used }

// Params are the list's query parameters.
func (l *Library) Params() url.Values { return l.Values() }

// URL is the library URL with some parameters changed ("" removes one); any
// change but the offset's goes back to the first page.
func (l *Library) URL(kv ...string) string {
	q := l.Params()
	resetsPage := true
	for i := 0; i < len(kv); i += 2 {
		if kv[i] == "offset" {
			resetsPage = false
		}
	}
	if resetsPage {
		q.Del("offset")
	}
	return withQuery("/media", q, kv...)
}

// ItemURL is the URL of an item's detail panel over this list.
func (l *Library) ItemURL(m *data.Media) string {
	return withQuery(mediaURL(m), l.Params())
}

type kindTab struct{ value, label string }

// kindTabs are All, then one tab per kind of data.KindTable.
var kindTabs = func() []kindTab {
	tabs := []kindTab{{"", "All"}}
	for _, k := range data.KindTable {
		tabs = append(tabs, kindTab{string(k.Kind), k.Tab})
	}
	return tabs
}()

// acceptAttr is the upload input's accept=: every kind's Accept.
var acceptAttr = func() string {
	var all []string
	for _, k := range data.KindTable {
		all = append(all, k.Accept...)
	}
	return strings.Join(all, ",")
}()

// uploadKind is what app.js knows of a kind to check a chosen file before
// sending it: how to tell the kind from the browser's type, and its limit.
type uploadKind struct {
	Kind   data.Kind `json:"kind"`
	Plural string    `json:"plural"`
	Accept []string  `json:"accept"` // "image/*" matches a type's prefix
	Types  []string  `json:"types"`  // exact types
	Max    int64     `json:"max"`
}

// uploadKindsJSON is the data-upload-kinds attribute of a drop target.
func uploadKindsJSON(l data.Limits) string {
	var out []uploadKind
	for _, k := range data.KindTable {
		out = append(out, uploadKind{Kind: k.Kind, Plural: k.Plural, Accept: k.Accept, Types: k.Kind.Types(), Max: l.MaxBytes(k.Kind)})
	}
	b, _ := json.Marshal(out) // strings and numbers: cannot fail
	return string(b)
}

type sortOption struct{ value, label string }

var sortOptions = []sortOption{
	{"", "Newest first"}, {"created_at", "Oldest first"}, {"filename", "Name A–Z"}, {"-filename", "Name Z–A"},
	{"-size", "Largest first"}, {"size", "Smallest first"},
}

// MediaDetail is the detail panel of one item.
type MediaDetail struct {
	M *data.Media
	// PosterChoices are the library's newest images, offered as a video's
	// or document's poster (filled for those, for people who may edit).
	PosterChoices []*data.Media
	Usage         []data.Usage
	// Versions are the item's previous files, newest first (the first
	// page), of VersionTotal.
	Versions     []*data.MediaVersion
	VersionTotal int
	// History is the latest changes (nil: not shown).
	History *History
	// AllVersions: the panel was asked for every version (up to a page of
	// data.MaxPage), not the first few.
	AllVersions bool
	// Notice says what the last action did (a replace, a restore).
	Notice string
	// StableURL is the item's stable link (it follows a replace), which
	// Copy link copies.
	StableURL string
	// Close is the list URL the panel closes to.
	Close string
	Alt   FieldState
	Name  FieldState
	Focal FieldState
}

// FieldState is an inline-edited field after a save: what was typed, whether
// it saved, or why not.
type FieldState struct {
	Value string
	Saved bool
	Error string
}

func usageHref(u data.Usage) string {
	switch u.Type {
	case "product":
		return "/products/" + itoa(u.ID)
	case "variant":
		return "/products/" + itoa(u.ProductID) + "#variant-" + itoa(u.ID)
	case "collection":
		return "/collections/" + itoa(u.ID)
	case string(data.KindVideo), string(data.KindDocument):
		return "/media/" + itoa(u.ID)
	}
	return "#"
}

func usageWhat(u data.Usage) string {
	switch u.Role {
	case "gallery":
		if u.Position == 1 {
			return "Product gallery · featured"
		}
		return "Product gallery · position " + strconv.Itoa(u.Position)
	case "variant_image":
		return "Variant image"
	case "collection_image":
		return "Collection image"
	case "poster":
		return "Poster of this " + u.Type
	}
	return u.Type
}

func usageIcon(u data.Usage) string {
	switch u.Type {
	case "collection":
		return "folder"
	case string(data.KindVideo), string(data.KindDocument):
		return u.Type
	}
	return "tag"
}

func altCountText(s string) string {
	return strconv.Itoa(len([]rune(s))) + " / 125"
}

func pageRange(l *Library) string {
	if l.Total == 0 {
		return "No items"
	}
	from, to := l.Offset+1, l.Offset+len(l.Items)
	return strconv.Itoa(from) + "–" + strconv.Itoa(to) + " of " + CountedPlural(l.Total, l.TotalExact, "item", "items")
}

// HasNext tells whether a page follows this one: by the total when it is
// counted, by a full page when it is "more than" (see data.MaxCountedTotal);
// never past the deepest offset a media list takes (data.MaxMediaOffset).
func (l *Library) HasNext() bool {
	if l.Offset+l.PageSize > data.MaxMediaOffset {
		return false
	}
	if !l.TotalExact {
		return len(l.Items) == l.PageSize
	}
	return l.Offset+l.PageSize < l.Total
}

// PageOf is "Page 3 of 12", or "Page 3" when the total is not counted to the end.
func (l *Library) PageOf() string {
	page := "Page " + strconv.Itoa(l.Offset/l.PageSize+1)
	if !l.TotalExact {
		return page
	}
	return page + " of " + strconv.Itoa((l.Total+l.PageSize-1)/l.PageSize)
}

// Here is the list's own URL, page included: where a bulk action on it
// comes back to.
func (l *Library) Here() string { return withQuery("/media", l.Params()) }

// AltEditorURL is the bulk alt text editor for the images of this list that
// lack alt text (the Missing alt text filter, with the search and kind).
func (l *Library) AltEditorURL() string {
	q := url.Values{"missing_alt": {"true"}, "return": {l.Here()}}
	if l.Q != "" {
		q.Set("q", l.Q)
	}
	return withQuery("/media/alt", q)
}

// MayBulk reports whether the viewer may do anything with a selection.
func MayBulk(p *Page) bool {
	return p.Can(data.ScopeMediaDelete) || p.Can(data.ScopeMediaUpdate) || p.Can(data.ScopeProductsWrite)
}

// Selection is the items a bulk action names, in selection order.
type Selection struct {
	Items []*data.Media
	// Return is the page to go back to afterwards.
	Return string
}

// IDs are the items' ids as the bulk forms send them: "3,1,2".
func (s *Selection) IDs() string {
	var b strings.Builder
	for i, m := range s.Items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(itoa(m.ID))
	}
	return b.String()
}

// Count is "3 items" or "mug.jpg".
func (s *Selection) Count() string {
	if len(s.Items) == 1 {
		return s.Items[0].Filename
	}
	return Plural(len(s.Items), "item", "items")
}

// BulkDelete is the delete question for a selection, with every place each
// item is used.
type BulkDelete struct {
	Selection
	Usage map[int64][]data.Usage
}

// Used are the selected items in use, in selection order.
func (d *BulkDelete) Used() []*data.Media {
	var out []*data.Media
	for _, m := range d.Items {
		if len(d.Usage[m.ID]) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// Places is how many places the selected items are used in, all told.
func (d *BulkDelete) Places() int {
	n := 0
	for _, us := range d.Usage {
		n += len(us)
	}
	return n
}

// BulkAdd is "Add to product" for a selection: the images that can go in a
// gallery, and the products to choose from.
type BulkAdd struct {
	Selection
	// Skipped is how many selected items are not images.
	Skipped  int
	Products []*data.Product
	Total    int // products matching Q
	Q        string
	Error    string
}

// AltEditor is the bulk alt text editor: a list of images, each with its
// alt text field, saved as you go.
type AltEditor struct {
	Selection
	// Missing is true when the list is the images without alt text (the
	// Missing alt text filter), false for a selection.
	Missing bool
	Q       string
	// Remaining is how many images of the set lack alt text (in Missing
	// mode, all of them in the library, also those not listed).
	Remaining int
	// RemainingExact is false when Remaining is only "more than" (see data.Total).
	RemainingExact bool
	// More is how many images without alt text are not listed (Missing mode).
	More int
	// Skipped is how many selected items are not images.
	Skipped int
	// Values and Errors are what was typed and why it did not save (a
	// form post without JavaScript), by item id.
	Values map[int64]string
	Errors map[int64]string
}

// Value is the text a row's field shows.
func (a *AltEditor) Value(m *data.Media) string {
	if v, ok := a.Values[m.ID]; ok {
		return v
	}
	return m.Alt
}

// URL is the editor's own URL (its mode and return), for links and redirects.
func (a *AltEditor) URL() string {
	q := url.Values{}
	if a.Missing {
		q.Set("missing_alt", "true")
		if a.Q != "" {
			q.Set("q", a.Q)
		}
	} else {
		q.Set("ids", a.IDs())
	}
	if a.Return != "" {
		q.Set("return", a.Return)
	}
	return withQuery("/media/alt", q)
}

func remainingText(n int, exact bool) string {
	if !exact {
		return CountedTotal(n, exact) + " images still need alt text."
	}
	switch n {
	case 0:
		return "Every image here has alt text."
	case 1:
		return "1 image still needs alt text."
	}
	return strconv.Itoa(n) + " images still need alt text."
}
