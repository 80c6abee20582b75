package sqldb

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"roster"
)

// sqliteTime is the one way times are written in SQLite: fixed width, so that
// text order is time order.
const sqliteTime = "2006-01-02T15:04:05.000Z"

// timeArg encodes t for the dialect; the zero time is NULL.
func (db *DB) timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return db.Dialect.timeValue(t)
}

// timeValue encodes t as the dialect stores times, the zero time included:
// a UTC time.Time on PostgreSQL, UTC text in the form sqliteTime on SQLite.
// Both keep milliseconds, as a transaction's clock does (Tx.now): a time
// written outside a transaction (a lease given back) is then never a
// fraction of a millisecond after the "now" a claim compares it with.
func (d Dialect) timeValue(t time.Time) any {
	if d == Postgres {
		return t.UTC().Truncate(time.Millisecond)
	}
	return t.UTC().Format(sqliteTime)
}

// dateArg encodes d as YYYY-MM-DD, which both dialects read; zero is NULL.
func dateArg(d roster.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// jsonArg encodes v as JSON text; nil slices become [] so that columns never
// hold null.
func jsonArg(v any) (string, error) {
	switch x := v.(type) {
	case []string:
		if len(x) == 0 {
			return "[]", nil
		}
	case []roster.Address:
		if len(x) == 0 {
			return "[]", nil
		}
	case []roster.SocialLink:
		if len(x) == 0 {
			return "[]", nil
		}
	case []roster.PushToken:
		if len(x) == 0 {
			return "[]", nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if string(b) == "null" {
		return "[]", nil
	}
	return string(b), nil
}

// nullString is "" for NULL and the empty string alike; uniqueness columns
// store NULL for "absent".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// timeScan scans a time written by either dialect; NULL is the zero time.
type timeScan struct{ t *time.Time }

func (s timeScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.t = time.Time{}
	case time.Time:
		*s.t = v.UTC()
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

func (s timeScan) parse(v string) error {
	if t, ok := parseSQLiteTime(v); ok {
		*s.t = t
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	*s.t = t.UTC()
	return nil
}

// dateScan scans a DATE (PostgreSQL) or YYYY-MM-DD text (SQLite).
type dateScan struct{ d *roster.Date }

func (s dateScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.d = roster.Date{}
	case time.Time:
		*s.d = roster.DateOf(v)
	case string:
		return s.d.UnmarshalText([]byte(v))
	case []byte:
		return s.d.UnmarshalText(v)
	default:
		return fmt.Errorf("scan date: unexpected %T", src)
	}
	return nil
}

// scanText returns the text of a text or JSON column; null is true for
// NULL. A string from the driver is used as it is: the parsers below take
// substrings of it rather than copies.
func scanText(src any) (text string, null bool, err error) {
	switch x := src.(type) {
	case nil:
		return "", true, nil
	case string:
		return x, false, nil
	case []byte:
		return string(x), false, nil
	}
	return "", false, fmt.Errorf("scan json: unexpected %T", src)
}

// scanBytes returns the bytes of a text or JSON column, nil for NULL.
func scanBytes(src any) ([]byte, error) {
	switch x := src.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(x), nil
	case []byte:
		return x, nil
	}
	return nil, fmt.Errorf("scan json: unexpected %T", src)
}

// jsonScan decodes a JSON column (TEXT or JSONB) into v.
type jsonScan struct{ v any }

func (s jsonScan) Scan(src any) error {
	b, err := scanBytes(src)
	if err != nil || b == nil {
		return err
	}
	// Most users have empty lists: skip the decoder for them, which
	// matters when the index reads a million users at start.
	if len(b) == 2 && (b[0] == '[' && b[1] == ']' || b[0] == '{' && b[1] == '}') {
		return nil
	}
	if err := json.Unmarshal(b, s.v); err != nil {
		return fmt.Errorf("scan json: %w", err)
	}
	return nil
}

// stringsScan decodes a JSON array of strings, the form of every set
// column. Arrays of plain strings (no escapes) are split by hand: the index
// reads millions of them at start, and encoding/json costs several times
// more.
type stringsScan struct{ v *[]string }

func (s stringsScan) Scan(src any) error {
	b, null, err := scanText(src)
	if err != nil || null {
		*s.v = nil
		return err
	}
	if out, ok := splitPlainArray(b); ok {
		*s.v = out
		return nil
	}
	*s.v = nil
	return jsonScan{s.v}.Scan(b)
}

// splitPlainArray parses ["a","b"] (with optional spaces after commas)
// when no string holds a backslash; ok is false for anything else.
func splitPlainArray(b string) (out []string, ok bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	b = b[1 : len(b)-1]
	for len(b) > 0 {
		if b[0] != '"' {
			return nil, false
		}
		end := -1
		for i := 1; i < len(b); i++ {
			if b[i] == '\\' {
				return nil, false
			}
			if b[i] == '"' {
				end = i
				break
			}
		}
		if end < 0 {
			return nil, false
		}
		out = append(out, b[1:end])
		b = b[end+1:]
		if len(b) > 0 {
			if b[0] != ',' {
				return nil, false
			}
			b = b[1:]
			for len(b) > 0 && b[0] == ' ' {
				b = b[1:]
			}
			if len(b) == 0 {
				return nil, false // a trailing comma
			}
		}
	}
	return out, true
}

// boolScan accepts SQLite's 0/1 and PostgreSQL's booleans.
type boolScan struct{ b *bool }

func (s boolScan) Scan(src any) error {
	switch v := src.(type) {
	case bool:
		*s.b = v
		return nil
	case int64:
		if v == 0 || v == 1 {
			*s.b = v == 1
			return nil
		}
	}
	v, err := driver.Bool.ConvertValue(src)
	if err != nil {
		return fmt.Errorf("scan bool: %w", err)
	}
	*s.b = v.(bool)
	return nil
}

// nullStringScan scans a nullable text column as "".
type nullStringScan struct{ s *string }

func (s nullStringScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.s = ""
	case string:
		*s.s = v
	case []byte:
		*s.s = string(v)
	default:
		return fmt.Errorf("scan string: unexpected %T", src)
	}
	return nil
}
