package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRefusedTargets runs every URL that must be refused against one Fetcher
// and a canary on 127.0.0.1 that must see no connection at all.
//
// Decision on codes: every refusal, including syntactically unusable URLs
// (no host, bad port, bad scheme, userinfo, garbage), is url_not_allowed —
// a caller can treat the code as "the URL you gave cannot be imported" and
// show the message. fetch_failed is reserved for allowed URLs whose fetch
// did not work. Refusals about addresses (private literal, name resolving to
// a private address, unknown name, redirect to any refused URL, DNS
// rebinding) share one message, checked below.
//
// The only server the fetcher may connect to here is the "public-looking"
// origin on 127.0.0.2 (the one range in Allow), which redirects; every other
// entry must be refused before any connect(2), which the connect log checks.
func TestRefusedTargets(t *testing.T) {
	c := newCanary(t)
	P := c.port()

	var originHits atomic.Int64
	origin := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originHits.Add(1)
		w.Header().Set("Location", r.URL.Query().Get("to"))
		w.WriteHeader(http.StatusFound)
	}))
	originHost := origin.Listener.Addr().String()
	via := func(target string) string {
		return "http://" + originHost + "/r?to=" + url.QueryEscape(target)
	}

	res := newTestResolver()
	res.set("localhost", []string{"127.0.0.1", "::1"})
	res.set("private.test", []string{"10.0.0.5"})
	res.set("rfc1918-172.test", []string{"172.20.1.1"})
	res.set("meta.test", []string{"169.254.169.254"})
	res.set("meta6.test", []string{"fd00:ec2::254"})
	res.set("cgnat.test", []string{"100.100.100.200"})
	res.set("mapped.test", []string{"::ffff:127.0.0.1"})
	res.set("nat64.test", []string{"64:ff9b::a9fe:a9fe"})
	res.set("ula.test", []string{"fd12:3456:789a::1"})
	res.set("mixed.test", []string{"8.8.8.8", "127.0.0.1"})
	res.set("mixed-rev.test", []string{"127.0.0.1", "8.8.8.8"})
	res.set("mixed6.test", []string{"2606:4700:4700::1111", "::1"})
	res.set("mixed-private.test", []string{"8.8.4.4", "192.168.1.10"})
	res.set("empty.test") // resolves, but to no address
	res.set("public.test", []string{"8.8.8.8"})
	// DNS rebinding: the first answer (the pre-flight check) is the allowed
	// 127.0.0.2, later answers (the dial) are the canary's 127.0.0.1.
	res.set("rebind.test", []string{"127.0.0.2"}, []string{"127.0.0.1"})
	res.set("rebind-redirect.test", []string{"127.0.0.2"}, []string{"127.0.0.1"})

	f, log := newTestFetcher(t, Config{
		Allow:    mustAllow(t, "127.0.0.2/32"),
		Timeout:  3 * time.Second,
		Resolver: res,
	})

	type entry struct {
		url  string
		dest bool // refused for where it leads: must carry the shared message
		// viaOrigin: the origin on 127.0.0.2 is connected to (it redirects).
		viaOrigin bool
	}
	lp := func(host string) string { return "http://" + host + ":" + P + "/" }
	entries := []entry{
		// Loopback, every spelling, aimed at the canary.
		{url: lp("127.0.0.1"), dest: true},
		{url: lp("127.1"), dest: true},
		{url: lp("2130706433"), dest: true},
		{url: lp("0x7f000001"), dest: true},
		{url: lp("0X7F000001"), dest: true},
		{url: lp("0177.0.0.1"), dest: true},
		{url: lp("0x7f.1"), dest: true},
		{url: lp("0x7F.0.0.1"), dest: true},
		{url: lp("017700000001"), dest: true},
		{url: lp("127.000.000.001"), dest: true},
		{url: lp("127.0.1"), dest: true},
		{url: lp("127.0.0.1."), dest: true},
		{url: lp("127.255.255.254"), dest: true},
		{url: lp("[::1]"), dest: true},
		{url: lp("[0:0:0:0:0:0:0:1]"), dest: true},
		{url: lp("[::ffff:127.0.0.1]"), dest: true},
		{url: lp("[::ffff:7f00:1]"), dest: true},
		{url: lp("[0:0:0:0:0:ffff:127.0.0.1]"), dest: true},
		{url: lp("[::127.0.0.1]"), dest: true},     // IPv4-compatible
		{url: lp("[::ffff:0:7f00:1]"), dest: true}, // IPv4-translated
		{url: lp("[64:ff9b::7f00:1]"), dest: true}, // NAT64 of 127.0.0.1
		{url: lp("[2002:7f00:1::]"), dest: true},   // 6to4 of 127.0.0.1
		{url: lp("[2002:7f00:1::1]"), dest: true},  // 6to4 of 127.0.0.1
		{url: lp("localhost"), dest: true},         // resolver: 127.0.0.1, ::1
		{url: lp("LOCALHOST."), dest: true},        // same name, other spelling
		{url: lp("0.0.0.0"), dest: true},           // "this host" on Linux
		{url: lp("0"), dest: true},                 // 0.0.0.0
		{url: lp("[::]"), dest: true},              // unspecified
		{url: "HTTP://127.0.0.1:" + P + "/", dest: true},
		{url: "https://127.0.0.1:" + P + "/", dest: true},
		{url: lp("mapped.test"), dest: true},
		{url: lp("mixed.test"), dest: true},
		{url: lp("mixed-rev.test"), dest: true},
		{url: lp("mixed6.test"), dest: true},
		{url: lp("rebind.test"), dest: true},

		// Private (RFC 1918), in several spellings. Never dialled.
		{url: "http://10.0.0.1/", dest: true},
		{url: "http://10.255.255.255:8080/admin", dest: true},
		{url: "http://172.16.0.1/", dest: true},
		{url: "http://172.31.255.254/", dest: true},
		{url: "http://192.168.0.1/", dest: true},
		{url: "http://192.168.1.1:" + P + "/", dest: true},
		{url: "http://0xa000001/", dest: true},   // 10.0.0.1
		{url: "http://167772161/", dest: true},   // 10.0.0.1
		{url: "http://012.0.0.1/", dest: true},   // 10.0.0.1 (octal)
		{url: "http://192.168.257/", dest: true}, // 192.168.1.1
		{url: "http://[::ffff:10.0.0.1]/", dest: true},
		{url: "http://[::ffff:c0a8:101]/", dest: true},
		{url: "http://private.test/", dest: true},
		{url: "http://rfc1918-172.test/", dest: true},
		{url: "http://mixed-private.test/", dest: true},

		// Link-local and cloud metadata.
		{url: "http://169.254.169.254/latest/meta-data/", dest: true},
		{url: "http://2852039166/latest/meta-data/", dest: true}, // 169.254.169.254
		{url: "http://0xa9fea9fe/", dest: true},
		{url: "http://169.254.0.1/", dest: true},
		{url: "http://[fd00:ec2::254]/latest/meta-data/", dest: true},
		{url: "http://[fe80::1]/", dest: true},
		{url: "http://[fe80::1%25eth0]/", dest: true},
		{url: "http://[::ffff:169.254.169.254]/", dest: true},
		{url: "http://meta.test/computeMetadata/v1/", dest: true},
		{url: "http://meta6.test/", dest: true},

		// CGNAT, multicast, broadcast, reserved, special IPv6.
		{url: "http://100.64.0.1/", dest: true},
		{url: "http://100.127.255.254/", dest: true},
		{url: "http://cgnat.test/", dest: true},
		{url: "http://224.0.0.1/", dest: true},
		{url: "http://239.255.255.250:1900/", dest: true},
		{url: "http://255.255.255.255/", dest: true},
		{url: "http://240.0.0.1/", dest: true},
		{url: "http://[ff02::1]/", dest: true},
		{url: "http://[ff05::1:3]/", dest: true},
		{url: "http://[64:ff9b::a9fe:a9fe]/", dest: true}, // NAT64 of metadata
		{url: "http://[64:ff9b:1::a00:1]/", dest: true},
		{url: "http://nat64.test/", dest: true},
		{url: "http://[2002:a00:1::1]/", dest: true},                        // 6to4 of 10.0.0.1
		{url: "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", dest: true}, // Teredo
		{url: "http://[fc00::1]/", dest: true},
		{url: "http://[fd12:3456:789a::1]/", dest: true},
		{url: "http://ula.test/", dest: true},
		{url: "http://[fec0::1]/", dest: true},
		{url: "http://[100::1]/", dest: true},
		{url: "http://[2001:10::1]/", dest: true},
		{url: "http://[2001:2::1]/", dest: true},
		{url: "http://[2001:db8::1]/", dest: true},
		{url: "http://[3fff::1]/", dest: true},

		// Documentation, benchmarking and IETF-reserved IPv4.
		{url: "http://192.0.2.1/", dest: true},
		{url: "http://198.51.100.7/", dest: true},
		{url: "http://203.0.113.9/", dest: true},
		{url: "http://198.18.0.1/", dest: true},
		{url: "http://198.19.255.254/", dest: true},
		{url: "http://192.0.0.8/", dest: true},
		{url: "http://192.88.99.1/", dest: true},

		// Names that do not resolve read the same as private ones.
		{url: "http://nxdomain.test/", dest: true},
		{url: "http://empty.test/", dest: true},

		// Redirects from the allowed origin to refused places.
		{url: via("http://127.0.0.1:" + P + "/"), dest: true, viaOrigin: true},
		{url: via("http://127.1:" + P + "/"), dest: true, viaOrigin: true},
		{url: via("http://[::ffff:127.0.0.1]:" + P + "/"), dest: true, viaOrigin: true},
		{url: via("http://localhost:" + P + "/"), dest: true, viaOrigin: true},
		{url: via("http://10.0.0.1/"), dest: true, viaOrigin: true},
		{url: via("http://169.254.169.254/latest/meta-data/"), dest: true, viaOrigin: true},
		{url: via("http://private.test/"), dest: true, viaOrigin: true},
		{url: via("file:///etc/passwd"), dest: true, viaOrigin: true},
		{url: via("gopher://127.0.0.1:" + P + "/_GET"), dest: true, viaOrigin: true},
		{url: via("ftp://127.0.0.1:" + P + "/"), dest: true, viaOrigin: true},
		{url: via("http://user:pass@127.0.0.2:" + P + "/"), dest: true, viaOrigin: true},
		{url: via("http://rebind-redirect.test:" + P + "/"), dest: true, viaOrigin: true},
		{url: via(via("http://127.0.0.1:" + P + "/")), dest: true, viaOrigin: true},

		// Schemes other than http(s).
		{url: "file:///etc/passwd"},
		{url: "FILE:///etc/passwd"},
		{url: "gopher://127.0.0.1:" + P + "/_GET%20/"},
		{url: "ftp://127.0.0.1:" + P + "/"},
		{url: "dict://127.0.0.1:" + P + "/info"},
		{url: "ws://127.0.0.1:" + P + "/"},
		{url: "data:text/plain,hello"},
		{url: "javascript:alert(1)"},
		{url: "jar:http://127.0.0.1:" + P + "/a.jar!/"},

		// User info.
		{url: "http://user:pass@127.0.0.1:" + P + "/"},
		{url: "http://user@public.test/"},
		{url: "https://user:pass@public.test/"},
		{url: "http://public.test@127.0.0.1:" + P + "/"},

		// Unusable URLs.
		{url: ""},
		{url: "http://:" + P + "/"},
		{url: "http:///etc/passwd"},
		{url: "http:127.0.0.1:" + P + "/"},
		{url: "//127.0.0.1:" + P + "/"},
		{url: "127.0.0.1:" + P},
		{url: "/relative/path"},
		{url: "http://127.0.0.1:0/"},
		{url: "http://public.test:0/"},
		{url: "http://public.test:65536/"},
		{url: "http://public.test:99999999999/"},
		{url: "http://[::1/"},
		{url: "http://exa mple.test/"},
		{url: "http://１２７.０.０.１:" + P + "/"}, // full-width digits
		{url: "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:" + P + "/"},
		{url: "http://1.2.3.4.5/"},
		{url: "http://256.0.0.1/"},
		{url: "http://0x100000000/"},
		{url: "http://08.0.0.1/"},
		{url: "http://127..0.1:" + P + "/"},
		{url: "http://%31%32%37.0.0.1:" + P + "/"},
		{url: "http://127.0.0.1%00.public.test/"},
		{url: "http://" + strings.Repeat("a", 64) + ".test/"},
		{url: "http://public.test/" + strings.Repeat("a", maxURLLength)},
	}
	if len(entries) < 60 {
		t.Fatalf("only %d entries", len(entries))
	}

	destMessages := map[string][]string{}
	for _, e := range entries {
		name := e.url
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			log.setT(t)
			log.reset()
			hitsBefore := originHits.Load()
			resp, err := f.Fetch(context.Background(), e.url, 1<<20)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("fetched %s (final %s), want refused", e.url, resp.URL)
			}
			fe := asError(t, err, CodeNotAllowed)
			if fe.URL == "" || !strings.Contains(fe.Message, fe.URL) {
				t.Errorf("message %q does not name the URL %q", fe.Message, fe.URL)
			}
			if strings.Contains(fe.URL, "user:pass@") {
				t.Errorf("password not redacted: %q", fe.URL)
			}
			if e.dest {
				generic := strings.Replace(fe.Message, fe.URL, "<URL>", 1)
				destMessages[generic] = append(destMessages[generic], e.url)
				for _, leak := range []string{"10.0.0.5", "169.254", "127.0.0.1", "resolv", "private", "loopback", "redirect"} {
					if strings.Contains(generic, leak) {
						t.Errorf("message %q reveals %q", fe.Message, leak)
					}
				}
			}
			if gotHit := originHits.Load() > hitsBefore; gotHit != e.viaOrigin {
				t.Errorf("origin reached = %v, want %v", gotHit, e.viaOrigin)
			}
			connects := log.snapshot()
			for _, a := range connects {
				if !e.viaOrigin || a != originHost {
					t.Errorf("connected to %s", a)
				}
			}
		})
	}
	if len(destMessages) != 1 {
		t.Errorf("address refusals must share one message, got %d: %v", len(destMessages), destMessages)
	}
	if n := c.conns.Load(); n != 0 {
		t.Errorf("canary accepted %d connections", n)
	}
	if n := c.hits.Load(); n != 0 {
		t.Errorf("canary got %d requests", n)
	}
	if n := res.count("rebind.test"); n < 2 {
		t.Errorf("rebind.test looked up %d times; the dial must re-resolve and re-check", n)
	}
	waitIdle(t, f)
}

func mustAllow(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := ParseAllow(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRefusedBeforeDial checks that private and special addresses are
// refused by the dial path itself (no Control call, so no socket and no
// packet), and that the socket Control hook refuses them independently.
func TestRefusedBeforeDial(t *testing.T) {
	res := newTestResolver()
	res.set("private.test", []string{"10.1.2.3"})
	f, log := newTestFetcher(t, Config{Resolver: res})
	ctx := context.Background()
	for _, addr := range []string{
		"10.0.0.1:80", "172.16.5.4:443", "192.168.0.1:80", "169.254.169.254:80",
		"[fd00:ec2::254]:80", "100.64.0.1:80", "[64:ff9b::7f00:1]:80", "[2002:7f00:1::]:80",
		"127.0.0.1:80", "127.1:80", "2130706433:80", "[::1]:80", "[::ffff:127.0.0.1]:80",
		"0.0.0.0:80", "[::]:80", "private.test:80", "nowhere.test:80", "127.0.0.1:0",
	} {
		conn, err := f.dialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			t.Errorf("dialContext(%s) connected", addr)
			continue
		}
		if _, ok := err.(*refusal); !ok {
			t.Errorf("dialContext(%s) = %v, want a refusal", addr, err)
		}
	}
	for _, addr := range []string{
		"10.0.0.1:80", "192.168.1.1:80", "169.254.169.254:80", "[fd00:ec2::254]:80",
		"127.0.0.1:80", "[::1]:80", "[::ffff:127.0.0.1]:80", "[::ffff:10.0.0.1]:80",
		"0.0.0.0:80", "[::]:80", "[fe80::1%eth0]:80", "224.0.0.1:80", "8.8.8.8:0",
	} {
		if err := f.control("tcp", addr, nil); err == nil {
			t.Errorf("control(%s) allowed", addr)
		}
	}
	if got := log.snapshot(); len(got) != 0 {
		t.Errorf("connect log = %v, want nothing", got)
	}
	// Without the test guard, control lets a public address through (only
	// the hook is called here; no socket exists and nothing is sent).
	bare := New(Config{Resolver: res})
	if err := bare.control("tcp4", "8.8.8.8:443", nil); err != nil {
		t.Errorf("control(8.8.8.8:443) = %v, want allowed", err)
	}
	if err := bare.control("tcp6", "[2606:4700:4700::1111]:443", nil); err != nil {
		t.Errorf("control([2606:4700:4700::1111]:443) = %v, want allowed", err)
	}
}

// TestControlCatchesBypass dials the canary with the fetcher's net.Dialer
// directly (as if dialContext had been bypassed): the Control hook alone must
// stop it.
func TestControlCatchesBypass(t *testing.T) {
	c := newCanary(t)
	f, _ := newTestFetcher(t, Config{})
	for _, addr := range []string{c.srv.Listener.Addr().String(), "[::ffff:127.0.0.1]:" + c.port()} {
		conn, err := f.dialer.DialContext(context.Background(), "tcp", addr)
		if err == nil {
			conn.Close()
			t.Fatalf("raw dial to %s succeeded", addr)
		}
		var r *refusal
		if !errors.As(err, &r) {
			t.Errorf("raw dial to %s: %v, want a refusal", addr, err)
		}
	}
	if n := c.conns.Load(); n != 0 {
		t.Errorf("canary accepted %d connections", n)
	}
}
