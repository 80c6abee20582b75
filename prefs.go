package roster

import "context"

// PrefService keeps each staff member's back-office preferences, such as
// the columns of their user table.
type PrefService interface {
	// Pref returns the value of key for staffID, "" when unset.
	Pref(ctx context.Context, staffID int64, key string) (string, error)
	// SetPref stores value under key for staffID.
	SetPref(ctx context.Context, staffID int64, key, value string) error
}
