package web

import (
	"net/http"
	"strings"

	"roster"
)

// maxSignInPassword bounds the password of a sign-in: longer than any we
// set (roster.CheckImportedPassword allows 1024 bytes), with room for passwords
// imported from products that allowed more.
const maxSignInPassword = 4096

// authRequest is the body of POST /api/v1/users/authenticate.
type authRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// apiAuthenticateUser checks an end user's sign-in for the operator's app:
// login is an email or a client id. It answers with the user, or with 401
// when the login or the password is wrong (one message for both), 403 when
// the password is right but the account is not active (the code names the
// access state: access_banned, access_expired, ...) and 429 after repeated
// failures for the login. The
// bearer token of the app was checked before; this 401 is about the user's
// credentials, so it carries no WWW-Authenticate header.
func (s *Server) apiAuthenticateUser(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if err := decodeInto(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	fe := roster.FieldErrors{}
	if strings.TrimSpace(req.Login) == "" {
		fe.Add("login", "is required (an email or a client_id)")
	}
	if req.Password == "" {
		fe.Add("password", "is required")
	} else if len(req.Password) > maxSignInPassword {
		fe.Add("password", "is longer than 4096 bytes")
	}
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.Users.Authenticate(r.Context(), req.Login, req.Password)
	if err != nil {
		s.error(w, r, err)
		return
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userJSON{reg, u})
}
