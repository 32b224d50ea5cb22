package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"gallerist/data"
	"gallerist/web"

	"golang.org/x/crypto/bcrypt"
)

// hashCounter wraps the user service's password comparison and records the
// cost of every hash it is asked to compare against.
type hashCounter struct {
	mu    sync.Mutex
	costs []int
}

func (h *hashCounter) install(e *testEnv) {
	real := e.app.users.ComparePassword
	e.app.users.ComparePassword = func(hash, pw []byte) error {
		cost, err := bcrypt.Cost(hash)
		if err != nil {
			cost = -1 // not a usable hash: no work was done
		}
		h.mu.Lock()
		h.costs = append(h.costs, cost)
		h.mu.Unlock()
		return real(hash, pw)
	}
}

func (h *hashCounter) take() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.costs
	h.costs = nil
	return out
}

// TestLoginWorkIsEqual: a login attempt costs exactly one bcrypt comparison
// at the service's cost, for known and unknown emails and for short, long,
// over-limit and huge passwords, so how long a refusal takes does not tell
// whether an email has an account. Counting the comparisons, not timing.
func TestLoginWorkIsEqual(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	long := strings.Repeat("p", data.MaxPasswordBytes)
	if _, err := e.app.users.CreateUser(context.Background(), data.UserCreate{Email: "long@example.com", Password: long, Role: data.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	var counter hashCounter
	counter.install(e)
	cost := e.app.users.Cost

	passwords := map[string]string{
		"Empty":       "",
		"Short":       "x",
		"Wrong":       "wrong password",
		"AtLimit":     strings.Repeat("w", data.MaxPasswordBytes),
		"OverLimit":   strings.Repeat("w", data.MaxPasswordBytes+1),
		"OverOldCap":  strings.Repeat("w", 1025),
		"Huge":        strings.Repeat("w", 200<<10),
		"LongPlusOne": long + "!", // the first 72 bytes are long@'s password
	}
	for _, email := range []string{testOwnerEmail, "long@example.com", "nobody@example.com", "NOBODY@example.com "} {
		for name, pw := range passwords {
			t.Run(strings.TrimSpace(email)+"/"+name, func(t *testing.T) {
				e.app.sessions.Limiter = web.NewLoginLimiter() // count work, not refusals
				c := e.client()
				c.get(t, "/login")
				counter.take()
				st, _ := c.post(t, "/login", url.Values{"email": {email}, "password": {pw}})
				if st != http.StatusUnauthorized {
					t.Fatalf("login as %q with a %d-byte wrong password: %d, want 401", email, len(pw), st)
				}
				if got := counter.take(); len(got) != 1 || got[0] != cost {
					t.Fatalf("login as %q with a %d-byte password compared %d hashes of costs %v; want exactly one of cost %d", email, len(pw), len(got), got, cost)
				}
			})
		}
	}

	t.Run("Success", func(t *testing.T) {
		for email, pw := range map[string]string{testOwnerEmail: testOwnerPassword, "long@example.com": long} {
			e.app.sessions.Limiter = web.NewLoginLimiter()
			c := e.client()
			counter.take()
			c.login(t, email, pw)
			if got := counter.take(); len(got) != 1 || got[0] != cost {
				t.Fatalf("a successful login as %s compared %v, want one comparison of cost %d", email, got, cost)
			}
		}
	})

	t.Run("DummyFollowsCost", func(t *testing.T) {
		e.app.users.Cost = bcrypt.MinCost + 1
		defer func() { e.app.users.Cost = cost }()
		if _, err := e.app.users.Authenticate(context.Background(), "nobody@example.com", "whatever"); data.ErrorCode(err) != data.ECUnauthorized {
			t.Fatalf("unknown email: %v", err)
		}
		if got := counter.take(); len(got) != 1 || got[0] != bcrypt.MinCost+1 {
			t.Fatalf("an unknown email after a cost change compared %v, want one comparison of cost %d", got, bcrypt.MinCost+1)
		}
	})
}
