package roster

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// WebhookEvent names a kind of event an endpoint can subscribe to.
type WebhookEvent string

// WebhookEventInfo describes one event: its name and what it means.
type WebhookEventInfo struct {
	Event       WebhookEvent
	Description string
}

// Webhook events. The list is the one table of events: adding one is a row
// here and a call to emit it where the change commits.
const (
	EventUserCreated       WebhookEvent = "user.created"
	EventUserUpdated       WebhookEvent = "user.updated"
	EventUserDeleted       WebhookEvent = "user.deleted"
	EventUserBanned        WebhookEvent = "user.banned"
	EventUserStatusChanged WebhookEvent = "user.status_changed"
	EventTagAdded          WebhookEvent = "tag.added"
	EventTagRemoved        WebhookEvent = "tag.removed"
	EventGroupJoined       WebhookEvent = "group.joined"
	EventGroupLeft         WebhookEvent = "group.left"
	EventImportFinished    WebhookEvent = "import.finished"
)

// WebhookEvents is every event, in the order the settings page lists them.
var WebhookEvents = []WebhookEventInfo{
	{EventUserCreated, "A user was created (by staff, the API, an import or a sign-up)."},
	{EventUserUpdated, "A user's fields changed."},
	{EventUserDeleted, "A user was deleted."},
	{EventUserBanned, "A user's status became banned."},
	{EventUserStatusChanged, "A user's status changed (data has before and after)."},
	{EventTagAdded, "A tag was put on a user."},
	{EventTagRemoved, "A tag was taken off a user (also when the tag is deleted)."},
	{EventGroupJoined, "A user joined a group."},
	{EventGroupLeft, "A user left a group (also when the group is deleted)."},
	{EventImportFinished, "An import job finished (data has its counts)."},
}

// KnownWebhookEvent reports whether e is in WebhookEvents.
func KnownWebhookEvent(e WebhookEvent) bool {
	for _, i := range WebhookEvents {
		if i.Event == e {
			return true
		}
	}
	return false
}

// WebhookEndpoint is a URL that receives the events it subscribes to.
type WebhookEndpoint struct {
	ID          int64
	URL         string
	Description string
	Events      []WebhookEvent
	// Secret signs the requests: "whsec_" and base64 of 24 random bytes.
	// Readers other than the worker see it only when it is made.
	Secret  string
	Enabled bool
	// DisabledReason says why the worker disabled the endpoint; empty when
	// staff did or it is enabled.
	DisabledReason string
	// Failures counts the attempts that failed in a row; FailingSince is
	// when the first of them was (zero: the last attempt succeeded).
	Failures     int
	FailingSince time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Validate checks the endpoint's URL and events; the error names each
// field that is wrong (url, description, events).
func (e *WebhookEndpoint) Validate() error {
	fe := FieldErrors{}
	e.URL = strings.TrimSpace(e.URL)
	u, err := url.Parse(e.URL)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		fe.Add("url", fmt.Sprintf("want an http or https URL such as https://example.com/hooks, not %q.", e.URL))
	case u.User != nil:
		fe.Add("url", "must not carry a user name or password.")
	case len(e.URL) > 2000:
		fe.Add("url", "at most 2000 characters.")
	}
	if len(e.Description) > 500 {
		fe.Add("description", "at most 500 characters.")
	}
	if len(e.Events) == 0 {
		fe.Add("events", "choose at least one event.")
	}
	seen := map[WebhookEvent]bool{}
	out := make([]WebhookEvent, 0, len(e.Events))
	for _, ev := range e.Events {
		if !KnownWebhookEvent(ev) {
			fe.Add("events", fmt.Sprintf("unknown event %q.", ev))
			continue
		}
		if !seen[ev] {
			seen[ev] = true
			out = append(out, ev)
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	e.Events = out
	return nil
}

// Subscribes reports whether e wants ev.
func (e *WebhookEndpoint) Subscribes(ev WebhookEvent) bool {
	for _, x := range e.Events {
		if x == ev {
			return true
		}
	}
	return false
}

// NewWebhookSecret returns a new signing secret as the Standard Webhooks
// specification writes them: "whsec_" and the base64 of random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// SignWebhook returns the webhook-signature header value for a message:
// "v1," and the base64 HMAC-SHA256, keyed with the secret's decoded bytes,
// of id "." timestamp "." body.
func SignWebhook(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", Errorf(EINVALID, "secret: not a whsec_ base64 secret.")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// WebhookStatus is where a delivery stands.
type WebhookStatus string

// Delivery statuses.
const (
	WebhookQueued    WebhookStatus = "queued"
	WebhookSending   WebhookStatus = "sending" // leased to a worker
	WebhookDelivered WebhookStatus = "delivered"
	WebhookFailed    WebhookStatus = "failed" // given up
)

// WebhookDelivery is one event for one endpoint: a row of the webhook
// outbox, written in the transaction of the change.
type WebhookDelivery struct {
	ID         int64
	EndpointID int64
	Event      WebhookEvent
	// UserID and UserPublicID name the user the event is about (0 and "":
	// none, as for import.finished).
	UserID       int64
	UserPublicID string
	// Data is the event's JSON object, without the user.
	Data          string
	Status        WebhookStatus
	Attempts      int
	LastError     string
	NextAttemptAt time.Time
	CreatedAt     time.Time
	DeliveredAt   time.Time
	// Last is the latest attempt (nil: none yet), filled in by
	// FindWebhookDeliveries for the delivery log.
	Last *WebhookAttempt
}

// MessageID is the webhook-id header: the same on every attempt and replay,
// so receivers can drop duplicates by it.
func (d *WebhookDelivery) MessageID() string { return "msg_" + strconv.FormatInt(d.ID, 10) }

// WebhookAttempt is one request of a delivery: the delivery log.
type WebhookAttempt struct {
	ID         int64
	DeliveryID int64
	EndpointID int64
	At         time.Time
	// StatusCode is the HTTP status (0: no response, see Error).
	StatusCode int
	Duration   time.Duration
	// Response is the start of the response body, at most 1 KiB.
	Response string
	Error    string
}

// WebhookOutcome is what the worker decided after an attempt.
type WebhookOutcome string

// Outcomes of an attempt.
const (
	WebhookOutcomeDelivered WebhookOutcome = "delivered"
	WebhookOutcomeRetry     WebhookOutcome = "retry"
	WebhookOutcomeGiveUp    WebhookOutcome = "failed"
)

// WebhookDisablePolicy is when the worker disables a failing endpoint:
// after Failures failed attempts in a row, or when every attempt has failed
// for Failing.
type WebhookDisablePolicy struct {
	Failures int
	Failing  time.Duration
}

// DefaultWebhookDisablePolicy disables an endpoint after 100 failures in a
// row or 24 hours of nothing but failures.
var DefaultWebhookDisablePolicy = WebhookDisablePolicy{Failures: 100, Failing: 24 * time.Hour}

// WebhookDeliveryFilter selects deliveries. BeforeID, when set, keeps those
// older than that delivery id: the next page of a log read newest first.
type WebhookDeliveryFilter struct {
	EndpointID int64
	Status     WebhookStatus
	BeforeID   int64
	Limit      int
}

// WebhookService stores endpoints and the webhook outbox.
type WebhookService interface {
	// CreateWebhook stores e with a new secret (set on e), audited.
	CreateWebhook(ctx context.Context, e *WebhookEndpoint) error
	// UpdateWebhook changes e's URL, description, events and enabled flag
	// (enabling resets its failures), audited.
	UpdateWebhook(ctx context.Context, e *WebhookEndpoint) error
	// DeleteWebhook deletes endpoint id and its deliveries, audited.
	DeleteWebhook(ctx context.Context, id int64) error
	// RotateWebhookSecret gives endpoint id a new secret and returns it.
	RotateWebhookSecret(ctx context.Context, id int64) (string, error)
	// FindWebhook returns endpoint id, its secret blanked.
	FindWebhook(ctx context.Context, id int64) (*WebhookEndpoint, error)
	// FindWebhooks returns every endpoint, secrets blanked.
	FindWebhooks(ctx context.Context) ([]*WebhookEndpoint, error)
	// FindWebhookDeliveries returns deliveries matching f, newest first,
	// each with its latest attempt.
	FindWebhookDeliveries(ctx context.Context, f WebhookDeliveryFilter) ([]*WebhookDelivery, error)
	// FindWebhookDelivery returns delivery id with its latest attempt.
	FindWebhookDelivery(ctx context.Context, id int64) (*WebhookDelivery, error)
	// FindWebhookAttempts returns the attempts of delivery id, newest first.
	FindWebhookAttempts(ctx context.Context, deliveryID int64) ([]*WebhookAttempt, error)
	// ReplayWebhookDelivery queues delivery id again, due now, audited.
	ReplayWebhookDelivery(ctx context.Context, id int64) error

	// ClaimWebhooks leases up to n due deliveries to owner: per endpoint
	// and user, only the oldest undelivered one.
	ClaimWebhooks(ctx context.Context, owner string, n int, lease time.Duration) ([]*WebhookDelivery, error)
	// WebhookTarget returns the URL and secret of endpoint id (the worker).
	WebhookTarget(ctx context.Context, id int64) (url, secret string, err error)
	// RecordWebhookAttempt logs a, applies the outcome to the delivery
	// owner holds (next: when to retry) and counts the endpoint's
	// failures, disabling it by policy.
	RecordWebhookAttempt(ctx context.Context, owner string, a *WebhookAttempt, out WebhookOutcome, next time.Time, policy WebhookDisablePolicy) error
	// ReleaseWebhooks gives the untried deliveries of ids owner holds
	// back to the queue.
	ReleaseWebhooks(ctx context.Context, ids []int64, owner string) error
}
