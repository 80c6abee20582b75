package roster

import (
	"context"
	"strings"
	"time"
)

// Segment is a saved filter whose members are computed live. Members are
// the users matching Q, together with the members of the included groups
// and segments, less the members of the excluded ones; then the users
// added by hand, less those removed by hand. A segment with no Q and
// nothing included starts from every user.
type Segment struct {
	ID      int64        `json:"id"`
	Name    string       `json:"name"`
	Q       string       `json:"q"`
	Include []SegmentRef `json:"include"`
	Exclude []SegmentRef `json:"exclude"`
	// AddedUsers and RemovedUsers are public user ids, kept apart: only
	// SetSegmentMember changes them (a create or update keeps them).
	AddedUsers   []string  `json:"added_users"`
	RemovedUsers []string  `json:"removed_users"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// SegmentRef names a group or a segment that a segment includes or
// excludes.
type SegmentRef struct {
	Type string `json:"type"` // "group" or "segment"
	ID   int64  `json:"id"`
}

// Kinds of SegmentRef.
const (
	RefGroup   = "group"
	RefSegment = "segment"
)

// Limits of segments.
const (
	MaxSegmentRefs  = 100
	MaxFilterLen    = 4000
	MaxSegmentUsers = 1000 // users added, and users removed, by hand
)

// Validate normalises and checks what s holds by itself; the store checks
// that its filter is valid and its references exist without a cycle.
func (s *Segment) Validate() error {
	fe := FieldErrors{}
	s.Name = strings.TrimSpace(s.Name)
	if msg := ValidTagName(s.Name); msg != "" {
		fe.Add("name", msg)
	}
	s.Q = strings.TrimSpace(s.Q)
	if len(s.Q) > MaxFilterLen {
		fe.Add("q", "is longer than 4000 bytes")
	} else if msg := TextProblem(s.Q, 0, true); msg != "" {
		fe.Add("q", msg)
	}
	for key, refs := range map[string][]SegmentRef{"include": s.Include, "exclude": s.Exclude} {
		if len(refs) > MaxSegmentRefs {
			fe.Add(key, "at most 100 groups and segments")
		}
		for _, r := range refs {
			switch {
			case r.Type != RefGroup && r.Type != RefSegment:
				fe.Add(key, `each entry's type must be "group" or "segment"`)
			case r.ID <= 0:
				fe.Add(key, "each entry needs an id")
			case r.Type == RefSegment && r.ID == s.ID:
				fe.Add(key, "a segment cannot include or exclude itself")
			}
		}
	}
	return fe.Err()
}

// SegmentService stores segments. Counting and listing members is the
// query index's work (the filter segment:NAME).
type SegmentService interface {
	FindSegments(ctx context.Context) ([]Segment, error)
	// FindSegment returns one segment. ENOTFOUND.
	FindSegment(ctx context.Context, id int64) (*Segment, error)
	// CreateSegment stores s. EINVALID (bad filter, unknown reference, a
	// cycle), ECONFLICT (name taken).
	CreateSegment(ctx context.Context, s *Segment) error
	// UpdateSegment replaces a segment's name, filter and references.
	UpdateSegment(ctx context.Context, s *Segment) error
	// DeleteSegment deletes a segment. ENOTFOUND, ECONFLICT (another
	// segment refers to it).
	DeleteSegment(ctx context.Context, id int64) error
	// SetSegmentMember adds the user with public id userID to the segment
	// by hand (member true) or removes them by hand, whatever its filter
	// says. ENOTFOUND (no such segment or user), EINVALID (the segment
	// has MaxSegmentUsers users added or removed by hand).
	SetSegmentMember(ctx context.Context, id int64, userID string, member bool) error
}
