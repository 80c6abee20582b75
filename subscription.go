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
// in newsletter_unsubscribed_at and keeps how and when the user had
// subscribed. A value the write sets itself (an import carrying the
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
	if !u.Newsletter {
		if u.NewsletterUnsubscribedAt.Equal(old.NewsletterUnsubscribedAt) {
			u.NewsletterUnsubscribedAt = now
		}
		return
	}
	if u.NewsletterAt.Equal(old.NewsletterAt) {
		u.NewsletterAt = now
	}
	if u.NewsletterSource == old.NewsletterSource {
		u.NewsletterSource = via.Source
	}
	if u.NewsletterConsent == old.NewsletterConsent {
		u.NewsletterConsent = via.Consent
	}
	if u.NewsletterUnsubscribedAt.Equal(old.NewsletterUnsubscribedAt) {
		u.NewsletterUnsubscribedAt = time.Time{}
	}
}
