package roster

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Web notifications for staff: a browser subscribed with the standard Web
// Push API (RFC 8030, payloads encrypted per RFC 8291, the server
// identified by VAPID, RFC 8292) receives the alerts its staff member
// chose. Notifications are written to a push outbox in the same
// transaction as their cause and delivered by a worker.

// PushAlert is a kind of notification a staff member can subscribe to.
type PushAlert string

// The alerts.
const (
	AlertImportDone     PushAlert = "import.done"     // an import they started finished or failed
	AlertBulkDone       PushAlert = "bulk.done"       // a bulk action they started finished
	AlertSignInFailures PushAlert = "sign_in.failing" // repeated failed sign-ins on their account
)

// PushAlerts lists the alerts in the order the Devices page offers them,
// with what it calls them.
var PushAlerts = []struct {
	Alert PushAlert
	Label string
}{
	{AlertImportDone, "An import I started finished or failed"},
	{AlertBulkDone, "A bulk action I started finished"},
	{AlertSignInFailures, "Repeated failed sign-ins on my account"},
}

// ParsePushAlerts checks a list of alert names. EINVALID naming "alerts".
func ParsePushAlerts(names []string) ([]PushAlert, error) {
	var out []PushAlert
	for _, n := range names {
		a := PushAlert(strings.TrimSpace(n))
		if !slices.ContainsFunc(PushAlerts, func(p struct {
			Alert PushAlert
			Label string
		}) bool {
			return p.Alert == a
		}) {
			return nil, FieldErrors{"alerts": "has an unknown alert " + Quote(string(a))}.Err()
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, FieldErrors{"alerts": "must name at least one alert"}.Err()
	}
	return out, nil
}

// PushSubscription is a browser subscribed to Web Push for a staff account.
type PushSubscription struct {
	ID      int64
	StaffID int64
	// Endpoint is the push service's URL for this browser; P256DH and
	// Auth (base64url) are the browser's key and secret for encrypting
	// the payload.
	Endpoint   string
	P256DH     string
	Auth       string
	Alerts     []PushAlert
	UserAgent  string
	CreatedAt  time.Time
	LastSentAt time.Time
}

// Wants reports whether the subscription chose alert a.
func (p *PushSubscription) Wants(a PushAlert) bool { return slices.Contains(p.Alerts, a) }

// Validate checks a subscription as a browser sent it.
func (p *PushSubscription) Validate() error {
	fe := FieldErrors{}
	if u, err := url.Parse(p.Endpoint); err != nil || u.Scheme != "https" || u.Host == "" || len(p.Endpoint) > 1000 {
		fe.Add("endpoint", "must be the https URL of a push service")
	}
	if len(p.P256DH) < 80 || len(p.P256DH) > 100 {
		fe.Add("p256dh", "must be the browser's P-256 public key, base64url")
	}
	if len(p.Auth) < 16 || len(p.Auth) > 32 {
		fe.Add("auth", "must be the browser's 16-byte auth secret, base64url")
	}
	return fe.Err()
}

// PushMessage is one notification of the push outbox.
type PushMessage struct {
	ID           int64
	Subscription *PushSubscription
	Alert        PushAlert
	Title, Body  string
	Attempts     int
	CreatedAt    time.Time
}

// PushService keeps the subscriptions and the push outbox.
type PushService interface {
	// SavePushSubscription stores (or, for a known endpoint, replaces)
	// a subscription of the actor's browser. EINVALID.
	SavePushSubscription(ctx context.Context, p *PushSubscription) error
	// FindPushSubscriptions returns the subscriptions of staffID.
	FindPushSubscriptions(ctx context.Context, staffID int64) ([]*PushSubscription, error)
	// DeletePushSubscription removes subscription id of staffID. ENOTFOUND.
	DeletePushSubscription(ctx context.Context, staffID, id int64) error
	// VAPIDKey returns the server's VAPID private key (PKCS #8 DER),
	// generated at first use and shared by every node.
	VAPIDKey(ctx context.Context) ([]byte, error)

	// ClaimPush leases up to n due notifications for owner; RecordPush*
	// and ReleasePush end the lease as the mail outbox's do.
	ClaimPush(ctx context.Context, owner string, n int, lease time.Duration) ([]*PushMessage, error)
	RecordPushSent(ctx context.Context, id int64, owner string) error
	RecordPushRetry(ctx context.Context, id int64, owner, reason string, next time.Time) error
	// RecordPushGone records that the push service no longer knows the
	// subscription (404, 410): the subscription is removed.
	RecordPushGone(ctx context.Context, id int64, owner string) error
	RecordPushFailed(ctx context.Context, id int64, owner, reason string) error
	ReleasePush(ctx context.Context, ids []int64, owner string) error
}
