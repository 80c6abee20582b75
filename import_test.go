package roster

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestImportOptions_RowAction(t *testing.T) {
	for _, tt := range []struct {
		mode   ImportMode
		exists bool
		want   RowAction
		why    string
	}{
		{ImportCreate, false, RowCreate, ""},
		{ImportCreate, true, RowRefused, "a user with email a@example.com exists already (mode create)"},
		{ImportUpdate, false, RowRefused, "no user has email a@example.com (mode update)"},
		{ImportUpdate, true, RowUpdate, ""},
		{ImportUpsert, false, RowCreate, ""},
		{ImportUpsert, true, RowUpdate, ""},
	} {
		o := ImportOptions{Mode: tt.mode, Key: "email"}
		got, why := o.RowAction("a@example.com", tt.exists)
		if got != tt.want || why != tt.why {
			t.Errorf("%s, exists %t: %d %q, want %d %q", tt.mode, tt.exists, got, why, tt.want, tt.why)
		}
		// The modes that may create are those that create missing users;
		// those that may update, those that update existing ones.
		if a, _ := o.RowAction("x", false); tt.mode.MayCreate() != (a == RowCreate) {
			t.Errorf("%s: MayCreate %t, but a missing user's row is %d", tt.mode, tt.mode.MayCreate(), a)
		}
		if a, _ := o.RowAction("x", true); tt.mode.MayUpdate() != (a == RowUpdate) {
			t.Errorf("%s: MayUpdate %t, but an existing user's row is %d", tt.mode, tt.mode.MayUpdate(), a)
		}
	}
}

func TestImportRow_TakenValues(t *testing.T) {
	owners := UniqueOwners{
		"email":     {"a@example.com": {ID: 1, PublicID: "u_aaaaaaaaaaaaaaaa"}},
		"client_id": {"c1": {ID: 1, PublicID: "u_aaaaaaaaaaaaaaaa"}, "c2": {ID: 2, PublicID: "u_bbbbbbbbbbbbbbbb"}},
		"id":        {"u_bbbbbbbbbbbbbbbb": {ID: 2, PublicID: "u_bbbbbbbbbbbbbbbb"}},
	}
	headers := ImportHeaders{"client_id": "Client"}
	for _, tt := range []struct {
		name string
		key  string
		row  ImportRow
		self int64
		want []string // column: message
	}{
		{"new user, free values", "email", ImportRow{Key: "new@example.com", Values: map[string]any{"client_id": "c9"}}, 0, nil},
		{"new user, client id taken", "email", ImportRow{Key: "new@example.com", Values: map[string]any{"client_id": " c2 "}}, 0,
			[]string{"Client: c2 is taken by user u_bbbbbbbbbbbbbbbb"}},
		{"the user's own values", "email", ImportRow{Key: "a@example.com", Values: map[string]any{"email": "A@example.com", "client_id": "c1"}}, 1, nil},
		{"the key is never taken", "email", ImportRow{Key: "a@example.com", Values: map[string]any{"email": "a@example.com"}}, 2, nil},
		{"another user's email and id", "client_id", ImportRow{Key: "c1", Values: map[string]any{"email": "A@Example.com", "id": "u_bbbbbbbbbbbbbbbb"}}, 3,
			[]string{"email: a@example.com is taken by user u_aaaaaaaaaaaaaaaa", "id: u_bbbbbbbbbbbbbbbb is taken by user u_bbbbbbbbbbbbbbbb"}},
		{"empty values are free", "email", ImportRow{Key: "x@example.com", Values: map[string]any{"client_id": "", "id": ""}}, 0, nil},
	} {
		errs := tt.row.TakenValues(tt.key, tt.self, owners, headers)
		var got []string
		for _, e := range errs {
			got = append(got, e.Column+": "+e.Message)
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestImportRow_ApplyTo(t *testing.T) {
	reg := NewRegistry(nil)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	headers := ImportHeaders{"email": "E-mail"}
	ada := &User{ID: 7, PublicID: "u_aaaaaaaaaaaaaaaa", Email: "ada@example.com", FirstName: "Ada", City: "London",
		Status: StatusActive, Tags: []int64{1}, Custom: map[string]any{}}
	subscribedAda := *ada
	subscribedAda.Newsletter, subscribedAda.NewsletterAt, subscribedAda.NewsletterSource = true, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), SourceAPI
	seen := &User{ID: 8, PublicID: "u_dddddddddddddddd", Email: "seen@example.com", Status: StatusActive, Custom: map[string]any{},
		LastVisit: now.AddDate(0, -1, 0), LastInteraction: now.AddDate(0, -1, 0), FirstSeen: now.AddDate(0, -6, 0)}
	for _, tt := range []struct {
		name   string
		before *User
		values map[string]any
		check  func(u *User) string
		errs   []string // column: message, in order
	}{
		{name: "new user, trimmed and defaulted", values: map[string]any{"email": " Bob@Example.com ", "newsletter": true, "tags": []string{"x"}},
			check: func(u *User) string {
				if u.Email != "bob@example.com" || u.Status != StatusActive || !u.NewsletterAt.Equal(now) || u.ID != 0 || u.Tags != nil {
					return "not normalised, or newsletter_at not the import's time, or tags set"
				}
				return ""
			}},
		{name: "new user with its id", values: map[string]any{"email": "b@example.com", "id": "u_cccccccccccccccc"},
			check: func(u *User) string {
				if u.PublicID != "u_cccccccccccccccc" {
					return "public id " + u.PublicID
				}
				return ""
			}},
		{name: "new user with a bad id and email", values: map[string]any{"email": "nope", "id": "x1"},
			errs: []string{`id: "x1" is not a user id (u_ and 16 letters or digits)`, "E-mail: is not a valid email address"}},
		{name: "new user without email or client id", values: map[string]any{"city": "Paris"},
			errs: []string{"E-mail: is required (or a client_id)"}},
		{name: "update keeps absent columns", before: ada, values: map[string]any{"email": "ada@example.com", "city": "Oxford", "id": "u_aaaaaaaaaaaaaaaa"},
			check: func(u *User) string {
				if u.City != "Oxford" || u.FirstName != "Ada" || u.ID != 7 || ada.City != "London" || len(u.Tags) != 1 {
					return "city " + u.City + ", first name " + u.FirstName + ", before's city " + ada.City
				}
				return ""
			}},
		{name: "update with another user's id", before: ada, values: map[string]any{"email": "ada@example.com", "id": "u_bbbbbbbbbbbbbbbb"},
			errs: []string{"id: u_bbbbbbbbbbbbbbbb is not the id of the user with email ada@example.com (u_aaaaaaaaaaaaaaaa)"}},
		{name: "update keeps newsletter_at", before: &subscribedAda, values: map[string]any{"newsletter": true},
			check: func(u *User) string {
				if !u.NewsletterAt.Equal(subscribedAda.NewsletterAt) || u.NewsletterSource != SourceAPI {
					return "an update of a subscriber stamped the subscription again"
				}
				return ""
			}},
		{name: "update subscribing records the import", before: ada, values: map[string]any{"newsletter": true},
			check: func(u *User) string {
				if !u.NewsletterAt.Equal(now) || u.NewsletterSource != SourceImport {
					return "an import subscribing a user did not record when and how"
				}
				return ""
			}},
		{name: "activity times are a floor", before: seen,
			values: map[string]any{"last_visit": now.AddDate(0, -2, 0), "last_interaction": now, "first_seen": now.AddDate(-1, 0, 0)},
			check: func(u *User) string {
				if !u.LastVisit.Equal(seen.LastVisit) || !u.LastInteraction.Equal(now) || !u.FirstSeen.Equal(now.AddDate(-1, 0, 0)) {
					return fmt.Sprintf("visit %v interaction %v first seen %v", u.LastVisit, u.LastInteraction, u.FirstSeen)
				}
				return ""
			}},
		{name: "activity times not moved back", before: seen,
			values: map[string]any{"first_seen": now, "last_visit": time.Time{}},
			check: func(u *User) string {
				if !u.FirstSeen.Equal(seen.FirstSeen) || !u.LastVisit.Equal(seen.LastVisit) {
					return fmt.Sprintf("first seen %v, last visit %v", u.FirstSeen, u.LastVisit)
				}
				return ""
			}},
		{name: "unknown field", values: map[string]any{"email": "c@example.com", "shoe_size": "42"},
			errs: []string{"shoe_size: cannot be set"}},
	} {
		r := ImportRow{Row: 2, Key: "ada@example.com", Values: tt.values, PasswordHash: "$2a$04$x"}
		u, errs := r.ApplyTo(tt.before, reg, "email", now, headers)
		var got []string
		for _, e := range errs {
			got = append(got, e.Column+": "+e.Message)
		}
		if strings.Join(got, "\n") != strings.Join(tt.errs, "\n") {
			t.Errorf("%s: problems %q, want %q", tt.name, got, tt.errs)
			continue
		}
		if u.PasswordHash != "" && (tt.before == nil || u.PasswordHash != tt.before.PasswordHash) {
			t.Errorf("%s: ApplyTo set the password hash", tt.name)
		}
		if tt.check != nil && len(errs) == 0 {
			if msg := tt.check(u); msg != "" {
				t.Errorf("%s: %s", tt.name, msg)
			}
		}
	}
}

func TestRefChange_Changed(t *testing.T) {
	u := &User{Tags: []int64{1, 2}, Groups: []int64{5}}
	for _, tt := range []struct {
		name string
		rc   RefChange
		want bool
	}{
		{"nothing set", RefChange{User: u}, false},
		{"same tags, other order", RefChange{User: u, Tags: []int64{2, 1}, SetTags: true}, false},
		{"a tag more", RefChange{User: u, Tags: []int64{1, 2, 3}, SetTags: true}, true},
		{"tags cleared", RefChange{User: u, SetTags: true}, true},
		{"other groups", RefChange{User: u, Groups: []int64{6}, SetGroups: true}, true},
		{"groups not set", RefChange{User: u, Tags: []int64{1, 2}, SetTags: true, Groups: []int64{6}}, false},
	} {
		if got := tt.rc.Changed(); got != tt.want {
			t.Errorf("%s: %t, want %t", tt.name, got, tt.want)
		}
	}
}
