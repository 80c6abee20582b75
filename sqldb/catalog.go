package sqldb

import (
	"context"

	"roster"
)

// Ensure CatalogService implements the domain interface.
var _ roster.CatalogService = (*CatalogService)(nil)

// CatalogService loads the tags, groups, segments and smart types that
// filters name.
type CatalogService struct {
	db *DB
}

// NewCatalogService returns a CatalogService on db.
func NewCatalogService(db *DB) *CatalogService { return &CatalogService{db: db} }

// Catalog loads the catalog.
func (s *CatalogService) Catalog(ctx context.Context) (*roster.Catalog, error) {
	return loadCatalog(ctx, s.db.read)
}

// MemberCounts counts the users of every tag (field "tags") or group
// ("groups") over their assignment rows: what the query index answers
// from memory once it is built.
func (s *CatalogService) MemberCounts(ctx context.Context, field string) (map[int64]int, error) {
	var q string
	switch field {
	case "tags":
		q = "SELECT tag_id, COUNT(*) FROM user_tags GROUP BY tag_id"
	case "groups":
		q = "SELECT group_id, COUNT(*) FROM group_members GROUP BY group_id"
	default:
		return nil, roster.Errorf(roster.EINVALID, "%s: only tags and groups have member counts.", field)
	}
	rows, err := s.db.query(ctx, q)
	if err != nil {
		return nil, formatError(err, "count members")
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, formatError(err, "count members")
		}
		out[id] = n
	}
	return out, formatError(rows.Err(), "count members")
}

func loadCatalog(ctx context.Context, q querier) (*roster.Catalog, error) {
	var c roster.Catalog
	var err error
	if c.Tags, err = findTags(ctx, q); err != nil {
		return nil, err
	}
	if c.Groups, err = findGroups(ctx, q); err != nil {
		return nil, err
	}
	if c.Segments, err = findSegments(ctx, q); err != nil {
		return nil, err
	}
	if c.SmartTypes, err = smartTypes(ctx, q); err != nil {
		return nil, err
	}
	return &c, nil
}
