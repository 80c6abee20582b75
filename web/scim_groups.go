package web

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"roster"
	"roster/query"
	"roster/scim"
)

// groupMembers returns the public ids of a group's members, found by the
// query index.
func (s *Server) groupMembers(ctx context.Context, id int64) ([]string, error) {
	reg, err := s.Fields.Registry(ctx)
	if err != nil {
		return nil, err
	}
	f, _ := reg.Field("groups")
	plan := &query.Plan{Groups: [][]query.Pred{{{Field: f, Kind: query.KindSet, Op: query.OpEq, Strs: []string{roster.RefValue(id)}}}}}
	ids, err := s.Search.Match(ctx, plan)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ids))
	for start := 0; start < len(ids); start += 1000 {
		users, err := s.Users.FindUsersByIDs(ctx, ids[start:min(start+1000, len(ids))])
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			out = append(out, u.PublicID)
		}
	}
	return out, nil
}

// scimGroupID reads the group id of the path.
func scimGroupID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, scim.Errorf(http.StatusNotFound, "", "no group %s", strconv.Quote(r.PathValue("id")))
	}
	return id, nil
}

// scimGroup reads the group of the path as a resource, with its members
// unless withMembers is false.
func (s *Server) scimGroup(r *http.Request, withMembers bool) (*roster.Group, []string, scim.Resource, error) {
	id, err := scimGroupID(r)
	if err != nil {
		return nil, nil, nil, err
	}
	g, err := s.Groups.FindGroup(r.Context(), id)
	if err != nil {
		return nil, nil, nil, err
	}
	var members []string
	if withMembers {
		if members, err = s.groupMembers(r.Context(), id); err != nil {
			return nil, nil, nil, err
		}
	}
	return g, members, scim.GroupResource(g, members, s.scimConfig(r)), nil
}

func (s *Server) scimListGroups(w http.ResponseWriter, r *http.Request) {
	lp, err := parseListParams(r)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	ctx := r.Context()
	groups, err := s.Groups.FindGroups(ctx)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	// Groups are few: they are filtered and sorted here, by the filter's
	// own semantics. Members are read only when shown or filtered on.
	withMembers := !lp.sel.Excludes("members") || mentions(lp.filter, "members")
	cfg := s.scimConfig(r)
	var all []scim.Resource
	for i := range groups {
		var members []string
		if withMembers {
			if members, err = s.groupMembers(ctx, groups[i].ID); err != nil {
				s.scimError(w, r, err)
				return
			}
		}
		res := scim.GroupResource(&groups[i], members, cfg)
		if lp.filter == nil || scim.Match(lp.filter, res) {
			all = append(all, res)
		}
	}
	if lp.sortBy != "" {
		key, err := groupSortKey(lp.sortBy)
		if err != nil {
			s.scimError(w, r, err)
			return
		}
		sort.SliceStable(all, func(i, j int) bool {
			a, b := strings.ToLower(asText(all[i][key])), strings.ToLower(asText(all[j][key]))
			if lp.desc {
				return a > b
			}
			return a < b
		})
	}
	total := len(all)
	from := min(lp.startIndex-1, total)
	to := min(from+lp.count, total)
	page := all[from:to]
	for i, res := range page {
		page[i] = lp.sel.Apply(res)
	}
	scimList(w, total, lp.startIndex, page)
}

func asText(v any) string {
	s, _ := v.(string)
	return s
}

func groupSortKey(sortBy string) (string, error) {
	for _, k := range []string{"id", "displayName", "externalId"} {
		if strings.EqualFold(sortBy, k) || strings.EqualFold(sortBy, scim.SchemaGroup+":"+k) {
			return k, nil
		}
	}
	return "", scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "sortBy %s: groups sort by id, displayName or externalId", strconv.Quote(sortBy))
}

// mentions reports whether e names attribute attr.
func mentions(e scim.Expr, attr string) bool {
	switch x := e.(type) {
	case *scim.Logical:
		return mentions(x.L, attr) || mentions(x.R, attr)
	case *scim.Not:
		return mentions(x.X, attr)
	case *scim.ValuePath:
		return strings.EqualFold(x.Path.Attr, attr)
	case *scim.Compare:
		return strings.EqualFold(x.Path.Attr, attr)
	}
	return false
}

func (s *Server) scimGetGroup(w http.ResponseWriter, r *http.Request) {
	sel, err := scim.ParseSelection(r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	_, _, res, err := s.scimGroup(r, !sel.Excludes("members"))
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	scimResource(w, http.StatusOK, sel.Apply(res))
}

func (s *Server) scimCreateGroup(w http.ResponseWriter, r *http.Request) {
	_, body, err := scimBody(w, r)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	gw, err := scim.DecodeGroup(body)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	if gw.Name == nil {
		s.scimError(w, r, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "displayName is required"))
		return
	}
	g := &roster.Group{Name: *gw.Name}
	if gw.ExternalID != nil {
		g.Properties = scim.ExternalIDProperty(nil, *gw.ExternalID)
	}
	ctx := r.Context()
	ch, err := s.planMembers(ctx, nil, gw.Members)
	if err != nil {
		s.scimError(w, r, err) // nothing written
		return
	}
	if err := s.Groups.CreateGroup(ctx, g); err != nil {
		s.scimError(w, r, err)
		return
	}
	if err := s.applyMembers(ctx, g.ID, ch); err != nil {
		// A user deleted since the plan: the group exists; say what
		// failed, and let the client retry with PUT or PATCH.
		s.scimError(w, r, err)
		return
	}
	s.answerGroup(w, r, g.ID, http.StatusCreated)
}

// answerGroup writes the group as it is now.
func (s *Server) answerGroup(w http.ResponseWriter, r *http.Request, id int64, status int) {
	g, err := s.Groups.FindGroup(r.Context(), id)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	members, err := s.groupMembers(r.Context(), id)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	scimResource(w, status, scim.GroupResource(g, members, s.scimConfig(r)))
}

// memberChange is what a write does to a group's members: the users (by
// public id) to add and to remove.
type memberChange struct{ add, remove []string }

// planMembers returns the change from the members have to want (nil:
// leave them) and checks, before anything is written, that every user to
// add exists: an unknown one refuses the whole write.
func (s *Server) planMembers(ctx context.Context, have, want []string) (memberChange, error) {
	var ch memberChange
	if want == nil {
		return ch, nil
	}
	had, wanted := make(map[string]bool, len(have)), make(map[string]bool, len(want))
	for _, u := range have {
		had[u] = true
	}
	for _, u := range want {
		if !had[u] && !wanted[u] {
			if _, err := s.Users.FindUserByID(ctx, u); err != nil {
				if roster.ErrorCode(err) == roster.ENOTFOUND {
					return ch, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "members: no user %s", strconv.Quote(u))
				}
				return ch, err
			}
			ch.add = append(ch.add, u)
		}
		wanted[u] = true
	}
	for _, u := range have {
		if !wanted[u] {
			ch.remove = append(ch.remove, u)
		}
	}
	return ch, nil
}

// applyMembers writes ch to group id, a membership at a time (each audited
// on its user, as staff's own changes are).
func (s *Server) applyMembers(ctx context.Context, id int64, ch memberChange) error {
	for _, u := range ch.add {
		if err := s.Groups.AddMember(ctx, id, u); err != nil {
			if roster.ErrorCode(err) == roster.ENOTFOUND {
				return scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "members: no user %s", strconv.Quote(u))
			}
			return err
		}
	}
	for _, u := range ch.remove {
		if err := s.Groups.RemoveMember(ctx, id, u); err != nil && roster.ErrorCode(err) != roster.ENOTFOUND {
			return err
		}
	}
	return nil
}

// updateGroup applies gw to g, whose members are have.
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request, g *roster.Group, have []string, gw *scim.GroupWrite) {
	ctx := r.Context()
	ch, err := s.planMembers(ctx, have, gw.Members)
	if err != nil {
		s.scimError(w, r, err) // nothing written
		return
	}
	var upd roster.GroupUpdate
	changed := false
	if gw.Name != nil && *gw.Name != g.Name {
		upd.Name, changed = gw.Name, true
	}
	ext, _ := g.Properties["scim_external_id"].(string)
	want := ""
	if gw.ExternalID != nil {
		want = *gw.ExternalID
	}
	if want != ext {
		props := scim.ExternalIDProperty(g.Properties, want)
		upd.Properties, changed = props, true
	}
	if changed {
		if _, err := s.Groups.UpdateGroup(ctx, g.ID, upd); err != nil {
			s.scimError(w, r, err)
			return
		}
	}
	if err := s.applyMembers(ctx, g.ID, ch); err != nil {
		s.scimError(w, r, err)
		return
	}
	s.answerGroup(w, r, g.ID, http.StatusOK)
}

func (s *Server) scimReplaceGroup(w http.ResponseWriter, r *http.Request) {
	_, body, err := scimBody(w, r)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	gw, err := scim.DecodeGroup(body)
	if err == nil && gw.Name == nil {
		err = scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "displayName is required")
	}
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	g, have, cur, err := s.scimGroup(r, true)
	if err == nil {
		err = checkIfMatch(r, cur)
	}
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	if gw.Members == nil {
		gw.Members = []string{} // PUT replaces: no members is none
	}
	s.updateGroup(w, r, g, have, gw)
}

func (s *Server) scimPatchGroup(w http.ResponseWriter, r *http.Request) {
	raw, _, err := scimBody(w, r)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	req, err := scim.DecodePatch(raw)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	g, have, cur, err := s.scimGroup(r, true)
	if err == nil {
		err = checkIfMatch(r, cur)
	}
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	delete(cur, "meta")
	if err := req.Apply(cur, scim.ReadOnlyGroup()...); err != nil {
		s.scimError(w, r, err)
		return
	}
	gw, err := scim.DecodeGroup(cur)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	if gw.Name == nil || *gw.Name == "" {
		s.scimError(w, r, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "displayName is required"))
		return
	}
	if gw.Members == nil {
		gw.Members = []string{} // removed
	}
	s.updateGroup(w, r, g, have, gw)
}

func (s *Server) scimDeleteGroup(w http.ResponseWriter, r *http.Request) {
	id, err := scimGroupID(r)
	if err == nil && r.Header.Get("If-Match") != "" {
		var cur scim.Resource
		if _, _, cur, err = s.scimGroup(r, true); err == nil {
			err = checkIfMatch(r, cur)
		}
	}
	if err == nil {
		err = s.Groups.DeleteGroup(r.Context(), id)
	}
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
