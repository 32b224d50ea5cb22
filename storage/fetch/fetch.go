// Package fetch is the one way Gallerist downloads media by URL ("import by
// URL", product image src, …). Every caller goes through a Fetcher so that
// the server-side request forgery defences live in one place:
//
//   - only http and https, no user:password@, a real host and a port in
//     1-65535;
//   - every address is checked against a table of IANA special-purpose
//     ranges (loopback, private, link-local and cloud metadata, CGNAT,
//     multicast, NAT64, 6to4, Teredo, documentation, reserved, …): only
//     globally routable unicast is fetched, unless the operator lists a range
//     in Config.Allow;
//   - IP literals in every spelling (127.1, 2130706433, 0x7f000001,
//     0177.0.0.1, [::ffff:127.0.0.1], …) are decoded and checked before
//     anything is dialled; host names are resolved and every answer is
//     checked before anything is dialled; the dialer then connects only to
//     an address it checked, and a socket Control hook re-checks the address
//     actually being connected to (DNS rebinding, redirects);
//   - redirects are limited and each target is validated the same way;
//   - no proxy from the environment, no transparent decompression
//     (compressed responses are refused), header size capped, error
//     statuses refused, one total deadline covering connect, headers and
//     body, a byte cap counted as the body arrives, and process-wide
//     bounds on parallel requests: one pool of slots for fetches (URL
//     imports) and another for posts (webhook deliveries), so hanging
//     webhook endpoints never hold up imports, and in each pool one tenant
//     (organization, see ForTenant) holds at most MaxPerTenant slots.
//
// Create one Fetcher per process with New and share it.
package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults used when the corresponding Config field is zero.
const (
	DefaultTimeout      = 15 * time.Second
	DefaultMaxRedirects = 3
	DefaultMaxParallel  = 4
	DefaultUserAgent    = "Gallerist/1.0 (+media import)"
	// DefaultDeliveryUserAgent is the User-Agent of webhook deliveries (Post).
	DefaultDeliveryUserAgent = "Gallerist-Webhooks/1 (+webhook delivery; see X-Gallerist-Signature)"
)

const (
	maxResponseHeaderBytes = 64 << 10
	maxURLLength           = 8 << 10
	maxDialAddrs           = 8
)

// Resolver looks up the IP addresses of a host name; *net.Resolver
// satisfies it. network is "ip".
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config tunes a Fetcher. The zero value is the production setting.
type Config struct {
	// Allow lists address ranges that would otherwise be refused and may be
	// fetched from (e.g. 127.0.0.0/8 in tests, or an internal media host).
	// Empty by default; see ParseAllow.
	Allow []netip.Prefix
	// Timeout bounds each fetch in total, from the call: waiting for a
	// parallel slot, connect, headers and reading the body. Default 15s.
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed. Zero means the
	// default, 3; a negative value follows none.
	MaxRedirects int
	// MaxParallel bounds concurrent fetches through this Fetcher (share one
	// Fetcher per process). Default 4. Further callers wait, respecting
	// their context.
	MaxParallel int
	// MaxParallelPosts bounds concurrent posts (webhook deliveries), in a
	// pool of their own. Default MaxParallel.
	MaxParallelPosts int
	// MaxPerTenant is how many slots of each pool one tenant (ForTenant)
	// may hold at once. Default half the pool, at least 1; it is never more
	// than the pool.
	MaxPerTenant int
	// UserAgent is sent with every fetch. Default DefaultUserAgent.
	UserAgent string
	// PostUserAgent is sent with every post. Default DefaultDeliveryUserAgent.
	PostUserAgent string
	// Resolver resolves host names. Default net.DefaultResolver.
	Resolver Resolver
}

// Fetcher downloads media by URL with server-side request forgery
// defences. It is safe for concurrent use.
type Fetcher struct {
	allow        []netip.Prefix
	timeout      time.Duration
	maxRedirects int
	userAgent    string
	postAgent    string
	resolver     Resolver
	fetches      *pool // Fetch's slots
	posts        *pool // Post's slots
	dialer       *net.Dialer
	transport    *http.Transport
	client       *http.Client
	poster       *http.Client // Post's: the same transport, no redirects

	// beforeConnect, when set (tests only), is called from the socket
	// Control hook after the address has passed the checks, just before
	// connect(2). A non-nil error aborts the dial.
	beforeConnect func(network, address string) error
}

// Timeout is the total time one fetch may take.
func (f *Fetcher) Timeout() time.Duration { return f.timeout }

// PostSlots reports the size of Post's pool and how many of its slots one
// tenant may hold.
func (f *Fetcher) PostSlots() (total, perTenant int) { return f.posts.size, f.posts.perTenant }

// New returns a Fetcher for cfg, filling in defaults.
func New(cfg Config) *Fetcher {
	f := &Fetcher{
		timeout:      cfg.Timeout,
		maxRedirects: cfg.MaxRedirects,
		userAgent:    cfg.UserAgent,
		postAgent:    cfg.PostUserAgent,
		resolver:     cfg.Resolver,
	}
	for _, p := range cfg.Allow {
		if p.IsValid() {
			f.allow = append(f.allow, normalizePrefix(p))
		}
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	if f.maxRedirects == 0 {
		f.maxRedirects = DefaultMaxRedirects
	}
	if f.userAgent == "" {
		f.userAgent = DefaultUserAgent
	}
	if f.postAgent == "" {
		f.postAgent = DefaultDeliveryUserAgent
	}
	if f.resolver == nil {
		f.resolver = net.DefaultResolver
	}
	parallel := cfg.MaxParallel
	if parallel <= 0 {
		parallel = DefaultMaxParallel
	}
	posts := cfg.MaxParallelPosts
	if posts <= 0 {
		posts = parallel
	}
	perTenant := func(size int) int {
		if cfg.MaxPerTenant > 0 {
			return cfg.MaxPerTenant
		}
		return max(1, size/2)
	}
	f.fetches = newPool(parallel, perTenant(parallel))
	f.posts = newPool(posts, perTenant(posts))
	f.dialer = &net.Dialer{
		Timeout:   f.timeout,
		KeepAlive: 30 * time.Second,
		Control:   f.control,
	}
	f.transport = &http.Transport{
		Proxy:                  nil, // never HTTP_PROXY & co.
		DialContext:            f.dialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    2,
		MaxConnsPerHost:        parallel + posts,
		IdleConnTimeout:        30 * time.Second,
	}
	f.client = &http.Client{
		Transport:     f.transport,
		CheckRedirect: f.checkRedirect,
		// No Jar: cookies are never stored or sent. No Timeout: the
		// per-fetch context carries the deadline, including body reads.
	}
	f.poster = &http.Client{
		Transport:     f.transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return f
}

// Response is a successful (2xx) answer whose body has not been read yet.
type Response struct {
	// URL is the final URL, after redirects.
	URL string
	// ContentType is the Content-Type the origin claimed. It is
	// informational only: callers must sniff the bytes.
	ContentType string
	// Body yields the raw bytes as sent (never decompressed). Reading past
	// the limit given to Fetch fails with a too_large *Error (errors.Is
	// ErrTooLarge); reading after the fetch's deadline fails with a
	// fetch_failed *Error. Close it: that releases the parallel slot (the
	// slot is also released when the deadline passes).
	Body io.ReadCloser
	// ContentLength is the declared length, or -1 if unknown.
	ContentLength int64
}

// Fetch GETs rawURL and returns the response with its body unread.
//
// maxBytes caps the body, counted on the bytes as they arrive: a declared
// Content-Length above it fails at once, and Body fails once more than
// maxBytes bytes arrive. maxBytes <= 0 allows only an empty body.
//
// Errors are always *Error: url_not_allowed when the URL or any place it
// leads is not a public http(s) address, too_large, or fetch_failed.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, maxBytes int64) (*Response, error) {
	if maxBytes < 0 {
		maxBytes = 0
	}
	rawURL = strings.TrimSpace(rawURL)
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, notAllowedError(rawURL, refuse(refuseMalformed, "%v", err))
	}
	literal, r := f.checkURL(u)
	if r != nil {
		return nil, notAllowedError(rawURL, r)
	}

	// The clock starts now: waiting for a parallel slot counts, so a queue
	// of slow imports cannot stretch a request past its timeout.
	fctx, cancel := context.WithTimeout(ctx, f.timeout)
	free, err := f.fetches.acquire(fctx)
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, failedError(rawURL, "the import was cancelled", ctx.Err())
		}
		return nil, failedError(rawURL, "other imports kept every download slot busy for "+f.timeout.String(), context.DeadlineExceeded)
	}
	release := sync.OnceFunc(func() {
		cancel()
		free()
	})
	// A slow or endless origin cannot keep the slot past the deadline, even
	// if the caller forgets to Close.
	context.AfterFunc(fctx, release)

	resp, err := f.do(fctx, u, literal)
	if err != nil {
		fail := f.classify(ctx, fctx, rawURL, err)
		release()
		return nil, fail
	}
	if fail := f.checkResponse(rawURL, resp, maxBytes); fail != nil {
		resp.Body.Close()
		release()
		return nil, fail
	}
	return &Response{
		URL:           resp.Request.URL.String(),
		ContentType:   resp.Header.Get("Content-Type"),
		ContentLength: resp.ContentLength,
		Body: &body{
			rc:      resp.Body,
			limit:   maxBytes,
			rawURL:  rawURL,
			parent:  ctx,
			fctx:    fctx,
			timeout: f.timeout,
			release: release,
		},
	}, nil
}

// do resolves and checks a host name up front (so refusals need no dial),
// then sends the request. The dialer checks again at connect time.
func (f *Fetcher) do(ctx context.Context, u *url.URL, literal bool) (*http.Response, error) {
	if !literal {
		if _, err := f.resolveChecked(ctx, u.Hostname()); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, refuse(refuseMalformed, "%v", err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "*/*")
	req.Header.Set("Accept-Encoding", "identity")
	return f.client.Do(req)
}

// checkResponse refuses error statuses, compressed bodies and declared
// lengths over the cap.
func (f *Fetcher) checkResponse(rawURL string, resp *http.Response, maxBytes int64) *Error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Use our own status text: the origin's reason phrase is arbitrary.
		status := strconv.Itoa(resp.StatusCode)
		if text := http.StatusText(resp.StatusCode); text != "" {
			status += " " + text
		}
		return failedError(rawURL, "the server answered "+status, nil)
	}
	for _, v := range resp.Header.Values("Content-Encoding") {
		for _, enc := range strings.Split(v, ",") {
			enc = strings.ToLower(strings.TrimSpace(enc))
			if enc != "" && enc != "identity" {
				return failedError(rawURL, "compressed responses are not accepted", errCompressed)
			}
		}
	}
	if resp.ContentLength > maxBytes {
		return tooLargeError(rawURL, maxBytes)
	}
	return nil
}

// classify turns an error from resolving, dialling or the HTTP exchange
// into an *Error about rawURL. Refusals win over everything else; none of the
// fetch_failed reasons mention addresses.
func (f *Fetcher) classify(parent, fctx context.Context, rawURL string, err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	var r *refusal
	if errors.As(err, &r) {
		return notAllowedError(rawURL, r)
	}
	if errors.Is(err, errTooManyRedirects) {
		return failedError(rawURL, fmt.Sprintf("it redirected more than %d times", max(f.maxRedirects, 0)), nil)
	}
	if parent.Err() != nil {
		return failedError(rawURL, "the import was cancelled", parent.Err())
	}
	if errors.Is(fctx.Err(), context.DeadlineExceeded) {
		return failedError(rawURL, timeoutReason(f.timeout), context.DeadlineExceeded)
	}
	var (
		verr  *tls.CertificateVerificationError
		uaErr x509.UnknownAuthorityError
		hErr  x509.HostnameError
		cErr  x509.CertificateInvalidError
		lErr  *lookupError
		opErr *net.OpError
	)
	switch {
	case errors.As(err, &verr), errors.As(err, &uaErr), errors.As(err, &hErr), errors.As(err, &cErr):
		return failedError(rawURL, "its TLS certificate could not be verified", nil)
	case errors.As(err, &lErr):
		return failedError(rawURL, "its host name could not be looked up", nil)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return failedError(rawURL, "the server could not be reached", nil)
	}
	return failedError(rawURL, "the connection to the server failed", nil)
}

// parseURL parses an absolute URL.
func parseURL(rawURL string) (*url.URL, error) {
	if rawURL == "" || len(rawURL) > maxURLLength {
		return nil, errors.New("empty or overlong URL")
	}
	return url.Parse(rawURL)
}

// checkURL applies the syntactic rules and, for IP literals, the address
// rules. literal reports that the host is an IP address (so no resolution is
// needed).
func (f *Fetcher) checkURL(u *url.URL) (literal bool, r *refusal) {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false, refuse(refuseScheme, "scheme %q", u.Scheme)
	}
	if u.User != nil {
		return false, refuse(refuseUserinfo, "userinfo")
	}
	if u.Opaque != "" {
		return false, refuse(refuseMalformed, "opaque URL")
	}
	host := u.Hostname()
	if host == "" {
		return false, refuse(refuseMalformed, "no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return false, refuse(refuseMalformed, "port %q", p)
		}
	}
	lh := lowerASCII(host)
	if a, isLiteral, ok := parseIPHost(lh); isLiteral {
		if !ok {
			return true, refuse(refuseMalformed, "bad address literal %q", host)
		}
		if !f.permitted(a) {
			return true, refuse(refuseDestination, "%s is %s", a, describe(a))
		}
		return true, nil
	}
	if !validHostname(lh) {
		return false, refuse(refuseMalformed, "bad host name %q", host)
	}
	return false, nil
}

// permitted reports whether a connection to a may be made.
func (f *Fetcher) permitted(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	for _, p := range f.allow {
		if p.Contains(a) {
			return true
		}
	}
	return isPublic(a)
}

func describe(a netip.Addr) string {
	if name := specialRangeOf(a); name != "" {
		return name
	}
	return "not public"
}

// lookupError is a resolver failure other than "no such host".
type lookupError struct{ err error }

func (e *lookupError) Error() string { return "fetch: lookup: " + e.err.Error() }
func (e *lookupError) Unwrap() error { return e.err }

// resolveChecked resolves host and returns its addresses (unmapped, without
// duplicates) only if every one of them is permitted. A name that does not
// exist is refused like a private one, so refusals do not reveal which
// internal names exist.
func (f *Fetcher) resolveChecked(ctx context.Context, host string) ([]netip.Addr, error) {
	name := lowerASCII(host)
	if !validHostname(name) {
		return nil, refuse(refuseDestination, "bad host name %q", host)
	}
	addrs, err := f.resolver.LookupNetIP(ctx, "ip", name)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return nil, refuse(refuseDestination, "%s does not resolve", host)
		}
		return nil, &lookupError{err: err}
	}
	if len(addrs) == 0 {
		return nil, refuse(refuseDestination, "%s has no addresses", host)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if !f.permitted(a) {
			return nil, refuse(refuseDestination, "%s resolves to %s (%s)", host, a, describe(a))
		}
		a = a.Unmap()
		dup := false
		for _, b := range out {
			dup = dup || a == b
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out, nil
}

// checkRedirect limits redirects and validates each target like the first
// URL. Any refusal reads as "does not lead to a public address".
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.maxRedirects {
		return errTooManyRedirects
	}
	req.Header.Del("Referer")
	literal, r := f.checkURL(req.URL)
	if r != nil {
		return refuse(refuseDestination, "redirect to %s: %s", req.URL.Redacted(), r.detail)
	}
	if !literal {
		if _, err := f.resolveChecked(req.Context(), req.URL.Hostname()); err != nil {
			return err
		}
	}
	return nil
}

// dialContext is the Transport's only way to open a connection: it decodes
// or resolves the host, refuses unless every address is permitted, and then
// dials those checked addresses (never the name), so a second DNS answer
// cannot slip in. control re-checks at the socket level.
func (f *Fetcher) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, refuse(refuseDestination, "dial address %q", addr)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, refuse(refuseDestination, "dial port %q", portStr)
	}
	var ips []netip.Addr
	lh := lowerASCII(host)
	if a, literal, ok := parseIPHost(lh); literal {
		if !ok || !f.permitted(a) {
			return nil, refuse(refuseDestination, "dial %q", addr)
		}
		ips = []netip.Addr{a.Unmap()}
	} else {
		ips, err = f.resolveChecked(ctx, host)
		if err != nil {
			return nil, err
		}
	}
	if len(ips) > maxDialAddrs {
		ips = ips[:maxDialAddrs]
	}
	var lastErr error
	for i, ip := range ips {
		dctx, cancel := ctx, context.CancelFunc(func() {})
		if deadline, ok := ctx.Deadline(); ok && len(ips)-i > 1 {
			dctx, cancel = context.WithDeadline(ctx, partialDeadline(time.Now(), deadline, len(ips)-i))
		}
		conn, err := f.dialer.DialContext(dctx, dialNetwork(network, ip), netip.AddrPortFrom(ip, uint16(port)).String())
		cancel()
		if err == nil {
			return conn, nil
		}
		var r *refusal
		if errors.As(err, &r) || ctx.Err() != nil {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

func dialNetwork(network string, ip netip.Addr) string {
	if network != "tcp" {
		return network
	}
	if ip.Is4() {
		return "tcp4"
	}
	return "tcp6"
}

// partialDeadline gives one of several addresses its share of the time left.
func partialDeadline(now, deadline time.Time, remaining int) time.Time {
	left := deadline.Sub(now)
	share := left / time.Duration(remaining)
	const saneMinimum = 2 * time.Second
	if share < saneMinimum {
		share = min(left, saneMinimum)
	}
	return now.Add(share)
}

// control runs on the socket just before connect(2) and refuses any address
// that is not permitted: the last line of defence, independent of how the
// address was obtained.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refuse(refuseDestination, "connect to unparsable %q", address)
	}
	if !f.permitted(ap.Addr()) || ap.Port() == 0 {
		return refuse(refuseDestination, "connect to %s", address)
	}
	if f.beforeConnect != nil {
		return f.beforeConnect(network, address)
	}
	return nil
}
