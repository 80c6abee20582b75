package deliver

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"roster"
)

//go:embed templates
var templateFS embed.FS

// Ensure Renderer implements the domain interface.
var _ roster.MailRenderer = (*Renderer)(nil)

// Renderer renders Roster's messages from the templates embedded in the
// binary: for each template name, name.txt (text/template) defines its
// "subject" and "text", and name.html (html/template, inside layout.html)
// its "body". Values are escaped for HTML in the HTML part.
type Renderer struct {
	ProductName string
	publicURL   *url.URL
	text        map[string]*texttemplate.Template
	html        map[string]*htmltemplate.Template
}

// templateNames lists the messages Roster sends.
var templateNames = []string{roster.TemplateInvite, roster.TemplateResetPassword}

// NewRenderer returns a renderer whose links start with publicURL (an
// absolute http or https URL) and whose messages carry productName
// ("Roster" when empty).
func NewRenderer(productName, publicURL string) (*Renderer, error) {
	u, err := ParsePublicURL(publicURL)
	if err != nil {
		return nil, err
	}
	if productName == "" {
		productName = "Roster"
	}
	r := &Renderer{ProductName: productName, publicURL: u, text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, name := range templateNames {
		t, err := texttemplate.New(name).Option("missingkey=error").ParseFS(templateFS, "templates/"+name+".txt")
		if err != nil {
			return nil, fmt.Errorf("mail template %s: %w", name, err)
		}
		h, err := htmltemplate.New(name).Option("missingkey=error").ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("mail template %s: %w", name, err)
		}
		r.text[name], r.html[name] = t, h
	}
	return r, nil
}

// ParsePublicURL checks the base of every link in a message: an absolute
// http or https URL without query or fragment. Its trailing slash is
// dropped.
func ParsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("public URL %q: want an http or https address such as https://roster.example.com", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// PublicURL returns the base of the links, without a trailing slash.
func (r *Renderer) PublicURL() string { return r.publicURL.String() }

// MessageIDDomain is the public URL's host, without its port.
func (r *Renderer) MessageIDDomain() string { return r.publicURL.Hostname() }

// RenderMail renders the message of template name.
func (r *Renderer) RenderMail(name string, d roster.MailData) (roster.RenderedMail, error) {
	t, h := r.text[name], r.html[name]
	if t == nil || h == nil {
		return roster.RenderedMail{}, roster.Errorf(roster.EINVALID, "There is no mail template %q.", name)
	}
	d.ProductName = r.ProductName
	if d.LinkPath != "" {
		d.Link = r.publicURL.String() + d.LinkPath
	}
	if d.UnsubscribePath != "" {
		d.Unsubscribe = r.publicURL.String() + d.UnsubscribePath
	}
	var subj, text, html bytes.Buffer
	if err := t.ExecuteTemplate(&subj, "subject", d); err != nil {
		return roster.RenderedMail{}, fmt.Errorf("mail template %s: %w", name, err)
	}
	if err := t.ExecuteTemplate(&text, "text", d); err != nil {
		return roster.RenderedMail{}, fmt.Errorf("mail template %s: %w", name, err)
	}
	if err := h.ExecuteTemplate(&html, "layout", d); err != nil {
		return roster.RenderedMail{}, fmt.Errorf("mail template %s: %w", name, err)
	}
	// A subject is one line, whatever a name put in it.
	subject := strings.Join(strings.Fields(subj.String()), " ")
	body := strings.TrimLeft(text.String(), "\n")
	if d.Unsubscribe != "" {
		// Every message that is not transactional says how to leave, in
		// both parts (the layout's footer does in HTML).
		body = strings.TrimRight(body, "\n") + "\n\n-- \nUnsubscribe: " + d.Unsubscribe + "\n"
	}
	return roster.RenderedMail{Subject: subject, Text: body, HTML: html.String(), UnsubscribeURL: d.Unsubscribe}, nil
}
