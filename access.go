package roster

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// The active-account rule: whether a user may use their account, and if
// not, why. A user's access is computed, never stored: it follows from
// their status, their email's confirmation, when they last showed up, the
// account policy and the time, so a user becomes expired at the right
// moment without anything being written.

// AccessState is a user's access: AccessActive or the first reason they
// are not active.
type AccessState string

// Access states, in the order the rule checks them (see accessStates).
const (
	AccessActive      AccessState = "active"
	AccessBanned      AccessState = "banned"
	AccessInvited     AccessState = "invited"
	AccessUnconfirmed AccessState = "unconfirmed"
	AccessExpired     AccessState = "expired"
	AccessPending     AccessState = "pending"
)

// AccessStateInfo describes one access state.
type AccessStateInfo struct {
	State AccessState
	Label string
	// Help says in words when a user is in this state.
	Help string
}

// accessStates is the one description of the states: every list of them
// (choices, filters, the SQL and index evaluation, the README) follows it.
// The reasons come in the order the rule checks them; active is what is
// left when none applies.
var accessStates = []AccessStateInfo{
	{AccessBanned, "Banned", "the account's status is banned"},
	{AccessInvited, "Invited", "invited, and the invite is not accepted yet"},
	{AccessUnconfirmed, "Unconfirmed", "confirmation is required and the email address is not confirmed"},
	{AccessExpired, "Expired", "no sign-in, visit or new password for the expiry period"},
	{AccessPending, "Pending", "the account's status is pending approval"},
	{AccessActive, "Active", "none of the above: the account may be used"},
}

// AccessStates returns the access states: the reasons in the order the rule
// checks them, then AccessActive.
func AccessStates() []AccessStateInfo {
	out := make([]AccessStateInfo, len(accessStates))
	copy(out, accessStates)
	return out
}

// AccessStateNames lists the access states as AccessStates orders them.
func AccessStateNames() []string {
	out := make([]string, len(accessStates))
	for i, s := range accessStates {
		out[i] = string(s.State)
	}
	return out
}

// Label returns the state's label ("Expired"), or the state itself when it
// is not one.
func (s AccessState) Label() string {
	for _, i := range accessStates {
		if i.State == s {
			return i.Label
		}
	}
	return string(s)
}

// ValidAccessState reports whether s names an access state.
func ValidAccessState(s string) bool {
	for _, i := range accessStates {
		if string(i.State) == s {
			return true
		}
	}
	return false
}

// AccountPolicy is how accounts are run: whether email addresses must be
// confirmed (double opt-in), when an unused account expires and how long
// each kind of link works.
type AccountPolicy struct {
	// ConfirmationRequired: users created, and users whose email changes,
	// must confirm their address before they are active.
	ConfirmationRequired bool
	// ExpiryMonths is how many calendar months without a sign-in, a visit
	// or a new password make an account expired; 0 means never.
	ExpiryMonths int
	// How long invite, confirmation and password reset links work.
	InviteTTL, ConfirmTTL, ResetTTL time.Duration
}

// policyJSON is the JSON form of an AccountPolicy, in the settings table
// and the API: link lifetimes in whole minutes.
type policyJSON struct {
	ConfirmationRequired bool  `json:"confirmation_required"`
	ExpiryMonths         int   `json:"expiry_months"`
	InviteTTLMinutes     int64 `json:"invite_ttl_minutes"`
	ConfirmTTLMinutes    int64 `json:"confirm_ttl_minutes"`
	ResetTTLMinutes      int64 `json:"reset_ttl_minutes"`
}

// MarshalJSON writes p with its link lifetimes in minutes.
func (p AccountPolicy) MarshalJSON() ([]byte, error) {
	return json.Marshal(policyJSON{p.ConfirmationRequired, p.ExpiryMonths,
		int64(p.InviteTTL / time.Minute), int64(p.ConfirmTTL / time.Minute), int64(p.ResetTTL / time.Minute)})
}

// UnmarshalJSON reads what MarshalJSON writes; members left out keep the
// value p had.
func (p *AccountPolicy) UnmarshalJSON(b []byte) error {
	j := policyJSON{p.ConfirmationRequired, p.ExpiryMonths,
		int64(p.InviteTTL / time.Minute), int64(p.ConfirmTTL / time.Minute), int64(p.ResetTTL / time.Minute)}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	minutes := func(n int64) time.Duration {
		if n < 0 || n > int64(MaxLinkTTL/time.Minute)*2 {
			return -1 // out of bounds: Validate says so
		}
		return time.Duration(n) * time.Minute
	}
	*p = AccountPolicy{j.ConfirmationRequired, j.ExpiryMonths, minutes(j.InviteTTLMinutes), minutes(j.ConfirmTTLMinutes), minutes(j.ResetTTLMinutes)}
	return nil
}

// Account policy bounds.
const (
	MaxExpiryMonths = 120
	MinLinkTTL      = 5 * time.Minute
	MaxLinkTTL      = 90 * 24 * time.Hour
)

// DefaultAccountPolicy is the policy of a new installation.
func DefaultAccountPolicy() AccountPolicy {
	return AccountPolicy{
		ExpiryMonths: 15,
		InviteTTL:    7 * 24 * time.Hour,
		ConfirmTTL:   3 * 24 * time.Hour,
		ResetTTL:     time.Hour,
	}
}

// Validate checks the policy's bounds; errors name the field.
func (p AccountPolicy) Validate() error {
	fe := FieldErrors{}
	if p.ExpiryMonths < 0 || p.ExpiryMonths > MaxExpiryMonths {
		fe.Add("expiry_months", "must be between 0 (never) and 120")
	}
	for key, d := range map[string]time.Duration{"invite_ttl_minutes": p.InviteTTL, "confirm_ttl_minutes": p.ConfirmTTL, "reset_ttl_minutes": p.ResetTTL} {
		if d < MinLinkTTL || d > MaxLinkTTL {
			fe.Add(key, "must be between 5 minutes and 90 days")
		}
	}
	return fe.Err()
}

// TTL returns how long a link of purpose works under p.
func (p AccountPolicy) TTL(purpose LinkPurpose) time.Duration {
	switch purpose {
	case LinkInvite:
		return p.InviteTTL
	case LinkConfirm:
		return p.ConfirmTTL
	}
	return p.ResetTTL
}

// DurationWords says a link's lifetime in words: "7 days", "3 hours",
// "1 hour", "30 minutes".
func DurationWords(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d.Hours()/24)) + " days"
	case d >= 2*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " hours"
	case d >= time.Hour:
		return "1 hour"
	}
	return strconv.Itoa(int(d.Minutes())) + " minutes"
}

// Rule binds the policy to the time now: what every evaluation of access
// (a user, the store's SQL, the query index) applies.
func (p AccountPolicy) Rule(now time.Time) AccessRule {
	r := AccessRule{ConfirmationRequired: p.ConfirmationRequired, Now: now.UTC()}
	if p.ExpiryMonths > 0 {
		r.Expires = true
		r.Cutoff = now.UTC().AddDate(0, -p.ExpiryMonths, 0).Truncate(time.Millisecond)
	}
	return r
}

// AccessRule is the active-account rule at one moment. A user is expired
// when their reference time (the latest of created, last sign-in, last
// visit and password set) is at or before Cutoff, compared to the
// millisecond as the store keeps times.
type AccessRule struct {
	ConfirmationRequired bool
	Expires              bool
	Cutoff               time.Time
	// Now is the moment the rule is bound to; the activity counters'
	// window (ActivityWindow) is evaluated at it too.
	Now time.Time
}

// CutoffMilli is Cutoff in Unix milliseconds.
func (r AccessRule) CutoffMilli() int64 { return r.Cutoff.UnixMilli() }

// State returns the access of a user with status, confirmed email or not,
// whose reference time is ref (Unix milliseconds). It allocates nothing:
// the query index calls it for every user a filter scans.
func (r AccessRule) State(status UserStatus, confirmed bool, ref int64) AccessState {
	for i := range accessStates {
		if r.holds(accessStates[i].State, status, confirmed, ref) {
			return accessStates[i].State
		}
	}
	return AccessActive
}

// holds reports whether reason s applies. The store's SQL spells the same
// conditions (sqldb/filter_access.go); TestAccessRule covers both.
func (r AccessRule) holds(s AccessState, status UserStatus, confirmed bool, ref int64) bool {
	switch s {
	case AccessBanned:
		return status == StatusBanned
	case AccessInvited:
		return status == StatusInvited
	case AccessUnconfirmed:
		return r.ConfirmationRequired && !confirmed
	case AccessExpired:
		return r.Expires && ref <= r.CutoffMilli()
	case AccessPending:
		return status == StatusPending
	}
	return true // active: nothing else applied
}

// Of returns u's access under r.
func (r AccessRule) Of(u *User) AccessState {
	return r.State(u.Status, u.EmailConfirmed, AccessReference(u))
}

// AccessReference returns the time the expiry counts from, in Unix
// milliseconds: the latest of u's creation, last sign-in, last visit and
// last password set.
func AccessReference(u *User) int64 {
	return RefMilli(u.CreatedAt, u.LastLogin, u.LastVisit, u.PasswordSetAt)
}

// RefMilli returns the latest of ts in Unix milliseconds (zero times are
// left out); math.MinInt64 when all are zero.
func RefMilli(ts ...time.Time) int64 {
	ref := int64(-1 << 63)
	for _, t := range ts {
		if !t.IsZero() {
			ref = max(ref, t.UnixMilli())
		}
	}
	return ref
}

// Access returns u's access under policy p at time now.
func Access(u *User, p AccountPolicy, now time.Time) AccessState {
	return p.Rule(now).Of(u)
}

// SettleEmailConfirmation applies the confirmation rules to after, what
// before (nil for a new user) becomes at now, and reports whether the
// address changed, which calls for a new confirmation (when the policy
// requires one) and a notice to the old address: a changed address is not
// confirmed; a newly confirmed one records when; one not confirmed has no
// time.
func SettleEmailConfirmation(before, after *User, now time.Time) bool {
	changed := before != nil && before.Email != after.Email
	if changed {
		after.EmailConfirmed = false
	}
	switch {
	case !after.EmailConfirmed:
		after.EmailConfirmedAt = time.Time{}
	case before == nil || !before.EmailConfirmed:
		if after.EmailConfirmedAt.IsZero() || before != nil {
			after.EmailConfirmedAt = now
		}
	}
	return changed
}

// accessMessages say why a sign-in is refused, per state.
var accessMessages = map[AccessState]string{
	AccessBanned:      "This account is banned.",
	AccessInvited:     "This account's invite has not been accepted yet.",
	AccessUnconfirmed: "This account's email address is not confirmed yet.",
	AccessExpired:     "This account has expired after a long time without use: reset the password to use it again.",
	AccessPending:     "This account is waiting for approval.",
}

// AccessError is the error of a sign-in refused because the account is
// not active: EFORBIDDEN, with the state under the field "access".
func AccessError(s AccessState) error {
	return &Error{Code: EFORBIDDEN, Message: accessMessages[s], Fields: map[string]string{"access": string(s)}, Position: -1}
}

// AccessDenied returns the state of an AccessError, or "" when err is not
// one.
func AccessDenied(err error) AccessState {
	var e *Error
	if errors.As(err, &e) && e.Code == EFORBIDDEN && e.Fields != nil {
		return AccessState(e.Fields["access"])
	}
	return ""
}

// AccountSettings reads and changes the account policy.
type AccountSettings interface {
	// AccountPolicy returns the policy in force (DefaultAccountPolicy when
	// none was saved). A change made on another node shows within a few
	// seconds.
	AccountPolicy(ctx context.Context) (AccountPolicy, error)
	// SetAccountPolicy validates and saves p. Audited as
	// "settings.accounts" with the policy before and after. EINVALID.
	SetAccountPolicy(ctx context.Context, p AccountPolicy) error
}
