package sqldb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"roster"
	"roster/password"
)

// ChangeOwnPassword sets the password of staffID to next once current has
// been checked against the stored hash. Checks are counted like sign-ins
// (per account, under a key of their own), so that a stolen session cannot
// be used to guess the password at leisure. The change ends every session
// of the account, the one that asked included: a thief's session must not
// outlive the change, and the caller starts a fresh session for the
// browser that made it.
func (ss *StaffService) ChangeOwnPassword(ctx context.Context, staffID int64, current, next string) error {
	attempt, err := ss.db.countAttempt(ctx, []string{fmt.Sprintf("password:%d", staffID)}, []roster.Throttle{roster.LoginThrottle}, eachKey(roster.LoginThrottle), nil)
	if err != nil {
		return err
	}
	s, err := ss.FindStaffByID(ctx, staffID)
	if err != nil {
		return err
	}
	err = password.Verify(current, s.PasswordHash)
	if err != nil && !errors.Is(err, password.ErrMismatch) {
		slog.Error("stored staff password hash is unusable", "staff_id", s.ID, "err", err)
	}
	if err := roster.CheckPasswordChange(err == nil, current, next, s.Email); err != nil {
		return err
	}
	hash, err := password.Hash(next)
	if err != nil {
		return err
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Only if the hash is still the one checked: a concurrent change wins
	// and this one must be retried with the password now in force.
	res, err := tx.exec(ctx, "UPDATE staff SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?",
		hash, ss.db.timeArg(tx.now), staffID, s.PasswordHash)
	if err != nil {
		return formatError(err, "change password")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.ECONFLICT, "Your password was changed meanwhile. Sign in again and retry.")
	}
	if _, err := tx.exec(ctx, "DELETE FROM sessions WHERE staff_id = ?", staffID); err != nil {
		return formatError(err, "change password")
	}
	if err := tx.forgive(ctx, attempt); err != nil {
		return err
	}
	changes := map[string]roster.Change{"password": {Before: roster.Redacted, After: roster.Redacted}}
	if err := tx.audit(ctx, "staff.password", "staff", fmt.Sprint(staffID), changes, ""); err != nil {
		return err
	}
	return tx.commit()
}
