package web

import (
	"net/http"
	"net/netip"

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
	// The device the user signs in on, for the session: what the app
	// told the operator's backend. user_agent and client_addr default to
	// the backend's own request.
	DeviceName string `json:"device_name"`
	Platform   string `json:"platform"`
	AppVersion string `json:"app_version"`
	UserAgent  string `json:"user_agent"`
	ClientAddr string `json:"client_addr"`
}

// apiAuthenticateUser checks an end user's sign-in for the operator's app:
// login is an email or a client id. It answers with the user, or with 401
// when the login or the password is wrong (one message for both), 403 when
// the password is right but the account is not active (the code names the
// access state: access_banned, access_expired, ...) and 429 after repeated
// failures for the login. The answer also starts a user session for the
// member API: access_token, token_type, expires_at, refresh_token (when
// refresh tokens are on) and session join the user's fields. The
// bearer token of the app was checked before; this 401 is about the user's
// credentials, so it carries no WWW-Authenticate header.
func (s *Server) apiAuthenticateUser(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if err := decodeInto(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	fe := signInProblems(req.Login, req.Password)
	d := s.device(r, deviceRequest{req.DeviceName, req.Platform, req.AppVersion})
	if req.UserAgent != "" {
		d.UserAgent = req.UserAgent
	}
	if req.ClientAddr != "" {
		if a, err := netip.ParseAddr(req.ClientAddr); err != nil {
			fe.Add("client_addr", "is not an IP address")
		} else {
			d.ClientAddr = a.String()
		}
	}
	if err := d.Validate(); err != nil {
		for k, v := range roster.ErrorFields(err) {
			fe.Add(k, v)
		}
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
	if s.Sessions != nil {
		s.startUserSession(w, r, u, d)
		return
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userJSON{reg, u})
}
