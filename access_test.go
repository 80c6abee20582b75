package roster_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"roster"
)

// TestAccessRule walks every combination of the rule's inputs: status ×
// email confirmed × confirmation required × where the user's last activity
// lies against the expiry cutoff (just before it, at it, just after it,
// and with no expiry at all). The expected state is spelled out per
// combination, in the order the README gives the reasons.
func TestAccessRule(t *testing.T) {
	now := time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC)
	// 15 calendar months before 31 May 2026 12:00 is 28 Feb 2025 12:00
	// (AddDate normalises 31 Feb to 3 Mar; the rule counts back from now).
	cutoff := now.AddDate(0, -15, 0)
	type edge struct {
		name   string
		months int
		ref    time.Time // the latest activity
		stale  bool      // expired by time alone
	}
	edges := []edge{
		{"a millisecond before the cutoff", 15, cutoff.Add(-time.Millisecond), true},
		{"at the cutoff", 15, cutoff, true},
		{"a millisecond after the cutoff", 15, cutoff.Add(time.Millisecond), false},
		{"long ago, expiry off", 0, now.AddDate(-20, 0, 0), false},
	}
	// Which of created, last login, last visit, password set holds the
	// latest activity (the others are older or unset): each counts.
	holders := []string{"created_at", "last_login", "last_visit", "password_set_at"}
	statuses := []roster.UserStatus{roster.StatusActive, roster.StatusBanned, roster.StatusInvited, roster.StatusPending}
	n := 0
	for _, st := range statuses {
		for _, confirmed := range []bool{false, true} {
			for _, required := range []bool{false, true} {
				for _, e := range edges {
					for _, h := range holders {
						want := roster.AccessActive
						switch {
						case st == roster.StatusBanned:
							want = roster.AccessBanned
						case st == roster.StatusInvited:
							want = roster.AccessInvited
						case required && !confirmed:
							want = roster.AccessUnconfirmed
						case e.stale:
							want = roster.AccessExpired
						case st == roster.StatusPending:
							want = roster.AccessPending
						}
						old := e.ref.AddDate(-1, 0, 0)
						u := &roster.User{Status: st, EmailConfirmed: confirmed, CreatedAt: old}
						switch h {
						case "created_at":
							u.CreatedAt = e.ref
						case "last_login":
							u.LastLogin, u.LastVisit = e.ref, old
						case "last_visit":
							u.LastVisit = e.ref
						case "password_set_at":
							u.PasswordSetAt, u.LastLogin = e.ref, old
						}
						p := roster.AccountPolicy{ConfirmationRequired: required, ExpiryMonths: e.months}
						got := roster.Access(u, p, now)
						if got != want {
							t.Errorf("status %s, confirmed %t, required %t, activity %s (%s): %s, want %s", st, confirmed, required, e.name, h, got, want)
						}
						n++
					}
				}
			}
		}
	}
	if n != 4*2*2*4*4 {
		t.Fatalf("%d combinations", n)
	}
}

func TestAccessStates(t *testing.T) {
	names := roster.AccessStateNames()
	want := []string{"banned", "invited", "unconfirmed", "expired", "pending", "active"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("states %v, want %v", names, want)
	}
	for _, s := range roster.AccessStates() {
		if s.Label == "" || s.Help == "" || !roster.ValidAccessState(string(s.State)) {
			t.Errorf("state %+v", s)
		}
	}
	if roster.ValidAccessState("Active") || roster.ValidAccessState("") {
		t.Error("a state that is not one is valid")
	}
	f, ok := roster.NewRegistry(nil).Field("access")
	if !ok || !f.ReadOnly || !f.Filterable || !f.Sortable || !f.Exportable || f.Importable || fmt.Sprint(f.Choices) != fmt.Sprint(want) {
		t.Errorf("access field %+v", f)
	}
}

func TestAccountPolicy(t *testing.T) {
	d := roster.DefaultAccountPolicy()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.ExpiryMonths != 15 || d.ConfirmationRequired || d.TTL(roster.LinkInvite) != 7*24*time.Hour ||
		d.TTL(roster.LinkConfirm) != 72*time.Hour || d.TTL(roster.LinkReset) != time.Hour {
		t.Errorf("default policy %+v", d)
	}
	bad := []struct {
		p     roster.AccountPolicy
		field string
	}{
		{roster.AccountPolicy{ExpiryMonths: -1, InviteTTL: time.Hour, ConfirmTTL: time.Hour, ResetTTL: time.Hour}, "expiry_months"},
		{roster.AccountPolicy{ExpiryMonths: 121, InviteTTL: time.Hour, ConfirmTTL: time.Hour, ResetTTL: time.Hour}, "expiry_months"},
		{roster.AccountPolicy{InviteTTL: time.Minute, ConfirmTTL: time.Hour, ResetTTL: time.Hour}, "invite_ttl_minutes"},
		{roster.AccountPolicy{InviteTTL: time.Hour, ConfirmTTL: 91 * 24 * time.Hour, ResetTTL: time.Hour}, "confirm_ttl_minutes"},
		{roster.AccountPolicy{InviteTTL: time.Hour, ConfirmTTL: time.Hour}, "reset_ttl_minutes"},
	}
	for _, tt := range bad {
		err := tt.p.Validate()
		if _, ok := roster.ErrorFields(err)[tt.field]; !ok || roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("%+v: %v, want an error naming %s", tt.p, err, tt.field)
		}
	}
	// JSON: minutes, and members left out keep their value.
	b, err := json.Marshal(d)
	if err != nil || string(b) != `{"confirmation_required":false,"expiry_months":15,"invite_ttl_minutes":10080,"confirm_ttl_minutes":4320,"reset_ttl_minutes":60}` {
		t.Errorf("json %s %v", b, err)
	}
	p := d
	if err := json.Unmarshal([]byte(`{"confirmation_required":true,"reset_ttl_minutes":30}`), &p); err != nil {
		t.Fatal(err)
	}
	if !p.ConfirmationRequired || p.ResetTTL != 30*time.Minute || p.ExpiryMonths != 15 || p.InviteTTL != d.InviteTTL {
		t.Errorf("after a partial update: %+v", p)
	}
	if err := json.Unmarshal([]byte(`{"reset_ttl_minutes":-5}`), &p); err != nil || p.Validate() == nil {
		t.Errorf("a negative lifetime: %v, %+v", err, p)
	}
}
