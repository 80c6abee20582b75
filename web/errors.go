package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"roster"
)

// statusCodes maps domain error codes to HTTP statuses, in one place.
var statusCodes = map[string]int{
	roster.EINVALID:      http.StatusBadRequest,
	roster.ENOTFOUND:     http.StatusNotFound,
	roster.ECONFLICT:     http.StatusConflict,
	roster.EUNAUTHORIZED: http.StatusUnauthorized,
	roster.EFORBIDDEN:    http.StatusForbidden,
	roster.ETOOMANY:      http.StatusTooManyRequests,
	roster.EUNAVAILABLE:  http.StatusServiceUnavailable,
	roster.EINTERNAL:     http.StatusInternalServerError,
}

// errorStatus returns the status for err. A body over its limit is 413. An
// EINVALID error that names fields is a well-formed request with bad
// values: 422. One that does not is a malformed request: 400.
func errorStatus(err error) int {
	var tl tooLargeError
	if errors.As(err, &tl) {
		return http.StatusRequestEntityTooLarge
	}
	code := roster.ErrorCode(err)
	if code == roster.EINVALID && len(roster.ErrorFields(err)) > 0 {
		return http.StatusUnprocessableEntity
	}
	if st, ok := statusCodes[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error struct {
		Code     string            `json:"code"`
		Message  string            `json:"message"`
		Fields   map[string]string `json:"fields,omitempty"`
		Position *int              `json:"position,omitempty"`
		// Reason is the access state of a refused sign-in (the code is
		// "access_" and the state), or why a session token was refused
		// (token_expired, token_revoked, ...: roster.TokenError).
		Reason string `json:"reason,omitempty"`
	} `json:"error"`
}

// error writes err as JSON for the API and for the page scripts that ask
// for JSON (tags.js), and as a page otherwise. Internal errors are logged
// here, once, and shown only as "Internal error."
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	if isSCIM(r) {
		s.scimError(w, r, err) // RFC 7644's error shape
		return
	}
	status := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if isAPI(r) || wantsJSON(r) {
		var body errorBody
		body.Error.Code = roster.ErrorCode(err)
		body.Error.Message = roster.ErrorMessage(err)
		body.Error.Fields = roster.ErrorFields(err)
		if reason := roster.TokenRefused(err); reason != "" {
			body.Error.Reason, body.Error.Fields = reason, nil
		}
		if a := roster.AccessDenied(err); a != "" {
			body.Error.Code, body.Error.Reason, body.Error.Fields = "access_"+string(a), string(a), nil
		}
		var re *roster.Error
		if errors.As(err, &re) && re.Position >= 0 {
			p := re.Position
			body.Error.Position = &p
		}
		writeJSON(w, status, body)
		return
	}
	s.renderError(w, r, status, roster.ErrorMessage(err))
}

// noContent answers a write that returns nothing: 204, or err.
func (s *Server) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	// The status is sent: an error now is the client gone away.
	_ = enc.Encode(v)
}

// asField turns an EINVALID error that names no field into one that names
// key, keeping its message and position: a storage refusal ("This code has
// been used up.") about a well-formed request is a 422, not a 400. Other
// errors are returned as they are.
func asField(err error, key string) error {
	var e *roster.Error
	if !errors.As(err, &e) || e.Code != roster.EINVALID || len(e.Fields) > 0 {
		return err
	}
	msg := strings.TrimPrefix(e.Message, key+": ")
	return &roster.Error{Code: roster.EINVALID, Message: e.Message, Fields: map[string]string{key: msg}, Position: e.Position}
}

// refusal reports whether err is a refusal to show on the form that was
// sent (EINVALID, ECONFLICT: bad or taken values) rather than on an error
// page.
func refusal(err error) bool {
	code := roster.ErrorCode(err)
	return code == roster.EINVALID || code == roster.ECONFLICT
}

// notFoundAs turns an ENOTFOUND error into a 422 naming key: for ids in a
// request body, where the resource the URL names exists but what the body
// refers to does not.
func notFoundAs(err error, key, msg string) error {
	if roster.ErrorCode(err) != roster.ENOTFOUND {
		return err
	}
	return roster.FieldErrors{key: msg}.Err()
}
