package scim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// PatchOp is one operation of a PATCH request (RFC 7644 §3.5.2).
type PatchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// PatchRequest is the body of a PATCH request.
type PatchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []PatchOp `json:"Operations"`
}

// MaxOperations bounds the operations of one PATCH.
const MaxOperations = 1000

// DecodePatch reads a PATCH body. Op names are taken in any case
// ("Replace", as Entra ID sends them).
func DecodePatch(body []byte) (*PatchRequest, error) {
	var req PatchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, Errorf(http.StatusBadRequest, InvalidSyntax, "the body is not a PATCH request: %s", jsonProblem(err))
	}
	if !hasSchema(req.Schemas, SchemaPatch) {
		return nil, Errorf(http.StatusBadRequest, InvalidSyntax, "schemas must hold %s", SchemaPatch)
	}
	if len(req.Operations) == 0 {
		return nil, Errorf(http.StatusBadRequest, InvalidSyntax, "Operations must hold at least one operation")
	}
	if len(req.Operations) > MaxOperations {
		return nil, Errorf(http.StatusRequestEntityTooLarge, TooMany, "at most %d operations", MaxOperations)
	}
	for i := range req.Operations {
		op := &req.Operations[i]
		op.Op = strings.ToLower(strings.TrimSpace(op.Op))
		if op.Op != "add" && op.Op != "replace" && op.Op != "remove" {
			return nil, Errorf(http.StatusBadRequest, InvalidSyntax, "Operations[%d].op: %q is not add, replace or remove", i, op.Op)
		}
	}
	return &req, nil
}

func hasSchema(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Apply applies the operations of req to res in order, in place. What the
// resulting resource means is for the caller to map (and validate); Apply
// knows only the JSON shape. readOnly names attributes no operation may
// touch (mutability).
func (req *PatchRequest) Apply(res Resource, readOnly ...string) error {
	for i, op := range req.Operations {
		if err := applyOp(res, op, readOnly); err != nil {
			if e, ok := err.(*Error); ok {
				e.Detail = "Operations[" + itoa(i) + "]: " + e.Detail
			}
			return err
		}
	}
	return nil
}

func applyOp(res Resource, op PatchOp, readOnly []string) error {
	var value any
	if len(op.Value) > 0 {
		if err := json.Unmarshal(op.Value, &value); err != nil {
			return Errorf(http.StatusBadRequest, InvalidSyntax, "value is not JSON")
		}
	}
	if strings.TrimSpace(op.Path) == "" {
		if op.Op == "remove" {
			return Errorf(http.StatusBadRequest, NoTarget, "remove needs a path")
		}
		obj, ok := value.(map[string]any)
		if !ok {
			return Errorf(http.StatusBadRequest, InvalidValue, "%s without a path needs an object value", op.Op)
		}
		for k, v := range obj {
			if ext, isExt := v.(map[string]any); isExt && isExtURI(k) {
				// An extension's object: its members one by one.
				for sk, sv := range ext {
					if err := set(res, Path{URI: k, Attr: sk}, nil, op.Op, sv, readOnly); err != nil {
						return err
					}
				}
				continue
			}
			p, ok := splitPath(k)
			if !ok {
				return Errorf(http.StatusBadRequest, InvalidPath, "%q is not an attribute path", k)
			}
			if err := set(res, p, nil, op.Op, v, readOnly); err != nil {
				return err
			}
		}
		return nil
	}
	p, f, err := ParsePath(op.Path)
	if err != nil {
		return err
	}
	if op.Op == "remove" {
		return remove(res, p, f, value, readOnly)
	}
	if len(op.Value) == 0 {
		return Errorf(http.StatusBadRequest, InvalidValue, "%s needs a value", op.Op)
	}
	return set(res, p, f, op.Op, value, readOnly)
}

func isExtURI(k string) bool {
	return strings.EqualFold(k, SchemaEnterprise) || strings.EqualFold(k, SchemaRoster)
}

func checkWritable(p Path, readOnly []string) error {
	for _, a := range readOnly {
		if strings.EqualFold(p.Attr, a) && (p.URI == "" || isCoreSchema(p.URI)) {
			return Errorf(http.StatusBadRequest, Mutability, "%s is read-only", p.Attr)
		}
	}
	return nil
}

// holder returns the object holding p's attribute, creating an extension
// object when asked to.
func holder(res Resource, p Path, create bool) map[string]any {
	m, ok := container(res, p)
	if ok {
		return m
	}
	if !create {
		return nil
	}
	m = map[string]any{}
	res[p.URI] = m
	return m
}

// set is add or replace of value at p (filtered by f).
func set(res Resource, p Path, f Expr, op string, value any, readOnly []string) error {
	if err := checkWritable(p, readOnly); err != nil {
		return err
	}
	m := holder(res, p, true)
	cur, key, found := lookup(m, p.Attr)
	if !found {
		key = p.Attr
	}
	if f != nil {
		items, _ := cur.([]any)
		matched := false
		for i, it := range items {
			obj, ok := it.(map[string]any)
			if !ok || !Match(f, obj) {
				continue
			}
			matched = true
			if p.Sub != "" {
				setMember(obj, p.Sub, value)
			} else if nv, ok := value.(map[string]any); ok {
				for k, v := range nv {
					setMember(obj, k, v)
				}
			} else {
				items[i] = value
			}
		}
		if !matched {
			if op == "replace" && p.Sub == "" {
				return Errorf(http.StatusBadRequest, NoTarget, "no value of %s matches the filter", p.Attr)
			}
			// Entra ID adds emails[type eq "work"].value to a user
			// without one: make the value the filter describes.
			obj := equalities(f)
			if p.Sub != "" {
				setMember(obj, p.Sub, value)
			} else if nv, ok := value.(map[string]any); ok {
				for k, v := range nv {
					setMember(obj, k, v)
				}
			}
			items = append(items, obj)
		}
		m[key] = items
		return nil
	}
	if p.Sub != "" {
		switch c := cur.(type) {
		case []any:
			for _, it := range c {
				if obj, ok := it.(map[string]any); ok {
					setMember(obj, p.Sub, value)
				}
			}
		case map[string]any:
			setMember(c, p.Sub, value)
		default:
			m[key] = map[string]any{p.Sub: value}
		}
		return nil
	}
	if list, isList := cur.([]any); isList && op == "add" {
		for _, nv := range asList(value) {
			if !containsValue(list, nv) {
				list = append(list, nv)
			}
		}
		m[key] = list
		return nil
	}
	if obj, isObj := cur.(map[string]any); isObj && op == "add" {
		if nv, ok := value.(map[string]any); ok {
			for k, v := range nv {
				setMember(obj, k, v)
			}
			return nil
		}
	}
	m[key] = value
	return nil
}

// setMember sets obj's member k (in any case), keeping its spelling.
func setMember(obj map[string]any, k string, v any) {
	if _, key, ok := lookup(obj, k); ok {
		obj[key] = v
		return
	}
	obj[k] = v
}

// containsValue reports whether list holds v, or an object with v's
// "value" member.
func containsValue(list []any, v any) bool {
	nv, _ := v.(map[string]any)
	for _, it := range list {
		if obj, ok := it.(map[string]any); ok && nv != nil {
			a, _, _ := lookup(obj, "value")
			b, _, _ := lookup(nv, "value")
			if a != nil && a == b {
				return true
			}
		}
	}
	return false
}

// equalities returns the attribute = value pairs an and-only filter asks
// for: the value a filtered add creates.
func equalities(f Expr) map[string]any {
	out := map[string]any{}
	var walk func(Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case *Logical:
			if x.Op == "and" {
				walk(x.L)
				walk(x.R)
			}
		case *Compare:
			if x.Op == "eq" && x.Path.Sub == "" {
				out[x.Path.Attr] = x.Value
			}
		}
	}
	walk(f)
	return out
}

// remove deletes the attribute at p, the values f selects, or, for a
// multi-valued attribute given a value (Entra ID removing members), the
// values whose "value" member matches.
func remove(res Resource, p Path, f Expr, value any, readOnly []string) error {
	if err := checkWritable(p, readOnly); err != nil {
		return err
	}
	m := holder(res, p, false)
	if m == nil {
		return nil
	}
	cur, key, found := lookup(m, p.Attr)
	if !found {
		return nil
	}
	items, isList := cur.([]any)
	switch {
	case f != nil:
		if !isList {
			return Errorf(http.StatusBadRequest, InvalidPath, "%s is not multi-valued", p.Attr)
		}
		var kept []any
		for _, it := range items {
			obj, ok := it.(map[string]any)
			if !ok || !Match(f, obj) {
				kept = append(kept, it)
				continue
			}
			if p.Sub != "" {
				if _, sk, ok := lookup(obj, p.Sub); ok {
					delete(obj, sk)
				}
				kept = append(kept, obj)
			}
		}
		m[key] = kept
	case p.Sub != "":
		for _, it := range asList(cur) {
			if obj, ok := it.(map[string]any); ok {
				if _, sk, ok := lookup(obj, p.Sub); ok {
					delete(obj, sk)
				}
			}
		}
	case isList && value != nil:
		var kept []any
		for _, it := range items {
			drop := false
			for _, v := range asList(value) {
				if containsValue([]any{it}, v) {
					drop = true
				}
			}
			if !drop {
				kept = append(kept, it)
			}
		}
		m[key] = kept
	default:
		delete(m, key)
	}
	return nil
}
