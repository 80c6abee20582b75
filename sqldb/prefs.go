package sqldb

import (
	"context"
	"database/sql"
	"errors"

	"roster"
)

// Ensure PrefService implements the domain interface.
var _ roster.PrefService = (*PrefService)(nil)

// PrefService stores staff preferences.
type PrefService struct {
	db *DB
}

// NewPrefService returns a PrefService on db.
func NewPrefService(db *DB) *PrefService { return &PrefService{db: db} }

// Pref returns the value of key for staffID, "" when unset.
func (s *PrefService) Pref(ctx context.Context, staffID int64, key string) (string, error) {
	var v string
	err := s.db.queryRow(ctx, "SELECT value FROM staff_prefs WHERE staff_id = ? AND key = ?", staffID, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, formatError(err, "pref")
}

// SetPref stores value under key for staffID. Preferences are not audited:
// they change nothing anyone else sees.
func (s *PrefService) SetPref(ctx context.Context, staffID int64, key, value string) error {
	if len(value) > 4096 {
		return roster.Errorf(roster.EINVALID, "The preference is too long.")
	}
	_, err := s.db.write.ExecContext(ctx, s.db.rebind(`INSERT INTO staff_prefs (staff_id, key, value) VALUES (?, ?, ?)
		ON CONFLICT (staff_id, key) DO UPDATE SET value = excluded.value`), staffID, key, value)
	return formatError(err, "set pref")
}
