package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeStopsGracefully: on SIGINT/SIGTERM (the context run gets) the
// server stops taking connections, lets an in-flight upload finish, and closes
// the database cleanly (the WAL is checkpointed into the main file).
func TestServeStopsGracefully(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string { return "" }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--name", "t", "--scopes", "media:read,media:create"}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	tok := lines[len(lines)-1]
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--addr", addr, "--render-workers", "0"}, env, nil, io.Discard, io.Discard)
	}()
	base := "http://" + addr
	for i := 0; ; i++ {
		if res, err := http.Get(base + "/api/ping"); err == nil {
			res.Body.Close()
			break
		}
		if i > 200 {
			t.Fatal("server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// An upload that is still sending when the stop comes.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, _ := http.NewRequest("POST", base+"/api/media", pr)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	type result struct {
		status int
		err    error
	}
	answered := make(chan result, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- result{err: err}
			return
		}
		res.Body.Close()
		answered <- result{status: res.StatusCode}
	}()
	png := readFile(t, goImageTestdata("video-001.png"))
	fw, _ := mw.CreateFormFile("file", "late.png")
	fw.Write(png[:100])
	time.Sleep(200 * time.Millisecond) // the request is in flight
	stop()
	time.Sleep(200 * time.Millisecond)
	fw.Write(png[100:])
	mw.Close()
	pw.Close()

	r := <-answered
	if r.err != nil || r.status != 201 {
		t.Fatalf("in-flight upload: %d %v", r.status, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get(base + "/api/ping"); err == nil {
		t.Fatal("still serving after the stop")
	}
	if st, err := os.Stat(filepath.Join(dir, "gallerist.db-wal")); err == nil && st.Size() > 0 {
		t.Fatalf("WAL not checkpointed on close: %d bytes", st.Size())
	}
	e := newTestEnv(t, func(c *config) { c.dataDir = dir })
	var n int
	e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM media WHERE filename = 'late.png'`).Scan(&n)
	if n != 1 {
		t.Fatalf("the in-flight upload was not stored (%d rows)", n)
	}
}
