package data

import (
	"reflect"
	"strings"
	"testing"
)

func TestDownloadName(t *testing.T) {
	long := strings.Repeat("é", 127) + ".html" // 254 + 5 bytes
	for _, tc := range []struct {
		name, filename, mime, want string
	}{
		{"Matches", "mug.jpg", "image/jpeg", "mug.jpg"},
		{"MatchesUpperCase", "IMG_0001.JPG", "image/jpeg", "IMG_0001.JPG"},
		{"Alias", "mug.jpeg", "image/jpeg", "mug.jpeg"},
		{"AliasUpperCase", "mug.JPEG", "image/jpeg", "mug.JPEG"},
		{"HTMLNamedJPEG", "x.html", "image/jpeg", "x.jpg"},
		{"SVGNamedPNG", "logo.svg", "image/png", "logo.png"},
		{"ExeNamedPDF", "invoice.pdf.exe", "application/pdf", "invoice.pdf.pdf"},
		{"WrongOfficeFlavour", "budget.xls", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "budget.xlsx"},
		{"NoExtension", "front", "image/webp", "front.webp"},
		{"NumberIsNotAnExtension", "Summer.2024", "image/gif", "Summer.2024.gif"},
		{"TooLongToBeAnExtension", "notes.drafted", "application/pdf", "notes.drafted.pdf"},
		{"PunctuationIsNotAnExtension", "a.b-c", "video/mp4", "a.b-c.mp4"},
		{"TrailingDot", "clip.", "video/webm", "clip.webm"},
		{"OnlyAnExtension", ".html", "image/jpeg", "file.jpg"},
		{"Empty", "", "audio/mpeg", "file.mp3"},
		{"Unicode", "Tasse rouge.htm", "image/jpeg", "Tasse rouge.jpg"},
		{"MOVAlias", "clip.qt", "video/quicktime", "clip.qt"},
		{"TooLongAfterAppending", long, "image/jpeg", strings.Repeat("é", 125) + ".jpg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Media{Filename: tc.filename, MIMEType: tc.mime}
			got := m.DownloadName()
			if got != tc.want {
				t.Fatalf("DownloadName of %q (%s) = %q, want %q", tc.filename, tc.mime, got, tc.want)
			}
			if len(got) > MaxFilenameBytes {
				t.Fatalf("%d bytes, over MaxFilenameBytes", len(got))
			}
			if !strings.HasSuffix(strings.ToLower(got), "."+m.Ext()) && !extMatches(strings.ToLower(got[strings.LastIndexByte(got, '.')+1:]), m.Ext()) {
				t.Fatalf("%q does not end in the type's extension %q", got, m.Ext())
			}
		})
	}
	t.Run("CutsWholeRunes", func(t *testing.T) {
		m := &Media{Filename: strings.Repeat("é", 200), MIMEType: "image/png"}
		got := m.DownloadName()
		if len(got) > MaxFilenameBytes || !strings.HasSuffix(got, "é.png") {
			t.Fatalf("%d bytes: %q", len(got), got)
		}
	})
}

// TestMIMETypes checks the mime_type filter's list against the types that
// have an extension, both ways.
func TestMIMETypes(t *testing.T) {
	for _, m := range MIMETypes {
		if ExtForMIME(m) == "bin" {
			t.Errorf("%s has no extension", m)
		}
		if !IsMIMEType(m) {
			t.Errorf("IsMIMEType(%q) is false", m)
		}
	}
	if IsMIMEType("image/jpg") || IsMIMEType("text/html") {
		t.Error("IsMIMEType accepts types the library never holds")
	}
}

func TestSortOrder(t *testing.T) {
	for _, tc := range []struct {
		in, field string
		desc, ok  bool
	}{
		{"size", "size", false, true},
		{"-created_at", "created_at", true, true},
		{"position", "position", false, true},
		{"colour", "colour", false, false},
		{"--size", "-size", true, false},
	} {
		field, desc := SortOrder(tc.in)
		if field != tc.field || desc != tc.desc || ValidSort(tc.in, MediaSortFields) != tc.ok {
			t.Errorf("%q: %q %v %v", tc.in, field, desc, ValidSort(tc.in, MediaSortFields))
		}
	}
}

// TestCountedByKind: only kind and trash state (with order and paging) may
// be answered from the counters; every other field, including any added
// later, makes the total count rows.
func TestCountedByKind(t *testing.T) {
	if !(MediaFilter{Kind: KindImage, Deleted: DeletedOnly, Sort: "-size", Limit: 24, Offset: 48, Q: "  "}).CountedByKind() {
		t.Errorf("a plain kind filter is not counted by kind")
	}
	counted := map[string]bool{"Kind": true, "Deleted": true, "Sort": true, "Limit": true, "Offset": true}
	// notCounted are the fields known to need a row count. A field in
	// neither list is new: decide whether the counters can answer it (then
	// teach CountedByKind and the counters) and list it in one of the two.
	notCounted := map[string]bool{"ID": true, "MIMETypes": true, "Q": true, "SinceID": true, "ProductID": true,
		"Used": true, "MissingAlt": true, "SHA256": true}
	typ := reflect.TypeOf(MediaFilter{})
	for i := range typ.NumField() {
		field := typ.Field(i)
		if !counted[field.Name] && !notCounted[field.Name] {
			t.Errorf("MediaFilter.%s is new: may the per-kind counters answer its total? List it in counted or notCounted", field.Name)
		}
		if counted[field.Name] {
			continue
		}
		var f MediaFilter
		v := reflect.ValueOf(&f).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString("x")
		case reflect.Int, reflect.Int64:
			v.SetInt(1)
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
		default:
			t.Fatalf("MediaFilter.%s: a %s; teach this test to set it", field.Name, v.Kind())
		}
		if f.CountedByKind() {
			t.Errorf("a filter by %s is answered from the per-kind counters: its total would be wrong", field.Name)
		}
	}
}
