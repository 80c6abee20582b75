package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ledgerOnProfile is a support agent's round on a profile: add points with
// a reason, write a note in Markdown, give themselves a task that is
// already late, find it first on My tasks and mark it done there.
func ledgerOnProfile(t *testing.T, b *browser, token string) {
	ctx := b.step(t, b.tab)
	api := &http.Client{Timeout: 10 * time.Second}
	email := fmt.Sprintf("ledger-%d@example.com", time.Now().UnixNano())
	code, created := apiCall(t, api, http.MethodPost, b.base+"/api/v1/users", token, fmt.Sprintf(`{"email":%q,"first_name":"Lena","points":10}`, email))
	if code != http.StatusCreated {
		t.Fatalf("POST /api/v1/users: got %d, want 201: %v", code, created)
	}
	id, _ := created["id"].(string)
	profile := b.base + "/users/" + id

	// Points: the generic editor shows them as text; the Points section
	// changes them with a reason.
	openOK(t, ctx, profile)
	if exists(t, ctx, `input[name="v.points"]`) {
		t.Errorf("the Details editor still has an input for points")
	}
	act(t, ctx, "fill the points form",
		chromedp.SendKeys(chromedp.ID("points-amount"), "15"),
		chromedp.SendKeys(chromedp.ID("points-reason"), "Helped at the meetup"),
	)
	if status := clickAndLoad(t, ctx, "Save points", chromedp.CSS(`#points button[type=submit]`)); status != http.StatusOK {
		t.Fatalf("save points: got status %d, want 200", status)
	}
	if got := text(t, ctx, "#balance-points"); got != "25" {
		t.Errorf("after adding 15 points to 10: the balance reads %q, want 25", got)
	}
	if got := text(t, ctx, "#ledger tbody tr:first-child"); !strings.Contains(got, "+15") || !strings.Contains(got, "Helped at the meetup") {
		t.Errorf("the ledger's newest row reads %q, want +15 and the reason", got)
	}
	// Removing more than the balance is refused, with the reason kept.
	act(t, ctx, "remove too many points",
		chromedp.SetValue(chromedp.ID("points-direction"), "remove"),
		chromedp.SendKeys(chromedp.ID("points-amount"), "100"),
		chromedp.SendKeys(chromedp.ID("points-reason"), "Shop"),
	)
	if status := clickAndLoad(t, ctx, "Save points", chromedp.CSS(`#points button[type=submit]`)); status != http.StatusUnprocessableEntity {
		t.Errorf("remove 100 of 25 points: got status %d, want 422", status)
	}
	if got := text(t, ctx, "#points-err"); !strings.Contains(got, "below zero") {
		t.Errorf("remove 100 of 25 points: the message reads %q", got)
	}

	// A note in Markdown, shown rendered.
	openOK(t, ctx, profile)
	act(t, ctx, "write a note", chromedp.SendKeys(chromedp.ID("note-body"), "Met at the **meetup**, wants to host one."))
	if status := clickAndLoad(t, ctx, "Add note", byText("button", "Add note")); status != http.StatusOK {
		t.Fatalf("add note: got status %d, want 200", status)
	}
	if got := text(t, ctx, "#note-list .note-body strong"); got != "meetup" {
		t.Errorf("the note's bold text reads %q, want meetup", got)
	}

	// A task for oneself, due yesterday.
	yesterday := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	act(t, ctx, "fill the task form",
		chromedp.SendKeys(chromedp.ID("task-title"), "Send the host pack"),
		chromedp.SetValue(chromedp.ID("task-due"), yesterday),
	)
	if status := clickAndLoad(t, ctx, "Add task", byText("button", "Add task")); status != http.StatusOK {
		t.Fatalf("add task: got status %d, want 200", status)
	}
	if got := text(t, ctx, "#task-list li:first-child"); !strings.Contains(got, "Send the host pack") || !strings.Contains(got, "overdue") {
		t.Errorf("the task list reads %q, want the task, overdue", got)
	}
	b.shot(t, ctx, "profile-ledger")

	// My tasks, from the menu: the late task first, then done.
	if status := clickAndLoad(t, ctx, "My tasks in the menu", chromedp.CSS(`header.top nav a[href="/tasks"]`)); status != http.StatusOK {
		t.Fatalf("open My tasks: got status %d, want 200", status)
	}
	// The demo gave the owner tasks too: the new one is among the overdue,
	// which all come before the others.
	row := js[string](t, ctx, `[...document.querySelectorAll("#my-tasks li")].find(li => li.textContent.includes("Send the host pack") && li.textContent.includes("Lena"))?.id ?? ""`)
	if row == "" {
		t.Fatalf("My tasks: no row for the new task on Lena")
	}
	if !strings.Contains(text(t, ctx, "#"+row), "overdue") {
		t.Errorf("My tasks: the task due yesterday is not marked overdue: %q", text(t, ctx, "#"+row))
	}
	if late := js[bool](t, ctx, `(() => { let seenOnTime = false; for (const li of document.querySelectorAll("#my-tasks li")) { const late = li.classList.contains("overdue"); if (late && seenOnTime) return false; if (!late) seenOnTime = true; } return true; })()`); !late {
		t.Errorf("My tasks: an overdue task comes after one that is not")
	}
	b.shot(t, ctx, "my-tasks")
	if status := clickAndLoad(t, ctx, "Mark done", chromedp.CSS("#"+row+" button")); status != http.StatusOK {
		t.Fatalf("mark done: got status %d, want 200", status)
	}
	if here(t, ctx).Path != "/tasks" {
		t.Errorf("after marking done: at %s, want /tasks", here(t, ctx))
	}
	if exists(t, ctx, "#"+row) {
		t.Errorf("the done task is still among the open ones")
	}
}
