package roster

import (
	"context"
	"strings"
	"time"
)

// MaxTaskTitleLen bounds a task's title.
const MaxTaskTitleLen = 200

// Task is something a staff member is to do about a user, by a day.
type Task struct {
	ID     int64 `json:"id"`
	UserID int64 `json:"-"` // the store's id of the user
	// User and UserName name the user, for lists across users (My tasks).
	User       string    `json:"user_id"`
	UserName   string    `json:"user_name"`
	Title      string    `json:"title"`
	Due        Date      `json:"due,omitzero"` // zero: no due date
	AssigneeID int64     `json:"assignee_id"`
	Assignee   string    `json:"assignee"` // the assignee's email
	Done       bool      `json:"done"`
	DoneAt     time.Time `json:"done_at,omitzero"`
	CreatedBy  string    `json:"created_by"`
	Created    time.Time `json:"created_at"`
	Updated    time.Time `json:"updated_at"`
}

// Overdue reports whether t is open and was due before today.
func (t *Task) Overdue(today Date) bool {
	return !t.Done && !t.Due.IsZero() && t.Due.Compare(today) < 0
}

// TaskUpdate changes a task; nil members stay. ClearDue removes the due
// date.
type TaskUpdate struct {
	Title      *string
	Due        *Date
	ClearDue   bool
	AssigneeID *int64
	Done       *bool
}

// TaskFilter selects tasks: of one user (public id), of one assignee,
// open or done ("" both), at most Limit (0: 500).
type TaskFilter struct {
	User       string
	AssigneeID int64
	Status     string // "open", "done" or ""
	Limit      int
}

// checkTitle trims title and checks it, as a "title" field error.
func checkTitle(title *string, fe FieldErrors) {
	*title = strings.TrimSpace(*title)
	switch {
	case *title == "":
		fe.Add("title", "is required")
	case len([]rune(*title)) > MaxTaskTitleLen:
		fe.Add("title", "is longer than 200 characters")
	}
}

// Validate checks a new task (EINVALID naming the member). The store
// checks that the assignee is an active staff account.
func (t *Task) Validate() error {
	fe := FieldErrors{}
	checkTitle(&t.Title, fe)
	if t.AssigneeID <= 0 {
		fe.Add("assignee_id", "is required")
	}
	checkDue(t.Due, fe)
	return fe.Err()
}

// Validate checks an update (EINVALID naming the member).
func (u *TaskUpdate) Validate() error {
	fe := FieldErrors{}
	if u.Title != nil {
		checkTitle(u.Title, fe)
	}
	if u.AssigneeID != nil && *u.AssigneeID <= 0 {
		fe.Add("assignee_id", "is required")
	}
	if u.Due != nil {
		checkDue(*u.Due, fe)
	}
	return fe.Err()
}

// checkDue keeps due dates to plausible years.
func checkDue(d Date, fe FieldErrors) {
	if !d.IsZero() && (d.Year < 2000 || d.Year > 2200) {
		fe.Add("due", "must be a day between the years 2000 and 2200")
	}
}

// ValidTaskStatus reports whether s is a TaskFilter status.
func ValidTaskStatus(s string) bool { return s == "" || s == "open" || s == "done" }

// TaskService keeps tasks on users for staff members. Users are named by
// public id; a task by its id and its user's.
type TaskService interface {
	// CreateTask stores t (audited "task.create"). EINVALID: a bad
	// member, an assignee who is not an active staff account.
	CreateTask(ctx context.Context, userID string, t *Task) error
	// FindTasks returns the tasks f selects: open before done; open
	// ones by due day (overdue first, undated last), done ones newest
	// first.
	FindTasks(ctx context.Context, f TaskFilter) ([]*Task, error)
	// FindTask returns one task of the user.
	FindTask(ctx context.Context, userID string, id int64) (*Task, error)
	// UpdateTask applies upd (audited "task.update").
	UpdateTask(ctx context.Context, userID string, id int64, upd TaskUpdate) (*Task, error)
	// DeleteTask deletes a task (audited "task.delete").
	DeleteTask(ctx context.Context, userID string, id int64) error
	// CountDueTasks counts the assignee's open tasks due on or before
	// today.
	CountDueTasks(ctx context.Context, assigneeID int64, today Date) (int, error)
}
