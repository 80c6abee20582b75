package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"roster"
)

// ParseJSON parses the JSON form of a filter, the API's and saved segments':
// either the text form,
//
//	{"q": "country:FR,BE points:>5000"}
//
// or its parts,
//
//	{"words": ["york"],
//	 "conditions": [{"field": "country", "op": "eq", "values": ["FR", "BE"]},
//	                {"field": "tags", "op": "eq", "values": ["churned"], "negate": true}]}
//
// which is what json.Marshal writes for a Filter. A condition's op defaults
// to eq; values are strings, though JSON numbers and booleans are taken as
// their text (5000 as "5000"). Unknown members are refused. Like Parse, it
// checks the form only; Compile checks fields, operators and values. Errors
// are EINVALID; those of q carry the byte offset in q, the others none.
func ParseJSON(data []byte) (Filter, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return Filter{}, errAt(-1, "a filter must be a JSON object")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Filter{}, errAt(-1, "the filter is not valid JSON: %s", jsonMessage(err))
	}
	for k := range top {
		switch k {
		case "q", "words", "conditions":
		default:
			return Filter{}, errAt(-1, "filter: unknown member %s (use q, or words and conditions)", roster.Quote(k))
		}
	}
	if q, ok := top["q"]; ok {
		if len(top) > 1 {
			return Filter{}, errAt(-1, "filter: q cannot be combined with words or conditions")
		}
		var s *string
		if err := json.Unmarshal(q, &s); err != nil {
			return Filter{}, errAt(-1, "filter: q must be a string")
		}
		if s == nil {
			return Filter{}, nil
		}
		return Parse(*s)
	}
	var f Filter
	if raw, ok := top["words"]; ok {
		words, err := jsonStrings(raw, "words")
		if err != nil {
			return Filter{}, err
		}
		f.Words = words
	}
	if raw, ok := top["conditions"]; ok {
		var conds []json.RawMessage
		if err := json.Unmarshal(raw, &conds); err != nil {
			return Filter{}, errAt(-1, "filter: conditions must be an array of objects")
		}
		if len(conds) > 0 {
			f.Conds = make([]Cond, 0, len(conds))
		}
		for i, raw := range conds {
			c, err := jsonCond(raw, fmt.Sprintf("conditions[%d]", i))
			if err != nil {
				return Filter{}, err
			}
			f.Conds = append(f.Conds, c)
		}
	}
	if len(f.Words)+len(f.Conds) > MaxFilterTerms {
		return Filter{}, errAt(-1, "filter: at most %d conditions and words", MaxFilterTerms)
	}
	return f, nil
}

func jsonCond(raw json.RawMessage, where string) (Cond, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return Cond{}, errAt(-1, "%s must be an object with field, op and values", where)
	}
	c := Cond{Op: OpEq, Pos: -1}
	for k, v := range m {
		switch k {
		case "field":
			if err := json.Unmarshal(v, &c.Field); err != nil {
				return Cond{}, errAt(-1, "%s: field must be a string", where)
			}
		case "op":
			var op *string
			if err := json.Unmarshal(v, &op); err != nil {
				return Cond{}, errAt(-1, "%s: op must be a string", where)
			}
			if op != nil {
				c.Op = Op(*op)
			}
		case "values":
			vals, err := jsonStrings(v, where+".values")
			if err != nil {
				return Cond{}, err
			}
			c.Values = vals
		case "negate":
			var neg *bool
			if err := json.Unmarshal(v, &neg); err != nil {
				return Cond{}, errAt(-1, "%s: negate must be true or false", where)
			}
			c.Negate = neg != nil && *neg
		default:
			return Cond{}, errAt(-1, "%s: unknown member %s (use field, op, values, negate)", where, roster.Quote(k))
		}
	}
	if !isFieldName(c.Field) {
		if c.Field == "" {
			return Cond{}, errAt(-1, "%s: field is required", where)
		}
		return Cond{}, errAt(-1, "%s: field %s is not a field name (letters, digits and _, parts joined by dots)", where, roster.Quote(c.Field))
	}
	if !validOp(c.Op) {
		names := make([]string, len(Ops))
		for i, o := range Ops {
			names[i] = string(o)
		}
		return Cond{}, errAt(-1, "%s: op %s is not one of %s", where, roster.Quote(string(c.Op)), strings.Join(names, ", "))
	}
	return c, nil
}

func validOp(op Op) bool {
	for _, o := range Ops {
		if o == op {
			return true
		}
	}
	return false
}

// jsonStrings decodes an array of strings, taking numbers and booleans as
// their text; null is no array.
func jsonStrings(raw json.RawMessage, where string) ([]string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errAt(-1, "filter: %s must be an array of strings", where)
	}
	if items == nil {
		return nil, nil
	}
	out := make([]string, len(items))
	for i, it := range items {
		it = bytes.TrimSpace(it)
		if len(it) == 0 {
			return nil, errAt(-1, "filter: %s[%d] must be a string", where, i)
		}
		switch c := it[0]; {
		case c == '"':
			if err := json.Unmarshal(it, &out[i]); err != nil {
				return nil, errAt(-1, "filter: %s[%d] must be a string", where, i)
			}
		case c == '-' || ('0' <= c && c <= '9'):
			out[i] = string(it) // a JSON number, as written
		case string(it) == "true" || string(it) == "false":
			out[i] = string(it)
		default:
			return nil, errAt(-1, "filter: %s[%d] must be a string", where, i)
		}
	}
	return out, nil
}

// jsonMessage is the part of a JSON error worth showing.
func jsonMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}
