package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// createdSecret finds the secret a settings page shows once.
var createdSecret = regexp.MustCompile(`id="created-secret"[^>]*value="([^"]*)"`)

// wantStatus fails t unless resp has status.
func wantStatus(t *testing.T, what string, resp *response, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, resp.StatusCode, status, resp.Body)
	}
}

// wantRedirect fails t unless resp is a 303 to loc.
func wantRedirect(t *testing.T, what string, resp *response, loc string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loc {
		t.Fatalf("%s: %d Location %q, want 303 %s\n%s", what, resp.StatusCode, resp.Header.Get("Location"), loc, resp.Body)
	}
}

func wantContains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: page lacks %q:\n%s", what, w, body)
		}
	}
}

func wantLacks(t *testing.T, what, body string, bads ...string) {
	t.Helper()
	for _, b := range bads {
		if strings.Contains(body, b) {
			t.Errorf("%s: page holds %q:\n%s", what, b, body)
		}
	}
}

// postForm posts form to path with the CSRF token of the page at from.
func (b *browser) postForm(from, path string, form url.Values) *response {
	b.t.Helper()
	page := b.get(from)
	if page.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: %d\n%s", from, page.StatusCode, page.Body)
	}
	form.Set("csrf", formValue(b.t, csrfInput, page.Body))
	return b.post(path, form, nil)
}

func TestPages_SettingsFields(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")

		wantRedirect(t, "GET /settings", admin.get("/settings"), "/settings/fields")
		resp := admin.get("/settings/fields")
		wantStatus(t, "GET /settings/fields", resp, http.StatusOK)
		wantContains(t, "fields page", resp.Body, `action="/settings/fields"`, "No custom fields yet", `href="/settings/staff"`, `href="/settings/tokens"`, "settings.css")

		// Create a choice field through the form.
		resp = admin.postForm("/settings/fields", "/settings/fields", url.Values{
			"key": {"loyalty_tier"}, "label": {"Loyalty tier"}, "type": {"choice"}, "choices": {"gold\r\nsilver\r\n\r\n"}, "required": {"1"},
		})
		wantRedirect(t, "create field", resp, "/settings/fields")
		resp = admin.get("/settings/fields")
		wantContains(t, "fields after create", resp.Body, "<code>loyalty_tier</code>", "Loyalty tier", `<span class="sp-chip">gold</span>`, `<span class="sp-chip">silver</span>`, "Required", "created.")
		if st, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/fields", ""); st != 200 || !strings.Contains(body, `"key":"loyalty_tier"`) || !strings.Contains(body, `"choices":["gold","silver"]`) {
			t.Errorf("API after create: %d %s", st, body)
		}

		// A bad key is refused with the message next to the input and
		// what was typed kept.
		resp = admin.postForm("/settings/fields", "/settings/fields", url.Values{"key": {"Bad Key"}, "label": {"Bad <b>label</b>"}, "type": {"text"}})
		wantStatus(t, "bad key", resp, http.StatusUnprocessableEntity)
		wantContains(t, "bad key", resp.Body, `id="new-key-error"`, "must start with a lower-case letter", `value="Bad Key"`, `value="Bad &lt;b&gt;label&lt;/b&gt;"`, `aria-invalid="true"`)
		wantLacks(t, "bad key", resp.Body, "<b>label</b>")
		// A taken key too.
		resp = admin.postForm("/settings/fields", "/settings/fields", url.Values{"key": {"loyalty_tier"}, "label": {"Again"}, "type": {"text"}})
		wantStatus(t, "taken key", resp, http.StatusUnprocessableEntity)
		wantContains(t, "taken key", resp.Body, "Key is already taken")
		// A choice field without choices.
		resp = admin.postForm("/settings/fields", "/settings/fields", url.Values{"key": {"size"}, "label": {"Size"}, "type": {"multi_choice"}})
		wantStatus(t, "no choices", resp, http.StatusUnprocessableEntity)
		wantContains(t, "no choices", resp.Body, `id="new-choices-error"`, "needs at least one choice")

		// The edit form opens on its row, prefilled.
		resp = admin.get("/settings/fields?edit=loyalty_tier")
		wantStatus(t, "edit form", resp, http.StatusOK)
		wantContains(t, "edit form", resp.Body, `id="edit-label"`, `value="Loyalty tier"`, `name="add_choices"`, `name="position"`)
		resp = admin.postForm("/settings/fields", "/settings/fields/loyalty_tier", url.Values{
			"op": {"edit"}, "label": {"Tier"}, "position": {"7"}, "add_choices": {"bronze\n"},
		})
		wantRedirect(t, "edit field", resp, "/settings/fields")
		f := findField(t, db, "loyalty_tier")
		if f.Label != "Tier" || f.Position != 7 || f.Required || strings.Join(f.Choices, ",") != "gold,silver,bronze" {
			t.Errorf("after edit: %+v", f)
		}
		// A bad position keeps the edit form open with the message.
		resp = admin.postForm("/settings/fields", "/settings/fields/loyalty_tier", url.Values{"op": {"edit"}, "label": {"Tier 2"}, "position": {"first"}})
		wantStatus(t, "bad position", resp, http.StatusUnprocessableEntity)
		wantContains(t, "bad position", resp.Body, `id="edit-position-error"`, `value="Tier 2"`, `value="first"`)
		// A duplicate choice too.
		resp = admin.postForm("/settings/fields", "/settings/fields/loyalty_tier", url.Values{"op": {"edit"}, "label": {"Tier"}, "position": {"7"}, "add_choices": {"gold"}})
		wantStatus(t, "duplicate choice", resp, http.StatusUnprocessableEntity)
		wantContains(t, "duplicate choice", resp.Body, `id="edit-add-choices-error"`, "listed twice")
		if resp := admin.postForm("/settings/fields", "/settings/fields/nope", url.Values{"op": {"retire"}, "retired": {"true"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("retire an unknown field: %d", resp.StatusCode)
		}

		// Retire: listed as retired, gone from the API; restore brings it back.
		resp = admin.postForm("/settings/fields", "/settings/fields/loyalty_tier", url.Values{"op": {"retire"}, "retired": {"true"}})
		wantRedirect(t, "retire", resp, "/settings/fields")
		resp = admin.get("/settings/fields")
		wantContains(t, "after retire", resp.Body, `class="sp-retired"`, `<span class="sp-badge sp-badge-off">Retired</span>`, "Restore")
		if f := findField(t, db, "loyalty_tier"); !f.Retired {
			t.Error("field not retired")
		}
		if _, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/fields", ""); strings.Contains(body, "loyalty_tier") {
			t.Errorf("a retired field is in the API: %s", body)
		}
		resp = admin.postForm("/settings/fields", "/settings/fields/loyalty_tier", url.Values{"op": {"retire"}, "retired": {"false"}})
		wantRedirect(t, "restore", resp, "/settings/fields")
		if f := findField(t, db, "loyalty_tier"); f.Retired {
			t.Error("field not restored")
		}

		// A viewer sees the list but no controls, and cannot post.
		viewer := newBrowser(t, ts)
		viewer.signIn(roster.RoleViewer, "/")
		wantRedirect(t, "viewer GET /settings", viewer.get("/settings"), "/settings/fields")
		resp = viewer.get("/settings/fields")
		wantStatus(t, "viewer fields", resp, http.StatusOK)
		wantContains(t, "viewer fields", resp.Body, "loyalty_tier", "Tier")
		wantLacks(t, "viewer fields", resp.Body, `action="/settings/fields"`, `action="/settings/fields/`, `name="op"`, `href="/settings/staff"`, `href="/settings/tokens"`, "?edit=")
		resp = viewer.postForm("/settings/fields", "/settings/fields", url.Values{"key": {"forged"}, "label": {"Forged"}, "type": {"text"}})
		wantStatus(t, "viewer forged create", resp, http.StatusForbidden)
		resp = viewer.postForm("/settings/fields", "/settings/fields/loyalty_tier", url.Values{"op": {"retire"}, "retired": {"true"}})
		wantStatus(t, "viewer forged retire", resp, http.StatusForbidden)
		if _, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/fields", ""); strings.Contains(body, "forged") || !strings.Contains(body, "loyalty_tier") {
			t.Errorf("viewer's forged posts changed fields: %s", body)
		}
		for _, path := range []string{"/settings/staff", "/settings/tokens", "/audit"} {
			wantStatus(t, "viewer GET "+path, viewer.get(path), http.StatusForbidden)
		}
		// The open edit form is for those who may edit only.
		wantLacks(t, "viewer ?edit", viewer.get("/settings/fields?edit=loyalty_tier").Body, `name="add_choices"`)
	})
}

func findField(t *testing.T, db *sqldb.DB, key string) roster.Field {
	t.Helper()
	fields, err := sqldb.NewFieldService(db).FindCustomFields(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if f.Key == key {
			return f
		}
	}
	t.Fatalf("no custom field %s", key)
	return roster.Field{}
}

func TestPages_SettingsStaff(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		staff := sqldb.NewStaffService(db)
		ctx := context.Background()
		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")

		resp := admin.get("/settings/staff")
		wantStatus(t, "GET /settings/staff", resp, http.StatusOK)
		wantContains(t, "staff page", resp.Body, "owner@staff.example.com", "viewer@staff.example.com", `name="generate"`, "only an owner can change this")
		// An admin is not offered the owner role.
		wantLacks(t, "staff page", resp.Body, `<option value="owner"`)

		// Create an account with a generated password: shown once.
		resp = admin.postForm("/settings/staff", "/settings/staff", url.Values{
			"email": {"New.Person@Staff.example.com"}, "name": {"New <Person>"}, "role": {"support"}, "generate": {"1"},
		})
		wantStatus(t, "create staff", resp, http.StatusCreated)
		pw := formValue(t, createdSecret, resp.Body)
		if len(pw) != 20 {
			t.Fatalf("generated password %q", pw)
		}
		wantContains(t, "create staff", resp.Body, "new.person@staff.example.com", "shown only once", "New &lt;Person&gt;")
		wantLacks(t, "create staff", resp.Body, "<Person>")
		if resp := admin.get("/settings/staff"); strings.Contains(resp.Body, pw) {
			t.Errorf("the generated password shows again:\n%s", resp.Body)
		}
		person := newBrowser(t, ts)
		wantRedirect(t, "sign in with the generated password",
			person.post("/signin", url.Values{"email": {"new.person@staff.example.com"}, "password": {pw}, "next": {"/"}}, nil), "/")
		created, err := staff.FindStaffByEmail(ctx, "new.person@staff.example.com")
		if err != nil {
			t.Fatal(err)
		}
		if created.Role != roster.RoleSupport || created.Name != "New <Person>" {
			t.Errorf("created %+v", created)
		}

		// With a password of one's own: a flash, no secret.
		resp = admin.postForm("/settings/staff", "/settings/staff", url.Values{"email": {"own@staff.example.com"}, "role": {"viewer"}, "password": {"a password of mine"}})
		wantRedirect(t, "create with password", resp, "/settings/staff")
		wantContains(t, "after create", admin.get("/settings/staff").Body, "own@staff.example.com", "created.")
		// Without one: refused.
		resp = admin.postForm("/settings/staff", "/settings/staff", url.Values{"email": {"nopw@staff.example.com"}, "role": {"viewer"}})
		wantStatus(t, "no password", resp, http.StatusUnprocessableEntity)
		wantContains(t, "no password", resp.Body, `id="new-password-error"`, `value="nopw@staff.example.com"`)
		resp = admin.postForm("/settings/staff", "/settings/staff", url.Values{"email": {"not an email"}, "role": {"viewer"}, "generate": {"1"}})
		wantStatus(t, "bad email", resp, http.StatusUnprocessableEntity)
		wantContains(t, "bad email", resp.Body, `id="new-email-error"`)
		wantLacks(t, "bad email", resp.Body, `id="created-secret"`)
		resp = admin.postForm("/settings/staff", "/settings/staff", url.Values{"email": {"viewer@staff.example.com"}, "role": {"viewer"}, "generate": {"1"}})
		wantStatus(t, "taken email", resp, http.StatusUnprocessableEntity)
		wantContains(t, "taken email", resp.Body, "Email is already taken")
		// An admin cannot make an owner.
		resp = admin.postForm("/settings/staff", "/settings/staff", url.Values{"email": {"boss@staff.example.com"}, "role": {"owner"}, "generate": {"1"}})
		wantStatus(t, "admin creates owner", resp, http.StatusForbidden)
		wantContains(t, "admin creates owner", resp.Body, "Only an owner can create an owner.")

		// Change the role.
		path := "/settings/staff/" + strconv.FormatInt(created.ID, 10)
		wantRedirect(t, "change role", admin.postForm("/settings/staff", path, url.Values{"op": {"role"}, "role": {"manager"}}), "/settings/staff")
		wantContains(t, "after role change", admin.get("/settings/staff").Body, "is now manager.")
		if s, _ := staff.FindStaffByID(ctx, created.ID); s.Role != roster.RoleManager {
			t.Errorf("role is %s", s.Role)
		}
		resp = admin.postForm("/settings/staff", path, url.Values{"op": {"role"}, "role": {"emperor"}})
		wantStatus(t, "unknown role", resp, http.StatusUnprocessableEntity)

		// Deactivate: the account's session ends.
		wantStatus(t, "person signed in", person.get("/account"), http.StatusOK)
		wantRedirect(t, "deactivate", admin.postForm("/settings/staff", path, url.Values{"op": {"active"}, "active": {"false"}}), "/settings/staff")
		resp = admin.get("/settings/staff")
		wantContains(t, "after deactivate", resp.Body, "is deactivated", `<span class="sp-badge sp-badge-off">Deactivated</span>`, `aria-label="Activate new.person@staff.example.com"`)
		if s, _ := staff.FindStaffByID(ctx, created.ID); s.Active {
			t.Error("still active")
		}
		if resp := person.get("/account"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("deactivated staff's session still works: %d", resp.StatusCode)
		}
		wantRedirect(t, "activate", admin.postForm("/settings/staff", path, url.Values{"op": {"active"}, "active": {"true"}}), "/settings/staff")

		// Oneself cannot be deactivated; an admin cannot touch an owner.
		adminAcct, _ := staff.FindStaffByEmail(ctx, "admin@staff.example.com")
		resp = admin.postForm("/settings/staff", fmt.Sprintf("/settings/staff/%d", adminAcct.ID), url.Values{"op": {"active"}, "active": {"false"}})
		wantStatus(t, "deactivate self", resp, http.StatusConflict)
		wantContains(t, "deactivate self", resp.Body, "cannot deactivate your own account")
		owner, _ := staff.FindStaffByEmail(ctx, "owner@staff.example.com")
		ownerPath := fmt.Sprintf("/settings/staff/%d", owner.ID)
		resp = admin.postForm("/settings/staff", ownerPath, url.Values{"op": {"role"}, "role": {"viewer"}})
		wantStatus(t, "admin demotes owner", resp, http.StatusForbidden)
		wantContains(t, "admin demotes owner", resp.Body, "Only an owner can change")

		// The last owner cannot step down.
		ob := newBrowser(t, ts)
		ob.signIn(roster.RoleOwner, "/")
		resp = ob.postForm("/settings/staff", ownerPath, url.Values{"op": {"role"}, "role": {"admin"}})
		wantStatus(t, "last owner", resp, http.StatusConflict)
		wantContains(t, "last owner", resp.Body, "last active owner", "sp-row-error")
		if s, _ := staff.FindStaffByID(ctx, owner.ID); s.Role != roster.RoleOwner {
			t.Errorf("last owner demoted to %s", s.Role)
		}
		// An owner is offered the owner role.
		wantContains(t, "owner's staff page", ob.get("/settings/staff").Body, `<option value="owner"`)
	})
}

func TestPages_SettingsTokens(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		staff := sqldb.NewStaffService(db)
		ctx := context.Background()
		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")
		support, _ := staff.FindStaffByEmail(ctx, "support@staff.example.com")
		owner, _ := staff.FindStaffByEmail(ctx, "owner@staff.example.com")

		resp := admin.get("/settings/tokens")
		wantStatus(t, "GET /settings/tokens", resp, http.StatusOK)
		// The harness made a token per role.
		wantContains(t, "tokens page", resp.Body, "viewer@staff.example.com", "<code>rst_")
		// An admin may not make a token acting as an owner.
		wantLacks(t, "tokens page", resp.Body, fmt.Sprintf(`<option value="%d"`, owner.ID))

		resp = admin.postForm("/settings/tokens", "/settings/tokens", url.Values{"staff_id": {strconv.FormatInt(support.ID, 10)}, "name": {"CRM <sync>"}})
		wantStatus(t, "create token", resp, http.StatusCreated)
		secret := formValue(t, createdSecret, resp.Body)
		if !strings.HasPrefix(secret, "rst_") || len(secret) < 40 {
			t.Fatalf("token secret %q", secret)
		}
		wantContains(t, "create token", resp.Body, "CRM &lt;sync&gt;", "support@staff.example.com", "shown only once")
		ts.Tokens["crm"] = secret
		if st, body := ts.do(t, "crm", "GET", "/api/v1/fields", ""); st != http.StatusOK {
			t.Fatalf("new token: %d %s", st, body)
		}
		resp = admin.get("/settings/tokens")
		wantLacks(t, "tokens after create", resp.Body, secret)
		wantContains(t, "tokens after create", resp.Body, "<code>"+secret[:10]+"…</code>")

		// Refusals.
		resp = admin.postForm("/settings/tokens", "/settings/tokens", url.Values{"staff_id": {strconv.FormatInt(support.ID, 10)}, "name": {"  "}})
		wantStatus(t, "no name", resp, http.StatusUnprocessableEntity)
		wantContains(t, "no name", resp.Body, `id="new-token-name-error"`)
		resp = admin.postForm("/settings/tokens", "/settings/tokens", url.Values{"staff_id": {"999999"}, "name": {"x"}})
		wantStatus(t, "unknown staff", resp, http.StatusUnprocessableEntity)
		resp = admin.postForm("/settings/tokens", "/settings/tokens", url.Values{"staff_id": {strconv.FormatInt(owner.ID, 10)}, "name": {"escalate"}})
		wantStatus(t, "admin makes owner token", resp, http.StatusForbidden)
		wantLacks(t, "admin makes owner token", resp.Body, `id="created-secret"`)

		// Revoke.
		tokens, err := staff.FindTokens(ctx, support.ID)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		for _, tok := range tokens {
			if tok.Name == "CRM <sync>" {
				id = tok.ID
			}
		}
		revoke := fmt.Sprintf("/settings/tokens/%d/revoke", id)
		wantRedirect(t, "revoke", admin.postForm("/settings/tokens", revoke, url.Values{}), "/settings/tokens")
		resp = admin.get("/settings/tokens")
		wantContains(t, "after revoke", resp.Body, "Token revoked", `<span class="sp-badge sp-badge-off">Revoked</span>`)
		if st, _ := ts.do(t, "crm", "GET", "/api/v1/fields", ""); st != http.StatusUnauthorized {
			t.Errorf("revoked token: %d, want 401", st)
		}
		wantStatus(t, "revoke twice", admin.postForm("/settings/tokens", revoke, url.Values{}), http.StatusNotFound)

		// The secret was in one page only.
		n := 0
		for _, body := range *admin.bodies {
			if strings.Contains(body, secret) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the token secret shows in %d pages, want 1", n)
		}

		// A manager cannot manage tokens.
		manager := newBrowser(t, ts)
		manager.signIn(roster.RoleManager, "/")
		wantStatus(t, "manager GET tokens", manager.get("/settings/tokens"), http.StatusForbidden)
		resp = manager.postForm("/account", "/settings/tokens", url.Values{"staff_id": {strconv.FormatInt(support.ID, 10)}, "name": {"x"}})
		wantStatus(t, "manager POST tokens", resp, http.StatusForbidden)
	})
}

func TestPages_Account(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleViewer, "/")
		other := newBrowser(t, ts)
		other.signIn(roster.RoleViewer, "/")

		resp := b.get("/account")
		wantStatus(t, "GET /account", resp, http.StatusOK)
		wantContains(t, "account", resp.Body, "viewer@staff.example.com", `<dd id="current-zone">UTC</dd>`, `name="current_password"`, `name="time_zone"`, `name="other_time_zone"`)

		// Password: wrong current, mismatch, weak.
		resp = b.postForm("/account", "/account", url.Values{"op": {"password"}, "current_password": {"wrong password"}, "new_password": {"a new password 1"}, "confirm_password": {"a new password 1"}})
		wantStatus(t, "wrong current password", resp, http.StatusUnprocessableEntity)
		wantContains(t, "wrong current password", resp.Body, `id="current-password-error"`, "is not your current password")
		resp = b.postForm("/account", "/account", url.Values{"op": {"password"}, "current_password": {staffPassword}, "new_password": {"a new password 1"}, "confirm_password": {"a new password 2"}})
		wantStatus(t, "mismatch", resp, http.StatusUnprocessableEntity)
		wantContains(t, "mismatch", resp.Body, `id="confirm-password-error"`)
		resp = b.postForm("/account", "/account", url.Values{"op": {"password"}, "current_password": {staffPassword}, "new_password": {"short"}, "confirm_password": {"short"}})
		wantStatus(t, "weak", resp, http.StatusUnprocessableEntity)
		wantContains(t, "weak", resp.Body, `id="new-password-error"`, "at least 12 characters")

		// Time zone from the list, then typed.
		wantRedirect(t, "set zone", b.postForm("/account", "/account", url.Values{"op": {"time_zone"}, "time_zone": {"Europe/Paris"}}), "/account")
		resp = b.get("/account")
		wantContains(t, "after zone", resp.Body, `<dd id="current-zone">Europe/Paris</dd>`, `<option value="Europe/Paris" selected>`, "Time zone set to Europe/Paris.")
		resp = b.postForm("/account", "/account", url.Values{"op": {"time_zone"}, "time_zone": {"UTC"}, "other_time_zone": {"Mars/Olympus_Mons"}})
		wantStatus(t, "bad zone", resp, http.StatusUnprocessableEntity)
		wantContains(t, "bad zone", resp.Body, `id="other-time-zone-error"`, `value="Mars/Olympus_Mons"`)
		wantStatus(t, "Local zone", b.postForm("/account", "/account", url.Values{"op": {"time_zone"}, "other_time_zone": {"Local"}}), http.StatusUnprocessableEntity)
		wantRedirect(t, "typed zone", b.postForm("/account", "/account", url.Values{"op": {"time_zone"}, "time_zone": {"UTC"}, "other_time_zone": {"Asia/Kathmandu"}}), "/account")
		wantContains(t, "typed zone", b.get("/account").Body, `<dd id="current-zone">Asia/Kathmandu</dd>`, `value="Asia/Kathmandu"`, "UTC&#43;05:45")

		// A good change keeps this browser signed in and signs out the others.
		const newPassword = "a brand new password"
		resp = b.postForm("/account", "/account", url.Values{"op": {"password"}, "current_password": {staffPassword}, "new_password": {newPassword}, "confirm_password": {newPassword}})
		wantRedirect(t, "change password", resp, "/account")
		resp = b.get("/account")
		wantStatus(t, "after password change", resp, http.StatusOK)
		wantContains(t, "after password change", resp.Body, "Password changed.")
		if resp := other.get("/"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("another session survived the password change: %d", resp.StatusCode)
		}
		fresh := newBrowser(t, ts)
		wantRedirect(t, "sign in with the new password",
			fresh.post("/signin", url.Values{"email": {"viewer@staff.example.com"}, "password": {newPassword}, "next": {"/"}}, nil), "/")
		if resp := fresh.post("/signin", url.Values{"email": {"viewer@staff.example.com"}, "password": {staffPassword}}, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("old password still works: %d", resp.StatusCode)
		}
		for _, body := range *b.bodies {
			if strings.Contains(body, newPassword) || strings.Contains(body, staffPassword) {
				t.Fatalf("a page holds a password:\n%s", body)
			}
		}
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), roster.AuditFilter{Action: "staff.password"})
		if err != nil || len(entries) != 1 || entries[0].Actor != "viewer@staff.example.com" {
			t.Errorf("staff.password audit entries: %v %+v", err, entries)
		}
		raw, _ := json.Marshal(entries)
		if strings.Contains(string(raw), newPassword) || strings.Contains(string(raw), "argon2") {
			t.Errorf("the audit entry holds a secret: %s", raw)
		}

		// Unknown form.
		wantStatus(t, "unknown op", fresh.postForm("/account", "/account", url.Values{"op": {"nope"}}), http.StatusBadRequest)

		// Guessing the current password with a signed-in session is
		// throttled like signing in: the 4th quick guess is refused, or
		// the 5th when hashing is slower than the first wait.
		sb := newBrowser(t, ts)
		sb.signIn(roster.RoleSupport, "/")
		throttled := 0
		for i := 1; i <= 6 && throttled == 0; i++ {
			resp := sb.postForm("/account", "/account", url.Values{"op": {"password"}, "current_password": {fmt.Sprint("guess ", i)}, "new_password": {"a new password 1"}, "confirm_password": {"a new password 1"}})
			switch resp.StatusCode {
			case http.StatusUnprocessableEntity:
			case http.StatusTooManyRequests:
				throttled = i
				wantContains(t, "throttled", resp.Body, `id="current-password-error"`, "Too many")
			default:
				t.Fatalf("guess %d: %d\n%s", i, resp.StatusCode, resp.Body)
			}
		}
		if throttled < 4 {
			t.Fatalf("throttled at guess %d, want the 4th or 5th", throttled)
		}
		resp = sb.postForm("/account", "/account", url.Values{"op": {"password"}, "current_password": {staffPassword}, "new_password": {"a new password 1"}, "confirm_password": {"a new password 1"}})
		wantStatus(t, "right password while throttled", resp, http.StatusTooManyRequests)
		// Signing in is a separate count.
		newBrowser(t, ts).signIn(roster.RoleSupport, "/")
	})
}

func TestPages_Audit(t *testing.T) {
	const script = `<script>alert(1)</script>`
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		body, _ := json.Marshal(map[string]string{"email": "xss@example.com", "first_name": script, "city": `"><img src=x onerror=alert(1)>`})
		id := ts.createUser(t, string(body))
		if st, out := ts.do(t, roster.RoleAdmin, "PATCH", "/api/v1/users/"+id, `{"teams":["a","b"]}`); st != http.StatusOK {
			t.Fatalf("update: %d %s", st, out)
		}
		// Points change through the ledger: its entry shows the balance.
		if st, out := ts.do(t, roster.RoleAdmin, "POST", "/api/v1/users/"+id+"/points", `{"amount":1234567,"reason":"import from the old system","idempotency_key":"a1"}`); st != http.StatusCreated {
			t.Fatalf("points: %d %s", st, out)
		}
		if st, out := ts.do(t, roster.RoleAdmin, "POST", "/api/v1/fields", `{"key":"nick","label":"<i>Nick</i>","type":"text"}`); st != http.StatusCreated {
			t.Fatalf("field: %d %s", st, out)
		}

		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")
		resp := admin.get("/audit")
		wantStatus(t, "GET /audit", resp, http.StatusOK)
		wantContains(t, "audit", resp.Body,
			`>user.create</span>`, `>user.update</span>`, `>field.create</span>`, `>staff.sign_in</span>`,
			`href="/users/`+id+`"`, "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;i&gt;Nick&lt;/i&gt;",
			"first_name:", "points:", "1234567", "a, b", "admin@staff.example.com", `<option value="">Anyone</option>`)
		wantLacks(t, "audit", resp.Body, "<script>alert(1)", "<img src=x", "<i>Nick", "1.234567e+06")

		// Filter by action.
		resp = admin.get("/audit?action=user.create")
		wantStatus(t, "filter action", resp, http.StatusOK)
		wantContains(t, "filter action", resp.Body, `>user.create</span>`, `value="user.create"`, "Clear filters")
		wantLacks(t, "filter action", resp.Body, `>user.update</span>`, `>field.create</span>`, `>staff.sign_in</span>`)
		// By actor: the harness's own writes were by actor 0.
		adminAcct, _ := sqldb.NewStaffService(db).FindStaffByEmail(context.Background(), "admin@staff.example.com")
		resp = admin.get(fmt.Sprintf("/audit?actor=%d&action=staff.create", adminAcct.ID))
		wantStatus(t, "filter actor", resp, http.StatusOK)
		wantLacks(t, "filter actor", resp.Body, `>staff.create</span>`)
		wantContains(t, "filter actor", resp.Body, "No entries match these filters.")
		resp = admin.get("/audit?actor=0&action=staff.create")
		wantContains(t, "filter actor 0", resp.Body, `>staff.create</span>`)
		// By date, in the staff's zone.
		today := time.Now().UTC().Format("2006-01-02")
		wantContains(t, "filter today", admin.get("/audit?from="+today+"&to="+today).Body, `>user.create</span>`)
		wantContains(t, "filter past", admin.get("/audit?from=2001-01-01&to=2001-12-31").Body, "No entries match these filters.")
		// By target.
		resp = admin.get("/audit?target_type=user&target_id=" + id)
		wantContains(t, "filter target", resp.Body, `>user.create</span>`, `>user.update</span>`)
		wantLacks(t, "filter target", resp.Body, `>field.create</span>`)

		// Bad filters: a message and 400, never 500.
		for _, q := range []string{"from=yesterday", "to=2024-13-01", "from=2024-02-30", "from=2024-03-02&to=2024-03-01", "actor=bob", "before=x", "before=-3"} {
			resp := admin.get("/audit?" + q)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("GET /audit?%s: %d, want 400", q, resp.StatusCode)
			}
			wantContains(t, "bad filter "+q, resp.Body, `class="alert"`, `action="/audit"`)
		}
		wantLacks(t, "bad date", admin.get("/audit?from="+url.QueryEscape(script)).Body, "<script>alert(1)")
		// The bad date stays in sight, as text, marked invalid.
		wantContains(t, "bad date", admin.get("/audit?from=yesterday").Body, `type="text" value="yesterday"`, `aria-invalid="true" aria-describedby="audit-error"`, `id="audit-error"`)
		// Staff targets are named by email.
		wantContains(t, "staff target", admin.get("/audit?action=staff.create").Body, `title="Only entries about staff `, `>viewer@staff.example.com</a>`)

		// Paging: 50 a page, then older ones.
		for i := range 55 {
			ts.createUser(t, fmt.Sprintf(`{"email":"page%d@example.com"}`, i))
		}
		resp = admin.get("/audit?action=user.create")
		if n := strings.Count(resp.Body, `>user.create</span>`); n != 50 {
			t.Errorf("first page: %d entries, want 50", n)
		}
		older := regexp.MustCompile(`<a href="([^"]+)" rel="next">Older entries`).FindStringSubmatch(resp.Body)
		if older == nil {
			t.Fatalf("no Older entries link:\n%s", resp.Body)
		}
		resp = admin.get(strings.ReplaceAll(older[1], "&amp;", "&"))
		wantStatus(t, "older", resp, http.StatusOK)
		if n := strings.Count(resp.Body, `>user.create</span>`); n != 6 {
			t.Errorf("second page: %d entries, want 6", n)
		}
		wantContains(t, "older", resp.Body, "Newest entries", "xss@example.com")
		wantLacks(t, "older", resp.Body, "Older entries")

		// Manager may read it; the time zone applies.
		manager := newBrowser(t, ts)
		manager.signIn(roster.RoleManager, "/")
		wantRedirect(t, "set zone", manager.postForm("/account", "/account", url.Values{"op": {"time_zone"}, "time_zone": {"Asia/Tokyo"}}), "/account")
		resp = manager.get("/audit")
		wantStatus(t, "manager audit", resp, http.StatusOK)
		wantContains(t, "manager audit", html.UnescapeString(resp.Body), "Asia/Tokyo", "+09:00\">")
	})
}

var (
	controlTag = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idAttr     = regexp.MustCompile(`\bid="([^"]*)"`)
)

// checkLabels fails t when a visible form control of body has no <label>
// naming it, or when an id is used twice.
func checkLabels(t *testing.T, what, body string) {
	t.Helper()
	for _, tag := range controlTag.FindAllString(body, -1) {
		if strings.Contains(tag, `type="hidden"`) || strings.HasSuffix(tag, " hidden>") {
			continue
		}
		m := idAttr.FindStringSubmatch(tag)
		if m == nil || !strings.Contains(body, `<label for="`+m[1]+`"`) && !strings.Contains(body, `<label class="vh" for="`+m[1]+`"`) {
			t.Errorf("%s: control without a label: %s", what, tag)
		}
	}
	seen := map[string]bool{}
	for _, m := range idAttr.FindAllStringSubmatch(body, -1) {
		if seen[m[1]] {
			t.Errorf("%s: id %q used twice", what, m[1])
		}
		seen[m[1]] = true
	}
}

// TestPages_SettingsLabels checks that every control of the settings,
// account and audit pages has a label, in their plain and error states.
func TestPages_SettingsLabels(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		if st, out := ts.do(t, roster.RoleAdmin, "POST", "/api/v1/fields", `{"key":"tier","label":"Tier","type":"choice","choices":["gold"]}`); st != http.StatusCreated {
			t.Fatalf("field: %d %s", st, out)
		}
		b := newBrowser(t, ts)
		b.signIn(roster.RoleOwner, "/")
		pages := map[string]*response{}
		for _, path := range []string{"/settings/fields", "/settings/fields?edit=tier", "/settings/staff", "/settings/tokens", "/account", "/audit", "/audit?from=nope"} {
			pages["GET "+path] = b.get(path)
		}
		pages["bad field"] = b.postForm("/settings/fields", "/settings/fields", url.Values{"key": {"X"}})
		pages["bad edit"] = b.postForm("/settings/fields", "/settings/fields/tier", url.Values{"op": {"edit"}, "position": {"x"}})
		pages["bad staff"] = b.postForm("/settings/staff", "/settings/staff", url.Values{"email": {"x"}})
		pages["new staff"] = b.postForm("/settings/staff", "/settings/staff", url.Values{"email": {"labels@staff.example.com"}, "role": {"viewer"}, "generate": {"1"}})
		pages["new token"] = b.postForm("/settings/tokens", "/settings/tokens", url.Values{"staff_id": {"1"}, "name": {"labels"}})
		pages["bad password"] = b.postForm("/account", "/account", url.Values{"op": {"password"}})
		pages["bad zone"] = b.postForm("/account", "/account", url.Values{"op": {"time_zone"}, "other_time_zone": {"Nowhere"}})
		for what, resp := range pages {
			if resp.StatusCode >= 500 {
				t.Errorf("%s: %d", what, resp.StatusCode)
			}
			if !strings.Contains(resp.Body, `class="sp `) {
				t.Errorf("%s: not a settings page (%d):\n%s", what, resp.StatusCode, resp.Body)
			}
			checkLabels(t, what, resp.Body)
		}
	})
}
