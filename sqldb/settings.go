package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Secret returns the shared secret called name, creating it on first use.
// Every node reads the same value, so that what one node signs (a page
// cursor) another accepts.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	// Two nodes racing to create it both end up reading the winner's.
	if _, err := db.write.ExecContext(ctx, db.rebind("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"), "secret:"+name, hex.EncodeToString(b)); err != nil {
		return nil, formatError(err, "secret")
	}
	var v string
	if err := db.write.QueryRowContext(ctx, db.rebind("SELECT value FROM settings WHERE key = ?"), "secret:"+name).Scan(&v); err != nil {
		return nil, formatError(err, "secret")
	}
	key, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return key, nil
}

// rowQuerier is a pool or a transaction: where a setting is read from.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readJSONSetting reads the setting key, stored as JSON, through q into a
// copy of def, which it returns as it is when the setting was never
// saved. what names the setting in errors.
func readJSONSetting[T any](ctx context.Context, q rowQuerier, db *DB, key, what string, def T) (T, error) {
	var v string
	err := q.QueryRowContext(ctx, db.rebind("SELECT value FROM settings WHERE key = ?"), key).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return def, nil
	case err != nil:
		return def, formatError(err, what)
	}
	if err := json.Unmarshal([]byte(v), &def); err != nil {
		return def, fmt.Errorf("%s: %w", what, err)
	}
	return def, nil
}
