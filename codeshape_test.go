package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Issue 13, part 2, item 1: one JSON error writer. Error bodies are written
// only by web.WriteJSONError; a handler that builds {"error": …} itself
// would drift from the documented shape (details, status table).
func TestOneJSONErrorWriter(t *testing.T) {
	handBuilt := regexp.MustCompile(`JSON\((fiber\.Map|map\[string\]any)\{\s*"error"`)
	for _, dir := range []string{"handlers", "web", "."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "_templ.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if loc := handBuilt.FindIndex(b); loc != nil {
				line := 1 + strings.Count(string(b[:loc[0]]), "\n")
				t.Errorf("%s:%d writes a JSON error body itself; use web.WriteJSONError", f, line)
			}
		}
	}
}

// Issue 13, part 2, item 8: templates name scopes by their constants
// (data.ScopeMediaUpdate), never as strings a typo would silently turn into
// "nobody may".
func TestTemplatesNameScopesByConstant(t *testing.T) {
	literal := regexp.MustCompile(`\.Can\("`)
	files, err := filepath.Glob("views/*.templ")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range literal.FindAllIndex(b, -1) {
			t.Errorf("%s:%d names a scope as a string; use its data.Scope constant", f, 1+strings.Count(string(b[:loc[0]]), "\n"))
		}
	}
}
