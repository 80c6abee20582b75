package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"roster"
	"roster/query"
)

// maxBody bounds JSON request bodies.
const maxBody = 1 << 20

// decodeObject reads a JSON object body into its raw members. A body that is
// not one JSON object is a 400.
func decodeObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLargeError{roster.Errorf(roster.EINVALID, "The request body is larger than %d bytes.", maxBody)}
		}
		return nil, roster.Errorf(roster.EINVALID, "The request body could not be read.")
	}
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, roster.Errorf(roster.EINVALID, "The request body must be a JSON object: %s", jsonProblem(err))
	}
	if d.More() {
		return nil, roster.Errorf(roster.EINVALID, "The request body must hold one JSON object.")
	}
	if err := checkJSONText(m); err != nil {
		return nil, err
	}
	return m, nil
}

// jsonProblem describes a JSON syntax error without echoing Go types.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return "got null."
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10) + "."
	case errors.As(err, &te):
		return "got a JSON " + te.Value + "."
	case errors.Is(err, io.EOF):
		return "the body is empty."
	}
	return "it could not be parsed."
}

// userValues turns the members of a user body into typed values, refusing
// unknown and read-only fields by name. The password member, when present,
// is returned apart: it is write-only.
func userValues(reg *roster.Registry, body map[string]json.RawMessage) (map[string]any, *string, error) {
	fe := roster.FieldErrors{}
	values := map[string]any{}
	var pw *string
	for key, raw := range body {
		f, ok := reg.Field(key)
		switch {
		case !ok:
			fe.Add(key, "is not a field"+suggest(reg, key))
		case f.ReadOnly:
			fe.Add(key, "is read-only"+readOnlyHint(f))
		default:
			v, err := f.DecodeJSON(raw)
			switch {
			case err != nil:
				fe.Add(key, err.Error())
			case f.Type == roster.TypePassword:
				s, _ := v.(string)
				pw = &s
			default:
				values[key] = v
			}
		}
	}
	return values, pw, fe.Err()
}

// readOnlyHint says where the fields changed by other means are changed.
func readOnlyHint(f roster.Field) string {
	switch f.Type {
	case roster.TypeTags:
		return ": tag users with POST /api/v1/users/{id}/tags"
	case roster.TypeGroups:
		return ": change memberships with /api/v1/groups/{id}/members"
	case roster.TypeSmartType:
		return ": it follows from the user's groups and the smart type list"
	case roster.TypeAccess:
		return ": it follows from the user's status, email confirmation and activity (Settings → Accounts)"
	}
	return ""
}

// suggest names the closest field key, for messages about typos.
func suggest(reg *roster.Registry, key string) string {
	if s := query.Suggest(reg, key); s != "" {
		return " (did you mean " + s + "?)"
	}
	return ""
}

// userJSON is a user as the API shows it: every field of the registry in
// order, under its key. Secrets are never included.
type userJSON struct {
	reg *roster.Registry
	u   *roster.User
}

func (uj userJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, f := range uj.reg.Fields {
		if f.Hidden() {
			continue
		}
		v, err := json.Marshal(uj.value(f))
		if err != nil {
			return nil, err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(f.Key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// refJSON is a tag, group or smart type as a user's JSON names it.
type refJSON struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color,omitempty"` // tags only
}

// value is the JSON form of the user's value of f. Tags, groups and the
// smart type are ids in the user; the catalog gives their names.
func (uj userJSON) value(f roster.Field) any {
	cat := uj.reg.Catalog
	switch f.Type {
	case roster.TypeTags:
		out := make([]refJSON, 0, len(uj.u.Tags))
		for _, id := range uj.u.Tags {
			t, _ := cat.Tag(id)
			out = append(out, refJSON{ID: id, Name: t.Name, Color: t.Color})
		}
		return out
	case roster.TypeGroups:
		out := make([]refJSON, 0, len(uj.u.Groups))
		for _, id := range uj.u.Groups {
			g, _ := cat.Group(id)
			out = append(out, refJSON{ID: id, Name: g.Name})
		}
		return out
	case roster.TypeSmartType:
		if g, ok := cat.SmartType(uj.u.Groups); ok {
			return refJSON{ID: g.ID, Name: g.Name}
		}
		return nil
	case roster.TypeAccess:
		return uj.reg.Access.Of(uj.u)
	}
	return jsonValue(f, uj.u.Get(f.Key))
}

// jsonValue is the JSON form of a field value: empty dates and times are
// null, empty lists [].
func jsonValue(f roster.Field, v any) any {
	switch x := v.(type) {
	case roster.Date:
		if x.IsZero() {
			return nil
		}
		return x.String()
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return x.UTC().Format(time.RFC3339)
	case []string:
		if x == nil {
			return []string{}
		}
	case []roster.Address:
		if x == nil {
			return []roster.Address{}
		}
	case []roster.SocialLink:
		if x == nil {
			return []roster.SocialLink{}
		}
	case []roster.PushToken:
		if x == nil {
			return []roster.PushToken{}
		}
	}
	return v
}

func (s *Server) apiGetUser(w http.ResponseWriter, r *http.Request) {
	s.writeUser(w, r, http.StatusOK)
}

// writeUser answers with the user the path names, as it is now.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, status int) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.Users.FindUserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, status, userJSON{reg, u})
}

// decodeUser reads a user body: the registry it was checked against, the
// typed values and the write-only password.
func (s *Server) decodeUser(w http.ResponseWriter, r *http.Request) (*roster.Registry, map[string]any, *string, error) {
	body, err := decodeObject(w, r)
	if err != nil {
		return nil, nil, nil, err
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		return nil, nil, nil, err
	}
	values, pw, err := userValues(reg, body)
	return reg, values, pw, err
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) {
	reg, values, pw, err := s.decodeUser(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	u := &roster.User{}
	for k, v := range values {
		f, _ := reg.Field(k)
		u.Set(f, v)
	}
	plain := ""
	if pw != nil {
		plain = *pw
	}
	if err := s.Users.CreateUser(r.Context(), u, plain); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+u.PublicID)
	writeJSON(w, http.StatusCreated, userJSON{reg, u})
}

func (s *Server) apiUpdateUser(w http.ResponseWriter, r *http.Request) {
	reg, values, pw, err := s.decodeUser(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	// Points change through the ledger, with a reason, never by an edit.
	fe := roster.FieldErrors{}
	for k := range values {
		if f, _ := reg.Field(k); f.Counter {
			fe.Add(k, roster.CounterEditMessage+": POST /api/v1/users/{id}/points")
		}
	}
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.Users.UpdateUser(r.Context(), r.PathValue("id"), roster.UserUpdate{Values: values, Password: pw}); err != nil {
		s.error(w, r, err)
		return
	}
	// UpdateUser answers with the profile only: read the user again for
	// their tags and groups.
	s.writeUser(w, r, http.StatusOK)
}

func (s *Server) apiDeleteUser(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.Users.DeleteUser(r.Context(), r.PathValue("id")))
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	s.error(w, r, roster.Errorf(roster.ENOTFOUND, "No API route %s %s.", r.Method, r.URL.Path))
}
