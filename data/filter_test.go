package data

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// filterSamples holds, for every MediaFilter field a URL carries, a value
// other than the zero one; notInURL are the fields only code sets. A field
// in neither fails TestMediaFilterRoundTrip until ParseMediaFilter and
// Values handle it (or it is declared code-only).
var (
	used          = false
	filterSamples = map[string]any{
		"Kind": KindVideo, "MIMETypes": []string{"video/mp4", "image/png"}, "Q": "blue mug", "Sort": "-size",
		"Deleted": DeletedInclude, "ProductID": int64(7), "Used": &used, "MissingAlt": true, "Limit": 30, "Offset": 60,
		"SinceID": int64(9),
	}
	notInURL = map[string]bool{"ID": true, "SHA256": true}
)

// Issue 13, item 5: a media filter parses from and renders to URL values,
// and parse(render(f)) == f for every field a URL carries.
func TestMediaFilterRoundTrip(t *testing.T) {
	typ := reflect.TypeOf(MediaFilter{})
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if notInURL[name] {
			continue
		}
		sample, ok := filterSamples[name]
		if !ok {
			t.Errorf("MediaFilter.%s has no sample here: teach ParseMediaFilter and Values the field (or list it in notInURL)", name)
			continue
		}
		var f MediaFilter
		reflect.ValueOf(&f).Elem().Field(i).Set(reflect.ValueOf(sample))
		if name == "SinceID" {
			f.Sort = "id" // what since_id means
		}
		if name == "Sort" {
			f.Sort = "-size"
		}
		if len(f.Values()) == 0 {
			t.Errorf("MediaFilter.%s = %v renders to no parameter", name, sample)
		}
		back, err := ParseMediaFilter(f.Values())
		if err != nil || !reflect.DeepEqual(back, f) {
			t.Errorf("MediaFilter.%s: %+v renders as %q, which parses to %+v, %v", name, f, f.Query(), back, err)
		}
	}
	// All at once, sort=position with its product.
	all := MediaFilter{Kind: KindImage, MIMETypes: []string{"image/png"}, Q: "a&b=c", Sort: "-position", ProductID: 3,
		Used: &used, MissingAlt: true, Deleted: DeletedOnly, Limit: 100, Offset: 1}
	if back, err := ParseMediaFilter(all.Values()); err != nil || !reflect.DeepEqual(back, all) {
		t.Errorf("%q parses to %+v, %v", all.Query(), back, err)
	}
	if q := (MediaFilter{}).Query(); q != "" {
		t.Errorf("the zero filter renders as %q", q)
	}
	if q := (MediaFilter{Kind: KindImage, Q: "mug"}).Query(); q != "kind=image&q=mug" {
		t.Errorf("Query() = %q", q)
	}
}

func TestParseMediaFilterErrors(t *testing.T) {
	for _, c := range []struct{ query, param, msg string }{
		{"limit=0", "limit", "limit must be a whole number from 1 to 100."},
		{"limit=101", "limit", "limit must be a whole number from 1 to 100."},
		{"offset=-1", "offset", "offset must be a whole number, 0 or more."},
		{"sort=title", "sort", "sort must be one of created_at, filename, size, id, position, optionally with a leading '-'."},
		{"since_id=5&sort=size", "sort", "since_id lists ids greater than it in ascending id order; leave out sort."},
		{"since_id=x", "since_id", "since_id must be a whole number, 0 or more."},
		{"kind=photo", "kind", "kind must be one of " + kindList() + "."},
		{"mime_type=image/jpg", "mime_type", `mime_type "image/jpg" is not a type the library holds; use one or a comma list of: ` + strings.Join(MIMETypes, ", ") + "."},
		{"product_id=0", "product_id", "product_id must be a positive id (1 or more)."},
		{"sort=position", "sort", "sort=position is the order of a product's gallery; send product_id too."},
		{"used=yes", "used", "used must be true or false (or 1 or 0)."},
		{"missing_alt=2", "missing_alt", "missing_alt must be true or false (or 1 or 0)."},
		{"deleted=all", "deleted", "deleted must be only or include."},
		{"q=mug%00x", "q", "q cannot contain a NUL character (%00)."},
	} {
		v, _ := url.ParseQuery(c.query)
		_, err := ParseMediaFilter(v)
		var de *Error
		if !errors.As(err, &de) || de.Code != ECInvalidParameter || de.Message != c.msg || de.Details["parameter"] != c.param {
			t.Errorf("%s: %#v, want %s: %q", c.query, err, c.param, c.msg)
		}
	}
	if !strings.HasPrefix(kindList(), "image, video, audio, document") {
		t.Errorf("kindList() = %q", kindList())
	}
	v, _ := url.ParseQuery("deleted=exclude&mime_type=IMAGE/PNG,,image/png&used=1&missing_alt=0")
	f, err := ParseMediaFilter(v)
	if err != nil || f.Deleted != "" || len(f.MIMETypes) != 1 || f.Used == nil || !*f.Used || f.MissingAlt {
		t.Errorf("lenient spellings: %+v, %v", f, err)
	}
}
