package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"

	"modernc.org/sqlite"

	"roster"
	"roster/query"
)

// Ensure UserService runs query plans: in SQL (filter.go), the oracle the
// query index is tested against and the fallback for what the index cannot
// answer.
var _ query.Searcher = (*UserService)(nil)

// Search returns the page of users that match p, in p's order, after
// page.After, with the count of every match. A Limit of 0 or less means
// query.DefaultLimit; the caller bounds it.
func (s *UserService) Search(ctx context.Context, p *query.Plan, page query.Page) (*query.Result, error) {
	reg, err := s.searchRegistry(ctx)
	if err != nil {
		return nil, err
	}
	rule, err := s.db.AccessRule(ctx)
	if err != nil {
		return nil, err
	}
	d := s.db.Dialect
	where, args, orderBy, err := d.compileSQL(p, reg, rule)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	res := &query.Result{}
	if err := s.db.queryRow(ctx, "SELECT COUNT(*) FROM users WHERE "+where, args...).Scan(&res.Total); err != nil {
		return nil, formatError(err, "search")
	}
	exprs, err := d.sortExprs(p, rule)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	keyset, kargs, err := d.keysetSQL(p, page.After, rule)
	if errors.Is(err, errCursor) {
		return nil, roster.Errorf(roster.EINVALID, "The cursor is not valid for this query: start again from the first page.")
	} else if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	limit := page.Limit
	if limit <= 0 {
		limit = query.DefaultLimit
	}
	cols := append([]string{"id", "public_id"}, exprs...)
	q := "SELECT " + strings.Join(cols, ", ") + " FROM users WHERE (" + where + ") AND (" + keyset + ") ORDER BY " + orderBy + " LIMIT ? OFFSET ?"
	qargs := append(append(append([]any{}, args...), kargs...), limit+1, max(page.Offset, 0))
	rows, err := s.db.query(ctx, q, qargs...)
	if err != nil {
		return nil, formatError(err, "search")
	}
	defer rows.Close()
	var pubID string
	vals := make([]any, len(exprs))
	dest := make([]any, 2+len(exprs))
	var id int64
	dest[0], dest[1] = &id, &pubID
	for i := range vals {
		dest[2+i] = &vals[i]
	}
	var last *query.After
	more := false
	for rows.Next() {
		if len(res.IDs) == limit {
			more = true
			break
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, formatError(err, "search")
		}
		res.IDs = append(res.IDs, id)
		last = &query.After{ID: pubID, Values: make([]any, len(vals))}
		for i, v := range vals {
			if last.Values[i], err = d.scanSortValue(p.Sort[i].Field, v); err != nil {
				return nil, fmt.Errorf("search: %w", err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, formatError(err, "search")
	}
	if more {
		res.Next = last
	}
	return res, nil
}

// searchRegistry loads the fields in force, which keyword search needs.
// Match returns the ids of every user p selects, ascending.
func (s *UserService) Match(ctx context.Context, p *query.Plan) ([]int64, error) {
	reg, err := s.searchRegistry(ctx)
	if err != nil {
		return nil, err
	}
	rule, err := s.db.AccessRule(ctx)
	if err != nil {
		return nil, err
	}
	where, args, _, err := s.db.Dialect.compileSQL(p, reg, rule)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	rows, err := s.db.query(ctx, "SELECT id FROM users WHERE "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, formatError(err, "match")
	}
	ids, err := scanIDs(rows)
	return ids, formatError(err, "match")
}

func (s *UserService) searchRegistry(ctx context.Context) (*roster.Registry, error) {
	return loadRegistry(ctx, s.db.read, s.db)
}

var (
	sqliteFuncsOnce sync.Once
	sqliteFuncsErr  error
)

// registerSQLiteFuncs gives SQLite the folding functions that PostgreSQL
// gets from its migrations: roster_fold is query.Fold, roster_fold_phone is
// query.FoldPhone; NULL stays NULL. The driver hands them to the
// connections it opens afterwards, so Open calls this first.
func registerSQLiteFuncs() error {
	sqliteFuncsOnce.Do(func() {
		for name, fn := range map[string]func(string) string{"roster_fold": query.Fold, "roster_fold_phone": query.FoldPhone} {
			err := sqlite.RegisterDeterministicScalarFunction(name, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
				switch v := args[0].(type) {
				case nil:
					return nil, nil
				case string:
					return fn(v), nil
				case []byte:
					return fn(string(v)), nil
				default:
					return fn(fmt.Sprint(v)), nil
				}
			})
			if err != nil {
				sqliteFuncsErr = fmt.Errorf("register %s: %w", name, err)
				return
			}
		}

	})
	return sqliteFuncsErr
}
