package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
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

	mu      sync.Mutex
	failing map[string]string // check name → its last error
}

// checkTimeout bounds each check: a hung disk or store is as unready as a failed one.
const checkTimeout = 2 * time.Second

// readiness is the body of /readyz.
type readiness struct {
	Status string            `json:"status"`           // "ready" or "unavailable"
	Checks map[string]string `json:"checks"`           // name → "ok" or "failed"
	Errors map[string]string `json:"errors,omitempty"` // why, on the private listener only
}

// check runs every check and answers the /readyz body and status.
func (h *health) check(ctx context.Context, detail bool) ([]byte, int) {
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
	code := fiber.StatusOK
	if len(failing) > 0 {
		code = fiber.StatusServiceUnavailable
		if detail {
			rd.Errors = failing
		}
	}
	b, _ := json.Marshal(rd)
	return b, code
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
// the reasons go to the log, not to the public). They are registered before
// the access log, sessions and CSRF: probes are public, carry no cookie and
// come every few seconds.
func (s *Server) registerHealth() {
	s.App.Get("/healthz", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.SendString("ok\n")
	})
	s.App.Get("/readyz", func(c *fiber.Ctx) error {
		b, code := s.health.check(c.Context(), false)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(code).Send(b)
	})
}
