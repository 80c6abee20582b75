package query

import "context"

// OrderedIDs returns the store ids of every user p selects, in p's order:
// the list an export walks. It asks s for the count, then for one page
// holding them all; users created in between may be left out, never
// repeated.
func OrderedIDs(ctx context.Context, s Searcher, p *Plan) ([]int64, error) {
	first, err := s.Search(ctx, p, Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if first.Total <= len(first.IDs) {
		return first.IDs, nil
	}
	res, err := s.Search(ctx, p, Page{Limit: first.Total})
	if err != nil {
		return nil, err
	}
	return res.IDs, nil
}
