package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/textproto"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gallerist/data"
)

// The porting guide, docs/coming-from.md, is executable: these tests read it
// and check every claim it makes against a real Gallerist.
//
//   - A worked request starts with an anchor line <a id="ex-NAME"></a>; its
//     steps are the ```sh blocks (one curl command each) that follow, each
//     followed by an ```http block showing the answer, up to the next heading
//     or anchor. TestPortingGuideExamples runs every step, in order, against a
//     fresh store holding the guide's fixture, and checks the status, the
//     headers shown and every field of the body shown (see matchShown). A
//     step NAME=$(curl ...) keeps a header or JSON value for later steps; an
//     anchor's data-setup names extra fixture (newPortingFixture). Run with
//     PORTING_DUMP=1 and -v to print the real answers when writing the guide.
//   - A mapping table is a table with an "Example" column. Each row must link
//     to worked requests, and every `code` name in its "Gallerist" column must
//     appear in what those requests send or get back (TestPortingGuideMappings).
//   - A spelling table is a table with a "Sent to Gallerist" column: each row
//     is sent as is and its answer (status, code, the parameter or field
//     named, and what to use instead) is checked (TestPortingGuideSpellings).
const portingGuide = "docs/coming-from.md"

// guideBase is the server the guide's examples talk to ($GALLERIST), also
// the public URL of its files; guideImportHost stands for the web server
// URL imports fetch from.
const (
	guideBase       = "https://media.example.com"
	guideImportHost = "https://images.example.net"
)

type guide struct {
	lines    []string
	headings []guideHeading
	anchors  map[string]int // anchor id → line
	examples []*guideExample
	tables   []*guideTable
	links    []guideLink
}

type guideHeading struct {
	level      int
	text, slug string
	line       int
}

type guideLink struct {
	frag string
	line int
}

type guideExample struct {
	id, section, setup string
	line               int
	steps              []*guideStep
}

type guideStep struct {
	line     int
	curl     string // the command as written
	response string // the ```http block
}

type guideTable struct {
	section string
	line    int
	header  []string
	rows    [][]string
	rowLine []int
}

func (t *guideTable) col(name string) int {
	for i, h := range t.header {
		if strings.EqualFold(strings.TrimSpace(h), name) {
			return i
		}
	}
	return -1
}

var (
	anchorRE  = regexp.MustCompile(`^<a id="(ex-[a-z0-9-]+)"(?: data-setup="([a-z-]+)")?></a>\s*$`)
	headingRE = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*$`)
	linkRE    = regexp.MustCompile(`\]\(#([^)\s]+)\)`)
	fenceRE   = regexp.MustCompile("^```\\s*([a-z]*)")
)

// slugOf is the anchor GitHub gives a heading.
func slugOf(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func readGuide(t testing.TB) *guide {
	t.Helper()
	b, err := os.ReadFile(portingGuide)
	if err != nil {
		t.Fatal(err)
	}
	g, err := parseGuide(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// parseGuide reads the guide's headings, anchors, worked requests, tables and links.
func parseGuide(src string) (*guide, error) {
	g := &guide{lines: strings.Split(src, "\n"), anchors: map[string]int{}}
	var cur *guideExample
	var pending *guideStep
	section := ""
	slugs := map[string]int{}
	for i := 0; i < len(g.lines); i++ {
		line := g.lines[i]
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			start := i
			var body []string
			for i++; i < len(g.lines) && !strings.HasPrefix(g.lines[i], "```"); i++ {
				body = append(body, g.lines[i])
			}
			if i == len(g.lines) {
				return nil, fmt.Errorf("line %d: unclosed code block", start+1)
			}
			text := strings.Join(body, "\n")
			switch lang := m[1]; {
			case lang == "sh" && strings.Contains(text, "$GALLERIST"):
				if cur == nil {
					return nil, fmt.Errorf("line %d: a request to $GALLERIST outside a worked request (no <a id=\"ex-...\"> before it)", start+1)
				}
				if pending != nil {
					return nil, fmt.Errorf("line %d: request without an ```http answer after it", pending.line)
				}
				pending = &guideStep{line: start + 1, curl: text}
			case lang == "http" && cur != nil:
				if pending == nil {
					return nil, fmt.Errorf("line %d: an ```http answer without a request before it", start+1)
				}
				pending.response = text
				cur.steps = append(cur.steps, pending)
				pending = nil
			}
			continue
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			if pending != nil {
				return nil, fmt.Errorf("line %d: request without an ```http answer after it", pending.line)
			}
			cur = nil
			slug := slugOf(m[2])
			if n := slugs[slug]; n > 0 {
				slugs[slug]++
				slug = fmt.Sprintf("%s-%d", slug, n)
			} else {
				slugs[slug] = 1
			}
			h := guideHeading{level: len(m[1]), text: m[2], slug: slug, line: i + 1}
			g.headings = append(g.headings, h)
			if h.level == 2 {
				section = h.text
			}
			continue
		}
		if m := anchorRE.FindStringSubmatch(line); m != nil {
			if pending != nil {
				return nil, fmt.Errorf("line %d: request without an ```http answer after it", pending.line)
			}
			if _, dup := g.anchors[m[1]]; dup {
				return nil, fmt.Errorf("line %d: anchor %s given twice", i+1, m[1])
			}
			g.anchors[m[1]] = i + 1
			cur = &guideExample{id: m[1], section: section, setup: m[2], line: i + 1}
			g.examples = append(g.examples, cur)
			continue
		}
		if strings.HasPrefix(line, "<a id=") {
			return nil, fmt.Errorf("line %d: malformed anchor %q", i+1, line)
		}
		for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
			g.links = append(g.links, guideLink{frag: m[1], line: i + 1})
		}
		if strings.HasPrefix(line, "|") {
			tb := &guideTable{section: section, line: i + 1, header: splitRow(line)}
			if i+1 < len(g.lines) && strings.HasPrefix(g.lines[i+1], "|") && strings.Contains(g.lines[i+1], "---") {
				i++
			}
			for i+1 < len(g.lines) && strings.HasPrefix(g.lines[i+1], "|") {
				i++
				tb.rows = append(tb.rows, splitRow(g.lines[i]))
				tb.rowLine = append(tb.rowLine, i+1)
				for _, m := range linkRE.FindAllStringSubmatch(g.lines[i], -1) {
					g.links = append(g.links, guideLink{frag: m[1], line: i + 1})
				}
			}
			g.tables = append(g.tables, tb)
		}
	}
	if pending != nil {
		return nil, fmt.Errorf("line %d: request without an ```http answer after it", pending.line)
	}
	for _, ex := range g.examples {
		if len(ex.steps) == 0 {
			return nil, fmt.Errorf("line %d: worked request %s has no request", ex.line, ex.id)
		}
	}
	return g, nil
}

// splitRow splits a table row into cells: at | outside `code`, not after a backslash.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	var cells []string
	var cur strings.Builder
	inCode := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case c == '`':
			inCode = !inCode
			cur.WriteByte(c)
		case c == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

var codeSpanRE = regexp.MustCompile("`([^`]+)`")

func codeSpans(cell string) []string {
	var out []string
	for _, m := range codeSpanRE.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// The fixture: the store every worked request starts from (the guide's
// "The examples' store" section describes it).
type portingFixture struct {
	*testEnv
	vars    map[string]string // $TOKEN, $READ_TOKEN, $GALLERIST
	imports *httptest.Server
}

// portingFiles are the files the guide's curl commands upload (-F file=@NAME).
func portingFiles(t testing.TB) map[string][]byte {
	t.Helper()
	huge := readFile(t, goImageTestdata("video-001.q50.440.jpeg"))
	huge = append(huge, make([]byte, 26<<20)...)
	return map[string][]byte{
		"mug-detail.jpg": readFile(t, goImageTestdata("video-001.q50.444.jpeg")),
		"mug-lid.jpg":    readFile(t, goImageTestdata("video-001.q50.422.jpeg")),
		"bowl.png":       readFile(t, goImageTestdata("video-001.rgb.png")),
		"bowl.webp":      xImageTestdata(t, "blue-purple-pink.lossy.webp"),
		"notes.txt":      []byte("Dishwasher safe. Not for the microwave.\n"),
		"huge-photo.jpg": huge,
	}
}

// portingRemote are the images the guide imports from guideImportHost.
func portingRemote(t testing.TB) map[string][]byte {
	t.Helper()
	return map[string][]byte{
		"/charmander.jpg": readFile(t, goImageTestdata("video-001.q50.410.jpeg")),
		"/mug-handle.jpg": readFile(t, goImageTestdata("video-001.q50.411.jpeg")),
	}
}

func newPortingFixture(t testing.TB, setup string) *portingFixture {
	t.Helper()
	remote := portingRemote(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := remote[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	e := newTestEnv(t, func(c *config) {
		c.publicURL = guideBase
		c.fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		c.fetch.Timeout = 10 * time.Second
	})
	tok := e.token(t, 0)
	f := &portingFixture{testEnv: e, imports: srv, vars: map[string]string{
		"GALLERIST": guideBase, "TOKEN": tok, "READ_TOKEN": e.token(t, 0, data.ScopeMediaRead),
		"CATALOG_TOKEN": e.token(t, 0, data.ScopeProductsRead, data.ScopeProductsWrite),
	}}
	must := func(r *resp, status int, what string) map[string]any {
		t.Helper()
		if r.Status != status {
			t.Fatalf("fixture: %s: %d %s", what, r.Status, r.Body)
		}
		return r.json(t)
	}
	for _, up := range []struct {
		name string
		body []byte
	}{
		{"care-guide.pdf", minimalPDF()},                                             // media 1
		{"unboxing.mp4", append(mp4Header(640, 360, 2500, 16), make([]byte, 16)...)}, // media 2
		{"mug-front.jpg", readFile(t, goImageTestdata("video-001.jpeg"))},            // media 3
		{"mug-side.jpg", readFile(t, goImageTestdata("video-001.q50.420.jpeg"))},     // media 4
		{"mug-back.jpg", readFile(t, goImageTestdata("video-001.progressive.jpeg"))}, // media 5
		{"logo.png", readFile(t, goImageTestdata("video-001.png"))},                  // media 6
	} {
		e.uploadOK(t, tok, up.name, up.body)
	}
	must(e.sendJSON(t, "PATCH", "/api/media/3", tok, map[string]any{"alt": "Red mug, front view"}), 200, "alt")
	must(e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "Red mug", "handle": "red-mug", "status": "active"}), 201, "product 1")
	must(e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "Blue bowl", "handle": "blue-bowl", "status": "active"}), 201, "product 2")
	for _, mid := range []int64{3, 4, 5} { // gallery images 1, 2, 3
		e.attachOK(t, tok, 1, mid)
	}
	must(e.sendJSON(t, "POST", "/api/products/1/variants", tok, map[string]any{"title": "Large", "sku": "MUG-L", "options": map[string]string{"Size": "Large"}}), 201, "variant")
	must(e.sendJSON(t, "PUT", "/api/products/1/variants/1/image", tok, map[string]any{"image_id": 1}), 200, "variant image")
	must(e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Kitchen", "handle": "kitchen", "media_id": 3}), 201, "collection")
	switch setup {
	case "":
	case "full-gallery": // product 1's gallery at its limit
		ids := e.seedImages(t, e.cfg.limits.MaxGalleryImages-3)
		ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "seed"})
		if _, err := e.app.catalog.AttachMedia(ctx, 1, data.GalleryAttach{MediaIDs: ids}); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown setup %q", setup)
	}
	return f
}

// guideRequest is a curl command of the guide, read as curl would send it.
type guideRequest struct {
	method, target string // target: path and query
	header         http.Header
	body           []byte
	bodyText       string   // the body as written (files by name), for evidence
	formFields     []string // multipart field names

	// A step written NAME=$(curl ... -w '%header{h}') or NAME=$(curl ... | jq -r '.path')
	// sets $NAME, for later steps, to that header or JSON value of its answer.
	capture, captureHeader, captureJQ string
}

var captureRE = regexp.MustCompile(`(?s)^([A-Z_]+)=\$\((curl\b.*?)(?:\s*\|\s*jq -r '([^']+)')?\)\s*$`)

// shellWords splits a command line as a POSIX shell would (quotes, \
// continuations), expanding $NAME and ${NAME} through lookup outside single quotes.
func shellWords(s string, lookup func(string) (string, bool)) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	expand := func(i int) (int, error) { // s[i] == '$'
		j := i + 1
		brace := j < len(s) && s[j] == '{'
		if brace {
			j++
		}
		k := j
		for k < len(s) && (s[k] == '_' || ('A' <= s[k] && s[k] <= 'Z') || ('a' <= s[k] && s[k] <= 'z') || ('0' <= s[k] && s[k] <= '9')) {
			k++
		}
		name := s[j:k]
		if name == "" { // a literal $, as in ?$limit=10 inside double quotes
			cur.WriteByte('$')
			return i + 1, nil
		}
		if brace {
			if k >= len(s) || s[k] != '}' {
				return 0, fmt.Errorf("unclosed ${")
			}
			k++
		}
		v, ok := lookup(name)
		if !ok {
			return 0, fmt.Errorf("unknown variable $%s", name)
		}
		cur.WriteString(v)
		return k, nil
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i += 2
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			inWord = true
			i += 2
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unclosed '")
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 2
		case c == '"':
			inWord = true
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unclosed \"")
				}
				if s[i] == '"' {
					i++
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					if s[i+1] != '\n' {
						cur.WriteByte(s[i+1])
					}
					i += 2
					continue
				}
				if s[i] == '$' {
					n, err := expand(i)
					if err != nil {
						return nil, err
					}
					i = n
					continue
				}
				cur.WriteByte(s[i])
				i++
			}
		case c == '$':
			n, err := expand(i)
			if err != nil {
				return nil, err
			}
			inWord = true
			i = n
		case c == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

type formPart struct {
	name, value, file string
}

// parseCurl reads a curl command of the guide into the request curl sends.
func parseCurl(cmd string, vars map[string]string, files map[string][]byte) (*guideRequest, error) {
	return parseCurlLookup(cmd, func(name string) (string, bool) { v, ok := vars[name]; return v, ok }, files)
}

func parseCurlLookup(cmd string, lookup func(string) (string, bool), files map[string][]byte) (*guideRequest, error) {
	r := &guideRequest{header: http.Header{}}
	cmd = strings.TrimSpace(cmd)
	if m := captureRE.FindStringSubmatch(cmd); m != nil {
		r.capture, cmd, r.captureJQ = m[1], m[2], m[3]
	}
	words, err := shellWords(cmd, lookup)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 || words[0] != "curl" {
		return nil, fmt.Errorf("not a curl command: %q", cmd)
	}
	var rawURL string
	var datas []string
	var parts []formPart
	head := false
	for i := 1; i < len(words); i++ {
		w := words[i]
		arg := func() (string, error) {
			if i+1 >= len(words) {
				return "", fmt.Errorf("%s needs a value", w)
			}
			i++
			return words[i], nil
		}
		switch w {
		case "-X", "--request":
			if r.method, err = arg(); err != nil {
				return nil, err
			}
		case "-H", "--header":
			h, err := arg()
			if err != nil {
				return nil, err
			}
			k, v, ok := strings.Cut(h, ":")
			if !ok {
				return nil, fmt.Errorf("header %q has no colon", h)
			}
			r.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		case "-d", "--data", "--data-raw", "--data-binary":
			d, err := arg()
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(d, "@") && w != "--data-raw" {
				return nil, fmt.Errorf("%s @file is not supported in the guide; write the body out", w)
			}
			datas = append(datas, d)
		case "-F", "--form":
			f, err := arg()
			if err != nil {
				return nil, err
			}
			name, value, ok := strings.Cut(f, "=")
			if !ok {
				return nil, fmt.Errorf("-F %q has no =", f)
			}
			p := formPart{name: name, value: value}
			if strings.HasPrefix(value, "@") {
				p.file, _, _ = strings.Cut(value[1:], ";")
				if _, ok := files[p.file]; !ok {
					return nil, fmt.Errorf("-F %s: no file %q among the guide's files", f, p.file)
				}
			}
			parts = append(parts, p)
		case "-I", "--head":
			head = true
		case "-o", "--output":
			if _, err := arg(); err != nil {
				return nil, err
			}
		case "-w", "--write-out":
			v, err := arg()
			if err != nil {
				return nil, err
			}
			h, ok := strings.CutPrefix(v, "%header{")
			if !ok || !strings.HasSuffix(h, "}") || r.capture == "" {
				return nil, fmt.Errorf("-w %q: the guide's tests know only NAME=$(curl -w '%%header{name}' ...)", v)
			}
			r.captureHeader = strings.TrimSuffix(h, "}")
		case "-s", "-S", "-sS", "-i", "-f", "--fail", "-L", "-O", "-J", "-OJ", "--remote-name", "--remote-header-name", "--silent", "--include", "--show-error":
		default:
			if strings.HasPrefix(w, "-") {
				return nil, fmt.Errorf("curl option %s is not supported by the guide's tests", w)
			}
			if rawURL != "" {
				return nil, fmt.Errorf("two URLs: %q and %q", rawURL, w)
			}
			rawURL = w
		}
	}
	if r.capture != "" && (r.captureHeader == "") == (r.captureJQ == "") {
		return nil, fmt.Errorf("$(...) sets %s from either -w '%%header{name}' or | jq -r '.path'", r.capture)
	}
	if !strings.HasPrefix(rawURL, guideBase+"/") {
		return nil, fmt.Errorf("URL %q does not start with $GALLERIST/", rawURL)
	}
	r.target = strings.TrimPrefix(rawURL, guideBase)
	if _, err := url.ParseRequestURI(r.target); err != nil {
		return nil, fmt.Errorf("URL %q: %v", rawURL, err)
	}
	switch {
	case len(datas) > 0 && len(parts) > 0:
		return nil, fmt.Errorf("both -d and -F")
	case len(datas) > 0:
		r.body = []byte(strings.Join(datas, "&"))
		r.bodyText = string(r.body)
		if r.header.Get("Content-Type") == "" {
			r.header.Set("Content-Type", "application/x-www-form-urlencoded") // as curl does
		}
		r.method = firstNonEmpty(r.method, "POST")
	case len(parts) > 0:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		var text []string
		for _, p := range parts {
			r.formFields = append(r.formFields, p.name)
			if p.file != "" {
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, path.Base(p.file)))
				h.Set("Content-Type", "application/octet-stream")
				pw, _ := mw.CreatePart(h)
				pw.Write(files[p.file])
			} else {
				mw.WriteField(p.name, p.value)
			}
			text = append(text, p.name+"="+p.value)
		}
		mw.Close()
		r.body = buf.Bytes()
		r.bodyText = strings.Join(text, "\n")
		if ct := r.header.Get("Content-Type"); ct == "" || ct == "multipart/form-data" {
			r.header.Set("Content-Type", mw.FormDataContentType()) // curl adds the boundary
		}
		r.method = firstNonEmpty(r.method, "POST")
	case head:
		r.method = firstNonEmpty(r.method, "HEAD")
	default:
		r.method = firstNonEmpty(r.method, "GET")
	}
	return r, nil
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// shownAnswer is an ```http block: a status line, headers, and a JSON body or none.
type shownAnswer struct {
	status int
	header [][2]string
	body   any // nil when the block shows no body
	raw    string
}

func parseShown(block string) (*shownAnswer, error) {
	lines := strings.Split(block, "\n")
	m := regexp.MustCompile(`^HTTP/1\.1 (\d{3}) (.+)$`).FindStringSubmatch(strings.TrimSpace(lines[0]))
	if m == nil {
		return nil, fmt.Errorf("the answer does not start with \"HTTP/1.1 <status> <reason>\": %q", lines[0])
	}
	a := &shownAnswer{raw: block}
	a.status, _ = strconv.Atoi(m[1])
	if m[2] != http.StatusText(a.status) {
		return nil, fmt.Errorf("status %d is %q, not %q", a.status, http.StatusText(a.status), m[2])
	}
	i := 1
	for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
		k, v, ok := strings.Cut(lines[i], ":")
		if !ok {
			return nil, fmt.Errorf("header line %q has no colon", lines[i])
		}
		a.header = append(a.header, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	if body := strings.TrimSpace(strings.Join(lines[min(i, len(lines)):], "\n")); body != "" {
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&a.body); err != nil {
			return nil, fmt.Errorf("the answer's body is not JSON: %v", err)
		}
	}
	return a, nil
}

// ellipsis in a shown string stands for any text; alone, for any value.
const ellipsis = "…"

// globMatch reports whether s matches pattern, where … stands for any text.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, ellipsis)
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		k := strings.Index(s, p)
		if k < 0 {
			return false
		}
		s = s[k+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

func isTimestamp(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && strings.Contains(s, "T")
}

// matchShown checks an answer against what the guide shows: every key of a
// shown object is in the answer with a matching value (keys not shown are
// not checked); arrays match element by element and in length, unless the
// shown array ends with "…" (more may follow); a string with … matches any
// text in its place; timestamps match any timestamp; everything else is equal.
func matchShown(shown, got any, at string) []string {
	if s, ok := shown.(string); ok && s == ellipsis {
		return nil
	}
	switch s := shown.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: shown an object, got %s", at, short(got))}
		}
		var errs []string
		for _, k := range sortedKeys(s) {
			gv, ok := g[k]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s.%s: shown, but not in the answer", at, k))
				continue
			}
			errs = append(errs, matchShown(s[k], gv, at+"."+k)...)
		}
		return errs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: shown a list, got %s", at, short(got))}
		}
		open := len(s) > 0 && s[len(s)-1] == ellipsis
		if open {
			s = s[:len(s)-1]
			if len(g) < len(s) {
				return []string{fmt.Sprintf("%s: shown at least %d items, got %d", at, len(s), len(g))}
			}
		} else if len(g) != len(s) {
			return []string{fmt.Sprintf("%s: shown %d items, got %d: %s", at, len(s), len(g), short(got))}
		}
		var errs []string
		for i := range s {
			errs = append(errs, matchShown(s[i], g[i], fmt.Sprintf("%s[%d]", at, i))...)
		}
		return errs
	case string:
		g, ok := got.(string)
		switch {
		case !ok:
			return []string{fmt.Sprintf("%s: shown %q, got %s", at, s, short(got))}
		case isTimestamp(s) && isTimestamp(g), globMatch(s, g):
			return nil
		}
		return []string{fmt.Sprintf("%s: shown %q, got %q", at, s, g)}
	case json.Number:
		g, ok := got.(float64)
		if f, _ := s.Float64(); !ok || f != g {
			return []string{fmt.Sprintf("%s: shown %s, got %s", at, s, short(got))}
		}
		return nil
	default: // bool, nil
		if shown != got {
			return []string{fmt.Sprintf("%s: shown %v, got %s", at, shown, short(got))}
		}
		return nil
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// send sends a guide request to the fixture's server.
func (f *portingFixture) send(t testing.TB, r *guideRequest) *resp {
	t.Helper()
	body := r.body
	if bytes.Contains(body, []byte(guideImportHost)) {
		body = bytes.ReplaceAll(body, []byte(guideImportHost), []byte(f.imports.URL))
	}
	var hdr []string
	for k, vs := range r.header {
		if k != "Content-Type" {
			hdr = append(hdr, k, strings.Join(vs, ", "))
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	res := f.do(t, r.method, r.target, "", rd, r.header.Get("Content-Type"), hdr...)
	res.Body = bytes.ReplaceAll(res.Body, []byte(f.imports.URL), []byte(guideImportHost))
	return res
}

// captured is the value a capturing step sets its variable to.
func captured(req *guideRequest, got *resp) (string, error) {
	if req.captureHeader != "" {
		v := got.Header.Get(req.captureHeader)
		if v == "" {
			return "", fmt.Errorf("no %s header to set $%s from", req.captureHeader, req.capture)
		}
		return v, nil
	}
	var v any
	if err := json.Unmarshal(got.Body, &v); err != nil {
		return "", fmt.Errorf("$%s: the answer is not JSON", req.capture)
	}
	for _, m := range regexp.MustCompile(`\.([a-z_]+)|\[(\d+)\]`).FindAllStringSubmatch(req.captureJQ, -1) {
		switch x := v.(type) {
		case map[string]any:
			v = x[m[1]]
		case []any:
			n, _ := strconv.Atoi(m[2])
			if m[2] == "" || n >= len(x) {
				return "", fmt.Errorf("$%s: %s is not in the answer", req.capture, req.captureJQ)
			}
			v = x[n]
		default:
			return "", fmt.Errorf("$%s: %s is not in the answer", req.capture, req.captureJQ)
		}
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("$%s: %s is not a string in the answer", req.capture, req.captureJQ)
	}
	return s, nil
}

// checkAnswer compares a real answer with the one the guide shows.
func checkAnswer(shown *shownAnswer, got *resp) []string {
	var errs []string
	if got.Status != shown.status {
		errs = append(errs, fmt.Sprintf("status %d, the guide shows %d; the answer: %.600s", got.Status, shown.status, got.Body))
	}
	for _, h := range shown.header {
		if v := got.Header.Get(h[0]); v == "" || !globMatch(h[1], v) {
			errs = append(errs, fmt.Sprintf("header %s: %q, the guide shows %q", h[0], v, h[1]))
		}
	}
	if shown.body == nil {
		return errs
	}
	var body any
	if err := json.Unmarshal(got.Body, &body); err != nil {
		return append(errs, fmt.Sprintf("the answer is not JSON: %.300s", got.Body))
	}
	return append(errs, matchShown(shown.body, body, "body")...)
}

// TestPortingGuideExamples runs every worked request of the guide, each on a
// fresh store holding the fixture, and checks each answer against the one shown.
func TestPortingGuideExamples(t *testing.T) {
	g := readGuide(t)
	if len(g.examples) == 0 {
		t.Fatal("the guide has no worked requests")
	}
	files := portingFiles(t)
	perSection := map[string][2]int{}
	for _, ex := range g.examples {
		c := perSection[ex.section]
		perSection[ex.section] = [2]int{c[0] + 1, c[1] + len(ex.steps)}
		t.Run(strings.TrimPrefix(ex.id, "ex-"), func(t *testing.T) {
			f := newPortingFixture(t, ex.setup)
			for i, st := range ex.steps {
				req, err := parseCurl(st.curl, f.vars, files)
				if err != nil {
					t.Fatalf("%s:%d: %v", portingGuide, st.line, err)
				}
				shown, err := parseShown(st.response)
				if err != nil {
					t.Fatalf("%s:%d: %v", portingGuide, st.line, err)
				}
				got := f.send(t, req)
				if os.Getenv("PORTING_DUMP") != "" { // go test -run PortingGuideExamples -v: the real answers, for writing the guide
					var out bytes.Buffer
					json.Indent(&out, got.Body, "", "  ")
					t.Logf("%s:%d %s %s\nHTTP/1.1 %d %s\nETag: %s\n\n%s", portingGuide, st.line, req.method, req.target, got.Status, http.StatusText(got.Status), got.Header.Get("ETag"), out.String())
				}
				for _, e := range checkAnswer(shown, got) {
					t.Errorf("%s:%d (step %d, %s %s): %s", portingGuide, st.line, i+1, req.method, req.target, e)
				}
				if req.capture != "" {
					v, err := captured(req, got)
					if err != nil {
						t.Fatalf("%s:%d: %v", portingGuide, st.line, err)
					}
					f.vars[req.capture] = v
				}
			}
		})
	}
	for _, s := range sortedKeys(anyMap(perSection)) {
		t.Logf("%s: %d worked requests, %d requests", s, perSection[s][0], perSection[s][1])
	}
}

func anyMap[V any](m map[string]V) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// evidence is what a worked request sends and shows coming back: the text a
// mapping row's names must be found in.
type evidence struct {
	requests []*guideRequest
	text     strings.Builder
	names    map[string]bool // JSON keys, query parameters, form fields, header names
	values   map[string]bool // JSON strings, query parameter values (and fields= names), form values
}

func (g *guide) evidenceOf(id string, files map[string][]byte) (*evidence, error) {
	var ex *guideExample
	for _, x := range g.examples {
		if x.id == id {
			ex = x
		}
	}
	if ex == nil {
		return nil, fmt.Errorf("no worked request #%s", id)
	}
	ev := &evidence{names: map[string]bool{}, values: map[string]bool{}}
	lookup := func(name string) (string, bool) {
		if name == "GALLERIST" {
			return guideBase, true
		}
		return "$" + name, true
	}
	for _, st := range ex.steps {
		req, err := parseCurlLookup(st.curl, lookup, files)
		if err != nil {
			return nil, err
		}
		shown, err := parseShown(st.response)
		if err != nil {
			return nil, err
		}
		ev.requests = append(ev.requests, req)
		fmt.Fprintf(&ev.text, "%s %s\n", req.method, req.target)
		if u, err := url.Parse(req.target); err == nil {
			for k, vs := range u.Query() {
				ev.names[k] = true
				for _, v := range vs {
					for _, part := range strings.Split(v, ",") {
						ev.values[part] = true
					}
				}
			}
		}
		for k, vs := range req.header {
			ev.names[k] = true
			fmt.Fprintf(&ev.text, "%s: %s\n", k, strings.Join(vs, ", "))
		}
		for _, n := range req.formFields {
			ev.names[n] = true
		}
		ev.text.WriteString(req.bodyText + "\n")
		var body any
		if json.Unmarshal(req.body, &body) == nil {
			collectKeys(body, ev.names, ev.values)
		}
		ev.text.WriteString(shown.raw + "\n")
		for _, h := range shown.header {
			ev.names[h[0]] = true
		}
		collectKeys(shown.body, ev.names, ev.values)
	}
	return ev, nil
}

// collectKeys gathers the keys and string values of a JSON value.
func collectKeys(v any, keys, values map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			keys[k] = true
			collectKeys(vv, keys, values)
		}
	case []any:
		for _, vv := range x {
			collectKeys(vv, keys, values)
		}
	case string:
		values[x] = true
	}
}

var (
	methodPathRE = regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE) (/\S*)$`)
	nameRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	pathParamRE  = regexp.MustCompile(`\\\{[a-z_]+\\\}`)
)

// shows reports whether the evidence shows name: an operation ("GET
// /api/media/{id}") is one of its requests; a bare name is a JSON key, query
// parameter, form field or header it sends or gets, or a whole string value
// (a code such as in_use, a kind); anything else (null, media:read,
// force=true) is in its text.
func (ev *evidence) shows(name string) bool {
	if m := methodPathRE.FindStringSubmatch(name); m != nil {
		pat := pathParamRE.ReplaceAllString(regexp.QuoteMeta(m[2]), `[^/?&]+`)
		if !strings.Contains(m[2], "?") {
			pat += `(\?|$)`
		}
		re := regexp.MustCompile("^" + pat)
		for _, r := range ev.requests {
			if r.method == m[1] && re.MatchString(r.target) {
				return true
			}
		}
		return false
	}
	if nameRE.MatchString(name) && name != "null" && name != "true" && name != "false" {
		return ev.names[name] || ev.values[name]
	}
	return strings.Contains(ev.text.String(), name)
}

// mappingTables are the guide's tables with an Example column.
func (g *guide) mappingTables() []*guideTable {
	var out []*guideTable
	for _, tb := range g.tables {
		if tb.col("Example") >= 0 {
			out = append(out, tb)
		}
	}
	return out
}

// checkMappings checks every row of every mapping table: it links to worked
// requests, and each `name` in its Gallerist column is shown by one of them.
func (g *guide) checkMappings(files map[string][]byte) (rows map[string]int, errs []string) {
	rows = map[string]int{}
	for _, tb := range g.mappingTables() {
		ex, gal := tb.col("Example"), tb.col("Gallerist")
		if gal < 0 {
			errs = append(errs, fmt.Sprintf("%s:%d: a table with an Example column needs a Gallerist column", portingGuide, tb.line))
			continue
		}
		for i, row := range tb.rows {
			at := fmt.Sprintf("%s:%d", portingGuide, tb.rowLine[i])
			if len(row) != len(tb.header) {
				errs = append(errs, fmt.Sprintf("%s: %d cells, the header has %d", at, len(row), len(tb.header)))
				continue
			}
			rows[tb.section]++
			links := linkRE.FindAllStringSubmatch(row[ex], -1)
			if len(links) == 0 {
				errs = append(errs, fmt.Sprintf("%s: no worked request linked in the Example column", at))
				continue
			}
			var evs []*evidence
			for _, l := range links {
				ev, err := g.evidenceOf(l[1], files)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s: %v", at, err))
					continue
				}
				evs = append(evs, ev)
			}
			for _, name := range codeSpans(row[gal]) {
				if !slices.ContainsFunc(evs, func(ev *evidence) bool { return ev.shows(name) }) {
					errs = append(errs, fmt.Sprintf("%s: `%s` is not in what the linked worked requests send or get back", at, name))
				}
			}
		}
	}
	return rows, errs
}

// TestPortingGuideMappings checks that every mapping row is backed by the
// worked requests it links to (which TestPortingGuideExamples runs).
func TestPortingGuideMappings(t *testing.T) {
	g := readGuide(t)
	rows, errs := g.checkMappings(portingFiles(t))
	for _, e := range errs {
		t.Error(e)
	}
	if len(rows) == 0 {
		t.Fatal("the guide has no mapping rows")
	}
	for _, s := range sortedKeys(anyMap(rows)) {
		t.Logf("%s: %d mapping rows", s, rows[s])
	}
}

// spellingRow is a row of a spelling table.
type spellingRow struct {
	at, section  string
	name         string // the vendor's parameter or field
	method, path string
	body         string
	status       int
	code         string
	use          []string // nil: no use offered
	line         int
}

var answerRE = regexp.MustCompile(`^(\d{3})(?: ([a-z_]+))?$`)

func (g *guide) spellingRows() ([]spellingRow, []string) {
	var out []spellingRow
	var errs []string
	for _, tb := range g.tables {
		sent, ans, inst, their := tb.col("Sent to Gallerist"), tb.col("Answer"), tb.col("Instead"), 0
		if sent < 0 {
			continue
		}
		if ans < 0 || inst < 0 {
			errs = append(errs, fmt.Sprintf("%s:%d: a spelling table needs Answer and Instead columns", portingGuide, tb.line))
			continue
		}
		for i, row := range tb.rows {
			at := fmt.Sprintf("%s:%d", portingGuide, tb.rowLine[i])
			if len(row) != len(tb.header) {
				errs = append(errs, fmt.Sprintf("%s: %d cells, the header has %d", at, len(row), len(tb.header)))
				continue
			}
			sr := spellingRow{at: at, section: tb.section, line: tb.rowLine[i]}
			names, reqs, answers := codeSpans(row[their]), codeSpans(row[sent]), codeSpans(row[ans])
			if len(names) == 0 || len(reqs) != 1 || len(answers) != 1 {
				errs = append(errs, fmt.Sprintf("%s: want one `name`, one `METHOD path [body]` and one `status [code]`", at))
				continue
			}
			sr.name, _, _ = strings.Cut(names[0], "=")
			method, rest, _ := strings.Cut(reqs[0], " ")
			sr.method = method
			sr.path, sr.body, _ = strings.Cut(rest, " ")
			m := answerRE.FindStringSubmatch(answers[0])
			if m == nil {
				errs = append(errs, fmt.Sprintf("%s: answer %q is not `status [code]`", at, answers[0]))
				continue
			}
			sr.status, _ = strconv.Atoi(m[1])
			sr.code = m[2]
			sr.use = codeSpans(row[inst])
			out = append(out, sr)
		}
	}
	return out, errs
}

// checkSpelling sends a spelling row's request and checks the answer.
func checkSpelling(t testing.TB, f *portingFixture, sr spellingRow) []string {
	t.Helper()
	var body io.Reader
	ct := ""
	if sr.body != "" {
		body, ct = strings.NewReader(sr.body), "application/json"
	}
	r := f.do(t, sr.method, sr.path, f.vars["TOKEN"], body, ct)
	var errs []string
	if r.Status != sr.status {
		return []string{fmt.Sprintf("%s %s: %d %.400s, the guide says %d %s", sr.method, sr.path, r.Status, r.Body, sr.status, sr.code)}
	}
	if sr.code == "" {
		return nil
	}
	var got struct {
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &got); err != nil || got.Error == nil {
		return []string{fmt.Sprintf("%s %s: not an error answer: %.300s", sr.method, sr.path, r.Body)}
	}
	e := got.Error
	if e["code"] != sr.code {
		errs = append(errs, fmt.Sprintf("code %v, the guide says %s", e["code"], sr.code))
	}
	if about := firstNonEmpty(str(e["parameter"]), str(e["field"])); about != sr.name {
		errs = append(errs, fmt.Sprintf("the error is about %q, the guide says %q: %s", about, sr.name, r.Body))
	}
	if sr.code == data.ECUnknownParameter {
		var use []string
		for _, u := range asSlice(e["use"]) {
			use = append(use, u.(string))
		}
		if !slices.Equal(use, sr.use) {
			errs = append(errs, fmt.Sprintf("use %v, the guide says %v", use, sr.use))
		}
		if hint := str(e["hint"]); len(sr.use) > 0 && (hint == "" || !strings.Contains(str(e["message"]), hint)) {
			errs = append(errs, fmt.Sprintf("no hint in the message: %s", r.Body))
		}
	}
	return errs
}

func str(v any) string { s, _ := v.(string); return s }

// TestPortingGuideSpellings sends each vendor spelling the guide lists, as a
// client ported unchanged would, and checks the documented answer.
func TestPortingGuideSpellings(t *testing.T) {
	g := readGuide(t)
	rows, errs := g.spellingRows()
	for _, e := range errs {
		t.Error(e)
	}
	if len(rows) == 0 {
		t.Fatal("the guide has no spelling tables")
	}
	f := newPortingFixture(t, "")
	count := map[string]int{}
	for _, sr := range rows {
		count[sr.section]++
		t.Run(fmt.Sprintf("line%d", sr.line), func(t *testing.T) {
			env := f
			if sr.status < 300 && sr.method != "GET" && sr.method != "HEAD" {
				env = newPortingFixture(t, "") // it changes the store
			}
			for _, e := range checkSpelling(t, env, sr) {
				t.Errorf("%s (%s): %s", sr.at, sr.name, e)
			}
		})
	}
	for _, s := range sortedKeys(anyMap(count)) {
		t.Logf("%s: %d spellings", s, count[s])
	}
}

// TestPortingGuideLinks checks that the guide is navigable: its contents and
// every other #link lead to a heading or anchor, and each vendor has a section.
func TestPortingGuideLinks(t *testing.T) {
	g := readGuide(t)
	targets := map[string]bool{}
	for _, h := range g.headings {
		targets[h.slug] = true
	}
	for id := range g.anchors {
		targets[id] = true
	}
	for _, l := range g.links {
		if !targets[l.frag] {
			t.Errorf("%s:%d: #%s leads nowhere", portingGuide, l.line, l.frag)
		}
	}
	linked := map[string]bool{}
	for _, l := range g.links {
		linked[l.frag] = true
	}
	for _, h := range g.headings {
		if h.level == 2 && !linked[h.slug] && h.text != "Contents" {
			t.Errorf("%s:%d: section %q is not in the contents", portingGuide, h.line, h.text)
		}
	}
	for _, ex := range g.examples {
		if !linked[ex.id] {
			t.Errorf("%s:%d: worked request %s backs no mapping row", portingGuide, ex.line, ex.id)
		}
	}
	for _, vendor := range []string{"seed 000", "seed 001", "seed 002", "seed 003", "seed 004"} {
		if !slices.ContainsFunc(g.headings, func(h guideHeading) bool { return h.level == 2 && strings.Contains(h.text, vendor) }) {
			t.Errorf("no section for %s", vendor)
		}
	}
}

// TestPortingGuideCatchesDrift feeds the guide's checks a small guide with
// one right and several wrong claims, and expects each wrong one reported:
// the guide tests would pass on anything if these checks were lax.
func TestPortingGuideCatchesDrift(t *testing.T) {
	const fence = "```"
	src := strings.Join([]string{
		"## Coming from somewhere",
		"",
		"| theirs | Gallerist | notes | Example |",
		"|---|---|---|---|",
		"| `file_type` | `mime_type` | | [get](#ex-get) |",
		"| `colour` | `colour` | | [get](#ex-get) |",
		"| get | `GET /api/media/{id}` | | [get](#ex-get) |",
		"| delete | `DELETE /api/media/{id}` | | [get](#ex-get) |",
		"| name | `filename` | | [nowhere](#ex-nowhere) |",
		"| code | `not_found` | | [get](#ex-get) |",
		"",
		"| their spelling | Sent to Gallerist | Answer | Instead |",
		"|---|---|---|---|",
		"| `per_page=5` | `GET /api/media?per_page=5` | `400 unknown_parameter` | `limit` |",
		"| `per_page=5` | `GET /api/media?per_page=5` | `400 unknown_parameter` | `offset` |",
		"| `per_page=5` | `GET /api/media?per_page=5` | `422 unknown_field` | `limit` |",
		"| `kind=image` | `GET /api/media?kind=image` | `200` | works |",
		"",
		`<a id="ex-get"></a>`,
		"",
		fence + "sh",
		`curl -H "Authorization: Bearer $TOKEN" "$GALLERIST/api/media/3?fields=id,filename,mime_type,created_at,url"`,
		fence,
		"",
		fence + "http",
		"HTTP/1.1 200 OK",
		"",
		`{"id": 3, "filename": "mug-front.jpg", "mime_type": "image/jpeg", "created_at": "2020-01-01T00:00:00.000Z", "url": "https://media.example.com/files/….jpg"}`,
		fence,
	}, "\n")
	g, err := parseGuide(src)
	if err != nil {
		t.Fatal(err)
	}
	files := portingFiles(t)

	t.Run("Mappings", func(t *testing.T) {
		_, errs := g.checkMappings(files)
		joined := strings.Join(errs, "\n")
		for _, want := range []string{"`colour` is not in", "`DELETE /api/media/{id}` is not in", "no worked request #ex-nowhere", "`not_found` is not in"} {
			if !strings.Contains(joined, want) {
				t.Errorf("not reported: %s\n%s", want, joined)
			}
		}
		for _, ok := range []string{"`mime_type`", "`GET /api/media/{id}`"} {
			if strings.Contains(joined, ok) {
				t.Errorf("a right row was reported (%s):\n%s", ok, joined)
			}
		}
	})

	f := newPortingFixture(t, "")
	step := g.examples[0].steps[0]
	req, err := parseCurl(step.curl, f.vars, files)
	if err != nil {
		t.Fatal(err)
	}
	got := f.send(t, req)
	t.Run("Answers", func(t *testing.T) {
		shown, err := parseShown(step.response)
		if err != nil {
			t.Fatal(err)
		}
		if errs := checkAnswer(shown, got); len(errs) > 0 {
			t.Fatalf("the right answer was refused: %v", errs)
		}
		for name, wrong := range map[string]string{
			"status":    strings.Replace(step.response, "200 OK", "201 Created", 1),
			"value":     strings.Replace(step.response, "image/jpeg", "image/png", 1),
			"number":    strings.Replace(step.response, `"id": 3`, `"id": 4`, 1),
			"field":     strings.Replace(step.response, `"id": 3`, `"id": 3, "colour": "red"`, 1),
			"glob":      strings.Replace(step.response, "….jpg", "….png", 1),
			"timestamp": strings.Replace(step.response, "2020-01-01T00:00:00.000Z", "yesterday", 1),
			"header":    strings.Replace(step.response, "200 OK", "200 OK\nContent-Type: text/html", 1),
			"no header": strings.Replace(step.response, "200 OK", "200 OK\nX-Colour: …", 1),
		} {
			shown, err := parseShown(wrong)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if errs := checkAnswer(shown, got); len(errs) == 0 {
				t.Errorf("a wrong %s was not reported:\n%s", name, wrong)
			}
		}
		if _, err := parseShown("HTTP/1.1 200 Fine\n"); err == nil {
			t.Error("a wrong reason phrase was accepted")
		}
	})

	t.Run("Lists", func(t *testing.T) {
		list := []any{map[string]any{"id": 1.0}, map[string]any{"id": 2.0}}
		for shown, bad := range map[string]bool{
			`[{"id": 1}, {"id": 2}]`: false,
			`[{"id": 1}, "…"]`:       false,
			`[{"id": 1}]`:            true,
			`[{"id": 2}, "…"]`:       true,
		} {
			var v any
			dec := json.NewDecoder(strings.NewReader(shown))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if errs := matchShown(v, list, "body"); (len(errs) > 0) != bad {
				t.Errorf("%s against [1, 2]: %v", shown, errs)
			}
		}
	})

	t.Run("Spellings", func(t *testing.T) {
		rows, errs := g.spellingRows()
		if len(errs) > 0 || len(rows) != 4 {
			t.Fatalf("%d rows, %v", len(rows), errs)
		}
		for i, wantErr := range []bool{false, true, true, false} {
			if errs := checkSpelling(t, f, rows[i]); (len(errs) > 0) != wantErr {
				t.Errorf("row %d (%s → %v): %v", i, rows[i].path, rows[i].use, errs)
			}
		}
	})

	t.Run("Structure", func(t *testing.T) {
		for name, bad := range map[string]string{
			"request outside a worked request": "## S\n\n" + fence + "sh\ncurl \"$GALLERIST/api/ping\"\n" + fence + "\n",
			"request without an answer":        "<a id=\"ex-a\"></a>\n\n" + fence + "sh\ncurl \"$GALLERIST/api/ping\"\n" + fence + "\n\n## Next\n",
			"worked request without a request": "<a id=\"ex-a\"></a>\n\nNothing here.\n",
			"anchor given twice":               "<a id=\"ex-a\"></a>\n" + fence + "sh\ncurl \"$GALLERIST/api/ping\"\n" + fence + "\n" + fence + "http\nHTTP/1.1 200 OK\n" + fence + "\n<a id=\"ex-a\"></a>\n",
		} {
			if _, err := parseGuide(bad); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
		for _, cmd := range []string{
			`curl "https://elsewhere.example/api/ping"`,
			`curl -F "file=@missing.jpg" "$GALLERIST/api/media"`,
			`curl -H "Authorization: Bearer $NOPE" "$GALLERIST/api/ping"`,
			`curl --compressed "$GALLERIST/api/ping"`,
		} {
			if _, err := parseCurl(cmd, f.vars, files); err == nil {
				t.Errorf("%s: accepted", cmd)
			}
		}
		r, err := parseCurl(`curl -d '{"a": 1}' "$GALLERIST/api/products"`, f.vars, files)
		if err != nil || r.method != "POST" || r.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("-d without a Content-Type must be sent as curl sends it: %+v %v", r, err)
		}
	})
}
