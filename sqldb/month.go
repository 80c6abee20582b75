package sqldb

import (
	"context"

	"roster"
)

// Ensure MonthService implements the domain interface.
var _ roster.MonthService = (*MonthService)(nil)

// MonthService stores the Members of the Month.
type MonthService struct {
	db *DB
}

// NewMonthService returns a MonthService on db.
func NewMonthService(db *DB) *MonthService { return &MonthService{db: db} }

const monthSelect = "SELECT m.month, u.public_id, m.citation, m.named_by, m.created_at FROM members_of_month m JOIN users u ON u.id = m.user_id"

func scanMonth(row interface{ Scan(...any) error }) (roster.MemberOfMonth, error) {
	var m roster.MemberOfMonth
	err := row.Scan(&m.Month, &m.UserID, &m.Citation, &m.NamedBy, timeScan{&m.CreatedAt})
	return m, err
}

// NameMemberOfMonth names a user for a month.
func (s *MonthService) NameMemberOfMonth(ctx context.Context, m *roster.MemberOfMonth, replace bool) error {
	if err := m.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	uid, err := tx.userID(ctx, m.UserID)
	if err != nil {
		return err
	}
	before, err := scanMonth(tx.queryRow(ctx, monthSelect+" WHERE m.month = ?"+s.db.forUpdate(), m.Month))
	switch {
	case err == nil && !replace:
		return &roster.Error{Code: roster.ECONFLICT, Message: "month: " + m.Month + " already has its Member of the Month; replace them to change it",
			Fields: map[string]string{"month": "already has a Member of the Month"}, Position: -1}
	case err == nil:
		if _, err := tx.exec(ctx, "DELETE FROM members_of_month WHERE month = ?", m.Month); err != nil {
			return formatError(err, "member of the month")
		}
	case roster.ErrorCode(formatError(err, "")) != roster.ENOTFOUND:
		return formatError(err, "member of the month")
	}
	m.NamedBy = roster.ActorFromContext(ctx).Label
	m.CreatedAt = tx.now
	if _, err := tx.exec(ctx, "INSERT INTO members_of_month (month, user_id, citation, named_by, created_at) VALUES (?, ?, ?, ?, ?)",
		m.Month, uid, m.Citation, m.NamedBy, s.db.timeArg(tx.now)); err != nil {
		return formatError(err, "member of the month")
	}
	changes := map[string]roster.Change{"user": {Before: nilIfEmpty(before.UserID), After: m.UserID}, "citation": {Before: nilIfEmpty(before.Citation), After: m.Citation}}
	if err := tx.audit(ctx, "month.name", "user", m.UserID, changes, "Member of the Month "+m.Month); err != nil {
		return err
	}
	return tx.commit()
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// MemberOfMonth returns a month's member.
func (s *MonthService) MemberOfMonth(ctx context.Context, month string) (*roster.MemberOfMonth, error) {
	t, err := roster.ParseMonth(month)
	if err != nil {
		return nil, err
	}
	m, err := scanMonth(s.db.queryRow(ctx, monthSelect+" WHERE m.month = ?", t.Format("2006-01")))
	if err != nil {
		if roster.ErrorCode(formatError(err, "")) == roster.ENOTFOUND {
			return nil, roster.Errorf(roster.ENOTFOUND, "No Member of the Month for %s.", t.Format("January 2006"))
		}
		return nil, formatError(err, "member of the month")
	}
	return &m, nil
}

// MonthHistory returns the members, newest month first.
func (s *MonthService) MonthHistory(ctx context.Context, limit int) ([]roster.MemberOfMonth, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	return s.list(ctx, monthSelect+" ORDER BY m.month DESC LIMIT ?", limit)
}

// UserMonths returns the months a user was named.
func (s *MonthService) UserMonths(ctx context.Context, userID string) ([]roster.MemberOfMonth, error) {
	return s.list(ctx, monthSelect+" WHERE u.public_id = ? ORDER BY m.month DESC", userID)
}

func (s *MonthService) list(ctx context.Context, q string, args ...any) ([]roster.MemberOfMonth, error) {
	rows, err := s.db.query(ctx, q, args...)
	if err != nil {
		return nil, formatError(err, "members of the month")
	}
	defer rows.Close()
	var out []roster.MemberOfMonth
	for rows.Next() {
		m, err := scanMonth(rows)
		if err != nil {
			return nil, formatError(err, "members of the month")
		}
		out = append(out, m)
	}
	return out, formatError(rows.Err(), "members of the month")
}
