package data

import "slices"

// Kind is the broad kind of a media item.
type Kind string

// The kinds of media. Everything else about a kind (its names, what a file
// picker offers, its default size limit) is its row of KindTable.
const (
	KindImage    Kind = "image"
	KindVideo    Kind = "video"
	KindAudio    Kind = "audio"
	KindDocument Kind = "document"
)

// KindInfo is what the server, the API document, the configuration and the
// UI know about a kind. Adding a kind is a row here, its types in FileTypes,
// its sniffing in data/probe, and its --max-KIND-mb row in the README; the
// media table's CHECK on kind follows this table by itself (storage widens
// it when the database is opened).
type KindInfo struct {
	Kind   Kind
	Label  string // a card's badge: "Image"
	Tab    string // the library's tab: "Images"
	Plural string // in messages: "the 25 MB limit for images"
	Icon   string // the name views.Icon draws it by
	// Accept is what a file picker offers for the kind (the accept=
	// attribute) and how app.js tells a chosen file's kind from its
	// browser-given type: "image/*" matches a prefix; ".pdf" only offers.
	Accept []string
	// MaxBytes is the default upload limit (the --max-KIND-mb setting).
	MaxBytes int64
}

// KindTable lists every kind, in the order the UI shows them.
var KindTable = []KindInfo{
	{Kind: KindImage, Label: "Image", Tab: "Images", Plural: "images", Icon: "photo",
		Accept: []string{"image/*"}, MaxBytes: 25 << 20},
	{Kind: KindVideo, Label: "Video", Tab: "Videos", Plural: "videos", Icon: "video",
		Accept: []string{"video/*"}, MaxBytes: 100 << 20},
	{Kind: KindAudio, Label: "Audio", Tab: "Audio", Plural: "audios", Icon: "audio",
		Accept: []string{"audio/*"}, MaxBytes: 50 << 20},
	{Kind: KindDocument, Label: "Document", Tab: "Documents", Plural: "documents", Icon: "document",
		Accept: []string{".pdf", ".doc", ".docx", ".xls", ".xlsx"}, MaxBytes: 20 << 20},
}

// FileType is a type a media item can have, sniffed from its bytes.
type FileType struct {
	MIME string
	Ext  string // canonical, without the dot
	Kind Kind
}

// FileTypes lists every type the library holds.
var FileTypes = []FileType{
	{"image/jpeg", "jpg", KindImage},
	{"image/png", "png", KindImage},
	{"image/gif", "gif", KindImage},
	{"image/webp", "webp", KindImage},
	{"application/pdf", "pdf", KindDocument},
	{"application/msword", "doc", KindDocument},
	{"application/vnd.ms-excel", "xls", KindDocument},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", KindDocument},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", KindDocument},
	{"video/mp4", "mp4", KindVideo},
	{"video/quicktime", "mov", KindVideo},
	{"video/webm", "webm", KindVideo},
	{"audio/mpeg", "mp3", KindAudio},
	{"audio/mp4", "m4a", KindAudio},
}

// Kinds lists every kind, in the order the UI shows them.
var Kinds = func() []Kind {
	out := make([]Kind, len(KindTable))
	for i, k := range KindTable {
		out[i] = k.Kind
	}
	return out
}()

// MIMETypes are the types a media item can have (sniffed from the bytes): the
// values of the mime_type filter.
var MIMETypes = func() []string {
	out := make([]string, len(FileTypes))
	for i, t := range FileTypes {
		out[i] = t.MIME
	}
	return out
}()

// ParseKind validates a kind name.
func ParseKind(s string) (Kind, bool) {
	if slices.Contains(Kinds, Kind(s)) {
		return Kind(s), true
	}
	return "", false
}

// Info is the kind's row of KindTable (the zero KindInfo for an unknown kind).
func (k Kind) Info() KindInfo {
	for _, ki := range KindTable {
		if ki.Kind == k {
			return ki
		}
	}
	return KindInfo{}
}

// Plural is the kind's plural noun for messages ("images").
func (k Kind) Plural() string {
	if p := k.Info().Plural; p != "" {
		return p
	}
	return string(k) + "s"
}

// Types are the MIME types of the kind's FileTypes.
func (k Kind) Types() []string {
	var out []string
	for _, t := range FileTypes {
		if t.Kind == k {
			out = append(out, t.MIME)
		}
	}
	return out
}

// IsMIMEType reports whether t is one of MIMETypes.
func IsMIMEType(t string) bool {
	return slices.Contains(MIMETypes, t)
}

// ExtForMIME returns the canonical extension (no dot) of an accepted MIME
// type, "bin" for any other.
func ExtForMIME(mime string) string {
	for _, t := range FileTypes {
		if t.MIME == mime {
			return t.Ext
		}
	}
	return "bin"
}
