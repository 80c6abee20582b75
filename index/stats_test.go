package index_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"roster"
	"roster/demo"
	"roster/index"
	"roster/query"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// statsUser is one user of the statistics tests, with the values they
// count.
type statsUser struct {
	country string
	status  roster.UserStatus
	roles   []string
	created time.Time
	joined  roster.Date // custom date field
}

// statsUsers returns users with known countries, statuses, roles and
// creation times: many of them on day boundaries in Europe/Paris around the
// change to summer time on 2025-03-30 (a 23-hour day) and back on
// 2025-10-26 (a 25-hour day).
func statsUsers(t *testing.T) []statsUser {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min, s, ms int) time.Time {
		return time.Date(y, m, d, h, min, s, ms*1e6, paris)
	}
	created := []time.Time{
		at(2025, 3, 27, 23, 59, 59, 999), // before the range
		at(2025, 3, 28, 0, 0, 0, 0),      // first instant of the first day
		at(2025, 3, 28, 12, 0, 0, 0),
		at(2025, 3, 29, 0, 0, 0, 0),
		at(2025, 3, 29, 23, 59, 59, 999),
		at(2025, 3, 30, 0, 0, 0, 0),      // 2025-03-29 23:00 UTC
		at(2025, 3, 30, 1, 59, 59, 999),  // the last instant of winter time
		at(2025, 3, 30, 3, 0, 0, 0),      // the first of summer time: 01:00 UTC
		at(2025, 3, 30, 23, 59, 59, 999), // 21:59:59.999 UTC
		at(2025, 3, 31, 0, 0, 0, 0),      // 2025-03-30 22:00 UTC: a day later in Paris
		time.Date(2025, 3, 30, 22, 30, 0, 0, time.UTC),
		at(2025, 3, 31, 23, 59, 59, 999),               // last instant of the range
		at(2025, 4, 1, 0, 0, 0, 0),                     // after the range
		at(2025, 10, 26, 0, 30, 0, 0),                  // 2025-10-25 22:30 UTC
		at(2025, 10, 26, 2, 30, 0, 0),                  // ambiguous: the first 02:30 (summer time)
		time.Date(2025, 10, 26, 1, 30, 0, 0, time.UTC), // the second 02:30 (winter time)
		at(2025, 10, 26, 23, 30, 0, 0),                 // 22:30 UTC
		at(2025, 10, 27, 0, 0, 0, 0),
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	countries := map[string]int{"FR": 10, "DE": 6, "US": 6, "BE": 3, "JP": 3, "CI": 2, "": 8}
	var codes []string
	for _, c := range []string{"FR", "DE", "US", "BE", "JP", "CI", ""} {
		for range countries[c] {
			codes = append(codes, c)
		}
	}
	statuses := []roster.UserStatus{roster.StatusActive, roster.StatusActive, roster.StatusBanned, roster.StatusPending, roster.StatusActive, roster.StatusInvited}
	roleSets := [][]string{{"vip"}, {"vip", "Moderator"}, nil, {"beta"}, {"VIP"}}
	out := make([]statsUser, len(codes))
	for i := range out {
		out[i] = statsUser{
			country: codes[i],
			status:  statuses[i%len(statuses)],
			roles:   roleSets[i%len(roleSets)],
			created: created[i%len(created)],
		}
		if i%3 == 0 {
			out[i].joined = roster.Date{Year: 2025, Month: 3, Day: 28 + i%4}
		}
	}
	return out
}

// openStatsIndex stores us and builds an index over them.
func openStatsIndex(t *testing.T, db *sqldb.DB, us []statsUser) (*index.Index, *sqldb.UserService, *roster.Registry) {
	t.Helper()
	ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
	fields := sqldb.NewFieldService(db)
	if err := fields.CreateCustomField(ctx, &roster.Field{Key: "joined", Label: "Joined", Type: roster.TypeDate}); err != nil {
		t.Fatal(err)
	}
	users := sqldb.NewUserService(db)
	var batch []*roster.User
	for i, s := range us {
		u := &roster.User{
			Email: fmt.Sprintf("stats%d@example.com", i), FirstName: fmt.Sprintf("User %d", i),
			Country: s.country, Status: s.status, Roles: s.roles, CreatedAt: s.created.UTC(),
			Newsletter: i%4 == 0, City: []string{"Paris", "paris", "Lyon", ""}[i%4],
		}
		if !s.joined.IsZero() {
			u.Custom = map[string]any{"joined": s.joined}
		}
		batch = append(batch, u)
	}
	if err := users.CreateUsers(ctx, batch); err != nil {
		t.Fatal(err)
	}
	ix := mustOpenIndex(t, ctx, db)
	reg, err := fields.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ix, users, reg
}

func mustPlan(t *testing.T, reg *roster.Registry, text string, loc *time.Location) *query.Plan {
	t.Helper()
	f, err := query.Parse(text)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	p, err := query.Compile(f, reg, loc)
	if err != nil {
		t.Fatalf("compile %q: %v", text, err)
	}
	return p
}

func TestStats_NotReady(t *testing.T) {
	ix := &index.Index{}
	ctx := context.Background()
	if _, err := ix.Count(ctx, &query.Plan{}); err != index.ErrNotReady {
		t.Errorf("Count: %v, want ErrNotReady", err)
	}
	if _, err := ix.Facet(ctx, &query.Plan{}, "country", 5); err != index.ErrNotReady {
		t.Errorf("Facet: %v, want ErrNotReady", err)
	}
	d := roster.Date{Year: 2025, Month: 1, Day: 1}
	if _, err := ix.PerDay(ctx, &query.Plan{}, "created_at", d, d, time.UTC); err != index.ErrNotReady {
		t.Errorf("PerDay: %v, want ErrNotReady", err)
	}
}

func TestStats_Count(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		us := statsUsers(t)
		ix, users, reg := openStatsIndex(t, db, us)
		paris, _ := time.LoadLocation("Europe/Paris")
		for _, text := range []string{
			"", "status:active", "status:banned", "newsletter:true", "country:FR", "-country:FR",
			"country:none", "roles:vip", "roles:vip+moderator", "city:paris", "user", "created_at:2025-03-30",
			"created_at:2025-03-28..2025-03-31 country:FR,DE", "profile_image_url:~png", // the last runs in SQL
		} {
			p := mustPlan(t, reg, text, paris)
			got, err := ix.Count(ctx, p)
			if err != nil {
				t.Fatalf("%q: %v", text, err)
			}
			want, err := users.Search(ctx, p, query.Page{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ix.Search(ctx, p, query.Page{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got != want.Total || got != res.Total {
				t.Errorf("Count(%q) = %d; SQL total %d, Search total %d", text, got, want.Total, res.Total)
			}
		}
		if n, _ := ix.Count(ctx, nil); n != len(us) {
			t.Errorf("Count(nil) = %d, want %d", n, len(us))
		}
		if n, _ := ix.Count(ctx, mustPlan(t, reg, "status:banned", time.UTC)); n != len(us)/6 {
			t.Errorf("banned: %d, want %d", n, len(us)/6)
		}
	})
}

func TestStats_Facet(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		us := statsUsers(t)
		ix, users, reg := openStatsIndex(t, db, us)
		// fc is query.FacetCount as a local type, for short literals.
		type fc struct {
			Value string
			Count int
		}
		facet := func(text, field string, limit int) []fc {
			t.Helper()
			got, err := ix.Facet(ctx, mustPlan(t, reg, text, time.UTC), field, limit)
			if err != nil {
				t.Fatalf("Facet(%q, %s): %v", text, field, err)
			}
			var out []fc
			for _, g := range got {
				out = append(out, fc(g))
			}
			return out
		}
		check := func(name string, got, want []fc) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s:\n got %v\nwant %v", name, got, want)
			}
		}
		// Ties by value: DE before US, BE before JP. No empty value.
		check("all countries", facet("", "country", 0), []fc{{"FR", 10}, {"DE", 6}, {"US", 6}, {"BE", 3}, {"JP", 3}, {"CI", 2}})
		check("top 3", facet("", "country", 3), []fc{{"FR", 10}, {"DE", 6}, {"US", 6}})
		// Against an oracle counted here.
		want := map[string]int{}
		for _, u := range us {
			if u.status == roster.StatusActive && u.country != "" {
				want[u.country]++
			}
		}
		got := facet("status:active", "country", 0)
		total := 0
		for i, g := range got {
			if want[g.Value] != g.Count {
				t.Errorf("active %s: %d, want %d", g.Value, g.Count, want[g.Value])
			}
			if i > 0 && (got[i-1].Count < g.Count || got[i-1].Count == g.Count && got[i-1].Value > g.Value) {
				t.Errorf("active countries out of order: %v", got)
			}
			total += g.Count
		}
		if len(got) != len(want) {
			t.Errorf("active countries: %v, want %v", got, want)
		}
		if n, _ := ix.Count(ctx, mustPlan(t, reg, "status:active country:any", time.UTC)); n != total {
			t.Errorf("active countries add up to %d, Count says %d", total, n)
		}
		check("statuses", facet("", "status", 0), []fc{{"active", 20}, {"banned", 6}, {"invited", 6}, {"pending", 6}})
		check("statuses of FR", facet("country:FR", "status", 0), []fc{{"active", 5}, {"banned", 2}, {"pending", 2}, {"invited", 1}})
		// Sets: folded members (VIP and vip are one).
		check("roles", facet("", "roles", 0), []fc{{"vip", 23}, {"moderator", 8}, {"beta", 7}})
		check("roles of nobody", facet("country:JP status:invited", "roles", 0), nil)
		// Text held as a dictionary: folded values.
		check("cities", facet("", "city", 0), []fc{{"paris", 20}, {"lyon", 9}})

		if _, err := ix.Facet(ctx, &query.Plan{}, "points", 5); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("facet of points: %v, want EINVALID", err)
		}
		if _, err := ix.Facet(ctx, &query.Plan{}, "nope", 5); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("facet of an unknown field: %v, want EINVALID", err)
		}
		// A write shows at once.
		all, err := users.Search(ctx, mustPlan(t, reg, "country:CI", time.UTC), query.Page{Limit: 10})
		if err != nil || len(all.IDs) != 2 {
			t.Fatalf("CI users: %v %v", all, err)
		}
		u, _ := users.FindUsersByIDs(ctx, all.IDs[:1])
		if _, err := users.UpdateUser(ctx, u[0].PublicID, roster.UserUpdate{Values: map[string]any{"country": "JP"}}); err != nil {
			t.Fatal(err)
		}
		check("after a write", facet("", "country", 0), []fc{{"FR", 10}, {"DE", 6}, {"US", 6}, {"JP", 4}, {"BE", 3}, {"CI", 1}})
	})
}

func TestStats_PerDay(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		us := statsUsers(t)
		ix, users, reg := openStatsIndex(t, db, us)
		paris, _ := time.LoadLocation("Europe/Paris")
		tokyo, _ := time.LoadLocation("Asia/Tokyo")
		la, _ := time.LoadLocation("America/Los_Angeles")
		date := func(s string) roster.Date {
			d, err := roster.ParseDate(s)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		// oracle counts the users matching keep whose creation falls on
		// each day, from the calendar date of each time in loc.
		oracle := func(from, to roster.Date, loc *time.Location, keep func(statsUser) bool) []int {
			var out []int
			for d := from.In(time.UTC); !d.After(to.In(time.UTC)); d = d.AddDate(0, 0, 1) {
				n := 0
				for _, u := range us {
					if keep(u) && roster.DateOf(u.created.In(loc)) == roster.DateOf(d) {
						n++
					}
				}
				out = append(out, n)
			}
			return out
		}
		all := func(statsUser) bool { return true }
		perDay := func(text, field, from, to string, loc *time.Location) []int {
			t.Helper()
			got, err := ix.PerDay(ctx, mustPlan(t, reg, text, loc), field, date(from), date(to), loc)
			if err != nil {
				t.Fatalf("PerDay(%q, %s, %s..%s, %s): %v", text, field, from, to, loc, err)
			}
			return got
		}
		// Four users per distinct time (38 users, 19 times): written out
		// by hand for the spring change in Paris.
		n := len(us) / 19
		if got, want := perDay("", "created_at", "2025-03-28", "2025-03-31", paris), []int{2 * n, 2 * n, 4 * n, 3 * n}; !slices.Equal(got, want) {
			t.Errorf("spring, Paris: %v, want %v", got, want)
		}
		// In UTC the same instants fall on other days.
		if got, want := perDay("", "created_at", "2025-03-28", "2025-03-31", time.UTC), oracle(date("2025-03-28"), date("2025-03-31"), time.UTC, all); !slices.Equal(got, want) {
			t.Errorf("spring, UTC: %v, want %v", got, want)
		}
		if got, want := perDay("", "created_at", "2025-03-28", "2025-03-31", time.UTC), []int{2 * n, 2 * n, 5 * n, 2 * n}; !slices.Equal(got, want) {
			t.Errorf("spring, UTC by hand: %v, want %v", got, want)
		}
		// The autumn change: the 25-hour day holds all four of its users.
		if got, want := perDay("", "created_at", "2025-10-25", "2025-10-27", paris), []int{0, 4 * n, n}; !slices.Equal(got, want) {
			t.Errorf("autumn, Paris: %v, want %v", got, want)
		}
		for _, loc := range []*time.Location{paris, tokyo, la, time.UTC} {
			for _, span := range [][2]string{{"2025-03-20", "2025-04-05"}, {"2025-10-20", "2025-10-31"}, {"2023-12-31", "2024-01-02"}, {"2025-03-30", "2025-03-30"}} {
				got := perDay("", "created_at", span[0], span[1], loc)
				want := oracle(date(span[0]), date(span[1]), loc, all)
				if !slices.Equal(got, want) {
					t.Errorf("%s..%s in %s: %v, want %v", span[0], span[1], loc, got, want)
				}
			}
			// With a filter.
			got := perDay("country:FR,DE -status:banned", "created_at", "2025-03-25", "2025-04-02", loc)
			want := oracle(date("2025-03-25"), date("2025-04-02"), loc, func(u statsUser) bool {
				return (u.country == "FR" || u.country == "DE") && u.status != roster.StatusBanned
			})
			if !slices.Equal(got, want) {
				t.Errorf("filtered in %s: %v, want %v", loc, got, want)
			}
		}
		// The days of a date field do not depend on the zone.
		wantJoined := make([]int, 5)
		for _, u := range us {
			if !u.joined.IsZero() {
				wantJoined[u.joined.Day-28]++
			}
		}
		for _, loc := range []*time.Location{paris, tokyo, la} {
			if got := perDay("", "joined", "2025-03-28", "2025-04-01", loc); !slices.Equal(got, wantJoined) {
				t.Errorf("joined in %s: %v, want %v", loc, got, wantJoined)
			}
		}
		// Every count agrees with the SQL count of that day.
		got := perDay("", "created_at", "2025-03-27", "2025-04-01", paris)
		for i, d := 0, date("2025-03-27").In(time.UTC); i < len(got); i, d = i+1, d.AddDate(0, 0, 1) {
			res, err := users.Search(ctx, mustPlan(t, reg, "created_at:"+roster.DateOf(d).String(), paris), query.Page{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != got[i] {
				t.Errorf("%s: PerDay %d, SQL %d", roster.DateOf(d), got[i], res.Total)
			}
		}
		// Bad arguments.
		for name, call := range map[string]func() error{
			"end before start": func() error {
				_, err := ix.PerDay(ctx, nil, "created_at", date("2025-03-02"), date("2025-03-01"), paris)
				return err
			},
			"too many days": func() error {
				_, err := ix.PerDay(ctx, nil, "created_at", date("2000-01-01"), date("2025-03-01"), paris)
				return err
			},
			"not a time": func() error {
				_, err := ix.PerDay(ctx, nil, "points", date("2025-03-01"), date("2025-03-02"), paris)
				return err
			},
			"unknown": func() error {
				_, err := ix.PerDay(ctx, nil, "nope", date("2025-03-01"), date("2025-03-02"), paris)
				return err
			},
		} {
			if err := call(); roster.ErrorCode(err) != roster.EINVALID {
				t.Errorf("%s: %v, want EINVALID", name, err)
			}
		}
	})
}

// demoSource is a store of n demo users made on the fly, for benchmarks
// at sizes a test database would take minutes to fill.
type demoSource struct {
	gen *demo.Generator
	n   int
}

func (s demoSource) user(id int64) *roster.User {
	u := s.gen.User(int(id - 1))
	u.ID, u.PublicID = id, fmt.Sprintf("u_%d", id)
	u.UpdatedAt = u.CreatedAt // as the store sets it
	return u
}

func (s demoSource) ScanUsers(ctx context.Context, afterID int64, batch int, fn func(*roster.User) error) error {
	for id := afterID + 1; id <= int64(s.n); id++ {
		if err := fn(s.user(id)); err != nil {
			return err
		}
	}
	return nil
}

func (s demoSource) FindUsersByIDs(ctx context.Context, ids []int64) ([]*roster.User, error) {
	var out []*roster.User
	for _, id := range ids {
		if id >= 1 && id <= int64(s.n) {
			out = append(out, s.user(id))
		}
	}
	return out, nil
}

func (s demoSource) FindUserRefs(ctx context.Context, ids []int64) ([]*roster.User, error) {
	return s.FindUsersByIDs(ctx, ids)
}

func (s demoSource) LastUserID(ctx context.Context) (int64, error) { return int64(s.n), nil }

type builtinFields struct{ roster.FieldService }

func (builtinFields) Registry(ctx context.Context) (*roster.Registry, error) {
	return roster.NewRegistry(nil), nil
}

type noChanges struct{}

func (noChanges) ChangesSince(ctx context.Context, seq int64, limit int) ([]roster.UserChange, error) {
	return nil, nil
}
func (noChanges) LastChange(ctx context.Context) (int64, error) { return 0, nil }

// BenchmarkStats measures what the dashboard asks of the index, over
// 100,000 demo users (ROSTER_BENCH_USERS to change: 1000000 takes a minute
// to build).
func BenchmarkStats(b *testing.B) {
	n := 100000
	if s := os.Getenv("ROSTER_BENCH_USERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	now := time.Now()
	ix := &index.Index{Users: demoSource{gen: demo.New(1, now), n: n}, Fields: builtinFields{}, Changes: noChanges{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	start := time.Now()
	if err := ix.Build(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d users indexed in %s", n, time.Since(start).Round(time.Millisecond))
	reg := roster.NewRegistry(nil)
	plan := func(text string) *query.Plan {
		f, _ := query.Parse(text)
		p, err := query.Compile(f, reg, time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	today := roster.DateOf(now.In(paris))
	from := roster.DateOf(time.Date(today.Year, today.Month, today.Day-179, 0, 0, 0, 0, time.UTC))
	all := &query.Plan{}
	count := func(p *query.Plan) func() error {
		return func() error { _, err := ix.Count(ctx, p); return err }
	}
	cases := []struct {
		name string
		fn   func() error
	}{
		{"count/all", count(all)},
		{"count/status:active", count(plan("status:active"))},
		{"count/newsletter:true", count(plan("newsletter:true"))},
		{"count/status:banned", count(plan("status:banned"))},
		{"facet/country", func() error { _, err := ix.Facet(ctx, all, "country", 0); return err }},
		{"facet/country/active", func() error { _, err := ix.Facet(ctx, plan("status:active"), "country", 10); return err }},
		{"perday/180", func() error { _, err := ix.PerDay(ctx, all, "created_at", from, today, paris); return err }},
		{"perday/1y/FR", func() error {
			_, err := ix.PerDay(ctx, plan("country:FR"), "created_at", roster.DateOf(now.AddDate(-1, 0, 0)), today, paris)
			return err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := c.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("dashboard", func(b *testing.B) {
		for b.Loop() {
			for _, c := range cases[:7] {
				if c.name != "facet/country/active" {
					if err := c.fn(); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	})
}

// TestMemberCounts checks the counts of tag and group members the lists
// show: the index's, from its bitmaps, equal the store's, counted over the
// assignment rows, and a count made here, through tagging, untagging,
// joining and deleting a user; before the build the store answers.
func TestMemberCounts(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		ix, users, _ := openStatsIndex(t, db, statsUsers(t))
		store := sqldb.NewCatalogService(db)
		tags, groups := sqldb.NewTagService(db), sqldb.NewGroupService(db)
		vip, other := &roster.Tag{Name: "VIP"}, &roster.Tag{Name: "Other"}
		for _, tg := range []*roster.Tag{vip, other} {
			if err := tags.CreateTag(ctx, tg); err != nil {
				t.Fatal(err)
			}
		}
		club := &roster.Group{Name: "Club", JoinType: roster.JoinOpen}
		if err := groups.CreateGroup(ctx, club); err != nil {
			t.Fatal(err)
		}
		all, err := users.Search(ctx, &query.Plan{}, query.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		ids := all.IDs
		if _, err := tags.TagUsers(ctx, vip.ID, ids[:10], ""); err != nil {
			t.Fatal(err)
		}
		if _, err := tags.TagUsers(ctx, other.ID, ids[5:8], ""); err != nil {
			t.Fatal(err)
		}
		if _, err := tags.UntagUsers(ctx, vip.ID, ids[:2], ""); err != nil {
			t.Fatal(err)
		}
		if _, err := groups.AddMembers(ctx, club.ID, ids[3:9], ""); err != nil {
			t.Fatal(err)
		}
		gone, err := users.FindUsersByIDs(ctx, ids[6:7]) // in VIP, Other and Club
		if err != nil {
			t.Fatal(err)
		}
		if err := users.DeleteUser(ctx, gone[0].PublicID); err != nil {
			t.Fatal(err)
		}
		want := map[string]map[int64]int{
			"tags":   {vip.ID: 7, other.ID: 2},
			"groups": {club.ID: 5},
		}
		for _, field := range []string{"tags", "groups"} {
			fromIndex, err := ix.MemberCounts(ctx, field)
			if err != nil {
				t.Fatal(err)
			}
			fromStore, err := store.MemberCounts(ctx, field)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(fromIndex, want[field]) || !maps.Equal(fromStore, want[field]) {
				t.Errorf("%s: index %v, store %v, want %v", field, fromIndex, fromStore, want[field])
			}
			unbuilt := &index.Index{Counts: store}
			if got, err := unbuilt.MemberCounts(ctx, field); err != nil || !maps.Equal(got, want[field]) {
				t.Errorf("%s before the build: %v %v, want %v", field, got, err, want[field])
			}
		}
		if _, err := ix.MemberCounts(ctx, "roles"); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("roles: %v, want EINVALID", err)
		}
		if _, err := store.MemberCounts(ctx, "roles"); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("store, roles: %v, want EINVALID", err)
		}
	})
}
