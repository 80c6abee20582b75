package query

import (
	"strings"
	"unicode"
)

// String returns the canonical text form of f, which Parse reads back as the
// same words and conditions (positions aside): the words first, then the
// conditions in order, separated by single spaces, with words and values
// quoted only where needed. Ranges are written a..b, open ranges >=a and
// <=b, "not empty" any and "empty" none.
//
// The text form cannot write every Filter that the JSON form can hold: an
// "all" condition with one value reads back as "eq" (which means the same),
// and values that do not fit their operator (none with values, a
// comparison with two values, a list with none) are written as well as they
// can be, which Parse or Compile then refuses.
func (f Filter) String() string {
	var b strings.Builder
	for _, w := range f.Words {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if wordNeedsQuotes(w) {
			writeQuoted(&b, w)
		} else {
			b.WriteString(w)
		}
	}
	for _, c := range f.Conds {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		writeCond(&b, c)
	}
	return b.String()
}

func writeCond(b *strings.Builder, c Cond) {
	if c.Negate {
		b.WriteByte('-')
	}
	b.WriteString(c.Field)
	b.WriteByte(':')
	list := func(sep string) {
		for i, v := range c.Values {
			if i > 0 {
				b.WriteString(sep)
			}
			if valueNeedsQuotes(v, sep == "+" && i > 0) {
				writeQuoted(b, v)
			} else {
				b.WriteString(v)
			}
		}
	}
	switch c.Op {
	case OpEmpty:
		b.WriteString("none")
	case OpNotEmpty:
		b.WriteString("any")
	case OpLt, OpLe, OpGt, OpGe:
		b.WriteString(map[Op]string{OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">="}[c.Op])
		list(",")
	case OpBetween:
		list("..")
	case OpContains, OpPrefix, OpSuffix:
		b.WriteByte(map[Op]byte{OpContains: '~', OpPrefix: '^', OpSuffix: '$'}[c.Op])
		list(",")
	case OpAll:
		list("+")
	default:
		list(",")
	}
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

// wordNeedsQuotes reports whether the word w must be quoted to read back as
// one word: when it is empty, holds white space, a quote or a backslash, or
// looks like a condition (field: or -field:).
func wordNeedsQuotes(w string) bool {
	if w == "" || strings.ContainsAny(w, `"\`) || containsSpace(w) {
		return true
	}
	s := strings.TrimPrefix(w, "-")
	n := fieldNameLen(s)
	return n > 0 && n < len(s) && s[n] == ':'
}

// valueNeedsQuotes reports whether the value v must be quoted to read back
// as itself: when it is empty, holds white space, a quote, a backslash, a
// separator (',', '..', '+'), starts with an operator ('>', '<', '~', '^',
// '$') or is
// none or any. A single leading '+' (a phone number) needs no quotes, except
// after a '+' separator (a++b reads as "a+" and "b"). A leading '-' or a ':'
// needs none either: neither means anything inside a value.
func valueNeedsQuotes(v string, afterPlus bool) bool {
	if v == "" || strings.ContainsAny(v, `"\,`) || strings.Contains(v, "..") || containsSpace(v) {
		return true
	}
	// A dot at either end would run into the ".." of a range: "."..00
	// must not come back as ...00.
	if v[0] == '.' || v[len(v)-1] == '.' {
		return true
	}
	if strings.EqualFold(v, "none") || strings.EqualFold(v, "any") {
		return true
	}
	switch v[0] {
	case '>', '<', '~', '^', '$':
		return true
	case '+':
		return afterPlus || strings.Contains(v[1:], "+")
	}
	return strings.Contains(v, "+")
}

func containsSpace(s string) bool {
	for _, r := range s {
		if unicode.IsSpace(r) {
			return true
		}
	}
	return false
}
