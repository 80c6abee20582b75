package sqldb

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"roster"
)

// Ensure OutboxService implements the domain interface.
var _ roster.OutboxService = (*OutboxService)(nil)

// OutboxService stores the outbox of messages to send. Messages are added
// by their causes with Tx.enqueue, in the cause's transaction; the delivery
// worker claims them with a lease and records each attempt.
type OutboxService struct {
	db *DB
}

// NewOutboxService returns an OutboxService on db.
func NewOutboxService(db *DB) *OutboxService { return &OutboxService{db: db} }

const outboxColumns = "id, message_id, COALESCE(user_id, 0), recipient, template, subject, body_text, body_html, unsubscribe_url, status, attempts, last_error, next_attempt_at, created_at, sent_at"

func scanOutbox(row interface{ Scan(...any) error }) (*roster.OutboxMessage, error) {
	m := &roster.OutboxMessage{}
	err := row.Scan(&m.ID, &m.MessageID, &m.UserID, &m.Recipient, &m.Template, &m.Subject, &m.Text, &m.HTML, &m.UnsubscribeURL,
		(*string)(&m.Status), &m.Attempts, &m.LastError, timeScan{&m.NextAttemptAt}, timeScan{&m.CreatedAt}, timeScan{&m.SentAt})
	return m, err
}

// newMessageID returns a Message-ID unique across nodes and time: 128
// random bits at domain.
func newMessageID(domain string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	if domain == "" {
		domain = "roster.invalid"
	}
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}

// enqueue renders template name for the user userID (0: none) and queues it
// to recipient in tx, due at once: the message commits or rolls back with
// its cause.
func (tx *Tx) enqueue(ctx context.Context, r roster.MailRenderer, userID int64, recipient, name string, d roster.MailData) (*roster.OutboxMessage, error) {
	m, err := renderMessage(r, userID, recipient, name, d, tx.now)
	if err != nil {
		return nil, err
	}
	var uid any
	if userID != 0 {
		uid = userID
	}
	m.ID, err = tx.insert(ctx, `INSERT INTO outbox (message_id, user_id, recipient, template, subject, body_text, body_html, unsubscribe_url, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.MessageID, uid, m.Recipient, m.Template, m.Subject, m.Text, m.HTML, m.UnsubscribeURL, string(m.Status), tx.db.timeArg(tx.now), tx.db.timeArg(tx.now))
	if err != nil {
		return nil, formatError(err, "enqueue")
	}
	return m, nil
}

// renderMessage renders template name for recipient into a queued message,
// due at now, not yet stored.
func renderMessage(r roster.MailRenderer, userID int64, recipient, name string, d roster.MailData, now time.Time) (*roster.OutboxMessage, error) {
	if r == nil {
		return nil, fmt.Errorf("enqueue %s: no mail renderer", name)
	}
	d.Email = recipient
	if d.Name == "" {
		d.Name = recipient
	}
	out, err := r.RenderMail(name, d)
	if err != nil {
		return nil, err
	}
	return &roster.OutboxMessage{
		MessageID: newMessageID(r.MessageIDDomain()), UserID: userID, Recipient: recipient, Template: name,
		Subject: out.Subject, Text: out.Text, HTML: out.HTML, UnsubscribeURL: out.UnsubscribeURL, Status: roster.OutboxQueued,
		NextAttemptAt: now, CreatedAt: now,
	}, nil
}

// enqueueMany stores rendered messages, due at tx's time, a few hundred
// rows a statement: a bulk invite's batch.
func (tx *Tx) enqueueMany(ctx context.Context, ms []*roster.OutboxMessage) error {
	const per = 200
	now := tx.db.timeArg(tx.now)
	for start := 0; start < len(ms); start += per {
		part := ms[start:min(start+per, len(ms))]
		args := make([]any, 0, 10*len(part))
		for _, m := range part {
			var uid any
			if m.UserID != 0 {
				uid = m.UserID
			}
			args = append(args, m.MessageID, uid, m.Recipient, m.Template, m.Subject, m.Text, m.HTML, string(roster.OutboxQueued), now, now)
		}
		q := "INSERT INTO outbox (message_id, user_id, recipient, template, subject, body_text, body_html, status, next_attempt_at, created_at) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?),", len(part)), ",")
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return formatError(err, "enqueue")
		}
	}
	return nil
}

// FindOutbox returns messages matching f, newest first.
func (s *OutboxService) FindOutbox(ctx context.Context, f roster.OutboxFilter) ([]*roster.OutboxMessage, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.UserID != 0 {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.query(ctx, "SELECT "+outboxColumns+" FROM outbox WHERE "+strings.Join(where, " AND ")+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, formatError(err, "find outbox")
	}
	defer rows.Close()
	var out []*roster.OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, formatError(err, "find outbox")
		}
		out = append(out, m)
	}
	return out, formatError(rows.Err(), "find outbox")
}

// FindOutboxMessage returns the message with id.
func (s *OutboxService) FindOutboxMessage(ctx context.Context, id int64) (*roster.OutboxMessage, error) {
	m, err := scanOutbox(s.db.queryRow(ctx, "SELECT "+outboxColumns+" FROM outbox WHERE id = ?", id))
	if err != nil {
		if roster.ErrorCode(formatError(err, "")) == roster.ENOTFOUND {
			return nil, roster.Errorf(roster.ENOTFOUND, "No message %d in the outbox.", id)
		}
		return nil, formatError(err, "find outbox message")
	}
	return m, nil
}

// CountOutbox returns the number of messages in each status.
func (s *OutboxService) CountOutbox(ctx context.Context) (map[roster.OutboxStatus]int, error) {
	rows, err := s.db.query(ctx, "SELECT status, COUNT(*) FROM outbox GROUP BY status")
	if err != nil {
		return nil, formatError(err, "count outbox")
	}
	defer rows.Close()
	out := map[roster.OutboxStatus]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, formatError(err, "count outbox")
		}
		out[roster.OutboxStatus(st)] = n
	}
	return out, formatError(rows.Err(), "count outbox")
}

// RetryOutboxMessage queues a failed message again, due now, with its
// attempts kept.
func (s *OutboxService) RetryOutboxMessage(ctx context.Context, id int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var status, recipient string
	if err := tx.queryRow(ctx, "SELECT status, recipient FROM outbox WHERE id = ?"+s.db.forUpdate(), id).Scan(&status, &recipient); err != nil {
		if roster.ErrorCode(formatError(err, "")) == roster.ENOTFOUND {
			return roster.Errorf(roster.ENOTFOUND, "No message %d in the outbox.", id)
		}
		return formatError(err, "retry message")
	}
	if status != string(roster.OutboxFailed) {
		return roster.Errorf(roster.ECONFLICT, "Only a failed message can be sent again; this one is %s.", status)
	}
	if _, err := tx.exec(ctx, "UPDATE outbox SET status = ?, next_attempt_at = ?, lease_owner = '' WHERE id = ?",
		string(roster.OutboxQueued), s.db.timeArg(tx.now), id); err != nil {
		return formatError(err, "retry message")
	}
	if err := tx.audit(ctx, "outbox.retry", "message", fmt.Sprint(id),
		map[string]roster.Change{"status": {Before: status, After: string(roster.OutboxQueued)}}, recipient); err != nil {
		return err
	}
	return tx.commit()
}

// ClaimOutbox leases up to n due messages to owner. A sending message's
// next_attempt_at is the end of its lease, so one condition finds both the
// queued messages whose time has come and those a dead worker left. On
// PostgreSQL, SKIP LOCKED lets several nodes claim at once without waiting
// for each other or taking the same rows; SQLite has one writer.
func (s *OutboxService) ClaimOutbox(ctx context.Context, owner string, n int, lease time.Duration) ([]*roster.OutboxMessage, error) {
	if n <= 0 {
		return nil, nil
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	lock := ""
	if s.db.Dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := tx.query(ctx, `UPDATE outbox SET status = ?, lease_owner = ?, next_attempt_at = ?
		WHERE id IN (SELECT id FROM outbox WHERE status IN (?, ?) AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`+lock+`)
		RETURNING `+outboxColumns,
		string(roster.OutboxSending), owner, s.db.timeArg(tx.now.Add(lease)),
		string(roster.OutboxQueued), string(roster.OutboxSending), s.db.timeArg(tx.now), n)
	if err != nil {
		return nil, formatError(err, "claim outbox")
	}
	defer rows.Close() // closed at the loop's end too: the transaction goes on
	var out []*roster.OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, formatError(err, "claim outbox")
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, formatError(err, "claim outbox")
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	// RETURNING gives no order; send the oldest first.
	slices.SortFunc(out, func(a, b *roster.OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ReclaimOutbox queues again the messages leased by dead owners.
func (s *OutboxService) ReclaimOutbox(ctx context.Context, dead func(owner string) bool) (int, error) {
	rows, err := s.db.query(ctx, "SELECT DISTINCT lease_owner FROM outbox WHERE status = ?", string(roster.OutboxSending)) //nolint:sqlclosecheck // eachRow closes them
	if err != nil {
		return 0, formatError(err, "reclaim outbox")
	}
	var gone []string
	if err := eachRow(rows, func() error {
		var o string
		if err := rows.Scan(&o); err != nil {
			return err
		}
		if o != "" && dead(o) {
			gone = append(gone, o)
		}
		return nil
	}); err != nil {
		return 0, formatError(err, "reclaim outbox")
	}
	n := 0
	for _, o := range gone {
		res, err := s.db.write.ExecContext(ctx, s.db.rebind("UPDATE outbox SET status = ?, lease_owner = '', next_attempt_at = ? WHERE status = ? AND lease_owner = ?"),
			string(roster.OutboxQueued), s.db.timeArg(s.db.Now()), string(roster.OutboxSending), o)
		if err != nil {
			return n, formatError(err, "reclaim outbox")
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// record applies set to the message id if owner still holds it: a worker
// whose lease ran out and was taken over must not overwrite the newer
// worker's result.
func (s *OutboxService) record(ctx context.Context, op string, id int64, owner, set string, args ...any) error {
	res, err := s.db.write.ExecContext(ctx, s.db.rebind("UPDATE outbox SET "+set+", lease_owner = '' WHERE id = ? AND status = ? AND lease_owner = ?"),
		append(args, id, string(roster.OutboxSending), owner)...)
	if err != nil {
		return formatError(err, op)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.ECONFLICT, "Message %d is no longer leased to this worker.", id)
	}
	return nil
}

// RecordSent marks a message owner holds as sent.
func (s *OutboxService) RecordSent(ctx context.Context, id int64, owner string) error {
	now := s.db.timeArg(s.db.Now())
	return s.record(ctx, "record sent", id, owner, "status = ?, attempts = attempts + 1, last_error = '', sent_at = ?", string(roster.OutboxSent), now)
}

// RecordRetry queues a message owner holds again, due at next.
func (s *OutboxService) RecordRetry(ctx context.Context, id int64, owner, reason string, next time.Time) error {
	return s.record(ctx, "record retry", id, owner, "status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?",
		string(roster.OutboxQueued), clip(reason, 1000), s.db.timeArg(next))
}

// RecordFailed fails a message owner holds for good.
func (s *OutboxService) RecordFailed(ctx context.Context, id int64, owner, reason string) error {
	return s.record(ctx, "record failed", id, owner, "status = ?, attempts = attempts + 1, last_error = ?", string(roster.OutboxFailed), clip(reason, 1000))
}

// ReleaseOutbox gives the untried messages of ids back to the queue.
func (s *OutboxService) ReleaseOutbox(ctx context.Context, ids []int64, owner string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{string(roster.OutboxQueued), s.db.timeArg(s.db.Now()), string(roster.OutboxSending), owner}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.db.write.ExecContext(ctx, s.db.rebind("UPDATE outbox SET status = ?, next_attempt_at = ?, lease_owner = '' WHERE status = ? AND lease_owner = ? AND id IN ("+placeholders(len(ids))+")"), args...)
	return formatError(err, "release outbox")
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
