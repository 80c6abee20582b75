package roster

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The rules of an import's rows: what a mode does with a row whose key
// names a user or none, how a row's values apply to a user, and which
// unique values a row may give. The importer (package jobs) decides with
// them; the store only reads and writes what they decide.

// MayCreate reports whether mode m creates users: its rows valid as new
// users may be inserted before anything is looked up.
func (m ImportMode) MayCreate() bool { return m != ImportUpdate }

// MayUpdate reports whether mode m changes existing users.
func (m ImportMode) MayUpdate() bool { return m != ImportCreate }

// RowAction is what an import does with one row.
type RowAction int

// Row actions.
const (
	RowRefused RowAction = iota // the mode refuses the row
	RowCreate                   // the row makes a new user
	RowUpdate                   // the row changes the user its key names
)

// RowAction returns what the import does with a row whose key value names
// an existing user or none, and, for a refused row, why.
func (o ImportOptions) RowAction(keyValue string, exists bool) (RowAction, string) {
	switch {
	case exists && o.Mode == ImportCreate:
		return RowRefused, fmt.Sprintf("a user with %s %s exists already (mode create)", o.Key, keyValue)
	case !exists && o.Mode == ImportUpdate:
		return RowRefused, fmt.Sprintf("no user has %s %s (mode update)", o.Key, keyValue)
	case exists:
		return RowUpdate, ""
	default:
		return RowCreate, ""
	}
}

// ImportHeaders names the file's column of each field key, for messages.
type ImportHeaders map[string]string

// Column is the header cell of the field's column, or the key itself.
func (h ImportHeaders) Column(key string) string {
	if c, ok := h[key]; ok {
		return c
	}
	return key
}

// Unique is the normalised value row r gives the unique field (email,
// client_id, id), or "": the row's Key for the import's key field.
func (r *ImportRow) Unique(field, key string) string {
	if field == key {
		return r.Key
	}
	return UniqueValue(field, r.Values[field])
}

// UniqueOwner is the user who holds a unique value.
type UniqueOwner struct {
	ID       int64
	PublicID string
}

// UniqueOwners is who holds unique values today: by field (email,
// client_id, id), then value.
type UniqueOwners map[string]map[string]UniqueOwner

// TakenValues returns the problems of row r whose unique values, besides
// its key (which names the row's user), are held by another user than
// self (0 for a new user): a unique value must be free or already the
// user's. A value the file repeated is taken by the user its earlier row
// made, which the importer found here when it looked it up.
func (r *ImportRow) TakenValues(key string, self int64, owners UniqueOwners, headers ImportHeaders) []CellError {
	var errs []CellError
	for _, field := range ImportKeys {
		if field == key {
			continue
		}
		v := r.Unique(field, key)
		if o, ok := owners[field][v]; v != "" && ok && o.ID != self {
			errs = append(errs, CellError{Column: headers.Column(field), Message: fmt.Sprintf("%s is taken by user %s", v, o.PublicID)})
		}
	}
	return errs
}

// ApplyTo applies the values of row r to a copy of before, or to a new
// user when before is nil, then normalises and validates the result: the
// user the row makes, or the row's problems. The import's key field is
// key; now is the time the validation and a new subscription take. Tags,
// groups and passwords are not set here: tags and groups are names the
// store resolves, and passwords are hashed after the row is read.
func (r *ImportRow) ApplyTo(before *User, reg *Registry, key string, now time.Time, headers ImportHeaders) (*User, []CellError) {
	u := &User{}
	if before != nil {
		cp := *before
		cp.Custom = make(map[string]any, len(before.Custom))
		for k, v := range before.Custom {
			cp.Custom[k] = v
		}
		u = &cp
	}
	var errs []CellError
	// A new user's required fields are all checked, touched or not.
	var touched map[string]bool
	if before != nil {
		touched = make(map[string]bool, len(r.Values))
	}
	for k, v := range r.Values {
		switch k {
		case "password", "password_hash", "tags", "groups", ImportInviteField.Key:
			continue
		case "id":
			id, _ := v.(string)
			id = strings.TrimSpace(id)
			switch {
			case id == "":
			case before != nil && id != before.PublicID:
				errs = append(errs, CellError{Column: headers.Column("id"), Message: fmt.Sprintf("%s is not the id of the user with %s %s (%s)", id, key, r.Key, before.PublicID)})
			case before == nil && !ValidPublicID(id):
				errs = append(errs, CellError{Column: headers.Column("id"), Message: fmt.Sprintf("%q is not a user id (u_ and 16 letters or digits)", id)})
			case before == nil:
				u.PublicID = id
			}
			continue
		}
		f, ok := reg.Field(k)
		if !ok || !u.Set(f, v) {
			errs = append(errs, CellError{Column: headers.Column(k), Message: "cannot be set"})
			continue
		}
		if touched != nil {
			touched[k] = true
		}
	}
	if before != nil {
		activityFloor(u, before)
	}
	// Problems in one order, whatever the map's.
	slices.SortFunc(errs, func(a, b CellError) int { return strings.Compare(a.Column, b.Column) })
	StampNewsletter(before, u, Subscription{Source: SourceImport}, now)
	u.Normalize()
	if err := u.Validate(reg, now, before == nil, touched); err != nil {
		fields := ErrorFields(err)
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			errs = append(errs, CellError{Column: headers.Column(k), Message: fields[k]})
		}
		if len(fields) == 0 {
			errs = append(errs, CellError{Message: ErrorMessage(err)})
		}
	}
	return u, errs
}

// activityFloor keeps the activity times that events computed: an import
// sets them for history (from another product) as a floor, never moving
// last visit or last interaction back, nor first seen forward.
func activityFloor(u, before *User) {
	if before.LastVisit.After(u.LastVisit) {
		u.LastVisit = before.LastVisit
	}
	if before.LastInteraction.After(u.LastInteraction) {
		u.LastInteraction = before.LastInteraction
	}
	if !before.FirstSeen.IsZero() && (u.FirstSeen.IsZero() || before.FirstSeen.Before(u.FirstSeen)) {
		u.FirstSeen = before.FirstSeen
	}
}

// ImportTagProblem is why a row cannot give a user the tag named name, or
// "": an import creates the tags it names, under valid names.
func ImportTagProblem(name string) string {
	if msg := ValidTagName(name); msg != "" {
		return fmt.Sprintf("tag name %q %s", name, msg)
	}
	return ""
}

// ImportGroupProblem is the problem of a row naming a group that does not
// exist: an import never creates groups, whose settings need a person.
func ImportGroupProblem(name string) string {
	return fmt.Sprintf("there is no group named %q (create it first)", name)
}

// RefChange is the tags or groups one user gets from a row: exactly these,
// for each list the row sets.
type RefChange struct {
	// User is the user as stored, with the tags and groups it has.
	User *User
	// Existed is false for a user the row made, which has nothing to drop.
	Existed            bool
	Tags, Groups       []int64
	SetTags, SetGroups bool
}

// Changed reports whether c changes the tags or groups its user has.
func (c *RefChange) Changed() bool {
	return (c.SetTags && !sameIDs(c.Tags, c.User.Tags)) || (c.SetGroups && !sameIDs(c.Groups, c.User.Groups))
}

// sameIDs reports whether a and b hold the same ids, in any order.
func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
