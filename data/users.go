package data

import (
	"context"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Membership is a user's role in one organization, with what the admin UI
// shows about both (the user's email, the organization's name).
type Membership struct {
	UserID         int64
	Email          string
	SessionVersion int64
	OrgID          int64
	OrgSlug        string
	OrgName        string
	Role           Role
}

// Principal is the membership as who is acting.
func (m *Membership) Principal() Principal {
	return Principal{OrgID: m.OrgID, Actor: m.Email, UserID: m.UserID, Role: m.Role, Scopes: m.Role.Scopes()}
}

// UserCreate is a request to create a user with a role in an organization.
type UserCreate struct {
	Email    string
	Password string
	OrgSlug  string // DefaultOrgSlug when empty
	Role     Role   // RoleOwner when empty
}

// Password rules. bcrypt reads at most 72 bytes, so longer passwords are refused
// rather than silently cut.
const (
	MinPasswordRunes = 8
	MaxPasswordBytes = 72
)

// ValidateEmail normalises and checks an email address.
func ValidateEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", FieldError("email", "Enter your email address.")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email, "@") || len(email) > 254 {
		return "", FieldError("email", "%q is not an email address we can use; it should look like name@example.com.", email)
	}
	return strings.ToLower(email), nil
}

// ValidatePassword checks a new password.
func ValidatePassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordRunes {
		return FieldError("password", "Choose a password of at least %d characters.", MinPasswordRunes)
	}
	if len(pw) > MaxPasswordBytes {
		return FieldError("password", "Choose a password of at most %d bytes (about %d letters).", MaxPasswordBytes, MaxPasswordBytes)
	}
	return nil
}

// UserService manages accounts and checks passwords. Its methods do not need a
// principal: they serve setup, login and the command line.
type UserService interface {
	// CountUsers is the number of users; 0 means the first-run setup is open.
	CountUsers(ctx context.Context) (int, error)
	// CreateUser creates a user (or, for an existing email, adds the membership).
	CreateUser(ctx context.Context, uc UserCreate) (*Membership, error)
	// CreateFirstOwner creates the owner of the default organization, and names
	// it, only while no user exists (ECConflict otherwise).
	CreateFirstOwner(ctx context.Context, email, password, orgName string) (*Membership, error)
	// Authenticate checks an email and password and returns the user's first
	// membership; a wrong email or password is the same ECUnauthorized.
	Authenticate(ctx context.Context, email, password string) (*Membership, error)
	// FindMembership returns a user's membership in an organization (ECUnauthorized if none).
	FindMembership(ctx context.Context, userID, orgID int64) (*Membership, error)
	// EndSessions bumps the user's session version, ending every session of theirs.
	EndSessions(ctx context.Context, userID int64) error
}
