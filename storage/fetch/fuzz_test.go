package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FuzzCheckURL checks the URL-import fetcher's address rules: parseURL,
// checkURL (IP literals in every spelling, host names, ports), ParseAllow
// and the allow list, resolveChecked and the dial path. Nothing is ever
// dialled: the resolver is in memory (every name answers the fuzzed
// addresses) and the connect hook, which runs before connect(2), refuses
// everything after recording the address.
//
// Invariants, for any URL, allow list and DNS answer:
//   - nothing panics; ParseAllow returns only valid, masked, unmapped
//     prefixes;
//   - parseURL fails exactly when net/url.Parse does (or the URL is empty or
//     overlong);
//   - an accepted URL is http or https without userinfo, with a non-empty
//     host and a port in 1-65535, and it survives net/http's round trip
//     (u.String() parsed again has the same host and port and is accepted
//     the same way);
//   - a host that net/netip, net.ParseIP or the WHATWG URL parser reads as
//     an IPv4/IPv6 address is treated as a literal (never handed to the
//     resolver), and when accepted decodes to the same address;
//   - every address accepted (a literal, a resolved answer, an address the
//     dialer was about to connect to) is public by an independent
//     classification, or inside the configured allow list.
func FuzzCheckURL(f *testing.F) {
	for _, u := range []string{
		"https://cdn.example.com/images/mug-red.jpg",
		"http://images.example.org:8080/a/b.png?size=large&v=2#frag",
		"https://shop.example.co.uk/media/IMG_0001.JPG",
		"HTTPS://EXAMPLE.COM/X.PNG",
		"https://8.8.8.8/a.jpg",
		"https://[2606:4700:4700::1111]:443/a.png",
		"http://[::ffff:8.8.8.8]/",
		"http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f000001/",
		"http://0X7F000001/", "http://0177.0.0.1/", "http://0x7f.1/", "http://017700000001/",
		"http://127.000.000.001/", "http://127.0.0.1./", "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/",
		"http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/",
		"http://[::ffff:0:7f00:1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::1]/",
		"http://localhost/", "http://LOCALHOST./", "http://0.0.0.0/", "http://0/", "http://[::]/",
		"http://10.0.0.1/", "http://0xa000001/", "http://167772161/", "http://012.0.0.1/",
		"http://192.168.257/", "http://[::ffff:10.0.0.1]/", "http://[::ffff:c0a8:101]/",
		"http://169.254.169.254/latest/meta-data/", "http://2852039166/", "http://0xa9fea9fe/",
		"http://[fd00:ec2::254]/", "http://[fe80::1%25eth0]/", "http://[::ffff:169.254.169.254]/",
		"http://100.64.0.1/", "http://239.255.255.250:1900/", "http://255.255.255.255/",
		"http://[ff02::1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a00:1::1]/",
		"http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "http://[fc00::1]/", "http://[fec0::1]/",
		"http://[2001:db8::1]/", "http://198.18.0.1/", "http://192.0.0.8/",
		"file:///etc/passwd", "gopher://127.0.0.1/_GET", "javascript:alert(1)", "data:text/plain,hi",
		"http://user:pass@127.0.0.1/", "http://public.test@127.0.0.1/",
		"", "http://:80/", "http:///etc/passwd", "http:127.0.0.1/", "//127.0.0.1/", "127.0.0.1:80",
		"http://127.0.0.1:0/", "http://example.com:65536/", "http://[::1/", "http://exa mple.test/",
		"http://１２７.０.０.１/", "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", "http://1.2.3.4.5/", "http://256.0.0.1/",
		"http://0x100000000/", "http://08.0.0.1/", "http://127..0.1/", "http://%31%32%37.0.0.1/",
		"http://127.0.0.1%00.public.test/", "http://0x/", "http://0x.0x/", "http://1.2.3.0x/",
		"http://a.1/", "http://1e1/", "http://xn--bcher-kva.example/", "http://a_b.example./",
		"http://[::ffff:1.2.3.4%25x]/", "http://example.com:+80/", "http://example.com:080/",
		"http://\u212aelvin.example/", "http://%E2%84%AA.example/", "http://ex%41mple.com/",
		"http://b\u00fccher.example/", "http://xn--bcher-kva.example/", "http://EXAMPLE.COM./",
		"http://8.8.8.8./", "http://0x08080808/", "http://134744072/", "http://010.010.010.010/",
	} {
		f.Add(u, "", []byte{0, 8, 8, 8, 8})
	}
	f.Add("http://internal.example/", "10.0.0.0/8", []byte{0, 10, 1, 2, 3})
	f.Add("http://10.1.2.3:8080/a.jpg", "10.1.2.0/24, ::1", []byte{})
	f.Add("http://[::ffff:127.0.0.2]/", "::ffff:127.0.0.2/128", []byte{})
	f.Add("http://mixed.example/", "", []byte{0, 8, 8, 8, 8, 0, 127, 0, 0, 1})
	f.Add("http://mapped.example/", "", []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1})
	f.Add("http://six.example/", "", []byte{1, 0x26, 0x06, 0x47, 0, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x11})
	f.Add("http://meta.example/", "169.254.0.0/16", []byte{0, 169, 254, 169, 254})

	f.Fuzz(func(t *testing.T, rawURL, allowList string, answer []byte) {
		if len(rawURL) > 2*maxURLLength || len(allowList) > 1024 {
			return
		}
		allow, aerr := ParseAllow(allowList)
		if aerr == nil {
			for _, p := range allow {
				if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
					t.Fatalf("ParseAllow(%q) returned %v", allowList, p)
				}
			}
		} else {
			allow = nil
		}
		inAllow := func(a netip.Addr) bool {
			for _, p := range allow {
				if p.Contains(a.Unmap()) {
					return true
				}
			}
			return false
		}
		mayConnect := func(a netip.Addr) bool {
			return a.IsValid() && a.Zone() == "" && (inAllow(a) || !refDenied(a))
		}

		// The DNS answer for every name.
		var addrs []netip.Addr
		for b := answer; len(b) > 0 && len(addrs) < 4; {
			if b[0]&1 == 0 && len(b) >= 5 {
				addrs = append(addrs, netip.AddrFrom4([4]byte(b[1:5])))
				b = b[5:]
			} else if b[0]&1 == 1 && len(b) >= 17 {
				addrs = append(addrs, netip.AddrFrom16([16]byte(b[1:17])))
				b = b[17:]
			} else {
				break
			}
		}
		res := &fuzzResolver{addrs: addrs}
		fc := New(Config{Allow: allow, Resolver: res, Timeout: time.Second})
		var mu sync.Mutex
		var connects []string
		fc.beforeConnect = func(network, address string) error {
			mu.Lock()
			connects = append(connects, address)
			mu.Unlock()
			return errors.New("fuzz: no connections")
		}

		raw := strings.TrimSpace(rawURL)
		u, err := parseURL(raw)
		_, perr := url.Parse(raw)
		if (err == nil) != (perr == nil && raw != "" && len(raw) <= maxURLLength) {
			t.Fatalf("parseURL(%q): %v; url.Parse: %v", raw, err, perr)
		}
		if err != nil {
			return
		}
		literal, r := fc.checkURL(u)

		host := strings.ToLower(u.Hostname())
		if refLiteral(host) && r == nil && !literal {
			t.Fatalf("%q: host %q is an address but would be resolved", raw, host)
		}
		if r != nil {
			return
		}

		// Accepted.
		if u.Scheme != "http" && u.Scheme != "https" || u.User != nil || u.Opaque != "" || host == "" {
			t.Fatalf("accepted %q: scheme %q, user %v, opaque %q, host %q", raw, u.Scheme, u.User, u.Opaque, host)
		}
		port := u.Port()
		if port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				t.Fatalf("accepted %q with port %q", raw, port)
			}
		}
		for i := 0; i < len(u.Hostname()); i++ {
			if u.Hostname()[i] >= 0x80 {
				t.Fatalf("accepted %q: host %q is not ASCII (IDNs must be sent as punycode)", raw, u.Hostname())
			}
		}
		// What net/http will send and dial.
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			t.Fatalf("accepted %q, but net/http refuses %q: %v", raw, u.String(), err)
		}
		if h := strings.ToLower(req.URL.Hostname()); h != host || req.URL.Port() != port {
			t.Fatalf("accepted %q for host %q port %q, net/http sees %q port %q", raw, host, port, h, req.URL.Port())
		}
		if lit2, r2 := fc.checkURL(req.URL); r2 != nil || lit2 != literal {
			t.Fatalf("accepted %q (literal %v), but its String %q: literal %v, %v", raw, literal, u.String(), lit2, r2)
		}

		if literal {
			a, isLit, ok := parseIPHost(host)
			if !isLit || !ok {
				t.Fatalf("accepted literal %q does not parse", host)
			}
			if !mayConnect(a) {
				t.Fatalf("accepted %q: %v is not public and not in the allow list %v", raw, a, allow)
			}
			if ref, ok := refParseAddr(host); ok && ref.Unmap() != a.Unmap() {
				t.Fatalf("%q decoded as %v, reference parser says %v", host, a, ref)
			}
		} else {
			if !validHostname(host) {
				t.Fatalf("accepted %q: host name %q is not valid", raw, host)
			}
			got, err := fc.resolveChecked(context.Background(), host)
			if err == nil {
				if len(got) == 0 {
					t.Fatalf("%q resolved to no addresses without error", host)
				}
				for _, a := range got {
					if !mayConnect(a) {
						t.Fatalf("%q resolved to %v, which is neither public nor allowed (%v)", host, a, allow)
					}
				}
			} else if len(addrs) > 0 {
				ok := true
				for _, a := range addrs {
					ok = ok && fc.permitted(a)
				}
				if ok {
					t.Fatalf("%q answers %v (all permitted), but resolveChecked: %v", host, addrs, err)
				}
			}
		}

		// The dial path: it must only ever try checked addresses.
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := fc.dialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
		cancel()
		if err == nil {
			conn.Close()
			t.Fatalf("dialContext(%q) connected", u.Host)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, c := range connects {
			ap, err := netip.ParseAddrPort(c)
			if err != nil || !mayConnect(ap.Addr()) || ap.Port() == 0 {
				t.Fatalf("%q: the dialer was about to connect to %s", raw, c)
			}
		}
	})
}

// fuzzResolver answers every name with the same addresses (none: no such
// host).
type fuzzResolver struct{ addrs []netip.Addr }

func (r *fuzzResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if len(r.addrs) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return append([]netip.Addr(nil), r.addrs...), nil
}

// refDenied is an independent statement of the addresses a fetch must never
// reach without operator permission (written from the IANA registries, not
// copied from specialRanges).
func refDenied(a netip.Addr) bool {
	if a.Zone() != "" {
		return true
	}
	a = a.Unmap()
	if a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsMulticast() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || !a.IsGlobalUnicast() {
		return true
	}
	for _, p := range refDeniedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return a.Is6() && !netip.MustParsePrefix("2000::/3").Contains(a)
}

var refDeniedPrefixes = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "192.0.0.0/24", "192.0.2.0/24",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/32", "2001:db8::/32",
		"2002::/16", "fc00::/7", "fe80::/10", "fec0::/10",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// refLiteral reports whether a URL parser or resolver could read host as an
// IP address: net/netip, net.ParseIP, or the WHATWG URL standard's "ends in
// a number" rule (which inet_aton-style resolvers follow).
func refLiteral(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if net.ParseIP(host) != nil {
		return true
	}
	parts := strings.Split(host, ".")
	if parts[len(parts)-1] == "" {
		if len(parts) == 1 {
			return false
		}
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := whatwgNumber(last)
	return ok
}

// refParseAddr parses host as net/netip or the WHATWG IPv4 parser would.
func refParseAddr(host string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, true
	}
	parts := strings.Split(host, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var nums []uint64
	for _, p := range parts {
		n, ok := whatwgNumber(p)
		if !ok {
			return netip.Addr{}, false
		}
		nums = append(nums, n)
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v += n << (8 * (3 - i))
	}
	lastN := nums[len(nums)-1]
	if lastN >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v += lastN
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// whatwgNumber is the WHATWG URL standard's IPv4 number parser.
func whatwgNumber(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s, base = s[2:], 16
	} else if len(s) >= 2 && s[0] == '0' {
		s, base = s[1:], 8
	}
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil || n > 1<<32 {
		return 0, false
	}
	return n, true
}
