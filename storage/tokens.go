package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gallerist/data"
)

// TokenPrefix starts every API token secret, so leaked tokens are easy to spot.
const TokenPrefix = "gal_"

// AuthService implements data.AuthService for API tokens.
type AuthService struct {
	db *DB

	mu       sync.Mutex
	lastSeen map[int64]time.Time   // token id → last time last_used_at was written
	cache    map[string]cachedAuth // secret hash → what the database said, briefly
}

// cachedAuth keeps a token lookup for authCacheTTL so busy clients do not
// query the tokens table on every request. Revocation through this service
// clears it at once; expiry is checked on every request.
type cachedAuth struct {
	p       data.Principal
	expires sql.NullInt64
	at      time.Time
}

const authCacheTTL = 10 * time.Second

// NewAuthService returns the token service.
func NewAuthService(db *DB) *AuthService {
	return &AuthService{db: db, lastSeen: map[int64]time.Time{}, cache: map[string]cachedAuth{}}
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken creates a token for the principal's organization and returns its secret once.
func (s *AuthService) CreateToken(ctx context.Context, name string, scopes []data.Scope, expires *time.Time) (*data.Token, string, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, "", err
	}
	p, _ := data.PrincipalFrom(ctx)
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return nil, "", data.FieldError("name", "Give the token a name of 1 to 100 characters, e.g. the app that will use it.")
	}
	if len(scopes) == 0 {
		return nil, "", data.FieldError("scopes", "Choose at least one scope.")
	}
	for _, sc := range scopes {
		if sc == data.ScopeSettingsManage {
			return nil, "", data.FieldError("scopes", "API tokens cannot manage settings.")
		}
	}
	now := s.db.Now()
	if expires != nil && !expires.After(now) {
		return nil, "", data.FieldError("expires", "The expiry must be in the future.")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", err
	}
	secret := TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
	t := &data.Token{OrgID: org, Name: name, Prefix: secret[:len(TokenPrefix)+6], Scopes: scopes,
		ExpiresAt: expires, CreatedBy: p.Actor, CreatedAt: fromMS(ms(now))}
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO tokens (org_id, name, prefix, secret_hash, scopes, expires_at, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			org, t.Name, t.Prefix, hashSecret(secret), joinScopes(scopes), nullMS(expires), t.CreatedBy, ms(now))
		if err != nil {
			return err
		}
		t.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

func joinScopes(scopes []data.Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

func splitScopes(s string) []data.Scope {
	var out []data.Scope
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, data.Scope(p))
		}
	}
	return out
}

var errBadToken = data.Errorf(data.ECUnauthorized, "The API token is missing, malformed, expired or revoked. Send it as \"Authorization: Bearer <token>\".")

// AuthenticateToken resolves a bearer secret to a principal.
func (s *AuthService) AuthenticateToken(ctx context.Context, secret string) (data.Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 200 {
		return data.Principal{}, errBadToken
	}
	hash := hashSecret(secret)
	now := s.db.Now()
	s.mu.Lock()
	c, ok := s.cache[hash]
	s.mu.Unlock()
	if ok && now.Sub(c.at) < authCacheTTL && now.Sub(c.at) >= 0 {
		if c.expires.Valid && now.UnixMilli() >= c.expires.Int64 {
			return data.Principal{}, errBadToken
		}
		s.touch(ctx, c.p.TokenID, now)
		return c.p, nil
	}
	var (
		t       data.Token
		scopes  string
		expires sql.NullInt64
		revoked sql.NullInt64
	)
	err := s.db.read.QueryRowContext(ctx, `SELECT id, org_id, name, scopes, expires_at, revoked_at
		FROM tokens WHERE secret_hash = ?`, hash).
		Scan(&t.ID, &t.OrgID, &t.Name, &scopes, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return data.Principal{}, errBadToken
	}
	if err != nil {
		return data.Principal{}, err
	}
	if revoked.Valid || (expires.Valid && now.UnixMilli() >= expires.Int64) {
		return data.Principal{}, errBadToken
	}
	p := data.Principal{OrgID: t.OrgID, Actor: "token:" + t.Name, TokenID: t.ID, Scopes: splitScopes(scopes)}
	s.mu.Lock()
	if len(s.cache) > 10000 {
		clear(s.cache)
	}
	s.cache[hash] = cachedAuth{p: p, expires: expires, at: now}
	s.mu.Unlock()
	s.touch(ctx, t.ID, now)
	return p, nil
}

// touch records last use, at most once a minute per token, so reads stay reads.
func (s *AuthService) touch(ctx context.Context, id int64, now time.Time) {
	s.mu.Lock()
	last, ok := s.lastSeen[id]
	if ok && now.Sub(last) < time.Minute {
		s.mu.Unlock()
		return
	}
	s.lastSeen[id] = now
	s.mu.Unlock()
	if _, err := s.db.write.ExecContext(context.WithoutCancel(ctx), `UPDATE tokens SET last_used_at = ? WHERE id = ?`, ms(now), id); err != nil {
		s.db.Log.Error("record token use", "err", err)
	}
}

// FindTokens lists the organization's tokens, newest first.
func (s *AuthService) FindTokens(ctx context.Context) ([]*data.Token, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	var out []*data.Token
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, org_id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_by, created_at
			FROM tokens WHERE org_id = ? ORDER BY id DESC`, org)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t data.Token
			var scopes string
			var exp, used, rev sql.NullInt64
			var created int64
			if err := rows.Scan(&t.ID, &t.OrgID, &t.Name, &t.Prefix, &scopes, &exp, &used, &rev, &t.CreatedBy, &created); err != nil {
				return err
			}
			t.Scopes, t.ExpiresAt, t.LastUsedAt, t.RevokedAt, t.CreatedAt = splitScopes(scopes), fromNullMS(exp), fromNullMS(used), fromNullMS(rev), fromMS(created)
			out = append(out, &t)
		}
		return rows.Err()
	})
	return out, err
}

// RevokeToken revokes one of the organization's tokens.
func (s *AuthService) RevokeToken(ctx context.Context, id int64) error {
	org, err := orgID(ctx)
	if err != nil {
		return err
	}
	defer s.forget(id) // after the commit too, so a lookup racing the update cannot keep it alive
	s.forget(id)
	return s.db.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND org_id = ?`, ms(s.db.Now()), id, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return data.NotFound("Token")
		}
		return nil
	})
}

func (s *AuthService) forget(tokenID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.cache {
		if c.p.TokenID == tokenID {
			delete(s.cache, k)
		}
	}
}
