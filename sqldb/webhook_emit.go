package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"roster"
)

// emitWebhook writes event ev about each of the users userIDs to the
// webhook outbox, in tx, once for every enabled endpoint that subscribes to
// it; data (nil: none) is the event's JSON object. Nothing is written when
// no endpoint wants ev. It reads the users' public ids, so a deletion emits
// before its DELETE.
func (tx *Tx) emitWebhook(ctx context.Context, ev roster.WebhookEvent, userIDs []int64, data map[string]any) error {
	if len(userIDs) == 0 {
		return nil
	}
	wanted, err := tx.webhookWanted(ctx, ev)
	if err != nil || !wanted {
		return err
	}
	body, err := webhookData(data)
	if err != nil {
		return err
	}
	list, arg, err := tx.db.idList(userIDs)
	if err != nil {
		return err
	}
	now := tx.db.timeArg(tx.now)
	_, err = tx.exec(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event, user_id, user_public_id, data, status, next_attempt_at, created_at)
		SELECT s.endpoint_id, ?, u.id, u.public_id, ?, ?, ?, ? FROM `+list+` l JOIN users u ON u.id = l.id
		CROSS JOIN webhook_subscriptions s JOIN webhook_endpoints e ON e.id = s.endpoint_id
		WHERE s.event = ? AND e.enabled = 1 ORDER BY u.id, s.endpoint_id`,
		string(ev), body, string(roster.WebhookQueued), now, now, arg, string(ev))
	return formatError(err, "emit webhook")
}

// emitWebhookNoUser writes event ev, about no user, to the webhook outbox
// in tx for every enabled endpoint that subscribes to it.
func (tx *Tx) emitWebhookNoUser(ctx context.Context, ev roster.WebhookEvent, data map[string]any) error {
	wanted, err := tx.webhookWanted(ctx, ev)
	if err != nil || !wanted {
		return err
	}
	body, err := webhookData(data)
	if err != nil {
		return err
	}
	now := tx.db.timeArg(tx.now)
	_, err = tx.exec(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event, data, status, next_attempt_at, created_at)
		SELECT s.endpoint_id, ?, ?, ?, ?, ? FROM webhook_subscriptions s JOIN webhook_endpoints e ON e.id = s.endpoint_id
		WHERE s.event = ? AND e.enabled = 1 ORDER BY s.endpoint_id`,
		string(ev), body, string(roster.WebhookQueued), now, now, string(ev))
	return formatError(err, "emit webhook")
}

// webhookWanted reports whether an enabled endpoint subscribes to ev: one
// indexed lookup, so that a write nobody listens to costs no more.
func (tx *Tx) webhookWanted(ctx context.Context, ev roster.WebhookEvent) (bool, error) {
	if tx.db.partialSchema {
		return false, nil
	}
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM webhook_subscriptions s JOIN webhook_endpoints e ON e.id = s.endpoint_id
		WHERE s.event = ? AND e.enabled = 1 LIMIT 1) x`, string(ev)).Scan(&n)
	if err != nil {
		return false, formatError(err, "emit webhook")
	}
	return n > 0, nil
}

func webhookData(data map[string]any) (string, error) {
	if len(data) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("emit webhook: %w", err)
	}
	return string(b), nil
}

// emitUserUpdate writes the events of an update of one user: updated, and
// status_changed and banned when its status changed so.
func (tx *Tx) emitUserUpdate(ctx context.Context, userID int64, changes map[string]roster.Change) error {
	fields := slices.Sorted(maps.Keys(changes))
	if err := tx.emitWebhook(ctx, roster.EventUserUpdated, []int64{userID}, map[string]any{"fields": fields}); err != nil {
		return err
	}
	st, ok := changes["status"]
	if !ok {
		return nil
	}
	before, after := statusText(st.Before), statusText(st.After)
	if err := tx.emitWebhook(ctx, roster.EventUserStatusChanged, []int64{userID}, map[string]any{"before": before, "after": after}); err != nil {
		return err
	}
	if after == string(roster.StatusBanned) {
		return tx.emitWebhook(ctx, roster.EventUserBanned, []int64{userID}, map[string]any{"before": before})
	}
	return nil
}

// statusText is a status from an audit change: "" when there was none.
func statusText(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
