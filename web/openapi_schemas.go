package web

import (
	"strings"

	"roster"
	"roster/query"
)

// The schemas of the API description, declared once here as Go values and
// referred to by name (ref). They are written by hand rather than
// reflected from the response types: many answers are built by a
// MarshalJSON of their own (a user is one member per field of the
// registry, a sign-in answer merges a user and a session) or as maps, and
// the schemas carry what reflection cannot see (which members are always
// there, which may be null, the examples).

// ref refers to the schema name of components.schemas.
func ref(name string) js { return js{"$ref": "#/components/schemas/" + name} }

// object is an object schema whose members props are all described;
// required lists, space-separated, the members always present.
func object(required string, props js) js {
	s := js{"type": "object", "properties": props}
	if r := strings.Fields(required); len(r) > 0 {
		s["required"] = r
	}
	return s
}

// withExample adds an example to s.
func withExample(s js, ex any) js {
	s["examples"] = []any{ex}
	return s
}

func str(doc string) js { return js{"type": "string", "description": doc} }

func integer(doc string) js { return js{"type": "integer", "description": doc} }

func boolean(doc string) js { return js{"type": "boolean", "description": doc} }

func number(doc string) js { return js{"type": "number", "description": doc} }

// timestamp is an RFC 3339 time in UTC.
func timestamp(doc string) js {
	return js{"type": "string", "format": "date-time", "description": doc}
}

// orNull lets s be null too (JSON Schema 2020-12: a type list).
func orNull(s js) js {
	out := js{}
	for k, v := range s {
		out[k] = v
	}
	if t, ok := s["type"].(string); ok {
		out["type"] = []string{t, "null"}
		return out
	}
	return js{"anyOf": []any{s, js{"type": "null"}}}
}

func array(items js) js { return js{"type": "array", "items": items} }

// optional is the schema name with no member required: a body whose
// members left out keep their value.
func optional(name string) js {
	out := js{}
	for k, v := range schemas[name].(js) {
		if k != "required" {
			out[k] = v
		}
	}
	return out
}

// mapOf is an object whose members are all values of s.
func mapOf(s js) js { return js{"type": "object", "additionalProperties": s} }

// list is an object with one member, name, holding an array of items: the
// shape of every list answer ({"tags": [...]}).
func list(name string, items js) js { return object(name, js{name: array(items)}) }

func enum(doc string, values ...string) js {
	return js{"type": "string", "enum": values, "description": doc}
}

// anyValue is any JSON value, null included (kin-openapi reads a schema
// without a type as not nullable).
func anyValue(doc string) js {
	return js{"type": []string{"null", "boolean", "number", "string", "array", "object"}, "description": doc}
}

// schemas are the named schemas of the description.
var schemas = js{
	"Error": withExample(object("error", js{
		"error": object("code message", js{
			"code": str("invalid, not_found, conflict, unauthorized, forbidden, too_many, unavailable, internal, or " +
				"access_<state> for a refused sign-in."),
			"message":  str("What went wrong, for people."),
			"fields":   mapOf(str("The problem with the field.")),
			"position": integer("The byte position of a filter's error."),
			"reason":   str("The access state of a refused sign-in, or why a session token was refused (token_expired, ...)."),
		}),
	}), js{"error": js{"code": "invalid", "message": "email: is not a valid email address",
		"fields": js{"email": "is not a valid email address"}}}),

	"User": withExample(js{
		"type": "object",
		"description": "A user: one member per field of the registry (GET /api/v1/fields), custom fields included, " +
			"in the registry's order. Secrets are never included.",
		"required": []string{"id", "email", "created_at"},
		"properties": js{
			"id":         str("The public id (u_...)."),
			"email":      str("The email address."),
			"client_id":  orNull(str("The operator's own id of the user.")),
			"status":     str("The status: active, banned, invited, ..."),
			"created_at": timestamp("When the user was created."),
			"tags":       array(ref("TagRef")),
			"groups":     array(ref("Ref")),
			"smart_type": orNull(ref("Ref")),
		},
		"additionalProperties": true,
	}, js{"id": "u_0123456789abcdef", "email": "ann@example.com", "first_name": "Ann", "status": "active",
		"created_at": "2026-03-01T09:00:00Z", "tags": []any{js{"id": 3, "name": "VIP", "color": "#175cd3"}},
		"groups": []any{js{"id": 1, "name": "Gold"}}, "smart_type": js{"id": 1, "name": "Gold"}}),
	"UserInput": js{
		"type": "object",
		"description": "Writable fields of a user, by key (GET /api/v1/fields); password sets the password. " +
			"An unknown or read-only member is refused (422).",
		"additionalProperties": true,
		"properties": js{
			"email":    str("The email address."),
			"password": str("Write-only: sets the user's password."),
		},
	},
	"Ref": object("id name", js{"id": integer("The id."), "name": str("The name.")}),
	"TagRef": object("id name", js{"id": integer("The tag's id."), "name": str("The name."),
		"color": str("The colour, #rrggbb.")}),

	"SearchAnswer": object("total users", js{
		"total":       integer("How many users match."),
		"users":       array(ref("User")),
		"next_cursor": str("The next page's cursor; absent on the last page."),
		"hints": array(object("field message", js{"field": str("The field."), "message": str("The advice."),
			"suggest": str("A condition to write instead.")})),
	}),
	"SearchRequest": object("", js{
		"q":     str("A filter in the filter language."),
		"words": array(str("A keyword.")),
		"conditions": array(object("field op", js{"field": str("A field key."),
			"op":     queryOps(),
			"values": array(anyValue("A value.")), "negate": boolean("Exclude what it matches.")})),
		"sort":   str("Sortable field keys, - for descending."),
		"limit":  integer("1 to 500, default 50."),
		"cursor": str("The next_cursor of the previous page."),
		"tz":     str("An IANA time zone for dates."),
	}),

	"Field": withExample(object("key label type builtin required read_only", js{
		"key": str("The key, as users' JSON names it."), "label": str("The label."),
		"type": str("text, email, number, date, time, boolean, choice, set, tags, ..."), "section": str("The profile's section."),
		"builtin": boolean("A field of Roster's."), "required": boolean("Required."), "read_only": boolean("Set by Roster only."),
		"counter": boolean("A ledger's balance."), "filterable": boolean(""), "sortable": boolean(""),
		"importable": boolean(""), "exportable": boolean(""), "searchable": boolean("Part of keyword search."),
		"choices": array(str("A choice.")), "max_length": integer("The longest value."),
		"id": integer("A custom field's id."), "position": integer("A custom field's position."),
		"retired": boolean("A retired custom field."), "created_at": timestamp("When a custom field was made."),
	}), js{"key": "shoe_size", "label": "Shoe size", "type": "number", "section": "custom", "builtin": false,
		"required": false, "read_only": false, "filterable": true, "sortable": true, "importable": true,
		"exportable": true, "searchable": false}),

	"Tag": withExample(object("id name color users created_at", js{
		"id": integer("The id."), "name": str("The name (names may repeat)."), "color": str("#rrggbb."),
		"users": integer("How many users carry it."), "created_at": timestamp(""),
	}), js{"id": 3, "name": "VIP", "color": "#175cd3", "users": 12, "created_at": "2026-03-01T09:00:00Z"}),

	"Group": withExample(object("id name description starts_at stops_at user_viewable join_type order properties members active created_at", js{
		"id": integer("The id."), "name": str("The name."), "description": str(""),
		"starts_at": orNull(timestamp("Users join from then.")), "stops_at": orNull(timestamp("Users join until then.")),
		"user_viewable": boolean("Users see it in the member API."), "join_type": enum("How users join.", "open", "code"),
		"order": integer("Its place in lists."), "properties": mapOf(anyValue("A property.")),
		"members": integer("How many members."), "active": boolean("Within its period."), "created_at": orNull(timestamp("")),
	}), js{"id": 1, "name": "Gold", "description": "", "starts_at": nil, "stops_at": nil, "user_viewable": true,
		"join_type": "code", "order": 0, "properties": js{"level": 3}, "members": 40, "active": true,
		"created_at": "2026-03-01T09:00:00Z"}),
	"GroupInput": object("", js{
		"name": str(""), "description": str(""), "starts_at": orNull(timestamp("")), "stops_at": orNull(timestamp("")),
		"user_viewable": boolean(""), "join_type": enum("", "open", "code"), "order": integer(""),
		"properties": mapOf(anyValue("")),
	}),
	"Code": object("id group_id hint max_uses uses starts_at expires_at created_at", js{
		"id": integer(""), "group_id": integer(""), "code": str("The plain code: in the creation's answer only."),
		"hint": str("The code's first characters."), "max_uses": integer("0: no limit."), "uses": integer(""),
		"starts_at": orNull(timestamp("")), "expires_at": orNull(timestamp("")), "created_at": orNull(timestamp("")),
	}),
	"Membership": object("group_id user_id via joined_at", js{
		"group_id": integer(""), "user_id": str("The user's public id."), "via": enum("How the user joined.", "self", "code", "staff", "import"),
		"code_id": integer("The code used."), "joined_at": orNull(timestamp("")),
	}),
	"MemberRequest": object("user_id", js{"user_id": str("The user's public id."), "code": str("A join code.")}),
	"BulkRequest":   object("", js{"q": str("A filter: the users to change."), "all": boolean("Every user (q empty).")}),
	"BulkResult":    object("count matched", js{"count": integer("Users changed."), "matched": integer("Users the filter matched.")}),

	"Segment": withExample(object("id name q include exclude added_users removed_users created_at updated_at", js{
		"id": integer(""), "name": str(""), "q": str("The filter."),
		"include": array(ref("SegmentRef")), "exclude": array(ref("SegmentRef")),
		"added_users":   array(str("A user's public id.")),
		"removed_users": array(str("A user's public id.")),
		"created_at":    timestamp(""), "updated_at": timestamp(""), "count": integer("How many members, live."),
	}), js{"id": 4, "name": "Churn", "q": "last_visit:<2026-01-01", "include": []any{}, "exclude": []any{js{"type": "group", "id": 1}},
		"added_users": []any{"u_01h2k3m4n5p6q7r8"}, "removed_users": []any{},
		"created_at": "2026-03-01T09:00:00Z", "updated_at": "2026-03-01T09:00:00Z", "count": 120}),
	"SegmentRef":   object("type id", js{"type": enum("", "group", "segment"), "id": integer("")}),
	"SegmentInput": object("name", js{"name": str(""), "q": str(""), "include": array(ref("SegmentRef")), "exclude": array(ref("SegmentRef"))}),

	"Month": object("month user_id name citation named_by created_at", js{
		"month": str("YYYY-MM."), "user_id": str("The user's public id."), "name": str("The user's name."),
		"citation": str(""), "named_by": str("The staff member who named them."), "created_at": orNull(timestamp("")),
	}),

	"Import": withExample(object("id status url errors_url failed_rows_url progress", js{
		"id": integer(""), "status": str("queued, running, needs_mapping, done, failed, canceled."),
		"options":   object("", js{"mode": str(""), "key": str(""), "dry_run": boolean("")}),
		"file_name": str(""), "counts": ref("ImportCounts"), "progress": number("0 to 1."),
		"url": str(""), "errors_url": str(""), "failed_rows_url": str(""),
		"unknown_columns": array(str("A column that matches no field.")),
	}), js{"id": 7, "status": "queued", "options": js{"mode": "upsert", "key": "email", "dry_run": true},
		"file_name": "people.csv", "counts": js{"read": 0, "created": 0, "updated": 0, "unchanged": 0, "failed": 0},
		"progress": 0, "url": "/api/v1/imports/7", "errors_url": "/api/v1/imports/7/errors", "failed_rows_url": "/api/v1/imports/7/failed.csv"}),
	"ImportCounts": object("read created updated unchanged failed", js{"read": integer(""), "created": integer(""),
		"updated": integer(""), "unchanged": integer(""), "failed": integer("")}),
	"ImportErrors": object("rows", js{
		"rows": array(object("row errors", js{"row": integer("The row's number."),
			"errors": array(object("message", js{"column": str(""), "message": str("")})), "cells": array(str(""))})),
		"next_after": integer("Pass back as after for the next page."),
	}),

	"AuditEntry": withExample(object("id at actor_id actor action target_type target_id changes note", js{
		"id": integer(""), "at": timestamp(""), "actor_id": integer("The staff account (0: none)."), "actor": str(""),
		"action": str("user.update, tag.create, ..."), "target_type": str(""), "target_id": str(""),
		"changes": orNull(mapOf(object("", js{"before": anyValue(""), "after": anyValue("")}))), "note": str(""),
	}), js{"id": 90, "at": "2026-03-01T09:00:00Z", "actor_id": 2, "actor": "admin@example.com", "action": "user.update",
		"target_type": "user", "target_id": "u_0123456789abcdef", "changes": js{"city": js{"before": "Lyon", "after": "Paris"}}, "note": ""}),

	"Session": object("id device_name platform app_version user_agent client_addr created_at last_used_at expires_at refresh", js{
		"id": integer(""), "device_name": str(""), "platform": str(""), "app_version": str(""), "user_agent": str(""),
		"client_addr": str(""), "created_at": orNull(timestamp("")), "last_used_at": orNull(timestamp("")),
		"expires_at": orNull(timestamp("When it ends unless used again.")), "refresh": boolean("Has a refresh token."),
		"current": boolean("The session of this request."),
	}),
	"SessionAnswer": js{
		"type":        "object",
		"description": "The user's fields (as User) and the session's members.",
		"required":    []string{"id", "access_token", "token_type", "expires_at", "session"},
		"properties": js{"id": str("The user's public id."), "access_token": str(""), "token_type": enum("", "Bearer"),
			"expires_at": orNull(timestamp("")), "refresh_token": str("When refresh tokens are on."), "session": ref("Session")},
		"additionalProperties": true,
	},
	"StaffSession": object("id browser os user_agent ip created_at last_seen_at", js{
		"id": integer(""), "browser": str(""), "os": str(""), "user_agent": str(""), "ip": str(""),
		"created_at": timestamp(""), "last_seen_at": timestamp(""),
	}),
	"PushToken": object("id provider token created_at last_sent_at", js{
		"id": integer(""), "provider": str("fcm, apns, ..."), "token": str(""), "session_id": integer(""),
		"created_at": orNull(timestamp("")), "last_sent_at": orNull(timestamp("")),
	}),
	"Ended": object("ended", js{"ended": integer("How many sessions ended.")}),

	"EventBatch": object("events", js{"events": array(object("user type", js{
		"user": object("", js{"id": str(""), "client_id": str(""), "email": str("")}),
		"type": str("visit, page_view, interaction, sign_in, error, or the operator's own."),
		"time": timestamp("Default now."), "id": str("The idempotency key, unique per user."),
		"properties": mapOf(anyValue("")),
	}))}),
	"EventAnswer": withExample(object("accepted stored results", js{
		"accepted": integer("New events and retries."), "stored": integer("New events."),
		"results": array(object("index error", js{"index": integer("The refused event's index."),
			"error": object("code message", js{"code": str(""), "message": str(""), "fields": mapOf(str(""))})})),
	}), js{"accepted": 1, "stored": 1, "results": []any{}}),
	"Activity": object("items", js{
		"items": array(object("at kind title", js{"at": timestamp(""), "kind": str("visit, event, staff, note, task, points."),
			"title": str(""), "detail": str("More, when there is more."), "actor": str("Who did it, for staff actions."),
			"link": str("A page about it.")})),
		"next_cursor": str("The next page's cursor; absent on the last page."),
	}),

	"LedgerEntry": withExample(object("id counter amount balance reason source actor at", js{
		"id": integer(""), "counter": str("points or another counter's key."), "amount": integer(""),
		"balance": integer("The balance after it."), "reason": str(""), "source": str("staff, api, import, automation."),
		"actor": str(""), "idempotency_key": str(""), "at": timestamp(""), "user_id": str(""),
	}), js{"id": 9, "counter": "points", "amount": 50, "balance": 1250, "reason": "Won the spring challenge",
		"source": "api", "actor": "admin@example.com", "idempotency_key": "challenge-2026-u_123", "at": "2026-03-01T09:00:00Z",
		"user_id": "u_0123456789abcdef"}),
	"Ledger": object("balances entries next_cursor", js{"balances": mapOf(integer("By counter.")), "entries": array(ref("LedgerEntry")),
		"next_cursor": str("The next page's cursor; empty on the last page.")}),
	"Counter": object("key label allow_negative", js{"key": str(""), "label": str(""), "allow_negative": boolean(""),
		"created_at": timestamp("")}),

	"Note": withExample(object("id body pinned version author editor created_at updated_at", js{
		"id": integer(""), "body": str("Markdown."), "pinned": boolean(""), "version": integer(""), "author": str(""),
		"editor": str(""), "created_at": timestamp(""), "updated_at": timestamp(""), "user_id": str(""),
		"html": str("The body rendered."),
		"versions": array(object("version body pinned editor at", js{"version": integer(""), "body": str(""),
			"pinned": boolean(""), "editor": str(""), "at": timestamp("")})),
	}), js{"id": 5, "body": "Called about **billing**.", "pinned": true, "version": 1, "author": "admin@example.com",
		"editor": "admin@example.com", "created_at": "2026-03-01T09:00:00Z", "updated_at": "2026-03-01T09:00:00Z",
		"user_id": "u_0123456789abcdef", "html": "<p>Called about <strong>billing</strong>.</p>"}),
	"Task": withExample(object("id user_id user_name title assignee_id assignee done created_by created_at updated_at", js{
		"id": integer(""), "user_id": str(""), "user_name": str(""), "title": str(""), "due": str("YYYY-MM-DD."),
		"assignee_id": integer(""), "assignee": str("The assignee's email."), "done": boolean(""), "done_at": timestamp(""),
		"created_by": str(""), "created_at": timestamp(""), "updated_at": timestamp(""),
	}), js{"id": 3, "user_id": "u_0123456789abcdef", "user_name": "Ann Lee", "title": "Call back", "due": "2026-05-01",
		"assignee_id": 2, "assignee": "admin@example.com", "done": false, "created_by": "admin@example.com",
		"created_at": "2026-03-01T09:00:00Z", "updated_at": "2026-03-01T09:00:00Z"}),

	"Message": object("id message_id recipient template status created_at", js{
		"id": integer("The outbox message's id."), "message_id": str(""), "recipient": str(""),
		"template": str(""), "status": str("queued, sent, failed, ..."), "created_at": timestamp(""),
	}),
	"MailTemplate": object("name label transactional edited subject text html variables", js{
		"name": str(""), "label": str(""), "transactional": boolean(""), "edited": boolean("Differs from the default."),
		"updated_at": timestamp(""), "subject": str(""), "text": str(""), "html": str(""),
		"variables": array(object("name description example", js{"name": str(""), "description": str(""), "example": str("")})),
	}),
	"MailSettings": object("product_name from_name from_address", js{"product_name": str(""), "from_name": str(""),
		"from_address": str("")}),
	"InviteJob": object("id kind status progress url", js{"id": integer(""), "kind": str(""), "status": str(""),
		"note": str(""), "total": integer(""), "tally": mapOf(integer("")), "progress": number("0 to 1."), "url": str("")}),
	"PasteJob": object("id status note total done progress counts url", js{"id": integer(""), "status": str(""),
		"note": str(""), "total": integer(""), "done": integer(""), "progress": number(""), "counts": mapOf(integer("")),
		"error": str(""), "url": str("")}),
	"UserData": object("exported_at user memberships member_of_the_month audit balances points notes tasks", js{
		"exported_at": timestamp(""), "user": ref("User"),
		"memberships": array(object("group_id name via joined_at", js{"group_id": integer(""), "name": str(""),
			"via": str(""), "joined_at": timestamp("")})),
		"member_of_the_month": orNull(array(object("month user_id citation named_by created_at", js{"month": str(""),
			"user_id": str(""), "citation": str(""), "named_by": str(""), "created_at": timestamp("")}))),
		"audit":    orNull(array(ref("AuditEntry"))),
		"balances": orNull(array(object("counter balance", js{"counter": ref("Counter"), "balance": integer("")}))),
		"points":   orNull(array(ref("LedgerEntry"))), "notes": orNull(array(ref("Note"))), "tasks": orNull(array(ref("Task"))),
	}),
	"PasteOptions": object("", js{"mode": str("subscribe or unsubscribe."), "create": boolean("Create unknown addresses."),
		"consent": str("The consent recorded."), "validate": boolean("Check the addresses.")}),
	"PasteRequest": js{"type": "object", "required": []string{"addresses"}, "allOf": []any{ref("PasteOptions")},
		"properties": js{"addresses": js{"description": "One text, or an array of addresses.",
			"anyOf": []any{js{"type": "string"}, array(js{"type": "string"})}}}},
	"EventSettings": object("visit_types interaction_types restrict_types custom_types retention_months", js{
		"visit_types": orNull(array(str(""))), "interaction_types": orNull(array(str(""))),
		"restrict_types": boolean("Refuse types neither built in nor listed."), "custom_types": orNull(array(str(""))),
		"retention_months": integer("1 to 120."),
	}),
	"AccountSettings": object("confirmation_required expiry_months invite_ttl_minutes confirm_ttl_minutes reset_ttl_minutes", js{
		"confirmation_required": boolean(""), "expiry_months": integer("0: accounts do not expire."),
		"invite_ttl_minutes": integer(""), "confirm_ttl_minutes": integer(""), "reset_ttl_minutes": integer(""),
	}),
	"MemberSettings": object("member_sign_in refresh_tokens idle_ttl_minutes absolute_ttl_minutes editable_fields", js{
		"member_sign_in": boolean("The public sign-in is open."), "refresh_tokens": boolean(""),
		"idle_ttl_minutes": integer(""), "absolute_ttl_minutes": integer(""), "editable_fields": array(str("A field key.")),
	}),

	"Webhook": withExample(object("id url description events enabled disabled_reason failures failing_since created_at updated_at", js{
		"id": integer("The id."), "url": str("Where events are posted (https, or a private address when the server allows it)."),
		"description": str(""), "events": array(webhookEvent()), "enabled": boolean(""),
		"disabled_reason": str("Why it was disabled automatically; empty otherwise."),
		"failures":        integer("Deliveries failed in a row."), "failing_since": orNull(timestamp("The first of those failures.")),
		"created_at": orNull(timestamp("")), "updated_at": orNull(timestamp("")),
		"secret": str("whsec_...: only in the answers that make one (create, rotate-secret)."),
	}), js{"id": 1, "url": "https://hooks.example.com/roster", "description": "CRM sync", "events": []string{"user.created"},
		"enabled": true, "disabled_reason": "", "failures": 0, "failing_since": nil,
		"created_at": "2026-03-01T09:00:00Z", "updated_at": "2026-03-01T09:00:00Z"}),
	"WebhookInput": object("", js{
		"url": str(""), "description": str(""), "events": array(webhookEvent()), "enabled": boolean(""),
	}),
	"WebhookDelivery": object("id webhook_id event data status attempts last_error next_attempt_at created_at delivered_at last_attempt", js{
		"id": integer("The id (before= pages the log)."), "webhook_id": str("The webhook-id header: the same on every retry."),
		"event": webhookEvent(), "user_id": str("The user the event is about, if any."), "data": anyValue("The event's payload data."),
		"status": str("queued, delivered or failed."), "attempts": integer(""), "last_error": str(""),
		"next_attempt_at": orNull(timestamp("When a queued delivery is tried next.")),
		"created_at":      orNull(timestamp("")), "delivered_at": orNull(timestamp("")),
		"last_attempt": orNull(object("at status_code duration_ms response error", js{
			"at": orNull(timestamp("")), "status_code": integer("0: no answer."), "duration_ms": integer(""),
			"response": str("The answer's first KiB."), "error": str(""),
		})),
	}),
}

// webhookEvent is a webhook event name: one of roster.WebhookEvents.
func webhookEvent() js {
	names := make([]string, len(roster.WebhookEvents))
	for i, e := range roster.WebhookEvents {
		names[i] = string(e.Event)
	}
	return enum("A webhook event.", names...)
}

// queryOps is a condition's operator: one of query.Ops.
func queryOps() js {
	names := make([]string, len(query.Ops))
	for i, op := range query.Ops {
		names[i] = string(op)
	}
	return enum("The comparison.", names...)
}
