package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"gallerist/data"
	"gallerist/web"
)

func trustProxies(t testing.TB, cidrs string) func(*config) {
	prefixes, err := web.ParseTrustedProxies(cidrs)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *config) { c.trustedProxies = prefixes }
}

var spoofedForwarding = []string{
	"X-Forwarded-Host", "evil.example",
	"X-Forwarded-Proto", "https",
	"X-Forwarded-Ssl", "on",
	"X-Url-Scheme", "https",
}

// mediaURLs returns the url of a media item as the item, the list and a
// gallery answer show it, each requested with the headers.
func mediaURLs(t *testing.T, e *testEnv, tok string, id, pid int64, hdr ...string) []string {
	t.Helper()
	var out []string
	r := e.do(t, "GET", fmt.Sprintf("/api/media/%d", id), tok, nil, "", hdr...)
	out = append(out, r.json(t)["url"].(string))
	r = e.do(t, "GET", "/api/media", tok, nil, "", hdr...)
	out = append(out, r.json(t)["data"].([]any)[0].(map[string]any)["url"].(string))
	r = e.do(t, "GET", fmt.Sprintf("/api/products/%d/images", pid), tok, nil, "", hdr...)
	out = append(out, r.json(t)["data"].([]any)[0].(map[string]any)["src"].(string))
	return out
}

// failLogins posts n wrong passwords for email with the headers and returns the statuses.
func failLogins(t *testing.T, e *testEnv, email string, n int, hdr ...string) []int {
	t.Helper()
	c := e.client()
	c.get(t, "/login")
	var out []int
	for i := 0; i < n; i++ {
		st, _ := c.post(t, "/login", url.Values{"email": {email}, "password": {"wrong password"}}, hdr...)
		out = append(out, st)
	}
	return out
}

func TestForwardedHeadersIgnoredByDefault(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	id := idOf(e.uploadOK(t, tok, "mug.jpg", readFile(t, goImageTestdata("video-001.jpeg"))))
	pid := e.createProduct(t, tok, "Mug")
	e.attachOK(t, tok, pid, id)

	t.Run("AbsoluteURLs", func(t *testing.T) {
		for _, u := range mediaURLs(t, e, tok, id, pid, spoofedForwarding...) {
			if !strings.HasPrefix(u, "http://example.com/files/") {
				t.Errorf("a client's X-Forwarded-Host/-Proto changed an absolute URL: %s", u)
			}
		}
	})
	t.Run("RateLimitKey", func(t *testing.T) {
		e.createUser(t, testOwnerEmail, data.RoleOwner)
		c := e.client()
		c.get(t, "/login")
		for i := 0; i < 5; i++ {
			st, _ := c.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {"wrong password"}},
				"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
			if st != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i+1, st)
			}
		}
		st, _ := c.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {testOwnerPassword}}, "X-Forwarded-For", "203.0.113.99")
		if st != http.StatusTooManyRequests {
			t.Fatalf("a new X-Forwarded-For escaped the limit of the connection's address: %d", st)
		}
	})
}

func TestForwardedHeadersFromTrustedProxies(t *testing.T) {
	t.Run("PeerNotTrusted", func(t *testing.T) {
		// app.Test's peer is 0.0.0.0, which this setting does not trust.
		e := newTestEnv(t, trustProxies(t, "127.0.0.1/32"))
		tok := e.token(t, 0)
		id := idOf(e.uploadOK(t, tok, "mug.jpg", readFile(t, goImageTestdata("video-001.jpeg"))))
		pid := e.createProduct(t, tok, "Mug")
		e.attachOK(t, tok, pid, id)
		for _, u := range mediaURLs(t, e, tok, id, pid, spoofedForwarding...) {
			if !strings.HasPrefix(u, "http://example.com/files/") {
				t.Errorf("headers from an untrusted peer changed an absolute URL: %s", u)
			}
		}
	})

	for _, cidrs := range []string{"0.0.0.0/0", "0.0.0.0/32", "10.0.0.0/8, 0.0.0.0"} {
		t.Run("Trusted_"+strings.ReplaceAll(cidrs, "/", "_"), func(t *testing.T) {
			e := newTestEnv(t, trustProxies(t, cidrs))
			tok := e.token(t, 0)
			id := idOf(e.uploadOK(t, tok, "mug.jpg", readFile(t, goImageTestdata("video-001.jpeg"))))
			pid := e.createProduct(t, tok, "Mug")
			e.attachOK(t, tok, pid, id)
			for _, u := range mediaURLs(t, e, tok, id, pid, "X-Forwarded-Host", "shop.example", "X-Forwarded-Proto", "https") {
				if !strings.HasPrefix(u, "https://shop.example/files/") {
					t.Errorf("a trusted proxy's X-Forwarded-Host/-Proto were not used: %s", u)
				}
			}
			for _, u := range mediaURLs(t, e, tok, id, pid) {
				if !strings.HasPrefix(u, "http://example.com/files/") {
					t.Errorf("without forwarding headers: %s", u)
				}
			}

			e.createUser(t, testOwnerEmail, data.RoleOwner)
			if got := failLogins(t, e, testOwnerEmail, 6, "X-Forwarded-For", "203.0.113.1"); got[5] != http.StatusTooManyRequests {
				t.Fatalf("six failures from one forwarded client: %v", got)
			}
			// A client prepending its own entry is still counted as the
			// address the proxy appended, unless everything is trusted.
			got := failLogins(t, e, testOwnerEmail, 1, "X-Forwarded-For", "198.51.100.7, 203.0.113.1")
			if cidrs != "0.0.0.0/0" && got[0] != http.StatusTooManyRequests {
				t.Fatalf("a prepended X-Forwarded-For entry escaped the limit: %v", got)
			}
			if got := failLogins(t, e, testOwnerEmail, 1, "X-Forwarded-For", "203.0.113.2"); got[0] != http.StatusUnauthorized {
				t.Fatalf("another forwarded client was limited too: %v", got)
			}
		})
	}

	t.Run("LoopbackProxy", func(t *testing.T) {
		e := newTestEnv(t, trustProxies(t, "127.0.0.1/32, ::1"))
		tok := e.token(t, 0)
		id := idOf(e.uploadOK(t, tok, "mug.jpg", readFile(t, goImageTestdata("video-001.jpeg"))))
		base := e.serveLoopback(t)
		req, err := http.NewRequest("GET", fmt.Sprintf("%s/api/media/%d", base, id), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Forwarded-Host", "shop.example")
		req.Header.Set("X-Forwarded-Proto", "https")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(b, &m); err != nil || !strings.HasPrefix(m.URL, "https://shop.example/files/") {
			t.Fatalf("through a trusted loopback proxy: %d %s", res.StatusCode, b)
		}
	})
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := web.ParseTrustedProxies(" 10.0.0.0/8, 127.0.0.1 ,2001:db8::/32,::1, 192.168.1.7/24,")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.168.1.0/24")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got, err := web.ParseTrustedProxies(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0", "fe80::1%eth0"} {
		if _, err := web.ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestServeTrustedProxiesFlag(t *testing.T) {
	err := run(t.Context(), []string{"serve", "--data", t.TempDir(), "--trusted-proxies", "not-a-range"}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
		t.Fatalf("a bad --trusted-proxies: %v", err)
	}
	err = run(t.Context(), []string{"serve", "--data", t.TempDir()}, func(k string) string {
		if k == "GALLERIST_TRUSTED_PROXIES" {
			return "10.0.0.0/8,nonsense"
		}
		return ""
	}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
		t.Fatalf("a bad GALLERIST_TRUSTED_PROXIES: %v", err)
	}
}
