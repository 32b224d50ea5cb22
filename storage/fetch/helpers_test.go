package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testResolver answers from a fixed table and never touches real DNS.
// Names are matched case-insensitively, with or without a trailing dot.
// A name with several answer sets gets them in turn (the last repeats), to
// simulate DNS rebinding.
type testResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	lookups map[string]int
}

func newTestResolver() *testResolver {
	return &testResolver{answers: map[string][][]netip.Addr{}, lookups: map[string]int{}}
}

// set registers the successive answers for name; each answer is a list of
// addresses in string form.
func (r *testResolver) set(name string, answers ...[]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var sets [][]netip.Addr
	for _, ans := range answers {
		var set []netip.Addr
		for _, s := range ans {
			set = append(set, netip.MustParseAddr(s))
		}
		sets = append(sets, set)
	}
	r.answers[normName(name)] = sets
}

func normName(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") }

func (r *testResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	name := normName(host)
	sets, ok := r.answers[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	i := r.lookups[name]
	r.lookups[name]++
	if len(sets) == 0 {
		return nil, nil
	}
	if i >= len(sets) {
		i = len(sets) - 1
	}
	return append([]netip.Addr(nil), sets[i]...), nil
}

func (r *testResolver) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lookups[normName(name)]
}

// connectLog records every connect(2) the fetcher is about to make (from the
// Control hook, after the fetcher's own checks passed) and refuses any that
// is not on loopback, so a broken fetcher can never send a packet off this
// machine during tests.
type connectLog struct {
	t     *testing.T
	mu    sync.Mutex
	addrs []string
}

func (l *connectLog) setT(t *testing.T) {
	l.mu.Lock()
	l.t = t
	l.mu.Unlock()
}

func (l *connectLog) hook(network, address string) error {
	l.mu.Lock()
	l.addrs = append(l.addrs, address)
	t := l.t
	l.mu.Unlock()
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		t.Errorf("fetcher tried to connect to non-loopback %s (blocked by the test guard)", address)
		return errors.New("test guard: non-loopback connect blocked")
	}
	return nil
}

func (l *connectLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.addrs...)
}

func (l *connectLog) reset() {
	l.mu.Lock()
	l.addrs = nil
	l.mu.Unlock()
}

// newTestFetcher builds a Fetcher with the loopback-only connect guard and,
// unless cfg has one, a resolver that knows no names at all.
func newTestFetcher(t *testing.T, cfg Config) (*Fetcher, *connectLog) {
	t.Helper()
	if cfg.Resolver == nil {
		cfg.Resolver = newTestResolver()
	}
	f := New(cfg)
	log := &connectLog{t: t}
	f.beforeConnect = log.hook
	t.Cleanup(f.transport.CloseIdleConnections)
	return f, log
}

var loopback8 = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// canary is a server on 127.0.0.1 that must never be reached: it counts
// accepted connections and requests.
type canary struct {
	srv   *httptest.Server
	conns atomic.Int64
	hits  atomic.Int64
}

func newCanary(t *testing.T) *canary {
	t.Helper()
	c := &canary{}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		t.Errorf("canary hit: %s %s (Host %s)", r.Method, r.URL, r.Host)
		w.Write([]byte("secret"))
	}))
	c.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			c.conns.Add(1)
		}
	}
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	return c
}

func (c *canary) port() string {
	_, port, _ := net.SplitHostPort(c.srv.Listener.Addr().String())
	return port
}

// serveOn starts h on a listener at addr (e.g. "127.0.0.2:0"); it skips the
// test when the address cannot be bound (loopback beyond 127.0.0.1 is
// Linux-specific).
func serveOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// asError asserts err is an *Error with the given code.
func asError(t *testing.T, err error, code string) *Error {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if fe.Code != code {
		t.Fatalf("code = %q (%s), want %q", fe.Code, fe.Message, code)
	}
	return fe
}

// waitIdle asserts that every parallel slot is free (within a grace period,
// since deadline releases run on their own goroutine).
func waitIdle(t *testing.T, f *Fetcher) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for f.fetches.inUse()+f.posts.inUse() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d parallel slots still held", f.fetches.inUse()+f.posts.inUse())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
