package web

import (
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"roster"
)

// The profile's Points, Notes and Tasks sections, and My tasks.

// ledgerView is what the profile shows of a user's points, notes and
// tasks, and the forms that change them.
type ledgerView struct {
	Balances []roster.Balance
	Entries  []*roster.LedgerEntry
	Notes    []noteView
	Tasks    []*roster.Task
	Staff    []*roster.Staff // who a task may be for
	Me       int64
	Today    roster.Date
	// Errors are the messages of a refused form, by form ("points",
	// "note", "task") and Form its submitted values.
	Errors map[string]string
	Form   map[string]string
}

// noteView is a note with its Markdown rendered.
type noteView struct {
	*roster.Note
	HTML template.HTML
}

// ledgerOf loads the sections of the user u for the profile.
func (s *Server) ledgerOf(r *http.Request, u *roster.User) (*ledgerView, error) {
	if s.Ledger == nil || s.Notes == nil || s.Tasks == nil {
		return nil, nil
	}
	ctx := r.Context()
	me := staffFrom(r)
	v := &ledgerView{Me: me.ID, Today: roster.DateOf(time.Now().In(me.Location())), Errors: map[string]string{}, Form: map[string]string{}}
	var err error
	if v.Balances, err = s.Ledger.Balances(ctx, u.PublicID); err != nil {
		return nil, err
	}
	if v.Entries, err = s.Ledger.FindLedger(ctx, u.PublicID, "", 0, 10); err != nil {
		return nil, err
	}
	notes, err := s.Notes.FindNotes(ctx, u.PublicID)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		v.Notes = append(v.Notes, noteView{n, markdown(n.Body)})
	}
	if v.Tasks, err = s.Tasks.FindTasks(ctx, roster.TaskFilter{User: u.PublicID, Limit: 50}); err != nil {
		return nil, err
	}
	staff, err := s.Staff.FindStaff(ctx)
	if err != nil {
		return nil, err
	}
	for _, st := range staff {
		if st.Active {
			v.Staff = append(v.Staff, st)
		}
	}
	return v, nil
}

// refuseLedgerForm shows the profile again with form's message and the
// values sent, or the error page when err is not a refusal.
func (s *Server) refuseLedgerForm(w http.ResponseWriter, r *http.Request, form string, err error) {
	if !refusal(err) {
		s.error(w, r, err)
		return
	}
	u, reg, ok := s.loadProfile(w, r)
	if !ok {
		return
	}
	view := s.profile(r, u, reg, nil, nil)
	if view.Ledger == nil {
		s.error(w, r, err)
		return
	}
	msg := roster.ErrorMessage(err)
	if fields := roster.ErrorFields(err); len(fields) > 0 {
		var parts []string
		for k, m := range fields {
			parts = append(parts, strings.ReplaceAll(k, "_", " ")+" "+m)
		}
		sort.Strings(parts)
		msg = strings.Join(parts, "; ")
	}
	view.Ledger.Errors[form] = msg
	for k, vs := range r.PostForm {
		if k != "csrf" && len(vs) > 0 {
			view.Ledger.Form[k] = vs[0]
		}
	}
	s.render(w, r, http.StatusUnprocessableEntity, "user", view.Name, view)
}

// handleUserPoints adds or removes points with a reason.
func (s *Server) handleUserPoints(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.error(w, r, roster.Errorf(roster.EINVALID, "The form could not be read."))
		return
	}
	id := r.PathValue("id")
	amount, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("amount")), 10, 64)
	if err != nil || amount <= 0 {
		s.refuseLedgerForm(w, r, "points", roster.FieldErrors{"amount": "must be a whole number above zero"}.Err())
		return
	}
	if r.PostFormValue("direction") == "remove" {
		amount = -amount
	}
	c := roster.PointsChange{Counter: r.PostFormValue("counter"), Amount: amount, Reason: r.PostFormValue("reason"), Source: roster.LedgerStaff}
	if _, _, err := s.Ledger.ChangePoints(r.Context(), id, c); err != nil {
		s.refuseLedgerForm(w, r, "points", err)
		return
	}
	s.setFlash(w, r, "Points changed.")
	http.Redirect(w, r, "/users/"+id+"#points", http.StatusSeeOther)
}

// handleNoteCreate adds a note.
func (s *Server) handleNoteCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.error(w, r, roster.Errorf(roster.EINVALID, "The form could not be read."))
		return
	}
	id := r.PathValue("id")
	n := &roster.Note{Body: r.PostFormValue("body"), Pinned: r.PostFormValue("pinned") != ""}
	if err := s.Notes.CreateNote(r.Context(), id, n); err != nil {
		s.refuseLedgerForm(w, r, "note", err)
		return
	}
	s.setFlash(w, r, "Note added.")
	http.Redirect(w, r, "/users/"+id+"#notes", http.StatusSeeOther)
}

// handleNoteUpdate saves an edit of a note, or pins or unpins it.
func (s *Server) handleNoteUpdate(w http.ResponseWriter, r *http.Request) {
	noteID, err := pathID(r, "note", "note")
	if err == nil {
		err = r.ParseForm()
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	var upd roster.NoteUpdate
	if _, ok := r.PostForm["body"]; ok {
		body := r.PostFormValue("body")
		upd.Body = &body
	}
	if v, ok := r.PostForm["pinned"]; ok {
		pinned := len(v) > 0 && v[len(v)-1] == "true"
		upd.Pinned = &pinned
	}
	if _, err := s.Notes.UpdateNote(r.Context(), id, noteID, upd); err != nil {
		s.refuseLedgerForm(w, r, "note", err)
		return
	}
	s.setFlash(w, r, "Note saved.")
	http.Redirect(w, r, "/users/"+id+"#notes", http.StatusSeeOther)
}

// handleNoteDelete deletes a note.
func (s *Server) handleNoteDelete(w http.ResponseWriter, r *http.Request) {
	noteID, err := pathID(r, "note", "note")
	if err == nil {
		err = s.Notes.DeleteNote(r.Context(), r.PathValue("id"), noteID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Note deleted.")
	http.Redirect(w, r, "/users/"+r.PathValue("id")+"#notes", http.StatusSeeOther)
}

// handleTaskCreate adds a task.
func (s *Server) handleTaskCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.error(w, r, roster.Errorf(roster.EINVALID, "The form could not be read."))
		return
	}
	id := r.PathValue("id")
	t := &roster.Task{Title: r.PostFormValue("title")}
	fe := roster.FieldErrors{}
	if v := strings.TrimSpace(r.PostFormValue("due")); v != "" {
		d, err := roster.ParseDate(v)
		if err != nil {
			fe.Add("due", err.Error())
		}
		t.Due = d
	}
	a, err := strconv.ParseInt(r.PostFormValue("assignee_id"), 10, 64)
	if err != nil {
		fe.Add("assignee_id", "is required")
	}
	t.AssigneeID = a
	if err := fe.Err(); err != nil {
		s.refuseLedgerForm(w, r, "task", err)
		return
	}
	if err := s.Tasks.CreateTask(r.Context(), id, t); err != nil {
		s.refuseLedgerForm(w, r, "task", err)
		return
	}
	s.setFlash(w, r, "Task added.")
	http.Redirect(w, r, "/users/"+id+"#tasks", http.StatusSeeOther)
}

// handleTaskUpdate marks a task done or open again, from the profile or
// from My tasks (from=tasks goes back there).
func (s *Server) handleTaskUpdate(w http.ResponseWriter, r *http.Request) {
	taskID, err := pathID(r, "task", "task")
	if err == nil {
		err = r.ParseForm()
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	done := r.PostFormValue("done") == "true"
	if _, err := s.Tasks.UpdateTask(r.Context(), id, taskID, roster.TaskUpdate{Done: &done}); err != nil {
		s.error(w, r, err)
		return
	}
	msg := "Task reopened."
	if done {
		msg = "Task done."
	}
	s.setFlash(w, r, msg)
	if r.PostFormValue("from") == "tasks" {
		http.Redirect(w, r, "/tasks", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/users/"+id+"#tasks", http.StatusSeeOther)
}

// tasksView is the My tasks page.
type tasksView struct {
	Open  []*roster.Task
	Done  []*roster.Task
	Today roster.Date
	Loc   *time.Location
}

// handleMyTasks lists the signed-in staff member's tasks: open ones with
// the overdue first, then the recently done.
func (s *Server) handleMyTasks(w http.ResponseWriter, r *http.Request) {
	me := staffFrom(r)
	open, err := s.Tasks.FindTasks(r.Context(), roster.TaskFilter{AssigneeID: me.ID, Status: "open"})
	if err != nil {
		s.error(w, r, err)
		return
	}
	done, err := s.Tasks.FindTasks(r.Context(), roster.TaskFilter{AssigneeID: me.ID, Status: "done", Limit: 20})
	if err != nil {
		s.error(w, r, err)
		return
	}
	loc := me.Location()
	s.render(w, r, http.StatusOK, "tasks", "My tasks", tasksView{Open: open, Done: done, Today: roster.DateOf(time.Now().In(loc)), Loc: loc})
}

// ledgerData is what the ledger partial gets: the page (CSRF, permissions),
// the user and the sections.
type ledgerData struct {
	Page page
	User *roster.User
	View *ledgerView
}
