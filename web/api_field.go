package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"roster"
)

func (s *Server) apiListFields(w http.ResponseWriter, r *http.Request) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	fields := make([]roster.Field, 0, len(reg.Fields))
	for _, f := range reg.Fields {
		if f.Key != "password_hash" {
			fields = append(fields, f)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": fields})
}

// strict decodes a JSON object into v, refusing members v does not have:
// a misspelt option must not be silently ignored.
func strict(body map[string]json.RawMessage, v any) error {
	b, _ := json.Marshal(body)
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return roster.Errorf(roster.EINVALID, "%s", fieldDecodeProblem(err))
	}
	return nil
}

// fieldDecodeProblem rewrites encoding/json's messages for API users.
func fieldDecodeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field + " has the wrong type (got a JSON " + te.Value + ")."
	}
	msg := err.Error()
	if after, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "Unknown member " + after + "."
	}
	return "The request body could not be read: " + jsonProblem(err)
}

func (s *Server) apiCreateField(w http.ResponseWriter, r *http.Request) {
	body, err := decodeObject(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in struct {
		Key      string           `json:"key"`
		Label    string           `json:"label"`
		Type     roster.FieldType `json:"type"`
		Required bool             `json:"required"`
		Choices  []string         `json:"choices"`
	}
	if err := strict(body, &in); err != nil {
		s.error(w, r, err)
		return
	}
	f := &roster.Field{Key: in.Key, Label: in.Label, Type: in.Type, Required: in.Required, Choices: in.Choices}
	if err := s.Fields.CreateCustomField(r.Context(), f); err != nil {
		s.error(w, r, err)
		return
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	created, _ := reg.Field(f.Key)
	writeJSON(w, http.StatusCreated, created)
}

func (s *Server) apiUpdateField(w http.ResponseWriter, r *http.Request) {
	body, err := decodeObject(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, k := range []string{"key", "type"} {
		if _, ok := body[k]; ok {
			s.error(w, r, roster.FieldErrors{k: "cannot change: stored values depend on it"}.Err())
			return
		}
	}
	var upd roster.CustomFieldUpdate
	if err := strict(body, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	f, err := s.Fields.UpdateCustomField(r.Context(), r.PathValue("key"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// auditJSON is an audit entry as the API shows it.
type auditJSON struct {
	ID         int64                    `json:"id"`
	At         time.Time                `json:"at"`
	ActorID    int64                    `json:"actor_id"`
	Actor      string                   `json:"actor"`
	Action     string                   `json:"action"`
	TargetType string                   `json:"target_type"`
	TargetID   string                   `json:"target_id"`
	Changes    map[string]roster.Change `json:"changes"`
	Note       string                   `json:"note"`
}

func (s *Server) apiListAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := roster.AuditFilter{Action: q.Get("action"), TargetType: q.Get("target_type"), TargetID: q.Get("target_id")}
	if v := q.Get("actor_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.error(w, r, roster.Errorf(roster.EINVALID, "actor_id must be a number."))
			return
		}
		f.ActorID = &id
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.error(w, r, roster.Errorf(roster.EINVALID, "limit must be a number from 1 to 1000."))
			return
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.error(w, r, roster.Errorf(roster.EINVALID, "before must be an entry id."))
			return
		}
		f.BeforeID = n
	}
	entries, err := s.Audit.FindAuditEntries(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]auditJSON, len(entries))
	for i, e := range entries {
		out[i] = auditJSON{e.ID, e.At, e.ActorID, e.Actor, e.Action, e.TargetType, e.TargetID, e.Changes, e.Note}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}
