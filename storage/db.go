// Package storage implements Gallerist's services on SQLite and a blob store.
// Every service method runs in one transaction and scopes its queries to the
// organization of the principal in its context.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gallerist/data"

	sqlite3 "github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the SQLite database: one writer connection (write transactions begin
// immediately, so they queue on the lock rather than fail on upgrade) and a
// pool of read-only connections.
type DB struct {
	write *sql.DB
	read  *sql.DB
	path  string

	// Now is the clock; tests move it.
	Now func() time.Time
	// Log receives background errors.
	Log *slog.Logger

	stmts sync.Map // query → *sql.Stmt prepared on the reader pool
	// samples are the search plan's samples of gram lists (searchsample.go).
	samples sampleCache

	verMu   sync.Mutex
	verConn *sql.Conn // a reader connection kept for PRAGMA data_version

	file os.FileInfo // the database file as opened (Ping notices it moved)
}

// Version changes whenever any connection, in this process or another,
// commits a change to the database (SQLite's data_version, read on a
// connection that itself never writes). Caches of query results key on it.
func (db *DB) Version(ctx context.Context) (int64, error) {
	db.verMu.Lock()
	defer db.verMu.Unlock()
	if db.verConn == nil {
		c, err := db.read.Conn(ctx)
		if err != nil {
			return 0, err
		}
		db.verConn = c
	}
	var v int64
	err := db.verConn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v)
	if err != nil {
		db.verConn.Close()
		db.verConn = nil
	}
	return v, err
}

// readStmt returns the query prepared on the reader pool, preparing it once.
// Hot read paths use it: SQLite's prepare of a query with subqueries costs
// more than running it. Callers get it BEFORE opening their transaction
// (preparing takes a pooled connection) and bind it with tx.StmtContext.
func (db *DB) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// OpenDB opens (creating if needed) the SQLite database at path and runs the
// embedded migrations that have not run yet.
func OpenDB(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	// The one writer keeps 32 MB of pages: indexing search text touches
	// postings all over media_grams, and SQLite's default 2 MB thrashes.
	q.Set("_cache_size", "-32768")
	write, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)

	rq := url.Values{}
	rq.Set("_busy_timeout", "10000")
	rq.Set("_foreign_keys", "on")
	rq.Set("_query_only", "true")
	rq.Set("_txlock", "deferred")
	read, err := sql.Open("sqlite3", "file:"+path+"?"+rq.Encode())
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(8, runtime.NumCPU()*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)

	db := &DB{write: write, read: read, path: path, Now: time.Now, Log: slog.Default()}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.ensureAutoincrement(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.ensureKindCheck(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.backfillFileKeys(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("file keys: %w", err)
	}
	db.file, _ = os.Stat(path)
	return db, nil
}

// Close closes both pools, checkpointing the WAL.
func (db *DB) Close() error {
	db.verMu.Lock()
	if db.verConn != nil {
		db.verConn.Close()
		db.verConn = nil
	}
	db.verMu.Unlock()
	db.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	err1 := db.read.Close()
	if _, err := db.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil && err1 == nil {
		err1 = err
	}
	err2 := db.write.Close()
	return errors.Join(err1, err2)
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		version, err := migrationVersion(base)
		if err != nil {
			return err
		}
		if err := db.update(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE version = ?`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			body, err := migrationFS.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", base, err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				version, base, ms(db.Now()))
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// migrationVersion is the number a migration's file name starts with
// ("012_media_live_id.sql" is 12): its version, whatever other numbers exist.
func migrationVersion(base string) (int, error) {
	version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
	if err != nil {
		return 0, fmt.Errorf("migration %s: name must start with a number", base)
	}
	return version, nil
}

// update runs fn in one immediate write transaction.
func (db *DB) update(ctx context.Context, fn func(tx *sql.Tx) error) error {
	asked := time.Now()
	tx, err := db.write.BeginTx(ctx, nil)
	Stats.WriteWait.Observe(time.Since(asked))
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return diskFull(err)
	}
	if err := tx.Commit(); err != nil {
		return diskFull(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// view runs fn in one read transaction on a reader connection.
func (db *DB) view(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// orgID returns the organization every query of a service method is scoped to.
// A context without a principal is a programming error, never a silent "all orgs".
func orgID(ctx context.Context) (int64, error) {
	p, ok := data.PrincipalFrom(ctx)
	if !ok {
		return 0, errors.New("storage: no principal in context")
	}
	return p.OrgID, nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func nullMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ms(*t)
}

func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// QueryRowForTest runs a read query; tests use it to check invariants.
func (db *DB) QueryRowForTest(query string, args ...any) *sql.Row {
	return db.read.QueryRow(query, args...)
}

// ExecForTest runs a write statement outside the services; tests and
// benchmarks use it to seed large libraries quickly.
func (db *DB) ExecForTest(query string, args ...any) error {
	_, err := db.write.Exec(query, args...)
	return err
}
