package scim

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

func itoa(n int) string { return strconv.Itoa(n) }

// jsonProblem describes a JSON decoding error without echoing Go types.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		if te.Field != "" {
			return te.Field + " must not be a JSON " + te.Value
		}
		return "got a JSON " + te.Value
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	}
	return "it could not be parsed"
}
