package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// httpGet GETs url and returns the status and body.
func httpGet(t testing.TB, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// scrape reads /metrics of a metrics listener and parses it as Prometheus does.
func scrape(t testing.TB, base string) map[string]*dto.MetricFamily {
	t.Helper()
	st, body := httpGet(t, base+"/metrics")
	if st != 200 {
		t.Fatalf("GET /metrics: %d %s", st, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// series finds the series of a family whose labels include want; nil if none.
func series(fams map[string]*dto.MetricFamily, name string, want ...string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if have[want[i]] != want[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value, or a histogram's count (0 when absent).
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	m := series(fams, name, labels...)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// Issue 14, operations: /metrics on its own listener, in Prometheus text
// format, with requests counted by route pattern (never a raw path) and
// status, latency histograms, upload bytes, the rendition queue and jobs,
// SQLite's write-lock wait, GC runs and freed bytes, blob-store errors;
// neither listener serves the other's paths.
func TestMetricsEndpoint(t *testing.T) {
	maddr := freeAddr(t)
	s := startBinary(t, buildBinary(t), "--metrics-addr", maddr)
	mbase := "http://" + maddr
	before := scrape(t, mbase)

	png := realPNG(t, 64, 48)
	mb, ct := multipartBody(t, []upFile{{name: "a.png", body: png}}, nil)
	body, _ := io.ReadAll(mb)
	st, out := s.request(t, "POST", "/api/media", bytes.NewReader(body), ct)
	if st != 201 {
		t.Fatalf("upload: %d %s", st, out)
	}
	var created struct{ Media []map[string]any }
	json.Unmarshal(out, &created)
	id := created.Media[0]["id"].(float64)
	s.waitReady(t, id)
	s.get(t, fmt.Sprintf("/api/media/%d", int64(id)))
	if st, _ := s.request(t, "GET", "/api/media/987654", nil, ""); st != 404 {
		t.Fatalf("missing item: %d", st)
	}
	if st, _ := s.request(t, "GET", "/api/media?limit=5", nil, ""); st != 200 {
		t.Fatalf("list: %d", st)
	}
	if st, _ := s.request(t, "GET", "/no/such/page/123", nil, ""); st != 404 {
		t.Fatalf("unknown path: %d", st)
	}
	for _, q := range []string{"", "?purge=true"} { // to the trash, then out of it
		if st, b := s.request(t, "DELETE", fmt.Sprintf("/api/media/%d%s", int64(id), q), nil, ""); st != 204 {
			t.Fatalf("DELETE%s: %d %s", q, st, b)
		}
	}
	after := scrape(t, mbase)
	grew := func(name string, labels ...string) float64 {
		return value(after, name, labels...) - value(before, name, labels...)
	}

	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"gallerist_http_requests_total", []string{"method", "GET", "route", "/api/media/:id", "status", "404"}, 1},
		{"gallerist_http_requests_total", []string{"method", "POST", "route", "/api/media", "status", "201"}, 1},
		{"gallerist_http_requests_total", []string{"method", "GET", "route", "/api/media", "status", "200"}, 1},
		{"gallerist_http_requests_total", []string{"method", "GET", "route", "unmatched", "status", "404"}, 1},
		{"gallerist_http_requests_total", []string{"method", "DELETE", "route", "/api/media/:id", "status", "204"}, 2},
		{"gallerist_upload_bytes_total", []string{"route", "/api/media"}, float64(len(body))},
		{"gallerist_blobs_freed_bytes_total", nil, float64(len(png))},
		{"gallerist_blobs_freed_total", nil, 1},
		{"gallerist_rendition_job_duration_seconds", []string{"outcome", "ready"}, 1},
	} {
		if got := grew(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v grew by %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// waitReady polled GET /api/media/:id: at least the one read after it and the 404.
	if got := grew("gallerist_http_requests_total", "method", "GET", "route", "/api/media/:id", "status", "200"); got < 2 {
		t.Errorf("GET /api/media/:id 200 grew by %v", got)
	}
	if got := grew("gallerist_http_request_duration_seconds", "method", "GET", "route", "/api/media/:id"); got < 3 {
		t.Errorf("the latency histogram of GET /api/media/:id counted %v requests", got)
	}
	if grew("gallerist_sqlite_write_lock_wait_seconds") < 2 {
		t.Errorf("the upload and the purge waited for the write lock, yet the histogram did not count them")
	}
	if m := series(after, "gallerist_rendition_queue_depth"); m == nil || m.Gauge.GetValue() != 0 {
		t.Errorf("rendition queue depth after processing: %v", m)
	}
	for _, op := range []string{"put", "get", "stat", "delete", "list"} {
		if series(after, "gallerist_blob_errors_total", "op", op) == nil {
			t.Errorf("no blob error counter for %s", op)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if after[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	// The collector runs once at start, in the background.
	for deadline := time.Now().Add(30 * time.Second); value(after, "gallerist_gc_runs_total", "outcome", "ok") < 1; after = scrape(t, mbase) {
		if time.Now().After(deadline) {
			t.Fatal("the start's garbage collection was not counted")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Label values are route patterns: never an id, a file key or a raw path.
	digits := regexp.MustCompile(`[0-9]`)
	for _, name := range []string{"gallerist_http_requests_total", "gallerist_http_request_duration_seconds", "gallerist_upload_bytes_total"} {
		for _, m := range after[name].GetMetric() {
			for _, l := range m.Label {
				if l.GetName() == "route" && (digits.MatchString(l.GetValue()) || !strings.HasPrefix(l.GetValue(), "/") && l.GetValue() != "unmatched") {
					t.Errorf("%s has route label %q", name, l.GetValue())
				}
			}
		}
	}

	// Each listener serves only its own paths; both answer the probes.
	if st, _ := httpGet(t, s.base+"/metrics"); st != 404 {
		t.Errorf("the main listener answers /metrics: %d", st)
	}
	if st, _ := httpGet(t, mbase+"/api/ping"); st != 404 {
		t.Errorf("the metrics listener answers /api/ping: %d", st)
	}
	for _, base := range []string{s.base, mbase} {
		if st, b := httpGet(t, base+"/healthz"); st != 200 || strings.TrimSpace(b) != "ok" {
			t.Errorf("%s/healthz: %d %q", base, st, b)
		}
		if st, b := httpGet(t, base+"/readyz"); st != 200 || !strings.Contains(b, `"status":"ready"`) {
			t.Errorf("%s/readyz: %d %s", base, st, b)
		}
	}
}

// readyz answers /readyz of the env's app: status and parsed body.
func readyz(t testing.TB, e *testEnv) (int, readinessBody) {
	t.Helper()
	res, err := e.srv.App.Test(httptest.NewRequest("GET", "/readyz", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rb readinessBody
	if err := json.NewDecoder(res.Body).Decode(&rb); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, rb
}

type readinessBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	Errors map[string]string `json:"errors"`
}

// /readyz turns 503, naming the failed check, when the blob folder is gone
// (an unmounted volume) or the database file was moved away under the
// server, and 200 again once they are back; the reason goes to the log
// once per change (not to the public, and not once per probe), on the
// metrics listener to the body too. Probes leave no access-log lines.
func TestReadiness(t *testing.T) {
	var logs syncBuffer
	e := newTestEnv(t, func(c *config) { c.metricsAddr = "127.0.0.1:0" })
	e.srv = newServer(e.app, e.cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	clock := e.useClock(time.Now()) // the public /readyz reuses a verdict for 2 s
	if st, rb := readyz(t, e); st != 200 || rb.Status != "ready" || rb.Checks["database"] != "ok" || rb.Checks["blobs"] != "ok" {
		t.Fatalf("healthy: %d %+v", st, rb)
	}

	blobs := filepath.Join(e.dir, "blobs") // the local store's originals
	if err := os.Rename(blobs, blobs+".away"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	for range 2 {
		st, rb := readyz(t, e)
		if st != 503 || rb.Status != "unavailable" || rb.Checks["blobs"] != "failed" || rb.Checks["database"] != "ok" || rb.Errors != nil {
			t.Fatalf("without the blob folder: %d %+v", st, rb)
		}
	}
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var private readinessBody
	json.Unmarshal(rec.Body.Bytes(), &private)
	if rec.Code != 503 || !strings.Contains(private.Errors["blobs"], "blob folder is missing") {
		t.Errorf("the metrics listener's /readyz: %d %s", rec.Code, rec.Body)
	}
	if err := os.Rename(blobs+".away", blobs); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	if st, rb := readyz(t, e); st != 200 {
		t.Fatalf("blob folder back: %d %+v", st, rb)
	}

	dbFile := filepath.Join(e.dir, "gallerist.db")
	if err := os.Rename(dbFile, dbFile+".away"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	if st, rb := readyz(t, e); st != 503 || rb.Checks["database"] != "failed" || rb.Checks["blobs"] != "ok" {
		t.Fatalf("without the database file: %d %+v", st, rb)
	}
	if err := os.Rename(dbFile+".away", dbFile); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	if st, rb := readyz(t, e); st != 200 {
		t.Fatalf("database file back: %d %+v", st, rb)
	}
	for range 3 {
		if res, err := e.srv.App.Test(httptest.NewRequest("GET", "/healthz", nil), -1); err != nil || res.StatusCode != 200 {
			t.Fatalf("/healthz: %v %v", res, err)
		}
	}

	var notReady, readyAgain, requests int
	for _, l := range jsonLines(t, logs.String()) {
		switch l["msg"] {
		case "not ready":
			notReady++
		case "ready again":
			readyAgain++
		case "request":
			requests++
		}
	}
	if notReady != 2 || readyAgain != 2 || requests != 0 {
		t.Errorf("log: %d not ready, %d ready again, %d request lines; want 2, 2, 0:\n%s", notReady, readyAgain, requests, logs.String())
	}
}

// --log-format json: every line the server writes is a JSON object, and the
// access log's carry the request id (the client's, echoed), method, route
// pattern, status and duration.
func TestLogFormatJSON(t *testing.T) {
	s := startBinary(t, buildBinary(t), "--log-format", "json", "--metrics-addr", "127.0.0.1:0")
	// stdout too: where it listens (the journal gets both streams).
	s.stop()
	s.stdout = s.log
	s.start(t)
	req, _ := http.NewRequest("GET", s.base+"/api/media/4242", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("X-Request-Id", "probe-7")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	s.stop()
	var found bool
	for _, l := range jsonLines(t, s.log.String()) {
		if l["msg"] != "request" || l["request_id"] != "probe-7" {
			continue
		}
		found = true
		if l["method"] != "GET" || l["route"] != "/api/media/:id" || l["status"] != float64(404) || l["duration"] == nil || l["level"] != "INFO" || l["time"] == nil {
			t.Errorf("access line: %v", l)
		}
	}
	if !found {
		t.Errorf("no access line with the request id:\n%s", s.log)
	}
	for _, want := range []string{"Gallerist is running on http://", "Metrics on http://"} {
		if !strings.Contains(s.log.String(), `"msg":"`+want) {
			t.Errorf("no JSON line %q:\n%s", want, s.log)
		}
	}
	// The store is described in words, not as an empty JSON object.
	found = false
	for _, l := range jsonLines(t, s.log.String()) {
		if l["msg"] == "blob store" {
			found = true
			if st, _ := l["store"].(string); !strings.HasPrefix(st, "local folder ") || l["file_requests"] != "streamed" {
				t.Errorf("blob store line: %v", l)
			}
		}
	}
	if !found {
		t.Errorf("no blob store line:\n%s", s.log)
	}
}

// A malformed --log-format (or GALLERIST_LOG_FORMAT) stops the start with
// an error naming it, and so does a --metrics-addr that cannot be listened on.
func TestServeRefusesBadOpsSettings(t *testing.T) {
	bin := buildBinary(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--log-format", "xml"}, "", `--log-format "xml": must be text or json`},
		{nil, "GALLERIST_LOG_FORMAT=yaml", `--log-format (from GALLERIST_LOG_FORMAT="yaml"): must be text or json`},
		{[]string{"--metrics-addr", "9090"}, "", `--metrics-addr "9090": must be host:port`},
		{[]string{"--metrics-addr", taken.Addr().String()}, "", "--metrics-addr: listen tcp " + taken.Addr().String()},
	} {
		cmd := exec.Command(bin, append([]string{"serve", "--data", t.TempDir(), "--addr", freeAddr(t)}, c.args...)...)
		cmd.Env = append(os.Environ(), c.env)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%v %s: %v, output:\n%s\nwant an error containing %q", c.args, c.env, err, out, c.want)
		}
	}
}

// TestPublicReadyzSharesOneCheck: the public /readyz runs one check for
// any number of concurrent callers and reuses its verdict for 2 s (each
// run lists the bucket: anonymous probes must not drive billed requests);
// the metrics listener's /readyz checks afresh each time.
func TestPublicReadyzSharesOneCheck(t *testing.T) {
	var counts s3Requests
	e := newTestEnv(t, withS3(t), countS3(&counts), func(c *config) { c.metricsAddr = "127.0.0.1:0" })
	clock := e.useClock(time.Now())
	counts.take() // the start-up check
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.srv.App.Test(httptest.NewRequest("GET", "/readyz", nil), -1)
			if err != nil || res.StatusCode != 200 {
				t.Errorf("/readyz: %v %v", res, err)
			}
		}()
	}
	wg.Wait()
	if n := counts.take(); n["GET"] != 1 || len(n) != 1 {
		t.Fatalf("50 concurrent probes made these store requests: %v, want one listing", n)
	}
	if st, _ := readyz(t, e); st != 200 {
		t.Fatalf("/readyz: %d", st)
	}
	if n := counts.take(); len(n) != 0 {
		t.Fatalf("a probe within 2 s of the last check made store requests: %v", n)
	}
	clock.Advance(3 * time.Second)
	if st, _ := readyz(t, e); st != 200 {
		t.Fatalf("/readyz: %d", st)
	}
	if n := counts.take(); n["GET"] != 1 {
		t.Fatalf("a probe 3 s later made these store requests: %v, want one listing", n)
	}
	for range 3 {
		rec := httptest.NewRecorder()
		e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		if rec.Code != 200 {
			t.Fatalf("metrics listener's /readyz: %d %s", rec.Code, rec.Body)
		}
	}
	if n := counts.take(); n["GET"] != 3 {
		t.Fatalf("3 probes on the metrics listener made these store requests: %v, want 3 listings", n)
	}
}

// TestHealthRequestID: /healthz and /readyz answer X-Request-Id like every
// other answer (the client's, or a new one), on both listeners.
func TestHealthRequestID(t *testing.T) {
	e := newTestEnv(t, func(c *config) { c.metricsAddr = "127.0.0.1:0" })
	for _, path := range []string{"/healthz", "/readyz"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("X-Request-Id", "probe-9")
		res, err := e.srv.App.Test(req, -1)
		if err != nil || res.StatusCode != 200 || res.Header.Get("X-Request-Id") != "probe-9" {
			t.Fatalf("%s: %v %v", path, res, err)
		}
		if res, _ := e.srv.App.Test(httptest.NewRequest("GET", path, nil), -1); len(res.Header.Get("X-Request-Id")) != 16 {
			t.Fatalf("%s without an id: %q", path, res.Header.Get("X-Request-Id"))
		}
		rec := httptest.NewRecorder()
		e.srv.MetricsHandler().ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("X-Request-Id") != "probe-9" {
			t.Fatalf("metrics listener's %s: %d %v", path, rec.Code, rec.Header())
		}
	}
}
