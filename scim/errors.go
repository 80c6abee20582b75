// Package scim is Roster's SCIM 2.0 adapter (RFC 7643, RFC 7644): the
// resources an identity provider sees (Users, Groups), their JSON shapes
// and schemas, the filter language, PATCH and errors. It maps SCIM onto
// Roster's domain types and query plans; HTTP, storage and the domain's
// rules stay in web, sqldb and the root package.
package scim

import (
	"errors"
	"fmt"
	"net/http"

	"roster"
)

// scimType values of error bodies (RFC 7644 §3.12).
const (
	InvalidFilter = "invalidFilter"
	TooMany       = "tooMany"
	Uniqueness    = "uniqueness"
	Mutability    = "mutability"
	InvalidSyntax = "invalidSyntax"
	InvalidPath   = "invalidPath"
	NoTarget      = "noTarget"
	InvalidValue  = "invalidValue"
	InvalidVers   = "invalidVers"
)

// Schema URIs.
const (
	SchemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaRoster     = "urn:roster:params:scim:schemas:extension:2.0:User"
	SchemaList       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatch      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError      = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaSPConfig   = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaResType    = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema     = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Error is a SCIM error: an HTTP status, a scimType (may be empty) and a
// detail safe to show.
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

func (e *Error) Error() string { return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail) }

// Errorf returns an *Error.
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// ErrorBody is the JSON body of an error response.
type ErrorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

// AsError turns any error into a SCIM error: a *Error as it is, a domain
// error by its code (EINVALID is invalidValue naming the fields, ECONFLICT
// uniqueness), anything else a 500 whose detail hides the cause.
func AsError(err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	switch roster.ErrorCode(err) {
	case roster.EINVALID:
		return &Error{Status: http.StatusBadRequest, ScimType: InvalidValue, Detail: roster.ErrorMessageOr(err)}
	case roster.ECONFLICT:
		return &Error{Status: http.StatusConflict, ScimType: Uniqueness, Detail: roster.ErrorMessage(err)}
	case roster.ENOTFOUND:
		return &Error{Status: http.StatusNotFound, Detail: roster.ErrorMessage(err)}
	case roster.EUNAUTHORIZED:
		return &Error{Status: http.StatusUnauthorized, Detail: roster.ErrorMessage(err)}
	case roster.EFORBIDDEN:
		return &Error{Status: http.StatusForbidden, Detail: roster.ErrorMessage(err)}
	case roster.ETOOMANY:
		return &Error{Status: http.StatusTooManyRequests, Detail: roster.ErrorMessage(err)}
	case roster.EUNAVAILABLE:
		return &Error{Status: http.StatusServiceUnavailable, Detail: roster.ErrorMessage(err)}
	}
	return &Error{Status: http.StatusInternalServerError, Detail: "Internal error."}
}

// Body returns the JSON body of e.
func (e *Error) Body() ErrorBody {
	return ErrorBody{Schemas: []string{SchemaError}, Status: fmt.Sprint(e.Status), ScimType: e.ScimType, Detail: e.Detail}
}
