// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) in
// a test's process: it records the messages it accepts and answers with a
// temporary (4xx) or permanent (5xx) error when a test asks it to. Tests
// deliver to it over TCP as to any mail server; nothing is mocked.
package smtptest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is a running test SMTP server.
type Server struct {
	Addr string

	srv      *smtp.Server
	ln       net.Listener
	mu       sync.Mutex
	messages []Message
	fail     []*smtp.SMTPError // answers to the next DATA commands
	rcptFail []*smtp.SMTPError // answers to the next RCPT commands
	sessions int
	changed  chan struct{}
	delay    time.Duration // before each DATA answer
	discard  bool          // count messages without keeping them
	count    int
}

// Start runs a server on a free local port until tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := Listen()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Listen runs a server on a free local port until Close: for a benchmark
// command, which has no testing.TB.
func Listen() (*Server, error) {
	s := &Server{changed: make(chan struct{}, 1)}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.MaxRecipients = 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr, s.ln = ln.Addr().String(), ln
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server; its port is closed from then on.
func (s *Server) Close() {
	_ = s.ln.Close() // Serve may not have taken the listener yet
	_ = s.srv.Close()
}

// URL is the ROSTER_SMTP_URL of the server (no TLS).
func (s *Server) URL() string { return "smtp://" + s.Addr + "?tls=none&timeout=5s" }

// FailData makes the next DATA command answer code with msg (a 4xx code is
// temporary, a 5xx permanent); calls queue up.
func (s *Server) FailData(code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, smtpError(code, msg))
}

// FailRcpt makes the next RCPT command answer code with msg.
func (s *Server) FailRcpt(code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptFail = append(s.rcptFail, smtpError(code, msg))
}

func smtpError(code int, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

// SetDelay makes each DATA command answer after d: a slow server, so that
// a test can stop a sender in the middle of a long send.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// SetDiscard makes the server count the messages it accepts without
// keeping them (Messages stays empty): a benchmark's hundreds of
// thousands.
func (s *Server) SetDiscard(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discard = on
}

// Count returns how many messages the server accepted, kept or not.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Sessions returns how many connections the server has had.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Wait returns the accepted messages once there are at least n, failing tb
// after timeout.
func (s *Server) Wait(tb testing.TB, n int, timeout time.Duration) []Message {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		if ms := s.Messages(); len(ms) >= n {
			return ms
		}
		select {
		case <-s.changed:
		case <-deadline:
			tb.Fatalf("smtptest: %d messages after %s, want %d", len(s.Messages()), timeout, n)
		}
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.s.sessions++
	b.s.mu.Unlock()
	return &session{s: b.s}, nil
}

type session struct {
	s    *Server
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if len(ss.s.rcptFail) > 0 {
		err := ss.s.rcptFail[0]
		ss.s.rcptFail = ss.s.rcptFail[1:]
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	delay := ss.s.delay
	ss.s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if len(ss.s.fail) > 0 {
		err := ss.s.fail[0]
		ss.s.fail = ss.s.fail[1:]
		return err
	}
	ss.s.count++
	if !ss.s.discard {
		ss.s.messages = append(ss.s.messages, Message{From: ss.from, To: append([]string(nil), ss.to...), Data: b})
	}
	select {
	case ss.s.changed <- struct{}{}:
	default:
	}
	return nil
}

// Parsed is a message read back: its header and its text and HTML parts,
// decoded.
type Parsed struct {
	Header mail.Header
	Text   string
	HTML   string
}

// Parse reads m as a mail client would: a multipart/alternative message
// (possibly inside a multipart/mixed one) with a text/plain and a text/html
// part.
func (m Message) Parse() (*Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, err
	}
	p := &Parsed{Header: msg.Header}
	if err := p.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return nil, err
	}
	if p.Text == "" || p.HTML == "" {
		return nil, errors.New("smtptest: the message lacks a text or an HTML part")
	}
	return p, nil
}

func (p *Parsed) walk(ctype, cte string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
				return err
			}
		}
	}
	r := io.Reader(body)
	if strings.EqualFold(cte, "quoted-printable") {
		r = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		p.Text = string(b)
	case "text/html":
		p.HTML = string(b)
	}
	return nil
}
