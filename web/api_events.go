package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"roster"
)

// maxEventsBody bounds a batch of events: a thousand events with
// properties of up to 8 KiB each, and their envelopes.
const maxEventsBody = roster.MaxEventBatch*(roster.MaxEventProps+1024) + 1024

// eventResultJSON is a refused event of a batch.
type eventResultJSON struct {
	Index int `json:"index"`
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

// apiRecordEvents answers POST /api/v1/events: {"events": [...]}, each
// accepted or refused on its own. The answer counts the accepted events
// (new ones and retries of events stored before) and gives the reason of
// each refusal by index.
func (s *Server) apiRecordEvents(w http.ResponseWriter, r *http.Request) {
	if s.Events == nil {
		s.error(w, r, roster.Errorf(roster.EUNAVAILABLE, "This server stores no events."))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventsBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.error(w, r, tooLargeError{roster.Errorf(roster.EINVALID, "The request body is larger than %d bytes.", maxEventsBody)})
			return
		}
		s.error(w, r, roster.Errorf(roster.EINVALID, "The request body could not be read."))
		return
	}
	var in struct {
		Events []json.RawMessage `json:"events"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&in); err != nil {
		s.error(w, r, roster.Errorf(roster.EINVALID, "The request body must be a JSON object with an events list: %s", jsonProblem(err)))
		return
	}
	if in.Events == nil {
		s.error(w, r, roster.FieldErrors{"events": "is required: a list of events"}.Err())
		return
	}
	if len(in.Events) > roster.MaxEventBatch {
		s.error(w, r, roster.FieldErrors{"events": fmt.Sprintf("holds %d events; a batch holds at most %d", len(in.Events), roster.MaxEventBatch)}.Err())
		return
	}
	events := make([]roster.Event, 0, len(in.Events))
	var refused []roster.EventResult
	var at []int // events[j] is in.Events[at[j]]
	for i, raw := range in.Events {
		e, err := decodeEvent(raw)
		if err != nil {
			refused = append(refused, roster.EventResult{Index: i, Err: err})
			continue
		}
		events = append(events, e)
		at = append(at, i)
	}
	res, err := s.Events.RecordEvents(r.Context(), events)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, x := range res.Refused {
		refused = append(refused, roster.EventResult{Index: at[x.Index], Err: x.Err})
	}
	out := struct {
		Accepted int               `json:"accepted"`
		Stored   int               `json:"stored"`
		Results  []eventResultJSON `json:"results"`
	}{Accepted: res.Accepted, Stored: res.Stored, Results: make([]eventResultJSON, 0, len(refused))}
	for _, x := range refused {
		var j eventResultJSON
		j.Index = x.Index
		j.Error.Code, j.Error.Message, j.Error.Fields = roster.ErrorCode(x.Err), roster.ErrorMessage(x.Err), roster.ErrorFields(x.Err)
		out.Results = append(out.Results, j)
	}
	sortResults(out.Results)
	writeJSON(w, http.StatusOK, out)
}

func sortResults(r []eventResultJSON) {
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && r[j].Index < r[j-1].Index; j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

// eventMembers are the members an event may have.
var eventMembers = []string{"user", "type", "time", "id", "properties"}

// decodeEvent reads one event of a batch; what is wrong with it is an
// EINVALID error naming the member.
func decodeEvent(raw json.RawMessage) (roster.Event, error) {
	var e roster.Event
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return e, roster.Errorf(roster.EINVALID, "An event must be a JSON object.")
	}
	fe := roster.FieldErrors{}
	for k, v := range m {
		if !slices.Contains(eventMembers, k) {
			fe.Add(k, "is not a member of an event ("+strings.Join(eventMembers, ", ")+")")
			continue
		}
		if msg := jsonTextProblem(v); msg != "" {
			fe.Add(k, msg)
		}
	}
	if err := fe.Err(); err != nil {
		return e, err
	}
	str := func(key string, dst *string) {
		if v, ok := m[key]; ok && string(v) != "null" {
			if json.Unmarshal(v, dst) != nil {
				fe.Add(key, "must be text")
			}
		}
	}
	if u, ok := m["user"]; ok {
		d := json.NewDecoder(bytes.NewReader(u))
		d.DisallowUnknownFields()
		if d.Decode(&e.User) != nil {
			fe.Add("user", `must be an object with one of "id", "client_id" or "email"`)
		}
	}
	str("type", &e.Type)
	str("id", &e.Key)
	if v, ok := m["time"]; ok && string(v) != "null" {
		var t string
		if json.Unmarshal(v, &t) != nil {
			fe.Add("time", "must be a time in RFC 3339 form, such as 2026-11-01T09:00:00Z")
		} else if p, err := time.Parse(time.RFC3339Nano, t); err != nil {
			fe.Add("time", fmt.Sprintf("%q is not a time in RFC 3339 form, such as 2026-11-01T09:00:00Z", t))
		} else {
			e.At = p
		}
	}
	if v, ok := m["properties"]; ok {
		e.Props = v
	}
	return e, fe.Err()
}

// apiGetEventSettings answers GET /api/v1/settings/events.
func (s *Server) apiGetEventSettings(w http.ResponseWriter, r *http.Request) {
	if s.Events == nil {
		s.error(w, r, roster.Errorf(roster.EUNAVAILABLE, "This server stores no events."))
		return
	}
	set, err := s.Events.EventSettings(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, set)
}

// apiPutEventSettings answers PUT /api/v1/settings/events: the members
// sent replace those in force.
func (s *Server) apiPutEventSettings(w http.ResponseWriter, r *http.Request) {
	if s.Events == nil {
		s.error(w, r, roster.Errorf(roster.EUNAVAILABLE, "This server stores no events."))
		return
	}
	var in struct {
		VisitTypes       *[]string `json:"visit_types"`
		InteractionTypes *[]string `json:"interaction_types"`
		Restrict         *bool     `json:"restrict_types"`
		CustomTypes      *[]string `json:"custom_types"`
		RetentionMonths  *int      `json:"retention_months"`
	}
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	set, err := s.Events.EventSettings(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	if in.VisitTypes != nil {
		set.VisitTypes = *in.VisitTypes
	}
	if in.InteractionTypes != nil {
		set.InteractionTypes = *in.InteractionTypes
	}
	if in.Restrict != nil {
		set.Restrict = *in.Restrict
	}
	if in.CustomTypes != nil {
		set.CustomTypes = *in.CustomTypes
	}
	if in.RetentionMonths != nil {
		set.RetentionMonths = *in.RetentionMonths
	}
	if err := s.Events.SetEventSettings(r.Context(), set); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, set)
}
