package web

import (
	"testing"
	"time"
)

func TestLoginLimiterClientKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
	} {
		if got := ClientKey(tc.in); got != tc.want {
			t.Errorf("ClientKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoginLimiterCountsIPv6By64(t *testing.T) {
	now := time.Unix(1700000000, 0)
	l := NewLoginLimiter()
	l.Now = func() time.Time { return now }
	const email = "owner@example.com"
	// Five failures from five addresses of one /64 use up its allowance.
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:aaaa::3", "2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::5"} {
		if ok, _ := l.Allow(ip, email); !ok {
			t.Fatalf("attempt %d from %s refused too early", i+1, ip)
		}
		l.Fail(ip, email)
	}
	if ok, wait := l.Allow("2001:db8:1:2::99", email); ok || wait <= 0 {
		t.Fatalf("a sixth address of the same /64 was allowed (%v, %v)", ok, wait)
	}
	if ok, _ := l.Allow("2001:db8:1:3::1", email); !ok {
		t.Fatal("the neighbouring /64 was refused")
	}

	// IPv4 stays per address.
	for i := 0; i < 5; i++ {
		l.Fail("198.51.100.1", email)
	}
	if ok, _ := l.Allow("198.51.100.1", email); ok {
		t.Fatal("an IPv4 address past its limit was allowed")
	}
	if ok, _ := l.Allow("::ffff:198.51.100.1", email); ok {
		t.Fatal("the IPv4-mapped spelling of a limited address was allowed")
	}
	if ok, _ := l.Allow("198.51.100.2", email); !ok {
		t.Fatal("the next IPv4 address was refused")
	}

	// A success from any address of the /64 clears that /64's count for the email.
	l.Reset("2001:db8:1:2::abcd", email)
	if ok, _ := l.Allow("2001:db8:1:2::1", email); !ok {
		t.Fatal("Reset from another address of the /64 did not clear it")
	}
}
