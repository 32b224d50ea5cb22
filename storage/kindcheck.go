package storage

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gallerist/data"
)

// kindCheckRE is the media table's CHECK on kind (001_core.sql wrote it).
var kindCheckRE = regexp.MustCompile(`CHECK \(kind IN \(([^)]*)\)\)`)

// ensureKindCheck makes the media table's CHECK on kind allow every kind of
// data.KindTable, rebuilding the table (as ensureAutoincrement does) when a
// kind was added, so a new kind is a row of the table and no migration. The
// CHECK stays the last guard against a row no code can show. It only
// widens: kinds the CHECK allows and the table lacks (an older binary on a
// newer database) stay allowed, so their rows still fit.
func (db *DB) ensureKindCheck(ctx context.Context) error {
	def, err := mediaDef(ctx, db.write.QueryRowContext)
	if err != nil {
		return err
	}
	if _, ok, err := widenKindCheck(def); err != nil || !ok {
		return err
	}
	return db.rebuildTables(ctx, func(tx *sql.Tx) error {
		def, err := mediaDef(ctx, tx.QueryRowContext)
		if err != nil {
			return err
		}
		newDef, ok, err := widenKindCheck(def)
		if err != nil || !ok {
			return err // another process widened it while this one waited for the lock
		}
		if err := rebuildTable(ctx, tx, "media", newDef); err != nil {
			return fmt.Errorf("allow every kind in media: %w", err)
		}
		return nil
	})
}

func mediaDef(ctx context.Context, queryRow func(context.Context, string, ...any) *sql.Row) (string, error) {
	var def string
	if err := queryRow(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'media'`).Scan(&def); err != nil {
		return "", fmt.Errorf("schema of media: %w", err)
	}
	return def, nil
}

// widenKindCheck returns the media definition with a CHECK that also allows
// the kinds of data.KindTable it lacks, and whether any was missing.
func widenKindCheck(def string) (string, bool, error) {
	m := kindCheckRE.FindStringSubmatchIndex(def)
	if m == nil {
		return "", false, fmt.Errorf("no CHECK (kind IN (...)) in the media table: %s", def)
	}
	var allowed []string
	for _, s := range strings.Split(def[m[2]:m[3]], ",") {
		allowed = append(allowed, strings.Trim(strings.TrimSpace(s), "'"))
	}
	missing := false
	for _, k := range data.Kinds {
		if !slices.Contains(allowed, string(k)) {
			allowed = append(allowed, string(k))
			missing = true
		}
	}
	if !missing {
		return def, false, nil
	}
	quoted := make([]string, len(allowed))
	for i, k := range allowed {
		quoted[i] = "'" + strings.ReplaceAll(k, "'", "''") + "'"
	}
	return def[:m[2]] + strings.Join(quoted, ", ") + def[m[3]:], true, nil
}
