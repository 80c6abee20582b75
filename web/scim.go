package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"roster"
	"roster/query"
	"roster/scim"
)

// SCIM 2.0 (RFC 7643, RFC 7644) under /scim/v2/: an identity provider
// provisions users and groups with a staff API token whose role has
// scim.provision. The scim package maps resources, filters and PATCH;
// this file is their HTTP side, and every write goes through the same
// services (validation, audit, change log, webhooks) as the JSON API.

// scimPrefix is where SCIM is served.
const scimPrefix = "/scim/v2"

// scimRoutes registers SCIM's routes.
func (s *Server) scimRoutes() {
	p := roster.PermProvision
	s.handle("GET "+scimPrefix+"/ServiceProviderConfig", p, s.scimServiceProviderConfig)
	s.handle("GET "+scimPrefix+"/ResourceTypes", p, s.scimResourceTypes)
	s.handle("GET "+scimPrefix+"/ResourceTypes/{id}", p, s.scimResourceTypes)
	s.handle("GET "+scimPrefix+"/Schemas", p, s.scimSchemas)
	s.handle("GET "+scimPrefix+"/Schemas/{id}", p, s.scimSchemas)
	s.handle("GET "+scimPrefix+"/Users", p, s.scimListUsers)
	s.handle("POST "+scimPrefix+"/Users", p, s.scimCreateUser)
	s.handle("GET "+scimPrefix+"/Users/{id}", p, s.scimGetUser)
	s.handle("PUT "+scimPrefix+"/Users/{id}", p, s.scimReplaceUser)
	s.handle("PATCH "+scimPrefix+"/Users/{id}", p, s.scimPatchUser)
	s.handle("DELETE "+scimPrefix+"/Users/{id}", p, s.scimDeleteUser)
	s.handle("GET "+scimPrefix+"/Groups", p, s.scimListGroups)
	s.handle("POST "+scimPrefix+"/Groups", p, s.scimCreateGroup)
	s.handle("GET "+scimPrefix+"/Groups/{id}", p, s.scimGetGroup)
	s.handle("PUT "+scimPrefix+"/Groups/{id}", p, s.scimReplaceGroup)
	s.handle("PATCH "+scimPrefix+"/Groups/{id}", p, s.scimPatchGroup)
	s.handle("DELETE "+scimPrefix+"/Groups/{id}", p, s.scimDeleteGroup)
	s.handle(scimPrefix, p, s.scimNotFound) // else the mux redirects it, whatever the method, to /scim/v2/
	s.handle(scimPrefix+"/", p, s.scimNotFound)
}

// isSCIM reports whether r is a SCIM request.
func isSCIM(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, scimPrefix+"/") || r.URL.Path == scimPrefix
}

// scimConfig is the SCIM mapping for r: the setting and the base URL the
// request came to.
func (s *Server) scimConfig(r *http.Request) scim.Config {
	scheme := "http"
	if r.TLS != nil || s.SecureCookies {
		scheme = "https"
	}
	return scim.Config{UserName: s.SCIMUserName, BaseURL: scheme + "://" + r.Host + scimPrefix}
}

// scimError writes err as a SCIM error body.
func (s *Server) scimError(w http.ResponseWriter, r *http.Request, err error) {
	var tl tooLargeError
	if errors.As(err, &tl) {
		err = scim.Errorf(http.StatusRequestEntityTooLarge, "", "%s", roster.ErrorMessage(err))
	}
	e := scim.AsError(err)
	if e.Status == http.StatusInternalServerError {
		s.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	scimJSON(w, e.Status, e.Body())
}

// scimJSON writes v as application/scim+json.
func scimJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// scimResource writes one resource with its ETag.
func scimResource(w http.ResponseWriter, status int, res scim.Resource) {
	if meta, ok := res["meta"].(map[string]any); ok {
		if v, ok := meta["version"].(string); ok {
			w.Header().Set("ETag", v)
		}
		if status == http.StatusCreated {
			if loc, ok := meta["location"].(string); ok {
				w.Header().Set("Location", loc)
			}
		}
	}
	scimJSON(w, status, res)
}

// scimBody reads a JSON object body.
func scimBody(w http.ResponseWriter, r *http.Request) ([]byte, scim.Resource, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, scim.Errorf(http.StatusRequestEntityTooLarge, "", "the body is larger than %d bytes", maxBody)
		}
		return nil, nil, scim.Errorf(http.StatusBadRequest, scim.InvalidSyntax, "the body could not be read")
	}
	var res scim.Resource
	if err := json.Unmarshal(b, &res); err != nil || res == nil {
		return nil, nil, scim.Errorf(http.StatusBadRequest, scim.InvalidSyntax, "the body must be a JSON object")
	}
	return b, res, nil
}

// checkIfMatch answers 412 when If-Match names another version.
func checkIfMatch(r *http.Request, res scim.Resource) error {
	want := strings.TrimSpace(r.Header.Get("If-Match"))
	if want == "" || want == "*" {
		return nil
	}
	meta, _ := res["meta"].(map[string]any)
	cur, _ := meta["version"].(string)
	for _, v := range strings.Split(want, ",") {
		v = strings.TrimSpace(v)
		if v == cur || "W/"+v == cur {
			return nil
		}
	}
	return scim.Errorf(http.StatusPreconditionFailed, "", "the resource has changed: its version is %s, not %s", cur, want)
}

func (s *Server) scimNotFound(w http.ResponseWriter, r *http.Request) {
	s.scimError(w, r, scim.Errorf(http.StatusNotFound, "", "no SCIM endpoint %s %s", r.Method, r.URL.Path))
}

func (s *Server) scimServiceProviderConfig(w http.ResponseWriter, r *http.Request) {
	scimJSON(w, http.StatusOK, scim.ServiceProviderConfig(s.scimConfig(r)))
}

func (s *Server) scimResourceTypes(w http.ResponseWriter, r *http.Request) {
	s.scimDocs(w, r, scim.ResourceTypes(s.scimConfig(r)))
}

func (s *Server) scimSchemas(w http.ResponseWriter, r *http.Request) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	s.scimDocs(w, r, scim.Schemas(reg, s.scimConfig(r)))
}

// scimDocs answers a list of discovery documents, or the one {id} names.
func (s *Server) scimDocs(w http.ResponseWriter, r *http.Request, docs []map[string]any) {
	if id := r.PathValue("id"); id != "" {
		for _, d := range docs {
			if d["id"] == id {
				scimJSON(w, http.StatusOK, d)
				return
			}
		}
		s.scimError(w, r, scim.Errorf(http.StatusNotFound, "", "no %s", strconv.Quote(id)))
		return
	}
	scimJSON(w, http.StatusOK, map[string]any{"schemas": []string{scim.SchemaList}, "totalResults": len(docs),
		"itemsPerPage": len(docs), "startIndex": 1, "Resources": docs})
}

// listParams are the query parameters of a list.
type listParams struct {
	filter     scim.Expr
	startIndex int
	count      int
	sortBy     string
	desc       bool
	sel        scim.Selection
}

func parseListParams(r *http.Request) (listParams, error) {
	q := r.URL.Query()
	lp := listParams{startIndex: 1, count: 100}
	for k := range q {
		switch k {
		case "filter", "startIndex", "count", "sortBy", "sortOrder", "attributes", "excludedAttributes":
		default:
			return lp, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "unknown parameter %s", strconv.Quote(k))
		}
	}
	if f := q.Get("filter"); strings.TrimSpace(f) != "" {
		e, err := scim.ParseFilter(f)
		if err != nil {
			return lp, err
		}
		lp.filter = e
	}
	num := func(name string, dst *int, min int) error {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "%s must be a whole number", name)
			}
			*dst = max(n, min) // RFC 7644 §3.4.2.4: below the minimum is the minimum
		}
		return nil
	}
	if err := num("startIndex", &lp.startIndex, 1); err != nil {
		return lp, err
	}
	if err := num("count", &lp.count, 0); err != nil {
		return lp, err
	}
	lp.count = min(lp.count, scim.MaxResults)
	lp.sortBy = q.Get("sortBy")
	switch strings.ToLower(q.Get("sortOrder")) {
	case "", "ascending":
	case "descending":
		lp.desc = true
	default:
		return lp, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "sortOrder must be ascending or descending")
	}
	var err error
	lp.sel, err = scim.ParseSelection(q.Get("attributes"), q.Get("excludedAttributes"))
	return lp, err
}

// scimList writes a list response.
func scimList(w http.ResponseWriter, total, startIndex int, resources []scim.Resource) {
	if resources == nil {
		resources = []scim.Resource{}
	}
	scimJSON(w, http.StatusOK, map[string]any{"schemas": []string{scim.SchemaList}, "totalResults": total,
		"itemsPerPage": len(resources), "startIndex": startIndex, "Resources": resources})
}

func (s *Server) scimListUsers(w http.ResponseWriter, r *http.Request) {
	lp, err := parseListParams(r)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	ctx := r.Context()
	reg, err := s.Fields.Registry(ctx)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	cfg := s.scimConfig(r)
	plan, err := scim.UserPlan(lp.filter, lp.sortBy, lp.desc, reg, cfg)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	limit := lp.count
	if limit == 0 {
		limit = 1 // the total alone
	}
	res, err := s.Search.Search(ctx, plan, query.Page{Limit: limit, Offset: lp.startIndex - 1})
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	var out []scim.Resource
	if lp.count > 0 {
		users, err := s.Users.FindUsersByIDs(ctx, res.IDs)
		if err != nil {
			s.scimError(w, r, err)
			return
		}
		for _, u := range users {
			out = append(out, lp.sel.Apply(scim.UserResource(reg, u, cfg)))
		}
	}
	scimList(w, res.Total, lp.startIndex, out)
}

// scimUser reads the user the path names as a resource.
func (s *Server) scimUser(r *http.Request) (*roster.Registry, *roster.User, scim.Resource, error) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := s.Users.FindUserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, nil, nil, err
	}
	return reg, u, scim.UserResource(reg, u, s.scimConfig(r)), nil
}

func (s *Server) scimGetUser(w http.ResponseWriter, r *http.Request) {
	sel, err := scim.ParseSelection(r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	_, _, res, err := s.scimUser(r)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == res["meta"].(map[string]any)["version"] {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	scimResource(w, http.StatusOK, sel.Apply(res))
}

func (s *Server) scimCreateUser(w http.ResponseWriter, r *http.Request) {
	_, body, err := scimBody(w, r)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	ctx := r.Context()
	reg, err := s.Fields.Registry(ctx)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	cfg := s.scimConfig(r)
	uw, err := scim.DecodeUser(reg, body, cfg, true)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	u := &roster.User{}
	for k, v := range uw.Values {
		f, _ := reg.Field(k)
		if !u.Set(f, v) {
			s.scimError(w, r, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "%s has the wrong type", k))
			return
		}
	}
	if uw.Active != nil && !*uw.Active {
		u.Status = roster.StatusBanned
	}
	plain := ""
	if uw.Password != nil {
		plain = *uw.Password
	}
	if err := s.Users.CreateUser(ctx, u, plain); err != nil {
		s.scimError(w, r, err)
		return
	}
	u, err = s.Users.FindUserByID(ctx, u.PublicID)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	scimResource(w, http.StatusCreated, scim.UserResource(reg, u, cfg))
}

// scimUpdateUser applies uw to u and answers with the user as it is then.
func (s *Server) scimUpdateUser(w http.ResponseWriter, r *http.Request, reg *roster.Registry, u *roster.User, uw *scim.UserWrite) {
	if uw.Active != nil {
		switch {
		case !*uw.Active:
			uw.Values["status"] = string(roster.StatusBanned)
		case u.Status == roster.StatusBanned:
			uw.Values["status"] = string(roster.StatusActive)
		}
	}
	// Only what changes is written: the audit entry and the change log
	// name exactly that, and an unchanged PUT writes nothing.
	for k, v := range uw.Values {
		f, _ := reg.Field(k)
		if roster.FormatText(f.Type, u.Get(k)) == roster.FormatText(f.Type, v) {
			delete(uw.Values, k)
		}
	}
	ctx := r.Context()
	if len(uw.Values) > 0 || uw.Password != nil {
		if _, err := s.Users.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: uw.Values, Password: uw.Password}); err != nil {
			s.scimError(w, r, err)
			return
		}
	}
	u, err := s.Users.FindUserByID(ctx, u.PublicID)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	scimResource(w, http.StatusOK, scim.UserResource(reg, u, s.scimConfig(r)))
}

func (s *Server) scimReplaceUser(w http.ResponseWriter, r *http.Request) {
	_, body, err := scimBody(w, r)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	reg, u, cur, err := s.scimUser(r)
	if err == nil {
		err = checkIfMatch(r, cur)
	}
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	uw, err := scim.DecodeUser(reg, body, s.scimConfig(r), true)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	s.scimUpdateUser(w, r, reg, u, uw)
}

func (s *Server) scimPatchUser(w http.ResponseWriter, r *http.Request) {
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
	reg, u, cur, err := s.scimUser(r)
	if err == nil {
		err = checkIfMatch(r, cur)
	}
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	cfg := s.scimConfig(r)
	before := cur
	after := scim.UserResource(reg, u, cfg) // a copy to change
	delete(after, "displayName")            // derived: only a PATCH of it counts
	if err := req.Apply(after, scim.ReadOnlyUser()...); err != nil {
		s.scimError(w, r, err)
		return
	}
	if cfg.UserNameField() == "email" {
		// userName is the email: a PATCH of either moves the other.
		if after["userName"] == before["userName"] {
			if e, err := scimEmail(after); err == nil && e != "" {
				after["userName"] = e
			}
		} else if sameJSON(after["emails"], before["emails"]) {
			delete(after, "emails")
		}
	}
	uw, err := scim.DecodeUser(reg, after, cfg, true)
	if err != nil {
		s.scimError(w, r, err)
		return
	}
	for k, v := range scim.ClearedExtensions(reg, before, after) {
		uw.Values[k] = v
	}
	s.scimUpdateUser(w, r, reg, u, uw)
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// scimEmail is the email a User resource holds.
func scimEmail(res scim.Resource) (string, error) {
	uw, err := scim.DecodeUser(roster.NewRegistry(nil), scim.Resource{"emails": res["emails"]}, scim.Config{UserName: "client_id"}, false)
	if err != nil {
		return "", err
	}
	e, _ := uw.Values["email"].(string)
	return e, nil
}

func (s *Server) scimDeleteUser(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("If-Match") != "" {
		_, _, cur, err := s.scimUser(r)
		if err == nil {
			err = checkIfMatch(r, cur)
		}
		if err != nil {
			s.scimError(w, r, err)
			return
		}
	}
	if err := s.Users.DeleteUser(r.Context(), r.PathValue("id")); err != nil {
		s.scimError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
