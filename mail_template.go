package roster

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The mail templates: one description of every message Roster sends (its
// name, label, whether it is transactional, and the variables it may use).
// The renderer, the settings page, the preview's sample data and the
// validation of edited templates all read MailTemplates; adding a message
// is one row here and its default files in deliver/templates.

// MailVar is a variable a mail template may use, as {{.Name}}.
type MailVar struct {
	Name    string
	Doc     string // what it holds, in one line
	Example string // a sample value, for previews and the documentation
	// get reads the variable from a message's data.
	get func(MailData) string
}

// MailTemplateInfo describes one kind of message.
type MailTemplateInfo struct {
	Name  string // TemplateInvite, …: the template's files and the outbox's template column
	Label string // what staff read
	// Transactional messages answer something the person did or needs for
	// their account (an invite, a reset link); the others may be declined.
	Transactional bool
	Vars          []MailVar
}

// The variables, shared by the templates that use them.
var (
	mailVarProductName = MailVar{Name: "ProductName", Doc: "the product's name, from Settings → Email", Example: "Roster",
		get: func(d MailData) string { return d.ProductName }}
	mailVarName = MailVar{Name: "Name", Doc: "the recipient's name, or their email when they have none", Example: "Ada Lovelace",
		get: func(d MailData) string { return d.Name }}
	mailVarEmail = MailVar{Name: "Email", Doc: "the recipient's email address", Example: "ada@example.com",
		get: func(d MailData) string { return d.Email }}
	mailVarLink = MailVar{Name: "Link", Doc: "the single-use link the message carries (the hosted page on the public URL)", Example: "https://roster.example.com/u/invite/sample-token",
		get: func(d MailData) string { return d.Link }}
	mailVarExpires = MailVar{Name: "Expires", Doc: "how long the link works, in words", Example: "7 days",
		get: func(d MailData) string { return d.Expires }}
)

// TemplateWelcome is the message sent when an invite is accepted.
const TemplateWelcome = "welcome"

// MailTemplates lists every message Roster sends, in the order staff see
// them.
var MailTemplates = []MailTemplateInfo{
	{Name: TemplateInvite, Label: "Invitation", Transactional: true,
		Vars: []MailVar{mailVarProductName, mailVarName, mailVarEmail, mailVarLink, mailVarExpires}},
	{Name: TemplateResetPassword, Label: "Password reset", Transactional: true,
		Vars: []MailVar{mailVarProductName, mailVarName, mailVarEmail, mailVarLink, mailVarExpires}},
	{Name: TemplateConfirmEmail, Label: "Email confirmation", Transactional: true,
		Vars: []MailVar{mailVarProductName, mailVarName, mailVarEmail, mailVarLink, mailVarExpires}},
	{Name: TemplateEmailChanged, Label: "Email changed (to the old address)", Transactional: true,
		Vars: []MailVar{mailVarProductName, mailVarName, mailVarEmail}},
	{Name: TemplateWelcome, Label: "Welcome (invitation accepted)", Transactional: false,
		Vars: []MailVar{mailVarProductName, mailVarName, mailVarEmail}},
}

// FindMailTemplate returns the description of template name.
func FindMailTemplate(name string) (MailTemplateInfo, bool) {
	for _, t := range MailTemplates {
		if t.Name == name {
			return t, true
		}
	}
	return MailTemplateInfo{}, false
}

// Var returns the variable called name, if the template documents it.
func (t MailTemplateInfo) Var(name string) (MailVar, bool) {
	for _, v := range t.Vars {
		if v.Name == name {
			return v, true
		}
	}
	return MailVar{}, false
}

// Values returns what the template may use of d: its documented variables
// and nothing else, so that a template naming another fails.
func (t MailTemplateInfo) Values(d MailData) map[string]string {
	m := make(map[string]string, len(t.Vars))
	for _, v := range t.Vars {
		m[v.Name] = v.get(d)
	}
	return m
}

// Sample returns the variables' example values: what a preview without a
// user and the validation of an edited template render with.
func (t MailTemplateInfo) Sample() map[string]string {
	m := make(map[string]string, len(t.Vars))
	for _, v := range t.Vars {
		m[v.Name] = v.Example
	}
	return m
}

// MailTemplateSource is the text of a template as staff edit it: the
// subject and the text part (text/template), and the HTML part's body
// (html/template, inside the common layout).
type MailTemplateSource struct {
	Subject string
	Text    string
	HTML    string
}

// Mail template parts, as errors about a template name them.
const (
	MailPartSubject = "Subject"
	MailPartText    = "Text"
	MailPartHTML    = "HTML"
)

// MailTemplateLimit is the most bytes one part of an edited template may
// have.
const MailTemplateLimit = 64 << 10

// MailTemplateOverride is an edited template stored in place of its
// default.
type MailTemplateOverride struct {
	Name      string
	Source    MailTemplateSource
	UpdatedAt time.Time
}

// MailTemplateError is a template that cannot be used: the part, the line
// in it, and the problem. Its Error reads "HTML, line 3: unknown variable
// .Nmae".
type MailTemplateError struct {
	Part    string // MailPartSubject, MailPartText, MailPartHTML
	Line    int
	Problem string
}

func (e *MailTemplateError) Error() string {
	return e.Part + ", line " + strconv.Itoa(e.Line) + ": " + e.Problem
}

// MailTemplateChecker checks an edited template before it is stored, and
// knows the defaults.
type MailTemplateChecker interface {
	// DefaultMailTemplate returns the default of template name.
	DefaultMailTemplate(name string) (MailTemplateSource, bool)
	// CheckMailTemplate returns nil when src parses, uses only the
	// documented variables of template name and the built-in functions,
	// and renders with the sample values; else an EINVALID error whose
	// fields name the part ("subject", "text", "html") and whose message
	// is the MailTemplateError's.
	CheckMailTemplate(name string, src MailTemplateSource) error
}

// MailSettings are what every message carries: the product's name and the
// sender. An empty field takes the value of the configuration (the
// --mail-from flag, the name "Roster").
type MailSettings struct {
	ProductName string
	FromName    string
	FromAddress string
}

// DefaultProductName is the product's name in messages when none is set.
const DefaultProductName = "Roster"

// Or returns s with its empty fields taken from fallback.
func (s MailSettings) Or(fallback MailSettings) MailSettings {
	if s.ProductName == "" {
		s.ProductName = fallback.ProductName
	}
	if s.FromAddress == "" {
		s.FromAddress, s.FromName = fallback.FromAddress, fallback.FromName
	} else if s.FromName == "" {
		s.FromName = fallback.FromName
	}
	return s
}

// From returns the sender as a From header ("Acme <roster@acme.example>"),
// or "" when there is no address.
func (s MailSettings) From() string {
	if s.FromAddress == "" {
		return ""
	}
	return (&mail.Address{Name: s.FromName, Address: s.FromAddress}).String()
}

// ParseMailFrom reads a sender as the --mail-from flag gives it: "Name
// <address>" or an address.
func ParseMailFrom(from string) (MailSettings, error) {
	if strings.TrimSpace(from) == "" {
		return MailSettings{}, nil
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return MailSettings{}, Errorf(EINVALID, "Mail sender %q: want an address such as \"Roster <roster@example.com>\".", from)
	}
	return MailSettings{FromName: a.Name, FromAddress: a.Address}, nil
}

// Normalize trims the settings' spaces and lower-cases the address.
func (s *MailSettings) Normalize() {
	s.ProductName = strings.TrimSpace(s.ProductName)
	s.FromName = strings.TrimSpace(s.FromName)
	s.FromAddress = strings.ToLower(strings.TrimSpace(s.FromAddress))
}

// Validate returns an EINVALID error naming each bad field. Every field may
// be empty (the configuration's value is used).
func (s MailSettings) Validate() error {
	fe := FieldErrors{}
	for key, v := range map[string]string{"product_name": s.ProductName, "from_name": s.FromName} {
		switch {
		case utf8.RuneCountInString(v) > 100:
			fe.Add(key, "must have at most 100 characters")
		case strings.ContainsAny(v, "\r\n\t"):
			fe.Add(key, "must be one line")
		}
	}
	if s.FromAddress != "" && !ValidEmail(s.FromAddress) {
		fe.Add("from_address", "is not a valid email address")
	}
	if s.FromName != "" && s.FromAddress == "" {
		fe.Add("from_address", "is required with a sender name")
	}
	return fe.Err()
}

// MailSettingsService stores the mail settings and the edited templates.
type MailSettingsService interface {
	// MailSettings returns the stored settings (empty fields: not set).
	MailSettings(ctx context.Context) (MailSettings, error)
	// UpdateMailSettings stores s. Audited as "settings.mail". EINVALID.
	UpdateMailSettings(ctx context.Context, s MailSettings) error
	// FindMailTemplates returns every stored override.
	FindMailTemplates(ctx context.Context) ([]*MailTemplateOverride, error)
	// FindMailTemplate returns the override of template name, or nil when
	// it uses its default. ENOTFOUND for an unknown template.
	FindMailTemplate(ctx context.Context, name string) (*MailTemplateOverride, error)
	// SaveMailTemplate checks src (MailTemplateChecker) and stores it in
	// place of template name's default. Audited as "mail.template_update".
	// ENOTFOUND, EINVALID (nothing is saved).
	SaveMailTemplate(ctx context.Context, name string, src MailTemplateSource) (*MailTemplateOverride, error)
	// ResetMailTemplate drops the override of template name: its default
	// is used again. Audited as "mail.template_reset". ENOTFOUND.
	ResetMailTemplate(ctx context.Context, name string) error
}
