package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gallerist/data"
	"gallerist/web"

	"golang.org/x/crypto/bcrypt"
)

// testEnv is a real Gallerist: a SQLite file and blob folder in t.TempDir()
// and the real Fiber app, driven through app.Test.
type testEnv struct {
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
	if testBlobsOnS3() && cfg.blobs.s3 == nil {
		useS3For(t, &cfg)
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
	return &testEnv{dir: cfg.dataDir, cfg: cfg, app: a, srv: newServer(a, cfg, log)}
}

// token creates an API token with the scopes in the organization (default org when 0).
func (e *testEnv) token(t testing.TB, orgID int64, scopes ...data.Scope) string {
	t.Helper()
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
		t.Fatal(err)
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

func (e *testEnv) do(t testing.TB, method, path, token string, body io.Reader, contentType string, hdr ...string) *resp {
	t.Helper()
	req, r := e.send(t, method, path, token, body, contentType, hdr...)
	validateResponse(t, req, r)
	return r
}

// send sends a request to the in-process app as it is and returns the
// answer, without do's check of it against the OpenAPI document.
func (e *testEnv) send(t testing.TB, method, path, token string, body io.Reader, contentType string, hdr ...string) (*http.Request, *resp) {
	t.Helper()
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
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return req, &resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (e *testEnv) getJSON(t testing.TB, path, token string) *resp {
	return e.do(t, "GET", path, token, nil, "")
}

func (e *testEnv) sendJSON(t testing.TB, method, path, token string, v any) *resp {
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
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	return e.do(t, method, path, token, body, "application/json")
}

type upFile struct {
	field, name string
	body        []byte
}

func multipartBody(t testing.TB, files []upFile, fields map[string]string) (io.Reader, string) {
	t.Helper()
	return buildMultipart(files, fields)
}

// buildMultipart encodes a multipart/form-data body in memory (which cannot
// fail), for callers without a t, such as client goroutines.
func buildMultipart(files []upFile, fields map[string]string) (io.Reader, string) {
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
		fw, _ := w.CreateFormFile(field, f.name)
		fw.Write(f.body)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func (e *testEnv) upload(t testing.TB, token string, files ...upFile) *resp {
	t.Helper()
	body, ct := multipartBody(t, files, nil)
	return e.do(t, "POST", "/api/media", token, body, ct)
}

// tokenWithout creates a token holding every token scope but one.
func (e *testEnv) tokenWithout(t testing.TB, missing data.Scope) string {
	var scopes []data.Scope
	for _, s := range data.AllTokenScopes {
		if s.Scope != missing {
			scopes = append(scopes, s.Scope)
		}
	}
	return e.token(t, 0, scopes...)
}

// uploadOK uploads one file and returns the created media object.
func (e *testEnv) uploadOK(t testing.TB, token, name string, body []byte) map[string]any {
	t.Helper()
	r := e.upload(t, token, upFile{name: name, body: body})
	if r.Status != 201 {
		t.Fatalf("upload %s: %d %s", name, r.Status, r.Body)
	}
	return r.json(t)["media"].([]any)[0].(map[string]any)
}

// snapshot lists every file under the data dir (except the SQLite files) and row counts,
// so hostile-input tests can assert nothing changed.
func (e *testEnv) snapshot(t testing.TB) string {
	t.Helper()
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
			t.Fatal(err)
		}
		counts = append(counts, table+"="+strconv.Itoa(n))
	}
	return strings.Join(files, "\n") + "\n--\n" + strings.Join(counts, " ")
}

func idOf(m map[string]any) int64 { return int64(m["id"].(float64)) }

// createProduct creates a product through the API and returns its id.
func (e *testEnv) createProduct(t testing.TB, tok, title string) int64 {
	t.Helper()
	r := e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": title})
	if r.Status != 201 {
		t.Fatalf("create product: %d %s", r.Status, r.Body)
	}
	return idOf(r.json(t))
}

// attachOK attaches a media item to a product's gallery and returns the image.
func (e *testEnv) attachOK(t testing.TB, tok string, pid, mid int64) map[string]any {
	t.Helper()
	r := e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/images", pid), tok, map[string]any{"media_id": mid})
	if r.Status != 201 {
		t.Fatalf("attach %d to %d: %d %s", mid, pid, r.Status, r.Body)
	}
	return r.json(t)
}

// gallery returns a product's gallery as [image id, media id] pairs in
// position order, checking positions are 1..n, and the ETag.
func (e *testEnv) gallery(t testing.TB, tok string, pid int64) (images, media []int64, etag string) {
	t.Helper()
	r := e.getJSON(t, fmt.Sprintf("/api/products/%d/images", pid), tok)
	if r.Status != 200 {
		t.Fatalf("gallery %d: %d %s", pid, r.Status, r.Body)
	}
	for i, it := range r.json(t)["data"].([]any) {
		m := it.(map[string]any)
		if int(m["position"].(float64)) != i+1 {
			t.Fatalf("gallery %d not contiguous: %s", pid, r.Body)
		}
		images = append(images, idOf(m))
		media = append(media, int64(m["media_id"].(float64)))
	}
	return images, media, r.Header.Get("ETag")
}

// images uploads n copies of a real JPEG (distinct rows, shared blob) and returns their ids.
func (e *testEnv) images(t testing.TB, tok string, n int) []int64 {
	t.Helper()
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	var ids []int64
	for i := 0; i < n; i++ {
		ids = append(ids, idOf(e.uploadOK(t, tok, fmt.Sprintf("photo-%d.jpg", i), jpg)))
	}
	return ids
}

func jsonIDs(ids []int64) string {
	var b bytes.Buffer
	b.WriteString(`{"ids": [`)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, id)
	}
	b.WriteString("]}")
	return b.String()
}

func errField(t *testing.T, r *resp) string {
	t.Helper()
	f, _ := r.json(t)["error"].(map[string]any)["field"].(string)
	return f
}

// seedImages creates n image items through the media service (staged from a
// real JPEG, ten per transaction) and returns their ids.
func (e *testEnv) seedImages(t testing.TB, n int) []int64 {
	t.Helper()
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "seed"})
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	var ids []int64
	for len(ids) < n {
		var files []*data.Staged
		for i := 0; i < min(10, n-len(ids)); i++ {
			st, err := e.app.media.Stage(ctx, bytes.NewReader(jpg), fmt.Sprintf("seed-%d.jpg", len(ids)+i))
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, st)
		}
		ms, err := e.app.media.CreateMedia(ctx, data.MediaCreate{Files: files})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// checkCatalogInvariants checks, in SQL, what must hold whatever happened:
// every gallery is 1..n, no attachment points to a trashed or missing media
// item, and variant images are gallery images of their own product.
func (e *testEnv) checkCatalogInvariants(t *testing.T) {
	t.Helper()
	var bad int
	for name, q := range map[string]string{
		"gallery not contiguous": `SELECT COUNT(*) FROM (SELECT product_id, COUNT(*) AS n, MIN(position) AS lo, MAX(position) AS hi,
			COUNT(DISTINCT position) AS d FROM gallery_images GROUP BY product_id) WHERE lo != 1 OR hi != n OR d != n`,
		"gallery image of a trashed or missing item": `SELECT COUNT(*) FROM gallery_images g LEFT JOIN media m ON m.id = g.media_id
			WHERE m.id IS NULL OR m.deleted_at IS NOT NULL`,
		"collection image trashed or missing": `SELECT COUNT(*) FROM collections c LEFT JOIN media m ON m.id = c.media_id
			WHERE c.media_id IS NOT NULL AND (m.id IS NULL OR m.deleted_at IS NOT NULL)`,
		"variant image not in its product's gallery": `SELECT COUNT(*) FROM variants v LEFT JOIN gallery_images g ON g.id = v.image_id
			WHERE v.image_id IS NOT NULL AND (g.id IS NULL OR g.product_id != v.product_id)`,
		"gallery image of another org's product or item": `SELECT COUNT(*) FROM gallery_images g JOIN products p ON p.id = g.product_id
			JOIN media m ON m.id = g.media_id WHERE g.org_id != p.org_id OR g.org_id != m.org_id`,
	} {
		if err := e.app.db.QueryRowForTest(q).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Errorf("%s: %d rows", name, bad)
		}
	}
}

// testClock is a clock tests move; the database reads it concurrently.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

func (c *testClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// useClock makes the env's database use a clock the test moves, starting at t0.
func (e *testEnv) useClock(t0 time.Time) *testClock {
	c := &testClock{}
	c.Set(t0)
	e.app.db.Now = c.Now
	return c
}

func (e *testEnv) blobPath(sha string) string {
	return filepath.Join(e.dir, "blobs", sha[:2], sha[2:4], sha)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// serveLoopback starts the env's real server on a loopback port.
func (e *testEnv) serveLoopback(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go e.srv.App.Listener(ln)
	tb.Cleanup(func() { e.srv.App.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// startRenderer runs the env's eager workers until the test ends.
func (e *testEnv) startRenderer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e.app.renderer.Workers = 1
	e.app.renderer.Start(ctx)
	t.Cleanup(func() { cancel(); e.app.renderer.Wait() })
}

// waitProcessed polls until the item leaves "pending".
func (e *testEnv) waitProcessed(t *testing.T, tok string, id float64) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		m := e.getJSON(t, fmt.Sprintf("/api/media/%d", int64(id)), tok).json(t)
		if m["processing"] != "pending" {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("renditions were not made in time")
	return nil
}

// uiClient is a browser without JavaScript: it keeps the session cookie and
// the CSRF token of the last page, and drives the real app through app.Test.
type uiClient struct {
	e      *testEnv
	cookie string // name=value of the session cookie
	csrf   string
	header http.Header // of the last response
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (e *testEnv) client() *uiClient {
	e.app.users.Cost = bcrypt.MinCost
	return &uiClient{e: e}
}

// req sends a request with the session cookie; it records a new cookie and token.
func (c *uiClient) req(t testing.TB, method, path string, body io.Reader, ctype string, hdr ...string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, body)
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if c.cookie != "" {
		r.Header.Set("Cookie", c.cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.e.srv.App.Test(r, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, sc := range res.Cookies() {
		if sc.Name == web.SessionCookie {
			c.cookie = sc.Name + "=" + sc.Value
			if sc.MaxAge < 0 {
				c.cookie = ""
			}
		}
	}
	if m := csrfRE.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	c.header = res.Header
	return res.StatusCode, string(b)
}

func (c *uiClient) get(t testing.TB, path string, hdr ...string) (int, string) {
	return c.req(t, "GET", path, nil, "", hdr...)
}

// post sends a form; the CSRF token is added unless the form sets _csrf ("" leaves it out).
func (c *uiClient) post(t testing.TB, path string, form url.Values, hdr ...string) (int, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf)
	} else if form.Get("_csrf") == "" {
		form.Del("_csrf")
	}
	return c.req(t, "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", hdr...)
}

func (c *uiClient) location() string { return c.header.Get("Location") }

// login logs in through the form and fails the test if it does not work.
func (c *uiClient) login(t testing.TB, email, password string) {
	t.Helper()
	if st, _ := c.get(t, "/login"); st != 200 {
		t.Fatalf("GET /login: %d", st)
	}
	st, body := c.post(t, "/login", url.Values{"email": {email}, "password": {password}})
	if st != http.StatusSeeOther || c.location() != "/media" {
		t.Fatalf("login as %s: %d %s %.300s", email, st, c.location(), body)
	}
}

func (e *testEnv) createUser(t testing.TB, email string, role data.Role) {
	t.Helper()
	e.app.users.Cost = bcrypt.MinCost
	if _, err := e.app.users.CreateUser(context.Background(), data.UserCreate{Email: email, Password: testOwnerPassword, Role: role}); err != nil {
		t.Fatal(err)
	}
}

// seedMedia inserts n media rows for the default organization in one
// statement and indexes their search text.
func seedMedia(tb testing.TB, e *testEnv, n int) {
	tb.Helper()
	err := e.app.db.ExecForTest(`
		WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256, width, height, alt,
			created_by, created_at, updated_at, search)
		SELECT ?, 'image', 'product-' || i || '.jpg', 'IMG_' || i || '.JPG', 'image/jpeg', 100000 + i * 7 % 50000,
			printf('%064x', i), 1200, 800, CASE WHEN i % 3 = 0 THEN '' ELSE 'Ceramic mug number ' || i END,
			'seed', 1700000000000 + i * 1000, 1700000000000 + i * 1000,
			lower('product-' || i || '.jpg' || char(10) || CASE WHEN i % 3 = 0 THEN '' ELSE 'Ceramic mug number ' || i END)
		FROM seq`, n, e.app.defOrg.ID)
	if err != nil {
		tb.Fatal(err)
	}
	indexLibrary(tb, e) // as the server does at start
}

// TestHelperFailureKeepsSiblingsRunning runs TestHelperFailureDemo in a child
// process with a deliberately failing helper in its first subtest, and checks
// that the later subtests still ran and passed: helpers report on the
// caller's t, so one failing subtest cannot stop its siblings.
func TestHelperFailureKeepsSiblingsRunning(t *testing.T) {
	if os.Getenv("GALLERIST_HELPER_DEMO") != "" {
		t.Skip("running as the child")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHelperFailureDemo$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "GALLERIST_HELPER_DEMO=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the demo was meant to fail:\n%s", out)
	}
	for _, want := range []string{
		"--- FAIL: TestHelperFailureDemo/FailingUpload",
		"--- PASS: TestHelperFailureDemo/ListAfterwards",
		"--- PASS: TestHelperFailureDemo/ProductAfterwards",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

// TestHelperFailureDemo is run only by TestHelperFailureKeepsSiblingsRunning.
func TestHelperFailureDemo(t *testing.T) {
	if os.Getenv("GALLERIST_HELPER_DEMO") == "" {
		t.Skip("run by TestHelperFailureKeepsSiblingsRunning")
	}
	e := newTestEnv(t)
	tok := e.token(t, 0)
	t.Run("FailingUpload", func(t *testing.T) {
		e.uploadOK(t, tok, "notes.txt", []byte("plain text is refused with 415"))
	})
	t.Run("ListAfterwards", func(t *testing.T) {
		if r := e.getJSON(t, "/api/media", tok); r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ProductAfterwards", func(t *testing.T) {
		e.createProduct(t, tok, "Still running")
	})
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// buildBinary builds the real gallerist binary once per test process.
func buildBinary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gallerist-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "gallerist")
		if out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// server is the real binary serving a data dir on a loopback port; it can be
// killed and started again on the same data dir.
type server struct {
	bin, dir, base, token string
	args                  []string
	cmd                   *exec.Cmd
	log                   *syncBuffer // stderr of every run
	stdout                io.Writer   // stdout of every run (nil: discarded)
	env                   []string    // the environment of the next runs (nil: the test's)
	exited                chan struct{}
}

// syncBuffer is a bytes.Buffer safe for a child's output and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// startBinary starts bin on a new data dir with a token holding every scope.
func startBinary(t testing.TB, bin string, extra ...string) *server {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command(bin, "token", "create", "--data", dir, "--name", "test",
		"--scopes", "media:read,media:create,media:update,media:delete,products:read,products:write").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	s := &server{bin: bin, dir: dir, token: lines[len(lines)-1], args: extra, log: &syncBuffer{}}
	s.start(t)
	t.Cleanup(func() { s.stop() })
	return s
}

// start runs the server (again) on its data dir and waits until it answers.
func (s *server) start(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s.cmd = exec.Command(s.bin, append([]string{"serve", "--data", s.dir, "--addr", addr}, s.args...)...)
	s.cmd.Stderr, s.cmd.Stdout = s.log, s.stdout
	s.cmd.Env = s.env
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(s.cmd, s.exited)
	s.base = "http://" + addr
	for i := 0; i < 400; i++ {
		if !s.alive() {
			t.Fatalf("server exited at start:\n%s", s.log)
		}
		if res, err := http.Get(s.base + "/api/ping"); err == nil {
			res.Body.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("server did not start:\n%s", s.log)
}

// alive reports whether the current run of the server has not exited.
func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// kill ends the server with SIGKILL (no chance to finish anything) and waits for it.
func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

// stop ends the server gracefully (SIGINT) and waits for it.
func (s *server) stop() {
	if s.alive() {
		s.cmd.Process.Signal(os.Interrupt)
	}
	<-s.exited
}

// request sends a request with the server's token and returns status and body.
func (s *server) request(t testing.TB, method, path string, body io.Reader, contentType string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v\nserver log:\n%s", method, path, err, s.log)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// upload uploads one file and returns the new item's id.
func (s *server) upload(t testing.TB, name string, body []byte) float64 {
	t.Helper()
	mb, ct := multipartBody(t, []upFile{{name: name, body: body}}, nil)
	st, b := s.request(t, "POST", "/api/media", mb, ct)
	var out struct {
		Media []map[string]any `json:"media"`
	}
	if err := json.Unmarshal(b, &out); err != nil || st != 201 {
		t.Fatalf("upload: %d %s", st, b)
	}
	return out.Media[0]["id"].(float64)
}

// get GETs a JSON object.
func (s *server) get(t testing.TB, path string) map[string]any {
	t.Helper()
	st, b := s.request(t, "GET", path, nil, "")
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: %d %s", path, st, b)
	}
	return m
}

// waitProcessed waits until each item is no longer pending and returns the last.
func (s *server) waitProcessed(t testing.TB, ids ...float64) map[string]any {
	t.Helper()
	var m map[string]any
	for _, id := range ids {
		deadline := time.Now().Add(time.Minute)
		for {
			m = s.get(t, fmt.Sprintf("/api/media/%d", int64(id)))
			if m["processing"] != "pending" {
				break
			}
			if time.Now().After(deadline) || !s.alive() {
				t.Fatalf("item %v still pending (alive %v):\n%s", id, s.alive(), s.log)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return m
}

// waitReady is waitProcessed, requiring every item to end ready.
func (s *server) waitReady(t testing.TB, ids ...float64) map[string]any {
	t.Helper()
	var m map[string]any
	for _, id := range ids {
		if m = s.waitProcessed(t, id); m["processing"] != "ready" {
			t.Fatalf("processing %v: %v", m["processing"], m["processing_error"])
		}
	}
	return m
}

// galleryMediaOrder is the server-side order of a gallery, as media ids.
func (e *testEnv) galleryMediaOrder(t testing.TB, pid int64) []int64 {
	t.Helper()
	ctx := data.WithPrincipal(t.Context(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "test", Role: data.RoleOwner, Scopes: data.RoleOwner.Scopes()})
	g, err := e.app.catalog.FindGallery(ctx, pid, data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, gi := range g.Images {
		ids = append(ids, gi.MediaID)
	}
	return ids
}
