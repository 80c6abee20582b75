package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/deliver/smtptest"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// TestMail_UnsubscribeEndToEnd queues a message that is not transactional
// to a subscriber, has the worker deliver it to a real SMTP server, and
// follows its List-Unsubscribe link as a mail client would (a one-click
// POST, twice) and as a person would (the page, its button).
func TestMail_UnsubscribeEndToEnd(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		srv := smtptest.Start(t)
		runWorker(t, ts, srv)
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		subs := ts.Web.Subscribers.(*sqldb.SubscriberService)
		id := ts.createUser(t, `{"email":"ada@example.com","first_name":"Ada","newsletter":true}`)
		user := func(id string) map[string]any {
			t.Helper()
			_, out := ts.do(t, roster.RoleAdmin, "GET", "/api/v1/users/"+id, "")
			var m map[string]any
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		if u := user(id); u["newsletter_source"] != "api" || u["newsletter_at"] == "" {
			t.Fatalf("subscribed through the API: %v", u)
		}
		found, err := subs.FindSubscribers(ctx, []string{"ada@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		// Campaign templates come later: any template goes out as a list
		// message here.
		m, err := subs.QueueListMail(ctx, found["ada@example.com"].ID, roster.TemplateInvite, roster.MailData{LinkPath: "/", Expires: "7 days"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.UnsubscribeURL, "https://roster.example.com/u/unsubscribe/"+id+".") {
			t.Fatalf("queued with unsubscribe URL %q", m.UnsubscribeURL)
		}
		got := srv.Wait(t, 1, 10*time.Second)[0]
		p, err := got.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if h := p.Header.Get("List-Unsubscribe"); h != "<"+m.UnsubscribeURL+">" {
			t.Errorf("List-Unsubscribe: %q, want <%s>", h, m.UnsubscribeURL)
		}
		if h := p.Header.Get("List-Unsubscribe-Post"); h != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post: %q", h)
		}
		if !strings.Contains(p.Text, m.UnsubscribeURL) || !strings.Contains(p.HTML, m.UnsubscribeURL) {
			t.Errorf("a part lacks the unsubscribe link:\ntext: %s\nhtml: %s", p.Text, p.HTML)
		}
		link := strings.TrimPrefix(m.UnsubscribeURL, "https://roster.example.com")

		b := newBrowser(t, ts) // no staff session
		page := b.get(link)
		wantStatus(t, "unsubscribe page", page, http.StatusOK)
		checkSecurityHeaders(t, "unsubscribe page", page)
		wantContains(t, "unsubscribe page", page.Body, "Unsubscribe from Roster", "a•••@example.com", `action="`+link+`"`)
		wantLacks(t, "unsubscribe page", page.Body, "ada@example.com")
		if u := user(id); u["newsletter"] != true {
			t.Fatalf("opening the page unsubscribed: %v", u["newsletter"])
		}

		// The mail client's one-click POST, then a retry: no CSRF token.
		for i := range 2 {
			resp := b.post(link, url.Values{"List-Unsubscribe": {"One-Click"}}, nil)
			wantStatus(t, "one-click POST", resp, http.StatusOK)
			if i == 0 {
				u := user(id)
				if u["newsletter"] != false || u["newsletter_source"] != "self" || u["newsletter_unsubscribed_at"] == nil || u["newsletter_unsubscribed_at"] == "" {
					t.Fatalf("after one click: %v %v %v", u["newsletter"], u["newsletter_source"], u["newsletter_unsubscribed_at"])
				}
			}
		}
		// The person's own click afterwards.
		done := b.post(link, url.Values{}, nil)
		wantStatus(t, "unsubscribe button", done, http.StatusOK)
		wantContains(t, "unsubscribe button", done.Body, "You are unsubscribed", "a•••@example.com")
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "user.unsubscribe"})
		if err != nil || len(entries) != 1 || entries[0].Actor != "user "+id {
			t.Errorf("audit: %+v, %v", entries, err)
		}

		// A token changed by one letter, or of another user, is refused
		// and unsubscribes nobody.
		other := ts.createUser(t, `{"email":"bob@example.com","newsletter":true}`)
		otherToken, err := subs.UnsubscribeToken(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		_, mac, _ := strings.Cut(otherToken, ".")
		for _, bad := range []string{id + "." + mac, other + "." + strings.ToUpper(mac[:1]) + mac[1:] + "x", other, "nope", other + ".!!"} {
			resp := b.post("/u/unsubscribe/"+bad, url.Values{"List-Unsubscribe": {"One-Click"}}, nil)
			wantStatus(t, "bad token "+bad, resp, http.StatusNotFound)
			wantContains(t, "bad token", resp.Body, "cannot be used")
			wantStatus(t, "bad token page", b.get("/u/unsubscribe/"+bad), http.StatusNotFound)
		}
		if u := user(other); u["newsletter"] != true {
			t.Errorf("a bad token unsubscribed bob")
		}

		// No list mail to one who left; transactional mail has no header.
		if _, err := subs.QueueListMail(ctx, found["ada@example.com"].ID, roster.TemplateInvite, roster.MailData{}); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Errorf("list mail to an unsubscribed user: %v", err)
		}
		ts.call(t, roster.RoleSupport, "POST", "/api/v1/users/"+id+"/password-reset", "", http.StatusAccepted)
		reset, err := srv.Wait(t, 2, 10*time.Second)[1].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if h := reset.Header.Get("List-Unsubscribe"); h != "" || strings.Contains(reset.Text, "/u/unsubscribe/") {
			t.Errorf("a transactional message carries an unsubscribe link: %q", h)
		}
	})
}

func TestPages_Subscribers(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServerWith(t, db, func(s *web.Server) { s.Jobs = sqldb.NewJobService(db) })
		ts.createUser(t, `{"email":"in@example.com","newsletter":true}`)
		ts.createUser(t, `{"email":"out@example.com"}`)
		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")
		wantContains(t, "users page", admin.get("/users").Body, `href="/users/subscribers"`)
		form := admin.get("/users/subscribers")
		wantStatus(t, "subscribers page", form, http.StatusOK)
		wantContains(t, "subscribers page", form.Body, `action="/users/subscribers/preview"`, `name="addresses"`)

		paste := "out@example.com\nin@example.com\nAda <new@example.com>; bad\nada@gmial.com\nOUT@example.com"
		resp := admin.postForm("/users/subscribers", "/users/subscribers/preview",
			url.Values{"addresses": {paste}, "mode": {"subscribe"}, "create": {"1"}, "validate": {"1"}, "consent": {"At the fair"}})
		wantStatus(t, "preview", resp, http.StatusOK)
		wantContains(t, "preview", resp.Body, "6 addresses, 2 to change", `id="outcome-subscribe"`, `id="outcome-create"`,
			`id="outcome-already"`, `id="outcome-invalid"`, `id="outcome-duplicate"`, "already on line 1",
			`id="outcome-typo"`, "did you mean ada@gmail.com?", `action="/users/subscribers/apply"`, "Apply to 2 addresses")

		bad := admin.postForm("/users/subscribers", "/users/subscribers/preview", url.Values{"addresses": {"a@example.com"}, "mode": {"both"}})
		wantStatus(t, "bad mode", bad, http.StatusUnprocessableEntity)
		wantContains(t, "bad mode", bad.Body, "The mode &#34;both&#34; is not one of subscribe, unsubscribe")
		empty := admin.postForm("/users/subscribers", "/users/subscribers/preview", url.Values{"addresses": {" ; "}, "mode": {"subscribe"}})
		wantStatus(t, "empty paste", empty, http.StatusUnprocessableEntity)
		wantContains(t, "empty paste", empty.Body, "The paste holds no address")

		applied := admin.postForm("/users/subscribers", "/users/subscribers/apply",
			url.Values{"addresses": {paste}, "mode": {"subscribe"}, "create": {"1"}, "validate": {"1"}, "consent": {"At the fair"}})
		wantStatus(t, "apply", applied, http.StatusSeeOther)
		loc := applied.Header.Get("Location")
		if !strings.HasPrefix(loc, "/users/subscribers?job=") {
			t.Fatalf("apply went to %q", loc)
		}
		job := admin.get(loc)
		wantStatus(t, "job page", job, http.StatusOK)
		wantContains(t, "job page", job.Body, "subscribe 6 pasted addresses, creating missing users, validated", `id="paste-progress"`, "queued")
		wantStatus(t, "another kind's job", admin.get("/users/subscribers?job=999999"), http.StatusNotFound)

		// The largest paste, over the 2 MiB of a plain form: the page
		// posts it as multipart.
		var big strings.Builder
		for i := range roster.MaxPasteAddresses {
			fmt.Fprintf(&big, "someone.with.a.long.name%d@example.com\n", i)
		}
		csrf := formValue(t, csrfInput, form.Body)
		large := admin.postFile("/users/subscribers/preview", map[string]string{"csrf": csrf, "addresses": big.String(), "mode": "unsubscribe"}, "none.txt", "")
		wantStatus(t, "largest paste", large, http.StatusOK)
		wantContains(t, "largest paste", large.Body, "100,000 addresses, 0 to change", "All their lines: 1–100000", "Nothing to change.")
		big.WriteString("one.more@example.com\n")
		tooMany := admin.postFile("/users/subscribers/preview", map[string]string{"csrf": csrf, "addresses": big.String(), "mode": "unsubscribe"}, "none.txt", "")
		wantStatus(t, "too large a paste", tooMany, http.StatusUnprocessableEntity)
		wantContains(t, "too large a paste", tooMany.Body, "The paste holds more than 100000 addresses")

		viewer := newBrowser(t, ts)
		viewer.signIn(roster.RoleViewer, "/")
		wantStatus(t, "viewer", viewer.get("/users/subscribers"), http.StatusForbidden)
	})
}

func TestAPI_Subscribers(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServerWith(t, db, func(s *web.Server) { s.Jobs = sqldb.NewJobService(db) })
		ts.createUser(t, `{"email":"in@example.com","newsletter":true}`)
		out := ts.call(t, roster.RoleManager, "POST", "/api/v1/subscribers/preview",
			`{"addresses":["in@example.com","new@example.com","info@acme.com","nope"],"mode":"subscribe","create":true,"validate":true}`, http.StatusOK)
		wantContains(t, "preview", out, `"total":4`, `"writes":2`, `"outcome":"already"`, `"outcome":"create"`, `"outcome":"role"`,
			`"outcome":"invalid"`, `"line":4`, `"detail":"is not an email address"`)
		out = ts.call(t, roster.RoleManager, "POST", "/api/v1/subscribers/preview", `{"addresses":"in@example.com, x@example.com","mode":"unsubscribe"}`, http.StatusOK)
		wantContains(t, "preview text", out, `"outcome":"unsubscribe"`, `"outcome":"not_found"`)

		ts.fails(t, roster.RoleManager, "POST", "/api/v1/subscribers/preview", `{"mode":"subscribe"}`, http.StatusUnprocessableEntity, `"addresses":`)
		ts.fails(t, roster.RoleManager, "POST", "/api/v1/subscribers/preview", `{"addresses":5,"mode":"subscribe"}`, http.StatusUnprocessableEntity, `"addresses":`)
		ts.fails(t, roster.RoleManager, "POST", "/api/v1/subscribers/preview", `{"addresses":"a@example.com","mode":"all"}`, http.StatusUnprocessableEntity, `"mode":`)
		ts.fails(t, roster.RoleManager, "POST", "/api/v1/subscribers/preview", `{"addresses":"a@example.com","mode":"unsubscribe","create":true}`, http.StatusUnprocessableEntity, `"create":`)
		ts.fails(t, roster.RoleManager, "POST", "/api/v1/subscribers/apply", `{"addresses":"a@example.com","mode":"subscribe","consent":"a\nb"}`, http.StatusUnprocessableEntity, `"consent":`)
		ts.fails(t, roster.RoleManager, "POST", "/api/v1/subscribers/preview", `{"addresses":"a@example.com","mode":"subscribe","colour":1}`, http.StatusBadRequest, "colour")
		ts.fails(t, roster.RoleSupport, "POST", "/api/v1/subscribers/apply", `{"addresses":"a@example.com","mode":"subscribe"}`, http.StatusForbidden)

		out = ts.call(t, roster.RoleManager, "POST", "/api/v1/subscribers/apply", `{"addresses":["in@example.com"],"mode":"unsubscribe"}`, http.StatusAccepted)
		wantContains(t, "apply", out, `"status":"queued"`, `"total":1`, `"note":"unsubscribe 1 pasted addresses"`)
		wantLacks(t, "apply", out, "in@example.com")
		var j struct{ URL string }
		json.Unmarshal([]byte(out), &j)
		wantContains(t, "job", ts.call(t, roster.RoleManager, "GET", j.URL, "", http.StatusOK), `"status":"queued"`)
		ts.fails(t, roster.RoleManager, "GET", "/api/v1/subscribers/424242", "", http.StatusNotFound)
	})
}
