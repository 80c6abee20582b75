package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"roster"
	"roster/password"
)

// Ensure AccountService implements the domain interface.
var _ roster.AccountService = (*AccountService)(nil)

// AccountService runs invites and password resets: each makes a single-use
// link and queues its message in the same transaction as the change.
type AccountService struct {
	db   *DB
	mail roster.MailRenderer
	// Wake, when set, is called after a commit that queued a message: the
	// delivery worker of this process starts on it at once.
	Wake func()
}

// NewAccountService returns an AccountService on db rendering its messages
// with r, which also becomes db's renderer (DB.Mail) unless it has one.
func NewAccountService(db *DB, r roster.MailRenderer) *AccountService {
	if db.Mail == nil {
		db.Mail = r
	}
	return &AccountService{db: db, mail: r}
}

// Self-service reset requests are counted per address and per client in
// windows of resetWindow: an address gets resetPerAddress messages (more
// requests get the same answer and no message), a client resetPerClient
// requests (more are refused).
const (
	resetWindow     = time.Hour
	resetPerAddress = 3
	resetPerClient  = 20
)

// linkToken is a new link's secret and the hash it is stored under.
func linkToken() (token, hash string) { return newSecret("") }

// linkUser is what the account steps read of a user.
type linkUser struct {
	id       int64
	publicID string
	email    string
	name     string
	status   roster.UserStatus
}

// lockUser reads the user with public id in tx, locking the row on
// PostgreSQL so that two invites of one user queue.
func (tx *Tx) lockUser(ctx context.Context, where string, arg any) (*linkUser, error) {
	u := &linkUser{}
	var first, last string
	err := tx.queryRow(ctx, "SELECT id, public_id, COALESCE(email, ''), first_name, last_name, status FROM users WHERE "+where+tx.db.forUpdate(), arg).
		Scan(&u.id, &u.publicID, &u.email, &first, &last, (*string)(&u.status))
	if err != nil {
		return nil, err
	}
	u.name = strings.TrimSpace(first + " " + last)
	return u, nil
}

// newLink revokes the user's open links of purpose and stores a new one,
// returning its token and how long it works (the account policy's TTL).
func (tx *Tx) newLink(ctx context.Context, userID int64, purpose roster.LinkPurpose) (string, time.Duration, error) {
	policy, err := tx.db.AccountPolicy(ctx)
	if err != nil {
		return "", 0, err
	}
	ttl := policy.TTL(purpose)
	if _, err := tx.exec(ctx, "UPDATE link_tokens SET revoked_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL",
		tx.db.timeArg(tx.now), userID, string(purpose)); err != nil {
		return "", 0, formatError(err, "revoke links")
	}
	token, hash := linkToken()
	if _, err := tx.exec(ctx, "INSERT INTO link_tokens (token_hash, purpose, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		hash, string(purpose), userID, tx.db.timeArg(tx.now), tx.db.timeArg(tx.now.Add(ttl))); err != nil {
		return "", 0, formatError(err, "create link")
	}
	return token, ttl, nil
}

// linkPath is the hosted page a link of purpose opens.
func linkPath(purpose roster.LinkPurpose, token string) string {
	return "/u/" + string(purpose) + "/" + token
}

// ttlWords says a TTL in words for a message.
func ttlWords(d time.Duration) string { return roster.DurationWords(d) }

// sendLink is the staff step of invites and resets: in one transaction it
// checks the user, (for an invite) sets the status, makes the link, queues
// the message and writes the audit entry.
func (s *AccountService) sendLink(ctx context.Context, id string, purpose roster.LinkPurpose) (*roster.OutboxMessage, error) {
	op, action, tmpl := "send password reset", "user.password_reset_send", roster.TemplateResetPassword
	if purpose == roster.LinkInvite {
		op, action, tmpl = "invite user", "user.invite", roster.TemplateInvite
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	u, err := tx.lockUser(ctx, "public_id = ?", id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, roster.Errorf(roster.ENOTFOUND, "No user %s.", id)
		}
		return nil, formatError(err, op)
	}
	if u.email == "" {
		return nil, roster.FieldErrors{"email": "is empty: the user has no address to send to"}.Err()
	}
	if u.status == roster.StatusBanned {
		return nil, roster.Errorf(roster.ECONFLICT, "This user is banned: set them active first.")
	}
	changes := map[string]roster.Change{}
	note := ""
	prior := u.status
	if purpose == roster.LinkInvite {
		if u.status == roster.StatusInvited {
			note = "resent"
			before, err := tx.priorStatuses(ctx, []int64{u.id})
			if err != nil {
				return nil, err
			}
			prior = before[u.id]
		} else {
			if _, err := tx.exec(ctx, "UPDATE users SET status = ?, updated_at = ? WHERE id = ?", string(roster.StatusInvited), s.db.timeArg(tx.now), u.id); err != nil {
				return nil, formatError(err, op)
			}
			if err := tx.logChange(ctx, u.id, roster.ChangeUpsert); err != nil {
				return nil, err
			}
			changes["status"] = roster.Change{Before: string(u.status), After: string(roster.StatusInvited)}
		}
	}
	token, ttl, err := tx.newLink(ctx, u.id, purpose)
	if err != nil {
		return nil, err
	}
	if purpose == roster.LinkInvite {
		// Remembered for a revoke, which puts the status back.
		if _, err := tx.exec(ctx, "UPDATE link_tokens SET prior_status = ? WHERE token_hash = ?", string(prior), hashSecret(token)); err != nil {
			return nil, formatError(err, op)
		}
	}
	m, err := tx.enqueue(ctx, s.mail, u.id, u.email, tmpl, roster.MailData{Name: u.name, LinkPath: linkPath(purpose, token), Expires: ttlWords(ttl)})
	if err != nil {
		return nil, err
	}
	if note == "" {
		note = u.email
	} else {
		note += " to " + u.email
	}
	if err := tx.audit(ctx, action, "user", u.publicID, changes, note); err != nil {
		return nil, err
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	s.wake()
	return m, nil
}

// Renderer returns the renderer of the messages s queues.
func (s *AccountService) Renderer() roster.MailRenderer { return s.mail }

func (s *AccountService) wake() {
	if s.Wake != nil {
		s.Wake()
	}
}

// InviteUser marks the user invited and queues an invite.
func (s *AccountService) InviteUser(ctx context.Context, id string) (*roster.OutboxMessage, error) {
	return s.sendLink(ctx, id, roster.LinkInvite)
}

// SendPasswordReset queues a reset link sent by staff.
func (s *AccountService) SendPasswordReset(ctx context.Context, id string) (*roster.OutboxMessage, error) {
	return s.sendLink(ctx, id, roster.LinkReset)
}

// RequestPasswordReset is a user asking for a reset link. Whether or not
// the address is a user's, the same transaction runs (the counters, the
// lookup) and the same answer comes back; only a known, usable account gets
// a link and a message.
func (s *AccountService) RequestPasswordReset(ctx context.Context, email, client string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if !roster.ValidEmail(email) {
		return roster.FieldErrors{"email": "is not a valid email address"}.Err()
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if ok, err := tx.countRequest(ctx, "reset-client:"+client, resetPerClient, resetWindow); err != nil {
		return err
	} else if !ok {
		return roster.Errorf(roster.ETOOMANY, "Too many requests from your address. Try again in an hour.")
	}
	// A refused client's request rolls back with its count, which stays
	// over the limit until the window passes. An address over its
	// allowance goes on like any other, without a message.
	allowed, err := tx.countRequest(ctx, "reset-address:"+email, resetPerAddress, resetWindow)
	if err != nil {
		return err
	}
	u, err := tx.lockUser(ctx, "email = ?", email)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return formatError(err, "request password reset")
	}
	queued := false
	if err == nil && allowed && u.status != roster.StatusBanned {
		token, ttl, err := tx.newLink(ctx, u.id, roster.LinkReset)
		if err != nil {
			return err
		}
		if _, err := tx.enqueue(ctx, s.mail, u.id, u.email, roster.TemplateResetPassword,
			roster.MailData{Name: u.name, LinkPath: linkPath(roster.LinkReset, token), Expires: ttlWords(ttl)}); err != nil {
			return err
		}
		if err := tx.audit(roster.UserActing(ctx, u.publicID), "user.password_reset_request", "user", u.publicID, nil, client); err != nil {
			return err
		}
		queued = true
	}
	if err := tx.commit(); err != nil {
		return err
	}
	if queued {
		s.wake()
	}
	return nil
}

// countRequest counts a request for key in tx and reports whether it is
// within limit for the current window of length window; a window that has
// passed starts afresh. The one throttle of the hosted pages.
func (tx *Tx) countRequest(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	if len(key) > 400 {
		key = key[:400]
	}
	now := tx.db.timeArg(tx.now)
	if _, err := tx.exec(ctx, `INSERT INTO request_counts (key, count, window_start) VALUES (?, 0, ?)
		ON CONFLICT (key) DO UPDATE SET count = CASE WHEN request_counts.window_start < ? THEN 0 ELSE request_counts.count END,
			window_start = CASE WHEN request_counts.window_start < ? THEN ? ELSE request_counts.window_start END`,
		key, now, tx.db.timeArg(tx.now.Add(-window)), tx.db.timeArg(tx.now.Add(-window)), now); err != nil {
		return false, formatError(err, "count request")
	}
	var n int
	if err := tx.queryRow(ctx, "UPDATE request_counts SET count = count + 1 WHERE key = ? RETURNING count", key).Scan(&n); err != nil {
		return false, formatError(err, "count request")
	}
	return n <= limit, nil
}

// scanLink scans a link that linkSelect read: its user and, when it cannot
// be used at now, why.
func scanLink(row *sql.Row, now time.Time) (*roster.Link, error) {
	var used, revoked time.Time
	l := &roster.Link{}
	err := row.Scan((*string)(&l.Purpose), &l.UserID, &l.Email, timeScan{&l.ExpiresAt}, timeScan{&used}, timeScan{&revoked})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, roster.LinkError(roster.LinkUnknown)
	case err != nil:
		return nil, formatError(err, "find link")
	case !used.IsZero():
		return nil, roster.LinkError(roster.LinkUsed)
	case !revoked.IsZero():
		return nil, roster.LinkError(roster.LinkRevoked)
	case !now.Before(l.ExpiresAt):
		return nil, roster.LinkError(roster.LinkExpired)
	}
	return l, nil
}

const linkSelect = `SELECT l.purpose, l.user_id, COALESCE(u.email, ''), l.expires_at, l.used_at, l.revoked_at
	FROM link_tokens l JOIN users u ON u.id = l.user_id WHERE l.token_hash = ? AND l.purpose = ?`

// FindLink returns the link token opens for purpose, without using it.
func (s *AccountService) FindLink(ctx context.Context, purpose roster.LinkPurpose, token string) (*roster.Link, error) {
	if token == "" || len(token) > 100 {
		return nil, roster.LinkError(roster.LinkUnknown)
	}
	return scanLink(s.db.queryRow(ctx, linkSelect, hashSecret(token), string(purpose)), s.db.Now())
}

// UseLink uses a link once to set the user's password. The link is taken
// by one conditional UPDATE whose rows affected decide: of concurrent
// uses, exactly one changes the row and goes on.
func (s *AccountService) UseLink(ctx context.Context, purpose roster.LinkPurpose, token, pw string) (*roster.Link, error) {
	link, err := s.FindLink(ctx, purpose, token)
	if err != nil {
		return nil, err
	}
	if err := roster.UserPasswords.Check(pw, link.Email); err != nil {
		return nil, err
	}
	// Hashed before the transaction: 40 ms of CPU must not hold the writer.
	hash, err := password.Hash(pw)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	uid, err := tx.takeLink(ctx, purpose, token)
	if err != nil {
		return nil, err
	}
	u, err := tx.lockUser(ctx, "id = ?", uid)
	if err != nil {
		return nil, formatError(err, "use link")
	}
	l := &roster.Link{Purpose: purpose, UserID: u.id, Email: u.email}
	set, args := "password_hash = ?, password_set_at = ?, updated_at = ?", []any{hash, s.db.timeArg(tx.now), s.db.timeArg(tx.now)}
	changes := map[string]roster.Change{"password": {Before: roster.Redacted, After: roster.Redacted}}
	action := "user.password_reset"
	if purpose == roster.LinkInvite {
		action = "user.invite_accept"
		if u.status == roster.StatusInvited {
			set, args = set+", status = ?", append(args, string(roster.StatusActive))
			changes["status"] = roster.Change{Before: string(u.status), After: string(roster.StatusActive)}
		}
	}
	if _, err := tx.exec(ctx, "UPDATE users SET "+set+" WHERE id = ?", append(args, u.id)...); err != nil {
		return nil, formatError(err, "use link")
	}
	// The other open links of this purpose die with this one: an old reset
	// mail found later must not set the password again.
	if _, err := tx.exec(ctx, "UPDATE link_tokens SET revoked_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL",
		s.db.timeArg(tx.now), u.id, string(purpose)); err != nil {
		return nil, formatError(err, "use link")
	}
	if err := tx.logChange(ctx, u.id, roster.ChangeUpsert); err != nil {
		return nil, err
	}
	if err := tx.audit(roster.UserActing(ctx, u.publicID), action, "user", u.publicID, changes, ""); err != nil {
		return nil, err
	}
	// An accepted invite is welcomed, in the same transaction: no welcome
	// for an acceptance that rolls back.
	welcome := purpose == roster.LinkInvite && u.email != ""
	if welcome {
		if _, err := tx.enqueue(ctx, s.mail, u.id, u.email, roster.TemplateWelcome, roster.MailData{Name: u.name}); err != nil {
			return nil, err
		}
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	if welcome {
		s.wake()
	}
	return l, nil
}
