package csvio

import (
	"unicode/utf8"

	"roster"
)

// The structured fields (addresses, social links, push tokens) are JSON in
// a cell. They are written here without reflection, byte for byte as
// json.Marshal writes them (FuzzAppendJSON checks it), from the members
// the domain lists: an export writes hundreds of thousands of them, and
// this is three times faster than json.Marshal, without its allocations
// (BenchmarkAppendJSON).

var (
	addressJSON = newObjectJSON(roster.AddressMembers())
	linkJSON    = newObjectJSON(roster.LinkMembers())
	tokenJSON   = newObjectJSON(roster.TokenMembers())
)

func appendAddresses(dst []byte, as []roster.Address) []byte { return addressJSON.appendList(dst, as) }

func appendLinks(dst []byte, ls []roster.SocialLink) []byte { return linkJSON.appendList(dst, ls) }

func appendTokens(dst []byte, ts []roster.PushToken) []byte { return tokenJSON.appendList(dst, ts) }

// objectJSON writes values of T as JSON objects of its members.
type objectJSON[T any] struct {
	members []roster.Member[T]
	keys    []string // ,"key": for each member
}

func newObjectJSON[T any](members []roster.Member[T]) objectJSON[T] {
	o := objectJSON[T]{members: members}
	for _, m := range members {
		o.keys = append(o.keys, `,"`+m.Key+`":`) // keys need no escaping (TestMembers)
	}
	return o
}

// appendList appends list as a JSON array; an empty list is nothing at
// all, as FormatText gives.
func (o *objectJSON[T]) appendList(dst []byte, list []T) []byte {
	if len(list) == 0 {
		return dst
	}
	dst = append(dst, '[')
	for i := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		e := &list[i]
		sep := 1 // no comma before the first member
		for j := range o.members {
			m := &o.members[j]
			v := *m.Ptr(e)
			if m.OmitEmpty && v == "" {
				continue
			}
			dst = appendJSONString(append(dst, o.keys[j][sep:]...), v)
			sep = 0
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json does
// by default: control characters, quotes and backslashes escaped, and so
// are <, > and & (HTML-safe), U+2028 and U+2029; invalid UTF-8 becomes
// U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	done := 0 // s[:done] is in dst
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch {
			case c == '"':
				esc = `\"`
			case c == '\\':
				esc = `\\`
			case c == '\n':
				esc = `\n`
			case c == '\r':
				esc = `\r`
			case c == '\t':
				esc = `\t`
			case c == '\b':
				esc = `\b`
			case c == '\f':
				esc = `\f`
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				dst = append(dst, s[done:i]...)
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
				i++
				done = i
				continue
			default:
				i++
				continue
			}
			dst = append(append(dst, s[done:i]...), esc...)
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[done:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[done:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	return append(append(dst, s[done:]...), '"')
}
