package csvio

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"roster"
)

// Column is one column of an import file matched to the field it fills.
type Column struct {
	Index  int          // position in the record
	Header string       // as written in the file
	Field  roster.Field // the field it fills; zero Key when unmapped
	// Skip marks a column that is read but ignored: a read-only column of
	// an export (updated_at, total_followers, smart_type; id is kept, as
	// import can key on it), or one the caller mapped to "".
	Skip bool
}

// importable reports whether a column may fill f: the importable built-in
// fields, password_hash (pre-hashed passwords from another product), and
// every active custom field.
func importable(f roster.Field) bool {
	return !f.Builtin || f.Importable || f.Key == "password_hash"
}

// skipped reports whether f is a read-only column an export writes that
// import recognises and ignores. id is read-only too, but import keys on it.
func skipped(f roster.Field) bool {
	return f.Builtin && f.ReadOnly && f.Exportable && !f.Importable && f.Key != "id"
}

// MatchHeader maps header cells to fields. A cell matches a field when it
// equals the field's key, or when, compared case-insensitively and ignoring
// spaces, underscores, hyphens and dots, it equals the key or the label
// ("First name", "first_name", "FIRST NAME" and "firstname" all match
// first_name). Keys win over labels and built-in fields over custom ones.
// mapping, which may be nil, overrides the matching: header cell (as
// written) to field key, or "" to ignore the column.
//
// It returns a Column per cell and the non-empty cells that match nothing
// (the UI offers a mapping step for those). The read-only columns of an
// export are recognised: id is kept, the others are Skip. A column with an
// empty header maps to nothing; DecodeRow reports its values.
//
// The error, EINVALID, lists every problem: a name the header repeats, two
// columns that fill the same field, a mapping to a field that cannot be
// imported. cols and unknown are returned with it so the UI can show them.
func MatchHeader(header []string, reg *roster.Registry, mapping map[string]string) (cols []Column, unknown []string, err error) {
	if reg == nil {
		reg = roster.NewRegistry(nil)
	}
	// Registry order puts built-in fields first; keys are all entered
	// before any label, so a label never displaces a key.
	byKey := make(map[string]roster.Field)
	byName := make(map[string]roster.Field)
	for _, f := range reg.Fields {
		if importable(f) || skipped(f) || f.Key == "id" {
			byKey[f.Key] = f
			if n := matchName(f.Key); byName[n].Key == "" {
				byName[n] = f
			}
		}
	}
	// The invite column is no field, but an import reads it.
	if _, ok := reg.Field(roster.ImportInviteField.Key); !ok {
		byKey[roster.ImportInviteField.Key] = roster.ImportInviteField
		byName[matchName(roster.ImportInviteField.Key)] = roster.ImportInviteField
	}
	for _, f := range reg.Fields {
		if _, ok := byKey[f.Key]; ok {
			if n := matchName(f.Label); n != "" && byName[n].Key == "" {
				byName[n] = f
			}
		}
	}

	var problems []string
	cols = make([]Column, len(header))
	for i, h := range header {
		c := Column{Index: i, Header: h}
		key, mapped := mapping[h]
		switch {
		case mapped && key == "":
			c.Skip = true
		case mapped:
			f, ok := byKey[key]
			if !ok {
				problems = append(problems, fmt.Sprintf("column %d (%s) is mapped to %q, which is not a field that can be imported", i+1, h, key))
				break
			}
			c.Field = f
		case strings.TrimSpace(h) == "":
			// No name: nothing to match. DecodeRow reports any value in it.
		default:
			f, ok := byKey[strings.TrimSpace(h)]
			if !ok {
				f, ok = byName[matchName(h)]
			}
			if !ok {
				unknown = append(unknown, h)
				break
			}
			c.Field = f
		}
		if skipped(c.Field) {
			c.Skip = true
		}
		cols[i] = c
	}

	byHeader := make(map[string]int)
	byField := make(map[string]int)
	for i, c := range cols {
		name := strings.TrimSpace(c.Header)
		if name == "" {
			continue
		}
		if j, ok := byHeader[name]; ok {
			problems = append(problems, fmt.Sprintf("the header repeats %q (columns %d and %d)", name, j+1, i+1))
			continue
		}
		byHeader[name] = i
		if c.Skip || c.Field.Key == "" {
			continue
		}
		if j, ok := byField[c.Field.Key]; ok {
			problems = append(problems, fmt.Sprintf("columns %d and %d (%s, %s) both fill %s", j+1, i+1, cols[j].Header, c.Header, c.Field.Key))
			continue
		}
		byField[c.Field.Key] = i
	}
	if len(problems) > 0 {
		return cols, unknown, invalidf("%s", strings.Join(problems, "; "))
	}
	return cols, unknown, nil
}

// matchName is the form header cells and field names are compared in:
// lower case, without spaces, underscores, hyphens and dots.
func matchName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == '_' || r == '-' || r == '.' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Plan is what reading a file's header decided: its columns and, for the
// messages, the header cell of each field.
type Plan struct {
	Columns []Column
	Unknown []string
	Headers roster.ImportHeaders
}

// PlanColumns matches the file's header against the registry with the
// job's mapping and checks that the key column is there. Unknown columns
// are returned, not refused: the caller decides (a mapping step, or an
// error naming them).
func PlanColumns(r *Reader, reg *roster.Registry, opts roster.ImportOptions) (*Plan, error) {
	cols, unknown, err := MatchHeader(r.Header(), reg, opts.Mapping)
	if err != nil {
		return nil, err
	}
	// The reason column of a failed-rows file is not data: fixing those
	// rows and importing the file again must just work.
	unknown = slices.DeleteFunc(unknown, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), "reason") })
	p := &Plan{Columns: cols, Unknown: unknown, Headers: roster.ImportHeaders{}}
	for _, c := range cols {
		if c.Field.Key != "" && !c.Skip {
			p.Headers[c.Field.Key] = c.Header
		}
	}
	if _, ok := p.Headers[opts.Key]; !ok {
		return nil, roster.Errorf(roster.EINVALID, "the file has no %s column, which this import matches users on: choose another key, or map a column to %s", opts.Key, opts.Key)
	}
	return p, nil
}
