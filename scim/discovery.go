package scim

import "roster"

// MaxResults is the most resources one list response holds.
const MaxResults = 500

// ServiceProviderConfig is the /ServiceProviderConfig document.
func ServiceProviderConfig(cfg Config) map[string]any {
	no := map[string]any{"supported": false}
	return map[string]any{
		"schemas":          []string{SchemaSPConfig},
		"documentationUri": "https://github.com/roster/roster#scim-20",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword":   map[string]any{"supported": true},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"xmlDataFormat":    no,
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "API token",
			"description": "A Roster API token (Settings → API tokens) of a staff account whose role has the scim.provision permission, as Authorization: Bearer <token>.",
			"primary":     true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": cfg.BaseURL + "/ServiceProviderConfig"},
	}
}

// ResourceTypes are the /ResourceTypes documents.
func ResourceTypes(cfg Config) []map[string]any {
	return []map[string]any{
		{
			"schemas": []string{SchemaResType}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "Roster users", "schema": SchemaUser,
			"schemaExtensions": []any{
				map[string]any{"schema": SchemaEnterprise, "required": false},
				map[string]any{"schema": SchemaRoster, "required": false},
			},
			"meta": map[string]any{"resourceType": "ResourceType", "location": cfg.BaseURL + "/ResourceTypes/User"},
		},
		{
			"schemas": []string{SchemaResType}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "Roster groups", "schema": SchemaGroup,
			"meta": map[string]any{"resourceType": "ResourceType", "location": cfg.BaseURL + "/ResourceTypes/Group"},
		},
	}
}

// attr describes one attribute of a schema.
func attr(name, typ string, multi, required bool, mutability, uniqueness, desc string, subs ...map[string]any) map[string]any {
	a := map[string]any{
		"name": name, "type": typ, "multiValued": multi, "required": required, "caseExact": name == "id" || name == "externalId",
		"mutability": mutability, "returned": "default", "uniqueness": uniqueness, "description": desc,
	}
	if typ == "string" && mutability == "writeOnly" {
		a["returned"] = "never"
	}
	if len(subs) > 0 {
		a["subAttributes"] = subs
	}
	return a
}

func str(name, desc string) map[string]any {
	return attr(name, "string", false, false, "readWrite", "none", desc)
}

// Schemas are the /Schemas documents: the core User and Group as Roster
// keeps them, the enterprise extension's attributes Roster maps, and the
// Roster extension with this Roster's custom fields.
func Schemas(reg *roster.Registry, cfg Config) []map[string]any {
	un := "the user's email"
	if cfg.UserNameField() == "client_id" {
		un = "the user's client id"
	}
	multi := func(name, desc string, subs ...map[string]any) map[string]any {
		return attr(name, "complex", true, false, "readWrite", "none", desc, subs...)
	}
	user := []any{
		attr("id", "string", false, false, "readOnly", "server", "Roster's public user id"),
		attr("userName", "string", false, true, "readWrite", "server", un),
		attr("externalId", "string", false, false, "readWrite", "server", "the user's client id"),
		attr("name", "complex", false, false, "readWrite", "none", "first and last name",
			str("givenName", "first name"), str("familyName", "last name"), attr("formatted", "string", false, false, "readOnly", "none", "first and last name")),
		attr("displayName", "string", false, false, "readWrite", "none", "the full name; split into the names when no name is given"),
		attr("active", "boolean", false, false, "readWrite", "none", "false when the user is banned"),
		attr("password", "string", false, false, "writeOnly", "none", "a new password"),
		multi("emails", "the one email (type work)", str("value", "the address"), str("type", "work"), attr("primary", "boolean", false, false, "readWrite", "none", "true")),
		multi("phoneNumbers", "mobile and home numbers", str("value", "the number"), str("type", "mobile or home")),
		multi("addresses", "postal addresses", str("type", "the label"), str("streetAddress", "lines 1 and 2"), str("locality", "city"),
			str("region", "region"), str("postalCode", "postal code"), str("country", "ISO 3166-1 alpha-2")),
		attr("groups", "complex", true, false, "readOnly", "none", "not returned: change memberships through Groups"),
	}
	var custom, ent []any
	for _, f := range reg.Custom() {
		custom = append(custom, attr(f.Key, schemaType(f), false, f.Required, "readWrite", "none", f.Label))
	}
	for a, key := range enterpriseFields {
		if f, ok := reg.Field(key); ok && !f.Builtin {
			ent = append(ent, attr(a, "string", false, false, "readWrite", "none", "kept in the custom field "+key))
		}
	}
	schema := func(id, name, desc string, attrs []any) map[string]any {
		if attrs == nil {
			attrs = []any{}
		}
		return map[string]any{"schemas": []string{SchemaSchema}, "id": id, "name": name, "description": desc, "attributes": attrs,
			"meta": map[string]any{"resourceType": "Schema", "location": cfg.BaseURL + "/Schemas/" + id}}
	}
	return []map[string]any{
		schema(SchemaUser, "User", "Roster user", user),
		schema(SchemaGroup, "Group", "Roster group", []any{
			attr("id", "string", false, false, "readOnly", "server", "the group id"),
			attr("displayName", "string", false, true, "readWrite", "server", "the group name"),
			attr("externalId", "string", false, false, "readWrite", "none", "the identity provider's id"),
			attr("members", "complex", true, false, "readWrite", "none", "the users in the group", str("value", "a user id"), str("type", "User"), attr("$ref", "reference", false, false, "readOnly", "none", "the user's URL")),
		}),
		schema(SchemaEnterprise, "EnterpriseUser", "the enterprise attributes this Roster keeps (custom fields employee_number, cost_center, organization, division, department, manager)", ent),
		schema(SchemaRoster, "RosterUser", "Roster's custom fields, by key", custom),
	}
}

func schemaType(f roster.Field) string {
	switch f.Type {
	case roster.TypeInteger:
		return "integer"
	case roster.TypeNumber:
		return "decimal"
	case roster.TypeBoolean:
		return "boolean"
	case roster.TypeTimestamp:
		return "dateTime"
	}
	return "string"
}
