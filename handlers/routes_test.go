package handlers

import (
	"strings"
	"testing"
)

// TestRoutesDeclareAccess checks that every entry of the routes table says
// who may call it: a scope, or public on purpose, or (admin UI only) any
// logged-in role on purpose. An entry with none of them is a route whose
// scope was forgotten; one with two says two things.
func TestRoutesDeclareAccess(t *testing.T) {
	entries := New(Deps{}).table()
	if len(entries) < 100 {
		t.Fatalf("the table has only %d routes", len(entries))
	}
	for _, e := range entries {
		name := e.Method + " " + e.Path
		said := 0
		for _, b := range []bool{e.Scope != "", e.Public, e.AnyRole} {
			if b {
				said++
			}
		}
		switch {
		case said != 1:
			t.Errorf("%s: scope %q, public %v, any role %v: say exactly one", name, e.Scope, e.Public, e.AnyRole)
		case e.API && e.AnyRole:
			t.Errorf("%s: an /api route needs a scope or is public; tokens have no role", name)
		case e.API != strings.HasPrefix(e.Path, "/api/"):
			t.Errorf("%s: API is %v, but the path says otherwise", name, e.API)
		case len(e.Query) > 0 && !e.API:
			t.Errorf("%s: only /api routes declare query parameters (the strict check is theirs)", name)
		case e.Handler == nil:
			t.Errorf("%s: no handler", name)
		}
	}
}

// TestRoutesAreUnique checks that no method and path is in the table twice
// (the second would never be reached).
func TestRoutesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range New(Deps{}).Routes() {
		k := r.Method + " " + r.Path
		if seen[k] {
			t.Errorf("%s is in the routes table twice", k)
		}
		seen[k] = true
	}
}
