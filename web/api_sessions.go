package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"roster"
)

// Staff's side of user sessions and push tokens: the API and the
// profile's Devices section.

// sessionUser returns the user the path names, or an error; without a
// session service, the routes are not there.
func (s *Server) sessionUser(r *http.Request) (*roster.User, error) {
	if s.Sessions == nil {
		return nil, roster.Errorf(roster.ENOTFOUND, "User sessions are not served here.")
	}
	return s.Users.FindUserByID(r.Context(), r.PathValue("id"))
}

// apiUserSessions is GET /api/v1/users/{id}/sessions: the user's live
// sessions, the last used first.
func (s *Server) apiUserSessions(w http.ResponseWriter, r *http.Request) {
	u, err := s.sessionUser(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	list, err := s.Sessions.FindSessions(r.Context(), u.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]sessionJSON, len(list))
	for i := range list {
		out[i] = newSessionJSON(&list[i], 0)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// apiEndUserSessions is DELETE /api/v1/users/{id}/sessions: staff signing
// the user out everywhere (audited). It answers how many ended.
func (s *Server) apiEndUserSessions(w http.ResponseWriter, r *http.Request) {
	u, err := s.sessionUser(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := s.Sessions.EndSessions(r.Context(), u.ID, 0, roster.EndByStaff)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"ended": n})
}

// apiEndUserSession is DELETE /api/v1/users/{id}/sessions/{session_id}:
// staff ending one session (audited).
func (s *Server) apiEndUserSession(w http.ResponseWriter, r *http.Request) {
	u, err := s.sessionUser(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id, err := pathID(r, "session_id", "session")
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.noContent(w, r, s.Sessions.EndSession(r.Context(), u.ID, id, roster.EndByStaff))
}

// apiUserPushTokens is GET /api/v1/users/{id}/push-tokens: the user's
// push token records, newest first.
func (s *Server) apiUserPushTokens(w http.ResponseWriter, r *http.Request) {
	u, err := s.sessionUser(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	list, err := s.Sessions.PushTokens(r.Context(), u.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]pushTokenJSON, len(list))
	for i, t := range list {
		out[i] = newPushTokenJSON(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"push_tokens": out})
}

// apiDeleteUserPushToken is DELETE /api/v1/users/{id}/push-tokens/{token_id}
// (audited).
func (s *Server) apiDeleteUserPushToken(w http.ResponseWriter, r *http.Request) {
	u, err := s.sessionUser(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id, err := pathID(r, "token_id", "push token")
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.noContent(w, r, s.Sessions.DeletePushToken(r.Context(), u.ID, id))
}

// memberSettingsInput is the body of PUT /api/v1/settings/member: members
// left out keep their value.
type memberSettingsInput struct {
	SignIn             *bool     `json:"member_sign_in"`
	Refresh            *bool     `json:"refresh_tokens"`
	IdleTTLMinutes     *int64    `json:"idle_ttl_minutes"`
	AbsoluteTTLMinutes *int64    `json:"absolute_ttl_minutes"`
	EditableFields     *[]string `json:"editable_fields"`
}

// apiGetMemberSettings is GET /api/v1/settings/member.
func (s *Server) apiGetMemberSettings(w http.ResponseWriter, r *http.Request) {
	if s.Sessions == nil {
		s.apiNotFound(w, r)
		return
	}
	p, err := s.Sessions.MemberPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// apiPutMemberSettings is PUT /api/v1/settings/member (audited).
func (s *Server) apiPutMemberSettings(w http.ResponseWriter, r *http.Request) {
	if s.Sessions == nil {
		s.apiNotFound(w, r)
		return
	}
	var in memberSettingsInput
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.Sessions.MemberPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	minutes := func(dst *time.Duration, n *int64) {
		if n != nil {
			*dst = -1 // out of bounds: Validate names the field
			if *n >= 0 && *n <= int64(roster.MaxSessionTTL/time.Minute) {
				*dst = time.Duration(*n) * time.Minute
			}
		}
	}
	if in.SignIn != nil {
		p.SignIn = *in.SignIn
	}
	if in.Refresh != nil {
		p.Refresh = *in.Refresh
	}
	minutes(&p.IdleTTL, in.IdleTTLMinutes)
	minutes(&p.AbsoluteTTL, in.AbsoluteTTLMinutes)
	if in.EditableFields != nil {
		if err := s.checkEditableFields(r, *in.EditableFields); err != nil {
			s.error(w, r, err)
			return
		}
		p.EditableFields = *in.EditableFields
	}
	if err := s.Sessions.SetMemberPolicy(r.Context(), p); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// checkEditableFields refuses, by the field editable_fields, keys that are
// not fields a user could edit: unknown, or not roster.Field.UserEditable
// (computed, counters, system fields, the password).
func (s *Server) checkEditableFields(r *http.Request, keys []string) error {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, k := range keys {
		f, ok := reg.Field(k)
		switch {
		case !ok:
			return roster.FieldErrors{"editable_fields": quoteKey(k) + " is not a field" + suggest(reg, k)}.Err()
		case !f.UserEditable():
			return roster.FieldErrors{"editable_fields": quoteKey(k) + " (" + f.Label + ") is kept by Roster or staff and cannot be edited by users"}.Err()
		case seen[k]:
			return roster.FieldErrors{"editable_fields": quoteKey(k) + " is listed twice"}.Err()
		}
		seen[k] = true
	}
	return nil
}

func quoteKey(k string) string { return strconv.Quote(k) }

// handleUserSessionsEnd is the profile's "Sign out everywhere".
func (s *Server) handleUserSessionsEnd(w http.ResponseWriter, r *http.Request) {
	u, err := s.sessionUser(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := s.Sessions.EndSessions(r.Context(), u.ID, 0, roster.EndByStaff)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Signed out of "+strconv.Itoa(n)+" devices.")
	http.Redirect(w, r, "/users/"+url.PathEscape(u.PublicID)+"#devices", http.StatusSeeOther)
}

// handleUserSessionEnd is the profile's "Sign out this device".
func (s *Server) handleUserSessionEnd(w http.ResponseWriter, r *http.Request) {
	u, err := s.sessionUser(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id, err := pathID(r, "session", "session")
	if err == nil {
		err = s.Sessions.EndSession(r.Context(), u.ID, id, roster.EndByStaff)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Signed out of the device.")
	http.Redirect(w, r, "/users/"+url.PathEscape(u.PublicID)+"#devices", http.StatusSeeOther)
}

// handleUserPushTokenDelete removes a push token from the profile.
func (s *Server) handleUserPushTokenDelete(w http.ResponseWriter, r *http.Request) {
	u, err := s.sessionUser(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id, err := pathID(r, "token", "push token")
	if err == nil {
		err = s.Sessions.DeletePushToken(r.Context(), u.ID, id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Push token removed.")
	http.Redirect(w, r, "/users/"+url.PathEscape(u.PublicID)+"#devices", http.StatusSeeOther)
}
