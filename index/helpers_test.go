package index_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"roster/index"
	"roster/sqldb"
)

// mustOpenIndex builds an index over db, wired as serve wires it: every
// commit through db is applied before the write returns.
func mustOpenIndex(tb testing.TB, ctx context.Context, db *sqldb.DB) *index.Index {
	tb.Helper()
	users := sqldb.NewUserService(db)
	ix := &index.Index{Users: users, Fields: sqldb.NewFieldService(db), Changes: sqldb.NewChangeLog(db), Fallback: users,
		Policies: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := ix.Build(ctx); err != nil {
		tb.Fatal(err)
	}
	db.OnCommit = func(ids, seqs []int64) {
		if err := ix.Refresh(context.Background(), ids, seqs); err != nil {
			tb.Errorf("refresh: %v", err)
		}
	}
	db.OnRefsCommit = func(ids, seqs []int64) {
		if err := ix.RefreshRefs(context.Background(), ids, seqs); err != nil {
			tb.Errorf("refresh refs: %v", err)
		}
	}
	return ix
}
