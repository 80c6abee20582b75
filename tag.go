package roster

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Tag is a label staff put on users; users never see tags. Names need not
// be unique: two teams may both use "VIP" with different colours.
type Tag struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Color     string    `json:"color"`
	Users     int       `json:"users"` // how many users carry it
	CreatedAt time.Time `json:"created_at"`
}

// TagColors is the palette new tags draw their colour from: each keeps white
// text readable (contrast 4.5:1 or more) and they are far enough apart to
// tell tags apart at a glance.
var TagColors = []string{
	"#b42318", "#c4320a", "#93370d", "#4d7c0f", "#067647", "#0e7090",
	"#175cd3", "#3538cd", "#6938ef", "#9e165f", "#c11574", "#475467",
}

var colorRE = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// ValidTagName checks a tag, group or segment name: 1 to 100 characters
// once trimmed, any letters, digits, punctuation or emoji, no control
// characters.
func ValidTagName(name string) string {
	switch {
	case name == "":
		return "is required"
	case len([]rune(name)) > MaxNameLen:
		return "is longer than 100 characters"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "must not hold control characters"
	}
	return ""
}

// Validate normalises and checks t.
func (t *Tag) Validate() error {
	fe := FieldErrors{}
	t.Name = strings.TrimSpace(t.Name)
	if msg := ValidTagName(t.Name); msg != "" {
		fe.Add("name", msg)
	}
	t.Color = strings.ToLower(strings.TrimSpace(t.Color))
	if t.Color != "" && !colorRE.MatchString(t.Color) {
		fe.Add("color", "must be a colour in the form #rrggbb")
	}
	return fe.Err()
}

// TagUpdate changes a tag's name or colour; nil leaves it as it is.
type TagUpdate struct {
	Name  *string `json:"name"`
	Color *string `json:"color"`
}

// TagService manages tags and who carries them. A user's tags are listed
// newest first (User.Tags). Single users are named by public id; bulk
// actions take the store ids the query index returns.
type TagService interface {
	// FindTags returns every tag by name. Users is not filled: lists take
	// their counts from a MemberCounter, so that loading the tags never
	// costs a count over every assignment.
	FindTags(ctx context.Context) ([]Tag, error)
	// FindTag returns one tag with its user count. ENOTFOUND.
	FindTag(ctx context.Context, id int64) (*Tag, error)
	// CreateTag creates t; an empty colour is drawn from TagColors. EINVALID.
	CreateTag(ctx context.Context, t *Tag) error
	// UpdateTag renames or recolours a tag. ENOTFOUND, EINVALID.
	UpdateTag(ctx context.Context, id int64, upd TagUpdate) (*Tag, error)
	// DeleteTag deletes a tag and takes it off every user; it returns how
	// many users carried it. ENOTFOUND.
	DeleteTag(ctx context.Context, id int64) (int, error)
	// TagUser puts a tag on a user (first in their list). ENOTFOUND.
	TagUser(ctx context.Context, userID string, tagID int64) error
	// UntagUser takes a tag off a user. ENOTFOUND.
	UntagUser(ctx context.Context, userID string, tagID int64) error
	// TagUsers puts a tag on every listed user who lacks it, in one
	// transaction audited with the count and filter (what chose the
	// users); it returns how many users it tagged.
	TagUsers(ctx context.Context, tagID int64, userIDs []int64, filter string) (int, error)
	// UntagUsers takes a tag off every listed user; it returns how many
	// carried it.
	UntagUsers(ctx context.Context, tagID int64, userIDs []int64, filter string) (int, error)
}
