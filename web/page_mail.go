package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"roster"
	"roster/query"
)

// Settings → Email → Templates: the mail settings (product name, sender)
// and the templates of every message, each editable (subject, text, HTML)
// with its documented variables beside it, previewed on a real user or on
// the variables' examples, and reset to its default. The JSON API offers
// the same.

// MailPreviewer renders templates for these pages: the renderer.
type MailPreviewer interface {
	roster.MailTemplateChecker
	// Preview renders src (nil: the template in force) for template name
	// with d's values, the variables' examples where d (or d itself) is
	// empty.
	Preview(ctx context.Context, name string, src *roster.MailTemplateSource, d *roster.MailData) (roster.RenderedMail, error)
	// Settings returns the mail settings in force.
	Settings(ctx context.Context) (roster.MailSettings, error)
}

// mailTemplateRow is one template of the list.
type mailTemplateRow struct {
	Info      roster.MailTemplateInfo
	Edited    bool
	UpdatedAt time.Time
}

// mailTemplatesView is the list of templates with the settings form.
type mailTemplatesView struct {
	Templates []mailTemplateRow
	Settings  roster.MailSettings // as stored (or as typed, when refused)
	InForce   roster.MailSettings // what messages use now
	Errors    map[string]string
	Error     string
	Loc       *time.Location
}

func (s *Server) mailTemplatesView(r *http.Request) (mailTemplatesView, error) {
	ctx := r.Context()
	view := mailTemplatesView{Loc: staffFrom(r).Location()}
	overrides, err := s.MailSettings.FindMailTemplates(ctx)
	if err != nil {
		return view, err
	}
	edited := map[string]*roster.MailTemplateOverride{}
	for _, o := range overrides {
		edited[o.Name] = o
	}
	for _, info := range roster.MailTemplates {
		row := mailTemplateRow{Info: info}
		if o := edited[info.Name]; o != nil {
			row.Edited, row.UpdatedAt = true, o.UpdatedAt
		}
		view.Templates = append(view.Templates, row)
	}
	if view.Settings, err = s.MailSettings.MailSettings(ctx); err != nil {
		return view, err
	}
	view.InForce, err = s.MailRenderer.Settings(ctx)
	return view, err
}

func (s *Server) handleMailTemplates(w http.ResponseWriter, r *http.Request) {
	view, err := s.mailTemplatesView(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mail_templates", "Email templates", view)
}

func (s *Server) handleMailSettings(w http.ResponseWriter, r *http.Request) {
	set := roster.MailSettings{ProductName: r.PostFormValue("product_name"), FromName: r.PostFormValue("from_name"), FromAddress: r.PostFormValue("from_address")}
	err := s.MailSettings.UpdateMailSettings(r.Context(), set)
	if err == nil {
		s.setFlash(w, r, "Mail settings saved.")
		http.Redirect(w, r, "/settings/email/templates", http.StatusSeeOther)
		return
	}
	if !refusal(err) {
		s.error(w, r, err)
		return
	}
	view, verr := s.mailTemplatesView(r)
	if verr != nil {
		s.error(w, r, verr)
		return
	}
	view.Settings, view.Errors, view.Error = set, roster.ErrorFields(err), roster.ErrorMessage(err)
	s.render(w, r, errorStatus(err), "mail_templates", "Email templates", view)
}

// mailTemplateView is the editor of one template.
type mailTemplateView struct {
	Info    roster.MailTemplateInfo
	Source  roster.MailTemplateSource
	Edited  bool
	Errors  map[string]string // by part: subject, text, html
	Error   string
	User    string // the preview's user, as typed
	For     string // who the preview is for, in words
	Preview *roster.RenderedMail
	// Frame is the preview's HTML for a sandboxed frame.
	Frame string
}

// loadMailTemplate returns the editor of template name with the source in
// force, or writes the error.
func (s *Server) loadMailTemplate(w http.ResponseWriter, r *http.Request) (*mailTemplateView, bool) {
	name := r.PathValue("name")
	info, ok := roster.FindMailTemplate(name)
	if !ok {
		s.error(w, r, roster.Errorf(roster.ENOTFOUND, "There is no mail template %q.", name))
		return nil, false
	}
	o, err := s.MailSettings.FindMailTemplate(r.Context(), name)
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	view := &mailTemplateView{Info: info}
	if o != nil {
		view.Source, view.Edited = o.Source, true
	} else {
		view.Source, _ = s.MailRenderer.DefaultMailTemplate(name)
	}
	return view, true
}

func (s *Server) handleMailTemplate(w http.ResponseWriter, r *http.Request) {
	view, ok := s.loadMailTemplate(w, r)
	if !ok {
		return
	}
	view.User = strings.TrimSpace(r.URL.Query().Get("user"))
	status := http.StatusOK
	if err := s.previewMail(r, view, nil); err != nil {
		if !refusal(err) {
			s.error(w, r, err)
			return
		}
		status, view.Error = errorStatus(err), roster.ErrorMessage(err)
	}
	s.render(w, r, status, "mail_template", view.Info.Label+" email", view)
}

// previewMail renders the view's preview: src (nil: the template in
// force) for the user the view names, or the examples.
func (s *Server) previewMail(r *http.Request, view *mailTemplateView, src *roster.MailTemplateSource) error {
	var d *roster.MailData
	view.For = "the variables' examples"
	if view.User != "" {
		u, err := s.findPreviewUser(r, view.User)
		if err != nil {
			return err
		}
		d = &roster.MailData{Name: u.Name(), Email: u.Email}
		if d.Name == "" {
			d.Name = u.Email
		}
		view.For = u.Name() + " <" + u.Email + ">"
	}
	out, err := s.MailRenderer.Preview(r.Context(), view.Info.Name, src, d)
	if err != nil {
		return err
	}
	view.Preview, view.Frame = &out, `<base target="_blank">`+out.HTML
	return nil
}

// findPreviewUser finds the user a preview is for, by public id or email.
func (s *Server) findPreviewUser(r *http.Request, who string) (*roster.User, error) {
	notFound := roster.FieldErrors{"user": "matches no user: give a user's id (u_…) or email address"}.Err()
	if strings.HasPrefix(who, "u_") {
		u, err := s.Users.FindUserByID(r.Context(), who)
		if roster.ErrorCode(err) == roster.ENOTFOUND {
			return nil, notFound
		}
		return u, err
	}
	email := strings.ToLower(who)
	if !roster.ValidEmail(email) {
		return nil, notFound
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		return nil, err
	}
	f, err := query.Parse("email:" + email)
	if err != nil {
		return nil, notFound
	}
	plan, err := query.Compile(f, reg, staffFrom(r).Location())
	if err != nil {
		return nil, notFound
	}
	res, err := s.Search.Search(r.Context(), plan, query.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	users, err := s.Users.FindUsersByIDs(r.Context(), res.IDs)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 || !strings.EqualFold(users[0].Email, email) {
		return nil, notFound
	}
	return users[0], nil
}

// handleMailTemplateSave saves, previews or resets a template: the op
// field says which. A template that does not pass the checks is shown
// again as typed, with the part, the line and the problem.
func (s *Server) handleMailTemplateSave(w http.ResponseWriter, r *http.Request) {
	view, ok := s.loadMailTemplate(w, r)
	if !ok {
		return
	}
	name := view.Info.Name
	if r.PostFormValue("op") == "reset" {
		if err := s.MailSettings.ResetMailTemplate(r.Context(), name); err != nil {
			s.error(w, r, err)
			return
		}
		s.setFlash(w, r, "The "+strings.ToLower(view.Info.Label)+" template is back to its default.")
		http.Redirect(w, r, "/settings/email/templates/"+name, http.StatusSeeOther)
		return
	}
	src := roster.MailTemplateSource{Subject: r.PostFormValue("subject"), Text: formText(r.PostFormValue("text")), HTML: formText(r.PostFormValue("html"))}
	view.Source, view.User = src, strings.TrimSpace(r.PostFormValue("user"))
	var err error
	if r.PostFormValue("op") == "preview" {
		err = s.previewMail(r, view, &src)
	} else if _, err = s.MailSettings.SaveMailTemplate(r.Context(), name, src); err == nil {
		s.setFlash(w, r, "The "+strings.ToLower(view.Info.Label)+" template is saved: the next messages use it.")
		http.Redirect(w, r, "/settings/email/templates/"+name, http.StatusSeeOther)
		return
	}
	status := http.StatusOK
	if err != nil {
		if !refusal(err) {
			s.error(w, r, err)
			return
		}
		status, view.Errors, view.Error = errorStatus(err), roster.ErrorFields(err), roster.ErrorMessage(err)
	}
	s.render(w, r, status, "mail_template", view.Info.Label+" email", view)
}

// formText undoes the CRLF line ends that browsers send in a textarea.
func formText(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// apiMailTemplate is a template as the API shows it.
type apiMailTemplate struct {
	Name          string       `json:"name"`
	Label         string       `json:"label"`
	Transactional bool         `json:"transactional"`
	Edited        bool         `json:"edited"`
	UpdatedAt     string       `json:"updated_at,omitempty"`
	Subject       string       `json:"subject"`
	Text          string       `json:"text"`
	HTML          string       `json:"html"`
	Variables     []apiMailVar `json:"variables"`
}

type apiMailVar struct {
	Name    string `json:"name"`
	Doc     string `json:"description"`
	Example string `json:"example"`
}

func (s *Server) toAPIMailTemplate(info roster.MailTemplateInfo, o *roster.MailTemplateOverride) apiMailTemplate {
	out := apiMailTemplate{Name: info.Name, Label: info.Label, Transactional: info.Transactional, Variables: []apiMailVar{}}
	for _, v := range info.Vars {
		out.Variables = append(out.Variables, apiMailVar{Name: v.Name, Doc: v.Doc, Example: v.Example})
	}
	src, _ := s.MailRenderer.DefaultMailTemplate(info.Name)
	if o != nil {
		src, out.Edited, out.UpdatedAt = o.Source, true, o.UpdatedAt.UTC().Format(time.RFC3339)
	}
	out.Subject, out.Text, out.HTML = src.Subject, src.Text, src.HTML
	return out
}

func (s *Server) apiListMailTemplates(w http.ResponseWriter, r *http.Request) {
	overrides, err := s.MailSettings.FindMailTemplates(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	edited := map[string]*roster.MailTemplateOverride{}
	for _, o := range overrides {
		edited[o.Name] = o
	}
	out := []apiMailTemplate{}
	for _, info := range roster.MailTemplates {
		out = append(out, s.toAPIMailTemplate(info, edited[info.Name]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": out})
}

// apiMailTemplateInfo returns the template the path names, or writes
// ENOTFOUND.
func (s *Server) apiMailTemplateInfo(w http.ResponseWriter, r *http.Request) (roster.MailTemplateInfo, bool) {
	info, ok := roster.FindMailTemplate(r.PathValue("name"))
	if !ok {
		s.error(w, r, roster.Errorf(roster.ENOTFOUND, "There is no mail template %q.", r.PathValue("name")))
	}
	return info, ok
}

func (s *Server) apiGetMailTemplate(w http.ResponseWriter, r *http.Request) {
	info, ok := s.apiMailTemplateInfo(w, r)
	if !ok {
		return
	}
	o, err := s.MailSettings.FindMailTemplate(r.Context(), info.Name)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.toAPIMailTemplate(info, o))
}

func (s *Server) apiPutMailTemplate(w http.ResponseWriter, r *http.Request) {
	info, ok := s.apiMailTemplateInfo(w, r)
	if !ok {
		return
	}
	var req struct {
		Subject *string `json:"subject"`
		Text    *string `json:"text"`
		HTML    *string `json:"html"`
	}
	if err := decodeInto(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	fe := roster.FieldErrors{}
	for key, v := range map[string]*string{"subject": req.Subject, "text": req.Text, "html": req.HTML} {
		if v == nil {
			fe.Add(key, "is required: give the whole template (subject, text and html)")
		}
	}
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	o, err := s.MailSettings.SaveMailTemplate(r.Context(), info.Name, roster.MailTemplateSource{Subject: *req.Subject, Text: *req.Text, HTML: *req.HTML})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.toAPIMailTemplate(info, o))
}

func (s *Server) apiDeleteMailTemplate(w http.ResponseWriter, r *http.Request) {
	info, ok := s.apiMailTemplateInfo(w, r)
	if !ok {
		return
	}
	if err := s.MailSettings.ResetMailTemplate(r.Context(), info.Name); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.toAPIMailTemplate(info, nil))
}

// apiMailSettings is the mail settings as the API shows them: as stored,
// and in force (with the configuration's values where none is stored).
type apiMailSettings struct {
	ProductName string `json:"product_name"`
	FromName    string `json:"from_name"`
	FromAddress string `json:"from_address"`
}

func (s *Server) apiGetMailSettings(w http.ResponseWriter, r *http.Request) {
	stored, err := s.MailSettings.MailSettings(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	inForce, err := s.MailRenderer.Settings(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"stored": apiMailSettings(stored), "in_force": apiMailSettings(inForce)})
}

func (s *Server) apiPutMailSettings(w http.ResponseWriter, r *http.Request) {
	var req apiMailSettings
	if err := decodeInto(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.MailSettings.UpdateMailSettings(r.Context(), roster.MailSettings(req)); err != nil {
		s.error(w, r, err)
		return
	}
	s.apiGetMailSettings(w, r)
}
