package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestMailTemplatesBrowser edits a template as staff would in Chromium: a
// typo in the HTML is refused with its line and kept in the editor, the
// preview shows the typed template for a real user, and Save stores it.
func TestMailTemplatesBrowser(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	ts := mustOpenServer(t, db)
	ts.createUser(t, `{"email":"lin@example.com","first_name":"Lin","last_name":"Yu"}`)
	tab := chromiumTab(t)
	navigate(t, tab, ts.URL, "/signin")
	run(t, tab, "sign in", chromedp.SendKeys(chromedp.ID("email"), "admin@staff.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), staffPassword+"\n"))
	waitFor(t, tab, "signed in", `location.pathname === "/"`)

	navigate(t, tab, ts.URL, "/settings/email/templates")
	snap(t, tab, "mail-templates")
	mouseTo(t, tab, `document.querySelector('#template-welcome a')`, true)
	// The address changes when the navigation commits, before the page
	// is parsed: wait for the editor itself.
	waitFor(t, tab, "editor", `location.pathname === "/settings/email/templates/welcome" && document.querySelector("#t-html") !== null`)

	html := `document.querySelector("#t-html")`
	clear := func() { eval[bool](t, tab, `(document.querySelector("#t-html").value = "", true)`) }
	clear()
	run(t, tab, "type a typo", chromedp.SendKeys("#t-html", "<p>Hello {{.Name}},</p>\n<p>welcome.</p>\n<p>{{.Nmae}}</p>"))
	mouseTo(t, tab, `document.querySelector('button[value="save"]')`, true)
	waitFor(t, tab, "refused", `document.querySelector("#t-html-error") !== null`)
	if got := eval[string](t, tab, `document.querySelector("#t-html-error").textContent`); got != "HTML, line 3: unknown variable .Nmae" {
		t.Errorf("the error says %q", got)
	}
	if got := eval[string](t, tab, html+`.value`); !strings.Contains(got, "{{.Nmae}}") {
		t.Errorf("the editor lost what was typed: %q", got)
	}
	snap(t, tab, "mail-template-refused")

	clear()
	run(t, tab, "fix it", chromedp.SendKeys("#t-html", "<p>Hello {{.Name}},</p>\n<p>welcome to {{.ProductName}}.</p>"),
		chromedp.SendKeys("#t-user", "lin@example.com"))
	mouseTo(t, tab, `document.querySelector('button[value="preview"]')`, true)
	waitFor(t, tab, "preview", `document.querySelector("#preview") !== null && document.querySelector("#t-html-error") === null`)
	if got := eval[string](t, tab, `document.querySelector("#preview h2").textContent`); got != "Preview for Lin Yu <lin@example.com>" {
		t.Errorf("preview heading %q", got)
	}
	if got := eval[string](t, tab, `document.querySelector("#preview iframe").srcdoc`); !strings.Contains(got, "<p>welcome to Roster.</p>") || !strings.Contains(got, "Hello Lin Yu,") {
		t.Errorf("the preview's HTML is not the typed template for Lin: %s", got)
	}
	snap(t, tab, "mail-template-preview")
	mouseTo(t, tab, `document.querySelector('button[value="save"]')`, true)
	waitFor(t, tab, "saved", `document.querySelector("strong#template-state") !== null`)
}
