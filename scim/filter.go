package scim

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Path names an attribute: an optional schema URI, the attribute and an
// optional sub-attribute, as in
// "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName". Names keep
// the case they were written in; they are compared case-insensitively.
type Path struct {
	URI  string
	Attr string
	Sub  string
}

// String writes p back in SCIM syntax.
func (p Path) String() string {
	s := p.Attr
	if p.Sub != "" {
		s += "." + p.Sub
	}
	if p.URI != "" {
		s = p.URI + ":" + s
	}
	return s
}

// Expr is a parsed filter: a *Compare, *Logical, *Not or *ValuePath.
type Expr interface{ expr() }

// Compare is "attrPath op value", or "attrPath pr" (Value nil).
type Compare struct {
	Path  Path
	Op    string // eq ne co sw ew gt ge lt le pr, lower case
	Value any    // string, float64, bool or nil (null)
}

// Logical is "X and Y" or "X or Y".
type Logical struct {
	Op   string // "and" or "or"
	L, R Expr
}

// Not is "not (X)".
type Not struct{ X Expr }

// ValuePath is "attr[filter]": some value of the multi-valued attr matches
// Filter, whose paths are relative to that value.
type ValuePath struct {
	Path   Path // URI and Attr; Sub empty
	Filter Expr
}

func (*Compare) expr()   {}
func (*Logical) expr()   {}
func (*Not) expr()       {}
func (*ValuePath) expr() {}

// MaxFilterLen bounds a filter's text.
const MaxFilterLen = 4096

// maxDepth bounds the nesting of a filter, so that a hostile one cannot
// exhaust the stack.
const maxDepth = 50

var compareOps = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true, "gt": true, "ge": true, "lt": true, "le": true}

// ParseFilter parses a filter (RFC 7644 §3.4.2.2): comparisons (eq ne co
// sw ew gt ge lt le pr), and, or, not, grouping with parentheses and value
// paths (emails[type eq "work"]). "emails[type eq "work"].value eq X" is
// read as "emails[type eq "work" and value eq X]". Errors are invalidFilter.
func ParseFilter(s string) (Expr, error) {
	if len(s) > MaxFilterLen {
		return nil, Errorf(400, InvalidFilter, "the filter is longer than %d bytes", MaxFilterLen)
	}
	p := &parser{src: s}
	if err := p.lex(); err != nil {
		return nil, err
	}
	if len(p.toks) == 0 {
		return nil, Errorf(400, InvalidFilter, "the filter is empty")
	}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, p.errAt(p.toks[p.i], "unexpected %s", p.toks[p.i].text)
	}
	return e, nil
}

// ParsePath parses a PATCH path: attrPath, or valuePath with an optional
// sub-attribute ("emails[type eq "work"].value", "members[value eq "2"]").
// filter is nil when the path has no brackets. Errors are invalidPath.
func ParsePath(s string) (path Path, filter Expr, err error) {
	fail := func(format string, args ...any) (Path, Expr, error) {
		return Path{}, nil, Errorf(400, InvalidPath, "path %s: "+format, append([]any{strconv.Quote(s)}, args...)...)
	}
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxFilterLen {
		return fail("must be an attribute path")
	}
	open := strings.IndexByte(s, '[')
	if open < 0 {
		pt, ok := splitPath(s)
		if !ok {
			return fail("is not an attribute path")
		}
		return pt, nil, nil
	}
	end := strings.LastIndexByte(s, ']')
	if end < open {
		return fail("has an unclosed [")
	}
	pt, ok := splitPath(s[:open])
	if !ok || pt.Sub != "" {
		return fail("is not an attribute path before [")
	}
	f, perr := ParseFilter(s[open+1 : end])
	if perr != nil {
		return fail("%s", perr.(*Error).Detail)
	}
	rest := s[end+1:]
	if rest != "" {
		if !strings.HasPrefix(rest, ".") || !validName(rest[1:]) {
			return fail("%s after ] is not a sub-attribute", strconv.Quote(rest))
		}
		pt.Sub = rest[1:]
	}
	return pt, f, nil
}

// token is one lexeme: a bracket, a string (quoted) or a word.
type token struct {
	text   string
	pos    int
	str    bool   // a JSON string; val holds its value
	val    string // the decoded string
	punct  byte   // ( ) [ ]
	follow bool   // a word starting with "." right after "]"
}

type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return Errorf(400, InvalidFilter, "at byte %d: "+format, append([]any{t.pos}, args...)...)
}

func (p *parser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
		case '(', ')', '[', ']':
			p.toks = append(p.toks, token{text: string(c), pos: i, punct: c})
			i++
		case '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return Errorf(400, InvalidFilter, "at byte %d: the string is not closed", i)
			}
			var v string
			if err := json.Unmarshal([]byte(s[i:j+1]), &v); err != nil {
				return Errorf(400, InvalidFilter, "at byte %d: the string %s is not valid (JSON escapes only)", i, s[i:j+1])
			}
			p.toks = append(p.toks, token{text: s[i : j+1], pos: i, str: true, val: v})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()[]\"", rune(s[j])) {
				j++
			}
			if j == i {
				r, _ := utf8.DecodeRuneInString(s[i:])
				return Errorf(400, InvalidFilter, "at byte %d: unexpected %q", i, r)
			}
			follow := len(p.toks) > 0 && p.toks[len(p.toks)-1].punct == ']' && s[i] == '.' && p.toks[len(p.toks)-1].pos == i-1
			p.toks = append(p.toks, token{text: s[i:j], pos: i, follow: follow})
			i = j
		}
	}
	return nil
}

func (p *parser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

func (p *parser) keyword(k string) bool {
	t, ok := p.peek()
	return ok && !t.str && t.punct == 0 && strings.EqualFold(t.text, k)
}

func (p *parser) end() error {
	return Errorf(400, InvalidFilter, "at byte %d: the filter ends too soon", len(p.src))
}

// or := and ("or" and)*
func (p *parser) or(depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, Errorf(400, InvalidFilter, "the filter is nested more than %d deep", maxDepth)
	}
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		p.i++
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = &Logical{Op: "or", L: l, R: r}
	}
	return l, nil
}

// and := unary ("and" unary)*
func (p *parser) and(depth int) (Expr, error) {
	l, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		p.i++
		r, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		l = &Logical{Op: "and", L: l, R: r}
	}
	return l, nil
}

// unary := "not" "(" or ")" | "(" or ")" | attrExp | valuePath
func (p *parser) unary(depth int) (Expr, error) {
	t, ok := p.peek()
	if !ok {
		return nil, p.end()
	}
	if p.keyword("not") {
		if p.i+1 < len(p.toks) && p.toks[p.i+1].punct == '(' {
			p.i++
			x, err := p.group(depth)
			if err != nil {
				return nil, err
			}
			return &Not{X: x}, nil
		}
	}
	if t.punct == '(' {
		return p.group(depth)
	}
	if t.str || t.punct != 0 {
		return nil, p.errAt(t, "expected an attribute, got %s", t.text)
	}
	p.i++
	path, ok := splitPath(t.text)
	if !ok {
		return nil, p.errAt(t, "%s is not an attribute path", strconv.Quote(t.text))
	}
	if n, ok := p.peek(); ok && n.punct == '[' {
		if path.Sub != "" {
			return nil, p.errAt(n, "[ must follow an attribute, not a sub-attribute")
		}
		p.i++
		f, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		c, ok := p.peek()
		if !ok || c.punct != ']' {
			return nil, Errorf(400, InvalidFilter, "at byte %d: [ is not closed", n.pos)
		}
		p.i++
		vp := &ValuePath{Path: path, Filter: f}
		if s, ok := p.peek(); ok && s.follow {
			// emails[type eq "work"].value eq "x"
			p.i++
			sub := s.text[1:]
			if !validName(sub) {
				return nil, p.errAt(s, "%s is not a sub-attribute", strconv.Quote(s.text))
			}
			cmp, err := p.comparison(Path{Attr: sub}, s)
			if err != nil {
				return nil, err
			}
			vp.Filter = &Logical{Op: "and", L: f, R: cmp}
		}
		return vp, nil
	}
	return p.comparison(path, t)
}

// comparison reads "op value" or "pr" after the path read from at.
func (p *parser) comparison(path Path, at token) (Expr, error) {
	o, ok := p.peek()
	if !ok {
		return nil, p.end()
	}
	if o.str || o.punct != 0 {
		return nil, p.errAt(o, "expected an operator after %s, got %s", path, o.text)
	}
	op := strings.ToLower(o.text)
	p.i++
	if op == "pr" {
		return &Compare{Path: path, Op: "pr"}, nil
	}
	if !compareOps[op] {
		return nil, p.errAt(o, "%s is not an operator (use eq, ne, co, sw, ew, gt, ge, lt, le or pr)", strconv.Quote(o.text))
	}
	v, ok := p.peek()
	if !ok {
		return nil, p.end()
	}
	if v.punct != 0 {
		return nil, p.errAt(v, "expected a value after %s, got %s", o.text, v.text)
	}
	p.i++
	if v.str {
		return &Compare{Path: path, Op: op, Value: v.val}, nil
	}
	switch strings.ToLower(v.text) {
	case "true":
		return &Compare{Path: path, Op: op, Value: true}, nil
	case "false":
		return &Compare{Path: path, Op: op, Value: false}, nil
	case "null":
		return &Compare{Path: path, Op: op, Value: nil}, nil
	}
	n, err := strconv.ParseFloat(v.text, 64)
	if err != nil || strings.ContainsAny(v.text, "xXpP_") || strings.EqualFold(v.text, "nan") || strings.Contains(strings.ToLower(v.text), "inf") {
		return nil, p.errAt(v, "%s is not a value (use a \"string\", a number, true, false or null)", v.text)
	}
	return &Compare{Path: path, Op: op, Value: n}, nil
}

// group reads "(" or ")".
func (p *parser) group(depth int) (Expr, error) {
	open := p.toks[p.i]
	p.i++
	x, err := p.or(depth + 1)
	if err != nil {
		return nil, err
	}
	c, ok := p.peek()
	if !ok || c.punct != ')' {
		return nil, Errorf(400, InvalidFilter, "at byte %d: ( is not closed", open.pos)
	}
	p.i++
	return x, nil
}

// splitPath reads [URI ":"] ATTRNAME ["." subAttr].
func splitPath(s string) (Path, bool) {
	var pt Path
	rest := s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		pt.URI, rest = s[:i], s[i+1:]
		if !strings.HasPrefix(strings.ToLower(pt.URI), "urn:") {
			return Path{}, false
		}
	}
	name, sub, dotted := strings.Cut(rest, ".")
	if !validName(name) || (dotted && !validName(sub)) {
		return Path{}, false
	}
	pt.Attr, pt.Sub = name, sub
	return pt, true
}

// validName: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT /
// ALPHA; "$ref" is allowed too.
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !alpha && (i == 0 || (c != '-' && c != '_' && (c < '0' || c > '9'))) {
			return false
		}
	}
	return true
}
