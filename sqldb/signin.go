package sqldb

import (
	"context"
	"database/sql"
	"errors"
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

// attemptCheck decides from the keys' recent failures whether an attempt
// may be tried at now (the domain's policy: roster.CheckStaffSignIn).
type attemptCheck func(f []roster.Failures, now time.Time) error

// eachKey is the attemptCheck of keys that stand alone: each key's own
// throttle decides.
func eachKey(limits ...roster.Throttle) attemptCheck {
	return func(f []roster.Failures, now time.Time) error {
		for i, t := range limits {
			if err := t.Check(f[i].N, f[i].Last, now); err != nil {
				return err
			}
		}
		return nil
	}
}

// countAttempt records an attempt as a failure under every key, unless
// check refuses it (ETOOMANY): the counters are read and written in one
// transaction that locks them, before the password is checked, so that
// parallel guesses are throttled like sequential ones instead of all
// passing the check before any is recorded. counted, when set, runs in
// that transaction with each key's new count.
func (db *DB) countAttempt(ctx context.Context, keys []string, limits []roster.Throttle, check attemptCheck,
	counted func(tx *Tx, counts []int) error) (*attempt, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a := &attempt{at: tx.now, keys: keys, limits: limits, prev: make([]time.Time, len(keys))}
	failures := make([]roster.Failures, len(keys))
	for i, k := range keys {
		// The row must exist for FOR UPDATE to lock it on PostgreSQL;
		// SQLite's single writer serialises these transactions anyway.
		if _, err := tx.exec(ctx, "INSERT INTO login_failures (key, failures, last_failure) VALUES (?, 0, ?) ON CONFLICT (key) DO NOTHING", k, db.timeArg(tx.now)); err != nil {
			return nil, formatError(err, "count sign-in")
		}
		if err := tx.queryRow(ctx, "SELECT failures, last_failure FROM login_failures WHERE key = ?"+db.forUpdate(), k).Scan(&failures[i].N, timeScan{&a.prev[i]}); err != nil {
			return nil, formatError(err, "count sign-in")
		}
		failures[i].Last = a.prev[i]
	}
	if err := check(failures, tx.now); err != nil {
		return nil, err
	}
	counts := make([]int, len(keys))
	for i, k := range keys {
		counts[i] = limits[i].Failed(failures[i].N, failures[i].Last, tx.now)
		if _, err := tx.exec(ctx, "UPDATE login_failures SET failures = ?, last_failure = ? WHERE key = ?",
			counts[i], db.timeArg(tx.now), k); err != nil {
			return nil, formatError(err, "count sign-in")
		}
	}
	if counted != nil {
		if err := counted(tx, counts); err != nil {
			return nil, err
		}
	}
	return a, tx.commit()
}

// recentFailures returns the failures counted under key within t's window
// at now: none when they are older.
func (db *DB) recentFailures(ctx context.Context, key string, t roster.Throttle) (roster.Failures, error) {
	var f roster.Failures
	err := db.queryRow(ctx, "SELECT failures, last_failure FROM login_failures WHERE key = ?", key).Scan(&f.N, timeScan{&f.Last})
	if errors.Is(err, sql.ErrNoRows) || err == nil && db.Now().Sub(f.Last) >= t.Window {
		return roster.Failures{}, nil
	}
	return f, formatError(err, "count sign-in failures")
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
