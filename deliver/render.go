package deliver

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"roster"
)

//go:embed templates
var templateFS embed.FS

// Ensure Renderer implements the domain interfaces.
var (
	_ roster.MailRenderer        = (*Renderer)(nil)
	_ roster.MailTemplateChecker = (*Renderer)(nil)
)

// Renderer renders Roster's messages. Each template of roster.MailTemplates
// has a default embedded in the binary: name.txt (text/template) defines
// its "subject" and "text", name.html (html/template, inside layout.html)
// its "body". Staff may store an edited version of each (a Store); the
// product's name and the sender come from the stored mail settings, or the
// configuration's when none are set. A template sees only the variables
// its row documents; values are escaped for HTML in the HTML part.
type Renderer struct {
	// Fallback holds the configuration's settings (the --mail-from flag,
	// the name "Roster"): what a setting left empty takes.
	Fallback  roster.MailSettings
	publicURL *url.URL
	layout    *htmltemplate.Template
	defaults  map[string]*compiled
	sources   map[string]roster.MailTemplateSource

	store      Store
	ttl        time.Duration
	mu         sync.Mutex
	state      *state // nil: load on next use
	refreshing bool   // a background read of the store is under way
}

// Store is where the renderer reads the mail settings and the edited
// templates.
type Store interface {
	MailSettings(ctx context.Context) (roster.MailSettings, error)
	FindMailTemplates(ctx context.Context) ([]*roster.MailTemplateOverride, error)
}

// state is what the renderer read from its store, and when.
type state struct {
	at       time.Time
	settings roster.MailSettings // with the fallback's values filled in
	edited   map[string]*edited
}

// edited is a stored override, compiled, or why it cannot be.
type edited struct {
	src roster.MailTemplateSource
	c   *compiled
	err error
}

// NewRenderer returns a renderer whose links start with publicURL (an
// absolute http or https URL) and whose messages carry productName
// ("Roster" when empty) until stored settings say otherwise. It fails when
// a template of roster.MailTemplates has no default files, or a default
// does not pass the checks edited templates must pass.
func NewRenderer(productName, publicURL string) (*Renderer, error) {
	u, err := ParsePublicURL(publicURL)
	if err != nil {
		return nil, err
	}
	if productName == "" {
		productName = roster.DefaultProductName
	}
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{Fallback: roster.MailSettings{ProductName: productName}, publicURL: u,
		defaults: map[string]*compiled{}, sources: map[string]roster.MailTemplateSource{}}
	if r.layout, err = htmltemplate.New("layout").Option("missingkey=error").Parse(string(layout)); err != nil {
		return nil, fmt.Errorf("mail layout: %w", err)
	}
	for _, info := range roster.MailTemplates {
		src, err := defaultSource(info.Name)
		if err != nil {
			return nil, fmt.Errorf("mail template %s: %w", info.Name, err)
		}
		c, err := r.check(info, src)
		if err != nil {
			return nil, fmt.Errorf("default mail template %s: %w", info.Name, err)
		}
		r.defaults[info.Name], r.sources[info.Name] = c, src
	}
	return r, nil
}

// defaultSource reads the embedded default of template name as the three
// parts staff edit. The parts are the defines' parse trees written back
// out: the same template, whatever spacing the file had.
func defaultSource(name string) (roster.MailTemplateSource, error) {
	read := func(file string, defines ...string) ([]string, error) {
		b, err := fs.ReadFile(templateFS, "templates/"+file)
		if err != nil {
			return nil, err
		}
		t, err := texttemplate.New(file).Parse(string(b))
		if err != nil {
			return nil, err
		}
		var out []string
		for _, d := range defines {
			dt := t.Lookup(d)
			if dt == nil || dt.Tree == nil {
				return nil, fmt.Errorf("%s defines no %q", file, d)
			}
			out = append(out, dt.Root.String())
		}
		return out, nil
	}
	txt, err := read(name+".txt", "subject", "text")
	if err != nil {
		return roster.MailTemplateSource{}, err
	}
	html, err := read(name+".html", "body")
	if err != nil {
		return roster.MailTemplateSource{}, err
	}
	return roster.MailTemplateSource{Subject: txt[0], Text: strings.TrimLeft(txt[1], "\n"), HTML: strings.TrimLeft(html[0], "\n")}, nil
}

// UseStore makes the renderer read the mail settings and edited templates
// from s, at most about ttl old (0: 5 seconds): a change made on another
// node applies within ttl, one made through this process's Invalidate at
// once.
func (r *Renderer) UseStore(s Store, ttl time.Duration) {
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	r.mu.Lock()
	r.store, r.ttl, r.state = s, ttl, nil
	r.mu.Unlock()
}

// Invalidate reads the store again now: a setting or a template was just
// saved. Call it outside any transaction. When the store cannot be read,
// the next message reads it.
func (r *Renderer) Invalidate() {
	if _, err := r.load(context.Background()); err != nil {
		r.mu.Lock()
		r.state = nil
		r.mu.Unlock()
	}
}

// current returns what the store holds. Messages are rendered inside their
// cause's transaction, so a render never waits on the store once it has
// been read: a state older than the TTL is still used while one goroutine
// reads the store again in the background. Only the first render reads
// it in line.
func (r *Renderer) current(ctx context.Context) (*state, error) {
	r.mu.Lock()
	st := r.state
	if r.store == nil {
		r.mu.Unlock()
		return &state{settings: r.Fallback.Or(roster.MailSettings{ProductName: roster.DefaultProductName})}, nil
	}
	if st != nil {
		if time.Since(st.at) >= r.ttl && !r.refreshing {
			r.refreshing = true
			go r.refresh()
		}
		r.mu.Unlock()
		return st, nil
	}
	r.mu.Unlock()
	return r.load(ctx)
}

// refresh reads the store in the background.
func (r *Renderer) refresh() {
	defer func() {
		r.mu.Lock()
		r.refreshing = false
		r.mu.Unlock()
	}()
	_, _ = r.load(context.Background()) // on failure the state in hand stays; the next render tries again
}

// load reads the store and makes its state current, unless a read that
// started later got there first. Edited templates are compiled again only
// when their text changed.
func (r *Renderer) load(ctx context.Context) (*state, error) {
	r.mu.Lock()
	store, prev := r.store, r.state
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st := &state{at: time.Now(), edited: map[string]*edited{}}
	set, err := store.MailSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("mail settings: %w", err)
	}
	overrides, err := store.FindMailTemplates(ctx)
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	st.settings = set.Or(r.Fallback).Or(roster.MailSettings{ProductName: roster.DefaultProductName})
	for _, o := range overrides {
		info, ok := roster.FindMailTemplate(o.Name)
		if !ok {
			continue // a template this version no longer sends
		}
		if prev != nil && prev.edited[o.Name] != nil && prev.edited[o.Name].src == o.Source {
			st.edited[o.Name] = prev.edited[o.Name]
			continue
		}
		e := &edited{src: o.Source}
		e.c, e.err = r.compile(info, o.Source)
		st.edited[o.Name] = e
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != nil && r.state.at.After(st.at) {
		return r.state, nil
	}
	r.state = st
	return st, nil
}

// Settings returns the mail settings in force: the stored ones, the
// configuration's where they are empty.
func (r *Renderer) Settings(ctx context.Context) (roster.MailSettings, error) {
	st, err := r.current(ctx)
	if err != nil {
		return roster.MailSettings{}, err
	}
	return st.settings, nil
}

// Sender returns the From of the messages in force, "" when none is set.
func (r *Renderer) Sender(ctx context.Context) (string, error) {
	s, err := r.Settings(ctx)
	return s.From(), err
}

// DefaultMailTemplate returns the embedded default of template name.
func (r *Renderer) DefaultMailTemplate(name string) (roster.MailTemplateSource, bool) {
	src, ok := r.sources[name]
	return src, ok
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

// RenderMail renders the message of template name: its edited version
// when staff stored one, else its default. An edited version that fails
// gives an ECONFLICT error naming the template, the part and the line, and
// no message.
func (r *Renderer) RenderMail(name string, d roster.MailData) (roster.RenderedMail, error) {
	info, ok := roster.FindMailTemplate(name)
	if !ok || r.defaults[name] == nil {
		return roster.RenderedMail{}, roster.Errorf(roster.EINVALID, "There is no mail template %q.", name)
	}
	st, err := r.current(context.Background())
	if err != nil {
		return roster.RenderedMail{}, err
	}
	c := r.defaults[name]
	if e := st.edited[name]; e != nil {
		if e.err != nil {
			return roster.RenderedMail{}, brokenTemplate(info, e.err)
		}
		c = e.c
	}
	d.ProductName = st.settings.ProductName
	if d.LinkPath != "" {
		d.Link = r.publicURL.String() + d.LinkPath
	}
	if d.UnsubscribePath != "" {
		d.Unsubscribe = r.publicURL.String() + d.UnsubscribePath
	}
	out, err := c.execute(info.Values(d), d.Unsubscribe)
	if err != nil {
		if c == r.defaults[name] {
			return roster.RenderedMail{}, fmt.Errorf("mail template %s: %w", name, err)
		}
		return roster.RenderedMail{}, brokenTemplate(info, err)
	}
	return out, nil
}

// brokenTemplate is the error of a message whose edited template fails.
func brokenTemplate(info roster.MailTemplateInfo, err error) error {
	return roster.Errorf(roster.ECONFLICT, "The %s email template, as edited in Settings → Email, cannot be rendered (%v): no message was queued. Fix the template or reset it to its default.",
		strings.ToLower(info.Label), err)
}

// Preview renders src (nil: the template in force) for template name
// with d's values, or the documented examples for the variables d leaves
// empty (d nil: all of them). The product's name is the one in force.
func (r *Renderer) Preview(ctx context.Context, name string, src *roster.MailTemplateSource, d *roster.MailData) (roster.RenderedMail, error) {
	info, ok := roster.FindMailTemplate(name)
	if !ok {
		return roster.RenderedMail{}, roster.Errorf(roster.ENOTFOUND, "There is no mail template %q.", name)
	}
	st, err := r.current(ctx)
	if err != nil {
		return roster.RenderedMail{}, err
	}
	c := r.defaults[name]
	switch e := st.edited[name]; {
	case src != nil:
		if c, err = r.check(info, *src); err != nil {
			return roster.RenderedMail{}, err
		}
	case e != nil && e.err != nil:
		return roster.RenderedMail{}, brokenTemplate(info, e.err)
	case e != nil:
		c = e.c
	}
	values := info.Sample()
	if d != nil {
		for k, v := range info.Values(*d) {
			if v != "" {
				values[k] = v
			}
		}
	}
	if _, ok := values["ProductName"]; ok {
		values["ProductName"] = st.settings.ProductName
	}
	out, err := c.execute(values, "")
	if err != nil {
		return roster.RenderedMail{}, brokenTemplate(info, err)
	}
	return out, nil
}

// execute renders the three parts with values. A message that is not
// transactional has its unsubscribe link: the layout's footer shows it in
// the HTML, and the text part ends with it.
func (c *compiled) execute(values map[string]string, unsubscribe string) (roster.RenderedMail, error) {
	values["Unsubscribe"] = unsubscribe // for the layout alone: templates may not name it
	var subj, text, html bytes.Buffer
	if err := c.subject.Execute(&subj, values); err != nil {
		return roster.RenderedMail{}, execError(roster.MailPartSubject, err)
	}
	if err := c.text.Execute(&text, values); err != nil {
		return roster.RenderedMail{}, execError(roster.MailPartText, err)
	}
	if err := c.html.ExecuteTemplate(&html, "layout", values); err != nil {
		return roster.RenderedMail{}, execError(roster.MailPartHTML, err)
	}
	// A subject is one line, whatever a name put in it.
	subject := strings.Join(strings.Fields(subj.String()), " ")
	body := strings.TrimLeft(text.String(), "\n")
	if unsubscribe != "" {
		// Every message that is not transactional says how to leave, in
		// both parts (the layout's footer does in HTML).
		body = strings.TrimRight(body, "\n") + "\n\n-- \nUnsubscribe: " + unsubscribe + "\n"
	}
	return roster.RenderedMail{Subject: subject, Text: body, HTML: html.String(), UnsubscribeURL: unsubscribe}, nil
}
