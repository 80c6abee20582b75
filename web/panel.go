package web

import (
	"errors"
	"math"
	"net/url"
	"strings"
	"time"

	"roster"
	"roster/query"
)

var inf = math.Inf(1)

func asRosterError(err error, target **roster.Error) bool { return errors.As(err, target) }

// The filter panel behind the "Fields" button: one control per filterable
// field, fit for its type. It submits to the table, which turns what was
// filled in into conditions of the text filter and redirects to the
// canonical URL, so the panel is a convenience over the one filter language.

// panelField describes the control of one field.
type panelField struct {
	Key, Label string
	Control    string   // text, exact, number, date, bool, set, presence, status, choice
	Choices    []string // choice: the values offered as checkboxes (access)
	Section    string
}

func panelFields(reg *roster.Registry) []panelField {
	var out []panelField
	for _, f := range reg.Fields {
		if !f.Filterable {
			continue
		}
		pf := panelField{Key: f.Key, Label: f.Label, Section: f.Section}
		switch query.KindOf(f) {
		case query.KindOrdered:
			switch f.Type {
			case roster.TypeDate, roster.TypeTimestamp:
				pf.Control = "date"
			case roster.TypeBoolean:
				pf.Control = "bool"
			default:
				pf.Control = "number"
			}
		case query.KindSet:
			pf.Control = "set"
		case query.KindPresence:
			pf.Control = "presence"
		case query.KindAccess:
			pf.Control, pf.Choices = "choice", f.Choices
		case query.KindExact:
			pf.Control = "exact"
			if f.Type == roster.TypeStatus {
				pf.Control = "status"
			}
		default:
			pf.Control = "text"
			if f.Type == roster.TypeURL {
				pf.Control = "presence"
			}
		}
		out = append(out, pf)
	}
	return out
}

// panelConds reads the panel's inputs (f.KEY.op, f.KEY.v, f.KEY.from,
// f.KEY.to) into conditions. It reports whether the panel was submitted.
func panelConds(q url.Values, reg *roster.Registry) ([]query.Cond, bool, error) {
	submitted := q.Has("panel")
	var conds []query.Cond
	for _, pf := range panelFields(reg) {
		get := func(part string) string { return strings.TrimSpace(q.Get("f." + pf.Key + "." + part)) }
		op, v, from, to := get("op"), get("v"), get("from"), get("to")
		c := query.Cond{Field: pf.Key, Op: query.OpEq, Pos: -1}
		switch pf.Control {
		case "text", "exact":
			switch op {
			case "empty":
				c.Op = query.OpEmpty
			case "not_empty":
				c.Op = query.OpNotEmpty
			case "contains":
				if v == "" {
					continue
				}
				c.Op, c.Values = query.OpContains, []string{v}
			default:
				if v == "" {
					continue
				}
				c.Values = splitList(v)
			}
		case "status", "choice":
			vals := q["f."+pf.Key+".v"]
			if len(vals) == 0 {
				continue
			}
			c.Values = vals
		case "bool":
			if v != "true" && v != "false" {
				continue
			}
			c.Values = []string{v}
		case "presence":
			var ok bool
			if c.Op, ok = presenceOp(op); !ok {
				continue
			}
		case "set":
			if o, ok := presenceOp(op); ok {
				c.Op = o
				break
			}
			if v == "" {
				continue
			}
			c.Values = splitList(v)
			switch op {
			case "all":
				c.Op = query.OpAll
			case "none":
				c.Negate = true
			}
		case "number":
			if !setRange(&c, from, to) {
				continue
			}
		case "date":
			// "after" excludes its day and "until" includes its day, as
			// the product this replaces did: after 2025-02-28 until
			// 2025-03-31 is March.
			if from != "" {
				d, err := roster.ParseDate(from)
				if err != nil {
					return nil, submitted, roster.Errorf(roster.EINVALID, "%s after: %s is not a date (YYYY-MM-DD).", pf.Label, roster.Quote(from))
				}
				from = roster.DateOf(d.In(time.UTC).AddDate(0, 0, 1)).String()
			}
			if !setRange(&c, from, to) {
				continue
			}
		}
		conds = append(conds, c)
	}
	return conds, submitted, nil
}

// setRange makes c the range from..to, both included, either end open when
// empty; it reports false when both are.
func setRange(c *query.Cond, from, to string) bool {
	switch {
	case from != "" && to != "":
		c.Op, c.Values = query.OpBetween, []string{from, to}
	case from != "":
		c.Op, c.Values = query.OpGe, []string{from}
	case to != "":
		c.Op, c.Values = query.OpLe, []string{to}
	default:
		return false
	}
	return true
}

// splitList splits a comma-separated list typed in the panel.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// presenceOp is the operator of the panel's "is empty" and "is not empty"
// choices; ok is false for any other.
func presenceOp(op string) (o query.Op, ok bool) {
	switch op {
	case "empty":
		return query.OpEmpty, true
	case "not_empty":
		return query.OpNotEmpty, true
	}
	return "", false
}
