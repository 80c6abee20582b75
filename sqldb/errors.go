package sqldb

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"roster"
)

// uniqueFields maps a unique column (or its PostgreSQL constraint name) to
// the field the user should fix.
var uniqueFields = map[string]string{
	"users.email":           "email",
	"users_email_key":       "email",
	"users.client_id":       "client_id",
	"users_client_id_key":   "client_id",
	"users.public_id":       "id",
	"users_public_id_key":   "id",
	"staff.email":           "email",
	"staff_email_key":       "email",
	"custom_fields.key":     "key",
	"custom_fields_key_key": "key",
}

// formatError turns driver errors from either dialect into domain errors:
// uniqueness violations become ECONFLICT naming the field, a missing row
// ENOTFOUND. Anything else is wrapped and stays internal.
func formatError(err error, op string) error {
	if err == nil {
		return nil
	}
	var re *roster.Error
	if errors.As(err, &re) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return roster.Errorf(roster.ENOTFOUND, "Not found.")
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		// "UNIQUE constraint failed: users.email"
		msg := se.Error()
		for col, field := range uniqueFields {
			if strings.Contains(msg, col) && strings.Contains(col, ".") {
				return conflict(field)
			}
		}
		return roster.Errorf(roster.ECONFLICT, "This value is already taken.")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		if field, ok := uniqueFields[pe.ConstraintName]; ok {
			return conflict(field)
		}
		return roster.Errorf(roster.ECONFLICT, "This value is already taken.")
	}
	return fmt.Errorf("%s: %w", op, err)
}

func conflict(field string) error {
	return &roster.Error{Code: roster.ECONFLICT, Message: field + " is already taken", Fields: map[string]string{field: "is already taken"}, Position: -1}
}
