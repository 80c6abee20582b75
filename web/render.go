package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"roster"
)

//go:embed templates static
var assets embed.FS

// templates holds one parsed template set per page: the layout, the
// partials (templates/partials), then the page itself.
type templates struct {
	pages map[string]*template.Template
	// static maps an asset path to its content hash, for cache-busting URLs.
	static map[string]string
}

func mustParseTemplates() *templates {
	t := &templates{pages: map[string]*template.Template{}, static: map[string]string{}}
	err := fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		sum := sha256.Sum256(b)
		t.static[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:4])
		return err
	})
	if err != nil {
		panic("static assets: " + err.Error()) // embedded at build time: a build mistake
	}
	funcs := template.FuncMap{
		"asset":       func(name string) string { return "/static/" + name + "?v=" + t.static[name] },
		"when":        formatWhen,
		"join":        strings.Join,
		"add":         func(a, b int) int { return a + b },
		"list":        func(s ...string) []string { return s },
		"thousands":   func(n int) string { return thousands(int64(n)) },
		"ms":          func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) },
		"initials":    initials,
		"slug":        func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "-")) },
		"show":        showValue,
		"label":       func(key string) string { f, _ := roster.NewRegistry(nil).Field(key); return f.Label },
		"tagclass":    tagColorClass,
		"bulkpanel":   func(f *bulkForm, st tableState) bulkPanel { return bulkPanel{Form: f, State: st} },
		"ledgerdata":  func(p page, u *roster.User, v *ledgerView) ledgerData { return ledgerData{Page: p, User: u, View: v} },
		"groupfields": func(f groupForm, e formErrors) groupFields { return groupFields{Form: f, Errors: e} },
		"webhookfields": func(prefix string, f webhookForm, e formErrors) webhookFields {
			return webhookFields{P: prefix, F: f, E: e, Events: roster.WebhookEvents}
		},
		"providerName": func(p string) string {
			return map[string]string{roster.ProviderFCM: "FCM", roster.ProviderAPNs: "APNs", roster.ProviderWebPush: "Web Push"}[p]
		},
		"swatches": func(id string, palette []string, selected string) swatches {
			return swatches{ID: id, Palette: palette, Selected: selected}
		},

		// The password policy's lengths, for forms' hints and minlength.
		"staffPasswordMin": func() int { return roster.StaffPasswords.Min },
		"userPasswordMin":  func() int { return roster.UserPasswords.Min },
		"passwordMax":      func() int { return roster.MaxPasswordLen },

		// The timeline's words.
		"clock":     func(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") },
		"kindLabel": kindLabel,
	}
	pages, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil || len(pages) == 0 {
		panic("web: no page templates")
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		t.pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials/*.html", p))
	}
	return t
}

// formatWhen shows a time in the staff member's zone, or a dash.
// kindLabel names a kind of timeline item: "staff" is "Staff action".
func kindLabel(kind string) string {
	switch kind {
	case roster.KindStaff:
		return "Staff action"
	case roster.KindVisit:
		return "Session"
	case "":
		return ""
	}
	return strings.ToUpper(kind[:1]) + kind[1:]
}

func formatWhen(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// page is what every page template gets: the signed-in staff (nil on the
// sign-in page), the CSRF token for its forms and the page's own data.
type page struct {
	Title string
	Staff *roster.Staff
	CSRF  string
	Nav   string
	Flash string
	Data  any
	// SettingsNav is the Settings menu (settings_nav.html) for this
	// staff member and page.
	SettingsNav []navLink
}

// Can reports whether the signed-in staff has permission perm: templates
// show edit controls only to those who may use them (the routes check
// again).
func (p page) Can(perm string) bool { return p.Staff.Can(roster.Permission(perm)) }

const flashCookie = "roster_flash"

// setFlash leaves a message for the next page the browser shows: the
// page a successful form redirects to.
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies || r.TLS != nil})
}

// takeFlash returns the pending message, if any, and clears it.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies || r.TLS != nil})
	msg, _ := url.QueryUnescape(c.Value)
	return msg
}

// render executes the page template name into a buffer and only then
// writes it, so that a template error never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	tmpl, ok := s.templates.pages[name]
	if !ok {
		panic("web: no page template " + name)
	}
	p := page{Title: title, Staff: staffFrom(r), CSRF: csrfFrom(r), Nav: name, Data: data, SettingsNav: s.settingsNav(r)}
	if p.Staff != nil {
		p.Flash = s.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.Logger.Error("render", "template", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows a friendly error page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", http.StatusText(status), struct {
		Status  int
		Message string
	}{status, msg})
}

// handleStatic serves the embedded assets. URLs carry a content hash, so
// they can be cached for good.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if _, ok := s.templates.static[name]; !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	if strings.HasSuffix(name, ".webmanifest") {
		w.Header().Set("Content-Type", "application/manifest+json")
	}
	http.ServeFileFS(w, r, assets, "static/"+name)
}

// handleFavicon answers the address browsers and bots ask for an icon
// at, whatever the page says, with the SVG icon.
func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Type", "image/svg+xml")
	http.ServeFileFS(w, r, assets, "static/favicon.svg")
}

// initials are the avatar of a user without a picture.
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	return string(out)
}

// showValue renders a value of an audit change.
func showValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = showValue(p)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}
