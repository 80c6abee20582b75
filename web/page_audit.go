package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster"
)

// auditPageSize is how many entries the audit page shows at a time.
const auditPageSize = 50

// knownAuditActions are suggested in the action filter. Any action can be
// typed: the list is a help, not a limit.
var knownAuditActions = []string{
	"user.create", "user.create_many", "user.update", "user.delete",
	"field.create", "field.update",
	"staff.create", "staff.update", "staff.password", "staff.sign_in",
	"token.create", "token.revoke",
}

type auditView struct {
	Entries []auditRow
	Filter  auditFilterForm
	Actors  []auditActor
	Actions []string
	// Error is a problem with the filter; no entries are shown then.
	// BadField names the filter input at fault.
	Error, BadField string
	// Older pages back from the last entry shown; Newest drops the paging.
	OlderURL, NewestURL string
	Zone                string
}

type auditFilterForm struct {
	Actor, Action, From, To, TargetType, TargetID string
	Before                                        int64
}

// Filtered reports whether any filter is set.
func (f auditFilterForm) Filtered() bool {
	return f.Actor != "" || f.Action != "" || f.From != "" || f.To != "" || f.TargetType != "" || f.TargetID != ""
}

type auditActor struct {
	Value, Label string
}

type auditRow struct {
	ID                   int64
	When, WhenFull       string
	Actor, Action        string
	TargetType, TargetID string
	// TargetLabel names the target for people: a staff account's email
	// rather than its number. TargetURL links to the target's page, when
	// it has one.
	TargetLabel, TargetURL string
	Changes                []auditChange
	Note                   string
	// The filter URLs narrow the log to this entry's actor, action or
	// target.
	ActorFilterURL, ActionFilterURL, TargetFilterURL string
}

type auditChange struct {
	Field, Before, After string
	// BeforeFull and AfterFull are the untruncated values, for a tooltip.
	BeforeFull, AfterFull string
}

// values returns the filter as query parameters, without paging.
func (f auditFilterForm) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": f.Actor, "action": f.Action, "from": f.From, "to": f.To, "target_type": f.TargetType, "target_id": f.TargetID} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func auditURL(v url.Values) string {
	if len(v) == 0 {
		return "/audit"
	}
	return "/audit?" + v.Encode()
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	me := staffFrom(r)
	loc := me.Location()
	q := r.URL.Query()
	form := auditFilterForm{
		Actor:      strings.TrimSpace(q.Get("actor")),
		Action:     strings.TrimSpace(q.Get("action")),
		From:       strings.TrimSpace(q.Get("from")),
		To:         strings.TrimSpace(q.Get("to")),
		TargetType: strings.TrimSpace(q.Get("target_type")),
		TargetID:   strings.TrimSpace(q.Get("target_id")),
	}
	view := auditView{Filter: form, Actions: knownAuditActions, Zone: loc.String()}

	accounts, err := s.Staff.FindStaff(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	view.Actors = append(view.Actors, auditActor{"0", "System and command line"})
	emails := map[string]string{}
	for _, a := range accounts {
		id := strconv.FormatInt(a.ID, 10)
		view.Actors = append(view.Actors, auditActor{id, a.Email})
		emails[id] = a.Email
	}

	f, bad, err := parseAuditFilter(form, q.Get("before"), loc)
	if err != nil {
		view.Error, view.BadField = roster.ErrorMessage(err), bad
		s.render(w, r, http.StatusBadRequest, "audit", "Audit log", view)
		return
	}
	view.Filter.Before = f.BeforeID
	f.Limit = auditPageSize + 1
	entries, err := s.Audit.FindAuditEntries(ctx, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	more := len(entries) > auditPageSize
	if more {
		entries = entries[:auditPageSize]
	}
	for _, e := range entries {
		row := newAuditRow(e, loc, form)
		if email, ok := emails[e.TargetID]; ok && e.TargetType == "staff" {
			row.TargetLabel = email
		}
		view.Entries = append(view.Entries, row)
	}
	if more {
		v := form.values()
		v.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		view.OlderURL = auditURL(v)
	}
	if f.BeforeID > 0 {
		view.NewestURL = auditURL(form.values())
	}
	s.render(w, r, http.StatusOK, "audit", "Audit log", view)
}

// parseAuditFilter reads the filter form. Dates are days in loc, the staff
// member's zone; "to" includes its whole day. A refused filter names the
// input at fault.
func parseAuditFilter(form auditFilterForm, before string, loc *time.Location) (f roster.AuditFilter, bad string, err error) {
	f = roster.AuditFilter{Action: form.Action, TargetType: form.TargetType, TargetID: form.TargetID}
	if form.Actor != "" {
		id, err := strconv.ParseInt(form.Actor, 10, 64)
		if err != nil || id < 0 {
			return f, "actor", roster.Errorf(roster.EINVALID, "The staff filter must be one of the staff accounts.")
		}
		f.ActorID = &id
	}
	for _, d := range []struct {
		name, value string
		into        *time.Time
		days        int
	}{{"from", form.From, &f.Since, 0}, {"to", form.To, &f.Until, 1}} {
		if d.value == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.value, loc)
		if err != nil || t.Year() < 1970 || t.Year() > 9999 {
			return f, d.name, roster.Errorf(roster.EINVALID, "The %q date must be a day written YYYY-MM-DD, such as 2024-03-31.", d.name)
		}
		*d.into = t.AddDate(0, 0, d.days)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, "to", roster.Errorf(roster.EINVALID, "The \"from\" date is after the \"to\" date.")
	}
	if before != "" {
		id, err := strconv.ParseInt(before, 10, 64)
		if err != nil || id <= 0 {
			return f, "", roster.Errorf(roster.EINVALID, "The page asked for does not exist. Start again from the newest entries.")
		}
		f.BeforeID = id
	}
	return f, "", nil
}

// maxAuditValue is how much of a changed value the table shows; the rest
// is in a tooltip.
const maxAuditValue = 120

func newAuditRow(e *roster.AuditEntry, loc *time.Location, form auditFilterForm) auditRow {
	row := auditRow{
		ID: e.ID, When: e.At.In(loc).Format("2 Jan 2006 15:04:05"), WhenFull: e.At.In(loc).Format(time.RFC3339),
		Actor: e.Actor, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, TargetLabel: e.TargetID, Note: e.Note,
	}
	if e.TargetType == "user" && e.TargetID != "" && e.Action != "user.delete" {
		row.TargetURL = "/users/" + url.PathEscape(e.TargetID)
	}
	v := form.values()
	v.Set("actor", strconv.FormatInt(e.ActorID, 10))
	row.ActorFilterURL = auditURL(v)
	v = form.values()
	v.Set("action", e.Action)
	row.ActionFilterURL = auditURL(v)
	if e.TargetID != "" {
		v := form.values()
		v.Set("target_type", e.TargetType)
		v.Set("target_id", e.TargetID)
		row.TargetFilterURL = auditURL(v)
	}
	keys := make([]string, 0, len(e.Changes))
	for k := range e.Changes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c := e.Changes[k]
		before, after := auditValue(c.Before), auditValue(c.After)
		row.Changes = append(row.Changes, auditChange{
			Field: k, Before: truncate(before, maxAuditValue), After: truncate(after, maxAuditValue),
			BeforeFull: before, AfterFull: after,
		})
	}
	return row
}

// auditValue writes a changed value for people: nil and empty times as a
// dash, numbers without exponents, lists joined by commas.
func auditValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case string:
		if v == "" {
			return `""`
		}
		// An empty time or date was recorded as Go's zero time.
		if strings.HasPrefix(v, "0001-01-01") {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.IsZero() {
				return "—"
			}
		}
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case []any:
		if len(v) == 0 {
			return "(none)"
		}
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = auditValue(x)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	default:
		return fmt.Sprint(v)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
