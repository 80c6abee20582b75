package roster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DecodeJSON turns a JSON value from an API body into the Go value that
// fields of f's type hold. JSON null clears the field. The error message
// names what was expected and is safe to show.
func (f Field) DecodeJSON(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if bytes.Equal(raw, []byte("null")) {
		return f.empty(), nil
	}
	switch f.Type {
	case TypeText, TypeLongText, TypeChoice, TypeURL, TypeEmail, TypePhone, TypeCountry, TypeStatus, TypePassword:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("must be a string")
		}
		return s, nil
	case TypeInteger:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("must be a whole number")
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("must be a whole number")
		}
		return i, nil
	case TypeNumber:
		var x float64
		if err := json.Unmarshal(raw, &x); err != nil {
			return nil, fmt.Errorf("must be a number")
		}
		return x, nil
	case TypeBoolean:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("must be true or false")
		}
		return b, nil
	case TypeDate:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("must be a date string YYYY-MM-DD")
		}
		return f.ParseText(s)
	case TypeTimestamp:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("must be an RFC 3339 time string")
		}
		return f.ParseText(s)
	case TypeSet, TypeMultiChoice:
		var ss []string
		if err := json.Unmarshal(raw, &ss); err != nil {
			return nil, fmt.Errorf("must be an array of strings")
		}
		return NormalizeSet(ss), nil
	case TypeAddresses:
		var v []Address
		if err := strictUnmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("must be an array of addresses {label, line1, line2, city, region, postal_code, country}")
		}
		return v, nil
	case TypeLinks:
		var v []SocialLink
		if err := strictUnmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("must be an array of {network, url}")
		}
		return v, nil
	case TypeDevices:
		var v []PushToken
		if err := strictUnmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("must be an array of {platform, token}")
		}
		return v, nil
	}
	return nil, fmt.Errorf("cannot be set")
}

func strictUnmarshal(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// ParseText turns the text form of a value (a CSV cell, a form input) into
// the Go value that fields of f's type hold. "" is the empty value. Sets are
// separated by "|"; structured values are JSON.
func (f Field) ParseText(s string) (any, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return f.empty(), nil
	}
	switch f.Type {
	case TypeText, TypeLongText, TypeChoice, TypeURL, TypeEmail, TypePhone, TypeStatus, TypePassword:
		return s, nil
	case TypeCountry:
		return strings.ToUpper(s), nil
	case TypeInteger:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s is not a whole number", Quote(s))
		}
		return i, nil
	case TypeNumber:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s is not a number", Quote(s))
		}
		return x, nil
	case TypeBoolean:
		switch strings.ToLower(s) {
		case "true", "yes", "1", "y", "on":
			return true, nil
		case "false", "no", "0", "n", "off":
			return false, nil
		}
		return nil, fmt.Errorf("%s is not true or false", Quote(s))
	case TypeDate:
		return ParseDate(s)
	case TypeTimestamp:
		return ParseTime(s)
	case TypeSet, TypeMultiChoice:
		return NormalizeSet(strings.Split(s, "|")), nil
	case TypeAddresses, TypeLinks, TypeDevices:
		return f.DecodeJSON(json.RawMessage(s))
	}
	return nil, fmt.Errorf("cannot be set")
}

// ParseTime accepts RFC 3339 times and, as midnight UTC, plain dates.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s is not a time (RFC 3339, such as 2025-03-01T12:00:00Z, or YYYY-MM-DD)", Quote(s))
}

// FormatText is the inverse of ParseText: the text form of v, a value held by
// a field of type t.
func FormatText(t FieldType, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case Date:
		return x.String()
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format(time.RFC3339)
	case []string:
		return strings.Join(x, "|")
	case []Address, []SocialLink, []PushToken:
		if IsEmpty(x) {
			return ""
		}
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// empty is what null and "" mean for f: the type's zero value for built-in
// fields, nil ("not set") for custom ones.
func (f Field) empty() any {
	if !f.Builtin {
		return nil
	}
	return zeroOf(f.Type)
}

// zeroOf returns the empty value of a field type: what null and "" mean.
func zeroOf(t FieldType) any {
	switch t {
	case TypeInteger:
		return int64(0)
	case TypeNumber:
		return float64(0)
	case TypeBoolean:
		return false
	case TypeDate:
		return Date{}
	case TypeTimestamp:
		return time.Time{}
	case TypeSet, TypeMultiChoice:
		return []string(nil)
	case TypeAddresses:
		return []Address(nil)
	case TypeLinks:
		return []SocialLink(nil)
	case TypeDevices:
		return []PushToken(nil)
	}
	return ""
}
