package storage

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"gallerist/data"

	"golang.org/x/crypto/bcrypt"
)

const password = "correct horse battery"

func (e *testEnv) createUser(t testing.TB, uc data.UserCreate) *data.Membership {
	t.Helper()
	m, err := e.users.CreateUser(context.Background(), uc)
	if err != nil {
		t.Fatalf("create user %s: %v", uc.Email, err)
	}
	return m
}

func TestCreateUser(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createUser(t, data.UserCreate{Email: " Ann@Example.com ", Password: password})
		if m.UserID == 0 || m.Email != "ann@example.com" || m.OrgID != e.org.ID || m.OrgSlug != data.DefaultOrgSlug ||
			m.OrgName != e.org.Name || m.Role != data.RoleOwner || m.SessionVersion != 1 {
			t.Fatalf("%+v", m)
		}
		var hash string
		if err := e.db.QueryRowForTest(`SELECT password_hash FROM users WHERE id = ?`, m.UserID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(hash, password) || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
			t.Fatalf("stored %q is not a bcrypt hash of the password", hash)
		}
		if cost, _ := bcrypt.Cost([]byte(hash)); cost != e.users.Cost {
			t.Fatalf("cost %d, want the service's %d", cost, e.users.Cost)
		}
		if n, err := e.users.CountUsers(context.Background()); err != nil || n != 1 {
			t.Fatalf("%d users %v", n, err)
		}
	})
	t.Run("RoleInAnotherOrg", func(t *testing.T) {
		e := newTestEnv(t)
		other, _ := e.otherOrg(t, "shop")
		m := e.createUser(t, data.UserCreate{Email: "ed@example.com", Password: password, OrgSlug: "shop", Role: data.RoleEditor})
		if m.OrgID != other.ID || m.OrgSlug != "shop" || m.Role != data.RoleEditor {
			t.Fatalf("%+v", m)
		}
		p := m.Principal()
		if p.OrgID != other.ID || p.UserID != m.UserID || p.Actor != "ed@example.com" || !p.Can(data.ScopeMediaDelete) || p.Can(data.ScopeSettingsManage) {
			t.Fatalf("principal %+v", p)
		}
		if _, err := e.users.FindMembership(context.Background(), m.UserID, e.org.ID); err == nil {
			t.Fatal("member of an organization nobody added them to")
		}
	})
	t.Run("DuplicateEmailAddsMembership", func(t *testing.T) {
		e := newTestEnv(t)
		e.otherOrg(t, "shop")
		first := e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password})
		second := e.createUser(t, data.UserCreate{Email: "ANN@example.com", Password: "another password", OrgSlug: "shop", Role: data.RoleViewer})
		if second.UserID != first.UserID || second.OrgSlug != "shop" || second.Role != data.RoleViewer {
			t.Fatalf("%+v", second)
		}
		if n, _ := e.users.CountUsers(context.Background()); n != 1 {
			t.Fatalf("%d users for one email", n)
		}
		// The password of the existing account stays.
		if _, err := e.users.Authenticate(context.Background(), "ann@example.com", password); err != nil {
			t.Fatalf("old password: %v", err)
		}
		_, err := e.users.Authenticate(context.Background(), "ann@example.com", "another password")
		wantError(t, err, data.ECUnauthorized, errBadLogin.Message)
		// Both memberships exist.
		if m, err := e.users.FindMembership(context.Background(), first.UserID, e.org.ID); err != nil || m.Role != data.RoleOwner {
			t.Fatalf("%+v %v", m, err)
		}
	})
	t.Run("DuplicateEmailChangesRole", func(t *testing.T) {
		e := newTestEnv(t)
		first := e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password, Role: data.RoleViewer})
		second := e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password, Role: data.RoleEditor})
		if second.UserID != first.UserID || second.Role != data.RoleEditor {
			t.Fatalf("%+v", second)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM memberships WHERE user_id = ?`, first.UserID); n != 1 {
			t.Fatalf("%d memberships", n)
		}
	})
	t.Run("ErrInvalidEmail", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.users.CreateUser(context.Background(), data.UserCreate{Email: "ann", Password: password})
		de := wantError(t, err, data.ECInvalidField, `"ann" is not an email address we can use; it should look like name@example.com.`)
		if de.Details["field"] != "email" {
			t.Fatalf("details %v", de.Details)
		}
	})
	t.Run("ErrShortPassword", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.users.CreateUser(context.Background(), data.UserCreate{Email: "ann@example.com", Password: "short"})
		wantError(t, err, data.ECInvalidField, "Choose a password of at least 8 characters.")
	})
	t.Run("ErrLongPassword", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.users.CreateUser(context.Background(), data.UserCreate{Email: "ann@example.com", Password: strings.Repeat("x", 73)})
		wantError(t, err, data.ECInvalidField, "Choose a password of at most 72 bytes (about 72 letters).")
	})
	t.Run("ErrInvalidRole", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.users.CreateUser(context.Background(), data.UserCreate{Email: "ann@example.com", Password: password, Role: "admin"})
		wantError(t, err, data.ECInvalidField, "Role must be owner, editor or viewer.")
	})
	t.Run("ErrUnknownOrg", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.users.CreateUser(context.Background(), data.UserCreate{Email: "ann@example.com", Password: password, OrgSlug: "nope"})
		wantError(t, err, data.ECNotFound, `No organization with slug "nope".`)
		if n, _ := e.users.CountUsers(context.Background()); n != 0 {
			t.Fatalf("%d users after a failed create", n)
		}
	})
}

func TestCreateFirstOwner(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		m, err := e.users.CreateFirstOwner(context.Background(), "Owner@Example.com", password, " Ann's Mugs ")
		if err != nil || m.Email != "owner@example.com" || m.Role != data.RoleOwner || m.OrgID != e.org.ID || m.OrgName != "Ann's Mugs" {
			t.Fatalf("%+v %v", m, err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		e := newTestEnv(t)
		e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password, Role: data.RoleViewer})
		_, err := e.users.CreateFirstOwner(context.Background(), "mallory@example.com", password, "Taken")
		wantError(t, err, data.ECConflict, "Gallerist is already set up. Log in instead.")
		if n, _ := e.users.CountUsers(context.Background()); n != 1 {
			t.Fatalf("%d users", n)
		}
		o, err := e.orgs.FindOrgBySlug(context.Background(), data.DefaultOrgSlug)
		if err != nil || o.Name != e.org.Name {
			t.Fatalf("store renamed: %+v %v", o, err)
		}
	})
	t.Run("ErrOrgNameTooLong", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.users.CreateFirstOwner(context.Background(), "owner@example.com", password, strings.Repeat("é", 101))
		wantError(t, err, data.ECInvalidField, "Keep the store name under 100 characters.")
	})
}

func TestAuthenticate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		created := e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password, Role: data.RoleEditor})
		m, err := e.users.Authenticate(context.Background(), "  ANN@example.com ", password)
		if err != nil || m.UserID != created.UserID || m.OrgID != e.org.ID || m.Role != data.RoleEditor {
			t.Fatalf("%+v %v", m, err)
		}
	})
	t.Run("OldestMembership", func(t *testing.T) {
		// Ann joined shop (the higher id) first, Bob the default organization.
		e := newTestEnv(t)
		shop, _ := e.otherOrg(t, "shop")
		e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password, OrgSlug: "shop"})
		e.createUser(t, data.UserCreate{Email: "bob@example.com", Password: password})
		e.clock.Advance(time.Minute)
		e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password, Role: data.RoleViewer})
		e.createUser(t, data.UserCreate{Email: "bob@example.com", Password: password, OrgSlug: "shop"})
		for email, want := range map[string]int64{"ann@example.com": shop.ID, "bob@example.com": e.org.ID} {
			m, err := e.users.Authenticate(context.Background(), email, password)
			if err != nil || m.OrgID != want {
				t.Fatalf("%s: %+v %v; want the first organization joined, %d", email, m, err, want)
			}
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		e := newTestEnv(t)
		e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password})
		for _, pw := range []string{"wrong password", "", password + " ", strings.ToUpper(password), strings.Repeat("x", 2000)} {
			_, err := e.users.Authenticate(context.Background(), "ann@example.com", pw)
			wantError(t, err, data.ECUnauthorized, "That email and password do not match an account. Check both and try again.")
		}
	})
	t.Run("ErrUnknownEmailLooksTheSame", func(t *testing.T) {
		e := newTestEnv(t)
		e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password})
		_, unknown := e.users.Authenticate(context.Background(), "bob@example.com", password)
		_, wrong := e.users.Authenticate(context.Background(), "ann@example.com", "wrong password")
		wantSameError(t, unknown, wrong)
	})
}

func TestMemberships(t *testing.T) {
	t.Run("FindMembership", func(t *testing.T) {
		e := newTestEnv(t)
		created := e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password, Role: data.RoleViewer})
		m, err := e.users.FindMembership(context.Background(), created.UserID, e.org.ID)
		if err != nil || *m != *created {
			t.Fatalf("%+v %v, want %+v", m, err, created)
		}
		p := m.Principal()
		if !slices.Equal(p.Scopes, data.RoleViewer.Scopes()) || p.Can(data.ScopeMediaCreate) || !p.Can(data.ScopeMediaRead) {
			t.Fatalf("viewer principal %+v", p)
		}
	})
	t.Run("ErrNoMembership", func(t *testing.T) {
		e := newTestEnv(t)
		other, _ := e.otherOrg(t, "shop")
		created := e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password})
		for _, ids := range [][2]int64{{created.UserID, other.ID}, {created.UserID + 1, e.org.ID}} {
			_, err := e.users.FindMembership(context.Background(), ids[0], ids[1])
			wantError(t, err, data.ECUnauthorized, "Your session has ended. Log in again.")
		}
	})
	t.Run("EndSessions", func(t *testing.T) {
		e := newTestEnv(t)
		created := e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password})
		other := e.createUser(t, data.UserCreate{Email: "bob@example.com", Password: password})
		if err := e.users.EndSessions(context.Background(), created.UserID); err != nil {
			t.Fatal(err)
		}
		m, _ := e.users.FindMembership(context.Background(), created.UserID, e.org.ID)
		o, _ := e.users.FindMembership(context.Background(), other.UserID, e.org.ID)
		if m.SessionVersion != created.SessionVersion+1 || o.SessionVersion != other.SessionVersion {
			t.Fatalf("session versions %d and %d", m.SessionVersion, o.SessionVersion)
		}
	})
}

func TestOrgs(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		o, err := e.orgs.CreateOrg(context.Background(), " shop-2 ", "")
		if err != nil || o.Slug != "shop-2" || o.Name != "shop-2" || !o.CreatedAt.Equal(e.clock.Now()) {
			t.Fatalf("%+v %v", o, err)
		}
		found, err := e.orgs.FindOrgBySlug(context.Background(), "shop-2")
		if err != nil || *found != *o {
			t.Fatalf("%+v %v", found, err)
		}
		byID, err := e.orgs.FindOrgByID(context.Background(), o.ID)
		if err != nil || *byID != *o {
			t.Fatalf("%+v %v", byID, err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.orgs.CreateOrg(context.Background(), data.DefaultOrgSlug, "Again")
		wantError(t, err, data.ECConflict, `An organization with slug "default" already exists.`)
	})
	t.Run("ErrInvalidSlug", func(t *testing.T) {
		e := newTestEnv(t)
		for _, slug := range []string{"", "Shop", "-shop", "a/b", strings.Repeat("a", 64)} {
			_, err := e.orgs.CreateOrg(context.Background(), slug, "")
			wantError(t, err, data.ECInvalidField, "Slug must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit.")
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.orgs.FindOrgBySlug(context.Background(), "nope")
		wantError(t, err, data.ECNotFound, `No organization with slug "nope".`)
		_, err = e.orgs.FindOrgByID(context.Background(), 999)
		wantError(t, err, data.ECNotFound, "Organization not found.")
	})
	t.Run("EnsureDefaultOrgTwice", func(t *testing.T) {
		e := newTestEnv(t)
		again, err := e.orgs.EnsureDefaultOrg(context.Background())
		if err != nil || *again != *e.org {
			t.Fatalf("%+v %v, want %+v", again, err, e.org)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM orgs`); n != 1 {
			t.Fatalf("%d organizations", n)
		}
	})
	t.Run("EnsureDefaultOrgWithoutDefault", func(t *testing.T) {
		// Its doc: "creates the organization with slug "default" if no
		// organization exists, and returns the default one (or the first one)".
		db := newTestDB(t)
		orgs := NewOrgService(db)
		first, err := orgs.CreateOrg(context.Background(), "acme", "Acme")
		if err != nil {
			t.Fatal(err)
		}
		got, err := orgs.EnsureDefaultOrg(context.Background())
		if err != nil {
			t.Fatalf("EnsureDefaultOrg with organizations but none named %q: %v; its doc promises the first one", data.DefaultOrgSlug, err)
		}
		if got.ID != first.ID {
			t.Fatalf("%+v, want the first organization %+v", got, first)
		}
	})
}
