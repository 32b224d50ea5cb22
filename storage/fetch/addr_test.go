package fetch

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestIsPublic(t *testing.T) {
	public := []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0",
		"172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0",
		"198.17.255.255", "198.20.0.0", "223.255.255.255", "192.0.1.1", "192.0.3.1",
		"2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001::1", "2001:200::1",
		"::ffff:8.8.8.8", // mapped: judged by the embedded IPv4
	}
	for _, s := range public {
		if !isPublic(netip.MustParseAddr(s)) {
			t.Errorf("%s: refused, want public (%s)", s, specialRangeOf(netip.MustParseAddr(s)))
		}
	}
	private := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "100.64.0.1", "100.127.255.255", "127.0.0.1",
		"127.255.255.255", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.1",
		"192.0.0.9", "192.0.2.1", "192.88.99.1", "192.168.255.255", "198.18.0.1",
		"198.19.255.255", "198.51.100.1", "203.0.113.1", "224.0.0.1", "239.255.255.255",
		"240.0.0.1", "255.255.255.255",
		"::", "::1", "::127.0.0.1", "::8.8.8.8", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"::ffff:0:8.8.8.8", "64:ff9b::8.8.8.8", "64:ff9b::7f00:1", "64:ff9b:1::1",
		"100::1", "2001::1", "2001:0:4136:e378::1", "2001:2::1", "2001:10::1", "2001:20::1",
		"2001:db8::1", "2002::1", "2002:808:808::1", "3fff::1", "5f00::1", "fc00::1",
		"fd00:ec2::254", "fe80::1", "fec0::1", "ff02::1", "ff0e::1", "4000::1", "1000::1",
	}
	for _, s := range private {
		if isPublic(netip.MustParseAddr(s)) {
			t.Errorf("%s: public, want refused", s)
		}
	}
	if isPublic(netip.MustParseAddr("2606:4700::1%eth0")) {
		t.Error("zoned address public")
	}
	if isPublic(netip.Addr{}) {
		t.Error("invalid address public")
	}
}

func TestParseIPHost(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1":           "127.0.0.1",
		"127.1":               "127.0.0.1",
		"127.0.1":             "127.0.0.1",
		"2130706433":          "127.0.0.1",
		"0x7f000001":          "127.0.0.1",
		"0x7f.1":              "127.0.0.1",
		"0177.0.0.1":          "127.0.0.1",
		"0177.1":              "127.0.0.1",
		"017700000001":        "127.0.0.1",
		"127.000.000.001":     "127.0.0.1",
		"127.0.0.1.":          "127.0.0.1",
		"0":                   "0.0.0.0",
		"0x0":                 "0.0.0.0",
		"192.168.257":         "192.168.1.1",
		"0xa9.0xfe.0xa9.0xfe": "169.254.169.254",
		"4294967295":          "255.255.255.255",
		"::1":                 "::1",
		"::ffff:127.0.0.1":    "::ffff:127.0.0.1",
	} {
		a, literal, ok := parseIPHost(host)
		if !literal || !ok || a != netip.MustParseAddr(want) {
			t.Errorf("parseIPHost(%q) = %v %v %v, want %s", host, a, literal, ok, want)
		}
	}
	for _, host := range []string{
		"1.2.3.4.5", "256.0.0.1", "1.256.0.1", "1.2.65536", "0x100000000", "4294967296",
		"08.0.0.1", "0x", "127..1", ".1", "::g", "1:2", "99999999999999999999999",
	} {
		if _, literal, ok := parseIPHost(host); !literal || ok {
			t.Errorf("parseIPHost(%q): literal %v ok %v, want an invalid literal", host, literal, ok)
		}
	}
	for _, host := range []string{"example.test", "127.0.0.1.nip.test", "0x7f.example", "a1", "1a", "1.2.3.4a", "0xg"} {
		if _, literal, _ := parseIPHost(host); literal {
			t.Errorf("parseIPHost(%q) treated as an address", host)
		}
	}
}

func TestValidHostname(t *testing.T) {
	for _, h := range []string{"example.test", "a-b.c_d.test", "x.", "xn--bcher-kva.test"} {
		if !validHostname(h) {
			t.Errorf("%q refused", h)
		}
	}
	for _, h := range []string{"", ".", "a..b", "exa mple", "bücher.test", "a/b", "a%00b", strings.Repeat("a", 64) + ".test", strings.Repeat("a.", 127) + "aa"} {
		if validHostname(h) {
			t.Errorf("%q accepted", h)
		}
	}
}

func TestParseAllow(t *testing.T) {
	got, err := ParseAllow(" 127.0.0.0/8, 10.1.2.0/24 ,,10.9.9.9, ::1, fd00::/8, ::ffff:192.168.0.0/112, 10.1.2.3/24")
	if err != nil {
		t.Fatal(err)
	}
	var strs []string
	for _, p := range got {
		strs = append(strs, p.String())
	}
	want := []string{"127.0.0.0/8", "10.1.2.0/24", "10.9.9.9/32", "::1/128", "fd00::/8", "192.168.0.0/16", "10.1.2.0/24"}
	if !reflect.DeepEqual(strs, want) {
		t.Errorf("ParseAllow = %v, want %v", strs, want)
	}
	if got, err := ParseAllow(""); err != nil || len(got) != 0 {
		t.Errorf("ParseAllow(\"\") = %v, %v", got, err)
	}
	for _, bad := range []string{"localhost", "10.0.0.0/33", "10.0.0.1/", "fe80::1%eth0", "127.1", "10.0.0.0/8;rm"} {
		if _, err := ParseAllow(bad); err == nil {
			t.Errorf("ParseAllow(%q) accepted", bad)
		}
	}
}

func TestAllowExemptsOnlyListed(t *testing.T) {
	f := New(Config{Allow: []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24"), netip.MustParsePrefix("::ffff:127.0.0.2/128")}})
	for addr, want := range map[string]bool{
		"10.1.2.3":         true,
		"::ffff:10.1.2.3":  true,
		"10.1.3.1":         false,
		"127.0.0.2":        true,
		"127.0.0.1":        false,
		"64:ff9b::a01:203": false,
		"8.8.8.8":          true,
	} {
		if got := f.permitted(netip.MustParseAddr(addr)); got != want {
			t.Errorf("permitted(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestErrorMatching(t *testing.T) {
	e := tooLargeError("http://x.test/a.jpg", 25<<20)
	if !errors.Is(e, ErrTooLarge) || errors.Is(e, ErrFetchFailed) || errors.Is(e, ErrNotAllowed) {
		t.Error("too_large matching")
	}
	if !errors.Is(fmt.Errorf("wrapped: %w", e), ErrTooLarge) {
		t.Error("wrapped matching")
	}
	if e.Error() != "Cannot import http://x.test/a.jpg: it is larger than the 25 MB limit." {
		t.Errorf("message %q", e.Error())
	}
	n := notAllowedError("http://user:secret@10.0.0.1/", refuse(refuseUserinfo, ""))
	if strings.Contains(n.Message, "secret") || strings.Contains(n.URL, "secret") || !errors.Is(n, ErrNotAllowed) {
		t.Errorf("userinfo error %+v", n)
	}
	if got := shownURL("http://x.test/" + strings.Repeat("a", 500)); len(got) > 210 {
		t.Errorf("shownURL not bounded: %d", len(got))
	}
}
