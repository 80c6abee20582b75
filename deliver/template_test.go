package deliver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/deliver"
	"roster/deliver/smtptest"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

func newRenderer(t *testing.T) *deliver.Renderer {
	t.Helper()
	r, err := deliver.NewRenderer("Acme Club", "https://club.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Every template of the table has default files that pass the checks an
// edited template must pass (NewRenderer refuses otherwise), and renders
// with its examples.
func TestRenderer_DefaultsFollowTheTable(t *testing.T) {
	r := newRenderer(t)
	for _, info := range roster.MailTemplates {
		src, ok := r.DefaultMailTemplate(info.Name)
		if !ok || src.Subject == "" || src.Text == "" || src.HTML == "" {
			t.Errorf("%s: default %+v, %v", info.Name, src, ok)
			continue
		}
		if err := r.CheckMailTemplate(info.Name, src); err != nil {
			t.Errorf("%s: its default fails its own checks: %v", info.Name, err)
		}
		out, err := r.Preview(context.Background(), info.Name, nil, nil)
		if err != nil {
			t.Errorf("%s: preview: %v", info.Name, err)
			continue
		}
		if !strings.Contains(out.Subject+out.Text+out.HTML, "Acme Club") {
			t.Errorf("%s: the product's name is not in the message: %+v", info.Name, out)
		}
	}
}

func TestRenderer_CheckMailTemplate(t *testing.T) {
	r := newRenderer(t)
	good := roster.MailTemplateSource{Subject: "Welcome, {{.Name}}", Text: "Hello {{.Name}},\n\nWelcome to {{.ProductName}}.\n", HTML: "<p>Hello {{.Name}}</p>"}
	with := func(part, src string) roster.MailTemplateSource {
		s := good
		switch part {
		case "subject":
			s.Subject = src
		case "text":
			s.Text = src
		case "html":
			s.HTML = src
		}
		return s
	}
	for _, tt := range []struct {
		name     string
		template string
		src      roster.MailTemplateSource
		field    string // the part named; "" when accepted
		want     string // how the message starts: the part, the line, the problem
	}{
		{"good", "welcome", good, "", ""},
		{"conditions and ranges over documented variables", "invite", with("text", "{{if .Link}}{{.Link}}{{else}}none{{end}}\n{{with $x := .Expires}}{{$x}} {{$.Name}}{{end}}\n{{printf \"%s!\" .Name | len}}"), "", ""},
		{"unknown variable in the HTML", "welcome", with("html", "<p>Hi</p>\n<p>there</p>\n<p>{{.Nmae}}</p>"), "html", "HTML, line 3: unknown variable .Nmae"},
		{"unknown variable through $", "welcome", with("text", "Hello\n{{$.Nmae}}"), "text", "Text, line 2: unknown variable .Nmae"},
		{"a variable of another template", "welcome", with("text", "Hello\n\n{{.Link}}"), "text", "Text, line 3: unknown variable .Link"},
		{"a field of the data that is not documented", "invite", with("subject", "{{.LinkPath}}"), "subject", "Subject, line 1: unknown variable .LinkPath"},
		{"inside a condition", "welcome", with("html", "{{if .Name}}\n{{.Phone}}\n{{end}}"), "html", "HTML, line 2: unknown variable .Phone"},
		{"bad syntax", "welcome", with("text", "Hello\n{{.Name}\n"), "text", "Text, line 2: "},
		{"unclosed action", "welcome", with("html", "<p>\n\n{{if .Name}}hi</p>"), "html", "HTML, line 3: "},
		{"unknown function", "welcome", with("text", "Hi\n{{upper .Name}}"), "text", `Text, line 2: unknown function "upper"`},
		{"execution error", "welcome", with("html", "<p>\n{{index .Name 99}}</p>"), "html", "HTML, line 2: error calling index"},
		{"execution error in the subject", "welcome", with("subject", "{{slice .Name 0 40}}"), "subject", "Subject, line 1: error calling slice"},
		{"a define", "welcome", with("html", "<p>x</p>\n{{define \"layout\"}}gotcha{{end}}"), "html", "HTML, line 1: defines a template"},
		{"a template call", "welcome", with("html", "<p>x</p>\n{{template \"layout\" .}}"), "html", "HTML, line 2: includes a template"},
		{"an empty subject", "welcome", with("subject", "  "), "subject", "Subject, line 1: is empty"},
		{"an HTML escaping problem", "welcome", with("html", "<a href=\"{{.Email}}"), "html", "HTML, line 1: "},
	} {
		err := r.CheckMailTemplate(tt.template, tt.src)
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want accepted", tt.name, err)
			}
			continue
		}
		msg := roster.ErrorFields(err)[tt.field]
		if roster.ErrorCode(err) != roster.EINVALID || !strings.HasPrefix(msg, tt.want) || roster.ErrorMessage(err) != msg {
			t.Errorf("%s: %v (fields %v), want EINVALID naming %s with %q", tt.name, err, roster.ErrorFields(err), tt.field, tt.want)
		}
	}
	if err := r.CheckMailTemplate("nope", good); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("an unknown template: %v, want ENOTFOUND", err)
	}
}

// An edited template and the stored settings change the message actually
// delivered: its subject and bodies, and its sender; reset to the default,
// the next message is the default again.
func TestRenderer_OverrideIsDelivered(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		r := newRenderer(t)
		settings := sqldb.NewMailSettingsService(db, r)
		settings.Changed = r.Invalidate
		r.UseStore(settings, time.Hour) // only Invalidate makes it read again
		f := newFixtureWith(t, db, r)
		srv := smtptest.Start(t)
		start(t, f, deliver.Config{SMTPURL: srv.URL(), Sender: r.Sender})

		if err := settings.UpdateMailSettings(staffCtx(), roster.MailSettings{ProductName: "Grand Club", FromName: "Grand Desk", FromAddress: "desk@grand.example"}); err != nil {
			t.Fatal(err)
		}
		if _, err := settings.SaveMailTemplate(staffCtx(), roster.TemplateResetPassword, roster.MailTemplateSource{
			Subject: "{{.ProductName}}: a new password for {{.Name}}",
			Text:    "Dear {{.Name}}, follow {{.Link}} within {{.Expires}}.",
			HTML:    "<p>Dear {{.Name}}, <a href=\"{{.Link}}\">choose a password</a>.</p>",
		}); err != nil {
			t.Fatal(err)
		}
		f.queueReset(t)
		got := srv.Wait(t, 1, 10*time.Second)
		p, err := got[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if subj := p.Header.Get("Subject"); subj != "Grand Club: a new password for Grace" {
			t.Errorf("subject %q, want the edited one with the stored product name", subj)
		}
		if link := resetLink.FindString(p.Text); !strings.HasPrefix(p.Text, "Dear Grace, follow https://") || link == "" || !strings.Contains(p.HTML, `<a href="`+link+`">choose a password</a>`) {
			t.Errorf("bodies are not the edited ones:\ntext: %s\nhtml: %s", p.Text, p.HTML)
		}
		if got[0].From != "desk@grand.example" || !strings.Contains(p.Header.Get("From"), "Grand Desk") {
			t.Errorf("sender: envelope %q, header %q; want the stored sender", got[0].From, p.Header.Get("From"))
		}

		if err := settings.ResetMailTemplate(staffCtx(), roster.TemplateResetPassword); err != nil {
			t.Fatal(err)
		}
		f.queueReset(t)
		got = srv.Wait(t, 2, 10*time.Second)
		p, err = got[1].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if subj := p.Header.Get("Subject"); subj != "Reset your Grand Club password" {
			t.Errorf("after a reset: subject %q, want the default's", subj)
		}
	})
}

// A stored template that fails on a real message (here a name shorter
// than the template slices) queues nothing: the cause fails with the part,
// the line and the problem, and rolls back.
func TestRenderer_BrokenOverrideQueuesNothing(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		r := newRenderer(t)
		settings := sqldb.NewMailSettingsService(db, r)
		settings.Changed = r.Invalidate
		r.UseStore(settings, time.Hour)
		f := newFixtureWith(t, db, r)
		// "Ada Lovelace", the example, has 12 characters; "Grace", 5.
		if _, err := settings.SaveMailTemplate(staffCtx(), roster.TemplateResetPassword, roster.MailTemplateSource{
			Subject: "Reset", Text: "Hi\n{{slice .Name 0 10}}", HTML: "<p>Hi</p>",
		}); err != nil {
			t.Fatal(err)
		}
		_, err := f.accounts.SendPasswordReset(staffCtx(), f.userID)
		if roster.ErrorCode(err) != roster.ECONFLICT || !strings.Contains(roster.ErrorMessage(err), "Text, line 2:") || !strings.Contains(roster.ErrorMessage(err), "slice") {
			t.Fatalf("a reset with a broken template: %v, want ECONFLICT naming the part, line and problem", err)
		}
		ms, err := f.outbox.FindOutbox(context.Background(), roster.OutboxFilter{})
		if err != nil || len(ms) != 0 {
			t.Errorf("%d messages queued (%v), want none", len(ms), err)
		}
	})
}

// Two nodes share the database: a setting or template saved on one is in
// force on the other once its short cache has aged, without a restart.
func TestRenderer_ChangesReachOtherNodes(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		a, b := newRenderer(t), newRenderer(t)
		sa, sb := sqldb.NewMailSettingsService(db, a), sqldb.NewMailSettingsService(db, b)
		sa.Changed = a.Invalidate
		a.UseStore(sa, 50*time.Millisecond)
		b.UseStore(sb, 50*time.Millisecond)
		d := roster.MailData{Name: "Grace", Email: "grace@example.com", LinkPath: "/u/reset/x", Expires: "1 hour"}
		subject := func(r *deliver.Renderer) string {
			out, err := r.RenderMail(roster.TemplateResetPassword, d)
			if err != nil {
				t.Fatal(err)
			}
			return out.Subject
		}
		if got := subject(b); got != "Reset your Acme Club password" {
			t.Fatalf("before: %q", got)
		}
		if err := sa.UpdateMailSettings(staffCtx(), roster.MailSettings{ProductName: "Grand Club"}); err != nil {
			t.Fatal(err)
		}
		if _, err := sa.SaveMailTemplate(staffCtx(), roster.TemplateResetPassword, roster.MailTemplateSource{Subject: "{{.ProductName}} reset", Text: "x", HTML: "x"}); err != nil {
			t.Fatal(err)
		}
		if got := subject(a); got != "Grand Club reset" {
			t.Errorf("on the node that saved: %q, want the change at once", got)
		}
		deadline := time.Now().Add(5 * time.Second)
		for subject(b) != "Grand Club reset" {
			if time.Now().After(deadline) {
				t.Fatalf("the other node still renders %q", subject(b))
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
