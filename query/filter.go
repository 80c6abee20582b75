// Package query is Roster's one filter language. A Filter comes from the
// text form (the search box, the q= parameter) or the JSON form (the API,
// saved segments); Compile validates it against the field registry and turns
// it into a Plan with typed values and the semantics both executors follow
// (plan.go): the query index runs plans in memory, the store (sqldb) compiles
// them to SQL, the oracle the index is tested against. This package parses,
// validates and plans; it knows no column, time encoding or SQL dialect.
//
// Semantics: conditions on different fields combine with AND; several
// conditions on the same field combine with OR; negated conditions are
// each ANDed as exclusions. Bare words are keyword search: every word must
// occur, case- and accent-insensitively, in the user's name, email, phones
// or text profile fields.
package query

// Op is a condition's operator.
type Op string

// Operators. Which ones a field accepts depends on its type.
const (
	OpEq       Op = "eq"        // equals any of Values; sets: has any of Values
	OpAll      Op = "all"       // sets: has all of Values
	OpContains Op = "contains"  // text: contains any of Values
	OpPrefix   Op = "starts"    // text: starts with any of Values
	OpSuffix   Op = "ends"      // text: ends with any of Values
	OpLt       Op = "lt"        // ordered types: below Values[0]
	OpLe       Op = "le"        // at most
	OpGt       Op = "gt"        // above
	OpGe       Op = "ge"        // at least
	OpBetween  Op = "between"   // from Values[0] to Values[1], both included
	OpEmpty    Op = "empty"     // has no value
	OpNotEmpty Op = "not_empty" // has a value
)

// Ops lists every operator.
var Ops = []Op{OpEq, OpAll, OpContains, OpPrefix, OpSuffix, OpLt, OpLe, OpGt, OpGe, OpBetween, OpEmpty, OpNotEmpty}

// Cond is one condition on one field. Values are in their text form, as a
// person types them ("2025-03-01", "5000", "FR"); Compile types them.
type Cond struct {
	Field  string   `json:"field"`
	Op     Op       `json:"op"`
	Values []string `json:"values,omitempty"`
	Negate bool     `json:"negate,omitempty"`
	// Pos is the byte offset of the condition in the text it was parsed
	// from, for error messages; -1 when it did not come from text.
	Pos int `json:"-"`
}

// Filter is a parsed, not yet validated, filter: keyword words and
// conditions.
type Filter struct {
	Words []string `json:"words,omitempty"`
	Conds []Cond   `json:"conditions,omitempty"`
	// WordPos holds the byte offset of each word in the text form.
	WordPos []int `json:"-"`
}

// IsZero reports whether f matches every user.
func (f Filter) IsZero() bool { return len(f.Words) == 0 && len(f.Conds) == 0 }
