package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestIcons: every page names its icon and web app manifest, both load,
// and /favicon.ico, which browsers and bots ask for on their own, answers
// the icon rather than a 404.
func TestIcons(t *testing.T) {
	ts := mustOpenServer(t, sqldbtest.MustOpenDB(t, sqldb.SQLite))
	b := newBrowser(t, ts)
	for _, path := range []string{"/signin", "/u/reset"} {
		page := b.get(path)
		wantStatus(t, path, page, http.StatusOK)
		icon := regexp.MustCompile(`<link rel="icon" href="([^"]+)" type="image/svg\+xml">`).FindStringSubmatch(page.Body)
		manifest := regexp.MustCompile(`<link rel="manifest" href="([^"]+)">`).FindStringSubmatch(page.Body)
		if icon == nil || manifest == nil {
			t.Fatalf("%s: no icon or manifest link in the head:\n%s", path, page.Body)
		}
		if r := b.get(html.UnescapeString(icon[1])); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("%s: the icon %s answers %d %s", path, icon[1], r.StatusCode, r.Header.Get("Content-Type"))
		}
		r := b.get(html.UnescapeString(manifest[1]))
		var m struct {
			Name, StartURL string
			Icons          []struct{ Src, Type string }
		}
		if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/manifest+json" || json.Unmarshal([]byte(r.Body), &m) != nil {
			t.Fatalf("%s: the manifest answers %d %s: %s", path, r.StatusCode, r.Header.Get("Content-Type"), r.Body)
		}
		if m.Name != "Roster" || len(m.Icons) == 0 {
			t.Errorf("manifest: %+v", m)
		}
		for _, ic := range m.Icons {
			if r := b.get(ic.Src); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != ic.Type {
				t.Errorf("manifest icon %s answers %d %s", ic.Src, r.StatusCode, r.Header.Get("Content-Type"))
			}
		}
	}
	if r := b.get("/favicon.ico"); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("/favicon.ico answers %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}

	// Member of the Month is in the menu, current on its page.
	b.signIn(roster.RoleViewer, "/")
	page := b.get("/member-of-the-month")
	wantContains(t, "menu", page.Body, `<a href="/member-of-the-month" aria-current="page">Member of the Month</a>`)
}
