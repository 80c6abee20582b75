package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"roster"
)

// SMTP is a mail server as ROSTER_SMTP_URL describes it:
//
//	smtp://[user:password@]host[:port][?tls=starttls|tls|opportunistic|none&timeout=30s]
//	smtps://[user:password@]host[:port]   (the same as tls=tls)
//
// tls=starttls (the default with a user) upgrades the connection and
// refuses a server that cannot; tls=tls speaks TLS from the start (port
// 465); opportunistic (the default without a user) upgrades when the server
// offers it; none never does, and cannot be used with a password. The port
// defaults to 465 for tls, 587 for starttls and 25 otherwise.
type SMTP struct {
	Host     string
	Port     int
	TLS      string // "starttls", "tls", "opportunistic" or "none"
	User     string
	Password string
	Timeout  time.Duration // per connection step and command; default 30 s
}

// ParseSMTPURL reads an SMTP URL. Its errors never show the password.
func ParseSMTPURL(s string) (*SMTP, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("SMTP URL: cannot be read; want smtp://[user:password@]host[:port][?tls=starttls]")
	}
	c := &SMTP{Host: u.Hostname(), Timeout: 30 * time.Second}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		c.TLS = "tls"
	default:
		return nil, fmt.Errorf("SMTP URL: scheme %q: want smtp or smtps", u.Scheme)
	}
	if c.Host == "" {
		return nil, errors.New("SMTP URL: no host")
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "tls":
			if c.TLS == "tls" && v != "tls" {
				return nil, errors.New("SMTP URL: smtps:// always uses TLS; leave tls out")
			}
			switch v {
			case "starttls", "tls", "opportunistic", "none":
				c.TLS = v
			default:
				return nil, fmt.Errorf("SMTP URL: tls=%q: want starttls, tls, opportunistic or none", v)
			}
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("SMTP URL: timeout=%q: want a duration such as 30s", v)
			}
			c.Timeout = d
		default:
			return nil, fmt.Errorf("SMTP URL: unknown parameter %q (known: tls, timeout)", k)
		}
	}
	if c.TLS == "" {
		c.TLS = "opportunistic"
		if c.User != "" {
			c.TLS = "starttls"
		}
	}
	if c.User != "" && (c.TLS == "none" || c.TLS == "opportunistic") {
		return nil, fmt.Errorf("SMTP URL: tls=%s would send the password unencrypted; use tls=starttls or tls=tls", c.TLS)
	}
	switch p := u.Port(); {
	case p != "":
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("SMTP URL: port %q is not a port number", p)
		}
		c.Port = n
	case c.TLS == "tls":
		c.Port = 465
	case c.TLS == "starttls":
		c.Port = 587
	default:
		c.Port = 25
	}
	return c, nil
}

// String shows the server without its password, for logs.
func (c *SMTP) String() string {
	u := url.URL{Scheme: "smtp", Host: c.Host + ":" + strconv.Itoa(c.Port), RawQuery: "tls=" + c.TLS}
	if c.User != "" {
		u.User = url.User(c.User)
	}
	return u.String()
}

// client returns a go-mail client for c.
func (c *SMTP) client(tlsConfig *tls.Config) (*mail.Client, error) {
	opts := []mail.Option{mail.WithPort(c.Port), mail.WithTimeout(c.Timeout)}
	switch c.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
	}
	opts = append(opts, mail.WithTLSConfig(tlsConfig))
	if c.User != "" {
		// The strongest mechanism the server offers, never one that sends
		// the password in clear over a connection without TLS.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(c.User), mail.WithPassword(c.Password))
	}
	return mail.NewClient(c.Host, opts...)
}

// conn is one connection to the mail server, reused across messages.
type conn struct {
	mc   *mail.Client
	smtp *smtp.Client
}

// dial opens the connection when there is none.
func (c *conn) dial(ctx context.Context) error {
	if c.smtp != nil {
		return nil
	}
	sc, err := c.mc.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return err
	}
	c.smtp = sc
	return nil
}

// close ends the connection politely, if there is one.
func (c *conn) close() {
	if c.smtp != nil {
		_ = c.mc.CloseWithSMTPClient(c.smtp)
		c.smtp = nil
	}
}

// outcome is how an attempt ended.
type outcome int

const (
	sent      outcome = iota
	temporary         // try again later: a 4xx answer, a connection problem
	permanent         // never: a 5xx answer, an address that cannot be used
)

// send sends m over the connection, dialling it first when needed, and says
// how it went and why. After any failure the connection is dropped: its
// state is unknown, and the next message starts afresh.
func (c *conn) send(ctx context.Context, from string, m *roster.OutboxMessage) (outcome, string) {
	msg, err := buildMsg(from, m)
	if err != nil {
		return permanent, err.Error()
	}
	if err := c.dial(ctx); err != nil {
		return temporary, "connecting to the mail server: " + oneLine(err.Error())
	}
	err = c.mc.SendWithSMTPClient(c.smtp, msg)
	if err != nil && !msg.IsDelivered() {
		var se *mail.SendError
		if errors.As(err, &se) && se.Reason == mail.ErrConnCheck {
			// The server closed an idle connection: dial once more.
			c.close()
			if err := c.dial(ctx); err != nil {
				return temporary, "connecting to the mail server: " + oneLine(err.Error())
			}
			err = c.mc.SendWithSMTPClient(c.smtp, msg)
		}
	}
	if err == nil || msg.IsDelivered() {
		// A failure after the server took the message (its RSET) is not
		// the message's.
		if err != nil {
			c.close()
		}
		return sent, ""
	}
	c.close()
	var se *mail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 500 && code < 600 {
			return permanent, reason(se)
		}
		return temporary, reason(se)
	}
	return temporary, oneLine(err.Error())
}

// reason is the server's answer in a SendError, with the step it answered.
func reason(se *mail.SendError) string {
	s := se.Error()
	// The Message-ID is on the row already.
	if i := strings.Index(s, ", affected message ID"); i >= 0 {
		s = s[:i]
	}
	return oneLine(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// buildMsg makes the multipart (text and HTML) message of m.
func buildMsg(from string, m *roster.OutboxMessage) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("sender address %q cannot be used: %w", from, err)
	}
	if err := msg.To(m.Recipient); err != nil {
		return nil, fmt.Errorf("recipient address %q cannot be used: %w", m.Recipient, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(strings.TrimSuffix(strings.TrimPrefix(m.MessageID, "<"), ">"))
	msg.SetDateWithValue(m.CreatedAt)
	msg.SetUserAgent("Roster")
	if m.UnsubscribeURL != "" {
		// RFC 8058's one-click needs an https URL; over plain http (a
		// local try) the link is still given, for a person to open.
		if err := msg.SetListUnsubscribeOneClick(m.UnsubscribeURL); err != nil {
			msg.SetListUnsubscribe(m.UnsubscribeURL)
		}
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg, nil
}
