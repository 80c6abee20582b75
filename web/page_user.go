package web

import (
	"net/http"
	"strings"
	"time"

	"roster"
	"roster/password"
)

// The user profile: a header, the Details tab (every field, grouped by
// section, edited in place), the Activity tab, and the actions: set the
// status with a reason, delete permanently.

// profileField is one field of the profile with its value as shown and as
// an input.
type profileField struct {
	Field roster.Field
	Cell  cell
	Input string // the value as an input holds it
	Error string
	Kind  string // input kind: text, textarea, number, date, datetime, checkbox, select, json, list
}

type profileSection struct {
	Name   string
	Fields []profileField
}

type profileView struct {
	User     *roster.User
	Name     string
	Tab      string
	Sections []profileSection
	Activity []*roster.AuditEntry
	Loc      *time.Location
	Error    string
	Statuses []string
	Back     string
}

func (s *Server) loadProfile(w http.ResponseWriter, r *http.Request) (*roster.User, *roster.Registry, bool) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return nil, nil, false
	}
	u, err := s.Users.FindUserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return nil, nil, false
	}
	return u, reg, true
}

func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	u, reg, ok := s.loadProfile(w, r)
	if !ok {
		return
	}
	view := s.profile(r, u, reg, nil, nil)
	s.render(w, r, http.StatusOK, "user", view.Name, view)
}

func (s *Server) handleUserActivity(w http.ResponseWriter, r *http.Request) {
	u, reg, ok := s.loadProfile(w, r)
	if !ok {
		return
	}
	view := s.profile(r, u, reg, nil, nil)
	view.Tab = "activity"
	entries, err := s.Audit.FindAuditEntries(r.Context(), roster.AuditFilter{TargetType: "user", TargetID: u.PublicID, Limit: 200})
	if err != nil {
		s.error(w, r, err)
		return
	}
	view.Activity = entries
	s.render(w, r, http.StatusOK, "user", view.Name, view)
}

// profile builds the Details view; submitted and problems, when not nil,
// are the inputs of a refused form and the messages per field.
func (s *Server) profile(r *http.Request, u *roster.User, reg *roster.Registry, submitted map[string]string, problems map[string]string) *profileView {
	loc := staffFrom(r).Location()
	view := &profileView{User: u, Name: u.Name(), Tab: "details", Loc: loc, Statuses: roster.UserStatusNames(), Back: "/users"}
	index := map[string]int{}
	for _, f := range reg.Fields {
		if f.Type == roster.TypePassword || f.Key == "password_hash" {
			continue
		}
		pf := profileField{Field: f, Cell: renderCell(f, u.Get(f.Key), loc), Input: inputValue(f, u.Get(f.Key), loc), Kind: inputKind(f)}
		if v, ok := submitted[f.Key]; ok {
			pf.Input = v
		}
		pf.Error = problems[f.Key]
		i, ok := index[f.Section]
		if !ok {
			i = len(view.Sections)
			index[f.Section] = i
			view.Sections = append(view.Sections, profileSection{Name: f.Section})
		}
		view.Sections[i].Fields = append(view.Sections[i].Fields, pf)
	}
	return view
}

// inputKind is the form control for a field.
func inputKind(f roster.Field) string {
	switch f.Type {
	case roster.TypeLongText:
		return "textarea"
	case roster.TypeInteger, roster.TypeNumber:
		return "number"
	case roster.TypeDate:
		return "date"
	case roster.TypeTimestamp:
		return "datetime"
	case roster.TypeBoolean:
		return "checkbox"
	case roster.TypeStatus, roster.TypeChoice:
		return "select"
	case roster.TypeSet, roster.TypeMultiChoice:
		return "list"
	case roster.TypeAddresses, roster.TypeLinks, roster.TypeDevices:
		return "json"
	case roster.TypeEmail:
		return "email"
	case roster.TypeURL:
		return "url"
	case roster.TypePhone:
		return "tel"
	}
	return "text"
}

// inputValue is the text an input shows for v; parseInput reads it back.
func inputValue(f roster.Field, v any, loc *time.Location) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.In(loc).Format("2006-01-02T15:04:05")
	case []string:
		return strings.Join(x, ", ")
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return roster.FormatText(f.Type, v)
}

// parseInput reads a form input of field f.
func parseInput(f roster.Field, s string, loc *time.Location) (any, error) {
	switch f.Type {
	case roster.TypeTimestamp:
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}, nil
		}
		for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				return t.UTC(), nil
			}
		}
		return roster.ParseTime(s)
	case roster.TypeSet, roster.TypeMultiChoice:
		return f.ParseText(strings.Join(splitList(s), "|"))
	case roster.TypeBoolean:
		return s == "true" || s == "on", nil
	}
	return f.ParseText(s)
}

// handleUserUpdate saves the fields of one section of the Details tab.
// Only inputs that differ from what the page showed are applied, so that a
// value shown rounded (a time to the second) is not rewritten by saving
// another field.
func (s *Server) handleUserUpdate(w http.ResponseWriter, r *http.Request) {
	u, reg, ok := s.loadProfile(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.error(w, r, roster.Errorf(roster.EINVALID, "The form could not be read."))
		return
	}
	loc := staffFrom(r).Location()
	submitted := map[string]string{}
	problems := roster.FieldErrors{}
	values := map[string]any{}
	for _, key := range r.PostForm["field"] {
		f, ok := reg.Field(key)
		if !ok || f.ReadOnly || f.Type == roster.TypePassword {
			problems.Add(key, "cannot be changed here")
			continue
		}
		in := r.PostFormValue("v." + key)
		if f.Type == roster.TypeBoolean {
			in = "false"
			if r.PostFormValue("v."+key) != "" {
				in = "true"
			}
		}
		submitted[key] = in
		if in == inputValue(f, u.Get(key), loc) {
			continue
		}
		v, err := parseInput(f, in, loc)
		if err != nil {
			problems.Add(key, err.Error())
			continue
		}
		values[key] = v
	}
	if len(problems) == 0 && len(values) > 0 {
		_, err := s.Users.UpdateUser(r.Context(), u.PublicID, roster.UserUpdate{Values: values})
		if err == nil {
			s.setFlash(w, r, "Saved.")
			http.Redirect(w, r, "/users/"+u.PublicID, http.StatusSeeOther)
			return
		}
		code := roster.ErrorCode(err)
		if code != roster.EINVALID && code != roster.ECONFLICT {
			s.error(w, r, err)
			return
		}
		for k, msg := range roster.ErrorFields(err) {
			problems.Add(k, msg)
		}
		if len(problems) == 0 {
			problems.Add("", roster.ErrorMessage(err))
		}
	}
	if len(problems) == 0 {
		s.setFlash(w, r, "Nothing changed.")
		http.Redirect(w, r, "/users/"+u.PublicID, http.StatusSeeOther)
		return
	}
	view := s.profile(r, u, reg, submitted, problems)
	view.Error = "Not saved: check the fields marked below."
	s.render(w, r, http.StatusUnprocessableEntity, "user", view.Name, view)
}

// handleUserStatus sets the status (ban, reactivate) with a reason that
// goes to the audit log.
func (s *Server) handleUserStatus(w http.ResponseWriter, r *http.Request) {
	u, reg, ok := s.loadProfile(w, r)
	if !ok {
		return
	}
	status := r.PostFormValue("status")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err := s.Users.UpdateUser(r.Context(), u.PublicID, roster.UserUpdate{Values: map[string]any{"status": status}, Note: reason})
	if err != nil {
		if roster.ErrorCode(err) != roster.EINVALID {
			s.error(w, r, err)
			return
		}
		view := s.profile(r, u, reg, nil, nil)
		view.Error = roster.ErrorMessage(err)
		s.render(w, r, http.StatusUnprocessableEntity, "user", view.Name, view)
		return
	}
	s.setFlash(w, r, "Status set to "+status+".")
	http.Redirect(w, r, "/users/"+u.PublicID, http.StatusSeeOther)
}

// handleUserDelete deletes a user once the staff member has typed the
// user's email (or id, for users without one) to confirm.
func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) {
	u, reg, ok := s.loadProfile(w, r)
	if !ok {
		return
	}
	want := u.Email
	if want == "" {
		want = u.PublicID
	}
	if !strings.EqualFold(strings.TrimSpace(r.PostFormValue("confirm")), want) {
		view := s.profile(r, u, reg, nil, nil)
		view.Error = "Not deleted: type " + want + " exactly to confirm."
		s.render(w, r, http.StatusUnprocessableEntity, "user", view.Name, view)
		return
	}
	if err := s.Users.DeleteUser(r.Context(), u.PublicID); err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Deleted "+want+".")
	http.Redirect(w, r, "/users", http.StatusSeeOther)
}

// newUserView is the "+ Add user" form.
type newUserView struct {
	Values    map[string]string
	Errors    map[string]string
	Error     string
	Created   *roster.User
	Password  string // generated, shown once
	Countries []roster.Country
}

var newUserFields = []string{"email", "first_name", "last_name", "mobile_phone", "city", "country", "client_id"}

func (s *Server) handleUserNew(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "user_new", "Add user", newUserView{Values: map[string]string{}, Countries: roster.Countries()})
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	view := newUserView{Values: map[string]string{}, Errors: map[string]string{}, Countries: roster.Countries()}
	u := &roster.User{}
	for _, key := range newUserFields {
		in := strings.TrimSpace(r.PostFormValue(key))
		view.Values[key] = in
		f, _ := reg.Field(key)
		v, err := f.ParseText(in)
		if err != nil {
			view.Errors[key] = err.Error()
			continue
		}
		u.Set(f, v)
	}
	pw := r.PostFormValue("password")
	if r.PostFormValue("generate") != "" {
		pw = password.Generate(16)
	}
	if len(view.Errors) == 0 {
		err = s.Users.CreateUser(r.Context(), u, pw)
		if err == nil {
			if r.PostFormValue("generate") != "" {
				view.Created, view.Password = u, pw
				s.render(w, r, http.StatusCreated, "user_new", "User added", view)
				return
			}
			s.setFlash(w, r, "Added "+u.Name()+".")
			http.Redirect(w, r, "/users/"+u.PublicID, http.StatusSeeOther)
			return
		}
		code := roster.ErrorCode(err)
		if code != roster.EINVALID && code != roster.ECONFLICT {
			s.error(w, r, err)
			return
		}
		for k, msg := range roster.ErrorFields(err) {
			view.Errors[k] = msg
		}
		if len(view.Errors) == 0 {
			view.Error = roster.ErrorMessage(err)
		}
	}
	s.render(w, r, http.StatusUnprocessableEntity, "user_new", "Add user", view)
}
