// Package views holds the admin UI's templ components, named after what they
// show, and the small typed models they take. It knows the domain (data) and
// nothing of HTTP: handlers fill the models, including every URL that depends
// on configuration (assets, thumbnails).
package views

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gallerist/data"

	"github.com/a-h/templ"
)

// Assets are the cache-busting URLs of the embedded assets.
type Assets struct {
	CSS, JS, HTMX, Sortable, Icon string
	// Scripts are loaded after JS on every page: the per-area behaviour
	// (library, gallery) that registers itself with Gallerist.onLoad.
	Scripts []string
}

// Toast is a message shown at the bottom of the page, with an optional action
// (a button posting to ActionURL) or link; see data.Toast.
type Toast = data.Toast

// Thumb is how to show a media item small: an image (Src, SrcSet, Sizes) or,
// for kinds without a picture, an icon tile.
type Thumb struct {
	Src    string
	SrcSet string
	Sizes  string
	Icon   bool
	Poster bool // a video's or document's poster, not the item itself
}

// Page is what every full page needs: who is looking, the CSRF token, assets,
// toasts, and the URL helpers.
type Page struct {
	Title   string
	Nav     string // library, products, collections, trash, settings
	CSRF    string
	Email   string
	OrgName string
	Role    data.Role
	Scopes  []data.Scope
	Path    string // the current URL (path and query), for forms to come back to
	Toasts  []Toast
	Assets  Assets
	// Thumb gives the picture of a media item at about width CSS pixels.
	Thumb func(m *data.Media, width int) Thumb
	// FileURL is the absolute public URL of a media item's original.
	FileURL func(m *data.Media) string
	// TrashDays is how long trashed items can be restored.
	TrashDays int
	// Limits are the upload limits, for the client-side size check.
	Limits data.Limits
}

// Can reports whether the viewer's role allows the scope.
func (p *Page) Can(s data.Scope) bool { return slices.Contains(p.Scopes, s) }

// LoggedIn reports whether a user is logged in (the page has its chrome).
func (p *Page) LoggedIn() bool { return p.Email != "" }

func (p *Page) csrfHeaders() string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": p.CSRF})
	return string(b)
}

// htmxConfig: errors are swapped too (the server decides with HX-Reswap), no
// history snapshots in localStorage (back reloads the page), no inline styles.
const htmxConfig = `{"includeIndicatorStyles":false,"historyCacheSize":0,"refreshOnHistoryMiss":true,"allowEval":false,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}`

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mediaURL(m *data.Media) string { return "/media/" + itoa(m.ID) }

// KindLabel is a kind's name for people ("Image").
func KindLabel(k data.Kind) string {
	if l := k.Info().Label; l != "" {
		return l
	}
	return string(k)
}

// Duration formats milliseconds as m:ss or h:mm:ss.
func Duration(msec int64) string {
	s := msec / 1000
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Dimensions formats width × height.
func Dimensions(m *data.Media) string {
	if m.Width == 0 || m.Height == 0 {
		return ""
	}
	return fmt.Sprintf("%d × %d px", m.Width, m.Height)
}

// When formats a time for people, in UTC.
func When(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// Ago says how long ago t was, in days ("today", "yesterday", "3 days ago").
func Ago(now, t time.Time) string {
	d := int(now.Sub(t).Hours() / 24)
	switch {
	case d <= 0:
		return "today"
	case d == 1:
		return "yesterday"
	}
	return fmt.Sprintf("%d days ago", d)
}

// Plural returns "1 image" or "3 images".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// countedTotalAttr is data-total for scripts that recount a media list's
// total, left out when the total is only "more than" (nothing to recount).
func countedTotalAttr(n int, exact bool) templ.Attributes {
	if !exact {
		return templ.Attributes{}
	}
	return templ.Attributes{"data-total": strconv.Itoa(n)}
}

// CountedTotal is a media list's total as a number, or "1000+" when
// counting stopped (see data.Total): N+ is true of any floor, the 1000 of a
// common term as well as the fewer matches a count that gave up found.
func CountedTotal(n int, exact bool) string {
	if !exact {
		return strconv.Itoa(n) + "+"
	}
	return strconv.Itoa(n)
}

// CountedPlural is Plural for a media list's total: "1000+ items" when
// counting stopped.
func CountedPlural(n int, exact bool, one, many string) string {
	if !exact {
		return CountedTotal(n, exact) + " " + many
	}
	return Plural(n, one, many)
}

func missingAlt(m *data.Media) bool {
	return m.Kind == data.KindImage && strings.TrimSpace(m.Alt) == ""
}

// withQuery returns base with the query values set (empty values removed).
func withQuery(base string, q url.Values, kv ...string) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = slices.Clone(vs)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	if s := v.Encode(); s != "" {
		return base + "?" + s
	}
	return base
}
