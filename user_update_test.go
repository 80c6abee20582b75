package roster

import (
	"testing"
	"time"
)

func TestUserUpdate_Apply(t *testing.T) {
	reg := NewRegistry(nil)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	stamp := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	subscribed := &User{Email: "a@example.com", Status: StatusActive, Newsletter: true, NewsletterAt: stamp, City: "Paris", Custom: map[string]any{}}
	plain := &User{Email: "b@example.com", Status: StatusActive, Custom: map[string]any{}}
	for _, tt := range []struct {
		name   string
		before *User
		values map[string]any
		field  string // the field whose error is expected, "" for none
		check  func(u *User) bool
	}{
		{"a city", subscribed, map[string]any{"city": " Lyon "}, "", func(u *User) bool { return u.City == "Lyon" && subscribed.City == "Paris" }},
		{"subscribing stamps now", plain, map[string]any{"newsletter": true}, "", func(u *User) bool { return u.NewsletterAt.Equal(now) }},
		{"subscribing with a date keeps it", plain, map[string]any{"newsletter": true, "newsletter_at": stamp}, "", func(u *User) bool { return u.NewsletterAt.Equal(stamp) }},
		{"unsubscribing keeps the stamp", subscribed, map[string]any{"newsletter": false}, "", func(u *User) bool { return !u.Newsletter && u.NewsletterAt.Equal(stamp) }},
		{"subscribed again: no new stamp", subscribed, map[string]any{"newsletter": true}, "", func(u *User) bool { return u.NewsletterAt.Equal(stamp) }},
		{"not a field", plain, map[string]any{"shoe_size": 42}, "shoe_size", nil},
		{"read-only", plain, map[string]any{"total_followers": int64(3)}, "total_followers", nil},
		{"wrong type", plain, map[string]any{"city": 3}, "city", nil},
		{"invalid", plain, map[string]any{"email": "nope"}, "email", nil},
	} {
		u, err := UserUpdate{Values: tt.values}.Apply(tt.before, reg, now)
		if tt.field != "" {
			if ErrorCode(err) != EINVALID || ErrorFields(err)[tt.field] == "" {
				t.Errorf("%s: %v, want an error on %s", tt.name, err, tt.field)
			}
			continue
		}
		if err != nil || !tt.check(u) {
			t.Errorf("%s: %+v, %v", tt.name, u, err)
		}
	}
}
