package query

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Hint is advice on a filter that is valid but likely not what its author
// meant: the page shows it under the search box, the API beside the
// results.
type Hint struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Suggest is a condition to write instead, in the text form; "" when
	// there is none.
	Suggest string `json:"suggest,omitempty"`
}

// boundHints advises on each ordered field where a condition bounded
// below (> or >=) and one bounded above (< or <=) combine with OR, as
// conditions on one field do: "points:>5 points:<10" matches every user
// with points, not those between 5 and 10. conds are the group's
// conditions, preds their compiled predicates, in the same order.
func boundHints(conds []Cond, preds []Pred) *Hint {
	lo, hi := -1, -1
	for i, c := range conds {
		if preds[i].Kind != KindOrdered || len(c.Values) != 1 {
			continue
		}
		switch c.Op {
		case OpGt, OpGe:
			if lo < 0 {
				lo = i
			}
		case OpLt, OpLe:
			if hi < 0 {
				hi = i
			}
		}
	}
	if lo < 0 || hi < 0 {
		return nil
	}
	var all []Range
	for _, p := range preds {
		all = append(all, p.Ranges...)
	}
	key := preds[0].Field.Key
	text := func(c Cond) string {
		var b strings.Builder
		writeCond(&b, c)
		return b.String()
	}
	what := "a user matches either one"
	if coversAll(all) {
		what = "together they match every user with a value"
	}
	from, to := conds[lo].Values[0], conds[hi].Values[0]
	if preds[lo].Ranges[0].Lo > preds[hi].Ranges[0].Hi {
		from, to = to, from
	}
	suggest := text(Cond{Field: key, Op: OpBetween, Values: []string{from, to}})
	return &Hint{
		Field: key,
		Message: text(conds[lo]) + " and " + text(conds[hi]) + " are conditions on one field, so they combine with OR: " +
			what + ". For the values between them, write " + suggest + " (both ends included).",
		Suggest: suggest,
	}
}

// coversAll reports whether the union of rs holds every value: every
// user with a value matches.
func coversAll(rs []Range) bool {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b Range) int {
		if c := cmp.Compare(a.Lo, b.Lo); c != 0 {
			return c
		}
		if a.LoIncl == b.LoIncl {
			return 0
		}
		if a.LoIncl {
			return -1
		}
		return 1
	})
	// Covered so far: everything up to reach (reach itself when incl);
	// -Inf is never a value.
	reach, incl := math.Inf(-1), true
	for _, r := range rs {
		if r.Lo > reach || (r.Lo == reach && !r.LoIncl && !incl) {
			return false
		}
		if r.Hi > reach {
			reach, incl = r.Hi, r.HiIncl
		} else if r.Hi == reach {
			incl = incl || r.HiIncl
		}
	}
	return math.IsInf(reach, 1)
}

// Apply returns f with h's advice taken: the field's conditions bounded
// on one side (>, >=, <, <=) replaced by the suggested range.
func (h Hint) Apply(f Filter) Filter {
	if h.Suggest == "" {
		return f
	}
	s, err := Parse(h.Suggest)
	if err != nil || len(s.Conds) != 1 {
		return f
	}
	out := Filter{Words: f.Words, WordPos: f.WordPos}
	placed := false
	for _, c := range f.Conds {
		bound := c.Op == OpGt || c.Op == OpGe || c.Op == OpLt || c.Op == OpLe
		if !c.Negate && bound && strings.EqualFold(c.Field, h.Field) {
			if !placed {
				out.Conds = append(out.Conds, s.Conds[0])
				placed = true
			}
			continue
		}
		out.Conds = append(out.Conds, c)
	}
	return out
}
