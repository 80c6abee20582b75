package deliver

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strconv"
	"strings"
	texttemplate "text/template"
	"text/template/parse"

	"roster"
)

// compiled is a template's three parts, ready to execute.
type compiled struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template // the layout, with the part as "body"
}

// CheckMailTemplate checks an edited template before it is stored: each
// part parses, names only the template's documented variables and the
// built-in functions, and renders with the sample values. The error is
// EINVALID with the part's field ("subject", "text", "html") and a message
// such as "HTML, line 3: unknown variable .Nmae".
func (r *Renderer) CheckMailTemplate(name string, src roster.MailTemplateSource) error {
	info, ok := roster.FindMailTemplate(name)
	if !ok {
		return roster.Errorf(roster.ENOTFOUND, "There is no mail template %q.", name)
	}
	_, err := r.check(info, src)
	return err
}

// check compiles src and renders it with the sample values.
func (r *Renderer) check(info roster.MailTemplateInfo, src roster.MailTemplateSource) (*compiled, error) {
	c, err := r.compile(info, src)
	if err == nil {
		_, err = c.execute(info.Sample(), "")
	}
	var te *roster.MailTemplateError
	if errors.As(err, &te) {
		return nil, &roster.Error{Code: roster.EINVALID, Message: te.Error(), Fields: map[string]string{strings.ToLower(te.Part): te.Error()}, Position: -1}
	}
	return c, err
}

// compile parses the three parts of src and checks what they name.
func (r *Renderer) compile(info roster.MailTemplateInfo, src roster.MailTemplateSource) (*compiled, error) {
	parts := []struct{ part, src string }{
		{roster.MailPartSubject, src.Subject}, {roster.MailPartText, src.Text}, {roster.MailPartHTML, src.HTML},
	}
	for _, p := range parts {
		if len(p.src) > roster.MailTemplateLimit {
			return nil, &roster.MailTemplateError{Part: p.part, Line: 1, Problem: fmt.Sprintf("is longer than %d KiB", roster.MailTemplateLimit>>10)}
		}
	}
	if strings.TrimSpace(src.Subject) == "" {
		return nil, &roster.MailTemplateError{Part: roster.MailPartSubject, Line: 1, Problem: "is empty"}
	}
	c := &compiled{}
	var err error
	if c.subject, err = parseText(info, roster.MailPartSubject, src.Subject); err != nil {
		return nil, err
	}
	if c.text, err = parseText(info, roster.MailPartText, src.Text); err != nil {
		return nil, err
	}
	// The HTML part is checked as a text template first: the same syntax,
	// and a define of its own shows there (in the layout's set it could
	// replace the layout unseen).
	if _, err := parseText(info, roster.MailPartHTML, src.HTML); err != nil {
		return nil, err
	}
	if c.html, err = r.layout.Clone(); err != nil {
		return nil, err
	}
	if _, err := c.html.New("body").Parse(src.HTML); err != nil {
		return nil, parseError(roster.MailPartHTML, err)
	}
	return c, nil
}

// parseText parses one text part and checks what it names. A define
// named as the part itself only replaces the part; any other is refused.
func parseText(info roster.MailTemplateInfo, part, src string) (*texttemplate.Template, error) {
	t, err := texttemplate.New(part).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, parseError(part, err)
	}
	return t, checkTrees(info, part, t.Tree, len(t.Templates()) > 1)
}

// errLine reads the line and the problem out of an error of text/template
// or html/template: "template: NAME:LINE[:COL]: [executing "NAME" at
// <...>: ]PROBLEM" or "html/template:NAME:LINE:COL: PROBLEM".
var errLine = regexp.MustCompile(`^(?:html/)?template: ?[^:]*:(\d+)(?::\d+)?: (?:executing "[^"]*" at <[^>]*>: )?(.*)$`)

// templateError makes a template package's error about part a
// MailTemplateError.
func templateError(part string, err error) *roster.MailTemplateError {
	msg := err.Error()
	m := errLine.FindStringSubmatch(msg)
	if m == nil {
		return &roster.MailTemplateError{Part: part, Line: 1, Problem: msg}
	}
	line, _ := strconv.Atoi(m[1])
	return &roster.MailTemplateError{Part: part, Line: line, Problem: m[2]}
}

var undefinedFunc = regexp.MustCompile(`^function ("[^"]*") not defined$`)

// parseError is templateError for a part that does not parse.
func parseError(part string, err error) error {
	te := templateError(part, err)
	if m := undefinedFunc.FindStringSubmatch(te.Problem); m != nil {
		te.Problem = "unknown function " + m[1]
	}
	return te
}

// execError is templateError for a part that fails to render. The HTML
// escaper's errors carry their line and a description.
func execError(part string, err error) error {
	var he *htmltemplate.Error
	if errors.As(err, &he) {
		te := &roster.MailTemplateError{Part: part, Line: max(he.Line, 1), Problem: he.Description}
		if he.ErrorCode == htmltemplate.ErrEndContext {
			te.Problem = "ends inside a tag, an attribute or a comment: a closing quote or > is missing"
		}
		return te
	}
	te := templateError(part, err)
	if k, ok := strings.CutPrefix(te.Problem, "map has no entry for key "); ok {
		te.Problem = "unknown variable ." + strings.Trim(k, `"`)
	}
	return te
}

// checkTrees walks a part's parse tree: every variable it names must be
// documented for the template, and it may neither define templates
// (defines tells whether it did) nor call one.
func checkTrees(info roster.MailTemplateInfo, part string, tree *parse.Tree, defines bool) error {
	if defines {
		return &roster.MailTemplateError{Part: part, Line: 1, Problem: "defines a template: {{define}} and {{block}} are not allowed"}
	}
	var walk func(n parse.Node) error
	bad := func(n parse.Node, problem string) error {
		loc, _ := tree.ErrorContext(n)
		line := 1
		if f := strings.Split(loc, ":"); len(f) >= 2 {
			line, _ = strconv.Atoi(f[1])
		}
		return &roster.MailTemplateError{Part: part, Line: line, Problem: problem}
	}
	field := func(n parse.Node, name string) error {
		if _, ok := info.Var(name); !ok {
			return bad(n, "unknown variable ."+name)
		}
		return nil
	}
	walk = func(n parse.Node) error {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Nodes {
				if err := walk(c); err != nil {
					return err
				}
			}
		case *parse.ActionNode:
			return walk(n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Cmds {
				if err := walk(c); err != nil {
					return err
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				if err := walk(a); err != nil {
					return err
				}
			}
		case *parse.FieldNode:
			return field(n, n.Ident[0])
		case *parse.VariableNode:
			if n.Ident[0] == "$" && len(n.Ident) > 1 {
				return field(n, n.Ident[1])
			}
		case *parse.ChainNode:
			return walk(n.Node)
		case *parse.IfNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.RangeNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.WithNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.TemplateNode:
			return bad(n, "includes a template: {{template}} is not allowed")
		}
		return nil
	}
	return walk(tree.Root)
}

func walkBranch(walk func(parse.Node) error, b *parse.BranchNode) error {
	for _, n := range []parse.Node{b.Pipe, b.List, b.ElseList} {
		if err := walk(n); err != nil {
			return err
		}
	}
	return nil
}
