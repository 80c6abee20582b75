package scim

import (
	"strings"
)

// Resource is a resource in its JSON form, as encoding/json decodes an
// object: map[string]any with float64 numbers.
type Resource = map[string]any

// lookup returns the member of m named key, whatever its case, and the
// key as m spells it.
func lookup(m map[string]any, key string) (any, string, bool) {
	if v, ok := m[key]; ok {
		return v, key, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, k, true
		}
	}
	return nil, "", false
}

// container returns the object that holds p's attribute in res: res
// itself, or the extension object p's URI names.
func container(res Resource, p Path) (map[string]any, bool) {
	if p.URI == "" || isCoreSchema(p.URI) {
		return res, true
	}
	v, _, ok := lookup(res, p.URI)
	m, isMap := v.(map[string]any)
	return m, ok && isMap
}

func isCoreSchema(uri string) bool {
	return strings.EqualFold(uri, SchemaUser) || strings.EqualFold(uri, SchemaGroup)
}

// caseExact lists the attributes whose strings compare case-sensitively
// (RFC 7643 §2.2: id, externalId and meta.version are caseExact).
func caseExact(p Path) bool {
	a := strings.ToLower(p.Attr)
	return (a == "id" || a == "externalid") && p.Sub == "" || (a == "meta" && strings.EqualFold(p.Sub, "version"))
}

// Match reports whether res matches e (RFC 7644 §3.4.2.2): a comparison of
// a multi-valued attribute matches when any of its values does.
func Match(e Expr, res Resource) bool {
	switch x := e.(type) {
	case *Logical:
		if x.Op == "and" {
			return Match(x.L, res) && Match(x.R, res)
		}
		return Match(x.L, res) || Match(x.R, res)
	case *Not:
		return !Match(x.X, res)
	case *ValuePath:
		m, ok := container(res, x.Path)
		if !ok {
			return false
		}
		v, _, _ := lookup(m, x.Path.Attr)
		for _, item := range asList(v) {
			if obj, ok := item.(map[string]any); ok && Match(x.Filter, obj) {
				return true
			}
		}
		return false
	case *Compare:
		m, ok := container(res, x.Path)
		if !ok {
			return x.Op == "ne" && x.Value != nil
		}
		v, _, _ := lookup(m, x.Path.Attr)
		var vals []any
		for _, item := range asList(v) {
			if x.Path.Sub == "" {
				vals = append(vals, item)
				continue
			}
			if obj, ok := item.(map[string]any); ok {
				sv, _, _ := lookup(obj, x.Path.Sub)
				vals = append(vals, asList(sv)...)
			}
		}
		if x.Op == "pr" {
			for _, v := range vals {
				if present(v) {
					return true
				}
			}
			return false
		}
		if x.Op == "ne" {
			for _, v := range vals {
				if compare(v, "eq", x.Value, caseExact(x.Path)) {
					return false
				}
			}
			return true
		}
		for _, v := range vals {
			if compare(v, x.Op, x.Value, caseExact(x.Path)) {
				return true
			}
		}
		return x.Value == nil && x.Op == "eq" && len(vals) == 0
	}
	return false
}

// asList returns a multi-valued attribute's values, a single value as a
// list of one, and nothing for an absent one.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// compare applies op to an attribute's value a and the filter's value b.
func compare(a any, op string, b any, exact bool) bool {
	switch bv := b.(type) {
	case nil:
		return a == nil && op == "eq"
	case bool:
		av, ok := a.(bool)
		return ok && op == "eq" && av == bv
	case float64:
		av, ok := a.(float64)
		if !ok {
			return false
		}
		switch op {
		case "eq":
			return av == bv
		case "gt":
			return av > bv
		case "ge":
			return av >= bv
		case "lt":
			return av < bv
		case "le":
			return av <= bv
		}
		return false
	case string:
		av, ok := a.(string)
		if !ok {
			return false
		}
		if !exact {
			av, bv = strings.ToLower(av), strings.ToLower(bv)
		}
		switch op {
		case "eq":
			return av == bv
		case "co":
			return strings.Contains(av, bv)
		case "sw":
			return strings.HasPrefix(av, bv)
		case "ew":
			return strings.HasSuffix(av, bv)
		case "gt":
			return av > bv
		case "ge":
			return av >= bv
		case "lt":
			return av < bv
		case "le":
			return av <= bv
		}
	}
	return false
}
