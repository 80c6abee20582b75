package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"roster"
)

//go:embed templates static
var assets embed.FS

// templates holds one parsed template set per page: the layout, the
// partials, then the page itself.
type templates struct {
	pages map[string]*template.Template
	// static maps an asset path to its content hash, for cache-busting URLs.
	static map[string]string
}

func mustParseTemplates() *templates {
	t := &templates{pages: map[string]*template.Template{}, static: map[string]string{}}
	fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := assets.ReadFile(p)
		sum := sha256.Sum256(b)
		t.static[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:4])
		return nil
	})
	funcs := template.FuncMap{
		"asset": func(name string) string { return "/static/" + name + "?v=" + t.static[name] },
		"when":  formatWhen,
	}
	pages, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil || len(pages) == 0 {
		panic("web: no page templates")
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		t.pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", p))
	}
	return t
}

// formatWhen shows a time in the staff member's zone, or a dash.
func formatWhen(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format("2 Jan 2006 15:04")
}

// page is what every page template gets: the signed-in staff (nil on the
// sign-in page), the CSRF token for its forms and the page's own data.
type page struct {
	Title string
	Staff *roster.Staff
	CSRF  string
	Nav   string
	Data  any
}

// render executes the page template name into a buffer and only then
// writes it, so that a template error never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	tmpl, ok := s.templates.pages[name]
	if !ok {
		panic("web: no page template " + name)
	}
	csrf, _ := r.Context().Value(csrfKey{}).(string)
	p := page{Title: title, Staff: staffFrom(r), CSRF: csrf, Nav: name, Data: data}
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
	http.ServeFileFS(w, r, assets, "static/"+name)
}
