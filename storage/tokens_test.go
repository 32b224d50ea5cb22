package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gallerist/data"
)

var readScopes = []data.Scope{data.ScopeMediaRead, data.ScopeProductsRead}

func (e *testEnv) createToken(t testing.TB, ctx context.Context, name string, scopes []data.Scope, expires *time.Time) (*data.Token, string) {
	t.Helper()
	tok, secret, err := e.auth.CreateToken(ctx, name, scopes, expires)
	if err != nil {
		t.Fatalf("create token %q: %v", name, err)
	}
	return tok, secret
}

func (e *testEnv) findToken(t testing.TB, ctx context.Context, id int64) *data.Token {
	t.Helper()
	toks, err := e.auth.FindTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.ID == id {
			return tok
		}
	}
	t.Fatalf("token %d not listed", id)
	return nil
}

var errBadTokenMessage = `The API token is missing, malformed, expired or revoked. Send it as "Authorization: Bearer <token>".`

func TestCreateToken(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		tok, secret := e.createToken(t, e.ctx, " ci ", readScopes, nil)
		if !strings.HasPrefix(secret, TokenPrefix) || len(secret) < len(TokenPrefix)+40 {
			t.Fatalf("secret %q", secret)
		}
		if tok.ID == 0 || tok.OrgID != e.org.ID || tok.Name != "ci" || tok.Prefix != secret[:len(TokenPrefix)+6] ||
			!slices.Equal(tok.Scopes, readScopes) || tok.ExpiresAt != nil || tok.CreatedBy != "editor@example.com" ||
			!tok.CreatedAt.Equal(e.clock.Now()) {
			t.Fatalf("%+v", tok)
		}
		listed := e.findToken(t, e.ctx, tok.ID)
		if listed.Name != "ci" || listed.Prefix != tok.Prefix || !slices.Equal(listed.Scopes, readScopes) || listed.LastUsedAt != nil || listed.RevokedAt != nil {
			t.Fatalf("listed %+v", listed)
		}
		// Two tokens never share a secret.
		_, other := e.createToken(t, e.ctx, "ci", readScopes, nil)
		if other == secret {
			t.Fatal("same secret twice")
		}
	})
	t.Run("OnlyTheHashIsStored", func(t *testing.T) {
		e := newTestEnv(t)
		tok, secret := e.createToken(t, e.ctx, "ci", readScopes, nil)
		var id, org int64
		var name, prefix, hash, scopes, createdBy string
		var expires, lastUsed, revoked *int64
		var created int64
		if err := e.db.QueryRowForTest(`SELECT id, org_id, name, prefix, secret_hash, scopes, expires_at, last_used_at, revoked_at, created_by, created_at
			FROM tokens WHERE id = ?`, tok.ID).Scan(&id, &org, &name, &prefix, &hash, &scopes, &expires, &lastUsed, &revoked, &createdBy, &created); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(secret))
		if hash != hex.EncodeToString(sum[:]) {
			t.Fatalf("secret_hash %q is not the SHA-256 of the secret", hash)
		}
		random := strings.TrimPrefix(secret, TokenPrefix)
		for _, col := range []string{name, prefix, hash, scopes, createdBy} {
			if strings.Contains(col, random) || strings.Contains(col, random[len(random)-20:]) {
				t.Fatalf("the row stores the secret: %q", col)
			}
		}
		// Listing never shows it either.
		listed := e.findToken(t, e.ctx, tok.ID)
		if s := fmt.Sprintf("%+v", *listed); strings.Contains(s, random[6:]) {
			t.Fatalf("listed token shows the secret: %s", s)
		}
	})
	t.Run("WithExpiry", func(t *testing.T) {
		e := newTestEnv(t)
		exp := e.clock.Now().Add(24 * time.Hour)
		tok, _ := e.createToken(t, e.ctx, "ci", readScopes, &exp)
		if listed := e.findToken(t, e.ctx, tok.ID); listed.ExpiresAt == nil || !listed.ExpiresAt.Equal(exp) {
			t.Fatalf("expires %v, want %v", listed.ExpiresAt, exp)
		}
	})
	t.Run("ErrName", func(t *testing.T) {
		e := newTestEnv(t)
		for _, name := range []string{"", "   ", strings.Repeat("n", 101)} {
			_, _, err := e.auth.CreateToken(e.ctx, name, readScopes, nil)
			de := wantError(t, err, data.ECInvalidField, "Give the token a name of 1 to 100 characters, e.g. the app that will use it.")
			if de.Details["field"] != "name" {
				t.Fatalf("details %v", de.Details)
			}
		}
	})
	t.Run("ErrNoScopes", func(t *testing.T) {
		e := newTestEnv(t)
		_, _, err := e.auth.CreateToken(e.ctx, "ci", nil, nil)
		wantError(t, err, data.ECInvalidField, "Choose at least one scope.")
	})
	t.Run("ErrSettingsScope", func(t *testing.T) {
		e := newTestEnv(t)
		_, _, err := e.auth.CreateToken(e.ctx, "ci", []data.Scope{data.ScopeMediaRead, data.ScopeSettingsManage}, nil)
		wantError(t, err, data.ECInvalidField, "API tokens cannot manage settings.")
	})
	t.Run("ErrExpiryInThePast", func(t *testing.T) {
		e := newTestEnv(t)
		for _, exp := range []time.Time{e.clock.Now(), e.clock.Now().Add(-time.Hour)} {
			_, _, err := e.auth.CreateToken(e.ctx, "ci", readScopes, &exp)
			wantError(t, err, data.ECInvalidField, "The expiry must be in the future.")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM tokens`); n != 0 {
			t.Fatalf("%d tokens", n)
		}
	})
	t.Run("ErrNoPrincipal", func(t *testing.T) {
		e := newTestEnv(t)
		if _, _, err := e.auth.CreateToken(context.Background(), "ci", readScopes, nil); err == nil {
			t.Fatal("created a token without a principal")
		}
		if _, err := e.auth.FindTokens(context.Background()); err == nil {
			t.Fatal("listed tokens without a principal")
		}
	})
}

func TestAuthenticateToken(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		tok, secret := e.createToken(t, e.ctx, "ci", readScopes, nil)
		p, err := e.auth.AuthenticateToken(context.Background(), secret)
		if err != nil || p.OrgID != e.org.ID || p.TokenID != tok.ID || p.Actor != "token:ci" || p.UserID != 0 || !slices.Equal(p.Scopes, readScopes) {
			t.Fatalf("%+v %v", p, err)
		}
		if !p.Can(data.ScopeMediaRead) || p.Can(data.ScopeMediaDelete) || p.Can(data.ScopeSettingsManage) {
			t.Fatalf("scopes %v", p.Scopes)
		}
		// A fresh service (another process) reads the same from the database.
		p2, err := NewAuthService(e.db).AuthenticateToken(context.Background(), secret)
		if err != nil || p2.TokenID != tok.ID || !slices.Equal(p2.Scopes, readScopes) {
			t.Fatalf("%+v %v", p2, err)
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		e := newTestEnv(t)
		_, secret := e.createToken(t, e.ctx, "ci", readScopes, nil)
		for _, bad := range []string{"", "secret", strings.TrimPrefix(secret, TokenPrefix), secret + "x", secret[:len(secret)-1],
			TokenPrefix + strings.Repeat("a", 300), strings.ToUpper(secret)} {
			_, err := e.auth.AuthenticateToken(context.Background(), bad)
			wantError(t, err, data.ECUnauthorized, errBadTokenMessage)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		e := newTestEnv(t)
		exp := e.clock.Now().Add(time.Hour)
		_, secret := e.createToken(t, e.ctx, "ci", readScopes, &exp)
		if _, err := e.auth.AuthenticateToken(context.Background(), secret); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(exp.Add(-time.Millisecond))
		if _, err := e.auth.AuthenticateToken(context.Background(), secret); err != nil {
			t.Fatalf("a millisecond before expiry: %v", err)
		}
		// Expired: refused at once, also by the service that just accepted it
		// (and so may have it cached).
		e.clock.Set(exp)
		_, err := e.auth.AuthenticateToken(context.Background(), secret)
		wantError(t, err, data.ECUnauthorized, errBadTokenMessage)
		_, err = NewAuthService(e.db).AuthenticateToken(context.Background(), secret)
		wantError(t, err, data.ECUnauthorized, errBadTokenMessage)
	})
	t.Run("LastUsed", func(t *testing.T) {
		e := newTestEnv(t)
		tok, secret := e.createToken(t, e.ctx, "ci", readScopes, nil)
		t0 := e.clock.Now()
		e.clock.Advance(time.Second)
		if _, err := e.auth.AuthenticateToken(context.Background(), secret); err != nil {
			t.Fatal(err)
		}
		used := e.findToken(t, e.ctx, tok.ID).LastUsedAt
		if used == nil || !used.Equal(t0.Add(time.Second)) {
			t.Fatalf("last used %v, want %v", used, t0.Add(time.Second))
		}
		// Written at most once a minute, so reads stay reads.
		e.clock.Advance(30 * time.Second)
		if _, err := e.auth.AuthenticateToken(context.Background(), secret); err != nil {
			t.Fatal(err)
		}
		if got := e.findToken(t, e.ctx, tok.ID).LastUsedAt; !got.Equal(*used) {
			t.Fatalf("last used %v rewritten within a minute", got)
		}
		e.clock.Advance(31 * time.Second)
		if _, err := e.auth.AuthenticateToken(context.Background(), secret); err != nil {
			t.Fatal(err)
		}
		if got := e.findToken(t, e.ctx, tok.ID).LastUsedAt; !got.Equal(e.clock.Now()) {
			t.Fatalf("last used %v, want %v", got, e.clock.Now())
		}
		// A refused secret never counts as a use.
		other, _ := e.createToken(t, e.ctx, "other", readScopes, nil)
		e.auth.AuthenticateToken(context.Background(), other.Prefix+"wrong")
		if got := e.findToken(t, e.ctx, other.ID).LastUsedAt; got != nil {
			t.Fatalf("unused token last used %v", got)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Many requests at once share the cache and the last-used record (run with -race).
		e := newTestEnv(t)
		_, secret := e.createToken(t, e.ctx, "ci", readScopes, nil)
		_, other := e.createToken(t, e.ctx, "other", readScopes, nil)
		var wg sync.WaitGroup
		errs := make(chan error, 8*20)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					s := secret
					if i%2 == g%2 {
						s = other
					}
					if _, err := e.auth.AuthenticateToken(context.Background(), s); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
	t.Run("EachOrganizationSeesItsOwn", func(t *testing.T) {
		e := newTestEnv(t)
		other, theirCtx := e.otherOrg(t, "theirs")
		mine, _ := e.createToken(t, e.ctx, "mine", readScopes, nil)
		theirs, theirSecret := e.createToken(t, theirCtx, "theirs", readScopes, nil)
		toks, err := e.auth.FindTokens(e.ctx)
		if err != nil || len(toks) != 1 || toks[0].ID != mine.ID {
			t.Fatalf("%v %v", toks, err)
		}
		p, err := e.auth.AuthenticateToken(context.Background(), theirSecret)
		if err != nil || p.OrgID != other.ID || p.TokenID != theirs.ID {
			t.Fatalf("%+v %v", p, err)
		}
	})
}

func TestRevokeToken(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		tok, secret := e.createToken(t, e.ctx, "ci", readScopes, nil)
		_, keptSecret := e.createToken(t, e.ctx, "kept", readScopes, nil)
		if _, err := e.auth.AuthenticateToken(context.Background(), secret); err != nil { // now cached
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		if err := e.auth.RevokeToken(e.ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.auth.AuthenticateToken(context.Background(), secret)
		wantError(t, err, data.ECUnauthorized, errBadTokenMessage)
		if revoked := e.findToken(t, e.ctx, tok.ID).RevokedAt; revoked == nil || !revoked.Equal(e.clock.Now()) {
			t.Fatalf("revoked at %v, want %v", revoked, e.clock.Now())
		}
		if _, err := e.auth.AuthenticateToken(context.Background(), keptSecret); err != nil {
			t.Fatalf("revoking one token ended another: %v", err)
		}
	})
	t.Run("Twice", func(t *testing.T) {
		e := newTestEnv(t)
		tok, _ := e.createToken(t, e.ctx, "ci", readScopes, nil)
		if err := e.auth.RevokeToken(e.ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		first := e.findToken(t, e.ctx, tok.ID).RevokedAt
		e.clock.Advance(time.Hour)
		if err := e.auth.RevokeToken(e.ctx, tok.ID); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
		if got := e.findToken(t, e.ctx, tok.ID).RevokedAt; !got.Equal(*first) {
			t.Fatalf("revoked at moved from %v to %v", first, got)
		}
	})
	t.Run("ByAnotherProcess", func(t *testing.T) {
		// Another process's revocation cannot clear this one's cache: the
		// token stays usable here for at most the cache's lifetime.
		e := newTestEnv(t)
		tok, secret := e.createToken(t, e.ctx, "ci", readScopes, nil)
		if _, err := e.auth.AuthenticateToken(context.Background(), secret); err != nil {
			t.Fatal(err)
		}
		if err := NewAuthService(e.db).RevokeToken(e.ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(authCacheTTL)
		_, err := e.auth.AuthenticateToken(context.Background(), secret)
		wantError(t, err, data.ECUnauthorized, errBadTokenMessage)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		err := e.auth.RevokeToken(e.ctx, 999)
		wantError(t, err, data.ECNotFound, "Token not found.")
	})
	t.Run("OtherOrgIsNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		_, theirCtx := e.otherOrg(t, "theirs")
		theirs, secret := e.createToken(t, theirCtx, "theirs", readScopes, nil)
		wantSameError(t, e.auth.RevokeToken(e.ctx, theirs.ID), e.auth.RevokeToken(e.ctx, theirs.ID+1000))
		if _, err := e.auth.AuthenticateToken(context.Background(), secret); err != nil {
			t.Fatalf("another organization revoked the token: %v", err)
		}
	})
}
