// Package web is Gallerist's HTTP layer: the Fiber app, its configuration,
// middleware (authentication, the one permission check, body limits, logging,
// recovery), the one error handler, and helpers the handlers share.
package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"gallerist/data"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"
)

// Route is one entry of the routes table. Scope is what the caller must hold
// ("" for public routes); API routes authenticate with a bearer token and
// answer JSON, the others use the login session and answer HTML.
type Route struct {
	Method  string
	Path    string
	Scope   data.Scope
	API     bool
	Public  bool // no authentication at all (public files, login pages)
	Stream  bool // the handler reads the request body stream itself (uploads)
	Handler fiber.Handler
}

// Config configures the server.
type Config struct {
	Log *slog.Logger
	// Auth authenticates API tokens.
	Auth data.AuthService
	// Session authenticates browser requests (nil: HTML routes need no login).
	Session func(c *fiber.Ctx) (data.Principal, error)
	// LoginRedirect is where unauthenticated browser requests go ("" answers 401).
	LoginRedirect func(c *fiber.Ctx) error
	// HTMLError renders error pages for browser requests.
	HTMLError HTMLErrorRenderer
	// MaxBodyBytes bounds the bodies of non-streaming routes (default 1 MiB).
	MaxBodyBytes int64
	// Middleware run before routing on every request (e.g. CSRF, static files).
	Middleware []fiber.Handler
	// TrustedProxies are the peers whose X-Forwarded-For, -Host and -Proto
	// are believed (none: those headers are dropped, and absolute URLs and
	// the client address come from the connection and its Host header).
	TrustedProxies []netip.Prefix
	// Timeouts bound how long a client may hold a connection; zero fields
	// take the defaults of DefaultTimeouts.
	Timeouts Timeouts
	// CORSOrigins are the origins (scheme://host[:port], or "*") whose
	// pages may call /api and read /files from a browser; none: CORS off.
	CORSOrigins []string
	// Metrics, when set, count every request (see MetricsHandler).
	Metrics *Metrics
	// Checks are what /readyz checks (the database, the blob store).
	Checks []Check
	// Now is the clock of the public /readyz's reuse of a verdict (nil: time.Now).
	Now func() time.Time
}

// Timeouts bound slow clients. A request's headers (and the whole body of a
// non-streaming route, at most MaxBodyBytes) must arrive within Header; a
// streaming upload may take as long as it needs while it makes progress: it
// fails only when no byte arrives for BodyIdle.
type Timeouts struct {
	Header   time.Duration // default 10s
	BodyIdle time.Duration // default 30s
	Idle     time.Duration // keep-alive connection without a request; default 60s
	Write    time.Duration // writing one response; default 10m (large downloads)
	// MaxConnsPerIP caps concurrent connections from one IPv4 address
	// (0: the default 64; negative: no cap).
	MaxConnsPerIP int
}

// DefaultTimeouts are the production settings.
var DefaultTimeouts = Timeouts{Header: 10 * time.Second, BodyIdle: 30 * time.Second, Idle: 60 * time.Second,
	Write: 10 * time.Minute, MaxConnsPerIP: 64}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts
	if t.Header > 0 {
		d.Header = t.Header
	}
	if t.BodyIdle > 0 {
		d.BodyIdle = t.BodyIdle
	}
	if t.Idle > 0 {
		d.Idle = t.Idle
	}
	if t.Write > 0 {
		d.Write = t.Write
	}
	if t.MaxConnsPerIP != 0 {
		d.MaxConnsPerIP = max(0, t.MaxConnsPerIP)
	}
	return d
}

// Server is the Fiber app with its configuration.
type Server struct {
	App       *fiber.App
	log       *slog.Logger
	auth      data.AuthService
	session   func(c *fiber.Ctx) (data.Principal, error)
	login     func(c *fiber.Ctx) error
	htmlError HTMLErrorRenderer
	maxBody   int64
	timeouts  Timeouts
	// stopping closes when the shutdown grace period ends: uploads still
	// running then stop reading and are answered 503.
	stopping chan struct{}
	activeMu sync.Mutex
	active   map[net.Conn]bool // connections serving a request now

	trustedProxies []netip.Prefix
	methods        methodIndex
	cors           cors
	metrics        *Metrics
	health         *health
}

// New builds the app and registers routes, wrapping each in the middleware its entry asks for.
func New(cfg Config, routes []Route) *Server {
	s := &Server{log: cfg.Log, auth: cfg.Auth, session: cfg.Session, login: cfg.LoginRedirect, htmlError: cfg.HTMLError, maxBody: cfg.MaxBodyBytes,
		trustedProxies: cfg.TrustedProxies, timeouts: cfg.Timeouts.withDefaults(), stopping: make(chan struct{}), metrics: cfg.Metrics}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.health = &health{checks: cfg.Checks, log: s.log, now: cfg.Now}
	if s.health.now == nil {
		s.health.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	s.App = fiber.New(fiber.Config{
		AppName:                      "Gallerist",
		ErrorHandler:                 s.handleError,
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    int(s.maxBody),
		ReadTimeout:                  s.timeouts.Header,
		WriteTimeout:                 s.timeouts.Write,
		IdleTimeout:                  s.timeouts.Idle,
		ReadBufferSize:               16 << 10,
		DisableStartupMessage:        true,
	})
	s.App.Server().MaxConnsPerIP = s.timeouts.MaxConnsPerIP
	routed := s.App.Server().Handler
	s.App.Server().Handler = func(ctx *fasthttp.RequestCtx) {
		if methodLabel(string(ctx.Method())) == "other" {
			s.unknownMethod(ctx)
			return
		}
		routed(ctx)
	}
	s.active = map[net.Conn]bool{}
	s.App.Server().ConnState = func(c net.Conn, st fasthttp.ConnState) {
		s.activeMu.Lock()
		defer s.activeMu.Unlock()
		if st == fasthttp.StateActive {
			s.active[c] = true
		} else {
			delete(s.active, c)
		}
	}
	s.App.Use(s.forwarded)
	s.registerHealth()
	s.App.Use(s.accessLog)
	// Requests that reach the middleware are marked; errors raised by the
	// server before routing (an unparseable request, headers over the
	// buffer) are not, and answer in the API's JSON shape.
	s.App.Use(func(c *fiber.Ctx) error {
		c.Locals(routedLocal, true)
		return c.Next()
	})
	s.App.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		s.log.Error("panic", "path", c.Path(), "panic", e)
	}}))
	s.App.Use(s.securityHeaders)
	s.App.Use(refuseContentEncoding)
	s.App.Use(refuseBodyOnRead)
	s.App.Use(s.bodyProgress) // before any middleware reads the body (CSRF peeks at multipart)
	for _, m := range cfg.Middleware {
		s.App.Use(m)
	}
	s.methods = newMethodIndex(routes)
	s.cors = newCORS(cfg.CORSOrigins)
	s.App.Use(s.cors.handle(s.methods))
	for _, r := range routes {
		handlers := []fiber.Handler{matched(r.Path)}
		if r.Stream {
			handlers = append(handlers, s.drainBody)
		} else {
			handlers = append(handlers, s.bufferBody)
		}
		if !r.Public {
			handlers = append(handlers, stagingScope, s.authorize(r))
		}
		handlers = append(handlers, r.Handler)
		s.App.Add(r.Method, r.Path, handlers...)
		if r.Method == fiber.MethodGet && !slices.ContainsFunc(routes, func(o Route) bool { return o.Method == fiber.MethodHead && o.Path == r.Path }) {
			s.App.Add(fiber.MethodHead, r.Path, handlers...) // HEAD on every GET
		}
	}
	s.App.Use(func(c *fiber.Ctx) error {
		if allow := s.methods.allowed(c.Path()); allow != "" {
			c.Set(fiber.HeaderAllow, allow)
			if c.Method() == fiber.MethodOptions {
				return c.SendStatus(fiber.StatusNoContent)
			}
			return data.Errorf(data.ECMethodNotAllowed, "%s does not accept %s; it accepts %s.", c.Path(), c.Method(), allow).With("allow", allow)
		}
		return data.Errorf(data.ECNotFound, "No such page or endpoint: %s %s.", c.Method(), c.Path())
	})
	return s
}

// Listen serves on ln until ctx ends, then shuts down gracefully, letting
// in-flight requests finish (up to grace).
func (s *Server) Listen(ctx context.Context, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.App.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := s.App.ShutdownWithContext(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Requests still running after the grace period (slow uploads) are
		// answered rather than cut: their body reads fail now, and the error
		// handler answers 503. Give them a moment to send it.
		close(s.stopping)
		for deadline := time.Now().Add(5 * time.Second); s.activeConns() > 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	}
	return err
}

// activeConns counts connections in the middle of a request (their answer
// not yet written).
func (s *Server) activeConns() int {
	s.activeMu.Lock()
	defer s.activeMu.Unlock()
	return len(s.active)
}

// errStopping is what a body read returns once the shutdown grace period ended.
var errStopping = data.Errorf(data.ECUnavailable, "The server is restarting and could not finish receiving this upload; nothing was saved. Send it again in a moment.")

func isAPI(c *fiber.Ctx) bool {
	p := c.Path()
	return p == "/api" || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/files/")
}

func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "DENY")
	return c.Next()
}

// bufferBody reads a non-streaming route's body, bounded, so Fiber's body
// accessors can never pull an unbounded stream into memory.
func (s *Server) bufferBody(c *fiber.Ctx) error {
	if err := BufferBody(c, s.maxBody); err != nil {
		return err
	}
	return c.Next()
}

// refuseContentEncoding refuses compressed request bodies (415): Fiber
// would inflate them without bound when a handler reads the body, so a 2 KB
// gzip body could become gigabytes in memory.
func refuseContentEncoding(c *fiber.Ctx) error {
	ce := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding))
	if ce == "" || strings.EqualFold(ce, "identity") {
		return c.Next()
	}
	c.Set(fiber.HeaderConnection, "close")
	return data.Errorf(data.ECUnsupportedEncoding, "Request bodies are accepted uncompressed only (Content-Encoding %q is not); send the body as it is.", ce)
}

// refuseBodyOnRead refuses an API GET or HEAD that carries a body: some
// clients put list filters in a GET's JSON body, which the API never reads,
// so they would silently get the whole, unfiltered list.
func refuseBodyOnRead(c *fiber.Ctx) error {
	if !isAPI(c) || (c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead) {
		return c.Next()
	}
	cl := strings.TrimSpace(c.Get(fiber.HeaderContentLength))
	if (cl == "" || cl == "0") && !strings.Contains(strings.ToLower(c.Get(fiber.HeaderTransferEncoding)), "chunked") {
		return c.Next()
	}
	c.Set(fiber.HeaderConnection, "close")
	return data.Errorf(data.ECBadRequest, "A %s request carries no body here; send filters as query parameters (e.g. ?product_id=1&limit=10).", c.Method())
}

// bodyProgress lets a streaming upload take as long as it needs while bytes
// keep arriving: each read of the body moves the connection's read
// deadline to BodyIdle from now (the server's Header timeout still bounds
// the headers).
func (s *Server) bodyProgress(c *fiber.Ctx) error {
	if stream := c.Context().RequestBodyStream(); stream != nil {
		if conn := c.Context().Conn(); conn != nil {
			c.Locals(bodyLocal, &progressReader{r: stream, conn: conn, idle: s.timeouts.BodyIdle, stopping: s.stopping})
		}
	}
	return c.Next()
}

// Body returns the request body stream of a streaming route (empty when
// there is none). Streaming handlers read the body only through it.
func Body(c *fiber.Ctx) io.Reader {
	if r, ok := c.Locals(bodyLocal).(io.Reader); ok {
		return r
	}
	if stream := c.Context().RequestBodyStream(); stream != nil {
		return stream
	}
	return strings.NewReader("")
}

type progressReader struct {
	r        io.Reader
	conn     interface{ SetReadDeadline(time.Time) error }
	idle     time.Duration
	stopping chan struct{}
	n        int64 // bytes read
}

func (p *progressReader) Read(b []byte) (int, error) {
	select {
	case <-p.stopping:
		return 0, errStopping
	default:
	}
	p.conn.SetReadDeadline(time.Now().Add(p.idle))
	n, err := p.r.Read(b)
	p.n += int64(n)
	return n, err
}

// drainBody runs after a streaming handler: it reads what is left of the body
// (a chunked body's terminator, an epilogue) so the connection can serve the
// next request, or closes the connection when too much is left. Once the
// server is stopping it reads nothing: the answer goes out at once, and the
// connection closes.
func (s *Server) drainBody(c *fiber.Ctx) error {
	err := c.Next()
	var drained int64
	defer func() { s.countUpload(c, drained) }()
	select {
	case <-s.stopping:
		c.Set(fiber.HeaderConnection, "close")
		return err
	default:
	}
	if stream := c.Context().RequestBodyStream(); stream != nil {
		n, derr := io.CopyN(io.Discard, stream, 64<<10)
		drained = n
		if derr == nil || (derr != io.EOF && n > 0) {
			c.Set(fiber.HeaderConnection, "close")
		}
	}
	return err
}

// countUpload adds the body bytes a streaming route received (read by its
// handler, then drained) to the upload metric.
func (s *Server) countUpload(c *fiber.Ctx, drained int64) {
	if s.metrics == nil {
		return
	}
	n := drained
	if p, ok := c.Locals(bodyLocal).(*progressReader); ok {
		n += p.n
	}
	if n > 0 {
		s.metrics.uploaded.WithLabelValues(routeLabel(c)).Add(float64(n))
	}
}

// authorize is the one permission check: it finds the principal (bearer token
// for API routes, the login session otherwise), checks the route's scope, and
// puts the principal in the request context, which every service scopes its
// queries by.
func (s *Server) authorize(r Route) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var p data.Principal
		var err error
		if r.API {
			p, err = s.bearer(c)
		} else if s.session != nil {
			p, err = s.session(c)
			if err != nil && data.ErrorCode(err) == data.ECUnauthorized && s.login != nil {
				return s.login(c)
			}
		} else {
			err = data.Errorf(data.ECUnauthorized, "Log in first.")
		}
		if err != nil {
			return err
		}
		if r.Scope != "" {
			if err := p.Require(r.Scope, r.Method+" "+r.Path); err != nil {
				return err
			}
		}
		c.SetUserContext(data.WithPrincipal(c.UserContext(), p))
		c.Locals(principalLocal, p)
		return c.Next()
	}
}

// stagingScope gives an authenticated request its staging scope: the files
// the media service stages while it runs are discarded when it ends, unless
// CreateMedia took them, so no handler discards (and neither an error nor a
// panic leaves a temporary file behind).
func stagingScope(c *fiber.Ctx) error {
	ctx, end := data.WithStaging(c.UserContext())
	defer end()
	c.SetUserContext(ctx)
	return c.Next()
}

// matched marks a request as served by the route with this pattern, for
// logs and metrics (Fiber's own Route() cannot tell a route from the
// middleware that answered last).
func matched(pattern string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(routeLocal, pattern)
		return c.Next()
	}
}

const (
	routeLocal     = "gallerist.route"
	principalLocal = "gallerist.principal"
	routedLocal    = "gallerist.routed"
	bodyLocal      = "gallerist.body"
)

// PrincipalOf returns the request's authenticated principal.
func PrincipalOf(c *fiber.Ctx) (data.Principal, bool) {
	p, ok := c.Locals(principalLocal).(data.Principal)
	return p, ok
}

func (s *Server) bearer(c *fiber.Ctx) (data.Principal, error) {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return data.Principal{}, data.Errorf(data.ECUnauthorized, "Send an API token as \"Authorization: Bearer <token>\". Create one with `gallerist token create`.")
	}
	return s.auth.AuthenticateToken(c.UserContext(), strings.TrimSpace(secret))
}
