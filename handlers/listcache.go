package handlers

import (
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// answerCache keeps rendered list answers keyed by organization, base URL and
// query string, each valid for one database version (SQLite's data_version,
// which any commit in any process changes). A read-heavy API (storefront
// sync jobs paging through the library) is then served without touching
// SQL; any write anywhere invalidates everything at once.
type answerCache struct {
	mu      sync.Mutex
	version int64
	entries map[string]answer
	bytes   int // of keys and bodies
}

// answer is a cached body with the ETag that went with it.
type answer struct {
	body []byte
	etag string
}

// The answer cache holds at most answerCacheMax answers and
// answerCacheBytes of keys and bodies (a gallery's answer is 250 KB; a key
// is as long as the query string a client sends).
const (
	answerCacheMax   = 1024
	answerCacheBytes = 32 << 20
)

func (a *answerCache) get(version int64, key string) (answer, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.version != version {
		return answer{}, false
	}
	b, ok := a.entries[key]
	return b, ok
}

func (a *answerCache) put(version int64, key string, ans answer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	size := len(key) + len(ans.body)
	if size > answerCacheBytes/4 {
		return
	}
	if a.version != version || a.entries == nil || len(a.entries) >= answerCacheMax || a.bytes+size > answerCacheBytes {
		a.version, a.entries, a.bytes = version, map[string]answer{}, 0
	}
	if old, ok := a.entries[key]; ok {
		a.bytes -= len(key) + len(old.body)
	}
	a.entries[key] = ans
	a.bytes += size
}

// SetAnswerCache turns the answer cache on (the default) or off; benchmarks
// measure both.
func (h *Handlers) SetAnswerCache(on bool) { h.noAnswers.Store(!on) }

// cachedJSON answers from the cache when the database has not changed since
// the answer was made; otherwise it calls build and caches its JSON (and the
// ETag build set, if any).
func (h *Handlers) cachedJSON(c *fiber.Ctx, orgID int64, build func() (any, error)) error {
	if h.noAnswers.Load() {
		v, err := build()
		if err != nil {
			return err
		}
		return sendJSON(c, v)
	}
	version, err := h.Media.Version(c.UserContext())
	if err != nil {
		return err
	}
	key := strconv.FormatInt(orgID, 10) + "|" + h.baseURL(c) + "|" + c.Path() + "?" + string(c.Request().URI().QueryString())
	if ans, ok := h.answers.get(version, key); ok {
		if ans.etag != "" {
			c.Set(fiber.HeaderETag, ans.etag)
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(ans.body)
	}
	v, err := build()
	if err != nil {
		return err
	}
	if err := sendJSON(c, v); err != nil {
		return err
	}
	h.answers.put(version, key, answer{body: append([]byte(nil), c.Response().Body()...), etag: strings.Clone(c.GetRespHeader(fiber.HeaderETag))}) // Fiber's strings point into reused buffers
	return nil
}

// sendJSON answers v as JSON: encoded by c.JSON, or as it is when it is
// rawJSON already.
func sendJSON(c *fiber.Ctx, v any) error {
	if r, ok := v.(rawJSON); ok {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(r)
	}
	return c.JSON(v)
}
