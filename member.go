package roster

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// User sessions: what the operator's app holds for a signed-in user and
// what the member API (/api/member/v1/) authenticates with. A session is
// created by a sign-in (the operator's backend through
// POST /api/v1/users/authenticate, or the app through the public member
// sign-in), carries an opaque bearer token stored hashed, and ends when
// the user signs out, staff end it, the user is banned or deleted, it goes
// unused for the idle expiry, or it reaches its absolute expiry.

// Token prefixes: a user session's access and refresh tokens are told
// apart from each other and from staff API tokens (rst_) by their start.
const (
	UserAccessPrefix  = "rsu_"
	UserRefreshPrefix = "rsr_"
)

// Token refusal reasons: the reason of a 401 from the member API.
const (
	TokenMissing   = "token_missing"    // no Authorization: Bearer header
	TokenMalformed = "token_malformed"  // not the shape of a session token (truncated, altered)
	TokenWrongKind = "token_wrong_kind" // a staff token, or a refresh token used as access token
	TokenInvalid   = "token_invalid"    // well formed, but no session has it (forged)
	TokenExpired   = "token_expired"    // idle or absolute expiry reached
	TokenRevoked   = "token_revoked"    // signed out, ended by staff, or refreshed away
)

// TokenError is a refused session token: EUNAUTHORIZED with its reason.
func TokenError(reason string) error {
	msg := map[string]string{
		TokenMissing:   "A session token is required: Authorization: Bearer <access_token>.",
		TokenMalformed: "This is not a session token.",
		TokenWrongKind: "This token is not a user session's access token.",
		TokenInvalid:   "This session token is not valid.",
		TokenExpired:   "This session has expired. Please sign in again.",
		TokenRevoked:   "This session has ended. Please sign in again.",
	}[reason]
	return &Error{Code: EUNAUTHORIZED, Message: msg, Fields: map[string]string{"token": reason}, Position: -1}
}

// TokenRefused returns the reason of a TokenError, or "" when err is not
// one.
func TokenRefused(err error) string {
	if e, ok := err.(*Error); ok && e.Code == EUNAUTHORIZED && e.Fields != nil {
		return e.Fields["token"]
	}
	return ""
}

// SessionAnswerKeys are the members a sign-in's answer adds to the user's
// fields: no custom field may take their names.
var SessionAnswerKeys = []string{"access_token", "token_type", "expires_at", "refresh_token", "session"}

// IsSessionAnswerKey reports whether key is one of SessionAnswerKeys.
func IsSessionAnswerKey(key string) bool {
	for _, k := range SessionAnswerKeys {
		if k == key {
			return true
		}
	}
	return false
}

// UserDevice is what a client says about itself when a session starts.
type UserDevice struct {
	Name       string `json:"device_name"`
	Platform   string `json:"platform"`
	AppVersion string `json:"app_version"`
	// UserAgent and ClientAddr are taken from the request, not the body.
	UserAgent  string `json:"-"`
	ClientAddr string `json:"-"`
}

// UserDevice bounds.
const (
	MaxDeviceName = 100
	MaxPlatform   = 20
	MaxAppVersion = 40
	MaxUserAgent  = 255
)

// Validate checks what the client sent; errors name the field.
func (d *UserDevice) Validate() error {
	fe := FieldErrors{}
	d.Name, d.Platform, d.AppVersion = strings.TrimSpace(d.Name), strings.ToLower(strings.TrimSpace(d.Platform)), strings.TrimSpace(d.AppVersion)
	for _, f := range []struct {
		key, v string
		max    int
	}{{"device_name", d.Name, MaxDeviceName}, {"platform", d.Platform, MaxPlatform}, {"app_version", d.AppVersion, MaxAppVersion}} {
		if msg := TextProblem(f.v, f.max, false); msg != "" {
			fe.Add(f.key, msg)
		}
	}
	if len(d.UserAgent) > MaxUserAgent {
		d.UserAgent = d.UserAgent[:MaxUserAgent]
	}
	d.UserAgent = strings.ToValidUTF8(d.UserAgent, "")
	return fe.Err()
}

// UserSession is one signed-in device of a user.
type UserSession struct {
	ID     int64      `json:"id"`
	UserID int64      `json:"-"` // the store id
	Device UserDevice `json:"device"`
	// CreatedAt is the sign-in; LastUsedAt the last request, to the minute.
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	// ExpiresAt is the absolute expiry; IdleExpiresAt follows LastUsedAt.
	ExpiresAt     time.Time `json:"expires_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"`
	// Refresh says whether the session has a refresh token.
	Refresh bool `json:"refresh"`
	// EndedAt is set once the session ended, with why (signed_out,
	// ended_by_staff, ended_by_user, banned, deleted, refresh_reused,
	// password_changed).
	EndedAt   time.Time `json:"-"`
	EndReason string    `json:"-"`
}

// Expiry returns when s expires unless used again: the earlier of its
// idle and absolute expiry.
func (s *UserSession) Expiry() time.Time {
	if s.IdleExpiresAt.Before(s.ExpiresAt) {
		return s.IdleExpiresAt
	}
	return s.ExpiresAt
}

// SessionTokens are the secrets of a session, shown once: to the client
// that signed in or refreshed.
type SessionTokens struct {
	Access  string
	Refresh string // "" when refresh tokens are off
}

// Why sessions end.
const (
	EndSignedOut       = "signed_out"
	EndByUser          = "ended_by_user"
	EndByStaff         = "ended_by_staff"
	EndBanned          = "banned"
	EndDeleted         = "deleted"
	EndRefreshReused   = "refresh_reused"
	EndPasswordChanged = "password_changed"
)

// MemberPolicy is how the member API and user sessions work (the
// "member" settings: Settings → Accounts, and Settings → Fields for the
// fields users may edit).
type MemberPolicy struct {
	// SignIn opens the public POST /api/member/v1/sign-in to the app.
	SignIn bool
	// Refresh gives sessions a refresh token that rotates on use.
	Refresh bool
	// IdleTTL ends a session unused that long; AbsoluteTTL ends it that
	// long after sign-in whatever its use.
	IdleTTL, AbsoluteTTL time.Duration
	// EditableFields are the keys of the fields a user may change
	// through PATCH /api/member/v1/me.
	EditableFields []string
}

// Session policy bounds.
const (
	MinSessionTTL = 5 * time.Minute
	MaxSessionTTL = 400 * 24 * time.Hour
)

// DefaultMemberPolicy is the policy of a new installation: no public
// sign-in, no refresh tokens, 30 days idle, 90 days absolute.
func DefaultMemberPolicy() MemberPolicy {
	return MemberPolicy{IdleTTL: 30 * 24 * time.Hour, AbsoluteTTL: 90 * 24 * time.Hour}
}

type memberPolicyJSON struct {
	SignIn             bool     `json:"member_sign_in"`
	Refresh            bool     `json:"refresh_tokens"`
	IdleTTLMinutes     int64    `json:"idle_ttl_minutes"`
	AbsoluteTTLMinutes int64    `json:"absolute_ttl_minutes"`
	EditableFields     []string `json:"editable_fields"`
}

// MarshalJSON writes p with its lifetimes in minutes.
func (p MemberPolicy) MarshalJSON() ([]byte, error) {
	fields := p.EditableFields
	if fields == nil {
		fields = []string{}
	}
	return json.Marshal(memberPolicyJSON{p.SignIn, p.Refresh, int64(p.IdleTTL / time.Minute), int64(p.AbsoluteTTL / time.Minute), fields})
}

// UnmarshalJSON reads what MarshalJSON writes; members left out keep the
// value p had.
func (p *MemberPolicy) UnmarshalJSON(b []byte) error {
	j := memberPolicyJSON{p.SignIn, p.Refresh, int64(p.IdleTTL / time.Minute), int64(p.AbsoluteTTL / time.Minute), p.EditableFields}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	minutes := func(n int64) time.Duration {
		if n < 0 || n > int64(MaxSessionTTL/time.Minute)*2 {
			return -1 // Validate says so
		}
		return time.Duration(n) * time.Minute
	}
	*p = MemberPolicy{j.SignIn, j.Refresh, minutes(j.IdleTTLMinutes), minutes(j.AbsoluteTTLMinutes), j.EditableFields}
	return nil
}

// Validate checks the policy's bounds; errors name the field.
func (p MemberPolicy) Validate() error {
	fe := FieldErrors{}
	if p.IdleTTL < MinSessionTTL || p.IdleTTL > MaxSessionTTL {
		fe.Add("idle_ttl_minutes", "must be between 5 minutes and 400 days")
	}
	if p.AbsoluteTTL < MinSessionTTL || p.AbsoluteTTL > MaxSessionTTL {
		fe.Add("absolute_ttl_minutes", "must be between 5 minutes and 400 days")
	} else if p.AbsoluteTTL < p.IdleTTL {
		fe.Add("absolute_ttl_minutes", "must not be shorter than the idle expiry")
	}
	if len(p.EditableFields) > 500 {
		fe.Add("editable_fields", "has more than 500 fields")
	}
	return fe.Err()
}

// Editable reports whether users may change the field key themselves.
func (p MemberPolicy) Editable(key string) bool {
	for _, k := range p.EditableFields {
		if k == key {
			return true
		}
	}
	return false
}

// Push token providers.
const (
	ProviderFCM     = "fcm"
	ProviderAPNs    = "apns"
	ProviderWebPush = "webpush"
)

// PushTokenRecord is one push token of a user, as a record.
type PushTokenRecord struct {
	ID       int64  `json:"id"`
	Provider string `json:"provider"`
	Token    string `json:"token"`
	// SessionID is the session (device) it was registered from; 0: none.
	SessionID  int64     `json:"session_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	LastSentAt time.Time `json:"-"` // zero: never sent
}

// MaxPushTokenLen bounds a push token (APNs 64 hex, FCM about 160, a Web
// Push subscription's JSON a few hundred).
const MaxPushTokenLen = 4096

// Validate checks a token to register; errors name the field.
func (t *PushTokenRecord) Validate() error {
	fe := FieldErrors{}
	t.Provider = strings.ToLower(strings.TrimSpace(t.Provider))
	switch t.Provider {
	case ProviderFCM, ProviderAPNs, ProviderWebPush:
	case "":
		fe.Add("provider", `is required ("fcm", "apns" or "webpush")`)
	default:
		fe.Add("provider", `must be "fcm", "apns" or "webpush"`)
	}
	t.Token = strings.TrimSpace(t.Token)
	if t.Token == "" {
		fe.Add("token", "is required")
	} else if msg := TextProblem(t.Token, MaxPushTokenLen, false); msg != "" {
		fe.Add("token", msg)
	}
	return fe.Err()
}

// UserSessionService keeps user sessions and push token records. Users
// are named by their store id once a session is checked.
type UserSessionService interface {
	// StartSession creates a session for the user (store id) on device,
	// under the session policy. The tokens are returned once.
	StartSession(ctx context.Context, userID int64, d UserDevice) (*UserSession, SessionTokens, error)
	// CheckSession returns the live session of an access token. It does
	// not cost a database round trip for a session checked recently; an
	// end made on any node is seen within a second. EUNAUTHORIZED with a
	// TokenError reason.
	CheckSession(ctx context.Context, access string) (*UserSession, error)
	// Refresh replaces a session's tokens, given its refresh token. A
	// refresh token already used ends the session. EUNAUTHORIZED.
	Refresh(ctx context.Context, refresh string, d UserDevice) (*UserSession, SessionTokens, error)
	// FindSessions returns a user's live sessions, the last used first.
	FindSessions(ctx context.Context, userID int64) ([]UserSession, error)
	// EndSession ends one live session of the user for reason. ENOTFOUND.
	EndSession(ctx context.Context, userID, sessionID int64, reason string) error
	// EndSessions ends every live session of the user but keep (0: none)
	// and returns how many ended.
	EndSessions(ctx context.Context, userID int64, keep int64, reason string) (int, error)

	// PushTokens returns a user's push tokens, newest first.
	PushTokens(ctx context.Context, userID int64) ([]PushTokenRecord, error)
	// AddPushToken registers t for the user; the same provider and token
	// again answers the record there is. EINVALID.
	AddPushToken(ctx context.Context, userID int64, t *PushTokenRecord) error
	// DeletePushToken removes one of the user's tokens. ENOTFOUND.
	DeletePushToken(ctx context.Context, userID, id int64) error

	// MemberPolicy returns the session policy in force; SetMemberPolicy
	// changes it (audited). EINVALID.
	MemberPolicy(ctx context.Context) (MemberPolicy, error)
	SetMemberPolicy(ctx context.Context, p MemberPolicy) error
}
