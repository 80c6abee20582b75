package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"roster"
	"roster/password"
)

// Ensure StaffService implements the domain interface.
var _ roster.StaffService = (*StaffService)(nil)

// StaffService stores staff accounts, sessions and API tokens.
type StaffService struct {
	db *DB
}

// NewStaffService returns a StaffService on db.
func NewStaffService(db *DB) *StaffService { return &StaffService{db: db} }

const staffSelect = "SELECT id, email, name, role, password_hash, time_zone, active, created_at, updated_at, last_login_at FROM staff"

func scanStaff(row interface{ Scan(...any) error }) (*roster.Staff, error) {
	s := &roster.Staff{}
	err := row.Scan(&s.ID, &s.Email, &s.Name, (*string)(&s.Role), &s.PasswordHash, &s.TimeZone, boolScan{&s.Active}, timeScan{&s.CreatedAt}, timeScan{&s.UpdatedAt}, timeScan{&s.LastLoginAt})
	return s, err
}

// CreateStaff validates and stores s with a hash of plain.
func (ss *StaffService) CreateStaff(ctx context.Context, s *roster.Staff, plain string) error {
	s.Email = strings.ToLower(strings.TrimSpace(s.Email))
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	s.Active = true
	if err := s.Validate(); err != nil {
		return err
	}
	if err := roster.CheckStaffPermission(roster.ActorFromContext(ctx), nil, s, false); err != nil {
		return err
	}
	h, err := hashPassword(plain, roster.StaffPasswords, s.Email)
	if err != nil {
		return err
	}
	s.PasswordHash = h
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	s.CreatedAt, s.UpdatedAt = tx.now, tx.now
	s.ID, err = tx.insert(ctx, "INSERT INTO staff (email, name, role, password_hash, time_zone, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		s.Email, s.Name, string(s.Role), s.PasswordHash, s.TimeZone, true, ss.db.timeArg(tx.now), ss.db.timeArg(tx.now))
	if err != nil {
		return formatError(err, "create staff")
	}
	changes := map[string]roster.Change{"email": {After: s.Email}, "role": {After: s.Role}, "password": {After: roster.Redacted}}
	if s.Name != "" {
		changes["name"] = roster.Change{After: s.Name}
	}
	if err := tx.audit(ctx, "staff.create", "staff", fmt.Sprint(s.ID), changes, ""); err != nil {
		return err
	}
	return tx.commit()
}

// FindStaffByID returns the staff account with id.
func (ss *StaffService) FindStaffByID(ctx context.Context, id int64) (*roster.Staff, error) {
	s, err := scanStaff(ss.db.queryRow(ctx, staffSelect+" WHERE id = ?", id))
	return s, formatError(err, "find staff")
}

// FindStaffByEmail returns the staff account with email.
func (ss *StaffService) FindStaffByEmail(ctx context.Context, email string) (*roster.Staff, error) {
	s, err := scanStaff(ss.db.queryRow(ctx, staffSelect+" WHERE email = ?", strings.ToLower(strings.TrimSpace(email))))
	return s, formatError(err, "find staff")
}

// FindStaff returns every staff account by email.
func (ss *StaffService) FindStaff(ctx context.Context) ([]*roster.Staff, error) {
	rows, err := ss.db.query(ctx, staffSelect+" ORDER BY email")
	if err != nil {
		return nil, formatError(err, "find staff")
	}
	defer rows.Close()
	var out []*roster.Staff
	for rows.Next() {
		s, err := scanStaff(rows)
		if err != nil {
			return nil, formatError(err, "find staff")
		}
		out = append(out, s)
	}
	return out, formatError(rows.Err(), "find staff")
}

// UpdateStaff changes the staff account with id. Demoting or deactivating
// the last active owner is refused: someone must be able to manage Roster.
func (ss *StaffService) UpdateStaff(ctx context.Context, id int64, upd roster.StaffUpdate) (*roster.Staff, error) {
	hash, err := hashNewPassword(upd.Password, roster.StaffPasswords, "")
	if err != nil {
		return nil, err
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// Lock this account and the active owners, always in id order so that
	// concurrent updates queue instead of deadlocking: two owners demoted
	// at once must not each count the other as the one who remains.
	if _, err := countRows(ctx, tx, "SELECT id FROM staff WHERE id = ? OR (role = 'owner' AND active = ?) ORDER BY id"+ss.db.forUpdate(), id, true); err != nil {
		return nil, formatError(err, "update staff")
	}
	before, err := scanStaff(tx.queryRow(ctx, staffSelect+" WHERE id = ?", id))
	if err != nil {
		return nil, formatError(err, "update staff")
	}
	s := *before
	changes := map[string]roster.Change{}
	if upd.Name != nil && *upd.Name != s.Name {
		changes["name"] = roster.Change{Before: s.Name, After: *upd.Name}
		s.Name = *upd.Name
	}
	if upd.Role != nil && *upd.Role != s.Role {
		changes["role"] = roster.Change{Before: s.Role, After: *upd.Role}
		s.Role = *upd.Role
	}
	if upd.TimeZone != nil && *upd.TimeZone != s.TimeZone {
		changes["time_zone"] = roster.Change{Before: s.TimeZone, After: *upd.TimeZone}
		s.TimeZone = *upd.TimeZone
	}
	if upd.Active != nil && *upd.Active != s.Active {
		changes["active"] = roster.Change{Before: s.Active, After: *upd.Active}
		s.Active = *upd.Active
	}
	if hash != "" {
		// Checked again now that the address is known.
		if err := roster.StaffPasswords.Check(*upd.Password, s.Email); err != nil {
			return nil, err
		}
		changes["password"] = roster.Change{Before: roster.Redacted, After: roster.Redacted}
		s.PasswordHash = hash
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := roster.CheckStaffPermission(roster.ActorFromContext(ctx), before, &s, changes["password"] != roster.Change{}); err != nil {
		return nil, err
	}
	var owners int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM staff WHERE role = 'owner' AND active = ? AND id <> ?", true, id).Scan(&owners); err != nil {
		return nil, formatError(err, "update staff")
	}
	if err := roster.CheckLastOwner(before, &s, owners); err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return before, nil
	}
	s.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, "UPDATE staff SET name = ?, role = ?, time_zone = ?, active = ?, password_hash = ?, updated_at = ? WHERE id = ?",
		s.Name, string(s.Role), s.TimeZone, s.Active, s.PasswordHash, ss.db.timeArg(tx.now), id); err != nil {
		return nil, formatError(err, "update staff")
	}
	if !s.Active || hash != "" {
		// A deactivated account or a changed password ends every session.
		if _, err := tx.exec(ctx, "DELETE FROM sessions WHERE staff_id = ?", id); err != nil {
			return nil, formatError(err, "update staff")
		}
	}
	if !s.Active && before.Active {
		// Deactivation revokes the account's API tokens for good:
		// reactivating it must not bring them back.
		if err := revokeStaffTokens(ctx, tx, id); err != nil {
			return nil, err
		}
	}
	if err := tx.audit(ctx, "staff.update", "staff", fmt.Sprint(id), changes, ""); err != nil {
		return nil, err
	}
	return &s, tx.commit()
}

var errBadLogin = roster.Errorf(roster.EUNAUTHORIZED, "Invalid email or password.")

// Authenticate checks a sign-in attempt. The attempt is counted as a
// failure before the password is checked, in one transaction that locks the
// counters: parallel guesses are throttled like sequential ones instead of
// all passing the check before any is recorded. A success takes its count
// back. The keys are the account from this client, the client, and the
// account from every client (roster.CheckStaffSignIn); when the account's
// failures reach roster.NotifyAt, the audit log records it.
func (ss *StaffService) Authenticate(ctx context.Context, email, plain, client string) (*roster.Staff, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	keys := []string{"pair:" + email + " " + client, "client:" + client, "account:" + email}
	limits := []roster.Throttle{roster.PairThrottle, roster.ClientThrottle, roster.AccountThrottle}
	check := func(f []roster.Failures, now time.Time) error { return roster.CheckStaffSignIn(f[0], f[1], f[2], now) }
	attempt, err := ss.db.countAttempt(ctx, keys, limits, check, func(tx *Tx, counts []int) error {
		if !roster.NotifyFailures(counts[2]) {
			return nil
		}
		var id int64
		err := tx.queryRow(ctx, "SELECT id FROM staff WHERE email = ?", email).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // no such account: nothing to tell anyone
		} else if err != nil {
			return formatError(err, "count sign-in")
		}
		note := fmt.Sprintf("%d failed sign-ins within %s, the last from %s", counts[2], roster.AccountThrottle.Window, client)
		if err := tx.audit(roster.NewContextWithActor(ctx, roster.Actor{Label: "system"}), "staff.sign_in_failures", "staff", fmt.Sprint(id), nil, note); err != nil {
			return err
		}
		return tx.notifyStaff(ctx, id, roster.AlertSignInFailures, "Failed sign-ins on your Roster account", note+".")
	})
	if err != nil {
		return nil, err
	}
	s, err := ss.FindStaffByEmail(ctx, email)
	if err != nil && roster.ErrorCode(err) != roster.ENOTFOUND {
		return nil, err
	}
	if err != nil || !s.Active {
		// Spend the same time as a real check so that response times do
		// not tell which emails have accounts.
		password.Waste(plain)
		return nil, errBadLogin
	}
	if err := password.Verify(plain, s.PasswordHash); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			slog.Error("stored staff password hash is unusable", "staff_id", s.ID, "err", err)
		}
		return nil, errBadLogin
	}
	var rehash string
	if password.NeedsRehash(s.PasswordHash) {
		rehash, _ = password.Hash(plain)
	}
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.forgive(ctx, attempt); err != nil {
		return nil, err
	}
	s.LastLoginAt = tx.now
	if _, err := tx.exec(ctx, "UPDATE staff SET last_login_at = ? WHERE id = ?", ss.db.timeArg(tx.now), s.ID); err != nil {
		return nil, formatError(err, "authenticate")
	}
	if rehash != "" {
		if _, err := tx.exec(ctx, "UPDATE staff SET password_hash = ? WHERE id = ?", rehash, s.ID); err != nil {
			return nil, formatError(err, "authenticate")
		}
	}
	if err := tx.audit(roster.NewContextWithActor(ctx, roster.StaffActor(s)), "staff.sign_in", "staff", fmt.Sprint(s.ID), nil, client); err != nil {
		return nil, err
	}
	return s, tx.commit()
}

// SignInFailures returns the failed sign-ins on the staff account with
// email, from every client, within the throttle's window: what the
// dashboard shows the account's owner.
func (ss *StaffService) SignInFailures(ctx context.Context, email string) (roster.Failures, error) {
	return ss.db.recentFailures(ctx, "account:"+strings.ToLower(strings.TrimSpace(email)), roster.AccountThrottle)
}

// newSecret returns a random token with prefix and the hex SHA-256 under
// which it is stored. Tokens have 256 bits of entropy, so a fast hash is
// enough: there is nothing to brute-force.
func newSecret(prefix string) (secret, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, hashSecret(secret)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a session for staffID.
func (ss *StaffService) CreateSession(ctx context.Context, staffID int64, ip, userAgent string) (string, error) {
	secret, hash := newSecret("")
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if len(userAgent) > 255 {
		userAgent = userAgent[:255]
	}
	if _, err := tx.exec(ctx, "INSERT INTO sessions (token_hash, staff_id, created_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?)",
		hash, staffID, ss.db.timeArg(tx.now), ss.db.timeArg(tx.now), ip, strings.ToValidUTF8(userAgent, "")); err != nil {
		return "", formatError(err, "create session")
	}
	// Expired sessions are swept here rather than by a timer: sign-ins
	// are frequent enough and no node needs a background job for it.
	if _, err := tx.exec(ctx, "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
		ss.db.timeArg(tx.now.Add(-roster.SessionIdleTimeout)), ss.db.timeArg(tx.now.Add(-roster.SessionAbsoluteTimeout))); err != nil {
		return "", formatError(err, "create session")
	}
	return secret, tx.commit()
}

var errNoSession = roster.Errorf(roster.EUNAUTHORIZED, "Please sign in.")

// sessionTouchEvery limits last-seen writes to one a minute per session.
const sessionTouchEvery = time.Minute

// FindSession returns the live session for token and its staff account.
func (ss *StaffService) FindSession(ctx context.Context, token string) (*roster.Session, *roster.Staff, error) {
	if token == "" {
		return nil, nil, errNoSession
	}
	sess := &roster.Session{}
	err := ss.db.queryRow(ctx, "SELECT id, staff_id, created_at, last_seen_at, ip, user_agent FROM sessions WHERE token_hash = ?", hashSecret(token)).
		Scan(&sess.ID, &sess.StaffID, timeScan{&sess.CreatedAt}, timeScan{&sess.LastSeenAt}, &sess.IP, &sess.UserAgent)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, errNoSession
		}
		return nil, nil, formatError(err, "find session")
	}
	now := ss.db.Now()
	if sess.Expired(now) {
		return nil, nil, roster.Errorf(roster.EUNAUTHORIZED, "Your session has expired. Please sign in again.")
	}
	s, err := ss.FindStaffByID(ctx, sess.StaffID)
	if err != nil || !s.Active {
		return nil, nil, errNoSession
	}
	if now.Sub(sess.LastSeenAt) > sessionTouchEvery {
		if _, err := ss.db.write.ExecContext(ctx, ss.db.rebind("UPDATE sessions SET last_seen_at = ? WHERE id = ?"), ss.db.timeArg(now), sess.ID); err != nil {
			return nil, nil, formatError(err, "touch session")
		}
		sess.LastSeenAt = now
	}
	return sess, s, nil
}

// DeleteSession ends the session for token.
func (ss *StaffService) DeleteSession(ctx context.Context, token string) error {
	_, err := ss.db.write.ExecContext(ctx, ss.db.rebind("DELETE FROM sessions WHERE token_hash = ?"), hashSecret(token))
	return formatError(err, "delete session")
}

// tokenPrefix marks Roster API tokens so that secret scanners can find
// leaked ones.
const tokenPrefix = "rst_"

// CreateToken makes an API token for staffID.
func (ss *StaffService) CreateToken(ctx context.Context, staffID int64, name string) (*roster.Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > roster.MaxNameLen {
		return nil, "", roster.FieldErrors{"name": "is required (at most 100 characters)"}.Err()
	}
	account, err := ss.FindStaffByID(ctx, staffID)
	if err != nil {
		return nil, "", err
	}
	if !account.Active {
		return nil, "", roster.FieldErrors{"staff_id": "is a deactivated account: its tokens would not work"}.Err()
	}
	if account.Role == roster.RoleOwner && !roster.ActorFromContext(ctx).MayManageOwners() {
		return nil, "", roster.Errorf(roster.EFORBIDDEN, "Only an owner can make a token for an owner.")
	}
	secret, hash := newSecret(tokenPrefix)
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	t := &roster.Token{StaffID: staffID, Name: name, Prefix: secret[:len(tokenPrefix)+6], CreatedAt: tx.now}
	t.ID, err = tx.insert(ctx, "INSERT INTO api_tokens (token_hash, staff_id, name, prefix, created_at) VALUES (?, ?, ?, ?, ?)",
		hash, staffID, name, t.Prefix, ss.db.timeArg(tx.now))
	if err != nil {
		return nil, "", formatError(err, "create token")
	}
	if err := tx.audit(ctx, "token.create", "token", fmt.Sprint(t.ID), map[string]roster.Change{"name": {After: name}, "staff_id": {After: staffID}}, ""); err != nil {
		return nil, "", err
	}
	return t, secret, tx.commit()
}

var errBadToken = roster.Errorf(roster.EUNAUTHORIZED, "Invalid or revoked API token.")

// FindStaffByToken returns the active staff account acting with secret.
func (ss *StaffService) FindStaffByToken(ctx context.Context, secret string) (*roster.Staff, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, errBadToken
	}
	var id, staffID int64
	var revoked, lastUsed time.Time
	err := ss.db.queryRow(ctx, "SELECT id, staff_id, revoked_at, last_used_at FROM api_tokens WHERE token_hash = ?", hashSecret(secret)).
		Scan(&id, &staffID, timeScan{&revoked}, timeScan{&lastUsed})
	if err != nil || !revoked.IsZero() {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, formatError(err, "find token")
		}
		return nil, errBadToken
	}
	s, err := ss.FindStaffByID(ctx, staffID)
	if err != nil || !s.Active {
		return nil, errBadToken
	}
	if now := ss.db.Now(); now.Sub(lastUsed) > sessionTouchEvery {
		if _, err := ss.db.write.ExecContext(ctx, ss.db.rebind("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"), ss.db.timeArg(now), id); err != nil {
			return nil, formatError(err, "touch token")
		}
	}
	return s, nil
}

// FindTokens returns the tokens of staffID (all tokens when 0), newest
// first.
func (ss *StaffService) FindTokens(ctx context.Context, staffID int64) ([]*roster.Token, error) {
	q, args := "SELECT id, staff_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens", []any{}
	if staffID != 0 {
		q, args = q+" WHERE staff_id = ?", append(args, staffID)
	}
	rows, err := ss.db.query(ctx, q+" ORDER BY id DESC", args...)
	if err != nil {
		return nil, formatError(err, "find tokens")
	}
	defer rows.Close()
	var out []*roster.Token
	for rows.Next() {
		t := &roster.Token{}
		if err := rows.Scan(&t.ID, &t.StaffID, &t.Name, &t.Prefix, timeScan{&t.CreatedAt}, timeScan{&t.LastUsedAt}, timeScan{&t.RevokedAt}); err != nil {
			return nil, formatError(err, "find tokens")
		}
		out = append(out, t)
	}
	return out, formatError(rows.Err(), "find tokens")
}

// RevokeToken revokes the token with id.
func (ss *StaffService) RevokeToken(ctx context.Context, id int64) error {
	tx, err := ss.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var role string
	err = tx.queryRow(ctx, "SELECT s.role FROM api_tokens t JOIN staff s ON s.id = t.staff_id WHERE t.id = ? AND t.revoked_at IS NULL", id).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return roster.Errorf(roster.ENOTFOUND, "No active token %d.", id)
	}
	if err != nil {
		return formatError(err, "revoke token")
	}
	if roster.Role(role) == roster.RoleOwner && !roster.ActorFromContext(ctx).MayManageOwners() {
		return roster.Errorf(roster.EFORBIDDEN, "Only an owner can revoke an owner's token.")
	}
	if err := revokeToken(ctx, tx, id); err != nil {
		return err
	}
	return tx.commit()
}

// revokeToken revokes the active token id in tx, with its audit entry.
func revokeToken(ctx context.Context, tx *Tx, id int64) error {
	if _, err := tx.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", tx.db.timeArg(tx.now), id); err != nil {
		return formatError(err, "revoke token")
	}
	return tx.audit(ctx, "token.revoke", "token", fmt.Sprint(id), nil, "")
}

// revokeStaffTokens revokes every active token of staffID in tx.
func revokeStaffTokens(ctx context.Context, tx *Tx, staffID int64) error {
	rows, err := tx.query(ctx, "SELECT id FROM api_tokens WHERE staff_id = ? AND revoked_at IS NULL ORDER BY id", staffID) //nolint:sqlclosecheck // scanIDs closes them
	if err != nil {
		return formatError(err, "revoke tokens")
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return formatError(err, "revoke tokens")
	}
	for _, id := range ids {
		if err := revokeToken(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}
