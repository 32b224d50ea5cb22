package data

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// MediaFilterParams are the URL parameters of a media list, in the order
// ParseMediaFilter checks them (the API's fields= is not a filter's).
var MediaFilterParams = []string{"limit", "offset", "sort", "since_id", "kind", "mime_type", "q", "product_id", "used", "missing_alt", "deleted"}

// ParseMediaFilter reads a media list's URL parameters, the same for the API,
// the library page and its links; a bad value is a data.Error naming the
// parameter. Limit stays 0 when not given (each list has its own default).
// ID and SHA256 select by code only and are never read from a URL.
func ParseMediaFilter(v url.Values) (MediaFilter, error) {
	var f MediaFilter
	p, err := ParseListPage(v, MediaSortFields, MaxPage)
	if err != nil {
		return f, err
	}
	f.Limit, f.Offset, f.SinceID, f.Sort = p.Limit, p.Offset, p.SinceID, p.Sort
	if k := v.Get("kind"); k != "" {
		kind, ok := ParseKind(k)
		if !ok {
			return f, ParamError("kind", "kind must be one of %s.", kindList())
		}
		f.Kind = kind
	}
	if f.MIMETypes, err = parseMIMETypes(v.Get("mime_type")); err != nil {
		return f, err
	}
	if f.Q, err = ParseSearch(v.Get("q")); err != nil {
		return f, err
	}
	if f.ProductID, err = ParseIDParam("product_id", v.Get("product_id"), 1); err != nil {
		return f, err
	}
	if field, _ := SortOrder(f.Sort); field == "position" && f.ProductID == 0 {
		return f, ParamError("sort", "sort=position is the order of a product's gallery; send product_id too.")
	}
	if f.Used, err = ParseBoolParam("used", v.Get("used")); err != nil {
		return f, err
	}
	missing, err := ParseBoolParam("missing_alt", v.Get("missing_alt"))
	if err != nil {
		return f, err
	}
	f.MissingAlt = missing != nil && *missing
	switch d := v.Get("deleted"); d {
	case "", "exclude":
	case DeletedOnly, DeletedInclude:
		f.Deleted = d
	default:
		return f, ParamError("deleted", "deleted must be only or include.")
	}
	return f, nil
}

// parseMIMETypes parses mime_type: one sniffed type or a comma list of them.
func parseMIMETypes(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || slices.Contains(out, t) {
			continue
		}
		if !IsMIMEType(t) {
			return nil, ParamError("mime_type", "mime_type %q is not a type the library holds; use one or a comma list of: %s.", t, strings.Join(MIMETypes, ", "))
		}
		out = append(out, t)
	}
	return out, nil
}

// Values renders the filter as the URL parameters ParseMediaFilter reads
// back to the same filter; zero fields are left out.
func (f MediaFilter) Values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	ListPage{Limit: f.Limit, Offset: f.Offset, SinceID: f.SinceID, Sort: f.Sort}.values(v)
	set("kind", string(f.Kind))
	set("mime_type", strings.Join(f.MIMETypes, ","))
	set("q", f.Q)
	if f.ProductID != 0 {
		v.Set("product_id", strconv.FormatInt(f.ProductID, 10))
	}
	if f.Used != nil {
		v.Set("used", strconv.FormatBool(*f.Used))
	}
	if f.MissingAlt {
		v.Set("missing_alt", "true")
	}
	set("deleted", f.Deleted)
	return v
}

// Query is Values encoded: "kind=image&q=mug" ("" for the zero filter).
func (f MediaFilter) Query() string { return f.Values().Encode() }
