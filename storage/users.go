package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"gallerist/data"

	"golang.org/x/crypto/bcrypt"
)

// UserService implements data.UserService: accounts, memberships and bcrypt
// password hashes.
type UserService struct {
	db *DB
	// Cost is the bcrypt cost of new hashes.
	Cost int
	// ComparePassword checks a password against a bcrypt hash
	// (bcrypt.CompareHashAndPassword). Authenticate calls it exactly once per
	// attempt, whatever the email and password; tests count the calls.
	ComparePassword func(hash, password []byte) error

	// dummy is a hash of the current Cost compared against when the email is
	// unknown, so a wrong email costs exactly what a wrong password does.
	dummyMu   sync.Mutex
	dummy     []byte
	dummyCost int
}

// DefaultPasswordCost is the bcrypt cost of new password hashes.
const DefaultPasswordCost = 11

// NewUserService returns the account service.
func NewUserService(db *DB) *UserService {
	return &UserService{db: db, Cost: DefaultPasswordCost, ComparePassword: bcrypt.CompareHashAndPassword}
}

// bcryptBase64 is bcrypt's own base64 alphabet, unpadded.
var bcryptBase64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").WithPadding(base64.NoPadding)

// dummyHash returns a well-formed bcrypt hash of the service's cost that no
// password matches (a random salt and digest), made without hashing, so
// neither the first unknown email nor a change of Cost costs extra work.
func (s *UserService) dummyHash() []byte {
	s.dummyMu.Lock()
	defer s.dummyMu.Unlock()
	if s.dummy == nil || s.dummyCost != s.Cost {
		var salt [16]byte
		var digest [23]byte
		rand.Read(salt[:])
		rand.Read(digest[:])
		s.dummy = fmt.Appendf(nil, "$2a$%02d$%s%s", s.Cost, bcryptBase64.EncodeToString(salt[:]), bcryptBase64.EncodeToString(digest[:]))
		s.dummyCost = s.Cost
	}
	return s.dummy
}

func (s *UserService) hash(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.Cost)
	return string(h), err
}

// CountUsers is the number of users.
func (s *UserService) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// CreateUser creates a user with a membership, or adds (or changes) the
// membership of an existing user with the same email. The password of an
// existing user is left as it is.
func (s *UserService) CreateUser(ctx context.Context, uc data.UserCreate) (*data.Membership, error) {
	email, err := data.ValidateEmail(uc.Email)
	if err != nil {
		return nil, err
	}
	if err := data.ValidatePassword(uc.Password); err != nil {
		return nil, err
	}
	if uc.Role == "" {
		uc.Role = data.RoleOwner
	}
	if _, err := data.ParseRole(string(uc.Role)); err != nil {
		return nil, err
	}
	if uc.OrgSlug == "" {
		uc.OrgSlug = data.DefaultOrgSlug
	}
	hash, err := s.hash(uc.Password)
	if err != nil {
		return nil, err
	}
	var m *data.Membership
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		org, err := findOrgBySlug(ctx, tx, uc.OrgSlug)
		if err != nil {
			return err
		}
		now := ms(s.db.Now())
		var uid int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ?`, email).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)`,
				email, hash, now, now)
			if err != nil {
				return err
			}
			uid, _ = res.LastInsertId()
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (user_id, org_id, role, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id, org_id) DO UPDATE SET role = excluded.role`, uid, org.ID, uc.Role, now); err != nil {
			return err
		}
		m, err = findMembership(ctx, tx, uid, org.ID)
		return err
	})
	return m, err
}

// CreateFirstOwner creates the owner of the default organization while no user exists.
func (s *UserService) CreateFirstOwner(ctx context.Context, email, password, orgName string) (*data.Membership, error) {
	// Every field's problem at once, so the setup form can show them all.
	email, emailErr := data.ValidateEmail(email)
	var orgErr error
	orgName = strings.TrimSpace(orgName)
	if len([]rune(orgName)) > 100 {
		orgErr = data.FieldError("org_name", "Keep the store name under 100 characters.")
	}
	if err := errors.Join(emailErr, data.ValidatePassword(password), orgErr); err != nil {
		return nil, err
	}
	hash, err := s.hash(password)
	if err != nil {
		return nil, err
	}
	var m *data.Membership
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return data.Errorf(data.ECConflict, "Gallerist is already set up. Log in instead.")
		}
		org, err := findOrgBySlug(ctx, tx, data.DefaultOrgSlug)
		if err != nil {
			return err
		}
		now := ms(s.db.Now())
		if orgName != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE orgs SET name = ? WHERE id = ?`, orgName, org.ID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			email, hash, now, now)
		if err != nil {
			return err
		}
		uid, _ := res.LastInsertId()
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (user_id, org_id, role, created_at) VALUES (?, ?, 'owner', ?)`,
			uid, org.ID, now); err != nil {
			return err
		}
		m, err = findMembership(ctx, tx, uid, org.ID)
		return err
	})
	return m, err
}

var errBadLogin = data.Errorf(data.ECUnauthorized, "That email and password do not match an account. Check both and try again.")

// Authenticate checks an email and password; it returns the user's oldest
// membership. Every attempt costs exactly one bcrypt comparison at the
// service's cost, so the time an answer takes does not tell whether an email
// has an account: an unknown email is compared against a dummy hash, and a
// password over data.MaxPasswordBytes (which no account can have, and which
// bcrypt would cut short) against the account's hash by its first
// MaxPasswordBytes bytes, then refused.
func (s *UserService) Authenticate(ctx context.Context, email, password string) (*data.Membership, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var uid int64
	var hash string
	err := s.db.read.QueryRowContext(ctx, `SELECT id, password_hash FROM users WHERE email = ?`, email).Scan(&uid, &hash)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	h := []byte(hash)
	if !known {
		h = s.dummyHash()
	}
	pw := []byte(password)
	tooLong := len(pw) > data.MaxPasswordBytes
	if tooLong {
		pw = pw[:data.MaxPasswordBytes]
	}
	compare := s.ComparePassword
	if compare == nil {
		compare = bcrypt.CompareHashAndPassword
	}
	match := compare(h, pw) == nil
	if !known || tooLong || !match {
		return nil, errBadLogin
	}
	var org int64
	err = s.db.read.QueryRowContext(ctx, `SELECT org_id FROM memberships WHERE user_id = ? ORDER BY created_at, org_id LIMIT 1`, uid).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, data.Errorf(data.ECUnauthorized, "Your account is not a member of any store. Ask an owner to add you.")
	}
	if err != nil {
		return nil, err
	}
	var m *data.Membership
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		m, err = findMembership(ctx, tx, uid, org)
		return err
	})
	return m, err
}

// FindMembership returns a user's membership in an organization.
func (s *UserService) FindMembership(ctx context.Context, userID, orgID int64) (*data.Membership, error) {
	var m *data.Membership
	err := s.db.view(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = findMembership(ctx, tx, userID, orgID)
		return err
	})
	return m, err
}

func findMembership(ctx context.Context, tx *sql.Tx, userID, orgID int64) (*data.Membership, error) {
	var m data.Membership
	var role string
	err := tx.QueryRowContext(ctx, `SELECT u.id, u.email, u.session_version, o.id, o.slug, o.name, ms.role
		FROM memberships ms JOIN users u ON u.id = ms.user_id JOIN orgs o ON o.id = ms.org_id
		WHERE ms.user_id = ? AND ms.org_id = ?`, userID, orgID).
		Scan(&m.UserID, &m.Email, &m.SessionVersion, &m.OrgID, &m.OrgSlug, &m.OrgName, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, data.Errorf(data.ECUnauthorized, "Your session has ended. Log in again.")
	}
	if err != nil {
		return nil, err
	}
	m.Role = data.Role(role)
	return &m, nil
}

// EndSessions bumps the user's session version.
func (s *UserService) EndSessions(ctx context.Context, userID int64) error {
	return s.db.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET session_version = session_version + 1, updated_at = ? WHERE id = ?`,
			ms(s.db.Now()), userID)
		return err
	})
}
