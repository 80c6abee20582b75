package sqldb_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/demo"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// BenchmarkPastePreview reads, validates and previews a paste of 100,000
// addresses (half of them users', a few duplicates, typos, role and
// disposable addresses) against a SQLite store of
// ROSTER_BENCH_PASTE_USERS demo users (default 200,000): the work of
// Users → Subscribers' Preview button. The target is 3 s.
func BenchmarkPastePreview(b *testing.B) {
	n := 200_000
	if s := os.Getenv("ROSTER_BENCH_PASTE_USERS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 50_000 {
			b.Fatalf("ROSTER_BENCH_PASTE_USERS=%q: a number of at least 50000", s)
		}
		n = v
	}
	db := sqldbtest.MustOpenDB(b, sqldb.SQLite)
	g := demo.New(1, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	users := sqldb.NewUserService(db)
	var emails []string
	batch := make([]*roster.User, 0, 10_000)
	for i := 1; i <= n; i++ {
		u := g.User(i)
		batch = append(batch, u)
		if u.Email != "" && len(emails) < 50_000 {
			emails = append(emails, u.Email)
		}
		if len(batch) == cap(batch) || i == n {
			if err := users.CreateUsers(staffCtx(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	var sb strings.Builder
	for i := range 100_000 {
		switch {
		case i < len(emails):
			sb.WriteString(strings.ToUpper(emails[i][:1]) + emails[i][1:])
		case i%1000 == 1:
			fmt.Fprintf(&sb, "Someone %d <someone%d@gmial.com>", i, i)
		case i%1000 == 2:
			fmt.Fprintf(&sb, "info%d@mailinator.com", i)
		case i%1000 == 3:
			sb.WriteString("info@example.org")
		default:
			fmt.Fprintf(&sb, "new.person%d@example.net", i)
		}
		if i%3 == 0 {
			sb.WriteString(", ")
		} else {
			sb.WriteString("\n")
		}
	}
	text := sb.String()
	subs := sqldb.NewSubscriberService(db, nil)
	opts := roster.PasteOptions{Mode: roster.PasteSubscribe, Create: true, Validate: true}
	ctx := context.Background()
	b.ResetTimer()
	var p *roster.PastePreview
	for b.Loop() {
		entries, err := roster.ParsePaste(text, opts.Validate)
		if err != nil {
			b.Fatal(err)
		}
		found, err := subs.FindSubscribers(ctx, roster.PasteAddresses(entries))
		if err != nil {
			b.Fatal(err)
		}
		p = roster.PreviewPaste(entries, opts, found)
	}
	if p.Total != 100_000 {
		b.Fatalf("previewed %d addresses", p.Total)
	}
	b.ReportMetric(float64(n), "users")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/paste")
}
