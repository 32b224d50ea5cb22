package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the HTTP server's Prometheus metrics, in their own registry
// (with the Go runtime's and the process's); callers register more
// collectors (storage's) in Registry. Every label value is bounded: routes
// are the routes table's patterns, never raw paths.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	uploaded *prometheus.CounterVec
}

// NewMetrics makes the metrics and their registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gallerist_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status."}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gallerist_http_request_duration_seconds",
			Help:    "Time from receiving a request to its answer, by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"method", "route"}),
		uploaded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gallerist_upload_bytes_total",
			Help: "Request body bytes received by upload routes (multipart or JSON), by route pattern."}, []string{"route"}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.uploaded,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) observe(method, route string, status int, d time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// methodLabel is the method as a constant string: Fiber reuses the bytes
// behind c.Method() for the next request, and the registry keeps label
// values for ever. Methods Fiber does not route are "other".
func methodLabel(m string) string {
	for _, k := range [...]string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
		fiber.MethodDelete, fiber.MethodOptions, fiber.MethodConnect, fiber.MethodTrace} {
		if m == k {
			return k
		}
	}
	return "other"
}

// routeLabel is the request's route pattern ("/api/media/:id"), for logs and
// metrics. Requests no route matched (404, 405, answered by a middleware
// before routing) are "unmatched", except the embedded assets, which a
// middleware serves: "/static/*".
func routeLabel(c *fiber.Ctx) string {
	if p, ok := c.Locals(routeLocal).(string); ok {
		return p
	}
	if strings.HasPrefix(c.Path(), "/static/") || c.Path() == "/favicon.ico" {
		return "/static/*"
	}
	return "unmatched"
}

// MetricsHandler serves the metrics listener: /metrics in Prometheus text
// format, and /healthz and /readyz (with each failure's reason, which the
// public listener keeps to the log). Nil when metrics are off.
func (s *Server) MetricsHandler() http.Handler {
	if s.metrics == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{ErrorLog: slogPrinter{s}}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderRequestID, requestID(r.Header.Get(HeaderRequestID)))
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rd, code := s.health.check(r.Context(), true)
		w.Header().Set(HeaderRequestID, requestID(r.Header.Get(HeaderRequestID)))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write(rd)
	})
	return mux
}

// slogPrinter hands promhttp's errors (a collector failing) to the log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) {
	p.s.log.Warn("metrics", "err", fmt.Sprint(v...))
}
