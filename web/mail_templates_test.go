package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

func TestPages_MailTemplates(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"lin@example.com","first_name":"Lin","last_name":"Yu"}`)
		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")

		// The list: every template of the table, with its variables.
		list := admin.get("/settings/email/templates")
		wantStatus(t, "templates", list, http.StatusOK)
		for _, info := range roster.MailTemplates {
			wantContains(t, "templates", list.Body, `id="template-`+info.Name+`"`, info.Label)
		}
		wantContains(t, "templates", list.Body, "{{.Expires}}", `In force: the name “Roster”, no sender yet`)
		wantContains(t, "outbox", admin.get("/settings/email").Body, `href="/settings/email/templates"`)

		// Settings: refused with the field named, then saved and in force.
		resp := admin.postForm("/settings/email/templates", "/settings/email/settings", url.Values{"product_name": {"Lin's Club"}, "from_address": {"not an address"}})
		wantStatus(t, "bad sender", resp, http.StatusUnprocessableEntity)
		wantContains(t, "bad sender", resp.Body, "Sender address is not a valid email address", `value="Lin&#39;s Club"`)
		resp = admin.postForm("/settings/email/templates", "/settings/email/settings", url.Values{"product_name": {"Yu Club"}, "from_name": {"Yu Desk"}, "from_address": {"desk@yu.example"}})
		wantRedirect(t, "settings", resp, "/settings/email/templates")
		wantContains(t, "settings", admin.get("/settings/email/templates").Body, `In force: the name “Yu Club”, sent from &#34;Yu Desk&#34; &lt;desk@yu.example&gt;`)

		// The editor: the default, the variables, a preview on the examples.
		page := admin.get("/settings/email/templates/invite")
		wantStatus(t, "editor", page, http.StatusOK)
		wantContains(t, "editor", page.Body, `id="template-state">the default`, "You are invited to {{.ProductName}}",
			"{{.Link}}", "the single-use link", "Preview for the variables&#39; examples", "You are invited to Yu Club", "Ada Lovelace")
		// On a real user, by email or id.
		for _, who := range []string{"LIN@example.com", id} {
			page = admin.get("/settings/email/templates/invite?user=" + url.QueryEscape(who))
			wantStatus(t, "preview for "+who, page, http.StatusOK)
			wantContains(t, "preview for "+who, page.Body, "Preview for Lin Yu &lt;lin@example.com&gt;", "Hello Lin Yu,")
		}
		page = admin.get("/settings/email/templates/invite?user=nobody@example.com")
		wantStatus(t, "preview for nobody", page, http.StatusUnprocessableEntity)
		wantContains(t, "preview for nobody", page.Body, "matches no user")
		wantStatus(t, "unknown template", admin.get("/settings/email/templates/nope"), http.StatusNotFound)

		// A broken template: refused with the part, the line and the
		// problem, shown as typed, nothing saved.
		broken := url.Values{"op": {"save"}, "subject": {"Join {{.ProductName}}"}, "text": {"Hi {{.Name}}\n{{.Link}}"}, "html": {"<p>Hi</p>\r\n<p>there</p>\r\n<p>{{.Nmae}}</p>"}}
		resp = admin.postForm("/settings/email/templates/invite", "/settings/email/templates/invite", broken)
		wantStatus(t, "broken", resp, http.StatusUnprocessableEntity)
		wantContains(t, "broken", resp.Body, `id="t-html-error">HTML, line 3: unknown variable .Nmae`, "{{.Nmae}}")
		wantContains(t, "after broken", admin.get("/settings/email/templates/invite").Body, `id="template-state">the default`)

		// A preview of what is typed saves nothing.
		good := url.Values{"op": {"preview"}, "subject": {"Join {{.ProductName}}, {{.Name}}"}, "text": {"Hi {{.Name}}\n{{.Link}}"}, "html": {`<p><a href="{{.Link}}">Join</a></p>`}, "user": {"lin@example.com"}}
		resp = admin.postForm("/settings/email/templates/invite", "/settings/email/templates/invite", good)
		wantStatus(t, "preview", resp, http.StatusOK)
		wantContains(t, "preview", resp.Body, `id="preview-subject">Join Yu Club, Lin Yu<`)
		wantContains(t, "after preview", admin.get("/settings/email/templates/invite").Body, `id="template-state">the default`)

		// Saved, it is the message staff queue next.
		good.Set("op", "save")
		resp = admin.postForm("/settings/email/templates/invite", "/settings/email/templates/invite", good)
		wantRedirect(t, "save", resp, "/settings/email/templates/invite")
		wantContains(t, "after save", admin.get("/settings/email/templates/invite").Body, `<strong id="template-state">edited</strong>`, "Reset to default")
		out := ts.call(t, roster.RoleAdmin, "POST", "/api/v1/users/"+id+"/invite", "", http.StatusAccepted)
		m := ts.newest(t)
		if m.Subject != "Join Yu Club, Lin Yu" || !strings.HasPrefix(m.Text, "Hi Lin Yu\nhttps://roster.example.com/u/invite/") {
			t.Errorf("the invite after the edit: subject %q, text %q (%s)", m.Subject, m.Text, out)
		}

		// Reset: the default again.
		resp = admin.postForm("/settings/email/templates/invite", "/settings/email/templates/invite", url.Values{"op": {"reset"}})
		wantRedirect(t, "reset", resp, "/settings/email/templates/invite")
		wantContains(t, "after reset", admin.get("/settings/email/templates/invite").Body, `id="template-state">the default`)
		ts.call(t, roster.RoleAdmin, "POST", "/api/v1/users/"+id+"/invite", "", http.StatusAccepted)
		if m := ts.newest(t); m.Subject != "You are invited to Yu Club" {
			t.Errorf("the invite after a reset: subject %q", m.Subject)
		}

		// Staff without the permission do not see them.
		support := newBrowser(t, ts)
		support.signIn(roster.RoleSupport, "/")
		wantStatus(t, "support", support.get("/settings/email/templates/invite"), http.StatusForbidden)
	})
}

// newest returns the newest message of the outbox.
func (ts *testServer) newest(t *testing.T) *roster.OutboxMessage {
	t.Helper()
	ms, err := ts.Outbox.FindOutbox(t.Context(), roster.OutboxFilter{Limit: 1})
	if err != nil || len(ms) == 0 {
		t.Fatalf("no message: %v", err)
	}
	return ms[0]
}

func TestAPI_MailTemplates(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		type tmpl struct {
			Name          string `json:"name"`
			Transactional bool   `json:"transactional"`
			Edited        bool   `json:"edited"`
			Subject       string `json:"subject"`
			Variables     []struct {
				Name, Description, Example string
			} `json:"variables"`
		}
		list := decode[struct{ Templates []tmpl }](t, ts.call(t, roster.RoleAdmin, "GET", "/api/v1/mail/templates", "", http.StatusOK))
		if len(list.Templates) != len(roster.MailTemplates) {
			t.Fatalf("%d templates, want %d", len(list.Templates), len(roster.MailTemplates))
		}
		for i, info := range roster.MailTemplates {
			got := list.Templates[i]
			if got.Name != info.Name || got.Transactional != info.Transactional || got.Edited || got.Subject == "" || len(got.Variables) != len(info.Vars) ||
				got.Variables[0].Description == "" || got.Variables[0].Example == "" {
				t.Errorf("template %d: %+v, want %s", i, got, info.Name)
			}
		}
		ts.fails(t, roster.RoleSupport, "GET", "/api/v1/mail/templates", "", http.StatusForbidden)
		ts.fails(t, roster.RoleAdmin, "GET", "/api/v1/mail/templates/nope", "", http.StatusNotFound)

		// Refused: the part named, the line and the problem; nothing saved.
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/mail/templates/welcome", `{"subject":"Hi","text":"a\nb\n{{upper .Name}}","html":"<p>x</p>"}`,
			http.StatusUnprocessableEntity, `"text":"Text, line 3: unknown function \"upper\""`)
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/mail/templates/welcome", `{"subject":"Hi"}`, http.StatusUnprocessableEntity, `"text":"is required`, `"html":"is required`)
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/mail/templates/welcome", `{"subject":"Hi","text":"x","html":"x","extra":1}`, http.StatusBadRequest)
		if got := decode[tmpl](t, ts.call(t, roster.RoleAdmin, "GET", "/api/v1/mail/templates/welcome", "", http.StatusOK)); got.Edited {
			t.Errorf("a refused template was saved: %+v", got)
		}

		got := decode[tmpl](t, ts.call(t, roster.RoleAdmin, "PUT", "/api/v1/mail/templates/welcome", `{"subject":"Hello {{.Name}}","text":"Hi","html":"<p>Hi</p>"}`, http.StatusOK))
		if !got.Edited || got.Subject != "Hello {{.Name}}" {
			t.Errorf("after PUT: %+v", got)
		}
		got = decode[tmpl](t, ts.call(t, roster.RoleAdmin, "DELETE", "/api/v1/mail/templates/welcome", "", http.StatusOK))
		if got.Edited || got.Subject != "Welcome to {{.ProductName}}" {
			t.Errorf("after DELETE: %+v", got)
		}

		// Settings.
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/mail/settings", `{"product_name":"A\nB","from_name":"","from_address":"nope"}`, http.StatusUnprocessableEntity,
			`"product_name":"must be one line"`, `"from_address":"is not a valid email address"`)
		out := ts.call(t, roster.RoleAdmin, "PUT", "/api/v1/mail/settings", `{"product_name":" Acme ","from_name":"Acme Desk","from_address":"Desk@Acme.example"}`, http.StatusOK)
		for _, want := range []string{`"stored":{"product_name":"Acme","from_name":"Acme Desk","from_address":"desk@acme.example"}`, `"in_force":{"product_name":"Acme"`} {
			if !strings.Contains(out, want) {
				t.Errorf("settings: %s lacks %s", out, want)
			}
		}
	})
}
