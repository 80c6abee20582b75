package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/query"
)

// planRequest is what a search and an export share, before validation: a
// filter, a sort and the time zone its dates are read in (the staff
// member's when empty).
type planRequest struct {
	filter query.Filter
	sort   string
	tz     string
}

// plan validates req for the staff member of r: the registry it is
// compiled against, the plan and the time zone. Every problem with the
// request is an EINVALID error naming it.
func (s *Server) plan(r *http.Request, req planRequest) (*query.Plan, *roster.Registry, *time.Location, error) {
	loc := staffFrom(r).Location()
	if req.tz != "" {
		l, err := time.LoadLocation(req.tz)
		if err != nil || req.tz == "Local" {
			return nil, nil, nil, roster.Errorf(roster.EINVALID, "tz: %s is not a known time zone (use an IANA name such as Europe/Paris)", roster.Quote(req.tz))
		}
		loc = l
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		return nil, nil, nil, err
	}
	plan, err := query.Compile(req.filter, reg, loc)
	if err != nil {
		return nil, nil, nil, err
	}
	if plan.Sort, err = query.ParseSort(req.sort, reg); err != nil {
		return nil, nil, nil, err
	}
	return plan, reg, loc, nil
}

// onlyParams refuses a query string with a parameter outside allowed, so
// that a typo is not silently ignored.
func onlyParams(q url.Values, allowed ...string) error {
	for k := range q {
		if !slices.Contains(allowed, k) {
			return roster.Errorf(roster.EINVALID, "unknown parameter %s (use %s)", roster.Quote(k), strings.Join(allowed, ", "))
		}
	}
	return nil
}

// searchRequest is a search as the API receives it, before validation.
type searchRequest struct {
	planRequest
	limit  string
	cursor string
}

// searchResponse is the API's page of users.
type searchResponse struct {
	Total      int        `json:"total"`
	Users      []userJSON `json:"users"`
	NextCursor string     `json:"next_cursor,omitempty"`
	// Hints are advice on conditions that are valid but likely not meant.
	Hints []query.Hint `json:"hints,omitempty"`
}

// searchPage is a validated search and its result, for the API and pages.
type searchPage struct {
	Plan   *query.Plan
	Reg    *roster.Registry
	Result *query.Result
	Users  []*roster.User
	Next   string
	Loc    *time.Location
}

// runSearch validates req for the staff member of r and runs it. Every
// problem with the request is an EINVALID error naming it.
func (s *Server) runSearch(r *http.Request, req searchRequest) (*searchPage, error) {
	ctx := r.Context()
	limit := query.DefaultLimit
	if req.limit != "" {
		n, err := strconv.Atoi(req.limit)
		if err != nil || n < 1 || n > query.MaxLimit {
			return nil, roster.Errorf(roster.EINVALID, "limit must be a whole number from 1 to %d", query.MaxLimit)
		}
		limit = n
	}
	plan, reg, loc, err := s.plan(r, req.planRequest)
	if err != nil {
		return nil, err
	}
	page := query.Page{Limit: limit}
	if req.cursor != "" {
		if page.After, err = query.DecodeCursor(s.CursorKey, plan, req.cursor); err != nil {
			return nil, err
		}
	}
	res, err := s.Search.Search(ctx, plan, page)
	if err != nil {
		return nil, err
	}
	users, err := s.Users.FindUsersByIDs(ctx, res.IDs)
	if err != nil {
		return nil, err
	}
	out := &searchPage{Plan: plan, Reg: reg, Result: res, Users: users, Loc: loc}
	if res.Next != nil {
		out.Next = query.EncodeCursor(s.CursorKey, plan, res.Next)
	}
	return out, nil
}

func (s *Server) writeSearch(w http.ResponseWriter, r *http.Request, req searchRequest) {
	p, err := s.runSearch(r, req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	resp := searchResponse{Total: p.Result.Total, Users: make([]userJSON, len(p.Users)), NextCursor: p.Next, Hints: p.Plan.Hints}
	for i, u := range p.Users {
		resp.Users[i] = userJSON{p.Reg, u}
	}
	writeJSON(w, http.StatusOK, resp)
}

// apiSearchUsers is GET /api/v1/users?q=&sort=&limit=&cursor=&tz=.
func (s *Server) apiSearchUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := onlyParams(q, "q", "sort", "limit", "cursor", "tz"); err != nil {
		s.error(w, r, err)
		return
	}
	f, err := query.Parse(q.Get("q"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeSearch(w, r, searchRequest{planRequest: planRequest{filter: f, sort: q.Get("sort"), tz: q.Get("tz")}, limit: q.Get("limit"), cursor: q.Get("cursor")})
}

// apiSearchUsersJSON is POST /api/v1/users/search with the JSON filter
// ({"q": TEXT} or {"words": [...], "conditions": [...]}) and the members
// sort, limit, cursor and tz.
func (s *Server) apiSearchUsersJSON(w http.ResponseWriter, r *http.Request) {
	body, err := decodeObject(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	req := searchRequest{}
	for k, dst := range map[string]*string{"sort": &req.sort, "cursor": &req.cursor, "tz": &req.tz} {
		if raw, ok := body[k]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				s.error(w, r, roster.Errorf(roster.EINVALID, "%s must be a string", k))
				return
			}
			delete(body, k)
		}
	}
	if raw, ok := body["limit"]; ok {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			s.error(w, r, roster.Errorf(roster.EINVALID, "limit must be a number"))
			return
		}
		req.limit = n.String()
		delete(body, "limit")
	}
	rest, _ := json.Marshal(body)
	if req.filter, err = query.ParseJSON(rest); err != nil {
		s.error(w, r, err)
		return
	}
	s.writeSearch(w, r, req)
}
