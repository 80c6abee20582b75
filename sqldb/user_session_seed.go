package sqldb

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"roster"
)

// SeedSessions adds n sessions to the user userID, or to every user when
// userID is 0, in one statement: what benchmarks measure against. Their
// token hashes are made up, so no token opens them. It returns how many
// it added.
func (s *UserSessionService) SeedSessions(ctx context.Context, userID int64, n int) (int64, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return 0, err
	}
	batch := "seed-" + hex.EncodeToString(b) + "-"
	p, err := s.MemberPolicy(ctx)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	where, args := "", []any{n, batch, s.db.timeArg(tx.now), s.db.timeArg(tx.now), s.db.timeArg(tx.now.Add(p.AbsoluteTTL))}
	if userID != 0 {
		where, args = " WHERE u.id = ?", append(args, userID)
	}
	res, err := tx.exec(ctx, `WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?)
INSERT INTO user_sessions (user_id, token_hash, device_name, platform, app_version, created_at, last_used_at, expires_at)
SELECT u.id, CAST(? AS TEXT) || u.id || '-' || k.n, 'Seeded device', 'android', '1.0', ?, ?, ?
FROM users u CROSS JOIN k`+where, args...)
	if err != nil {
		return 0, formatError(err, "seed sessions")
	}
	added, _ := res.RowsAffected()
	// The users' sessions.last_seen and platform changed: the index
	// follows the log.
	if userID != 0 {
		err = tx.logChange(ctx, userID, roster.ChangeUpsert)
	} else {
		err = tx.appendChanges(ctx, "SELECT id, ?, ? FROM users", false, string(roster.ChangeUpsert), s.db.timeArg(tx.now))
	}
	if err != nil {
		return 0, err
	}
	if err := tx.commit(); err != nil {
		return 0, err
	}
	return added, nil
}

// CountSessions returns how many session rows there are, ended or not.
func (s *UserSessionService) CountSessions(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.queryRow(ctx, "SELECT count(*) FROM user_sessions").Scan(&n)
	return n, formatError(err, "count sessions")
}
