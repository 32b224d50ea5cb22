package data

import (
	"net/url"
	"strconv"
	"strings"
)

// The page sizes of every list but a gallery (which defaults to the whole
// gallery): the API's limit= and the storage's default when none is given.
const (
	DefaultPage = 24
	MaxPage     = 100
)

// MaxSearchBytes bounds q= on every list.
const MaxSearchBytes = 200

// ListPage is what the parameters every list takes ask for: limit, offset,
// since_id and sort (fields= is the API's, not a filter's).
type ListPage struct {
	Limit   int // 0 when not given: the list's own default
	Offset  int
	SinceID int64
	Sort    string // "id" after since_id
}

// ParseListPage reads limit (1 to maxLimit), offset (0 or more), since_id
// (0 or more: ids greater, ascending, so never with another sort) and sort
// (one of sorts, "-" for descending).
func ParseListPage(v url.Values, sorts []string, maxLimit int) (ListPage, error) {
	var p ListPage
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return p, ParamError("limit", "limit must be a whole number from 1 to %d.", maxLimit)
		}
		p.Limit = n
	}
	if s := v.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, ParamError("offset", "offset must be a whole number, 0 or more.")
		}
		p.Offset = n
	}
	if p.Sort = v.Get("sort"); p.Sort != "" && !ValidSort(p.Sort, sorts) {
		return p, ParamError("sort", "sort must be one of %s, optionally with a leading '-'.", strings.Join(sorts, ", "))
	}
	if v.Get("since_id") != "" {
		var err error
		if p.SinceID, err = ParseIDParam("since_id", v.Get("since_id"), 0); err != nil {
			return p, err
		}
		if p.Sort != "" && p.Sort != "id" {
			return p, ParamError("sort", "since_id lists ids greater than it in ascending id order; leave out sort.")
		}
		p.Sort = "id"
	}
	return p, nil
}

// values renders the page back into v (what ParseListPage reads).
func (p ListPage) values(v url.Values) {
	if p.Limit != 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Offset != 0 {
		v.Set("offset", strconv.Itoa(p.Offset))
	}
	if p.SinceID != 0 {
		v.Set("since_id", strconv.FormatInt(p.SinceID, 10))
	}
	if p.Sort != "" && !(p.SinceID != 0 && p.Sort == "id") {
		v.Set("sort", p.Sort)
	}
}

// ParseIDParam parses an id parameter: a whole number from min (0 for
// cursors, 1 for ids); 0 when s is empty.
func ParseIDParam(name, s string, min int64) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min {
		if min == 0 {
			return 0, ParamError(name, "%s", name+" must be a whole number, 0 or more.")
		}
		return 0, ParamError(name, "%s", name+" must be a positive id (1 or more).")
	}
	return n, nil
}

// ParseBoolParam parses a boolean parameter: true or 1, false or 0 (any
// other spelling, "yes" included, is refused); nil when s is empty.
func ParseBoolParam(name, s string) (*bool, error) {
	switch strings.ToLower(s) {
	case "":
		return nil, nil
	case "true", "1":
		t := true
		return &t, nil
	case "false", "0":
		f := false
		return &f, nil
	}
	return nil, ParamError(name, "%s", name+" must be true or false (or 1 or 0).")
}

// ParseSearch checks q=: at most MaxSearchBytes, and no NUL (no name or
// alt text has one, and the search index cannot hold one).
func ParseSearch(q string) (string, error) {
	if len(q) > MaxSearchBytes {
		return "", ParamError("q", "q may be at most %d characters.", MaxSearchBytes)
	}
	if strings.ContainsRune(q, 0) {
		return "", ParamError("q", "q cannot contain a NUL character (%%00).")
	}
	return q, nil
}

// kindList is "image, video, audio, document", for messages.
func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
