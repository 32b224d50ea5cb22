package data

import (
	"context"
	"crypto/rand"
	"net/mail"
	"strings"
	"time"
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
	// MustChangePassword is set while the user logs in with a one-time
	// password an owner gave them: the admin UI lets them do nothing before
	// they choose their own (the API, with tokens, is unaffected).
	MustChangePassword bool
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
	// ChangeOwnPassword changes the principal's own password after checking
	// their current one (a wrong one is a field error on "current_password"),
	// clears MustChangePassword and ends every session of theirs; it returns
	// the membership to log in again with.
	ChangeOwnPassword(ctx context.Context, current, password string) (*Membership, error)

	// The people of the principal's organization (Settings › People).
	PeopleService
}

// Person is a member of an organization, as Settings › People lists them.
type Person struct {
	UserID      int64
	Email       string
	Name        string
	Role        Role
	AddedAt     time.Time
	LastLoginAt *time.Time
	// Invited is set while the person has not chosen a password yet;
	// InviteExpiresAt is when their invite link stops working (nil: no link).
	Invited         bool
	InviteExpiresAt *time.Time
	// MustChangePassword is set while they have a one-time password from an
	// owner and have not chosen their own yet.
	MustChangePassword bool
}

// Label is how the person is named to others: the name, else the email.
func (p *Person) Label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

// PersonAdd is a request to add a person to the principal's organization.
// With Password set they log in with it once (a one-time password the owner
// passes on; they choose their own at that login); without, they get an
// invite link to choose their own.
type PersonAdd struct {
	Email    string
	Name     string
	Role     Role
	Password string
}

// PersonAdded is the outcome of adding a person.
type PersonAdded struct {
	Person *Person
	// InviteSecret is the secret of their invite link, shown once (empty
	// when they got a password or already had an account).
	InviteSecret string
	// ExistingAccount is set when the email already had an account, whose
	// password stays as it is.
	ExistingAccount bool
}

// Invite is a pending invite link, as its page shows it.
type Invite struct {
	UserID    int64
	Email     string
	Name      string
	OrgID     int64
	OrgName   string
	Role      Role
	ExpiresAt time.Time
}

// InviteValidFor is how long an invite link works.
const InviteValidFor = 7 * 24 * time.Hour

// MaxNameRunes is the longest name a person may have.
const MaxNameRunes = 100

// ValidateName normalises and checks a person's (optional) name.
func ValidateName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > MaxNameRunes {
		return "", FieldError("name", "Keep the name under %d characters.", MaxNameRunes)
	}
	return name, nil
}

// passwordAlphabet leaves out characters that are easy to misread (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratePassword returns a random one-time password: 16 characters in
// groups of four ("k7Qm-Zp3x-…"), about 92 bits, easy to read out.
func GeneratePassword() string {
	limit := 256 - 256%len(passwordAlphabet) // no modulo bias
	out := make([]byte, 0, 19)
	var buf [32]byte
	for n := 0; n < 16; {
		rand.Read(buf[:]) // crypto/rand never fails (Go 1.24+)
		for _, v := range buf {
			if int(v) >= limit || n == 16 {
				continue
			}
			if n > 0 && n%4 == 0 {
				out = append(out, '-')
			}
			out = append(out, passwordAlphabet[int(v)%len(passwordAlphabet)])
			n++
		}
	}
	return string(out)
}

// PeopleService manages the people of the principal's organization and the
// invite links they accept. Every change that shrinks what a person may do
// (a lower role, a password reset, removal) ends their sessions at once; a
// promotion takes effect in their sessions as they are.
type PeopleService interface {
	// FindPeople lists the organization's people, owners first, then by email.
	FindPeople(ctx context.Context) ([]*Person, error)
	// FindPerson returns one of the organization's people (ECNotFound otherwise).
	FindPerson(ctx context.Context, userID int64) (*Person, error)
	// AddPerson adds a person: with the password, or else with an invite
	// link (valid InviteValidFor). An email that already has an account in
	// another organization gets the membership only; one already in this
	// organization is ECConflict.
	AddPerson(ctx context.Context, pa PersonAdd) (*PersonAdded, error)
	// ChangeRole changes a person's role (ending their sessions when the
	// new role is lower); demoting the last owner is ECConflict.
	ChangeRole(ctx context.Context, userID int64, role Role) (*Person, error)
	// RemovePerson takes a person out of the organization (and deletes the
	// account if it belongs to no other); removing the last owner is ECConflict.
	RemovePerson(ctx context.Context, userID int64) (*Person, error)
	// SetPassword gives a person a new password, cancels any invite of theirs
	// and ends their sessions; unless the person is the principal, it is
	// one-time (MustChangePassword).
	SetPassword(ctx context.Context, userID int64, password string) (*Person, error)
	// RenewInvite replaces a person's invite link (one who has not chosen a
	// password yet) with a new one and returns its secret.
	RenewInvite(ctx context.Context, userID int64) (*Person, string, error)

	// FindInvite returns the invite an invite link's secret belongs to while
	// the link works (ECNotFound otherwise). It needs no principal.
	FindInvite(ctx context.Context, secret string) (*Invite, error)
	// AcceptInvite sets the invitee's password (and name), uses up the link
	// and returns the membership to log in with. It needs no principal.
	AcceptInvite(ctx context.Context, secret, name, password string) (*Membership, error)
}

// roleRank orders roles by what they may do.
var roleRank = map[Role]int{RoleViewer: 1, RoleEditor: 2, RoleOwner: 3}

// RoleShrinks reports whether going from one role to another takes access away.
func RoleShrinks(from, to Role) bool { return roleRank[to] < roleRank[from] }

// ValidatePasswordChange checks a person's new password against their
// current one: both given, and the new one a real change.
func ValidatePasswordChange(current, password string) error {
	if current == "" {
		return FieldError("current_password", "Enter your current password.")
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	if password == current {
		return FieldError("password", "Choose a password different from your current one.")
	}
	return nil
}
