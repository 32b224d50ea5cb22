package storage

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
)

// idTables are the tables whose ids are public (in URLs, API answers,
// since_id cursors, bookmarks). Their ids must never be reused, even after
// the newest row is purged, so each has AUTOINCREMENT.
var idTables = []string{"orgs", "users", "tokens", "media", "products", "gallery_images", "variants", "collections", "detachments"}

var (
	idColumnRE   = regexp.MustCompile(`(?i)\bid(\s+)INTEGER(\s+)PRIMARY(\s+)KEY\b`)
	createNameRE = regexp.MustCompile(`(?i)^CREATE TABLE\s+("?)(\w+)("?)\s*\(`)
)

// ensureAutoincrement rebuilds, once, each id table that was created without
// AUTOINCREMENT (the first migrations did), keeping every row and id. It
// follows SQLite's procedure for schema changes a plain ALTER TABLE cannot
// make: with foreign keys off, create the new table, copy the rows, drop the
// old one, rename, recreate its indexes and triggers, check foreign keys,
// all in one transaction. Copying rows with their ids sets the table's
// sequence to the largest id.
func (db *DB) ensureAutoincrement(ctx context.Context) error {
	var todo []string
	for _, t := range idTables {
		var def string
		err := db.write.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, t).Scan(&def)
		if err != nil {
			return fmt.Errorf("schema of %s: %w", t, err)
		}
		if !strings.Contains(strings.ToUpper(def), "AUTOINCREMENT") {
			todo = append(todo, t)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	return db.rebuildTables(ctx, func(tx *sql.Tx) error {
		for _, t := range todo {
			if err := rebuildWithAutoincrement(ctx, tx, t); err != nil {
				return fmt.Errorf("give %s AUTOINCREMENT ids: %w", t, err)
			}
		}
		return nil
	})
}

// rebuildTables runs fn, which rebuilds tables with rebuildTable, in one
// transaction with foreign keys off, and checks them before it commits.
func (db *DB) rebuildTables(ctx context.Context, fn func(tx *sql.Tx) error) error {
	// foreign_keys cannot change inside a transaction; the writer pool has
	// one connection, so this applies to the transaction below.
	if _, err := db.write.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer db.write.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	return db.update(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			return err
		}
		defer rows.Close()
		if rows.Next() {
			return fmt.Errorf("foreign keys broken after rebuilding tables")
		}
		return rows.Err()
	})
}

func rebuildWithAutoincrement(ctx context.Context, tx *sql.Tx, table string) error {
	var def string
	if err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&def); err != nil {
		return err
	}
	if strings.Contains(strings.ToUpper(def), "AUTOINCREMENT") {
		return nil // another process rebuilt it while this one waited for the lock
	}
	if !idColumnRE.MatchString(def) || !createNameRE.MatchString(def) {
		return fmt.Errorf("unexpected definition: %s", def)
	}
	return rebuildTable(ctx, tx, table, idColumnRE.ReplaceAllString(def, "id${1}INTEGER${2}PRIMARY${3}KEY AUTOINCREMENT"))
}

// rebuildTable replaces table by one created with newDef (a CREATE TABLE of
// the same name and columns), keeping every row and id, its indexes and its
// triggers. It runs inside rebuildTables.
func rebuildTable(ctx context.Context, tx *sql.Tx, table, newDef string) error {
	if !createNameRE.MatchString(newDef) {
		return fmt.Errorf("unexpected definition: %s", newDef)
	}
	tmp := table + "_rebuild"
	newDef = createNameRE.ReplaceAllString(newDef, "CREATE TABLE "+tmp+" (")
	var extras []string
	rows, err := tx.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name`, table)
	if err != nil {
		return err
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		extras = append(extras, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Triggers of other tables that write to this one (migration 024's)
	// would stop the rename, which checks every trigger while the table is
	// gone: they go first and come back with the table's own.
	others, err := triggersNaming(ctx, tx, table)
	if err != nil {
		return err
	}
	for name, q := range others {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER "`+name+`"`); err != nil {
			return err
		}
		extras = append(extras, q)
	}
	for _, q := range []string{newDef, `INSERT INTO ` + tmp + ` SELECT * FROM ` + table, `DROP TABLE ` + table, `ALTER TABLE ` + tmp + ` RENAME TO ` + table} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	for _, q := range extras {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}

// triggersNaming are the triggers on other tables than table whose SQL
// names it, by name.
func triggersNaming(ctx context.Context, tx *sql.Tx, table string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name != ? AND sql IS NOT NULL`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(table) + `\b`)
	out := map[string]string{}
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			return nil, err
		}
		if names.MatchString(q) {
			out[name] = q
		}
	}
	return out, rows.Err()
}
