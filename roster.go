// Package roster holds Roster's domain: users, fields, staff accounts, the
// audit and change logs, the errors every layer speaks, and the service
// interfaces that the storage (sqldb), the query index (index) and the HTTP
// layer (web) implement or consume. It imports only the standard library.
package roster

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error codes. They are few on purpose: each maps to one HTTP status in web
// and to one exit behaviour in the CLI.
const (
	EINVALID      = "invalid"      // the input is wrong; Fields names where
	ENOTFOUND     = "not_found"    // the target does not exist
	ECONFLICT     = "conflict"     // a uniqueness or state conflict
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // credentials valid, permission missing
	ETOOMANY      = "too_many"     // throttled; retry later
	EUNAVAILABLE  = "unavailable"  // not ready yet (the index is building)
	EINTERNAL     = "internal"     // anything else; never shown to users
)

// Error is a domain error whose Message is safe to show to users. Fields maps
// a field key to a message about that field. Position, when not negative, is
// a byte offset into a filter text.
type Error struct {
	Code     string
	Message  string
	Fields   map[string]string
	Position int
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("roster error: code=%s message=%s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + e.Fields[k])
	}
	return fmt.Sprintf("roster error: code=%s message=%s fields=[%s]", e.Code, e.Message, b.String())
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Position: -1}
}

// FieldErrors collects per-field validation messages.
type FieldErrors map[string]string

// Add records msg for key unless key already has a message: the first problem
// found for a field is the one worth showing.
func (fe FieldErrors) Add(key, msg string) {
	if _, ok := fe[key]; !ok {
		fe[key] = msg
	}
}

// Err returns nil when fe is empty, else an EINVALID error carrying fe.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	msg := "Some fields are not valid."
	if len(fe) == 1 {
		for k, v := range fe {
			msg = k + ": " + v
		}
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fe, Position: -1}
}

// ErrorCode returns the code of err's *Error, EINTERNAL for any other error,
// and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err. Internal errors get a
// generic message: their text may hold SQL or paths.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the per-field messages of err, or nil.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// ErrorMessageOr returns the user-safe message of a domain error, and the
// full text of any other error: for command-line output, where the operator
// is the one who needs the detail.
func ErrorMessageOr(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if len(e.Fields) == 0 {
			return e.Message
		}
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			keys[i] = k + " " + e.Fields[k]
		}
		return strings.Join(keys, "; ")
	}
	return err.Error()
}
