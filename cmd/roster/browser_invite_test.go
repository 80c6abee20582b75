package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// inviteThroughOutbox is the newcomer's walk through an invitation on the
// demo, which has no mail server: invite a user from their profile, find
// the message in Settings → Email, follow its link as the invitee (a
// browser of their own, without the staff session), choose a password,
// and see the user active and able to sign in.
func inviteThroughOutbox(t *testing.T, b *browser, token string) {
	ctx := b.step(t, b.tab)
	api := &http.Client{Timeout: 10 * time.Second}
	email := fmt.Sprintf("invitee-%d@example.com", time.Now().UnixNano())
	body, _ := json.Marshal(map[string]string{"email": email, "first_name": "Ines"})
	code, created := apiCall(t, api, http.MethodPost, b.base+"/api/v1/users", token, string(body))
	if code != http.StatusCreated {
		t.Fatalf("POST /api/v1/users: got %d, want 201: %v", code, created)
	}
	id, _ := created["id"].(string)

	// The profile's Invite… step, behind its confirmation.
	openOK(t, ctx, b.base+"/users/"+id)
	act(t, ctx, "open Invite…", chromedp.Click(chromedp.CSS(`#send-invite > summary`)))
	if status := clickAndLoad(t, ctx, "Yes, send the invitation", byText("button", "Yes, send the invitation")); status != http.StatusOK {
		t.Fatalf("send the invitation: got status %d, want 200", status)
	}
	if got := text(t, ctx, "p.flash"); !strings.Contains(got, email) || !strings.Contains(got, "Settings → Email") {
		t.Errorf("after inviting: the flash says %q, want it to name %s and point to Settings → Email", got, email)
	}
	if got := text(t, ctx, "header.profile-head h1 .status"); got != "invited" {
		t.Errorf("after inviting: the status badge says %q, want invited", got)
	}
	if got := strings.ToLower(text(t, ctx, "#v-access")); got != "invited" {
		t.Errorf("after inviting: the profile's access says %q, want invited", got)
	}

	// Settings → Email lists the message, queued; its page shows the link.
	openOK(t, ctx, b.base+"/settings")
	if status := clickAndLoad(t, ctx, "Email in the settings menu", chromedp.CSS(`nav.sp-nav a[href="/settings/email"]`)); status != http.StatusOK {
		t.Fatalf("open Settings → Email: got status %d, want 200", status)
	}
	if got := text(t, ctx, "#mail-state"); !strings.Contains(got, "No mail server") {
		t.Errorf("Settings → Email on the demo: the note says %q, want it to say there is no mail server", got)
	}
	row := js[string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll("#outbox tbody tr")].find(tr => tr.cells[1]?.textContent.trim() === %s)?.id ?? ""`, jsString(email)))
	if row == "" {
		t.Fatalf("Settings → Email: no message to %s in the list", email)
	}
	if got := text(t, ctx, "#"+row+" .sp-badge"); got != "queued" {
		t.Errorf("Settings → Email: the invitation's status is %q, want queued", got)
	}
	if status := clickAndLoad(t, ctx, "the invitation's subject", chromedp.CSS("#"+row+" a")); status != http.StatusOK {
		t.Fatalf("open the invitation: got status %d, want 200", status)
	}
	link := js[string](t, ctx, `document.querySelector("#message-links a")?.href ?? ""`)
	lu, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(lu.Path, "/u/invite/") {
		t.Fatalf("the invitation's page: link %q, want one to /u/invite/…", link)
	}
	if !strings.Contains(text(t, ctx, "#message-text"), link) {
		t.Errorf("the invitation's text part does not carry its link %s", link)
	}
	b.shot(t, ctx, "outbox-invite")

	// The invitee, in a browser of their own.
	itab, cancel := chromedp.NewContext(b.tab, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(itab); err != nil {
		t.Fatalf("open a tab in a new browser context: %v", err)
	}
	ictx := b.step(t, itab)
	openOK(t, ictx, link)
	if got := text(t, ictx, "section.hosted h1"); got != "Accept your invitation" {
		t.Errorf("the invitation link: the page's heading is %q, want %q", got, "Accept your invitation")
	}
	b.shot(t, ictx, "hosted-invite")
	const pw = "lantern orchard 1972 velvet"
	fill(t, ictx, "#password", "short")
	fill(t, ictx, "#password_again", "short")
	if status := clickAndLoad(t, ictx, "Accept with a short password", byText("button", "Accept and set my password")); status != http.StatusUnprocessableEntity && status != http.StatusBadRequest {
		t.Errorf("accept with a 5-character password: got status %d, want 422 or 400", status)
	}
	if got := text(t, ictx, "#password-err"); got == "" {
		t.Errorf("accept with a 5-character password: no error under the password field")
	}
	fill(t, ictx, "#password", pw)
	fill(t, ictx, "#password_again", pw)
	if status := clickAndLoad(t, ictx, "Accept and set my password", byText("button", "Accept and set my password")); status != http.StatusOK {
		t.Fatalf("accept the invitation: got status %d, want 200", status)
	}
	if got := text(t, ictx, "#done"); !strings.Contains(got, "invitation is accepted") {
		t.Errorf("after accepting: the page says %q", got)
	}
	// The link worked once.
	if status := open(t, ictx, link); status != http.StatusGone {
		t.Errorf("the invitation link a second time: got status %d, want 410", status)
	}
	if got := text(t, ictx, "#problem"); !strings.Contains(got, "already been used") {
		t.Errorf("the invitation link a second time: the page says %q, want it to say it was used", got)
	}

	// Staff see the user active; the operator's app can sign them in.
	openOK(t, ctx, b.base+"/users/"+id)
	if got := text(t, ctx, "header.profile-head h1 .status"); got != "active" {
		t.Errorf("after the invitee accepted: the status badge says %q, want active", got)
	}
	if got := strings.ToLower(text(t, ctx, "#v-access")); got != "active" {
		t.Errorf("after the invitee accepted: the profile's access says %q, want active", got)
	}
	if code, got := apiCall(t, api, http.MethodGet, b.base+"/api/v1/users/"+id, token, ""); code != http.StatusOK || got["access"] != "active" {
		t.Errorf("after the invitee accepted: GET /api/v1/users/%s: %d, access %v, want active", id, code, got["access"])
	}
	creds, _ := json.Marshal(map[string]string{"login": email, "password": pw})
	if code, got := apiCall(t, api, http.MethodPost, b.base+"/api/v1/users/authenticate", token, string(creds)); code != http.StatusOK {
		t.Errorf("authenticate with the chosen password: got %d, want 200: %v", code, got)
	}
}
