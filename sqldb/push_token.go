package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"roster"
)

// Push tokens are records (user_push_tokens), the only place they are
// kept: the push_tokens field of a user is read from them
// (attachPushTokens) and written to them (syncPushTokenRecords).

const pushTokenColumns = "id, provider, token, coalesce(session_id, 0), created_at, last_sent_at"

func scanPushToken(row interface{ Scan(...any) error }) (roster.PushTokenRecord, error) {
	var t roster.PushTokenRecord
	err := row.Scan(&t.ID, &t.Provider, &t.Token, &t.SessionID, timeScan{&t.CreatedAt}, timeScan{&t.LastSentAt})
	return t, err
}

// PushTokens returns a user's push tokens, newest first.
func (s *UserSessionService) PushTokens(ctx context.Context, userID int64) ([]roster.PushTokenRecord, error) {
	rows, err := s.db.query(ctx, "SELECT "+pushTokenColumns+" FROM user_push_tokens WHERE user_id = ? ORDER BY created_at DESC, id DESC", userID)
	if err != nil {
		return nil, formatError(err, "find push tokens")
	}
	var out []roster.PushTokenRecord
	err = eachRow(rows, func() error {
		t, err := scanPushToken(rows)
		out = append(out, t)
		return err
	})
	return out, formatError(err, "find push tokens")
}

// maxPushTokens bounds a user's tokens, as the push_tokens field does.
const maxPushTokens = 50

// AddPushToken registers t for the user.
func (s *UserSessionService) AddPushToken(ctx context.Context, userID int64, t *roster.PushTokenRecord) error {
	if err := t.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	found, err := scanPushToken(tx.queryRow(ctx, "SELECT "+pushTokenColumns+" FROM user_push_tokens WHERE user_id = ? AND provider = ? AND token = ?", userID, t.Provider, t.Token))
	if err == nil {
		*t = found
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return formatError(err, "add push token")
	}
	n, err := countRows(ctx, tx, "SELECT count(*) FROM user_push_tokens WHERE user_id = ?", userID)
	if err != nil {
		return err
	}
	if n >= maxPushTokens {
		return roster.FieldErrors{"token": "this user has 50 push tokens already: remove one first"}.Err()
	}
	var sid any
	if t.SessionID != 0 {
		sid = t.SessionID
	}
	t.CreatedAt = tx.now
	t.ID, err = tx.insert(ctx, "INSERT INTO user_push_tokens (user_id, provider, token, session_id, created_at) VALUES (?, ?, ?, ?, ?)",
		userID, t.Provider, t.Token, sid, s.db.timeArg(tx.now))
	if err != nil {
		return formatError(err, "add push token")
	}
	if err := mirrorPushTokens(ctx, tx, userID); err != nil {
		return err
	}
	return tx.commit()
}

// DeletePushToken removes one of the user's tokens.
func (s *UserSessionService) DeletePushToken(ctx context.Context, userID, id int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, "DELETE FROM user_push_tokens WHERE id = ? AND user_id = ?", id, userID)
	if err != nil {
		return formatError(err, "delete push token")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.ENOTFOUND, "No such push token.")
	}
	if err := mirrorPushTokens(ctx, tx, userID); err != nil {
		return err
	}
	if a := roster.ActorFromContext(ctx); a.StaffID != 0 {
		var public string
		if err := tx.queryRow(ctx, "SELECT public_id FROM users WHERE id = ?", userID).Scan(&public); err != nil {
			return formatError(err, "delete push token")
		}
		if err := tx.audit(ctx, "user.push_token_delete", "user", public, nil, ""); err != nil {
			return err
		}
	}
	return tx.commit()
}

// providerPlatform is the platform the push_tokens field names for a
// provider.
var providerPlatform = map[string]string{roster.ProviderAPNs: "ios", roster.ProviderFCM: "android", roster.ProviderWebPush: "web"}

// mirrorPushTokens records that the user's push tokens changed: their
// updated_at, and a change for the query index (push_tokens).
func mirrorPushTokens(ctx context.Context, tx *Tx, userID int64) error {
	if _, err := tx.exec(ctx, "UPDATE users SET updated_at = ? WHERE id = ?", tx.db.timeArg(tx.now), userID); err != nil {
		return formatError(err, "push tokens")
	}
	return tx.logChange(ctx, userID, roster.ChangeUpsert)
}

// platformProvider is the provider of a push_tokens entry's platform.
func platformProvider(platform string) string {
	switch platform {
	case "ios", "apns":
		return roster.ProviderAPNs
	case "web", "webpush":
		return roster.ProviderWebPush
	}
	return roster.ProviderFCM
}

// syncPushTokenRecords makes the user's records follow a push_tokens value
// set by staff or the API: records not in list go, new entries come.
func syncPushTokenRecords(ctx context.Context, tx *Tx, userID int64, list []roster.PushToken) error {
	have := map[[2]string]bool{}
	for _, t := range list {
		have[[2]string{platformProvider(t.Platform), t.Token}] = true
	}
	rows, err := tx.query(ctx, "SELECT id, provider, token FROM user_push_tokens WHERE user_id = ?", userID) //nolint:sqlclosecheck // eachRow closes them
	if err != nil {
		return formatError(err, "push tokens")
	}
	var drop []int64
	err = eachRow(rows, func() error {
		var id int64
		var p, t string
		if err := rows.Scan(&id, &p, &t); err != nil {
			return err
		}
		if have[[2]string{p, t}] {
			delete(have, [2]string{p, t})
		} else {
			drop = append(drop, id)
		}
		return nil
	})
	if err != nil {
		return formatError(err, "push tokens")
	}
	for _, id := range drop {
		if _, err := tx.exec(ctx, "DELETE FROM user_push_tokens WHERE id = ?", id); err != nil {
			return formatError(err, "push tokens")
		}
	}
	for _, t := range list {
		k := [2]string{platformProvider(t.Platform), t.Token}
		if !have[k] {
			continue
		}
		delete(have, k)
		if _, err := tx.exec(ctx, "INSERT INTO user_push_tokens (user_id, provider, token, created_at) VALUES (?, ?, ?, ?)", userID, k[0], k[1], tx.db.timeArg(tx.now)); err != nil {
			return formatError(err, "push tokens")
		}
	}
	return nil
}

// insertPushTokens adds the records of the push_tokens values of users
// just inserted (their ids set; 0: skipped), with multi-row inserts.
func insertPushTokens(ctx context.Context, tx *Tx, users []*roster.User) error {
	const perStatement = 250
	var args []any
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		q := "INSERT INTO user_push_tokens (user_id, provider, token, created_at) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?),", rows), ",") + " ON CONFLICT DO NOTHING"
		_, err := tx.exec(ctx, q, args...)
		args, rows = args[:0], 0
		return formatError(err, "push tokens")
	}
	for _, u := range users {
		if u.ID == 0 {
			continue
		}
		for _, t := range u.PushTokens {
			if t.Token == "" {
				continue
			}
			args = append(args, u.ID, platformProvider(t.Platform), t.Token, tx.db.timeArg(tx.now))
			if rows++; rows == perStatement {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}
