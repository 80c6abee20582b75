package jobs

import (
	"context"
	"testing"

	"roster"
	"roster/deliver"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestImportInviteColumn: a row whose invite column is true invites the
// user it creates or updates, in the row's transaction; a row that changes
// nothing invites nobody; a row asking to invite a user the invite cannot
// reach fails on its invite column; a dry run queues nothing.
func TestImportInviteColumn(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		r, err := deliver.NewRenderer("", "https://roster.example.com")
		if err != nil {
			t.Fatal(err)
		}
		x := newImporter(t, db)
		x.js.Mail = r
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		users := sqldb.NewUserService(db)
		for _, u := range []*roster.User{{Email: "upd@example.com", FirstName: "Old"}, {Email: "same@example.com", FirstName: "Same"}} {
			if err := users.CreateUser(ctx, u, ""); err != nil {
				t.Fatal(err)
			}
		}
		invites := func() map[string]int {
			ms, err := sqldb.NewOutboxService(db).FindOutbox(ctx, roster.OutboxFilter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, m := range ms {
				if m.Template == roster.TemplateInvite {
					out[m.Recipient]++
				}
			}
			return out
		}
		csv := "email,first_name,status,password,Invite\n" +
			"new@example.com,New,,,true\n" + // 2: created, invited
			"upd@example.com,Upd,,,yes\n" + // 3: updated, invited
			"same@example.com,Same,,,true\n" + // 4: unchanged: nobody invited
			"quiet@example.com,Quiet,,,false\n" + // 5: created, not invited
			"banned@example.com,Ban,banned,,true\n" + // 6: refused
			"pw@example.com,Pw,active,a good password 1,1\n" + // 7: refused
			"bad@example.com,Bad,,,maybe\n" // 8: not a yes/no

		opts := roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"}
		dry := opts
		dry.DryRun = true
		wantCounts(t, x.run(csv, dry), roster.ImportCounts{Read: 7, Created: 2, Updated: 1, Unchanged: 1, Failed: 3})
		if got := invites(); len(got) != 0 {
			t.Errorf("a dry run queued invites: %v", got)
		}

		j := x.run(csv, opts)
		wantCounts(t, j, roster.ImportCounts{Read: 7, Created: 2, Updated: 1, Unchanged: 1, Failed: 3})
		failed := x.failed(j)
		wantFailure(t, failed, 6, "Invite", "cannot invite a banned user")
		wantFailure(t, failed, 7, "Invite", "cannot invite an active user with a password")
		wantFailure(t, failed, 8, "Invite", "")
		if got := invites(); len(got) != 2 || got["new@example.com"] != 1 || got["upd@example.com"] != 1 {
			t.Errorf("invites queued by the import: %v, want one each to new@ and upd@", got)
		}
		for email, want := range map[string]roster.UserStatus{"new@example.com": roster.StatusInvited, "upd@example.com": roster.StatusInvited,
			"same@example.com": roster.StatusActive, "quiet@example.com": roster.StatusActive} {
			if u := x.user(email); u == nil || u.Status != want {
				t.Errorf("%s: %+v, want status %s", email, u, want)
			}
		}
		// Revoking an imported invite puts back the status the row gave.
		if err := sqldb.NewAccountService(db, r).RevokeInvite(ctx, x.user("new@example.com").PublicID); err != nil {
			t.Fatal(err)
		}
		if u := x.user("new@example.com"); u.Status != roster.StatusActive {
			t.Errorf("new@ after a revoke: %s, want active", u.Status)
		}

		// Without mail set up, an import that invites fails and says why.
		x.js.Mail = nil
		j = x.run("email,invite\nlate@example.com,true\n", opts)
		if j.Status != roster.JobFailed || j.Error == "" || x.user("late@example.com") != nil {
			t.Errorf("an inviting import without mail: %s %q", j.Status, j.Error)
		}
	})
}
