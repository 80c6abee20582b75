package roster

import (
	_ "embed"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A subscriber paste (Users → Subscribers): addresses pasted by staff to
// subscribe or unsubscribe, read and checked here, previewed against the
// store and applied by a job. Nothing here touches the store.

// MaxPasteAddresses is how many addresses one paste may hold.
const MaxPasteAddresses = 100_000

// MaxPasteBytes bounds a paste's text: 100,000 addresses with names.
const MaxPasteBytes = 16 << 20

// PasteMode is what a paste does to the addresses it holds.
type PasteMode string

// Paste modes.
const (
	PasteSubscribe   PasteMode = "subscribe"
	PasteUnsubscribe PasteMode = "unsubscribe"
)

// PasteOptions are the operator's choices for a paste.
type PasteOptions struct {
	Mode PasteMode `json:"mode"`
	// Create makes a user, subscribed, of each address that is not one's
	// (subscribe only).
	Create bool `json:"create"`
	// Consent is the consent text recorded with each subscription.
	Consent string `json:"consent"`
	// Validate turns on the checks beyond syntax: domains without a dot,
	// typos of common providers, disposable domains, role addresses.
	Validate bool `json:"validate"`
}

// Check checks the options. EINVALID naming mode, create or consent.
func (o *PasteOptions) Check() error {
	fe := FieldErrors{}
	switch o.Mode {
	case PasteSubscribe, PasteUnsubscribe:
	default:
		fe.Add("mode", quote(string(o.Mode))+" is not one of subscribe, unsubscribe")
	}
	if o.Mode == PasteUnsubscribe && o.Create {
		fe.Add("create", "applies only when subscribing")
	}
	if msg := CheckConsent(o.Consent); msg != "" {
		fe.Add("consent", msg)
	}
	return fe.Err()
}

// Problems of a pasted address. Invalid ones are never applied; a typo or
// a disposable domain is not applied when subscribing; a role address is
// only a warning.
const (
	PasteInvalid    = "invalid"
	PasteDuplicate  = "duplicate"
	PasteNoDot      = "no_dot" // CheckDomain's; a paste reports it as invalid
	PasteTypo       = "typo"
	PasteDisposable = "disposable"
	PasteRole       = "role"
)

// PasteEntry is one address of a paste.
type PasteEntry struct {
	Line    int    `json:"line"`    // 1-based line of the paste
	Text    string `json:"text"`    // as pasted, trimmed
	Address string `json:"address"` // lower-cased; "" when it could not be read
	Name    string `json:"name,omitempty"`
	// Problem is one of the Paste* problems, or "" for a good address;
	// Detail says it in words ("the domain has no dot", "first on line
	// 3", "did you mean ada@gmail.com?").
	Problem string `json:"problem,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// Suggestion is the address with a provider's domain spelled right,
	// for a typo.
	Suggestion string `json:"suggestion,omitempty"`
}

// Usable reports whether e may be applied in mode: a good address, or a
// role address; when unsubscribing, also a typo or a disposable domain
// (leaving can do no harm).
func (e *PasteEntry) Usable(mode PasteMode) bool {
	switch e.Problem {
	case "", PasteRole:
		return true
	case PasteTypo, PasteDisposable:
		return mode == PasteUnsubscribe
	}
	return false
}

// ParsePaste reads a paste: addresses one per line or separated by commas
// or semicolons, each plain or as `Name <address>` (names may be quoted,
// and quoted names may hold commas). Each address is checked for syntax
// and against those before it; with validate, also by CheckDomain and
// for role local parts. EINVALID naming "addresses" when the paste is
// empty or holds more than MaxPasteAddresses.
func ParsePaste(text string, validate bool) ([]PasteEntry, error) {
	if len(text) > MaxPasteBytes {
		return nil, FieldErrors{"addresses": "is larger than " + FormatBytes(MaxPasteBytes)}.Err()
	}
	entries := make([]PasteEntry, 0, strings.Count(text, "\n")+1)
	seen := make(map[string]int)
	// A paste holds many addresses of few domains: each is checked once.
	domains := make(map[string][2]string)
	line := 0
	for rest := text; rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		line++
		for _, piece := range splitPasteLine(l) {
			if len(entries) == MaxPasteAddresses {
				return nil, FieldErrors{"addresses": "holds more than " + strconv.Itoa(MaxPasteAddresses) + " addresses"}.Err()
			}
			e := readPasteEntry(line, piece)
			if e.Problem == "" {
				if first, ok := seen[e.Address]; ok {
					e.Problem, e.Detail = PasteDuplicate, "already on line "+strconv.Itoa(first)
				} else {
					seen[e.Address] = line
					if validate {
						checkPasteEntry(&e, domains)
					}
				}
			}
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return nil, FieldErrors{"addresses": "holds no address"}.Err()
	}
	return entries, nil
}

// splitPasteLine cuts a line at the commas and semicolons outside quotes
// and angle brackets, dropping empty pieces.
func splitPasteLine(l string) []string {
	var out []string
	quoted, angle, start := false, false, 0
	for i := 0; i < len(l); i++ {
		switch c := l[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			angle = true
		case c == '>' && !quoted:
			angle = false
		case (c == ',' || c == ';') && !quoted && !angle:
			out = appendPiece(out, l[start:i])
			start = i + 1
		}
	}
	return appendPiece(out, l[start:])
}

func appendPiece(out []string, s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		out = append(out, s)
	}
	return out
}

// Address limits (RFC 5321): the whole, the local part, a domain label.
const (
	maxAddressLen = 254
	maxLocalLen   = 64
	maxLabelLen   = 63
)

// readPasteEntry reads one piece of a line: syntax and limits only.
func readPasteEntry(line int, piece string) PasteEntry {
	e := PasteEntry{Line: line, Text: clipText(piece, 200)}
	bad := func(why string) PasteEntry {
		e.Problem, e.Detail = PasteInvalid, why
		return e
	}
	if !utf8.ValidString(piece) {
		return bad("is not valid text")
	}
	a, err := mail.ParseAddress(piece)
	if err != nil {
		return bad("is not an email address")
	}
	addr := strings.ToLower(a.Address)
	at := strings.LastIndexByte(addr, '@')
	local, domain := addr[:max(at, 0)], addr[at+1:]
	switch {
	case at <= 0:
		return bad("is not an email address")
	case len(addr) > maxAddressLen:
		return bad("is longer than " + strconv.Itoa(maxAddressLen) + " characters")
	case len(local) > maxLocalLen:
		return bad("has a part before the @ longer than " + strconv.Itoa(maxLocalLen) + " characters")
	case strings.HasPrefix(domain, "["):
		return bad("has an IP address for a domain")
	case strings.ContainsAny(addr, " \t\"\\"):
		return bad("holds spaces or quotes")
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > maxLabelLen || label[0] == '-' || label[len(label)-1] == '-' {
			return bad("has a malformed domain")
		}
	}
	if len(a.Name) > MaxTextLen {
		return bad("has a name longer than " + strconv.Itoa(MaxTextLen) + " characters")
	}
	e.Address, e.Name = addr, strings.TrimSpace(a.Name)
	return e
}

// checkPasteEntry runs the checks beyond syntax on a readable address;
// domains remembers CheckDomain's answers.
func checkPasteEntry(e *PasteEntry, domains map[string][2]string) {
	at := strings.LastIndexByte(e.Address, '@')
	local, domain := e.Address[:at], e.Address[at+1:]
	checked, ok := domains[domain]
	if !ok {
		checked[0], checked[1] = CheckDomain(domain)
		domains[domain] = checked
	}
	if problem, fix := checked[0], checked[1]; problem != "" {
		e.Problem = problem
		switch problem {
		case PasteNoDot:
			e.Problem, e.Detail = PasteInvalid, "the domain "+domain+" has no dot"
		case PasteTypo:
			e.Suggestion = local + "@" + fix
			e.Detail = "did you mean " + e.Suggestion + "?"
		case PasteDisposable:
			e.Detail = domain + " gives out throwaway addresses"
		}
		return
	}
	if IsRoleLocal(local) {
		e.Problem, e.Detail = PasteRole, local+"@ is usually a shared mailbox, not a person"
	}
}

// clipText cuts s to at most n runes, marking the cut.
func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
