package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roster"
)

// The account settings (Settings → Accounts: the account policy) and the
// staff's confirmation steps on a profile: resend the confirmation link,
// mark the address confirmed with a reason.

// accountsView is what the account settings page shows.
type accountsView struct {
	Form   accountsForm
	Errors formErrors
	Error  string
	States []roster.AccessStateInfo
	// Member is the member API's section (nil: no session service).
	Member *memberForm
}

// accountsForm is the settings form as typed: link lifetimes in hours
// (the reset link's in minutes).
type accountsForm struct {
	ConfirmationRequired bool
	ExpiryMonths         string
	InviteHours          string
	ConfirmHours         string
	ResetMinutes         string
}

func formOfPolicy(p roster.AccountPolicy) accountsForm {
	return accountsForm{
		ConfirmationRequired: p.ConfirmationRequired,
		ExpiryMonths:         strconv.Itoa(p.ExpiryMonths),
		InviteHours:          strconv.FormatInt(int64(p.InviteTTL/time.Hour), 10),
		ConfirmHours:         strconv.FormatInt(int64(p.ConfirmTTL/time.Hour), 10),
		ResetMinutes:         strconv.FormatInt(int64(p.ResetTTL/time.Minute), 10),
	}
}

// policy reads the form, naming each input that is not a whole number.
func (f accountsForm) policy() (roster.AccountPolicy, formErrors) {
	fe := formErrors{}
	num := func(key, s string) int64 {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
		if err != nil {
			fe[key] = "must be a whole number"
		}
		return n
	}
	p := roster.AccountPolicy{
		ConfirmationRequired: f.ConfirmationRequired,
		ExpiryMonths:         int(num("expiry_months", f.ExpiryMonths)),
		InviteTTL:            time.Duration(num("invite_hours", f.InviteHours)) * time.Hour,
		ConfirmTTL:           time.Duration(num("confirm_hours", f.ConfirmHours)) * time.Hour,
		ResetTTL:             time.Duration(num("reset_minutes", f.ResetMinutes)) * time.Minute,
	}
	return p, fe
}

// formKeys maps the policy's field names (in its errors) to the inputs.
var formKeys = map[string]string{
	"invite_ttl_minutes": "invite_hours", "confirm_ttl_minutes": "confirm_hours", "reset_ttl_minutes": "reset_minutes",
}

func (s *Server) handleAccountSettings(w http.ResponseWriter, r *http.Request) {
	p, err := s.AccountSettings.AccountPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_accounts", "Accounts", accountsView{Form: formOfPolicy(p), States: roster.AccessStates(), Member: s.memberSettings(r)})
}

func (s *Server) handleAccountSettingsSave(w http.ResponseWriter, r *http.Request) {
	form := accountsForm{
		ConfirmationRequired: r.PostFormValue("confirmation_required") != "",
		ExpiryMonths:         r.PostFormValue("expiry_months"),
		InviteHours:          r.PostFormValue("invite_hours"),
		ConfirmHours:         r.PostFormValue("confirm_hours"),
		ResetMinutes:         r.PostFormValue("reset_minutes"),
	}
	view := accountsView{Form: form, States: roster.AccessStates(), Member: s.memberSettings(r)}
	p, fe := form.policy()
	if len(fe) == 0 {
		err := s.AccountSettings.SetAccountPolicy(r.Context(), p)
		if err == nil {
			s.setFlash(w, r, "Account settings saved.")
			http.Redirect(w, r, "/settings/accounts", http.StatusSeeOther)
			return
		}
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		fe = formErrors{}
		for k, msg := range roster.ErrorFields(err) {
			if in, ok := formKeys[k]; ok {
				k = in
			}
			fe[k] = msg
		}
	}
	view.Errors, view.Error = fe, "Some settings are not valid."
	s.render(w, r, http.StatusUnprocessableEntity, "settings_accounts", "Accounts", view)
}

// accountsInput is the body of PUT /api/v1/settings/accounts: members
// left out keep their value.
type accountsInput struct {
	ConfirmationRequired *bool  `json:"confirmation_required"`
	ExpiryMonths         *int   `json:"expiry_months"`
	InviteTTLMinutes     *int64 `json:"invite_ttl_minutes"`
	ConfirmTTLMinutes    *int64 `json:"confirm_ttl_minutes"`
	ResetTTLMinutes      *int64 `json:"reset_ttl_minutes"`
}

func (s *Server) apiGetAccountSettings(w http.ResponseWriter, r *http.Request) {
	p, err := s.AccountSettings.AccountPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiPutAccountSettings(w http.ResponseWriter, r *http.Request) {
	var in accountsInput
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.AccountSettings.AccountPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	minutes := func(dst *time.Duration, n *int64) {
		if n != nil {
			*dst = -1 // out of bounds: Validate names the field
			if *n >= 0 && *n <= int64(roster.MaxLinkTTL/time.Minute) {
				*dst = time.Duration(*n) * time.Minute
			}
		}
	}
	if in.ConfirmationRequired != nil {
		p.ConfirmationRequired = *in.ConfirmationRequired
	}
	if in.ExpiryMonths != nil {
		p.ExpiryMonths = *in.ExpiryMonths
	}
	minutes(&p.InviteTTL, in.InviteTTLMinutes)
	minutes(&p.ConfirmTTL, in.ConfirmTTLMinutes)
	minutes(&p.ResetTTL, in.ResetTTLMinutes)
	if err := s.AccountSettings.SetAccountPolicy(r.Context(), p); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handleUserConfirmation sends the user a new confirmation link from the
// profile.
func (s *Server) handleUserConfirmation(w http.ResponseWriter, r *http.Request) {
	s.profileLink(w, r, "Confirmation link", s.Accounts.SendConfirmation)
}

// handleUserConfirm marks the user's address confirmed, for the reason
// typed.
func (s *Server) handleUserConfirm(w http.ResponseWriter, r *http.Request) {
	u, reg, ok := s.loadProfile(w, r)
	if !ok {
		return
	}
	if err := s.Accounts.MarkEmailConfirmed(r.Context(), u.PublicID, r.PostFormValue("reason")); err != nil {
		if !refusal(err) {
			s.error(w, r, err)
			return
		}
		view := s.profile(r, u, reg, nil, nil)
		view.Error = roster.ErrorMessage(err)
		if msg, ok := roster.ErrorFields(err)["reason"]; ok {
			view.Error = "The reason " + msg + "."
		}
		s.render(w, r, errorStatus(err), "user", view.Name, view)
		return
	}
	s.setFlash(w, r, "The address is marked confirmed.")
	http.Redirect(w, r, "/users/"+url.PathEscape(u.PublicID), http.StatusSeeOther)
}

func (s *Server) apiSendConfirmation(w http.ResponseWriter, r *http.Request) {
	m, err := s.Accounts.SendConfirmation(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"message": toAPIMessage(m)})
}

// confirmInput is the body of POST /api/v1/users/{id}/confirm.
type confirmInput struct {
	Reason string `json:"reason"`
}

func (s *Server) apiConfirmEmail(w http.ResponseWriter, r *http.Request) {
	var in confirmInput
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := s.Accounts.MarkEmailConfirmed(r.Context(), id, in.Reason); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.Users.FindUserByID(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userJSON{reg, u})
}
