package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"gallerist/data"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/sessions"
)

// SessionCookie is the name of the login session cookie.
const SessionCookie = "gallerist_session"

// SessionMaxAge is how long a session lasts without a visit (seconds).
const SessionMaxAge = 14 * 24 * 3600

// Sessions keeps browser sessions in a signed and encrypted cookie (gorilla/sessions),
// bridged to Fiber per request. The server side holds the user's session version:
// logging out bumps it, so every cookie issued before is refused.
type Sessions struct {
	store *sessions.CookieStore
	users data.UserService
	// Limiter rate-limits failed logins.
	Limiter *LoginLimiter
}

// Toast is a message for the next page; see data.Toast.
type Toast = data.Toast

// NewSessions loads the session keys from dataDir (creating them on first run,
// so restarts keep people logged in) and returns the session manager.
func NewSessions(dataDir string, secure bool, users data.UserService) (*Sessions, error) {
	hashKey, err := loadKey(filepath.Join(dataDir, "session_hash.key"), 64)
	if err != nil {
		return nil, err
	}
	blockKey, err := loadKey(filepath.Join(dataDir, "session_block.key"), 32)
	if err != nil {
		return nil, err
	}
	store := sessions.NewCookieStore(hashKey, blockKey)
	store.Options = &sessions.Options{Path: "/", MaxAge: SessionMaxAge, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	store.MaxAge(SessionMaxAge)
	return &Sessions{store: store, users: users, Limiter: NewLoginLimiter()}, nil
}

func loadKey(path string, n int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) == n {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read session key: %w", err)
	}
	b = make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write session key: %w", err)
	}
	return b, nil
}

// session is the loaded session of one request.
type session struct {
	s       *sessions.Session
	changed bool
}

const sessionLocal = "gallerist.session"

// UsesSession reports whether a path belongs to the browser UI (not the API,
// files or assets): its forms are checked by CSRF and may carry CSRFField.
func UsesSession(c *fiber.Ctx) bool { return usesSession(c) }

func usesSession(c *fiber.Ctx) bool {
	p := c.Path()
	return !(isAPI(c) || strings.HasPrefix(p, "/files/") || strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/m/"))
}

// Middleware loads the session of browser requests, makes sure it has a CSRF
// token, and writes the cookie back when the request changed the session.
func (m *Sessions) Middleware(c *fiber.Ctx) error {
	if !usesSession(c) {
		return c.Next()
	}
	r := &http.Request{Header: http.Header{}}
	if ck := c.Get(fiber.HeaderCookie); ck != "" {
		r.Header.Set("Cookie", ck)
	}
	s, err := m.store.New(r, SessionCookie)
	if err != nil {
		// A cookie we cannot decode (old keys, tampering): start afresh.
		s, _ = m.store.New(&http.Request{Header: http.Header{}}, SessionCookie)
	}
	sess := &session{s: s}
	if str(s.Values["csrf"]) == "" {
		s.Values["csrf"] = randomToken()
		sess.changed = true
	}
	c.Locals(sessionLocal, sess)
	err = c.Next()
	if sess.changed {
		if serr := m.save(c, sess); serr != nil && err == nil {
			err = serr
		}
	}
	return err
}

func (m *Sessions) save(c *fiber.Ctx, sess *session) error {
	w := &headerRecorder{h: http.Header{}}
	if err := m.store.Save(&http.Request{Header: http.Header{}}, w, sess.s); err != nil {
		return err
	}
	c.Response().Header.Del(fiber.HeaderSetCookie)
	for _, v := range w.h.Values("Set-Cookie") {
		c.Response().Header.Add(fiber.HeaderSetCookie, v)
	}
	sess.changed = false
	return nil
}

// headerRecorder is the http.ResponseWriter gorilla/sessions writes its Set-Cookie to.
type headerRecorder struct{ h http.Header }

func (w *headerRecorder) Header() http.Header         { return w.h }
func (w *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerRecorder) WriteHeader(int)             {}

func sessionOf(c *fiber.Ctx) *session {
	s, _ := c.Locals(sessionLocal).(*session)
	return s
}

func str(v any) string   { s, _ := v.(string); return s }
func int64v(v any) int64 { n, _ := v.(int64); return n }

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// CSRFToken is the request's CSRF token, for forms and the hx-headers of <body>.
func CSRFToken(c *fiber.Ctx) string {
	if s := sessionOf(c); s != nil {
		return str(s.s.Values["csrf"])
	}
	return ""
}

const membershipLocal = "gallerist.membership"

// Principal authenticates a browser request from its session (web.Config.Session).
func (m *Sessions) Principal(c *fiber.Ctx) (data.Principal, error) {
	mb, err := m.Membership(c)
	if err != nil {
		return data.Principal{}, err
	}
	return mb.Principal(), nil
}

// Membership returns the logged-in user's membership, checking the session version.
func (m *Sessions) Membership(c *fiber.Ctx) (*data.Membership, error) {
	if mb, ok := c.Locals(membershipLocal).(*data.Membership); ok {
		return mb, nil
	}
	sess := sessionOf(c)
	if sess == nil {
		return nil, data.Errorf(data.ECUnauthorized, "Log in first.")
	}
	uid, org, ver := int64v(sess.s.Values["uid"]), int64v(sess.s.Values["org"]), int64v(sess.s.Values["ver"])
	if uid == 0 {
		return nil, data.Errorf(data.ECUnauthorized, "Log in first.")
	}
	mb, err := m.users.FindMembership(c.UserContext(), uid, org)
	if err != nil {
		return nil, err
	}
	if mb.SessionVersion != ver {
		m.clear(sess)
		return nil, data.Errorf(data.ECUnauthorized, "Your session has ended. Log in again.")
	}
	c.Locals(membershipLocal, mb)
	return mb, nil
}

// MembershipOf returns the membership a successful Membership call stored on the request.
func MembershipOf(c *fiber.Ctx) *data.Membership {
	mb, _ := c.Locals(membershipLocal).(*data.Membership)
	return mb
}

func (m *Sessions) clear(sess *session) {
	for k := range sess.s.Values {
		delete(sess.s.Values, k)
	}
	sess.s.Values["csrf"] = randomToken()
	sess.changed = true
}

// Login starts a session for the membership: a fresh session id and CSRF token
// (so nothing from before login carries over), the user's session version.
func (m *Sessions) Login(c *fiber.Ctx, mb *data.Membership) error {
	sess := sessionOf(c)
	if sess == nil {
		return errors.New("web: no session on this request")
	}
	m.clear(sess)
	sess.s.Values["sid"] = randomToken()
	sess.s.Values["uid"] = mb.UserID
	sess.s.Values["org"] = mb.OrgID
	sess.s.Values["ver"] = mb.SessionVersion
	c.Locals(membershipLocal, mb)
	return m.save(c, sess)
}

// Logout ends the session here and, through the session version, everywhere else.
func (m *Sessions) Logout(ctx context.Context, c *fiber.Ctx) error {
	sess := sessionOf(c)
	if sess == nil {
		return nil
	}
	if uid := int64v(sess.s.Values["uid"]); uid != 0 {
		if err := m.users.EndSessions(ctx, uid); err != nil {
			return err
		}
	}
	m.clear(sess)
	return m.save(c, sess)
}

// AddToast queues a toast for the next page the browser shows.
func AddToast(c *fiber.Ctx, t Toast) {
	sess := sessionOf(c)
	if sess == nil {
		return
	}
	var list []Toast
	json.Unmarshal([]byte(str(sess.s.Values["toasts"])), &list)
	list = append(list, t)
	if len(list) > 5 {
		list = list[len(list)-5:]
	}
	b, _ := json.Marshal(list)
	sess.s.Values["toasts"] = string(b)
	sess.changed = true
}

// TakeToasts returns and clears the queued toasts.
func TakeToasts(c *fiber.Ctx) []Toast {
	sess := sessionOf(c)
	if sess == nil {
		return nil
	}
	raw := str(sess.s.Values["toasts"])
	if raw == "" {
		return nil
	}
	var list []Toast
	json.Unmarshal([]byte(raw), &list)
	delete(sess.s.Values, "toasts")
	sess.changed = true
	return list
}

// TriggerToast asks htmx (through the HX-Trigger header) to show a toast now,
// for fragment responses that do not render the page's toast region.
func TriggerToast(c *fiber.Ctx, t Toast) {
	b, _ := json.Marshal(map[string]Toast{"gallerist:toast": t})
	c.Set("HX-Trigger", asciiJSON(b))
}

// asciiJSON escapes non-ASCII runes so JSON can travel in an HTTP header.
func asciiJSON(b []byte) string {
	var out bytes.Buffer
	for _, r := range string(b) {
		if r < 0x80 {
			out.WriteRune(r)
			continue
		}
		if r > 0xFFFF {
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			continue
		}
		fmt.Fprintf(&out, `\u%04x`, r)
	}
	return out.String()
}
