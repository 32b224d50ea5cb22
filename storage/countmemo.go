package storage

import (
	"crypto/sha256"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"gallerist/data"
)

// countSlack is how far past data.MaxCountedTotal a capped count goes, so
// that its "more than 1,000" can be kept for the next countSlack changes
// to the organization's rows: each change (a row added, removed or
// written) moves a filter's matches by at most one. The count of a common
// term is then paid once per that many changes instead of on every
// request, for half as much again when it is paid.
const countSlack = 500

// countTo is where capped counts stop.
const countTo = data.MaxCountedTotal + 1 + countSlack

// countMemoMax bounds the counts kept (a kept count is about 100 bytes).
const countMemoMax = 4096

// countMemo keeps capped counts above data.MaxCountedTotal with the
// organization's change counter (media_changes, migration 024) when they
// were made.
type countMemo struct {
	mu   sync.Mutex
	kept map[[32]byte]keptCount
	used atomic.Int64 // counts answered from it (tests)
}

type keptCount struct {
	found   int   // matches counted (at most countTo)
	changes int64 // media_changes.n then
}

// changesSQL reads an organization's change counter.
const changesSQL = `SELECT COALESCE((SELECT n FROM media_changes WHERE org_id = ?), 0)`

// countKey names a count: its query and arguments, each argument
// length-prefixed (no two lists of arguments spell the same), hashed so an
// entry costs the same whatever the query's length.
func countKey(q string, args []any) [32]byte {
	var b strings.Builder
	b.WriteString(q)
	for _, a := range args {
		v := fmt.Sprint(a)
		fmt.Fprintf(&b, "\x00%d:%s", len(v), v)
	}
	return sha256.Sum256([]byte(b.String()))
}

// stillAbove says whether the count kept under key still says more than
// data.MaxCountedTotal at changes.
func (m *countMemo) stillAbove(key [32]byte, changes int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.kept[key]
	if ok && changes >= k.changes && int64(k.found)-(changes-k.changes) > data.MaxCountedTotal {
		m.used.Add(1)
		return true
	}
	return false
}

// keep keeps a count above data.MaxCountedTotal made at changes.
func (m *countMemo) keep(key [32]byte, found int, changes int64) {
	if found <= data.MaxCountedTotal {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kept == nil || len(m.kept) >= countMemoMax {
		m.kept = map[[32]byte]keptCount{}
	}
	m.kept[key] = keptCount{found: found, changes: changes}
}

// keptCountFilter says whether f's count can be kept: its conditions are on
// the media rows alone (a gallery's or a use's rows change without
// media_changes hearing of it). It names the fields it allows, so a filter
// added to MediaFilter is not kept until someone says it may be.
func keptCountFilter(f data.MediaFilter) bool {
	rows := data.MediaFilter{ID: f.ID, Kind: f.Kind, MIMETypes: f.MIMETypes, Q: f.Q, Sort: f.Sort, SinceID: f.SinceID,
		Deleted: f.Deleted, MissingAlt: f.MissingAlt, SHA256: f.SHA256, Limit: f.Limit, Offset: f.Offset}
	return reflect.DeepEqual(f, rows)
}
