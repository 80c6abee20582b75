// Command roster runs Roster: the back-office and JSON API (serve), and the
// operator's commands (seed, migrate, staff, token).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"roster"
	"roster/csvio"
	"roster/deliver"
	"roster/index"
	"roster/jobs"
	"roster/metrics"
	"roster/scim"
	"roster/sqldb"
	"roster/web"
)

// version is set at build time by the Makefile.
var version = "dev"

func main() {
	if err := runMain(); err != nil {
		fmt.Fprintln(os.Stderr, "roster:", roster.ErrorMessageOr(err))
		os.Exit(1)
	}
}

// runMain runs the command line until it ends or a signal stops it.
func runMain() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
}

// Run runs the command in args. It is main without the process: tests call
// it with their own streams and environment. Help asked for (-h, --help,
// roster help) is printed on stdout and is a success.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	s := streams{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	err := dispatch(ctx, args, s)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, s streams) error {
	switch {
	case len(args) > 0 && args[0] == "__complete":
		for _, c := range complete(ctx, args[1:]) {
			fmt.Fprintln(s.stdout, c)
		}
		return nil
	case len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		fmt.Fprint(s.stdout, usage())
		return nil
	case len(args) == 1 && args[0] == "--version":
		return runVersion(nil, s.stdout, s.stderr)
	case len(args) == 0 || strings.HasPrefix(args[0], "-"):
		c, _, _ := lookup([]string{"serve"})
		return c.run(ctx, s, args) // serve is the default command
	}
	c, rest, ok := lookup(args)
	if !ok {
		if slices.Contains(groups(), args[0]) && (len(args) == 1 || helpAsked(args[1:2])) {
			return groupHelp(s.stdout, args[0])
		}
		fmt.Fprint(s.stderr, usage())
		return fmt.Errorf("unknown command %q", strings.Join(args[:min(len(args), 2)], " "))
	}
	return c.run(ctx, s, rest)
}

// parse binds cfg to a FlagSet named name and parses args.
// Asked for help, it prints the command's help on stdout and returns
// errHelpShown.
func parse(name string, args []string, cfg *Config, serving bool, stdout, stderr io.Writer, getenv func(string) string, extra func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet("roster "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := cfg.bind(fs, serving, getenv); err != nil {
		return err
	}
	if extra != nil {
		extra(fs)
	}
	if helpAsked(args) {
		commandHelp(stdout, name, fs)
		return errHelpShown
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	// Every command checks the logging settings, not only serve: a typo
	// must not pass silently because the command happens not to log.
	_, err := cfg.logger(io.Discard)
	return err
}

// Main is a wired Roster process: the database, the services and, when
// serving, the HTTP server.
type Main struct {
	Config Config
	Logger *slog.Logger

	DB     *sqldb.DB
	Users  *sqldb.UserService
	Fields *sqldb.FieldService
	Staff  *sqldb.StaffService
	Audit  *sqldb.AuditService
	Events *sqldb.EventService
	Index  *index.Index
	// Runner runs the import jobs uploaded to this server (and takes over
	// those of dead processes); set by Handler, run by serve.
	Runner *jobs.Runner
	// Mailer delivers the outbox; set by Handler, run by serve. Renderer
	// renders its messages.
	Mailer   *deliver.Worker
	Renderer *deliver.Renderer
	// Pusher delivers staff's web notifications; set by Handler, run by
	// serve.
	Pusher *deliver.PushWorker
	// Webhooker delivers the webhook outbox; set by Handler, run by
	// serve.
	Webhooker *deliver.WebhookWorker
	// Metrics counts what the process does; set by Handler.
	Metrics *metrics.Metrics
	// Timeline are the sources of a user's timeline that this package
	// provides: notes, tasks and points changes; set by Handler.
	// TODO(merge, issue 17): hand them to web.Server's Timeline list with
	// the sources of events and staff actions.
	Timeline []roster.ActivitySource

	ln        net.Listener
	srv       *http.Server
	metricsLn net.Listener // --metrics-addr's, when set

	writerCacheMiB  int // SQLite's writer page cache, for bulk writers: see sqldb.Config
	checkpointPages int // SQLite's WAL checkpoint interval, when not the default
}

// open sets up the logger on stderr, then opens the database: the start of
// every long-running command.
func (m *Main) open(ctx context.Context, stderr io.Writer) error {
	logger, err := m.Config.logger(stderr)
	if err != nil {
		return err
	}
	m.Logger = logger
	return m.OpenDB(ctx)
}

// OpenDB opens and migrates the database and builds the services.
func (m *Main) OpenDB(ctx context.Context) error {
	db, err := sqldb.Open(ctx, sqldb.Config{DataDir: m.Config.DataDir, DatabaseURL: m.Config.DatabaseURL, WriterCacheMiB: m.writerCacheMiB, CheckpointPages: m.checkpointPages})
	if err != nil {
		return err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return err
	}
	m.DB = db
	m.Users = sqldb.NewUserService(db)
	m.Fields = sqldb.NewFieldService(db)
	m.Staff = sqldb.NewStaffService(db)
	m.Audit = sqldb.NewAuditService(db)
	m.Events = sqldb.NewEventService(db)
	return nil
}

// OpenIndex sets up the query index over the store; BuildIndex fills it.
// Writes made through this process reach the index before they return;
// writes by other processes (other nodes, the CLI) arrive through the
// change log.
func (m *Main) OpenIndex() {
	m.Index = &index.Index{
		Users: m.Users, Fields: m.Fields, Changes: sqldb.NewChangeLog(m.DB),
		Fallback: m.Users, Counts: sqldb.NewCatalogService(m.DB), Logger: m.Logger.With("component", "index"),
		Policies: m.DB, Now: func() time.Time { return m.DB.Now() },
	}
	m.DB.OnCommit = func(ids, seqs []int64) {
		if err := m.Index.Refresh(context.Background(), ids, seqs); err != nil {
			m.Logger.Error("refresh after write", "component", "index", "err", err)
		}
	}
	m.DB.OnRefsCommit = func(ids, seqs []int64) {
		if err := m.Index.RefreshRefs(context.Background(), ids, seqs); err != nil {
			m.Logger.Error("refresh after write", "component", "index", "err", err)
		}
	}
}

// tuneGC lowers the garbage collector's target unless GOGC is set: the
// query index is a large heap that lives as long as the process, and with
// the default GOGC=100 the garbage of searches could grow the process to
// twice the index's size before a collection.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(30)
	}
}

// followEvery is how often the index reads the change log for writes made
// elsewhere; it bounds how long another node's write takes to show here.
const followEvery = 250 * time.Millisecond

// BuildIndex builds the index and then follows the change log until ctx
// ends. Serving starts before it finishes: /readyz says when it has.
func (m *Main) BuildIndex(ctx context.Context) error {
	if err := m.Index.Build(ctx); err != nil {
		return err
	}
	go m.Index.Follow(ctx, followEvery)
	return nil
}

// inviteBatch is how many users one transaction of a bulk invite writes
// (their status, links and messages): on SQLite it holds the one writer a
// fraction of a second, which staff edits wait for.
const inviteBatch = 1000

// Handler builds the HTTP server over the services.
func (m *Main) Handler(ctx context.Context) (*web.Server, error) {
	key, err := m.DB.Secret(ctx, "cursor")
	if err != nil {
		return nil, err
	}
	js := sqldb.NewJobService(m.DB)
	limits := csvio.Limits{MaxBytes: m.Config.ImportMaxBytes, MaxRows: int(m.Config.ImportMaxRows)}
	// On SQLite an import's transaction holds the one writer that every
	// staff edit waits for: 20,000 rows keep that under a second.
	// PostgreSQL's writers do not wait on each other.
	txRows := 20000
	if m.DB.Dialect == sqldb.Postgres {
		txRows = 100000
	}
	m.Metrics = metrics.New(m.Logger.With("component", "metrics"))
	m.Runner = jobs.NewRunner(&jobs.Importer{Jobs: js, Fields: m.Fields, Log: m.Logger.With("component", "jobs"), Config: jobs.Config{Limits: limits, TxRows: txRows}})
	accounts, outbox, mail, err := m.mail()
	if err != nil {
		return nil, err
	}
	m.Runner.Handle(roster.JobInvite, &jobs.Inviter{Invites: accounts, Batch: inviteBatch})
	m.Runner.Handle(roster.JobPruneEvents, &jobs.EventPruner{Events: m.Events, Log: m.Logger.With("component", "jobs")})
	js.Mail, js.WakeMail = accounts.Renderer(), m.Mailer.Wake
	subs := sqldb.NewSubscriberService(m.DB, m.Renderer)
	subs.Wake = m.Mailer.Wake
	m.Runner.Handle(roster.JobSubscribers, jobs.Subscribers{Subscribers: subs})
	proxies, err := m.Config.trustedProxies()
	if err != nil {
		return nil, err
	}
	origins, err := m.Config.memberCORSOrigins()
	if err != nil {
		return nil, err
	}
	m.observe(outbox)
	m.Timeline = []roster.ActivitySource{sqldb.NewLedgerActivity(m.DB)}
	// Web notifications: the VAPID key is made at first start and kept in
	// the settings table, the same for every node.
	push := sqldb.NewPushService(m.DB)
	subject := "mailto:roster@example.invalid"
	if st, err := m.Renderer.Settings(ctx); err == nil && st.FromAddress != "" {
		subject = "mailto:" + st.FromAddress // the sender in force
	}
	m.Pusher, err = deliver.NewPushWorker(ctx, push, deliver.PushConfig{Subject: subject}, m.Logger.With("component", "push"))
	if err != nil {
		return nil, fmt.Errorf("web notifications: %w", err)
	}
	vapid, err := push.VAPIDKey(ctx)
	if err != nil {
		return nil, err
	}
	vapidPublic, err := deliver.VAPIDPublicKey(vapid)
	if err != nil {
		return nil, err
	}
	hooks := sqldb.NewWebhookService(m.DB)
	m.Webhooker = deliver.NewWebhookWorker(hooks, deliver.WebhookConfig{AllowPrivate: m.Config.WebhooksAllowPrivate, Owner: jobs.Owner("webhook")},
		m.Logger.With("component", "webhooks"))
	if err := scim.CheckUserName(m.Config.SCIMUserName); err != nil {
		return nil, errors.New(roster.ErrorMessage(err))
	}
	var metricsHandler http.Handler
	if m.Config.MetricsToken != "" {
		metricsHandler = tokenProtected(m.Config.MetricsToken, m.Metrics.Handler())
	}
	return web.NewServer(&web.Server{
		Accounts: accounts, Outbox: outbox, Invites: accounts, MailEnabled: m.Mailer.Enabled(), WakeMail: m.Mailer.Wake,
		MailSettings: mail, MailRenderer: m.Renderer, AccountSettings: sqldb.NewAccountSettings(m.DB),
		Subscribers: subs, Webhooks: hooks, WakeWebhooks: m.Webhooker.Wake,
		Users: m.Users, Fields: m.Fields, Staff: m.Staff, Audit: m.Audit,
		TwoFactor: m.Staff, Devices: m.Staff, Push: push, VAPIDPublicKey: vapidPublic,
		Events: m.Events, Timeline: append([]roster.ActivitySource{m.Events, m.Audit}, m.Timeline...),
		Prefs: sqldb.NewPrefService(m.DB), Search: m.Metrics.Searcher(m.Index), CursorKey: key,
		Tags: sqldb.NewTagService(m.DB), Groups: sqldb.NewGroupService(m.DB),
		Segments: sqldb.NewSegmentService(m.DB), Months: sqldb.NewMonthService(m.DB),
		Ledger: sqldb.NewLedgerService(m.DB), Notes: sqldb.NewNoteService(m.DB), Tasks: sqldb.NewTaskService(m.DB),
		Stats:             m.Index,
		Members:           m.Index,
		Jobs:              js,
		ImportLimits:      limits,
		WakeJobs:          m.Runner.Wake,
		Ready:             m.ready,
		Logger:            m.Logger.With("component", "web"),
		SecureCookies:     m.Config.SecureCookies,
		TrustedProxies:    proxies,
		Sessions:          sqldb.NewUserSessionService(m.DB),
		MemberCORSOrigins: origins,
		Version:           version,
		Observer:          m.Metrics,
		Metrics:           metricsHandler,
		SCIMUserName:      m.Config.SCIMUserName,
	}), nil
}

// mail sets up the outbox, its delivery worker (m.Mailer), the renderer
// (m.Renderer) with the stored mail settings and templates, and the
// account steps that queue messages.
func (m *Main) mail() (*sqldb.AccountService, *sqldb.OutboxService, *sqldb.MailSettingsService, error) {
	r, settings, err := m.renderer()
	if err != nil {
		return nil, nil, nil, err
	}
	inForce, err := r.Settings(context.Background())
	if err != nil {
		return nil, nil, nil, err
	}
	if m.Config.SMTPURL != "" && inForce.FromAddress == "" {
		return nil, nil, nil, errors.New("ROSTER_MAIL_FROM (--mail-from) is required with ROSTER_SMTP_URL, unless a sender is set in Settings → Email: the sender of Roster's messages")
	}
	outbox := sqldb.NewOutboxService(m.DB)
	// A worker killed on this host gives its leased messages back at once
	// (its process is gone), not when their leases end.
	dead := func(owner string) bool { return jobs.StaleOwner(owner, time.Now()) }
	m.Mailer, err = deliver.New(outbox, deliver.Config{SMTPURL: m.Config.SMTPURL, From: m.Config.MailFrom, Sender: r.Sender, Rate: float64(m.Config.MailRate),
		Owner: jobs.Owner("mail"), Dead: dead, OnResult: m.Metrics.ObserveDelivery}, m.Logger.With("component", "mail"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ROSTER_SMTP_URL (--smtp-url), ROSTER_MAIL_FROM (--mail-from): %w", err)
	}
	accounts := sqldb.NewAccountService(m.DB, r)
	accounts.Wake = m.Mailer.Wake
	m.DB.WakeMail = m.Mailer.Wake // confirmations queued with a create or an email change
	return accounts, outbox, settings, nil
}

// renderer renders the messages with the stored mail settings and
// templates (m.Renderer), with links to the public URL (by default this
// server's address). It reads the settings once now, so that no message
// waits for them.
func (m *Main) renderer() (*deliver.Renderer, *sqldb.MailSettingsService, error) {
	public := m.Config.PublicURL
	if public == "" {
		public = "http://" + m.Config.Addr
		if m.ln != nil {
			host, port, _ := net.SplitHostPort(m.Addr())
			if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
				host = "localhost"
			}
			public = "http://" + net.JoinHostPort(host, port)
		}
	}
	r, err := deliver.NewRenderer("", public)
	if err != nil {
		return nil, nil, fmt.Errorf("ROSTER_PUBLIC_URL (--public-url): %w", err)
	}
	if r.Fallback, err = roster.ParseMailFrom(m.Config.MailFrom); err != nil {
		return nil, nil, fmt.Errorf("ROSTER_MAIL_FROM (--mail-from): %w", err)
	}
	r.Fallback.ProductName = roster.DefaultProductName
	settings := sqldb.NewMailSettingsService(m.DB, r)
	settings.Changed = r.Invalidate
	r.UseStore(settings, 0)
	if _, err := r.Settings(context.Background()); err != nil {
		return nil, nil, err
	}
	m.Renderer = r
	return r, settings, nil
}

// Listen opens the HTTP listener; Addr is known after it.
func (m *Main) Listen(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.ln = ln
	s, err := m.Handler(ctx)
	if err != nil {
		ln.Close()
		m.ln = nil
		return err
	}
	m.srv = s.HTTPServer(m.Config.Addr)
	if m.Config.MetricsAddr != "" {
		if m.metricsLn, err = net.Listen("tcp", m.Config.MetricsAddr); err != nil {
			ln.Close()
			m.ln = nil
			return fmt.Errorf("ROSTER_METRICS_ADDR (--metrics-addr): %w", err)
		}
	}
	return nil
}

// MetricsAddr returns the address of the metrics listener, "" when none.
func (m *Main) MetricsAddr() string {
	if m.metricsLn == nil {
		return ""
	}
	return m.metricsLn.Addr().String()
}

// Addr returns the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// ready is /readyz: the database answers and its schema is the one this
// binary was built for.
func (m *Main) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := m.DB.Ping(ctx); err != nil {
		return errors.New("database unreachable")
	}
	ok, err := m.DB.SchemaCurrent(ctx)
	if err != nil {
		return errors.New("database unreachable")
	}
	if !ok {
		return errors.New("database schema is not current")
	}
	if !m.Index.Ready() {
		return errors.New("the search index is being built")
	}
	return nil
}

// Serve serves until ctx ends, then shuts down gracefully: requests in
// flight get up to 20 seconds to finish.
func (m *Main) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- m.srv.Serve(m.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	m.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(sctx); err != nil {
		return err
	}
	return nil
}

// Close releases the database.
func (m *Main) Close() error {
	if m.DB != nil {
		return m.DB.Close()
	}
	return nil
}

// cliContext marks changes made from the command line in the audit log.
func cliContext(ctx context.Context) context.Context {
	return roster.NewContextWithActor(ctx, roster.Actor{Label: "cli"})
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	if err := parse("serve", args, &m.Config, true, stdout, stderr, getenv, nil); err != nil {
		return err
	}
	if err := m.open(ctx, stderr); err != nil {
		return err
	}
	defer m.Close()
	logger := m.Logger
	logger.Info("database ready", "dialect", m.DB.Dialect.String())
	tuneGC(getenv)
	m.OpenIndex()
	if err := m.Listen(ctx); err != nil {
		return err
	}
	if m.Config.Demo {
		if err := m.startDemo(ctx, stdout); err != nil {
			m.ln.Close()
			return err
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Imports run here; on the way out the runner stops between chunks
	// (the job resumes at the next start) before the database closes.
	runnerDone := make(chan struct{})
	go func() {
		defer close(runnerDone)
		m.Runner.Run(ctx)
	}()
	// The mail worker too: it finishes the message in flight and gives
	// the rest of its batch back to the queue.
	mailerDone := make(chan struct{})
	go func() {
		defer close(mailerDone)
		m.Mailer.Run(ctx)
	}()
	pusherDone := make(chan struct{})
	go func() {
		defer close(pusherDone)
		m.Pusher.Run(ctx)
	}()
	// The webhook worker finishes the request in flight and gives the
	// rest of its batch back.
	webhookerDone := make(chan struct{})
	go func() {
		defer close(webhookerDone)
		m.Webhooker.Run(ctx)
	}()
	defer func() {
		cancel(nil)
		<-runnerDone
		<-mailerDone
		<-pusherDone
		<-webhookerDone
	}()
	// The events' retention runs as a job, queued once a day.
	go jobs.SchedulePruning(ctx, sqldb.NewJobService(m.DB), m.Runner.Wake, logger.With("component", "jobs"))
	go func() {
		if err := m.BuildIndex(ctx); err != nil && ctx.Err() == nil {
			// Without its index a node cannot answer searches: stop, and
			// let the supervisor restart it, rather than stay unready.
			cancel(fmt.Errorf("build index: %w", err))
		}
	}()
	if m.metricsLn != nil {
		go m.serveMetrics(ctx, m.metricsLn)
		logger.Info("metrics listening", "addr", m.MetricsAddr())
		fmt.Fprintf(stdout, "Metrics at http://%s/metrics\n", m.MetricsAddr())
	}
	logger.Info("listening", "addr", m.Addr(), "version", version)
	fmt.Fprintf(stdout, "Roster is running at http://%s\n", m.Addr())
	if err := m.Serve(ctx); err != nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	if err := parse("migrate", args, &m.Config, false, stdout, stderr, getenv, nil); err != nil {
		return err
	}
	if err := m.OpenDB(ctx); err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprintf(stdout, "Database (%s) is up to date.\n", m.DB.Dialect)
	return nil
}
