package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"roster"
)

// The OpenAPI description of the JSON API is made here from two sources
// that cannot drift apart: the route table (method, path and permission of
// every /api/ route, as s.handle registered it) and the operations table of
// openapi_ops.go (what a route takes and answers, one entry per route).
// Schemas are declared once, in openapi_schemas.go, and referred to by
// name. The document is built once, when the server starts, and served as
// it is by GET /api/openapi.json; the reference page (/settings/api) is
// rendered from the same bytes.

// js is a JSON value of the document: a schema, an example, a fragment.
type js = map[string]any

// operation describes one /api/ route beside the route table. Method, path
// and permission are not repeated here: they come from the route.
type operation struct {
	Tag     string // the group of the reference page: "Users", "Tags", ...
	Summary string // one line
	Doc     string // more, in plain text, when the summary is not enough
	Query   []param
	// Body is the JSON request body's schema, Form a multipart body's;
	// nil: the route takes no body. BodyExample is an example body, also
	// what "copy as curl" sends.
	Body, Form  js
	BodyExample any
	// Status is the success status (200 when 0); More lists other success
	// statuses answering the same body (a replayed write, a created one).
	Status int
	More   []int
	// Answer is the success body's schema; nil: no content (204 unless
	// Status says otherwise). CSV: the answer is a text/csv file.
	Answer js
	CSV    bool
	// Public marks a member route that needs no user session (sign-in,
	// refresh); the description itself needs no credential.
	Public bool
}

// param is a query parameter.
type param struct {
	Name, Doc string
	Schema    js
	Required  bool
}

// undescribed lists the /api/ routes that are not operations, and why.
var undescribed = map[string]string{
	"/api":                 "the catch-all answering 404 for unknown API paths",
	"/api/":                "the catch-all answering 404 for unknown API paths",
	"OPTIONS /api/member/": "the CORS preflight of every member API path",
}

// isAPIRoute reports whether rt is one of the API's routes.
func isAPIRoute(rt Route) bool {
	return strings.HasPrefix(rt.Path(), "/api/") || rt.Path() == "/api"
}

// describedRoutes returns the /api/ routes the description holds: the
// route table's, less the undescribed ones.
func (s *Server) describedRoutes() []Route {
	var out []Route
	for _, rt := range s.table {
		if _, skip := undescribed[rt.Pattern]; skip || !isAPIRoute(rt) {
			continue
		}
		out = append(out, rt)
	}
	return out
}

// permissionName is what the description calls perm: the permission's
// name, "public", or "member" for the member API's session.
func permissionName(rt Route, op operation) string {
	switch {
	case rt.Perm != public:
		return string(rt.Perm)
	case strings.HasPrefix(rt.Path(), memberPrefix) && !op.Public:
		return "member"
	}
	return "public"
}

// permissionText is the sentence of an operation's description saying who
// may call it.
func permissionText(rt Route, op operation) string {
	switch name := permissionName(rt, op); name {
	case "member":
		return "Permission: member (a user session's access token, from sign-in or refresh)."
	case "public":
		return "Permission: public (no credential)."
	default:
		var roles []string
		for _, r := range roster.Roles {
			if r.Can(rt.Perm) {
				roles = append(roles, string(r))
			}
		}
		return fmt.Sprintf("Permission: %s (roles: %s).", name, strings.Join(roles, ", "))
	}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// pathParams returns the parameters of path: the users' public ids and the
// names of templates and fields are strings, other ids numbers.
func pathParams(path string) []js {
	var out []js
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		name := m[1]
		var sch js
		doc := "The " + strings.ReplaceAll(name, "_", " ") + "."
		switch {
		case name == "user_id" || (name == "id" && strings.HasPrefix(path, "/api/v1/users/")):
			sch, doc = js{"type": "string", "examples": []any{"u_0123456789abcdef"}}, "The user's public id (u_...)."
		case name == "name":
			sch, doc = js{"type": "string", "examples": []any{"invite"}}, "The template's name."
		case name == "key":
			sch, doc = js{"type": "string", "examples": []any{"shoe_size"}}, "The field's key."
		default:
			sch = js{"type": "integer", "minimum": 1, "examples": []any{1}}
		}
		out = append(out, js{"name": name, "in": "path", "required": true, "description": doc, "schema": sch})
	}
	return out
}

// tagOrder lists the operations' tags in the order of the reference page.
var tagOrder = []string{"Users", "Search", "Events", "Sessions", "Fields", "Tags", "Groups", "Segments",
	"Member of the Month", "Imports", "Exports", "Points", "Notes", "Tasks", "Audit", "Mail", "Settings", "Staff", "Webhooks", "Member API", "Description"}

// buildOpenAPI makes the description from the route table and the
// operations table. A route without an operation is left out (the
// coverage test names it).
func (s *Server) buildOpenAPI() ([]byte, error) {
	paths := js{}
	for _, rt := range s.describedRoutes() {
		op, ok := operations[rt.Pattern]
		if !ok {
			continue
		}
		item, _ := paths[rt.Path()].(js)
		if item == nil {
			item = js{}
			paths[rt.Path()] = item
		}
		item[strings.ToLower(rt.Method())] = s.describe(rt, op)
	}
	var tags []any
	for _, t := range tagOrder {
		tags = append(tags, js{"name": t})
	}
	doc := js{
		"openapi": "3.1.0",
		"info": js{
			"title":   "Roster API",
			"version": "1",
			"description": "Roster's JSON API. Staff calls (/api/v1) carry an API token of a staff account " +
				"(Authorization: Bearer rst_...), which acts with the account's role; each operation names the " +
				"permission it needs (x-roster-permission). The member API (/api/member/v1) is called by a user's " +
				"own app with a user session's access token. Errors have one shape, the Error schema.",
		},
		"tags":  tags,
		"paths": paths,
		"components": js{
			"schemas": schemas,
			"responses": js{
				"Error": js{
					"description": "An error: 400 malformed request, 401 no or bad credential, 403 the role does not allow it, " +
						"404 no such resource or route, 409 conflict, 413 too large, 422 invalid fields (fields names them), " +
						"429 throttled, 503 unavailable.",
					"content": js{"application/json": js{"schema": ref("Error")}},
				},
			},
			"securitySchemes": js{
				"apiToken": js{"type": "http", "scheme": "bearer", "bearerFormat": "rst_...",
					"description": "A staff account's API token (Settings → API tokens, or roster token create)."},
				"memberSession": js{"type": "http", "scheme": "bearer",
					"description": "A user session's access token, answered by POST /api/member/v1/sign-in or /refresh."},
			},
		},
	}
	return json.MarshalIndent(doc, "", " ")
}

// describe makes the operation object of rt.
func (s *Server) describe(rt Route, op operation) js {
	desc := op.Summary + "."
	if op.Doc != "" {
		desc += "\n\n" + op.Doc
	}
	desc += "\n\n" + permissionText(rt, op)
	out := js{
		"operationId":         operationID(rt),
		"summary":             op.Summary,
		"description":         desc,
		"tags":                []string{op.Tag},
		"x-roster-permission": permissionName(rt, op),
		"responses":           js{"default": js{"$ref": "#/components/responses/Error"}},
		"x-roster-curl":       curlFor(rt, op),
	}
	switch permissionName(rt, op) {
	case "member":
		out["security"] = []js{{"memberSession": []string{}}}
	case "public":
		out["security"] = []js{}
	default:
		out["security"] = []js{{"apiToken": []string{}}}
	}
	params := pathParams(rt.Path())
	for _, p := range op.Query {
		q := js{"name": p.Name, "in": "query", "description": p.Doc, "schema": p.Schema}
		if p.Required {
			q["required"] = true
		}
		params = append(params, q)
	}
	if len(params) > 0 {
		out["parameters"] = params
	}
	switch {
	case op.Body != nil:
		mt := js{"schema": op.Body}
		if op.BodyExample != nil {
			mt["example"] = op.BodyExample
		}
		out["requestBody"] = js{"required": true, "content": js{"application/json": mt}}
	case op.Form != nil:
		out["requestBody"] = js{"required": true, "content": js{"multipart/form-data": js{"schema": op.Form}}}
	}
	status := op.Status
	if status == 0 {
		status = http.StatusOK
		if op.Answer == nil && !op.CSV {
			status = http.StatusNoContent
		}
	}
	responses := out["responses"].(js)
	for _, st := range append([]int{status}, op.More...) {
		r := js{"description": http.StatusText(st)}
		switch {
		case op.CSV:
			r["content"] = js{"text/csv": js{"schema": js{"type": "string", "description": "A CSV file."}}}
		case op.Answer != nil:
			r["content"] = js{"application/json": js{"schema": op.Answer}}
		}
		responses[strconv.Itoa(st)] = r
	}
	return out
}

// operationID names rt for code generators: the method and the path's
// words, "get_api_v1_users_id".
func operationID(rt Route) string {
	p := strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(rt.Path())
	return strings.ToLower(rt.Method()) + p
}

// curlFor is the curl command of an operation, as the reference page
// copies it: $ROSTER is the server's address, $TOKEN the credential.
func curlFor(rt Route, op operation) string {
	var b strings.Builder
	b.WriteString("curl")
	if rt.Method() != http.MethodGet {
		b.WriteString(" -X " + rt.Method())
	}
	if permissionName(rt, op) != "public" {
		b.WriteString(` -H "Authorization: Bearer $TOKEN"`)
	}
	switch {
	case op.Body != nil:
		body := "{}"
		if op.BodyExample != nil {
			bb, _ := json.Marshal(op.BodyExample)
			body = string(bb)
		}
		b.WriteString(` -H "Content-Type: application/json" -d '` + strings.ReplaceAll(body, "'", `'\''`) + `'`)
	case op.Form != nil:
		b.WriteString(` -F "file=@users.csv"`)
	}
	path := rt.Path()
	var required []string
	for _, p := range op.Query {
		if p.Required {
			required = append(required, p.Name+"=")
		}
	}
	if len(required) > 0 {
		path += "?" + strings.Join(required, "&")
	}
	b.WriteString(` "$ROSTER` + path + `"`)
	return b.String()
}

// handleOpenAPI serves the description. It is public: it holds no data,
// only the contract README already publishes, and code generators and API
// clients fetch it before they hold a token.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(s.openapi)
}

// OpenAPI returns the description of the API (OpenAPI 3.1, JSON).
func (s *Server) OpenAPI() []byte { return slices.Clone(s.openapi) }
