package scim

import (
	"net/http"
	"strings"
)

// Selection is the attributes and excludedAttributes of a request.
type Selection struct {
	Attributes []Path
	Excluded   []Path
}

// ParseSelection reads the comma-separated attribute lists of a request.
func ParseSelection(attributes, excluded string) (Selection, error) {
	var sel Selection
	for _, l := range []struct {
		text string
		dst  *[]Path
		name string
	}{{attributes, &sel.Attributes, "attributes"}, {excluded, &sel.Excluded, "excludedAttributes"}} {
		for _, s := range strings.Split(l.text, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			p, ok := splitPath(s)
			if isExtURI(s) {
				p, ok = Path{Attr: s}, true // a whole extension
			}
			if !ok {
				return sel, Errorf(http.StatusBadRequest, InvalidValue, "%s: %q is not an attribute path", l.name, s)
			}
			*l.dst = append(*l.dst, p)
		}
	}
	return sel, nil
}

// Excludes reports whether the selection leaves out attribute attr (of
// the core schema) entirely.
func (sel Selection) Excludes(attr string) bool {
	for _, p := range sel.Excluded {
		if strings.EqualFold(p.Attr, attr) && p.Sub == "" && (p.URI == "" || isCoreSchema(p.URI)) {
			return true
		}
	}
	if len(sel.Attributes) == 0 {
		return false
	}
	for _, p := range sel.Attributes {
		if strings.EqualFold(p.Attr, attr) && (p.URI == "" || isCoreSchema(p.URI)) {
			return false
		}
	}
	return true
}

// alwaysReturned are returned whatever the selection (RFC 7643 §7).
var alwaysReturned = []string{"id", "schemas", "meta"}

// Apply returns res cut to the selection.
func (sel Selection) Apply(res Resource) Resource {
	if len(sel.Attributes) == 0 && len(sel.Excluded) == 0 {
		return res
	}
	var out Resource
	if len(sel.Attributes) > 0 {
		out = Resource{}
		for _, k := range alwaysReturned {
			if v, ok := res[k]; ok {
				out[k] = v
			}
		}
		for _, p := range sel.Attributes {
			m, ok := container(res, p)
			if !ok {
				continue
			}
			v, key, found := lookup(m, p.Attr)
			if !found {
				continue
			}
			dst := out
			if p.URI != "" && !isCoreSchema(p.URI) {
				_, uk, _ := lookup(res, p.URI)
				d, _ := out[uk].(map[string]any)
				if d == nil {
					d = map[string]any{}
					out[uk] = d
				}
				dst = d
			}
			if p.Sub == "" {
				dst[key] = v
				continue
			}
			dst[key] = mergeSub(dst[key], v, p.Sub)
		}
	} else {
		out = copyMap(res)
	}
	for _, p := range sel.Excluded {
		if p.Sub == "" && (p.URI == "" || isCoreSchema(p.URI)) && isAlways(p.Attr) {
			continue
		}
		m, ok := container(out, p)
		if !ok {
			continue
		}
		_, key, found := lookup(m, p.Attr)
		if !found {
			continue
		}
		if p.Sub == "" {
			delete(m, key)
			continue
		}
		m[key] = dropSub(m[key], p.Sub)
	}
	return out
}

func isAlways(a string) bool {
	for _, x := range alwaysReturned {
		if strings.EqualFold(x, a) {
			return true
		}
	}
	return false
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = copyMap(sub)
		}
		out[k] = v
	}
	return out
}

// mergeSub adds the sub-attribute sub of v (an object or a list of them)
// to what dst already holds of it.
func mergeSub(dst, v any, sub string) any {
	switch x := v.(type) {
	case map[string]any:
		d, _ := dst.(map[string]any)
		if d == nil {
			d = map[string]any{}
		}
		if sv, key, ok := lookup(x, sub); ok {
			d[key] = sv
		}
		return d
	case []any:
		d, _ := dst.([]any)
		out := make([]any, len(x))
		for i, it := range x {
			var prev any
			if i < len(d) {
				prev = d[i]
			}
			out[i] = mergeSub(prev, it, sub)
		}
		return out
	}
	return dst
}

// dropSub removes the sub-attribute sub from v (an object or a list).
func dropSub(v any, sub string) any {
	switch x := v.(type) {
	case map[string]any:
		c := copyMap(x)
		if _, key, ok := lookup(c, sub); ok {
			delete(c, key)
		}
		return c
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = dropSub(it, sub)
		}
		return out
	}
	return v
}
