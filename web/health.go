package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/singleflight"
)

// Check is one readiness check: Run answers nil while what it checks works.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// health runs the readiness checks and logs when their verdict changes
// (probes come every few seconds; a line each would drown the log).
type health struct {
	checks []Check
	log    *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	failing map[string]string // check name → its last error

	// The public /readyz shares one run among concurrent callers and
	// answers its verdict for readyCacheTTL: anyone may call it, and each
	// run costs the store requests (billed, for a bucket).
	sf       singleflight.Group
	cacheMu  sync.Mutex
	cached   *readyResult
	cachedAt time.Time
}

// readyCacheTTL is how long the public /readyz reuses a verdict.
const readyCacheTTL = 2 * time.Second

// checkTimeout bounds each check: a hung disk or store is as unready as a failed one.
const checkTimeout = 2 * time.Second

// readiness is the body of /readyz.
type readiness struct {
	Status string            `json:"status"`           // "ready" or "unavailable"
	Checks map[string]string `json:"checks"`           // name → "ok" or "failed"
	Errors map[string]string `json:"errors,omitempty"` // why, on the private listener only
}

// readyResult is one run of the checks: the public body, the private one
// (with the reasons) and the status.
type readyResult struct {
	public, private []byte
	code            int
}

// check answers the /readyz body and status: a fresh run on the private
// listener (detail), else the last verdict if it is recent, or the run in
// progress, or a new run.
func (h *health) check(ctx context.Context, detail bool) ([]byte, int) {
	if detail {
		res := h.run(ctx)
		return res.private, res.code
	}
	res := h.recent()
	if res == nil {
		v, _, _ := h.sf.Do("readyz", func() (any, error) {
			// A caller that found no verdict may get here just after the
			// run before it ended: its verdict is the answer, not a second
			// run (50 concurrent probes made two runs under load).
			if res := h.recent(); res != nil {
				return res, nil
			}
			return h.run(context.WithoutCancel(ctx)), nil // not cut short by the first caller hanging up
		})
		res = v.(*readyResult)
	}
	return res.public, res.code
}

// recent is the last verdict if it is younger than readyCacheTTL, else nil.
func (h *health) recent() *readyResult {
	h.cacheMu.Lock()
	res, at := h.cached, h.cachedAt
	h.cacheMu.Unlock()
	if now := h.now(); res == nil || now.Before(at) || now.Sub(at) >= readyCacheTTL {
		return nil
	}
	return res
}

// run runs every check and remembers the verdict for the public listener.
func (h *health) run(ctx context.Context) *readyResult {
	rd := readiness{Status: "ready", Checks: map[string]string{}}
	failing := map[string]string{}
	for _, c := range h.checks {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		err := c.Run(cctx)
		cancel()
		rd.Checks[c.Name] = "ok"
		if err != nil {
			rd.Status, rd.Checks[c.Name] = "unavailable", "failed"
			failing[c.Name] = err.Error()
		}
	}
	h.logChanges(failing)
	res := &readyResult{code: fiber.StatusOK}
	res.public, _ = json.Marshal(rd)
	if len(failing) > 0 {
		res.code = fiber.StatusServiceUnavailable
		rd.Errors = failing
	}
	res.private, _ = json.Marshal(rd)
	h.cacheMu.Lock()
	h.cached, h.cachedAt = res, h.now()
	h.cacheMu.Unlock()
	return res
}

func (h *health) logChanges(failing map[string]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, err := range failing {
		if h.failing[name] != err {
			h.log.Warn("not ready", "check", name, "err", err)
		}
	}
	for name := range h.failing {
		if _, still := failing[name]; !still {
			h.log.Info("ready again", "check", name)
		}
	}
	h.failing = failing
}

// registerHealth answers /healthz (the process is alive: 200 "ok") and
// /readyz (every check passes: 200, else 503 naming the failed checks;
// the reasons go to the log, not to the public; a verdict is reused for
// readyCacheTTL). They are registered before
// the access log, sessions and CSRF: probes are public, carry no cookie and
// come every few seconds. Like every answer, they carry X-Request-Id.
func (s *Server) registerHealth() {
	s.App.Get("/healthz", func(c *fiber.Ctx) error {
		c.Set(HeaderRequestID, requestID(c.Get(HeaderRequestID)))
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.SendString("ok\n")
	})
	s.App.Get("/readyz", func(c *fiber.Ctx) error {
		b, code := s.health.check(c.Context(), false)
		c.Set(HeaderRequestID, requestID(c.Get(HeaderRequestID)))
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(code).Send(b)
	})
}
