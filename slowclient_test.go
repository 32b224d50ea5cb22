package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gallerist/web"
)

// TestCompressedBodiesRefused: a gzip body is refused before anything reads
// it (wave 1 inflated a 2 KB body to gigabytes), on buffered and streaming
// routes alike, and changes nothing.
func TestCompressedBodiesRefused(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write([]byte(`{"title": "`))
	zw.Write(bytes.Repeat([]byte("a"), 64<<20))
	zw.Write([]byte(`"}`))
	zw.Close()
	before := e.snapshot(t)
	for _, tc := range []struct{ path, ct, enc string }{
		{"/api/products", "application/json", "gzip"},
		{"/api/products", "application/json", "deflate"},
		{"/api/products", "application/json", "br"},
		{"/api/products", "application/json", "identity, gzip"},
		{"/api/media", "application/json", "gzip"},
		{"/api/media", "multipart/form-data; boundary=x", "gzip"},
	} {
		t.Run(tc.path+" "+tc.enc, func(t *testing.T) {
			r := e.do(t, "POST", tc.path, tok, bytes.NewReader(bomb.Bytes()), tc.ct, "Content-Encoding", tc.enc)
			if r.Status != 415 || r.errCode(t) != "unsupported_content_encoding" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("a refused body changed the data dir:\n%s\n%s", before, after)
	}
	if r := e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "Plain"}); r.Status != 201 {
		t.Fatalf("plain body: %d %s", r.Status, r.Body)
	}
}

// slowServer serves a test env on loopback with short client timeouts.
func slowServer(t *testing.T, to web.Timeouts) (*testEnv, string) {
	t.Helper()
	e := newTestEnv(t, func(c *config) { c.timeouts = to })
	return e, strings.TrimPrefix(e.serveLoopback(t), "http://")
}

// closedWithin reports whether the server closes conn (a read ends) before
// the test gives up, while feed keeps the client busy.
func closedWithin(conn net.Conn, giveUp time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(giveUp))
	_, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

// TestSlowClients: headers must arrive within the header timeout, idle
// keep-alive connections close, and one address cannot hold more than its
// share of connections; a slow upload that keeps making progress still works.
func TestSlowClients(t *testing.T) {
	t.Run("SlowHeaders", func(t *testing.T) {
		_, addr := slowServer(t, web.Timeouts{Header: time.Second})
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET /api/ping HTTP/1.1\r\nHost: x\r\n")
		done := make(chan struct{})
		go func() { // one header byte every 200 ms: never a complete request
			defer close(done)
			for i := 0; i < 100; i++ {
				if _, err := conn.Write([]byte("X")); err != nil {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		}()
		if !closedWithin(conn, 20*time.Second) {
			t.Fatal("a client trickling its headers kept the connection for 20 s (header timeout 1 s)")
		}
		conn.Close()
		<-done
	})
	t.Run("IdleKeepAlive", func(t *testing.T) {
		_, addr := slowServer(t, web.Timeouts{Idle: time.Second})
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET /api/ping HTTP/1.1\r\nHost: x\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if !closedWithin(conn, 20*time.Second) {
			t.Fatal("an idle keep-alive connection stayed open for 20 s (idle timeout 1 s)")
		}
	})
	t.Run("ConnectionsPerIP", func(t *testing.T) {
		_, addr := slowServer(t, web.Timeouts{MaxConnsPerIP: 3})
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < 3; i++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprint(c, "GET /api/ping HTTP/1.1\r\nHost: x\r\n\r\n")
			if res, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || res.StatusCode != 200 {
				t.Fatalf("connection %d: %v %v", i, res, err)
			}
			conns = append(conns, c)
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprint(c, "GET /api/ping HTTP/1.1\r\nHost: x\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil && res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("a 4th connection from one address with a cap of 3: %d", res.StatusCode)
		}
	})
	t.Run("SlowUploadWithProgress", func(t *testing.T) {
		e, addr := slowServer(t, web.Timeouts{Header: 500 * time.Millisecond, BodyIdle: 2 * time.Second})
		tok := e.token(t, 0)
		body, ct := multipartBody(t, []upFile{{name: "slow.jpg", body: readFile(t, goImageTestdata("video-001.jpeg"))}}, nil)
		raw, _ := io.ReadAll(body)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", tok, ct, len(raw))
		// The server reads up to 8 KB of the body with the headers (within the
		// header timeout); the rest comes in steady pieces over about 2 s,
		// four times the header timeout.
		first := min(8<<10, len(raw))
		if _, err := conn.Write(raw[:first]); err != nil {
			t.Fatal(err)
		}
		piece := (len(raw)-first)/10 + 1
		for off := first; off < len(raw); off += piece {
			if _, err := conn.Write(raw[off:min(off+piece, len(raw))]); err != nil {
				resp, _ := io.ReadAll(conn)
				t.Fatalf("the server dropped a progressing upload at byte %d: %v\n%s", off, err, resp)
			}
			time.Sleep(200 * time.Millisecond)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 201 {
			t.Fatalf("slow upload: %d %s", res.StatusCode, b)
		}
	})
	t.Run("StalledUpload", func(t *testing.T) {
		e, addr := slowServer(t, web.Timeouts{Header: 500 * time.Millisecond, BodyIdle: time.Second})
		tok := e.token(t, 0)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n", tok)
		if !closedWithin(conn, 20*time.Second) {
			t.Fatal("a stalled upload kept its connection for 20 s (body idle timeout 1 s)")
		}
		if n := e.snapshot(t); strings.Contains(n, "tmp") {
			t.Fatalf("a stalled upload left files: %s", n)
		}
	})
}

// TestServeConnectionFlags: malformed connection settings are errors at
// start, whether given as flags or in the environment.
func TestServeConnectionFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: []string{"--max-conns-per-ip", "lots"}, want: "--max-conns-per-ip"},
		{args: []string{"--max-conns-per-ip", "-1"}, want: "--max-conns-per-ip"},
		{env: map[string]string{"GALLERIST_MAX_CONNS_PER_IP": "many"}, want: "--max-conns-per-ip"},
		{args: []string{"--header-timeout", "10"}, want: "--header-timeout"},
		{env: map[string]string{"GALLERIST_HEADER_TIMEOUT": "-5s"}, want: "--header-timeout"},
	} {
		args := append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tc.args...)
		err := run(t.Context(), args, func(k string) string { return tc.env[k] }, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want an error naming %s", tc.args, tc.env, err, tc.want)
		}
	}
}
