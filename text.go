package roster

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The input rule, in one place: text from outside is valid UTF-8 without
// control characters (tab and newline only where multi-line text is
// allowed), and no longer than the limit its field states.

// MaxQuoted bounds how much of a value a message echoes back.
const MaxQuoted = 100

// Quote returns s quoted for a message: its first MaxQuoted characters,
// with control characters and invalid bytes escaped, and "…" when cut. A
// bad value of a megabyte is never echoed in full.
func Quote(s string) string {
	cut := false
	if utf8.RuneCountInString(s) > MaxQuoted {
		n := 0
		for i := range s {
			if n == MaxQuoted {
				s, cut = s[:i], true
				break
			}
			n++
		}
	}
	q := strconv.Quote(s)
	if cut {
		q += "…"
	}
	return q
}

// TextProblem checks s against the input rule and returns what is wrong
// with it, or "": invalid UTF-8, a control character (tab, newline and
// carriage return are allowed when multiline), or more than max characters
// (when max > 0).
func TextProblem(s string, max int, multiline bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text"
	}
	if strings.IndexFunc(s, func(r rune) bool {
		if multiline && (r == '\n' || r == '\t' || r == '\r') {
			return false
		}
		return unicode.IsControl(r)
	}) >= 0 {
		if multiline {
			return "must not hold control characters (other than tabs and line breaks)"
		}
		return "must not hold control characters"
	}
	if max > 0 && utf8.RuneCountInString(s) > max {
		return "is longer than " + strconv.Itoa(max) + " characters"
	}
	return ""
}
