package csvio

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"roster"
)

// RowError is a problem with one row of an import file. The rest of the
// file can still be read.
type RowError struct {
	Row     int    // as a spreadsheet numbers it: the header is row 1
	Column  string // the header name; "" when the problem is the whole row's
	Message string
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Message)
	}
	return fmt.Sprintf("row %d, column %s: %s", e.Row, e.Column, e.Message)
}

// maxMessage bounds a cell quoted in an error message.
const maxMessage = 200

// DecodeRow turns a record into typed values keyed by field key. Each cell
// is unescaped (UnescapeCell, so that an export imports back unchanged) and
// parsed with Field.ParseText; tags and groups give their names as
// []string; password is taken as written, spaces included, since a password
// is never exported and so never escaped. An empty cell gives the field's
// empty value: the importer decides whether it clears the field.
//
// Skipped and unmapped columns are ignored, except that a value in a column
// without a header name is reported. errs has a RowError per bad cell, with
// the column's header name and a message that says what was expected.
// values holds the good cells even when errs is not empty.
func DecodeRow(cols []Column, rec []string, row int) (values map[string]any, errs []*RowError) {
	values = make(map[string]any, len(cols))
	for _, c := range cols {
		if c.Skip {
			continue
		}
		if c.Index < 0 || c.Index >= len(rec) {
			if c.Field.Key != "" {
				errs = append(errs, &RowError{Row: row, Column: c.Header, Message: "the row has no cell in this column"})
			}
			continue
		}
		cell := rec[c.Index]
		if c.Field.Key == "" {
			if strings.TrimSpace(c.Header) == "" && strings.TrimSpace(cell) != "" {
				errs = append(errs, &RowError{Row: row, Message: fmt.Sprintf("column %d has a value but no name in the header row", c.Index+1)})
			}
			continue
		}
		v, err := decodeCell(c.Field, cell)
		if err != nil {
			errs = append(errs, &RowError{Row: row, Column: c.Header, Message: shorten(err.Error())})
			continue
		}
		values[c.Field.Key] = v
	}
	return values, errs
}

// decodeCell turns one cell into the value of f.
func decodeCell(f roster.Field, cell string) (any, error) {
	if f.Builtin {
		switch f.Type {
		case roster.TypePassword:
			if strings.TrimSpace(cell) == "" {
				return "", nil
			}
			return cell, nil
		case roster.TypeTags, roster.TypeGroups:
			return roster.NormalizeSet(strings.Split(UnescapeCell(cell), "|")), nil
		}
	}
	return f.ParseText(UnescapeCell(cell))
}

// shorten cuts the middle out of a message that quotes a long cell,
// keeping its start and the explanation at its end.
func shorten(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	head, tail := maxMessage/2, len(msg)-maxMessage/2
	for head > 0 && !utf8.RuneStart(msg[head]) {
		head--
	}
	for tail < len(msg) && !utf8.RuneStart(msg[tail]) {
		tail++
	}
	return msg[:head] + "…" + msg[tail:]
}
