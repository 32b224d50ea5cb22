package storage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
)

// newFileSecret is an organization's secret for its public file keys.
func newFileSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// fileKey is the public name of an organization's copy of some bytes: 128
// bits of HMAC-SHA256 of the content hash under the organization's secret.
// Stable (URLs stay immutable and cacheable), unguessable, and different in
// every organization for the same bytes.
func fileKey(secret []byte, sha string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(sha))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// orgFileSecret reads the organization's file secret.
func orgFileSecret(ctx context.Context, tx *sql.Tx, org int64) ([]byte, error) {
	var secret []byte
	if err := tx.QueryRowContext(ctx, `SELECT file_secret FROM orgs WHERE id = ?`, org).Scan(&secret); err != nil {
		return nil, fmt.Errorf("file secret of organization %d: %w", org, err)
	}
	if len(secret) == 0 {
		return nil, fmt.Errorf("organization %d has no file secret", org)
	}
	return secret, nil
}

// backfillFileKeys gives organizations made before file keys existed a
// secret, and their media rows their keys (once, at open).
func (db *DB) backfillFileKeys(ctx context.Context) error {
	return db.update(ctx, func(tx *sql.Tx) error {
		orgs, err := queryIDs(ctx, tx, `SELECT id FROM orgs WHERE file_secret IS NULL`)
		if err != nil {
			return err
		}
		for _, id := range orgs {
			if _, err := tx.ExecContext(ctx, `UPDATE orgs SET file_secret = ? WHERE id = ?`, newFileSecret(), id); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT m.id, m.sha256, o.file_secret FROM media m JOIN orgs o ON o.id = m.org_id WHERE m.file_key IS NULL`)
		if err != nil {
			return err
		}
		type row struct {
			id  int64
			key string
		}
		var todo []row
		for rows.Next() {
			var r row
			var sha string
			var secret []byte
			if err := rows.Scan(&r.id, &sha, &secret); err != nil {
				rows.Close()
				return err
			}
			r.key = fileKey(secret, sha)
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range todo {
			if _, err := tx.ExecContext(ctx, `UPDATE media SET file_key = ? WHERE id = ?`, r.key, r.id); err != nil {
				return err
			}
		}
		return nil
	})
}
