package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
)

// The API reference page (/settings/api) is rendered from the description
// GET /api/openapi.json serves: the same bytes, read back here, so that the
// page cannot say anything the description does not.

// apiDoc is what the page reads of the description.
type apiDoc struct {
	Paths      map[string]map[string]apiDocOp `json:"paths"`
	Components struct {
		Schemas map[string]apiSchema `json:"schemas"`
	} `json:"components"`
}

type apiDocOp struct {
	ID          string `json:"operationId"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
	Tags        []string
	Permission  string `json:"x-roster-permission"`
	Curl        string `json:"x-roster-curl"`
	Parameters  []struct {
		Name, In, Description string
		Required              bool
		Schema                apiSchema
	}
	RequestBody *struct {
		Content map[string]struct {
			Schema  apiSchema
			Example any
		}
	} `json:"requestBody"`
	Responses map[string]struct {
		Ref     string `json:"$ref"`
		Content map[string]struct{ Schema apiSchema }
	}
}

// apiSchema is a schema as the page shows it.
type apiSchema struct {
	Ref         string `json:"$ref"`
	Type        any    `json:"type"` // a name or a list of names
	Description string
	Properties  map[string]*apiSchema
	Required    []string
	Items       *apiSchema
	AnyOf       []*apiSchema `json:"anyOf"`
	Enum        []string
	Examples    []any
	Additional  any `json:"additionalProperties"`
}

// apiRefView is the page's data.
type apiRefView struct {
	Groups []apiGroupView
	Count  int
}

type apiGroupView struct {
	Tag string
	ID  string
	Ops []apiOpView
}

type apiOpView struct {
	ID, Method, Path, Permission, Summary string
	Roles                                 string   // " (roles: owner, admin)"
	Doc                                   []string // paragraphs
	Params                                []apiFieldView
	BodyType, BodyName                    string
	Body                                  []apiFieldView
	BodyExample                           string
	Status                                string
	AnswerType, AnswerName                string
	Answer                                []apiFieldView
	AnswerExample                         string
	Curl                                  string
}

// apiFieldView is one member of a schema, or one parameter.
type apiFieldView struct {
	Name, In, Type, Doc string
	Required            bool
}

// apiReference reads the description into the page's data once.
func (s *Server) apiReference() (*apiRefView, error) {
	s.apiRefOnce.Do(func() { s.apiRef, s.apiRefErr = buildAPIReference(s.openapi) })
	return s.apiRef, s.apiRefErr
}

func buildAPIReference(doc []byte) (*apiRefView, error) {
	var d apiDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	byTag := map[string][]apiOpView{}
	for path, item := range d.Paths {
		for method, op := range item {
			v := apiOpView{ID: op.ID, Method: strings.ToUpper(method), Path: path, Permission: op.Permission,
				Summary: op.Summary, Curl: op.Curl}
			for _, p := range strings.Split(op.Description, "\n\n")[1:] {
				if rest, ok := strings.CutPrefix(p, "Permission: "); ok {
					v.Roles = strings.TrimSuffix(strings.TrimPrefix(rest, op.Permission), ".")
					continue
				}
				v.Doc = append(v.Doc, p)
			}
			for _, p := range op.Parameters {
				v.Params = append(v.Params, apiFieldView{Name: p.Name, In: p.In, Type: d.typeName(&p.Schema), Doc: p.Description, Required: p.Required})
			}
			if rb := op.RequestBody; rb != nil {
				for mt, c := range rb.Content {
					v.BodyType, v.BodyName, v.Body = mt, d.schemaName(&c.Schema), d.members(&c.Schema)
					if c.Example != nil {
						v.BodyExample = indentJSON(c.Example)
					}
				}
			}
			var statuses []string
			for st := range op.Responses {
				if st != "default" {
					statuses = append(statuses, st)
				}
			}
			sort.Strings(statuses)
			v.Status = strings.Join(statuses, ", ")
			if len(statuses) > 0 {
				for mt, c := range op.Responses[statuses[0]].Content {
					v.AnswerType, v.AnswerName, v.Answer = mt, d.schemaName(&c.Schema), d.members(&c.Schema)
					if ex := d.example(&c.Schema); ex != nil {
						v.AnswerExample = indentJSON(ex)
					}
				}
			}
			tag := "Other"
			if len(op.Tags) > 0 && slices.Contains(tagOrder, op.Tags[0]) {
				tag = op.Tags[0]
			}
			byTag[tag] = append(byTag[tag], v)
		}
	}
	out := &apiRefView{}
	for _, tag := range append(slices.Clone(tagOrder), "Other") {
		ops := byTag[tag]
		if len(ops) == 0 {
			continue
		}
		sort.Slice(ops, func(i, j int) bool {
			if ops[i].Path != ops[j].Path {
				return ops[i].Path < ops[j].Path
			}
			return methodRank(ops[i].Method) < methodRank(ops[j].Method)
		})
		out.Groups = append(out.Groups, apiGroupView{Tag: tag, ID: "tag-" + strings.ToLower(strings.ReplaceAll(tag, " ", "-")), Ops: ops})
		out.Count += len(ops)
	}
	return out, nil
}

func methodRank(m string) int {
	return slices.Index([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m)
}

func indentJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// resolve follows a reference to components.schemas.
func (d *apiDoc) resolve(s *apiSchema) *apiSchema {
	if s == nil || s.Ref == "" {
		return s
	}
	if t, ok := d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]; ok {
		return &t
	}
	return s
}

// schemaName is the name of a referred schema, "" for an inline one.
func (d *apiDoc) schemaName(s *apiSchema) string {
	return strings.TrimPrefix(s.Ref, "#/components/schemas/")
}

// typeName is a schema in a few words: "string", "array of Tag",
// "integer or null".
func (d *apiDoc) typeName(s *apiSchema) string {
	if s == nil {
		return "any"
	}
	if s.Ref != "" {
		return d.schemaName(s)
	}
	var names []string
	switch t := s.Type.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, n := range t {
			names = append(names, fmt.Sprint(n))
		}
	}
	for _, a := range s.AnyOf {
		names = append(names, d.typeName(a))
	}
	for i, n := range names {
		switch {
		case n == "array" && s.Items != nil:
			names[i] = "array of " + d.typeName(s.Items)
		case n == "object" && len(s.Properties) == 0:
			if add, ok := s.Additional.(map[string]any); ok && len(add) > 0 {
				names[i] = "object of " + fmt.Sprint(add["type"])
			}
		}
	}
	if len(s.Enum) > 0 {
		return strings.Join(s.Enum, " | ")
	}
	if len(names) == 0 {
		return "any"
	}
	return strings.Join(names, " or ")
}

// members lists the members of an object schema, required ones first.
func (d *apiDoc) members(s *apiSchema) []apiFieldView {
	t := d.resolve(s)
	if t == nil {
		return nil
	}
	var out []apiFieldView
	for name, p := range t.Properties {
		out = append(out, apiFieldView{Name: name, Type: d.typeName(p), Doc: p.Description, Required: slices.Contains(t.Required, name)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Required != out[j].Required {
			return out[i].Required
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// example is the first example of a schema, or of the list it wraps.
func (d *apiDoc) example(s *apiSchema) any {
	t := d.resolve(s)
	if t == nil {
		return nil
	}
	if len(t.Examples) > 0 {
		return t.Examples[0]
	}
	if len(t.Properties) == 1 {
		for name, p := range t.Properties {
			if p.Items != nil {
				if ex := d.example(p.Items); ex != nil {
					return map[string]any{name: []any{ex}}
				}
			}
		}
	}
	return nil
}

// handleAPIReference is the reference page, for any signed-in staff: it
// shows the contract, not data, and each operation says who may call it.
func (s *Server) handleAPIReference(w http.ResponseWriter, r *http.Request) {
	ref, err := s.apiReference()
	if err != nil {
		s.error(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil || s.SecureCookies {
		scheme = "https"
	}
	s.render(w, r, http.StatusOK, "settings_api", "API reference", struct {
		*apiRefView
		Origin string
	}{ref, scheme + "://" + r.Host})
}

// apiRefState is the page's parsed description, read on first use.
type apiRefState struct {
	apiRefOnce sync.Once
	apiRef     *apiRefView
	apiRefErr  error
}
