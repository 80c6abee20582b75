package web

import (
	"net/http"
	"strings"

	"roster"
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

// settingsEntry is a section of the Settings menu and the permission its
// page needs.
type settingsEntry struct {
	Path, Label string
	Perm        roster.Permission
}

// buildSettingsMenu gives each section the permission of its GET route;
// a section whose page this server does not serve is left out.
func (s *Server) buildSettingsMenu() []settingsEntry {
	perms := make(map[string]roster.Permission, len(s.table))
	for _, rt := range s.table {
		if rt.Method() == http.MethodGet {
			perms[rt.Path()] = rt.Perm
		}
	}
	var menu []settingsEntry
	for _, sec := range settingsSections {
		perm, ok := perms[sec.Path]
		if !ok || (sec.Path == "/settings/webhooks" && s.Webhooks == nil) {
			continue
		}
		menu = append(menu, settingsEntry{Path: sec.Path, Label: sec.Label, Perm: perm})
	}
	return menu
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
	var links []navLink
	current := -1
	for _, e := range s.settingsMenu {
		if e.Perm != public && !staff.Can(e.Perm) {
			continue
		}
		if p := r.URL.Path; p == e.Path || strings.HasPrefix(p, e.Path+"/") {
			if current < 0 || len(e.Path) > len(links[current].Path) {
				current = len(links)
			}
		}
		links = append(links, navLink{Path: e.Path, Label: e.Label})
	}
	if current >= 0 {
		links[current].Current = true
	}
	return links
}
