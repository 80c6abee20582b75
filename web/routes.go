package web

import (
	"net/http"
	"strings"

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
	s.handle("GET /favicon.ico", public, s.handleFavicon)
	if s.Metrics != nil {
		s.handle("GET /metrics", public, s.Metrics.ServeHTTP)
	}
	s.handle("GET /signin", public, s.handleSignInPage)
	s.handle("POST /signin", public, s.handleSignIn)
	// The second step of a sign-in: its own cookie is the credential.
	s.handle("GET /signin/code", public, s.handleSignInCodePage)
	s.handle("POST /signin/code", public, s.handleSignInCode)

	// Hosted pages for the users themselves: no staff session; each link
	// is its own credential.
	s.handle("GET /u/reset", public, s.handleResetRequestPage)
	s.handle("POST /u/reset", public, s.handleResetRequest)
	s.handle("GET /u/reset/{token}", public, s.handleLinkPage)
	s.handle("POST /u/reset/{token}", public, s.handleLinkUse)
	s.handle("GET /u/invite/{token}", public, s.handleLinkPage)
	s.handle("POST /u/invite/{token}", public, s.handleLinkUse)
	s.handle("GET /u/confirm/{token}", public, s.handleConfirmPage)
	s.handle("POST /u/confirm/{token}", public, s.handleConfirm)
	// One-click unsubscribe (RFC 8058): a mail client posts without a
	// CSRF token; the token in the URL is the credential.
	s.handle("GET /u/unsubscribe/{token}", public, s.handleUnsubscribePage)
	s.handle("POST /u/unsubscribe/{token}", public, s.handleUnsubscribe)

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
	s.handle("POST /users/{id}/password-reset", roster.PermEditUsers, s.handleUserResetLink)
	s.handle("POST /users/{id}/invite", roster.PermManageUsers, s.handleUserInvite)
	s.handle("POST /users/{id}/invite/revoke", roster.PermManageUsers, s.handleUserInviteRevoke)
	s.handle("POST /users/{id}/confirmation", roster.PermEditUsers, s.handleUserConfirmation)
	s.handle("POST /users/{id}/confirm", roster.PermEditUsers, s.handleUserConfirm)
	s.handle("POST /users/{id}/delete", roster.PermManageUsers, s.handleUserDelete)
	s.handle("POST /users/{id}/points", roster.PermEditUsers, s.handleUserPoints)
	s.handle("POST /users/{id}/notes", roster.PermEditUsers, s.handleNoteCreate)
	s.handle("POST /users/{id}/notes/{note}", roster.PermEditUsers, s.handleNoteUpdate)
	s.handle("POST /users/{id}/notes/{note}/delete", roster.PermEditUsers, s.handleNoteDelete)
	s.handle("POST /users/{id}/tasks", roster.PermEditUsers, s.handleTaskCreate)
	s.handle("POST /users/{id}/tasks/{task}", roster.PermEditUsers, s.handleTaskUpdate)
	s.handle("GET /tasks", roster.PermViewUsers, s.handleMyTasks)
	s.handle("POST /users/{id}/sessions/end", roster.PermEditUsers, s.handleUserSessionsEnd)
	s.handle("POST /users/{id}/sessions/{session}/end", roster.PermEditUsers, s.handleUserSessionEnd)
	s.handle("POST /users/{id}/push-tokens/{token}/delete", roster.PermEditUsers, s.handleUserPushTokenDelete)
	s.handle("GET /audit", roster.PermViewAudit, s.handleAudit)
	s.handle("GET /settings", roster.PermSelf, s.handleSettings)
	s.handle("GET /settings/api", roster.PermSelf, s.handleAPIReference)
	s.handle("GET /settings/fields", roster.PermViewUsers, s.handleFields)
	s.handle("POST /settings/fields", roster.PermManageFields, s.handleFieldCreate)
	s.handle("POST /settings/fields/{key}", roster.PermManageFields, s.handleFieldUpdate)
	s.handle("POST /settings/fields/member-editable", roster.PermManageFields, s.handleEditableFieldsSave)
	s.handle("GET /settings/staff", roster.PermManageStaff, s.handleStaffList)
	s.handle("POST /settings/staff", roster.PermManageStaff, s.handleStaffCreate)
	s.handle("POST /settings/staff/{id}", roster.PermManageStaff, s.handleStaffUpdate)
	s.handle("GET /settings/tokens", roster.PermManageStaff, s.handleTokens)
	s.handle("POST /settings/tokens", roster.PermManageStaff, s.handleTokenCreate)
	s.handle("POST /settings/tokens/{id}/revoke", roster.PermManageStaff, s.handleTokenRevoke)
	s.handle("GET /settings/email", roster.PermManageStaff, s.handleOutbox)
	s.handle("GET /settings/email/{id}", roster.PermManageStaff, s.handleOutboxMessage)
	// {op} is "retry" (any other answers 404): a literal "retry" would
	// clash with the templates' POST below, which is more specific than
	// this pattern.
	s.handle("POST /settings/email/{id}/{op}", roster.PermManageStaff, s.handleOutboxRetry)
	s.handle("GET /settings/email/templates", roster.PermManageStaff, s.handleMailTemplates)
	s.handle("POST /settings/email/settings", roster.PermManageStaff, s.handleMailSettings)
	s.handle("GET /settings/email/templates/{name}", roster.PermManageStaff, s.handleMailTemplate)
	s.handle("POST /settings/email/templates/{name}", roster.PermManageStaff, s.handleMailTemplateSave)
	s.handle("GET /settings/accounts", roster.PermManageStaff, s.handleAccountSettings)
	s.handle("POST /settings/accounts", roster.PermManageStaff, s.handleAccountSettingsSave)
	s.handle("POST /settings/accounts/member", roster.PermManageStaff, s.handleMemberSettingsSave)
	s.handle("GET /settings/webhooks", roster.PermManageStaff, s.webhooksOn(s.handleWebhooks))
	s.handle("POST /settings/webhooks", roster.PermManageStaff, s.webhooksOn(s.handleWebhookCreate))
	s.handle("GET /settings/webhooks/{id}", roster.PermManageStaff, s.webhooksOn(s.handleWebhook))
	s.handle("POST /settings/webhooks/{id}", roster.PermManageStaff, s.webhooksOn(s.handleWebhookUpdate))
	s.handle("POST /settings/webhooks/{id}/enabled", roster.PermManageStaff, s.webhooksOn(s.handleWebhookEnabled))
	s.handle("POST /settings/webhooks/{id}/rotate-secret", roster.PermManageStaff, s.webhooksOn(s.handleWebhookRotate))
	s.handle("POST /settings/webhooks/{id}/delete", roster.PermManageStaff, s.webhooksOn(s.handleWebhookDelete))
	s.handle("POST /settings/webhooks/{id}/deliveries/{delivery}/replay", roster.PermManageStaff, s.webhooksOn(s.handleWebhookReplay))

	// Tags
	s.handle("GET /tags", roster.PermViewUsers, s.handleTags)
	s.handle("POST /tags", roster.PermOrganize, s.handleTagCreate)
	s.handle("POST /tags/{id}", roster.PermOrganize, s.handleTagUpdate)
	s.handle("POST /tags/{id}/delete", roster.PermOrganize, s.handleTagDelete)
	s.handle("POST /users/{id}/tags", roster.PermEditUsers, s.handleUserTag)
	s.handle("POST /users/{id}/tags/{tag}/remove", roster.PermEditUsers, s.handleUserUntag)
	s.handle("GET /users/subscribers", roster.PermManageUsers, s.handleSubscribers)
	s.handle("POST /users/subscribers/preview", roster.PermManageUsers, s.handleSubscribersPreview)
	s.handle("POST /users/subscribers/apply", roster.PermManageUsers, s.handleSubscribersApply)
	s.handle("GET /users/bulk", roster.PermOrganize, s.handleBulkConfirm)
	s.handle("POST /users/bulk", roster.PermOrganize, s.handleBulkApply)
	s.handle("GET /users/bulk/invite", roster.PermManageUsers, s.handleBulkInviteConfirm)
	s.handle("POST /users/bulk/invite", roster.PermManageUsers, s.handleBulkInvite)
	s.handle("GET /invites/{id}", roster.PermManageUsers, s.handleInviteJob)
	s.handle("POST /invites/{id}/cancel", roster.PermManageUsers, s.handleInviteJobCancel)

	// Imports: upload, map unknown columns, follow, run a dry run for real.
	s.handle("GET /users/import", roster.PermImport, s.handleImportForm)
	s.handle("POST /users/import", roster.PermImport, s.handleImportUpload)
	s.handle("GET /imports", roster.PermImport, s.handleImports)
	s.handle("GET /imports/{id}", roster.PermImport, s.handleImport)
	// import.js polls the job as the API shows it, with the session.
	s.handle("GET /imports/{id}/status.json", roster.PermImport, s.apiGetImport)
	s.handle("GET /imports/{id}/failed.csv", roster.PermImport, s.handleImportFailedCSV)
	s.handle("POST /imports/{id}/mapping", roster.PermImport, s.handleImportMapping)
	s.handle("POST /imports/{id}/run", roster.PermImport, s.handleImportRun)
	s.handle("POST /imports/{id}/cancel", roster.PermImport, s.handleImportCancel)

	s.handle("GET /account", roster.PermSelf, s.handleAccount)
	s.handle("POST /account", roster.PermSelf, s.handleAccountUpdate)
	s.handle("GET /account/two-factor", roster.PermSelf, s.handleTwoFactorPage)
	s.handle("POST /account/two-factor", roster.PermSelf, s.handleTwoFactorUpdate)
	s.handle("GET /account/devices", roster.PermSelf, s.handleDevices)
	s.handle("POST /account/devices/{session}/end", roster.PermSelf, s.handleDeviceEnd)
	s.handle("POST /account/devices/end-all", roster.PermSelf, s.handleDevicesEndOthers)
	s.handle("POST /account/push", roster.PermSelf, s.handlePushSubscribe)
	s.handle("POST /account/push/{id}/delete", roster.PermSelf, s.handlePushDelete)
	s.handle("GET /settings/staff/{id}/devices", roster.PermManageStaff, s.handleStaffDevices)
	s.handle("POST /settings/staff/{id}/devices/{session}/end", roster.PermManageStaff, s.handleStaffDeviceEnd)
	s.handle("POST /settings/staff/{id}/devices/end-all", roster.PermManageStaff, s.handleStaffDevicesEndAll)
	s.handle("POST /settings/staff/{id}/two-factor/reset", roster.PermManageOwners, s.handleStaffTwoFactorReset)
	s.handle("POST /settings/two-factor", roster.PermManageOwners, s.handleTwoFactorRequired)

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
	s.handle("POST /users/{id}/segments/{segment}", roster.PermOrganize, s.handleUserSegment)
	s.handle("GET /segments", roster.PermViewUsers, s.handleSegments)
	s.handle("POST /segments", roster.PermOrganize, s.handleSegmentCreate)
	s.handle("GET /segments/{id}", roster.PermViewUsers, s.handleSegment)
	s.handle("POST /segments/{id}", roster.PermOrganize, s.handleSegmentUpdate)
	s.handle("POST /segments/{id}/delete", roster.PermOrganize, s.handleSegmentDelete)
	s.handle("GET /settings/smart-types", roster.PermViewUsers, s.handleSmartTypes)
	s.handle("POST /settings/smart-types", roster.PermOrganize, s.handleSmartTypesSave)
	s.handle("GET /member-of-the-month", roster.PermViewUsers, s.handleMonths)
	s.handle("POST /member-of-the-month", roster.PermOrganize, s.handleMonthName)

	// Export, a user's data, the import template
	s.handle("GET /users/export.csv", roster.PermExport, s.exportHandler("q", "sort", "view", "columns", "bom", "escape"))
	s.handle("GET /users/{id}/data.json", roster.PermExport, s.handleUserDataJSON)
	s.handle("GET /users/import/template", roster.PermImport, s.handleImportTemplate)
	s.handle("GET /users/template.csv", roster.PermImport, s.handleTemplateCSV)

	// JSON API, authenticated by bearer token. Its description is public
	// (handleOpenAPI says why).
	s.handle("GET /api/openapi.json", public, s.handleOpenAPI)
	s.handle("GET /api/v1/users", roster.PermViewUsers, s.apiSearchUsers)
	s.handle("POST /api/v1/users/search", roster.PermViewUsers, s.apiSearchUsersJSON)
	s.handle("POST /api/v1/users/authenticate", roster.PermEditUsers, s.apiAuthenticateUser)
	s.handle("GET /api/v1/users/{id}", roster.PermViewUsers, s.apiGetUser)
	s.handle("GET /api/v1/users/{id}/activity", roster.PermViewUsers, s.apiUserActivity)
	// TODO(member API, issue 15): POST /api/member/v1/events, the same
	// batch for the signed-in user alone, once user sessions exist.
	s.handle("POST /api/v1/events", roster.PermEditUsers, s.apiRecordEvents)
	s.handle("GET /api/v1/settings/events", roster.PermManageStaff, s.apiGetEventSettings)
	s.handle("PUT /api/v1/settings/events", roster.PermManageStaff, s.apiPutEventSettings)
	s.handle("POST /api/v1/users", roster.PermManageUsers, s.apiCreateUser)
	s.handle("PATCH /api/v1/users/{id}", roster.PermEditUsers, s.apiUpdateUser)
	s.handle("DELETE /api/v1/users/{id}", roster.PermManageUsers, s.apiDeleteUser)
	s.handle("POST /api/v1/users/{id}/password-reset", roster.PermEditUsers, s.apiSendPasswordReset)
	s.handle("POST /api/v1/users/{id}/invite", roster.PermManageUsers, s.apiInviteUser)
	s.handle("GET /api/v1/mail/settings", roster.PermManageStaff, s.apiGetMailSettings)
	s.handle("PUT /api/v1/mail/settings", roster.PermManageStaff, s.apiPutMailSettings)
	s.handle("GET /api/v1/mail/templates", roster.PermManageStaff, s.apiListMailTemplates)
	s.handle("GET /api/v1/mail/templates/{name}", roster.PermManageStaff, s.apiGetMailTemplate)
	s.handle("PUT /api/v1/mail/templates/{name}", roster.PermManageStaff, s.apiPutMailTemplate)
	s.handle("DELETE /api/v1/mail/templates/{name}", roster.PermManageStaff, s.apiDeleteMailTemplate)
	s.handle("DELETE /api/v1/users/{id}/invite", roster.PermManageUsers, s.apiRevokeInvite)
	s.handle("POST /api/v1/users/invite", roster.PermManageUsers, s.apiBulkInvite)
	s.handle("GET /api/v1/invites/{id}", roster.PermManageUsers, s.apiGetInviteJob)
	s.handle("POST /api/v1/invites/{id}/cancel", roster.PermManageUsers, s.apiCancelInviteJob)
	s.handle("POST /api/v1/users/{id}/confirmation", roster.PermEditUsers, s.apiSendConfirmation)
	s.handle("POST /api/v1/users/{id}/confirm", roster.PermEditUsers, s.apiConfirmEmail)
	s.handle("GET /api/v1/settings/accounts", roster.PermManageStaff, s.apiGetAccountSettings)
	s.handle("PUT /api/v1/settings/accounts", roster.PermManageStaff, s.apiPutAccountSettings)
	s.handle("POST /api/v1/subscribers/preview", roster.PermManageUsers, s.apiSubscribersPreview)
	s.handle("POST /api/v1/subscribers/apply", roster.PermManageUsers, s.apiSubscribersApply)
	s.handle("GET /api/v1/subscribers/{id}", roster.PermManageUsers, s.apiSubscribersJob)
	s.handle("GET /api/v1/fields", roster.PermViewUsers, s.apiListFields)
	s.handle("POST /api/v1/fields", roster.PermManageFields, s.apiCreateField)
	s.handle("PATCH /api/v1/fields/{key}", roster.PermManageFields, s.apiUpdateField)
	s.handle("GET /api/v1/audit", roster.PermViewAudit, s.apiListAudit)
	s.handle("GET /api/v1/tags", roster.PermViewUsers, s.apiListTags)
	s.handle("POST /api/v1/tags", roster.PermOrganize, s.apiCreateTag)
	s.handle("GET /api/v1/tags/{id}", roster.PermViewUsers, s.apiGetTag)
	s.handle("PATCH /api/v1/tags/{id}", roster.PermOrganize, s.apiUpdateTag)
	s.handle("DELETE /api/v1/tags/{id}", roster.PermOrganize, s.apiDeleteTag)
	s.handle("POST /api/v1/tags/{id}/apply", roster.PermOrganize, s.apiApplyTag)
	s.handle("POST /api/v1/tags/{id}/remove", roster.PermOrganize, s.apiRemoveTag)
	s.handle("POST /api/v1/users/{id}/tags", roster.PermEditUsers, s.apiTagUser)
	s.handle("DELETE /api/v1/users/{id}/tags/{tag_id}", roster.PermEditUsers, s.apiUntagUser)
	s.handle("GET /api/v1/groups", roster.PermViewUsers, s.apiListGroups)
	s.handle("POST /api/v1/groups", roster.PermOrganize, s.apiCreateGroup)
	s.handle("GET /api/v1/groups/{id}", roster.PermViewUsers, s.apiGetGroup)
	s.handle("PATCH /api/v1/groups/{id}", roster.PermOrganize, s.apiUpdateGroup)
	s.handle("DELETE /api/v1/groups/{id}", roster.PermOrganize, s.apiDeleteGroup)
	s.handle("GET /api/v1/groups/{id}/codes", roster.PermViewUsers, s.apiListCodes)
	s.handle("POST /api/v1/groups/{id}/codes", roster.PermOrganize, s.apiCreateCodes)
	s.handle("DELETE /api/v1/groups/{id}/codes/{code_id}", roster.PermOrganize, s.apiDeleteCode)
	s.handle("POST /api/v1/groups/{id}/join", roster.PermEditUsers, s.apiJoinGroup)
	s.handle("POST /api/v1/groups/{id}/leave", roster.PermEditUsers, s.apiLeaveGroup)
	s.handle("POST /api/v1/groups/{id}/members", roster.PermOrganize, s.apiAddMembers)
	s.handle("POST /api/v1/groups/{id}/members/remove", roster.PermOrganize, s.apiRemoveMembers)
	s.handle("POST /api/v1/groups/{id}/members/{user_id}", roster.PermEditUsers, s.apiAddMember)
	s.handle("DELETE /api/v1/groups/{id}/members/{user_id}", roster.PermEditUsers, s.apiRemoveMember)
	s.handle("GET /api/v1/smart-types", roster.PermViewUsers, s.apiGetSmartTypes)
	s.handle("PUT /api/v1/smart-types", roster.PermOrganize, s.apiSetSmartTypes)
	s.handle("GET /api/v1/segments", roster.PermViewUsers, s.apiListSegments)
	s.handle("POST /api/v1/segments", roster.PermOrganize, s.apiCreateSegment)
	s.handle("GET /api/v1/segments/{id}", roster.PermViewUsers, s.apiGetSegment)
	s.handle("PUT /api/v1/segments/{id}", roster.PermOrganize, s.apiReplaceSegment)
	s.handle("DELETE /api/v1/segments/{id}", roster.PermOrganize, s.apiDeleteSegment)
	s.handle("GET /api/v1/member-of-the-month", roster.PermViewUsers, s.apiGetMemberOfMonth)
	s.handle("POST /api/v1/member-of-the-month", roster.PermOrganize, s.apiNameMemberOfMonth)
	s.handle("GET /api/v1/member-of-the-month/history", roster.PermViewUsers, s.apiMonthHistory)
	s.handle("GET /api/v1/imports", roster.PermImport, s.apiListImports)
	s.handle("POST /api/v1/imports", roster.PermImport, s.apiCreateImport)
	s.handle("GET /api/v1/imports/{id}", roster.PermImport, s.apiGetImport)
	s.handle("POST /api/v1/imports/{id}/mapping", roster.PermImport, s.apiMapImport)
	s.handle("POST /api/v1/imports/{id}/run", roster.PermImport, s.apiRunImport)
	s.handle("POST /api/v1/imports/{id}/cancel", roster.PermImport, s.apiCancelImport)
	s.handle("GET /api/v1/imports/{id}/errors", roster.PermImport, s.apiImportErrors)
	s.handle("GET /api/v1/imports/{id}/failed.csv", roster.PermImport, s.apiImportFailedCSV)
	s.handle("GET /api/v1/users/export.csv", roster.PermExport, s.exportHandler("q", "sort", "columns", "bom", "escape", "tz"))
	s.handle("GET /api/v1/users/{id}/data", roster.PermExport, s.apiUserData)
	s.handle("GET /api/v1/users/{id}/points", roster.PermViewUsers, s.apiListPoints)
	s.handle("POST /api/v1/users/{id}/points", roster.PermEditUsers, s.apiChangePoints)
	s.handle("GET /api/v1/counters", roster.PermViewUsers, s.apiListCounters)
	s.handle("POST /api/v1/counters", roster.PermManageFields, s.apiCreateCounter)
	s.handle("GET /api/v1/users/{id}/notes", roster.PermViewUsers, s.apiListNotes)
	s.handle("POST /api/v1/users/{id}/notes", roster.PermEditUsers, s.apiCreateNote)
	s.handle("GET /api/v1/users/{id}/notes/{note_id}", roster.PermViewUsers, s.apiGetNote)
	s.handle("PATCH /api/v1/users/{id}/notes/{note_id}", roster.PermEditUsers, s.apiUpdateNote)
	s.handle("DELETE /api/v1/users/{id}/notes/{note_id}", roster.PermEditUsers, s.apiDeleteNote)
	s.handle("GET /api/v1/users/{id}/tasks", roster.PermViewUsers, s.apiListUserTasks)
	s.handle("POST /api/v1/users/{id}/tasks", roster.PermEditUsers, s.apiCreateTask)
	s.handle("PATCH /api/v1/users/{id}/tasks/{task_id}", roster.PermEditUsers, s.apiUpdateTask)
	s.handle("DELETE /api/v1/users/{id}/tasks/{task_id}", roster.PermEditUsers, s.apiDeleteTask)
	s.handle("GET /api/v1/tasks", roster.PermViewUsers, s.apiListTasks)
	s.handle("GET /api/v1/users/template.csv", roster.PermImport, s.handleTemplateCSV)
	s.handle("GET /api/v1/staff/{id}/sessions", roster.PermManageStaff, s.apiListStaffSessions)
	s.handle("DELETE /api/v1/staff/{id}/sessions", roster.PermManageStaff, s.apiEndStaffSessions)
	s.handle("DELETE /api/v1/staff/{id}/sessions/{session_id}", roster.PermManageStaff, s.apiEndStaffSession)
	s.handle("GET /api/v1/users/{id}/sessions", roster.PermViewUsers, s.apiUserSessions)
	s.handle("DELETE /api/v1/users/{id}/sessions", roster.PermEditUsers, s.apiEndUserSessions)
	s.handle("DELETE /api/v1/users/{id}/sessions/{session_id}", roster.PermEditUsers, s.apiEndUserSession)
	s.handle("GET /api/v1/users/{id}/push-tokens", roster.PermViewUsers, s.apiUserPushTokens)
	s.handle("DELETE /api/v1/users/{id}/push-tokens/{token_id}", roster.PermEditUsers, s.apiDeleteUserPushToken)
	s.handle("GET /api/v1/webhooks", roster.PermManageStaff, s.webhooksOn(s.apiListWebhooks))
	s.handle("POST /api/v1/webhooks", roster.PermManageStaff, s.webhooksOn(s.apiCreateWebhook))
	s.handle("GET /api/v1/webhooks/{id}", roster.PermManageStaff, s.webhooksOn(s.apiGetWebhook))
	s.handle("PATCH /api/v1/webhooks/{id}", roster.PermManageStaff, s.webhooksOn(s.apiUpdateWebhook))
	s.handle("DELETE /api/v1/webhooks/{id}", roster.PermManageStaff, s.webhooksOn(s.apiDeleteWebhook))
	s.handle("POST /api/v1/webhooks/{id}/rotate-secret", roster.PermManageStaff, s.webhooksOn(s.apiRotateWebhookSecret))
	s.handle("GET /api/v1/webhooks/{id}/deliveries", roster.PermManageStaff, s.webhooksOn(s.apiListWebhookDeliveries))
	s.handle("POST /api/v1/webhooks/{id}/deliveries/{delivery}/replay", roster.PermManageStaff, s.webhooksOn(s.apiReplayWebhookDelivery))
	s.handle("GET /api/v1/settings/member", roster.PermManageStaff, s.apiGetMemberSettings)
	s.handle("PUT /api/v1/settings/member", roster.PermManageStaff, s.apiPutMemberSettings)

	// SCIM 2.0 for identity providers, by bearer token (scim.go).
	s.scimRoutes()

	// The member API: public routes with their own session auth.
	s.memberRoutes()
	s.handle("/api", public, s.apiNotFound) // else the mux redirects it, whatever the method, to /api/
	s.handle("/api/", public, s.apiNotFound)
	s.handle("/", roster.PermSelf, s.pageNotFound)
}

// Route is one entry of the route table: a ServeMux pattern ("POST
// /users/{id}", or a path alone for every method) and the permission it
// needs (empty: public).
type Route struct {
	Pattern string
	Perm    roster.Permission
}

// Method returns the route's method, or "" when it answers every method.
func (rt Route) Method() string {
	if m, _, ok := strings.Cut(rt.Pattern, " "); ok {
		return m
	}
	return ""
}

// Path returns the route's path pattern.
func (rt Route) Path() string {
	if _, p, ok := strings.Cut(rt.Pattern, " "); ok {
		return p
	}
	return rt.Pattern
}

// Routes returns the route table in registration order: what tests walk
// (every route has its permission, every write its audit entry) and what
// an API description is made from.
func (s *Server) Routes() []Route { return s.table }

// handle registers h for pattern behind the authentication and permission
// check that perm asks for.
func (s *Server) handle(pattern string, perm roster.Permission, h http.HandlerFunc) {
	rt := Route{Pattern: pattern, Perm: perm}
	s.table = append(s.table, rt)
	var next http.Handler = h
	if perm != public {
		next = s.authorize(perm, h)
	}
	// The log and the metrics name the request by its route.
	path := rt.Path()
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lw, ok := w.(*loggingWriter); ok {
			lw.route = path
		}
		next.ServeHTTP(w, r)
	}))
}
