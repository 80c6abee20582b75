package web

import (
	"net/http"
	"strconv"
	"time"

	"roster"
)

// monthJSON is a Member of the Month with the user's name, as it is now.
type monthJSON struct {
	Month     string  `json:"month"`
	UserID    string  `json:"user_id"`
	Name      string  `json:"name"`
	Citation  string  `json:"citation"`
	NamedBy   string  `json:"named_by"`
	CreatedAt *string `json:"created_at"`
}

// monthsJSON adds the users' names to ms, reading each user once.
func (s *Server) monthsJSON(r *http.Request, ms []roster.MemberOfMonth) ([]monthJSON, error) {
	names := map[string]string{}
	out := make([]monthJSON, len(ms))
	for i, m := range ms {
		name, ok := names[m.UserID]
		if !ok {
			u, err := s.Users.FindUserByID(r.Context(), m.UserID)
			if err != nil && roster.ErrorCode(err) != roster.ENOTFOUND {
				return nil, err
			}
			if u != nil {
				name = u.Name()
			}
			names[m.UserID] = name
		}
		out[i] = monthJSON{Month: m.Month, UserID: m.UserID, Name: name, Citation: m.Citation, NamedBy: m.NamedBy, CreatedAt: jsonTime(m.CreatedAt)}
	}
	return out, nil
}

// apiNameMemberOfMonth is POST /api/v1/member-of-the-month. A month that
// already has its member is a 409 unless the body says "replace": true.
func (s *Server) apiNameMemberOfMonth(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Month    string `json:"month"`
		UserID   string `json:"user_id"`
		Citation string `json:"citation"`
		Replace  bool   `json:"replace"`
	}
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	m := &roster.MemberOfMonth{Month: in.Month, UserID: in.UserID, Citation: in.Citation}
	if err := s.Months.NameMemberOfMonth(r.Context(), m, in.Replace); err != nil {
		s.error(w, r, notFoundAs(err, "user_id", "there is no such user"))
		return
	}
	out, err := s.monthsJSON(r, []roster.MemberOfMonth{*m})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out[0])
}

// apiGetMemberOfMonth is GET /api/v1/member-of-the-month?month=YYYY-MM,
// the current month in UTC by default.
func (s *Server) apiGetMemberOfMonth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "month" {
			s.error(w, r, roster.Errorf(roster.EINVALID, "unknown parameter %s (use month)", roster.Quote(k)))
			return
		}
	}
	month := time.Now().UTC().Format("2006-01")
	if q.Has("month") {
		t, err := roster.ParseMonth(q.Get("month"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		month = t.Format("2006-01")
	}
	m, err := s.Months.MemberOfMonth(r.Context(), month)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out, err := s.monthsJSON(r, []roster.MemberOfMonth{*m})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out[0])
}

// apiMonthHistory is GET /api/v1/member-of-the-month/history?limit=N,
// newest month first.
func (s *Server) apiMonthHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	for k := range q {
		if k != "limit" {
			s.error(w, r, roster.Errorf(roster.EINVALID, "unknown parameter %s (use limit)", roster.Quote(k)))
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.error(w, r, roster.Errorf(roster.EINVALID, "limit must be a number from 1 to 1000."))
			return
		}
		limit = n
	}
	ms, err := s.Months.MonthHistory(r.Context(), limit)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out, err := s.monthsJSON(r, ms)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": out})
}
