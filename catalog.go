package roster

import (
	"context"
	"strconv"
)

// Catalog is what filters on tags, groups, segments and smart types refer
// to: the query package resolves names against it when it compiles a
// filter, and pages show names and colours from it.
type Catalog struct {
	Tags       []Tag
	Groups     []Group // in display order
	Segments   []Segment
	SmartTypes []int64 // group ids in priority order
}

// Tag returns the tag with id.
func (c *Catalog) Tag(id int64) (Tag, bool) {
	if c != nil {
		for _, t := range c.Tags {
			if t.ID == id {
				return t, true
			}
		}
	}
	return Tag{}, false
}

// Group returns the group with id.
func (c *Catalog) Group(id int64) (Group, bool) {
	if c != nil {
		for _, g := range c.Groups {
			if g.ID == id {
				return g, true
			}
		}
	}
	return Group{}, false
}

// Segment returns the segment with id.
func (c *Catalog) Segment(id int64) (Segment, bool) {
	if c != nil {
		for _, s := range c.Segments {
			if s.ID == id {
				return s, true
			}
		}
	}
	return Segment{}, false
}

// SmartType returns the smart type of a user in groups: the first group of
// the smart type list they belong to.
func (c *Catalog) SmartType(groups []int64) (Group, bool) {
	if c == nil {
		return Group{}, false
	}
	for _, id := range c.SmartTypes {
		for _, g := range groups {
			if g == id {
				return c.Group(id)
			}
		}
	}
	return Group{}, false
}

// MemberCounter counts the users of every tag or group. The query index
// answers from its bitmaps, whatever the number of assignments; the store
// counts its rows while the index is being built.
type MemberCounter interface {
	// MemberCounts returns, for field "tags" or "groups", how many users
	// carry each tag or belong to each group, by id; ids without users are
	// absent. EINVALID for another field.
	MemberCounts(ctx context.Context, field string) (map[int64]int, error)
}

// CatalogService loads the catalog.
type CatalogService interface {
	Catalog(ctx context.Context) (*Catalog, error)
}

// RefValue is how a tag or group id appears as a member of the tags and
// groups set fields (User.Get, the query index): its decimal form.
func RefValue(id int64) string { return strconv.FormatInt(id, 10) }

func refValues(ids []int64) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = RefValue(id)
	}
	return out
}
