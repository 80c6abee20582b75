package sqldb

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"roster"
)

// Ensure WebhookService implements the domain interface.
var _ roster.WebhookService = (*WebhookService)(nil)

// WebhookService stores webhook endpoints and the webhook outbox. Events
// are added by their causes (emitWebhook, in the cause's transaction); the
// worker in deliver claims them with a lease and records each attempt.
type WebhookService struct {
	db *DB
}

// NewWebhookService returns a WebhookService on db.
func NewWebhookService(db *DB) *WebhookService { return &WebhookService{db: db} }

const endpointColumns = "id, url, description, enabled, disabled_reason, failures, failing_since, created_at, updated_at"

func scanEndpoint(row interface{ Scan(...any) error }) (*roster.WebhookEndpoint, error) {
	e := &roster.WebhookEndpoint{}
	var enabled int
	err := row.Scan(&e.ID, &e.URL, &e.Description, &enabled, &e.DisabledReason, &e.Failures, timeScan{&e.FailingSince}, timeScan{&e.CreatedAt}, timeScan{&e.UpdatedAt})
	e.Enabled = enabled == 1
	return e, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateWebhook stores e with a new secret, set on e.
func (s *WebhookService) CreateWebhook(ctx context.Context, e *roster.WebhookEndpoint) error {
	if err := e.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	e.Secret = roster.NewWebhookSecret()
	e.CreatedAt, e.UpdatedAt = tx.now, tx.now
	now := s.db.timeArg(tx.now)
	e.ID, err = tx.insert(ctx, "INSERT INTO webhook_endpoints (url, description, secret, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		e.URL, e.Description, e.Secret, boolInt(e.Enabled), now, now)
	if err != nil {
		return formatError(err, "create webhook")
	}
	if err := tx.setSubscriptions(ctx, e); err != nil {
		return err
	}
	if err := tx.audit(ctx, "webhook.create", "webhook", fmt.Sprint(e.ID), map[string]roster.Change{
		"url": {After: e.URL}, "events": {After: e.Events}, "enabled": {After: e.Enabled}, "secret": {After: roster.Redacted}}, ""); err != nil {
		return err
	}
	return tx.commit()
}

func (tx *Tx) setSubscriptions(ctx context.Context, e *roster.WebhookEndpoint) error {
	if _, err := tx.exec(ctx, "DELETE FROM webhook_subscriptions WHERE endpoint_id = ?", e.ID); err != nil {
		return formatError(err, "webhook events")
	}
	for _, ev := range e.Events {
		if _, err := tx.exec(ctx, "INSERT INTO webhook_subscriptions (endpoint_id, event) VALUES (?, ?)", e.ID, string(ev)); err != nil {
			return formatError(err, "webhook events")
		}
	}
	return nil
}

func (tx *Tx) findEndpoint(ctx context.Context, id int64) (*roster.WebhookEndpoint, error) {
	e, err := scanEndpoint(tx.queryRow(ctx, "SELECT "+endpointColumns+" FROM webhook_endpoints WHERE id = ?"+tx.db.forUpdate(), id))
	if err != nil {
		return nil, notFound(err, "webhook", "find webhook")
	}
	e.Events, err = tx.db.subscriptions(ctx, tx, id)
	return e, err
}

func (db *DB) subscriptions(ctx context.Context, q querier, id int64) ([]roster.WebhookEvent, error) {
	rows, err := q.QueryContext(ctx, db.rebind("SELECT event FROM webhook_subscriptions WHERE endpoint_id = ?"), id)
	if err != nil {
		return nil, formatError(err, "webhook events")
	}
	defer rows.Close()
	got := map[roster.WebhookEvent]bool{}
	for rows.Next() {
		var ev string
		if err := rows.Scan(&ev); err != nil {
			return nil, formatError(err, "webhook events")
		}
		got[roster.WebhookEvent(ev)] = true
	}
	var out []roster.WebhookEvent
	for _, i := range roster.WebhookEvents {
		if got[i.Event] {
			out = append(out, i.Event)
		}
	}
	return out, formatError(rows.Err(), "webhook events")
}

// UpdateWebhook changes e's URL, description, events and enabled flag.
// Enabling an endpoint clears its failures.
func (s *WebhookService) UpdateWebhook(ctx context.Context, e *roster.WebhookEndpoint) error {
	if err := e.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	before, err := tx.findEndpoint(ctx, e.ID)
	if err != nil {
		return err
	}
	changes := map[string]roster.Change{}
	if before.URL != e.URL {
		changes["url"] = roster.Change{Before: before.URL, After: e.URL}
	}
	if before.Description != e.Description {
		changes["description"] = roster.Change{Before: before.Description, After: e.Description}
	}
	if !slices.Equal(before.Events, e.Events) {
		changes["events"] = roster.Change{Before: before.Events, After: e.Events}
	}
	if before.Enabled != e.Enabled {
		changes["enabled"] = roster.Change{Before: before.Enabled, After: e.Enabled}
	}
	if len(changes) == 0 {
		return nil
	}
	set := "url = ?, description = ?, enabled = ?, updated_at = ?"
	if e.Enabled && !before.Enabled {
		set += ", disabled_reason = '', failures = 0, failing_since = NULL"
		// What waited for the endpoint is due at once.
		if _, err := tx.exec(ctx, "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE endpoint_id = ? AND status = ?",
			s.db.timeArg(tx.now), e.ID, string(roster.WebhookQueued)); err != nil {
			return formatError(err, "update webhook")
		}
	}
	if _, err := tx.exec(ctx, "UPDATE webhook_endpoints SET "+set+" WHERE id = ?", e.URL, e.Description, boolInt(e.Enabled), s.db.timeArg(tx.now), e.ID); err != nil {
		return formatError(err, "update webhook")
	}
	if err := tx.setSubscriptions(ctx, e); err != nil {
		return err
	}
	if err := tx.audit(ctx, "webhook.update", "webhook", fmt.Sprint(e.ID), changes, ""); err != nil {
		return err
	}
	return tx.commit()
}

// DeleteWebhook deletes endpoint id with its deliveries and their log.
func (s *WebhookService) DeleteWebhook(ctx context.Context, id int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	before, err := tx.findEndpoint(ctx, id)
	if err != nil {
		return err
	}
	for _, q := range []string{"DELETE FROM webhook_attempts WHERE endpoint_id = ?", "DELETE FROM webhook_deliveries WHERE endpoint_id = ?",
		"DELETE FROM webhook_subscriptions WHERE endpoint_id = ?", "DELETE FROM webhook_endpoints WHERE id = ?"} {
		if _, err := tx.exec(ctx, q, id); err != nil {
			return formatError(err, "delete webhook")
		}
	}
	if err := tx.audit(ctx, "webhook.delete", "webhook", fmt.Sprint(id), map[string]roster.Change{"url": {Before: before.URL}}, ""); err != nil {
		return err
	}
	return tx.commit()
}

// RotateWebhookSecret gives endpoint id a new secret and returns it.
func (s *WebhookService) RotateWebhookSecret(ctx context.Context, id int64) (string, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := tx.findEndpoint(ctx, id); err != nil {
		return "", err
	}
	secret := roster.NewWebhookSecret()
	if _, err := tx.exec(ctx, "UPDATE webhook_endpoints SET secret = ?, updated_at = ? WHERE id = ?", secret, s.db.timeArg(tx.now), id); err != nil {
		return "", formatError(err, "rotate webhook secret")
	}
	if err := tx.audit(ctx, "webhook.rotate_secret", "webhook", fmt.Sprint(id), map[string]roster.Change{"secret": {Before: roster.Redacted, After: roster.Redacted}}, ""); err != nil {
		return "", err
	}
	return secret, tx.commit()
}

// FindWebhook returns endpoint id without its secret.
func (s *WebhookService) FindWebhook(ctx context.Context, id int64) (*roster.WebhookEndpoint, error) {
	e, err := scanEndpoint(s.db.queryRow(ctx, "SELECT "+endpointColumns+" FROM webhook_endpoints WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "webhook", "find webhook")
	}
	e.Events, err = s.db.subscriptions(ctx, s.db.read, id)
	return e, err
}

// FindWebhooks returns every endpoint, oldest first, without secrets.
func (s *WebhookService) FindWebhooks(ctx context.Context) ([]*roster.WebhookEndpoint, error) {
	rows, err := s.db.query(ctx, "SELECT "+endpointColumns+" FROM webhook_endpoints ORDER BY id")
	if err != nil {
		return nil, formatError(err, "find webhooks")
	}
	var out []*roster.WebhookEndpoint
	if err := eachRow(rows, func() error {
		e, err := scanEndpoint(rows)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, formatError(err, "find webhooks")
	}
	for _, e := range out {
		if e.Events, err = s.db.subscriptions(ctx, s.db.read, e.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WebhookTarget returns the URL and secret of endpoint id.
func (s *WebhookService) WebhookTarget(ctx context.Context, id int64) (string, string, error) {
	var url, secret string
	err := s.db.queryRow(ctx, "SELECT url, secret FROM webhook_endpoints WHERE id = ?", id).Scan(&url, &secret)
	if err != nil {
		return "", "", notFound(err, "webhook", "webhook target")
	}
	return url, secret, nil
}

const deliveryColumns = "id, endpoint_id, event, COALESCE(user_id, 0), user_public_id, data, status, attempts, last_error, next_attempt_at, created_at, delivered_at"

func scanDelivery(row interface{ Scan(...any) error }) (*roster.WebhookDelivery, error) {
	d := &roster.WebhookDelivery{}
	err := row.Scan(&d.ID, &d.EndpointID, (*string)(&d.Event), &d.UserID, &d.UserPublicID, &d.Data, (*string)(&d.Status), &d.Attempts, &d.LastError,
		timeScan{&d.NextAttemptAt}, timeScan{&d.CreatedAt}, timeScan{&d.DeliveredAt})
	return d, err
}

// lastAttemptJoin adds each delivery's latest attempt (columns a.*) to a
// query of deliveries d.
const lastAttemptJoin = ` LEFT JOIN webhook_attempts a ON a.id = (SELECT MAX(x.id) FROM webhook_attempts x WHERE x.delivery_id = d.id)`

// lastAttemptColumns are the latest attempt's columns, zero when none.
const lastAttemptColumns = "COALESCE(a.id, 0), a.at, COALESCE(a.status_code, 0), COALESCE(a.duration_ms, 0), COALESCE(a.response, ''), COALESCE(a.error, '')"

// deliveryColumnsD are deliveryColumns of the deliveries named d.
const deliveryColumnsD = "d.id, d.endpoint_id, d.event, COALESCE(d.user_id, 0), d.user_public_id, d.data, d.status, d.attempts, d.last_error, d.next_attempt_at, d.created_at, d.delivered_at"

// scanDeliveryWithLast scans deliveryColumnsD then
// lastAttemptColumns.
func scanDeliveryWithLast(row interface{ Scan(...any) error }) (*roster.WebhookDelivery, error) {
	d := &roster.WebhookDelivery{}
	a := &roster.WebhookAttempt{}
	var ms int64
	err := row.Scan(&d.ID, &d.EndpointID, (*string)(&d.Event), &d.UserID, &d.UserPublicID, &d.Data, (*string)(&d.Status), &d.Attempts, &d.LastError,
		timeScan{&d.NextAttemptAt}, timeScan{&d.CreatedAt}, timeScan{&d.DeliveredAt},
		&a.ID, timeScan{&a.At}, &a.StatusCode, &ms, &a.Response, &a.Error)
	if a.ID != 0 {
		a.DeliveryID, a.EndpointID, a.Duration = d.ID, d.EndpointID, time.Duration(ms)*time.Millisecond
		d.Last = a
	}
	return d, err
}

// FindWebhookDeliveries returns deliveries matching f, newest first, each
// with its latest attempt.
func (s *WebhookService) FindWebhookDeliveries(ctx context.Context, f roster.WebhookDeliveryFilter) ([]*roster.WebhookDelivery, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.EndpointID != 0 {
		where, args = append(where, "d.endpoint_id = ?"), append(args, f.EndpointID)
	}
	if f.Status != "" {
		where, args = append(where, "d.status = ?"), append(args, string(f.Status))
	}
	if f.BeforeID > 0 {
		where, args = append(where, "d.id < ?"), append(args, f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	rows, err := s.db.query(ctx, "SELECT "+deliveryColumnsD+", "+lastAttemptColumns+" FROM webhook_deliveries d"+lastAttemptJoin+
		" WHERE "+strings.Join(where, " AND ")+" ORDER BY d.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, formatError(err, "find webhook deliveries")
	}
	defer rows.Close()
	var out []*roster.WebhookDelivery
	for rows.Next() {
		d, err := scanDeliveryWithLast(rows)
		if err != nil {
			return nil, formatError(err, "find webhook deliveries")
		}
		out = append(out, d)
	}
	return out, formatError(rows.Err(), "find webhook deliveries")
}

// FindWebhookDelivery returns delivery id with its latest attempt.
func (s *WebhookService) FindWebhookDelivery(ctx context.Context, id int64) (*roster.WebhookDelivery, error) {
	d, err := scanDeliveryWithLast(s.db.queryRow(ctx, "SELECT "+deliveryColumnsD+", "+lastAttemptColumns+" FROM webhook_deliveries d"+lastAttemptJoin+" WHERE d.id = ?", id))
	if err != nil {
		return nil, notFound(err, "webhook delivery", "find webhook delivery")
	}
	return d, nil
}

// FindWebhookAttempts returns the attempts of delivery id, newest first.
func (s *WebhookService) FindWebhookAttempts(ctx context.Context, deliveryID int64) ([]*roster.WebhookAttempt, error) {
	rows, err := s.db.query(ctx, "SELECT id, delivery_id, endpoint_id, at, status_code, duration_ms, response, error FROM webhook_attempts WHERE delivery_id = ? ORDER BY id DESC LIMIT 200", deliveryID)
	if err != nil {
		return nil, formatError(err, "find webhook attempts")
	}
	defer rows.Close()
	var out []*roster.WebhookAttempt
	for rows.Next() {
		a := &roster.WebhookAttempt{}
		var ms int64
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.EndpointID, timeScan{&a.At}, &a.StatusCode, &ms, &a.Response, &a.Error); err != nil {
			return nil, formatError(err, "find webhook attempts")
		}
		a.Duration = time.Duration(ms) * time.Millisecond
		out = append(out, a)
	}
	return out, formatError(rows.Err(), "find webhook attempts")
}

// ReplayWebhookDelivery queues delivery id again, due now, with the same
// webhook-id: a delivered or given-up one (a queued one is already due).
func (s *WebhookService) ReplayWebhookDelivery(ctx context.Context, id int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var status string
	var endpoint int64
	if err := tx.queryRow(ctx, "SELECT status, endpoint_id FROM webhook_deliveries WHERE id = ?"+s.db.forUpdate(), id).Scan(&status, &endpoint); err != nil {
		return notFound(err, "webhook delivery", "replay webhook")
	}
	if status != string(roster.WebhookDelivered) && status != string(roster.WebhookFailed) {
		return roster.Errorf(roster.ECONFLICT, "Delivery %d is %s: it is already on its way.", id, status)
	}
	if _, err := tx.exec(ctx, "UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_owner = '' WHERE id = ?",
		string(roster.WebhookQueued), s.db.timeArg(tx.now), id); err != nil {
		return formatError(err, "replay webhook")
	}
	if err := tx.audit(ctx, "webhook.replay", "webhook_delivery", fmt.Sprint(id),
		map[string]roster.Change{"status": {Before: status, After: string(roster.WebhookQueued)}}, fmt.Sprintf("endpoint %d", endpoint)); err != nil {
		return err
	}
	return tx.commit()
}

// ClaimWebhooks leases up to n due deliveries of enabled endpoints to
// owner. A delivery is due when its time has come (a sending one's lease
// has ended) and no older delivery to the same endpoint about the same user
// is still queued or sending: so each endpoint sees a user's events in
// order. On PostgreSQL, SKIP LOCKED lets nodes claim at once.
func (s *WebhookService) ClaimWebhooks(ctx context.Context, owner string, n int, lease time.Duration) ([]*roster.WebhookDelivery, error) {
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
		lock = " FOR UPDATE OF d SKIP LOCKED"
	}
	q, st := string(roster.WebhookQueued), string(roster.WebhookSending)
	rows, err := tx.query(ctx, `UPDATE webhook_deliveries SET status = ?, lease_owner = ?, next_attempt_at = ?
		WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE d.status IN (?, ?) AND d.next_attempt_at <= ? AND e.enabled = 1
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.user_id = d.user_id
				AND p.id < d.id AND p.status IN (?, ?))
			ORDER BY d.id LIMIT ?`+lock+`)
		RETURNING `+deliveryColumns,
		st, owner, s.db.timeArg(tx.now.Add(lease)), q, st, s.db.timeArg(tx.now), q, st, n)
	if err != nil {
		return nil, formatError(err, "claim webhooks")
	}
	defer rows.Close()
	var out []*roster.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, formatError(err, "claim webhooks")
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, formatError(err, "claim webhooks")
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *roster.WebhookDelivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// RecordWebhookAttempt logs attempt a of a delivery owner holds, applies
// out to the delivery (next: when a retry is due) and keeps the endpoint's
// run of failures, disabling it when policy says so. A worker that lost its
// lease records nothing.
func (s *WebhookService) RecordWebhookAttempt(ctx context.Context, owner string, a *roster.WebhookAttempt, out roster.WebhookOutcome, next time.Time, policy roster.WebhookDisablePolicy) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := s.db.timeArg(tx.now)
	var set string
	var args []any
	switch out {
	case roster.WebhookOutcomeDelivered:
		set, args = "status = ?, delivered_at = ?, last_error = ''", []any{string(roster.WebhookDelivered), now}
	case roster.WebhookOutcomeRetry:
		set, args = "status = ?, next_attempt_at = ?, last_error = ?", []any{string(roster.WebhookQueued), s.db.timeArg(next), clip(a.Error, 1000)}
	default:
		set, args = "status = ?, last_error = ?", []any{string(roster.WebhookFailed), clip(a.Error, 1000)}
	}
	res, err := tx.exec(ctx, "UPDATE webhook_deliveries SET "+set+", attempts = attempts + 1, lease_owner = '' WHERE id = ? AND status = ? AND lease_owner = ?",
		append(args, a.DeliveryID, string(roster.WebhookSending), owner)...)
	if err != nil {
		return formatError(err, "record webhook attempt")
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return roster.Errorf(roster.ECONFLICT, "Webhook delivery %d is no longer leased to this worker.", a.DeliveryID)
	}
	if _, err := tx.exec(ctx, "INSERT INTO webhook_attempts (delivery_id, endpoint_id, at, status_code, duration_ms, response, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
		a.DeliveryID, a.EndpointID, now, a.StatusCode, a.Duration.Milliseconds(), clip(a.Response, 1024), clip(a.Error, 1000)); err != nil {
		return formatError(err, "record webhook attempt")
	}
	if out == roster.WebhookOutcomeDelivered {
		_, err = tx.exec(ctx, "UPDATE webhook_endpoints SET failures = 0, failing_since = NULL WHERE id = ?", a.EndpointID)
		if err != nil {
			return formatError(err, "record webhook attempt")
		}
		return tx.commit()
	}
	if _, err := tx.exec(ctx, "UPDATE webhook_endpoints SET failures = failures + 1, failing_since = COALESCE(failing_since, ?) WHERE id = ?", now, a.EndpointID); err != nil {
		return formatError(err, "record webhook attempt")
	}
	var failures int
	var since time.Time
	var enabled int
	if err := tx.queryRow(ctx, "SELECT failures, failing_since, enabled FROM webhook_endpoints WHERE id = ?", a.EndpointID).Scan(&failures, timeScan{&since}, &enabled); err != nil {
		return formatError(err, "record webhook attempt")
	}
	reason := ""
	switch {
	case enabled == 0:
	case policy.Failures > 0 && failures >= policy.Failures:
		reason = fmt.Sprintf("%d attempts in a row failed", failures)
	case policy.Failing > 0 && tx.now.Sub(since) >= policy.Failing:
		reason = "every attempt failed since " + since.UTC().Format(time.RFC3339)
	}
	if reason != "" {
		reason = "Disabled at " + tx.now.UTC().Format(time.RFC3339) + ": " + reason + "; last error: " + clip(a.Error, 300)
		if _, err := tx.exec(ctx, "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?", reason, now, a.EndpointID); err != nil {
			return formatError(err, "record webhook attempt")
		}
		if err := tx.audit(ctx, "webhook.disabled", "webhook", fmt.Sprint(a.EndpointID),
			map[string]roster.Change{"enabled": {Before: true, After: false}}, reason); err != nil {
			return err
		}
	}
	return tx.commit()
}

// ReleaseWebhooks gives the untried deliveries of ids that owner holds
// back to the queue, due now: a worker that stops.
func (s *WebhookService) ReleaseWebhooks(ctx context.Context, ids []int64, owner string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{string(roster.WebhookQueued), s.db.timeArg(s.db.Now()), string(roster.WebhookSending), owner}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.db.write.ExecContext(ctx, s.db.rebind("UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_owner = '' WHERE status = ? AND lease_owner = ? AND id IN ("+placeholders(len(ids))+")"), args...)
	return formatError(err, "release webhooks")
}

// CountDisabledWebhooks returns how many endpoints the worker disabled:
// the dashboard's notice.
func (s *WebhookService) CountDisabledWebhooks(ctx context.Context) (int, error) {
	var n int
	err := s.db.queryRow(ctx, "SELECT COUNT(*) FROM webhook_endpoints WHERE enabled = 0 AND disabled_reason <> ''").Scan(&n)
	return n, formatError(err, "count disabled webhooks")
}
