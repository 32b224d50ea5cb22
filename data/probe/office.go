package probe

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// zipMaxEntries caps the central directory we let archive/zip load (a Word
// file has a few dozen entries, a big workbook a few thousand).
const zipMaxEntries = 20000

// zipMaxDirectory caps the size of the central directory archive/zip loads.
const zipMaxDirectory = 16 << 20

// zipMaxContentTypes caps the uncompressed size of [Content_Types].xml.
const zipMaxContentTypes = 256 << 10

// Content types of the main part of OOXML packages.
var (
	ooxmlWord = map[string]bool{
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": true,
		"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": true,
	}
	ooxmlWordMacro = map[string]bool{
		"application/vnd.ms-word.document.macroenabled.main+xml":         true,
		"application/vnd.ms-word.template.macroenabledtemplate.main+xml": true,
	}
	ooxmlExcel = map[string]bool{
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":    true,
		"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": true,
	}
	ooxmlExcelMacro = map[string]bool{
		"application/vnd.ms-excel.sheet.macroenabled.main+xml":    true,
		"application/vnd.ms-excel.template.macroenabled.main+xml": true,
	}
)

// inspectZIP decides whether a ZIP archive is a DOCX or XLSX package. It
// reads only the central directory and [Content_Types].xml (bounded), so a
// zip bomb costs nothing.
func inspectZIP(src *source, _ []byte, info *Info) error {
	count, dirSize, err := zipDirectorySize(src)
	if err != nil {
		info.Type = reject("application/zip", "ZIP archive")
		return err
	}
	if count > zipMaxEntries || dirSize > zipMaxDirectory {
		info.Type = reject("application/zip", "ZIP archive")
		if count > zipMaxEntries {
			return errorf("the ZIP file has too many entries (%d)", count)
		}
		return &Error{Reason: "the ZIP file's directory is too large"}
	}
	zr, err := zip.NewReader(src.r, src.size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		info.Type = reject("application/zip", "ZIP archive")
		return &Error{Reason: "the ZIP file is corrupt or truncated"}
	}
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if _, dup := files[f.Name]; !dup {
			files[f.Name] = f
		}
	}
	ct := files["[Content_Types].xml"]
	var (
		main  *zip.File
		part  string
		want  Type
		ok    map[string]bool
		macro map[string]bool
		mType Type
	)
	switch {
	case ct != nil && files["word/document.xml"] != nil:
		main, part, want, ok, macro = files["word/document.xml"], "/word/document.xml", typeDOCX, ooxmlWord, ooxmlWordMacro
		mType = reject("application/vnd.ms-word.document.macroEnabled.12", "macro-enabled Word document")
	case ct != nil && files["xl/workbook.xml"] != nil:
		main, part, want, ok, macro = files["xl/workbook.xml"], "/xl/workbook.xml", typeXLSX, ooxmlExcel, ooxmlExcelMacro
		mType = reject("application/vnd.ms-excel.sheet.macroEnabled.12", "macro-enabled Excel workbook")
	default:
		t := zipKind(src, files)
		info.Type = t
		return notAccepted(t, "only Word and Excel documents are accepted")
	}
	if want == typeDOCX {
		src.what = "Word document"
	} else {
		src.what = "Excel spreadsheet"
	}
	contentType, err := zipContentType(src, ct, part)
	if err != nil {
		return err
	}
	switch {
	case macro[contentType]:
		info.Type = mType
		return notAccepted(mType, "macros are not accepted")
	case !ok[contentType]:
		info.Type = reject("application/zip", "ZIP archive")
		return errorf("the %s is corrupt (its main part has the content type %q)", src.what, contentType)
	}
	// The main part's data must lie within the file.
	off, err := main.DataOffset()
	if err != nil {
		return src.truncated()
	}
	if off < 0 || main.CompressedSize64 > uint64(src.size-off) {
		return src.truncated()
	}
	info.Type = want
	return nil
}

// zipKind names a ZIP archive that is not a DOCX/XLSX package.
func zipKind(src *source, files map[string]*zip.File) Type {
	switch {
	case files["ppt/presentation.xml"] != nil:
		return reject("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint presentation")
	case files["xl/workbook.bin"] != nil:
		return reject("application/vnd.ms-excel.sheet.binary.macroEnabled.12", "Excel binary workbook")
	case files["AndroidManifest.xml"] != nil:
		return reject("application/vnd.android.package-archive", "Android app")
	case files["META-INF/MANIFEST.MF"] != nil:
		return reject("application/java-archive", "Java archive")
	case files["mimetype"] != nil:
		m := files["mimetype"]
		var mt string
		if m.UncompressedSize64 <= 128 {
			if rc, err := m.Open(); err == nil {
				b, _ := io.ReadAll(io.LimitReader(rc, 128))
				rc.Close()
				mt = strings.TrimSpace(string(b))
			}
		}
		switch {
		case mt == "application/epub+zip":
			return reject(mt, "EPUB book")
		case mt == "application/vnd.oasis.opendocument.text":
			return reject(mt, "OpenDocument text")
		case mt == "application/vnd.oasis.opendocument.spreadsheet":
			return reject(mt, "OpenDocument spreadsheet")
		case mt == "application/vnd.oasis.opendocument.presentation":
			return reject(mt, "OpenDocument presentation")
		case strings.HasPrefix(mt, "application/vnd.oasis.opendocument."):
			return reject(mt, "OpenDocument file")
		}
	}
	for name := range files {
		if strings.HasPrefix(name, "Payload/") && strings.HasSuffix(name, ".app/Info.plist") {
			return reject("application/octet-stream", "iOS app")
		}
	}
	return reject("application/zip", "ZIP archive")
}

// zipContentType returns the lower-cased content type that
// [Content_Types].xml assigns to part.
func zipContentType(src *source, ct *zip.File, part string) (string, error) {
	if ct.UncompressedSize64 > zipMaxContentTypes {
		return "", src.corrupt("oversized content type list")
	}
	rc, err := ct.Open()
	if err != nil {
		return "", src.corrupt("unreadable content type list")
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, zipMaxContentTypes+1))
	if err != nil || len(b) > zipMaxContentTypes {
		return "", src.corrupt("unreadable content type list")
	}
	var types struct {
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	if err := xml.Unmarshal(b, &types); err != nil {
		return "", src.corrupt("invalid content type list")
	}
	for _, o := range types.Overrides {
		if strings.EqualFold(o.PartName, part) {
			return strings.ToLower(strings.TrimSpace(o.ContentType)), nil
		}
	}
	return "", nil
}

// zipDirectorySize reads the number of entries and the size of the central
// directory from the end of central directory record (ZIP64 aware) so that
// a huge directory is refused before archive/zip allocates for it.
func zipDirectorySize(src *source) (count, size uint64, err error) {
	n := min(src.size, 0xffff+22)
	tail, err := src.at(src.size-n, int(n))
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndex(tail, []byte("PK\x05\x06"))
	for i >= 0 && i+22 > len(tail) {
		i = bytes.LastIndex(tail[:i], []byte("PK\x05\x06"))
	}
	if i < 0 {
		return 0, 0, &Error{Reason: "the ZIP file is truncated (no central directory)"}
	}
	count = uint64(binary.LittleEndian.Uint16(tail[i+10:]))
	size = uint64(binary.LittleEndian.Uint32(tail[i+12:]))
	if count != 0xffff && size != 0xffffffff {
		return count, size, nil
	}
	if i < 20 || string(tail[i-20:i-16]) != "PK\x06\x07" {
		return count, size, nil
	}
	off := binary.LittleEndian.Uint64(tail[i-20+8:])
	if off > uint64(src.size) {
		return 0, 0, &Error{Reason: "the ZIP file is corrupt or truncated"}
	}
	rec, err := src.at(int64(off), 56)
	if err != nil {
		return 0, 0, err
	}
	if string(rec[:4]) != "PK\x06\x06" {
		return 0, 0, &Error{Reason: "the ZIP file is corrupt or truncated"}
	}
	return binary.LittleEndian.Uint64(rec[32:]), binary.LittleEndian.Uint64(rec[40:]), nil
}
