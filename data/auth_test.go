package data

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRequireScope(t *testing.T) {
	token := Principal{OrgID: 1, Actor: "token:sync", TokenID: 7, Scopes: []Scope{ScopeProductsWrite}}
	editor := Principal{OrgID: 1, Actor: "e@example.com", UserID: 3, Role: RoleEditor, Scopes: RoleEditor.Scopes()}
	viewer := Principal{OrgID: 1, Actor: "v@example.com", UserID: 4, Role: RoleViewer, Scopes: RoleViewer.Scopes()}
	check := func(t *testing.T, err error, code string, scope Scope, msg string) {
		t.Helper()
		var de *Error
		if !errors.As(err, &de) || de.Code != code || de.Details["required_scope"] != string(scope) || !strings.Contains(de.Message, msg) {
			t.Fatalf("got %v (%v), want %s with required_scope %s and %q", err, de, code, scope, msg)
		}
	}
	t.Run("OK", func(t *testing.T) {
		if err := token.Require(ScopeProductsWrite, "POST /api/products"); err != nil {
			t.Fatal(err)
		}
		if err := RequireScope(WithPrincipal(context.Background(), editor), ScopeMediaCreate, "uploading"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrTokenMissingScope", func(t *testing.T) {
		err := RequireScope(WithPrincipal(context.Background(), token), ScopeMediaCreate, "uploading into a gallery")
		check(t, err, ECMissingScope, ScopeMediaCreate, "This token lacks the media:create scope, which uploading into a gallery needs.")
	})
	t.Run("ErrRoleForbidden", func(t *testing.T) {
		check(t, viewer.Require(ScopeMediaUpdate, "editing alt text"), ECForbidden, ScopeMediaUpdate, "Your role (viewer) does not allow this.")
	})
	t.Run("ErrNoPrincipal", func(t *testing.T) {
		check(t, RequireScope(context.Background(), ScopeMediaRead, "listing media"), ECMissingScope, ScopeMediaRead, "media:read")
	})
}
