package sqldb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"roster"
	"roster/demo"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// benchUsers stores n demo users in a fresh database of dialect d and
// returns their ids.
func benchUsers(b *testing.B, d sqldb.Dialect, n int) (*sqldb.DB, []int64) {
	db := sqldbtest.MustOpenDB(b, d)
	g := demo.New(1, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	users := make([]*roster.User, n)
	for i := range users {
		users[i] = g.User(i + 1)
	}
	if err := sqldb.NewUserService(db).CreateUsers(staffCtx(), users); err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, n)
	for i, u := range users {
		ids[i] = u.ID
	}
	return db, ids
}

// BenchmarkFindUsersByIDs loads 1,000 demo users by a dense run of ids, as
// an export batch and the index build do, and reports the time per user.
func BenchmarkFindUsersByIDs(b *testing.B) {
	for _, d := range sqldbtest.Dialects {
		b.Run(d.String(), func(b *testing.B) {
			db, ids := benchUsers(b, d, 1000)
			s := sqldb.NewUserService(db)
			slab := make([]roster.User, len(ids))
			b.ReportAllocs()
			for b.Loop() {
				got, err := s.FindUsersByIDsInto(context.Background(), ids, slab)
				if err != nil || len(got) != len(ids) {
					b.Fatal(len(got), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ids)), "ns/user")
		})
	}
}

// rawRow replays the driver values of one row: Scan does what database/sql
// does for the destinations the user scanner uses, without the driver.
type rawRow []any

func (r rawRow) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("scan: %d destinations for %d columns", len(dest), len(r))
	}
	for i, d := range dest {
		switch p := d.(type) {
		case interface{ Scan(any) error }:
			if err := p.Scan(r[i]); err != nil {
				return err
			}
		case *string:
			switch v := r[i].(type) {
			case string:
				*p = v
			case []byte:
				*p = string(v)
			default:
				return fmt.Errorf("scan column %d: %T into *string", i, v)
			}
		case *int64:
			v, ok := r[i].(int64)
			if !ok {
				return fmt.Errorf("scan column %d: %T into *int64", i, r[i])
			}
			*p = v
		default:
			return fmt.Errorf("scan column %d: destination %T", i, d)
		}
	}
	return nil
}

// BenchmarkUserScan scans rows of 1,000 demo users as each driver gives
// them, without the database: the user scanner's own cost per row.
func BenchmarkUserScan(b *testing.B) {
	for _, d := range sqldbtest.Dialects {
		b.Run(d.String(), func(b *testing.B) {
			db, _ := benchUsers(b, d, 1000)
			rows, err := sqldb.UserRows(db)
			if err != nil {
				b.Fatal(err)
			}
			cols, _ := rows.Columns()
			var raw []rawRow
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					b.Fatal(err)
				}
				raw = append(raw, vals)
			}
			rows.Close()
			reg := roster.NewRegistry(nil)
			scan := sqldb.NewUserScan()
			b.ReportAllocs()
			for b.Loop() {
				for _, r := range raw {
					if _, err := scan(r, reg); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(raw)), "ns/row")
		})
	}
}
