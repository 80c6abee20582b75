package sqldb

import (
	"context"
	"fmt"

	"roster"
)

// Ensure StaffService implements the devices interface.
var _ roster.DeviceService = (*StaffService)(nil)

// FindSessions returns the live sessions of staffID, newest first.
func (ss *StaffService) FindSessions(ctx context.Context, staffID int64) ([]*roster.Session, error) {
	now := ss.db.Now()
	rows, err := ss.db.query(ctx, `SELECT id, staff_id, created_at, last_seen_at, ip, user_agent FROM sessions
		WHERE staff_id = ? AND last_seen_at >= ? AND created_at >= ? ORDER BY created_at DESC, id DESC`,
		staffID, ss.db.timeArg(now.Add(-roster.SessionIdleTimeout)), ss.db.timeArg(now.Add(-roster.SessionAbsoluteTimeout)))
	if err != nil {
		return nil, formatError(err, "find sessions")
	}
	defer rows.Close()
	var out []*roster.Session
	for rows.Next() {
		s := &roster.Session{}
		if err := rows.Scan(&s.ID, &s.StaffID, timeScan{&s.CreatedAt}, timeScan{&s.LastSeenAt}, &s.IP, &s.UserAgent); err != nil {
			return nil, formatError(err, "find sessions")
		}
		out = append(out, s)
	}
	return out, formatError(rows.Err(), "find sessions")
}

// mayEndSessions checks that the actor may end staffID's sessions: their
// own, or, for staff managers (checked by the caller's permission), any
// account's but an owner's unless they are an owner.
func (ss *StaffService) mayEndSessions(ctx context.Context, staffID int64) (own bool, err error) {
	actor := roster.ActorFromContext(ctx)
	if actor.StaffID == staffID && staffID != 0 {
		return true, nil
	}
	s, err := ss.FindStaffByID(ctx, staffID)
	if err != nil {
		return false, err
	}
	if s.Role == roster.RoleOwner && !actor.MayManageOwners() {
		return false, roster.Errorf(roster.EFORBIDDEN, "Only an owner can end an owner's sessions.")
	}
	return false, nil
}

// EndSession ends session id of staffID.
func (ss *StaffService) EndSession(ctx context.Context, staffID, id int64) error {
	own, err := ss.mayEndSessions(ctx, staffID)
	if err != nil {
		return err
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, "DELETE FROM sessions WHERE id = ? AND staff_id = ?", id, staffID)
	if err != nil {
		return formatError(err, "end session")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.ENOTFOUND, "There is no session %d of this account: it may have ended already.", id)
	}
	if !own {
		if err := tx.audit(ctx, "staff.session.end", "staff", fmt.Sprint(staffID), nil, fmt.Sprintf("session %d", id)); err != nil {
			return err
		}
	}
	return tx.commit()
}

// EndOtherSessions ends every session of staffID but keep.
func (ss *StaffService) EndOtherSessions(ctx context.Context, staffID, keep int64) (int, error) {
	own, err := ss.mayEndSessions(ctx, staffID)
	if err != nil {
		return 0, err
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, "DELETE FROM sessions WHERE staff_id = ? AND id <> ?", staffID, keep)
	if err != nil {
		return 0, formatError(err, "end sessions")
	}
	n, _ := res.RowsAffected()
	if !own {
		if err := tx.audit(ctx, "staff.session.end_all", "staff", fmt.Sprint(staffID), nil, fmt.Sprintf("%d sessions", n)); err != nil {
			return 0, err
		}
	}
	return int(n), tx.commit()
}
