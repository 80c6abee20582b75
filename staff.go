package roster

import (
	"context"
	"slices"
	"time"
)

// Role is a staff account's role. Each role has a fixed set of permissions.
type Role string

// Staff roles, from most to least powerful.
const (
	RoleOwner   Role = "owner"
	RoleAdmin   Role = "admin"
	RoleManager Role = "manager"
	RoleSupport Role = "support"
	RoleViewer  Role = "viewer"
)

// Roles lists the roles from most to least powerful.
var Roles = []Role{RoleOwner, RoleAdmin, RoleManager, RoleSupport, RoleViewer}

// ParseRole returns the role named s. EINVALID.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", Errorf(EINVALID, "role must be one of owner, admin, manager, support, viewer")
	}
	return r, nil
}

// Permission names what a route or an action needs.
type Permission string

// Permissions. Every route declares one; a route without one does not exist.
const (
	PermViewUsers    Permission = "users.view"    // read users, fields, the table
	PermEditUsers    Permission = "users.edit"    // edit profiles, ban, reset passwords
	PermManageUsers  Permission = "users.manage"  // create and delete users, bulk actions
	PermExport       Permission = "users.export"  // export users and a user's data
	PermImport       Permission = "users.import"  // import users, the import template
	PermManageFields Permission = "fields.manage" // custom fields
	PermOrganize     Permission = "organize"      // tags, groups, codes, segments, smart types, Member of the Month
	PermViewAudit    Permission = "audit.view"
	PermManageStaff  Permission = "staff.manage" // staff accounts and their tokens
	PermManageOwners Permission = "owners.manage"
	PermSelf         Permission = "self"           // any signed-in staff: own password, time zone
	PermProvision    Permission = "scim.provision" // an identity provider provisioning users and groups over SCIM
)

// Permissions lists every permission in the order they are declared: the
// README's roles table has one row per entry, in this order.
var Permissions = []Permission{PermViewUsers, PermEditUsers, PermManageUsers, PermExport, PermImport, PermManageFields,
	PermOrganize, PermViewAudit, PermManageStaff, PermManageOwners, PermSelf, PermProvision}

var rolePerms = map[Role][]Permission{
	RoleOwner: {PermViewUsers, PermEditUsers, PermManageUsers, PermExport, PermImport, PermManageFields, PermOrganize,
		PermViewAudit, PermManageStaff, PermManageOwners, PermSelf, PermProvision},
	RoleAdmin: {PermViewUsers, PermEditUsers, PermManageUsers, PermExport, PermImport, PermManageFields, PermOrganize,
		PermViewAudit, PermManageStaff, PermSelf, PermProvision},
	RoleManager: {PermViewUsers, PermEditUsers, PermManageUsers, PermExport, PermImport, PermViewAudit, PermOrganize, PermSelf},
	RoleSupport: {PermViewUsers, PermEditUsers, PermSelf},
	RoleViewer:  {PermViewUsers, PermSelf},
}

// Can reports whether role r has permission p. Unknown roles have none.
func (r Role) Can(p Permission) bool {
	return slices.Contains(rolePerms[r], p)
}

// Staff is a person who signs in to the back-office.
type Staff struct {
	ID           int64
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	TimeZone     string // IANA name; "UTC" by default
	Active       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  time.Time
}

// Can reports whether s is active and its role has permission p.
func (s *Staff) Can(p Permission) bool { return s != nil && s.Active && s.Role.Can(p) }

// Location returns the staff member's time zone, UTC when unset or unknown.
func (s *Staff) Location() *time.Location {
	if s == nil || s.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Validate checks a staff account before it is stored.
func (s *Staff) Validate() error {
	fe := FieldErrors{}
	if !ValidEmail(s.Email) {
		fe.Add("email", "is not a valid email address")
	}
	if _, err := ParseRole(string(s.Role)); err != nil {
		fe.Add("role", "must be one of owner, admin, manager, support, viewer")
	}
	if len([]rune(s.Name)) > MaxNameLen {
		fe.Add("name", "is longer than 100 characters")
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			fe.Add("time_zone", "is not a known time zone")
		}
	}
	return fe.Err()
}

// activeOwner reports whether s is an active owner.
func (s *Staff) activeOwner() bool { return s.Active && s.Role == RoleOwner }

// CheckStaffPermission returns an EFORBIDDEN error when actor may not make
// staff account before into after (before nil: create it), setting its
// password too when password is true: only an owner creates an owner, or
// changes an owner's role, access or password (Actor.MayManageOwners).
// Staff managers cannot promote themselves or others past their own power.
func CheckStaffPermission(actor Actor, before, after *Staff, password bool) error {
	if actor.MayManageOwners() {
		return nil
	}
	if before == nil {
		if after.Role == RoleOwner {
			return Errorf(EFORBIDDEN, "Only an owner can create an owner.")
		}
		return nil
	}
	touchesOwner := before.Role == RoleOwner || after.Role == RoleOwner
	if touchesOwner && (before.Role != after.Role || before.Active != after.Active || password) {
		return Errorf(EFORBIDDEN, "Only an owner can change an owner's role or access.")
	}
	return nil
}

// CheckLastOwner returns an ECONFLICT error when making staff account
// before into after would leave no active owner: someone must be able to
// manage Roster. otherOwners is how many other accounts are active owners;
// the store counts them inside the transaction that writes the change,
// with those accounts locked, so that two owners demoted at once cannot
// each count the other as the one who remains.
func CheckLastOwner(before, after *Staff, otherOwners int) error {
	if before.activeOwner() && !after.activeOwner() && otherOwners == 0 {
		return Errorf(ECONFLICT, "This is the last active owner; make someone else owner first.")
	}
	return nil
}

// CheckPasswordChange checks a staff member's change of their own
// password: current must be their password (currentOK: it matched the
// stored hash), next must pass StaffPasswords for their address email and
// differ from current. EINVALID naming current_password or password.
func CheckPasswordChange(currentOK bool, current, next, email string) error {
	fe := FieldErrors{}
	if !currentOK {
		fe.Add("current_password", "is not your current password")
	}
	if err := StaffPasswords.Check(next, email); err != nil {
		fe.Add("password", ErrorFields(err)["password"])
	} else if len(fe) == 0 && next == current {
		fe.Add("password", "is the same as your current password")
	}
	return fe.Err()
}

// StaffUpdate changes a staff account; nil fields stay as they are.
type StaffUpdate struct {
	Name     *string
	Role     *Role
	TimeZone *string
	Active   *bool
	Password *string
}

// Session is a signed-in browser. Only a hash of its token is stored.
type Session struct {
	ID         int64
	StaffID    int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// Expired reports whether session s has ended at now: idle too long, or
// older than the absolute limit.
func (s *Session) Expired(now time.Time) bool {
	return now.Sub(s.LastSeenAt) > SessionIdleTimeout || now.Sub(s.CreatedAt) > SessionAbsoluteTimeout
}

// Token is an API bearer token of a staff account. Only its hash is stored.
type Token struct {
	ID         int64
	StaffID    int64
	Name       string
	Prefix     string // the first characters, to recognise it in lists
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Session and sign-in limits.
const (
	SessionIdleTimeout     = 2 * time.Hour
	SessionAbsoluteTimeout = 12 * time.Hour
)

// StaffService manages staff accounts, their sign-in, sessions and tokens.
type StaffService interface {
	// CreateStaff stores s with password (hashed). EINVALID, ECONFLICT.
	CreateStaff(ctx context.Context, s *Staff, password string) error
	FindStaffByID(ctx context.Context, id int64) (*Staff, error)
	FindStaffByEmail(ctx context.Context, email string) (*Staff, error)
	FindStaff(ctx context.Context) ([]*Staff, error)
	// UpdateStaff changes the account with id. ENOTFOUND, EINVALID.
	UpdateStaff(ctx context.Context, id int64, upd StaffUpdate) (*Staff, error)
	// ChangeOwnPassword sets the password of staffID to next after checking
	// that current is its password (EINVALID naming "current_password"; the
	// checks are throttled like sign-ins, ETOOMANY). Every session of the
	// account ends: the caller starts a new one for the browser that asked.
	// Audited as "staff.password".
	ChangeOwnPassword(ctx context.Context, staffID int64, current, next string) error

	// Authenticate checks email and password for a sign-in from client.
	// A wrong email and a wrong password give the same EUNAUTHORIZED error
	// after the same work; repeated failures are slowed and then refused
	// (ETOOMANY) as CheckStaffSignIn says.
	Authenticate(ctx context.Context, email, password, client string) (*Staff, error)
	// SignInFailures returns the recent failed sign-ins on the account
	// with email, from every client: what its owner is shown.
	SignInFailures(ctx context.Context, email string) (Failures, error)

	// CreateSession starts a session for staffID and returns its secret
	// token, to be set as a cookie.
	CreateSession(ctx context.Context, staffID int64, ip, userAgent string) (token string, err error)
	// FindSession returns the session and its staff for token, touching its
	// last-seen time. EUNAUTHORIZED when unknown, expired or inactive.
	FindSession(ctx context.Context, token string) (*Session, *Staff, error)
	DeleteSession(ctx context.Context, token string) error

	// CreateToken makes an API token for staffID; the secret is returned
	// once.
	CreateToken(ctx context.Context, staffID int64, name string) (*Token, string, error)
	// FindStaffByToken returns the staff acting with an API token.
	// EUNAUTHORIZED.
	FindStaffByToken(ctx context.Context, secret string) (*Staff, error)
	FindTokens(ctx context.Context, staffID int64) ([]*Token, error)
	RevokeToken(ctx context.Context, id int64) error
}
