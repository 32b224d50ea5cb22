package views

import (
	"net/url"
	"strconv"

	"gallerist/data"
)

// Library is the media library page: the list's parameters, one page of
// items, and the detail panel when an item is open.
type Library struct {
	Q, Kind, Sort      string
	Unused, MissingAlt bool
	Items              []*data.Media
	Total              int
	Limit, Offset      int
	// Filtered is true when any filter narrows the list (for the empty state).
	Filtered bool
	Detail   *MediaDetail
}

// Params are the list's query parameters.
func (l *Library) Params() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", l.Q)
	set("kind", l.Kind)
	set("sort", l.Sort)
	if l.Unused {
		v.Set("used", "false")
	}
	if l.MissingAlt {
		v.Set("missing_alt", "true")
	}
	if l.Offset > 0 {
		v.Set("offset", strconv.Itoa(l.Offset))
	}
	return v
}

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

var kindTabs = []kindTab{{"", "All"}, {"image", "Images"}, {"video", "Videos"}, {"audio", "Audio"}, {"document", "Documents"}}

type sortOption struct{ value, label string }

var sortOptions = []sortOption{
	{"", "Newest first"}, {"created_at", "Oldest first"}, {"filename", "Name A–Z"}, {"-filename", "Name Z–A"},
	{"-size", "Largest first"}, {"size", "Smallest first"},
}

// MediaDetail is the detail panel of one item.
type MediaDetail struct {
	M     *data.Media
	Usage []data.Usage
	// Close is the list URL the panel closes to.
	Close string
	Alt   FieldState
	Name  FieldState
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
	}
	return u.Type
}

func usageIcon(u data.Usage) string {
	if u.Type == "collection" {
		return "folder"
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
	from, to := l.Offset+1, min(l.Offset+len(l.Items), l.Total)
	return strconv.Itoa(from) + "–" + strconv.Itoa(to) + " of " + Plural(l.Total, "item", "items")
}
