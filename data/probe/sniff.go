package probe

import (
	"bytes"
	"encoding/binary"
)

// Accepted types. Inspect dispatches on these exact values.
var (
	typeJPEG = Type{MIME: "image/jpeg", Kind: "image", Ext: "jpg", Label: "JPEG image", Accepted: true}
	typePNG  = Type{MIME: "image/png", Kind: "image", Ext: "png", Label: "PNG image", Accepted: true}
	typeGIF  = Type{MIME: "image/gif", Kind: "image", Ext: "gif", Label: "GIF image", Accepted: true}
	typeWebP = Type{MIME: "image/webp", Kind: "image", Ext: "webp", Label: "WebP image", Accepted: true}

	typePDF  = Type{MIME: "application/pdf", Kind: "document", Ext: "pdf", Label: "PDF document", Accepted: true}
	typeDOC  = Type{MIME: "application/msword", Kind: "document", Ext: "doc", Label: "Word document", Accepted: true}
	typeXLS  = Type{MIME: "application/vnd.ms-excel", Kind: "document", Ext: "xls", Label: "Excel spreadsheet", Accepted: true}
	typeDOCX = Type{MIME: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Kind: "document", Ext: "docx", Label: "Word document", Accepted: true}
	typeXLSX = Type{MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Kind: "document", Ext: "xlsx", Label: "Excel spreadsheet", Accepted: true}

	// typeZIP and typeCFB are provisional: Inspect refines them to
	// DOCX/XLSX and DOC/XLS or rejects them.
	typeZIP = Type{MIME: "application/zip", Kind: "document", Ext: "zip", Label: "ZIP archive", Accepted: true}
	typeCFB = Type{MIME: "application/x-ole-storage", Kind: "document", Ext: "cfb", Label: "Office document", Accepted: true}

	typeMP4  = Type{MIME: "video/mp4", Kind: "video", Ext: "mp4", Label: "MP4 video", Accepted: true}
	typeMOV  = Type{MIME: "video/quicktime", Kind: "video", Ext: "mov", Label: "QuickTime video", Accepted: true}
	typeWebM = Type{MIME: "video/webm", Kind: "video", Ext: "webm", Label: "WebM video", Accepted: true}
	typeM4A  = Type{MIME: "audio/mp4", Kind: "audio", Ext: "m4a", Label: "MP4 audio", Accepted: true}
	typeMP3  = Type{MIME: "audio/mpeg", Kind: "audio", Ext: "mp3", Label: "MP3 audio", Accepted: true}
)

// Rejected types that code refers to in several places.
var (
	typeEmpty   = reject("application/x-empty", "empty file")
	typeUnknown = reject("application/octet-stream", "unknown binary data")
	typeText    = reject("text/plain", "plain text")
	typeHTML    = reject("text/html", "HTML document")
	typeSVG     = reject("image/svg+xml", "SVG image")
	typeXML     = reject("application/xml", "XML document")
	typeFLAC    = reject("audio/flac", "FLAC audio")
	typeAAC     = reject("audio/aac", "AAC audio")
)

// reject returns a not-accepted Type.
func reject(mime, label string) Type {
	return Type{MIME: mime, Label: label}
}

// magic is a fixed signature at a fixed offset.
type magic struct {
	off  int
	sig  string
	typ  Type
	more func(head []byte) bool // optional extra check
}

// magics are simple signatures of types we reject, checked in order after
// the accepted types.
var magics = []magic{
	{0, "II*\x00", reject("image/tiff", "TIFF image"), nil},
	{0, "MM\x00*", reject("image/tiff", "TIFF image"), nil},
	{0, "II+\x00", reject("image/tiff", "BigTIFF image"), nil},
	{0, "MM\x00+", reject("image/tiff", "BigTIFF image"), nil},
	{0, "IIRO", reject("image/x-olympus-orf", "camera RAW photo"), nil},
	{0, "IIU\x00", reject("image/x-panasonic-rw2", "camera RAW photo"), nil},
	{0, "FUJIFILMCCD-RAW", reject("image/x-fuji-raf", "camera RAW photo"), nil},
	{0, "BM", reject("image/bmp", "BMP image"), isBMP},
	{0, "\x00\x00\x01\x00", reject("image/vnd.microsoft.icon", "ICO icon"), isICO},
	{0, "\x00\x00\x02\x00", reject("image/vnd.microsoft.icon", "Windows cursor"), isICO},
	{0, "8BPS", reject("image/vnd.adobe.photoshop", "Photoshop document"), nil},
	{0, "gimp xcf", reject("image/x-xcf", "GIMP image"), nil},
	{0, "\x00\x00\x00\x0cjP  \r\n\x87\n", reject("image/jp2", "JPEG 2000 image"), nil},
	{0, "\xff\x4f\xff\x51", reject("image/jp2", "JPEG 2000 image"), nil},
	{0, "\x00\x00\x00\x0cJXL \r\n\x87\n", reject("image/jxl", "JPEG XL image"), nil},
	{0, "\xff\x0a", reject("image/jxl", "JPEG XL image"), nil},
	{0, "qoif", reject("image/qoi", "QOI image"), nil},
	{0, "\x76\x2f\x31\x01", reject("image/x-exr", "OpenEXR image"), nil},
	{0, "#?RADIANCE", reject("image/vnd.radiance", "Radiance HDR image"), nil},
	{0, "AT&TFORM", reject("image/vnd.djvu", "DjVu document"), nil},
	{0, "\xc5\xd0\xd3\xc6", reject("application/postscript", "EPS image"), nil},
	{0, "%!PS", reject("application/postscript", "PostScript document"), nil},
	{0, "{\\rtf", reject("application/rtf", "RTF document"), nil},

	{0, "\x1f\x8b", reject("application/gzip", "gzip archive"), nil},
	{0, "7z\xbc\xaf\x27\x1c", reject("application/x-7z-compressed", "7z archive"), nil},
	{0, "Rar!\x1a\x07", reject("application/vnd.rar", "RAR archive"), nil},
	{0, "BZh", reject("application/x-bzip2", "bzip2 archive"), isBzip2},
	{0, "\xfd7zXZ\x00", reject("application/x-xz", "xz archive"), nil},
	{0, "\x28\xb5\x2f\xfd", reject("application/zstd", "Zstandard archive"), nil},
	{0, "\x04\x22\x4d\x18", reject("application/x-lz4", "LZ4 archive"), nil},
	{0, "MSCF\x00\x00\x00\x00", reject("application/vnd.ms-cab-compressed", "Windows cabinet archive"), nil},
	{0, "!<arch>\n", reject("application/x-archive", "ar archive"), nil},
	{0, "xar!", reject("application/x-xar", "XAR archive"), nil},
	{0, "\xed\xab\xee\xdb", reject("application/x-rpm", "RPM package"), nil},
	{257, "ustar", reject("application/x-tar", "tar archive"), nil},
	{0, "koly", reject("application/x-apple-diskimage", "disk image"), nil},

	{0, "\x7fELF", reject("application/x-elf", "Linux executable"), nil},
	{0, "\xfe\xed\xfa\xce", reject("application/x-mach-binary", "macOS executable"), nil},
	{0, "\xfe\xed\xfa\xcf", reject("application/x-mach-binary", "macOS executable"), nil},
	{0, "\xce\xfa\xed\xfe", reject("application/x-mach-binary", "macOS executable"), nil},
	{0, "\xcf\xfa\xed\xfe", reject("application/x-mach-binary", "macOS executable"), nil},
	{0, "\xca\xfe\xba\xbe", reject("application/x-mach-binary", "macOS executable"), isFatMachO},
	{0, "\xca\xfe\xba\xbe", reject("application/java-vm", "Java class file"), nil},
	{0, "\x00asm", reject("application/wasm", "WebAssembly module"), nil},
	{0, "dex\n", reject("application/vnd.android.dex", "Android executable"), nil},
	{0, "MZ", reject("application/vnd.microsoft.portable-executable", "Windows executable"), isMZ},
	{0, "#!AMR", reject("audio/amr", "AMR audio"), nil},
	{0, "#!", reject("text/x-shellscript", "shell script"), nil},
	{0, "FWS", reject("application/x-shockwave-flash", "Flash file"), isSWF},
	{0, "CWS", reject("application/x-shockwave-flash", "Flash file"), isSWF},
	{0, "ZWS", reject("application/x-shockwave-flash", "Flash file"), isSWF},
	{0, "FLV\x01", reject("video/x-flv", "Flash video"), nil},
	{0, "SQLite format 3\x00", reject("application/vnd.sqlite3", "SQLite database"), nil},
	{0, "\x00\x01\x00\x00\x00", reject("font/ttf", "font file"), isFont},
	{0, "OTTO", reject("font/otf", "font file"), nil},
	{0, "true", reject("font/ttf", "font file"), isFont},
	{0, "ttcf", reject("font/collection", "font file"), nil},
	{0, "wOFF", reject("font/woff", "font file"), nil},
	{0, "wOF2", reject("font/woff2", "font file"), nil},
	{0, "L\x00\x00\x00\x01\x14\x02\x00", reject("application/x-ms-shortcut", "Windows shortcut"), nil},
	{0, "-----BEGIN PGP", reject("application/pgp-encrypted", "PGP data"), nil},

	{0, "fLaC", typeFLAC, nil},
	{0, "OggS", reject("audio/ogg", "Ogg audio"), nil},
	{0, "FORM", reject("audio/aiff", "AIFF audio"), isAIFF},
	{0, "MThd", reject("audio/midi", "MIDI audio"), nil},
	{0, ".snd", reject("audio/basic", "Sun audio"), nil},
	{0, "MAC ", reject("audio/x-ape", "Monkey's Audio"), nil},
	{0, "wvpk", reject("audio/x-wavpack", "WavPack audio"), nil},
	{0, ".RMF", reject("application/vnd.rn-realmedia", "RealMedia file"), nil},
	{0, "\x30\x26\xb2\x75\x8e\x66\xcf\x11", reject("video/x-ms-asf", "Windows Media file"), nil},
	{0, "\x00\x00\x01\xba", reject("video/mpeg", "MPEG video"), nil},
	{0, "\x00\x00\x01\xb3", reject("video/mpeg", "MPEG video"), nil},
	{0, "\x47", reject("video/mp2t", "MPEG transport stream"), isTS},
}

// Sniff identifies the type from the first bytes (len(head) <= HeadSize; only
// the first HeadSize bytes are looked at). A 0-byte head is "empty file", not
// accepted. For ZIP- and OLE/CFB-based containers it returns a provisional,
// accepted Type (MIME "application/zip" Ext "zip", or MIME
// "application/x-ole-storage" Ext "cfb") that Inspect refines or rejects.
// MP3 is also provisional when the frames are hidden behind a large ID3 tag:
// Inspect verifies the frames.
func Sniff(head []byte) Type {
	if len(head) > HeadSize {
		head = head[:HeadSize]
	}
	if len(head) == 0 {
		return typeEmpty
	}
	switch {
	case hasPrefix(head, "\xff\xd8\xff"):
		return typeJPEG
	case hasPrefix(head, "\x89PNG\r\n\x1a\n"):
		return typePNG
	case hasPrefix(head, "GIF87a"), hasPrefix(head, "GIF89a"):
		return typeGIF
	case hasPrefix(head, "RIFF"):
		return sniffRIFF(head)
	case hasPrefix(head, "%PDF-"):
		return typePDF
	case hasPrefix(head, cfbMagic):
		return typeCFB
	case hasPrefix(head, "PK\x03\x04"):
		return typeZIP
	case hasPrefix(head, "PK\x05\x06"), hasPrefix(head, "PK\x07\x08"):
		return reject("application/zip", "ZIP archive")
	case hasPrefix(head, "\x1a\x45\xdf\xa3"):
		return sniffEBML(head)
	}
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		return sniffFtyp(head)
	}
	if isQuickTimeWithoutFtyp(head) {
		return typeMOV
	}
	if t, ok := sniffMP3(head); ok {
		return t
	}
	for _, m := range magics {
		if m.off+len(m.sig) <= len(head) && string(head[m.off:m.off+len(m.sig)]) == m.sig && (m.more == nil || m.more(head)) {
			return m.typ
		}
	}
	if t, ok := sniffText(head); ok {
		return t
	}
	if hasPrefix(head, "MZ") {
		return reject("application/x-msdownload", "Windows executable")
	}
	return typeUnknown
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

// sniffRIFF tells the RIFF forms apart.
func sniffRIFF(head []byte) Type {
	if len(head) < 12 {
		return reject("application/octet-stream", "RIFF file")
	}
	switch string(head[8:12]) {
	case "WEBP":
		return typeWebP
	case "WAVE":
		return reject("audio/wav", "WAV audio")
	case "AVI ":
		return reject("video/x-msvideo", "AVI video")
	case "RMID":
		return reject("audio/midi", "MIDI audio")
	case "ACON":
		return reject("application/x-navi-animation", "animated cursor")
	case "CDXA":
		return reject("video/mpeg", "Video CD file")
	}
	return reject("application/octet-stream", "RIFF file")
}

// Brand groups of ISO base media files.
var (
	brandsHEIF = []string{"heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "mif2", "msf1", "heif"}
	brandsAVIF = []string{"avif", "avis"}
	brandsM4A  = []string{"M4A ", "M4B ", "M4P ", "F4A ", "F4B "}
	brandsMP4  = []string{
		"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9",
		"mp41", "mp42", "mp71", "avc1", "dash", "mmp4", "MSNV", "M4V ", "M4VH", "M4VP", "f4v ", "F4V ", "F4P ",
		"NDAS", "NDSC", "NDSH", "NDSM", "NDSP", "NDSS", "NDXC", "NDXH", "NDXM", "NDXP", "NDXS",
		"XAVC", "cmfc", "cmf2", "MP4 ",
	}
)

func brandIn(b string, set []string) bool {
	for _, s := range set {
		if b == s {
			return true
		}
	}
	return false
}

// sniffFtyp classifies an ISO base media file by its ftyp brands.
func sniffFtyp(head []byte) Type {
	major := string(head[8:12])
	var compat []string
	end := min(int(binary.BigEndian.Uint32(head)), len(head))
	for p := 16; p+4 <= end; p += 4 {
		compat = append(compat, string(head[p:p+4]))
	}
	heic := reject("image/heic", "HEIC photo")
	avif := reject("image/avif", "AVIF image")
	anyIn := func(set []string) bool {
		for _, b := range compat {
			if brandIn(b, set) {
				return true
			}
		}
		return false
	}
	switch {
	case brandIn(major, brandsAVIF):
		return avif
	case brandIn(major, brandsHEIF):
		if anyIn(brandsAVIF) {
			return avif
		}
		return heic
	case major == "qt  ":
		return typeMOV
	case brandIn(major, brandsM4A):
		return typeM4A
	case brandIn(major, brandsMP4):
		return typeMP4
	case major == "crx ":
		return reject("image/x-canon-cr3", "camera RAW photo")
	case major == "jp2 ", major == "jpx ", major == "jpm ":
		return reject("image/jp2", "JPEG 2000 image")
	case major == "jxl ":
		return reject("image/jxl", "JPEG XL image")
	}
	switch {
	case anyIn(brandsAVIF):
		return avif
	case anyIn(brandsHEIF):
		return heic
	case anyIn([]string{"qt  "}):
		return typeMOV
	case anyIn(brandsMP4):
		return typeMP4
	case anyIn(brandsM4A):
		return typeM4A
	}
	if major[:3] == "3gp" || major[:3] == "3g2" {
		return reject("video/3gpp", "3GPP video")
	}
	return reject("application/octet-stream", "unsupported MP4-family file")
}

// isQuickTimeWithoutFtyp recognises old QuickTime files that start directly
// with a moov, mdat, wide, free, skip or pnot atom.
func isQuickTimeWithoutFtyp(head []byte) bool {
	p := 0
	for i := 0; i < 16 && p+8 <= len(head); i++ {
		size := uint64(binary.BigEndian.Uint32(head[p:]))
		typ := string(head[p+4 : p+8])
		hdr := uint64(8)
		if size == 1 {
			if p+16 > len(head) {
				return false
			}
			size, hdr = binary.BigEndian.Uint64(head[p+8:]), 16
		}
		if size != 0 && size < hdr {
			return false
		}
		switch typ {
		case "moov", "mdat":
			return true
		case "wide", "free", "skip", "pnot":
			// padding and preview atoms: moov or mdat must follow in the head
		default:
			return false
		}
		if size == 0 || size > uint64(len(head)-p) {
			return false
		}
		p += int(size)
	}
	return false
}

// sniffEBML reads the EBML header's DocType.
func sniffEBML(head []byte) Type {
	switch ebmlDocType(head) {
	case "webm":
		return typeWebM
	case "matroska":
		return reject("video/x-matroska", "Matroska video")
	}
	return reject("application/octet-stream", "EBML file")
}

// Extra checks for weak signatures.

func isBMP(h []byte) bool {
	if len(h) < 18 {
		return false
	}
	if binary.LittleEndian.Uint32(h[6:]) != 0 {
		return false
	}
	switch binary.LittleEndian.Uint32(h[14:]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

func isICO(h []byte) bool {
	if len(h) < 22 {
		return false
	}
	n := binary.LittleEndian.Uint16(h[4:])
	return n > 0 && h[9] == 0 // reserved byte of the first entry
}

func isBzip2(h []byte) bool {
	return len(h) >= 10 && h[3] >= '1' && h[3] <= '9' && (string(h[4:10]) == "\x31\x41\x59\x26\x53\x59" || string(h[4:10]) == "\x17\x72\x45\x38\x50\x90")
}

func isFatMachO(h []byte) bool {
	// A fat Mach-O binary has a small architecture count where a Java
	// class file has its version (45 or more).
	return len(h) >= 8 && binary.BigEndian.Uint32(h[4:]) < 40
}

func isMZ(h []byte) bool {
	if len(h) < 64 {
		return false
	}
	off := int(binary.LittleEndian.Uint32(h[0x3c:]))
	if off >= 64 && off+4 <= len(h) && string(h[off:off+4]) == "PE\x00\x00" {
		return true
	}
	return !isText(h)
}

func isSWF(h []byte) bool { return len(h) >= 8 && h[3] > 0 && h[3] < 60 }

func isFont(h []byte) bool {
	if len(h) < 12 {
		return false
	}
	n := binary.BigEndian.Uint16(h[4:])
	return n > 0 && n < 100
}

func isAIFF(h []byte) bool {
	return len(h) >= 12 && (string(h[8:12]) == "AIFF" || string(h[8:12]) == "AIFC")
}

func isTS(h []byte) bool {
	// At least three sync bytes 188 bytes apart.
	if len(h) < 3*188+1 {
		return false
	}
	return h[188] == 0x47 && h[376] == 0x47 && h[564] == 0x47
}

// isBinaryByte reports bytes that never occur in text (as in the WHATWG
// MIME sniffing standard).
func isBinaryByte(b byte) bool {
	return b <= 0x08 || b == 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)
}

// isText reports whether b has no binary bytes.
func isText(b []byte) bool {
	for _, c := range b {
		if isBinaryByte(c) {
			return false
		}
	}
	return true
}

// lower returns an ASCII-lowercased copy.
func lower(b []byte) []byte {
	return bytes.ToLower(b)
}
