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
	"slices"
	"time"

	"roster"
	"roster/sqldb"
	"roster/web"
)

// runBenchMember measures the member API: GET /api/member/v1/me over
// users and sessions seeded in bulk (server time: the handler called in
// process, as the server runs it), and signing out a user with 1,000
// sessions.
func runBenchMember(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var n, perUser, sample, runs int
	err := parse("bench-member", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "users", 1_000_000, "users the database must hold (seeded when it has fewer)")
		fs.IntVar(&perUser, "sessions-per-user", 2, "sessions each user has (seeded in bulk SQL when there are fewer)")
		fs.IntVar(&sample, "sample", 1000, "sessions with real tokens the requests use, each of a random user")
		fs.IntVar(&runs, "runs", 20_000, "requests to GET /api/member/v1/me")
	})
	if err != nil {
		return err
	}
	if sample < 1 || runs < 1 || perUser < 0 {
		return fmt.Errorf("--sample and --runs must be at least 1, --sessions-per-user at least 0")
	}
	if err := m.open(ctx, stderr); err != nil {
		return err
	}
	defer m.Close()
	ctx = cliContext(ctx)
	if err := m.ensureBenchData(ctx, n, stdout); err != nil {
		return err
	}
	sessions := sqldb.NewUserSessionService(m.DB)
	have, err := sessions.CountSessions(ctx)
	if err != nil {
		return err
	}
	if want := int64(n) * int64(perUser); have < want {
		start := time.Now()
		added, err := sessions.SeedSessions(ctx, 0, perUser)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %d sessions in %s\n", added, time.Since(start).Round(time.Millisecond))
		have += added
	}
	fmt.Fprintf(stdout, "%d users, %d sessions\n", n, have)

	// Real sessions for random users: the tokens the requests carry.
	// Only active users: the others are refused, as they should be.
	rule, err := m.DB.AccessRule(ctx)
	if err != nil {
		return err
	}
	var users []*roster.User
	for tries := 0; len(users) < sample && tries < 50; tries++ {
		ids := make([]int64, 0, sample)
		for len(ids) < sample {
			ids = append(ids, 1+rand.Int64N(int64(n)))
		}
		found, err := m.Users.FindUsersByIDs(ctx, ids)
		if err != nil {
			return err
		}
		for _, u := range found {
			if rule.Of(u) == roster.AccessActive && len(users) < sample {
				users = append(users, u)
			}
		}
	}
	var tokens []string
	for _, u := range users {
		_, tok, err := sessions.StartSession(ctx, u.ID, roster.UserDevice{Name: "Bench phone", Platform: "android", AppVersion: "1.0"})
		if err != nil {
			return err
		}
		tokens = append(tokens, tok.Access)
	}
	if len(tokens) == 0 {
		return fmt.Errorf("no users found among %d random ids", sample)
	}
	srv := web.NewServer(&web.Server{
		Users: m.Users, Fields: m.Fields, Staff: m.Staff, Audit: m.Audit, Sessions: sessions,
		AccountSettings: sqldb.NewAccountSettings(m.DB), Groups: sqldb.NewGroupService(m.DB),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	get := func(tok string) (time.Duration, error) {
		req := httptest.NewRequest("GET", "/api/member/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		start := time.Now()
		srv.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != http.StatusOK {
			return d, fmt.Errorf("GET /api/member/v1/me: %d %s", rec.Code, rec.Body)
		}
		return d, nil
	}
	// Cold: each token's first request reads its session.
	var cold []time.Duration
	for _, tok := range tokens {
		d, err := get(tok)
		if err != nil {
			return err
		}
		cold = append(cold, d)
	}
	warm := make([]time.Duration, 0, runs)
	for range runs {
		d, err := get(tokens[rand.IntN(len(tokens))])
		if err != nil {
			return err
		}
		warm = append(warm, d)
	}
	fmt.Fprintf(stdout, "GET /api/member/v1/me, first use of %d sessions: %s\n", len(cold), percentiles(cold))
	fmt.Fprintf(stdout, "GET /api/member/v1/me, %d requests:            %s\n", runs, percentiles(warm))

	// Sign out everywhere: a user with 1,000 sessions.
	u := users[0]
	if _, err := sessions.SeedSessions(ctx, u.ID, 1000); err != nil {
		return err
	}
	start := time.Now()
	ended, err := sessions.EndSessions(roster.NewContextWithActor(ctx, roster.Actor{Label: "cli"}), u.ID, 0, roster.EndByStaff)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sign out everywhere: %d sessions in %s\n", ended, ms(time.Since(start)))
	return nil
}

// percentiles says p50, p95 and p99 of ds.
func percentiles(ds []time.Duration) string {
	slices.Sort(ds)
	at := func(p float64) time.Duration { return ds[int(float64(len(ds)-1)*p)] }
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s", ms(at(0.50)), ms(at(0.95)), ms(at(0.99)))
}
