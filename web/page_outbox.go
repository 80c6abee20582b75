package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"roster"
)

// Email: the Outbox page (Settings → Email), where staff see every message
// Roster queued, rendered, with its delivery status, and send a failed one
// again; and the staff steps that queue messages (invite, reset link), from
// the profile and the API.

// outboxView is the Outbox page.
type outboxView struct {
	Messages []*roster.OutboxMessage
	Counts   map[roster.OutboxStatus]int
	Statuses []roster.OutboxStatus
	Status   roster.OutboxStatus // the filter, if any
	Older    int64               // the id to page on from, 0 when no more
	Loc      *time.Location
	// Sending says whether a mail server is configured.
	Sending bool
}

// outboxPage is how many messages the Outbox lists at once.
const outboxPage = 50

func (s *Server) handleOutbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	view := outboxView{Loc: staffFrom(r).Location(), Sending: s.MailEnabled,
		Statuses: []roster.OutboxStatus{roster.OutboxQueued, roster.OutboxSending, roster.OutboxSent, roster.OutboxFailed}}
	f := roster.OutboxFilter{Limit: outboxPage + 1}
	if st := q.Get("status"); st != "" {
		known := false
		for _, k := range view.Statuses {
			known = known || string(k) == st
		}
		if !known {
			s.error(w, r, roster.FieldErrors{"status": "must be one of queued, sending, sent, failed"}.Err())
			return
		}
		f.Status, view.Status = roster.OutboxStatus(st), roster.OutboxStatus(st)
	}
	if b := q.Get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			s.error(w, r, roster.FieldErrors{"before": "must be a message id"}.Err())
			return
		}
		f.BeforeID = id
	}
	ms, err := s.Outbox.FindOutbox(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if len(ms) > outboxPage {
		ms = ms[:outboxPage]
		view.Older = ms[len(ms)-1].ID
	}
	view.Messages = ms
	if view.Counts, err = s.Outbox.CountOutbox(r.Context()); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "outbox", "Email", view)
}

// messageView is one message of the Outbox, rendered.
type messageView struct {
	Message *roster.OutboxMessage
	Loc     *time.Location
	// Frame is the HTML part for the sandboxed frame's srcdoc: links open
	// outside the frame. The frame runs no script and reaches nothing of
	// this page (an opaque origin).
	Frame string
	// Links are the addresses in the message, clickable here.
	Links []string
}

var messageLinks = regexp.MustCompile(`https?://[^\s<>"']+`)

func (s *Server) handleOutboxMessage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.error(w, r, roster.Errorf(roster.ENOTFOUND, "No such message."))
		return
	}
	m, err := s.Outbox.FindOutboxMessage(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	view := messageView{Message: m, Loc: staffFrom(r).Location(), Frame: `<base target="_blank">` + m.HTML}
	seen := map[string]bool{}
	for _, l := range messageLinks.FindAllString(m.Text, -1) {
		l = strings.TrimRight(l, ".,;:)")
		if !seen[l] {
			seen[l] = true
			view.Links = append(view.Links, l)
		}
	}
	s.render(w, r, http.StatusOK, "outbox_message", m.Subject, view)
}

func (s *Server) handleOutboxRetry(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("op") != "retry" {
		s.pageNotFound(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.error(w, r, roster.Errorf(roster.ENOTFOUND, "No such message."))
		return
	}
	if err := s.Outbox.RetryOutboxMessage(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	if s.WakeMail != nil {
		s.WakeMail()
	}
	s.setFlash(w, r, "The message is queued to be sent again.")
	http.Redirect(w, r, "/settings/email/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// sentFlash tells staff where the message went and, without a mail
// server, where to find it.
func (s *Server) sentFlash(what string, m *roster.OutboxMessage) string {
	msg := what + " queued to " + m.Recipient + "."
	if !s.MailEnabled {
		msg += " No mail server is configured: the message waits in Settings → Email."
	}
	return msg
}

// handleUserInvite invites the user from the profile.
func (s *Server) handleUserInvite(w http.ResponseWriter, r *http.Request) {
	s.profileLink(w, r, "Invitation", s.Accounts.InviteUser)
}

// handleUserResetLink sends the user a reset link from the profile.
func (s *Server) handleUserResetLink(w http.ResponseWriter, r *http.Request) {
	s.profileLink(w, r, "Password reset link", s.Accounts.SendPasswordReset)
}

func (s *Server) profileLink(w http.ResponseWriter, r *http.Request, what string, send func(ctx context.Context, id string) (*roster.OutboxMessage, error)) {
	u, reg, ok := s.loadProfile(w, r)
	if !ok {
		return
	}
	m, err := send(r.Context(), u.PublicID)
	if err != nil {
		if !refusal(err) {
			s.error(w, r, err)
			return
		}
		view := s.profile(r, u, reg, nil, nil)
		view.Error = roster.ErrorMessage(err)
		s.render(w, r, errorStatus(err), "user", view.Name, view)
		return
	}
	s.setFlash(w, r, s.sentFlash(what, m))
	http.Redirect(w, r, "/users/"+u.PublicID, http.StatusSeeOther)
}

// apiMessage is a queued message as the API shows it: never its bodies,
// which hold the link.
type apiMessage struct {
	ID        int64  `json:"id"`
	MessageID string `json:"message_id"`
	Recipient string `json:"recipient"`
	Template  string `json:"template"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

func toAPIMessage(m *roster.OutboxMessage) apiMessage {
	return apiMessage{ID: m.ID, MessageID: m.MessageID, Recipient: m.Recipient, Template: m.Template, Status: string(m.Status),
		CreatedAt: m.CreatedAt.UTC().Format(time.RFC3339)}
}

func (s *Server) apiInviteUser(w http.ResponseWriter, r *http.Request) {
	m, err := s.Accounts.InviteUser(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"status": string(roster.StatusInvited), "message": toAPIMessage(m)})
}

func (s *Server) apiSendPasswordReset(w http.ResponseWriter, r *http.Request) {
	m, err := s.Accounts.SendPasswordReset(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"message": toAPIMessage(m)})
}
