package query

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the text form.
const (
	MaxFilterLen   = 4096 // bytes of filter text
	MaxFilterTerms = 100  // conditions and words in one filter
)

// Parse parses the text form of a filter: the search box and the q=
// parameter. It checks the syntax only; Compile checks fields, operators
// and values. Errors are EINVALID with the byte offset of the culprit.
//
// The text is a list of terms separated by white space. A term is either a
// keyword word or a condition:
//
//	york "new york"            words: every one must occur
//	country:FR                 equals
//	country:FR,BE              equals any of
//	tags:vip+beta              has all of (sets)
//	-tags:churned              not
//	points:>5000  points:<=10  comparisons (>, >=, <, <=)
//	created_at:2025-03-01..2025-03-31   range, both ends included
//	points:100..  points:..10  open ranges (>= and <=)
//	email:~gmail  bio:~cat,dog contains (any of)
//	bio:none  bio:any          is empty, has a value
//	city:"New York","Los Angeles"       quoted values
//
// A double quote opens a quoted word or value only at the start of a word or
// of a value item (after ':', ',', '+', '..', '>', '>=', '<', '<=' or '~');
// elsewhere it is an ordinary character. Inside quotes, \" and \\ are
// escapes and any other character stands for itself. A '+' separates the
// values of an "all" list only between two non-empty parts, so that a
// leading '+' (mobile_phone:+33612345678) is part of the value. Unquoted
// none and any are operators whatever their case.
func Parse(text string) (Filter, error) {
	var f Filter
	if len(text) > MaxFilterLen {
		return Filter{}, errAt(MaxFilterLen, "the search is longer than %d bytes", MaxFilterLen)
	}
	for i, r := range text {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(text[i:]); size == 1 {
				return Filter{}, errAt(i, "the search is not valid UTF-8 text")
			}
		case unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r':
			return Filter{}, errAt(i, "the search holds a control character (U+%04X)", r)
		}
	}
	i := 0
	for {
		i = skipSpace(text, i)
		if i >= len(text) {
			return f, nil
		}
		if len(f.Words)+len(f.Conds) >= MaxFilterTerms {
			return Filter{}, errAt(i, "at most %d conditions and words", MaxFilterTerms)
		}
		start := i
		fieldStart := i
		if text[i] == '-' {
			fieldStart++
		}
		if n := fieldNameLen(text[fieldStart:]); n > 0 && fieldStart+n < len(text) && text[fieldStart+n] == ':' {
			c, end, err := parseCond(text, start, fieldStart, fieldStart+n)
			if err != nil {
				return Filter{}, err
			}
			f.Conds = append(f.Conds, c)
			i = end
			continue
		}
		var w string
		if text[i] == '"' {
			q, end, err := readQuoted(text, i)
			if err != nil {
				return Filter{}, err
			}
			if end < len(text) && !isSpaceAt(text, end) {
				return Filter{}, errAfterQuote(text, end)
			}
			w, i = q, end
		} else {
			end := tokenEnd(text, i)
			w, i = text[start:end], end
		}
		f.Words = append(f.Words, w)
		f.WordPos = append(f.WordPos, start)
	}
}

// Scanning modes of a condition's value: which separators it has.
const (
	modeList     = iota // after field: a,b  a+b  a..b
	modeContains        // after ~ ^ $: a,b only
	modeOne             // after < <= > >=: every separator is scanned, then refused
)

// valueItem is one value of a condition as written.
type valueItem struct {
	val    string
	quoted bool
	pos    int
}

// valueSep is a separator between two items: ',', '+' or '.' for "..".
type valueSep struct {
	kind byte
	pos  int
}

// parseCond parses the condition starting at start whose field name is
// text[fieldStart:colon]. It returns the condition and the end of its term.
func parseCond(text string, start, fieldStart, colon int) (Cond, int, error) {
	field := text[fieldStart:colon]
	c := Cond{Field: field, Negate: fieldStart > start, Pos: start}
	v := colon + 1
	for _, w := range []struct {
		word string
		op   Op
	}{{"none", OpEmpty}, {"any", OpNotEmpty}} {
		end := v + len(w.word)
		if end <= len(text) && strings.EqualFold(text[v:end], w.word) && (end == len(text) || isSpaceAt(text, end)) {
			c.Op = w.op
			return c, end, nil
		}
	}
	mode := modeList
	rest := text[v:]
	switch {
	case strings.HasPrefix(rest, ">="):
		c.Op, mode, v = OpGe, modeOne, v+2
	case strings.HasPrefix(rest, "<="):
		c.Op, mode, v = OpLe, modeOne, v+2
	case strings.HasPrefix(rest, ">"):
		c.Op, mode, v = OpGt, modeOne, v+1
	case strings.HasPrefix(rest, "<"):
		c.Op, mode, v = OpLt, modeOne, v+1
	case strings.HasPrefix(rest, "~"):
		c.Op, mode, v = OpContains, modeContains, v+1
	case strings.HasPrefix(rest, "^"):
		c.Op, mode, v = OpPrefix, modeContains, v+1
	case strings.HasPrefix(rest, "$"):
		c.Op, mode, v = OpSuffix, modeContains, v+1
	}
	items, seps, end, err := scanValue(text, v, mode)
	if err != nil {
		return Cond{}, 0, err
	}
	required := func(it valueItem) error {
		return errAt(it.pos, "a value is required after %s:", field)
	}
	switch mode {
	case modeOne:
		if len(seps) > 0 {
			return Cond{}, 0, errAt(seps[0].pos, "%s: a comparison takes one value (no , + or ..)", field)
		}
	case modeList:
		var comma, plus, dots *valueSep
		for k := range seps {
			s := &seps[k]
			switch s.kind {
			case ',':
				if comma == nil {
					comma = s
				}
			case '+':
				if plus == nil {
					plus = s
				}
			case '.':
				if dots == nil {
					dots = s
				}
			}
		}
		if dots != nil {
			if len(seps) > 1 {
				other := seps[0]
				if other.pos == dots.pos {
					other = seps[1]
				}
				return Cond{}, 0, errAt(other.pos, "%s: a range takes two values (a..b), with no , or + and a single ..", field)
			}
			lo, hi := items[0], items[1]
			switch {
			case isMissing(lo) && isMissing(hi):
				return Cond{}, 0, required(lo)
			case isMissing(lo):
				c.Op, c.Values = OpLe, []string{hi.val}
			case isMissing(hi):
				c.Op, c.Values = OpGe, []string{lo.val}
			default:
				c.Op, c.Values = OpBetween, []string{lo.val, hi.val}
			}
			return c, end, nil
		}
		switch {
		case comma != nil && plus != nil:
			p := max(comma.pos, plus.pos)
			return Cond{}, 0, errAt(p, "%s: mix of , and + : use separate conditions", field)
		case plus != nil:
			c.Op = OpAll
		default:
			c.Op = OpEq
		}
	}
	c.Values = make([]string, len(items))
	for k, it := range items {
		if isMissing(it) {
			return Cond{}, 0, required(it)
		}
		c.Values[k] = it.val
	}
	return c, end, nil
}

// isMissing reports whether it is an empty, unquoted value: nothing written.
func isMissing(it valueItem) bool { return !it.quoted && it.val == "" }

// scanValue scans the items of a condition's value from i to the end of its
// term, in mode.
func scanValue(s string, i int, mode int) (items []valueItem, seps []valueSep, end int, err error) {
	for {
		it := valueItem{pos: i}
		if i < len(s) && s[i] == '"' {
			q, j, err := readQuoted(s, i)
			if err != nil {
				return nil, nil, 0, err
			}
			it.val, it.quoted = q, true
			items = append(items, it)
			if j >= len(s) || isSpaceAt(s, j) {
				return items, seps, j, nil
			}
			kind, n := sepAt(s, j, mode, true)
			if s[j] == '+' && mode != modeContains {
				kind, n = '+', 1 // "a"+ : the next value is missing
			}
			if n == 0 {
				return nil, nil, 0, errAfterQuote(s, j)
			}
			seps = append(seps, valueSep{kind, j})
			i = j + n
			continue
		}
		j := i
		kind, n := byte(0), 0
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) {
				break
			}
			if kind, n = sepAt(s, j, mode, j > i); n > 0 {
				break
			}
			j += size
		}
		it.val = s[i:j]
		items = append(items, it)
		if n == 0 {
			return items, seps, j, nil
		}
		seps = append(seps, valueSep{kind, j})
		i = j + n
	}
}

// sepAt returns the separator at s[j] in mode and its length, or 0, 0.
// nonEmpty tells whether the current item has something before j: a '+'
// separates only two non-empty parts.
func sepAt(s string, j int, mode int, nonEmpty bool) (byte, int) {
	switch s[j] {
	case ',':
		return ',', 1
	case '.':
		if mode != modeContains && j+1 < len(s) && s[j+1] == '.' {
			return '.', 2
		}
	case '+':
		if mode != modeContains && nonEmpty && j+1 < len(s) {
			if n := s[j+1]; n != '+' && n != ',' && !isSpaceAt(s, j+1) {
				return '+', 1
			}
		}
	}
	return 0, 0
}

// readQuoted reads the quoted string opening at s[i] and returns its value
// and the offset just after the closing quote.
func readQuoted(s string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\'):
			b.WriteByte(s[j+1])
			j++
		case c == '"':
			return b.String(), j + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errAt(i, `unterminated quote: add a closing "`)
}

func errAfterQuote(s string, j int) error {
	r, _ := utf8.DecodeRuneInString(s[j:])
	return errAt(j, "unexpected %q after a closing quote: add a space or quote the whole value", r)
}

// fieldNameLen returns the length of the field name at the start of s, 0
// when there is none: parts [A-Za-z_][A-Za-z0-9_]* joined by dots
// (sessions.last_seen).
func fieldNameLen(s string) int {
	start := true // at the start of a part
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (!start && '0' <= c && c <= '9'):
			start = false
			continue
		case c == '.' && !start && i+1 < len(s) && (s[i+1] == '_' || ('a' <= s[i+1] && s[i+1] <= 'z') || ('A' <= s[i+1] && s[i+1] <= 'Z')):
			start = true
			continue
		}
		return i
	}
	return len(s)
}

func isFieldName(s string) bool { return s != "" && fieldNameLen(s) == len(s) }

func isSpaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r)
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

func tokenEnd(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}
