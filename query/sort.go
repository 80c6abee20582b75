package query

import (
	"time"

	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"roster"
)

// ParseSort parses a sort such as "-points,created_at": field keys, each
// descending when it starts with "-". An empty text gives DefaultSort.
func ParseSort(s string, reg *roster.Registry) ([]SortKey, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultSort
	}
	var keys []SortKey
	seen := map[string]bool{}
	offset := 0
	for _, part := range strings.Split(s, ",") {
		p := offset
		offset += len(part) + 1
		name := strings.TrimSpace(part)
		desc := strings.HasPrefix(name, "-")
		name = strings.TrimPrefix(strings.TrimPrefix(name, "-"), "+")
		if name == "" {
			return nil, errAt(p, "sort: an empty key")
		}
		f, ok := lookupField(reg, name)
		if !ok {
			return nil, errAt(p, "sort: unknown field %s%s", roster.Quote(name), suggestion(reg, name))
		}
		if !f.Sortable {
			return nil, errAt(p, "sort: %s cannot be sorted", f.Key)
		}
		if seen[f.Key] {
			return nil, errAt(p, "sort: %s is listed twice", f.Key)
		}
		seen[f.Key] = true
		keys = append(keys, SortKey{Field: f, Desc: desc})
		if len(keys) > 5 {
			return nil, errAt(p, "sort: at most 5 keys")
		}
	}
	return keys, nil
}

// FormatSort is the inverse of ParseSort.
func FormatSort(keys []SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.Field.Key
		if k.Desc {
			parts[i] = "-" + parts[i]
		}
	}
	return strings.Join(parts, ",")
}

// SortValue is the value user u sorts by for field f: a float64 for
// ordered fields, a string for the others (folded for text). Access is
// evaluated under the default policy now; SortValueAt takes the rule.
func SortValue(f roster.Field, u *roster.User) any {
	return SortValueAt(f, u, roster.DefaultAccountPolicy().Rule(time.Now()))
}

// SortValueAt is SortValue with access evaluated under rule.
func SortValueAt(f roster.Field, u *roster.User, rule roster.AccessRule) any {
	v := u.Get(f.Key)
	switch KindOf(f) {
	case KindAccess:
		return string(rule.Of(u))
	case KindOrdered:
		return OrderedOf(f, v)
	case KindExact:
		s, _ := v.(string)
		return s
	}
	s, _ := v.(string)
	return FoldValue(f, s)
}

// CompareValues orders two sort values of one key, ascending; -Inf (no
// value) and "" come first.
func CompareValues(a, b any) int {
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	}
	return 0
}

// Cursors are opaque to clients: the position, plus a fingerprint of the
// query it belongs to, signed so that a forged or altered cursor, or one
// from another query, is refused instead of giving a wrong page.

type cursorBody struct {
	Q string `json:"q"` // fingerprint of filter, sort and time zone
	V []any  `json:"v"`
	I string `json:"i"`
}

// Fingerprint identifies what a cursor belongs to: the same filter, sort
// and time zone give the same fingerprint.
func Fingerprint(p *Plan) string {
	b, _ := json.Marshal(struct {
		W []string
		G [][]Pred
		N []Pred
		S string
	}{p.Words, p.Groups, p.Not, FormatSort(p.Sort)})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// EncodeCursor signs a position in the result of p with key.
func EncodeCursor(key []byte, p *Plan, a *After) string {
	vals := make([]any, len(a.Values))
	for i, v := range a.Values {
		if f, ok := v.(float64); ok && math.IsInf(f, -1) {
			vals[i] = nil // JSON has no -Inf: null stands for "no value"
		} else {
			vals[i] = v
		}
	}
	body, _ := json.Marshal(cursorBody{Q: Fingerprint(p), V: vals, I: a.ID})
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

var errCursor = roster.Errorf(roster.EINVALID, "The cursor is not valid for this query: start again from the first page.")

// DecodeCursor checks a cursor's signature and that it belongs to p.
func DecodeCursor(key []byte, p *Plan, s string) (*After, error) {
	body64, mac64, ok := strings.Cut(s, ".")
	if !ok || len(s) > 8192 {
		return nil, errCursor
	}
	// Strict: a cursor has one spelling; the unused bits of its last
	// character cannot be changed to make another that decodes alike.
	body, err1 := base64.RawURLEncoding.Strict().DecodeString(body64)
	sig, err2 := base64.RawURLEncoding.Strict().DecodeString(mac64)
	if err1 != nil || err2 != nil {
		return nil, errCursor
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	if !hmac.Equal(sig, mac.Sum(nil)[:16]) {
		return nil, errCursor
	}
	var c cursorBody
	if err := json.Unmarshal(body, &c); err != nil || c.Q != Fingerprint(p) || len(c.V) != len(p.Sort) || c.I == "" {
		return nil, errCursor
	}
	a := &After{ID: c.I, Values: make([]any, len(c.V))}
	for i, v := range c.V {
		ordered := KindOf(p.Sort[i].Field) == KindOrdered
		switch x := v.(type) {
		case nil:
			if !ordered {
				return nil, errCursor
			}
			a.Values[i] = math.Inf(-1)
		case float64:
			if !ordered {
				return nil, errCursor
			}
			a.Values[i] = x
		case string:
			if ordered {
				return nil, errCursor
			}
			a.Values[i] = x
		default:
			return nil, fmt.Errorf("cursor value %T: %w", v, errCursor)
		}
	}
	return a, nil
}
