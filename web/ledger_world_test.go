package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"roster"
	"roster/sqldb"
)

// The points ledger, notes and tasks in the route tests' world: rows of
// auditRoutes and scopeRoutes, and what they set up.

func (w *world) note(t *testing.T, user, body string) int64 {
	t.Helper()
	n := &roster.Note{Body: body}
	if err := sqldb.NewNoteService(w.db).CreateNote(w.ctx, user, n); err != nil {
		t.Fatal(err)
	}
	return n.ID
}

func (w *world) task(t *testing.T, user, title string) int64 {
	t.Helper()
	tk := &roster.Task{Title: title, AssigneeID: w.actor.ID}
	if err := sqldb.NewTaskService(w.db).CreateTask(w.ctx, user, tk); err != nil {
		t.Fatal(err)
	}
	return tk.ID
}

func (w *world) notesOf(t *testing.T, user string) string {
	t.Helper()
	notes, err := sqldb.NewNoteService(w.db).FindNotes(w.ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range notes {
		out = append(out, fmt.Sprintf("%d:%s:%v:v%d", n.ID, n.Body, n.Pinned, n.Version))
	}
	return fmt.Sprintf("user %s notes %v", user, out)
}

func (w *world) tasksOf(t *testing.T, user string) string {
	t.Helper()
	tasks, err := sqldb.NewTaskService(w.db).FindTasks(w.ctx, roster.TaskFilter{User: user})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tk := range tasks {
		out = append(out, fmt.Sprintf("%d:%s:%v:%s", tk.ID, tk.Title, tk.Done, tk.Due))
	}
	return fmt.Sprintf("user %s tasks %v", user, out)
}

// noteOfAnotherUser is user A with a note of its own, and a note of user B.
func noteOfAnotherUser(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, _ := w.user(t, "a")
	b, _ := w.user(t, "b")
	w.note(t, a, "mine")
	n := w.note(t, b, "theirs")
	return map[string]string{"id": a, "note": itoa(n), "note_id": itoa(n)}, func(t *testing.T) string {
		return w.notesOf(t, a) + " " + w.notesOf(t, b)
	}
}

// taskOfAnotherUser is user A with a task of its own, and a task of user B.
func taskOfAnotherUser(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, _ := w.user(t, "a")
	b, _ := w.user(t, "b")
	w.task(t, a, "mine")
	tk := w.task(t, b, "theirs")
	return map[string]string{"id": a, "task": itoa(tk), "task_id": itoa(tk)}, func(t *testing.T) string {
		return w.tasksOf(t, a) + " " + w.tasksOf(t, b)
	}
}

// ledgerScopeRoutes are the nested routes of notes and tasks.
var ledgerScopeRoutes = map[string]scopeCase{
	"POST /users/{id}/notes/{note}":             {status: http.StatusNotFound, make: noteOfAnotherUser},
	"POST /users/{id}/notes/{note}/delete":      {status: http.StatusNotFound, make: noteOfAnotherUser},
	"GET /api/v1/users/{id}/notes/{note_id}":    {status: http.StatusNotFound, make: noteOfAnotherUser},
	"PATCH /api/v1/users/{id}/notes/{note_id}":  {status: http.StatusNotFound, make: noteOfAnotherUser},
	"DELETE /api/v1/users/{id}/notes/{note_id}": {status: http.StatusNotFound, make: noteOfAnotherUser},
	"POST /users/{id}/tasks/{task}":             {status: http.StatusNotFound, make: taskOfAnotherUser},
	"PATCH /api/v1/users/{id}/tasks/{task_id}":  {status: http.StatusNotFound, make: taskOfAnotherUser},
	"DELETE /api/v1/users/{id}/tasks/{task_id}": {status: http.StatusNotFound, make: taskOfAnotherUser},
}

// ledgerAuditRoutes are the write routes of the ledger, notes and tasks.
var ledgerAuditRoutes = map[string][]auditCase{
	"POST /users/{id}/points": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "points-page")
		w.page(t, "/users/"+u+"/points", url.Values{"direction": {"add"}, "amount": {"5"}, "reason": {"helped a newcomer"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.points", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"points": chg(0, 5)}, Note: "helped a newcomer"}}
	}}},
	"POST /api/v1/users/{id}/points": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "points-api")
		w.api(t, "POST", "/api/v1/users/"+u+"/points", `{"amount":7,"reason":"order 1001","idempotency_key":"k1"}`, http.StatusCreated)
		return []wantEntry{{Action: "user.points", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"points": chg(0, 7)}, Note: "order 1001"}}
	}}},
	"POST /api/v1/counters": {{do: func(t *testing.T, w *world) []wantEntry {
		key := w.name("stamps")
		w.api(t, "POST", "/api/v1/counters", fmt.Sprintf(`{"key":%q,"label":"Stamps","allow_negative":false}`, key), http.StatusCreated)
		return []wantEntry{{Action: "counter.create", TargetType: "counter", TargetID: key,
			Changes: map[string]roster.Change{"key": chg(nil, key), "label": chg(nil, "Stamps"), "allow_negative": chg(nil, false)}}}
	}}},
	"POST /users/{id}/notes": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "note-page")
		w.page(t, "/users/"+u+"/notes", url.Values{"body": {"Asked about **refunds**"}, "pinned": {"true"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "note.create", TargetType: "user", TargetID: u,
			Changes: map[string]roster.Change{"body": chg(nil, "Asked about **refunds**"), "pinned": chg(nil, true)}, Note: "note "}}
	}}},
	"POST /api/v1/users/{id}/notes": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "note-api")
		w.api(t, "POST", "/api/v1/users/"+u+"/notes", `{"body":"From the app"}`, http.StatusCreated)
		return []wantEntry{{Action: "note.create", TargetType: "user", TargetID: u,
			Changes: map[string]roster.Change{"body": chg(nil, "From the app"), "pinned": chg(nil, false)}, Note: "note "}}
	}}},
	"POST /users/{id}/notes/{note}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "note-edit")
		n := w.note(t, u, "first")
		w.markNow(t)
		w.page(t, "/users/"+u+"/notes/"+itoa(n), url.Values{"body": {"second"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "note.update", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"body": chg("first", "second")}, Note: "note " + itoa(n)}}
	}}},
	"PATCH /api/v1/users/{id}/notes/{note_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "note-patch")
		n := w.note(t, u, "first")
		w.markNow(t)
		w.api(t, "PATCH", "/api/v1/users/"+u+"/notes/"+itoa(n), `{"pinned":true}`, http.StatusOK)
		return []wantEntry{{Action: "note.update", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"pinned": chg(false, true)}, Note: "note " + itoa(n)}}
	}}},
	"POST /users/{id}/notes/{note}/delete": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "note-del")
		n := w.note(t, u, "gone")
		w.markNow(t)
		w.page(t, "/users/"+u+"/notes/"+itoa(n)+"/delete", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "note.delete", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"body": chg("gone", nil), "pinned": chg(false, nil)}, Note: "note " + itoa(n)}}
	}}},
	"DELETE /api/v1/users/{id}/notes/{note_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "note-apidel")
		n := w.note(t, u, "gone")
		w.markNow(t)
		w.api(t, "DELETE", "/api/v1/users/"+u+"/notes/"+itoa(n), "", http.StatusNoContent)
		return []wantEntry{{Action: "note.delete", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"body": chg("gone", nil), "pinned": chg(false, nil)}, Note: "note " + itoa(n)}}
	}}},
	"POST /users/{id}/tasks": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "task-page")
		w.page(t, "/users/"+u+"/tasks", url.Values{"title": {"Call back"}, "due": {"2030-01-02"}, "assignee_id": {itoa(w.actor.ID)}}, http.StatusSeeOther)
		return []wantEntry{{Action: "task.create", TargetType: "user", TargetID: u,
			Changes: map[string]roster.Change{"title": chg(nil, "Call back"), "assignee": chg(nil, w.actor.Email), "due": chg(nil, "2030-01-02")}, Note: "task "}}
	}}},
	"POST /api/v1/users/{id}/tasks": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "task-api")
		w.api(t, "POST", "/api/v1/users/"+u+"/tasks", `{"title":"Send the pack"}`, http.StatusCreated)
		return []wantEntry{{Action: "task.create", TargetType: "user", TargetID: u,
			Changes: map[string]roster.Change{"title": chg(nil, "Send the pack"), "assignee": chg(nil, w.actor.Email)}, Note: "task "}}
	}}},
	"POST /users/{id}/tasks/{task}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "task-done")
		tk := w.task(t, u, "Do it")
		w.markNow(t)
		w.page(t, "/users/"+u+"/tasks/"+itoa(tk), url.Values{"done": {"true"}, "from": {"tasks"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "task.update", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"done": chg(false, true)}, Note: "task " + itoa(tk)}}
	}}},
	"PATCH /api/v1/users/{id}/tasks/{task_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "task-patch")
		tk := w.task(t, u, "Do it")
		w.markNow(t)
		w.api(t, "PATCH", "/api/v1/users/"+u+"/tasks/"+itoa(tk), `{"title":"Do it now","due":"2031-05-06"}`, http.StatusOK)
		return []wantEntry{{Action: "task.update", TargetType: "user", TargetID: u,
			Changes: map[string]roster.Change{"title": chg("Do it", "Do it now"), "due": chg(nil, "2031-05-06")}, Note: "task " + itoa(tk)}}
	}}},
	"DELETE /api/v1/users/{id}/tasks/{task_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "task-del")
		tk := w.task(t, u, "Never mind")
		w.markNow(t)
		w.api(t, "DELETE", "/api/v1/users/"+u+"/tasks/"+itoa(tk), "", http.StatusNoContent)
		return []wantEntry{{Action: "task.delete", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"title": chg("Never mind", nil)}, Note: "task " + itoa(tk)}}
	}}},
}

// The ledger's rows join the route tables that the route tests walk.
func init() {
	for k, v := range ledgerAuditRoutes {
		auditRoutes[k] = v
	}
	for k, v := range ledgerScopeRoutes {
		scopeRoutes[k] = v
	}
}
