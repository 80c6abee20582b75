package sqldb

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"roster"
)

// Fast paths for the columns that cost most when millions of users are
// read (the index build, an export): the JSON lists of addresses, social
// links and push tokens, the custom values, and times. What Roster writes
// is parsed by hand; anything else (escapes, unexpected shapes) goes to
// encoding/json, so the result is always what encoding/json gives.

var (
	addressMembers = roster.AddressMembers()
	linkMembers    = roster.LinkMembers()
	tokenMembers   = roster.TokenMembers()
)

// addressesScan decodes the addresses column.
type addressesScan struct{ v *[]roster.Address }

func (s addressesScan) Scan(src any) error { return scanList(src, s.v, addressMembers) }

// linksScan decodes the social_links column.
type linksScan struct{ v *[]roster.SocialLink }

func (s linksScan) Scan(src any) error { return scanList(src, s.v, linkMembers) }

// tokensScan decodes the push_tokens column.
type tokensScan struct{ v *[]roster.PushToken }

func (s tokensScan) Scan(src any) error { return scanList(src, s.v, tokenMembers) }

// scanList decodes a JSON list of flat objects of members into *v; it
// falls back to encoding/json for what walkFlatObjects does not take. It
// is four times faster than encoding/json, with a fifth of the
// allocations (BenchmarkListScan).
func scanList[T any](src any, v *[]T, members []roster.Member[T]) error {
	b, null, err := scanText(src)
	if err != nil || null || b == "[]" {
		*v = nil
		return err
	}
	out := []T{}
	ok := walkFlatObjects(b, func() { out = append(out, *new(T)) }, func(k, val string) bool {
		for j := range members {
			if m := &members[j]; m.Key == k {
				*m.Ptr(&out[len(out)-1]) = val
				return true
			}
		}
		return false
	})
	if !ok {
		*v = nil
		return jsonScan{v}.Scan([]byte(b))
	}
	*v = out
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// walkFlatObjects walks a JSON array of objects whose members are all
// strings without escapes, as json.Marshal writes a []Address (and
// PostgreSQL's jsonb gives back, with spaces). It calls obj at the start
// of each object and member for each member, which reports false for a
// key it does not know (encoding/json matches keys without case). It
// reports false for anything else, having perhaps called them already:
// the caller then decodes with encoding/json.
func walkFlatObjects(b string, obj func(), member func(k, v string) bool) bool {
	i := 0
	skip := func() {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
	}
	// str reads a string without escapes at i.
	str := func() (string, bool) {
		if i >= len(b) || b[i] != '"' {
			return "", false
		}
		for j := i + 1; j < len(b); j++ {
			switch c := b[j]; {
			case c == '"':
				s := b[i+1 : j]
				if !utf8.ValidString(s) {
					return "", false // encoding/json would replace the bad bytes
				}
				i = j + 1
				return s, true
			case c == '\\' || c < 0x20:
				return "", false
			}
		}
		return "", false
	}
	skip()
	if i >= len(b) || b[i] != '[' {
		return false
	}
	i++
	skip()
	if i < len(b) && b[i] == ']' {
		i++
		skip()
		return i == len(b)
	}
	for {
		skip()
		if i >= len(b) || b[i] != '{' {
			return false
		}
		i++
		obj()
		skip()
		if i < len(b) && b[i] == '}' {
			i++
		} else {
			for {
				skip()
				k, ok := str()
				if !ok {
					return false
				}
				skip()
				if i >= len(b) || b[i] != ':' {
					return false
				}
				i++
				skip()
				v, ok := str()
				if !ok {
					return false
				}
				if !member(k, v) {
					return false
				}
				skip()
				if i < len(b) && b[i] == ',' {
					i++
					continue
				}
				if i < len(b) && b[i] == '}' {
					i++
					break
				}
				return false
			}
		}
		skip()
		if i < len(b) && b[i] == ',' {
			i++
			continue
		}
		if i < len(b) && b[i] == ']' {
			i++
			skip()
			return i == len(b)
		}
		return false
	}
}

// splitObject calls fn with the key and the raw value of each member of
// the JSON object b, in order. It reports false when b is not an object
// it can split (a key with escapes, malformed JSON): the caller then uses
// encoding/json.
func splitObject(b string, fn func(key, raw string)) bool {
	i := 0
	skip := func() {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
	}
	skip()
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i++
	skip()
	if i < len(b) && b[i] == '}' {
		i++
		skip()
		return i == len(b)
	}
	for {
		skip()
		if i >= len(b) || b[i] != '"' {
			return false
		}
		end := -1
		for j := i + 1; j < len(b); j++ {
			if b[j] == '\\' || b[j] < 0x20 {
				return false
			}
			if b[j] == '"' {
				end = j
				break
			}
		}
		if end < 0 {
			return false
		}
		key := b[i+1 : end]
		i = end + 1
		skip()
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i++
		skip()
		start := i
		n, ok := skipValue(b[i:])
		if !ok {
			return false
		}
		i += n
		fn(key, b[start:i])
		skip()
		if i < len(b) && b[i] == ',' {
			i++
			continue
		}
		if i < len(b) && b[i] == '}' {
			i++
			skip()
			return i == len(b)
		}
		return false
	}
}

// skipValue returns the length of the JSON value at the start of b, and
// false when it is not valid JSON: a string, a number, true, false, null,
// or an array or object (checked with json.Valid).
func skipValue(b string) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	switch c := b[0]; {
	case c == '"':
		plain := true
		for j := 1; j < len(b); j++ {
			switch {
			case b[j] == '\\':
				plain = false
				j++
			case b[j] == '"':
				return j + 1, plain || json.Valid([]byte(b[:j+1]))
			case b[j] < 0x20:
				return 0, false
			}
		}
		return 0, false
	case c == '[' || c == '{':
		depth := 0
		for j := 0; j < len(b); j++ {
			switch b[j] {
			case '"':
				for j++; j < len(b) && b[j] != '"'; j++ {
					if b[j] == '\\' {
						j++
					}
				}
			case '[', '{':
				depth++
			case ']', '}':
				if depth--; depth == 0 {
					return j + 1, json.Valid([]byte(b[:j+1]))
				}
			}
		}
		return 0, false
	case c == '-' || c >= '0' && c <= '9':
		n := 0
		for n < len(b) && (b[n] == '-' || b[n] == '+' || b[n] == '.' || b[n] == 'e' || b[n] == 'E' || b[n] >= '0' && b[n] <= '9') {
			n++
		}
		return n, json.Valid([]byte(b[:n]))
	}
	for _, lit := range []string{"true", "false", "null"} {
		if strings.HasPrefix(b, lit) {
			return len(lit), true
		}
	}
	return 0, false
}

// plainString returns the text of a JSON string without escapes.
func plainString(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	for i := 0; i < len(in); i++ {
		if c := in[i]; c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.ValidString(in) {
		return "", false
	}
	return in, true
}

// decodeCustom types the custom values of a user by their fields: a value
// of an unknown field (one deleted outside Roster) is dropped, as is one
// that does not decode.
func decodeCustom(b string, reg *roster.Registry) (map[string]any, error) {
	out := map[string]any{}
	set := func(k, raw string) {
		f, ok := reg.Field(k)
		if !ok {
			if f, ok = reg.Retired(k); !ok {
				return
			}
		}
		if f.Type.IsTextual() {
			if s, ok := plainString(raw); ok {
				out[k] = s
				return
			}
		}
		if val, err := f.DecodeJSON(json.RawMessage(raw)); err == nil && val != nil {
			out[k] = val
		}
	}
	if !splitObject(b, set) {
		clear(out)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(b), &raw); err != nil {
			return nil, err
		}
		for k, v := range raw {
			set(k, string(v))
		}
	}
	return out, nil
}

// parseSQLiteTime parses the fixed-width form times are written in on
// SQLite (sqliteTime) without time.Parse, which costs several times more.
func parseSQLiteTime(s string) (time.Time, bool) {
	// 2006-01-02T15:04:05.000Z
	if len(s) != len(sqliteTime) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	ms, ok7 := num(20, 23)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*int(time.Millisecond), time.UTC)
	if t.Day() != d { // February 30th and the like: let time.Parse refuse it
		return time.Time{}, false
	}
	return t, true
}

// textScan keeps a text or JSON column as a string; NULL is "".
type textScan struct{ s *string }

func (s textScan) Scan(src any) error {
	t, _, err := scanText(src)
	*s.s = t
	return err
}
