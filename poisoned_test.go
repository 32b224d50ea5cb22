package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPoisonedJob: an image whose decoding panicked (wave 1's 721-byte JPEG
// with an over-subscribed Huffman table killed the server a second after its
// 201, and again at every restart) must leave the real binary up, end
// "failed" with a reason, and not be retried into a crash loop on restart.
func TestPoisonedJob(t *testing.T) {
	s := startBinary(t, buildBinary(t), "--render-workers", "1")
	crasher := readFile(t, filepath.Join("testdata", "hostile", "oversubscribed-dht.jpg"))
	id := s.upload(t, "crash.jpg", crasher)
	// The announced renditions are made on demand by anyone: that path must survive too.
	m := s.get(t, fmt.Sprintf("/api/media/%d", int64(id)))
	if rs, ok := m["renditions"].(map[string]any); ok {
		for _, u := range rs {
			s.request(t, "GET", strings.TrimPrefix(u.(string), s.base), nil, "")
		}
	}
	m = s.waitProcessed(t, id)
	if !s.alive() {
		t.Fatalf("the server died:\n%s", s.log)
	}
	// The fixed decoder reads this file as image/jpeg does (ready); a decoder
	// that panics on it is caught and the item fails with a reason.
	if st := m["processing"]; st != "ready" && (st != "failed" || m["processing_error"] == "") {
		t.Fatalf("processing %v (%v), want ready, or failed with a reason", st, m["processing_error"])
	}
	state := m["processing"]
	t.Logf("the crasher ended %v (%v)", state, m["processing_error"])

	// A restart does not pick the job up again, and the worker still works.
	s.stop()
	s.start(t)
	good := s.upload(t, "good.jpg", readFile(t, goImageTestdata("video-001.jpeg")))
	s.waitReady(t, good)
	time.Sleep(200 * time.Millisecond)
	if !s.alive() {
		t.Fatalf("the server died after restart:\n%s", s.log)
	}
	if m := s.get(t, fmt.Sprintf("/api/media/%d", int64(id))); m["processing"] != state {
		t.Fatalf("after restart: processing %v, was %v", m["processing"], state)
	}
}

// TestJobAttemptsCountedAtStart: attempts are counted when a job starts, so a
// job whose every start took the process down (three recorded starts, never
// finished) is marked failed at the next start without being decoded again.
func TestJobAttemptsCountedAtStart(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "photo.jpg", readFile(t, goImageTestdata("video-001.jpeg")))
	if m["processing"] != "pending" {
		t.Fatalf("processing %v", m["processing"])
	}
	if err := e.app.db.ExecForTest(`UPDATE rendition_jobs SET attempts = 3`); err != nil {
		t.Fatal(err)
	}
	// Nor may a request make it on demand.
	for _, u := range m["renditions"].(map[string]any) {
		if r := e.do(t, "GET", pathOf(u.(string)), "", nil, ""); r.Status != 404 {
			t.Fatalf("on-demand rendition of a job given up on: %d", r.Status)
		}
	}
	e.startRenderer(t)
	got := e.waitProcessed(t, tok, m["id"].(float64))
	if got["processing"] != "failed" || !strings.Contains(got["processing_error"].(string), "failed") {
		t.Fatalf("processing %v (%v)", got["processing"], got["processing_error"])
	}
	if n := e.app.renderer.Made(); n != 0 {
		t.Fatalf("made %d renditions of a job given up on", n)
	}
	var jobs int
	if err := e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM rendition_jobs`).Scan(&jobs); err != nil || jobs != 0 {
		t.Fatalf("jobs left: %d %v", jobs, err)
	}
}

// logCounter counts log records by message.
type logCounter struct {
	mu   sync.Mutex
	msgs map[string]int
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs[r.Message]++
	return nil
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }
func (l *logCounter) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.msgs[msg]
}

// TestRendererBacksOffWhileTheDatabaseCannotCommit: with the database
// refusing writes (as on a read-only or failing disk) the worker renders
// nothing, waits with backoff and logs the state change once, then picks the
// job up when writes work again (wave 1 re-rendered the same image at a full
// core).
func TestRendererBacksOffWhileTheDatabaseCannotCommit(t *testing.T) {
	e := newTestEnv(t)
	logs := &logCounter{msgs: map[string]int{}}
	e.app.db.Log = slog.New(logs)
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "photo.jpg", readFile(t, goImageTestdata("video-001.jpeg")))
	if err := e.app.db.ExecForTest(`PRAGMA query_only = ON`); err != nil {
		t.Fatal(err)
	}
	e.startRenderer(t)
	time.Sleep(3 * time.Second)
	if n := e.app.renderer.Made(); n != 0 {
		t.Fatalf("made %d renditions while nothing could be committed", n)
	}
	if n := logs.count("rendition queue unavailable; retrying with backoff"); n != 1 {
		t.Fatalf("logged the outage %d times, want once", n)
	}
	if err := e.app.db.ExecForTest(`PRAGMA query_only = OFF`); err != nil {
		t.Fatal(err)
	}
	if got := e.waitProcessed(t, tok, m["id"].(float64)); got["processing"] != "ready" {
		t.Fatalf("after recovery: %v", got["processing"])
	}
	if n := logs.count("rendition queue available again"); n != 1 {
		t.Fatalf("logged the recovery %d times, want once", n)
	}
}
