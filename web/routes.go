package web

import (
	"net/http"

	"roster"
)

// public marks the few routes that need no signed-in staff. Every other
// route names the permission it needs; a route cannot be registered without
// one, so the default is deny.
const public roster.Permission = ""

// routes lists every route of the server with the permission it needs.
func (s *Server) routes() {
	// Outside authentication: probes, sign-in, assets.
	s.handle("GET /healthz", public, s.handleHealthz)
	s.handle("GET /readyz", public, s.handleReadyz)
	s.handle("GET /static/", public, s.handleStatic)
	s.handle("GET /signin", public, s.handleSignInPage)
	s.handle("POST /signin", public, s.handleSignIn)

	// Back-office pages.
	s.handle("GET /{$}", roster.PermViewUsers, s.handleHome)
	s.handle("POST /signout", roster.PermSelf, s.handleSignOut)

	// JSON API, authenticated by bearer token.
	s.handle("GET /api/v1/users", roster.PermViewUsers, s.apiSearchUsers)
	s.handle("POST /api/v1/users/search", roster.PermViewUsers, s.apiSearchUsersJSON)
	s.handle("GET /api/v1/users/{id}", roster.PermViewUsers, s.apiGetUser)
	s.handle("POST /api/v1/users", roster.PermManageUsers, s.apiCreateUser)
	s.handle("PATCH /api/v1/users/{id}", roster.PermEditUsers, s.apiUpdateUser)
	s.handle("DELETE /api/v1/users/{id}", roster.PermManageUsers, s.apiDeleteUser)
	s.handle("GET /api/v1/fields", roster.PermViewUsers, s.apiListFields)
	s.handle("POST /api/v1/fields", roster.PermManageFields, s.apiCreateField)
	s.handle("PATCH /api/v1/fields/{key}", roster.PermManageFields, s.apiUpdateField)
	s.handle("GET /api/v1/audit", roster.PermViewAudit, s.apiListAudit)
	s.handle("/api/", public, s.apiNotFound)
	s.handle("/", roster.PermSelf, s.pageNotFound)
}

// handle registers h for pattern behind the authentication and permission
// check that perm asks for.
func (s *Server) handle(pattern string, perm roster.Permission, h http.HandlerFunc) {
	if perm == public {
		s.mux.Handle(pattern, h)
		return
	}
	s.mux.Handle(pattern, s.authorize(perm, h))
}
