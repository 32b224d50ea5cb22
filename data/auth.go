package data

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Org is an organization (a store, a tenant). Every other row belongs to one.
type Org struct {
	ID        int64
	Slug      string
	Name      string
	CreatedAt time.Time
}

// DefaultOrgSlug is the organization every command makes sure exists.
const DefaultOrgSlug = "default"

// Scope is a permission a token (or a user's role) grants.
type Scope string

// The scopes. API tokens carry any subset of AllTokenScopes; roles expand to sets.
const (
	ScopeMediaRead      Scope = "media:read"
	ScopeMediaCreate    Scope = "media:create"
	ScopeMediaUpdate    Scope = "media:update"
	ScopeMediaDelete    Scope = "media:delete"
	ScopeProductsRead   Scope = "products:read"
	ScopeProductsWrite  Scope = "products:write"
	ScopeEventsRead     Scope = "events:read"
	ScopeWebhooksManage Scope = "webhooks:manage"
	ScopeSettingsManage Scope = "settings:manage" // users and API tokens; owners only, never on a token
)

// AllTokenScopes lists the scopes an API token may be given, with what each allows.
var AllTokenScopes = []struct {
	Scope       Scope
	Description string
}{
	{ScopeMediaRead, "List, view and download media."},
	{ScopeMediaCreate, "Upload and import media, also straight into a gallery."},
	{ScopeMediaUpdate, "Rename media and edit alt text, also through a gallery image."},
	{ScopeMediaDelete, "Move media to the trash, restore and purge it."},
	{ScopeProductsRead, "List products, variants, collections and galleries."},
	{ScopeProductsWrite, "Create and change products, variants, collections and galleries, and attach library items to them (uploading into a gallery also needs media:create; setting alt text there, media:update)."},
	{ScopeEventsRead, "Read the log of changes (GET /api/events): who changed which media and products, and when."},
	{ScopeWebhooksManage, "Add, list and delete webhook endpoints and read their delivery logs."},
}

// ParseScopes parses a comma-separated list of token scopes.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		ok := false
		for _, ts := range AllTokenScopes {
			if string(ts.Scope) == p {
				ok = true
			}
		}
		if !ok {
			return nil, FieldError("scopes", "Unknown scope %q; valid scopes are %s.", p, scopeList())
		}
		if !slices.Contains(out, Scope(p)) {
			out = append(out, Scope(p))
		}
	}
	if len(out) == 0 {
		return nil, FieldError("scopes", "Give at least one scope: %s.", scopeList())
	}
	return out, nil
}

func scopeList() string {
	var names []string
	for _, ts := range AllTokenScopes {
		names = append(names, string(ts.Scope))
	}
	return strings.Join(names, ", ")
}

// Role is a user's role in an organization.
type Role string

// The roles: viewers read (also the log of changes), editors change media
// and catalog, owners also manage settings and webhooks.
const (
	RoleViewer Role = "viewer"
	RoleEditor Role = "editor"
	RoleOwner  Role = "owner"
)

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case RoleViewer, RoleEditor, RoleOwner:
		return Role(s), nil
	}
	return "", FieldError("role", "Role must be owner, editor or viewer.")
}

// Scopes returns what the role allows, as scopes, so one check serves tokens and users.
func (r Role) Scopes() []Scope {
	read := []Scope{ScopeMediaRead, ScopeProductsRead, ScopeEventsRead}
	edit := append(read, ScopeMediaCreate, ScopeMediaUpdate, ScopeMediaDelete, ScopeProductsWrite)
	switch r {
	case RoleViewer:
		return read
	case RoleEditor:
		return edit
	case RoleOwner:
		return append(edit, ScopeSettingsManage, ScopeWebhooksManage)
	}
	return nil
}

// User is a person who logs in to the admin UI.
type User struct {
	ID             int64
	Email          string
	PasswordHash   string
	SessionVersion int64
	CreatedAt      time.Time
	// Membership in the organization the user was loaded for.
	OrgID int64
	Role  Role
}

// Token is an API token. Only the hash of its secret is stored.
type Token struct {
	ID         int64
	OrgID      int64
	Name       string
	Prefix     string // the first characters of the secret, shown in lists
	Scopes     []Scope
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedBy  string
	CreatedAt  time.Time
}

// Principal is who is acting: the organization every query is scoped to, the
// identity recorded in created_by, and the scopes that decide what is allowed.
type Principal struct {
	OrgID   int64
	Actor   string // "token:NAME" or the user's email
	UserID  int64
	TokenID int64
	Role    Role
	Scopes  []Scope
}

// Can reports whether the principal holds the scope.
func (p Principal) Can(s Scope) bool { return slices.Contains(p.Scopes, s) }

// Require is the one refusal of a missing scope: nil when the principal holds
// s; otherwise, for a token, ECMissingScope naming the scope and the action
// that needs it ("POST /api/media", "uploading into a gallery"), and for a
// user, ECForbidden naming the role. Both carry required_scope. The route
// check and the checks that depend on a request's body all go through it.
func (p Principal) Require(s Scope, action string) error {
	if p.Can(s) {
		return nil
	}
	if p.UserID == 0 {
		return Errorf(ECMissingScope, "This token lacks the %s scope, which %s needs. Create a token with it.", s, action).
			With("required_scope", string(s))
	}
	return Errorf(ECForbidden, "Your role (%s) does not allow this. Ask an owner of this store.", p.Role).
		With("required_scope", string(s))
}

// RequireScope is Require for the principal ctx carries; a context without
// one holds no scope.
func RequireScope(ctx context.Context, s Scope, action string) error {
	p, _ := PrincipalFrom(ctx)
	return p.Require(s, action)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal ctx carries.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok && p.OrgID != 0
}

// AuthService authenticates API tokens and users and manages both.
type AuthService interface {
	// AuthenticateToken resolves a bearer secret to a principal, or ECUnauthorized.
	AuthenticateToken(ctx context.Context, secret string) (Principal, error)
	// CreateToken creates a token in the principal's org; the secret is returned once.
	CreateToken(ctx context.Context, name string, scopes []Scope, expires *time.Time) (*Token, string, error)
	FindTokens(ctx context.Context) ([]*Token, error)
	RevokeToken(ctx context.Context, id int64) error
}

// OrgService manages organizations; it is used by the command line, not the API.
type OrgService interface {
	CreateOrg(ctx context.Context, slug, name string) (*Org, error)
	FindOrgBySlug(ctx context.Context, slug string) (*Org, error)
	EnsureDefaultOrg(ctx context.Context) (*Org, error)
}
