package roster

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Subscriber is what a paste needs to know of an existing user.
type Subscriber struct {
	ID         int64
	PublicID   string
	Email      string
	Newsletter bool
}

// PasteBatchSize is how many entries of a paste one transaction applies.
const PasteBatchSize = 500

// PasteBatch is one batch of a paste being applied.
type PasteBatch struct {
	// Job is the running job applying the paste (nil: none); its
	// Position counts the entries done before the batch.
	Job     *Job
	Entries []PasteEntry
	// Last is true for the paste's last batch.
	Last bool
}

// JobSubscribers is the job kind that applies a subscriber paste: its
// Params are PasteParams, its Position the entries done, its Tally their
// outcomes.
const JobSubscribers JobKind = "subscribers"

// Outcomes of a pasted address, as the preview counts them. An entry has
// one; a role address is counted under its outcome and under OutcomeRole.
const (
	OutcomeSubscribe     = "subscribe"      // will subscribe
	OutcomeAlready       = "already"        // already subscribed
	OutcomeCreate        = "create"         // will create a subscribed user
	OutcomeUnsubscribe   = "unsubscribe"    // will unsubscribe
	OutcomeNotSubscribed = "not_subscribed" // unsubscribing one who is not subscribed
	OutcomeNotFound      = "not_found"      // no user has it (and none is created)
	OutcomeInvalid       = PasteInvalid
	OutcomeDuplicate     = PasteDuplicate
	OutcomeTypo          = PasteTypo
	OutcomeDisposable    = PasteDisposable
	OutcomeRole          = PasteRole
)

// outcomeLabels are the outcomes in the order the preview shows them.
var outcomeLabels = []struct{ key, label string }{
	{OutcomeSubscribe, "Will subscribe"},
	{OutcomeCreate, "Will create, subscribed"},
	{OutcomeUnsubscribe, "Will unsubscribe"},
	{OutcomeAlready, "Already subscribed"},
	{OutcomeNotSubscribed, "Not subscribed"},
	{OutcomeNotFound, "Not found"},
	{OutcomeInvalid, "Invalid"},
	{OutcomeDuplicate, "Duplicate"},
	{OutcomeTypo, "Typo of a provider"},
	{OutcomeDisposable, "Disposable address"},
	{OutcomeRole, "Role address (a warning)"},
}

// PasteAction is the one rule of what a paste does with an entry, given
// the user who has its address (nil: none): its outcome, and whether
// applying it writes (subscribes, unsubscribes or creates).
func PasteAction(e *PasteEntry, opts PasteOptions, sub *Subscriber) (outcome string, writes bool) {
	if !e.Usable(opts.Mode) {
		return e.Problem, false
	}
	switch {
	case sub == nil && opts.Mode == PasteSubscribe && opts.Create:
		if !ValidEmail(e.Address) {
			return OutcomeInvalid, false // a user's address needs more than a paste's (a dot)
		}
		return OutcomeCreate, true
	case sub == nil:
		return OutcomeNotFound, false
	case opts.Mode == PasteSubscribe && sub.Newsletter:
		return OutcomeAlready, false
	case opts.Mode == PasteSubscribe:
		return OutcomeSubscribe, true
	case !sub.Newsletter:
		return OutcomeNotSubscribed, false
	}
	return OutcomeUnsubscribe, true
}

// PasteCounts are how many entries of a paste had each outcome.
type PasteCounts map[string]int

// Add adds d to c.
func (c PasteCounts) Add(d PasteCounts) {
	for k, n := range d {
		c[k] += n
	}
}

// String lists the non-zero counts in the preview's order: "subscribe 3,
// invalid 1".
func (c PasteCounts) String() string {
	var parts []string
	for _, o := range outcomeLabels {
		if n := c[o.key]; n > 0 {
			parts = append(parts, o.key+" "+strconv.Itoa(n))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// PasteShown is how many entries of each outcome a preview lists; the
// lines of all of them are given too.
const PasteShown = 20

// PasteOutcome is one outcome of a preview: its count, the first entries
// having it and the lines of all of them.
type PasteOutcome struct {
	Key     string       `json:"outcome"`
	Label   string       `json:"label"`
	Count   int          `json:"count"`
	Entries []PasteEntry `json:"entries"`
	Lines   []int        `json:"lines"`
}

// LineRanges writes the outcome's lines compactly: "3, 7, 12–15".
func (o *PasteOutcome) LineRanges() string {
	var b strings.Builder
	for i := 0; i < len(o.Lines); {
		j := i
		for j+1 < len(o.Lines) && o.Lines[j+1] <= o.Lines[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(o.Lines[i]))
		if o.Lines[j] != o.Lines[i] {
			b.WriteString("–" + strconv.Itoa(o.Lines[j]))
		}
		i = j + 1
	}
	return b.String()
}

// PastePreview is what a paste would do.
type PastePreview struct {
	Options  PasteOptions   `json:"options"`
	Total    int            `json:"total"`
	Writes   int            `json:"writes"` // entries applying would write
	Outcomes []PasteOutcome `json:"outcomes"`
}

// PreviewPaste sorts the entries of a paste by outcome against the users
// found for their addresses.
func PreviewPaste(entries []PasteEntry, opts PasteOptions, found map[string]Subscriber) *PastePreview {
	p := &PastePreview{Options: opts, Total: len(entries)}
	byKey := make(map[string]*PasteOutcome, len(outcomeLabels))
	for _, o := range outcomeLabels {
		byKey[o.key] = &PasteOutcome{Key: o.key, Label: o.label}
	}
	add := func(key string, e *PasteEntry) {
		o := byKey[key]
		o.Count++
		if len(o.Entries) < PasteShown {
			o.Entries = append(o.Entries, *e)
		}
		if n := len(o.Lines); n == 0 || o.Lines[n-1] != e.Line {
			o.Lines = append(o.Lines, e.Line)
		}
	}
	for i := range entries {
		e := &entries[i]
		var sub *Subscriber
		if s, ok := found[e.Address]; ok && e.Address != "" {
			sub = &s
		}
		outcome, writes := PasteAction(e, opts, sub)
		add(outcome, e)
		if e.Problem == PasteRole {
			add(OutcomeRole, e)
		}
		if writes {
			p.Writes++
		}
	}
	for _, o := range outcomeLabels {
		if x := byKey[o.key]; x.Count > 0 {
			p.Outcomes = append(p.Outcomes, *x)
		}
	}
	return p
}

// PasteAddresses returns the distinct readable addresses of entries: what
// the store is asked about.
func PasteAddresses(entries []PasteEntry) []string {
	out := make([]string, 0, len(entries))
	for i := range entries {
		if e := &entries[i]; e.Address != "" && e.Problem != PasteDuplicate {
			out = append(out, e.Address)
		}
	}
	return out
}

// PasteParams are the Params of a JobSubscribers job: the options and the
// pasted text, read again by every run.
type PasteParams struct {
	Options PasteOptions `json:"options"`
	Text    string       `json:"text"`
}

// NewPasteJob returns the job that applies text, a paste of total entries,
// with opts.
func NewPasteJob(opts PasteOptions, text string, total int) (*Job, error) {
	params, err := json.Marshal(PasteParams{Options: opts, Text: text})
	if err != nil {
		return nil, err
	}
	note := string(opts.Mode) + " " + strconv.Itoa(total) + " pasted addresses"
	if opts.Create {
		note += ", creating missing users"
	}
	if opts.Validate {
		note += ", validated"
	}
	return &Job{Kind: JobSubscribers, Params: params, Note: note, Total: int64(total)}, nil
}

// PasteOutcomeLabels returns each outcome and its label, in the order a
// preview shows them.
func PasteOutcomeLabels() [][2]string {
	out := make([][2]string, len(outcomeLabels))
	for i, o := range outcomeLabels {
		out[i] = [2]string{o.key, o.label}
	}
	return out
}
