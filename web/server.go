// Package web serves Roster over HTTP: the back-office pages (html/template,
// embedded assets, a little JavaScript of our own) and the JSON API. It
// speaks only in domain types and never builds SQL.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"roster"
	"roster/csvio"
	"roster/query"
)

// Server is Roster's HTTP surface. Its services are interfaces so that the
// wiring in cmd/roster decides what stands behind them.
type Server struct {
	Users  roster.UserService
	Fields roster.FieldService
	Staff  roster.StaffService
	Audit  roster.AuditService
	Prefs  roster.PrefService

	Tags     roster.TagService
	Groups   roster.GroupService
	Segments roster.SegmentService
	Months   roster.MonthService

	// Ledger keeps points and the other counters; Notes and Tasks are
	// staff notes and tasks on users.
	Ledger roster.LedgerService
	Notes  roster.NoteService
	Tasks  roster.TaskService

	// Search runs filters: the query index, which falls back to SQL for
	// what it cannot do. CursorKey signs page cursors.
	Search    query.Searcher
	CursorKey []byte
	// Stats counts for the dashboard: the query index.
	Stats Stats
	// Members counts the users of each tag and group for the lists: the
	// query index. When nil, lists show the counts the store gave.
	Members roster.MemberCounter

	// Jobs stores import jobs and their uploads; ImportLimits bounds an
	// upload (zero: csvio's defaults). WakeJobs, when set, tells the job
	// runner that a job is waiting.
	Jobs         roster.JobService
	ImportLimits csvio.Limits
	WakeJobs     func()

	// Accounts sends invites and password reset links and runs the
	// hosted pages' links; Outbox lists the messages queued. MailEnabled
	// says whether a mail server delivers them (the Outbox page says so
	// when not); WakeMail, when set, tells the delivery worker that a
	// message is due.
	// TwoFactor keeps staff's second factors, Devices their sessions,
	// Push their web notification subscriptions; VAPIDPublicKey is the
	// key browsers subscribe with (base64url). When TwoFactor is nil,
	// sign-in has no second step.
	TwoFactor      roster.TwoFactorService
	Devices        roster.DeviceService
	Push           roster.PushService
	VAPIDPublicKey string

	Accounts roster.AccountService
	Outbox   roster.OutboxService
	// Invites runs bulk invites (as jobs of Jobs) and revokes invites.
	Invites roster.InviteService
	// AccountSettings holds the account policy (Settings → Accounts).
	AccountSettings roster.AccountSettings
	MailEnabled     bool
	WakeMail        func()
	// MailSettings stores the mail settings and edited templates that
	// Settings → Email and the API change; MailRenderer previews them.
	MailSettings roster.MailSettingsService
	MailRenderer MailPreviewer

	// Subscribers previews subscriber pastes (Users → Subscribers; the
	// Jobs apply them) and runs the one-click unsubscribe links.
	Subscribers roster.SubscriberService
	// Sessions keeps user sessions and push token records: the member
	// API (/api/member/v1/) and the profile's Devices. When nil, the
	// member API answers 404 and authenticate starts no session.
	Sessions roster.UserSessionService
	// MemberCORSOrigins are the origins (scheme://host[:port]) whose
	// browser pages may call the member API; none by default.
	MemberCORSOrigins []string
	// Webhooks stores the webhook endpoints and their delivery log
	// (Settings → Webhooks, /api/v1/webhooks); WakeWebhooks, when set,
	// tells the webhook worker that a replayed delivery is due. When
	// Webhooks is nil, the pages and the API answer 404.
	Webhooks     roster.WebhookService
	WakeWebhooks func()
	// Events stores the events the API receives (POST /api/v1/events).
	Events roster.EventService
	// Timeline are the sources of a user's timeline (the profile's
	// Activity tab and GET /api/v1/users/{id}/activity), merged newest
	// first; the order breaks ties between items of the same time. When
	// nil, NewServer uses Audit alone (staff actions).
	Timeline []roster.ActivitySource

	// Ready reports whether this node can serve: database reachable,
	// schema current, index built. /readyz answers 503 until it returns nil.
	Ready func(ctx context.Context) error

	Logger *slog.Logger
	// Observer, when set, is told of every request answered (the metrics).
	Observer Observer
	// Metrics, when set, answers GET /metrics; it checks its own
	// credentials (a token of its own, not a staff one).
	Metrics http.Handler
	// TrustedProxies are the reverse proxies whose Forwarded and
	// X-Forwarded-For headers name the client (clientAddr).
	TrustedProxies []netip.Prefix
	// SecureCookies forces the Secure flag on cookies when Roster sits
	// behind a proxy that terminates TLS.
	SecureCookies bool
	Version       string
	// SCIMUserName is the user field SCIM's userName maps to: "email"
	// (the default when empty) or "client_id".
	SCIMUserName string

	mux     *http.ServeMux
	table   []Route // every route, in registration order
	openapi []byte  // the API's description, built from table
	// settingsMenu is settingsSections with each entry's permission,
	// built from table (settings_nav.go).
	settingsMenu []settingsEntry
	apiRefState
	templates *templates
	handler   http.Handler
}

// NewServer builds the handler tree. It panics if a template is missing or
// broken: that is a build mistake, better found at start than on a request.
func NewServer(s *Server) *Server {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Timeline == nil {
		if src, ok := s.Audit.(roster.ActivitySource); ok {
			s.Timeline = []roster.ActivitySource{src}
		}
	}
	s.mux = http.NewServeMux()
	s.templates = mustParseTemplates()
	s.routes()
	s.settingsMenu = s.buildSettingsMenu()
	doc, err := s.buildOpenAPI()
	if err != nil {
		panic("web: the API description: " + err.Error())
	}
	s.openapi = doc
	csrf := http.NewCrossOriginProtection()
	// The member API takes no cookie, only its bearer session: a page of
	// another origin cannot act with a user's credentials there, and the
	// allowed origins must reach it (cors).
	csrf.AddInsecureBypassPattern(memberPrefix)
	s.handler = s.recoverPanics(s.logRequests(s.securityHeaders(s.canonicalPaths(csrf.Handler(s.mux)))))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// HTTPServer returns an http.Server for s on addr with timeouts that keep
// slow clients from holding connections.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of large CSV files
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
}
