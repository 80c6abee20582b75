package web

import (
	"net/http"
	"strings"

	"roster"
)

type signInView struct {
	Email, Next, Error string
}

func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, _, err := s.Staff.FindSession(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	s.render(w, r, http.StatusOK, "signin", "Sign in", signInView{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := safeNext(r.PostFormValue("next"))
	view := signInView{Email: email, Next: next}
	staff, err := s.Staff.Authenticate(r.Context(), email, r.PostFormValue("password"), s.clientAddr(r))
	if err != nil {
		code := roster.ErrorCode(err)
		if code != roster.EUNAUTHORIZED && code != roster.ETOOMANY {
			s.error(w, r, err)
			return
		}
		view.Error = roster.ErrorMessage(err)
		s.render(w, r, errorStatus(err), "signin", "Sign in", view)
		return
	}
	if pending, err := s.startSecondStep(w, r, staff, next); err != nil || pending {
		if err != nil {
			s.error(w, r, err)
		}
		return
	}
	if err := s.startSession(w, r, staff.ID); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// startSession signs the browser of r in as staffID: a new server-side
// session and its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, staffID int64) error {
	token, err := s.Staff.CreateSession(r.Context(), staffID, s.clientAddr(r), r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.SecureCookies || r.TLS != nil,
		MaxAge: int(roster.SessionAbsoluteTimeout.Seconds()),
	})
	return nil
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Staff.DeleteSession(r.Context(), c.Value); err != nil {
			s.error(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies || r.TLS != nil})
}

// safeNext keeps post-sign-in redirects on this site: only local paths.
// Control characters are refused outright because browsers drop tabs and
// newlines from URLs, which would turn "/\t/evil.example" into
// "//evil.example".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return next
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.Version})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(r.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) pageNotFound(w http.ResponseWriter, r *http.Request) {
	s.error(w, r, roster.Errorf(roster.ENOTFOUND, "There is no page at %s.", r.URL.Path))
}
