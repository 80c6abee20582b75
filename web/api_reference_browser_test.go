package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestAPIReferenceBrowser opens the API reference in Chromium as a viewer
// (any signed-in staff may read it), finds an operation with its method,
// path, permission, body and curl command, and copies the command: the
// button says so and the text it copied is the command shown.
func TestAPIReferenceBrowser(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	ts := mustOpenServer(t, db)
	tab := chromiumTab(t)
	navigate(t, tab, ts.URL, "/signin")
	run(t, tab, "sign in", chromedp.SendKeys(chromedp.ID("email"), "viewer@staff.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), staffPassword+"\n"))
	waitFor(t, tab, "signed in", `location.pathname === "/" && document.readyState !== "loading"`)

	navigate(t, tab, ts.URL, "/settings")
	waitFor(t, tab, "settings", `document.readyState !== "loading" && document.querySelector('.sp-nav a[href="/settings/api"]') !== null`)
	mouseTo(t, tab, `document.querySelector('.sp-nav a[href="/settings/api"]')`, true)
	waitFor(t, tab, "the reference", `location.pathname === "/settings/api" && document.readyState !== "loading" && document.querySelector("#post_api_v1_tags") !== null`)
	snap(t, tab, "api-reference")

	op := `document.querySelector("#post_api_v1_tags")`
	if got := eval[string](t, tab, op+`.querySelector("h3").textContent`); !strings.Contains(got, "POST") || !strings.Contains(got, "/api/v1/tags") {
		t.Errorf("the operation's heading is %q", got)
	}
	if got := eval[string](t, tab, op+`.querySelector(".api-perm").textContent`); !strings.Contains(got, "organize") {
		t.Errorf("the operation's permission is %q", got)
	}
	if got := eval[string](t, tab, op+`.textContent`); !strings.Contains(got, "Request body") || !strings.Contains(got, "color") {
		t.Errorf("the operation does not describe its body: %q", got)
	}
	curl := eval[string](t, tab, op+`.querySelector(".api-curl pre").textContent`)
	want := `curl -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"color":"#175cd3","name":"VIP"}' "$ROSTER/api/v1/tags"`
	if curl != want {
		t.Errorf("the curl shown is\n%s\nwant\n%s", curl, want)
	}
	// The groups are the description's tags, in order.
	if got := eval[string](t, tab, `[...document.querySelectorAll(".api-group h2")].map(h => h.textContent).slice(0, 2).join(",")`); got != "Users,Search" {
		t.Errorf("the first groups are %q", got)
	}

	mouseTo(t, tab, op+`.querySelector("button.api-copy")`, true)
	waitFor(t, tab, "copied", op+`.querySelector("button.api-copy").dataset.state === "copied"`)
	if got := eval[string](t, tab, op+`.querySelector("button.api-copy").dataset.text`); got != want {
		t.Errorf("copied %q, want %q", got, want)
	}
	if got := eval[string](t, tab, op+`.querySelector("button.api-copy").textContent`); got != "Copied" {
		t.Errorf("the button says %q after copying", got)
	}
}
