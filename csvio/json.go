package csvio

import (
	"unicode/utf8"

	"roster"
)

// The structured fields (addresses, social links, push tokens) are JSON in
// a cell. They are written here without reflection, byte for byte as
// json.Marshal writes them (FuzzAppendJSON checks it): an export writes
// hundreds of thousands of them.

func appendAddresses(dst []byte, as []roster.Address) []byte {
	if len(as) == 0 {
		return dst
	}
	dst = append(dst, '[')
	for i, a := range as {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		if a.Label != "" {
			dst = appendJSONString(append(dst, `"label":`...), a.Label)
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(dst, `"line1":`...), a.Line1)
		for _, m := range [...]struct{ key, v string }{
			{`,"line2":`, a.Line2}, {`,"city":`, a.City}, {`,"region":`, a.Region},
			{`,"postal_code":`, a.PostalCode}, {`,"country":`, a.Country},
		} {
			if m.v != "" {
				dst = appendJSONString(append(dst, m.key...), m.v)
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

func appendLinks(dst []byte, ls []roster.SocialLink) []byte {
	if len(ls) == 0 {
		return dst
	}
	dst = append(dst, '[')
	for i, l := range ls {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(dst, `{"network":`...), l.Network)
		dst = appendJSONString(append(dst, `,"url":`...), l.URL)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

func appendTokens(dst []byte, ts []roster.PushToken) []byte {
	if len(ts) == 0 {
		return dst
	}
	dst = append(dst, '[')
	for i, t := range ts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(dst, `{"platform":`...), t.Platform)
		dst = appendJSONString(append(dst, `,"token":`...), t.Token)
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
