package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"gallerist/data"
)

// event is a change about to be recorded in the log.
type event struct {
	org         int64
	typ         string
	subjectType string // "media" or "product"
	subjectID   int64
	payload     any // marshalled to JSON; nil is {}
}

// recordEvent writes ev to the events table in tx, the transaction of the
// change itself (an outbox): the event commits with the change or not at
// all. It is the one writer of events; each service calls it from the one
// place where a kind of change happens (writeMediaUpdate, swapCurrentFile,
// trashRow, restoreRow, purgeRows, bumpGallery, the product methods). The
// actor is the principal in ctx, or "system" for background work (GC).
func recordEvent(ctx context.Context, tx *sql.Tx, now int64, ev event) error {
	actor := "system"
	if p, ok := data.PrincipalFrom(ctx); ok && p.Actor != "" {
		actor = p.Actor
	}
	payload := []byte("{}")
	if ev.payload != nil {
		var err error
		if payload, err = json.Marshal(ev.payload); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO events (org_id, type, subject_type, subject_id, actor, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, ev.org, ev.typ, ev.subjectType, ev.subjectID, actor, string(payload), now)
	return err
}

func mediaEvent(org int64, typ string, id int64, payload any) event {
	return event{org: org, typ: typ, subjectType: "media", subjectID: id, payload: payload}
}

func productEvent(org int64, typ string, id int64, payload any) event {
	return event{org: org, typ: typ, subjectType: "product", subjectID: id, payload: payload}
}

// EventService reads the event log of the principal's organization.
type EventService struct {
	db *DB
}

// NewEventService returns the event log reader.
func NewEventService(db *DB) *EventService { return &EventService{db: db} }

const eventColumns = `id, org_id, type, subject_type, subject_id, actor, payload, created_at`

func scanEvent(row scanner) (*data.Event, error) {
	var e data.Event
	var payload string
	var created int64
	if err := row.Scan(&e.ID, &e.OrgID, &e.Type, &e.SubjectType, &e.SubjectID, &e.Actor, &payload, &created); err != nil {
		return nil, err
	}
	e.Payload = json.RawMessage(payload)
	e.CreatedAt = fromMS(created)
	return &e, nil
}

// FindEvents lists events of the principal's organization: after f.SinceID
// in id order (a sync feed: page on with the last id), or before f.BeforeID
// newest first when it is set (history pages).
func (s *EventService) FindEvents(ctx context.Context, f data.EventFilter) ([]*data.Event, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	where, args := []string{"org_id = ?"}, []any{org}
	order := "id"
	if f.BeforeID > 0 {
		where, args, order = append(where, "id < ?"), append(args, f.BeforeID), "id DESC"
	} else if f.SinceID > 0 {
		where, args = append(where, "id > ?"), append(args, f.SinceID)
	}
	if len(f.Types) > 0 {
		where = append(where, "type IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Types)), ", ")+")")
		for _, t := range f.Types {
			args = append(args, t)
		}
	}
	if f.SubjectType != "" {
		where, args = append(where, "subject_type = ? AND subject_id = ?"), append(args, f.SubjectType, f.SubjectID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = data.DefaultPage
	}
	var out []*data.Event
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE `+strings.Join(where, " AND ")+
			` ORDER BY `+order+` LIMIT ?`, append(args, limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}
