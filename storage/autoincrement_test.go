package storage

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"sort"
	"testing"
)

// TestAutoincrementMigration: a database made by wave 1 (tables without
// AUTOINCREMENT) keeps every row and id when opened, and from then on an id
// is never given twice, also after the newest row is purged.
func TestAutoincrementMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gallerist.db")
	old, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	names, _ := fs.Glob(migrationFS, "migrations/*.sql")
	sort.Strings(names)
	if _, err := old.Exec(`CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		// The version is the file's number, not its place in the folder:
		// branches add migrations in parallel, and one may be missing.
		version, err := migrationVersion(filepath.Base(n))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := migrationFS.ReadFile(n)
		if _, err := old.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if _, err := old.Exec(`INSERT INTO migrations VALUES (?, ?, 0)`, version, filepath.Base(n)); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
	for _, q := range []string{
		`INSERT INTO orgs (id, slug, name, created_at, file_secret) VALUES (1, 'default', 'Shop', 0, x'00')`,
		`INSERT INTO media (id, org_id, kind, filename, original_filename, mime_type, size, sha256, created_by, created_at, updated_at, search)
			VALUES (1, 1, 'image', 'a.jpg', 'a.jpg', 'image/jpeg', 1, 'aa', 'x', 0, 0, 'a.jpg'),
			       (7, 1, 'image', 'b.jpg', 'b.jpg', 'image/jpeg', 1, 'bb', 'x', 0, 0, 'b.jpg')`,
		`INSERT INTO products (id, org_id, title, handle, created_at, updated_at) VALUES (5, 1, 'Mug', 'mug', 0, 0)`,
		`INSERT INTO gallery_images (id, org_id, product_id, media_id, position, created_at, updated_at) VALUES (9, 1, 5, 7, 1, 0, 0)`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	old.Close()

	db, err := OpenDB(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		q    string
		want int64
	}{
		{`SELECT COUNT(*) FROM media WHERE id IN (1, 7)`, 2},
		{`SELECT media_id FROM gallery_images WHERE id = 9 AND product_id = 5`, 7},
		{`SELECT COUNT(*) FROM media_counts`, 1},
		{`SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'media' AND name LIKE 'media_counts_%'`, 3},
		{`SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'media' AND name LIKE 'media_search_%'`, 3},
		{`SELECT seq FROM sqlite_sequence WHERE name = 'media'`, 7},
	} {
		var got int64
		if err := db.QueryRowForTest(tc.q).Scan(&got); err != nil || got != tc.want {
			t.Fatalf("%s: %d %v, want %d", tc.q, got, err, tc.want)
		}
	}
	// The newest row goes; the next one still gets a new id.
	if err := db.ExecForTest(`DELETE FROM gallery_images WHERE id = 9`); err != nil {
		t.Fatal(err)
	}
	if err := db.ExecForTest(`DELETE FROM media WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	if err := db.ExecForTest(`INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256, created_by, created_at, updated_at, search)
		VALUES (1, 'image', 'c.jpg', 'c.jpg', 'image/jpeg', 1, 'cc', 'x', 0, 0, 'c.jpg')`); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.QueryRowForTest(`SELECT MAX(id) FROM media`).Scan(&id); err != nil || id != 8 {
		t.Fatalf("new id %d %v, want 8", id, err)
	}
	// Opening again changes nothing.
	db.Close()
	db2, err := OpenDB(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db2.Close()
}
