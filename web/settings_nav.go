package web

import (
	"net/http"
	"strings"
)

// settingsSections is the Settings menu, in its order: the one list every
// settings and account page shows (templates/partials/settings_nav.html).
// Who sees an entry is not written here: it is the permission of the
// entry's GET route in the route table.
var settingsSections = []struct{ Path, Label string }{
	{"/settings/fields", "Custom fields"},
	{"/settings/smart-types", "Smart types"},
	{"/settings/staff", "Staff accounts"},
	{"/settings/tokens", "API tokens"},
	{"/settings/email", "Email"},
	{"/settings/accounts", "Accounts"},
	{"/settings/webhooks", "Webhooks"},
	{"/settings/api", "API reference"},
	{"/account", "Your account"},
	{"/account/two-factor", "Two-factor sign-in"},
	{"/account/devices", "Devices"},
}

// navLink is one entry of the Settings menu as a page shows it.
type navLink struct {
	Path, Label string
	Current     bool // the page shown is this section or below it
}

// settingsNav returns the entries of the Settings menu the signed-in staff
// may open, the section of r's page marked current: the entry with the
// longest path that r's path is, or is below.
func (s *Server) settingsNav(r *http.Request) []navLink {
	staff := staffFrom(r)
	if staff == nil {
		return nil
	}
	perms := make(map[string]Route, len(s.table))
	for _, rt := range s.table {
		if rt.Method() == http.MethodGet {
			perms[rt.Path()] = rt
		}
	}
	var links []navLink
	current := -1
	for _, sec := range settingsSections {
		rt, ok := perms[sec.Path]
		if !ok || (rt.Perm != public && !staff.Can(rt.Perm)) {
			continue
		}
		if sec.Path == "/settings/webhooks" && s.Webhooks == nil {
			continue
		}
		p := r.URL.Path
		if p == sec.Path || strings.HasPrefix(p, sec.Path+"/") {
			if current < 0 || len(sec.Path) > len(links[current].Path) {
				current = len(links)
			}
		}
		links = append(links, navLink{Path: sec.Path, Label: sec.Label})
	}
	if current >= 0 {
		links[current].Current = true
	}
	return links
}
