package sqldb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
