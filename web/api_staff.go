package web

import (
	"net/http"
	"time"

	"roster"
)

// The staff sessions in the API: what the Devices page of a staff account
// shows and does, for an incident script.

// apiSession is a staff session as the API shows it.
type apiSession struct {
	ID         int64     `json:"id"`
	Browser    string    `json:"browser"`
	OS         string    `json:"os"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
}

func (s *Server) apiListStaffSessions(w http.ResponseWriter, r *http.Request) {
	account, err := s.staffAccount(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	sessions, err := s.Devices.FindSessions(r.Context(), account.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := []apiSession{}
	for _, sess := range sessions {
		d := roster.ParseUserAgent(sess.UserAgent)
		out = append(out, apiSession{ID: sess.ID, Browser: d.Browser, OS: d.OS, UserAgent: sess.UserAgent, IP: sess.IP,
			CreatedAt: sess.CreatedAt.UTC(), LastSeenAt: sess.LastSeenAt.UTC()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

func (s *Server) apiEndStaffSessions(w http.ResponseWriter, r *http.Request) {
	account, err := s.staffAccount(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := s.Devices.EndOtherSessions(r.Context(), account.ID, 0)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"ended": n})
}

func (s *Server) apiEndStaffSession(w http.ResponseWriter, r *http.Request) {
	account, err := s.staffAccount(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id, err := pathID(r, "session_id", "session")
	if err == nil {
		err = s.Devices.EndSession(r.Context(), account.ID, id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
