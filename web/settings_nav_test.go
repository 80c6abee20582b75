package web_test

import (
	"regexp"
	"slices"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// navLinkRE finds the Settings menu's links and which one is current.
var navLinkRE = regexp.MustCompile(`<a href="(/[^"]*)"( aria-current="page")?>`)

// settingsMenu returns the paths the Settings menu of page path links to,
// and the one marked current.
func settingsMenu(t *testing.T, b *browser, path string) (links []string, current string) {
	t.Helper()
	body := b.page(path)
	nav := regexp.MustCompile(`(?s)<nav class="sp-nav" aria-label="Settings">(.*?)</nav>`).FindStringSubmatch(body)
	if nav == nil {
		t.Fatalf("GET %s: no Settings menu", path)
	}
	for _, m := range navLinkRE.FindAllStringSubmatch(nav[1], -1) {
		links = append(links, m[1])
		if m[2] != "" {
			if current != "" {
				t.Errorf("GET %s: two current entries, %s and %s", path, current, m[1])
			}
			current = m[1]
		}
	}
	return links, current
}

// TestSettingsMenu: every settings and account page shows the one menu,
// with the entries the role may open and the page's section current.
func TestSettingsMenu(t *testing.T) {
	ts := mustOpenServer(t, sqldbtest.MustOpenDB(t, sqldb.SQLite))
	admin := newBrowser(t, ts)
	admin.signIn(roster.RoleAdmin, "/")
	everything := []string{"/settings/fields", "/settings/smart-types", "/settings/staff", "/settings/tokens",
		"/settings/email", "/settings/accounts", "/settings/webhooks", "/settings/api", "/account",
		"/account/two-factor", "/account/devices"}
	for _, tc := range []struct{ page, current string }{
		{"/settings/fields", "/settings/fields"},
		{"/settings/staff", "/settings/staff"},
		{"/settings/email", "/settings/email"},
		{"/settings/email/templates", "/settings/email"},
		{"/settings/accounts", "/settings/accounts"},
		{"/settings/webhooks", "/settings/webhooks"},
		{"/settings/api", "/settings/api"},
		{"/account", "/account"},
		{"/account/devices", "/account/devices"},
	} {
		links, current := settingsMenu(t, admin, tc.page)
		if !slices.Equal(links, everything) {
			t.Errorf("admin, %s: menu %q, want %q", tc.page, links, everything)
		}
		if current != tc.current {
			t.Errorf("admin, %s: current %q, want %q", tc.page, current, tc.current)
		}
	}
	viewer := newBrowser(t, ts)
	viewer.signIn(roster.RoleViewer, "/")
	links, current := settingsMenu(t, viewer, "/account")
	want := []string{"/settings/fields", "/settings/smart-types", "/settings/api", "/account", "/account/two-factor", "/account/devices"}
	if !slices.Equal(links, want) || current != "/account" {
		t.Errorf("viewer, /account: menu %q (current %q), want %q (current /account)", links, current, want)
	}
}
