package sqldb

import (
	"context"
	"time"

	"roster"
)

// attempt is a sign-in (or password check) counted as a failure under its
// keys until it succeeds: what forgive needs to take it back.
type attempt struct {
	at     time.Time
	keys   []string
	limits []roster.Throttle
	prev   []time.Time // each key's previous last failure
}

// countAttempt records an attempt as a failure under every key, unless a
// key's throttle refuses it (ETOOMANY): the counters are read and written
// in one transaction that locks them, before the password is checked, so
// that parallel guesses are throttled like sequential ones instead of all
// passing the check before any is recorded.
func (db *DB) countAttempt(ctx context.Context, keys []string, limits []roster.Throttle) (*attempt, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a := &attempt{at: tx.now, keys: keys, limits: limits, prev: make([]time.Time, len(keys))}
	counts := make([]int, len(keys))
	for i, k := range keys {
		// The row must exist for FOR UPDATE to lock it on PostgreSQL;
		// SQLite's single writer serialises these transactions anyway.
		if _, err := tx.exec(ctx, "INSERT INTO login_failures (key, failures, last_failure) VALUES (?, 0, ?) ON CONFLICT (key) DO NOTHING", k, db.timeArg(tx.now)); err != nil {
			return nil, formatError(err, "count sign-in")
		}
		if err := tx.queryRow(ctx, "SELECT failures, last_failure FROM login_failures WHERE key = ?"+db.forUpdate(), k).Scan(&counts[i], timeScan{&a.prev[i]}); err != nil {
			return nil, formatError(err, "count sign-in")
		}
		if err := limits[i].Check(counts[i], a.prev[i], tx.now); err != nil {
			return nil, err
		}
	}
	for i, k := range keys {
		if _, err := tx.exec(ctx, "UPDATE login_failures SET failures = ?, last_failure = ? WHERE key = ?",
			limits[i].Failed(counts[i], a.prev[i], tx.now), db.timeArg(tx.now), k); err != nil {
			return nil, formatError(err, "count sign-in")
		}
	}
	return a, tx.commit()
}

// forgive takes back a successful attempt within tx: its keys' failures
// are forgotten, or the attempt alone is uncounted, as their throttles say.
func (tx *Tx) forgive(ctx context.Context, a *attempt) error {
	for i, k := range a.keys {
		if a.limits[i].ForgetOnSuccess {
			if _, err := tx.exec(ctx, "DELETE FROM login_failures WHERE key = ?", k); err != nil {
				return formatError(err, "sign-in")
			}
			continue
		}
		// Only the last failure's time this attempt set goes back: a
		// failure recorded since stays.
		if _, err := tx.exec(ctx, `UPDATE login_failures SET failures = failures - 1,
				last_failure = CASE WHEN last_failure = ? THEN ? ELSE last_failure END
			WHERE key = ? AND failures > 0`, tx.db.timeArg(a.at), tx.db.timeArg(a.prev[i]), k); err != nil {
			return formatError(err, "sign-in")
		}
	}
	return nil
}
