package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"roster"
)

// The member API's settings on the pages: sign-in, refresh tokens and
// session lifetimes under Settings → Accounts; which fields users may
// edit under Settings → Fields.

// memberForm is the member section of Settings → Accounts as typed:
// lifetimes in days.
type memberForm struct {
	SignIn, Refresh        bool
	IdleDays, AbsoluteDays string
	Errors                 formErrors
}

func memberFormOf(p roster.MemberPolicy) *memberForm {
	return &memberForm{SignIn: p.SignIn, Refresh: p.Refresh,
		IdleDays:     strconv.FormatFloat(p.IdleTTL.Hours()/24, 'f', -1, 64),
		AbsoluteDays: strconv.FormatFloat(p.AbsoluteTTL.Hours()/24, 'f', -1, 64)}
}

// memberSettings returns the member section for the accounts page, or nil
// without a session service (or when it cannot be read: logged).
func (s *Server) memberSettings(r *http.Request) *memberForm {
	if s.Sessions == nil {
		return nil
	}
	p, err := s.Sessions.MemberPolicy(r.Context())
	if err != nil {
		s.Logger.Error("member policy", "err", err)
		return nil
	}
	return memberFormOf(p)
}

// handleMemberSettingsSave is POST /settings/accounts/member.
func (s *Server) handleMemberSettingsSave(w http.ResponseWriter, r *http.Request) {
	if s.Sessions == nil {
		s.pageNotFound(w, r)
		return
	}
	p, err := s.Sessions.MemberPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	form := &memberForm{SignIn: r.PostFormValue("member_sign_in") != "", Refresh: r.PostFormValue("refresh_tokens") != "",
		IdleDays: r.PostFormValue("idle_days"), AbsoluteDays: r.PostFormValue("absolute_days"), Errors: formErrors{}}
	days := func(key, v string) time.Duration {
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || n < 0 || n > 1000 {
			form.Errors[key] = "must be a number of days"
			return 0
		}
		return time.Duration(n * 24 * float64(time.Hour)).Round(time.Minute)
	}
	p.SignIn, p.Refresh = form.SignIn, form.Refresh
	p.IdleTTL, p.AbsoluteTTL = days("idle_days", form.IdleDays), days("absolute_days", form.AbsoluteDays)
	if len(form.Errors) == 0 {
		err := s.Sessions.SetMemberPolicy(r.Context(), p)
		if err == nil {
			s.setFlash(w, r, "Member API settings saved.")
			http.Redirect(w, r, "/settings/accounts#member", http.StatusSeeOther)
			return
		}
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		keys := map[string]string{"idle_ttl_minutes": "idle_days", "absolute_ttl_minutes": "absolute_days"}
		for k, msg := range roster.ErrorFields(err) {
			if in, ok := keys[k]; ok {
				k = in
			}
			form.Errors[k] = msg
		}
	}
	ap, err := s.AccountSettings.AccountPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	view := accountsView{Form: formOfPolicy(ap), States: roster.AccessStates(), Member: form, Error: "Some member API settings are not valid."}
	s.render(w, r, http.StatusUnprocessableEntity, "settings_accounts", "Accounts", view)
}

// editableFields is the "Editable by the user" form of Settings → Fields.
type editableFields struct {
	Fields []editableField
}

type editableField struct {
	Key, Label, Section string
	Checked             bool
}

// editableFieldsOf lists the fields users could be allowed to edit, each
// checked when they may; nil without a session service.
func (s *Server) editableFieldsOf(r *http.Request) *editableFields {
	if s.Sessions == nil {
		return nil
	}
	p, err := s.Sessions.MemberPolicy(r.Context())
	if err != nil {
		s.Logger.Error("member policy", "err", err)
		return nil
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.Logger.Error("registry", "err", err)
		return nil
	}
	out := &editableFields{}
	for _, f := range reg.Fields {
		if !f.UserEditable() {
			continue
		}
		out.Fields = append(out.Fields, editableField{Key: f.Key, Label: f.Label, Section: f.Section, Checked: p.Editable(f.Key)})
	}
	return out
}

// handleEditableFieldsSave is POST /settings/fields/member-editable: the
// fields users may change through PATCH /api/member/v1/me.
func (s *Server) handleEditableFieldsSave(w http.ResponseWriter, r *http.Request) {
	if s.Sessions == nil {
		s.pageNotFound(w, r)
		return
	}
	keys := r.PostForm["editable"]
	if keys == nil {
		keys = []string{}
	}
	if err := s.checkEditableFields(r, keys); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.Sessions.MemberPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	p.EditableFields = keys
	if err := s.Sessions.SetMemberPolicy(r.Context(), p); err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Fields editable by users saved.")
	http.Redirect(w, r, "/settings/fields#editable", http.StatusSeeOther)
}
