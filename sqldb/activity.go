package sqldb

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"roster"
)

// Ensure LedgerActivity implements the domain interface.
var _ roster.ActivitySource = (*LedgerActivity)(nil)

// LedgerActivity gives a user's notes, tasks and points changes as
// timeline items (kinds "note", "task" and "points").
type LedgerActivity struct {
	db *DB
}

// NewLedgerActivity returns the timeline source of notes, tasks and the
// ledger on db.
func NewLedgerActivity(db *DB) *LedgerActivity { return &LedgerActivity{db: db} }

// UserActivity returns the user's items before before (zero: now), newest
// first, at most limit: the newest limit of each kind, merged.
func (a *LedgerActivity) UserActivity(ctx context.Context, userID int64, before time.Time, limit int) ([]roster.Activity, error) {
	if limit <= 0 {
		return nil, nil
	}
	if before.IsZero() {
		before = a.db.Now().Add(time.Second)
	}
	at := a.db.timeArg(before)
	var out []roster.Activity
	add := func(q string, scan func(rows interface{ Scan(...any) error }) (roster.Activity, error)) error {
		rows, err := a.db.query(ctx, q, userID, at, limit)
		if err != nil {
			return formatError(err, "user activity")
		}
		defer rows.Close()
		for rows.Next() {
			item, err := scan(rows)
			if err != nil {
				return formatError(err, "user activity")
			}
			out = append(out, item)
		}
		return formatError(rows.Err(), "user activity")
	}
	err := add("SELECT id, counter, amount, balance, reason, source, actor, at FROM ledger WHERE user_id = ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?",
		func(rows interface{ Scan(...any) error }) (roster.Activity, error) {
			var e roster.LedgerEntry
			if err := rows.Scan(&e.ID, &e.Counter, &e.Amount, &e.Balance, &e.Reason, &e.Source, &e.Actor, timeScan{&e.At}); err != nil {
				return roster.Activity{}, err
			}
			return roster.Activity{At: e.At, Kind: "points", Title: fmt.Sprintf("%+d %s (balance %d)", e.Amount, e.Counter, e.Balance),
				Detail: e.Reason, Actor: actorOf(e.Actor, e.Source), Cursor: "points:" + itoa(e.ID)}, nil
		})
	if err == nil {
		err = add("SELECT id, body, pinned, author, created_at FROM notes WHERE user_id = ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?",
			func(rows interface{ Scan(...any) error }) (roster.Activity, error) {
				var n roster.Note
				if err := rows.Scan(&n.ID, &n.Body, &n.Pinned, &n.Author, timeScan{&n.Created}); err != nil {
					return roster.Activity{}, err
				}
				title := "Note"
				if n.Pinned {
					title = "Pinned note"
				}
				return roster.Activity{At: n.Created, Kind: "note", Title: title, Detail: firstLine(n.Body, 200), Actor: n.Author, Cursor: "note:" + itoa(n.ID)}, nil
			})
	}
	if err == nil {
		err = add("SELECT t.id, t.title, t.due_on, s.email, t.done, t.created_by, t.created_at FROM tasks t JOIN staff s ON s.id = t.assignee_id WHERE t.user_id = ? AND t.created_at < ? ORDER BY t.created_at DESC, t.id DESC LIMIT ?",
			func(rows interface{ Scan(...any) error }) (roster.Activity, error) {
				var t roster.Task
				if err := rows.Scan(&t.ID, &t.Title, dateScan{&t.Due}, &t.Assignee, &t.Done, &t.CreatedBy, timeScan{&t.Created}); err != nil {
					return roster.Activity{}, err
				}
				detail := "for " + t.Assignee
				if !t.Due.IsZero() {
					detail += ", due " + t.Due.String()
				}
				if t.Done {
					detail += " (done)"
				}
				return roster.Activity{At: t.Created, Kind: "task", Title: "Task: " + t.Title, Detail: detail, Actor: t.CreatedBy, Cursor: "task:" + itoa(t.ID)}, nil
			})
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// actorOf names who made a ledger change: the staff member, else its source.
func actorOf(actor, source string) string {
	if actor == "" || actor == "system" {
		return source
	}
	return actor
}

// firstLine is the first line of s, cut to n characters.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
