package web

import (
	"net/http"
	"strings"

	"roster"
)

// The hosted pages (/u/...) are for the users themselves, not staff: they
// need no session, carry the same security headers as every page, and
// never tell whether an address or an account exists.

// hostedView is what the hosted pages show.
type hostedView struct {
	// Mode: "request" (ask for a reset link), "requested" (the answer),
	// "set" (choose a password), "done" (it is set), "confirm" (confirm
	// an address), "confirmed" (it is), "bad" (the link cannot be used).
	Mode    string
	Purpose string // "reset", "invite" or "confirm"
	Action  string // where the form posts
	Email   string
	Error   string
	Errors  map[string]string
	// Problem says what went wrong with a link, Next what to do about it.
	Problem string
	Next    string
	Min     int
	Max     int
	// Expires says how long a reset link works.
	Expires string
}

// handleResetRequestPage shows the form where users ask for a reset link.
func (s *Server) handleResetRequestPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "hosted", "Reset your password", hostedView{Mode: "request", Action: "/u/reset"})
}

// handleResetRequest answers every well-formed address the same way: the
// store did the same work whether or not it belongs to someone.
func (s *Server) handleResetRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	email := strings.TrimSpace(r.PostFormValue("email"))
	view := hostedView{Mode: "request", Action: "/u/reset", Email: email}
	err := s.Accounts.RequestPasswordReset(r.Context(), email, s.clientAddr(r))
	switch roster.ErrorCode(err) {
	case "":
		view.Mode, view.Expires = "requested", s.linkWords(r).Reset
		s.render(w, r, http.StatusOK, "hosted", "Check your email", view)
	case roster.EINVALID, roster.ETOOMANY:
		view.Error = roster.ErrorMessage(err)
		view.Errors = roster.ErrorFields(err)
		s.render(w, r, errorStatus(err), "hosted", "Reset your password", view)
	default:
		s.error(w, r, err)
	}
}

// linkPurpose maps the first segment of a hosted link to its purpose.
func linkPurpose(r *http.Request) roster.LinkPurpose {
	if strings.HasPrefix(r.URL.Path, "/u/invite/") {
		return roster.LinkInvite
	}
	return roster.LinkReset
}

// linkTitle is the hosted page's title for purpose.
func linkTitle(p roster.LinkPurpose) string {
	if p == roster.LinkInvite {
		return "Accept your invitation"
	}
	return "Choose a new password"
}

// handleLinkPage opens a link: the form to set a password, or a page
// saying why the link cannot be used.
func (s *Server) handleLinkPage(w http.ResponseWriter, r *http.Request) {
	p := linkPurpose(r)
	token := r.PathValue("token")
	if _, err := s.Accounts.FindLink(r.Context(), p, token); err != nil {
		s.renderBadLink(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "hosted", linkTitle(p), s.setForm(p, token))
}

func (s *Server) setForm(p roster.LinkPurpose, token string) hostedView {
	return hostedView{Mode: "set", Purpose: string(p), Action: "/u/" + string(p) + "/" + token,
		Min: roster.UserPasswords.Min, Max: roster.MaxPasswordLen}
}

// handleLinkUse sets the password through a link.
func (s *Server) handleLinkUse(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	p := linkPurpose(r)
	token := r.PathValue("token")
	pw, again := r.PostFormValue("password"), r.PostFormValue("password_again")
	if pw != again {
		view := s.setForm(p, token)
		view.Errors = map[string]string{"password_again": "does not match the password"}
		view.Error = "The two passwords differ."
		s.render(w, r, http.StatusUnprocessableEntity, "hosted", linkTitle(p), view)
		return
	}
	_, err := s.Accounts.UseLink(r.Context(), p, token, pw)
	switch {
	case err == nil:
		s.render(w, r, http.StatusOK, "hosted", "Password set", hostedView{Mode: "done", Purpose: string(p)})
	case roster.LinkState(err) != "":
		s.renderBadLink(w, r, p, err)
	case roster.ErrorCode(err) == roster.EINVALID:
		view := s.setForm(p, token)
		view.Errors = roster.ErrorFields(err)
		view.Error = "Choose another password."
		s.render(w, r, http.StatusUnprocessableEntity, "hosted", linkTitle(p), view)
	default:
		s.error(w, r, err)
	}
}

// handleConfirmPage opens a confirmation link: a button that confirms,
// so that a mail scanner fetching the link confirms nothing.
func (s *Server) handleConfirmPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	l, err := s.Accounts.FindLink(r.Context(), roster.LinkConfirm, token)
	if err != nil {
		s.renderBadLink(w, r, roster.LinkConfirm, err)
		return
	}
	s.render(w, r, http.StatusOK, "hosted", "Confirm your email address",
		hostedView{Mode: "confirm", Purpose: string(roster.LinkConfirm), Action: "/u/confirm/" + token, Email: l.Email})
}

// handleConfirm confirms the address of a confirmation link.
func (s *Server) handleConfirm(w http.ResponseWriter, r *http.Request) {
	l, err := s.Accounts.ConfirmEmail(r.Context(), r.PathValue("token"))
	if err != nil {
		s.renderBadLink(w, r, roster.LinkConfirm, err)
		return
	}
	s.render(w, r, http.StatusOK, "hosted", "Address confirmed", hostedView{Mode: "confirmed", Purpose: string(roster.LinkConfirm), Email: l.Email})
}

// renderBadLink says why a link cannot be used and what to do next,
// without a word about the account.
func (s *Server) renderBadLink(w http.ResponseWriter, r *http.Request, p roster.LinkPurpose, err error) {
	state := roster.LinkState(err)
	if state == "" {
		s.error(w, r, err)
		return
	}
	view := hostedView{Mode: "bad", Purpose: string(p), Problem: roster.ErrorMessage(err)}
	switch {
	case p == roster.LinkInvite && state == roster.LinkUsed:
		view.Next = "This invitation was already accepted. Sign in with the password you chose, or ask for a new password below if you forgot it."
	case p == roster.LinkInvite:
		view.Next = "Ask the person who invited you to send a new invitation: only the newest one works, and only for a while."
	case p == roster.LinkConfirm && state == roster.LinkUsed:
		view.Next = "This address was already confirmed with this link: there is nothing more to do."
	case p == roster.LinkConfirm:
		view.Next = "Confirmation links work once, for a few days, and only the newest one does. Ask us to send a new one."
	case state == roster.LinkUsed:
		view.Next = "Your password was already changed with this link. If you need to change it again, ask for a new link."
	default:
		view.Next = "Reset links work once, for " + s.linkWords(r).Reset + ", and only the newest one does. Ask for a new link."
	}
	s.render(w, r, http.StatusGone, "hosted", "This link cannot be used", view)
}
