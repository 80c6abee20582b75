package sqldb_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"roster"
	"roster/jobs"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// inviteFixture is mailFixture's database with users of every kind a bulk
// invite meets: store ids by name.
type inviteFixture struct {
	*mailFixture
	ids map[string]int64
	pub map[string]string
}

func newInviteFixture(t *testing.T, db *sqldb.DB) *inviteFixture {
	t.Helper()
	f := &inviteFixture{mailFixture: newMailFixture(t, db), ids: map[string]int64{}, pub: map[string]string{}}
	f.ids["grace"], f.pub["grace"] = f.user.ID, f.user.PublicID // active (the default), with an email, no password
	for _, c := range []struct {
		name   string
		u      roster.User
		pw     string
		invite bool
	}{
		{"noemail", roster.User{ClientID: "c-1", FirstName: "No", LastName: "Email", Status: roster.StatusPending}, "", false},
		{"banned", roster.User{Email: "banned@example.com", Status: roster.StatusBanned}, "", false},
		{"accepted", roster.User{Email: "accepted@example.com", Status: roster.StatusActive}, "a good password", false},
		{"activenopw", roster.User{Email: "nopw@example.com", Status: roster.StatusActive}, "", false},
		{"invited", roster.User{Email: "invited@example.com", Status: roster.StatusPending}, "", true},
		{"invitedbefore", roster.User{Email: "before@example.com", Status: roster.StatusInvited}, "", false},
	} {
		u := c.u
		if err := f.users.CreateUser(staffCtx(), &u, c.pw); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.invite {
			if _, err := f.accounts.InviteUser(staffCtx(), u.PublicID); err != nil {
				t.Fatal(err)
			}
		}
		f.ids[c.name], f.pub[c.name] = u.ID, u.PublicID
	}
	return f
}

func (f *inviteFixture) statusOf(t *testing.T, name string) roster.UserStatus {
	t.Helper()
	u, err := f.users.FindUserByID(context.Background(), f.pub[name])
	if err != nil {
		t.Fatal(err)
	}
	return u.Status
}

// sentTo counts the outbox's invite messages by recipient.
func (f *inviteFixture) sentTo(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range f.messages(t) {
		if m.Template == roster.TemplateInvite && m.Status == roster.OutboxQueued {
			out[m.Recipient]++
		}
	}
	return out
}

func TestInvites_Bulk(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newInviteFixture(t, db)
		ctx := staffCtx()
		oldMsgs := f.messages(t)
		oldToken := token(t, oldMsgs[0]) // invited@'s first invite
		all := []int64{f.ids["accepted"], f.ids["grace"], f.ids["noemail"], f.ids["banned"], f.ids["activenopw"], f.ids["invited"], 999999}

		p, err := f.accounts.PreviewInvites(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		want := roster.InvitePreview{Matched: 7, Invite: 3, NoEmail: 1, Banned: 1, Accepted: 1, Gone: 1}
		if p != want {
			t.Fatalf("preview %+v, want %+v", p, want)
		}
		if _, err := f.accounts.StartInvites(ctx, nil, "status:pending"); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("an invite of nobody: %v, want EINVALID", err)
		}
		j, err := f.accounts.StartInvites(ctx, all, "status:pending")
		if err != nil {
			t.Fatal(err)
		}
		if j.Kind != roster.JobInvite || j.Total != 7 || j.Status != roster.JobQueued {
			t.Fatalf("job %+v", j)
		}

		// A first run stops after its first batch of two users; the
		// runner then resumes the job from its position.
		js := sqldb.NewJobService(db)
		owner := jobs.Owner("test")
		if ok, err := js.ClaimJob(ctx, j.ID, owner, jobs.StaleOwner); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		j.Owner = owner
		rctx, stop := context.WithCancel(ctx)
		first := &jobs.Inviter{Invites: f.accounts, Batch: 2, Progress: func(*roster.Job) { stop() }}
		if err := first.Run(rctx, j); err != context.Canceled {
			t.Fatalf("the stopped run: %v", err)
		}
		mid, _ := js.FindJob(ctx, j.ID)
		if mid.Status != roster.JobRunning || mid.Position != f.ids["noemail"] || mid.Tally[roster.InviteSent] != 1 {
			t.Fatalf("after the first batch: %s at %d, %v; want running at the second user", mid.Status, mid.Position, mid.Tally)
		}
		r := jobs.NewRunner(&jobs.Importer{Jobs: js, Fields: sqldb.NewFieldService(db), Log: slog.New(slog.DiscardHandler)})
		r.Owner = owner
		r.Handle(roster.JobInvite, &jobs.Inviter{Invites: f.accounts, Batch: 2})
		r.RunQueued(ctx)
		done, _ := js.FindJob(ctx, j.ID)
		wantTally := map[string]int64{roster.InviteSent: 3, roster.InviteSkippedNoEmail: 1, roster.InviteSkippedBanned: 1, roster.InviteSkippedAccepted: 1, roster.InviteSkippedDeleted: 1}
		if done.Status != roster.JobDone || !mapsEqual(done.Tally, wantTally) || done.Progress() != 1 {
			t.Fatalf("job %s, tally %v, progress %v; want done, %v", done.Status, done.Tally, done.Progress(), wantTally)
		}
		for name, st := range map[string]roster.UserStatus{"grace": roster.StatusInvited, "activenopw": roster.StatusInvited, "invited": roster.StatusInvited,
			"noemail": roster.StatusPending, "banned": roster.StatusBanned, "accepted": roster.StatusActive} {
			if got := f.statusOf(t, name); got != st {
				t.Errorf("%s: %s, want %s", name, got, st)
			}
		}
		// One new message each, whatever the stop and the takeover.
		got := f.sentTo(t)
		if got["grace@example.com"] != 1 || got["nopw@example.com"] != 1 || got["invited@example.com"] != 2 || len(got) != 3 {
			t.Errorf("queued invites by recipient: %v (invited@ had one before the job)", got)
		}
		if _, err := f.accounts.FindLink(ctx, roster.LinkInvite, oldToken); roster.LinkState(err) != roster.LinkRevoked {
			t.Errorf("the older invite link of a user invited again: %v, want revoked", err)
		}
		for _, m := range f.messages(t) {
			if m.Recipient == "nopw@example.com" {
				if _, err := f.accounts.FindLink(ctx, roster.LinkInvite, token(t, m)); err != nil {
					t.Errorf("the bulk invite's link: %v", err)
				}
			}
		}
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "jobs.invite"})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Actor != "ada@example.com" ||
			entries[0].Note != "invite 3 of 7 users matching status:pending; skipping 1 without an email, 1 banned, 1 who accepted already, 1 deleted" {
			t.Errorf("audit of the bulk invite: %d entries, first %+v", len(entries), entries)
		}

		// Revoking an invite made by the job puts back the status the
		// user had: active for the one without a password.
		if err := f.accounts.RevokeInvite(ctx, f.pub["activenopw"]); err != nil {
			t.Fatal(err)
		}
		if st := f.statusOf(t, "activenopw"); st != roster.StatusActive {
			t.Errorf("after revoking: %s, want active (the status before the invite)", st)
		}
	})
}

func TestInvites_RevokeAndResend(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newInviteFixture(t, db)
		ctx := staffCtx()
		id := f.pub["activenopw"]
		m1, err := f.accounts.InviteUser(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// Resent: a new link, the first stops working; the status before
		// the first invite is still known.
		m2, err := f.accounts.InviteUser(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.accounts.FindLink(ctx, roster.LinkInvite, token(t, m1)); roster.LinkState(err) != roster.LinkRevoked {
			t.Errorf("the first link after a resend: %v, want revoked", err)
		}
		if err := f.accounts.RevokeInvite(ctx, id); err != nil {
			t.Fatal(err)
		}
		if st := f.statusOf(t, "activenopw"); st != roster.StatusActive {
			t.Errorf("after revoking a resent invite: %s, want active", st)
		}
		if _, err := f.accounts.FindLink(ctx, roster.LinkInvite, token(t, m2)); roster.LinkState(err) != roster.LinkExpired {
			t.Errorf("the link after a revoke: %v, want it to show as expired", err)
		}
		if _, err := f.accounts.UseLink(ctx, roster.LinkInvite, token(t, m2), "my own password"); roster.LinkState(err) != roster.LinkExpired {
			t.Errorf("using the link after a revoke: %v, want refused as expired", err)
		}
		for _, m := range f.messages(t) {
			if m.Recipient == "nopw@example.com" && (m.Status != roster.OutboxFailed || !strings.Contains(m.LastError, "revoked")) {
				t.Errorf("a queued invite after the revoke: %s %q, want failed: revoked", m.Status, m.LastError)
			}
		}
		if err := f.accounts.RevokeInvite(ctx, id); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Errorf("revoking again: %v, want ECONFLICT", err)
		}
		if err := f.accounts.RevokeInvite(ctx, "u_nobody"); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("revoking a missing user's invite: %v, want ENOTFOUND", err)
		}
		// A user invited twice by the job and staff goes back to pending,
		// the status before the first invite; one whose status before is
		// not known (invited with no link) goes to pending.
		if _, err := f.accounts.InviteUser(ctx, f.pub["invited"]); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"invited", "invitedbefore"} {
			if err := f.accounts.RevokeInvite(ctx, f.pub[name]); err != nil {
				t.Fatal(err)
			}
			if st := f.statusOf(t, name); st != roster.StatusPending {
				t.Errorf("%s after the revoke: %s, want pending", name, st)
			}
		}
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "user.invite_revoke", TargetID: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Changes["status"].Before != "invited" || entries[0].Changes["status"].After != "active" || entries[0].Actor != "ada@example.com" {
			t.Errorf("revoke audit: %+v", entries)
		}
	})
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
