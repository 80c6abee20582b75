package web

import (
	"context"
	"net/http"
	"strings"

	"roster"
)

// One-click unsubscribe (RFC 8058). The link in a message's
// List-Unsubscribe header and footer opens a page with one button; a mail
// client posts List-Unsubscribe=One-Click to the same URL without showing
// anything. The POST carries no CSRF token (a mail client has none): it is
// safe because the token in the URL is the credential, the only thing it
// can do is take its own user off the newsletter, and doing it twice is
// doing it once.

// unsubscribeView is what the unsubscribe page shows: never the address in
// full.
type unsubscribeView struct {
	Product string
	Email   string // masked: a•••@example.com
	Action  string
	Done    bool
	Already bool
	Bad     bool
}

// maskEmail shows an address's first letter and domain only.
func maskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return ""
	}
	return email[:1] + "•••" + email[at:]
}

// productName is the product's name in force (Settings → Email), or
// the default one.
func (s *Server) productName(ctx context.Context) string {
	if s.MailRenderer != nil {
		if st, err := s.MailRenderer.Settings(ctx); err == nil && st.ProductName != "" {
			return st.ProductName
		}
	}
	return roster.DefaultProductName
}

// handleUnsubscribePage shows the button that unsubscribes; it changes
// nothing (a link scanner that opens every link must not unsubscribe).
func (s *Server) handleUnsubscribePage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	v := unsubscribeView{Product: s.productName(r.Context()), Action: "/u/unsubscribe/" + token}
	sub, err := s.Subscribers.FindUnsubscribe(r.Context(), token)
	switch {
	case roster.LinkState(err) != "":
		v.Bad = true
		s.render(w, r, http.StatusNotFound, "unsubscribe", "Unsubscribe", v)
		return
	case err != nil:
		s.error(w, r, err)
		return
	}
	v.Email, v.Already = maskEmail(sub.Email), !sub.Newsletter
	s.render(w, r, http.StatusOK, "unsubscribe", "Unsubscribe", v)
}

// handleUnsubscribe unsubscribes: the page's button, or a mail client's
// one-click POST.
func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	token := r.PathValue("token")
	v := unsubscribeView{Product: s.productName(r.Context()), Action: "/u/unsubscribe/" + token}
	sub, err := s.Subscribers.FindUnsubscribe(r.Context(), token)
	if err == nil {
		ctx := roster.NewContextWithSubscription(roster.UserActing(r.Context(), sub.PublicID), roster.Subscription{Source: roster.SourceSelf})
		_, err = s.Subscribers.UnsubscribeUser(ctx, sub.ID)
	}
	switch {
	case roster.LinkState(err) != "" || roster.ErrorCode(err) == roster.ENOTFOUND:
		v.Bad = true
		s.render(w, r, http.StatusNotFound, "unsubscribe", "Unsubscribe", v)
		return
	case err != nil:
		s.error(w, r, err)
		return
	}
	if r.PostFormValue("List-Unsubscribe") == "One-Click" {
		// A mail client: it shows nothing, a short answer will do.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("Unsubscribed.\n"))
		return
	}
	v.Email, v.Done = maskEmail(sub.Email), true
	s.render(w, r, http.StatusOK, "unsubscribe", "Unsubscribed", v)
}
