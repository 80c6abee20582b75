package roster

import (
	"context"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

// JoinType says how users join a group by themselves.
type JoinType string

// Join types.
const (
	JoinOpen JoinType = "open" // by a toggle in the operator's app
	JoinCode JoinType = "code" // private: with a code
)

// Group is an explicit list of members. It is active between StartsAt and
// StopsAt (zero: no bound); users join it by themselves only while it is
// active.
type Group struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	Description  string         `json:"description"`
	StartsAt     time.Time      `json:"-"`
	StopsAt      time.Time      `json:"-"`
	UserViewable bool           `json:"user_viewable"`
	JoinType     JoinType       `json:"join_type"`
	Order        int            `json:"order"`
	Properties   map[string]any `json:"properties"` // string, float64 or bool values
	Members      int            `json:"members"`
	CreatedAt    time.Time      `json:"created_at"`
}

// Limits of groups.
const (
	MaxDescriptionLen  = 2000
	MaxGroupProperties = 50
	MaxPropertyLen     = 1000
)

var propertyKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Active reports whether users may join g at now.
func (g *Group) Active(now time.Time) bool {
	return (g.StartsAt.IsZero() || !now.Before(g.StartsAt)) && (g.StopsAt.IsZero() || now.Before(g.StopsAt))
}

// Validate normalises and checks g.
func (g *Group) Validate() error {
	fe := FieldErrors{}
	g.Name = strings.TrimSpace(g.Name)
	if msg := ValidTagName(g.Name); msg != "" {
		fe.Add("name", msg)
	}
	g.Description = strings.TrimSpace(g.Description)
	if msg := TextProblem(g.Description, MaxDescriptionLen, true); msg != "" {
		fe.Add("description", msg)
	}
	if !g.StartsAt.IsZero() && !g.StopsAt.IsZero() && !g.StopsAt.After(g.StartsAt) {
		fe.Add("stops_at", "must be after starts_at")
	}
	if g.JoinType == "" {
		g.JoinType = JoinOpen
	}
	if g.JoinType != JoinOpen && g.JoinType != JoinCode {
		fe.Add("join_type", `must be "open" or "code"`)
	}
	if g.Order < -1_000_000 || g.Order > 1_000_000 {
		fe.Add("order", "must be between -1000000 and 1000000")
	}
	if msg := checkProperties(g.Properties); msg != "" {
		fe.Add("properties", msg)
	}
	return fe.Err()
}

func checkProperties(p map[string]any) string {
	if len(p) > MaxGroupProperties {
		return "at most 50 properties"
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !propertyKeyRE.MatchString(k) {
			return quote(k) + " is not a property name (a-z, 0-9 and _, starting with a letter, at most 40)"
		}
		switch v := p[k].(type) {
		case string:
			if len([]rune(v)) > MaxPropertyLen {
				return quote(k) + " is longer than 1000 characters"
			}
			if strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0 {
				return quote(k) + " must not hold control characters"
			}
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return quote(k) + " is not a finite number"
			}
		case bool:
		default:
			return quote(k) + " must be text, a number or true/false"
		}
	}
	return ""
}

// GroupUpdate changes a group; nil fields stay as they are. A zero time in
// StartsAt or StopsAt removes that bound.
type GroupUpdate struct {
	Name         *string
	Description  *string
	StartsAt     *time.Time
	StopsAt      *time.Time
	UserViewable *bool
	JoinType     *JoinType
	Order        *int
	Properties   map[string]any // replaces them all when non-nil
}

// Apply changes g by upd.
func (upd GroupUpdate) Apply(g *Group) {
	if upd.Name != nil {
		g.Name = *upd.Name
	}
	if upd.Description != nil {
		g.Description = *upd.Description
	}
	if upd.StartsAt != nil {
		g.StartsAt = *upd.StartsAt
	}
	if upd.StopsAt != nil {
		g.StopsAt = *upd.StopsAt
	}
	if upd.UserViewable != nil {
		g.UserViewable = *upd.UserViewable
	}
	if upd.JoinType != nil {
		g.JoinType = *upd.JoinType
	}
	if upd.Order != nil {
		g.Order = *upd.Order
	}
	if upd.Properties != nil {
		g.Properties = upd.Properties
	}
}

// GroupCode lets users join a private group. Only its hash is stored: Code
// is known only when the code is created.
type GroupCode struct {
	ID        int64     `json:"id"`
	GroupID   int64     `json:"group_id"`
	Code      string    `json:"code,omitempty"`
	Hint      string    `json:"hint"`     // the first characters, to tell codes apart
	MaxUses   int       `json:"max_uses"` // 0: unlimited
	Uses      int       `json:"uses"`
	StartsAt  time.Time `json:"-"`
	ExpiresAt time.Time `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// CodeRequest asks for codes: Count generated codes, or one code chosen by
// staff (Code, Count 1). Each is usable MaxUses times; when MaxUses is 0
// (not given) a generated code is single-use and a chosen code, a word made
// to be shared, has no limit. A generated code without a limit must be
// asked for: Unlimited.
type CodeRequest struct {
	Count     int
	MaxUses   int
	Unlimited bool
	Code      string
	StartsAt  time.Time
	ExpiresAt time.Time
}

// Code limits.
const (
	MaxCodesPerRequest = 10000
	MaxCodeUses        = 1_000_000_000
)

// NormalizeCode is the form codes are matched in: upper case, without the
// spaces and dashes people type or print between groups of characters.
func NormalizeCode(c string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, c)
}

// Validate checks req and fills in defaults: generated codes are
// single-use unless MaxUses or Unlimited says otherwise; a chosen code is
// unlimited unless MaxUses says otherwise. After it, MaxUses 0 means no
// limit.
func (req *CodeRequest) Validate(now time.Time) error {
	fe := FieldErrors{}
	req.Code = NormalizeCode(req.Code)
	if req.Count == 0 {
		req.Count = 1
	}
	switch {
	case req.Count < 0 || req.Count > MaxCodesPerRequest:
		fe.Add("count", "must be between 1 and 10000")
	case req.Code != "" && req.Count != 1:
		fe.Add("code", "a chosen code is one code: leave count at 1")
	}
	if req.Code != "" {
		if n := len([]rune(req.Code)); n < 4 || n > 40 {
			fe.Add("code", "must have 4 to 40 letters or digits")
		} else if strings.IndexFunc(req.Code, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0 {
			fe.Add("code", "may hold only letters and digits (dashes and spaces are ignored)")
		}
	}
	switch {
	case req.MaxUses < 0 || req.MaxUses > MaxCodeUses:
		fe.Add("max_uses", "must be between 1 and 1000000000 (for codes without a limit, ask for unlimited)")
	case req.Unlimited && req.MaxUses > 0:
		fe.Add("unlimited", "cannot be combined with max_uses")
	case req.MaxUses == 0 && !req.Unlimited && req.Code == "":
		req.MaxUses = 1
	}
	if !req.ExpiresAt.IsZero() {
		if !req.ExpiresAt.After(now) {
			fe.Add("expires_at", "is in the past")
		} else if !req.StartsAt.IsZero() && !req.ExpiresAt.After(req.StartsAt) {
			fe.Add("expires_at", "must be after starts_at")
		}
	}
	return fe.Err()
}

// Via says how a user became a member of a group.
type Via string

// Ways to join.
const (
	ViaSelf   Via = "self"   // joined an open group from the app
	ViaCode   Via = "code"   // joined with a code
	ViaStaff  Via = "staff"  // added by staff
	ViaImport Via = "import" // added by a CSV import
)

// Membership is one user's place in one group.
type Membership struct {
	GroupID  int64     `json:"group_id"`
	Via      Via       `json:"via"`
	CodeID   int64     `json:"code_id,omitempty"`
	JoinedAt time.Time `json:"joined_at"`
}

// GroupService manages groups, their codes and their members, and the
// smart type list. Single users are named by public id; bulk actions take
// the store ids the query index returns.
type GroupService interface {
	// FindGroups returns every group in display order. Members is not
	// filled: lists take their counts from a MemberCounter.
	FindGroups(ctx context.Context) ([]Group, error)
	// FindGroup returns one group with its member count. ENOTFOUND.
	FindGroup(ctx context.Context, id int64) (*Group, error)
	// CreateGroup creates g. EINVALID, ECONFLICT (name taken).
	CreateGroup(ctx context.Context, g *Group) error
	// UpdateGroup changes a group. ENOTFOUND, EINVALID, ECONFLICT.
	UpdateGroup(ctx context.Context, id int64, upd GroupUpdate) (*Group, error)
	// DeleteGroup deletes a group, its codes and memberships. ENOTFOUND,
	// ECONFLICT (a segment refers to it).
	DeleteGroup(ctx context.Context, id int64) error

	// CreateCodes makes codes for a private group; the returned codes hold
	// their plain Code, which is never shown again. ENOTFOUND, EINVALID,
	// ECONFLICT (a chosen code already exists).
	CreateCodes(ctx context.Context, groupID int64, req CodeRequest) ([]GroupCode, error)
	// FindCodes returns a group's codes, newest first, without their Code.
	FindCodes(ctx context.Context, groupID int64) ([]GroupCode, error)
	// DeleteCode revokes a code. ENOTFOUND.
	DeleteCode(ctx context.Context, groupID, codeID int64) error

	// Join is a user joining by themselves (the operator's app): an open
	// group needs no code; a private one needs a valid code, redeemed
	// atomically. Refused outside the group's period. Joining a group one
	// is already in changes nothing. ENOTFOUND, EINVALID (why not).
	Join(ctx context.Context, groupID int64, userID string, code string) (*Membership, error)
	// Leave is a user leaving by themselves. ENOTFOUND.
	Leave(ctx context.Context, groupID int64, userID string) error
	// AddMember and RemoveMember are staff changing one membership.
	AddMember(ctx context.Context, groupID int64, userID string) error
	RemoveMember(ctx context.Context, groupID int64, userID string) error
	// AddMembers and RemoveMembers change many at once, audited with the
	// count and the filter that chose them; they return how many changed.
	AddMembers(ctx context.Context, groupID int64, userIDs []int64, filter string) (int, error)
	RemoveMembers(ctx context.Context, groupID int64, userIDs []int64, filter string) (int, error)
	// Memberships returns a user's memberships, in group display order.
	Memberships(ctx context.Context, userID string) ([]Membership, error)

	// SmartTypes returns the smart type list: group ids in priority order.
	SmartTypes(ctx context.Context) ([]int64, error)
	// SetSmartTypes replaces it. EINVALID (unknown or repeated group).
	SetSmartTypes(ctx context.Context, groupIDs []int64) error
}
