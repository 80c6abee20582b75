package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"roster"
	"roster/deliver"
	"roster/deliver/smtptest"
	"roster/jobs"
	"roster/query"
	"roster/sqldb"
)

// The mail benchmark (roster bench-mail, in make bench): on a database of
// N demo users of its own (seeded first when it has fewer), invite the
// --invite users a created_at filter matches as staff do (the index's
// match, the job, its batches) and time it until every message is queued;
// then deliver --send of them to an SMTP server in this process (smtptest,
// counting only) and report messages per second and the Go heap before,
// after and at its peak. The filter picks active users (none skipped), so
// each run invites users the earlier runs did not: the database serves a
// few runs; delete it to start afresh.

func runBenchMail(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var n, invite, send int
	var cpuProfile string
	err := parse("bench-mail", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the invite (match, job, batches) to this file")
		fs.IntVar(&n, "users", 1_000_000, "users the database must hold (seeded when it has fewer)")
		fs.IntVar(&invite, "invite", 100_000, "users to invite from a filter")
		fs.IntVar(&send, "send", 20_000, "queued messages to deliver (0: all)")
	})
	if err != nil {
		return err
	}
	if invite < 1 || send < 0 {
		return fmt.Errorf("--invite must be at least 1 and --send at least 0")
	}
	if err := m.open(ctx, stderr); err != nil {
		return err
	}
	defer m.Close()
	ctx = cliContext(ctx)
	if err := m.ensureBenchData(ctx, n, stdout); err != nil {
		return err
	}
	m.OpenIndex()
	start := time.Now()
	if err := m.Index.Build(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "index build: %s for %d users\n", time.Since(start).Round(time.Millisecond), n)
	renderer, err := deliver.NewRenderer("", "https://roster.example.com")
	if err != nil {
		return err
	}
	accounts := sqldb.NewAccountService(m.DB, renderer)
	q, err := m.inviteFilter(ctx, invite)
	if err != nil {
		return err
	}

	// Queue: match, the job, its batches, as the server runs them.
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
	js := sqldb.NewJobService(m.DB)
	t0 := time.Now()
	ids, err := m.match(ctx, q)
	if err != nil {
		return err
	}
	matched := time.Since(t0)
	j, err := accounts.StartInvites(ctx, ids, q)
	if err != nil {
		return err
	}
	owner := jobs.Owner("bench")
	if ok, err := js.ClaimJob(ctx, j.ID, owner, jobs.StaleOwner); err != nil || !ok {
		return fmt.Errorf("claim the invite job: %v", err)
	}
	j.Owner = owner
	inviter := &jobs.Inviter{Invites: accounts, Batch: inviteBatch}
	if err := jobs.Finish(ctx, js, j, inviter.Run(ctx, j)); err != nil {
		return err
	}
	queued := time.Since(t0)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if j, err = js.FindJob(ctx, j.ID); err != nil {
		return err
	}
	if j.Status != roster.JobDone {
		return fmt.Errorf("invite job %d: %s %s", j.ID, j.Status, j.Error)
	}
	fmt.Fprintf(stdout, "\ninvite every user of %s\n", q)
	fmt.Fprintf(stdout, "  %d users matched in %s; %d invited and queued (%v) in %s in all: %.0f invites/s\n",
		len(ids), ms(matched), j.Tally[roster.InviteSent], j.Tally, queued.Round(time.Millisecond), float64(j.Tally[roster.InviteSent])/queued.Seconds())

	return m.benchDeliver(ctx, stdout, send)
}

// inviteFilter returns a filter of at least want active users (nobody it
// matches is skipped): those who signed up up to a date, found by a
// binary search on the index's counts.
func (m *Main) inviteFilter(ctx context.Context, want int) (string, error) {
	at := func(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }
	q := func(ms int64) string { return "status:active created_at:<=" + at(ms) }
	lo, hi := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Now().UnixMilli()
	if n, err := m.count(ctx, q(hi)); err != nil {
		return "", err
	} else if n < want {
		return "", fmt.Errorf("only %d active users are left to invite: seed more (--users), or delete the database to start afresh", n)
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		n, err := m.count(ctx, q(mid))
		if err != nil {
			return "", err
		}
		if n >= want {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return q(lo), nil
}

func (m *Main) plan(ctx context.Context, q string) (*query.Plan, error) {
	reg, err := m.Fields.Registry(ctx)
	if err != nil {
		return nil, err
	}
	f, err := query.Parse(q)
	if err != nil {
		return nil, err
	}
	return query.Compile(f, reg, time.UTC)
}

func (m *Main) count(ctx context.Context, q string) (int, error) {
	p, err := m.plan(ctx, q)
	if err != nil {
		return 0, err
	}
	res, err := m.Index.Search(ctx, p, query.Page{Limit: 1})
	if err != nil {
		return 0, err
	}
	return res.Total, nil
}

func (m *Main) match(ctx context.Context, q string) ([]int64, error) {
	p, err := m.plan(ctx, q)
	if err != nil {
		return nil, err
	}
	return m.Index.Match(ctx, p)
}

// benchDeliver delivers up to send queued messages (0: all) to an SMTP
// server in this process with one worker, as serve runs it without a rate
// limit, and reports the rate and the heap.
func (m *Main) benchDeliver(ctx context.Context, stdout io.Writer, send int) error {
	outbox := sqldb.NewOutboxService(m.DB)
	counts, err := outbox.CountOutbox(ctx)
	if err != nil {
		return err
	}
	if send == 0 || send > counts[roster.OutboxQueued] {
		send = counts[roster.OutboxQueued]
	}
	smtp, err := smtptest.Listen()
	if err != nil {
		return err
	}
	defer smtp.Close()
	smtp.SetDiscard(true)
	w, err := deliver.New(outbox, deliver.Config{SMTPURL: smtp.URL(), From: "Roster <roster@example.com>", Batch: 100},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before, peak := ms.HeapAlloc, ms.HeapAlloc
	var mu sync.Mutex
	sample := func() {
		runtime.ReadMemStats(&ms)
		mu.Lock()
		peak = max(peak, ms.HeapAlloc)
		mu.Unlock()
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	t0 := time.Now()
	go func() { w.Run(wctx); close(done) }()
	tick := time.NewTicker(50 * time.Millisecond)
	var mids []uint64 // the heap at each tenth of the send
	for smtp.Count() < send {
		select {
		case <-ctx.Done():
			stop()
			return ctx.Err()
		case <-tick.C:
			sample()
			if len(mids) < smtp.Count()*10/send {
				mids = append(mids, ms.HeapAlloc)
			}
		}
	}
	el := time.Since(t0)
	tick.Stop()
	stop()
	<-done
	sample()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	mb := func(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
	fmt.Fprintf(stdout, "\ndeliver %d messages to a local SMTP server (one worker, one connection, no rate limit)\n", send)
	fmt.Fprintf(stdout, "  %s: %.0f messages/s\n", el.Round(time.Millisecond), float64(send)/el.Seconds())
	fmt.Fprintf(stdout, "  Go heap: %s before, %s peak, %s after (GC); by tenths of the send:", mb(before), mb(peak), mb(ms.HeapAlloc))
	for _, h := range mids {
		fmt.Fprintf(stdout, " %s", mb(h))
	}
	fmt.Fprintln(stdout)
	return nil
}
