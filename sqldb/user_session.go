package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"roster"
)

// UserSessionService keeps user sessions (the member API's credentials)
// and push token records.
//
// Checked sessions are cached in memory, so that a member request costs no
// database round trip to authenticate. Every end of sessions (sign-out,
// staff, ban, delete, refresh) writes a row to user_session_ends in the
// transaction that ends them; each node reads the rows it has not seen at
// most once a second, before it answers from its cache, and drops those
// sessions: an end made on any node takes effect everywhere within a
// second, and at once on the node that made it.
type UserSessionService struct {
	db    *DB
	cache sessionCache

	policyMu   sync.Mutex
	policy     roster.MemberPolicy
	policyRead time.Time
}

// Ensure UserSessionService implements the domain interface.
var _ roster.UserSessionService = (*UserSessionService)(nil)

// NewUserSessionService returns a UserSessionService on db.
func NewUserSessionService(db *DB) *UserSessionService {
	s := &UserSessionService{db: db}
	s.cache.byHash = map[string]*cachedSession{}
	s.cache.byUser = map[int64]map[int64]string{}
	return s
}

// Session timing.
const (
	// sessionPollEvery is how stale a node's view of ended sessions may
	// be: at most this long after an end on another node, its cache
	// drops the session. Half the promised second, so that a busy node
	// still keeps the promise.
	sessionPollEvery = 500 * time.Millisecond
	// userSessionTouchEvery limits last-used writes to one a minute per
	// session.
	userSessionTouchEvery = time.Minute
	// endsKeep is how long rows of user_session_ends are kept; a poll
	// also reads the rows of the last endsWindow whatever their seq, as
	// PostgreSQL may commit a lower seq after a higher one.
	endsKeep   = time.Hour
	endsWindow = 5 * time.Second
	// maxCachedSessions bounds the cache; past it, a tenth is dropped.
	maxCachedSessions = 500_000
	// memberPolicyKey is the settings row of the session policy.
	memberPolicyKey = "member"
	memberPolicyTTL = 2 * time.Second
)

// sessionCache holds the sessions checked recently, by token hash.
type sessionCache struct {
	mu     sync.RWMutex
	byHash map[string]*cachedSession
	byUser map[int64]map[int64]string // user -> session -> token hash
	gen    uint64                     // bumped by every drop

	pollMu sync.Mutex
	polled time.Time
	seq    int64 // the last user_session_ends row seen
}

type cachedSession struct {
	s roster.UserSession // ExpiresAt and LastUsedAt as stored
}

// get returns the cached session of hash and the cache's generation.
func (c *sessionCache) get(hash string) (roster.UserSession, bool, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.byHash[hash]
	if !ok {
		return roster.UserSession{}, false, c.gen
	}
	return e.s, true, c.gen
}

// put caches s under hash, unless something was dropped since gen (the
// session read may be one of those).
func (c *sessionCache) put(hash string, s roster.UserSession, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.byHash) >= maxCachedSessions {
		n := 0
		for h, e := range c.byHash {
			c.dropLocked(h, e.s.UserID, e.s.ID)
			if n++; n >= maxCachedSessions/10 {
				break
			}
		}
	}
	c.byHash[hash] = &cachedSession{s: s}
	m := c.byUser[s.UserID]
	if m == nil {
		m = map[int64]string{}
		c.byUser[s.UserID] = m
	}
	m[s.ID] = hash
}

// touch records a newer last use of a cached session.
func (c *sessionCache) touch(hash string, at time.Time) {
	c.mu.Lock()
	if e, ok := c.byHash[hash]; ok {
		e.s.LastUsedAt = at
	}
	c.mu.Unlock()
}

func (c *sessionCache) dropLocked(hash string, userID, sessionID int64) {
	delete(c.byHash, hash)
	if m := c.byUser[userID]; m != nil {
		delete(m, sessionID)
		if len(m) == 0 {
			delete(c.byUser, userID)
		}
	}
}

// drop forgets a user's session, or all of them when sessionID is 0.
func (c *sessionCache) drop(userID, sessionID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for id, h := range c.byUser[userID] {
		if sessionID == 0 || id == sessionID {
			c.dropLocked(h, userID, id)
		}
	}
}

// poll reads the ends not seen yet, at most once per sessionPollEvery.
func (s *UserSessionService) poll(ctx context.Context) error {
	c := &s.cache
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	if time.Since(c.polled) < sessionPollEvery {
		return nil
	}
	started := time.Now()
	rows, err := s.db.query(ctx, "SELECT seq, user_id, coalesce(session_id, 0) FROM user_session_ends WHERE seq > ? OR ended_at > ?",
		c.seq, s.db.timeArg(s.db.Now().Add(-endsWindow)))
	if err != nil {
		return formatError(err, "poll session ends")
	}
	type end struct{ user, session int64 }
	var ends []end
	max := c.seq
	err = eachRow(rows, func() error {
		var seq int64
		var e end
		if err := rows.Scan(&seq, &e.user, &e.session); err != nil {
			return err
		}
		ends = append(ends, e)
		if seq > max {
			max = seq
		}
		return nil
	})
	if err != nil {
		return formatError(err, "poll session ends")
	}
	for _, e := range ends {
		c.drop(e.user, e.session)
	}
	c.seq, c.polled = max, started
	return nil
}

// parseToken checks the shape of a token of prefix: the prefix and 43
// characters of unpadded base64url (256 bits).
func parseToken(tok, prefix string) error {
	if tok == "" {
		return roster.TokenError(roster.TokenMissing)
	}
	for _, other := range []string{tokenPrefix, roster.UserAccessPrefix, roster.UserRefreshPrefix} {
		if other != prefix && strings.HasPrefix(tok, other) {
			return roster.TokenError(roster.TokenWrongKind)
		}
	}
	body, ok := strings.CutPrefix(tok, prefix)
	if !ok || len(body) != 43 {
		return roster.TokenError(roster.TokenMalformed)
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return roster.TokenError(roster.TokenMalformed)
		}
	}
	return nil
}

const userSessionColumns = "id, user_id, device_name, platform, app_version, user_agent, client_addr, created_at, last_used_at, expires_at, refresh_hash IS NOT NULL, ended_at, end_reason"

func scanUserSession(row interface{ Scan(...any) error }) (*roster.UserSession, error) {
	var u roster.UserSession
	err := row.Scan(&u.ID, &u.UserID, &u.Device.Name, &u.Device.Platform, &u.Device.AppVersion, &u.Device.UserAgent, &u.Device.ClientAddr,
		timeScan{&u.CreatedAt}, timeScan{&u.LastUsedAt}, timeScan{&u.ExpiresAt}, &u.Refresh, timeScan{&u.EndedAt}, &u.EndReason)
	return &u, err
}

// StartSession creates a session for userID on d.
func (s *UserSessionService) StartSession(ctx context.Context, userID int64, d roster.UserDevice) (*roster.UserSession, roster.SessionTokens, error) {
	if err := d.Validate(); err != nil {
		return nil, roster.SessionTokens{}, err
	}
	p, err := s.MemberPolicy(ctx)
	if err != nil {
		return nil, roster.SessionTokens{}, err
	}
	var tok roster.SessionTokens
	var accessHash string
	var refreshHash any
	tok.Access, accessHash = newSecret(roster.UserAccessPrefix)
	if p.Refresh {
		var h string
		tok.Refresh, h = newSecret(roster.UserRefreshPrefix)
		refreshHash = h
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, tok, err
	}
	defer tx.Rollback()
	sess := &roster.UserSession{UserID: userID, Device: d, CreatedAt: tx.now, LastUsedAt: tx.now, ExpiresAt: tx.now.Add(p.AbsoluteTTL), Refresh: p.Refresh}
	sess.ID, err = tx.insert(ctx, "INSERT INTO user_sessions (user_id, token_hash, refresh_hash, device_name, platform, app_version, user_agent, client_addr, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		userID, accessHash, refreshHash, d.Name, d.Platform, d.AppVersion, d.UserAgent, d.ClientAddr, s.db.timeArg(tx.now), s.db.timeArg(tx.now), s.db.timeArg(sess.ExpiresAt))
	if err != nil {
		return nil, tok, formatError(err, "start session")
	}
	// The user's sessions.last_seen and platform changed.
	if err := tx.logChange(ctx, userID, roster.ChangeUpsert); err != nil {
		return nil, tok, err
	}
	// Old rows are swept here now and then rather than by a timer.
	if rand.IntN(100) == 0 {
		if err := s.sweep(ctx, tx); err != nil {
			return nil, tok, err
		}
	}
	if err := tx.commit(); err != nil {
		return nil, tok, err
	}
	sess.IdleExpiresAt = sess.LastUsedAt.Add(p.IdleTTL)
	return sess, tok, nil
}

// sweep deletes the ends every node has read and the sessions over for a
// month.
func (s *UserSessionService) sweep(ctx context.Context, tx *Tx) error {
	if _, err := tx.exec(ctx, "DELETE FROM user_session_ends WHERE ended_at < ?", s.db.timeArg(tx.now.Add(-endsKeep))); err != nil {
		return formatError(err, "sweep sessions")
	}
	month := s.db.timeArg(tx.now.Add(-30 * 24 * time.Hour))
	// Their users' sessions.last_seen and platform may change.
	ids, err := tx.ids(ctx, "SELECT DISTINCT user_id FROM user_sessions WHERE ended_at < ? OR expires_at < ?", month, month)
	if err != nil {
		return formatError(err, "sweep sessions")
	}
	if len(ids) == 0 {
		return nil
	}
	users := make([]*roster.User, len(ids))
	for i, id := range ids {
		users[i] = &roster.User{ID: id}
	}
	if _, err := tx.exec(ctx, "DELETE FROM user_sessions WHERE ended_at < ? OR expires_at < ?", month, month); err != nil {
		return formatError(err, "sweep sessions")
	}
	return tx.logChanges(ctx, users, roster.ChangeUpsert)
}

// CheckSession returns the live session of an access token.
func (s *UserSessionService) CheckSession(ctx context.Context, access string) (*roster.UserSession, error) {
	if err := parseToken(access, roster.UserAccessPrefix); err != nil {
		return nil, err
	}
	if err := s.poll(ctx); err != nil {
		return nil, err
	}
	p, err := s.MemberPolicy(ctx)
	if err != nil {
		return nil, err
	}
	hash := hashSecret(access)
	sess, ok, gen := s.cache.get(hash)
	if !ok {
		got, err := s.readSession(ctx, hash)
		if err != nil {
			return nil, err
		}
		sess = *got
	}
	now := s.db.Now()
	sess.IdleExpiresAt = sess.LastUsedAt.Add(p.IdleTTL)
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.IdleExpiresAt) {
		return nil, roster.TokenError(roster.TokenExpired)
	}
	if !ok {
		s.cache.put(hash, sess, gen)
	}
	if now.Sub(sess.LastUsedAt) > userSessionTouchEvery {
		if err := s.touch(ctx, &sess, now); err != nil {
			return nil, err
		}
		sess.LastUsedAt, sess.IdleExpiresAt = now, now.Add(p.IdleTTL)
		s.cache.touch(hash, now)
	}
	return &sess, nil
}

// touch records a use of sess at now: its last use, and a change of its
// user (sessions.last_seen) for the index.
func (s *UserSessionService) touch(ctx context.Context, sess *roster.UserSession, now time.Time) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, "UPDATE user_sessions SET last_used_at = ? WHERE id = ?", s.db.timeArg(now), sess.ID); err != nil {
		return formatError(err, "touch session")
	}
	if err := tx.logChange(ctx, sess.UserID, roster.ChangeUpsert); err != nil {
		return err
	}
	return tx.commit()
}

// readSession reads the session of an access token hash; an ended one,
// or a token refreshed away, is refused as revoked.
func (s *UserSessionService) readSession(ctx context.Context, hash string) (*roster.UserSession, error) {
	sess, err := scanUserSession(s.db.queryRow(ctx, "SELECT "+userSessionColumns+" FROM user_sessions WHERE token_hash = ?", hash))
	if errors.Is(err, sql.ErrNoRows) {
		var id int64
		err := s.db.queryRow(ctx, "SELECT session_id FROM user_session_refreshed WHERE refresh_hash = ?", hash).Scan(&id)
		if err == nil {
			return nil, roster.TokenError(roster.TokenRevoked)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil, roster.TokenError(roster.TokenInvalid)
		}
		return nil, formatError(err, "find session")
	}
	if err != nil {
		return nil, formatError(err, "find session")
	}
	if !sess.EndedAt.IsZero() {
		return nil, roster.TokenError(roster.TokenRevoked)
	}
	return sess, nil
}

// Refresh replaces a session's tokens, given its refresh token.
func (s *UserSessionService) Refresh(ctx context.Context, refresh string, d roster.UserDevice) (*roster.UserSession, roster.SessionTokens, error) {
	var tok roster.SessionTokens
	if err := parseToken(refresh, roster.UserRefreshPrefix); err != nil {
		return nil, tok, err
	}
	p, err := s.MemberPolicy(ctx)
	if err != nil {
		return nil, tok, err
	}
	hash := hashSecret(refresh)
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, tok, err
	}
	defer tx.Rollback()
	var oldAccess string
	var sess *roster.UserSession
	row := tx.queryRow(ctx, "SELECT token_hash, "+userSessionColumns+" FROM user_sessions WHERE refresh_hash = ?", hash)
	var scanned roster.UserSession
	err = row.Scan(&oldAccess, &scanned.ID, &scanned.UserID, &scanned.Device.Name, &scanned.Device.Platform, &scanned.Device.AppVersion, &scanned.Device.UserAgent, &scanned.Device.ClientAddr,
		timeScan{&scanned.CreatedAt}, timeScan{&scanned.LastUsedAt}, timeScan{&scanned.ExpiresAt}, &scanned.Refresh, timeScan{&scanned.EndedAt}, &scanned.EndReason)
	if errors.Is(err, sql.ErrNoRows) {
		// A refresh token used before: whoever holds it, the session is
		// no longer safe, and ends.
		var id, userID int64
		err := tx.queryRow(ctx, "SELECT r.session_id, s.user_id FROM user_session_refreshed r JOIN user_sessions s ON s.id = r.session_id WHERE r.refresh_hash = ?", hash).Scan(&id, &userID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, tok, roster.TokenError(roster.TokenInvalid)
		}
		if err != nil {
			return nil, tok, formatError(err, "refresh session")
		}
		if _, err := s.end(ctx, tx, userID, id, 0, roster.EndRefreshReused); err != nil {
			return nil, tok, err
		}
		if err := tx.commit(); err != nil {
			return nil, tok, err
		}
		s.cache.drop(userID, id)
		return nil, tok, roster.TokenError(roster.TokenRevoked)
	}
	if err != nil {
		return nil, tok, formatError(err, "refresh session")
	}
	sess = &scanned
	if !sess.EndedAt.IsZero() {
		return nil, tok, roster.TokenError(roster.TokenRevoked)
	}
	if !tx.now.Before(sess.ExpiresAt) || !tx.now.Before(sess.LastUsedAt.Add(p.IdleTTL)) {
		return nil, tok, roster.TokenError(roster.TokenExpired)
	}
	if err := d.Validate(); err != nil {
		return nil, tok, err
	}
	if d.AppVersion != "" {
		sess.Device.AppVersion = d.AppVersion
	}
	var accessHash, refreshHash string
	tok.Access, accessHash = newSecret(roster.UserAccessPrefix)
	tok.Refresh, refreshHash = newSecret(roster.UserRefreshPrefix)
	res, err := tx.exec(ctx, "UPDATE user_sessions SET token_hash = ?, refresh_hash = ?, last_used_at = ?, app_version = ?, client_addr = ? WHERE id = ? AND refresh_hash = ?",
		accessHash, refreshHash, s.db.timeArg(tx.now), sess.Device.AppVersion, d.ClientAddr, sess.ID, hash)
	if err != nil {
		return nil, tok, formatError(err, "refresh session")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, tok, roster.TokenError(roster.TokenRevoked) // a concurrent refresh won
	}
	if _, err := tx.exec(ctx, "INSERT INTO user_session_refreshed (refresh_hash, session_id) VALUES (?, ?), (?, ?)", hash, sess.ID, oldAccess, sess.ID); err != nil {
		return nil, tok, formatError(err, "refresh session")
	}
	// The old access token dies: other nodes drop it from their caches.
	if _, err := tx.exec(ctx, "INSERT INTO user_session_ends (user_id, session_id, ended_at) VALUES (?, ?, ?)", sess.UserID, sess.ID, s.db.timeArg(tx.now)); err != nil {
		return nil, tok, formatError(err, "refresh session")
	}
	if err := tx.logChange(ctx, sess.UserID, roster.ChangeUpsert); err != nil { // sessions.last_seen
		return nil, tok, err
	}
	if err := tx.commit(); err != nil {
		return nil, tok, err
	}
	s.cache.drop(sess.UserID, sess.ID)
	sess.Device.ClientAddr = d.ClientAddr
	sess.LastUsedAt = tx.now
	sess.IdleExpiresAt = tx.now.Add(p.IdleTTL)
	return sess, tok, nil
}

// FindSessions returns a user's live sessions, the last used first.
func (s *UserSessionService) FindSessions(ctx context.Context, userID int64) ([]roster.UserSession, error) {
	p, err := s.MemberPolicy(ctx)
	if err != nil {
		return nil, err
	}
	now := s.db.Now()
	rows, err := s.db.query(ctx, "SELECT "+userSessionColumns+" FROM user_sessions WHERE user_id = ? AND ended_at IS NULL AND expires_at > ? AND last_used_at > ? ORDER BY last_used_at DESC, id DESC",
		userID, s.db.timeArg(now), s.db.timeArg(now.Add(-p.IdleTTL)))
	if err != nil {
		return nil, formatError(err, "find sessions")
	}
	var out []roster.UserSession
	err = eachRow(rows, func() error {
		sess, err := scanUserSession(rows)
		if err != nil {
			return err
		}
		sess.IdleExpiresAt = sess.LastUsedAt.Add(p.IdleTTL)
		out = append(out, *sess)
		return nil
	})
	return out, formatError(err, "find sessions")
}

// EndSession ends one live session of the user.
func (s *UserSessionService) EndSession(ctx context.Context, userID, sessionID int64, reason string) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := s.end(ctx, tx, userID, sessionID, 0, reason)
	if err != nil {
		return err
	}
	if n == 0 {
		return roster.Errorf(roster.ENOTFOUND, "No such session.")
	}
	if err := tx.commit(); err != nil {
		return err
	}
	s.cache.drop(userID, sessionID)
	return nil
}

// EndSessions ends every live session of the user but keep.
func (s *UserSessionService) EndSessions(ctx context.Context, userID, keep int64, reason string) (int, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := s.end(ctx, tx, userID, 0, keep, reason)
	if err != nil {
		return 0, err
	}
	if err := tx.commit(); err != nil {
		return 0, err
	}
	s.cache.drop(userID, 0)
	return n, nil
}

// end ends in tx the user's session sessionID, or all but keep when
// sessionID is 0, and records the end for every node's cache. Staff ending
// sessions is audited.
func (s *UserSessionService) end(ctx context.Context, tx *Tx, userID, sessionID, keep int64, reason string) (int, error) {
	return endUserSessions(ctx, tx, userID, sessionID, keep, reason)
}

// endUserSessions is end for any service's transaction: a ban or a
// deletion ends the user's sessions with it.
func endUserSessions(ctx context.Context, tx *Tx, userID, sessionID, keep int64, reason string) (int, error) {
	q, args := "UPDATE user_sessions SET ended_at = ?, end_reason = ? WHERE user_id = ? AND ended_at IS NULL", []any{tx.db.timeArg(tx.now), reason, userID}
	if sessionID != 0 {
		q, args = q+" AND id = ?", append(args, sessionID)
	} else if keep != 0 {
		q, args = q+" AND id <> ?", append(args, keep)
	}
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return 0, formatError(err, "end sessions")
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return 0, nil
	}
	var sid any
	if sessionID != 0 {
		sid = sessionID
	}
	if _, err := tx.exec(ctx, "INSERT INTO user_session_ends (user_id, session_id, ended_at) VALUES (?, ?, ?)", userID, sid, tx.db.timeArg(tx.now)); err != nil {
		return 0, formatError(err, "end sessions")
	}
	if reason == roster.EndByStaff {
		var public string
		if err := tx.queryRow(ctx, "SELECT public_id FROM users WHERE id = ?", userID).Scan(&public); err != nil {
			return 0, formatError(err, "end sessions")
		}
		action, note := "user.sessions_end", fmt.Sprintf("%d sessions", n)
		if sessionID != 0 {
			action, note = "user.session_end", fmt.Sprintf("session %d", sessionID)
		}
		if err := tx.audit(ctx, action, "user", public, nil, note); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

// MemberPolicy returns the session policy in force: read again at most
// every memberPolicyTTL, so that a change on another node shows here
// within that time.
func (s *UserSessionService) MemberPolicy(ctx context.Context) (roster.MemberPolicy, error) {
	s.policyMu.Lock()
	defer s.policyMu.Unlock()
	if !s.policyRead.IsZero() && time.Since(s.policyRead) < memberPolicyTTL {
		return s.policy, nil
	}
	p, err := readMemberPolicy(ctx, s.db.read, s.db)
	if err != nil {
		return p, err
	}
	s.policy, s.policyRead = p, time.Now()
	return p, nil
}

func readMemberPolicy(ctx context.Context, q rowQuerier, db *DB) (roster.MemberPolicy, error) {
	return readJSONSetting(ctx, q, db, memberPolicyKey, "session policy", roster.DefaultMemberPolicy())
}

// SetMemberPolicy changes the session policy, audited.
func (s *UserSessionService) SetMemberPolicy(ctx context.Context, p roster.MemberPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	before, err := readMemberPolicy(ctx, tx.Tx, s.db)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(p) // numbers and bools: cannot fail
	if _, err := tx.exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", memberPolicyKey, string(b)); err != nil {
		return formatError(err, "session policy")
	}
	if err := tx.audit(ctx, "settings.member", "settings", memberPolicyKey, jsonChanges(before, p), ""); err != nil {
		return err
	}
	if err := tx.commit(); err != nil {
		return err
	}
	s.policyMu.Lock()
	s.policy, s.policyRead = p, time.Now()
	s.policyMu.Unlock()
	return nil
}

// jsonChanges lists the members of two values' JSON forms that differ.
func jsonChanges(before, after any) map[string]roster.Change {
	var b, a map[string]any
	bj, _ := json.Marshal(before)
	aj, _ := json.Marshal(after)
	_ = json.Unmarshal(bj, &b)
	_ = json.Unmarshal(aj, &a)
	out := map[string]roster.Change{}
	for k, v := range a {
		bv, _ := json.Marshal(b[k])
		av, _ := json.Marshal(v)
		if string(bv) != string(av) {
			out[k] = roster.Change{Before: b[k], After: v}
		}
	}
	return out
}
