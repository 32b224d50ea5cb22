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
		// Setup logs the owner in at once: that is their first login.
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, created_at, updated_at, last_login_at) VALUES (?, ?, ?, ?, ?)`,
			email, hash, now, now, now)
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
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	known := err == nil && hash != "" // an invited account has no password yet
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
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, ms(s.db.Now()), uid); err != nil {
			return err
		}
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
	err := tx.QueryRowContext(ctx, `SELECT u.id, u.email, u.session_version, o.id, o.slug, o.name, ms.role, u.must_change_password
		FROM memberships ms JOIN users u ON u.id = ms.user_id JOIN orgs o ON o.id = ms.org_id
		WHERE ms.user_id = ? AND ms.org_id = ?`, userID, orgID).
		Scan(&m.UserID, &m.Email, &m.SessionVersion, &m.OrgID, &m.OrgSlug, &m.OrgName, &role, &m.MustChangePassword)
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

// The people of an organization (data.PeopleService). An invited user has an
// empty password hash until they accept their invite; Authenticate treats
// such an account like an unknown email.

const personColumns = `u.id, u.email, u.name, ms.role, ms.created_at, u.last_login_at, u.password_hash = '',
	(SELECT MAX(i.expires_at) FROM invites i WHERE i.user_id = u.id AND i.org_id = ms.org_id), u.must_change_password`

func scanPerson(sc interface{ Scan(...any) error }) (*data.Person, error) {
	var p data.Person
	var role string
	var added int64
	var last, invite sql.NullInt64
	if err := sc.Scan(&p.UserID, &p.Email, &p.Name, &role, &added, &last, &p.Invited, &invite, &p.MustChangePassword); err != nil {
		return nil, err
	}
	p.Role, p.AddedAt, p.LastLoginAt = data.Role(role), fromMS(added), fromNullMS(last)
	if p.Invited {
		p.InviteExpiresAt = fromNullMS(invite)
	}
	return &p, nil
}

// FindPeople lists the people of the principal's organization, owners first.
func (s *UserService) FindPeople(ctx context.Context) ([]*data.Person, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var out []*data.Person
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+personColumns+`
			FROM memberships ms JOIN users u ON u.id = ms.user_id WHERE ms.org_id = ?
			ORDER BY CASE ms.role WHEN 'owner' THEN 0 WHEN 'editor' THEN 1 ELSE 2 END, u.email`, org)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPerson(rows)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// FindPerson returns one person of the principal's organization.
func (s *UserService) FindPerson(ctx context.Context, userID int64) (*data.Person, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var p *data.Person
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		p, err = findPerson(ctx, tx, org, userID)
		return err
	})
	return p, err
}

func findPerson(ctx context.Context, tx *sql.Tx, org, userID int64) (*data.Person, error) {
	p, err := scanPerson(tx.QueryRowContext(ctx, `SELECT `+personColumns+`
		FROM memberships ms JOIN users u ON u.id = ms.user_id WHERE ms.org_id = ? AND ms.user_id = ?`, org, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, data.Errorf(data.ECNotFound, "That person is not in this store (any more).")
	}
	return p, err
}

// errLastOwner refuses to leave an organization without an owner who can log in.
func errLastOwner(p *data.Person) error {
	return data.Errorf(data.ECConflict, "%s is the only owner of this store. Make someone else an owner first, so the store always has one.", p.Label())
}

// checkNotLastOwner refuses a change that takes p's owner role away if p is
// the organization's only owner with a password (invited owners who have not
// accepted yet do not count).
func checkNotLastOwner(ctx context.Context, tx *sql.Tx, org int64, p *data.Person) error {
	if p.Role != data.RoleOwner || p.Invited {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships ms JOIN users u ON u.id = ms.user_id
		WHERE ms.org_id = ? AND ms.role = 'owner' AND u.password_hash <> ''`, org).Scan(&n); err != nil {
		return err
	}
	if n <= 1 {
		return errLastOwner(p)
	}
	return nil
}

func (s *UserService) endSessions(ctx context.Context, tx *sql.Tx, userID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET session_version = session_version + 1, updated_at = ? WHERE id = ?`,
		ms(s.db.Now()), userID)
	return err
}

// createInvite replaces the user's invites to org with a new one and returns its secret.
func (s *UserService) createInvite(ctx context.Context, tx *sql.Tx, org, userID int64) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE user_id = ? AND org_id = ?`, userID, org); err != nil {
		return "", err
	}
	p, _ := data.PrincipalFrom(ctx)
	now := s.db.Now()
	_, err := tx.ExecContext(ctx, `INSERT INTO invites (org_id, user_id, secret_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		org, userID, hashSecret(secret), p.Actor, ms(now), ms(now.Add(data.InviteValidFor)))
	return secret, err
}

// AddPerson adds a person to the principal's organization, with a temporary
// password or an invite link.
func (s *UserService) AddPerson(ctx context.Context, pa data.PersonAdd) (*data.PersonAdded, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	email, emailErr := data.ValidateEmail(pa.Email)
	name, nameErr := data.ValidateName(pa.Name)
	_, roleErr := data.ParseRole(string(pa.Role))
	var pwErr error
	if pa.Password != "" {
		pwErr = data.ValidatePassword(pa.Password)
	}
	if err := errors.Join(emailErr, nameErr, roleErr, pwErr); err != nil {
		return nil, err
	}
	hash := ""
	if pa.Password != "" {
		if hash, err = s.hash(pa.Password); err != nil {
			return nil, err
		}
	}
	out := &data.PersonAdded{}
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		now := ms(s.db.Now())
		var uid int64
		var oldHash string
		err := tx.QueryRowContext(ctx, `SELECT id, password_hash FROM users WHERE email = ?`, email).Scan(&uid, &oldHash)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// A password from the owner is one-time: they choose their own at their first login.
			res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, password_hash, must_change_password, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				email, name, hash, hash != "", now, now)
			if err != nil {
				return err
			}
			uid, _ = res.LastInsertId()
		case err != nil:
			return err
		default:
			if q, err := findPerson(ctx, tx, org, uid); err == nil {
				return data.Errorf(data.ECConflict, "%s is already in this store, as %s. Change their role in the list instead.", q.Email, q.Role).With("field", "email")
			}
			if oldHash != "" {
				out.ExistingAccount = true // an account of their own: keep its password, send no link
			} else if hash != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change_password = 1, updated_at = ? WHERE id = ?`, hash, now, uid); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE user_id = ?`, uid); err != nil {
					return err
				}
			}
			if name != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ? WHERE id = ? AND name = ''`, name, uid); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (user_id, org_id, role, created_at) VALUES (?, ?, ?, ?)`,
			uid, org, pa.Role, now); err != nil {
			return err
		}
		if pa.Password == "" && oldHash == "" {
			if out.InviteSecret, err = s.createInvite(ctx, tx, org, uid); err != nil {
				return err
			}
		}
		out.Person, err = findPerson(ctx, tx, org, uid)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ChangeRole changes a person's role; a lower role ends their sessions,
// a higher one applies to them as they are (sessions read the role on
// every request).
func (s *UserService) ChangeRole(ctx context.Context, userID int64, role data.Role) (*data.Person, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := data.ParseRole(string(role)); err != nil {
		return nil, err
	}
	var p *data.Person
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if p, err = findPerson(ctx, tx, org, userID); err != nil {
			return err
		}
		if p.Role == role {
			return nil
		}
		if role != data.RoleOwner {
			if err := checkNotLastOwner(ctx, tx, org, p); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE user_id = ? AND org_id = ?`, role, userID, org); err != nil {
			return err
		}
		if data.RoleShrinks(p.Role, role) {
			if err := s.endSessions(ctx, tx, userID); err != nil {
				return err
			}
		}
		p.Role = role
		return nil
	})
	return p, err
}

// RemovePerson takes a person out of the organization and ends their
// sessions; an account left without any organization is deleted.
func (s *UserService) RemovePerson(ctx context.Context, userID int64) (*data.Person, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var p *data.Person
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if p, err = findPerson(ctx, tx, org, userID); err != nil {
			return err
		}
		if err := checkNotLastOwner(ctx, tx, org, p); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM memberships WHERE user_id = ? AND org_id = ?`, `DELETE FROM invites WHERE user_id = ? AND org_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, userID, org); err != nil {
				return err
			}
		}
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships WHERE user_id = ?`, userID).Scan(&others); err != nil {
			return err
		}
		if others == 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, userID)
			return err
		}
		return s.endSessions(ctx, tx, userID)
	})
	return p, err
}

// SetPassword sets a person's password, cancels their invites and ends their
// sessions. A password set for someone else is one-time: they must choose
// their own at their next login.
func (s *UserService) SetPassword(ctx context.Context, userID int64, password string) (*data.Person, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := data.ValidatePassword(password); err != nil {
		return nil, err
	}
	hash, err := s.hash(password)
	if err != nil {
		return nil, err
	}
	me, _ := data.PrincipalFrom(ctx)
	oneTime := me.UserID != userID
	var p *data.Person
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if p, err = findPerson(ctx, tx, org, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change_password = ?, session_version = session_version + 1, updated_at = ? WHERE id = ?`,
			hash, oneTime, ms(s.db.Now()), userID); err != nil {
			return err
		}
		p.MustChangePassword = oneTime
		if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE user_id = ?`, userID); err != nil {
			return err
		}
		p.Invited, p.InviteExpiresAt = false, nil
		return nil
	})
	return p, err
}

// RenewInvite gives an invited person a new invite link; the old one stops working.
func (s *UserService) RenewInvite(ctx context.Context, userID int64) (*data.Person, string, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, "", err
	}
	var p *data.Person
	var secret string
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if p, err = findPerson(ctx, tx, org, userID); err != nil {
			return err
		}
		if !p.Invited {
			return data.Errorf(data.ECConflict, "%s has already chosen a password. Reset their password instead.", p.Label())
		}
		if secret, err = s.createInvite(ctx, tx, org, userID); err != nil {
			return err
		}
		p, err = findPerson(ctx, tx, org, userID)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return p, secret, nil
}

var errInviteGone = data.Errorf(data.ECNotFound,
	"This invite link does not work any more: it has expired, was already used, or was replaced by a newer one. Ask an owner of the store for a new link.")

func (s *UserService) findInvite(ctx context.Context, tx *sql.Tx, secret string) (*data.Invite, error) {
	var iv data.Invite
	var role string
	var exp int64
	err := tx.QueryRowContext(ctx, `SELECT u.id, u.email, u.name, o.id, o.name, ms.role, i.expires_at
		FROM invites i JOIN users u ON u.id = i.user_id JOIN orgs o ON o.id = i.org_id
		JOIN memberships ms ON ms.user_id = i.user_id AND ms.org_id = i.org_id
		WHERE i.secret_hash = ? AND i.expires_at > ? AND u.password_hash = ''`, hashSecret(secret), ms(s.db.Now())).
		Scan(&iv.UserID, &iv.Email, &iv.Name, &iv.OrgID, &iv.OrgName, &role, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errInviteGone
	}
	if err != nil {
		return nil, err
	}
	iv.Role, iv.ExpiresAt = data.Role(role), fromMS(exp)
	return &iv, nil
}

// FindInvite returns the invite of a link's secret while it works.
func (s *UserService) FindInvite(ctx context.Context, secret string) (*data.Invite, error) {
	if secret == "" {
		return nil, errInviteGone
	}
	var iv *data.Invite
	err := s.db.view(ctx, func(tx *sql.Tx) error {
		var err error
		iv, err = s.findInvite(ctx, tx, secret)
		return err
	})
	return iv, err
}

// AcceptInvite sets the invitee's password and name, uses up every invite of
// theirs, and returns the membership of the invite's organization.
func (s *UserService) AcceptInvite(ctx context.Context, secret, name, password string) (*data.Membership, error) {
	name, nameErr := data.ValidateName(name)
	if err := errors.Join(nameErr, data.ValidatePassword(password)); err != nil {
		return nil, err
	}
	if _, err := s.FindInvite(ctx, secret); err != nil {
		return nil, err // before the cost of hashing
	}
	hash, err := s.hash(password)
	if err != nil {
		return nil, err
	}
	var m *data.Membership
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		iv, err := s.findInvite(ctx, tx, secret)
		if err != nil {
			return err
		}
		now := ms(s.db.Now())
		if name == "" {
			name = iv.Name
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, name = ?, last_login_at = ?, must_change_password = 0,
			session_version = session_version + 1, updated_at = ? WHERE id = ?`, hash, name, now, now, iv.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE user_id = ?`, iv.UserID); err != nil {
			return err
		}
		m, err = findMembership(ctx, tx, iv.UserID, iv.OrgID)
		return err
	})
	return m, err
}

var errWrongCurrentPassword = data.FieldError("current_password", "That is not your current password. Check it and try again.")

// ChangeOwnPassword changes the principal's password once their current one
// checks out (one bcrypt comparison, as at login), clears the one-time flag
// and ends all their sessions; the caller logs this one in again.
func (s *UserService) ChangeOwnPassword(ctx context.Context, current, password string) (*data.Membership, error) {
	me, ok := data.PrincipalFrom(ctx)
	if !ok || me.UserID == 0 {
		return nil, errors.New("storage: no user principal in context")
	}
	if err := data.ValidatePasswordChange(current, password); err != nil {
		return nil, err
	}
	var hash string
	if err := s.db.read.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, me.UserID).Scan(&hash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, data.Errorf(data.ECUnauthorized, "Your session has ended. Log in again.")
		}
		return nil, err
	}
	compare := s.ComparePassword
	if compare == nil {
		compare = bcrypt.CompareHashAndPassword
	}
	if len(current) > data.MaxPasswordBytes || hash == "" || compare([]byte(hash), []byte(current)) != nil {
		return nil, errWrongCurrentPassword
	}
	newHash, err := s.hash(password)
	if err != nil {
		return nil, err
	}
	var m *data.Membership
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change_password = 0,
			session_version = session_version + 1, updated_at = ? WHERE id = ? AND password_hash = ?`, newHash, ms(s.db.Now()), me.UserID, hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return data.Errorf(data.ECConflict, "Your password was just changed somewhere else. Log in again with the new one.")
		}
		m, err = findMembership(ctx, tx, me.UserID, me.OrgID)
		return err
	})
	return m, err
}
