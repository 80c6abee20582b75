package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"roster"
)

// Ensure TaskService implements the domain interface.
var _ roster.TaskService = (*TaskService)(nil)

// TaskService keeps tasks on users for staff members.
type TaskService struct {
	db *DB
}

// NewTaskService returns a TaskService on db.
func NewTaskService(db *DB) *TaskService { return &TaskService{db: db} }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

const taskSelect = `SELECT t.id, t.user_id, u.public_id, u.first_name, u.last_name, COALESCE(u.email, ''), t.title, t.due_on,
	t.assignee_id, s.email, t.done, t.done_at, t.created_by, t.created_at, t.updated_at
	FROM tasks t JOIN users u ON u.id = t.user_id JOIN staff s ON s.id = t.assignee_id`

func scanTask(row interface{ Scan(...any) error }) (*roster.Task, error) {
	t := &roster.Task{}
	var first, last, email string
	err := row.Scan(&t.ID, &t.UserID, &t.User, &first, &last, &email, &t.Title, dateScan{&t.Due},
		&t.AssigneeID, &t.Assignee, &t.Done, timeScan{&t.DoneAt}, &t.CreatedBy, timeScan{&t.Created}, timeScan{&t.Updated})
	u := roster.User{FirstName: first, LastName: last, Email: email, PublicID: t.User}
	t.UserName = u.Name()
	return t, err
}

// checkAssignee refuses an assignee who is not an active staff account.
func (tx *Tx) checkAssignee(ctx context.Context, id int64) error {
	var active bool
	err := tx.queryRow(ctx, "SELECT active FROM staff WHERE id = ?", id).Scan(&active)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !active) {
		return &roster.Error{Code: roster.EINVALID, Message: "Check the assignee.", Fields: map[string]string{"assignee_id": "is not an active staff account"}, Position: -1}
	}
	return formatError(err, "check assignee")
}

// CreateTask stores t.
func (s *TaskService) CreateTask(ctx context.Context, userID string, t *roster.Task) error {
	if err := t.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	uid, err := tx.lockUserID(ctx, userID)
	if err != nil {
		return err
	}
	if err := tx.checkAssignee(ctx, t.AssigneeID); err != nil {
		return err
	}
	a := roster.ActorFromContext(ctx)
	id, err := tx.insert(ctx, "INSERT INTO tasks (user_id, title, due_on, assignee_id, done, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		uid, t.Title, dateArg(t.Due), t.AssigneeID, false, a.Label, tx.db.timeArg(tx.now), tx.db.timeArg(tx.now))
	if err != nil {
		return formatError(err, "create task")
	}
	saved, err := scanTask(tx.queryRow(ctx, taskSelect+" WHERE t.id = ?", id))
	if err != nil {
		return formatError(err, "create task")
	}
	*t = *saved
	changes := map[string]roster.Change{"title": {After: t.Title}, "assignee": {After: t.Assignee}}
	if !t.Due.IsZero() {
		changes["due"] = roster.Change{After: t.Due.String()}
	}
	if err := tx.audit(ctx, "task.create", "user", userID, changes, "task "+itoa(id)); err != nil {
		return err
	}
	return tx.commit()
}

// FindTasks returns the tasks f selects: open before done, open ones by
// due day with undated ones last, done ones newest first.
func (s *TaskService) FindTasks(ctx context.Context, f roster.TaskFilter) ([]*roster.Task, error) {
	if !roster.ValidTaskStatus(f.Status) {
		return nil, &roster.Error{Code: roster.EINVALID, Message: "Unknown status.", Fields: map[string]string{"status": "must be open or done"}, Position: -1}
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.User != "" {
		where, args = append(where, "u.public_id = ?"), append(args, f.User)
	}
	if f.AssigneeID != 0 {
		where, args = append(where, "t.assignee_id = ?"), append(args, f.AssigneeID)
	}
	switch f.Status {
	case "open":
		where, args = append(where, "t.done = ?"), append(args, false)
	case "done":
		where, args = append(where, "t.done = ?"), append(args, true)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	q := taskSelect + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY t.done, CASE WHEN t.done THEN NULL ELSE t.due_on END IS NULL, CASE WHEN t.done THEN NULL ELSE t.due_on END, t.done_at DESC, t.id DESC LIMIT ?"
	rows, err := s.db.query(ctx, q, append(args, f.Limit)...)
	if err != nil {
		return nil, formatError(err, "find tasks")
	}
	defer rows.Close()
	var out []*roster.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, formatError(err, "find tasks")
		}
		out = append(out, t)
	}
	return out, formatError(rows.Err(), "find tasks")
}

// findTask finds task id of the user with public id userID, in tx.
func (tx *Tx) findTask(ctx context.Context, userID string, id int64) (*roster.Task, error) {
	t, err := scanTask(tx.queryRow(ctx, taskSelect+" WHERE t.id = ? AND u.public_id = ?", id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roster.Errorf(roster.ENOTFOUND, "Task not found.")
	}
	return t, formatError(err, "find task")
}

// FindTask returns one task of the user with public id userID.
func (s *TaskService) FindTask(ctx context.Context, userID string, id int64) (*roster.Task, error) {
	t, err := scanTask(s.db.queryRow(ctx, taskSelect+" WHERE t.id = ? AND u.public_id = ?", id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roster.Errorf(roster.ENOTFOUND, "Task not found.")
	}
	return t, formatError(err, "find task")
}

// UpdateTask applies upd.
func (s *TaskService) UpdateTask(ctx context.Context, userID string, id int64, upd roster.TaskUpdate) (*roster.Task, error) {
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.lockUserID(ctx, userID); err != nil {
		return nil, err
	}
	t, err := tx.findTask(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	changes := map[string]roster.Change{}
	if upd.Title != nil && *upd.Title != t.Title {
		changes["title"] = roster.Change{Before: t.Title, After: *upd.Title}
		t.Title = *upd.Title
	}
	due := t.Due
	if upd.ClearDue {
		due = roster.Date{}
	} else if upd.Due != nil {
		due = *upd.Due
	}
	if due != t.Due {
		changes["due"] = roster.Change{Before: nilIfEmpty(t.Due.String()), After: nilIfEmpty(due.String())}
		t.Due = due
	}
	if upd.AssigneeID != nil && *upd.AssigneeID != t.AssigneeID {
		if err := tx.checkAssignee(ctx, *upd.AssigneeID); err != nil {
			return nil, err
		}
		before := t.Assignee
		if err := tx.queryRow(ctx, "SELECT email FROM staff WHERE id = ?", *upd.AssigneeID).Scan(&t.Assignee); err != nil {
			return nil, formatError(err, "update task")
		}
		changes["assignee"] = roster.Change{Before: before, After: t.Assignee}
		t.AssigneeID = *upd.AssigneeID
	}
	if upd.Done != nil && *upd.Done != t.Done {
		changes["done"] = roster.Change{Before: t.Done, After: *upd.Done}
		t.Done = *upd.Done
		t.DoneAt = tx.now
		if !t.Done {
			t.DoneAt = time.Time{}
		}
	}
	if len(changes) == 0 {
		return t, nil
	}
	t.Updated = tx.now
	if _, err := tx.exec(ctx, "UPDATE tasks SET title = ?, due_on = ?, assignee_id = ?, done = ?, done_at = ?, updated_at = ? WHERE id = ?",
		t.Title, dateArg(t.Due), t.AssigneeID, t.Done, tx.db.timeArg(t.DoneAt), tx.db.timeArg(tx.now), t.ID); err != nil {
		return nil, formatError(err, "update task")
	}
	if err := tx.audit(ctx, "task.update", "user", userID, changes, "task "+itoa(t.ID)); err != nil {
		return nil, err
	}
	return t, tx.commit()
}

// DeleteTask deletes a task.
func (s *TaskService) DeleteTask(ctx context.Context, userID string, id int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t, err := tx.findTask(ctx, userID, id)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM tasks WHERE id = ?", id); err != nil {
		return formatError(err, "delete task")
	}
	if err := tx.audit(ctx, "task.delete", "user", userID, map[string]roster.Change{"title": {Before: t.Title}}, "task "+itoa(id)); err != nil {
		return err
	}
	return tx.commit()
}

// CountDueTasks counts the assignee's open tasks due on or before today.
func (s *TaskService) CountDueTasks(ctx context.Context, assigneeID int64, today roster.Date) (int, error) {
	var n int
	err := s.db.queryRow(ctx, "SELECT COUNT(*) FROM tasks WHERE assignee_id = ? AND done = ? AND due_on IS NOT NULL AND due_on <= ?",
		assigneeID, false, today.String()).Scan(&n)
	return n, formatError(err, "count tasks")
}
