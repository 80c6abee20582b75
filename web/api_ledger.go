package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"roster"
)

// The points ledger, notes and tasks in the JSON API.

// ledgerPage is how many ledger entries a page holds by default.
const ledgerPage = 50

// pointsBody is the body of POST /api/v1/users/{id}/points.
type pointsBody struct {
	Amount         *int64 `json:"amount"`
	Reason         string `json:"reason"`
	Counter        string `json:"counter"`
	IdempotencyKey string `json:"idempotency_key"`
}

// ledgerJSON is a ledger entry with the user it belongs to.
type ledgerJSON struct {
	*roster.LedgerEntry
	User string `json:"user_id"`
}

func (s *Server) apiChangePoints(w http.ResponseWriter, r *http.Request) {
	var body pointsBody
	if err := decodeInto(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	fe := roster.FieldErrors{}
	if body.Amount == nil {
		fe.Add("amount", "is required")
	}
	if strings.TrimSpace(body.IdempotencyKey) == "" {
		fe.Add("idempotency_key", "is required: a retried request with the same key is applied once")
	}
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	e, replayed, err := s.Ledger.ChangePoints(r.Context(), id, roster.PointsChange{Counter: body.Counter, Amount: *body.Amount,
		Reason: body.Reason, Source: roster.LedgerAPI, IdempotencyKey: body.IdempotencyKey})
	if err != nil {
		s.error(w, r, err)
		return
	}
	status := http.StatusCreated
	if replayed {
		// The first answer again: nothing was applied this time.
		w.Header().Set("Idempotent-Replayed", "true")
		status = http.StatusOK
	}
	writeJSON(w, status, ledgerJSON{e, id})
}

func (s *Server) apiListPoints(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := ledgerPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			s.error(w, r, roster.Errorf(roster.EINVALID, "limit must be a number from 1 to 500."))
			return
		}
		limit = n
	}
	var before int64
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			s.error(w, r, roster.Errorf(roster.EINVALID, "cursor must be the next_cursor of an earlier page."))
			return
		}
		before = n
	}
	id := r.PathValue("id")
	balances, err := s.Ledger.Balances(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	counter := q.Get("counter")
	if counter != "" {
		known := false
		for _, b := range balances {
			known = known || b.Counter.Key == counter
		}
		if !known {
			s.error(w, r, roster.Errorf(roster.EINVALID, "counter: %s is not a counter.", roster.Quote(counter)))
			return
		}
	}
	entries, err := s.Ledger.FindLedger(r.Context(), id, counter, before, limit+1)
	if err != nil {
		s.error(w, r, err)
		return
	}
	next := ""
	if len(entries) > limit {
		entries = entries[:limit]
		next = strconv.FormatInt(entries[limit-1].ID, 10)
	}
	sums := map[string]int64{}
	for _, b := range balances {
		sums[b.Counter.Key] = b.Balance
	}
	out := make([]ledgerJSON, len(entries))
	for i, e := range entries {
		out[i] = ledgerJSON{e, id}
	}
	writeJSON(w, http.StatusOK, map[string]any{"balances": sums, "entries": out, "next_cursor": next})
}

func (s *Server) apiListCounters(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Ledger.Counters(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"counters": cs})
}

func (s *Server) apiCreateCounter(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Key           string `json:"key"`
		Label         string `json:"label"`
		AllowNegative bool   `json:"allow_negative"`
	}
	if err := decodeInto(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	c := &roster.Counter{Key: body.Key, Label: body.Label, AllowNegative: body.AllowNegative}
	if err := s.Ledger.CreateCounter(r.Context(), c); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// noteJSON is a note with its rendered HTML (Markdown made safe).
type noteJSON struct {
	*roster.Note
	User     string                `json:"user_id"`
	HTML     string                `json:"html"`
	Versions []*roster.NoteVersion `json:"versions,omitempty"`
}

func (s *Server) apiListNotes(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.Users.FindUserByID(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	notes, err := s.Notes.FindNotes(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]noteJSON, len(notes))
	for i, n := range notes {
		out[i] = noteJSON{Note: n, User: id, HTML: string(markdown(n.Body))}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notes": out})
}

// noteBody is the body of a note: create and update.
type noteBody struct {
	Body   *string `json:"body"`
	Pinned *bool   `json:"pinned"`
}

func (s *Server) apiCreateNote(w http.ResponseWriter, r *http.Request) {
	var body noteBody
	if err := decodeInto(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	n := &roster.Note{}
	if body.Body != nil {
		n.Body = *body.Body
	}
	if body.Pinned != nil {
		n.Pinned = *body.Pinned
	}
	id := r.PathValue("id")
	if err := s.Notes.CreateNote(r.Context(), id, n); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, noteJSON{Note: n, User: id, HTML: string(markdown(n.Body))})
}

func (s *Server) apiGetNote(w http.ResponseWriter, r *http.Request) {
	noteID, err := pathID(r, "note_id", "note")
	if err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	n, versions, err := s.Notes.FindNote(r.Context(), id, noteID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, noteJSON{Note: n, User: id, HTML: string(markdown(n.Body)), Versions: versions})
}

func (s *Server) apiUpdateNote(w http.ResponseWriter, r *http.Request) {
	noteID, err := pathID(r, "note_id", "note")
	if err == nil {
		// A note of another user is not found, whatever the body.
		_, _, err = s.Notes.FindNote(r.Context(), r.PathValue("id"), noteID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	var body noteBody
	if err := decodeInto(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	n, err := s.Notes.UpdateNote(r.Context(), id, noteID, roster.NoteUpdate{Body: body.Body, Pinned: body.Pinned})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, noteJSON{Note: n, User: id, HTML: string(markdown(n.Body))})
}

func (s *Server) apiDeleteNote(w http.ResponseWriter, r *http.Request) {
	noteID, err := pathID(r, "note_id", "note")
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.noContent(w, r, s.Notes.DeleteNote(r.Context(), r.PathValue("id"), noteID))
}

// taskBody is the body of a task: create and update. Due is a day
// (YYYY-MM-DD); null or "" clears it.
type taskBody struct {
	Title      *string         `json:"title"`
	Due        json.RawMessage `json:"due"`
	AssigneeID *int64          `json:"assignee_id"`
	Done       *bool           `json:"done"`
}

// due reads the due member: set reports whether it was given.
func (b taskBody) due(fe roster.FieldErrors) (d roster.Date, set bool) {
	if len(b.Due) == 0 {
		return d, false
	}
	var s *string
	if err := json.Unmarshal(b.Due, &s); err != nil {
		fe.Add("due", "must be a day as text, YYYY-MM-DD, or null")
		return d, true
	}
	if s == nil || *s == "" {
		return d, true
	}
	d, err := roster.ParseDate(*s)
	if err != nil {
		fe.Add("due", err.Error())
	}
	return d, true
}

func (s *Server) apiListUserTasks(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.Users.FindUserByID(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	s.writeTasks(w, r, roster.TaskFilter{User: id, Status: r.URL.Query().Get("status")})
}

// apiListTasks lists tasks across users: ?assignee=me (or a staff id),
// ?status=open|done.
func (s *Server) apiListTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := roster.TaskFilter{Status: q.Get("status")}
	switch a := q.Get("assignee"); a {
	case "":
	case "me":
		f.AssigneeID = staffFrom(r).ID
	default:
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			s.error(w, r, roster.Errorf(roster.EINVALID, "assignee must be me or a staff account's id."))
			return
		}
		f.AssigneeID = n
	}
	s.writeTasks(w, r, f)
}

func (s *Server) writeTasks(w http.ResponseWriter, r *http.Request, f roster.TaskFilter) {
	if !roster.ValidTaskStatus(f.Status) {
		s.error(w, r, roster.Errorf(roster.EINVALID, "status must be open or done."))
		return
	}
	tasks, err := s.Tasks.FindTasks(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if tasks == nil {
		tasks = []*roster.Task{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": tasks})
}

func (s *Server) apiCreateTask(w http.ResponseWriter, r *http.Request) {
	var body taskBody
	if err := decodeInto(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	fe := roster.FieldErrors{}
	t := &roster.Task{AssigneeID: staffFrom(r).ID}
	t.Due, _ = body.due(fe)
	if body.Title != nil {
		t.Title = *body.Title
	}
	if body.AssigneeID != nil {
		t.AssigneeID = *body.AssigneeID
	}
	if body.Done != nil {
		fe.Add("done", "cannot be set on a new task")
	}
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.Tasks.CreateTask(r.Context(), r.PathValue("id"), t); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) apiUpdateTask(w http.ResponseWriter, r *http.Request) {
	taskID, err := pathID(r, "task_id", "task")
	if err == nil {
		// A task of another user is not found, whatever the body.
		_, err = s.Tasks.FindTask(r.Context(), r.PathValue("id"), taskID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	var body taskBody
	if err := decodeInto(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	fe := roster.FieldErrors{}
	upd := roster.TaskUpdate{Title: body.Title, AssigneeID: body.AssigneeID, Done: body.Done}
	if d, set := body.due(fe); set {
		upd.Due, upd.ClearDue = &d, d.IsZero()
	}
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	t, err := s.Tasks.UpdateTask(r.Context(), r.PathValue("id"), taskID, upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) apiDeleteTask(w http.ResponseWriter, r *http.Request) {
	taskID, err := pathID(r, "task_id", "task")
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.noContent(w, r, s.Tasks.DeleteTask(r.Context(), r.PathValue("id"), taskID))
}
