package probe

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// sniffText classifies textual content: SVG, HTML, XML, JSON or plain
// text. It reports false for binary data.
func sniffText(head []byte) (Type, bool) {
	text := toUTF8(head)
	if !isText(text) {
		return Type{}, false
	}
	s := trimSpace(text)
	if len(s) > 0 && s[0] == '<' {
		if t, ok := classifyMarkup(s); ok {
			return t, true
		}
	}
	if isJSON(s) {
		return reject("application/json", "JSON data"), true
	}
	return typeText, true
}

// toUTF8 strips a UTF-8 byte order mark and transcodes UTF-16 (with a byte
// order mark, or markup without one) so that "<svg" is found however it is
// encoded.
func toUTF8(b []byte) []byte {
	switch {
	case hasPrefix(b, "\xef\xbb\xbf"):
		return b[3:]
	case hasPrefix(b, "\xff\xfe"):
		return utf16ToUTF8(b[2:], false)
	case hasPrefix(b, "\xfe\xff"):
		return utf16ToUTF8(b[2:], true)
	case len(b) >= 4 && b[0] == '<' && b[1] == 0 && b[2] != 0 && b[3] == 0:
		return utf16ToUTF8(b, false)
	case len(b) >= 4 && b[0] == 0 && b[1] == '<' && b[2] == 0 && b[3] != 0:
		return utf16ToUTF8(b, true)
	}
	return b
}

func utf16ToUTF8(b []byte, bigEndian bool) []byte {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		if bigEndian {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		} else {
			u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
		}
	}
	out := make([]byte, 0, len(b))
	for _, r := range utf16.Decode(u) {
		if r == utf8.RuneError {
			continue // unpaired surrogate, e.g. the head cut mid-character
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func hasPrefixFold(b []byte, s string) bool {
	return len(b) >= len(s) && bytes.EqualFold(b[:len(s)], []byte(s))
}

// skipPast returns what follows the first occurrence of end, or nil.
func skipPast(b []byte, end string) []byte {
	i := bytes.Index(b, []byte(end))
	if i < 0 {
		return nil
	}
	return b[i+len(end):]
}

// htmlTags are elements that make a document HTML when they come first
// (the WHATWG sniffing list and then some).
var htmlTags = map[string]bool{
	"html": true, "head": true, "script": true, "iframe": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "div": true, "font": true, "table": true, "a": true,
	"style": true, "title": true, "b": true, "body": true, "br": true, "p": true, "meta": true,
	"link": true, "form": true, "img": true, "span": true, "section": true, "main": true,
	"nav": true, "header": true, "footer": true, "article": true, "object": true, "embed": true,
	"base": true, "template": true, "noscript": true, "ul": true, "ol": true, "li": true,
	"pre": true, "input": true, "button": true, "textarea": true, "em": true, "strong": true,
	"i": true, "u": true, "center": true, "frameset": true, "frame": true, "xmp": true,
	"plaintext": true, "video": true, "audio": true, "canvas": true, "math": true,
}

// classifyMarkup looks past the XML declaration, processing instructions,
// comments and the doctype at the first element of s (which starts with
// '<').
func classifyMarkup(s []byte) (Type, bool) {
	whole := s
	sawXML, sawComment := false, false
loop:
	for range 256 {
		s = trimSpace(s)
		switch {
		case len(s) == 0:
			break loop
		case hasPrefixFold(s, "<?xml") && len(s) > 5 && (isSpace(s[5]) || s[5] == '?'):
			sawXML = true
			s = skipPast(s, "?>")
		case hasPrefix(s, "<?"):
			s = skipPast(s, "?>")
		case hasPrefix(s, "<!--"):
			sawComment = true
			s = skipPast(s[4:], "-->")
		case hasPrefix(s, "<![CDATA["):
			s = skipPast(s, "]]>")
		case hasPrefixFold(s, "<!doctype"):
			name := lower(trimSpace(s[9:]))
			switch {
			case bytes.HasPrefix(name, []byte("html")):
				return typeHTML, true
			case bytes.HasPrefix(name, []byte("svg")):
				return typeSVG, true
			}
			s = skipDoctype(s)
		case s[0] == '<':
			name := tagName(s[1:])
			if len(name) == 0 {
				break loop
			}
			local := name
			if i := bytes.LastIndexByte(local, ':'); i >= 0 {
				local = local[i+1:]
			}
			switch {
			case string(local) == "svg":
				return typeSVG, true
			case string(local) == "html":
				return typeHTML, true
			case sawXML:
				return typeXML, true
			case htmlTags[string(name)]:
				return typeHTML, true
			}
			return typeXML, true
		default:
			break loop
		}
		if s == nil {
			break
		}
	}
	l := lower(whole)
	switch {
	case bytes.Contains(l, []byte("<svg")):
		return typeSVG, true
	case bytes.Contains(l, []byte("<html")), bytes.Contains(l, []byte("<script")),
		bytes.Contains(l, []byte("<body")), bytes.Contains(l, []byte("<iframe")):
		return typeHTML, true
	case sawXML:
		return typeXML, true
	case sawComment:
		return typeHTML, true
	}
	return Type{}, false
}

// skipDoctype skips a <!DOCTYPE ...> declaration including an internal
// subset in brackets; nil when it does not end in s.
func skipDoctype(s []byte) []byte {
	gt := bytes.IndexByte(s, '>')
	br := bytes.IndexByte(s, '[')
	if br >= 0 && (gt < 0 || br < gt) {
		rest := skipPast(s[br:], "]")
		if rest == nil {
			return nil
		}
		return skipPast(rest, ">")
	}
	if gt < 0 {
		return nil
	}
	return s[gt+1:]
}

// tagName returns the lower-cased element name at the start of s.
func tagName(s []byte) []byte {
	n := 0
	for n < len(s) && n < 64 {
		c := s[n]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' ||
			n > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.') || c >= 0x80 {
			n++
			continue
		}
		break
	}
	if n == 0 || n < len(s) && !(isSpace(s[n]) || s[n] == '>' || s[n] == '/') {
		return nil
	}
	return lower(s[:n])
}

// isJSON recognises the start of a JSON object or array.
func isJSON(s []byte) bool {
	if len(s) == 0 || s[0] != '{' && s[0] != '[' {
		return false
	}
	rest := trimSpace(s[1:])
	if len(rest) == 0 {
		return true
	}
	c := rest[0]
	if s[0] == '{' {
		return c == '"' || c == '}'
	}
	return c == '{' || c == '[' || c == ']' || c == '"' || c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n'
}
