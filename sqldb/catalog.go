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
