package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestFrameworkErrorsUseTheErrorShape: errors raised by Fiber and fasthttp
// themselves (a malformed request, headers over the buffer, an unknown route)
// answer in the same {"error": {"code", "message"}} shape as ours.
func TestFrameworkErrorsUseTheErrorShape(t *testing.T) {
	e := newTestEnv(t)
	base := e.serveLoopback(t)
	addr := strings.TrimPrefix(base, "http://")
	raw := func(req string) (int, map[string]any) {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, req)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%q: %v", req[:min(len(req), 40)], err)
		}
		defer res.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatalf("%q: answer is not JSON: %v", req[:min(len(req), 40)], err)
		}
		return res.StatusCode, body
	}
	cases := []struct {
		name, req string
		status    int
	}{
		{"not HTTP", "HELLO\r\n\r\n", 400},
		{"headers over the buffer", "GET /api/media HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n", 431},
		{"unknown API route", "GET /api/nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"unknown file", "GET /files/nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := raw(tc.req)
			errObj, ok := body["error"].(map[string]any)
			if !ok || errObj["code"] == "" || errObj["message"] == "" {
				t.Fatalf("%d %v", status, body)
			}
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
		})
	}
}
