package sqldb_test

import (
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

func TestSubscriberService_Paste(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		subs, users := sqldb.NewSubscriberService(db, nil), sqldb.NewUserService(db)
		out := MustCreateUser(t, db, "out@example.com")
		in := &roster.User{Email: "in@example.com", Newsletter: true}
		if err := users.CreateUser(ctx, in, ""); err != nil {
			t.Fatal(err)
		}
		if in.NewsletterSource != roster.SourceStaff || in.NewsletterAt.IsZero() {
			t.Fatalf("created subscribed by staff: %q %v", in.NewsletterSource, in.NewsletterAt)
		}

		found, err := subs.FindSubscribers(ctx, []string{"out@example.com", "in@example.com", "nobody@example.com"})
		if err != nil || len(found) != 2 || found["in@example.com"].Newsletter != true || found["out@example.com"].ID != out.ID {
			t.Fatalf("FindSubscribers: %+v, %v", found, err)
		}

		entries, err := roster.ParsePaste("OUT@example.com\nin@example.com\n\"Lovelace, Ada\" <ada.l@example.com>\nout@example.com\nbad@localhost\nx@mailinator.com", true)
		if err != nil {
			t.Fatal(err)
		}
		opts := roster.PasteOptions{Mode: roster.PasteSubscribe, Create: true, Consent: "Signed up at the fair", Validate: true}
		counts, err := subs.ApplyPaste(ctx, opts, roster.PasteBatch{Entries: entries, Last: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := counts.String(); got != "subscribe 1, create 1, already 1, invalid 1, duplicate 1, disposable 1" {
			t.Errorf("counts: %s", got)
		}
		got, err := users.FindUserByID(ctx, out.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Newsletter || got.NewsletterSource != roster.SourcePaste || got.NewsletterConsent != "Signed up at the fair" || got.NewsletterAt.IsZero() {
			t.Errorf("subscribed by paste: %v %q %q %v", got.Newsletter, got.NewsletterSource, got.NewsletterConsent, got.NewsletterAt)
		}
		found, err = subs.FindSubscribers(ctx, []string{"ada.l@example.com"})
		if err != nil || !found["ada.l@example.com"].Newsletter {
			t.Fatalf("created: %+v, %v", found, err)
		}
		ada, err := users.FindUserByID(ctx, found["ada.l@example.com"].PublicID)
		if err != nil || ada.FirstName != "Ada" || ada.LastName != "Lovelace" || ada.NewsletterSource != roster.SourcePaste {
			t.Errorf("created user: %+v, %v", ada, err)
		}
		entriesLog, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "subscribers.paste"})
		if err != nil || len(entriesLog) != 1 || !strings.Contains(entriesLog[0].Note, "subscribe 1") || entriesLog[0].Changes["consent"].After != "Signed up at the fair" {
			t.Errorf("audit: %+v, %v", entriesLog, err)
		}

		// Unsubscribing records when and keeps how they had subscribed.
		entries, _ = roster.ParsePaste("out@example.com; nobody@example.com", false)
		counts, err = subs.ApplyPaste(ctx, roster.PasteOptions{Mode: roster.PasteUnsubscribe}, roster.PasteBatch{Entries: entries})
		if err != nil || counts.String() != "unsubscribe 1, not_found 1" {
			t.Fatalf("unsubscribe: %s, %v", counts, err)
		}
		got, _ = users.FindUserByID(ctx, out.PublicID)
		if got.Newsletter || got.NewsletterUnsubscribedAt.IsZero() || got.NewsletterSource != roster.SourcePaste {
			t.Errorf("unsubscribed by paste: %v %v %q", got.Newsletter, got.NewsletterUnsubscribedAt, got.NewsletterSource)
		}

		if _, err := subs.ApplyPaste(ctx, roster.PasteOptions{Mode: "maybe"}, roster.PasteBatch{Entries: entries}); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("bad mode: %v", err)
		}
	})
}

func TestSubscriberService_UnsubscribeUser(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		subs, users := sqldb.NewSubscriberService(db, nil), sqldb.NewUserService(db)
		u := &roster.User{Email: "leaving@example.com", Newsletter: true}
		apiCtx := roster.NewContextWithSubscription(ctx, roster.Subscription{Source: roster.SourceAPI})
		if err := users.CreateUser(apiCtx, u, ""); err != nil {
			t.Fatal(err)
		}
		for click := 1; click <= 2; click++ { // a second click changes nothing and succeeds
			got, err := subs.UnsubscribeUser(t.Context(), u.ID)
			if err != nil || got.Newsletter || got.NewsletterUnsubscribedAt.IsZero() || got.NewsletterSource != roster.SourceSelf || got.NewsletterAt.IsZero() {
				t.Fatalf("click %d: %+v, %v", click, got, err)
			}
		}
		log, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "user.unsubscribe"})
		if err != nil || len(log) != 1 || log[0].Actor != "user "+u.PublicID || log[0].Changes["newsletter"].After != false {
			t.Errorf("audit: %+v, %v", log, err)
		}
		if _, err := subs.UnsubscribeUser(t.Context(), 987654); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("unknown user: %v", err)
		}
		// A staff edit subscribing again records staff and clears when
		// they had left.
		got, err := users.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{"newsletter": true}})
		if err != nil || got.NewsletterSource != roster.SourceStaff || !got.NewsletterUnsubscribedAt.IsZero() {
			t.Errorf("subscribed again: %+v, %v", got, err)
		}
	})
}
