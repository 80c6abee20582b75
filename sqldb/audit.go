package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"roster"
)

// Ensure AuditService implements the domain interface.
var _ roster.AuditService = (*AuditService)(nil)

// AuditService reads the audit log.
type AuditService struct {
	db *DB
}

// NewAuditService returns an AuditService on db.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

// audit writes an entry for the actor in ctx, in tx: the entry commits or
// rolls back with the change it describes.
func (tx *Tx) audit(ctx context.Context, action, targetType, targetID string, changes map[string]roster.Change, note string) error {
	a := roster.ActorFromContext(ctx)
	if a.Via != "" {
		note = strings.TrimSuffix("via: "+a.Via+"; "+note, "; ")
	}
	body := "{}"
	if len(changes) > 0 {
		b, err := json.Marshal(changes)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		body = string(b)
	}
	_, err := tx.exec(ctx, "INSERT INTO audit_log (at, actor_id, actor, action, target_type, target_id, changes, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		tx.db.timeArg(tx.now), a.StaffID, a.Label, action, targetType, targetID, body, note)
	return formatError(err, "audit")
}

// Record writes e on its own: for actions that change no row, such as an
// export, whose entry has no change to commit with.
func (s *AuditService) Record(ctx context.Context, e roster.AuditEntry) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.audit(ctx, e.Action, e.TargetType, e.TargetID, e.Changes, e.Note); err != nil {
		return err
	}
	return tx.commit()
}

// FindAuditEntries returns entries matching f, newest first.
func (s *AuditService) FindAuditEntries(ctx context.Context, f roster.AuditFilter) ([]*roster.AuditEntry, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.ActorID != nil {
		where, args = append(where, "actor_id = ?"), append(args, *f.ActorID)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.TargetType != "" {
		where, args = append(where, "target_type = ?"), append(args, f.TargetType)
	}
	if f.TargetID != "" {
		where, args = append(where, "target_id = ?"), append(args, f.TargetID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, s.db.timeArg(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, s.db.timeArg(f.Until))
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.query(ctx, "SELECT id, at, actor_id, actor, action, target_type, target_id, changes, note FROM audit_log WHERE "+
		strings.Join(where, " AND ")+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, formatError(err, "find audit entries")
	}
	defer rows.Close()
	var out []*roster.AuditEntry
	for rows.Next() {
		e := &roster.AuditEntry{}
		if err := rows.Scan(&e.ID, timeScan{&e.At}, &e.ActorID, &e.Actor, &e.Action, &e.TargetType, &e.TargetID, jsonScan{&e.Changes}, &e.Note); err != nil {
			return nil, formatError(err, "find audit entries")
		}
		out = append(out, e)
	}
	return out, formatError(rows.Err(), "find audit entries")
}
