package csvio

import (
	"io"
	"strings"

	"roster"
)

// The import template: a CSV file whose header names every column an import
// reads, and one example row that imports as it is.

// TemplateColumns returns the fields an import reads, in table order: the
// importable built-in fields (tags, groups and password included) and the
// active custom fields.
func TemplateColumns(reg *roster.Registry) []roster.Field {
	var out []roster.Field
	for _, f := range reg.Fields {
		if f.Importable && !f.Retired {
			out = append(out, f)
		}
	}
	return out
}

// WriteTemplate writes the import template for reg: the header of field
// keys and one example row, escaped as an export is. The example names a
// group only when reg's catalog has one: groups must exist to be imported.
func WriteTemplate(w io.Writer, reg *roster.Registry) error {
	cols := TemplateColumns(reg)
	header := make([]string, len(cols))
	example := make([]string, len(cols))
	for i, f := range cols {
		header[i] = f.Key
		example[i] = Example(f, reg.Catalog)
	}
	cw := NewWriter(w, WriteOptions{})
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.Write(example); err != nil {
		return err
	}
	return cw.Flush()
}

// PasswordHashColumn is the import-only column of password hashes from
// another product. It is not in the template's header, where a plain
// password column already is.
var PasswordHashColumn = TemplateColumn{
	Key:    "password_hash",
	Label:  "Password hash",
	Type:   "Password hash",
	Format: "a bcrypt, argon2id, scrypt or PBKDF2 hash; verified at sign-in then rehashed",
	Import: true,
}

// TemplateColumn documents one column an import reads, for people.
type TemplateColumn struct {
	Key, Label   string
	Type, Format string // ColumnHelp
	Required     string // "yes", "" or the condition under which it is
	Example      string
	// Import marks a column an import reads that the template leaves out.
	Import bool
}

// TemplateHelp lists every column an import reads: the template's columns,
// then the import-only ones.
func TemplateHelp(reg *roster.Registry) []TemplateColumn {
	var out []TemplateColumn
	for _, f := range TemplateColumns(reg) {
		typ, format := ColumnHelp(f)
		c := TemplateColumn{Key: f.Key, Label: f.Label, Type: typ, Format: format, Example: Example(f, reg.Catalog)}
		switch {
		case f.Key == "email":
			c.Required = "unless client_id is given"
		case f.Key == "client_id":
			c.Required = "unless email is given"
		case f.Required:
			c.Required = "yes"
		}
		out = append(out, c)
	}
	return append(out, InviteColumn, PasswordHashColumn)
}

// InviteColumn is the import-only column that invites the users its rows
// create or update. It is not in the template's header: the example row
// invites nobody.
var InviteColumn = TemplateColumn{
	Key:    roster.ImportInviteField.Key,
	Label:  roster.ImportInviteField.Label,
	Type:   "Yes/no",
	Format: "true/false, yes/no, 1/0; true emails the user the row creates or updates an invite to set their own password (status invited); a row that changes nothing invites nobody, and a user without an email, banned, or active with a password cannot be invited",
	Import: true,
}

// ColumnHelp returns the human name of f's type and the text forms a CSV
// cell of f may take.
func ColumnHelp(f roster.Field) (typ, format string) {
	switch f.Type {
	case roster.TypeText:
		return "Text", "one line, at most 255 characters"
	case roster.TypeLongText:
		return "Long text", "at most 5000 characters; line breaks allowed (quote the cell)"
	case roster.TypeNumber:
		return "Number", "a number with a dot for decimals, such as 42 or -3.5"
	case roster.TypeInteger:
		return "Whole number", "digits only, such as 1200"
	case roster.TypeDate:
		return "Date", "YYYY-MM-DD"
	case roster.TypeTimestamp:
		return "Date and time", "RFC 3339, such as 2025-03-01T12:00:00Z or 2025-03-01T13:00:00+01:00 (YYYY-MM-DD is midnight UTC)"
	case roster.TypeBoolean:
		return "Yes/no", "true/false, yes/no, 1/0"
	case roster.TypeChoice:
		return "Choice", "one of: " + strings.Join(f.Choices, ", ")
	case roster.TypeMultiChoice:
		return "Multiple choice", "values separated by |, each one of: " + strings.Join(f.Choices, ", ")
	case roster.TypeSet:
		return "List", "values separated by |"
	case roster.TypeURL:
		return "URL", "an http or https address"
	case roster.TypeEmail:
		return "Email", "an email address"
	case roster.TypePhone:
		return "Phone", "4 to 20 digits; spaces, dots, dashes, parentheses and a leading + allowed"
	case roster.TypeCountry:
		return "Country", "an ISO 3166-1 alpha-2 code, such as FR"
	case roster.TypeStatus:
		return "Status", "one of: " + strings.Join(f.Choices, ", ")
	case roster.TypeAddresses:
		return "Addresses", `JSON: a list of addresses, such as [{"label": "Home", "line1": "12 St James's Square", "line2": "", "city": "London", "region": "", "postal_code": "SW1Y 4JH", "country": "GB"}]; line1 is required`
	case roster.TypeLinks:
		return "Social links", `JSON: a list of links, such as [{"network": "instagram", "url": "https://www.instagram.com/ada"}]`
	case roster.TypeDevices:
		return "Push tokens", `JSON: a list of devices, such as [{"platform": "ios", "token": "..."}] (platform: ios, android or web)`
	case roster.TypeTags:
		return "Tags", "tag names separated by | (missing tags are created)"
	case roster.TypeGroups:
		return "Groups", "group names separated by | (groups must exist)"
	case roster.TypePassword:
		return "Password", "plain text, hashed on import"
	case roster.TypeSmartType:
		return "Smart type", "exported only: it follows from the user's groups"
	case roster.TypeAccess:
		return "Access", "exported only: " + strings.Join(roster.AccessStateNames(), ", ") + ", by the account rules"
	}
	return string(f.Type), ""
}

// Example returns a plausible, valid value of f as a CSV cell holds it
// (before escaping). A group example names the first group of cat, or is
// empty when there is none; a password example is always empty.
func Example(f roster.Field, cat *roster.Catalog) string {
	if b, ok := roster.BuiltinOf(f.Key); ok && f.Builtin && b.Example != "" {
		return b.Example
	}
	switch f.Type {
	case roster.TypeText:
		return "Some text"
	case roster.TypeLongText:
		return "A longer text."
	case roster.TypeNumber:
		return "42.5"
	case roster.TypeInteger:
		return "10"
	case roster.TypeDate:
		return "2025-03-01"
	case roster.TypeTimestamp:
		return "2025-03-01T12:00:00Z"
	case roster.TypeBoolean:
		return "true"
	case roster.TypeChoice, roster.TypeStatus:
		if len(f.Choices) > 0 {
			return f.Choices[0]
		}
	case roster.TypeMultiChoice:
		return strings.Join(f.Choices[:min(2, len(f.Choices))], "|")
	case roster.TypeSet:
		return "a|b"
	case roster.TypeURL:
		return "https://example.com/"
	case roster.TypeEmail:
		return "someone@example.com"
	case roster.TypePhone:
		return "+1 555 0100"
	case roster.TypeCountry:
		return "GB"
	case roster.TypeGroups:
		if cat != nil && len(cat.Groups) > 0 {
			return cat.Groups[0].Name
		}
	}
	return ""
}
