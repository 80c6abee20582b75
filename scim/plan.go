package scim

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/query"
)

// A User filter runs on the query index: it is translated into a
// query.Plan, whose groups are ANDed, whose predicates within a group are
// ORed and whose Not predicates exclude. A filter is brought to that
// shape (negations pushed onto comparisons, then a conjunction of
// disjunctions); what cannot take it, or names an attribute Roster does
// not index, is refused with invalidFilter naming it: never a scan.

// lit is one comparison on one Roster field, possibly negated.
type lit struct {
	cond query.Cond
	what string // the SCIM comparison, for messages
}

// formula is a boolean formula over lits, negations at the leaves.
type formula struct {
	op    string // "and", "or", or "" for a literal
	lit   lit
	parts []*formula
}

// maxClauses bounds the conjunctive form of a filter.
const maxClauses = 256

// UserPlan translates a User filter (nil: every user) and a sort into a
// plan. sortBy is a SCIM attribute ("" keeps the store's order by id);
// descending reverses it.
func UserPlan(e Expr, sortBy string, descending bool, reg *roster.Registry, cfg Config) (*query.Plan, error) {
	plan := &query.Plan{}
	if e != nil {
		f, err := userFormula(e, false, reg, cfg)
		if err != nil {
			return nil, err
		}
		clauses, err := cnf(f)
		if err != nil {
			return nil, err
		}
		for _, cl := range clauses {
			if err := addClause(plan, cl, reg); err != nil {
				return nil, err
			}
		}
	}
	if sortBy != "" {
		p, ok := splitPath(sortBy)
		if !ok {
			return nil, Errorf(http.StatusBadRequest, InvalidValue, "sortBy %s is not an attribute path", strconv.Quote(sortBy))
		}
		keys, err := userFields(p, reg, cfg)
		if err != nil || len(keys) != 1 {
			return nil, Errorf(http.StatusBadRequest, InvalidValue, "sortBy %s: Roster cannot sort users by it", p)
		}
		f, _ := reg.Field(keys[0])
		if !f.Sortable {
			return nil, Errorf(http.StatusBadRequest, InvalidValue, "sortBy %s: Roster cannot sort users by it", p)
		}
		plan.Sort = []query.SortKey{{Field: f, Desc: descending}}
	} else {
		f, _ := reg.Field("created_at")
		plan.Sort = []query.SortKey{{Field: f, Desc: descending}}
	}
	return plan, nil
}

func addClause(plan *query.Plan, cl []lit, reg *roster.Registry) error {
	neg := 0
	for _, l := range cl {
		if l.cond.Negate {
			neg++
		}
	}
	if neg > 0 && len(cl) > 1 {
		return Errorf(http.StatusBadRequest, InvalidFilter, "%s cannot be answered by the index: a negation (not, ne) may not be one side of an or", cl[0].what)
	}
	var group []query.Pred
	for _, l := range cl {
		p, err := query.Compile(query.Filter{Conds: []query.Cond{l.cond}}, reg, time.UTC)
		if err != nil {
			return Errorf(http.StatusBadRequest, InvalidFilter, "%s: %s", l.what, strings.TrimPrefix(roster.ErrorMessage(err), l.cond.Field+": "))
		}
		if l.cond.Negate {
			plan.Not = append(plan.Not, p.Not...)
			continue
		}
		for _, g := range p.Groups {
			group = append(group, g...)
		}
	}
	if len(group) > 0 {
		plan.Groups = append(plan.Groups, group)
	}
	return nil
}

// cnf returns f as a conjunction of disjunctions of lits.
func cnf(f *formula) ([][]lit, error) {
	switch f.op {
	case "":
		return [][]lit{{f.lit}}, nil
	case "and":
		var out [][]lit
		for _, p := range f.parts {
			c, err := cnf(p)
			if err != nil {
				return nil, err
			}
			out = append(out, c...)
			if len(out) > maxClauses {
				return nil, Errorf(http.StatusBadRequest, InvalidFilter, "the filter is too complex for the index")
			}
		}
		return out, nil
	}
	out := [][]lit{{}}
	for _, p := range f.parts {
		c, err := cnf(p)
		if err != nil {
			return nil, err
		}
		var next [][]lit
		for _, a := range out {
			for _, b := range c {
				next = append(next, append(append([]lit{}, a...), b...))
			}
		}
		if len(next) > maxClauses {
			return nil, Errorf(http.StatusBadRequest, InvalidFilter, "the filter is too complex for the index")
		}
		out = next
	}
	return out, nil
}

func join(op string, a, b *formula) *formula { return &formula{op: op, parts: []*formula{a, b}} }

// userFormula translates e, negated when neg, pushing negations down.
func userFormula(e Expr, neg bool, reg *roster.Registry, cfg Config) (*formula, error) {
	switch x := e.(type) {
	case *Logical:
		l, err := userFormula(x.L, neg, reg, cfg)
		if err != nil {
			return nil, err
		}
		r, err := userFormula(x.R, neg, reg, cfg)
		if err != nil {
			return nil, err
		}
		op := x.Op
		if neg { // De Morgan
			op = map[string]string{"and": "or", "or": "and"}[op]
		}
		return join(op, l, r), nil
	case *Not:
		return userFormula(x.X, !neg, reg, cfg)
	case *ValuePath:
		return valuePathFormula(x, neg, reg, cfg)
	case *Compare:
		return compareFormula(x, x.Path, neg, reg, cfg)
	}
	return nil, Errorf(http.StatusBadRequest, InvalidFilter, "unexpected filter")
}

// valuePathFormula translates attr[filter] for the multi-valued attributes
// Roster keeps as single fields: emails (one, of type work) and
// phoneNumbers (mobile and home).
func valuePathFormula(vp *ValuePath, neg bool, reg *roster.Registry, cfg Config) (*formula, error) {
	attr := strings.ToLower(vp.Path.Attr)
	if attr != "emails" && attr != "phonenumbers" {
		return nil, Errorf(http.StatusBadRequest, InvalidFilter, "%s[...] cannot be answered by the index (emails[...] and phoneNumbers[...] can)", vp.Path)
	}
	var conds []*Compare
	var walk func(Expr) error
	walk = func(e Expr) error {
		switch x := e.(type) {
		case *Logical:
			if x.Op == "and" {
				if err := walk(x.L); err != nil {
					return err
				}
				return walk(x.R)
			}
		case *Compare:
			conds = append(conds, x)
			return nil
		}
		return Errorf(http.StatusBadRequest, InvalidFilter, "inside %s[...] only comparisons joined by and can be answered by the index", vp.Path.Attr)
	}
	if err := walk(vp.Filter); err != nil {
		return nil, err
	}
	phoneField := ""
	var values []*Compare
	for _, c := range conds {
		switch strings.ToLower(c.Path.Attr) {
		case "type":
			t, _ := c.Value.(string)
			t = strings.ToLower(t)
			switch {
			case c.Op != "eq":
				return nil, Errorf(http.StatusBadRequest, InvalidFilter, "%s[type %s ...]: only type eq can be answered", vp.Path.Attr, c.Op)
			case attr == "emails" && t != "work":
				return nil, Errorf(http.StatusBadRequest, InvalidFilter, "emails[type eq %q]: Roster keeps one email, of type work", t)
			case attr == "phonenumbers" && t == "mobile":
				phoneField = "mobile_phone"
			case attr == "phonenumbers" && t == "home":
				phoneField = "home_phone"
			case attr == "phonenumbers":
				return nil, Errorf(http.StatusBadRequest, InvalidFilter, "phoneNumbers[type eq %q]: Roster keeps mobile and home numbers", t)
			}
		case "primary":
			if attr != "emails" || c.Op != "eq" || c.Value != true {
				return nil, Errorf(http.StatusBadRequest, InvalidFilter, "%s[primary ...]: only emails[primary eq true] can be answered", vp.Path.Attr)
			}
		case "value":
			values = append(values, c)
		default:
			return nil, Errorf(http.StatusBadRequest, InvalidFilter, "%s.%s cannot be answered by the index", vp.Path.Attr, c.Path.Attr)
		}
	}
	if len(values) == 0 {
		values = []*Compare{{Path: Path{Attr: "value"}, Op: "pr"}}
	}
	var out *formula
	for _, c := range values {
		p := Path{URI: vp.Path.URI, Attr: vp.Path.Attr, Sub: "value"}
		var f *formula
		var err error
		if phoneField != "" {
			f, err = fieldFormula(c, p, []string{phoneField}, neg, reg)
		} else {
			f, err = compareFormula(c, p, neg, reg, cfg)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case out == nil:
			out = f
		case neg:
			out = join("or", out, f)
		default:
			out = join("and", out, f)
		}
	}
	return out, nil
}

// userFields returns the Roster fields a User attribute path stands for:
// one, or for phoneNumbers.value two (either matches).
func userFields(p Path, reg *roster.Registry, cfg Config) ([]string, error) {
	a, sub := strings.ToLower(p.Attr), strings.ToLower(p.Sub)
	unknown := func() ([]string, error) {
		return nil, Errorf(http.StatusBadRequest, InvalidFilter, "%s cannot be answered by the index: Roster does not keep it as a searchable field", p)
	}
	custom := func(key string) ([]string, error) {
		if f, ok := reg.Field(key); ok && !f.Builtin && f.Filterable {
			return []string{key}, nil
		}
		return unknown()
	}
	switch {
	case strings.EqualFold(p.URI, SchemaRoster):
		if sub != "" {
			return unknown()
		}
		return custom(p.Attr)
	case strings.EqualFold(p.URI, SchemaEnterprise):
		for attr, key := range enterpriseFields {
			if strings.EqualFold(attr, p.Attr) && (sub == "" || (attr == "manager" && sub == "value")) {
				return custom(key)
			}
		}
		return unknown()
	case p.URI != "" && !strings.EqualFold(p.URI, SchemaUser):
		return unknown()
	}
	switch a + "." + sub {
	case "id.":
		return []string{"id"}, nil
	case "username.":
		return []string{cfg.UserNameField()}, nil
	case "externalid.":
		return []string{"client_id"}, nil
	case "name.givenname":
		return []string{"first_name"}, nil
	case "name.familyname":
		return []string{"last_name"}, nil
	case "emails.", "emails.value":
		return []string{"email"}, nil
	case "phonenumbers.", "phonenumbers.value":
		return []string{"mobile_phone", "home_phone"}, nil
	case "meta.created":
		return []string{"created_at"}, nil
	case "meta.lastmodified":
		return []string{"updated_at"}, nil
	case "addresses.":
		return []string{"addresses"}, nil
	}
	if attr, ok := extraAttr(p.Attr); ok && sub == "" {
		return custom(extraCoreFields[attr])
	}
	return unknown()
}

// compareFormula translates one comparison.
func compareFormula(c *Compare, p Path, neg bool, reg *roster.Registry, cfg Config) (*formula, error) {
	if strings.EqualFold(p.Attr, "active") && p.Sub == "" && (p.URI == "" || strings.EqualFold(p.URI, SchemaUser)) {
		// active is "not banned".
		b, ok := c.Value.(bool)
		switch {
		case c.Op == "pr":
			if neg {
				return nil, Errorf(http.StatusBadRequest, InvalidFilter, "not (active pr) matches no user; Roster users always have active")
			}
			return &formula{lit: lit{cond: query.Cond{Field: "status", Op: query.OpNotEmpty, Pos: -1}, what: "active pr"}}, nil
		case !ok || (c.Op != "eq" && c.Op != "ne"):
			return nil, Errorf(http.StatusBadRequest, InvalidFilter, "active takes eq or ne with true or false")
		}
		banned := !b
		if c.Op == "ne" {
			banned = !banned
		}
		cond := query.Cond{Field: "status", Op: query.OpEq, Values: []string{string(roster.StatusBanned)}, Negate: banned == neg, Pos: -1}
		return &formula{lit: lit{cond: cond, what: "active " + c.Op}}, nil
	}
	keys, err := userFields(p, reg, cfg)
	if err != nil {
		return nil, err
	}
	return fieldFormula(c, p, keys, neg, reg)
}

// fieldFormula compares Roster fields keys (any of them matching) as c asks.
func fieldFormula(c *Compare, p Path, keys []string, neg bool, reg *roster.Registry) (*formula, error) {
	what := p.String() + " " + c.Op
	var op query.Op
	negate := false
	switch c.Op {
	case "eq":
		op = query.OpEq
	case "ne":
		op, negate = query.OpEq, true
	case "co":
		op = query.OpContains
	case "sw":
		op = query.OpPrefix
	case "ew":
		op = query.OpSuffix
	case "gt":
		op = query.OpGt
	case "ge":
		op = query.OpGe
	case "lt":
		op = query.OpLt
	case "le":
		op = query.OpLe
	case "pr":
		op = query.OpNotEmpty
	default:
		return nil, Errorf(http.StatusBadRequest, InvalidFilter, "%s: unknown operator", what)
	}
	var values []string
	switch v := c.Value.(type) {
	case nil:
		if c.Op != "pr" {
			if op != query.OpEq {
				return nil, Errorf(http.StatusBadRequest, InvalidFilter, "%s null: only eq and ne compare with null", what)
			}
			op = query.OpEmpty
		}
	case string:
		if v == "" && op == query.OpEq {
			op = query.OpEmpty
		} else {
			values = []string{v}
		}
	case bool:
		values = []string{strconv.FormatBool(v)}
	case float64:
		values = []string{strconv.FormatFloat(v, 'f', -1, 64)}
	}
	for _, k := range keys {
		if k == "id" || k == "email" || k == "client_id" {
			continue
		}
		if f, ok := reg.Field(k); ok && f.Type == roster.TypeTimestamp && len(values) == 1 {
			// SCIM compares instants; a plain day would be read as that day.
			if _, err := time.Parse(time.RFC3339, values[0]); err != nil {
				return nil, Errorf(http.StatusBadRequest, InvalidFilter, "%s: %s is not an RFC 3339 date-time", what, strconv.Quote(values[0]))
			}
		}
	}
	n := negate != neg
	var out *formula
	for _, k := range keys {
		l := &formula{lit: lit{cond: query.Cond{Field: k, Op: op, Values: values, Negate: n, Pos: -1}, what: what}}
		switch {
		case out == nil:
			out = l
		case n:
			out = join("and", out, l) // not (a or b)
		default:
			out = join("or", out, l)
		}
	}
	return out, nil
}
