package web

import (
	"context"
	"net/http"
	"time"

	"roster"
)

// groupJSON is a group as the API shows it: times in RFC 3339, null for
// no bound.
type groupJSON struct {
	ID           int64           `json:"id"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	StartsAt     *string         `json:"starts_at"`
	StopsAt      *string         `json:"stops_at"`
	UserViewable bool            `json:"user_viewable"`
	JoinType     roster.JoinType `json:"join_type"`
	Order        int             `json:"order"`
	Properties   map[string]any  `json:"properties"`
	Members      int             `json:"members"`
	Active       bool            `json:"active"`
	CreatedAt    *string         `json:"created_at"`
}

func newGroupJSON(g *roster.Group) groupJSON {
	props := g.Properties
	if props == nil {
		props = map[string]any{}
	}
	return groupJSON{
		ID: g.ID, Name: g.Name, Description: g.Description,
		StartsAt: jsonTime(g.StartsAt), StopsAt: jsonTime(g.StopsAt),
		UserViewable: g.UserViewable, JoinType: g.JoinType, Order: g.Order,
		Properties: props, Members: g.Members, Active: g.Active(time.Now()),
		CreatedAt: jsonTime(g.CreatedAt),
	}
}

// groupInput is the body of POST and PATCH /api/v1/groups: nil members are
// absent.
type groupInput struct {
	Name         *string          `json:"name"`
	Description  *string          `json:"description"`
	StartsAt     timeArg          `json:"starts_at"`
	StopsAt      timeArg          `json:"stops_at"`
	UserViewable *bool            `json:"user_viewable"`
	JoinType     *roster.JoinType `json:"join_type"`
	Order        *int             `json:"order"`
	Properties   map[string]any   `json:"properties"`
}

// update turns in into a GroupUpdate, or an error naming bad times.
func (in groupInput) update() (roster.GroupUpdate, error) {
	fe := roster.FieldErrors{}
	in.StartsAt.check(fe, "starts_at")
	in.StopsAt.check(fe, "stops_at")
	if err := fe.Err(); err != nil {
		return roster.GroupUpdate{}, err
	}
	upd := roster.GroupUpdate{Name: in.Name, Description: in.Description, UserViewable: in.UserViewable,
		JoinType: in.JoinType, Order: in.Order, Properties: in.Properties}
	if in.StartsAt.Set {
		upd.StartsAt = &in.StartsAt.T
	}
	if in.StopsAt.Set {
		upd.StopsAt = &in.StopsAt.T
	}
	return upd, nil
}

func (s *Server) apiListGroups(w http.ResponseWriter, r *http.Request) {
	groups, err := s.findGroups(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]groupJSON, len(groups))
	for i := range groups {
		out[i] = newGroupJSON(&groups[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": out})
}

// findGroups returns every group in display order with its member count.
func (s *Server) findGroups(ctx context.Context) ([]roster.Group, error) {
	groups, err := s.Groups.FindGroups(ctx)
	if err != nil || s.Members == nil {
		return groups, err
	}
	n, err := s.Members.MemberCounts(ctx, "groups")
	for i := range groups {
		groups[i].Members = n[groups[i].ID]
	}
	return groups, err
}

func (s *Server) apiGetGroup(w http.ResponseWriter, r *http.Request) {
	if g, ok := s.loadGroup(w, r); ok {
		writeJSON(w, http.StatusOK, newGroupJSON(g))
	}
}

// readGroupInput decodes a group's JSON body into the change it asks for.
func readGroupInput(w http.ResponseWriter, r *http.Request) (roster.GroupUpdate, error) {
	var in groupInput
	if err := decodeInto(w, r, &in); err != nil {
		return roster.GroupUpdate{}, err
	}
	return in.update()
}

func (s *Server) apiCreateGroup(w http.ResponseWriter, r *http.Request) {
	upd, err := readGroupInput(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	g := &roster.Group{}
	upd.Apply(g)
	if err := s.Groups.CreateGroup(r.Context(), g); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/groups/"+roster.RefValue(g.ID))
	writeJSON(w, http.StatusCreated, newGroupJSON(g))
}

func (s *Server) apiUpdateGroup(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "group")
	if err != nil {
		s.error(w, r, err)
		return
	}
	upd, err := readGroupInput(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	g, err := s.Groups.UpdateGroup(r.Context(), id, upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newGroupJSON(g))
}

func (s *Server) apiDeleteGroup(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "group")
	if err == nil {
		err = s.Groups.DeleteGroup(r.Context(), id)
	}
	s.noContent(w, r, err)
}

// codeJSON is a group code as the API shows it; Code only when created.
type codeJSON struct {
	ID        int64   `json:"id"`
	GroupID   int64   `json:"group_id"`
	Code      string  `json:"code,omitempty"`
	Hint      string  `json:"hint"`
	MaxUses   int     `json:"max_uses"`
	Uses      int     `json:"uses"`
	StartsAt  *string `json:"starts_at"`
	ExpiresAt *string `json:"expires_at"`
	CreatedAt *string `json:"created_at"`
}

func newCodesJSON(codes []roster.GroupCode) []codeJSON {
	out := make([]codeJSON, len(codes))
	for i, c := range codes {
		out[i] = codeJSON{ID: c.ID, GroupID: c.GroupID, Code: c.Code, Hint: c.Hint, MaxUses: c.MaxUses, Uses: c.Uses,
			StartsAt: jsonTime(c.StartsAt), ExpiresAt: jsonTime(c.ExpiresAt), CreatedAt: jsonTime(c.CreatedAt)}
	}
	return out
}

// apiCreateCodes is POST /api/v1/groups/{id}/codes. The plain codes are in
// this answer only: only their hashes are stored.
func (s *Server) apiCreateCodes(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "group")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in struct {
		Count     int     `json:"count"`
		MaxUses   *int    `json:"max_uses"`
		Unlimited bool    `json:"unlimited"`
		Code      string  `json:"code"`
		StartsAt  timeArg `json:"starts_at"`
		ExpiresAt timeArg `json:"expires_at"`
	}
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	fe := roster.FieldErrors{}
	// Missing or null: the default (single-use for generated codes). Zero
	// is not a way to say "no limit": that is "unlimited": true.
	maxUses := 0
	if in.MaxUses != nil {
		if maxUses = *in.MaxUses; maxUses == 0 {
			fe.Add("max_uses", `must be at least 1 (for codes without a limit, send "unlimited": true)`)
		}
	}
	in.StartsAt.check(fe, "starts_at")
	in.ExpiresAt.check(fe, "expires_at")
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	codes, err := s.Groups.CreateCodes(r.Context(), id, roster.CodeRequest{Count: in.Count, MaxUses: maxUses, Unlimited: in.Unlimited, Code: in.Code,
		StartsAt: in.StartsAt.T, ExpiresAt: in.ExpiresAt.T})
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{"codes": newCodesJSON(codes)})
}

func (s *Server) apiListCodes(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "group")
	if err != nil {
		s.error(w, r, err)
		return
	}
	// FindCodes of a group that does not exist is an empty list: say 404.
	if _, err := s.Groups.FindGroup(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	codes, err := s.Groups.FindCodes(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for i := range codes {
		codes[i].Code = "" // never shown again, whatever the store returns
	}
	writeJSON(w, http.StatusOK, map[string]any{"codes": newCodesJSON(codes)})
}

func (s *Server) apiDeleteCode(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "group")
	var codeID int64
	if err == nil {
		codeID, err = pathID(r, "code_id", "code")
	}
	if err == nil {
		err = s.Groups.DeleteCode(r.Context(), id, codeID)
	}
	s.noContent(w, r, err)
}

// membershipJSON is one user's place in a group.
type membershipJSON struct {
	GroupID  int64      `json:"group_id"`
	UserID   string     `json:"user_id"`
	Via      roster.Via `json:"via"`
	CodeID   int64      `json:"code_id,omitempty"`
	JoinedAt *string    `json:"joined_at"`
}

// memberRequest is the body of the app's join and leave.
type memberRequest struct {
	UserID string `json:"user_id"`
	Code   string `json:"code"`
}

// groupAndUser reads the group of the path and a member request; the user
// is required.
func (s *Server) groupAndUser(w http.ResponseWriter, r *http.Request, in *memberRequest) (*roster.Group, error) {
	id, err := pathID(r, "id", "group")
	if err != nil {
		return nil, err
	}
	if err := decodeInto(w, r, in); err != nil {
		return nil, err
	}
	if in.UserID == "" {
		return nil, roster.FieldErrors{"user_id": "is required"}.Err()
	}
	return s.Groups.FindGroup(r.Context(), id)
}

// apiJoinGroup is POST /api/v1/groups/{id}/join: a user joining from the
// operator's app, with a code for a private group. A refusal (outside the
// group's period, a missing, wrong or used-up code) is a 422 whose message
// says why.
func (s *Server) apiJoinGroup(w http.ResponseWriter, r *http.Request) {
	var in memberRequest
	g, err := s.groupAndUser(w, r, &in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	m, err := s.Groups.Join(r.Context(), g.ID, in.UserID, in.Code)
	if err != nil {
		// The group exists: a missing user is a bad user_id.
		err = notFoundAs(err, "user_id", "there is no such user")
		key := "group"
		if g.JoinType == roster.JoinCode && g.Active(time.Now()) {
			key = "code"
		}
		s.error(w, r, asField(err, key))
		return
	}
	writeJSON(w, http.StatusOK, membershipJSON{GroupID: m.GroupID, UserID: in.UserID, Via: m.Via, CodeID: m.CodeID, JoinedAt: jsonTime(m.JoinedAt)})
}

// apiLeaveGroup is POST /api/v1/groups/{id}/leave: a user leaving from the
// app.
func (s *Server) apiLeaveGroup(w http.ResponseWriter, r *http.Request) {
	var in memberRequest
	g, err := s.groupAndUser(w, r, &in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if in.Code != "" {
		s.error(w, r, roster.FieldErrors{"code": "is not needed to leave a group"}.Err())
		return
	}
	s.noContent(w, r, notFoundAs(s.Groups.Leave(r.Context(), g.ID, in.UserID), "user_id", "there is no such user"))
}

// apiAddMember is POST /api/v1/groups/{id}/members/{user_id}: staff adding
// one user, whatever the group's join type and period.
func (s *Server) apiAddMember(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "group")
	if err != nil {
		s.error(w, r, err)
		return
	}
	userID := r.PathValue("user_id")
	if err := s.Groups.AddMember(r.Context(), id, userID); err != nil {
		s.error(w, r, err)
		return
	}
	ms, err := s.Groups.Memberships(r.Context(), userID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, m := range ms {
		if m.GroupID == id {
			writeJSON(w, http.StatusOK, membershipJSON{GroupID: id, UserID: userID, Via: m.Via, CodeID: m.CodeID, JoinedAt: jsonTime(m.JoinedAt)})
			return
		}
	}
	// Deleted between the two calls.
	s.error(w, r, roster.Errorf(roster.ENOTFOUND, "No such group."))
}

// apiRemoveMember is DELETE /api/v1/groups/{id}/members/{user_id}.
func (s *Server) apiRemoveMember(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "group")
	if err == nil {
		err = s.Groups.RemoveMember(r.Context(), id, r.PathValue("user_id"))
	}
	s.noContent(w, r, err)
}

// apiAddMembers is POST /api/v1/groups/{id}/members with {"q": FILTER}.
func (s *Server) apiAddMembers(w http.ResponseWriter, r *http.Request) {
	s.bulkMembers(w, r, true)
}

// apiRemoveMembers is POST /api/v1/groups/{id}/members/remove with
// {"q": FILTER}.
func (s *Server) apiRemoveMembers(w http.ResponseWriter, r *http.Request) {
	s.bulkMembers(w, r, false)
}

func (s *Server) bulkMembers(w http.ResponseWriter, r *http.Request, add bool) {
	apply := s.Groups.AddMembers
	if !add {
		apply = s.Groups.RemoveMembers
	}
	s.bulkAPI(w, r, "group", func(ctx context.Context, id int64) error { _, err := s.Groups.FindGroup(ctx, id); return err }, apply)
}

// smartTypesJSON is the smart type list: group ids in priority order, and
// the groups themselves.
type smartTypesJSON struct {
	Groups []int64   `json:"groups"`
	Types  []refJSON `json:"types"`
}

func (s *Server) writeSmartTypes(w http.ResponseWriter, r *http.Request) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := smartTypesJSON{Groups: []int64{}, Types: []refJSON{}}
	for _, id := range reg.Catalog.SmartTypes {
		g, _ := reg.Catalog.Group(id)
		out.Groups = append(out.Groups, id)
		out.Types = append(out.Types, refJSON{ID: id, Name: g.Name})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiGetSmartTypes(w http.ResponseWriter, r *http.Request) {
	s.writeSmartTypes(w, r)
}

// apiSetSmartTypes is PUT /api/v1/smart-types with {"groups": [ids]} in
// priority order; [] empties the list.
func (s *Server) apiSetSmartTypes(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Groups *[]int64 `json:"groups"`
	}
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.Groups == nil {
		s.error(w, r, roster.FieldErrors{"groups": "is required (a list of group ids, [] for none)"}.Err())
		return
	}
	if err := s.Groups.SetSmartTypes(r.Context(), *in.Groups); err != nil {
		s.error(w, r, asField(err, "groups"))
		return
	}
	s.writeSmartTypes(w, r)
}
