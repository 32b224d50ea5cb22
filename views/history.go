package views

import (
	"encoding/json"
	"strings"

	"gallerist/data"
)

// History is the latest changes to one media item or product, newest first,
// from the event log; More is the URL of the next (older) page, or "".
type History struct {
	Events []*data.Event
	More   string
}

// DescribeEvent says in plain words what an event changed.
func DescribeEvent(ev *data.Event) string {
	var d map[string]any
	_ = json.Unmarshal(ev.Payload, &d)
	str := func(k string) string { s, _ := d[k].(string); return s }
	switch ev.Type {
	case data.EventMediaCreated:
		return "Uploaded as " + str("filename")
	case data.EventMediaUpdated:
		var parts []string
		if v, ok := d["filename"].(string); ok {
			parts = append(parts, "Renamed to "+v)
		}
		if v, ok := d["alt"].(string); ok {
			if v == "" {
				parts = append(parts, "Alt text cleared")
			} else {
				parts = append(parts, "Alt text set to “"+v+"”")
			}
		}
		if v, ok := d["focal"]; ok {
			if v == nil {
				parts = append(parts, "Focal point cleared")
			} else {
				parts = append(parts, "Focal point set")
			}
		}
		if v, ok := d["poster_id"]; ok {
			name := str("poster_filename")
			switch {
			case v == nil && d["poster_trashed"] == true:
				parts = append(parts, "Poster "+name+" moved to the trash")
			case v == nil && d["poster_purged"] == true:
				parts = append(parts, "Poster "+name+" deleted for good")
			case v == nil:
				parts = append(parts, "Chosen poster removed")
			case d["poster_restored"] == true:
				parts = append(parts, "Poster "+name+" restored")
			case name != "":
				parts = append(parts, "Poster set to "+name)
			default:
				parts = append(parts, "Poster chosen")
			}
		}
		if len(parts) == 0 {
			return "Details changed"
		}
		return strings.Join(parts, "; ")
	case data.EventMediaReplaced:
		return "File replaced with " + str("original_filename")
	case data.EventMediaTrashed:
		if d["detached"] == true {
			return "Removed from every place and moved to the trash"
		}
		return "Moved to the trash"
	case data.EventMediaRestored:
		return "Restored from the trash"
	case data.EventMediaPurged:
		return "Deleted for good"
	case data.EventGalleryChanged:
		n := 0
		if ids, ok := d["media_ids"].([]any); ok {
			n = len(ids)
		}
		return "Gallery changed: " + Plural(n, "item", "items")
	case data.EventProductCreated:
		return "Created as “" + str("title") + "”"
	case data.EventProductDeleted:
		return "Deleted"
	case data.EventProductUpdated:
		if v := str("variant"); v != "" {
			return map[string]string{"created": "Variant added", "updated": "Variant changed", "deleted": "Variant removed",
				"image": "Variant image changed"}[v]
		}
		var parts []string
		for _, f := range []struct{ key, label string }{{"title", "Title"}, {"handle", "Handle"}, {"status", "Status"}} {
			if v, ok := d[f.key].(string); ok {
				parts = append(parts, f.label+" set to “"+v+"”")
			}
		}
		return strings.Join(parts, "; ")
	}
	return ev.Type
}

// ActorName is who made a change, for people: the email, "API token NAME",
// or "Gallerist" for background work.
func ActorName(actor string) string {
	if name, ok := strings.CutPrefix(actor, "token:"); ok {
		return "API token " + name
	}
	if actor == "system" {
		return "Gallerist"
	}
	return actor
}
