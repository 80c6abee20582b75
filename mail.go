package roster

import (
	"context"
	"errors"
	"time"
)

// Mail: the outbox of messages to send, the templates they are rendered
// from, and the single-use links (invites, password resets) they carry.
// A message is a row of the outbox written in the same transaction as its
// cause, so that a rollback leaves no message and a crash loses none; the
// delivery worker (package deliver) sends the rows.

// OutboxStatus is where a message is on its way out.
type OutboxStatus string

// Outbox statuses. A queued message waits for its next attempt time; a
// sending one is leased by a worker until its lease ends (when the worker
// died, another takes it over); sent and failed are final, but staff may
// send a failed message again.
const (
	OutboxQueued  OutboxStatus = "queued"
	OutboxSending OutboxStatus = "sending"
	OutboxSent    OutboxStatus = "sent"
	OutboxFailed  OutboxStatus = "failed"
)

// Mail template names: one per kind of message.
const (
	TemplateInvite        = "invite"
	TemplateResetPassword = "reset_password"
	TemplateConfirmEmail  = "confirm_email"
	TemplateEmailChanged  = "email_changed"
)

// OutboxMessage is one email of the outbox, rendered when it was queued.
type OutboxMessage struct {
	ID int64
	// MessageID is the RFC 5322 Message-ID, angle brackets included. It
	// stays the same on every attempt, so that a receiver can drop a copy
	// sent twice (a worker that died between sending and recording it).
	MessageID string
	UserID    int64 // the user the message is about; 0 when none
	Recipient string
	Template  string // a MailTemplates name
	Subject   string
	Text      string // the text/plain part
	HTML      string // the text/html part
	// UnsubscribeURL, for a message that is not transactional, is the
	// user's one-click unsubscribe link, sent as List-Unsubscribe with
	// List-Unsubscribe-Post (RFC 8058); "" for transactional mail.
	UnsubscribeURL string
	Status         OutboxStatus
	// Attempts counts the delivery attempts that ended (sent, refused or
	// cut off); LastError is the last one's reason.
	Attempts  int
	LastError string
	// NextAttemptAt is when a queued message is due; for a sending one,
	// when its lease ends.
	NextAttemptAt time.Time
	CreatedAt     time.Time
	SentAt        time.Time
}

// OutboxFilter selects outbox messages; zero fields match everything.
type OutboxFilter struct {
	Status   OutboxStatus
	UserID   int64
	Limit    int   // at most 500; 0 is 100
	BeforeID int64 // messages older than this id, for paging
}

// OutboxService stores the outbox: what the Outbox page lists and what the
// delivery worker claims and records.
type OutboxService interface {
	// FindOutbox returns messages matching f, newest first.
	FindOutbox(ctx context.Context, f OutboxFilter) ([]*OutboxMessage, error)
	// FindOutboxMessage returns the message with id. ENOTFOUND.
	FindOutboxMessage(ctx context.Context, id int64) (*OutboxMessage, error)
	// CountOutbox returns the number of messages in each status.
	CountOutbox(ctx context.Context) (map[OutboxStatus]int, error)
	// RetryOutboxMessage queues a failed message again, due now. Audited
	// as "outbox.retry". ENOTFOUND, ECONFLICT (not failed).
	RetryOutboxMessage(ctx context.Context, id int64) error

	// ClaimOutbox leases up to n due messages to owner for lease: queued
	// ones whose time has come and sending ones whose lease ended (their
	// worker died). Several workers may claim at once; each message goes
	// to one of them.
	ClaimOutbox(ctx context.Context, owner string, n int, lease time.Duration) ([]*OutboxMessage, error)
	// RecordSent marks a message owner holds as sent.
	RecordSent(ctx context.Context, id int64, owner string) error
	// RecordRetry puts a message owner holds back in the queue, due at
	// next, after an attempt that failed for reason.
	RecordRetry(ctx context.Context, id int64, owner, reason string, next time.Time) error
	// RecordFailed fails a message owner holds for good, for reason.
	RecordFailed(ctx context.Context, id int64, owner, reason string) error
	// ReleaseOutbox gives the messages of ids that owner holds but did not
	// try back to the queue, due now, with no attempt counted: a worker
	// stopping with part of its batch unsent.
	ReleaseOutbox(ctx context.Context, ids []int64, owner string) error
	// ReclaimOutbox gives back to the queue, due now, the messages leased
	// by the owners dead reports gone (a worker killed on this host), so
	// that a restarted node need not wait for their leases to end; it
	// returns how many. Only the message in flight at the kill may have
	// been sent: it goes again, with its Message-ID.
	ReclaimOutbox(ctx context.Context, dead func(owner string) bool) (int, error)
}

// MailData is what a message is rendered from; a template sees the
// variables its MailTemplates row documents.
type MailData struct {
	ProductName string // filled by the renderer
	Name        string // the recipient's name, or their email
	Email       string
	// Link is the absolute URL the message leads to; the caller gives its
	// path (LinkPath) and the renderer puts the public URL before it.
	LinkPath string
	Link     string
	// Expires says in words how long the link works ("7 days").
	Expires string
	// Unsubscribe is the absolute one-click unsubscribe URL of a message
	// that is not transactional; the caller gives its path
	// (UnsubscribePath). "" for transactional mail.
	UnsubscribePath string
	Unsubscribe     string
}

// RenderedMail is a message's subject and its two bodies.
type RenderedMail struct {
	Subject string
	Text    string
	HTML    string
	// UnsubscribeURL is MailData.Unsubscribe: what List-Unsubscribe gives.
	UnsubscribeURL string
}

// MailRenderer renders the message of a template. The delivery package
// implements it with templates embedded in the binary.
type MailRenderer interface {
	// RenderMail renders template name with d. EINVALID for an unknown
	// template.
	RenderMail(name string, d MailData) (RenderedMail, error)
	// MessageIDDomain is the domain part of the Message-IDs of the
	// messages it renders: the host of the public URL.
	MessageIDDomain() string
}

// LinkPurpose is what a single-use link does.
type LinkPurpose string

// Link purposes.
const (
	LinkInvite  LinkPurpose = "invite"
	LinkReset   LinkPurpose = "reset"
	LinkConfirm LinkPurpose = "confirm"
)

// Link problems, as LinkError reports them. None names the account.
const (
	LinkUnknown = "unknown" // no such link (mistyped, cut off, or its user deleted)
	LinkUsed    = "used"
	LinkExpired = "expired"
	LinkRevoked = "revoked" // a newer link of the same purpose replaced it
)

// LinkState returns the problem of a link error (LinkUnknown, LinkUsed,
// LinkExpired, LinkRevoked), or "" when err is not about a link.
func LinkState(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code == ENOTFOUND && e.Fields != nil {
		return e.Fields["link"]
	}
	return ""
}

// LinkError returns the error of a link that cannot be used: ENOTFOUND
// with the problem under the field "link".
func LinkError(state string) error {
	msg := "This link is not valid."
	switch state {
	case LinkUsed:
		msg = "This link has already been used."
	case LinkExpired:
		msg = "This link has expired."
	case LinkRevoked:
		msg = "This link was replaced by a newer one."
	}
	return &Error{Code: ENOTFOUND, Message: msg, Fields: map[string]string{"link": state}, Position: -1}
}

// Link is a single-use link as its hosted page needs it: its purpose and
// who it is for. The token itself is never stored.
type Link struct {
	Purpose   LinkPurpose
	UserID    int64
	Email     string
	ExpiresAt time.Time
}

// AccountService runs the account steps that go through email: invites and
// password resets, each a single-use link sent in a message queued in the
// same transaction.
type AccountService interface {
	// InviteUser marks the user with public id invited and queues an
	// invite with a new link (older invite links stop working). Audited as
	// "user.invite". ENOTFOUND, EINVALID (no email), ECONFLICT (banned).
	InviteUser(ctx context.Context, id string) (*OutboxMessage, error)
	// SendPasswordReset queues a reset link for the user with public id,
	// sent by staff. Audited as "user.password_reset_send". ENOTFOUND,
	// EINVALID (no email), ECONFLICT (banned).
	SendPasswordReset(ctx context.Context, id string) (*OutboxMessage, error)
	// RequestPasswordReset is a user asking for a reset link for email
	// from client: the same answer and the same work whether the address
	// is a user's or not. ETOOMANY when client asked too often; requests
	// for one address beyond its allowance are silently dropped.
	RequestPasswordReset(ctx context.Context, email, client string) error
	// FindLink returns the link token opens for purpose, without using it.
	// A link that cannot be used is LinkError's error.
	FindLink(ctx context.Context, purpose LinkPurpose, token string) (*Link, error)
	// UseLink uses the link token of purpose exactly once to set the
	// user's password to pw: a reset sets it; an invite sets it and
	// accepts the invite (invited becomes active). The user's other links
	// of that purpose stop working. EINVALID naming "password", or
	// LinkError's error; of concurrent uses exactly one succeeds.
	UseLink(ctx context.Context, purpose LinkPurpose, token, pw string) (*Link, error)

	// SendConfirmation queues a new confirmation link to the address of
	// the user with public id (older links stop working), sent by staff.
	// Audited as "user.confirmation_send". ENOTFOUND, EINVALID (no email).
	SendConfirmation(ctx context.Context, id string) (*OutboxMessage, error)
	// ConfirmEmail uses the confirmation link token exactly once: the
	// user's address is confirmed, recording when. Audited as
	// "user.email_confirm" by the user. LinkError's error; of concurrent
	// uses exactly one succeeds.
	ConfirmEmail(ctx context.Context, token string) (*Link, error)
	// MarkEmailConfirmed marks the address of the user with public id
	// confirmed by staff, for reason (required). Audited as
	// "user.email_confirm" with the reason. ENOTFOUND, EINVALID.
	MarkEmailConfirmed(ctx context.Context, id, reason string) error
}
