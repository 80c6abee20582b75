package roster

import (
	"context"
	"strings"
	"time"
	"unicode"
)

// MemberOfMonth names one user who stood out in a month, with a citation.
// There is one per month.
type MemberOfMonth struct {
	Month     string    `json:"month"`   // YYYY-MM
	UserID    string    `json:"user_id"` // public id
	Citation  string    `json:"citation"`
	NamedBy   string    `json:"named_by"` // the staff member's email
	CreatedAt time.Time `json:"created_at"`
}

// MaxCitationLen bounds a citation: a short text, not an essay.
const MaxCitationLen = 500

// ParseMonth checks a month in the form YYYY-MM.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil || t.Year() < 2000 || t.Year() > 2999 {
		return time.Time{}, Errorf(EINVALID, "month: %s is not a month in the form YYYY-MM", Quote(s))
	}
	return t, nil
}

// Validate normalises and checks m.
func (m *MemberOfMonth) Validate() error {
	fe := FieldErrors{}
	if t, err := ParseMonth(m.Month); err != nil {
		fe.Add("month", "must be a month in the form YYYY-MM")
	} else {
		m.Month = t.Format("2006-01")
	}
	if m.UserID == "" {
		fe.Add("user_id", "is required")
	}
	m.Citation = strings.TrimSpace(m.Citation)
	if len([]rune(m.Citation)) > MaxCitationLen {
		fe.Add("citation", "is longer than 500 characters")
	} else if strings.IndexFunc(m.Citation, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0 {
		fe.Add("citation", "must not hold control characters")
	}
	return fe.Err()
}

// MonthService keeps the Members of the Month.
type MonthService interface {
	// NameMemberOfMonth names m.UserID for m.Month. ECONFLICT when the
	// month already has one and replace is false; ENOTFOUND (user).
	NameMemberOfMonth(ctx context.Context, m *MemberOfMonth, replace bool) error
	// MemberOfMonth returns the month's member. ENOTFOUND.
	MemberOfMonth(ctx context.Context, month string) (*MemberOfMonth, error)
	// MonthHistory returns every month's member, newest month first.
	MonthHistory(ctx context.Context, limit int) ([]MemberOfMonth, error)
	// UserMonths returns the months a user was named, newest first.
	UserMonths(ctx context.Context, userID string) ([]MemberOfMonth, error)
}
