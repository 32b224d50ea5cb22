package storage

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"gallerist/data"
)

// kindCheck is what the media table's CHECK on kind allows, sorted.
func kindCheck(t testing.TB, db *DB) []string {
	t.Helper()
	def, err := mediaDef(context.Background(), db.write.QueryRowContext)
	if err != nil {
		t.Fatal(err)
	}
	m := kindCheckRE.FindStringSubmatch(def)
	if m == nil {
		t.Fatalf("no CHECK (kind IN (...)) in the media table:\n%s", def)
	}
	var out []string
	for _, s := range strings.Split(m[1], ",") {
		out = append(out, strings.Trim(strings.TrimSpace(s), "'"))
	}
	slices.Sort(out)
	return out
}

// setKindCheck rebuilds media with a CHECK allowing exactly kinds, as a
// database made by an older (or newer) binary would have it.
func setKindCheck(t testing.TB, db *DB, kinds ...string) {
	t.Helper()
	err := db.rebuildTables(context.Background(), func(tx *sql.Tx) error {
		def, err := mediaDef(context.Background(), tx.QueryRowContext)
		if err != nil {
			return err
		}
		m := kindCheckRE.FindStringSubmatchIndex(def)
		return rebuildTable(context.Background(), tx, "media", def[:m[2]]+"'"+strings.Join(kinds, "', '")+"'"+def[m[3]:])
	})
	if err != nil {
		t.Fatal(err)
	}
}

func allKinds() []string {
	var out []string
	for _, k := range data.Kinds {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}

// Issue 13, item 4: the media table's CHECK on kind stays (the last guard
// against a row no code can show) and follows data.KindTable: Open widens
// it when a kind was added, keeping rows, ids, attachments, indexes and
// the counters' triggers.
func TestKindCheckFollowsKindTable(t *testing.T) {
	e := newTestEnv(t)
	if got := kindCheck(t, e.db); !slices.Equal(got, allKinds()) {
		t.Errorf("a new database's CHECK allows %v, data.KindTable has %v", got, allKinds())
	}

	t.Run("AddedKind", func(t *testing.T) {
		m := e.createMedia(t, e.ctx, "a.jpg", "video-001.jpeg")
		p := e.createProduct(t, e.ctx, "Mug")
		e.attach(t, e.ctx, p.ID, m.ID)
		indexes := e.count(t, `SELECT COUNT(*) FROM sqlite_master WHERE tbl_name = 'media' AND type IN ('index', 'trigger')`)
		setKindCheck(t, e.db, "image", "video") // before audio and documents were kinds
		if got := kindCheck(t, e.db); !slices.Equal(got, []string{"image", "video"}) {
			t.Fatalf("setKindCheck: %v", got)
		}
		if err := e.db.ensureKindCheck(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := kindCheck(t, e.db); !slices.Equal(got, allKinds()) {
			t.Errorf("after Open the CHECK allows %v, data.KindTable has %v", got, allKinds())
		}
		if got := e.findMedia(t, e.ctx, m.ID); got.SHA256 != m.SHA256 {
			t.Errorf("the item changed: %+v", got)
		}
		if ids, _ := e.gallery(t, e.ctx, p.ID); !slices.Equal(ids, []int64{m.ID}) {
			t.Errorf("the gallery is %v, want [%d]", ids, m.ID)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM sqlite_master WHERE tbl_name = 'media' AND type IN ('index', 'trigger')`); n != indexes {
			t.Errorf("media has %d indexes and triggers, had %d", n, indexes)
		}
		var fk int
		if err := e.db.write.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Error("foreign keys are off after the rebuild")
		}
		e.createMedia(t, e.ctx, "b.png", "video-001.png")
		if live, _ := e.totals(t, e.ctx); live != 2 {
			t.Errorf("the counters say %d live items, want 2 (triggers lost?)", live)
		}
	})

	t.Run("OlderBinary", func(t *testing.T) {
		// A database a newer binary widened keeps its extra kind: its rows must still fit.
		setKindCheck(t, e.db, append(allKinds(), "model")...)
		if err := e.db.ensureKindCheck(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := kindCheck(t, e.db); !slices.Contains(got, "model") || len(got) != len(allKinds())+1 {
			t.Errorf("the CHECK allows %v", got)
		}
	})
}
