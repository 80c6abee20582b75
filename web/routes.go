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
	s.handle("GET /account", roster.PermSelf, s.handleAccount)
	s.handle("POST /account", roster.PermSelf, s.handleAccountUpdate)

	// Groups, segments, Member of the Month
	s.handle("GET /groups", roster.PermViewUsers, s.handleGroups)
	s.handle("POST /groups", roster.PermOrganize, s.handleGroupCreate)
	s.handle("GET /groups/{id}", roster.PermViewUsers, s.handleGroup)
	s.handle("POST /groups/{id}", roster.PermOrganize, s.handleGroupUpdate)
	s.handle("POST /groups/{id}/delete", roster.PermOrganize, s.handleGroupDelete)
	s.handle("POST /groups/{id}/codes", roster.PermOrganize, s.handleCodesCreate)
	s.handle("POST /groups/{id}/codes.csv", roster.PermOrganize, s.handleCodesCSV)
	s.handle("POST /groups/{id}/codes/{code}/delete", roster.PermOrganize, s.handleCodeDelete)
	s.handle("POST /users/{id}/groups", roster.PermEditUsers, s.handleMemberAdd)
	s.handle("POST /users/{id}/groups/{group}/remove", roster.PermEditUsers, s.handleMemberRemove)
	s.handle("GET /segments", roster.PermViewUsers, s.handleSegments)
	s.handle("POST /segments", roster.PermOrganize, s.handleSegmentCreate)
	s.handle("GET /segments/{id}", roster.PermViewUsers, s.handleSegment)
	s.handle("POST /segments/{id}", roster.PermOrganize, s.handleSegmentUpdate)
	s.handle("POST /segments/{id}/delete", roster.PermOrganize, s.handleSegmentDelete)
	s.handle("GET /settings/smart-types", roster.PermViewUsers, s.handleSmartTypes)
	s.handle("POST /settings/smart-types", roster.PermOrganize, s.handleSmartTypesSave)
	s.handle("GET /member-of-the-month", roster.PermViewUsers, s.handleMonths)
	s.handle("POST /member-of-the-month", roster.PermOrganize, s.handleMonthName)

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
