package csvio

import (
	"fmt"
	"strings"
	"time"
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
// []string, id and password_hash a string. password is taken as written,
// spaces included, since a password is never exported and so never escaped
// (a blank cell gives ""). An empty cell gives the field's empty value: the
// importer decides whether it clears the field.
//
// Skipped and unmapped columns are ignored, except that a value in a column
// without a header name is reported. errs has a RowError per bad cell, with
// the column's header name and a message that says what was expected.
// values holds the good cells even when errs is not empty.
//
// DecodeRow only reads cols and rec: calls may run on other goroutines
// while the Reader reads on.
func DecodeRow(cols []Column, rec []string, row int) (values map[string]any, errs []*RowError) {
	values = make(map[string]any, len(cols))
	for i := range cols {
		c := &cols[i] // a Column is large: do not copy it per cell
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
		v, err := decodeCell(&c.Field, cell)
		if err != nil {
			errs = append(errs, &RowError{Row: row, Column: c.Header, Message: shorten(err.Error())})
			continue
		}
		values[c.Field.Key] = v
	}
	return values, errs
}

// decodeCell turns one cell into the value of f.
func decodeCell(f *roster.Field, cell string) (any, error) {
	if cell == "" {
		if v, ok := emptyValue(f); ok {
			return v, nil
		}
	}
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

// Empty values, boxed once: a third of an export's cells are empty, and
// boxing a fresh zero time.Time or slice for each costs an allocation.
// Sharing them is safe: a value in an interface cannot be changed in place.
var (
	emptyString    any = ""
	emptyInteger   any = int64(0)
	emptyNumber    any = float64(0)
	emptyBoolean   any = false
	emptyDate      any = roster.Date{}
	emptyTimestamp any = time.Time{}
	emptySet       any = []string(nil)
	emptyAddresses any = []roster.Address(nil)
	emptyLinks     any = []roster.SocialLink(nil)
	emptyDevices   any = []roster.PushToken(nil)
)

// emptyValue returns what an empty cell gives for f, as ParseText("")
// does (TestEmptyValue holds them equal), and tags and groups none. It
// reports false for a type it does not know.
func emptyValue(f *roster.Field) (any, bool) {
	if !f.Builtin {
		return nil, true // a custom field is then not set
	}
	switch f.Type {
	case roster.TypeText, roster.TypeLongText, roster.TypeChoice, roster.TypeURL, roster.TypeEmail,
		roster.TypePhone, roster.TypeCountry, roster.TypeStatus, roster.TypePassword:
		return emptyString, true
	case roster.TypeInteger:
		return emptyInteger, true
	case roster.TypeNumber:
		return emptyNumber, true
	case roster.TypeBoolean:
		return emptyBoolean, true
	case roster.TypeDate:
		return emptyDate, true
	case roster.TypeTimestamp:
		return emptyTimestamp, true
	case roster.TypeSet, roster.TypeMultiChoice, roster.TypeTags, roster.TypeGroups:
		return emptySet, true
	case roster.TypeAddresses:
		return emptyAddresses, true
	case roster.TypeLinks:
		return emptyLinks, true
	case roster.TypeDevices:
		return emptyDevices, true
	}
	return nil, false
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
