package storage

import (
	"context"
	"errors"
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

// ownerIn is a context acting as an owner of the organization.
func ownerIn(orgID int64, email string, userID int64) context.Context {
	return data.WithPrincipal(context.Background(), data.Principal{OrgID: orgID, Actor: email, UserID: userID,
		Role: data.RoleOwner, Scopes: data.RoleOwner.Scopes()})
}

// peopleEnv is a store with one owner (ann@example.com) and a context acting as her.
func peopleEnv(t testing.TB) (*testEnv, *data.Membership, context.Context) {
	t.Helper()
	e := newTestEnv(t)
	owner := e.createUser(t, data.UserCreate{Email: "ann@example.com", Password: password})
	return e, owner, ownerIn(e.org.ID, owner.Email, owner.UserID)
}

func (e *testEnv) sessionVersion(t testing.TB, userID int64) int {
	t.Helper()
	return e.count(t, `SELECT session_version FROM users WHERE id = ?`, userID)
}

func TestPeople(t *testing.T) {
	t.Run("InviteAccept", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		added, err := e.users.AddPerson(ctx, data.PersonAdd{Email: " Bo@Example.com", Name: "  Bo   Li ", Role: data.RoleEditor})
		if err != nil {
			t.Fatal(err)
		}
		p := added.Person
		if added.InviteSecret == "" || added.ExistingAccount || p.Email != "bo@example.com" || p.Name != "Bo Li" || p.Role != data.RoleEditor ||
			!p.Invited || p.InviteExpiresAt == nil || !p.InviteExpiresAt.Equal(e.clock.Now().Add(data.InviteValidFor)) {
			t.Fatalf("%+v %+v", added, p)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM invites WHERE secret_hash = ?`, added.InviteSecret); n != 0 {
			t.Fatal("the invite secret is stored in clear")
		}
		// Until they accept, the account has no password that works.
		if _, err := e.users.Authenticate(context.Background(), "bo@example.com", ""); data.ErrorCode(err) != data.ECUnauthorized {
			t.Fatalf("invited account logs in with no password: %v", err)
		}
		iv, err := e.users.FindInvite(context.Background(), added.InviteSecret)
		if err != nil || iv.Email != "bo@example.com" || iv.OrgID != e.org.ID || iv.Role != data.RoleEditor || iv.OrgName != e.org.Name {
			t.Fatalf("%+v %v", iv, err)
		}
		_, err = e.users.AcceptInvite(context.Background(), added.InviteSecret, "", "short")
		wantError(t, err, data.ECInvalidField, "Choose a password of at least 8 characters.")
		mb, err := e.users.AcceptInvite(context.Background(), added.InviteSecret, "", "bo's password")
		if err != nil || mb.UserID != p.UserID || mb.OrgID != e.org.ID || mb.Role != data.RoleEditor {
			t.Fatalf("%+v %v", mb, err)
		}
		_, err = e.users.AcceptInvite(context.Background(), added.InviteSecret, "", "bo's password")
		wantError(t, err, data.ECNotFound, errInviteGone.Message)
		if _, err := e.users.FindInvite(context.Background(), added.InviteSecret); data.ErrorCode(err) != data.ECNotFound {
			t.Fatalf("a used link still works: %v", err)
		}
		if _, err := e.users.Authenticate(context.Background(), "bo@example.com", "bo's password"); err != nil {
			t.Fatal(err)
		}
		got, err := e.users.FindPerson(ctx, p.UserID)
		if err != nil || got.Invited || got.Name != "Bo Li" || got.LastLoginAt == nil {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("InviteExpires", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		added, err := e.users.AddPerson(ctx, data.PersonAdd{Email: "bo@example.com", Role: data.RoleViewer})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(data.InviteValidFor)
		_, err = e.users.AcceptInvite(context.Background(), added.InviteSecret, "", "bo's password")
		wantError(t, err, data.ECNotFound, errInviteGone.Message)
		// A new link works again, and the old one stays dead.
		_, secret, err := e.users.RenewInvite(ctx, added.Person.UserID)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(-time.Hour)
		if _, err := e.users.FindInvite(context.Background(), added.InviteSecret); data.ErrorCode(err) != data.ECNotFound {
			t.Fatalf("a replaced link still works: %v", err)
		}
		if _, err := e.users.AcceptInvite(context.Background(), secret, "Bo", "bo's password"); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.users.RenewInvite(ctx, added.Person.UserID)
		wantError(t, err, data.ECConflict, "Bo has already chosen a password. Reset their password instead.")
	})
	t.Run("TemporaryPassword", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		pw := data.GeneratePassword()
		added, err := e.users.AddPerson(ctx, data.PersonAdd{Email: "bo@example.com", Role: data.RoleEditor, Password: pw})
		if err != nil || added.InviteSecret != "" || added.Person.Invited {
			t.Fatalf("%+v %v", added, err)
		}
		if _, err := e.users.Authenticate(context.Background(), "bo@example.com", pw); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrAlreadyMember", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		_, err := e.users.AddPerson(ctx, data.PersonAdd{Email: "ANN@example.com", Role: data.RoleViewer})
		de := wantError(t, err, data.ECConflict, "ann@example.com is already in this store, as owner. Change their role in the list instead.")
		if de.Details["field"] != "email" {
			t.Fatalf("details %v", de.Details)
		}
	})
	t.Run("ErrFields", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		_, err := e.users.AddPerson(ctx, data.PersonAdd{Email: "nope", Name: strings.Repeat("n", 101), Role: "boss", Password: "short"})
		for _, field := range []string{"email", "name", "role", "password"} {
			found := false
			for _, x := range err.(interface{ Unwrap() []error }).Unwrap() {
				var de *data.Error
				if errors.As(x, &de) && de.Details["field"] == field {
					found = true
				}
			}
			if !found {
				t.Errorf("no error for %s in %v", field, err)
			}
		}
		if n := e.count(t, `SELECT COUNT(*) FROM users`); n != 1 {
			t.Fatalf("%d users", n)
		}
	})
	t.Run("ExistingAccountElsewhere", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		e.otherOrg(t, "shop")
		e.createUser(t, data.UserCreate{Email: "cy@example.com", Password: password, OrgSlug: "shop", Role: data.RoleOwner})
		added, err := e.users.AddPerson(ctx, data.PersonAdd{Email: "cy@example.com", Role: data.RoleViewer, Password: "ignored password"})
		if err != nil || !added.ExistingAccount || added.InviteSecret != "" || added.Person.Role != data.RoleViewer {
			t.Fatalf("%+v %v", added, err)
		}
		if _, err := e.users.Authenticate(context.Background(), "cy@example.com", password); err != nil {
			t.Fatalf("their own password stopped working: %v", err)
		}
	})
	t.Run("ChangeRoleEndsSessions", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		bo := e.createUser(t, data.UserCreate{Email: "bo@example.com", Password: password, Role: data.RoleEditor})
		v := e.sessionVersion(t, bo.UserID)
		p, err := e.users.ChangeRole(ctx, bo.UserID, data.RoleViewer)
		if err != nil || p.Role != data.RoleViewer {
			t.Fatalf("%+v %v", p, err)
		}
		if e.sessionVersion(t, bo.UserID) != v+1 {
			t.Fatal("their sessions go on")
		}
		mb, _ := e.users.FindMembership(context.Background(), bo.UserID, e.org.ID)
		if mb.Role != data.RoleViewer {
			t.Fatalf("%+v", mb)
		}
		_, err = e.users.ChangeRole(ctx, bo.UserID, "boss")
		wantError(t, err, data.ECInvalidField, "Role must be owner, editor or viewer.")
	})
	t.Run("ErrLastOwner", func(t *testing.T) {
		e, owner, ctx := peopleEnv(t)
		// An invited owner who has not chosen a password does not count.
		if _, err := e.users.AddPerson(ctx, data.PersonAdd{Email: "bo@example.com", Role: data.RoleOwner}); err != nil {
			t.Fatal(err)
		}
		const msg = "ann@example.com is the only owner of this store. Make someone else an owner first, so the store always has one."
		_, err := e.users.ChangeRole(ctx, owner.UserID, data.RoleEditor)
		wantError(t, err, data.ECConflict, msg)
		_, err = e.users.RemovePerson(ctx, owner.UserID)
		wantError(t, err, data.ECConflict, msg)
		if mb, err := e.users.FindMembership(context.Background(), owner.UserID, e.org.ID); err != nil || mb.Role != data.RoleOwner {
			t.Fatalf("%+v %v", mb, err)
		}
		// With a second owner who can log in, the first may step down.
		cy := e.createUser(t, data.UserCreate{Email: "cy@example.com", Password: password, Role: data.RoleOwner})
		if _, err := e.users.ChangeRole(ctx, owner.UserID, data.RoleEditor); err != nil {
			t.Fatal(err)
		}
		_, err = e.users.RemovePerson(ctx, cy.UserID)
		wantError(t, err, data.ECConflict, "cy@example.com is the only owner of this store. Make someone else an owner first, so the store always has one.")
	})
	t.Run("Remove", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		bo := e.createUser(t, data.UserCreate{Email: "bo@example.com", Password: password, Role: data.RoleEditor})
		if _, err := e.users.RemovePerson(ctx, bo.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.users.FindMembership(context.Background(), bo.UserID, e.org.ID); data.ErrorCode(err) != data.ECUnauthorized {
			t.Fatalf("a removed person's session would go on: %v", err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM users WHERE id = ?`, bo.UserID); n != 0 {
			t.Fatal("an account in no store is kept")
		}
		_, err := e.users.RemovePerson(ctx, bo.UserID)
		wantError(t, err, data.ECNotFound, "That person is not in this store (any more).")
		// Added again, they get a new id: an old session cookie names the old one.
		again := e.createUser(t, data.UserCreate{Email: "bo@example.com", Password: password, Role: data.RoleEditor})
		if again.UserID == bo.UserID {
			t.Fatal("user id reused")
		}
	})
	t.Run("RemoveKeepsOtherStores", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		shop, _ := e.otherOrg(t, "shop")
		bo := e.createUser(t, data.UserCreate{Email: "bo@example.com", Password: password, Role: data.RoleEditor})
		e.createUser(t, data.UserCreate{Email: "bo@example.com", Password: password, OrgSlug: "shop", Role: data.RoleEditor})
		v := e.sessionVersion(t, bo.UserID)
		if _, err := e.users.RemovePerson(ctx, bo.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.users.FindMembership(context.Background(), bo.UserID, shop.ID); err != nil {
			t.Fatal(err)
		}
		if e.sessionVersion(t, bo.UserID) != v+1 {
			t.Fatal("their sessions go on")
		}
	})
	t.Run("SetPassword", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		bo := e.createUser(t, data.UserCreate{Email: "bo@example.com", Password: password, Role: data.RoleEditor})
		v := e.sessionVersion(t, bo.UserID)
		_, err := e.users.SetPassword(ctx, bo.UserID, "short")
		wantError(t, err, data.ECInvalidField, "Choose a password of at least 8 characters.")
		if _, err := e.users.SetPassword(ctx, bo.UserID, "a new password"); err != nil {
			t.Fatal(err)
		}
		if e.sessionVersion(t, bo.UserID) != v+1 {
			t.Fatal("their sessions go on")
		}
		if _, err := e.users.Authenticate(context.Background(), "bo@example.com", password); data.ErrorCode(err) != data.ECUnauthorized {
			t.Fatal("the old password still works")
		}
		if _, err := e.users.Authenticate(context.Background(), "bo@example.com", "a new password"); err != nil {
			t.Fatal(err)
		}
		// Setting an invited person's password cancels their link.
		added, _ := e.users.AddPerson(ctx, data.PersonAdd{Email: "cy@example.com", Role: data.RoleViewer})
		if p, err := e.users.SetPassword(ctx, added.Person.UserID, "cy's password"); err != nil || p.Invited {
			t.Fatalf("%+v %v", p, err)
		}
		if _, err := e.users.FindInvite(context.Background(), added.InviteSecret); data.ErrorCode(err) != data.ECNotFound {
			t.Fatal("the invite link still works")
		}
	})
	t.Run("ScopedToTheOrganization", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		_, shopCtx := e.otherOrg(t, "shop")
		cy := e.createUser(t, data.UserCreate{Email: "cy@example.com", Password: password, OrgSlug: "shop", Role: data.RoleOwner})
		for name, err := range map[string]error{
			"find":     second(e.users.FindPerson(ctx, cy.UserID)),
			"role":     second(e.users.ChangeRole(ctx, cy.UserID, data.RoleViewer)),
			"remove":   second(e.users.RemovePerson(ctx, cy.UserID)),
			"password": second(e.users.SetPassword(ctx, cy.UserID, "taken over!")),
		} {
			if data.ErrorCode(err) != data.ECNotFound {
				t.Errorf("%s of another store's person: %v", name, err)
			}
		}
		list, err := e.users.FindPeople(shopCtx)
		if err != nil || len(list) != 1 || list[0].Email != "cy@example.com" {
			t.Fatalf("%+v %v", list, err)
		}
	})
	t.Run("FindPeopleOrder", func(t *testing.T) {
		e, _, ctx := peopleEnv(t)
		for _, uc := range []data.UserCreate{{Email: "a-viewer@example.com", Role: data.RoleViewer}, {Email: "b-editor@example.com", Role: data.RoleEditor}, {Email: "z-owner@example.com", Role: data.RoleOwner}} {
			uc.Password = password
			e.createUser(t, uc)
		}
		list, err := e.users.FindPeople(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range list {
			got = append(got, p.Email)
		}
		if want := []string{"ann@example.com", "z-owner@example.com", "b-editor@example.com", "a-viewer@example.com"}; !slices.Equal(got, want) {
			t.Fatalf("%v, want %v", got, want)
		}
	})
}

func second[T any](_ T, err error) error { return err }

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw := data.GeneratePassword()
		if len(pw) != 19 || strings.Count(pw, "-") != 3 || strings.ContainsAny(pw, "0O1lI") || data.ValidatePassword(pw) != nil || seen[pw] {
			t.Fatalf("%q", pw)
		}
		seen[pw] = true
	}
}
