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
	s.handle("GET /users", roster.PermViewUsers, s.handleUsers)
	s.handle("POST /users/columns", roster.PermSelf, s.handleUserColumns)
	s.handle("GET /users/new", roster.PermManageUsers, s.handleUserNew)
	s.handle("POST /users", roster.PermManageUsers, s.handleUserCreate)
	s.handle("GET /users/{id}", roster.PermViewUsers, s.handleUser)
	s.handle("GET /users/{id}/activity", roster.PermViewUsers, s.handleUserActivity)
	s.handle("POST /users/{id}", roster.PermEditUsers, s.handleUserUpdate)
	s.handle("POST /users/{id}/status", roster.PermEditUsers, s.handleUserStatus)
	s.handle("POST /users/{id}/password", roster.PermEditUsers, s.handleUserPassword)
	s.handle("POST /users/{id}/delete", roster.PermManageUsers, s.handleUserDelete)
	s.handle("GET /audit", roster.PermViewAudit, s.handleAudit)
	s.handle("GET /settings", roster.PermSelf, s.handleSettings)
	s.handle("GET /settings/fields", roster.PermViewUsers, s.handleFields)
	s.handle("POST /settings/fields", roster.PermManageFields, s.handleFieldCreate)
	s.handle("POST /settings/fields/{key}", roster.PermManageFields, s.handleFieldUpdate)
	s.handle("GET /settings/staff", roster.PermManageStaff, s.handleStaffList)
	s.handle("POST /settings/staff", roster.PermManageStaff, s.handleStaffCreate)
	s.handle("POST /settings/staff/{id}", roster.PermManageStaff, s.handleStaffUpdate)
	s.handle("GET /settings/tokens", roster.PermManageStaff, s.handleTokens)
	s.handle("POST /settings/tokens", roster.PermManageStaff, s.handleTokenCreate)
	s.handle("POST /settings/tokens/{id}/revoke", roster.PermManageStaff, s.handleTokenRevoke)

	// Tags
	s.handle("GET /tags", roster.PermViewUsers, s.handleTags)
	s.handle("POST /tags", roster.PermOrganize, s.handleTagCreate)
	s.handle("POST /tags/{id}", roster.PermOrganize, s.handleTagUpdate)
	s.handle("POST /tags/{id}/delete", roster.PermOrganize, s.handleTagDelete)
	s.handle("POST /users/{id}/tags", roster.PermEditUsers, s.handleUserTag)
	s.handle("POST /users/{id}/tags/{tag}/remove", roster.PermEditUsers, s.handleUserUntag)
	s.handle("GET /users/bulk", roster.PermOrganize, s.handleBulkConfirm)
	s.handle("POST /users/bulk", roster.PermOrganize, s.handleBulkApply)

	s.handle("GET /account", roster.PermSelf, s.handleAccount)
	s.handle("POST /account", roster.PermSelf, s.handleAccountUpdate)

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
