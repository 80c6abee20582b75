package sqldb

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"roster"
)

// Ensure PushService implements the domain interface.
var _ roster.PushService = (*PushService)(nil)

// PushService stores staff's Web Push subscriptions and the push outbox.
// Notifications are added by their causes with Tx.notifyStaff, in the
// cause's transaction; the push worker (deliver.PushWorker) claims them
// with a lease and records each attempt, like the mail outbox.
type PushService struct {
	db *DB
}

// NewPushService returns a PushService on db.
func NewPushService(db *DB) *PushService { return &PushService{db: db} }

const pushSubColumns = "s.id, s.staff_id, s.endpoint, s.p256dh, s.auth, s.alerts, s.user_agent, s.created_at, s.last_sent_at"

func scanPushSub(row interface{ Scan(...any) error }, dst ...any) (*roster.PushSubscription, error) {
	p := &roster.PushSubscription{}
	var alerts string
	err := row.Scan(append([]any{&p.ID, &p.StaffID, &p.Endpoint, &p.P256DH, &p.Auth, &alerts, &p.UserAgent, timeScan{&p.CreatedAt}, timeScan{&p.LastSentAt}}, dst...)...)
	for a := range strings.SplitSeq(alerts, ",") {
		if a != "" {
			p.Alerts = append(p.Alerts, roster.PushAlert(a))
		}
	}
	return p, err
}

// SavePushSubscription stores p for the actor's account.
func (s *PushService) SavePushSubscription(ctx context.Context, p *roster.PushSubscription) error {
	if err := p.Validate(); err != nil {
		return err
	}
	names := make([]string, len(p.Alerts))
	for i, a := range p.Alerts {
		names[i] = string(a)
	}
	if _, err := roster.ParsePushAlerts(names); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	p.CreatedAt = tx.now
	// A browser subscribes again with the same endpoint: it now belongs
	// to whoever subscribed it last, with the alerts they chose.
	if _, err := tx.exec(ctx, "DELETE FROM push_subscriptions WHERE endpoint = ?", p.Endpoint); err != nil {
		return formatError(err, "save subscription")
	}
	p.ID, err = tx.insert(ctx, `INSERT INTO push_subscriptions (staff_id, endpoint, p256dh, auth, alerts, user_agent, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, p.StaffID, p.Endpoint, p.P256DH, p.Auth, strings.Join(names, ","), trimUA(p.UserAgent), s.db.timeArg(tx.now))
	if err != nil {
		return formatError(err, "save subscription")
	}
	return tx.commit()
}

// FindPushSubscriptions returns the subscriptions of staffID, newest first.
func (s *PushService) FindPushSubscriptions(ctx context.Context, staffID int64) ([]*roster.PushSubscription, error) {
	rows, err := s.db.query(ctx, "SELECT "+pushSubColumns+" FROM push_subscriptions s WHERE s.staff_id = ? ORDER BY s.id DESC", staffID)
	if err != nil {
		return nil, formatError(err, "find subscriptions")
	}
	defer rows.Close()
	var out []*roster.PushSubscription
	for rows.Next() {
		p, err := scanPushSub(rows)
		if err != nil {
			return nil, formatError(err, "find subscriptions")
		}
		out = append(out, p)
	}
	return out, formatError(rows.Err(), "find subscriptions")
}

// DeletePushSubscription removes subscription id of staffID.
func (s *PushService) DeletePushSubscription(ctx context.Context, staffID, id int64) error {
	res, err := s.db.write.ExecContext(ctx, s.db.rebind("DELETE FROM push_subscriptions WHERE id = ? AND staff_id = ?"), id, staffID)
	if err != nil {
		return formatError(err, "delete subscription")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.ENOTFOUND, "There is no subscription %d on this account.", id)
	}
	return nil
}

// VAPIDKey returns the server's VAPID private key, made on first use. Two
// nodes racing both read the winner's.
func (s *PushService) VAPIDKey(ctx context.Context) ([]byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	if _, err := s.db.write.ExecContext(ctx, s.db.rebind("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"),
		"vapid:private", base64.StdEncoding.EncodeToString(der)); err != nil {
		return nil, formatError(err, "vapid key")
	}
	var v string
	if err := s.db.write.QueryRowContext(ctx, s.db.rebind("SELECT value FROM settings WHERE key = ?"), "vapid:private").Scan(&v); err != nil {
		return nil, formatError(err, "vapid key")
	}
	return base64.StdEncoding.DecodeString(v)
}

// notifyStaff queues a notification of alert to every browser of staffID
// subscribed to it, in tx: it commits or rolls back with its cause.
func (tx *Tx) notifyStaff(ctx context.Context, staffID int64, alert roster.PushAlert, title, body string) error {
	if staffID == 0 {
		return nil
	}
	_, err := tx.exec(ctx, `INSERT INTO push_outbox (subscription_id, alert, title, body, next_attempt_at, created_at)
		SELECT id, ?, ?, ?, ?, ? FROM push_subscriptions WHERE staff_id = ? AND ',' || alerts || ',' LIKE ?`,
		string(alert), clip(title, 200), clip(body, 1000), tx.db.timeArg(tx.now), tx.db.timeArg(tx.now), staffID, "%,"+string(alert)+",%")
	return formatError(err, "notify")
}

// ClaimPush leases up to n due notifications to owner, as ClaimOutbox does.
func (s *PushService) ClaimPush(ctx context.Context, owner string, n int, lease time.Duration) ([]*roster.PushMessage, error) {
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
	//nolint:sqlclosecheck // scanIDs closes them
	rows, err := tx.query(ctx, `UPDATE push_outbox SET status = ?, lease_owner = ?, next_attempt_at = ?
		WHERE id IN (SELECT id FROM push_outbox WHERE status IN (?, ?) AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`+lock+`)
		RETURNING id`,
		string(roster.OutboxSending), owner, s.db.timeArg(tx.now.Add(lease)),
		string(roster.OutboxQueued), string(roster.OutboxSending), s.db.timeArg(tx.now), n)
	if err != nil {
		return nil, formatError(err, "claim push")
	}
	ids, err := scanIDs(rows) // closes rows
	if err != nil {
		return nil, formatError(err, "claim push")
	}
	var out []*roster.PushMessage
	for _, id := range ids {
		m := &roster.PushMessage{ID: id}
		sub, err := scanPushSub(tx.queryRow(ctx, "SELECT "+pushSubColumns+`, o.alert, o.title, o.body, o.attempts, o.created_at
			FROM push_outbox o JOIN push_subscriptions s ON s.id = o.subscription_id WHERE o.id = ?`, id),
			(*string)(&m.Alert), &m.Title, &m.Body, &m.Attempts, timeScan{&m.CreatedAt})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, formatError(err, "claim push")
		}
		m.Subscription = sub
		out = append(out, m)
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *roster.PushMessage) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// recordPush applies set to notification id if owner still holds it.
func (s *PushService) recordPush(ctx context.Context, op string, id int64, owner, set string, args ...any) error {
	res, err := s.db.write.ExecContext(ctx, s.db.rebind("UPDATE push_outbox SET "+set+", lease_owner = '' WHERE id = ? AND status = ? AND lease_owner = ?"),
		append(args, id, string(roster.OutboxSending), owner)...)
	if err != nil {
		return formatError(err, op)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.ECONFLICT, "Notification %d is no longer leased to this worker.", id)
	}
	return nil
}

// RecordPushSent marks a notification sent, and its subscription used.
func (s *PushService) RecordPushSent(ctx context.Context, id int64, owner string) error {
	now := s.db.timeArg(s.db.Now())
	if err := s.recordPush(ctx, "record push sent", id, owner, "status = ?, attempts = attempts + 1, last_error = '', sent_at = ?", string(roster.OutboxSent), now); err != nil {
		return err
	}
	_, err := s.db.write.ExecContext(ctx, s.db.rebind("UPDATE push_subscriptions SET last_sent_at = ? WHERE id = (SELECT subscription_id FROM push_outbox WHERE id = ?)"), now, id)
	return formatError(err, "record push sent")
}

// RecordPushRetry queues a notification again, due at next.
func (s *PushService) RecordPushRetry(ctx context.Context, id int64, owner, reason string, next time.Time) error {
	return s.recordPush(ctx, "record push retry", id, owner, "status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?",
		string(roster.OutboxQueued), clip(reason, 1000), s.db.timeArg(next))
}

// RecordPushFailed fails a notification for good.
func (s *PushService) RecordPushFailed(ctx context.Context, id int64, owner, reason string) error {
	return s.recordPush(ctx, "record push failed", id, owner, "status = ?, attempts = attempts + 1, last_error = ?", string(roster.OutboxFailed), clip(reason, 1000))
}

// RecordPushGone removes the subscription of notification id (and so its
// notifications): the push service no longer knows it.
func (s *PushService) RecordPushGone(ctx context.Context, id int64, owner string) error {
	_, err := s.db.write.ExecContext(ctx, s.db.rebind(`DELETE FROM push_subscriptions WHERE id =
		(SELECT subscription_id FROM push_outbox WHERE id = ? AND lease_owner = ?)`), id, owner)
	return formatError(err, "record push gone")
}

// ReleasePush gives the untried notifications of ids back to the queue.
func (s *PushService) ReleasePush(ctx context.Context, ids []int64, owner string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{string(roster.OutboxQueued), s.db.timeArg(s.db.Now()), string(roster.OutboxSending), owner}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.db.write.ExecContext(ctx, s.db.rebind("UPDATE push_outbox SET status = ?, next_attempt_at = ?, lease_owner = '' WHERE status = ? AND lease_owner = ? AND id IN ("+placeholders(len(ids))+")"), args...)
	return formatError(err, "release push")
}
