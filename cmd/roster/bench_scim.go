package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"roster"
	"roster/sqldb"
	"roster/web"
)

// benchSCIMStaff is the staff account whose token the SCIM benchmark uses.
const benchSCIMStaff = "bench-scim@roster.invalid"

// runBenchSCIM measures SCIM list queries (GET /scim/v2/Users with a
// filter) over N demo users: server time, the handler called in process
// with the query index built, as the server runs it.
func runBenchSCIM(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var n, runs int
	var cpuProfile string
	err := parse("bench-scim", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "users", 1_000_000, "users the database must hold (seeded when it has fewer)")
		fs.IntVar(&runs, "runs", 200, "runs of each query")
		fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the queries to this file")
	})
	if err != nil {
		return err
	}
	if runs < 1 {
		return fmt.Errorf("--runs must be at least 1")
	}
	if err := m.open(ctx, stderr); err != nil {
		return err
	}
	defer m.Close()
	ctx = cliContext(ctx)
	if err := m.ensureBenchData(ctx, n, stdout); err != nil {
		return err
	}
	tuneGC(getenv)
	m.OpenIndex()
	start := time.Now()
	if err := m.Index.Build(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "index build: %s for %d users\n", time.Since(start).Round(time.Millisecond), n)

	st, err := m.Staff.FindStaffByEmail(ctx, benchSCIMStaff)
	if roster.ErrorCode(err) == roster.ENOTFOUND {
		st = &roster.Staff{Email: benchSCIMStaff, Role: roster.RoleAdmin}
		err = m.Staff.CreateStaff(ctx, st, fmt.Sprintf("Pw-%x-%x", rand.Uint64(), rand.Uint64()))
	}
	if err != nil {
		return err
	}
	_, token, err := m.Staff.CreateToken(ctx, st.ID, "bench-scim")
	if err != nil {
		return err
	}
	srv := web.NewServer(&web.Server{
		Users: m.Users, Fields: m.Fields, Staff: m.Staff, Audit: m.Audit, Search: m.Index,
		Groups: sqldb.NewGroupService(m.DB), AccountSettings: sqldb.NewAccountSettings(m.DB),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	get := func(q string) (time.Duration, int, error) {
		req := httptest.NewRequest("GET", "/scim/v2/Users?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		start := time.Now()
		srv.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != http.StatusOK {
			return d, 0, fmt.Errorf("GET /scim/v2/Users?%s: %d %s", q, rec.Code, rec.Body)
		}
		var body struct{ TotalResults int }
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		return d, body.TotalResults, nil
	}

	// Real users for the lookups an identity provider makes.
	var sample []*roster.User
	for tries := 0; len(sample) < 200 && tries < 50; tries++ {
		ids := make([]int64, 0, 200)
		for range 200 {
			ids = append(ids, 1+rand.Int64N(int64(n)))
		}
		found, err := m.Users.FindUsersByIDs(ctx, ids)
		if err != nil {
			return err
		}
		for _, u := range found {
			if u.Email != "" && u.LastName != "" {
				sample = append(sample, u)
			}
		}
	}
	if len(sample) == 0 {
		return fmt.Errorf("no users with an email and a last name among random ids")
	}
	pick := func() *roster.User { return sample[rand.IntN(len(sample))] }
	f := func(filter string, rest ...string) string {
		return strings.Join(append([]string{"filter=" + url.QueryEscape(filter)}, rest...), "&")
	}
	queries := []struct {
		name string
		q    func() string
	}{
		{`userName eq (the provider's lookup)`, func() string { return f(`userName eq "` + pick().Email + `"`) }},
		{`emails[type eq "work"].value eq`, func() string { return f(`emails[type eq "work"].value eq "` + pick().Email + `"`) }},
		{`userName eq a or userName eq b`, func() string { return f(`userName eq "` + pick().Email + `" or userName eq "` + pick().Email + `"`) }},
		{`name.familyName eq, count=100`, func() string { return f(`name.familyName eq "`+pick().LastName+`"`, "count=100") }},
		{`name.familyName co, page 10 of 100`, func() string {
			return f(`name.familyName co "`+prefix(pick().LastName, 3)+`"`, "count=100", "startIndex=901")
		}},
		{`active eq true, sortBy userName, count=100`, func() string { return f(`active eq true`, "count=100", "sortBy=userName") }},
		{`meta.lastModified gt, count=100`, func() string { return f(`meta.lastModified gt "2000-01-01T00:00:00Z"`, "count=100") }},
		{`no filter, startIndex=500001, count=100`, func() string { return "startIndex=500001&count=100" }},
	}
	if cpuProfile != "" {
		pf, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(stdout, "GET /scim/v2/Users, %d runs each (server time):\n", runs)
	for _, qq := range queries {
		ds := make([]time.Duration, 0, runs)
		total := 0
		for range runs {
			d, t, err := get(qq.q())
			if err != nil {
				return err
			}
			ds = append(ds, d)
			total += t
		}
		fmt.Fprintf(stdout, "  %-45s %s  (mean totalResults %d)\n", qq.name, percentiles(ds), total/runs)
	}
	return nil
}

// prefix returns the first n runes of s.
func prefix(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}
