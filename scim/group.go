package scim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"roster"
)

// groupExternalID is the group property that holds a group's externalId.
const groupExternalID = "scim_external_id"

// GroupResource is g as a SCIM Group with its members' public ids (nil:
// members not asked for) and its meta.version.
func GroupResource(g *roster.Group, members []string, cfg Config) Resource {
	id := strconv.FormatInt(g.ID, 10)
	m := map[string]any{
		"schemas":     []string{SchemaGroup},
		"id":          id,
		"displayName": g.Name,
	}
	if x, ok := g.Properties[groupExternalID].(string); ok && x != "" {
		m["externalId"] = x
	}
	if members != nil {
		sort.Strings(members)
		list := make([]any, len(members))
		for i, u := range members {
			list[i] = map[string]any{"value": u, "type": "User", "$ref": cfg.BaseURL + "/Users/" + u}
		}
		m["members"] = list
	}
	res := normalize(m)
	res["meta"] = map[string]any{
		"resourceType": "Group",
		"created":      stamp(g.CreatedAt),
		"location":     cfg.BaseURL + "/Groups/" + id,
		"version":      Version(res),
	}
	return res
}

// GroupWrite is what a SCIM Group body asks of a Roster group.
type GroupWrite struct {
	Name       *string
	ExternalID *string
	// Members are the public ids of the members when the body has
	// members (possibly none), nil when it does not mention them.
	Members []string
}

// readOnlyGroup are the Group attributes a client cannot write.
var readOnlyGroup = []string{"id", "meta", "schemas"}

// ReadOnlyGroup returns readOnlyGroup, for Apply.
func ReadOnlyGroup() []string { return readOnlyGroup }

// DecodeGroup reads a SCIM Group (POST, PUT, or a resource after PATCH).
func DecodeGroup(res Resource) (*GroupWrite, error) {
	w := &GroupWrite{}
	for k, v := range res {
		switch strings.ToLower(k) {
		case "id", "meta", "schemas":
		case "displayname":
			s, ok := v.(string)
			if !ok {
				return nil, Errorf(http.StatusBadRequest, InvalidValue, "displayName must be a string")
			}
			w.Name = &s
		case "externalid":
			s, ok := v.(string)
			if v != nil && !ok {
				return nil, Errorf(http.StatusBadRequest, InvalidValue, "externalId must be a string")
			}
			w.ExternalID = &s
		case "members":
			w.Members = []string{}
			seen := map[string]bool{}
			for i, it := range asList(v) {
				obj, ok := it.(map[string]any)
				if !ok {
					return nil, Errorf(http.StatusBadRequest, InvalidValue, "members[%d] must be an object with a value", i)
				}
				if t, _, _ := lookup(obj, "type"); t != nil && !strings.EqualFold(asString(t), "User") {
					return nil, Errorf(http.StatusBadRequest, InvalidValue, "members[%d]: Roster groups hold users, not %v", i, t)
				}
				val, _, _ := lookup(obj, "value")
				s, ok := val.(string)
				if !ok || s == "" {
					return nil, Errorf(http.StatusBadRequest, InvalidValue, "members[%d] needs a string value (a user id)", i)
				}
				if !seen[s] {
					seen[s] = true
					w.Members = append(w.Members, s)
				}
			}
		default:
			return nil, Errorf(http.StatusBadRequest, InvalidValue, "%s is not an attribute of a Group", k)
		}
	}
	return w, nil
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// ExternalIDProperty returns the properties of a group with its
// externalId set to x ("" removes it).
func ExternalIDProperty(props map[string]any, x string) map[string]any {
	out := make(map[string]any, len(props)+1)
	for k, v := range props {
		out[k] = v
	}
	if x == "" {
		delete(out, groupExternalID)
	} else {
		out[groupExternalID] = x
	}
	return out
}
