// Package csvio is Roster's CSV codec: the import template, a decoder that
// reads what spreadsheets and other products write (encodings, delimiters,
// BOMs) and reports every bad row with its number and column, and an encoder
// that escapes cells against spreadsheet formula injection.
package csvio

// A spreadsheet treats a cell that begins with one of these as a formula
// (or, for tab and carriage return, may strip them and then see one).
func triggers(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// EscapeCell prefixes a cell that a spreadsheet would run as a formula with a
// single quote, which spreadsheets show as text. A value that already begins
// with a quote followed by a trigger is quoted too, so that UnescapeCell,
// which removes exactly one quote, gives back every value unchanged.
func EscapeCell(s string) string {
	if needsEscape(s) {
		return "'" + s
	}
	return s
}

// UnescapeCell reverses EscapeCell.
func UnescapeCell(s string) string {
	if len(s) >= 2 && s[0] == '\'' && needsEscape(s[1:]) {
		return s[1:]
	}
	return s
}

func needsEscape(s string) bool {
	for len(s) > 0 && s[0] == '\'' {
		s = s[1:]
	}
	return len(s) > 0 && triggers(s[0])
}
