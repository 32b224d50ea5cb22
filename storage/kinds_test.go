package storage

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"gallerist/data"
)

// The media table keeps its CHECK on kind as the last guard against a row no
// code knows how to show; data.KindTable is the one list the code reads. A
// kind added to the table needs a migration that rebuilds media with the
// new CHECK, and this test says so.
func TestKindCheckMatchesKindTable(t *testing.T) {
	db := newTestDB(t)
	var ddl string
	if err := db.QueryRowForTest(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'media'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`kind\s+TEXT\s+NOT NULL\s+CHECK\s*\(\s*kind\s+IN\s*\(([^)]*)\)\s*\)`).FindStringSubmatch(ddl)
	if m == nil {
		t.Fatalf("no CHECK (kind IN (...)) in the media table:\n%s", ddl)
	}
	var check []string
	for _, s := range strings.Split(m[1], ",") {
		check = append(check, strings.Trim(strings.TrimSpace(s), "'"))
	}
	var table []string
	for _, k := range data.Kinds {
		table = append(table, string(k))
	}
	slices.Sort(check)
	slices.Sort(table)
	if !slices.Equal(check, table) {
		t.Errorf("the media table's CHECK allows kinds %v, data.KindTable has %v: add a migration that rebuilds media with the new CHECK", check, table)
	}
}
