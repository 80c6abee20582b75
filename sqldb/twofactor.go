package sqldb

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"roster"
	"roster/password"
)

// Ensure StaffService implements the two-factor interface.
var _ roster.TwoFactorService = (*StaffService)(nil)

// settingTwoFactorRequired is the settings key of the rule that owners and
// admins must use two-factor sign-in.
const settingTwoFactorRequired = "two_factor_required"

// sealer returns the AEAD that encrypts TOTP secrets, keyed by a secret of
// the settings table: a copy of the staff tables alone does not give the
// secrets away.
func (ss *StaffService) sealer(ctx context.Context) (cipher.AEAD, error) {
	key, err := ss.db.Secret(ctx, "two-factor")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts a TOTP secret for staffID (bound to it: a sealed secret
// copied to another account does not open).
func (ss *StaffService) seal(ctx context.Context, staffID int64, secret []byte) (string, error) {
	aead, err := ss.sealer(ctx)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, secret, fmt.Appendf(nil, "staff:%d", staffID))
	return base64.RawStdEncoding.EncodeToString(out), nil
}

// open decrypts a sealed secret. aead comes from sealer, called before
// any transaction: the key is read on a connection of its own, which
// SQLite's single writer would not give while a transaction holds it.
func open(aead cipher.AEAD, staffID int64, sealed string) ([]byte, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < aead.NonceSize() {
		return nil, fmt.Errorf("two-factor secret of staff %d: malformed", staffID)
	}
	secret, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], fmt.Appendf(nil, "staff:%d", staffID))
	if err != nil {
		return nil, fmt.Errorf("two-factor secret of staff %d: %w", staffID, err)
	}
	return secret, nil
}

// TwoFactor returns the second factor of staffID.
func (ss *StaffService) TwoFactor(ctx context.Context, staffID int64) (roster.TwoFactor, error) {
	var tf roster.TwoFactor
	err := ss.db.queryRow(ctx, "SELECT confirmed_at FROM staff_two_factor WHERE staff_id = ?", staffID).Scan(timeScan{&tf.ConfirmedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return tf, nil
	}
	if err != nil {
		return tf, formatError(err, "two-factor")
	}
	tf.Enabled = !tf.ConfirmedAt.IsZero()
	if tf.Enabled {
		err = ss.db.queryRow(ctx, "SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL", staffID).Scan(&tf.RecoveryLeft)
	}
	return tf, formatError(err, "two-factor")
}

// BeginTwoFactor stores a new pending secret for staffID.
func (ss *StaffService) BeginTwoFactor(ctx context.Context, staffID int64) (string, error) {
	raw, secret := roster.NewTOTPSecret()
	sealed, err := ss.seal(ctx, staffID, raw)
	if err != nil {
		return "", err
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	var confirmed time.Time
	err = tx.queryRow(ctx, "SELECT confirmed_at FROM staff_two_factor WHERE staff_id = ?"+ss.db.forUpdate(), staffID).Scan(timeScan{&confirmed})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.exec(ctx, "INSERT INTO staff_two_factor (staff_id, secret, created_at) VALUES (?, ?, ?)", staffID, sealed, ss.db.timeArg(tx.now))
	case err != nil:
	case !confirmed.IsZero():
		return "", roster.Errorf(roster.ECONFLICT, "Two-factor sign-in is already on for this account: turn it off first.")
	default:
		_, err = tx.exec(ctx, "UPDATE staff_two_factor SET secret = ?, last_step = 0, created_at = ? WHERE staff_id = ?", sealed, ss.db.timeArg(tx.now), staffID)
	}
	if err != nil {
		return "", formatError(err, "begin two-factor")
	}
	return secret, tx.commit()
}

var errBadCode = roster.FieldErrors{"code": "is not the current code of your authenticator app"}.Err()

// ConfirmTwoFactor puts the pending secret of staffID in force.
func (ss *StaffService) ConfirmTwoFactor(ctx context.Context, staffID int64, code string) ([]string, error) {
	aead, err := ss.sealer(ctx)
	if err != nil {
		return nil, err
	}
	attempt, err := ss.db.countAttempt(ctx, []string{fmt.Sprintf("totp:%d", staffID)}, []roster.Throttle{roster.LoginThrottle}, eachKey(roster.LoginThrottle), nil)
	if err != nil {
		return nil, err
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var sealed string
	var confirmed time.Time
	err = tx.queryRow(ctx, "SELECT secret, confirmed_at FROM staff_two_factor WHERE staff_id = ?"+ss.db.forUpdate(), staffID).Scan(&sealed, timeScan{&confirmed})
	if errors.Is(err, sql.ErrNoRows) || err == nil && !confirmed.IsZero() {
		return nil, roster.Errorf(roster.ECONFLICT, "There is no enrolment waiting for a code: start again.")
	}
	if err != nil {
		return nil, formatError(err, "confirm two-factor")
	}
	secret, err := open(aead, staffID, sealed)
	if err != nil {
		return nil, err
	}
	step, ok := roster.MatchTOTP(secret, code, tx.now, 0)
	if !ok {
		return nil, errBadCode
	}
	if _, err := tx.exec(ctx, "UPDATE staff_two_factor SET confirmed_at = ?, last_step = ? WHERE staff_id = ?", ss.db.timeArg(tx.now), int64(step), staffID); err != nil {
		return nil, formatError(err, "confirm two-factor")
	}
	codes := roster.NewRecoveryCodes(roster.RecoveryCodes)
	if _, err := tx.exec(ctx, "DELETE FROM staff_recovery_codes WHERE staff_id = ?", staffID); err != nil {
		return nil, formatError(err, "confirm two-factor")
	}
	for _, c := range codes {
		if _, err := tx.exec(ctx, "INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES (?, ?)", staffID, hashSecret(roster.NormalizeCode(c))); err != nil {
			return nil, formatError(err, "confirm two-factor")
		}
	}
	if err := tx.forgive(ctx, attempt); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, "staff.two_factor.enable", "staff", fmt.Sprint(staffID), nil, ""); err != nil {
		return nil, err
	}
	return codes, tx.commit()
}

// useCode checks code, a TOTP code or a recovery code, for staffID within
// tx and spends it: a TOTP step and a recovery code each work once, also
// when two requests bring the same one at the same moment (the UPDATEs
// only succeed for the first).
func (ss *StaffService) useCode(ctx context.Context, tx *Tx, aead cipher.AEAD, staffID int64, code string) (bool, error) {
	if roster.IsRecoveryCode(code) {
		res, err := tx.exec(ctx, "UPDATE staff_recovery_codes SET used_at = ? WHERE staff_id = ? AND code_hash = ? AND used_at IS NULL",
			ss.db.timeArg(tx.now), staffID, hashSecret(roster.NormalizeCode(code)))
		if err != nil {
			return false, formatError(err, "check code")
		}
		n, _ := res.RowsAffected()
		if n == 1 {
			return true, tx.audit(ctx, "staff.two_factor.recovery_code", "staff", fmt.Sprint(staffID), nil, "")
		}
		return false, nil
	}
	var sealed string
	var last int64
	err := tx.queryRow(ctx, "SELECT secret, last_step FROM staff_two_factor WHERE staff_id = ? AND confirmed_at IS NOT NULL", staffID).Scan(&sealed, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, formatError(err, "check code")
	}
	secret, err := open(aead, staffID, sealed)
	if err != nil {
		return false, err
	}
	step, ok := roster.MatchTOTP(secret, code, tx.now, uint64(last))
	if !ok {
		return false, nil
	}
	res, err := tx.exec(ctx, "UPDATE staff_two_factor SET last_step = ? WHERE staff_id = ? AND last_step < ?", int64(step), staffID, int64(step))
	if err != nil {
		return false, formatError(err, "check code")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// DisableTwoFactor removes staffID's second factor after its password and
// a code.
func (ss *StaffService) DisableTwoFactor(ctx context.Context, staffID int64, plain, code string) error {
	attempt, err := ss.db.countAttempt(ctx, []string{fmt.Sprintf("password:%d", staffID)}, []roster.Throttle{roster.LoginThrottle}, eachKey(roster.LoginThrottle), nil)
	if err != nil {
		return err
	}
	s, err := ss.FindStaffByID(ctx, staffID)
	if err != nil {
		return err
	}
	aead, err := ss.sealer(ctx)
	if err != nil {
		return err
	}
	if err := password.Verify(plain, s.PasswordHash); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			slog.Error("stored staff password hash is unusable", "staff_id", s.ID, "err", err)
		}
		return roster.FieldErrors{"current_password": "is not your password"}.Err()
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ok, err := ss.useCode(ctx, tx, aead, staffID, code)
	if err != nil {
		return err
	}
	if !ok {
		// The password was right: the failure counted is the code's. The
		// transaction is dropped, so the count stays.
		return roster.FieldErrors{"code": "is not a current code of your app nor an unused recovery code"}.Err()
	}
	if err := deleteTwoFactor(ctx, tx, staffID); err != nil {
		return err
	}
	if err := tx.forgive(ctx, attempt); err != nil {
		return err
	}
	if err := tx.audit(ctx, "staff.two_factor.disable", "staff", fmt.Sprint(staffID), nil, ""); err != nil {
		return err
	}
	return tx.commit()
}

func deleteTwoFactor(ctx context.Context, tx *Tx, staffID int64) error {
	if _, err := tx.exec(ctx, "DELETE FROM staff_two_factor WHERE staff_id = ?", staffID); err != nil {
		return formatError(err, "remove two-factor")
	}
	if _, err := tx.exec(ctx, "DELETE FROM staff_recovery_codes WHERE staff_id = ?", staffID); err != nil {
		return formatError(err, "remove two-factor")
	}
	return nil
}

// ResetTwoFactor removes the second factor of another account: an owner's
// act.
func (ss *StaffService) ResetTwoFactor(ctx context.Context, staffID int64) error {
	actor := roster.ActorFromContext(ctx)
	if !actor.MayManageOwners() {
		return roster.Errorf(roster.EFORBIDDEN, "Only an owner can reset another account's two-factor sign-in.")
	}
	if _, err := ss.FindStaffByID(ctx, staffID); err != nil {
		return err
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := deleteTwoFactor(ctx, tx, staffID); err != nil {
		return err
	}
	if err := tx.audit(ctx, "staff.two_factor.reset", "staff", fmt.Sprint(staffID), nil, ""); err != nil {
		return err
	}
	return tx.commit()
}

var errNoChallenge = roster.Errorf(roster.EUNAUTHORIZED, "This sign-in has expired. Please sign in again.")

// StartSignInChallenge records a pending second step for staffID.
func (ss *StaffService) StartSignInChallenge(ctx context.Context, staffID int64) (string, error) {
	token, hash := newSecret("")
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, "INSERT INTO signin_challenges (token_hash, staff_id, created_at) VALUES (?, ?, ?)", hash, staffID, ss.db.timeArg(tx.now)); err != nil {
		return "", formatError(err, "start sign-in")
	}
	if _, err := tx.exec(ctx, "DELETE FROM signin_challenges WHERE created_at < ?", ss.db.timeArg(tx.now.Add(-roster.SignInChallengeTTL))); err != nil {
		return "", formatError(err, "start sign-in")
	}
	return token, tx.commit()
}

// FindSignInChallenge returns the account of a pending second step.
func (ss *StaffService) FindSignInChallenge(ctx context.Context, token string) (*roster.Staff, error) {
	var staffID int64
	var created time.Time
	err := ss.db.queryRow(ctx, "SELECT staff_id, created_at FROM signin_challenges WHERE token_hash = ?", hashSecret(token)).Scan(&staffID, timeScan{&created})
	if errors.Is(err, sql.ErrNoRows) || err == nil && ss.db.Now().Sub(created) > roster.SignInChallengeTTL {
		return nil, errNoChallenge
	}
	if err != nil {
		return nil, formatError(err, "find sign-in")
	}
	s, err := ss.FindStaffByID(ctx, staffID)
	if err != nil || !s.Active {
		return nil, errNoChallenge
	}
	return s, nil
}

var errBadSecondFactor = roster.Errorf(roster.EUNAUTHORIZED, "That code is not right. Type the current code of your authenticator app, or an unused recovery code.")

// CompleteSignInChallenge checks the second step's code. Attempts count
// under the same kinds of keys as passwords (the account from this
// client, the client, the account), with keys of their own.
func (ss *StaffService) CompleteSignInChallenge(ctx context.Context, token, code, client string) (*roster.Staff, error) {
	s, err := ss.FindSignInChallenge(ctx, token)
	if err != nil {
		return nil, err
	}
	aead, err := ss.sealer(ctx)
	if err != nil {
		return nil, err
	}
	acct := fmt.Sprintf("totp:%d", s.ID)
	keys := []string{"pair:" + acct + " " + client, "client:" + client, "account:" + acct}
	limits := []roster.Throttle{roster.PairThrottle, roster.ClientThrottle, roster.AccountThrottle}
	check := func(f []roster.Failures, now time.Time) error { return roster.CheckStaffSignIn(f[0], f[1], f[2], now) }
	attempt, err := ss.db.countAttempt(ctx, keys, limits, check, func(tx *Tx, counts []int) error {
		if !roster.NotifyFailures(counts[2]) {
			return nil
		}
		return tx.notifyStaff(ctx, s.ID, roster.AlertSignInFailures, "Failed sign-ins on your Roster account",
			fmt.Sprintf("%d wrong second-factor codes for %s within %s, the last from %s.", counts[2], s.Email, roster.AccountThrottle.Window, client))
	})
	if err != nil {
		return nil, err
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, "DELETE FROM signin_challenges WHERE token_hash = ?", hashSecret(token))
	if err != nil {
		return nil, formatError(err, "sign in")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errNoChallenge // used meanwhile by a parallel request
	}
	ok, err := ss.useCode(roster.NewContextWithActor(ctx, roster.StaffActor(s)), tx, aead, s.ID, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadSecondFactor // rolled back: the challenge stays for another try
	}
	if err := tx.forgive(ctx, attempt); err != nil {
		return nil, err
	}
	return s, tx.commit()
}

// TwoFactorRequired tells whether owners and admins must use two-factor
// sign-in.
func (ss *StaffService) TwoFactorRequired(ctx context.Context) (bool, error) {
	var v string
	err := ss.db.queryRow(ctx, "SELECT value FROM settings WHERE key = ?", settingTwoFactorRequired).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return v == "true", formatError(err, "two-factor setting")
}

// SetTwoFactorRequired turns the rule on or off: an owner's act.
func (ss *StaffService) SetTwoFactorRequired(ctx context.Context, on bool) error {
	actor := roster.ActorFromContext(ctx)
	if !actor.MayManageOwners() {
		return roster.Errorf(roster.EFORBIDDEN, "Only an owner can change whether two-factor sign-in is required.")
	}
	if on && actor.StaffID != 0 {
		// Else the owner would be sent to enrol at once, with the rule
		// out of reach.
		if tf, err := ss.TwoFactor(ctx, actor.StaffID); err != nil {
			return err
		} else if !tf.Enabled {
			return roster.Errorf(roster.ECONFLICT, "Turn on two-factor sign-in for your own account first (Account → Two-factor sign-in).")
		}
	}
	before, err := ss.TwoFactorRequired(ctx)
	if err != nil {
		return err
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		settingTwoFactorRequired, fmt.Sprint(on)); err != nil {
		return formatError(err, "two-factor setting")
	}
	if before != on {
		if err := tx.audit(ctx, "settings.two_factor_required", "settings", settingTwoFactorRequired,
			map[string]roster.Change{"two_factor_required": {Before: before, After: on}}, ""); err != nil {
			return err
		}
	}
	return tx.commit()
}

// trimUA bounds a user agent as sessions store it.
func trimUA(ua string) string {
	if len(ua) > 255 {
		ua = ua[:255]
	}
	return strings.ToValidUTF8(ua, "")
}
