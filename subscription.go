package roster

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// SubscriptionSource is how a user's newsletter subscription last changed:
// the newsletter_source field.
type SubscriptionSource string

// Subscription sources.
const (
	SourceImport SubscriptionSource = "import" // a CSV import
	SourceStaff  SubscriptionSource = "staff"  // the back-office's forms
	SourcePaste  SubscriptionSource = "paste"  // Users → Subscribers
	SourceAPI    SubscriptionSource = "api"    // the JSON API
	SourceSelf   SubscriptionSource = "self"   // the user: an unsubscribe link
)

// SubscriptionSourceNames lists the sources, the choices of
// newsletter_source.
func SubscriptionSourceNames() []string {
	return []string{string(SourceImport), string(SourceStaff), string(SourcePaste), string(SourceAPI), string(SourceSelf)}
}

// MaxConsentLen bounds the consent text recorded with a subscription.
const MaxConsentLen = 500

// Subscription is the way a write changes newsletter subscriptions: its
// source and, for a subscription, the consent text the user agreed to.
type Subscription struct {
	Source  SubscriptionSource
	Consent string
}

type subscriptionKey struct{}

// NewContextWithSubscription returns ctx carrying s: every user written
// through ctx whose newsletter changes records s (see StampNewsletter).
// The web middleware says "staff" or "api"; a paste, the unsubscribe page
// and imports say their own.
func NewContextWithSubscription(ctx context.Context, s Subscription) context.Context {
	return context.WithValue(ctx, subscriptionKey{}, s)
}

// SubscriptionFromContext returns the subscription way in ctx; without
// one, a change is staff's.
func SubscriptionFromContext(ctx context.Context) Subscription {
	if s, ok := ctx.Value(subscriptionKey{}).(Subscription); ok && s.Source != "" {
		return s
	}
	return Subscription{Source: SourceStaff}
}

// CheckConsent returns a message when consent cannot be recorded: too long
// or not one line of text.
func CheckConsent(consent string) string {
	if utf8.RuneCountInString(consent) > MaxConsentLen {
		return "is longer than " + itoa(MaxConsentLen) + " characters"
	}
	if strings.ContainsAny(consent, "\r\n") {
		return "must be a single line"
	}
	return TextProblem(consent, 0, false)
}

// StampNewsletter is the one rule of the subscription record, applied to
// every write of a user: u is the user about to be stored, before the one
// stored (nil when u is new), via the way of the write, now its time.
//
// Subscribing (newsletter false → true, or a new user created subscribed)
// records when (newsletter_at), how (newsletter_source) and the consent
// text, and clears newsletter_unsubscribed_at. Unsubscribing records when
// (newsletter_unsubscribed_at) and how (newsletter_source: "self" for the
// user's own link), and keeps when they had subscribed and the consent
// they gave. A value the write sets itself (an import carrying the
// record of another product) is kept; a write that does not change the
// newsletter changes none of the record.
func StampNewsletter(before, u *User, via Subscription, now time.Time) {
	was := before != nil && before.Newsletter
	if u.Newsletter == was {
		return
	}
	var old User // a new user's fields were all empty
	if before != nil {
		old = *before
	}
	if u.NewsletterSource == old.NewsletterSource {
		u.NewsletterSource = via.Source
	}
	if !u.Newsletter {
		if u.NewsletterUnsubscribedAt.Equal(old.NewsletterUnsubscribedAt) {
			u.NewsletterUnsubscribedAt = now
		}
		return
	}
	if u.NewsletterAt.Equal(old.NewsletterAt) {
		u.NewsletterAt = now
	}
	if u.NewsletterConsent == old.NewsletterConsent {
		u.NewsletterConsent = via.Consent
	}
	if u.NewsletterUnsubscribedAt.Equal(old.NewsletterUnsubscribedAt) {
		u.NewsletterUnsubscribedAt = time.Time{}
	}
}

// SubscriberService is the store's side of subscriber pastes and of the
// unsubscribe link.
type SubscriberService interface {
	// FindSubscribers returns the users having one of emails (lower
	// case), keyed by email, in a few queries however many there are.
	FindSubscribers(ctx context.Context, emails []string) (map[string]Subscriber, error)
	// ApplyPaste applies b, one batch of a paste, in one transaction:
	// each usable entry is subscribed, unsubscribed or created as
	// PasteAction says, recorded with the paste's consent and source
	// "paste"; b.Job, when set, is moved past the batch with the counts
	// added to its tally in the same transaction (ECONFLICT when it is no
	// longer its owner's). The last batch writes the paste's one audit
	// entry, "subscribers.paste", with its mode, consent and counts, as
	// the staff member who made the job. It returns the batch's counts.
	// EINVALID for bad options or a batch over PasteBatchSize.
	ApplyPaste(ctx context.Context, opts PasteOptions, b PasteBatch) (PasteCounts, error)
	// UnsubscribeUser is the user userID leaving the newsletter from an
	// unsubscribe link: source "self", audited as the user's own action.
	// Unsubscribing an unsubscribed user changes nothing and succeeds.
	// ENOTFOUND.
	UnsubscribeUser(ctx context.Context, userID int64) (*User, error)
	// FindUnsubscribe returns the user an unsubscribe link's token is
	// for: the token is a MAC over the user and the purpose, not stored
	// and not single-use. ENOTFOUND for a token that is not one (or whose
	// user was deleted).
	FindUnsubscribe(ctx context.Context, token string) (*Subscriber, error)
	// QueueListMail queues template, a message that is not transactional
	// (a newsletter, a campaign), to the subscribed user userID, carrying
	// the user's one-click unsubscribe link (MailData.Unsubscribe, and
	// List-Unsubscribe when delivered). ENOTFOUND, EINVALID (no email),
	// ECONFLICT (not subscribed).
	QueueListMail(ctx context.Context, userID int64, template string, d MailData) (*OutboxMessage, error)
}
