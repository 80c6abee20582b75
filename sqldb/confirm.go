package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"roster"
)

// Email confirmation (double opt-in): the messages a new or changed
// address calls for, queued in the transaction of the change, and the
// confirmation itself, by the user's link or by staff with a reason.

// emailMessages queues, in tx, what u's address calls for: when the policy
// requires confirmation, a confirmation link to a new user's unconfirmed
// address or to a changed one; when the address changed (from oldEmail),
// a notice to the old address. A changed address also ends the open
// confirmation links of the old one.
func (tx *Tx) emailMessages(ctx context.Context, u *roster.User, oldEmail string, created bool) error {
	changed := !created && oldEmail != u.Email
	if !created && !changed {
		return nil
	}
	if changed {
		if _, err := tx.exec(ctx, "UPDATE link_tokens SET revoked_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL",
			tx.db.timeArg(tx.now), u.ID, string(roster.LinkConfirm)); err != nil {
			return formatError(err, "revoke confirmation links")
		}
	}
	if tx.db.Mail == nil {
		return nil
	}
	policy, err := tx.db.AccountPolicy(ctx)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if policy.ConfirmationRequired && u.Email != "" && !u.EmailConfirmed {
		if err := tx.sendConfirmation(ctx, u.ID, u.Email, name); err != nil {
			return err
		}
	}
	if changed && oldEmail != "" {
		if _, err := tx.enqueue(ctx, tx.db.Mail, u.ID, oldEmail, roster.TemplateEmailChanged, roster.MailData{Name: name}); err != nil {
			return err
		}
		tx.mailed = true
	}
	return nil
}

// sendConfirmation makes a new confirmation link for the user (older ones
// stop working) and queues it to email.
func (tx *Tx) sendConfirmation(ctx context.Context, userID int64, email, name string) error {
	token, ttl, err := tx.newLink(ctx, userID, roster.LinkConfirm)
	if err != nil {
		return err
	}
	if _, err := tx.enqueue(ctx, tx.db.Mail, userID, email, roster.TemplateConfirmEmail,
		roster.MailData{Name: name, LinkPath: linkPath(roster.LinkConfirm, token), Expires: ttlWords(ttl)}); err != nil {
		return err
	}
	tx.mailed = true
	return nil
}

// SendConfirmation queues a new confirmation link to the user's address,
// sent by staff.
func (s *AccountService) SendConfirmation(ctx context.Context, id string) (*roster.OutboxMessage, error) {
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
		return nil, formatError(err, "send confirmation")
	}
	if u.email == "" {
		return nil, roster.FieldErrors{"email": "is empty: the user has no address to confirm"}.Err()
	}
	token, ttl, err := tx.newLink(ctx, u.id, roster.LinkConfirm)
	if err != nil {
		return nil, err
	}
	m, err := tx.enqueue(ctx, s.mail, u.id, u.email, roster.TemplateConfirmEmail,
		roster.MailData{Name: u.name, LinkPath: linkPath(roster.LinkConfirm, token), Expires: ttlWords(ttl)})
	if err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, "user.confirmation_send", "user", u.publicID, nil, u.email); err != nil {
		return nil, err
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	s.wake()
	return m, nil
}

// ConfirmEmail uses a confirmation link once: the link is taken by one
// conditional UPDATE, so that of concurrent uses exactly one confirms (and
// the others are told why they cannot).
func (s *AccountService) ConfirmEmail(ctx context.Context, token string) (*roster.Link, error) {
	if token == "" || len(token) > 100 {
		return nil, roster.LinkError(roster.LinkUnknown)
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	uid, err := tx.takeLink(ctx, roster.LinkConfirm, token)
	if err != nil {
		return nil, err
	}
	u, err := tx.lockUser(ctx, "id = ?", uid)
	if err != nil {
		return nil, formatError(err, "confirm email")
	}
	if err := tx.confirmEmail(ctx, u, "user.email_confirm", roster.UserActing(ctx, u.publicID), ""); err != nil {
		return nil, err
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	return &roster.Link{Purpose: roster.LinkConfirm, UserID: u.id, Email: u.email}, nil
}

// takeLink uses the link of purpose with token in tx and returns its user:
// one conditional UPDATE whose rows affected decide between concurrent
// uses. The link error says why when it cannot be used.
func (tx *Tx) takeLink(ctx context.Context, purpose roster.LinkPurpose, token string) (int64, error) {
	th := hashSecret(token)
	var uid int64
	err := tx.queryRow(ctx, "UPDATE link_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? RETURNING user_id",
		tx.db.timeArg(tx.now), th, string(purpose), tx.db.timeArg(tx.now)).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		// Someone else used it first, or it just expired: say which.
		_, err := scanLink(tx.queryRow(ctx, linkSelect, th, string(purpose)), tx.now)
		if err == nil {
			err = roster.LinkError(roster.LinkUsed)
		}
		return 0, err
	} else if err != nil {
		return 0, formatError(err, "use link")
	}
	return uid, nil
}

// confirmEmail marks u's address confirmed now, ends its other open
// confirmation links and writes the audit entry (as actx's actor) with
// note.
func (tx *Tx) confirmEmail(ctx context.Context, u *linkUser, action string, actx context.Context, note string) error {
	var was bool
	if err := tx.queryRow(ctx, "SELECT email_confirmed FROM users WHERE id = ?", u.id).Scan(boolScan{&was}); err != nil {
		return formatError(err, "confirm email")
	}
	if _, err := tx.exec(ctx, "UPDATE users SET email_confirmed = ?, email_confirmed_at = ?, updated_at = ? WHERE id = ?",
		true, tx.db.timeArg(tx.now), tx.db.timeArg(tx.now), u.id); err != nil {
		return formatError(err, "confirm email")
	}
	if _, err := tx.exec(ctx, "UPDATE link_tokens SET revoked_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL",
		tx.db.timeArg(tx.now), u.id, string(roster.LinkConfirm)); err != nil {
		return formatError(err, "confirm email")
	}
	if err := tx.logChange(ctx, u.id, roster.ChangeUpsert); err != nil {
		return err
	}
	changes := map[string]roster.Change{}
	if !was {
		changes["email_confirmed"] = roster.Change{Before: false, After: true}
	}
	if note == "" {
		note = u.email
	}
	return tx.audit(actx, action, "user", u.publicID, changes, note)
}

// MarkEmailConfirmed marks the user's address confirmed by staff, for
// reason.
func (s *AccountService) MarkEmailConfirmed(ctx context.Context, id, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return roster.FieldErrors{"reason": "is required: say how the address was confirmed"}.Err()
	}
	if msg := roster.TextProblem(reason, roster.MaxTextLen, false); msg != "" {
		return roster.FieldErrors{"reason": msg}.Err()
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	u, err := tx.lockUser(ctx, "public_id = ?", id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return roster.Errorf(roster.ENOTFOUND, "No user %s.", id)
		}
		return formatError(err, "confirm email")
	}
	if u.email == "" {
		return roster.FieldErrors{"email": "is empty: the user has no address to confirm"}.Err()
	}
	if err := tx.confirmEmail(ctx, u, "user.email_confirm", ctx, reason); err != nil {
		return err
	}
	return tx.commit()
}
