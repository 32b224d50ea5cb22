package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gallerist/data"
	"gallerist/web"
)

// testEnv is a real Gallerist: a SQLite file and blob folder in t.TempDir()
// and the real Fiber app, driven through app.Test.
type testEnv struct {
	t   testing.TB
	dir string
	cfg config
	app *app
	srv *web.Server
}

func newTestEnv(t testing.TB, mutate ...func(*config)) *testEnv {
	t.Helper()
	cfg := config{dataDir: t.TempDir(), limits: data.DefaultLimits()}
	for _, m := range mutate {
		m(&cfg)
	}
	a, err := openApp(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.Default()
	}
	return &testEnv{t: t, dir: cfg.dataDir, cfg: cfg, app: a, srv: newServer(a, cfg, log)}
}

// token creates an API token with the scopes in the organization (default org when 0).
func (e *testEnv) token(orgID int64, scopes ...data.Scope) string {
	e.t.Helper()
	if orgID == 0 {
		orgID = e.app.defOrg.ID
	}
	if len(scopes) == 0 {
		for _, s := range data.AllTokenScopes {
			scopes = append(scopes, s.Scope)
		}
	}
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: orgID, Actor: "test"})
	_, secret, err := e.app.auth.CreateToken(ctx, "test", scopes, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %s", r.Status, r.Body)
	}
	return m
}

// errCode returns error.code of an error response.
func (r *resp) errCode(t testing.TB) string {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %d response: %s", r.Status, r.Body)
	}
	return e["code"].(string)
}

func (e *testEnv) do(method, path, token string, body io.Reader, contentType string, hdr ...string) *resp {
	e.t.Helper()
	req := httptest.NewRequest(method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.App.Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &resp{Status: res.StatusCode, Header: res.Header, Body: b}
	validateResponse(e.t, req, r)
	return r
}

func (e *testEnv) getJSON(path, token string) *resp { return e.do("GET", path, token, nil, "") }

func (e *testEnv) sendJSON(method, path, token string, v any) *resp {
	var body io.Reader
	switch x := v.(type) {
	case nil:
	case string:
		body = strings.NewReader(x)
	case []byte:
		body = bytes.NewReader(x)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	return e.do(method, path, token, body, "application/json")
}

type upFile struct {
	field, name string
	body        []byte
}

func multipartBody(t testing.TB, files []upFile, fields map[string]string) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		field := f.field
		if field == "" {
			field = "file"
		}
		fw, err := w.CreateFormFile(field, f.name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f.body)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func (e *testEnv) upload(token string, files ...upFile) *resp {
	e.t.Helper()
	body, ct := multipartBody(e.t, files, nil)
	return e.do("POST", "/api/media", token, body, ct)
}

// tokenWithout creates a token holding every token scope but one.
func (e *testEnv) tokenWithout(missing data.Scope) string {
	var scopes []data.Scope
	for _, s := range data.AllTokenScopes {
		if s.Scope != missing {
			scopes = append(scopes, s.Scope)
		}
	}
	return e.token(0, scopes...)
}

// uploadOK uploads one file and returns the created media object.
func (e *testEnv) uploadOK(token, name string, body []byte) map[string]any {
	e.t.Helper()
	r := e.upload(token, upFile{name: name, body: body})
	if r.Status != 201 {
		e.t.Fatalf("upload %s: %d %s", name, r.Status, r.Body)
	}
	return r.json(e.t)["media"].([]any)[0].(map[string]any)
}

// snapshot lists every file under the data dir (except the SQLite files) and row counts,
// so hostile-input tests can assert nothing changed.
func (e *testEnv) snapshot() string {
	e.t.Helper()
	var files []string
	filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(e.dir, p)
		if strings.HasPrefix(rel, "gallerist.db") || strings.HasPrefix(rel, "session") {
			return nil
		}
		files = append(files, rel)
		return nil
	})
	sort.Strings(files)
	var counts []string
	for _, table := range []string{"media", "gallery_images", "products", "collections", "variants", "detachments"} {
		var n int
		if err := e.app.db.QueryRowForTest("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		counts = append(counts, table+"="+strconv.Itoa(n))
	}
	return strings.Join(files, "\n") + "\n--\n" + strings.Join(counts, " ")
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
