package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"roster"
)

// The member API (/api/member/v1/) is what the operator's app calls as one
// of its users. Its routes are public in the route table: none takes a
// staff credential, each authenticates with a user session of its own
// (memberAuth), and a staff token is refused there as a user session is
// refused on the staff routes.

// memberPrefix is where the member API lives.
const memberPrefix = "/api/member/"

// memberRoutes registers the member API.
func (s *Server) memberRoutes() {
	// Preflight requests of browsers, for every member route (cors).
	s.handle("OPTIONS /api/member/", public, s.memberPreflight)
	// Sign-in and refresh are their own credentials.
	s.handle("POST /api/member/v1/sign-in", public, s.cors(s.memberSignIn))
	s.handle("POST /api/member/v1/refresh", public, s.cors(s.memberRefresh))
	s.handle("GET /api/member/v1/me", public, s.memberAuth(s.memberGetMe))
	s.handle("PATCH /api/member/v1/me", public, s.memberAuth(s.memberPatchMe))
	s.handle("POST /api/member/v1/password", public, s.memberAuth(s.memberPassword))
	s.handle("GET /api/member/v1/groups", public, s.memberAuth(s.memberGroups))
	s.handle("POST /api/member/v1/groups/{id}/join", public, s.memberAuth(s.memberJoin))
	s.handle("POST /api/member/v1/groups/{id}/leave", public, s.memberAuth(s.memberLeave))
	s.handle("GET /api/member/v1/push-tokens", public, s.memberAuth(s.memberPushTokens))
	s.handle("POST /api/member/v1/push-tokens", public, s.memberAuth(s.memberAddPushToken))
	s.handle("DELETE /api/member/v1/push-tokens/{id}", public, s.memberAuth(s.memberDeletePushToken))
	s.handle("GET /api/member/v1/sessions", public, s.memberAuth(s.memberSessions))
	s.handle("DELETE /api/member/v1/sessions", public, s.memberAuth(s.memberEndSessions))
	s.handle("DELETE /api/member/v1/sessions/{id}", public, s.memberAuth(s.memberEndSession))
	s.handle("POST /api/member/v1/sign-out", public, s.memberAuth(s.memberSignOut))
}

// member is the signed-in user of a member request.
type member struct {
	session *roster.UserSession
	user    *roster.User
}

type memberHandler func(w http.ResponseWriter, r *http.Request, m member)

// memberAuth admits a request that carries a live user session whose user
// may use their account. A user who may not (banned, expired, ...) is
// refused with the access reason, and their sessions end.
func (s *Server) memberAuth(next memberHandler) http.HandlerFunc {
	return s.cors(func(w http.ResponseWriter, r *http.Request) {
		if s.Sessions == nil {
			s.apiNotFound(w, r)
			return
		}
		m, err := s.memberOf(r)
		if err != nil {
			if roster.ErrorCode(err) == roster.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="roster-member", error="invalid_token"`)
			}
			s.error(w, r, err)
			return
		}
		ctx := roster.UserActing(r.Context(), m.user.PublicID)
		next(w, r.WithContext(ctx), m)
	})
}

// memberOf checks the session of r and loads its user.
func (s *Server) memberOf(r *http.Request) (member, error) {
	ctx := r.Context()
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return member{}, roster.TokenError(roster.TokenMissing)
	}
	sess, err := s.Sessions.CheckSession(ctx, strings.TrimSpace(secret))
	if err != nil {
		return member{}, err
	}
	users, err := s.Users.FindUsersByIDs(ctx, []int64{sess.UserID})
	if err != nil {
		return member{}, err
	}
	if len(users) == 0 {
		return member{}, roster.TokenError(roster.TokenRevoked) // deleted
	}
	u := users[0]
	if a := s.accessRule(ctx).Of(u); a != roster.AccessActive {
		// Not active any more: the account's sessions end here, on the
		// first request that finds out.
		if _, err := s.Sessions.EndSessions(ctx, u.ID, 0, "access_"+string(a)); err != nil {
			return member{}, err
		}
		return member{}, roster.AccessError(a)
	}
	return member{session: sess, user: u}, nil
}

// accessRule is the access rule now; without account settings, the
// default policy's.
func (s *Server) accessRule(ctx context.Context) roster.AccessRule {
	p := roster.DefaultAccountPolicy()
	if s.AccountSettings != nil {
		if got, err := s.AccountSettings.AccountPolicy(ctx); err == nil {
			p = got
		}
	}
	return p.Rule(time.Now())
}

// corsAllowed reports whether origin is one of the member API's allowed
// origins.
func (s *Server) corsAllowed(origin string) bool {
	return origin != "" && slices.Contains(s.MemberCORSOrigins, strings.TrimSuffix(origin, "/"))
}

// cors lets the browsers of the allowed origins read the answers of a
// member route. Without allowed origins (the default), no CORS header is
// sent: browsers keep other sites from calling the API.
func (s *Server) cors(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); s.corsAllowed(origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Retry-After")
		}
		next(w, r)
	}
}

// memberPreflight answers a browser's CORS preflight: for an allowed
// origin, the methods and headers the member API takes; for any other,
// no CORS header at all, which the browser takes as a refusal.
func (s *Server) memberPreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	if s.corsAllowed(origin) && slices.Contains([]string{"GET", "POST", "PATCH", "DELETE"}, method) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}
