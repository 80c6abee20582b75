package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"roster"
)

// A user's data, for a data-protection request: one JSON document with
// everything Roster holds about the user, never their password hash.

// userDataJSON is the document.
type userDataJSON struct {
	ExportedAt time.Time `json:"exported_at"`
	// User is the user as the API shows them: every field, custom ones
	// included, with their tags' names and colours and their groups.
	User userJSON `json:"user"`
	// Memberships are their groups with how and when they joined.
	Memberships []membershipDataJSON `json:"memberships"`
	// MemberOfTheMonth are the months they were named, newest first.
	MemberOfTheMonth []roster.MemberOfMonth `json:"member_of_the_month"`
	// Audit is every staff action on them, newest first.
	Audit []auditJSON `json:"audit"`
	// Balances, Points, Notes and Tasks are their counters' balances,
	// every ledger entry (newest first), the staff notes and tasks on them.
	Balances []roster.Balance      `json:"balances"`
	Points   []*roster.LedgerEntry `json:"points"`
	Notes    []*roster.Note        `json:"notes"`
	Tasks    []*roster.Task        `json:"tasks"`
}

type membershipDataJSON struct {
	GroupID  int64      `json:"group_id"`
	Name     string     `json:"name"`
	Via      roster.Via `json:"via"`
	JoinedAt time.Time  `json:"joined_at"`
}

// userData gathers the document for the user the path names and audits
// the export (user.data_export) before anything is sent.
func (s *Server) userData(r *http.Request) (*userDataJSON, error) {
	ctx := r.Context()
	reg, err := s.Fields.Registry(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.Users.FindUserByID(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	doc := &userDataJSON{ExportedAt: time.Now().UTC(), User: userJSON{reg, u},
		Memberships: []membershipDataJSON{}, MemberOfTheMonth: []roster.MemberOfMonth{}, Audit: []auditJSON{}}
	ms, err := s.Groups.Memberships(ctx, u.PublicID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		g, _ := reg.Catalog.Group(m.GroupID)
		doc.Memberships = append(doc.Memberships, membershipDataJSON{GroupID: m.GroupID, Name: g.Name, Via: m.Via, JoinedAt: m.JoinedAt.UTC()})
	}
	months, err := s.Months.UserMonths(ctx, u.PublicID)
	if err != nil {
		return nil, err
	}
	doc.MemberOfTheMonth = append(doc.MemberOfTheMonth, months...)
	// The audit log is read a page at a time, back to the user's first
	// entry.
	f := roster.AuditFilter{TargetType: "user", TargetID: u.PublicID, Limit: 1000}
	for {
		entries, err := s.Audit.FindAuditEntries(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			doc.Audit = append(doc.Audit, auditJSON{e.ID, e.At, e.ActorID, e.Actor, e.Action, e.TargetType, e.TargetID, e.Changes, e.Note})
		}
		if len(entries) < f.Limit {
			break
		}
		f.BeforeID = entries[len(entries)-1].ID
	}
	if err := s.ledgerData(r, u, doc); err != nil {
		return nil, err
	}
	err = s.Audit.Record(ctx, roster.AuditEntry{Action: "user.data_export", TargetType: "user", TargetID: u.PublicID,
		Note: "all the data held about the user, as JSON"})
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// apiUserData is GET /api/v1/users/{id}/data.
func (s *Server) apiUserData(w http.ResponseWriter, r *http.Request) {
	doc, err := s.userData(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

// handleUserDataJSON is GET /users/{id}/data.json, the profile's Download
// data link: the same document as a file.
func (s *Server) handleUserDataJSON(w http.ResponseWriter, r *http.Request) {
	doc, err := s.userData(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="user-`+doc.User.u.PublicID+`-data.json"`)
	w.Write(b.Bytes())
}

// ledgerData adds the user's balances, whole ledger, notes and tasks to doc.
func (s *Server) ledgerData(r *http.Request, u *roster.User, doc *userDataJSON) error {
	doc.Balances, doc.Points, doc.Notes, doc.Tasks = []roster.Balance{}, []*roster.LedgerEntry{}, []*roster.Note{}, []*roster.Task{}
	if s.Ledger == nil || s.Notes == nil || s.Tasks == nil {
		return nil
	}
	ctx := r.Context()
	var err error
	if doc.Balances, err = s.Ledger.Balances(ctx, u.PublicID); err != nil {
		return err
	}
	for before := int64(0); ; {
		page, err := s.Ledger.FindLedger(ctx, u.PublicID, "", before, 500)
		if err != nil {
			return err
		}
		doc.Points = append(doc.Points, page...)
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].ID
	}
	notes, err := s.Notes.FindNotes(ctx, u.PublicID)
	if err != nil {
		return err
	}
	doc.Notes = append(doc.Notes, notes...)
	// A list of tasks holds at most 500: far more than one user has.
	tasks, err := s.Tasks.FindTasks(ctx, roster.TaskFilter{User: u.PublicID, Limit: 500})
	doc.Tasks = append(doc.Tasks, tasks...)
	return err
}
