package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"

	"roster"
	"roster/password"
)

// errBadUserLogin is the one answer to an unknown login, a user without a
// usable password and a wrong password: it must not tell them apart.
var errBadUserLogin = roster.Errorf(roster.EUNAUTHORIZED, "Invalid login or password.")

// maxLoginLen bounds a login: no email (254) or client id is longer, and
// the login is stored as a throttle key.
const maxLoginLen = 320

// Authenticate checks an end user's sign-in. Attempts are throttled per
// login like staff sign-ins, with the same counters table under "user:"
// keys: the attempt is recorded as a failure before the password is
// checked, so that parallel guesses are slowed like sequential ones, and a
// success takes it back. There is no per-client throttle: the client is the
// operator's app, calling for all of its users.
func (s *UserService) Authenticate(ctx context.Context, login, plain string) (*roster.User, error) {
	return s.authenticate(ctx, login, plain, "")
}

// SignIn is Authenticate from a client that calls directly: failures are
// also counted for its address, across logins ("user-client:" keys, the
// staff sign-in's client throttle).
func (s *UserService) SignIn(ctx context.Context, login, plain, client string) (*roster.User, error) {
	return s.authenticate(ctx, login, plain, client)
}

func (s *UserService) authenticate(ctx context.Context, login, plain, client string) (*roster.User, error) {
	login = strings.TrimSpace(login)
	if login == "" || len(login) > maxLoginLen {
		password.Waste(plain)
		return nil, errBadUserLogin
	}
	keys, limits := []string{"user:" + strings.ToLower(login)}, []roster.Throttle{roster.LoginThrottle}
	if client != "" {
		keys, limits = append(keys, "user-client:"+client), append(limits, roster.ClientThrottle)
	}
	attempt, err := s.db.countAttempt(ctx, keys, limits, eachKey(limits...), nil)
	if err != nil {
		return nil, err
	}
	u, err := s.findUserByLogin(ctx, login)
	if err != nil && roster.ErrorCode(err) != roster.ENOTFOUND {
		return nil, err
	}
	if err != nil || u.PasswordHash == "" {
		// Spend the time of a real check so that response times do not
		// tell which logins exist.
		password.Waste(plain)
		return nil, errBadUserLogin
	}
	if err := password.Verify(plain, u.PasswordHash); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			// Refused at once (unknown format, cost over the limits):
			// nothing a sign-in can fix, and the log says which user.
			slog.Error("stored user password hash is unusable", "user_id", u.ID, "err", err)
			password.Waste(plain)
		}
		return nil, errBadUserLogin
	}
	// Only once the password matched: telling a user why their account
	// is not active reveals nothing to someone who does not know their
	// password. A refused sign-in records nothing: an expired account
	// stays expired until its password is reset.
	rule, err := s.db.AccessRule(ctx)
	if err != nil {
		return nil, err
	}
	if a := rule.Of(u); a != roster.AccessActive {
		return nil, roster.AccessError(a)
	}
	// Hashed before the transaction: 40 ms of CPU must not hold the writer.
	var rehash string
	if password.NeedsRehash(u.PasswordHash) {
		if rehash, err = password.Hash(plain); err != nil {
			return nil, err
		}
	}
	if s.afterPasswordCheck != nil {
		s.afterPasswordCheck()
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.forgive(ctx, attempt); err != nil {
		return nil, err
	}
	res, err := tx.exec(ctx, "UPDATE users SET last_login = ? WHERE id = ?", s.db.timeArg(tx.now), u.ID)
	if err != nil {
		return nil, formatError(err, "authenticate")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errBadUserLogin // deleted meanwhile
	}
	if rehash != "" {
		// Only over the hash just checked: a password set meanwhile (by
		// staff or a reset) wins over this sign-in's copy of the old one.
		res, err := tx.exec(ctx, "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?", rehash, u.ID, u.PasswordHash)
		if err != nil {
			return nil, formatError(err, "authenticate")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			u.PasswordHash = rehash
		}
	}
	// The index keeps last_login; no audit entry: this is not a staff action.
	if err := tx.logChange(ctx, u.ID, roster.ChangeUpsert); err != nil {
		return nil, err
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	u.LastLogin = tx.now
	return u, nil
}

// findUserByLogin returns the user whose email is login in any case or,
// when there is none, the user whose client id is login. ENOTFOUND.
func (s *UserService) findUserByLogin(ctx context.Context, login string) (*roster.User, error) {
	reg, err := loadRegistry(ctx, s.db.read, s.db)
	if err != nil {
		return nil, err
	}
	sc := newUserScanner()
	u, err := sc.scan(s.db.queryRow(ctx, userSelect+" WHERE email = ?", strings.ToLower(login)), reg)
	if errors.Is(err, sql.ErrNoRows) {
		u, err = sc.scan(s.db.queryRow(ctx, userSelect+" WHERE client_id = ?", login), reg)
	}
	if err != nil {
		return nil, formatError(err, "find user by login")
	}
	if err := s.db.attachRefs(ctx, s.db.read, []*roster.User{u}, u.ID, u.ID); err != nil {
		return nil, err
	}
	return u, nil
}

// CheckPassword checks the password of the user id, throttled as a
// sign-in of their email; a success forgives the attempt.
func (s *UserService) CheckPassword(ctx context.Context, id int64, plain string) error {
	var login, hash string
	err := s.db.queryRow(ctx, "SELECT coalesce(email, public_id), password_hash FROM users WHERE id = ?", id).Scan(&login, &hash)
	if err != nil {
		return notFound(err, "user", "check password")
	}
	attempt, err := s.db.countAttempt(ctx, []string{"user:" + strings.ToLower(login)}, []roster.Throttle{roster.LoginThrottle}, eachKey(roster.LoginThrottle), nil)
	if err != nil {
		return err
	}
	if hash == "" {
		password.Waste(plain)
		return errBadPassword
	}
	if err := password.Verify(plain, hash); err != nil {
		return errBadPassword
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.forgive(ctx, attempt); err != nil {
		return err
	}
	return tx.commit()
}

// errBadPassword refuses a wrong current password, by its field.
var errBadPassword = &roster.Error{Code: roster.EINVALID, Message: "The current password is wrong.", Fields: map[string]string{"current_password": "is wrong"}, Position: -1}
