package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"roster"
	"roster/query"
)

// decodeInto reads a JSON object body into v. A body that is not one JSON
// object, or that has a member v lacks, is malformed: 400. A member of the
// wrong type is a bad value: 422 naming it.
func decodeInto(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := decodeObject(w, r)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(body)
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	err = d.Decode(v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return roster.FieldErrors{te.Field: "must be " + jsonKind(te.Type)}.Err()
	}
	if err != nil {
		return roster.Errorf(roster.EINVALID, "%s", fieldDecodeProblem(err))
	}
	return nil
}

// jsonKind names what a Go type holds in JSON terms, for messages.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "of another type"
}

// pathID reads the numeric id named name from r's path. An id that is not
// a number names nothing that exists: ENOTFOUND with "No such what."
func pathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, roster.Errorf(roster.ENOTFOUND, "There is no such %s.", what)
	}
	return id, nil
}

// loadByID reads the path value name of r as the id of a what and loads
// it with find; when the id cannot be one or find fails, it answers the
// request and reports false.
func loadByID[T any](s *Server, w http.ResponseWriter, r *http.Request, name, what string, find func(context.Context, int64) (*T, error)) (*T, bool) {
	id, err := pathID(r, name, what)
	var v *T
	if err == nil {
		v, err = find(r.Context(), id)
	}
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	return v, true
}

// timeArg is an optional time member of a request: Set when the member is
// present, T zero for null. A value that is not an RFC 3339 time sets Bad,
// checked by the handler so that the message names the member.
type timeArg struct {
	Set bool
	Bad bool
	T   time.Time
}

// UnmarshalJSON is called for null too, so a null member is Set.
func (a *timeArg) UnmarshalJSON(b []byte) error {
	a.Set = true
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		a.Bad = true
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		a.Bad = true
		return nil
	}
	a.T = t.UTC()
	return nil
}

// check records a message in fe under key when a is not a time.
func (a timeArg) check(fe roster.FieldErrors, key string) {
	if a.Bad {
		fe.Add(key, "must be a time in RFC 3339 form (such as 2026-11-01T09:00:00Z) or null")
	}
}

// jsonTime is a time as the API shows it: RFC 3339 in UTC, null when zero.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// bulkRequest is the body of a bulk action: a filter choosing the users,
// or All to act on every user on purpose.
type bulkRequest struct {
	Q   string `json:"q"`
	All bool   `json:"all"`
}

// bulkResult answers a bulk action: Count users changed of the Matched
// users the filter chose.
type bulkResult struct {
	Count   int `json:"count"`
	Matched int `json:"matched"`
}

// bulkTargets reads a bulk request and returns the store ids of the users
// its filter matches, with the filter text for the audit. An empty filter
// is refused unless the body says "all": true: acting on every user must
// be asked for explicitly.
func (s *Server) bulkTargets(w http.ResponseWriter, r *http.Request) ([]int64, string, error) {
	var req bulkRequest
	if err := decodeInto(w, r, &req); err != nil {
		return nil, "", err
	}
	req.Q = strings.TrimSpace(req.Q)
	switch {
	case req.Q == "" && !req.All:
		return nil, "", roster.FieldErrors{"q": `is required (to act on every user, send "all": true)`}.Err()
	case req.Q != "" && req.All:
		return nil, "", roster.FieldErrors{"all": `cannot be combined with a filter: send either q or "all": true`}.Err()
	}
	f, err := query.Parse(req.Q)
	if err != nil {
		return nil, "", asField(err, "q")
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		return nil, "", err
	}
	plan, err := query.Compile(f, reg, staffFrom(r).Location())
	if err != nil {
		return nil, "", asField(err, "q")
	}
	ids, err := s.Search.Match(r.Context(), plan)
	if err != nil {
		return nil, "", asField(err, "q")
	}
	return ids, req.Q, nil
}

// checkJSONText applies the input rule to every string of a JSON body: the
// decoder would turn invalid UTF-8 and lone UTF-16 surrogates ("\ud800")
// into U+FFFD and store that silently, and NUL is text in no field. The
// refusal names the member that holds the bad text.
func checkJSONText(body map[string]json.RawMessage) error {
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if msg := jsonTextProblem([]byte(k)); msg != "" {
			return roster.Errorf(roster.EINVALID, "A member name %s.", msg)
		}
		if msg := jsonTextProblem(body[k]); msg != "" {
			return roster.Errorf(roster.EINVALID, "The member %s %s.", roster.Quote(k), msg)
		}
	}
	return nil
}

// jsonTextProblem checks raw JSON (already known to be well-formed) for
// text the decoder would alter or that is never valid: invalid UTF-8, a
// \u escape of a lone surrogate, a NUL character.
func jsonTextProblem(raw []byte) string {
	if !utf8.Valid(raw) {
		return "holds text that is not valid UTF-8"
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		i++ // the escaped character
		if raw[i] != 'u' || i+4 >= len(raw) {
			continue
		}
		r, ok := hex4(raw[i+1 : i+5])
		if !ok {
			continue
		}
		i += 4
		switch {
		case r == 0:
			return "holds a NUL character (\\u0000)"
		case r >= 0xDC00 && r <= 0xDFFF:
			return "holds a lone UTF-16 surrogate (\\u" + strings.ToLower(string(raw[i-3:i+1])) + "), which is not text"
		case r >= 0xD800 && r <= 0xDBFF:
			// A high surrogate must be followed by a low one.
			if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if lo, ok := hex4(raw[i+3 : i+7]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			return "holds a lone UTF-16 surrogate (\\u" + strings.ToLower(string(raw[i-3:i+1])) + "), which is not text"
		}
	}
	return ""
}

// hex4 reads four hexadecimal digits.
func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
