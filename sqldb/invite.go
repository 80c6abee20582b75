package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"roster"
)

// Ensure AccountService implements the domain interface.
var _ roster.InviteService = (*AccountService)(nil)

// inviteTarget is what a bulk invite reads of a user.
type inviteTarget struct {
	linkUser
	hasPassword bool
}

// skipReason says why an invite does not reach u, or "" when it does.
func (u *inviteTarget) skipReason() string {
	return roster.InviteSkip(u.email, u.status, u.hasPassword)
}

// inviteTargets reads the users with ids, in id order, locking their rows
// on PostgreSQL.
func (tx *Tx) inviteTargets(ctx context.Context, ids []int64) ([]*inviteTarget, error) {
	list, arg, err := tx.db.idList(ids)
	if err != nil {
		return nil, err
	}
	q := "SELECT u.id, u.public_id, COALESCE(u.email, ''), u.first_name, u.last_name, u.status, u.password_hash <> '' FROM users u WHERE u.id IN (SELECT id FROM " +
		list + " l) ORDER BY u.id"
	if tx.db.Dialect == Postgres {
		q += " FOR UPDATE OF u"
	}
	rows, err := tx.query(ctx, q, arg)
	if err != nil {
		return nil, formatError(err, "read invitees")
	}
	defer rows.Close()
	var out []*inviteTarget
	for rows.Next() {
		u := &inviteTarget{}
		var first, last string
		if err := rows.Scan(&u.id, &u.publicID, &u.email, &first, &last, (*string)(&u.status), &u.hasPassword); err != nil {
			return nil, formatError(err, "read invitees")
		}
		u.name = strings.TrimSpace(first + " " + last)
		out = append(out, u)
	}
	return out, formatError(rows.Err(), "read invitees")
}

// PreviewInvites counts what inviting the users with ids would do.
func (s *AccountService) PreviewInvites(ctx context.Context, ids []int64) (roster.InvitePreview, error) {
	p := roster.InvitePreview{Matched: len(ids)}
	// Counted in one statement: the confirmation page of 100,000 users
	// must not read them into memory.
	list, arg, err := s.db.idList(ids)
	if err != nil {
		return p, err
	}
	var found, noEmail, banned, accepted sql.NullInt64
	err = s.db.queryRow(ctx, `SELECT COUNT(*),
		SUM(CASE WHEN COALESCE(u.email, '') = '' THEN 1 ELSE 0 END),
		SUM(CASE WHEN COALESCE(u.email, '') <> '' AND u.status = ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN COALESCE(u.email, '') <> '' AND u.status = ? AND u.password_hash <> '' THEN 1 ELSE 0 END)
		FROM users u WHERE u.id IN (SELECT id FROM `+list+` l)`,
		string(roster.StatusBanned), string(roster.StatusActive), arg).Scan(&found, &noEmail, &banned, &accepted)
	if err != nil {
		return p, formatError(err, "preview invites")
	}
	p.NoEmail, p.Banned, p.Accepted = int(noEmail.Int64), int(banned.Int64), int(accepted.Int64)
	p.Gone = p.Matched - int(found.Int64)
	p.Invite = p.Matched - p.Skipped()
	return p, nil
}

// StartInvites queues the bulk invite of the users with ids.
func (s *AccountService) StartInvites(ctx context.Context, ids []int64, filter string) (*roster.Job, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return nil, roster.Errorf(roster.EINVALID, "No users match the filter: there is nobody to invite.")
	}
	p, err := s.PreviewInvites(ctx, ids)
	if err != nil {
		return nil, err
	}
	params, err := json.Marshal(roster.InviteParams{Filter: filter, IDs: ids})
	if err != nil {
		return nil, err
	}
	j := &roster.Job{Kind: roster.JobInvite, Params: params, Total: int64(len(ids)), Note: InviteNote(p, filter)}
	if err := NewJobService(s.db).CreateJob(ctx, j, nil, 0); err != nil {
		return nil, err
	}
	return j, nil
}

// InviteNote says what a bulk invite will do, for the audit log.
func InviteNote(p roster.InvitePreview, filter string) string {
	if filter == "" {
		filter = "(all users)"
	}
	note := fmt.Sprintf("invite %d of %d users matching %s", p.Invite, p.Matched, filter)
	var skips []string
	for _, s := range []struct {
		n    int
		what string
	}{{p.NoEmail, "without an email"}, {p.Banned, "banned"}, {p.Accepted, "who accepted already"}, {p.Gone, "deleted"}} {
		if s.n > 0 {
			skips = append(skips, fmt.Sprintf("%d %s", s.n, s.what))
		}
	}
	if len(skips) > 0 {
		note += "; skipping " + strings.Join(skips, ", ")
	}
	return note
}

// InviteBatch invites the users of ids (the next ones of job j, ascending)
// in one transaction and moves the job to the last of them.
func (s *AccountService) InviteBatch(ctx context.Context, j *roster.Job, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	users, err := tx.inviteTargets(ctx, ids)
	if err != nil {
		return err
	}
	tally := maps.Clone(j.Tally)
	if tally == nil {
		tally = map[string]int64{}
	}
	if gone := int64(len(ids) - len(users)); gone > 0 {
		tally[roster.InviteSkippedDeleted] += gone
	}
	var invite, fresh, again []*inviteTarget
	for _, u := range users {
		if r := u.skipReason(); r != "" {
			tally[r]++
			continue
		}
		invite = append(invite, u)
		if u.status == roster.StatusInvited {
			again = append(again, u)
		} else {
			fresh = append(fresh, u)
		}
	}
	tally[roster.InviteSent] += int64(len(invite))
	if len(invite) > 0 {
		if err := inviteMany(ctx, tx, s.mail, invite, fresh, again); err != nil {
			return err
		}
	}
	if err := tx.moveJob(ctx, j, ids[len(ids)-1], tally); err != nil {
		return err
	}
	if err := tx.commit(); err != nil {
		return err
	}
	j.Position, j.Tally = ids[len(ids)-1], tally
	if len(invite) > 0 {
		s.wake()
	}
	return nil
}

// inviteMany writes the invites of users in tx: fresh ones become invited
// (remembering their status), those invited already keep the status they
// had before; every one's older links stop working, and a new link and
// its message are stored.
func inviteMany(ctx context.Context, tx *Tx, mail roster.MailRenderer, users, fresh, again []*inviteTarget) error {
	ids := func(us []*inviteTarget) []int64 {
		out := make([]int64, len(us))
		for i, u := range us {
			out[i] = u.id
		}
		return out
	}
	prior := make(map[int64]roster.UserStatus, len(users))
	for _, u := range fresh {
		prior[u.id] = u.status
	}
	if len(again) > 0 {
		before, err := tx.priorStatuses(ctx, ids(again))
		if err != nil {
			return err
		}
		maps.Copy(prior, before)
	}
	if len(fresh) > 0 {
		list, arg, err := tx.db.idList(ids(fresh))
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE users SET status = ?, updated_at = ? WHERE id IN (SELECT id FROM "+list+" l)",
			string(roster.StatusInvited), tx.db.timeArg(tx.now), arg); err != nil {
			return formatError(err, "invite users")
		}
		if err := tx.appendChanges(ctx, "SELECT id, ?, ? FROM "+list+" l", false, string(roster.ChangeUpsert), tx.db.timeArg(tx.now), arg); err != nil {
			return err
		}
		tx.changed = append(tx.changed, ids(fresh)...)
	}
	list, arg, err := tx.db.idList(ids(users))
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "UPDATE link_tokens SET revoked_at = ? WHERE purpose = ? AND used_at IS NULL AND revoked_at IS NULL AND user_id IN (SELECT id FROM "+list+" l)",
		tx.db.timeArg(tx.now), string(roster.LinkInvite), arg); err != nil {
		return formatError(err, "revoke links")
	}
	policy, err := tx.db.AccountPolicy(ctx)
	if err != nil {
		return err
	}
	ttl := policy.TTL(roster.LinkInvite)
	msgs, hashes, err := renderInvites(mail, users, ttl, tx.now)
	if err != nil {
		return err
	}
	const per = 200
	created, expires := tx.db.timeArg(tx.now), tx.db.timeArg(tx.now.Add(ttl))
	for start := 0; start < len(users); start += per {
		part := users[start:min(start+per, len(users))]
		args := make([]any, 0, 6*len(part))
		for i, u := range part {
			args = append(args, hashes[start+i], string(roster.LinkInvite), u.id, created, expires, string(prior[u.id]))
		}
		q := "INSERT INTO link_tokens (token_hash, purpose, user_id, created_at, expires_at, prior_status) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?),", len(part)), ",")
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return formatError(err, "create links")
		}
	}
	return tx.enqueueMany(ctx, msgs)
}

// renderInvites makes each user's link and renders its message, on every
// core: the rendering is most of a batch's CPU, and the database waits for
// none of it twice.
func renderInvites(mail roster.MailRenderer, users []*inviteTarget, ttl time.Duration, now time.Time) ([]*roster.OutboxMessage, []string, error) {
	msgs := make([]*roster.OutboxMessage, len(users))
	hashes := make([]string, len(users))
	expires := ttlWords(ttl)
	workers := min(runtime.GOMAXPROCS(0), max(1, len(users)/50))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(users); i += workers {
				u := users[i]
				token, hash := linkToken()
				m, err := renderMessage(mail, u.id, u.email, roster.TemplateInvite, roster.MailData{Name: u.name, LinkPath: linkPath(roster.LinkInvite, token), Expires: expires}, now)
				if err != nil {
					errs[w] = err
					return
				}
				msgs[i], hashes[i] = m, hash
			}
		}()
	}
	wg.Wait()
	return msgs, hashes, errors.Join(errs...)
}

// Invite invites users an import row just wrote, in the row's
// transaction; the rows were checked with roster.InviteSkip.
func (w *importWriter) Invite(ctx context.Context, users []*roster.User) error {
	if len(users) == 0 {
		return nil
	}
	if w.mail == nil {
		return roster.Errorf(roster.EINVALID, "This import cannot send invites: the server has no mail set up.")
	}
	var all, fresh, again []*inviteTarget
	for _, u := range users {
		t := &inviteTarget{linkUser: linkUser{id: u.ID, publicID: u.PublicID, email: u.Email, name: strings.TrimSpace(u.FirstName + " " + u.LastName), status: u.Status},
			hasPassword: u.PasswordHash != ""}
		if r := t.skipReason(); r != "" {
			return fmt.Errorf("import: user %s cannot be invited (%s)", u.PublicID, r)
		}
		all = append(all, t)
		if u.Status == roster.StatusInvited {
			again = append(again, t)
		} else {
			fresh = append(fresh, t)
		}
	}
	if err := inviteMany(ctx, w.tx, w.mail, all, fresh, again); err != nil {
		return err
	}
	*w.invited += len(all)
	for _, u := range users {
		u.Status = roster.StatusInvited
	}
	return nil
}

// priorStatuses returns the status each of the users with ids had before
// their invite, as their newest invite link remembers it.
func (tx *Tx) priorStatuses(ctx context.Context, ids []int64) (map[int64]roster.UserStatus, error) {
	list, arg, err := tx.db.idList(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(ctx, "SELECT user_id, prior_status FROM link_tokens WHERE purpose = ? AND user_id IN (SELECT id FROM "+list+" l) ORDER BY id",
		string(roster.LinkInvite), arg)
	if err != nil {
		return nil, formatError(err, "read invites")
	}
	defer rows.Close()
	out := map[int64]roster.UserStatus{}
	for rows.Next() {
		var id int64
		var st string
		if err := rows.Scan(&id, &st); err != nil {
			return nil, formatError(err, "read invites")
		}
		out[id] = roster.UserStatus(st) // the newest last
	}
	return out, formatError(rows.Err(), "read invites")
}

// RevokeInvite takes back the invite of the user with public id.
func (s *AccountService) RevokeInvite(ctx context.Context, id string) error {
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
		return formatError(err, "revoke invite")
	}
	if u.status != roster.StatusInvited {
		return roster.Errorf(roster.ECONFLICT, "This user has no open invite: their status is %s.", u.status)
	}
	before, err := tx.priorStatuses(ctx, []int64{u.id})
	if err != nil {
		return err
	}
	back := before[u.id]
	if back == "" || back == roster.StatusInvited {
		back = roster.StatusPending
	}
	// The links expire now: their page says so, and what to do next,
	// without saying more about the account.
	now := tx.db.timeArg(tx.now)
	if _, err := tx.exec(ctx, "UPDATE link_tokens SET expires_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
		now, u.id, string(roster.LinkInvite), now); err != nil {
		return formatError(err, "revoke invite")
	}
	if _, err := tx.exec(ctx, "UPDATE outbox SET status = ?, last_error = ? WHERE user_id = ? AND template = ? AND status = ?",
		string(roster.OutboxFailed), "not sent: the invite was revoked", u.id, roster.TemplateInvite, string(roster.OutboxQueued)); err != nil {
		return formatError(err, "revoke invite")
	}
	if _, err := tx.exec(ctx, "UPDATE users SET status = ?, updated_at = ? WHERE id = ?", string(back), now, u.id); err != nil {
		return formatError(err, "revoke invite")
	}
	if err := tx.logChange(ctx, u.id, roster.ChangeUpsert); err != nil {
		return err
	}
	changes := map[string]roster.Change{"status": {Before: string(u.status), After: string(back)}}
	if err := tx.audit(ctx, "user.invite_revoke", "user", u.publicID, changes, u.email); err != nil {
		return err
	}
	return tx.commit()
}
