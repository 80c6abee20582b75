package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/index"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// TestDashboard checks the dashboard's numbers against users with known
// countries, statuses, subscriptions and creation days, in the staff
// member's time zone.
func TestDashboard(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		tokyo, err := time.LoadLocation("Asia/Tokyo")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		today := roster.DateOf(now.In(tokyo))
		dayStart := func(daysAgo int) time.Time {
			return time.Date(today.Year, today.Month, today.Day-daysAgo, 0, 0, 0, 0, tokyo)
		}
		var users []*roster.User
		add := func(n int, country string, status roster.UserStatus, newsletter bool, created time.Time) {
			for range n {
				users = append(users, &roster.User{
					Email:   fmt.Sprintf("dash%d@example.com", len(users)),
					Country: country, Status: status, Newsletter: newsletter, CreatedAt: created.UTC(),
				})
			}
		}
		old := now.AddDate(-1, 0, 0)
		// Countries: FR 6, CI 4, BE 3, DE 3, then eleven with one user each
		// and 1,179 users without a country.
		add(6, "FR", roster.StatusActive, true, dayStart(0))                          // the first instant of today in Tokyo
		add(4, "CI", roster.StatusActive, false, dayStart(0))                         // Côte d'Ivoire: escaped
		add(3, "BE", roster.StatusPending, false, dayStart(0).Add(-time.Millisecond)) // yesterday
		add(3, "DE", roster.StatusActive, true, dayStart(89))                         // the first day of the chart
		for _, c := range []string{"US", "JP", "IT", "ES", "PT", "NL", "SE", "NO", "DK", "FI", "PL"} {
			add(1, c, roster.StatusActive, false, dayStart(89).Add(-time.Millisecond)) // the day before the chart
		}
		add(1179, "", roster.StatusActive, false, old)
		store := sqldb.NewUserService(db)
		if err := store.CreateUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		ts := mustOpenServer(t, db)
		// Users created once the server runs reach its index too.
		late := []*roster.User{
			{Email: "banned1@example.com", Status: roster.StatusBanned, CreatedAt: old},
			{Email: "banned2@example.com", Status: roster.StatusBanned, CreatedAt: old},
		}
		if err := store.CreateUsers(ctx, late); err != nil {
			t.Fatal(err)
		}
		staff := sqldb.NewStaffService(db)
		viewer, err := staff.FindStaffByEmail(ctx, "viewer@staff.example.com")
		if err != nil {
			t.Fatal(err)
		}
		tz := "Asia/Tokyo"
		if _, err := staff.UpdateStaff(ctx, viewer.ID, roster.StaffUpdate{TimeZone: &tz}); err != nil {
			t.Fatal(err)
		}

		b := newBrowser(t, ts)
		b.signIn(roster.RoleViewer, "/")
		resp := b.get("/")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /: %d\n%s", resp.StatusCode, resp.Body)
		}
		body := resp.Body
		total := len(users) + len(late) // 1,208
		// The cards: counts with thousands separators, linking to the
		// users behind them.
		for _, want := range []string{
			`href="/users"`, "All users", "1,208",
			`href="/users?q=access%3Aactive"`, "1,203", // everyone but BE (pending) and the banned: no one has expired
			`href="/users?q=newsletter%3Atrue"`, ">9<",
			`href="/users?q=status%3Abanned"`, ">2<",
			"&#43;13 in the last 7 days", "99.6% of all users",
			`<link rel="stylesheet" href="/static/dashboard.css?v=`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("dashboard lacks %q", want)
			}
		}
		if total != 1208 {
			t.Fatalf("%d users", total)
		}

		// The chart: one bar per day, days in the staff's zone.
		svg := regexp.MustCompile(`(?s)<svg class="dash-days".*?</svg>`).FindString(body)
		if svg == "" {
			t.Fatalf("no chart:\n%s", body)
		}
		if n := strings.Count(svg, `<rect class="bar`); n != 90 {
			t.Errorf("%d bars, want 90", n)
		}
		if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, `aria-label="Bar chart of new users per day from `+formatDay(dayStart(89))+` to `+formatDay(dayStart(0))+`: 16 in total, most on `+formatDay(dayStart(0))+` (10).`) {
			t.Errorf("chart lacks its accessible summary: %.600s", svg)
		}
		titles := regexp.MustCompile(`<title>([^<]*)</title>`).FindAllStringSubmatch(svg, -1)
		if len(titles) != 90 {
			t.Fatalf("%d bar titles, want 90", len(titles))
		}
		for i, want := range map[int]string{
			89: dayStart(0).Format("Mon 2 Jan 2006") + " (today, so far): 10 new users",
			88: dayStart(1).Format("Mon 2 Jan 2006") + ": 3 new users",
			87: dayStart(2).Format("Mon 2 Jan 2006") + ": 0 new users",
			0:  dayStart(89).Format("Mon 2 Jan 2006") + ": 3 new users",
		} {
			if titles[i][1] != want {
				t.Errorf("bar %d: %q, want %q", i, titles[i][1], want)
			}
		}
		// Labels on the first of each month, and on the y axis.
		for d := 0; d < 90; d++ {
			day := dayStart(d)
			if day.Day() != 1 {
				continue
			}
			label := day.Format("2 Jan")
			if day.Month() == time.January {
				label = day.Format("2 Jan 2006")
			}
			if !strings.Contains(svg, ">"+label+"</text>") {
				t.Errorf("no x label %q", label)
			}
		}
		if !strings.Contains(svg, `text-anchor="end">0</text>`) || !strings.Contains(svg, `text-anchor="end">10</text>`) {
			t.Errorf("y axis lacks 0 and 10: %.2000s", svg)
		}
		if !strings.Contains(body, "<strong>16</strong>") {
			t.Errorf("no total for the period")
		}
		// 16 users against the 11 of the 90 days before.
		if !strings.Contains(body, "&#43;45% on the 90 days before") {
			t.Errorf("no change on the 90 days before")
		}

		// Top countries: ten, most first, ties by code, names escaped.
		names := regexp.MustCompile(`<span class="country-name">([^<]*)</span>`).FindAllStringSubmatch(body, -1)
		var got []string
		for _, m := range names {
			got = append(got, m[1])
		}
		want := []string{"France", "Côte d&#39;Ivoire", "Belgium", "Germany", "Denmark", "Spain", "Finland", "Italy", "Japan", "Netherlands"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("top countries:\n got %q\nwant %q", got, want)
		}
		if strings.Contains(body, "Côte d'Ivoire") {
			t.Error("a country name is not escaped")
		}
		for _, want := range []string{`href="/users?q=country%3AFR"`, `href="/users?q=country%3ACI"`, "15 in all", `href="/users?q=country%3Anone"`, "1,181 users</a> have no country"} {
			if !strings.Contains(body, want) {
				t.Errorf("top countries lack %q", want)
			}
		}
		if strings.Contains(body, "Poland") {
			t.Error("an eleventh country is listed")
		}
		// A viewer may not read the audit log.
		if strings.Contains(body, "Recent staff activity") || strings.Contains(body, `href="/audit"`) {
			t.Error("a viewer's dashboard shows staff activity")
		}

		// An admin sees the last ten entries of the audit log.
		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")
		body = admin.get("/").Body
		if !strings.Contains(body, "Recent staff activity") || !strings.Contains(body, `<a class="dash-link" href="/audit">All activity</a>`) {
			t.Error("an admin's dashboard lacks the staff activity")
		}
		activity := regexp.MustCompile(`(?s)<table class="grid dash-table">.*?</table>`).FindString(body)
		if n := strings.Count(activity, "<tr>") - 1; n != 10 {
			t.Errorf("%d activity rows, want 10", n)
		}
	})
}

// TestDashboard_IndexNotReady: while the index is being built the
// dashboard still answers, with the count from the store.
func TestDashboard_IndexNotReady(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ts.createUser(t, `{"email":"one@example.com"}`)
		ts.createUser(t, `{"email":"two@example.com"}`)
		// A second server on the same database and staff, whose index was
		// never built.
		users := sqldb.NewUserService(db)
		unbuilt := &index.Index{Users: users, Fields: sqldb.NewFieldService(db), Changes: sqldb.NewChangeLog(db), Fallback: users}
		s := web.NewServer(&web.Server{
			Users: users, Fields: sqldb.NewFieldService(db), Staff: sqldb.NewStaffService(db), Audit: sqldb.NewAuditService(db),
			Search: unbuilt, Stats: unbuilt, CursorKey: []byte("test cursor key"),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		ts = &testServer{Server: serve(t, s), DB: db, Tokens: ts.Tokens}
		t.Cleanup(ts.Close)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleViewer, "/")
		resp := b.get("/")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /: %d\n%s", resp.StatusCode, resp.Body)
		}
		for _, want := range []string{"All users", ">2<", "search index is built"} {
			if !strings.Contains(resp.Body, want) {
				t.Errorf("dashboard lacks %q:\n%s", want, resp.Body)
			}
		}
		if strings.Contains(resp.Body, `<svg class="dash-days"`) {
			t.Error("a chart without an index")
		}
	})
}

func formatDay(t time.Time) string { return t.Format("2 Jan 2006") }
