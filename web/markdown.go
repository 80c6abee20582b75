package web

import (
	"html"
	"html/template"
	"net/url"
	"strings"
)

// markdown renders the small subset of Markdown that staff notes use, as
// safe HTML: paragraphs and line breaks, bullet and numbered lists, quotes,
// code blocks, `code`, **bold**, *italic* and [links](https://...). Every
// character of the text is escaped; there is no raw HTML, and a link is
// kept only with an http, https or mailto address. A subset of our own
// rather than a Markdown library: notes need little, the whole renderer
// fits on a page and every path through it is tested (markdown_test.go),
// and it adds no dependency whose HTML we would then have to sanitise.
func markdown(src string) template.HTML {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var para []string
	list := "" // "ul" or "ol" while in a list
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>")
			for i, l := range para {
				if i > 0 {
					b.WriteString("<br>")
				}
				b.WriteString(inline(l))
			}
			b.WriteString("</p>")
			para = nil
		}
		if list != "" {
			b.WriteString("</" + list + ">")
			list = ""
		}
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			flush()
		case strings.HasPrefix(trimmed, "```"):
			flush()
			b.WriteString("<pre><code>")
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				b.WriteString(html.EscapeString(lines[i]) + "\n")
			}
			b.WriteString("</code></pre>")
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* "):
			startList(&b, &para, &list, "ul", flush)
			b.WriteString("<li>" + inline(trimmed[2:]) + "</li>")
		case orderedItem(trimmed) != "":
			startList(&b, &para, &list, "ol", flush)
			b.WriteString("<li>" + inline(orderedItem(trimmed)) + "</li>")
		case strings.HasPrefix(trimmed, "> ") || trimmed == ">":
			flush()
			b.WriteString("<blockquote>" + inline(strings.TrimSpace(strings.TrimPrefix(trimmed, ">"))) + "</blockquote>")
		case strings.HasPrefix(trimmed, "#"):
			flush()
			b.WriteString("<p><strong>" + inline(strings.TrimSpace(strings.TrimLeft(trimmed, "#"))) + "</strong></p>")
		default:
			if list != "" {
				flush()
			}
			para = append(para, trimmed)
		}
	}
	flush()
	return template.HTML(b.String()) //nolint:gosec // built from escaped text and fixed tags only
}

// startList ends a paragraph or another kind of list and opens kind.
func startList(b *strings.Builder, para *[]string, list *string, kind string, flush func()) {
	if len(*para) > 0 || (*list != "" && *list != kind) {
		flush()
	}
	if *list == "" {
		b.WriteString("<" + kind + ">")
		*list = kind
	}
}

// orderedItem returns the text of a "1. text" line, or "".
func orderedItem(s string) string {
	n := 0
	for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 || !strings.HasPrefix(s[n:], ". ") {
		return ""
	}
	return s[n+2:]
}

// inline renders the spans of one line: code, bold, italic and links;
// everything else is escaped text.
func inline(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		switch {
		case s[0] == '`':
			if end := strings.IndexByte(s[1:], '`'); end >= 0 {
				b.WriteString("<code>" + html.EscapeString(s[1:1+end]) + "</code>")
				s = s[2+end:]
				continue
			}
		case strings.HasPrefix(s, "**"):
			if end := strings.Index(s[2:], "**"); end > 0 {
				b.WriteString("<strong>" + inline(s[2:2+end]) + "</strong>")
				s = s[4+end:]
				continue
			}
		case s[0] == '*':
			if end := strings.IndexByte(s[1:], '*'); end > 0 {
				b.WriteString("<em>" + inline(s[1:1+end]) + "</em>")
				s = s[2+end:]
				continue
			}
		case s[0] == '[':
			if text, href, rest, ok := link(s); ok {
				if safeHref(href) {
					b.WriteString(`<a href="` + html.EscapeString(href) + `" rel="nofollow noopener noreferrer">` + inline(text) + "</a>")
				} else {
					b.WriteString(inline(text))
				}
				s = rest
				continue
			}
		}
		b.WriteString(html.EscapeString(s[:1]))
		s = s[1:]
	}
	return b.String()
}

// link splits "[text](href)rest".
func link(s string) (text, href, rest string, ok bool) {
	mid := strings.Index(s, "](")
	if mid < 1 {
		return "", "", "", false
	}
	end := strings.IndexByte(s[mid+2:], ')')
	if end < 0 {
		return "", "", "", false
	}
	return s[1:mid], strings.TrimSpace(s[mid+2 : mid+2+end]), s[mid+3+end:], true
}

// safeHref keeps web and mail addresses only: no javascript:, data: or
// relative links.
func safeHref(href string) bool {
	u, err := url.Parse(href)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}
