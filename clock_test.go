package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gallerist/data"
)

// TestOneClock: the database's clock is the only one. Moving it moves what
// the pages say (days left in the trash, "deleted … ago"), token expiry,
// and the login rate limiter's window, all at once.
func TestOneClock(t *testing.T) {
	e := newTestEnv(t)
	clock := e.useClock(time.Now().Add(-90 * 24 * time.Hour)) // months ago: no part can be reading the wall clock
	tok := e.token(t, 0)
	id := idOf(e.uploadOK(t, tok, "clocked.png", pngOf(t, 7)))
	if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", id), tok, nil, ""); r.Status != 204 {
		t.Fatalf("trash: %d %s", r.Status, r.Body)
	}
	clock.Advance(5*24*time.Hour + time.Hour)
	c := loggedInClient(t, e)
	st, body := c.get(t, "/trash")
	if st != 200 || !strings.Contains(body, "Deleted 5 days ago") || !strings.Contains(body, "purged in 2 days") {
		t.Fatalf("trash page after 5 days on the app clock: %d; want 'Deleted 5 days ago' and 'purged in 2 days'", st)
	}

	// A token made now expires 30 days after the app's now, not the wall clock's.
	st, body = c.post(t, "/settings/tokens", url.Values{"name": {"clocked"}, "scopes": {"media:read"}, "expires": {"30d"}})
	if st >= 400 {
		t.Fatalf("create token: %d %.300s", st, body)
	}
	owner := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: testOwnerEmail,
		Role: data.RoleOwner, Scopes: data.RoleOwner.Scopes()})
	tokens, err := e.app.auth.FindTokens(owner)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, tk := range tokens {
		if tk.Name == "clocked" && tk.ExpiresAt != nil {
			found = true
			if d := tk.ExpiresAt.Sub(clock.Now()); d < 29*24*time.Hour || d > 31*24*time.Hour {
				t.Fatalf("the token expires %v after the app's now, want 30 days", d)
			}
		}
	}
	if !found {
		t.Fatal("the token with an expiry was not listed")
	}

	// Failed logins count in the app clock's window: 16 minutes on, they are forgotten.
	other := e.client()
	other.get(t, "/login")
	for range 5 {
		other.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {"wrong password"}})
	}
	if st, _ := other.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {testOwnerPassword}}); st != http.StatusTooManyRequests {
		t.Fatalf("sixth attempt: %d, want 429", st)
	}
	clock.Advance(16 * time.Minute)
	other.login(t, testOwnerEmail, testOwnerPassword)
}
