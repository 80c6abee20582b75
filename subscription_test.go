package roster

import (
	"context"
	"testing"
	"time"
)

func TestStampNewsletter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	left := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	paste := Subscription{Source: SourcePaste, Consent: "Signed up at the fair"}
	subscribed := User{Newsletter: true, NewsletterAt: old, NewsletterSource: SourceImport, NewsletterConsent: "form v1"}
	unsubscribed := User{NewsletterAt: old, NewsletterSource: SourceImport, NewsletterConsent: "form v1", NewsletterUnsubscribedAt: left}
	for _, tt := range []struct {
		name   string
		before *User
		after  func(u *User)
		want   User
	}{
		{"new subscriber", nil, func(u *User) { u.Newsletter = true },
			User{Newsletter: true, NewsletterAt: now, NewsletterSource: SourcePaste, NewsletterConsent: "Signed up at the fair"}},
		{"new subscriber with its own record", nil, func(u *User) {
			u.Newsletter, u.NewsletterAt, u.NewsletterSource, u.NewsletterConsent = true, old, SourceSelf, "v0"
		}, User{Newsletter: true, NewsletterAt: old, NewsletterSource: SourceSelf, NewsletterConsent: "v0"}},
		{"new user not subscribed", nil, func(u *User) {}, User{}},
		{"subscribing again after leaving", &unsubscribed, func(u *User) { u.Newsletter = true },
			User{Newsletter: true, NewsletterAt: now, NewsletterSource: SourcePaste, NewsletterConsent: "Signed up at the fair"}},
		{"unsubscribing records how and when, keeps the subscription's date and consent", &subscribed, func(u *User) { u.Newsletter = false },
			User{NewsletterAt: old, NewsletterSource: SourcePaste, NewsletterConsent: "form v1", NewsletterUnsubscribedAt: now}},
		{"no change, no record", &subscribed, func(u *User) { u.City = "Paris" },
			User{City: "Paris", Newsletter: true, NewsletterAt: old, NewsletterSource: SourceImport, NewsletterConsent: "form v1"}},
		{"unsubscribed stays", &unsubscribed, func(u *User) {}, unsubscribed},
		{"an update giving its own date", &unsubscribed, func(u *User) { u.Newsletter, u.NewsletterAt = true, left },
			User{Newsletter: true, NewsletterAt: left, NewsletterSource: SourcePaste, NewsletterConsent: "Signed up at the fair"}},
	} {
		var u User
		if tt.before != nil {
			u = *tt.before
		}
		tt.after(&u)
		StampNewsletter(tt.before, &u, paste, now)
		if u.Newsletter != tt.want.Newsletter || !u.NewsletterAt.Equal(tt.want.NewsletterAt) || u.NewsletterSource != tt.want.NewsletterSource ||
			u.NewsletterConsent != tt.want.NewsletterConsent || !u.NewsletterUnsubscribedAt.Equal(tt.want.NewsletterUnsubscribedAt) || u.City != tt.want.City {
			t.Errorf("%s: got %v %v %q %q %v, want %v %v %q %q %v", tt.name,
				u.Newsletter, u.NewsletterAt, u.NewsletterSource, u.NewsletterConsent, u.NewsletterUnsubscribedAt,
				tt.want.Newsletter, tt.want.NewsletterAt, tt.want.NewsletterSource, tt.want.NewsletterConsent, tt.want.NewsletterUnsubscribedAt)
		}
	}
}

func TestUserUpdate_ApplyRecordsSubscription(t *testing.T) {
	reg := NewRegistry(nil)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	plain := &User{Email: "b@example.com", Status: StatusActive, Custom: map[string]any{}}
	u, err := UserUpdate{Values: map[string]any{"newsletter": true}, Via: Subscription{Source: SourceAPI, Consent: "app v2"}}.Apply(plain, reg, now)
	if err != nil || u.NewsletterSource != SourceAPI || u.NewsletterConsent != "app v2" || !u.NewsletterAt.Equal(now) {
		t.Fatalf("%+v, %v", u, err)
	}
	for _, key := range []string{"newsletter_source", "newsletter_consent", "newsletter_unsubscribed_at"} {
		var v any = "self"
		if key == "newsletter_unsubscribed_at" {
			v = now
		}
		if _, err := (UserUpdate{Values: map[string]any{key: v}}).Apply(plain, reg, now); ErrorFields(err)[key] != "is read-only" {
			t.Errorf("%s: %v, want read-only", key, err)
		}
	}
}

func TestSubscriptionFromContext(t *testing.T) {
	if got := SubscriptionFromContext(context.Background()); got.Source != SourceStaff {
		t.Errorf("default %v, want staff", got)
	}
	ctx := NewContextWithSubscription(context.Background(), Subscription{Source: SourceSelf})
	if got := SubscriptionFromContext(ctx); got.Source != SourceSelf {
		t.Errorf("got %v, want self", got)
	}
}
