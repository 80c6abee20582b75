package csvio

import (
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"roster"
)

// rowFormatter turns users into CSV rows, the hot loop of an export. It
// resolves tag and group names from maps built once rather than by a
// search of the catalog per cell, reads built-in fields straight from the
// struct (User.Get boxes every value in an interface: an allocation per
// cell), appends text in place, and escapes cells itself: numbers are never
// escaped (a negative number is no formula), everything else is unless
// raw. Its output is what FormatCell and a Writer give (TestExportUsers).
type rowFormatter struct {
	cols    []column
	cat     *roster.Catalog
	access  roster.AccessRule
	tags    map[int64]string
	groups  map[int64]string
	scratch []byte
}

// column is a field and how its cells are made.
type column struct {
	field  roster.Field
	kind   cellKind
	escape bool
	// get reads a built-in value: the field's Builtin.Ptr (a
	// func(*roster.User) *T) or Builtin.Value (a func(*roster.User) T),
	// of the type kind names.
	get any
}

// cellKind says how a column's cells are made: built-in values by their Go
// type, read straight from User through the column's get; kindOther goes
// through User.Get and FormatCell.
type cellKind uint8

const (
	kindOther cellKind = iota
	kindCustom
	kindString
	kindBool
	kindInt
	kindIntValue // computed: total_followers
	kindFloat
	kindDate
	kindTime
	kindSet
	kindAddresses
	kindLinks
	kindTokens
	kindTags
	kindGroups
	kindSmartType
	kindAccess
)

// builtinKind returns how the cells of built-in field b are made.
func builtinKind(b roster.Builtin) (cellKind, any) {
	switch b.Field.Type {
	case roster.TypeTags:
		return kindTags, nil
	case roster.TypeGroups:
		return kindGroups, nil
	case roster.TypeSmartType:
		return kindSmartType, nil
	case roster.TypeAccess:
		return kindAccess, nil
	}
	switch p := b.Ptr.(type) {
	case func(*roster.User) *string:
		return kindString, p
	case func(*roster.User) *bool:
		return kindBool, p
	case func(*roster.User) *int64:
		return kindInt, p
	case func(*roster.User) *float64:
		return kindFloat, p
	case func(*roster.User) *roster.Date:
		return kindDate, p
	case func(*roster.User) *time.Time:
		return kindTime, p
	case func(*roster.User) *[]string:
		return kindSet, p
	case func(*roster.User) *[]roster.Address:
		return kindAddresses, p
	case func(*roster.User) *[]roster.SocialLink:
		return kindLinks, p
	case func(*roster.User) *[]roster.PushToken:
		return kindTokens, p
	}
	if v, ok := b.Value.(func(*roster.User) int64); ok {
		return kindIntValue, v
	}
	return kindOther, nil
}

func newRowFormatter(fields []roster.Field, cat *roster.Catalog, raw bool) *rowFormatter {
	rf := &rowFormatter{cat: cat, tags: map[int64]string{}, groups: map[int64]string{}}
	for _, f := range fields {
		c := column{field: f, kind: kindCustom, escape: !raw && f.Type != roster.TypeInteger && f.Type != roster.TypeNumber}
		if f.Builtin {
			c.kind = kindOther
			if b, ok := roster.BuiltinOf(f.Key); ok {
				c.kind, c.get = builtinKind(b)
			}
		}
		rf.cols = append(rf.cols, c)
	}
	if cat != nil {
		for _, t := range cat.Tags {
			rf.tags[t.ID] = t.Name
		}
		for _, g := range cat.Groups {
			rf.groups[g.ID] = g.Name
		}
	}
	return rf
}

// clone returns a formatter for another goroutine: each has its scratch.
func (rf *rowFormatter) clone() *rowFormatter {
	c := *rf
	c.scratch = nil
	return &c
}

// header is the row of field keys.
func (rf *rowFormatter) header() []string {
	out := make([]string, len(rf.cols))
	for i, c := range rf.cols {
		out[i] = c.field.Key
	}
	return out
}

// row appends the cells of u to dst[:0], escaped: for a Writer that does
// not escape.
func (rf *rowFormatter) row(dst []string, u *roster.User) []string {
	dst = dst[:0]
	for i := range rf.cols {
		c := &rf.cols[i]
		s := string(rf.cell(rf.scratch[:0], c, u))
		if c.escape {
			s = EscapeCell(s)
		}
		dst = append(dst, s)
	}
	return dst
}

// appendRow appends the CSV record of u to dst. Each cell's text is
// appended in place, then fixed up in the rare case that it needs a quote
// prefix or CSV quotes.
func (rf *rowFormatter) appendRow(dst []byte, u *roster.User) []byte {
	for i := range rf.cols {
		c := &rf.cols[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		start := len(dst)
		dst = rf.cell(dst, c, u)
		text := dst[start:]
		esc := c.escape && needsEscapeBytes(text)
		if esc || needsQuotes(text) {
			rf.scratch = append(rf.scratch[:0], text...)
			dst = appendField(dst[:start], esc, rf.scratch)
		}
	}
	return append(dst, '\n')
}

// special marks the bytes that make encoding/csv quote a field.
var special = [256]bool{',': true, '"': true, '\r': true, '\n': true}

// needsQuotes reports whether encoding/csv would quote c: a comma, quote,
// CR or LF in it, a leading space, or \. alone.
func needsQuotes(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	for _, b := range c {
		if special[b] {
			return true
		}
	}
	switch {
	case string(c) == `\.`:
		return true
	case c[0] < utf8.RuneSelf:
		return c[0] == ' ' || c[0] == '\t' || c[0] == '\v' || c[0] == '\f'
	}
	r, _ := utf8.DecodeRune(c)
	return unicode.IsSpace(r)
}

// needsEscapeBytes is needsEscape on bytes, without making a string.
func needsEscapeBytes(c []byte) bool {
	for len(c) > 0 && c[0] == '\'' {
		c = c[1:]
	}
	return len(c) > 0 && triggers(c[0])
}

// appendField appends c as a CSV field, preceded by a ' when esc, and
// quoted when encoding/csv would quote it. The quote prefix never changes
// whether a field needs quotes: it is neither special nor a space, and a
// field that starts with it cannot be a leading-space or \. field.
func appendField(dst []byte, esc bool, c []byte) []byte {
	quote := false
	if esc {
		for _, b := range c {
			if special[b] {
				quote = true
				break
			}
		}
	} else {
		quote = needsQuotes(c)
	}
	if quote {
		dst = append(dst, '"')
	}
	if esc {
		dst = append(dst, '\'')
	}
	if !quote {
		return append(dst, c...)
	}
	for _, b := range c {
		if b == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, b)
	}
	return append(dst, '"')
}

// cell appends the text of u's value in column c to dst: what FormatCell
// gives.
func (rf *rowFormatter) cell(dst []byte, c *column, u *roster.User) []byte {
	switch c.kind {
	case kindCustom:
		switch v := u.Custom[c.field.Key].(type) {
		case string:
			return append(dst, v...)
		case float64:
			return strconv.AppendFloat(dst, v, 'f', -1, 64)
		case bool:
			return strconv.AppendBool(dst, v)
		case []string:
			return appendSet(dst, v)
		case nil:
			return dst
		}
	case kindString:
		return append(dst, *c.get.(func(*roster.User) *string)(u)...)
	case kindBool:
		return strconv.AppendBool(dst, *c.get.(func(*roster.User) *bool)(u))
	case kindInt:
		return strconv.AppendInt(dst, *c.get.(func(*roster.User) *int64)(u), 10)
	case kindIntValue:
		return strconv.AppendInt(dst, c.get.(func(*roster.User) int64)(u), 10)
	case kindFloat:
		return strconv.AppendFloat(dst, *c.get.(func(*roster.User) *float64)(u), 'f', -1, 64)
	case kindDate:
		return appendDate(dst, *c.get.(func(*roster.User) *roster.Date)(u))
	case kindTime:
		return appendTime(dst, *c.get.(func(*roster.User) *time.Time)(u))
	case kindSet:
		return appendSet(dst, *c.get.(func(*roster.User) *[]string)(u))
	case kindAddresses:
		return appendAddresses(dst, *c.get.(func(*roster.User) *[]roster.Address)(u))
	case kindLinks:
		return appendLinks(dst, *c.get.(func(*roster.User) *[]roster.SocialLink)(u))
	case kindTokens:
		return appendTokens(dst, *c.get.(func(*roster.User) *[]roster.PushToken)(u))
	case kindTags:
		return appendNames(dst, u.Tags, rf.tags)
	case kindGroups:
		return appendNames(dst, u.Groups, rf.groups)
	case kindSmartType:
		g, _ := rf.cat.SmartType(u.Groups)
		return append(dst, g.Name...)
	case kindAccess:
		return append(dst, rf.access.Of(u)...)
	}
	return append(dst, FormatCell(c.field, u.Get(c.field.Key), rf.cat)...)
}

func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return dst
	}
	return t.UTC().AppendFormat(dst, time.RFC3339Nano)
}

// appendDate appends d as Date.String does, without fmt.
func appendDate(dst []byte, d roster.Date) []byte {
	if d.IsZero() {
		return dst
	}
	if d.Year < 0 || d.Year > 9999 {
		return append(dst, d.String()...)
	}
	dst = append(dst, byte('0'+d.Year/1000), byte('0'+d.Year/100%10), byte('0'+d.Year/10%10), byte('0'+d.Year%10), '-')
	dst = append(dst, byte('0'+int(d.Month)/10%10), byte('0'+int(d.Month)%10), '-')
	return append(dst, byte('0'+d.Day/10%10), byte('0'+d.Day%10))
}

func appendSet(dst []byte, set []string) []byte {
	for i, s := range set {
		if i > 0 {
			dst = append(dst, '|')
		}
		dst = append(dst, s...)
	}
	return dst
}

func appendNames(dst []byte, ids []int64, names map[int64]string) []byte {
	first := true
	for _, id := range ids {
		n, ok := names[id]
		if !ok {
			continue
		}
		if !first {
			dst = append(dst, '|')
		}
		first = false
		dst = append(dst, n...)
	}
	return dst
}
