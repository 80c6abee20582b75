package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/query"
	"roster/sqldb"
)

// The benchmark behind make bench: a database of N demo users (seeded
// first when it has fewer), the index built as serve builds it, then a
// fixed mix of queries, each run through the same path as the API
// (parse, compile, search, count, load the page's users), with p50 and p95
// latencies, the build time and the process's resident memory.

type benchQuery struct {
	name  string
	q     func(r *rand.Rand) string
	sort  string
	pages int // follow cursors to this page and time that page
}

func benchMix(emails []string) []benchQuery {
	firstNames := []string{"marie", "lucas", "emma", "jose", "anna", "mohamed", "yuki", "olga", "james", "sofia"}
	return []benchQuery{
		{name: "first page by created_at", q: func(*rand.Rand) string { return "" }, sort: "-created_at"},
		{name: "country any of 2 + points range + created_at range", q: func(r *rand.Rand) string {
			c := [][2]string{{"FR", "BE"}, {"US", "GB"}, {"DE", "ES"}}[r.IntN(3)]
			return fmt.Sprintf("country:%s,%s points:%d..%d created_at:2024-01-01..2025-06-30", c[0], c[1], 100+r.IntN(400), 5000+r.IntN(50000))
		}, sort: "-created_at"},
		{name: "set all of 2 + none of 1 (badges)", q: func(r *rand.Rand) string {
			b := []string{"verified", "top-contributor", "early-adopter", "streak-30", "helper", "mentor"}
			i := r.IntN(len(b) - 2)
			return fmt.Sprintf("badges:%s+%s -badges:%s", b[i], b[i+1], b[i+2])
		}, sort: "-created_at"},
		{name: "keyword: substring of an email", q: func(r *rand.Rand) string {
			e := emails[r.IntN(len(emails))]
			local := e[:strings.IndexByte(e, '@')]
			n := min(len(local), 6)
			start := r.IntN(len(local) - n + 1)
			return local[start : start+n]
		}, sort: "-created_at"},
		{name: "keyword: a name, sorted by points", q: func(r *rand.Rand) string {
			return firstNames[r.IntN(len(firstNames))]
		}, sort: "-points"},
		{name: "page 1000 of a broad query (cursors)", q: func(*rand.Rand) string { return "status:active" }, sort: "-last_visit", pages: 1000},
		{name: "custom field condition", q: func(r *rand.Rand) string {
			return fmt.Sprintf("tier:%s", []string{"gold", "silver", "bronze"}[r.IntN(3)])
		}, sort: "-created_at"},
	}
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var n, runs int
	var cpuProfile, memProfile string
	err := parse("bench", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "users", 1_000_000, "users the database must hold (seeded when it has fewer)")
		fs.IntVar(&runs, "runs", 200, "runs of each query")
		fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the index build to this file")
		fs.StringVar(&memProfile, "memprofile", "", "write a heap profile after the build to this file")
	})
	if err != nil {
		return err
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
	runtime.GC()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := m.Index.Build(ctx); err != nil {
		return err
	}
	build := time.Since(start)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	runtime.GC()
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "index build: %s for %d users; resident memory after build: %d MB\n\n", build.Round(time.Millisecond), n, rssMB())

	reg, err := m.Fields.Registry(ctx)
	if err != nil {
		return err
	}
	key := []byte("bench")
	var emails []string
	res, err := m.Index.Search(ctx, &query.Plan{Sort: mustSort(reg, "created_at")}, query.Page{Limit: 500})
	if err != nil {
		return err
	}
	us, err := m.Users.FindUsersByIDs(ctx, res.IDs)
	if err != nil {
		return err
	}
	for _, u := range us {
		emails = append(emails, u.Email)
	}
	r := rand.New(rand.NewPCG(1, 2))
	fmt.Fprintf(stdout, "%-52s %9s %9s %9s %10s\n", "query", "p50", "p95", "max", "matches")
	for _, bq := range benchMix(emails) {
		var times []time.Duration
		total := 0
		var deep *query.After // the cursor of the page timed, for deep pages
		for i := 0; i < runs; i++ {
			text := bq.q(r)
			f, err := query.Parse(text)
			if err != nil {
				return fmt.Errorf("%s: %q: %w", bq.name, text, err)
			}
			plan, err := query.Compile(f, reg, time.UTC)
			if err != nil {
				return fmt.Errorf("%s: %q: %w", bq.name, text, err)
			}
			plan.Sort = mustSort(reg, bq.sort)
			page := query.Page{Limit: 50}
			if bq.pages > 1 {
				if deep == nil {
					// Walk to the page before the one timed, following
					// cursors through their encoding as a client would.
					for p := 1; p < bq.pages; p++ {
						res, err := m.Index.Search(ctx, plan, page)
						if err != nil {
							return err
						}
						if res.Next == nil {
							break
						}
						if page.After, err = query.DecodeCursor(key, plan, query.EncodeCursor(key, plan, res.Next)); err != nil {
							return err
						}
					}
					deep = page.After
				}
				page.After = deep
			}
			t0 := time.Now()
			res, err := m.Index.Search(ctx, plan, page)
			if err != nil {
				return err
			}
			if _, err := m.Users.FindUsersByIDs(ctx, res.IDs); err != nil {
				return err
			}
			times = append(times, time.Since(t0))
			total += res.Total
		}
		slices.Sort(times)
		fmt.Fprintf(stdout, "%-52s %9s %9s %9s %10d\n", bq.name, ms(times[len(times)/2]), ms(times[len(times)*95/100]), ms(times[len(times)-1]), total/runs)
	}
	if err := m.benchExport(ctx, stdout, reg); err != nil {
		return err
	}
	if err := m.benchBulkTag(ctx, stdout, reg, runs); err != nil {
		return err
	}
	if err := m.benchPages(ctx, stdout, runs); err != nil {
		return err
	}
	runtime.GC()
	fmt.Fprintf(stdout, "\nresident memory at the end: %d MB\n", rssMB())
	return nil
}

// benchBulkTag times tagging every user of a filter that matches about
// 100,000 users, as the table's bulk action does: the ids from the index,
// one transaction, the index refreshed before the call returns. Then the
// tag's filter must find exactly those users, and tag filters are timed.
func (m *Main) benchBulkTag(ctx context.Context, stdout io.Writer, reg *roster.Registry, runs int) error {
	tags := sqldb.NewTagService(m.DB)
	// Tags left by an earlier run would make the counts wrong.
	old, err := tags.FindTags(ctx)
	if err != nil {
		return err
	}
	for _, t := range old {
		if strings.HasPrefix(t.Name, "bench ") {
			if _, err := tags.DeleteTag(ctx, t.ID); err != nil {
				return err
			}
		}
	}
	count := func(q string) (int, error) {
		f, err := query.Parse(q)
		if err != nil {
			return 0, err
		}
		p, err := query.Compile(f, reg, time.UTC)
		if err != nil {
			return 0, err
		}
		res, err := m.Index.Search(ctx, p, query.Page{Limit: 1})
		if err != nil {
			return 0, err
		}
		return res.Total, nil
	}
	// The earliest sign-up date that selects at least 100,000 users.
	at := func(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }
	lo, hi := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Now().UnixMilli()
	for lo < hi {
		mid := lo + (hi-lo)/2
		n, err := count("created_at:<=" + at(mid))
		if err != nil {
			return err
		}
		if n >= 100_000 {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	var ids []int64
	var tagIDs []int64
	fmt.Fprintf(stdout, "\n%-52s %9s %10s\n", "bulk action", "time", "users")
	for i, q := range []string{"created_at:<=" + at(lo), "country:FR", "status:banned"} {
		t := roster.Tag{Name: fmt.Sprintf("bench %c", 'a'+i)}
		if err := tags.CreateTag(ctx, &t); err != nil {
			return err
		}
		tagIDs = append(tagIDs, t.ID)
		f, _ := query.Parse(q)
		p, err := query.Compile(f, reg, time.UTC)
		if err != nil {
			return err
		}
		t0 := time.Now()
		ids, err = m.Index.Match(ctx, p)
		if err != nil {
			return err
		}
		n, err := tags.TagUsers(ctx, t.ID, ids, q)
		if err != nil {
			return err
		}
		el := time.Since(t0)
		if i == 0 {
			reg.Catalog, err = sqldb.NewCatalogService(m.DB).Catalog(ctx)
			if err != nil {
				return err
			}
			got, err := count(fmt.Sprintf("tags:#%d", t.ID))
			if err != nil {
				return err
			}
			if got != n || n != len(ids) {
				return fmt.Errorf("bulk tag: tagged %d of %d users but tags:#%d finds %d", n, len(ids), t.ID, got)
			}
			fmt.Fprintf(stdout, "%-52s %9s %10d   (then tags:#%d finds exactly %d)\n", "tag every user of "+q, ms(el), n, t.ID, got)
		} else {
			fmt.Fprintf(stdout, "%-52s %9s %10d\n", "tag every user of "+q, ms(el), n)
		}
	}
	var times []time.Duration
	total := 0
	for range runs {
		t0 := time.Now()
		n, err := count(fmt.Sprintf("tags:#%d+#%d -tags:#%d", tagIDs[0], tagIDs[1], tagIDs[2]))
		if err != nil {
			return err
		}
		times = append(times, time.Since(t0))
		total = n
	}
	slices.Sort(times)
	fmt.Fprintf(stdout, "%-52s %9s p50, %s p95 %10d\n", "query: tags all of 2 + none of 1", ms(times[len(times)/2]), ms(times[len(times)*95/100]), total)
	for _, id := range tagIDs {
		t0 := time.Now()
		n, err := tags.DeleteTag(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-52s %9s %10d\n", "delete a tag (taken off its users)", ms(time.Since(t0)), n)
	}
	return nil
}

// benchPages times the back-office pages as the server renders them (the
// whole handler: session, search, loading the rows, the template), for a
// signed-in staff member, without the network.
func (m *Main) benchPages(ctx context.Context, stdout io.Writer, runs int) error {
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := m.Handler(ctx)
	if err != nil {
		return err
	}
	const email = "bench@example.com"
	st, err := m.Staff.FindStaffByEmail(ctx, email)
	if err != nil {
		st = &roster.Staff{Email: email, Role: roster.RoleAdmin}
		if err := m.Staff.CreateStaff(ctx, st, "bench-password-1"); err != nil {
			return err
		}
	}
	session, err := m.Staff.CreateSession(ctx, st.ID, "127.0.0.1", "bench")
	if err != nil {
		return err
	}
	pages := []struct{ name, url string }{
		{"user table, default view", "/users"},
		{"user table, FR/BE + points + March 2025", "/users?q=" + url.QueryEscape("country:FR,BE points:>5000 created_at:2025-03-01..2025-03-31") + "&sort=-total_followers"},
		{"user table, keyword sorted by points", "/users?q=marie&sort=-points"},
		{"user table, banned, 200 rows, by email", "/users?q=status:banned&sort=email&limit=200"},
		{"user table, page 500 by last visit", "/users?sort=-last_visit&page=500"},
		{"user table, community members by city", "/users?view=members&sort=city,-points"},
		{"dashboard", "/"},
	}
	fmt.Fprintf(stdout, "\n%-52s %9s %9s %9s\n", "page (server time)", "p50", "p95", "max")
	for _, p := range pages {
		var times []time.Duration
		for i := 0; i < max(runs/4, 10); i++ {
			req := httptest.NewRequest("GET", p.url, nil)
			req.AddCookie(&http.Cookie{Name: "roster_session", Value: session})
			rec := httptest.NewRecorder()
			t0 := time.Now()
			h.ServeHTTP(rec, req)
			times = append(times, time.Since(t0))
			if rec.Code != http.StatusOK {
				return fmt.Errorf("%s: status %d: %.300s", p.url, rec.Code, rec.Body.String())
			}
		}
		slices.Sort(times)
		fmt.Fprintf(stdout, "%-52s %9s %9s %9s\n", p.name, ms(times[len(times)/2]), ms(times[len(times)*95/100]), ms(times[len(times)-1]))
	}
	return nil
}

func mustSort(reg *roster.Registry, s string) []query.SortKey {
	k, err := query.ParseSort(s, reg)
	if err != nil {
		panic(err)
	}
	return k
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// rssMB reads the resident set size of this process from /proc.
func rssMB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb); err != nil {
				return -1
			}
			return kb / 1024
		}
	}
	return -1
}

// ensureBenchData makes sure the custom field the mix filters on exists,
// then seeds demo users (who get values for it) until the database holds n.
func (m *Main) ensureBenchData(ctx context.Context, n int, stdout io.Writer) error {
	have, err := m.Users.CountUsers(ctx)
	if err != nil {
		return err
	}
	if _, ok := mustRegistry(ctx, m).Field("tier"); !ok {
		if err := m.Fields.CreateCustomField(ctx, &roster.Field{Key: "tier", Label: "Tier", Type: roster.TypeChoice, Choices: []string{"gold", "silver", "bronze"}}); err != nil {
			return err
		}
	}
	if have >= n {
		return nil
	}
	// Seeding runs in a child process, so that the memory it uses (the
	// writer's page cache above all) is not counted as the index's.
	fmt.Fprintf(stdout, "seeding %d users...\n", n-have)
	start := time.Now()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, "seed", "--users", strconv.Itoa(n-have), "--data", m.Config.DataDir, "--database-url", m.Config.DatabaseURL)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "seeded in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func mustRegistry(ctx context.Context, m *Main) *roster.Registry {
	reg, err := m.Fields.Registry(ctx)
	if err != nil {
		return roster.NewRegistry(nil)
	}
	return reg
}
