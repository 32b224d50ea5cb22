package web

import (
	"net/netip"
	"sync"
	"time"
)

// LoginLimiter counts failed logins per key (client address + email, and
// client address alone) in a sliding window and refuses further tries past
// the limit. An IPv4 client is one address; an IPv6 client is its /64, the
// smallest network one subscriber gets, so hopping between the addresses of
// one's own network does not reset the count.
type LoginLimiter struct {
	PerKey int           // failures allowed per IP+email in Window
	PerIP  int           // failures allowed per IP in Window
	Window time.Duration // how long a failure counts
	Now    func() time.Time

	mu   sync.Mutex
	hits map[string][]time.Time
}

// NewLoginLimiter allows 5 failures per IP and email and 30 per IP in 15 minutes.
func NewLoginLimiter() *LoginLimiter {
	return &LoginLimiter{PerKey: 5, PerIP: 30, Window: 15 * time.Minute, Now: time.Now, hits: map[string][]time.Time{}}
}

func (l *LoginLimiter) recent(key string, now time.Time) []time.Time {
	hs := l.hits[key]
	i := 0
	for i < len(hs) && now.Sub(hs[i]) >= l.Window {
		i++
	}
	hs = hs[i:]
	if len(hs) == 0 {
		delete(l.hits, key)
	} else {
		l.hits[key] = hs
	}
	return hs
}

// ClientKey is the address the limiter counts a client by: an IPv4 address
// (also when written IPv4-mapped) as it is, an IPv6 address as its /64
// ("2001:db8:1:2::/64"). Anything else is used as given.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}

// Allow reports whether ip may try to log in as email now, and if not, how long to wait.
func (l *LoginLimiter) Allow(ip, email string) (bool, time.Duration) {
	ip = ClientKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	for _, k := range []struct {
		key   string
		limit int
	}{{ip + "\x00" + email, l.PerKey}, {ip, l.PerIP}} {
		if hs := l.recent(k.key, now); len(hs) >= k.limit {
			return false, hs[0].Add(l.Window).Sub(now)
		}
	}
	return true, 0
}

// Fail records a failed login.
func (l *LoginLimiter) Fail(ip, email string) {
	ip = ClientKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	if len(l.hits) > 10000 {
		for k := range l.hits {
			l.recent(k, now)
		}
	}
	for _, k := range []string{ip + "\x00" + email, ip} {
		l.hits[k] = append(l.recent(k, now), now)
	}
}

// Reset forgets the failures of ip and email after a successful login.
func (l *LoginLimiter) Reset(ip, email string) {
	ip = ClientKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, ip+"\x00"+email)
}
